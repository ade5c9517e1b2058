//! The C program `ffi/tests/c/test_mail.c` (gcc -Wall -Wextra -Werror against segur.h and the
//! libsegur.so of this build) against the real Postfix + Dovecot of the segur-mssante tests
//! (`test-support/src/mail_servers.rs`) and their DNS SRV server
//! (`test-support/src/dns_server.rs`): once as is, once under valgrind (no error, no
//! definite or indirect leak), and, from `scripts/test.d/55-ffi-windows`, cross-built for
//! Windows and run under Wine. The test fails when the program fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use segur_test_support::dns_server;
use segur_test_support::mail_servers;
use support::c_program::{build_c, require, staged_library};

use mail_servers::{DOMAIN, MailServers, jwt};
use std::path::PathBuf;
use std::process::Command;

/// The files the program reads, written into the servers' directory.
struct Inputs {
    ca: PathBuf,
    rogue: PathBuf,
    xdm: PathBuf,
    code: String,
}

fn inputs(servers: &MailServers) -> Inputs {
    let dir = servers.path();
    let ca = dir.join("ca.pem");
    let rogue = dir.join("rogue-ca.pem");
    std::fs::write(&ca, &servers.pki.ca_pem).unwrap();
    std::fs::write(&rogue, &servers.pki.rogue_ca_pem).unwrap();
    let cda =
        std::fs::read(mail_servers::shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
            .unwrap();
    let opts = segur_dmp_cda::PackOptions {
        source_id: "1.2.250.1.213.4.1.1.1".into(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            contact: "pharma@test.mssante.fr".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let xdm = segur_dmp_cda::pack_cda(&cda, None, &opts).unwrap().0;
    let xdm_path = dir.join("IHE_XDM.ZIP");
    std::fs::write(&xdm_path, &xdm).unwrap();
    let code = segur_mssante::inspect::XdmContents::read(&xdm)
        .unwrap()
        .headers[0]
        .type_code
        .code
        .clone();
    Inputs {
        ca,
        rogue,
        xdm: xdm_path,
        code,
    }
}

/// Runs `command` (the program, possibly behind valgrind or Wine) with the servers' ports, the
/// inputs and two fresh tokens; it must pass every check, and the MDN it sent must be the
/// sender's `delivered`-th message.
fn run_program(servers: &MailServers, inputs: &Inputs, mut command: Command, delivered: usize) {
    let pharma = format!("pharma@{DOMAIN}");
    let doc = format!("doc@{DOMAIN}");
    // A DNS server per run (it answers the two SRV queries of one discovery, and one more).
    let resolver = dns_server::dns_server().to_string();
    let shown = format!("{command:?}");
    let out = command
        .arg(servers.submission_port.to_string())
        .arg(servers.imap_port.to_string())
        .arg(&inputs.ca)
        .arg(&inputs.rogue)
        .arg(&pharma)
        .arg(jwt(&pharma, 600))
        .arg(&doc)
        .arg(jwt(&doc, 600))
        .arg(&inputs.xdm)
        .arg(&inputs.code)
        .arg(&resolver)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("test_mail: "), "{stdout}");
    assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");
    // The MDN the program sent reached the sender (no DSN was asked).
    assert!(servers.wait_delivered(&pharma, delivered));
}

#[test]
fn c_program_sends_fetches_acknowledges_and_discovers() {
    let servers = MailServers::start(5_000_000);
    let dir = servers.path().to_path_buf();
    let program = dir.join("test_mail");
    build_c("test_mail", &staged_library(&dir), &program);
    let inputs = inputs(&servers);

    run_program(&servers, &inputs, Command::new(&program), 1);
    require("valgrind", "--version");
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
    run_program(&servers, &inputs, valgrind, 2);
}

/// The same program for Windows: `test_mail.exe`, cross-built with mingw-w64 against
/// `segur.dll`, run under Wine against the same servers. `scripts/test.d/55-ffi-windows` builds
/// it and names the directory holding `test_mail.exe`, `segur.dll` and the test-only
/// `bcryptprimitives.dll` in `SEGUR_WINDOWS_TEST_DIR` (Wine's prefix and settings come from its
/// environment); hence ignored in a plain `cargo test`, which has no Windows build.
#[test]
#[ignore = "run by scripts/test.d/55-ffi-windows, which cross-builds test_mail.exe and segur.dll"]
fn windows_program_under_wine_sends_fetches_acknowledges_and_discovers() {
    let dir = PathBuf::from(std::env::var_os("SEGUR_WINDOWS_TEST_DIR").expect(
        "SEGUR_WINDOWS_TEST_DIR (the directory of test_mail.exe): run scripts/test.d/55-ffi-windows",
    ));
    let program = dir.join("test_mail.exe");
    assert!(program.is_file(), "{} is missing", program.display());
    let servers = MailServers::start(5_000_000);
    let inputs = inputs(&servers);
    let mut wine = Command::new("wine");
    wine.current_dir(&dir).arg(&program);
    run_program(&servers, &inputs, wine, 1);
}
