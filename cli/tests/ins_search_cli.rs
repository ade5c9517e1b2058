//! `segur ins search --auth mtls|psc|cps` against the local INSi server of segur-test-support,
//! which enforces the mode of its endpoint (`test-support/src/insi_server.rs`). The cps case
//! signs with a virtual CPS3 behind a real pcscd with the vpcd driver (the harness of
//! segur-cps-card's tests; needs root, pcscd and vsmartcard-vpcd, installed by
//! scripts/install-deps), the PIN given on `--pin-fd 0`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../cps-card/tests/common/mod.rs"]
mod common;

use segur_test_support::insi_server::{self, Ca, Leaf, Mode, Seen, ca, leaf};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

struct Setup {
    dir: tempfile::TempDir,
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

fn setup(mode: Mode) -> Setup {
    let org_ca: Ca = ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
    let server_leaf = leaf(&org_ca, "insi", &["localhost"], false, false);
    let client: Leaf = leaf(&org_ca, "INSI-AUTO", &[], true, false);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = insi_server::server_with_mode(&server_leaf, &org_ca, seen.clone(), mode);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roots.pem"), org_ca.pem()).unwrap();
    std::fs::write(dir.path().join("cert.pem"), &client.cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), &client.key_pem).unwrap();
    Setup { dir, port, seen }
}

fn base_args(s: &Setup, auth: &str) -> Vec<String> {
    let p = |f: &str| s.dir.path().join(f).display().to_string();
    let mut a: Vec<String> = [
        "ins",
        "search",
        "--endpoint",
        &format!("https://localhost:{}/lps", s.port),
        "--roots",
        &p("roots.pem"),
        "--cert",
        &p("cert.pem"),
        "--key",
        &p("key.pem"),
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
        auth,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if auth != "mtls" {
        for (flag, value) in [
            ("--national-id", "899700000001"),
            ("--billing-id", "2A1234567"),
            ("--amo-specialty", "50"),
            ("--activity-sector", "SA33"),
        ] {
            a.push(flag.into());
            a.push(value.into());
        }
    }
    a
}

fn segur(args: &[String], stdin: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .env_remove("SEGUR_PSC_TOKEN")
        // No PSC session either: no settings file, no SEGUR_PSC_* variable.
        .env("XDG_CONFIG_HOME", "/nonexistent-segur-config")
        .env_remove("SEGUR_PSC_CONFIG")
        .env_remove("SEGUR_PSC_PROXY")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn mtls_search_finds_and_reveals_only_on_request() {
    let s = setup(Mode::MutualTls);
    let args = base_args(&s, "mtls");
    let (code, out, err) = segur(&args, "", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("attempt 1: CodeCR 00"), "{out}");
    assert!(
        out.contains("auth: mtls") && out.contains("found: yes"),
        "{out}"
    );
    assert!(!out.contains("109076322083489"), "no INS without --reveal");
    let mut reveal = args.clone();
    reveal.push("--reveal".into());
    let (code, out, _) = segur(&reveal, "", &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("INS: 109076322083489 1.2.250.1.213.1.4.8"),
        "{out}"
    );
    // The same request at a PSC endpoint: the server's security fault, exit status 2.
    let p = setup(Mode::Psc { bearer: None });
    let (code, _, err) = segur(&base_args(&p, "mtls"), "", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("InvalidSecurity"), "{err}");
}

#[test]
fn psc_search_sends_the_assertion_and_the_token() {
    const TOKEN: &str = "psc-token-for-the-cli-test";
    let s = setup(Mode::Psc {
        bearer: Some(TOKEN.into()),
    });
    let token_file = s.dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut args = base_args(&s, "psc");
    args.push("--token-file".into());
    args.push(token_file.display().to_string());
    let (code, out, err) = segur(&args, "", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("auth: psc"), "{out}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    {
        let seen = s.seen.lock().unwrap();
        assert!(seen.requests[0].contains(r#"NameQualifier="PSC""#));
        assert_eq!(
            seen.authorizations[0].as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
    }
    // From the environment.
    let (code, _, err) = segur(&base_args(&s, "psc"), "", &[("SEGUR_PSC_TOKEN", TOKEN)]);
    assert_eq!(code, 0, "{err}");
    // No token at all: a usage error naming both sources, nothing sent.
    let before = s.seen.lock().unwrap().requests.len();
    let (code, _, err) = segur(&base_args(&s, "psc"), "", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--token-file, SEGUR_PSC_TOKEN or the PSC session"),
        "{err}"
    );
    assert_eq!(s.seen.lock().unwrap().requests.len(), before);
}

fn cert_pem(der: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.der"), der).unwrap();
    let out = segur_test_support::openssl(
        dir.path(),
        &["x509", "-inform", "DER", "-in", "c.der", "-outform", "PEM"],
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cps_search_signs_with_the_card_in_the_reader() {
    use common::vcard::{Kind, PIN, VirtualCard};
    use common::{Pcscd, PluggedCard, READER0};
    let keys = common::keys::cps3();
    // The card's signature certificate is self-signed in the card harness: it is the CA.
    let s = setup(Mode::Cpx {
        card_ca_pem: cert_pem(&keys.sign.cert_der),
    });
    let _pcscd = Pcscd::start();
    let _plugged = PluggedCard::insert_card(VirtualCard::with_keys(Kind::Cps3, keys), 35963);
    let mut args = base_args(&s, "cps");
    args.extend([
        "--reader".into(),
        READER0.into(),
        "--pin-fd".into(),
        "0".into(),
    ]);
    // pcscd reports the card once vpcd has powered it.
    let start = std::time::Instant::now();
    let (code, out, err) = loop {
        let r = segur(&args, &format!("{PIN}\n"), &[]);
        if r.0 == 0 || !r.2.contains("card") || start.elapsed() > std::time::Duration::from_secs(15)
        {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("auth: cps") && out.contains("found: yes"),
        "{out}"
    );
    let req = s.seen.lock().unwrap().requests.last().unwrap().clone();
    assert!(
        req.contains("CN=899700000001 SIGN TEST"),
        "Issuer is the card's DN"
    );
    // A wrong PIN: refused by the card, nothing sent.
    let before = s.seen.lock().unwrap().requests.len();
    let (code, _, err) = segur(&args, "9999\n", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("CPS card"), "{err}");
    assert_eq!(s.seen.lock().unwrap().requests.len(), before);
}
