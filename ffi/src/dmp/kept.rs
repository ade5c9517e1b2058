//! TD3.2 through the document store: a document retrieved from the DMP for a medication review
//! is kept (`segur_store::retrieved`), traced in the store's audit trail, and never fetched
//! twice.

use super::error::dmp_err;
use super::segur_dmp_client;
use crate::boundary::{handle_ref, out_arg, str_arg, write_bytes, write_out};
use crate::result::segur_result;
use crate::store::{segur_store, store_err, with};
use crate::try_ffi;
use ::segur_store::DocumentStore;
use ::segur_store::retrieved::{FromDmp, find_retrieved_for, keep_retrieved};
use std::ffi::c_char;

/// TD3.2 through the store `store`: the document `unique_id` of the patient, from the store when
/// a document retrieved with that uniqueId is kept there (not deleted; no DMP exchange,
/// `*out_from_store` true), otherwise retrieved from the DMP as `segur_dmp_client_get` does,
/// kept in the store (the bytes exactly, origin `retrieved`, filed to the one local identity
/// holding the INS with the identity rules of the inbox, else listed for review with the
/// reason) and recorded in the store's audit trail with `actor` (the user's name, UTF-8, no
/// control characters) and no patient data (`*out_from_store` false). The bytes go to `buf`
/// of `buf_len` bytes, their length to `*out_len`, the stored document's id to
/// `*out_document_id`. A buffer too small gives `SEGUR_RESULT_INSUFFICIENT_SIZE` with the
/// needed length in `*out_len` and the document id written: the document is kept, so the call
/// again with a larger buffer is answered from the store. The store is not held during the DMP
/// exchanges; two threads or workstations retrieving one document at once keep it once.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INSUFFICIENT_SIZE`, the codes of
/// `segur_dmp_client_get`, `SEGUR_RESULT_STORE_RETRIEVED_CONFLICT` (a document kept with this
/// uniqueId has other bytes; it is left unchanged and the new bytes are not written),
/// `SEGUR_RESULT_STORE_RETRIEVED_OTHER_PATIENT` (the kept document is filed to a local identity
/// holding another INS: nothing is written), `SEGUR_RESULT_STORE_INVALID_FIELD` (actor), `SEGUR_RESULT_STORE_STORAGE`,
/// `SEGUR_RESULT_STORE_CORRUPT`. Thread-safe.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // pointer and length pairs of the C convention
pub extern "C" fn segur_dmp_client_get_kept(
    client: *const segur_dmp_client,
    store: *const segur_store,
    ins: *const c_char,
    ins_len: usize,
    unique_id: *const c_char,
    unique_id_len: usize,
    actor: *const c_char,
    actor_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
    out_document_id: *mut i64,
    out_from_store: *mut bool,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        // SAFETY: header contract: `ins` points to `ins_len` readable bytes.
        let patient = try_ffi!(unsafe { c.patient(ins, ins_len) });
        // SAFETY: header contract: `unique_id` points to `unique_id_len` readable bytes.
        let unique_id = try_ffi!(unsafe { str_arg(unique_id, unique_id_len) });
        // SAFETY: header contract: `actor` points to `actor_len` readable bytes.
        let actor = try_ffi!(unsafe { str_arg(actor, actor_len) });
        try_ffi!(out_arg(buf));
        try_ffi!(out_arg(out_len));
        try_ffi!(out_arg(out_document_id));
        try_ffi!(out_arg(out_from_store));
        let kept = try_ffi!(with(store, |s| {
            let Some(record) =
                find_retrieved_for(s, unique_id, patient.ins()).map_err(store_err)?
            else {
                return Ok(None);
            };
            Ok(Some((
                record.id,
                s.document_bytes(record.id).map_err(store_err)?,
            )))
        }));
        let (id, bytes, from_store) = match kept {
            Some((id, bytes)) => (id, bytes, true),
            None => {
                // The store is not locked during the exchanges.
                let doc = try_ffi!(c.client.retrieve(&patient, unique_id).map_err(dmp_err));
                let id = try_ffi!(with(store, |s| {
                    keep_retrieved(
                        s,
                        FromDmp {
                            unique_id: doc.unique_id,
                            media_type: doc.mime_type,
                            bytes: doc.bytes,
                            entry: None,
                            metadata_xml: None,
                        },
                        patient.ins(),
                        actor,
                    )
                    .map(|k| k.id())
                    .map_err(store_err)
                }));
                let bytes = try_ffi!(with(store, |s| s.document_bytes(id).map_err(store_err)));
                (id, bytes, false)
            }
        };
        // The pointers were checked non-NULL above, so the id and the flag are written even when
        // the buffer is too small.
        write_out(out_document_id, id.0)
            .and(write_out(out_from_store, from_store))
            .and(write_bytes(&bytes, buf.cast(), buf_len, out_len))
    })
}
