//! `segur ins search --auth psc` and `segur dmp --psc` on the desktop's PSC session: `segur psc
//! login` signs in through a real proxy e-Santé (segur-psc's server and PSC client) against the
//! certified npm `oidc-provider` configured like Pro Santé Connect (test-support/oidc); the
//! commands then take their token from the proxy with the same settings file. The INSi test
//! server in PSC mode and the DMP simulator (`Rules::bearer`) each require the token the proxy
//! holds for their backend; without the session the DMP refuses, after logout nothing is sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use segur_dmp::simulator::{BearerCheck, BearerRule, Rules, Simulator, SimulatorOptions};
use segur_net::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use segur_net::token::TokenProvider as _;
use segur_psc::PscClient;
use segur_psc::config::{ClientAuthConfig, ClientCredentials, PscConfig};
use segur_psc::desktop::{ProxySettings, ProxyTokenProvider};
use segur_psc::proxy::{ProxyConfig, ProxyServer, PscUpstream};
use segur_test_support::insi_server::{self, Mode, Seen};
use segur_test_support::oidc_provider::{self as op, OidcProvider};
use segur_test_support::pki;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const NATIONAL_ID: &str = "899700218896";
const PATIENT: &str = "279035121518989";

struct Run {
    code: i32,
    out: String,
    err: String,
}

/// `segur ARGS` with no SEGUR_PSC_* variable and no default settings file: the PSC session
/// comes from `--psc-config`/`--config` only.
fn segur(home: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segur"));
    for (name, _) in std::env::vars() {
        if name.starts_with("SEGUR_PSC_") {
            command.env_remove(name);
        }
    }
    let out = command
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8(out.stdout).unwrap(),
        err: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The DMP token the proxy holds for the session: accepted, and counted.
struct Expected {
    token: String,
    checks: AtomicUsize,
}

impl BearerCheck for Expected {
    fn accepts(&self, token: &str) -> bool {
        self.checks.fetch_add(1, Ordering::SeqCst);
        token == self.token
    }
}

#[test]
fn ins_search_and_dmp_take_their_token_from_the_psc_session() {
    let p = OidcProvider::start(1);
    let org = &p.pki.client;
    let mut psc = PscConfig::custom(
        &p.issuer,
        op::MTLS_CLIENT_ID,
        ClientAuthConfig::ClientSecretBasic {
            secret_env: "UNUSED".into(),
        },
    );
    psc.jwks_min_refetch_secs = 0;
    let client = PscClient::new(
        psc,
        &TrustAnchors::from_pem(p.pki.ca_pem.as_bytes()).unwrap(),
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
        ("proxy-ca.pem", proxy_ca.pem()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("proxy.pem", proxy_leaf.cert_pem.clone()),
        ("proxy.key", proxy_leaf.key_pem.clone()),
        ("poste.pem", poste.cert_pem.clone()),
        ("poste.key", poste.key_pem.clone()),
        ("backend-ca.pem", p.pki.ca_pem.clone()),
        ("org.pem", org.cert_pem.clone()),
        ("org.key", org.key_pem.clone()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    // INSi takes the PSC access token; the DMP a token exchanged for its audience. Both are
    // released to the desktop, which calls these services itself.
    std::fs::write(
        d.join("proxy.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
             client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-a]\n\
             [backends.insi]\nurl = \"https://localhost:1/insi\"\ntoken = \"psc_access_token\"\n\
             token_to_desktop = true\nca = \"backend-ca.pem\"\ncert = \"org.pem\"\nkey = \"org.key\"\n\
             [backends.dmp]\nurl = \"https://localhost:1/dmp\"\ntoken_endpoint = \"{token_endpoint}\"\n\
             audience = \"{}\"\nscope = \"dmp\"\ntoken_to_desktop = true\nca = \"backend-ca.pem\"\n\
             cert = \"org.pem\"\nkey = \"org.key\"\n",
            op::BACKEND2_AUDIENCE
        ),
    )
    .unwrap();
    let proxy = ProxyServer::start(
        ProxyConfig::load(&d.join("proxy.toml")).unwrap(),
        Arc::new(PscUpstream::new(client)),
    )
    .unwrap();
    let port = proxy.local_addr().port();
    let settings = d.join("psc.toml");
    std::fs::write(
        &settings,
        format!(
            "proxy = \"https://localhost:{port}\"\nca = \"proxy-ca.pem\"\ncert = \"poste.pem\"\n\
             key = \"poste.key\"\nclient_id = \"lgo-a\"\nsession_file = \"session\"\n"
        ),
    )
    .unwrap();
    let settings = settings.display().to_string();

    p.ciba_policy(NATIONAL_ID, "approve", 300, 30);
    let r = segur(
        d,
        &[
            "psc",
            "login",
            "--config",
            &settings,
            "--national-id",
            NATIONAL_ID,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);

    // What the proxy hands this session for each backend (the test's own desktop client on the
    // same session file): the services below require exactly these.
    let desktop = ProxyTokenProvider::new(ProxySettings {
        url: format!("https://localhost:{port}"),
        tls: TlsSettings::new(
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
    desktop
        .resume(std::fs::read_to_string(d.join("session")).unwrap().trim())
        .unwrap();
    let insi_token = desktop.for_backend("insi").unwrap().access_token().unwrap();
    let dmp_token = desktop.for_backend("dmp").unwrap().access_token().unwrap();
    let claims = segur_psc::jwt::Jws::parse(dmp_token.expose())
        .unwrap()
        .claims()
        .clone();
    assert_eq!(claims["aud"], op::BACKEND2_AUDIENCE);
    assert_eq!(claims["SubjectNameID"], NATIONAL_ID);
    assert_ne!(insi_token.expose(), dmp_token.expose());

    // INSi in PSC mode, requiring the session's PSC access token.
    let org_ca = insi_server::ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
    let insi_leaf = insi_server::leaf(&org_ca, "insi", &["localhost"], false, false);
    let insi_client = insi_server::leaf(&org_ca, "INSI-AUTO", &[], true, false);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let insi_port = insi_server::server_with_mode(
        &insi_leaf,
        &org_ca,
        seen.clone(),
        Mode::Psc {
            bearer: Some(insi_token.expose().to_owned()),
        },
    );
    for (name, text) in [
        ("insi-roots.pem", org_ca.pem()),
        ("insi.pem", insi_client.cert_pem.clone()),
        ("insi.key", insi_client.key_pem.clone()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let path = |f: &str| d.join(f).display().to_string();
    let endpoint = format!("https://localhost:{insi_port}/lps");
    let (roots, cert, key) = (path("insi-roots.pem"), path("insi.pem"), path("insi.key"));
    let search = |extra: &[&str]| {
        let mut args = vec![
            "ins",
            "search",
            "--endpoint",
            &endpoint,
            "--roots",
            &roots,
            "--cert",
            &cert,
            "--key",
            &key,
            "--idam",
            "TEST-IDAM",
            "--software-name",
            "segur-tests",
            "--software-version",
            "1.0",
            "--instance",
            "b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11",
            "--emitter",
            "officine-test",
            "--birth-name",
            "ECETINSI",
            "--given",
            "PIERRE-ALAIN",
            "--sex",
            "M",
            "--birth-date",
            "2009-07-14",
            "--auth",
            "psc",
            "--national-id",
            NATIONAL_ID,
            "--billing-id",
            "2A1234567",
            "--amo-specialty",
            "50",
            "--activity-sector",
            "SA33",
        ];
        args.extend_from_slice(extra);
        segur(d, &args)
    };
    let r = search(&["--psc-config", &settings]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(
        r.out.contains("auth: psc") && r.out.contains("found: yes"),
        "{}",
        r.out
    );
    for text in [&r.out, &r.err] {
        assert!(!text.contains(insi_token.expose()));
    }
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.authorizations.len(), 1);
        assert_eq!(
            seen.authorizations[0].as_deref(),
            Some(&*format!("Bearer {}", insi_token.expose()))
        );
        assert!(seen.requests[0].contains(r#"NameQualifier="PSC""#));
    }

    // The DMP simulator, requiring the session's DMP token on every request.
    let check = Arc::new(Expected {
        token: dmp_token.expose().to_owned(),
        checks: AtomicUsize::new(0),
    });
    let sim = Simulator::start(SimulatorOptions {
        rules: Rules {
            bearer: BearerRule::Required(check.clone()),
            ..Rules::default()
        },
        ..SimulatorOptions::default()
    })
    .unwrap();
    let dmp_dir = d.join("dmp");
    std::fs::create_dir(&dmp_dir).unwrap();
    let dmp_config = sim.write_config(&dmp_dir).unwrap().display().to_string();
    let status = |extra: &[&str]| {
        let mut args = vec!["dmp", "--config", &dmp_config, "status", "--ins", PATIENT];
        args.extend_from_slice(extra);
        segur(d, &args)
    };
    // Without a token: the DMP refuses before the check.
    let r = status(&[]);
    assert_ne!(r.code, 0, "{}", r.out);
    assert_eq!(check.checks.load(Ordering::SeqCst), 0);
    let r = status(&["--psc-config", &settings]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(
        r.err.contains("--psc-config is a setting of --psc"),
        "{}",
        r.err
    );
    let r = status(&["--psc", "--psc-config", &settings]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.out.contains("DMP: active"), "{}", r.out);
    assert_eq!(check.checks.load(Ordering::SeqCst), 1);
    for text in [&r.out, &r.err] {
        assert!(!text.contains(dmp_token.expose()));
    }
    // From a token file too (the flag of `ins search`).
    std::fs::write(d.join("dmp-token"), dmp_token.expose()).unwrap();
    let r = status(&["--token-file", &path("dmp-token")]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(check.checks.load(Ordering::SeqCst), 2);

    // Signed out: no token any more, nothing reaches the services.
    let r = segur(d, &["psc", "logout", "--config", &settings]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = status(&["--psc", "--psc-config", &settings]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(r.err.contains("PSC session"), "{}", r.err);
    assert_eq!(check.checks.load(Ordering::SeqCst), 2);
    let r = search(&["--psc-config", &settings]);
    assert_eq!(r.code, 2, "{}", r.out);
    assert!(r.err.contains("PSC session"), "{}", r.err);
    assert_eq!(seen.lock().unwrap().authorizations.len(), 1);
}
