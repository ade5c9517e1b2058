//! The C program `ffi/tests/c/test_access.c` (gcc -Wall -Wextra -Werror -pedantic against
//! segur.h and the libsegur.so of this build), once as is and once under valgrind (no error,
//! no definite or indirect leak). It computes its TOTP codes with its own SHA-1, so the C API
//! is checked against an implementation that shares no code with the library.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod support;

use std::process::Command;
use support::c_program::{build_c, require, staged_library};

#[test]
fn c_program_runs_clean_and_under_valgrind() {
    let dir = tempfile::tempdir().unwrap();
    let lib = staged_library(dir.path());
    let program = dir.path().join("test_access");
    build_c("test_access", &lib, &program);
    require("valgrind", "--version");
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
