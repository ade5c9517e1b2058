//! Gives `libsegur.so` a versioned SONAME (`libsegur.so.<major>.<minor>.<patch>`): Cargo sets none
//! for a cdylib (rust-lang/cargo#5045). The full version is used while the ABI is 0.x and
//! unpromised, the same choice as cargo-c's `version_suffix_components = 3` in Cargo.toml, so a
//! library built by `cargo build` and one built by `cargo cbuild` carry the same SONAME.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsegur.so.{version}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
