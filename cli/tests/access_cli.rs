//! `segur access` through the binary, each exact command as other tools call it: init, user
//! add (password on stdin), totp enroll (otpauth:// URI, QR code PNG read back with zbarimg),
//! login (session id printed, exit 1 refused), check (exit 0 allowed, 1 denied) from another
//! process, audit verify (exit 1 naming the first bad entry after tampering) and audit export.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_access::clock::{Clock, SystemClock};
use segur_access::totp::{Totp, TotpParams, TotpSecret};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const PASSWORD: &str = "Correct-Horse-Battery-9";

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn segur(db: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_segur"))
        .arg("access")
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("SEGUR_ACCESS_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8(out.stdout).unwrap(),
        err: String::from_utf8(out.stderr).unwrap(),
    }
}

fn totp_of(uri: &str) -> Totp {
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    Totp::new(
        TotpSecret::from_bytes(
            &data_encoding::BASE32_NOPAD
                .decode(secret.as_bytes())
                .unwrap(),
        )
        .unwrap(),
        TotpParams::default(),
    )
    .unwrap()
}

/// Waits for the next 30 s step when the current one is about to end, so a code printed now is
/// still current when the login process checks it.
fn fresh_code(totp: &Totp) -> String {
    let now = SystemClock.now();
    if now.0 % 30 > 25 {
        std::thread::sleep(std::time::Duration::from_secs(6));
    }
    totp.code_at(SystemClock.now()).to_string()
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("officine.db");
    let r = segur(&db, &["init"], None);
    assert_eq!(r.code, 0, "{}", r.err);
    (dir, db)
}

#[test]
fn init_creates_the_database_and_a_0600_key_file() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, db) = setup();
    let key = db.with_extension("db.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A second init is refused and the key is never overwritten.
    let before = std::fs::read(&key).unwrap();
    let r = segur(&db, &["init"], None);
    assert_eq!(r.code, 2);
    assert_eq!(std::fs::read(&key).unwrap(), before);
    // A key readable by others is refused.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = segur(
        &db,
        &["user", "add", "marie", "--role", "titulaire"],
        Some(PASSWORD),
    );
    assert_eq!(r.code, 2);
    assert!(r.err.contains("0600"), "{}", r.err);
}

#[test]
fn full_flow_through_the_exact_commands() {
    let (dir, db) = setup();
    for (name, role) in [("marie", "titulaire"), ("luc", "preparateur")] {
        let r = segur(
            &db,
            &["user", "add", name, "--role", role],
            Some(&format!("{PASSWORD}\n")),
        );
        assert_eq!(r.code, 0, "{}", r.err);
        assert!(!r.out.contains(PASSWORD) && !r.err.contains(PASSWORD));
    }
    // Unknown role, weak password, existing account: refused with the reason.
    let r = segur(&db, &["user", "add", "x", "--role", "chef"], Some(PASSWORD));
    assert_eq!(
        (r.code, r.err.contains("unknown role chef")),
        (1, true),
        "{}",
        r.err
    );
    let r = segur(
        &db,
        &["user", "add", "y", "--role", "etudiant"],
        Some("short\n"),
    );
    assert_eq!(r.code, 1);
    assert!(r.err.contains("at least 12"), "{}", r.err);
    let r = segur(
        &db,
        &["user", "add", "marie", "--role", "adjoint"],
        Some(PASSWORD),
    );
    assert_eq!(r.code, 1);

    // Enrolment: the URI with the defaults, and the same URI in the QR code (zbarimg).
    let png = dir.path().join("marie.png");
    let r = segur(
        &db,
        &["totp", "enroll", "marie", "--qr-png", png.to_str().unwrap()],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let uri = r.out.trim().to_owned();
    assert!(
        uri.starts_with("otpauth://totp/segur:marie?secret="),
        "{uri}"
    );
    assert!(
        uri.ends_with("&issuer=segur&algorithm=SHA1&digits=6&period=30"),
        "{uri}"
    );
    let zbar = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&png)
        .output()
        .expect("zbarimg (zbar-tools) is missing: scripts/install-deps installs it");
    assert_eq!(String::from_utf8(zbar.stdout).unwrap().trim(), uri);
    let marie = totp_of(&uri);
    let luc = totp_of(segur(&db, &["totp", "enroll", "luc"], None).out.trim());

    // Login: the session id on stdout; a wrong code or password: exit 1.
    let code = fresh_code(&marie);
    let r = segur(&db, &["login", "marie", "--totp", &code], Some(PASSWORD));
    assert_eq!(r.code, 0, "{}", r.err);
    let session = r.out.trim().to_owned();
    assert_eq!(session.len(), 64);
    let r = segur(&db, &["login", "marie", "--totp", &code], Some(PASSWORD));
    assert_eq!(r.code, 1, "a replayed code must be refused");
    assert!(r.err.contains("already used"), "{}", r.err);
    let r = segur(
        &db,
        &["login", "luc", "--totp", &fresh_code(&luc)],
        Some("wrong password 123"),
    );
    assert_eq!(r.code, 1);
    assert!(r.err.contains("wrong user name or password"), "{}", r.err);
    let r = segur(
        &db,
        &["login", "luc", "--totp", &fresh_code(&luc)],
        Some(PASSWORD),
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let luc_session = r.out.trim().to_owned();

    // Check, from other processes.
    for (s, permission, expected) in [
        (&session, "dispense.validate", 0),
        (&session, "users.manage", 0),
        (&luc_session, "dispense", 0),
        (&luc_session, "dispense.validate", 1),
        (&luc_session, "dmp.feed", 1),
        (&luc_session, "no.such.permission", 1),
    ] {
        let r = segur(&db, &["check", "--session", s, permission], None);
        assert_eq!(r.code, expected, "{permission}: {}", r.err);
    }
    let bogus = "0".repeat(64);
    assert_eq!(
        segur(&db, &["check", "--session", &bogus, "dispense"], None).code,
        1
    );
    assert_eq!(
        segur(&db, &["check", "--session", "xyz", "dispense"], None).code,
        1
    );

    // The trail: intact, exported, then tampered.
    let r = segur(&db, &["audit", "verify"], None);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.starts_with("intact: "), "{}", r.out);
    let r = segur(&db, &["audit", "export"], None);
    assert_eq!(r.code, 0);
    let lines: Vec<serde_json::Value> = r
        .out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[0], "trail_created");
    assert!(kinds.contains(&"login_succeeded") && kinds.contains(&"login_failed"));
    let denied = lines
        .iter()
        .find(|l| l["permission"] == "dispense.validate" && l["outcome"] == "denied")
        .unwrap();
    assert_eq!(denied["actor"], "luc");
    assert!(!r.out.contains(PASSWORD) && !r.out.contains(&session) && !r.out.contains(&uri));

    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("DROP TRIGGER audit_no_update").unwrap();
    c.execute(
        "UPDATE audit SET outcome = 'success' WHERE seq = ?1",
        [denied["seq"].as_i64().unwrap()],
    )
    .unwrap();
    drop(c);
    let r = segur(&db, &["audit", "verify"], None);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.err.trim(),
        format!(
            "refused: entry {}: content does not match its hash (edited)",
            denied["seq"]
        )
    );
}

#[test]
fn password_input_is_one_line_and_utf8() {
    let (_dir, db) = setup();
    let r = segur(&db, &["user", "add", "a", "--role", "adjoint"], Some(""));
    assert_eq!(r.code, 2);
    assert!(r.err.contains("no password"), "{}", r.err);
    let long = "x".repeat(5000);
    let r = segur(&db, &["user", "add", "a", "--role", "adjoint"], Some(&long));
    assert_eq!(r.code, 2);
    // CRLF is accepted as a line end.
    let r = segur(
        &db,
        &["user", "add", "a", "--role", "adjoint"],
        Some(&format!("{PASSWORD}\r\n")),
    );
    assert_eq!(r.code, 0, "{}", r.err);
}

#[test]
fn a_truncated_database_fails_verification() {
    let (_dir, db) = setup();
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let r = segur(&db, &["audit", "verify"], None);
    assert_eq!(r.code, 1, "{}", r.err);
    let r = segur(&db.with_extension("missing"), &["audit", "verify"], None);
    assert_eq!(r.code, 1);
}

#[test]
fn control_characters_are_escaped_in_messages() {
    let (_dir, db) = setup();
    let r = segur(
        &db,
        &["user", "add", "a", "--role", "chef\u{1b}[31m"],
        Some(PASSWORD),
    );
    assert_eq!(r.code, 1);
    assert!(!r.err.contains('\u{1b}'), "{:?}", r.err);
    assert!(r.err.contains("\\u{1b}"), "{:?}", r.err);
}
