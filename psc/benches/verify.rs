//! ID token verification time (parse, signature against the JWKS, claims, professional mapping)
//! for RS256 (2048-bit key) and ES256, and the parse alone. Keys are made at bench time (RSA by
//! the openssl CLI, P-256 by ring), tokens signed with ring. The side-by-side figure for the
//! npm `jose` library is taken by test-support/oidc/bench-verify.mjs (BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // bench setup; criterion_group!

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use ring::signature::{self, KeyPair};
use segur_psc::jwks::JwkSet;
use segur_psc::jwt::{self, Jws, JwsAlg, Validation};
use segur_psc::professional::Professional;
use serde_json::json;
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ISSUER: &str = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn claims() -> serde_json::Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({"iss": ISSUER, "aud": "my-lgo", "sub": "f:550dc1c8:899700218896",
        "SubjectNameID": "899700218896", "preferred_username": "899700218896",
        "given_name": "CLAUDE", "family_name": "PHARMACIEN", "acr": "eidas1",
        "exp": now + 3600, "iat": now, "nonce": "n-0S6_WzA2Mj", "azp": "my-lgo",
        "session_state": "0b5e8a10-7b2c-4d3e-9f11-2f1c2a7d9e01", "typ": "ID"})
}

fn input(alg: &str, kid: &str) -> String {
    format!(
        "{}.{}",
        b64(json!({"alg": alg, "kid": kid, "typ": "JWT"})
            .to_string()
            .as_bytes()),
        b64(claims().to_string().as_bytes())
    )
}

fn validation() -> Validation {
    Validation {
        issuer: ISSUER.into(),
        audience: "my-lgo".into(),
        skew: Duration::from_secs(60),
        nonce: Some("n-0S6_WzA2Mj".into()),
        accepted_acr: vec!["eidas1".into()],
        require_iat: true,
    }
}

fn setup() -> (String, String, JwkSet) {
    let rng = ring::rand::SystemRandom::new();
    let dir = tempfile_dir();
    segur_test_support::openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-outform",
            "DER",
            "-out",
            "rsa.der",
        ],
    );
    let rsa =
        signature::RsaKeyPair::from_pkcs8(&std::fs::read(dir.join("rsa.der")).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let rs_input = input("RS256", "rs1");
    let mut sig = vec![0; rsa.public().modulus_len()];
    rsa.sign(
        &signature::RSA_PKCS1_SHA256,
        &rng,
        rs_input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    let rs_token = format!("{rs_input}.{}", b64(&sig));

    let pkcs8 =
        signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap();
    let ec = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.as_ref(),
        &rng,
    )
    .unwrap();
    let es_input = input("ES256", "es1");
    let es_sig = ec.sign(&rng, es_input.as_bytes()).unwrap();
    let es_token = format!("{es_input}.{}", b64(es_sig.as_ref()));
    let point = ec.public_key().as_ref();
    let rsa_pub: signature::RsaPublicKeyComponents<Vec<u8>> = rsa.public().into();
    let jwks = json!({"keys": [
        {"kty": "RSA", "kid": "rs1", "alg": "RS256", "use": "sig",
         "n": b64(&rsa_pub.n),
         "e": b64(&rsa_pub.e)},
        {"kty": "EC", "crv": "P-256", "kid": "es1", "alg": "ES256", "use": "sig",
         "x": b64(point.get(1..33).unwrap()), "y": b64(point.get(33..65).unwrap())},
    ]});
    // Written for the jose side-by-side script.
    if let Ok(out) = std::env::var("SEGUR_PSC_BENCH_OUT") {
        std::fs::write(
            out,
            json!({"jwks": jwks, "rs256": rs_token, "es256": es_token, "issuer": ISSUER})
                .to_string(),
        )
        .unwrap();
    }
    let set = JwkSet::from_json(jwks.to_string().as_bytes()).unwrap();
    (rs_token, es_token, set)
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("segur-psc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn verify(c: &mut Criterion) {
    let (rs, es, set) = setup();
    let v = validation();
    let mut g = c.benchmark_group("id_token_verify");
    for (name, token) in [("RS256", &rs), ("ES256", &es)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let (claims, _) = jwt::verify(
                    black_box(token),
                    &set,
                    &JwsAlg::DEFAULT_ALLOWED,
                    &v,
                    SystemTime::now(),
                )
                .unwrap();
                Professional::from_claims(&claims).unwrap()
            })
        });
    }
    g.bench_function("parse_only", |b| {
        b.iter(|| Jws::parse(black_box(&rs)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
