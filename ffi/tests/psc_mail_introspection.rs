//! Pro Santé Connect to the recipient's mailbox, every hop real: the desktop's
//! [`ProxyTokenProvider`] signs the professional in through the proxy e-Santé (segur-psc's
//! server over this crate family's PSC client), CIBA approved at the OpenID provider of the
//! tests (the npm `oidc-provider` configured like PSC, test-support/oidc), the proxy releases
//! the backend's token to the desktop (`GET /token/<backend>`), and segur-mssante submits a
//! message with it over SASL XOAUTH2 or OAUTHBEARER to Postfix, which asks Dovecot, whose
//! oauth2 passdb introspects the token at the provider (RFC 7662, verified TLS, as an MSSanté
//! operator does, psc.md §8) before the message is delivered over LMTP.
//!
//! Both tokens an operator might take are tried, as the proxy's `token` setting selects them
//! (which one operators accept is TO VERIFY): the PSC access token itself, and an RFC 8693
//! token exchanged for the MSSanté audience. Refused: a token the provider never issued (signed
//! with a key it does not publish, an HS256 token of another issuer, or opaque and unknown),
//! the professional's token for another mailbox, both real tokens once the professional's PSC
//! grant is revoked at the provider (over SMTP and IMAP), and any token when Dovecot does not
//! trust the provider's certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_mssante::compose::{MessageBuilder, ProductReference, Subject};
use segur_mssante::discovery::Endpoint;
use segur_mssante::imap::{ImapSession, ImapSettings};
use segur_mssante::read::ReadLimits;
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::tls::{TlsSettings, TrustAnchors};
use segur_mssante::token::{AccessToken, Authentication, OAuthMechanism, TokenProvider};
use segur_mssante::{ImapError, MailAddress, MssError, Recipient, SmtpError};
use segur_net::tls::ClientIdentity;
use segur_psc::PscClient;
use segur_psc::config::{ClientAuthConfig, ClientCredentials, PscConfig};
use segur_psc::desktop::{ProxySettings, ProxyTokenProvider};
use segur_psc::proxy::upstream::Channel;
use segur_psc::proxy::{ProxyConfig, ProxyServer, PscUpstream};
use segur_test_support::mail_servers::{DOMAIN, MailServers, TokenCheck};
use segur_test_support::oidc_provider::{self as op, OidcProvider};
use segur_test_support::pki;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The professional; the mailbox is named after the national id (`username_attribute =
/// SubjectNameID`, `username_format = %Ln`: mail_servers::TokenCheck).
const NATIONAL_ID: &str = "899700218896";

/// A token held by the desktop (taken from the proxy once, or made by the test).
struct Held(String);

impl TokenProvider for Held {
    fn access_token(&self) -> Result<AccessToken, segur_mssante::token::TokenError> {
        AccessToken::new(self.0.clone(), SystemTime::now() + Duration::from_secs(120))
    }
}

fn send(
    servers: &MailServers,
    tls: &TlsSettings,
    provider: Arc<dyn TokenProvider>,
    mechanism: OAuthMechanism,
    subject: &str,
) -> Result<(), MssError> {
    let from = MailAddress::parse(&format!("{NATIONAL_ID}@{DOMAIN}")).unwrap();
    let to = MailAddress::parse(&format!("doc@{DOMAIN}")).unwrap();
    let mut session = SmtpSession::connect(&SmtpSettings {
        endpoint: Endpoint::new("localhost", servers.submission_port),
        tls: tls.clone(),
        auth: Authentication::OAuth {
            user: from.clone(),
            provider,
            mechanism,
        },
        hello_name: "lgo.test".into(),
        timeout: Duration::from_secs(20),
    })?;
    let message = MessageBuilder::new(from, ProductReference::new("SEGUR-TEST-NIL-1").unwrap())
        .to(Recipient::professional(to).unwrap())
        .subject(Subject::plain(subject).unwrap())
        .text("Message de test.")
        .build()
        .unwrap();
    let report = session.send(&message, None)?;
    assert!(report.all_accepted(), "{report:?}");
    session.quit()
}

/// An IMAP session on the professional's own mailbox (Dovecot's oauth2 passdb again).
fn imap_login(
    servers: &MailServers,
    tls: &TlsSettings,
    provider: Arc<dyn TokenProvider>,
) -> Result<(), MssError> {
    let session = ImapSession::connect(&ImapSettings {
        endpoint: Endpoint::new("localhost", servers.imap_port),
        tls: tls.clone(),
        auth: Authentication::OAuth {
            user: MailAddress::parse(&format!("{NATIONAL_ID}@{DOMAIN}")).unwrap(),
            provider,
            mechanism: OAuthMechanism::XOAuth2,
        },
        mailbox: "INBOX".into(),
        timeout: Duration::from_secs(20),
        limits: ReadLimits::default(),
    })?;
    session.logout()
}

fn refused(r: Result<(), MssError>) {
    assert!(
        matches!(r, Err(MssError::Smtp(SmtpError::AuthenticationFailed(_)))),
        "{r:?}"
    );
}

#[test]
fn dovecot_introspects_the_token_the_proxy_releases() {
    let p = OidcProvider::start(1);
    // The operator's servers, and another pair whose Dovecot does not trust the provider's
    // certificate (started side by side: each takes seconds).
    let check = |ca_pem: &str| TokenCheck::Introspection {
        endpoint: p.introspection_endpoint(),
        client_id: op::RESOURCE_SERVER_ID.into(),
        client_secret: op::RESOURCE_SERVER_SECRET.into(),
        ca_pem: ca_pem.to_owned(),
        username_attribute: "SubjectNameID".into(),
    };
    let wrong = check(&p.pki.rogue_ca_pem);
    let wrong_ca = std::thread::spawn(move || MailServers::start_with(5_000_000, &wrong));
    let servers = MailServers::start_with(5_000_000, &check(&p.pki.ca_pem));
    let wrong_ca = wrong_ca.join().unwrap();
    let mail_tls = TlsSettings::new(
        &TrustAnchors::from_pem(servers.pki.ca_pem.as_bytes()).unwrap(),
        None,
    )
    .unwrap();

    // The proxy's PSC client: mutual TLS with the structure's certificate.
    let org = &p.pki.client;
    let mut config = PscConfig::custom(
        &p.issuer,
        op::MTLS_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic {
            secret_env: "UNUSED".into(),
        },
    );
    config.jwks_min_refetch_secs = 0;
    let client = PscClient::new(
        config,
        &segur_net::tls::TrustAnchors::from_pem(p.pki.ca_pem.as_bytes()).unwrap(),
        ClientCredentials::Mtls(
            ClientIdentity::from_pem(org.cert_pem.as_bytes(), org.key_pem.as_bytes()).unwrap(),
        ),
    )
    .unwrap();
    let token_endpoint = client.discovery().unwrap().token_endpoint.clone();

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
        ("idp-ca.pem", p.pki.ca_pem.clone()),
        ("org.pem", org.cert_pem.clone()),
        ("org.key", org.key_pem.clone()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    // `mss`: the PSC access token itself; `mss-x`: exchanged for the MSSanté audience.
    std::fs::write(
        d.join("proxy.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
             client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-a]\n\
             [backends.mss]\nurl = \"https://localhost:1/mss\"\ntoken = \"psc_access_token\"\n\
             token_to_desktop = true\nca = \"idp-ca.pem\"\ncert = \"org.pem\"\nkey = \"org.key\"\n\
             [backends.mss-x]\nurl = \"https://localhost:1/mss\"\ntoken = \"exchanged\"\n\
             token_endpoint = \"{token_endpoint}\"\naudience = \"{}\"\nscope = \"mail\"\n\
             token_to_desktop = true\nca = \"idp-ca.pem\"\ncert = \"org.pem\"\nkey = \"org.key\"\n",
            op::MSS_AUDIENCE
        ),
    )
    .unwrap();
    let proxy = ProxyServer::start(
        ProxyConfig::load(&d.join("proxy.toml")).unwrap(),
        Arc::new(PscUpstream::new(client)),
    )
    .unwrap();
    let desktop = ProxyTokenProvider::new(ProxySettings {
        url: format!("https://localhost:{}", proxy.local_addr().port()),
        tls: segur_net::tls::TlsSettings::new(
            &segur_net::tls::TrustAnchors::from_pem(proxy_ca.pem().as_bytes()).unwrap(),
            Some(
                &ClientIdentity::from_pem(poste.cert_pem.as_bytes(), poste.key_pem.as_bytes())
                    .unwrap(),
            ),
        )
        .unwrap(),
        client_id: "lgo-a".into(),
    })
    .unwrap();
    p.ciba_policy(NATIONAL_ID, "approve", 300, 30);
    let who = desktop
        .login(NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap();
    assert_eq!(who.national_id, NATIONAL_ID);

    // The PSC access token over XOAUTH2: introspected at the provider, delivered.
    let psc_token = Arc::new(desktop.for_backend("mss").unwrap());
    send(
        &servers,
        &mail_tls,
        psc_token.clone(),
        OAuthMechanism::XOAuth2,
        "jeton PSC",
    )
    .unwrap();
    assert!(servers.wait_delivered(&format!("doc@{DOMAIN}"), 1));

    // The exchanged token over OAUTHBEARER: a JWS for the MSSanté audience, introspected at
    // the exchange's authorisation server, delivered.
    let exchanged = Arc::new(desktop.for_backend("mss-x").unwrap());
    let jws_text = exchanged.access_token().unwrap().expose().to_owned();
    let jws = segur_psc::jwt::Jws::parse(&jws_text).unwrap();
    assert_eq!(jws.claims()["aud"], op::MSS_AUDIENCE);
    assert_eq!(jws.claims()["SubjectNameID"], NATIONAL_ID);
    send(
        &servers,
        &mail_tls,
        exchanged.clone(),
        OAuthMechanism::OAuthBearer,
        "jeton échangé",
    )
    .unwrap();
    assert!(servers.wait_delivered(&format!("doc@{DOMAIN}"), 2));

    // Another mailbox with the professional's token: introspection names another user.
    let other = MailAddress::parse(&format!("autre@{DOMAIN}")).unwrap();
    let r = SmtpSession::connect(&SmtpSettings {
        endpoint: Endpoint::new("localhost", servers.submission_port),
        tls: mail_tls.clone(),
        auth: Authentication::OAuth {
            user: other,
            provider: psc_token.clone(),
            mechanism: OAuthMechanism::XOAuth2,
        },
        hello_name: "lgo.test".into(),
        timeout: Duration::from_secs(20),
    })
    .map(|_| ());
    refused(r);

    // Tokens the provider never issued: the same claims signed with a key it does not
    // publish, and an opaque token it does not know.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let forged = p.sign(
        "rs2",
        json!({"typ": "at+jwt"}),
        json!({"iss": p.issuer, "aud": op::MSS_AUDIENCE, "sub": NATIONAL_ID,
               "SubjectNameID": NATIONAL_ID, "scope": "mail", "iat": now, "exp": now + 300,
               "jti": jws.claims()["jti"]}),
    );
    // The HS256 token of the mail harness's local mode, which another Dovecot would take.
    let foreign = segur_test_support::mail_servers::jwt(&format!("{NATIONAL_ID}@{DOMAIN}"), 300);
    for token in [
        forged,
        foreign,
        "opaque-token-unknown-to-the-provider".to_owned(),
    ] {
        refused(send(
            &servers,
            &mail_tls,
            Arc::new(Held(token)),
            OAuthMechanism::XOAuth2,
            "refusé",
        ));
    }

    // A Dovecot that does not trust the provider's certificate never sends it the token: the
    // login fails although the token is good.
    let tls = TlsSettings::new(
        &TrustAnchors::from_pem(wrong_ca.pki.ca_pem.as_bytes()).unwrap(),
        None,
    )
    .unwrap();
    let r = send(
        &wrong_ca,
        &tls,
        psc_token.clone(),
        OAuthMechanism::XOAuth2,
        "autorité inconnue",
    );
    // Dovecot reports an internal failure, which Postfix turns into 454 (RFC 4954 §6).
    assert!(
        matches!(
            &r,
            Err(MssError::Smtp(SmtpError::AuthenticationFailed(_)))
                | Err(MssError::Smtp(SmtpError::Refused { code: 454, .. }))
        ),
        "{r:?}"
    );
    let log = wrong_ca.dovecot_log();
    // Dovecot words it "SSL handshaking ... failed" or "SSL handshake to ... failed" depending
    // on when the refusal reaches its HTTP client: both are the TLS refusal.
    assert!(log.contains("Introspection failed: SSL handshak"), "{log}");
    assert!(!log.contains("saved mail"), "{log}");
    let stopping = std::thread::spawn(move || drop(wrong_ca));

    // Revoked at the provider (the PSC session ended elsewhere): both tokens the desktop holds
    // are dead at once, whatever their expiry.
    let held_psc = psc_token.access_token().unwrap().expose().to_owned();
    send(
        &servers,
        &mail_tls,
        Arc::new(Held(held_psc.clone())),
        OAuthMechanism::XOAuth2,
        "avant révocation",
    )
    .unwrap();
    assert!(servers.wait_delivered(&format!("doc@{DOMAIN}"), 3));
    imap_login(&servers, &mail_tls, Arc::new(Held(held_psc.clone()))).unwrap();
    assert!(p.revoke_grants(NATIONAL_ID) >= 1);
    let r = imap_login(&servers, &mail_tls, Arc::new(Held(held_psc.clone())));
    assert!(
        matches!(r, Err(MssError::Imap(ImapError::AuthenticationFailed(_)))),
        "{r:?}"
    );
    for (token, mechanism) in [
        (held_psc, OAuthMechanism::XOAuth2),
        (jws_text, OAuthMechanism::OAuthBearer),
    ] {
        refused(send(
            &servers,
            &mail_tls,
            Arc::new(Held(token)),
            mechanism,
            "révoqué",
        ));
    }
    // Nothing more was delivered, and Dovecot said why: the provider answered, inactive.
    std::thread::sleep(Duration::from_millis(300));
    let delivered = std::fs::read_dir(servers.path().join(format!("mail/doc@{DOMAIN}/new")))
        .unwrap()
        .count();
    assert_eq!(delivered, 3);
    let log = servers.dovecot_log();
    assert_eq!(
        log.matches("did not match '899700218896'").count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("Introspection failed: Provided token is not valid")
            .count(),
        6,
        "{log}"
    );
    let jti = jws.claims()["jti"].as_str().unwrap().to_owned();
    assert!(
        !log.contains(&jti) && !log.contains("eyJ"),
        "no token in logs"
    );
    stopping.join().unwrap();
}
