//! Feeding and consulting the DMP (Mon espace santé) from pharmacy software.
//!
//! Specification: `shared/specs/dmp.md` (transactions, VIHF, MTOM, XDS metadata, XAdES, errors,
//! TLS, simulator). Modules:
//! - [`config`]: `dmp.toml`, the endpoint, certificates, professional and structure of a client
//!   (written by the simulator for its own test PKI, read by the client and the CLI).
//! - [`client`]: the blocking client over `segur_net::http` with the DMP TLS policy.
//! - [`error`]: [`DmpError`], layered by source.
//! - [`from_xdm`]: from MSSanté to the DMP, the documents of a received IHE_XDM.ZIP checked
//!   against their CDA and fed when the pharmacist chooses them.
//! - [`patient`]: [`DmpPatient`], the INS of a qualified identity.
//! - [`registry`]: ebRS `RegistryResponse` (Success, PartialSuccess, Failure, RegistryError).
//! - [`response`]: opening a SOAP or MTOM answer with the hardened reader.
//! - [`signing`]: the PEM signing key, the VIHF and XAdES signatures (`segur_net::xmldsig`).
//! - [`td02`]: TD0.2 existence test; [`td03`]: TD0.3 authorisation;
//!   [`td21`]: TD2.1 feed and replacement (ITI-41, MTOM); [`td31`]: TD3.1 search (ITI-18);
//!   [`td32`]: TD3.2 retrieve (ITI-43); [`td33`]: TD3.3 status and metadata updates (ITI-57).
//! - [`transaction`]: service paths, WS-Addressing actions, the request envelope.
//! - [`vihf`]: the VIHF SAML assertion.
//! - [`view`]: serialisable views shared by the CLI and the C API.
//! - [`web`]: the "DMP button" (context-passing URLs of the professionals' web site).
//! - [`simulator`] (feature `simulator`, on by default): a local DMP over mutual TLS for tests
//!   and vendors' test benches, `segur dmp simulate`.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod client;
pub mod config;
pub mod error;
pub mod from_xdm;
pub mod patient;
pub mod registry;
pub mod response;
pub mod signing;
pub mod td02;
pub mod td03;
pub mod td21;
pub mod td31;
pub mod td32;
pub mod td33;
pub mod transaction;
pub mod view;
pub mod vihf;
pub mod web;

pub use error::DmpError;
pub use patient::DmpPatient;
#[cfg(feature = "simulator")]
pub mod simulator;

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
