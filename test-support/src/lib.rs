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
