//! The C program `ffi/tests/c/test_mail.c` (gcc -Wall -Wextra -Werror against segur.h and the
//! libsegur.so of this build) against the real Postfix + Dovecot of the segur-mssante tests
//! (`test-support/src/mail_servers.rs`) and their DNS SRV server
//! (`test-support/src/dns_server.rs`): once as is, once under valgrind (no error, no
//! definite or indirect leak). The test fails when the program fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_test_support::dns_server;
use segur_test_support::mail_servers;

use mail_servers::{DOMAIN, MailServers, jwt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding the libsegur.so of this build: the `deps` directory of this test
/// executable (where `cargo test` builds the library's cdylib next to the rlib it links), or
/// `target/<profile>` above it (where `cargo build` puts it).
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [Some(deps), deps.parent()]
        .into_iter()
        .flatten()
        .find(|d| d.join("libsegur.so").is_file())
        .unwrap_or_else(|| panic!("libsegur.so not found in or above {}", deps.display()))
        .to_path_buf()
}

/// A directory in `dir` where this build's libsegur.so is found both by the linker
/// (`libsegur.so`) and by the loader under its SONAME (`libsegur.so.<version>`, set by
/// `ffi/build.rs`), as an installed library is.
fn staged_library(dir: &Path) -> PathBuf {
    let built = library_dir().join("libsegur.so");
    let lib = dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    for name in [
        "libsegur.so".to_owned(),
        format!("libsegur.so.{}", env!("CARGO_PKG_VERSION")),
    ] {
        std::os::unix::fs::symlink(&built, lib.join(name)).unwrap();
    }
    lib
}

/// Builds `ffi/tests/c/<name>.c` into `out` with the warnings the C suite uses, linked to the
/// library in `lib`.
fn build_c(name: &str, lib: &Path, out: &Path) {
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg(format!("-I{}", ffi.join("include").display()))
        .arg(ffi.join("tests/c").join(format!("{name}.c")))
        .arg(format!("-L{}", lib.display()))
        .arg("-lsegur")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(out)
        .status()
        .expect("gcc (scripts/install-deps installs it)");
    assert!(status.success(), "gcc {name}.c failed");
}

/// Fails naming valgrind when it is missing: the leak pass is part of this test, not optional.
fn require_valgrind() {
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "valgrind is missing: scripts/install-deps installs it"
    );
}

#[test]
fn c_program_sends_fetches_acknowledges_and_discovers() {
    let servers = MailServers::start(5_000_000);
    let dir = servers.path().to_path_buf();
    let program = dir.join("test_mail");
    build_c("test_mail", &staged_library(&dir), &program);

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

    let pharma = format!("pharma@{DOMAIN}");
    let doc = format!("doc@{DOMAIN}");
    let run = |wrapper: &[&str], delivered: usize| {
        // A DNS server per run (it answers the two SRV queries of one discovery, and one more).
        let resolver = dns_server::dns_server().to_string();
        let (cmd, rest) = match wrapper.split_first() {
            Some((first, rest)) => (PathBuf::from(first), rest),
            None => (program.clone(), &[][..]),
        };
        let mut c = Command::new(cmd);
        c.args(rest);
        if !wrapper.is_empty() {
            c.arg(&program);
        }
        let out = c
            .arg(servers.submission_port.to_string())
            .arg(servers.imap_port.to_string())
            .arg(&ca)
            .arg(&rogue)
            .arg(&pharma)
            .arg(jwt(&pharma, 600))
            .arg(&doc)
            .arg(jwt(&doc, 600))
            .arg(&xdm_path)
            .arg(&code)
            .arg(&resolver)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "test_mail {wrapper:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains("test_mail: "), "{stdout}");
        assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");
        // The MDN the program sent reached the sender (no DSN was asked).
        assert!(servers.wait_delivered(&pharma, delivered));
    };
    run(&[], 1);
    {
        require_valgrind();
        let suppressions = format!(
            "--suppressions={}/tests/valgrind/ring-aead.supp",
            env!("CARGO_MANIFEST_DIR")
        );
        run(
            &[
                "valgrind",
                &suppressions,
                "--quiet",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "--show-leak-kinds=definite,indirect",
            ],
            2,
        );
    }
}
