//! Vitale 2 entry points (`segur_cps_card::vitale`): the public identity zone of the card
//! (beneficiaries' names, birth dates and NIR), read-only, over PC/SC. Not a SESAM-Vitale
//! component: the protected zones need the licensed GIE SESAM-Vitale reading API.

use crate::boundary::{handle_mut, out_arg, str_arg, write_handle, write_string};
use crate::cards::{card_err, connect};
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_cps_card::pcsc::{PcscCard, ReaderContext};
use ::segur_cps_card::vitale::{VitaleCard, VitaleIdentity};
use std::ffi::c_char;

/// A Vitale 2 card connected through PC/SC (shared mode). Every call talks to the card: one
/// thread at a time per handle (the caller serialises); different cards may be used
/// concurrently.
pub struct segur_vitale_card {
    card: VitaleCard<PcscCard>,
    // Dropped after the card: the PC/SC context outlives the connection.
    _ctx: ReaderContext,
}

/// Connects to the Vitale card in `reader` (its exact name or a unique case-insensitive part
/// of it; an empty text picks the first reader holding a card), checks from the ATR that it is
/// a Vitale 2 card, and writes the handle to `*out_card`; free it with
/// `segur_vitale_card_free`.
///
/// Errors: `SEGUR_RESULT_CARD_NO_SUCH_READER`, `SEGUR_RESULT_CARD_NO_CARD`,
/// `SEGUR_RESULT_CARD_WRONG_CARD` (not a Vitale card), `SEGUR_RESULT_CARD_UNSUPPORTED` (Vitale 1,
/// detected but not read), `SEGUR_RESULT_CARD_NO_SERVICE`,
/// `SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING`, other `SEGUR_RESULT_CARD_*`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_vitale_card_open(
    reader: *const c_char,
    reader_len: usize,
    out_card: *mut *mut segur_vitale_card,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `reader` points to `reader_len` readable bytes.
        let wanted = try_ffi!(unsafe { str_arg(reader, reader_len) });
        try_ffi!(out_arg(out_card));
        let (ctx, conn) = try_ffi!(connect(wanted));
        let card = try_ffi!(VitaleCard::open(conn).map_err(card_err));
        write_handle(out_card, segur_vitale_card { card, _ctx: ctx })
    })
}

/// One beneficiary in the JSON of `segur_vitale_card_read_identity`.
#[derive(serde::Serialize)]
struct BeneficiaryJson<'a> {
    last_name: &'a str,
    first_name: &'a str,
    birth_date: Option<&'a str>,
    nir: Option<&'a str>,
}

fn identity_json(id: &VitaleIdentity) -> Result<String, segur_result> {
    let list: Vec<BeneficiaryJson<'_>> = id
        .beneficiaries
        .iter()
        .map(|b| BeneficiaryJson {
            last_name: b.last_name.expose(),
            first_name: b.first_name.expose(),
            birth_date: b.birth_date.as_ref().map(|d| d.expose()),
            nir: b.nir.as_ref().map(|n| n.expose()),
        })
        .collect();
    // Serialising borrowed strings cannot fail; a failure would be a bug, reported as such.
    serde_json::to_string(&serde_json::json!({ "beneficiaries": list }))
        .map_err(|_| segur_result::Panic)
}

/// Reads the public identity zone of the card (no PIN, nothing written) and writes it as JSON
/// to `*out_json` (free with `segur_string_free` as soon as it is used):
/// `{"beneficiaries":[{"last_name":"...","first_name":"...","birth_date":"YYYYMMDD"|null,
/// "nir":"180017512345622"|null}]}`, holder first. Birth dates are as written on the card
/// (may be lunar, e.g. day 00); the NIR is the 15 characters of the card, unchecked; names and
/// NIRs are paired by position (TO VERIFY on family cards).
///
/// **The JSON is patient data**: never log it, and do not take it as a qualified identity (the
/// INS comes from the INSi teleservice, not from the Vitale card). Error details never contain
/// it.
///
/// Errors: `SEGUR_RESULT_CARD_DATA` (malformed zone), `SEGUR_RESULT_CARD_STATUS`,
/// `SEGUR_RESULT_CARD_REMOVED`, other `SEGUR_RESULT_CARD_*`. Talks to the card: not
/// concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn segur_vitale_card_read_identity(
    card: *mut segur_vitale_card,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(card) });
        try_ffi!(out_arg(out_json));
        let identity = try_ffi!(c.card.read_identity().map_err(card_err));
        let text = try_ffi!(identity_json(&identity));
        write_string(out_json, text)
    })
}

/// Disconnects and frees a Vitale card handle; NULL is a no-op. Free each handle exactly once,
/// after every call using it has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_vitale_card_free(card: *mut segur_vitale_card) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(card) }
    })
}
