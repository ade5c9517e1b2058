//! segur-psc against the certified npm `oidc-provider` on loopback, configured like Pro Santé
//! Connect (test-support/oidc/psc-provider.mjs): one provider for the whole binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_net::tls::{ClientIdentity, TrustAnchors};
use segur_psc::config::{ClientAuthConfig, ClientCredentials, PscConfig};
use segur_psc::{BindingMessage, CancelHandle, Channel, CibaRequest, NationalId, PscClient};
use segur_test_support::oidc_provider::{self as op, OidcProvider};
use std::sync::OnceLock;

fn provider() -> &'static OidcProvider {
    static P: OnceLock<OidcProvider> = OnceLock::new();
    P.get_or_init(|| OidcProvider::start(1))
}

fn config(p: &OidcProvider, client_id: &str) -> PscConfig {
    let mut c = PscConfig::custom(
        &p.issuer,
        client_id,
        ClientAuthConfig::ClientSecretBasic {
            secret_env: "UNUSED".into(),
        },
    );
    c.jwks_min_refetch_secs = 0;
    c
}

fn anchors(p: &OidcProvider) -> TrustAnchors {
    TrustAnchors::from_pem(p.pki.ca_pem.as_bytes()).unwrap()
}

fn mtls_client_with(p: &OidcProvider, leaf: &segur_test_support::pki::Leaf) -> PscClient {
    let id = ClientIdentity::from_pem(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes()).unwrap();
    PscClient::new(
        config(p, op::MTLS_CLIENT_ID),
        &anchors(p),
        ClientCredentials::Mtls(id),
    )
    .unwrap()
}

fn mtls_client(p: &OidcProvider) -> PscClient {
    mtls_client_with(p, &p.pki.client)
}

fn request(id: &str) -> CibaRequest {
    CibaRequest {
        national_id: NationalId::new(id).unwrap(),
        binding_message: BindingMessage::random().unwrap(),
        channel: Some(Channel::Mobile),
    }
}

#[test]
fn ciba_approved_gives_a_verified_session() {
    let p = provider();
    p.ciba_policy("899700218896", "approve", 1500, 30);
    let client = mtls_client(p);
    let mut steps = Vec::new();
    let session = client
        .ciba_login(&request("899700218896"), &CancelHandle::new(), &mut |s| {
            steps.push(s)
        })
        .unwrap();
    assert_eq!(session.professional().national_id.as_str(), "899700218896");
    assert_eq!(session.professional().acr.as_deref(), Some("eidas1"));
    assert!(steps.len() >= 2, "{steps:?}");
    let token = session.access_token().unwrap();
    assert!(!format!("{session:?}").contains(token.expose()));
}

use segur_net::http::HttpError;
use segur_net::tls::TlsError;
use segur_psc::ciba::CibaProgress;
use segur_psc::config::ThumbprintForm;
use segur_psc::exchange::{ExchangeTarget, Exchanger, thumbprint};
use segur_psc::jwt::JwtError;
use segur_psc::session::TokenKind;
use segur_psc::{CibaError, PscError};
use serde_json::json;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// ID token claims the client accepts, to be spoiled one at a time.
fn id_claims(p: &OidcProvider) -> serde_json::Value {
    json!({
        "iss": p.issuer, "aud": op::MTLS_CLIENT_ID, "sub": "f:1:899700218896",
        "SubjectNameID": "899700218896", "exp": now() + 120, "iat": now(),
        "acr": "eidas1", "nonce": "n-0S6_WzA2Mj",
    })
}

fn verify(c: &PscClient, token: &str, nonce: &str) -> Result<(), PscError> {
    c.verify_id_token(token, Some(nonce)).map(|_| ())
}

fn session_for(p: &OidcProvider, client: &PscClient, id: &str) -> segur_psc::PscSession {
    p.ciba_policy(id, "approve", 0, 30);
    client
        .ciba_login(&request(id), &CancelHandle::new(), &mut |_| {})
        .unwrap()
}

#[test]
fn ciba_denied_expired_and_cancelled() {
    let p = provider();
    let client = mtls_client(p);
    p.ciba_policy("ANS20210107161422", "deny", 500, 30);
    let denied = client.ciba_login(
        &request("ANS20210107161422"),
        &CancelHandle::new(),
        &mut |_| {},
    );
    assert!(
        matches!(denied, Err(PscError::Ciba(CibaError::Denied))),
        "{denied:?}"
    );

    p.ciba_policy("ANS20210107161423", "ignore", 0, 2);
    let start = Instant::now();
    let expired = client.ciba_login(
        &request("ANS20210107161423"),
        &CancelHandle::new(),
        &mut |_| {},
    );
    assert!(
        matches!(expired, Err(PscError::Ciba(CibaError::Expired))),
        "{expired:?}"
    );
    assert!(start.elapsed() >= Duration::from_secs(2));

    p.ciba_policy("ANS20210107161424", "ignore", 0, 30);
    let cancel = CancelHandle::new();
    let c2 = cancel.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        c2.cancel();
    });
    let start = Instant::now();
    let cancelled = client.ciba_login(&request("ANS20210107161424"), &cancel, &mut |_| {});
    t.join().unwrap();
    assert!(
        matches!(cancelled, Err(PscError::Ciba(CibaError::Cancelled))),
        "{cancelled:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn ciba_slow_down_adds_five_seconds() {
    let p = provider();
    let mut cfg = config(p, op::MTLS_CLIENT_ID);
    // Poll faster than the provider's 1 s interval: the provider answers slow_down.
    cfg.ciba_poll_interval_ms = Some(200);
    let id = ClientIdentity::from_pem(
        p.pki.client.cert_pem.as_bytes(),
        p.pki.client.key_pem.as_bytes(),
    )
    .unwrap();
    let client = PscClient::new(cfg, &anchors(p), ClientCredentials::Mtls(id)).unwrap();
    p.ciba_policy("30B0168811/CPET00001", "approve", 1000, 30);
    let mut steps = Vec::new();
    let start = Instant::now();
    let session = client
        .ciba_login(
            &request("30B0168811/CPET00001"),
            &CancelHandle::new(),
            &mut |s| steps.push(s),
        )
        .unwrap();
    assert_eq!(
        session.professional().national_id.as_str(),
        "30B0168811/CPET00001"
    );
    let slow: Vec<_> = steps
        .iter()
        .filter(|s| matches!(s, CibaProgress::SlowDown { .. }))
        .collect();
    assert_eq!(
        slow,
        [&CibaProgress::SlowDown {
            interval: Duration::from_millis(5200)
        }],
        "{steps:?}"
    );
    assert!(
        start.elapsed() >= Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn ciba_request_checked_by_the_provider() {
    let p = provider();
    let client = mtls_client(p);
    // The provider knows no professional "unknown".
    let unknown = client.ciba_login(&request("unknown"), &CancelHandle::new(), &mut |_| {});
    assert!(
        matches!(&unknown, Err(PscError::OAuth { error, .. }) if error == "unknown_user_id"),
        "{unknown:?}"
    );
    // The sandbox client (client_secret_basic, ES256 ID tokens) with a wrong secret.
    let bad = PscClient::new(
        config(p, op::SANDBOX_CLIENT_ID),
        &anchors(p),
        ClientCredentials::SecretBasic("wrong".to_owned().into()),
    )
    .unwrap();
    let refused = bad.ciba_login(&request("899700218896"), &CancelHandle::new(), &mut |_| {});
    assert!(
        matches!(&refused, Err(PscError::OAuth { error, status: 401, .. }) if error == "invalid_client"),
        "{refused:?}"
    );
}

#[test]
fn sandbox_secret_client_and_es256_id_tokens() {
    let p = provider();
    let client = PscClient::new(
        config(p, op::SANDBOX_CLIENT_ID),
        &anchors(p),
        ClientCredentials::SecretBasic(op::SANDBOX_SECRET.to_owned().into()),
    )
    .unwrap();
    let s = session_for(p, &client, "ANS20210107161425");
    assert_eq!(s.professional().national_id.as_str(), "ANS20210107161425");
    assert_eq!(s.professional().profession_code.as_deref(), Some("21"));
    assert_eq!(
        s.professional()
            .activities
            .first()
            .unwrap()
            .pharmacist_section
            .as_deref(),
        Some("A")
    );
}

#[test]
fn session_refresh_introspection_logout_and_server_revocation() {
    let p = provider();
    let client = mtls_client(p);
    let s = session_for(p, &client, "ANS20210107161426");
    let first = s.access_token().unwrap();
    let i = s.introspect(TokenKind::Access).unwrap();
    assert!(i.active);
    assert_eq!(
        i.x5t_s256.as_deref(),
        Some(
            thumbprint(
                client.client_certificate().unwrap(),
                ThumbprintForm::Rfc8705
            )
            .as_str()
        )
    );
    s.refresh().unwrap();
    let second = segur_net::token::TokenProvider::access_token(&s).unwrap();
    assert_ne!(first.expose(), second.expose());
    assert!(s.introspect(TokenKind::Refresh).unwrap().active);
    let info = s.userinfo().unwrap();
    assert_eq!(info.national_id.as_str(), "ANS20210107161426");
    assert_eq!(info.activities.len(), 2);
    assert_eq!(info.activities[1].pharmacist_section.as_deref(), Some("D"));
    s.logout().unwrap();
    assert!(s.is_ended());
    assert!(matches!(s.access_token(), Err(PscError::SessionEnded)));
    assert!(
        !segur_psc::session::introspect(&client, second.expose())
            .unwrap()
            .active
    );
    s.logout().unwrap();

    // A refresh token revoked at the provider ends the session at the next refresh.
    let s = session_for(p, &client, "ANS20210107161427");
    let token = s.access_token().unwrap();
    assert!(p.revoke_grants("ANS20210107161427") >= 1);
    let r = s.refresh();
    assert!(
        matches!(&r, Err(PscError::OAuth { error, .. }) if error == "invalid_grant"),
        "{r:?}"
    );
    assert!(s.is_ended());
    assert!(
        !segur_psc::session::introspect(&client, token.expose())
            .unwrap()
            .active
    );
}

#[test]
fn authorization_code_with_pkce_state_and_nonce() {
    let p = provider();
    let client = mtls_client(p);
    let pending = client
        .authorization_request(op::REDIRECT_URI, Some("899700218896"))
        .unwrap();
    assert!(pending.url().contains("code_challenge_method=S256"));
    let answer = p.browse(pending.url());
    let callback = answer["redirect"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    assert!(callback.starts_with(op::REDIRECT_URI), "{callback}");
    let session = client.redeem(pending, callback).unwrap();
    assert_eq!(session.professional().national_id.as_str(), "899700218896");

    // A callback for another request (wrong state) is refused before the code is redeemed.
    let a = client
        .authorization_request(op::REDIRECT_URI, None)
        .unwrap();
    let b = client
        .authorization_request(op::REDIRECT_URI, None)
        .unwrap();
    let cb_a = p.browse(a.url())["redirect"].as_str().unwrap().to_owned();
    let wrong = client.redeem(b, &cb_a);
    assert!(
        matches!(
            wrong,
            Err(PscError::Callback("state does not match the request"))
        ),
        "{wrong:?}"
    );

    // Without PKCE the provider refuses the request (PKCE required).
    let no_pkce = a
        .url()
        .replace("code_challenge_method=S256", "")
        .replace("code_challenge=", "x=");
    let stopped = p.browse(&no_pkce);
    let redirect = stopped["redirect"].as_str().unwrap_or("");
    assert!(redirect.contains("error=invalid_request"), "{stopped}");
    assert!(!redirect.contains("code="), "{stopped}");
}

#[test]
fn id_token_claims_checked() {
    let p = provider();
    let c = mtls_client(p);
    let good = p.sign("rs1", json!({}), id_claims(p));
    verify(&c, &good, "n-0S6_WzA2Mj").unwrap();
    let es = p.sign("es1", json!({}), id_claims(p));
    verify(&c, &es, "n-0S6_WzA2Mj").unwrap();

    let e = verify(&c, &good, "another-nonce").unwrap_err();
    assert!(
        matches!(e, PscError::Jwt(JwtError::Claim { claim: "nonce", .. })),
        "{e:?}"
    );

    let spoil = |k: &str, v: serde_json::Value| {
        let mut claims = id_claims(p);
        claims[k] = v;
        verify(&c, &p.sign("rs1", json!({}), claims), "n-0S6_WzA2Mj").unwrap_err()
    };
    let e = spoil("exp", json!(now() - 3600));
    assert!(
        matches!(e, PscError::Jwt(JwtError::Expired { .. })),
        "{e:?}"
    );
    let e = spoil("iat", json!(now() + 3600));
    assert!(
        matches!(e, PscError::Jwt(JwtError::NotYetValid { claim: "iat", .. })),
        "{e:?}"
    );
    let e = spoil("nbf", json!(now() + 3600));
    assert!(
        matches!(e, PscError::Jwt(JwtError::NotYetValid { claim: "nbf", .. })),
        "{e:?}"
    );
    let e = spoil("aud", json!("another-client"));
    assert!(
        matches!(e, PscError::Jwt(JwtError::Claim { claim: "aud", .. })),
        "{e:?}"
    );
    let e = spoil(
        "iss",
        json!("https://auth.bas.esw.esante.gouv.fr/auth/realms/esante-wallet"),
    );
    assert!(
        matches!(e, PscError::Jwt(JwtError::Claim { claim: "iss", .. })),
        "{e:?}"
    );
    let e = spoil("acr", json!("eidas2"));
    assert!(
        matches!(e, PscError::Jwt(JwtError::Claim { claim: "acr", .. })),
        "{e:?}"
    );
    // Within the skew (60 s) an expired token still passes.
    let mut claims = id_claims(p);
    claims["exp"] = json!(now() - 10);
    verify(&c, &p.sign("rs1", json!({}), claims), "n-0S6_WzA2Mj").unwrap();
}

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[test]
fn alg_none_and_hs256_with_the_public_key_refused() {
    let p = provider();
    let c = mtls_client(p);
    let payload = b64(id_claims(p).to_string().as_bytes());
    let none = format!("{}.{payload}.", b64(br#"{"alg":"none","kid":"rs1"}"#));
    let e = verify(&c, &none, "n-0S6_WzA2Mj").unwrap_err();
    assert!(
        matches!(&e, PscError::Jwt(JwtError::AlgorithmRefused { alg }) if alg == "none"),
        "{e:?}"
    );

    // The key-confusion attack: HMAC keyed with the RSA public key the JWKS publishes.
    let jwk = p.jwk("rs1");
    let secret = jwk.to_string();
    let input = format!("{}.{payload}", b64(br#"{"alg":"HS256","kid":"rs1"}"#));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let hs = format!(
        "{input}.{}",
        b64(ring::hmac::sign(&key, input.as_bytes()).as_ref())
    );
    let e = verify(&c, &hs, "n-0S6_WzA2Mj").unwrap_err();
    assert!(
        matches!(&e, PscError::Jwt(JwtError::AlgorithmRefused { alg }) if alg == "HS256"),
        "{e:?}"
    );

    // An ES256 signature under the kid of the RSA key: the key does not fit the algorithm.
    let es = p.sign("es1", json!({"kid": "rs1"}), id_claims(p));
    let e = verify(&c, &es, "n-0S6_WzA2Mj").unwrap_err();
    assert!(
        matches!(e, PscError::Jwt(JwtError::KeyMismatch { alg: "ES256" })),
        "{e:?}"
    );
}

#[test]
fn unknown_kid_then_rotated_jwks() {
    let p = provider();
    let c = mtls_client(p);
    // The client has the JWKS before the rotation.
    verify(&c, &p.sign("rs1", json!({}), id_claims(p)), "n-0S6_WzA2Mj").unwrap();
    let rotated = p.sign("rs2", json!({}), id_claims(p));
    let e = verify(&c, &rotated, "n-0S6_WzA2Mj").unwrap_err();
    assert!(
        matches!(&e, PscError::Jwt(JwtError::UnknownKey { kid: Some(k) }) if k == "rs2"),
        "{e:?}"
    );
    p.publish_key("rs2");
    verify(&c, &rotated, "n-0S6_WzA2Mj").unwrap();
}

#[test]
fn unknown_kid_refetch_is_rate_limited() {
    let p = provider();
    let http = segur_net::http::HttpClient::new(
        &segur_net::tls::TlsSettings::new(&anchors(p), None).unwrap(),
        segur_net::http::HttpLimits::default(),
    );
    let uri = format!("{}/protocol/openid-connect/certs", p.issuer);
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let f = fetches.clone();
    let cache = segur_psc::jwks::JwksCache::new(
        Box::new(move || {
            f.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            segur_psc::jwks::JwkSet::from_json(&http.get(&uri, "application/json")?.body)
        }),
        Duration::from_secs(3600),
    );
    use segur_psc::jwks::KeySource;
    use segur_psc::jwt::JwsAlg;
    cache.key(Some("rs1"), JwsAlg::RS256).unwrap();
    for _ in 0..5 {
        assert!(cache.key(Some("made-up"), JwsAlg::RS256).is_err());
    }
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    let eager = segur_psc::jwks::JwksCache::new(
        Box::new({
            let http = segur_net::http::HttpClient::new(
                &segur_net::tls::TlsSettings::new(&anchors(p), None).unwrap(),
                segur_net::http::HttpLimits::default(),
            );
            let uri = format!("{}/protocol/openid-connect/certs", p.issuer);
            let f = fetches.clone();
            move || {
                f.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                segur_psc::jwks::JwkSet::from_json(&http.get(&uri, "application/json")?.body)
            }
        }),
        Duration::ZERO,
    );
    eager.key(Some("rs1"), JwsAlg::RS256).unwrap();
    assert!(eager.key(Some("made-up"), JwsAlg::RS256).is_err());
    // The initial fetch and exactly one refetch for the unknown kid.
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[test]
fn token_exchange_over_mtls_with_certificate_binding() {
    let p = provider();
    let client = mtls_client(p);
    let session = std::sync::Arc::new(session_for(p, &client, "ANS20210107161428"));
    let d = client.discovery().unwrap();
    let target = |aud: &str, scope: &str| ExchangeTarget {
        token_endpoint: d.token_endpoint.clone(),
        audience: Some(aud.into()),
        scope: Some(scope.into()),
        subject_issuer: None,
    };
    let der = client.client_certificate().unwrap().to_vec();
    let exchanger = Exchanger::new(session.clone());
    let t1 = exchanger
        .token_for(&target(op::BACKEND_AUDIENCE, "read"))
        .unwrap();
    assert_eq!(t1.x5t_s256, thumbprint(&der, ThumbprintForm::Rfc8705));
    assert_eq!(t1.x5t_s256.len(), 43);
    let again = exchanger
        .token_for(&target(op::BACKEND_AUDIENCE, "read"))
        .unwrap();
    assert_eq!(
        t1.token.expose(),
        again.token.expose(),
        "one token per audience, reused"
    );
    let t2 = exchanger
        .token_for(&target(op::BACKEND2_AUDIENCE, "dmp"))
        .unwrap();
    assert_ne!(t1.token.expose(), t2.token.expose());
    // The exchanged token is a JWS of the provider, for the backend audience.
    let jws = segur_psc::jwt::Jws::parse(t2.token.expose()).unwrap();
    assert_eq!(jws.claims()["aud"], op::BACKEND2_AUDIENCE);
    assert_eq!(jws.claims()["SubjectNameID"], "ANS20210107161428");
    jws.verify_signature(client.jwks().unwrap(), &[segur_psc::jwt::JwsAlg::RS256])
        .unwrap();

    // A scope the backend does not have, an unknown audience.
    let subject = session.access_token().unwrap();
    let e = client
        .exchange(&subject, &target(op::BACKEND_AUDIENCE, "dmp"))
        .unwrap_err();
    assert!(
        matches!(&e, PscError::OAuth { error, .. } if error == "invalid_scope"),
        "{e:?}"
    );
    let e = client
        .exchange(&subject, &target("https://nowhere.test", "read"))
        .unwrap_err();
    assert!(
        matches!(&e, PscError::OAuth { error, .. } if error == "invalid_target"),
        "{e:?}"
    );

    // Another certificate of the same CA (DN not registered), a certificate of another CA.
    for leaf in [&p.pki.other_client, &p.pki.rogue_client] {
        let other = mtls_client_with(p, leaf);
        let e = other
            .exchange(&subject, &target(op::BACKEND_AUDIENCE, "read"))
            .unwrap_err();
        assert!(
            matches!(&e, PscError::OAuth { error, status: 401, .. } if error == "invalid_client"),
            "{e:?}"
        );
    }

    // The ANS examples' thumbprint form: accepted by default, refused when only RFC 8705 is.
    p.thumbprint_form("ans");
    let ans = client.exchange(&subject, &target(op::BACKEND_AUDIENCE, "read"));
    let mut strict_cfg = config(p, op::MTLS_CLIENT_ID);
    strict_cfg.thumbprint_forms = vec![ThumbprintForm::Rfc8705];
    let id = ClientIdentity::from_pem(
        p.pki.client.cert_pem.as_bytes(),
        p.pki.client.key_pem.as_bytes(),
    )
    .unwrap();
    let strict = PscClient::new(strict_cfg, &anchors(p), ClientCredentials::Mtls(id)).unwrap();
    let strict_session = session_for(p, &strict, "ANS20210107161429");
    let refused = strict.exchange(
        &strict_session.access_token().unwrap(),
        &target(op::BACKEND_AUDIENCE, "read"),
    );
    p.thumbprint_form("rfc");
    let ans = ans.unwrap();
    assert_eq!(ans.x5t_s256, thumbprint(&der, ThumbprintForm::AnsHexBase64));
    assert_eq!(ans.x5t_s256.len(), 88);
    assert!(matches!(refused, Err(PscError::Binding(_))), "{refused:?}");
}

#[test]
fn server_certificate_wrong_ca_wrong_name_expired_and_discovery_name() {
    let p = provider();
    let id = || {
        ClientIdentity::from_pem(
            p.pki.client.cert_pem.as_bytes(),
            p.pki.client.key_pem.as_bytes(),
        )
        .unwrap()
    };
    let tls_error = |cfg: PscConfig, anchors: TrustAnchors| match PscClient::new(
        cfg,
        &anchors,
        ClientCredentials::Mtls(id()),
    )
    .unwrap()
    .discovery()
    {
        Err(PscError::Http(HttpError::Tls(t))) => t,
        other => panic!("{other:?}"),
    };
    let rogue = TrustAnchors::from_pem(p.pki.rogue_ca_pem.as_bytes()).unwrap();
    assert_eq!(
        tls_error(config(p, op::MTLS_CLIENT_ID), rogue),
        TlsError::UnknownIssuer
    );
    let by_ip = p.issuer.replace("localhost", "127.0.0.1");
    let mut cfg = config(p, op::MTLS_CLIENT_ID);
    cfg.issuer = Some(by_ip);
    assert_eq!(tls_error(cfg, anchors(p)), TlsError::NameMismatch);
    let mut cfg = config(p, op::MTLS_CLIENT_ID);
    cfg.issuer = Some(
        p.issuer
            .replace(&p.port.to_string(), &p.expired_port.to_string()),
    );
    assert_eq!(tls_error(cfg, anchors(p)), TlsError::Expired);

    // The standard discovery name is not served: the PSC one is.
    let mut cfg = config(p, op::MTLS_CLIENT_ID);
    cfg.discovery_path = "/.well-known/openid-configuration".into();
    let c = PscClient::new(cfg, &anchors(p), ClientCredentials::Mtls(id())).unwrap();
    assert!(matches!(
        c.discovery(),
        Err(PscError::Http(HttpError::Status { code: 404, .. }))
    ));
    let d = mtls_client(p).discovery().unwrap();
    assert_eq!(d.issuer, p.issuer);
    assert!(
        d.backchannel_authentication_endpoint
            .as_deref()
            .unwrap()
            .ends_with("/protocol/openid-connect/ext/ciba/auth")
    );
}
