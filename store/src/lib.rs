//! The pharmacy's Ségur documents at rest: a document store, and the MSSanté inbox filed into it
//! by patient with identity vigilance.
//!
//! Why a crate of its own (edges `store → mssante, dmp-cda, ins, net, access`): filing needs the
//! IMAP client and the XDM reader, while `mssante` must stay unaware of storage; review
//! decisions and deletions go to the hash-chained audit trail of `access`.
//!
//! One module per job:
//! - [`model`]: identifiers, origins, review reasons, the records stored;
//! - [`document_store`]: [`DocumentStore`], the storage trait a vendor implements over its own
//!   database;
//! - [`sqlite`]: [`SqliteStore`], the embedded default (SQLite in WAL mode, one transaction per
//!   filing, content-addressed bytes, never altered, audit outbox);
//! - [`vigilance`]: where a received CDA goes (automatic only on a qualified INS matching one
//!   local identity whose strict traits agree, else the review list with the reason);
//! - [`inbox`]: [`inbox::sync`], the MSSanté inbox filed into the store (flag after commit, MDN);
//! - [`retrieved`]: [`retrieved::find_retrieved`] and [`retrieved::keep_retrieved`], the
//!   documents retrieved from the DMP kept, traced in the audit trail and never fetched twice;
//! - [`portability`]: [`portability::export`] and [`portability::import`], the store to and
//!   from the portability archive of `segur_dmp_cda::portability` (one patient at a time out,
//!   a whole archive or nothing in);
//! - [`export_request`]: [`export_request::ExportRequest`], an export as `segur export` and
//!   `segur_store_export` ask for it (perimeter, start date, vendor identity), and
//!   [`export_request::write_export_file`], the export written to a file whole or not at all;
//! - [`view`]: the JSON views shared by the CLI and the C API;
//! - [`error`]: [`StoreError`] and [`InboxError`].
//!
//! Not covered yet: erasure of a tombstoned document's bytes (kept; the
//! retention rule for received documents is not public: TO VERIFY).

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod document_store;
pub mod error;
pub mod export_request;
pub mod inbox;
pub mod model;
pub mod portability;
pub mod retrieved;
pub mod sqlite;
pub mod view;
pub mod vigilance;

pub use document_store::DocumentStore;
pub use error::{InboxError, StoreError};
pub use sqlite::SqliteStore;

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
