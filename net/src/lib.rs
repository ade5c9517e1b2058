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
//! - [`sign`]: the [`sign::Signer`] trait and a software signer from PKCS#12;
//! - [`xmldsig`]: Canonical XML (inclusive and exclusive C14N 1.0) and XML signatures
//!   (enveloped, detached, XAdES), signed through [`sign::Signer`].
//!
//! Every HTTPS exchange of the SDK goes through [`http::HttpClient`] (the INSi client of
//! `segur-ins`, the Annuaire Santé client of `segur-mssante`, and the DMP and Pro Santé Connect
//! clients to come): one blocking client on one rustls, with the TLS configuration of [`tls`],
//! size and time limits and typed errors. No other crate writes HTTP by hand or depends on an
//! HTTP client of its own.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod http;
pub mod sign;
pub mod soap;
pub mod tls;
pub mod token;
pub mod xml;
pub mod xmldsig;

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
