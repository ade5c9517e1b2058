//! From MSSanté to the DMP: the documents of a received IHE_XDM listed for the pharmacist to
//! choose, and the chosen ones fed with the sender's XDS metadata once they agree with the CDA
//! (`segur_dmp::from_xdm`, the functions of `segur dmp feed --xdm`).

use super::error::dmp_err;
use super::segur_dmp_client;
use crate::boundary::{bytes_arg, handle_ref, out_arg, write_json};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use segur_dmp::DmpError;
use segur_dmp::from_xdm::{ReceivedXdm, Selection, XdmFeedError};
use segur_dmp_cda::xdm::XdmLimits;
use std::ffi::c_char;

/// Maps a refusal of the package or of one of its documents to its code; the detail names the
/// document and the field, never a value (patient data).
pub(super) fn xdm_feed_err(e: XdmFeedError) -> segur_result {
    match e {
        XdmFeedError::Package(x) => crate::cda::xdm_err(x),
        e @ XdmFeedError::NotQualifiedIns { .. } => fail(segur_result::DmpPatientNotQualified, e),
        e @ XdmFeedError::NoSuchDocument { .. } => fail(segur_result::InvalidParameter, e),
        e => fail(segur_result::DmpXdmDocument, e),
    }
}

fn read(zip: *const u8, zip_len: usize) -> Result<ReceivedXdm, segur_result> {
    // SAFETY: header contract: `zip` points to `zip_len` readable bytes.
    let bytes = unsafe { bytes_arg(zip.cast(), zip_len) }?;
    ReceivedXdm::read(bytes, &XdmLimits::default()).map_err(xdm_feed_err)
}

/// Lists the documents of the received IHE_XDM.ZIP `zip` (`zip_len` bytes), read with every
/// limit of `segur_xdm_unpack`, for the pharmacist to choose which to feed. Writes a JSON array
/// to `*out_json` (free with `segur_string_free`), the form of `segur dmp feed --xdm FILE
/// --json` without a choice: `[{"index","kind":"cda"|"not_cda"|"undescribed","path",
/// "unique_id","type_code","title","size","feedable","refusal"}]`; no patient data. No network.
///
/// Errors: the XDM codes of `segur_xdm_unpack` (4000-4999).
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_xdm_documents(
    zip: *const u8,
    zip_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_json));
        let xdm = try_ffi!(read(zip, zip_len));
        write_json(out_json, &xdm.documents())
    })
}

/// TD2.1 from a received IHE_XDM: feeds the documents of indexes `indexes` (`indexes_len`
/// values, as `segur_dmp_xdm_documents` numbers them), or every CDA when `indexes_len` is 0
/// (`indexes` may then be NULL). Each chosen document is checked first (described by
/// METADATA.XML, a CDA, hash and size verified, the same qualified INS in the entry, the
/// submission set and the CDA, uniqueId, typeCode, times and authors agreeing with the CDA
/// header); nothing is sent when one fails. Then each is fed in its own submission with the
/// sender's metadata. Writes a JSON array to `*out_json` (free with `segur_string_free`), the
/// form of `segur dmp feed --xdm --json`: `[{"index","path","outcome":"fed"|"already_present"|
/// "not_cda"|"failed","unique_id","replaces","error"}]`; a DMP refusal of one document is its
/// `failed` entry, not the function's result. Blocks for the exchanges.
///
/// Errors: the XDM codes (4000-4999), `SEGUR_RESULT_INVALID_PARAMETER` (no such index),
/// `SEGUR_RESULT_DMP_PATIENT_NOT_QUALIFIED` (an INS-C or a local identifier),
/// `SEGUR_RESULT_DMP_XDM_DOCUMENT` (a document that cannot be fed: the detail names the
/// document and the field).
#[unsafe(no_mangle)]
pub extern "C" fn segur_dmp_client_feed_xdm(
    client: *const segur_dmp_client,
    zip: *const u8,
    zip_len: usize,
    indexes: *const usize,
    indexes_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        try_ffi!(out_arg(out_json));
        let selection = if indexes_len == 0 {
            Selection::All
        } else {
            if indexes.is_null() {
                return segur_result::NullParameter;
            }
            // SAFETY: header contract: non-NULL `indexes` points to `indexes_len` values.
            let chosen = unsafe { std::slice::from_raw_parts(indexes, indexes_len) };
            Selection::Documents(chosen.to_vec())
        };
        let xdm = try_ffi!(read(zip, zip_len));
        let report = match segur_dmp::from_xdm::feed(&c.client, &xdm, &selection) {
            Ok(report) => report,
            Err(DmpError::Xdm(e)) => return xdm_feed_err(e),
            Err(e) => return dmp_err(e),
        };
        write_json(out_json, &report)
    })
}
