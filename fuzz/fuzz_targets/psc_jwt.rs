//! The compact JWS reader and JWT checks of segur-psc never panic: any text is parsed within
//! the size limit with a typed error, a token that parses goes through signature verification
//! against a fixed JWKS (RSA and P-256 keys) and the claim checks; the allow-list refuses
//! every algorithm but RS256, PS256 and ES256 before a key is chosen.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_psc::jwks::JwkSet;
use segur_psc::jwt::{JwsAlg, Jws, JwtError, Validation};
use std::time::{Duration, UNIX_EPOCH};

const JWKS: &str = r#"{"keys":[
 {"kty":"RSA","kid":"rs1","alg":"RS256","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"},
 {"kty":"EC","crv":"P-256","kid":"es1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let keys = JwkSet::from_json(JWKS.as_bytes()).expect("the fixed JWKS reads");
    let jws = match Jws::parse(token) {
        Ok(j) => j,
        Err(JwtError::TooLarge { len, .. }) => {
            assert_eq!(len, token.len());
            return;
        }
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let verdict = jws.verify_signature(&keys, &JwsAlg::DEFAULT_ALLOWED);
    if verdict.is_ok() {
        // A forged signature would be a finding: only the three allowed algorithms verify.
        assert!(JwsAlg::from_name(&jws.header().alg).is_some());
    }
    let v = Validation {
        issuer: "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet".into(),
        audience: "my-lgo".into(),
        skew: Duration::from_secs(60),
        nonce: Some("n".into()),
        accepted_acr: vec!["eidas1".into()],
        require_iat: true,
    };
    let _ = v.check(jws.claims(), UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let _ = segur_psc::professional::Professional::from_claims(jws.claims());
});
