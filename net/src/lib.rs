//! The one network and security layer under every segur service client (INSi, MSSanté, the
//! DMP, Pro Santé Connect). It depends on no other segur crate, so every service crate can take
//! it without cycles.
//!
//! One module per job:
//! - [`tls`]: trust anchors, client identity (PKCS#12, PEM), the rustls configuration and the
//!   cipher-suite policy as data;
//! - [`http`]: the one blocking HTTPS client, with size and time limits and typed errors;
//! - [`xml`]: the hardened XML reader (no DTD, no entity expansion, limits, namespaces) and the
//!   one escaping writer;
//! - [`soap`]: SOAP 1.1 / 1.2 envelopes, WS-Addressing headers, typed faults, MTOM/XOP;
//! - [`token`]: access tokens (zeroized, redacted), token providers and their cache;
//! - [`sign`]: the [`sign::Signer`] trait and a software signer from PKCS#12.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod http;
pub mod sign;
pub mod soap;
pub mod tls;
pub mod token;
pub mod xml;
