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
//!
//! This crate is `publish = false` and only ever a dev-dependency: it is a harness, not an API,
//! so its items are not documented one by one.

#![allow(missing_docs)]

pub mod annuaire_server;
pub mod dns_server;
pub mod insi_server;
pub mod mail_servers;
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
