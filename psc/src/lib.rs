//! Pro Santé Connect (PSC) for desktop pharmacy software.
//!
//! The ANS says a thick client must not talk to PSC directly (psc.md §0): a vendor-side
//! "proxy e-Santé" runs CIBA, holds the PSC tokens, performs the RFC 8693 token exchange over
//! RFC 8705 mutual TLS for each PSC-protected API and keeps traces; the desktop holds only a
//! short-lived application token. This crate ships both halves:
//!
//! - [`proxy`]: the proxy e-Santé server (the API of the ANS example, PROXY.md for where it
//!   departs), talking to PSC through the [`proxy::Upstream`] trait;
//! - [`desktop`]: the desktop side, a [`segur_net::token::TokenProvider`] backed by the proxy,
//!   with a blocking login and progress callback;
//! - [`view`]: the JSON view of the signed-in professional, shared by the CLI and the C API.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod desktop;
pub mod proxy;
pub mod view;
