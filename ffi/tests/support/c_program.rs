//! Building and running the C test programs of `ffi/tests/c/` against the libsegur.so of this
//! build, as an installed library is found (by the linker under its link name, by the loader
//! under its SONAME).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding the libsegur.so of this build (the test binary's `deps/` or its parent).
pub fn library_dir() -> PathBuf {
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
pub fn staged_library(dir: &Path) -> PathBuf {
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

/// Builds `ffi/tests/c/<name>.c` into `out` with the warnings the C suite uses
/// (`-std=c11 -Wall -Wextra -Werror -pedantic`), linked to the library in `lib`.
pub fn build_c(name: &str, lib: &Path, out: &Path) {
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

/// Fails naming `tool` when it is missing (probed with `arg`): a pass that needs it is part of
/// the test, never skipped.
pub fn require(tool: &str, arg: &str) {
    let found = Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{tool} is missing: scripts/install-deps installs it");
}
