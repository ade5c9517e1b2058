//! MSSanté acknowledgement entry points (`segur_mssante::mdn`): build the MDN answering a
//! received message (ANS IG "transmission LPS → document CDA → courriel MSS", struct-msg-mdn,
//! RFC 8098), and send it.
//!
//! Received MDNs and DSNs are read by `segur_mss_parse` (its `report`); a DSN is requested with
//! the `dsn` flag of `segur_mss_send`.

use crate::boundary::{bytes_arg, json_arg, out_arg, write_string};
use crate::mss_credentials::{credentials_arg, segur_mss_credentials};
use crate::mssante::{SendJson, mss_err, submit, write_bytes_and_json};
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_mssante::compose::ProductReference;
use ::segur_mssante::mdn::{AnsErrorCode, Disposition, IntegrationError, MdnBuilder};
use ::segur_mssante::{MailAddress, MssError, OutgoingMessage, ReceivedMessage};
use serde_json::json;
use std::ffi::c_char;

/// Options of `segur_mss_mdn_build`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MdnJson {
    reporter: String,
    nil: String,
    #[serde(default)]
    error: Option<ErrorJson>,
    #[serde(default)]
    confirmed_by_user: bool,
    #[serde(default)]
    human_text: Option<String>,
    #[serde(default)]
    reporting_ua: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorJson {
    code: u16,
    #[serde(default)]
    label: Option<String>,
}

/// The ANS code of a number 900-906, for its default label.
fn ans_code(code: u16) -> Option<AnsErrorCode> {
    use AnsErrorCode as A;
    [
        A::WrongVersion,
        A::AuthorNotAllowed,
        A::UnknownPatient,
        A::InsAbsent,
        A::InsMismatch,
        A::InsIncomplete,
        A::Other,
    ]
    .into_iter()
    .find(|c| *c as u16 == code)
}

fn build(received: &[u8], o: MdnJson) -> Result<OutgoingMessage, MssError> {
    let original = ReceivedMessage::parse(received)?;
    let disposition = match o.error {
        None => Disposition::processed(),
        Some(e) => Disposition::processing_failed(match (e.label, ans_code(e.code)) {
            (Some(label), _) => IntegrationError::new(e.code, &label)?,
            (None, Some(ans)) => IntegrationError::from(ans),
            (None, None) => IntegrationError::new(e.code, "")?,
        }),
    };
    let mut b = MdnBuilder::new(
        &original,
        MailAddress::parse(&o.reporter)?,
        ProductReference::new(&o.nil)?,
        disposition,
    );
    if o.confirmed_by_user {
        b = b.confirmed_by_user();
    }
    if let Some(t) = &o.human_text {
        b = b.human_text(t);
    }
    if let Some(ua) = &o.reporting_ua {
        b = b.reporting_ua(ua)?;
    }
    b.build()
}

/// Builds the MDN (RFC 8098 `multipart/report`, ANS IG struct-msg-mdn) answering a received
/// message (`received_eml`, `received_eml_len` bytes, as fetched) and writes it to `*out_eml` /
/// `*out_eml_len` (free with `segur_bytes_free`) and a summary as JSON to `*out_json` (free
/// with `segur_string_free`): `{"message_id":"<...>","to":["..."],"subject":"...",
/// "disposition":"automatic-action/MDN-sent-automatically; processed"}`.
///
/// `options_json` is `{"reporter":"pharma@x.mssante.fr" (the mailbox that received it),
/// "nil":"<product reference, X-MSS-NIL>","error"?:{"code":903,"label"?:"..."},
/// "confirmed_by_user"?:false,"human_text"?:"...","reporting_ua"?:"..."}`. Without `error`
/// the disposition is `processed`; with it, `processed/Error: <code>^<label>` and the subject
/// is prefixed `[KO Intégration système !][<code>]` (ANS IG error-codes: 900-906 with a
/// default label, TO VERIFY, or HL7 table 0357 codes 0-207). The MDN goes to the original's
/// `Disposition-Notification-To`; when it differs from `Return-Path`, RFC 8098 §2.1 asks to
/// confirm with the user first (`confirmed_by_user`).
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_MSS_MALFORMED` (the received message),
/// `SEGUR_RESULT_MSS_COMPOSE` (no MDN requested, a report, no Message-ID, not confirmed),
/// `SEGUR_RESULT_MSS_INVALID_ADDRESS`, `SEGUR_RESULT_MSS_INVALID_HEADER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mdn_build(
    received_eml: *const u8,
    received_eml_len: usize,
    options_json: *const c_char,
    options_json_len: usize,
    out_eml: *mut *mut u8,
    out_eml_len: *mut usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each pointer points to its length of readable bytes.
        let received = try_ffi!(unsafe { bytes_arg(received_eml.cast(), received_eml_len) });
        // SAFETY: as above.
        let o: MdnJson = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        try_ffi!(out_arg(out_eml));
        try_ffi!(out_arg(out_eml_len));
        try_ffi!(out_arg(out_json));
        let mdn = try_ffi!(build(received, o).map_err(mss_err));
        let summary = try_ffi!(summary(&mdn));
        write_bytes_and_json(
            out_eml,
            out_eml_len,
            mdn.bytes().to_vec(),
            out_json,
            &summary,
        )
    })
}

/// What the C side sees of a built MDN, read back from its bytes.
fn summary(mdn: &OutgoingMessage) -> Result<serde_json::Value, segur_result> {
    let parsed = ReceivedMessage::parse(mdn.bytes()).map_err(mss_err)?;
    let disposition = match &parsed.report {
        Some(::segur_mssante::read::Report::Disposition(d)) => d.disposition.to_field(),
        _ => return Err(segur_result::Panic),
    };
    Ok(json!({
        "message_id": mdn.message_id().as_str(),
        "to": mdn.recipients().iter().map(MailAddress::as_str).collect::<Vec<_>>(),
        "subject": parsed.subject,
        "disposition": disposition,
    }))
}

/// Builds the MDN like `segur_mss_mdn_build` (`received_eml`, `options_json`) and submits it
/// like `segur_mss_send` (`connection_json`, `credentials`: a `segur_mss_credentials` handle,
/// only read; the SMTP user is `reporter`), blocking until the server's final reply. Writes the outcome to `*out_json`
/// (free with `segur_string_free`) in the form of `segur_mss_send`.
///
/// Errors: those of `segur_mss_mdn_build` and of `segur_mss_send`. Thread-safe (one connection
/// per call).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mdn_send(
    connection_json: *const c_char,
    connection_json_len: usize,
    credentials: *const segur_mss_credentials,
    received_eml: *const u8,
    received_eml_len: usize,
    options_json: *const c_char,
    options_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each non-NULL pointer points to its length of readable bytes.
        let c: SendJson = try_ffi!(unsafe { json_arg(connection_json, connection_json_len) });
        // SAFETY: header contract: NULL or a live credentials handle no setter is modifying.
        let credentials = try_ffi!(unsafe { credentials_arg(credentials) });
        // SAFETY: as above.
        let received = try_ffi!(unsafe { bytes_arg(received_eml.cast(), received_eml_len) });
        // SAFETY: as above.
        let o: MdnJson = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        try_ffi!(out_arg(out_json));
        let mdn = try_ffi!(build(received, o).map_err(mss_err));
        let v = try_ffi!(submit(c, credentials, &mdn));
        write_string(out_json, v)
    })
}
