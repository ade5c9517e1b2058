//! Document store and MSSanté inbox (`segur-store`): the pharmacy's documents at rest in a
//! SQLite store folder, the inbox filed into it by patient with identity vigilance, and the
//! review list of what could not be filed automatically.
//!
//! One `segur_store` handle per store folder; it serialises its calls internally, so one handle
//! may be shared by several threads, and several processes may open the same folder (SQLite
//! WAL, one transaction per filing). The JSON written is that of `segur_store` (the same as
//! `segur inbox ... --json`): counts, local ids, hashes and reasons, and the file names
//! attachments were sent with (which a sender may have built from the patient's name).
//!
//! `segur_store_export` and `segur_store_import` are `segur export` and `segur import`: the
//! same options (`segur_store::export_request::ExportRequest`) and the same report JSON
//! (`segur_store::portability::ExportReport`, `ImportReport`).

use crate::boundary::{
    handle_mut, handle_ref, json_arg, out_arg, str_arg, write_handle, write_json,
};
use crate::detail::fail;
use crate::mss_mailbox::segur_mss_mailbox;
use crate::mssante::mss_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_store::export_request::{ExportRequest, write_export_file};
use ::segur_store::inbox::{SyncOptions, sync_session};
use ::segur_store::model::{LocalPatientId, ReviewDecision, ReviewId};
use ::segur_store::portability::{self, ImportOptions, PortabilityStoreError};
use ::segur_store::view::ReviewView;
use ::segur_store::{DocumentStore, InboxError, SqliteStore, StoreError};
use std::ffi::c_char;
use std::io::BufReader;
use std::path::Path;
use std::sync::Mutex;

/// An open document store. Thread-safe: calls on one handle are serialised.
pub struct segur_store {
    inner: Mutex<SqliteStore>,
}

pub(crate) fn store_err(e: StoreError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        StoreError::Sqlite(_) | StoreError::Io { .. } | StoreError::Audit(_) => R::StoreStorage,
        StoreError::Corrupt { .. } | StoreError::HashMismatch(_) => R::StoreCorrupt,
        StoreError::UnknownDocument(_) => R::StoreUnknownDocument,
        StoreError::UnknownPatient(_) => R::StoreUnknownPatient,
        StoreError::UnknownReview(_) => R::StoreUnknownReview,
        StoreError::AlreadyDecided(_) => R::StoreAlreadyDecided,
        StoreError::RetrievedConflict(_) => R::StoreRetrievedConflict,
        StoreError::RetrievedForAnotherPatient { .. } => R::StoreRetrievedOtherPatient,
        StoreError::InvalidField { .. } | StoreError::StatusWithoutIns { .. } => {
            R::StoreInvalidField
        }
        _ => R::StoreOther,
    };
    fail(code, e)
}

pub(crate) fn with<T>(
    store: *const segur_store,
    f: impl FnOnce(&mut SqliteStore) -> Result<T, segur_result>,
) -> Result<T, segur_result> {
    // SAFETY: header contract: NULL or a live handle.
    let handle = unsafe { handle_ref(store) }?;
    // A panic inside an earlier call poisons the lock; the database is transactional, so the
    // handle stays usable.
    let mut guard = handle.inner.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut guard)
}

/// Opens the store in the folder `path` (UTF-8; created with its database when missing) into
/// `*out_store` (free with `segur_store_free`).
///
/// Errors: `SEGUR_RESULT_STORE_STORAGE` (folder or database cannot be created or opened).
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_open(
    path: *const c_char,
    path_len: usize,
    out_store: *mut *mut segur_store,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `path` is followed by its readable length.
        let path = try_ffi!(unsafe { str_arg(path, path_len) });
        try_ffi!(out_arg(out_store));
        let store = try_ffi!(SqliteStore::open(Path::new(path)).map_err(store_err));
        write_handle(
            out_store,
            segur_store {
                inner: Mutex::new(store),
            },
        )
    })
}

/// Frees a store handle. NULL is a no-op. No other call may use the handle meanwhile or
/// afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_free(store: *mut segur_store) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle freed exactly once.
        unsafe { crate::boundary::free_handle(store) }
    })
}

/// Files every pending message of `mailbox` (from `segur_mss_mailbox_new`) into the store:
/// each IHE_XDM unpacked with the XDM reader's limits, each CDA header read, each document
/// linked to its patient only when its INS is valid, with its strict traits, and matches
/// exactly one local identity whose traits agree; otherwise listed for review with the reason.
/// Other attachments (a PDF alone) and refused packages are kept for review. Each message is
/// marked processed only after it is stored. No MDN is sent (use `segur_mss_mdn_build`).
/// Writes the report to `*out_json` (free with `segur_string_free`):
/// `{"messages":N,"filed_messages":N,"already_filed":N,"unreadable":N,"filed_documents":N,
/// "to_review":N,"mdn_sent":0,"mdn_not_sent":N,"flagged":N}`.
///
/// Errors: `SEGUR_RESULT_MSS_TLS`, the IMAP codes 5080-5088, `SEGUR_RESULT_STORE_STORAGE`;
/// messages handled before the error stay stored and marked. The store handle is thread-safe;
/// the mailbox handle is not (see `segur_mss_mailbox`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_inbox_sync(
    store: *const segur_store,
    mailbox: *mut segur_mss_mailbox,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live mailbox handle used by one thread at a time.
        let m = try_ffi!(unsafe { handle_mut(mailbox) });
        try_ffi!(out_arg(out_json));
        let report = try_ffi!(with(store, |s| {
            sync_session(&mut m.session, s, &SyncOptions::default()).map_err(|e| match e {
                InboxError::Mailbox(e) => mss_err(e),
                InboxError::Store(e) => store_err(e),
                other => fail(segur_result::StoreOther, other),
            })
        }));
        write_json(out_json, &report)
    })
}

/// Writes the review list to `*out_json` (free with `segur_string_free`): an array of
/// `{"id":N,"reason":"not_xdm","state":"open","listed_at":SECS,"document":{"id":N,
/// "sha256":"...","size":N,"origin":"received","media_type":"application/pdf",
/// "file_name":"CR.pdf","replaces":null,"patient":null,"link_status":null,"deleted":false,
/// "filed_at":SECS}}`. Reasons: `no_ins`, `invalid_ins`, `ins_c_only`, `unknown_patient`,
/// `several_candidates`, `traits_disagree`, `not_xdm`, `malformed_xdm`, `malformed_cda`,
/// `unique_id_conflict` (an imported document whose uniqueId is stored with other bytes).
/// `all`: also the decided entries (state `attached` or `rejected`).
///
/// Errors: `SEGUR_RESULT_STORE_STORAGE`, `SEGUR_RESULT_STORE_CORRUPT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_review(
    store: *const segur_store,
    all: bool,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_json));
        let views = try_ffi!(with(store, |s| {
            let mut views = Vec::new();
            for item in s.reviews(!all).map_err(store_err)? {
                let document = s
                    .document(item.document)
                    .map_err(store_err)?
                    .ok_or_else(|| store_err(StoreError::UnknownDocument(item.document)))?;
                views.push(ReviewView::new(&item, &document));
            }
            Ok(views)
        }));
        write_json(out_json, &views)
    })
}

fn decide(
    store: *const segur_store,
    review_id: i64,
    decision: &ReviewDecision,
    actor: *const c_char,
    actor_len: usize,
) -> segur_result {
    // SAFETY: header contract: `actor` is followed by its readable length.
    let actor = try_ffi!(unsafe { str_arg(actor, actor_len) });
    try_ffi!(with(store, |s| {
        s.decide_review(ReviewId(review_id), decision, actor)
            .map_err(store_err)
    }));
    segur_result::Ok
}

/// Attaches the document of review entry `review_id` to the local patient `patient_id`; the
/// decision is recorded with `actor` (the user's name, UTF-8, no control characters) in the
/// store's hash-chained audit trail.
///
/// Errors: `SEGUR_RESULT_STORE_UNKNOWN_REVIEW`, `SEGUR_RESULT_STORE_UNKNOWN_PATIENT`,
/// `SEGUR_RESULT_STORE_ALREADY_DECIDED`, `SEGUR_RESULT_STORE_INVALID_FIELD` (actor),
/// `SEGUR_RESULT_STORE_STORAGE`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_attach(
    store: *const segur_store,
    review_id: i64,
    patient_id: i64,
    actor: *const c_char,
    actor_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        decide(
            store,
            review_id,
            &ReviewDecision::Attach(LocalPatientId(patient_id)),
            actor,
            actor_len,
        )
    })
}

/// Rejects the document of review entry `review_id` (it stays stored, linked to nobody); the
/// decision is recorded with `actor` in the store's audit trail.
///
/// Errors: `SEGUR_RESULT_STORE_UNKNOWN_REVIEW`, `SEGUR_RESULT_STORE_ALREADY_DECIDED`,
/// `SEGUR_RESULT_STORE_INVALID_FIELD` (actor), `SEGUR_RESULT_STORE_STORAGE`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_reject(
    store: *const segur_store,
    review_id: i64,
    actor: *const c_char,
    actor_len: usize,
) -> segur_result {
    crate::ffi_boundary!({ decide(store, review_id, &ReviewDecision::Reject, actor, actor_len) })
}

fn portability_err(e: PortabilityStoreError) -> segur_result {
    match e {
        PortabilityStoreError::Refused(e) => fail(
            segur_result::StoreArchiveRefused,
            format_args!("{e}; the store is unchanged"),
        ),
        PortabilityStoreError::Export(e) => fail(segur_result::StoreExport, e),
        PortabilityStoreError::Store(e) => store_err(e),
        PortabilityStoreError::NoSuchPatient => fail(
            segur_result::StoreUnknownPatient,
            PortabilityStoreError::NoSuchPatient,
        ),
        other => fail(segur_result::StoreOther, other),
    }
}

/// Writes the store's patients as a portability export (MANIFEST.XML, README.TXT, one
/// IHE_XDM lot per patient holding a document; PDLGC 0.1.0 draft, `portability.md` §1) to the
/// file `out_path` (UTF-8): written to `out_path.part`, synced, then renamed, so that the path
/// holds a whole export or is left as it was.
///
/// `options_json` holds the options of `segur export`, every field optional:
/// `{"patient":"279035121518989","all":false,"since":"2026-01-01","vendor":{...},
/// "vendor_file":"/path/vendor.json","compression":"stored"}`. `patient` (an INS matricule, key checked) limits the
/// export to the local identities holding it (`unitaire`), excluding `all`; `since` keeps the
/// documents filed on or after that day, UTC (`cible`); otherwise every patient (`massif`).
/// The vendor identity (the manifest's `editeurSortant` and the OIDs of the exporting
/// system) is `vendor` inline, or the JSON file `vendor_file` (a relative path is taken from
/// the process's working directory), or `vendor.json` in the store folder:
/// `{"denomination":"...","siret":"14 digits","contact_name":"...","contact_email":"...",
/// "contact_telephone":"...","software":"...","source_id":"OID","local_id_root":"OID"}`.
/// Unknown fields are refused. `compression`: how the documents inside each lot are written,
/// `stored` (the default) or `deflate`. Each lot is built in an unnamed temporary file in
/// `out_path`'s folder (never a shared temporary directory).
///
/// Writes the report to `*out_json` (free with `segur_string_free`), the JSON of
/// `segur export --json`: `{"lots":N,"documents":N,"patients_without_documents":N,
/// "review_documents_not_exported":N,"not_exported":[{"document":ID,"reason":"..."}]}`.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON` (options not a JSON object, or an unknown field;
/// position only), `SEGUR_RESULT_INVALID_PARAMETER` (`out_path` empty),
/// `SEGUR_RESULT_STORE_EXPORT_OPTIONS` (the detail names the field),
/// `SEGUR_RESULT_STORE_UNKNOWN_PATIENT` (no local identity holds `patient`),
/// `SEGUR_RESULT_STORE_EXPORT` (the file cannot be written), `SEGUR_RESULT_STORE_STORAGE`,
/// `SEGUR_RESULT_STORE_CORRUPT`. Thread-safe (the store is locked for the whole export).
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_export(
    store: *const segur_store,
    options_json: *const c_char,
    options_json_len: usize,
    out_path: *const c_char,
    out_path_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each pointer is followed by its readable length.
        let options_text = try_ffi!(unsafe { str_arg(options_json, options_json_len) });
        // serde also reads a struct from an array (by position): only an object is options.
        if !options_text.trim_start().starts_with('{') {
            return fail(segur_result::InvalidJson, "options: not a JSON object");
        }
        // SAFETY: as above.
        let request: ExportRequest = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        // SAFETY: as above.
        let out_path = try_ffi!(unsafe { str_arg(out_path, out_path_len) });
        try_ffi!(out_arg(out_json));
        if out_path.is_empty() {
            return fail(segur_result::InvalidParameter, "out_path is empty");
        }
        let report = try_ffi!(with(store, |s| {
            let options = request
                .options(s.folder())
                .map_err(|e| fail(segur_result::StoreExportOptions, e))?;
            write_export_file(&*s, Path::new(out_path), &options).map_err(portability_err)
        }));
        write_json(out_json, &report)
    })
}

/// Files the archive `path` (UTF-8; a portability export, or a plain IHE_XDM.ZIP) into the
/// store, whole or not at all: the archive is checked whole first (every limit of the XDM
/// reader: no path escaping its folder, no absolute path or link, no bomb; each lot's size
/// and SHA-256 against MANIFEST.XML), then filed in one transaction. Into an empty store, the
/// lots of an export recreate their patients; otherwise each CDA is placed with the inbox's
/// identity rules (automatically only on a qualified INS matching one local identity whose
/// traits agree, else the review list with the reason).
///
/// Writes the report to `*out_json` (free with `segur_string_free`), the JSON of
/// `segur import --json`: `{"format":"export","recreated_patients":true,"lots":N,
/// "patients_created":N,"documents_linked":N,"documents_to_review":N,
/// "identities_downgraded":N,"unplaced":[{"path":"...","reason":"..."}]}` (`format`:
/// `export` or `ihe_xdm`).
///
/// Errors: `SEGUR_RESULT_STORE_ARCHIVE_REFUSED` (the detail names the entry, lot or manifest
/// field; the store is unchanged), `SEGUR_RESULT_STORE_ARCHIVE_UNREADABLE`,
/// `SEGUR_RESULT_STORE_STORAGE` (the import is rolled back whole). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_store_import(
    store: *const segur_store,
    path: *const c_char,
    path_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `path` is followed by its readable length.
        let path = try_ffi!(unsafe { str_arg(path, path_len) });
        try_ffi!(out_arg(out_json));
        let report = try_ffi!(with(store, |s| {
            let file = std::fs::File::open(path).map_err(|e| {
                fail(
                    segur_result::StoreArchiveUnreadable,
                    format_args!("archive file: {}", e.kind()),
                )
            })?;
            portability::import(s, BufReader::new(file), &ImportOptions::default())
                .map_err(portability_err)
        }));
        write_json(out_json, &report)
    })
}
