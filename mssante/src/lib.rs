//! MSSanté secure messaging client for pharmacy software (LGO).
//!
//! - [`compose`]: RFC 5322 messages with the MSSanté headers of Référentiel #2 §3.8
//!   (`X-MSS-NIL` always, `X-MSS-CODECDA` / `X-MSS-INS` computed from the CDA actually inside
//!   the attached IHE_XDM, `X-MSS-MES: FIN` for patient messages), threading, read-receipt
//!   request, the IHE_XDM.ZIP and an optional PDF.
//! - [`read`]: MIME parsing of anything a server hands over, with a typed error per message.
//! - [`mdn`] and [`dsn`]: acknowledgements (RFC 8098 MDN with the ANS error codes 900–906,
//!   RFC 3461/3464 DSN), linked back to the sent message.
//! - [`smtp`] and [`imap`]: submission and retrieval over STARTTLS (rustls, TLS ≥ 1.2), SASL
//!   XOAUTH2 / OAUTHBEARER with a Pro Santé Connect token ([`token`]) or a software
//!   certificate ([`tls`]) for applicative mailboxes.
//! - [`discovery`]: RFC 6186 DNS SRV server discovery with a static override.
//! - [`annuaire`]: MSSanté addresses from the Annuaire Santé FHIR API.
//!
//! Everything is blocking and callable synchronously (it is wrapped by a C ABI). No patient data
//! appears in `Debug`, `Display` or error text: patient addresses, INS and server replies that
//! could echo them are redacted unless explicitly exposed.
//!
//! Further modules: [`address`], [`inspect`], [`view`] (the JSON views shared by the CLI and the
//! C API).

// Text is never sliced at byte offsets and nothing is indexed unchecked: hostile input (a
// server's reply, a received message) gets a typed error, never a panic.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod address;
pub mod annuaire;
pub mod compose;
pub mod discovery;
pub mod dsn;
mod error;
mod fields;
pub mod imap;
pub mod inspect;
pub mod mdn;
pub mod read;
pub mod smtp;
pub mod tls;
pub mod token;
pub mod view;

pub use address::{MailAddress, PatientAddress, Recipient};
pub use compose::{MessageBuilder, OutgoingMessage, ProductReference, Subject};
pub use error::{
    AnnuaireError, DiscoveryError, ImapError, ImapStatus, MssError, ServerText, SmtpError,
};
pub use read::{ReadLimits, ReceivedMessage};

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
