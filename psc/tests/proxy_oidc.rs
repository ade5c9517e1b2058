//! The proxy e-Santé wired to this crate's PSC client ([`PscUpstream`]) against the certified
//! npm `oidc-provider` configured like Pro Santé Connect (test-support/oidc): a desktop signs in
//! through the proxy by CIBA, the proxy exchanges the PSC token (RFC 8693 over RFC 8705 mutual
//! TLS) and relays a backend call carrying the exchanged token over the certificate it is bound
//! to; a refusal on the device comes back as `access_denied`; disconnecting logs out of PSC.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{backend, sha256_hex};
use segur_net::tls::{ClientIdentity, TrustAnchors};
use segur_net::token::TokenProvider as _;
use segur_psc::PscClient;
use segur_psc::config::ThumbprintForm;
use segur_psc::config::{ClientAuthConfig, ClientCredentials, PscConfig};
use segur_psc::desktop::{DesktopError, ProxySettings, ProxyTokenProvider};
use segur_psc::exchange::thumbprint;
use segur_psc::proxy::upstream::Channel;
use segur_psc::proxy::{ProxyConfig, ProxyServer, PscUpstream};
use segur_test_support::oidc_provider::{self as op, OidcProvider};
use segur_test_support::pki;
use std::sync::Arc;

const NATIONAL_ID: &str = "899700218896";
const DENIED_ID: &str = "ANS20210107161429";

#[test]
fn desktop_login_exchange_and_relay_through_oidc_provider() {
    let p = OidcProvider::start(1);
    let mut config = PscConfig::custom(
        &p.issuer,
        op::MTLS_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic {
            secret_env: "UNUSED".into(),
        },
    );
    config.jwks_min_refetch_secs = 0;
    let org = &p.pki.client;
    let identity =
        ClientIdentity::from_pem(org.cert_pem.as_bytes(), org.key_pem.as_bytes()).unwrap();
    let client = PscClient::new(
        config,
        &TrustAnchors::from_pem(p.pki.ca_pem.as_bytes()).unwrap(),
        ClientCredentials::Mtls(identity),
    )
    .unwrap();
    let token_endpoint = client.discovery().unwrap().token_endpoint.clone();

    // The backend trusts the structure certificates (the provider's test CA).
    let backend_ca = pki::ca("TEST AC SERVEURS");
    let api = backend(&backend_ca, &p.pki.ca_pem);
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let proxy_leaf = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, text) in [
        ("proxy.pem", proxy_leaf.cert_pem.clone()),
        ("proxy.key", proxy_leaf.key_pem.clone()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("backend-ca.pem", backend_ca.pem()),
        ("org.pem", org.cert_pem.clone()),
        ("org.key", org.key_pem.clone()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    std::fs::write(
        d.join("proxy.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
             client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-a]\n\
             [backends.fhir]\nurl = \"https://localhost:{}/api\"\ntoken_endpoint = \"{token_endpoint}\"\n\
             audience = \"{}\"\nscope = \"read\"\nca = \"backend-ca.pem\"\ncert = \"org.pem\"\n\
             key = \"org.key\"\n[backends.mss]\nurl = \"https://localhost:1/mss\"\n\
             token = \"psc_access_token\"\ntoken_to_desktop = true\nca = \"backend-ca.pem\"\n\
             cert = \"org.pem\"\nkey = \"org.key\"\n",
            api.port,
            op::BACKEND_AUDIENCE
        ),
    )
    .unwrap();
    let introspector = client.clone();
    let proxy = ProxyServer::start(
        ProxyConfig::load(&d.join("proxy.toml")).unwrap(),
        Arc::new(PscUpstream::new(client)),
    )
    .unwrap();
    let desktop = ProxyTokenProvider::new(ProxySettings {
        url: format!("https://localhost:{}", proxy.local_addr().port()),
        tls: segur_net::tls::TlsSettings::new(
            &TrustAnchors::from_pem(proxy_ca.pem().as_bytes()).unwrap(),
            Some(
                &ClientIdentity::from_pem(poste.cert_pem.as_bytes(), poste.key_pem.as_bytes())
                    .unwrap(),
            ),
        )
        .unwrap(),
        client_id: "lgo-a".into(),
    })
    .unwrap();

    // Refused on the device: access_denied, traced, no session.
    p.ciba_policy(DENIED_ID, "deny", 300, 30);
    let e = desktop
        .login(DENIED_ID, Channel::Mobile, &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(&e, DesktopError::Refused { status: 403, code, .. } if code == "access_denied"),
        "{e:?}"
    );

    // Approved: the professional of the verified ID token.
    p.ciba_policy(NATIONAL_ID, "approve", 1200, 30);
    let who = desktop
        .login(NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap();
    assert_eq!(who.national_id, NATIONAL_ID);

    // The relayed call carries the exchanged token (a JWS of the provider for the backend
    // audience, bound to the certificate the proxy presented) over that certificate.
    let r = desktop
        .send("GET", "fhir", "Patient?_count=1", None, None)
        .unwrap();
    assert_eq!(r.status, 200);
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let org_der = ClientIdentity::from_pem(org.cert_pem.as_bytes(), org.key_pem.as_bytes())
        .unwrap()
        .chain()[0]
        .as_ref()
        .to_vec();
    assert_eq!(seen[0].client_cert_sha256, sha256_hex(&org_der));
    let bearer = seen[0].authorization.as_deref().unwrap();
    let token = bearer.strip_prefix("Bearer ").unwrap();
    let jws = segur_psc::jwt::Jws::parse(token).unwrap();
    assert_eq!(jws.claims()["aud"], op::BACKEND_AUDIENCE);
    assert_eq!(jws.claims()["SubjectNameID"], NATIONAL_ID);
    assert_eq!(
        jws.claims()["cnf"]["x5t#S256"],
        thumbprint(&org_der, ThumbprintForm::Rfc8705)
    );
    // The desktop never saw it.
    assert!(!format!("{desktop:?}").contains(token));

    // A `psc_access_token` backend: the desktop gets the PSC access token itself (the one an
    // MSSanté operator introspects, PROXY.md), not an exchanged one; `fhir` keeps its token.
    let psc_token = desktop.for_backend("mss").unwrap().access_token().unwrap();
    assert!(
        segur_psc::jwt::Jws::parse(psc_token.expose()).is_err(),
        "opaque"
    );
    let seen = segur_psc::session::introspect(&introspector, psc_token.expose()).unwrap();
    assert!(seen.active);
    assert_eq!(seen.subject_name_id.as_deref(), Some(NATIONAL_ID));
    assert_eq!(seen.client_id.as_deref(), Some(op::MTLS_CLIENT_ID));
    let e = desktop
        .for_backend("fhir")
        .unwrap()
        .access_token()
        .unwrap_err();
    assert!(e.to_string().contains("token_not_released"), "{e}");

    // Disconnect: the proxy logs out of PSC; the session is gone on both sides.
    desktop.logout().unwrap();
    let e = desktop.whoami().unwrap_err();
    assert!(matches!(e, DesktopError::NotSignedIn), "{e:?}");
    let traces = std::fs::read_to_string(d.join("traces.jsonl")).unwrap();
    let kinds: Vec<String> = traces
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "\"CONNECT_FAILURE\"",
            "\"CONNECT_SUCCESS\"",
            "\"SEND\"",
            "\"TOKEN\"",
            "\"SEND_REFUSED\"",
            "\"DISCONNECT\""
        ]
    );
    assert!(!traces.contains("reason\":\"PSC logout failed"), "{traces}");
    assert!(!traces.contains(token));
}
