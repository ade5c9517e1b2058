//! HL7 CDA R2 documents of the pharmacist, conformant to the ANS CI-SIS volets, a reader for any
//! CDA R2 document, XDS metadata and IHE_XDM packages.
//!
//! - [`mod@read`]: read any CDA R2 (typed header and body), hostile-input safe.
//! - [`build`]: typed builders (VAC-NOTE 2023.01, BIO-TROD 2024.01, eDISP-MED
//!   2024.01, N1 PDF documents); [`jdv`]: value sets;
//!   [`validate`](mod@validate): fast rule checks.
//! - [`xds`]: XDS DocumentEntry / SubmissionSet derived from a CDA header.
//! - [`ebrim`]: ebRIM 3.0 `SubmitObjectsRequest` writer and reader.
//! - [`xdm`]: IHE_XDM.ZIP writer and reader.
//! - [`portability`]: the portability export (MANIFEST.XML + one IHE_XDM lot per patient),
//!   written streamed to a file and read back with the XDM reader's limits.
//!
//! Further modules: [`model`], [`read`](mod@read), [`time`], [`xml`].

// Text is never sliced at byte offsets and nothing is indexed unchecked: hostile input gets a
// typed error, never a panic (issue class: byte-offset slicing of text).
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod build;
pub mod ebrim;
mod error;
mod header_stream;
pub mod jdv;
pub mod model;
pub mod portability;
pub mod read;
pub mod time;
pub mod validate;
pub mod xdm;
pub mod xds;
pub mod xml;

pub use model::{Code, InstanceId, PatientId, PatientText};
pub use read::{
    CdaBody, CdaDocument, CdaError, CdaHeader, read, read_header, read_header_and_media_type,
    read_with,
};
pub use xdm::{
    Integrity, PackOptions, XdmDocument, XdmError, XdmLimits, XdmPackage, XdmSender,
    XdmStreamWriter, XdmWriter, pack_cda, pack_cda_to,
};
pub use xds::{DeriveOptions, DocumentEntry, PatientIdPolicy, Submission, SubmissionSet};

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
