//! Test support shared by the integration tests of this crate (and, through `#[path]`, by the
//! segur-ffi tests): the real Postfix + Dovecot harness and its test PKI, a local DNS server for SRV
//! discovery, and a local Annuaire Santé FHIR server.

pub mod annuaire_server;
pub mod dns_server;
pub mod mail_servers;
