//! Test support shared by the integration tests of this crate (and, through `#[path]`, by the
//! segur-ffi tests): the real Postfix + Dovecot harness and its test PKI, and a local DNS server for SRV
//! discovery.

pub mod dns_server;
pub mod mail_servers;
