//! Access security of a pharmacy LGO for Ségur wave 2: strong two-factor authentication asked
//! again every four hours, privileges by officine role, and a tamper-evident audit trail.
//!
//! One module per job:
//! - [`clock`]: the injectable time source every rule reads;
//! - [`password`]: Argon2id password hashes (RFC 9106), strength rules, upgrade on login;
//! - [`totp`]: HOTP / TOTP (RFC 4226, RFC 6238), single use, `otpauth://` URIs;
//! - [`recovery`]: single-use recovery codes, stored hashed;
//! - [`strong`]: CPS card and e-CPS (Pro Santé Connect) authentications as strong factors;
//! - [`keys`]: the master key, TOTP secrets sealed at rest, patient pseudonyms;
//! - [`throttle`]: exponential back-off per user and per workstation, account lockout;
//! - [`session`]: the 4-hour strong window, the idle lock, session identifiers;
//! - [`counter`]: the quick user switch of a shared counter workstation;
//! - [`policy`]: roles and permissions as TOML data, deny by default, no escalation;
//! - [`audit`]: the hash-chained audit trail, its SQLite store ([`audit::sqlite`]), chain
//!   ([`audit::chain`]) and verifier ([`audit::verify`]);
//! - [`service`]: [`service::Access`], all of the above over one SQLite file.
//!
//! What is not public (the LGO wave-2 REM wording, the ASPP password annex, DP rights per role,
//! audit retention) is configuration with documented defaults, marked TO VERIFY where defined.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod audit;
pub mod clock;
pub mod counter;
pub mod keys;
pub mod password;
pub mod policy;
pub mod recovery;
pub mod service;
pub mod session;
pub mod strong;
pub mod throttle;
pub mod totp;

pub use service::{Access, AccessConfig, AccessError, SecondFactor};

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
