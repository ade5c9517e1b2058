//! Card entry points (`segur-cps-card`): readers, CPS information, PIN, certificates and
//! signature over PC/SC. The PIN is copied into a zeroized buffer and never kept after the call.

use crate::boundary::{
    bytes_arg, handle_mut, out_arg, str_arg, write_handle, write_json, write_out,
};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_cps_card::cps::{CpsCard, CpsConfig, KeyRole};
use ::segur_cps_card::pcsc::{PcscCard, ReaderContext, Share};
use ::segur_cps_card::pin::Pin;
use ::segur_cps_card::signer::SignatureAlgorithm;
use ::segur_cps_card::view::{CpsInfoView, ReaderView};
use ::segur_cps_card::{Error, TransportError};
use std::ffi::c_char;

/// The result code of a card failure. The transport errors come from `SCARD_*` codes, whose
/// values are the PC/SC specification's (part 5) in pcsc-lite and in Windows' `winscard.dll`
/// alike, so the mapping holds on both; `ffi/WINDOWS.md` tables it with what differs on Windows.
pub(crate) fn card_err(e: Error) -> segur_result {
    use segur_result as R;
    let code = match &e {
        Error::Transport(t) => match t {
            TransportError::CardRemoved => R::CardRemoved,
            TransportError::CardReset => R::CardReset,
            TransportError::NoCard => R::CardNoCard,
            TransportError::Unresponsive => R::CardUnresponsive,
            TransportError::ReaderUnavailable => R::CardReaderUnavailable,
            TransportError::SharingViolation => R::CardSharingViolation,
            TransportError::NoService => R::CardNoService,
            TransportError::Timeout => R::CardTimeout,
            TransportError::LibraryMissing { .. } => R::CardPcscLibraryMissing,
            _ => R::CardPcsc,
        },
        Error::NoSuchReader(_) => R::CardNoSuchReader,
        Error::Tlv { .. }
        | Error::Atr { .. }
        | Error::Data { .. }
        | Error::ResponseTooShort { .. } => R::CardData,
        Error::Status { .. } => R::CardStatus,
        Error::WrongPin { .. } => R::CardWrongPin,
        Error::PinBlocked => R::CardPinBlocked,
        Error::PinRequired => R::CardPinRequired,
        Error::InvalidPin { .. } => R::CardInvalidPin,
        Error::WrongCard { .. } => R::CardWrongCard,
        Error::Unsupported { .. } => R::CardUnsupported,
        Error::Command { .. } => R::CardCommand,
        Error::TooLarge { .. } => R::CardTooLarge,
        _ => R::CardOther,
    };
    // The reader name of NoSuchReader is the caller's own input, not patient data.
    fail(code, e)
}

/// Key of a CPS (`segur_cps_card_certificate`, `segur_cps_card_sign`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_card_key {
    /// Authentication key (CPS_PRIV_AUT: INSi, DMP, Pro Santé Connect).
    Authentication = 1,
    /// Signature key (CPS_PRIV_SIG).
    Signature = 2,
    /// Technical authentication key (CPS3 only, no PIN).
    Technical = 3,
}

fn key_role(v: u32) -> Result<KeyRole, segur_result> {
    match v {
        1 => Ok(KeyRole::Authentication),
        2 => Ok(KeyRole::Signature),
        3 => Ok(KeyRole::Technical),
        _ => Err(segur_result::InvalidParameter),
    }
}

/// Signature scheme (RFC 8017) for `segur_cps_card_sign`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_signature_algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaPkcs1Sha256 = 1,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 bytes (CPS4 only).
    RsaPssSha256 = 2,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (legacy).
    RsaPkcs1Sha1 = 3,
    /// RSASSA-PSS with SHA-1 (CPS4 only, legacy).
    RsaPssSha1 = 4,
}

fn algorithm(v: u32) -> Result<SignatureAlgorithm, segur_result> {
    match v {
        1 => Ok(SignatureAlgorithm::RsaPkcs1Sha256),
        2 => Ok(SignatureAlgorithm::RsaPssSha256),
        3 => Ok(SignatureAlgorithm::RsaPkcs1Sha1),
        4 => Ok(SignatureAlgorithm::RsaPssSha1),
        _ => Err(segur_result::InvalidParameter),
    }
}

/// Lists the PC/SC readers and their cards as JSON to `*out_json` (free with
/// `segur_string_free`): `[{"reader":"...","card_present":true,"exclusive":false,
/// "atr":"3B...","card":"cps3"|"cps3-contactless"|"cps4"|"vitale2"|"vitale1"|"unknown"|null}]`.
///
/// Errors: `SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING` (no PC/SC library installed: the detail
/// says what to install), `SEGUR_RESULT_CARD_NO_SERVICE` (no PC/SC service), other
/// `SEGUR_RESULT_CARD_*`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_card_list(out_json: *mut *mut c_char) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_json));
        let ctx = try_ffi!(ReaderContext::establish().map_err(card_err));
        let readers = try_ffi!(ctx.list().map_err(card_err));
        let v = ReaderView::list(&readers);
        write_json(out_json, &v)
    })
}

/// Connects (shared mode) to the card in `wanted` (its exact name or a unique case-insensitive
/// part of it; empty: the first reader holding a card).
pub(crate) fn connect(wanted: &str) -> Result<(ReaderContext, PcscCard), segur_result> {
    let ctx = ReaderContext::establish().map_err(card_err)?;
    let name = if wanted.is_empty() {
        let readers = ctx.list().map_err(card_err)?;
        match readers.into_iter().find(|r| r.card_present) {
            Some(r) => r.name,
            None => return Err(card_err(Error::Transport(TransportError::NoCard))),
        }
    } else {
        ctx.find(wanted).map_err(card_err)?
    };
    let conn = ctx.connect(&name, Share::Shared).map_err(card_err)?;
    Ok((ctx, conn))
}

/// A CPS card connected through PC/SC (shared mode). Every call talks to the card: one thread
/// at a time per handle (the caller serialises); different cards may be used concurrently.
pub struct segur_cps_card {
    pub(crate) card: CpsCard<PcscCard>,
    // Dropped after the card: the PC/SC context outlives the connection.
    _ctx: ReaderContext,
}

/// Connects to the CPS in `reader` (its exact name or a unique case-insensitive part of it;
/// an empty text picks the first reader holding a card), checks it is a CPS (CPS3 or CPS4),
/// and writes the handle to `*out_card`; free it with `segur_cps_card_free`. Card parameters
/// that are not public use the documented defaults of `segur-cps-card` (`CpsConfig`).
///
/// Errors: `SEGUR_RESULT_CARD_NO_SUCH_READER`, `SEGUR_RESULT_CARD_NO_CARD`,
/// `SEGUR_RESULT_CARD_WRONG_CARD` (not a CPS), `SEGUR_RESULT_CARD_NO_SERVICE`,
/// `SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING`, other `SEGUR_RESULT_CARD_*`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cps_card_open(
    reader: *const c_char,
    reader_len: usize,
    out_card: *mut *mut segur_cps_card,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `reader` points to `reader_len` readable bytes.
        let wanted = try_ffi!(unsafe { str_arg(reader, reader_len) });
        try_ffi!(out_arg(out_card));
        let (ctx, conn) = try_ffi!(connect(wanted));
        let card = try_ffi!(CpsCard::open(conn, CpsConfig::default()).map_err(card_err));
        write_handle(out_card, segur_cps_card { card, _ctx: ctx })
    })
}

/// Reads what a CPS says about itself, without the PIN, as JSON to `*out_json` (free with
/// `segur_string_free`): `{"card":"cps3"|"cps4"|...,"serial":"0123456789","pin":{"tries_left":3,
/// "max_tries":3,"blocked":false},"certificates":{"authentication":{"subject","issuer","serial",
/// "not_after"},"signature":{...}},"business_objects":["CPS_NAME_PS",...]}`; a part the card
/// refuses is `{"error":"..."}`. Talks to the card: not concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cps_card_info(
    card: *mut segur_cps_card,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(card) });
        try_ffi!(out_arg(out_json));
        let v = CpsInfoView::read(&mut c.card);
        write_json(out_json, &v)
    })
}

/// Presents the PIN (`pin`, `pin_len` ASCII digits; copied into a zeroized buffer, never kept).
///
/// Errors: `SEGUR_RESULT_CARD_WRONG_PIN` (tries left in `segur_last_error_detail`),
/// `SEGUR_RESULT_CARD_PIN_BLOCKED`, `SEGUR_RESULT_CARD_INVALID_PIN` (format), other
/// `SEGUR_RESULT_CARD_*`. Talks to the card: not concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cps_card_verify_pin(
    card: *mut segur_cps_card,
    pin: *const c_char,
    pin_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(card) });
        // SAFETY: header contract: `pin` points to `pin_len` readable bytes.
        let bytes = try_ffi!(unsafe { bytes_arg(pin, pin_len) });
        let pin = try_ffi!(Pin::new(bytes.to_vec()).map_err(card_err));
        try_ffi!(c.card.verify_pin(&pin).map_err(card_err));
        segur_result::Ok
    })
}

/// Hands bytes to C: `*out_ptr` / `*out_len`, freed with `segur_bytes_free`.
pub(crate) fn write_bytes_out(
    out_ptr: *mut *mut u8,
    out_len: *mut usize,
    bytes: Vec<u8>,
) -> segur_result {
    try_ffi!(out_arg(out_ptr));
    try_ffi!(out_arg(out_len));
    let len = bytes.len();
    let ptr = Box::into_raw(bytes.into_boxed_slice()).cast::<u8>();
    write_out(out_len, len);
    write_out(out_ptr, ptr)
}

/// Frees bytes returned by a `segur_*` function (`ptr` and the length it gave). NULL is a
/// no-op. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_bytes_free(ptr: *mut u8, len: usize) {
    crate::ffi_boundary!(default: (), {
        if !ptr.is_null() {
            // SAFETY: per the contract, made by Box<[u8]>::into_raw in write_bytes_out with this
            // length, freed exactly once.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
        }
    })
}

/// Reads the DER certificate of `key` (a `segur_card_key` value) into `*out_der` /
/// `*out_der_len` (free with `segur_bytes_free`).
///
/// Errors: `SEGUR_RESULT_INVALID_PARAMETER`, `SEGUR_RESULT_CARD_*`. Talks to the card: not
/// concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cps_card_certificate(
    card: *mut segur_cps_card,
    key: u32,
    out_der: *mut *mut u8,
    out_der_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(card) });
        let role = try_ffi!(key_role(key));
        try_ffi!(out_arg(out_der));
        try_ffi!(out_arg(out_der_len));
        let cert = try_ffi!(c.card.certificate(role).map_err(card_err));
        write_bytes_out(out_der, out_der_len, cert.der)
    })
}

/// Signs `message` with `key` (a `segur_card_key` value) and `algorithm` (a
/// `segur_signature_algorithm` value); the card hashes (CPS3 signature key: on-card partial
/// hashing) and signs. Writes the signature to `*out_signature` / `*out_signature_len` (free
/// with `segur_bytes_free`). The PIN must have been verified for the authentication and
/// signature keys.
///
/// Errors: `SEGUR_RESULT_CARD_PIN_REQUIRED`, `SEGUR_RESULT_CARD_UNSUPPORTED` (algorithm not
/// offered by this card), `SEGUR_RESULT_INVALID_PARAMETER`, other `SEGUR_RESULT_CARD_*`. Talks to
/// the card: not concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cps_card_sign(
    card: *mut segur_cps_card,
    key: u32,
    algorithm: u32,
    message: *const u8,
    message_len: usize,
    out_signature: *mut *mut u8,
    out_signature_len: *mut usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(card) });
        let role = try_ffi!(key_role(key));
        let alg = try_ffi!(self::algorithm(algorithm));
        // SAFETY: header contract: `message` points to `message_len` readable bytes.
        let msg = try_ffi!(unsafe { bytes_arg(message.cast(), message_len) });
        try_ffi!(out_arg(out_signature));
        try_ffi!(out_arg(out_signature_len));
        let sig = try_ffi!(c.card.sign_message(role, alg, msg).map_err(card_err));
        write_bytes_out(out_signature, out_signature_len, sig)
    })
}

/// Disconnects and frees a card handle; NULL is a no-op. Free each handle exactly once, after
/// every call using it has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_cps_card_free(card: *mut segur_cps_card) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(card) }
    })
}
