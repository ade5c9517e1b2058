//! DMP entry points (`segur-dmp`): a blocking client made from `dmp.toml`, one function per
//! transaction (TD0.2 status, TD0.3 authorisation, TD2.1 feed, TD3.1 find, TD3.2 get, TD3.3
//! mask / unmask / archive / delete), TD3.2 through the document store
//! (`segur_dmp_client_get_kept`: kept, traced, never fetched twice), and the "DMP button" URL.
//!
//! JSON results are the views `segur dmp ... --json` prints (`segur_dmp::view`,
//! `segur_dmp::td02::ExistenceTest`): one contract for the command line and the C API. Result
//! codes are 8000-8999 (`error`); error details never hold patient data.
//!
//! Patients are named by the matricule of an identity the application holds as qualified
//! (RNIV EXI SI 08: only a qualified identity's matricule may be sent;
//! `segur_identity_qualified_ins` gives it), with the authority OID of `ins_oid` in `dmp.toml` (INS-NIR when absent), as the
//! command line's `--ins`.

mod error;
mod kept;
mod web;
mod xdm;

pub use kept::*;
pub use web::*;
pub use xdm::*;

use crate::boundary::{
    bytes_arg, handle_ref, out_arg, str_arg, write_bytes, write_handle, write_json,
};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use error::dmp_err;
use segur_dmp::DmpPatient;
use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::td03::AuthorizationAction;
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::{FindDocuments, QueryCode, StatusFilter};
use segur_dmp::td33::{ConfidentialityChange, StatusChange};
use segur_dmp::view::FeedView;
use segur_net::http::HttpLimits;
use std::ffi::c_char;
use std::time::Duration;

/// The LOINC coding scheme of a `type_code` filter (`shared/specs/dmp.md` §6).
const LOINC: &str = "2.16.840.1.113883.6.1";

/// A blocking DMP client made from `dmp.toml` (endpoint, mutual-TLS and signing material,
/// professional, structure, software). Every function takes a `const` handle and may run
/// concurrently on one client from several threads.
pub struct segur_dmp_client {
    client: DmpClient,
    ins_oid: String,
}

// The header promises concurrent calls on one handle: a client that stopped being Send + Sync
// would not compile.
const _: () = {
    const fn shared_across_threads<T: Send + Sync>() {}
    shared_across_threads::<segur_dmp_client>();
};

impl segur_dmp_client {
    /// The patient of a matricule, with the configured authority.
    ///
    /// # Safety
    /// `ins` points to `ins_len` readable bytes (or is NULL).
    unsafe fn patient(
        &self,
        ins: *const c_char,
        ins_len: usize,
    ) -> Result<DmpPatient, segur_result> {
        // SAFETY: forwarded contract.
        let matricule = unsafe { str_arg(ins, ins_len) }?;
        let ins =
            segur_ins::Ins::from_parts(matricule, &self.ins_oid).map_err(crate::ins::ins_err)?;
        // The application attests the identity is qualified (see the module documentation).
        Ok(DmpPatient::attested_qualified(ins))
    }
}

/// Whether a TD0.3 call declares or removes the authorisation
/// (`segur_dmp_client_set_authorization`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_dmp_authorization {
    /// `AJOUT`: the professional declares the patient's authorisation.
    Add = 1,
    /// `SUPPRESSION`: the authorisation is removed.
    Remove = 2,
}

/// Which statuses a search returns (`segur_dmp_client_find`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_dmp_status_filter {
    /// Approved documents only (the IG's first automatic search).
    Approved = 1,
    /// Deprecated (replaced) documents only.
    Deprecated = 2,
    /// Approved, deprecated and archived documents.
    All = 3,
}

/// A TD3.3 change of a document (`segur_dmp_client_update`, `shared/specs/dmp.md` §8).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_dmp_change {
    /// TD3.3a: add `MASQUE_PS`, hidden from other professionals.
    Mask = 1,
    /// TD3.3a: remove `MASQUE_PS` (no official example: TO VERIFY, §12).
    Unmask = 2,
    /// TD3.3b: remove `INVISIBLE_PATIENT`, visible to the patient.
    MakeVisibleToPatient = 3,
    /// TD3.3d: Approved → Archived.
    Archive = 4,
    /// Archived → Approved (no official example: TO VERIFY, §12).
    Unarchive = 5,
    /// TD3.3c: Approved or Archived → Deleted.
    Delete = 6,
}

/// Reads `dmp.toml` at `config_path` (UTF-8 path; relative certificate paths are resolved
/// against its folder; the format is `segur_dmp::config`'s, and `segur dmp simulate
/// --write-config DIR` writes one for its simulator), loads the mutual-TLS and signing material
/// and writes a client to `*out_client` (free with `segur_dmp_client_free`). `timeout_ms` bounds
/// each exchange (connection, TLS, request and answer); 0 keeps the default of 30 s. TLS 1.2
/// with the DMP's AEAD suites (FI-579), the server verified against the configured roots. No
/// network exchange happens here.
///
/// Errors: `SEGUR_RESULT_DMP_CONFIG` (unreadable or invalid file, missing field, unreadable
/// certificate or key file: named in the detail), `SEGUR_RESULT_DMP_TLS_CONFIG` (PEM that does
/// not load, key not matching), `SEGUR_RESULT_DMP_SIGNING`, `SEGUR_RESULT_DMP_VIHF`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_new(
    config_path: *const c_char,
    config_path_len: usize,
    timeout_ms: u32,
    out_client: *mut *mut segur_dmp_client,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `config_path` points to `config_path_len` readable bytes.
        let path = try_ffi!(unsafe { str_arg(config_path, config_path_len) });
        try_ffi!(out_arg(out_client));
        let config =
            try_ffi!(DmpConfig::load(std::path::Path::new(path)).map_err(|e| dmp_err(e.into())));
        let mut limits = HttpLimits::default();
        if timeout_ms > 0 {
            limits.exchange_timeout = Duration::from_millis(u64::from(timeout_ms));
            limits.connect_timeout = limits.connect_timeout.min(limits.exchange_timeout);
        }
        let client = try_ffi!(DmpClient::from_config_with_limits(&config, limits).map_err(dmp_err));
        let ins_oid = config
            .ins_oid
            .unwrap_or_else(|| segur_ins::OID_INS_NIR.to_owned());
        write_handle(out_client, segur_dmp_client { client, ins_oid })
    })
}

/// Pro Santé Connect: every later request of `client` carries `Authorization: Bearer` with
/// the token the proxy e-Santé session of `provider` (a `segur_psc_provider` signed in with
/// `segur_psc_provider_login`) releases for its backend `backend` (`backend_len` bytes of
/// UTF-8, the name in the proxy's configuration), asked again before each request so the
/// proxy's refresh applies (`DmpClient::with_bearer_tokens`). The VIHF and the TLS client
/// certificate stay those of `dmp.toml`. How the DMP receives a PSC token is not published
/// (TO VERIFY): the header follows the IG of the PSC API gateway for legacy SOAP services.
/// Replaces a provider set before.
///
/// The client keeps its own reference to the provider's session: `provider` may be freed
/// before or after `client`, in any order. A later `segur_psc_provider_login` or
/// `segur_psc_provider_logout` on the provider applies to this client too (they share the
/// session).
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_INVALID_PARAMETER` (backend name not 1 to 64 letters, digits, `-`, `_`, `.`).
/// A token the proxy cannot give (not signed in, session ended) fails the next request with
/// `SEGUR_RESULT_DMP_TOKEN` before anything is sent. Mutates `client`: not concurrently with
/// other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_set_psc_provider(
    client: *mut segur_dmp_client,
    provider: *const crate::psc::segur_psc_provider,
    backend: *const c_char,
    backend_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { crate::boundary::handle_mut(client) });
        // SAFETY: header contract: NULL or a live provider handle.
        let p = try_ffi!(unsafe { crate::psc::provider_arg(provider) });
        // SAFETY: header contract: `backend` points to `backend_len` readable bytes.
        let backend = try_ffi!(unsafe { str_arg(backend, backend_len) });
        let tokens = try_ffi!(p.for_backend(backend).map_err(crate::psc::psc_err));
        c.client = c
            .client
            .clone()
            .with_bearer_tokens(std::sync::Arc::new(tokens));
        segur_result::Ok
    })
}

/// TD0.2 existence test of the patient's DMP (`ins`: the matricule, 15 characters), written as
/// JSON to `*out_json` (free with `segur_string_free`), the form `segur dmp status --json`
/// prints: `{"state":"active"|"closed"|"absent","authorization":"VALIDE"|null,
/// "treating_doctor":bool|null,"ens_attachment":bool|null,"internet_account_open":bool|null}`.
/// A closed or absent DMP is an answer, not an error. Blocks for the exchange.
///
/// Errors: the INS codes of `segur_ins_check` (2000-2029) for `ins`; the transport codes
/// (`SEGUR_RESULT_DMP_TLS_*`, `_NETWORK`, `_CONNECTION_LOST`, `_TIMEOUT`, `_HTTP_STATUS`,
/// `_HTTP`), `SEGUR_RESULT_DMP_SOAP_FAULT`, the refusals (`SEGUR_RESULT_DMP_NO_AUTHORISATION`,
/// `SEGUR_RESULT_DMP_REFUSED`: the DMP's code in the detail), `SEGUR_RESULT_DMP_RESPONSE`.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_status(
    client: *const segur_dmp_client,
    ins: *const c_char,
    ins_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `ins` points to `ins_len` readable bytes.
        let patient = try_ffi!(unsafe { c.patient(ins, ins_len) });
        try_ffi!(out_arg(out_json));
        let test = try_ffi!(c.client.existence_test(&patient).map_err(dmp_err));
        write_json(out_json, &test)
    })
}

/// TD0.3: declares (`SEGUR_DMP_AUTHORIZATION_ADD`) or removes
/// (`SEGUR_DMP_AUTHORIZATION_REMOVE`) the professional's authorisation on the patient's DMP
/// (`authorization` is a `segur_dmp_authorization` value). Not available in INDIRECTE mode
/// (FI-526). Blocks for the exchange.
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (another `authorization` value), the INS codes for
/// `ins`, the transport codes, `SEGUR_RESULT_DMP_CLOSED`, `SEGUR_RESULT_DMP_SOAP_FAULT` (for
/// example INDIRECTE mode), `SEGUR_RESULT_DMP_REFUSED` (a status other than `DMPOk`: in the
/// detail), `SEGUR_RESULT_DMP_RESPONSE`.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_set_authorization(
    client: *const segur_dmp_client,
    ins: *const c_char,
    ins_len: usize,
    authorization: u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `ins` points to `ins_len` readable bytes.
        let patient = try_ffi!(unsafe { c.patient(ins, ins_len) });
        let action = match authorization {
            1 => AuthorizationAction::Add,
            2 => AuthorizationAction::Remove,
            _ => return segur_result::InvalidParameter,
        };
        try_ffi!(
            c.client
                .set_authorization(&patient, action)
                .map_err(dmp_err)
        );
        segur_result::Ok
    })
}

/// TD2.1: feeds the CDA document `cda` (`cda_len` bytes) to the DMP of its patient (the INS of
/// `recordTarget`), replacing the document of uniqueId `replaces` when it is not NULL (RPLC:
/// same setId, version + 1; `replaces_len` bytes). The metadata are derived from the CDA
/// header; the submission set is XAdES-signed. The document counts as fed only after a
/// Success; an exchange that times out or breaks is followed by a search for the uniqueId and
/// sent again only when absent (never a duplicate). Writes `{"outcome":"fed"|"already_present",
/// "unique_id":"...","replaces":"..."|null}` to `*out_json` (free with `segur_string_free`), the
/// form of `segur dmp feed --json`. Blocks for the exchanges.
///
/// Errors: the CDA codes of `segur_cda_read` (3010-3019), `SEGUR_RESULT_DMP_PATIENT_NOT_QUALIFIED`
/// (the document carries no INS: the SDK's builder writes it only for a qualified identity),
/// the INS codes (an INS that does not check), `SEGUR_RESULT_DMP_DOCUMENT` (metadata cannot be
/// derived), the transport codes, `SEGUR_RESULT_DMP_SOAP_FAULT`, the refusals
/// (`SEGUR_RESULT_DMP_CLOSED`, `_NO_AUTHORISATION`, `_NO_DMP`, `_DUPLICATE_DOCUMENT`,
/// `_DEPRECATED_DOCUMENT`, `_INTEGRITY`, `_PARTIAL_SUCCESS`, `_REFUSED`),
/// `SEGUR_RESULT_DMP_RESPONSE`.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_feed(
    client: *const segur_dmp_client,
    cda: *const u8,
    cda_len: usize,
    replaces: *const c_char,
    replaces_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `cda` points to `cda_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(cda.cast(), cda_len) });
        let replaces = if replaces.is_null() {
            None
        } else {
            // SAFETY: header contract: non-NULL `replaces` points to `replaces_len` bytes.
            Some(try_ffi!(unsafe { str_arg(replaces, replaces_len) }))
        };
        try_ffi!(out_arg(out_json));
        // The header is read first so that each reason has its own code: the CDA's own
        // errors, a document without INS, an INS that does not check.
        let header = try_ffi!(
            segur_dmp_cda::read_header(bytes, &Default::default()).map_err(crate::cda::cda_err)
        );
        match header.patient.ins() {
            None => {
                return fail(
                    segur_result::DmpPatientNotQualified,
                    "the CDA's recordTarget carries no INS (RNIV EXI SI 08: only a qualified \
                     identity's INS is sent)",
                );
            }
            Some(Err(e)) => return crate::ins::ins_err(e),
            Some(Ok(_)) => {}
        }
        let doc =
            try_ffi!(FeedDocument::from_cda(bytes.to_vec(), &Default::default()).map_err(dmp_err));
        let outcome = try_ffi!(c.client.feed(&doc, replaces).map_err(dmp_err));
        let view = FeedView {
            outcome: match outcome {
                FeedOutcome::Fed => "fed",
                FeedOutcome::AlreadyPresent => "already_present",
            },
            unique_id: doc.unique_id().to_owned(),
            replaces: replaces.map(str::to_owned),
        };
        write_json(out_json, &view)
    })
}

/// TD3.1: the patient's documents with a status of `status` (a `segur_dmp_status_filter`
/// value) and, when `type_code` is not NULL, of that LOINC typeCode (`type_code_len` bytes).
/// Writes one JSON array to `*out_json` (free with `segur_string_free`), the form of
/// `segur dmp find --json`: `[{"unique_id","entry_uuid","logical_id","version","status",
/// "type_code","class_code","format_code","confidentiality":[...],"title","mime_type","hash",
/// "size","creation_time","service_start_time","repository_unique_id"}]`; `size` is what
/// `segur_dmp_client_get` needs as buffer. Masked documents of other professionals are not
/// returned. Blocks for the exchange.
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (another `status` value), the INS codes, the
/// transport codes, `SEGUR_RESULT_DMP_SOAP_FAULT`, the refusals (`SEGUR_RESULT_DMP_CLOSED`,
/// `_NO_AUTHORISATION`, `_NO_DMP`, `_REFUSED`), `SEGUR_RESULT_DMP_RESPONSE`.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_find(
    client: *const segur_dmp_client,
    ins: *const c_char,
    ins_len: usize,
    type_code: *const c_char,
    type_code_len: usize,
    status: u32,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `ins` points to `ins_len` readable bytes.
        let patient = try_ffi!(unsafe { c.patient(ins, ins_len) });
        let type_code = if type_code.is_null() {
            None
        } else {
            // SAFETY: header contract: non-NULL `type_code` points to `type_code_len` bytes.
            Some(try_ffi!(unsafe { str_arg(type_code, type_code_len) }))
        };
        let status = match status {
            1 => StatusFilter::Approved,
            2 => StatusFilter::Deprecated,
            3 => StatusFilter::All,
            _ => return segur_result::InvalidParameter,
        };
        try_ffi!(out_arg(out_json));
        let query = FindDocuments {
            status,
            type_codes: type_code
                .map(|code| QueryCode {
                    code: code.to_owned(),
                    scheme: LOINC.to_owned(),
                })
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let entries = try_ffi!(c.client.find(&patient, &query).map_err(dmp_err));
        write_json(out_json, &entries)
    })
}

/// TD3.2: retrieves the document `unique_id` of the patient, checked against the size and SHA-1
/// of its registry entry, into the caller's buffer `buf` of `buf_len` bytes, its length to
/// `*out_len`. The `size` of the entry (`segur_dmp_client_find`) is the length needed; a buffer
/// too small gives `SEGUR_RESULT_INSUFFICIENT_SIZE` with the needed length in `*out_len` and
/// `buf` untouched (the retrieval is not kept: call again with a larger buffer). Blocks for the
/// exchanges (a search for the entry, then the retrieval).
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INSUFFICIENT_SIZE`, the INS codes,
/// `SEGUR_RESULT_DMP_UNKNOWN_DOCUMENT` (no such document visible to the professional),
/// `SEGUR_RESULT_DMP_DOCUMENT_MISMATCH` (size or hash differ from the entry), the transport
/// codes, `SEGUR_RESULT_DMP_SOAP_FAULT`, the refusals, `SEGUR_RESULT_DMP_RESPONSE`.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_get(
    client: *const segur_dmp_client,
    ins: *const c_char,
    ins_len: usize,
    unique_id: *const c_char,
    unique_id_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `ins` points to `ins_len` readable bytes.
        let patient = try_ffi!(unsafe { c.patient(ins, ins_len) });
        // SAFETY: header contract: `unique_id` points to `unique_id_len` readable bytes.
        let unique_id = try_ffi!(unsafe { str_arg(unique_id, unique_id_len) });
        try_ffi!(out_arg(buf));
        try_ffi!(out_arg(out_len));
        let doc = try_ffi!(c.client.retrieve(&patient, unique_id).map_err(dmp_err));
        write_bytes(&doc.bytes, buf.cast(), buf_len, out_len)
    })
}

/// TD3.3: applies `change` (a `segur_dmp_change` value: mask, unmask, make visible to the
/// patient, archive, unarchive, delete) to the document `unique_id` of the patient, built from
/// its registry entry as the DMP returns it. Blocks for the exchanges (a search, then the
/// update).
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER` (another `change` value), the INS codes,
/// `SEGUR_RESULT_DMP_UNKNOWN_DOCUMENT`, the transport codes, `SEGUR_RESULT_DMP_SOAP_FAULT`,
/// the refusals (`SEGUR_RESULT_DMP_CLOSED`, `_NO_AUTHORISATION`, `_DEPRECATED_DOCUMENT`,
/// `_REFUSED`: for example a transition the registry does not allow), `SEGUR_RESULT_DMP_RESPONSE`.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_update(
    client: *const segur_dmp_client,
    ins: *const c_char,
    ins_len: usize,
    unique_id: *const c_char,
    unique_id_len: usize,
    change: u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `ins` points to `ins_len` readable bytes.
        let patient = try_ffi!(unsafe { c.patient(ins, ins_len) });
        // SAFETY: header contract: `unique_id` points to `unique_id_len` readable bytes.
        let unique_id = try_ffi!(unsafe { str_arg(unique_id, unique_id_len) });
        let confidentiality = |change| c.client.update_confidentiality(&patient, unique_id, change);
        let status = |change| c.client.update_status(&patient, unique_id, change);
        let done = match change {
            1 => confidentiality(ConfidentialityChange::Mask),
            2 => confidentiality(ConfidentialityChange::Unmask),
            3 => confidentiality(ConfidentialityChange::MakeVisibleToPatient),
            4 => status(StatusChange::Archive),
            5 => status(StatusChange::Unarchive),
            6 => status(StatusChange::Delete),
            _ => return segur_result::InvalidParameter,
        };
        try_ffi!(done.map_err(dmp_err));
        segur_result::Ok
    })
}

/// Frees a DMP client; NULL is a no-op. Free each handle exactly once, after every call using
/// it has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_free(client: *mut segur_dmp_client) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(client) }
    })
}
