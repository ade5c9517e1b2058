//! Feeding and consulting the DMP (Mon espace santé) from pharmacy software.
//!
//! Specification: `shared/specs/dmp.md` (transactions, VIHF, MTOM, XDS metadata, XAdES, errors,
//! TLS, simulator). Modules:
//! - [`config`]: `dmp.toml`, the endpoint, certificates, professional and structure of a client
//!   (written by the simulator for its own test PKI, read by the client and the CLI).
//! - [`simulator`] (feature `simulator`, on by default): a local DMP over mutual TLS for tests
//!   and vendors' test benches, `segur dmp simulate`.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod config;
#[cfg(feature = "simulator")]
pub mod simulator;
