//! `segur psc login`, `whoami [--json]` and `logout` through the binary, against a real proxy
//! e-Santé (segur-psc's server over mutual TLS, test PKI made at test time) whose PSC side
//! approves every CIBA request: the session file (mode 0600, token never printed), the view
//! (claims only), exit codes, and a token refused once logged out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use segur_net::token::AccessToken;
use segur_psc::proxy::upstream::{
    CibaPoll, CibaRequest, ExchangeTarget, PendingAuth, Professional, PscSession, Upstream,
    UpstreamError,
};
use segur_psc::proxy::{ProxyConfig, ProxyServer};
use segur_test_support::pki;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NATIONAL_ID: &str = "899700218896";

/// PSC approving at the first poll; the professional's name carries terminal escapes, which the
/// CLI must not pass to the terminal.
#[derive(Default)]
struct ApprovingPsc {
    logouts: AtomicUsize,
    bindings: Mutex<Vec<String>>,
}

impl Upstream for ApprovingPsc {
    fn start_ciba(&self, r: &CibaRequest<'_>) -> Result<PendingAuth, UpstreamError> {
        self.bindings
            .lock()
            .unwrap()
            .push(r.binding_message.as_str().to_owned());
        Ok(PendingAuth::new(
            r.national_id.to_owned(),
            Duration::from_millis(10),
            Duration::from_secs(10),
        ))
    }
    fn poll(&self, p: &PendingAuth) -> Result<CibaPoll, UpstreamError> {
        Ok(CibaPoll::Approved(Box::new(PscSession {
            state: Box::new(()),
            session_state: "state-1".into(),
            professional: Professional {
                national_id: p.auth_req_id().to_owned(),
                given_name: Some("Jeanne\u{1b}[31m".into()),
                family_name: Some("PHARMACIENNE".into()),
            },
        })))
    }
    fn cancel(&self, _: &PendingAuth) {}
    fn exchange(
        &self,
        _: &PscSession,
        _: &ExchangeTarget<'_>,
    ) -> Result<AccessToken, UpstreamError> {
        Err(UpstreamError::Unavailable("no backend in this test".into()))
    }
    fn logout(&self, _: &PscSession) -> Result<(), UpstreamError> {
        self.logouts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn segur(dir: &Path, port: u16, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("psc")
        .args(args)
        .env("SEGUR_PSC_PROXY", format!("https://localhost:{port}"))
        .env("SEGUR_PSC_CA", dir.join("proxy-ca.pem"))
        .env("SEGUR_PSC_CERT", dir.join("poste.pem"))
        .env("SEGUR_PSC_KEY", dir.join("poste.key"))
        .env("SEGUR_PSC_CLIENT_ID", "lgo-a")
        .env("SEGUR_PSC_SESSION_FILE", dir.join("session"))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8(out.stdout).unwrap(),
        err: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn login_whoami_logout_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let proxy = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    for (name, text) in [
        ("proxy-ca.pem", proxy_ca.pem()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("proxy.pem", proxy.cert_pem),
        ("proxy.key", proxy.key_pem),
        ("poste.pem", poste.cert_pem),
        ("poste.key", poste.key_pem),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    std::fs::write(
        d.join("proxy.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-a]\n",
    )
    .unwrap();
    let psc = Arc::new(ApprovingPsc::default());
    let server = ProxyServer::start(
        ProxyConfig::load(&d.join("proxy.toml")).unwrap(),
        psc.clone(),
    )
    .unwrap();
    let port = server.local_addr().port();

    // Not signed in yet: refused (1).
    let r = segur(d, port, &["whoami"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("not signed in"), "{}", r.err);

    let r = segur(
        d,
        port,
        &["login", "--national-id", NATIONAL_ID, "--channel", "mobile"],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let binding = psc.bindings.lock().unwrap()[0].clone();
    assert!(
        r.err.contains(&format!(
            "e-CPS application the request showing the code {binding}"
        )),
        "{}",
        r.err
    );
    assert!(
        r.out
            .starts_with(&format!("signed in: {NATIONAL_ID} (client lgo-a")),
        "{}",
        r.out
    );
    let token = std::fs::read_to_string(d.join("session")).unwrap();
    assert_eq!(token.len(), 43, "256-bit base64url token");
    assert!(!r.out.contains(&token) && !r.err.contains(&token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("session"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let r = segur(d, port, &["whoami", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).unwrap();
    assert_eq!(v["national_id"], NATIONAL_ID);
    assert_eq!(v["client_id"], "lgo-a");
    assert_eq!(v["session_state"], "state-1");
    assert!(v["expires_in"].as_u64().unwrap() > 1700);
    assert!(!r.out.contains(&token) && !r.out.contains("psc-access"));
    let r = segur(d, port, &["whoami"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("national id: 899700218896"), "{}", r.out);
    assert!(
        !r.out.contains('\u{1b}'),
        "escapes are not passed to the terminal"
    );

    // A session file others may read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("session"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let r = segur(d, port, &["whoami"]);
        assert_eq!(r.code, 2, "{}", r.err);
        assert!(r.err.contains("must be 0600"), "{}", r.err);
        std::fs::set_permissions(d.join("session"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    }

    let r = segur(d, port, &["logout"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(psc.logouts.load(Ordering::SeqCst), 1);
    assert!(!d.join("session").exists());
    // The old token, put back, is refused by the proxy.
    std::fs::write(d.join("session"), &token).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("session"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    }
    let r = segur(d, port, &["whoami"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("unknown_session"), "{}", r.err);
}

/// Kills the proxy process this test started when the test ends, even on failure.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_proxy_command_signs_in_through_oidc_provider() {
    use segur_test_support::oidc_provider::{self as op, OidcProvider};
    use std::io::BufRead;
    let p = OidcProvider::start(1);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let proxy = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    for (name, text) in [
        ("proxy-ca.pem", proxy_ca.pem()),
        ("desktops-ca.pem", desktop_ca.pem()),
        ("proxy.pem", proxy.cert_pem),
        ("proxy.key", proxy.key_pem),
        ("poste.pem", poste.cert_pem),
        ("poste.key", poste.key_pem),
        ("psc-ca.pem", p.pki.ca_pem.clone()),
        ("org.pem", p.pki.client.cert_pem.clone()),
        ("org.key", p.pki.client.key_pem.clone()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    std::fs::write(
        d.join("psc.toml"),
        format!(
            "environment = \"custom\"\nissuer = \"{}\"\nclient_id = \"{}\"\n\
             [client_auth]\nmethod = \"tls_client_auth_pem\"\nchain = \"{}\"\nkey = \"{}\"\n",
            p.issuer,
            op::MTLS_CLIENT_ID,
            d.join("org.pem").display(),
            d.join("org.key").display()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("proxy.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-a]\n\
         [psc]\nconfig = \"psc.toml\"\nca = \"psc-ca.pem\"\n",
    )
    .unwrap();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_segur"))
            .args(["psc", "proxy", "--config"])
            .arg(d.join("proxy.toml"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();

    p.ciba_policy(NATIONAL_ID, "approve", 600, 30);
    let r = segur(d, port, &["login", "--national-id", NATIONAL_ID]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err
            .contains("card reader (CPS-Gestion) the request showing the code"),
        "{}",
        r.err
    );
    let r = segur(d, port, &["whoami", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).unwrap();
    assert_eq!(v["national_id"], NATIONAL_ID);
    let r = segur(d, port, &["logout"]);
    assert_eq!(r.code, 0, "{}", r.err);
    // A refusal on the device: exit 1, named.
    p.ciba_policy("ANS20210107161429", "deny", 300, 30);
    let r = segur(d, port, &["login", "--national-id", "ANS20210107161429"]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("access_denied"), "{}", r.err);
    // A configuration without [psc] is refused by the command, naming the section.
    std::fs::write(
        d.join("bare.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["psc", "proxy", "--config"])
        .arg(d.join("bare.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no [psc] section"));
    // With structures, the one without its PSC client is named.
    std::fs::write(
        d.join("structures.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n\
         [structures.pharmacie-b]\n[clients.lgo-b]\nstructure = \"pharmacie-b\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["psc", "proxy", "--config"])
        .arg(d.join("structures.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no [structures.pharmacie-b.psc] section"),
        "{err}"
    );
}

/// `segur psc` with only the given variables (no SEGUR_PSC_* of the caller, HOME and
/// XDG_CONFIG_HOME pointing into the test folder).
fn segur_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segur"));
    command.arg("psc").args(args);
    for var in [
        "SEGUR_PSC_CONFIG",
        "SEGUR_PSC_PROXY",
        "SEGUR_PSC_CA",
        "SEGUR_PSC_CERT",
        "SEGUR_PSC_KEY",
        "SEGUR_PSC_CLIENT_ID",
        "SEGUR_PSC_SESSION_FILE",
        "XDG_CONFIG_HOME",
    ] {
        command.env_remove(var);
    }
    command.env("HOME", home);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8(out.stdout).unwrap(),
        err: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn settings_come_from_flags_then_env_then_the_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let proxy = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let poste = pki::leaf(&desktop_ca, "poste-1", &[], true, false);
    let conf = d.join("conf");
    std::fs::create_dir(&conf).unwrap();
    for (name, text) in [
        ("desktops-ca.pem", desktop_ca.pem()),
        ("proxy.pem", proxy.cert_pem),
        ("proxy.key", proxy.key_pem),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    for (name, text) in [
        ("proxy-ca.pem", proxy_ca.pem()),
        ("poste.pem", poste.cert_pem),
        ("poste.key", poste.key_pem),
    ] {
        std::fs::write(conf.join(name), text).unwrap();
    }
    std::fs::write(
        d.join("proxy.toml"),
        "listen = \"127.0.0.1:0\"\nserver_cert = \"proxy.pem\"\nserver_key = \"proxy.key\"\n\
         client_ca = \"desktops-ca.pem\"\ntrace_file = \"traces.jsonl\"\n[clients.lgo-a]\n",
    )
    .unwrap();
    let psc = Arc::new(ApprovingPsc::default());
    let server = ProxyServer::start(
        ProxyConfig::load(&d.join("proxy.toml")).unwrap(),
        psc.clone(),
    )
    .unwrap();
    let url = format!("https://localhost:{}", server.local_addr().port());
    // Paths relative to the file's folder.
    let file = conf.join("psc.toml");
    let settings = |client_id: &str| {
        format!(
            "proxy = \"{url}\"\nca = \"proxy-ca.pem\"\ncert = \"poste.pem\"\nkey = \"poste.key\"\n\
             client_id = \"{client_id}\"\nsession_file = \"session\"\n"
        )
    };
    std::fs::write(&file, settings("lgo-a")).unwrap();
    let file_arg = file.to_str().unwrap();
    let login = ["login", "--national-id", NATIONAL_ID];

    // Everything from --config.
    let r = segur_env(d, &[&login[..], &["--config", file_arg]].concat(), &[]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("(client lgo-a"), "{}", r.out);
    assert!(conf.join("session").is_file());
    let r = segur_env(d, &["whoami", "--json", "--config", file_arg], &[]);
    assert_eq!(r.code, 0, "{}", r.err);

    // The same file at the default place, through XDG_CONFIG_HOME, then through HOME.
    let xdg = d.join("xdg");
    std::fs::create_dir_all(xdg.join("segur")).unwrap();
    std::fs::write(
        xdg.join("segur/psc.toml"),
        settings("lgo-a")
            .replace(
                "\"proxy-ca.pem\"",
                &format!("{:?}", conf.join("proxy-ca.pem")),
            )
            .replace("\"poste.pem\"", &format!("{:?}", conf.join("poste.pem")))
            .replace("\"poste.key\"", &format!("{:?}", conf.join("poste.key")))
            .replace("\"session\"", &format!("{:?}", conf.join("session"))),
    )
    .unwrap();
    let r = segur_env(
        d,
        &["whoami"],
        &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("national id: 899700218896"), "{}", r.out);
    std::fs::create_dir_all(d.join(".config")).unwrap();
    std::fs::rename(xdg.join("segur"), d.join(".config/segur")).unwrap();
    let r = segur_env(d, &["whoami"], &[]);
    assert_eq!(r.code, 0, "{}", r.err);

    // The environment over the file, the option over the environment: an unknown client id
    // in the file is overridden by SEGUR_PSC_CLIENT_ID, which --client-id overrides in turn.
    std::fs::write(&file, settings("not-in-the-proxy")).unwrap();
    let r = segur_env(
        d,
        &[&login[..], &["--config", file_arg]].concat(),
        &[("SEGUR_PSC_CLIENT_ID", "lgo-a")],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("(client lgo-a"), "{}", r.out);
    let r = segur_env(
        d,
        &[&login[..], &["--client-id", "not-in-the-proxy"]].concat(),
        &[
            ("SEGUR_PSC_CONFIG", file_arg),
            ("SEGUR_PSC_CLIENT_ID", "lgo-a"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("unknown_client"), "{}", r.err);

    // A missing field names the three places; an unknown key and a missing file are named.
    std::fs::write(&file, format!("proxy = \"{url}\"\n")).unwrap();
    let r = segur_env(d, &["whoami", "--config", file_arg], &[]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.err
            .contains("missing ca: give --ca, SEGUR_PSC_CA or `ca` in"),
        "{}",
        r.err
    );
    std::fs::write(&file, format!("{}clientid = \"x\"\n", settings("lgo-a"))).unwrap();
    let r = segur_env(d, &["whoami", "--config", file_arg], &[]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("clientid"), "{}", r.err);
    let r = segur_env(
        d,
        &[
            "whoami",
            "--config",
            d.join("absent.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("absent.toml"), "{}", r.err);
    std::fs::remove_dir_all(d.join(".config")).unwrap();
    let r = segur_env(d, &["whoami"], &[]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("missing proxy"), "{}", r.err);
}
