//! The proxy e-Santé: the vendor-side server that holds the Pro Santé Connect sessions of the
//! desktops (psc.md §0: a thick client must not talk to PSC directly), with the API of the ANS
//! example proxy (psc.md §6) and the departures listed in PROXY.md.
//!
//! - [`upstream`]: the [`Upstream`] trait, the proxy's only way to PSC and to the
//!   token-exchange authorisation servers;
//! - [`config`]: the TOML configuration;
//! - [`session`]: sessions and application tokens (random, hashed, bound to one client,
//!   expiring);
//! - [`trace`]: the trace records and their append-only file;
//! - [`api`]: the JSON bodies shared with the desktop side;
//! - [`server`]: the HTTPS server (hyper over tokio-rustls, mutual TLS);
//! - [`psc_upstream`]: [`Upstream`] over this crate's PSC client ([`crate::PscClient`]).

pub mod api;
pub mod config;
pub mod psc_upstream;
pub mod server;
pub mod session;
pub mod trace;
pub mod upstream;

pub use config::ProxyConfig;
pub use psc_upstream::PscUpstream;
pub use server::{ProxyError, ProxyServer};
pub use upstream::Upstream;
