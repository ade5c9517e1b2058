//! The C program `ffi/tests/c/test_psc_clients.c` (gcc -Wall -Wextra -Werror -pedantic against
//! segur.h and the libsegur.so of this build): ONE `segur_psc_provider` handle, signed in
//! through a real proxy e-Santé (segur-psc's server, mutual TLS, test PKI made at test time),
//! gives its tokens to an INSi client in PSC mode and to a DMP client. The local INSi server of
//! the segur-ins tests (PSC mode) requires the token the proxy releases for its `insi` backend;
//! the DMP simulator of segur-dmp requires the one of the `dmp` backend (`BearerRule`). The
//! provider is freed before the clients once and after them once. Once as is, once under
//! valgrind (no error, no definite or indirect leak).
//!
//! PSC itself sits behind segur-psc's `Upstream` trait: CIBA approved at the second poll, each
//! backend's exchange answered with a token of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_dmp::simulator::{BearerCheck, BearerRule, Rules, Simulator, SimulatorOptions};
use segur_net::token::AccessToken;
use segur_psc::proxy::upstream::{
    CibaPoll, CibaRequest, ExchangeTarget, PendingAuth, Professional, PscSession, Upstream,
    UpstreamError,
};
use segur_psc::proxy::{ProxyConfig, ProxyServer};
use segur_test_support::insi_server::{self, Mode, Seen};
use segur_test_support::pki;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use support::c_program::{build_c, require, staged_library};

const NATIONAL_ID: &str = "899700218896";
/// The tokens PSC's exchange gives each backend (RFC 6750 `b64token`s).
const INSI_TOKEN: &str = "psc-exchanged-for-insi";
const DMP_TOKEN: &str = "psc-exchanged-for-dmp";
/// The patient of the builder's VAC-NOTE example (test INS-NIR): an active DMP.
const PATIENT: &str = "279035121518989";

struct Psc {
    polls: AtomicUsize,
    exchanges: Mutex<Vec<String>>,
}

impl Upstream for Psc {
    fn start_ciba(&self, r: &CibaRequest<'_>) -> Result<PendingAuth, UpstreamError> {
        Ok(PendingAuth::new(
            r.national_id.to_owned(),
            Duration::from_millis(100),
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
        self.exchanges.lock().unwrap().push(t.backend.to_owned());
        let token = match t.backend {
            "insi" => INSI_TOKEN,
            "dmp" => DMP_TOKEN,
            other => return Err(UpstreamError::Unavailable(format!("no backend {other}"))),
        };
        AccessToken::new(token.into(), SystemTime::now() + Duration::from_secs(600))
            .map_err(|e| UpstreamError::Unavailable(e.to_string()))
    }
    fn logout(&self, _: &PscSession) -> Result<(), UpstreamError> {
        Ok(())
    }
}

/// The DMP's side of the token: only the `dmp` backend's, counted.
struct DmpToken(AtomicUsize);

impl BearerCheck for DmpToken {
    fn accepts(&self, token: &str) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        token == DMP_TOKEN
    }
}

#[test]
fn one_provider_serves_insi_and_the_dmp_and_is_freed_in_either_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // The proxy e-Santé, with the `insi` and `dmp` backends releasing their tokens.
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let org_ca = pki::ca("TEST AC ORGANISATIONS");
    let proxy_leaf = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    let org = pki::leaf(&org_ca, "ORG AUTH_CLI", &[], true, false);

    // INSi in PSC mode, requiring the `insi` token.
    let (insi_server_ca, insi_client_ca) =
        (insi_server::ca("server CA"), insi_server::ca("client CA"));
    let insi_leaf = insi_server::leaf(
        &insi_server_ca,
        "insi.localhost",
        &["localhost"],
        false,
        false,
    );
    let insi_client = insi_server::leaf(&insi_client_ca, "LGO", &[], true, false);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let insi_port = insi_server::server_with_mode(
        &insi_leaf,
        &insi_client_ca,
        seen.clone(),
        Mode::Psc {
            bearer: Some(INSI_TOKEN.into()),
        },
    );

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
        ("insi-ca.pem", insi_server_ca.cert.pem()),
        ("insi-client.pem", insi_client.cert_pem),
        ("insi-client.key", insi_client.key_pem),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let backend = |name: &str| {
        format!(
            "[backends.{name}]\nurl = \"https://localhost:1/{name}\"\n\
             token_endpoint = \"https://localhost:1/token\"\nca = \"org-ca.pem\"\n\
             cert = \"org.pem\"\nkey = \"org.key\"\ntoken_to_desktop = true\n"
        )
    };
    std::fs::write(
        dir.join("proxy.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
             client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-c]\n{}{}",
            backend("insi"),
            backend("dmp")
        ),
    )
    .unwrap();
    let psc = Arc::new(Psc {
        polls: AtomicUsize::new(0),
        exchanges: Mutex::new(Vec::new()),
    });
    let proxy = ProxyServer::start(
        ProxyConfig::load(&dir.join("proxy.toml")).unwrap(),
        psc.clone(),
    )
    .unwrap();

    // The DMP simulator, requiring the `dmp` token.
    let check = Arc::new(DmpToken(AtomicUsize::new(0)));
    let sim = Simulator::start(SimulatorOptions {
        rules: Rules {
            bearer: BearerRule::Required(check.clone()),
            ..Rules::default()
        },
        ..SimulatorOptions::default()
    })
    .unwrap();
    let dmp_dir = dir.join("dmp");
    std::fs::create_dir(&dmp_dir).unwrap();
    let dmp_config = sim.write_config(&dmp_dir).unwrap();

    let program = dir.join("test_psc_clients");
    build_c("test_psc_clients", &staged_library(dir), &program);
    require("valgrind", "--version");

    let run = |mut command: Command| {
        let shown = format!("{command:?}");
        let out = command
            .arg(format!("https://localhost:{}", proxy.local_addr().port()))
            .arg(dir.join("proxy-ca.pem"))
            .arg(dir.join("poste.pem"))
            .arg(dir.join("poste.key"))
            .arg("lgo-c")
            .arg(NATIONAL_ID)
            .arg(format!("https://127.0.0.1:{insi_port}/lps"))
            .arg(dir.join("insi-ca.pem"))
            .arg(dir.join("insi-client.pem"))
            .arg(dir.join("insi-client.key"))
            .arg(&dmp_config)
            .arg(PATIENT)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{shown} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains("test_psc_clients: "), "{stdout}");
        assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");
        assert!(!stderr.contains(PATIENT), "{stderr}");
    };

    run(Command::new(&program));
    // Two DMP requests carried a token (one with the provider already freed), each checked;
    // the one sent before the provider was set was refused without reaching the check.
    assert_eq!(check.0.load(Ordering::SeqCst), 2);
    let insi_with_token = |seen: &Seen| {
        seen.authorizations
            .iter()
            .filter(|a| a.as_deref() == Some(&*format!("Bearer {INSI_TOKEN}")))
            .count()
    };
    let after_first = {
        let seen = seen.lock().unwrap();
        // One search before the PSC mode was set (no token: refused), then one search in each
        // order (the first found at its first attempt), each with the `insi` token.
        assert_eq!(seen.authorizations.len(), 3);
        assert_eq!(seen.authorizations[0], None);
        assert_eq!(insi_with_token(&seen), 2);
        assert!(
            seen.requests
                .iter()
                .skip(1)
                .all(|r| r.contains(r#"NameQualifier="PSC""#))
        );
        seen.authorizations.len()
    };
    // The proxy exchanged a token for each backend of each session (two sessions).
    {
        let exchanges = psc.exchanges.lock().unwrap();
        assert!(exchanges.iter().any(|b| b == "insi"), "{exchanges:?}");
        assert!(exchanges.iter().any(|b| b == "dmp"), "{exchanges:?}");
    }

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
    run(valgrind);
    assert_eq!(check.0.load(Ordering::SeqCst), 4);
    assert_eq!(
        insi_with_token(&seen.lock().unwrap()),
        2 * (after_first - 1)
    );
    // The proxy traced the token hand-outs, never a token.
    let traces = std::fs::read_to_string(dir.join("traces.jsonl")).unwrap();
    assert!(traces.contains("\"TOKEN\""), "{traces}");
    assert!(!traces.contains(INSI_TOKEN) && !traces.contains(DMP_TOKEN));
}
