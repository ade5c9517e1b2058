//! The C program `ffi/tests/c/test_psc.c` (gcc -Wall -Wextra -Werror -pedantic against segur.h
//! and the libsegur.so of this build) against a real proxy e-Santé (segur-psc's server over the
//! PSC client, mutual TLS, test PKI made at test time), the npm `oidc-provider` configured like
//! Pro Santé Connect (test-support/oidc) and the real Postfix + Dovecot of the MSSanté tests: the
//! desktop provider signs in by CIBA (approved at the provider), and an MSSanté message goes out
//! with XOAUTH2 carrying the PSC access token the proxy releases for its `mss` backend (`token =
//! "psc_access_token"`), which Dovecot introspects at the provider (RFC 7662) before delivery.
//! Once as is, once under valgrind (no error, no definite or indirect leak).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_net::tls::{ClientIdentity, TrustAnchors};
use segur_psc::PscClient;
use segur_psc::config::{ClientAuthConfig, ClientCredentials, PscConfig};
use segur_psc::proxy::{ProxyConfig, ProxyServer, PscUpstream};
use segur_test_support::mail_servers::{DOMAIN, MailServers, TokenCheck};
use segur_test_support::oidc_provider::{self as op, OidcProvider};
use segur_test_support::pki;
use std::process::Command;
use std::sync::Arc;
use support::c_program::{build_c, require, staged_library};

/// The professional; the mailbox is named after the national id (Dovecot matches the
/// introspected `SubjectNameID` to its local part: mail_servers::TokenCheck).
const NATIONAL_ID: &str = "899700218896";

#[test]
fn c_program_signs_in_through_the_proxy_and_sends_mail_with_its_token() {
    let p = OidcProvider::start(1);
    p.ciba_policy(NATIONAL_ID, "approve", 0, 30);
    let check = TokenCheck::Introspection {
        endpoint: p.introspection_endpoint(),
        client_id: op::RESOURCE_SERVER_ID.into(),
        client_secret: op::RESOURCE_SERVER_SECRET.into(),
        ca_pem: p.pki.ca_pem.clone(),
        username_attribute: "SubjectNameID".into(),
    };
    // Postfix and Dovecot start while the C program builds.
    let servers = std::thread::spawn(move || MailServers::start_with(5_000_000, &check));
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().to_path_buf();
    let sender = format!("{NATIONAL_ID}@{DOMAIN}");
    let recipient = format!("doc@{DOMAIN}");
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let proxy_leaf = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    // The structure's certificate, registered at the provider (mutual TLS to PSC).
    let org = &p.pki.client;
    for (name, text) in [
        ("proxy-ca.pem", proxy_ca.pem()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("idp-ca.pem", p.pki.ca_pem.clone()),
        ("proxy.pem", proxy_leaf.cert_pem),
        ("proxy.key", proxy_leaf.key_pem),
        ("poste.pem", poste.cert_pem),
        ("poste.key", poste.key_pem),
        ("org.pem", org.cert_pem.clone()),
        ("org.key", org.key_pem.clone()),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(
        dir.join("proxy.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-c]\n\
         [backends.mss]\nurl = \"https://localhost:1/mss\"\ntoken = \"psc_access_token\"\n\
         ca = \"idp-ca.pem\"\ncert = \"org.pem\"\nkey = \"org.key\"\ntoken_to_desktop = true\n",
    )
    .unwrap();
    let mut config = PscConfig::custom(
        &p.issuer,
        op::MTLS_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic {
            secret_env: "UNUSED".into(),
        },
    );
    config.jwks_min_refetch_secs = 0;
    // The provider approves at once: the first poll, 200 ms after the acknowledgement rather
    // than its 1 s interval, finds the tokens (no second poll, so no slow_down).
    config.ciba_poll_interval_ms = Some(200);
    let client = PscClient::new(
        config,
        &TrustAnchors::from_pem(p.pki.ca_pem.as_bytes()).unwrap(),
        ClientCredentials::Mtls(
            ClientIdentity::from_pem(org.cert_pem.as_bytes(), org.key_pem.as_bytes()).unwrap(),
        ),
    )
    .unwrap();
    let proxy = ProxyServer::start(
        ProxyConfig::load(&dir.join("proxy.toml")).unwrap(),
        Arc::new(PscUpstream::new(client)),
    )
    .unwrap();
    let program = dir.join("test_psc");
    build_c("test_psc", &staged_library(&dir), &program);
    require("valgrind", "--version");
    let servers = servers.join().unwrap();
    std::fs::write(dir.join("mail-ca.pem"), &servers.pki.ca_pem).unwrap();

    let run = |mut command: Command, delivered: usize| {
        let shown = format!("{command:?}");
        let out = command
            .arg(format!("https://localhost:{}", proxy.local_addr().port()))
            .arg(dir.join("proxy-ca.pem"))
            .arg(dir.join("poste.pem"))
            .arg(dir.join("poste.key"))
            .arg("lgo-c")
            .arg(NATIONAL_ID)
            .arg(servers.submission_port.to_string())
            .arg(dir.join("mail-ca.pem"))
            .arg(&sender)
            .arg(&recipient)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{shown} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains("test_psc: "), "{stdout}");
        assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");
        // Dovecot accepted the token and the message reached the recipient's mailbox.
        assert!(servers.wait_delivered(&recipient, delivered));
    };
    run(Command::new(&program), 1);
    let mut valgrind = Command::new("valgrind");
    valgrind
        .arg(format!(
            "--suppressions={}/tests/valgrind/ring-aead.supp",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ])
        .arg(&program);
    run(valgrind, 2);

    // Dovecot introspected both tokens at the provider, and both were good.
    let log = servers.dovecot_log();
    assert!(!log.contains("oauth2 failed"), "{log}");
    assert_eq!(log.matches("saved mail to INBOX").count(), 2, "{log}");

    // The proxy traced both sessions, both token hand-outs and both logouts (each logged out
    // of PSC), never the token.
    let traces = std::fs::read_to_string(dir.join("traces.jsonl")).unwrap();
    let kinds: Vec<String> = traces
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "\"CONNECT_SUCCESS\"").count(),
        2
    );
    assert_eq!(kinds.iter().filter(|k| *k == "\"TOKEN\"").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "\"DISCONNECT\"").count(), 2);
    assert!(!traces.contains("PSC logout failed"), "{traces}");
    assert!(!traces.contains("eyJ"), "no JWT in the traces");
}
