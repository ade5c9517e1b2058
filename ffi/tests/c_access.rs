//! The C program `ffi/tests/c/test_access.c` (gcc -Wall -Wextra -Werror -pedantic against
//! segur.h and the libsegur.so of this build), once as is and once under valgrind (no error,
//! no definite or indirect leak). It computes its TOTP codes with its own SHA-1, so the C API
//! is checked against an implementation that shares no code with the library.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding the libsegur.so of this build (see c_mail.rs).
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

/// This build's library under both its link name and its SONAME.
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

#[test]
fn c_program_runs_clean_and_under_valgrind() {
    let dir = tempfile::tempdir().unwrap();
    let lib = staged_library(dir.path());
    let program = dir.path().join("test_access");
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg(format!("-I{}", ffi.join("include").display()))
        .arg(ffi.join("tests/c/test_access.c"))
        .arg(format!("-L{}", lib.display()))
        .arg("-lsegur")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&program)
        .status()
        .expect("gcc (scripts/install-deps installs it)");
    assert!(status.success(), "gcc test_access.c failed");
    let valgrind_found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        valgrind_found,
        "valgrind is missing: scripts/install-deps installs it"
    );
    for wrapper in [
        &[][..],
        &[
            "valgrind",
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ][..],
    ] {
        let mut c = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = c.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "test_access {wrapper:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains(" checks passed, 0 failed"), "{stdout}");
    }
}
