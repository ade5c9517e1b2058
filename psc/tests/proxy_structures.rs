//! Two structures (pharmacies) behind one proxy e-Santé, each with its own PSC client (client
//! id and certificate) registered at the certified npm `oidc-provider` configured like Pro Santé
//! Connect (test-support/oidc): the proxy is built from its configuration file as `segur psc
//! proxy` builds it; the sessions of each structure sign in, exchange and log out through their
//! structure's client only; the backend sees each structure's certificate and a token bound to
//! it; a backend open to one structure only is refused to the other, and traced.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{backend, der_of, sha256_hex};
use segur_net::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use segur_net::token::TokenProvider as _;
use segur_psc::PscClient;
use segur_psc::config::{ClientCredentials, PscConfig, ThumbprintForm};
use segur_psc::desktop::{DesktopError, ProxySettings, ProxyTokenProvider};
use segur_psc::exchange::thumbprint;
use segur_psc::proxy::upstream::{
    BindingMessage, Channel, CibaPoll, CibaRequest, ExchangeTarget, UpstreamError,
};
use segur_psc::proxy::{ProxyConfig, ProxyError, ProxyServer, PscUpstream};
use segur_test_support::oidc_provider::{self as op, OidcProvider};
use segur_test_support::pki::{self, Leaf};
use std::path::Path;
use std::sync::Arc;

const ID_A: &str = "899700218896";
const ID_B: &str = "899700218904";

fn psc_toml(issuer: &str, client_id: &str, dir: &Path, prefix: &str) -> String {
    format!(
        "environment = \"custom\"\nissuer = \"{issuer}\"\nclient_id = \"{client_id}\"\n\
         [client_auth]\nmethod = \"tls_client_auth_pem\"\nchain = \"{}\"\nkey = \"{}\"\n",
        dir.join(format!("{prefix}.pem")).display(),
        dir.join(format!("{prefix}.key")).display()
    )
}

fn desktop(port: u16, proxy_ca: &str, poste: &Leaf, client_id: &str) -> ProxyTokenProvider {
    ProxyTokenProvider::new(ProxySettings {
        url: format!("https://localhost:{port}"),
        tls: TlsSettings::new(
            &TrustAnchors::from_pem(proxy_ca.as_bytes()).unwrap(),
            Some(
                &ClientIdentity::from_pem(poste.cert_pem.as_bytes(), poste.key_pem.as_bytes())
                    .unwrap(),
            ),
        )
        .unwrap(),
        client_id: client_id.into(),
    })
    .unwrap()
}

#[test]
fn each_structure_uses_its_own_psc_client_and_backends() {
    let p = OidcProvider::start(1);
    let (org_a, org_b) = (&p.pki.client, &p.pki.structure_b);
    let backend_ca = pki::ca("TEST AC SERVEURS");
    let api = backend(&backend_ca, &p.pki.ca_pem);
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let proxy_leaf = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste_a = pki::leaf(&desktop_ca, "poste-a", &[], true, false);
    let poste_b = pki::leaf(&desktop_ca, "poste-b", &[], true, false);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, text) in [
        ("proxy.pem", proxy_leaf.cert_pem.clone()),
        ("proxy.key", proxy_leaf.key_pem.clone()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("backend-ca.pem", backend_ca.pem()),
        ("psc-ca.pem", p.pki.ca_pem.clone()),
        ("a.pem", org_a.cert_pem.clone()),
        ("a.key", org_a.key_pem.clone()),
        ("b.pem", org_b.cert_pem.clone()),
        ("b.key", org_b.key_pem.clone()),
        (
            "psc-a.toml",
            psc_toml(&p.issuer, op::MTLS_CLIENT_ID, d, "a"),
        ),
        (
            "psc-b.toml",
            psc_toml(&p.issuer, op::STRUCTURE_B_CLIENT_ID, d, "b"),
        ),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let anchors = TrustAnchors::from_pem(p.pki.ca_pem.as_bytes()).unwrap();
    let token_endpoint = {
        let config =
            PscConfig::from_toml(&std::fs::read_to_string(d.join("psc-a.toml")).unwrap()).unwrap();
        let credentials = config.load_credentials().unwrap();
        let client = PscClient::new(config, &anchors, credentials).unwrap();
        client.discovery().unwrap().token_endpoint.clone()
    };
    let port = api.port;
    std::fs::write(
        d.join("proxy.toml"),
        format!(
            r#"listen = "127.0.0.1:0"
server_cert = "proxy.pem"
server_key = "proxy.key"
client_ca = "desktops-ca.pem"
trace_file = "traces.jsonl"

[clients.lgo-a]
structure = "pharmacie-a"
[clients.lgo-b]
structure = "pharmacie-b"

[backends.fhir]
url = "https://localhost:{port}/api"
token_endpoint = "{token_endpoint}"
audience = "{fhir}"
scope = "read"
ca = "backend-ca.pem"

[backends.dmp]
url = "https://localhost:{port}/dmp"
token_endpoint = "{token_endpoint}"
audience = "{dmp}"
scope = "dmp"
ca = "backend-ca.pem"

[structures.pharmacie-a.psc]
config = "psc-a.toml"
ca = "psc-ca.pem"
[structures.pharmacie-a.credentials]
fhir = {{ cert = "a.pem", key = "a.key" }}
dmp = {{ cert = "a.pem", key = "a.key" }}

[structures.pharmacie-b]
backends = ["fhir"]
psc = {{ config = "psc-b.toml", ca = "psc-ca.pem" }}
credentials.fhir = {{ cert = "b.pem", key = "b.key" }}
"#,
            fhir = op::BACKEND_AUDIENCE,
            dmp = op::BACKEND2_AUDIENCE,
        ),
    )
    .unwrap();
    let config = ProxyConfig::load(&d.join("proxy.toml")).unwrap();

    // One PSC client for two structures is refused: each needs its own.
    let any = Arc::new(PscUpstream::new(
        PscClient::new(
            PscConfig::from_toml(&std::fs::read_to_string(d.join("psc-a.toml")).unwrap()).unwrap(),
            &anchors,
            ClientCredentials::Mtls(
                ClientIdentity::from_pem(org_a.cert_pem.as_bytes(), org_a.key_pem.as_bytes())
                    .unwrap(),
            ),
        )
        .unwrap(),
    ));
    let e = ProxyServer::start(config.clone(), any).unwrap_err();
    assert!(matches!(e, ProxyError::Structures(_)), "{e}");

    let upstreams = PscUpstream::for_structures(&config).unwrap();
    assert_eq!(
        upstreams.keys().collect::<Vec<_>>(),
        ["pharmacie-a", "pharmacie-b"]
    );
    let proxy = ProxyServer::start_structures(config, upstreams).unwrap();
    let port = proxy.local_addr().port();
    let a = desktop(port, &proxy_ca.pem(), &poste_a, "lgo-a");
    let b = desktop(port, &proxy_ca.pem(), &poste_b, "lgo-b");

    p.ciba_policy(ID_A, "approve", 300, 30);
    p.ciba_policy(ID_B, "approve", 300, 30);
    assert_eq!(
        a.login(ID_A, Channel::Card, &mut |_| {})
            .unwrap()
            .national_id,
        ID_A
    );
    assert_eq!(
        b.login(ID_B, Channel::Mobile, &mut |_| {})
            .unwrap()
            .national_id,
        ID_B
    );
    assert_eq!(a.whoami().unwrap().backends, ["dmp", "fhir"]);
    assert_eq!(b.whoami().unwrap().backends, ["fhir"]);

    // Each relayed call goes over its structure's certificate, with a token its structure's
    // PSC client obtained and the provider bound to that certificate.
    for (desktop, org, client_id, national_id) in [
        (&b, org_b, op::STRUCTURE_B_CLIENT_ID, ID_B),
        (&a, org_a, op::MTLS_CLIENT_ID, ID_A),
    ] {
        let r = desktop.send("GET", "fhir", "Patient", None, None).unwrap();
        assert_eq!(r.status, 200);
        let seen = api.seen.lock().unwrap().last().cloned().unwrap();
        let der = der_of(org);
        assert_eq!(seen.client_cert_sha256, sha256_hex(&der));
        let bearer = seen.authorization.unwrap();
        let token = bearer.strip_prefix("Bearer ").unwrap();
        let jws = segur_psc::jwt::Jws::parse(token).unwrap();
        assert_eq!(jws.claims()["client_id"], client_id);
        assert_eq!(jws.claims()["SubjectNameID"], national_id);
        assert_eq!(
            jws.claims()["cnf"]["x5t#S256"],
            thumbprint(&der, ThumbprintForm::Rfc8705)
        );
    }
    let relayed = api.seen.lock().unwrap().len();
    assert_eq!(relayed, 2);

    // Structure B's session never reaches A's backend: neither relayed nor its token handed.
    let e = b.send("GET", "dmp", "DocumentEntry", None, None);
    let Err(DesktopError::Http(segur_net::http::HttpError::Status {
        code: 403,
        response,
    })) = e
    else {
        panic!("{e:?}");
    };
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["code"], "backend_of_another_structure");
    let e = b.for_backend("dmp").unwrap().access_token().unwrap_err();
    assert!(
        e.to_string().contains("backend_of_another_structure"),
        "{e}"
    );
    assert_eq!(api.seen.lock().unwrap().len(), relayed);
    // A's application token from B's workstation and client id: refused, A's session intact.
    let stolen = desktop(port, &proxy_ca.pem(), &poste_b, "lgo-b");
    stolen
        .resume(a.application_token().unwrap().as_str())
        .unwrap();
    let e = stolen.whoami().unwrap_err();
    assert!(e.to_string().contains("foreign_token"), "{e}");
    assert_eq!(a.whoami().unwrap().national_id, ID_A);

    a.logout().unwrap();
    b.logout().unwrap();
    assert!(matches!(b.whoami().unwrap_err(), DesktopError::NotSignedIn));

    let traces: Vec<serde_json::Value> = std::fs::read_to_string(d.join("traces.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let refused: Vec<_> = traces
        .iter()
        .filter(|t| t["reason"] == "backend of another structure")
        .collect();
    assert_eq!(refused.len(), 2, "{traces:?}");
    for t in refused {
        assert_eq!(t["type"], "SEND_REFUSED");
        assert_eq!(t["clientId"], "lgo-b");
        assert_eq!(t["structure"], "pharmacie-b");
        assert_eq!(t["apiRequest"]["nomApiPsc"], "dmp");
    }
    // Both logouts went to PSC through the session's own client and succeeded there.
    let disconnects: Vec<_> = traces
        .iter()
        .filter(|t| t["type"] == "DISCONNECT")
        .collect();
    assert_eq!(disconnects.len(), 2);
    let structures: Vec<_> = disconnects.iter().map(|t| t["structure"].clone()).collect();
    assert_eq!(structures, ["pharmacie-a", "pharmacie-b"]);
    assert!(
        disconnects
            .iter()
            .all(|t| t.get("reason").is_none_or(|r| r.is_null())),
        "{traces:?}"
    );

    // Below the proxy: a session made by structure A's PSC client is refused by B's, which
    // never refreshes, exchanges or logs it out with its own credentials.
    let upstreams =
        PscUpstream::for_structures(&ProxyConfig::load(&d.join("proxy.toml")).unwrap()).unwrap();
    let (up_a, up_b) = (&upstreams["pharmacie-a"], &upstreams["pharmacie-b"]);
    p.ciba_policy(ID_A, "approve", 300, 30);
    let pending = up_a
        .start_ciba(&CibaRequest {
            national_id: ID_A,
            binding_message: BindingMessage::parse("42").unwrap(),
            channel: Channel::Card,
        })
        .unwrap();
    let session = loop {
        std::thread::sleep(pending.interval);
        match up_a.poll(&pending).unwrap() {
            CibaPoll::Approved(s) => break *s,
            CibaPoll::Pending | CibaPoll::SlowDown => {}
        }
    };
    let identity_b =
        ClientIdentity::from_pem(org_b.cert_pem.as_bytes(), org_b.key_pem.as_bytes()).unwrap();
    let target = ExchangeTarget {
        backend: "fhir",
        token_endpoint: &token_endpoint,
        audience: Some(op::BACKEND_AUDIENCE),
        scope: Some("read"),
        identity: &identity_b,
    };
    for refused in [
        up_b.exchange(&session, &target).map(|_| ()),
        up_b.access_token(&session).map(|_| ()),
        up_b.logout(&session),
    ] {
        assert!(
            matches!(&refused, Err(UpstreamError::Refused(m)) if m.contains("another PSC client")),
            "{refused:?}"
        );
    }
    assert!(up_a.exchange(&session, &target).is_ok());
    up_a.logout(&session).unwrap();
}
