//! The Pro Santé Connect (PSC) client core of the segur SDK: what a vendor's "proxy e-Santé"
//! runs, and what runs in-process against the sandbox or a local provider (psc.md §0).
//!
//! One module per job:
//! - [`config`]: issuer, hosts, discovery name, client id and authentication (mutual TLS;
//!   `client_secret_basic` for the sandbox only), scopes, `acr`, skew, refresh margin; TOML with
//!   sandbox and production presets;
//! - [`discovery`]: the provider's discovery document under PSC's non-standard name;
//! - [`jwks`]: JSON Web Key Sets and their cache with rotation (one rate-limited refetch on an
//!   unknown `kid`);
//! - [`jwt`]: compact JWS reading with limits, signature verification with an algorithm
//!   allow-list, `iss`/`aud`/`exp`/`nbf`/`iat`/`nonce`/`acr` checks;
//! - [`professional`]: the authenticated professional (national id, names, profession, CNOP
//!   section) mapped from claims;
//! - [`tokens`]: token endpoint and OAuth error responses;
//! - [`client`]: [`client::PscClient`], the HTTPS client, discovery, JWKS, ID token
//!   verification and the authenticated form POST;
//! - [`ciba`]: CIBA in poll mode, cancellable;
//! - [`pkce`]: authorization code with PKCE S256, `state` and `nonce`;
//! - [`session`]: [`session::PscSession`], tokens zeroized, refresh, logout, introspection;
//! - [`exchange`]: RFC 8693 token exchange over RFC 8705 mutual TLS, certificate binding;
//! - [`provider`]: `segur_net::token::TokenProvider` for sessions and exchanged tokens;
//! - [`error`]: [`error::PscError`] and [`error::CibaError`];
//! - [`proxy`]: the proxy e-Santé a vendor runs for its desktops (the API of the ANS example,
//!   PROXY.md), reaching PSC through [`proxy::Upstream`];
//! - [`desktop`]: the desktop side, a `TokenProvider` backed by the proxy, with a blocking
//!   login and progress callback;
//! - [`view`]: the JSON view of the signed-in professional, shared by the CLI and the C API.
//!
//! Every call is blocking and every type is `Send + Sync`, for the FFI and for threads.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod ciba;
pub mod client;
pub mod config;
pub mod desktop;
pub mod discovery;
pub mod error;
pub mod exchange;
pub mod jwks;
pub mod jwt;
pub mod pkce;
pub mod professional;
pub mod provider;
pub mod proxy;
pub mod session;
pub mod tokens;
pub mod view;

pub use ciba::{BindingMessage, CancelHandle, Channel, CibaRequest};
pub use client::PscClient;
pub use config::PscConfig;
pub use error::{CibaError, PscError};
pub use professional::{NationalId, Professional};
pub use session::PscSession;

/// The blocking API is shared across threads (FFI handles, a proxy's workers).
#[cfg(test)]
mod thread_safety {
    fn send_sync<T: Send + Sync>() {}
    #[test]
    fn public_types_are_send_and_sync() {
        send_sync::<crate::PscClient>();
        send_sync::<crate::PscSession>();
        send_sync::<crate::exchange::Exchanger>();
        send_sync::<crate::provider::ExchangedTokenProvider>();
        send_sync::<crate::jwks::JwksCache>();
        send_sync::<crate::CancelHandle>();
    }
}

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
