//! The JSON and text readers of segur-psc never panic: discovery documents, token responses,
//! OAuth error bodies, claims mapped to a professional, national identifiers and the TOML
//! configuration; what reads is consistent (a discovery document names only https endpoints,
//! a national id reads back to itself).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_psc::PscConfig;
use segur_psc::discovery::Discovery;
use segur_psc::professional::{NationalId, Professional};
use segur_psc::tokens::{OAuthErrorBody, TokenResponse};

const ISSUER: &str = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet";

fuzz_target!(|data: &[u8]| {
    for mtls in [false, true] {
        if let Ok(d) = Discovery::from_json(data, ISSUER, mtls) {
            assert_eq!(d.issuer, ISSUER);
            assert!(d.token_endpoint.starts_with("https://"));
            assert!(d.jwks_uri.starts_with("https://"));
        }
    }
    if let Ok(t) = TokenResponse::from_json(data) {
        assert!(!t.access_token.is_empty());
        // Short texts occur in the field names; a real token never shows.
        if t.access_token.len() >= 16 {
            assert!(!format!("{t:?}").contains(t.access_token.as_str()));
        }
    }
    let _ = OAuthErrorBody::from_json(data);
    if let Ok(serde_json::Value::Object(claims)) = serde_json::from_slice(data) {
        if let Ok(p) = Professional::from_claims(&claims) {
            assert_eq!(NationalId::new(p.national_id.as_str()), Ok(p.national_id.clone()));
        }
    }
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(id) = NationalId::new(s) {
        assert_eq!(id.as_str(), s);
    }
    if let Ok(c) = PscConfig::from_toml(s) {
        assert!(c.issuer().is_ok());
    }
});
