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
