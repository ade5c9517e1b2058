//! MSSanté retrieval entry points (`segur_mssante::imap`): an IMAP session over STARTTLS on one
//! folder, its pending messages by UID, fetch, and the "processed" flag that makes retrieval
//! idempotent.
//!
//! The flow a pharmacy application runs (the Rust `ImapSession::process_pending` loop, step by
//! step): `segur_mss_mailbox_new`, `segur_mss_mailbox_pending`, then for each UID
//! `segur_mss_mailbox_fetch`, store the message, `segur_mss_mailbox_mark_processed`, and finally
//! `segur_mss_mailbox_free`. A crash between fetch and mark re-delivers the message next time,
//! never skips it; the key (folder, UIDVALIDITY, UID) makes the re-delivery recognisable.

use crate::boundary::{handle_mut, json_arg, out_arg, write_handle, write_json};
use crate::mss_credentials::{credentials_arg, segur_mss_credentials};
use crate::mssante::{default_timeout, mss_err, write_bytes_and_json};
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_mssante::MailAddress;
use ::segur_mssante::discovery::Endpoint;
use ::segur_mssante::imap::{ImapSession, ImapSettings};
use ::segur_mssante::read::ReadLimits;
use ::segur_mssante::view::ReceivedView;
use serde_json::json;
use std::ffi::c_char;

/// An authenticated IMAP session with a selected folder (MSSanté mailbox).
///
/// Not thread-safe: use a handle from one thread at a time (it may move between threads). Open
/// one handle per thread to read several mailboxes at once.
pub struct segur_mss_mailbox {
    pub(crate) session: ImapSession,
    mailbox: String,
}

/// Connection settings of `segur_mss_mailbox_new`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MailboxJson {
    host: String,
    #[serde(default = "imap_port")]
    port: u16,
    user: String,
    #[serde(default = "inbox")]
    mailbox: String,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
    #[serde(default)]
    max_message_bytes: Option<usize>,
}

fn imap_port() -> u16 {
    143
}

fn inbox() -> String {
    "INBOX".to_owned()
}

/// Opens an MSSanté mailbox over IMAP with STARTTLS (Référentiel #2: never in clear; TLS 1.2+,
/// rustls), authenticates and selects the folder, blocking until done. Writes the handle to
/// `*out_mailbox` (free with `segur_mss_mailbox_free`).
///
/// `connection_json` is `{"host":"imap.op.fr","port"?:143,"user":"pharma@x.mssante.fr",
/// "mailbox"?:"INBOX","timeout_secs"?:30,"max_message_bytes"?:67108864}`. `credentials` (a
/// `segur_mss_credentials` handle, only read) is as for `segur_mss_send`: its Pro Santé Connect
/// token (SASL XOAUTH2 as `user`) or, for an applicative mailbox, its PKCS#12 certificate (TLS
/// client certificate, SASL EXTERNAL). The mailbox keeps a reference to the token for
/// reconnections; `credentials` may be freed once this call returned.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_NULL_PARAMETER`,
/// `SEGUR_RESULT_INVALID_PARAMETER` (no anchors, or neither token nor certificate),
/// `SEGUR_RESULT_MSS_INVALID_ADDRESS` (`user`), `SEGUR_RESULT_MSS_CERTIFICATE`,
/// `SEGUR_RESULT_MSS_TLS_UNKNOWN_CA`, `SEGUR_RESULT_MSS_TLS_NAME_MISMATCH`,
/// `SEGUR_RESULT_MSS_TLS_CERTIFICATE_EXPIRED`, `SEGUR_RESULT_MSS_TLS_CLIENT_CERTIFICATE_REFUSED`,
/// `SEGUR_RESULT_MSS_TLS` (another TLS failure), `SEGUR_RESULT_MSS_TOKEN_MALFORMED` (`token`),
/// the IMAP codes 5080-5088 (`SEGUR_RESULT_MSS_IMAP_NETWORK`, `_CONNECTION_CLOSED`,
/// `_START_TLS_UNAVAILABLE`, `_REFUSED_NO`, `_REFUSED_BAD`, `_BYE`, `_PROTOCOL`,
/// `_AUTHENTICATION_FAILED`, `_NO_USABLE_MECHANISM`). Thread-safe (the new handle is not shared).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mailbox_new(
    connection_json: *const c_char,
    connection_json_len: usize,
    credentials: *const segur_mss_credentials,
    out_mailbox: *mut *mut segur_mss_mailbox,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each non-NULL pointer points to its length of readable bytes.
        let c: MailboxJson = try_ffi!(unsafe { json_arg(connection_json, connection_json_len) });
        // SAFETY: header contract: NULL or a live credentials handle no setter is modifying.
        let credentials = try_ffi!(unsafe { credentials_arg(credentials) });
        try_ffi!(out_arg(out_mailbox));
        let user = try_ffi!(MailAddress::parse(&c.user).map_err(mss_err));
        let (tls, auth) = try_ffi!(credentials.security(&user));
        let mut limits = ReadLimits::default();
        if let Some(max) = c.max_message_bytes {
            limits.max_message_bytes = max;
        }
        let settings = ImapSettings {
            endpoint: Endpoint::new(&c.host, c.port),
            tls,
            auth,
            mailbox: c.mailbox.clone(),
            timeout: std::time::Duration::from_secs(c.timeout_secs),
            limits,
        };
        let session = try_ffi!(ImapSession::connect(&settings).map_err(mss_err));
        write_handle(
            out_mailbox,
            segur_mss_mailbox {
                session,
                mailbox: c.mailbox,
            },
        )
    })
}

/// Lists the messages of the folder not yet marked processed and writes them as JSON to
/// `*out_json` (free with `segur_string_free`): `{"mailbox":"INBOX","uid_validity":1732245600,
/// "uids":[1,2,5]}`, UIDs ascending (IMAP `UID SEARCH UNKEYWORD $SegurProcessed`). A message
/// is durably identified by (mailbox, uid_validity, uid) (RFC 3501 §2.3.1.1).
///
/// Errors: `SEGUR_RESULT_MSS_TLS`, the IMAP codes 5080-5088 (`SEGUR_RESULT_MSS_IMAP_NETWORK`,
/// `SEGUR_RESULT_MSS_IMAP_REFUSED_NO`, `SEGUR_RESULT_MSS_IMAP_PROTOCOL`, ...). Not thread-safe (see `segur_mss_mailbox`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mailbox_pending(
    mailbox: *mut segur_mss_mailbox,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle used by one thread at a time.
        let m = try_ffi!(unsafe { handle_mut(mailbox) });
        try_ffi!(out_arg(out_json));
        let uids = try_ffi!(m.session.pending().map_err(mss_err));
        write_json(
            out_json,
            &json!({
                "mailbox": m.mailbox,
                "uid_validity": m.session.uid_validity(),
                "uids": uids,
            }),
        )
    })
}

/// Fetches message `uid` without marking it read (`BODY.PEEK[]`) and writes its raw bytes to
/// `*out_eml` / `*out_eml_len` (free with `segur_bytes_free`; byte for byte what the server
/// holds, for archiving or `segur_mss_mdn_build`) and, as JSON to `*out_json` (free with
/// `segur_string_free`), `{"key":{"mailbox","uid_validity","uid"},"message":{...}}` where
/// `message` is the form of `segur_mss_parse`. The JSON holds the message's content (patient
/// data); error details never do.
///
/// A message that cannot be read gives `SEGUR_RESULT_MSS_MALFORMED`,
/// `SEGUR_RESULT_MSS_MALFORMED_REPORT` or `SEGUR_RESULT_MSS_TOO_LARGE` (larger than
/// `max_message_bytes`: not downloaded) and leaves the session usable: the caller decides
/// whether to mark it processed (for example after moving it aside) or to keep it pending.
/// Other errors: `SEGUR_RESULT_MSS_TLS`, the IMAP codes 5080-5088
/// (`SEGUR_RESULT_MSS_IMAP_NETWORK`, `SEGUR_RESULT_MSS_IMAP_REFUSED_NO`,
/// `SEGUR_RESULT_MSS_IMAP_PROTOCOL` (no such UID), ...). Not thread-safe (see
/// `segur_mss_mailbox`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mailbox_fetch(
    mailbox: *mut segur_mss_mailbox,
    uid: u32,
    out_eml: *mut *mut u8,
    out_eml_len: *mut usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle used by one thread at a time.
        let m = try_ffi!(unsafe { handle_mut(mailbox) });
        try_ffi!(out_arg(out_eml));
        try_ffi!(out_arg(out_eml_len));
        try_ffi!(out_arg(out_json));
        let fetched = try_ffi!(m.session.fetch(uid).map_err(mss_err));
        let message = try_ffi!(fetched.message.map_err(mss_err));
        let v = json!({ "key": fetched.key, "message": ReceivedView::of(&message) });
        write_bytes_and_json(out_eml, out_eml_len, message.raw().to_vec(), out_json, &v)
    })
}

/// Marks message `uid` as processed (IMAP keyword `$SegurProcessed` and `\Seen`): it is no
/// longer listed by `segur_mss_mailbox_pending`. Call it only once the message is stored by the
/// application. Marking twice is harmless (idempotent).
///
/// Errors: `SEGUR_RESULT_MSS_TLS`, the IMAP codes 5080-5088 (`SEGUR_RESULT_MSS_IMAP_NETWORK`,
/// `SEGUR_RESULT_MSS_IMAP_REFUSED_NO`, `SEGUR_RESULT_MSS_IMAP_PROTOCOL`, ...). Not thread-safe (see `segur_mss_mailbox`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mailbox_mark_processed(
    mailbox: *mut segur_mss_mailbox,
    uid: u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle used by one thread at a time.
        let m = try_ffi!(unsafe { handle_mut(mailbox) });
        try_ffi!(m.session.mark_processed(uid).map_err(mss_err));
        segur_result::Ok
    })
}

/// Logs out (best effort, bounded by the session's timeout) and frees a mailbox handle. NULL is
/// a no-op. Not thread-safe: no other call may use the handle meanwhile or afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_mailbox_free(mailbox: *mut segur_mss_mailbox) {
    crate::ffi_boundary!(default: (), {
        if !mailbox.is_null() {
            // SAFETY: made by write_handle in segur_mss_mailbox_new, freed once (contract).
            let m = unsafe { Box::from_raw(mailbox) };
            // A failed LOGOUT leaves nothing to undo: the connection closes either way.
            let _ = m.session.logout();
        }
    })
}
