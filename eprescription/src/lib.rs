//! Ordonnance numérique QR codes, 2D-Doc (ANTS) and keyboard-wedge scanner input.
//!
//! - [`decode`]: find and decode every QR code and Data Matrix on a scan or photo (PNG, JPEG,
//!   TIFF), with position.
//! - [`scanner`]: repair what a keyboard-emulation scanner typed (QWERTY/AZERTY garbling,
//!   prefixes, terminators, GS/RS/US stand-ins).
//! - [`prescription`]: the opaque numéro unique de prescription and its pluggable validator
//!   (the official format is not public).
//! - [`dispensation`]: the per-line dispensation model and the service boundary to the
//!   Assurance Maladie base (the téléservice protocol is not public).
//! - [`twoddoc`]: 2D-Doc headers v02–v04 (C40 and binary), message fields, annex, and ECDSA
//!   P-256/P-384 signature verification against caller-supplied certificates.
//! - [`ins_datamatrix`]: build and parse the ANS INS Data Matrix.
//! - [`render`]: draw QR and Data Matrix symbols.
//! - [`payload`]: tell a decoded payload's kind from its first bytes.
//!
//! Further modules: [`error`].

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod decode;
pub mod dispensation;
pub mod error;
pub mod ins_datamatrix;
pub mod payload;
pub mod prescription;
pub mod render;
pub mod scanner;
mod tagged;
pub mod twoddoc;

pub use error::{Error, Result};

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
