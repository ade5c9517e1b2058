//! Every seed and every regression of the segur-psc fuzz targets (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) replayed through the same calls and checks as the target, on
//! each test run and without a nightly toolchain.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_psc::PscConfig;
use segur_psc::discovery::Discovery;
use segur_psc::jwks::{JwkSet, KeySource, PublicKey};
use segur_psc::jwt::{Jws, JwsAlg, JwtError, Validation};
use segur_psc::professional::{NationalId, Professional};
use segur_psc::tokens::{OAuthErrorBody, TokenResponse};
use segur_test_support::fuzz_inputs as inputs;
use std::time::{Duration, UNIX_EPOCH};

const ISSUER: &str = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet";

/// The fixed JWKS of `fuzz_targets/psc_jwt.rs`.
fn fixed_jwks() -> JwkSet {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets/psc_jwt.rs"),
    )
    .unwrap();
    let start = text.find("r#\"").unwrap() + 3;
    let end = text.find("\"#;").unwrap();
    JwkSet::from_json(&text.as_bytes()[start..end]).expect("the fixed JWKS reads")
}

/// `fuzz_targets/psc_jwt.rs`; the error when the token does not parse.
fn psc_jwt(keys: &JwkSet, data: &[u8]) -> Option<JwtError> {
    let token = std::str::from_utf8(data).ok()?;
    let jws = match Jws::parse(token) {
        Ok(j) => j,
        Err(e) => {
            if let JwtError::TooLarge { len, .. } = e {
                assert_eq!(len, token.len());
            }
            let _ = e.to_string();
            return Some(e);
        }
    };
    if jws.verify_signature(keys, &JwsAlg::DEFAULT_ALLOWED).is_ok() {
        assert!(JwsAlg::from_name(&jws.header().alg).is_some());
    }
    let v = Validation {
        issuer: ISSUER.into(),
        audience: "my-lgo".into(),
        skew: Duration::from_secs(60),
        nonce: Some("n".into()),
        accepted_acr: vec!["eidas1".into()],
        require_iat: true,
    };
    let _ = v.check(
        jws.claims(),
        UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    );
    let _ = Professional::from_claims(jws.claims());
    None
}

/// `fuzz_targets/psc_jwks.rs`; how many keys were kept.
fn psc_jwks(data: &[u8]) -> Option<usize> {
    let set = JwkSet::from_json(data).ok()?;
    for key in set.keys() {
        let alg = match &key.key {
            PublicKey::Rsa { .. } => JwsAlg::RS256,
            PublicKey::P256 { point } => {
                assert_eq!(point.len(), 65);
                JwsAlg::ES256
            }
        };
        if let Some(kid) = &key.kid {
            assert!(set.key(Some(kid), alg).is_ok());
        }
        let _ = format!("{key:?}");
    }
    Some(set.keys().len())
}

/// `fuzz_targets/psc_json.rs`; which readers accepted the input.
fn psc_json(data: &[u8]) -> Vec<&'static str> {
    let mut ok = Vec::new();
    for mtls in [false, true] {
        if let Ok(d) = Discovery::from_json(data, ISSUER, mtls) {
            assert_eq!(d.issuer, ISSUER);
            assert!(d.token_endpoint.starts_with("https://"));
            assert!(d.jwks_uri.starts_with("https://"));
            ok.push("discovery");
        }
    }
    if let Ok(t) = TokenResponse::from_json(data) {
        assert!(!t.access_token.is_empty());
        // Short texts occur in the field names; a real token never shows.
        if t.access_token.len() >= 16 {
            assert!(!format!("{t:?}").contains(t.access_token.as_str()));
        }
        ok.push("token response");
    }
    if OAuthErrorBody::from_json(data).is_some() {
        ok.push("oauth error");
    }
    if let Ok(serde_json::Value::Object(claims)) = serde_json::from_slice(data)
        && let Ok(p) = Professional::from_claims(&claims)
    {
        assert_eq!(
            NationalId::new(p.national_id.as_str()),
            Ok(p.national_id.clone())
        );
        ok.push("professional");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(id) = NationalId::new(s) {
            assert_eq!(id.as_str(), s);
            ok.push("national id");
        }
        if let Ok(c) = PscConfig::from_toml(s) {
            assert!(c.issuer().is_ok());
            ok.push("config");
        }
    }
    ok
}

#[test]
fn psc_jwt_seeds() {
    let keys = fixed_jwks();
    assert_eq!(keys.keys().len(), 2);
    let all = inputs("psc_jwt", 20);
    let errors: Vec<_> = all
        .iter()
        .filter_map(|(name, data)| psc_jwt(&keys, data).map(|e| (name.clone(), e)))
        .collect();
    // The malformed seeds fail where they were made to fail; the others parse.
    let error_of = |n: &str| {
        errors
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, e)| e.clone())
    };
    assert!(matches!(
        error_of("seeds/jwe_five_parts"),
        Some(JwtError::Structure { .. })
    ));
    assert!(matches!(
        error_of("seeds/two_parts"),
        Some(JwtError::Structure { .. })
    ));
    assert!(matches!(
        error_of("seeds/bad_base64"),
        Some(JwtError::Base64 { .. })
    ));
    assert!(matches!(error_of("seeds/crit"), Some(JwtError::Header(_))));
    assert!(error_of("seeds/rs256").is_none());
}

#[test]
fn psc_jwks_seeds() {
    let kept: Vec<_> = inputs("psc_jwks", 10)
        .iter()
        .map(|(name, data)| (name.clone(), psc_jwks(data)))
        .collect();
    let of = |n: &str| kept.iter().find(|(name, _)| name == n).unwrap().1;
    assert_eq!(of("seeds/psc_two_keys.json"), Some(2));
    assert_eq!(of("seeds/with_enc_and_oct.json"), Some(1));
    assert_eq!(of("seeds/hs256_key.json"), Some(0));
    assert_eq!(of("seeds/small_rsa.json"), None);
    assert_eq!(of("seeds/no_keys.json"), None);
}

#[test]
fn psc_json_seeds() {
    let read: Vec<_> = inputs("psc_json", 20)
        .iter()
        .map(|(name, data)| (name.clone(), psc_json(data)))
        .collect();
    let of = |n: &str| read.iter().find(|(name, _)| name == n).unwrap().1.clone();
    assert_eq!(of("seeds/discovery_psc.json"), ["discovery", "discovery"]);
    // With mutual TLS the https alias replaces the plain http endpoint (RFC 8705 §5).
    assert_eq!(of("seeds/discovery_http_endpoint.json"), ["discovery"]);
    assert!(of("seeds/discovery_other_issuer.json").is_empty());
    assert_eq!(of("seeds/discovery_alias_http.json"), ["discovery"]);
    assert_eq!(of("seeds/token_response.json"), ["token response"]);
    assert!(of("seeds/token_response_mac.json").is_empty());
    assert_eq!(of("seeds/oauth_error.json"), ["oauth error"]);
    assert_eq!(of("seeds/claims_userinfo.json"), ["professional"]);
    assert!(of("seeds/claims_bad_luhn.json").is_empty());
    assert_eq!(of("seeds/config_sandbox.toml"), ["config"]);
    assert_eq!(of("seeds/config_custom_secret.toml"), ["config"]);
    assert_eq!(of("seeds/national_id_rpps"), ["national id"]);
}
