//! The test harness shared by the integration tests of every segur crate, in one place instead of
//! `#[path]` includes across crates. Real components only: the national services that cannot be
//! reached get local servers that enforce their published contract.
//!
//! - [`mail_servers`]: real Postfix (submission, STARTTLS, SASL, LMTP) and Dovecot (IMAP, OAuth2
//!   bearer tokens, TLS client certificates) on loopback, with the test PKI they trust.
//! - [`dns_server`]: a local DNS server answering the RFC 6186 SRV queries of MSSanté discovery.
//! - [`annuaire_server`]: a local Annuaire Santé FHIR server (mutual TLS, API key, paging).
//! - [`pki`]: the test CA and leaf certificates every harness uses.
//! - [`insi_server`]: a local mutual-TLS INSi server validating requests against the published
//!   XSDs and replaying the CNDA responses, with its test CA and certificates.
//! - [`oidc_provider`]: the certified npm `oidc-provider` on loopback, configured like Pro Santé
//!   Connect (PSC discovery name, CIBA poll, mutual TLS, PKCE, token exchange), driven by the test.
//! - [`fuzz_inputs`]: the seeds and regressions of a fuzz target, for the replay tests.
//!
//! This crate is `publish = false` and only ever a dev-dependency: it is a harness, not an API,
//! so its items are not documented one by one.

#![allow(missing_docs)]

pub mod annuaire_server;
pub mod dns_server;
pub mod insi_server;
pub mod mail_servers;
pub mod oidc_provider;
pub mod pki;

/// Runs the `openssl` CLI in `dir` (the independent checker of keys and signatures); fails the
/// test naming the tool when it is missing or refuses the command.
#[allow(clippy::expect_used)] // a test harness: a failure is the test failing
pub fn openssl(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl CLI is required (scripts/install-deps installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The seeds (at least `min_seeds` of them) and the regressions of the fuzz target `target`
/// (`fuzz/seeds/<target>/`, `fuzz/regressions/<target>/`), by name (`seeds/NAME`,
/// `regressions/NAME`), sorted: what every crate's `tests/fuzz_replay.rs` replays.
#[allow(clippy::unwrap_used, clippy::expect_used)] // a test harness: a failure is the test failing
pub fn fuzz_inputs(target: &str, min_seeds: usize) -> Vec<(String, Vec<u8>)> {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = fuzz.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert_eq!(kind, "regressions", "{}: missing", dir.display());
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = format!("{kind}/{}", path.file_name().unwrap().to_string_lossy());
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    let seeds = out.iter().filter(|(n, _)| n.starts_with("seeds/")).count();
    assert!(seeds >= min_seeds, "{target}: {seeds} seeds");
    out
}
