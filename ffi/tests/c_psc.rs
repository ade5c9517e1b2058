//! The C program `ffi/tests/c/test_psc.c` (gcc -Wall -Wextra -Werror -pedantic against segur.h
//! and the libsegur.so of this build) against a real proxy e-Santé (segur-psc's server, mutual
//! TLS, test PKI made at test time) and the real Postfix + Dovecot of the MSSanté tests: the
//! desktop provider signs in by CIBA, and an MSSanté message goes out with XOAUTH2 carrying the
//! token the proxy releases for its `mss` backend, which Dovecot validates. Once as is, once
//! under valgrind (no error, no definite or indirect leak).
//!
//! PSC itself sits behind segur-psc's `Upstream` trait: CIBA approved at the second poll, and
//! the `mss` exchange answered with a token Dovecot's oauth2 passdb accepts for the sender.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_net::token::AccessToken;
use segur_psc::proxy::upstream::{
    CibaPoll, CibaRequest, ExchangeTarget, PendingAuth, Professional, PscSession, Upstream,
    UpstreamError,
};
use segur_psc::proxy::{ProxyConfig, ProxyServer};
use segur_test_support::mail_servers::{DOMAIN, MailServers, jwt};
use segur_test_support::pki;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};
use support::c_program::{build_c, require, staged_library};

const NATIONAL_ID: &str = "899700218896";

struct Psc {
    sender: String,
    polls: AtomicUsize,
    logouts: AtomicUsize,
}

impl Upstream for Psc {
    fn start_ciba(&self, r: &CibaRequest<'_>) -> Result<PendingAuth, UpstreamError> {
        Ok(PendingAuth::new(
            r.national_id.to_owned(),
            Duration::from_millis(300),
            Duration::from_secs(30),
        ))
    }
    fn poll(&self, p: &PendingAuth) -> Result<CibaPoll, UpstreamError> {
        if self.polls.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            return Ok(CibaPoll::Pending);
        }
        Ok(CibaPoll::Approved(Box::new(PscSession {
            state: Box::new(()),
            session_state: "state".into(),
            professional: Professional {
                national_id: p.auth_req_id().to_owned(),
                given_name: None,
                family_name: None,
            },
        })))
    }
    fn cancel(&self, _: &PendingAuth) {}
    fn exchange(
        &self,
        _: &PscSession,
        t: &ExchangeTarget<'_>,
    ) -> Result<AccessToken, UpstreamError> {
        assert_eq!(t.backend, "mss");
        AccessToken::new(
            jwt(&self.sender, 600),
            SystemTime::now() + Duration::from_secs(600),
        )
        .map_err(|e| UpstreamError::Unavailable(e.to_string()))
    }
    fn logout(&self, _: &PscSession) -> Result<(), UpstreamError> {
        self.logouts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn c_program_signs_in_through_the_proxy_and_sends_mail_with_its_token() {
    let servers = MailServers::start(5_000_000);
    let dir = servers.path().to_path_buf();
    let sender = format!("pharma@{DOMAIN}");
    let recipient = format!("doc@{DOMAIN}");
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let org_ca = pki::ca("TEST AC ORGANISATIONS");
    let proxy_leaf = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    let org = pki::leaf(&org_ca, "ORG AUTH_CLI", &[], true, false);
    for (name, text) in [
        ("proxy-ca.pem", proxy_ca.pem()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("org-ca.pem", org_ca.pem()),
        ("proxy.pem", proxy_leaf.cert_pem),
        ("proxy.key", proxy_leaf.key_pem),
        ("poste.pem", poste.cert_pem),
        ("poste.key", poste.key_pem),
        ("org.pem", org.cert_pem),
        ("org.key", org.key_pem),
        ("mail-ca.pem", servers.pki.ca_pem.clone()),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(
        dir.join("proxy.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-c]\n\
         [backends.mss]\nurl = \"https://localhost:1/mss\"\n\
         token_endpoint = \"https://localhost:1/token\"\nca = \"org-ca.pem\"\ncert = \"org.pem\"\n\
         key = \"org.key\"\ntoken_to_desktop = true\n",
    )
    .unwrap();
    let psc = Arc::new(Psc {
        sender: sender.clone(),
        polls: AtomicUsize::new(0),
        logouts: AtomicUsize::new(0),
    });
    let proxy = ProxyServer::start(
        ProxyConfig::load(&dir.join("proxy.toml")).unwrap(),
        psc.clone(),
    )
    .unwrap();
    let program = dir.join("test_psc");
    build_c("test_psc", &staged_library(&dir), &program);
    require("valgrind", "--version");

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
    assert_eq!(psc.logouts.load(Ordering::SeqCst), 1);
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
    assert_eq!(psc.logouts.load(Ordering::SeqCst), 2);

    // The proxy traced both sessions and both token hand-outs, never the token.
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
    assert!(!traces.contains("eyJ"), "no JWT in the traces");
}
