//! Pro Santé Connect through the vendor's proxy e-Santé (`segur-psc`): a token-provider handle
//! (`segur_psc_provider`) that signs the professional in by CIBA (blocking, with a progress
//! callback), says who is signed in, closes the session, and gives MSSanté connections, INSi
//! searches and DMP requests their token (`segur_mss_credentials_set_psc_provider`,
//! `segur_insi_client_set_auth_psc_provider`, `segur_dmp_client_set_psc_provider`): one handle
//! serves them all, each holding its own reference to the session. The desktop holds only the proxy's
//! application token; it is zeroized when the handle is freed and never crosses the boundary.

use crate::boundary::{handle_ref, json_arg, out_arg, str_arg, write_handle, write_json};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_net::http::HttpError;
use ::segur_net::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use ::segur_psc::desktop::{DesktopError, LoginProgress, ProxySettings, ProxyTokenProvider};
use ::segur_psc::proxy::upstream::Channel;
use std::ffi::{CString, c_char, c_void};
use zeroize::Zeroizing;

/// A session with a proxy e-Santé: made by `segur_psc_provider_new`, freed by
/// `segur_psc_provider_free`. Thread-safe: several threads may use one handle at once (a
/// login replaces the session the others use).
pub struct segur_psc_provider {
    inner: ProxyTokenProvider,
}

/// CIBA channel of `segur_psc_provider_login`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_psc_channel {
    /// The CPS card, through the CPS-Gestion application.
    Card = 1,
    /// The e-CPS mobile application.
    Mobile = 2,
}

/// What a login reports to its progress callback.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum segur_psc_progress {
    /// The request is sent: show `binding_message` (two digits); the professional finds it on
    /// the card reader's or the phone's prompt.
    Started = 1,
    /// Still waiting for the professional (every half second; `elapsed_ms` since the start).
    Waiting = 2,
    /// Signed in.
    Connected = 3,
}

/// Progress callback of `segur_psc_provider_login`, called on the thread that called the
/// login: `user_data` as given, the event, the binding message (NUL-terminated, two digits;
/// NULL except for `SEGUR_PSC_PROGRESS_STARTED`; valid during the call only) and the time
/// since the start in milliseconds.
pub type segur_psc_progress_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        event: segur_psc_progress,
        binding_message: *const c_char,
        elapsed_ms: u64,
    ),
>;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderJson {
    proxy: String,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    client_id: String,
}

pub(crate) fn psc_err(e: DesktopError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        DesktopError::Refused { code, .. } => match code.as_str() {
            "access_denied" => R::PscDenied,
            "expired_token" => R::PscExpired,
            "unknown_client" | "certificate_mismatch" => R::PscUnknownClient,
            "unknown_session" | "session_expired" | "no_session" => R::PscSessionEnded,
            "foreign_token" => R::PscForeignToken,
            "psc_unavailable" => R::PscUnavailable,
            _ => R::PscRefused,
        },
        DesktopError::NotSignedIn => R::PscNotSignedIn,
        DesktopError::Invalid { .. } => R::InvalidParameter,
        DesktopError::Http(HttpError::Tls(_)) => R::PscTls,
        DesktopError::Http(HttpError::Status { .. }) => R::PscRefused,
        DesktopError::Http(_) => R::PscUnreachable,
        DesktopError::BadAnswer(_) => R::PscBadAnswer,
        _ => R::PscOther,
    };
    fail(code, e)
}

/// Borrows a provider handle given to another entry point.
///
/// # Safety
/// `ptr` must be NULL or a live handle made by `segur_psc_provider_new`.
pub(crate) unsafe fn provider_arg<'a>(
    ptr: *const segur_psc_provider,
) -> Result<&'a ProxyTokenProvider, segur_result> {
    // SAFETY: forwarded contract.
    unsafe { handle_ref(ptr) }.map(|p| &p.inner)
}

/// Makes a provider for a proxy e-Santé and writes it to `*out_provider` (free with
/// `segur_psc_provider_free`). `config_json` is `{"proxy":"https://proxy.example:8443",
/// "ca_pem":"<the proxy's CA>","cert_pem":"<this workstation's certificate>",
/// "key_pem":"<its private key>","client_id":"<the software's client id in the proxy>"}`. The
/// key is held in memory, zeroized on free. Not signed in yet: call `segur_psc_provider_login`.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_PSC_TLS` (a certificate or key that does not load),
/// `SEGUR_RESULT_INVALID_PARAMETER` (not an https:// URL, client id not 1 to 64 letters,
/// digits, `-`, `_`, `.`). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_psc_provider_new(
    config_json: *const c_char,
    config_json_len: usize,
    out_provider: *mut *mut segur_psc_provider,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `config_json` points to `config_json_len` readable bytes.
        let c: ProviderJson = try_ffi!(unsafe { json_arg(config_json, config_json_len) });
        try_ffi!(out_arg(out_provider));
        let anchors = try_ffi!(
            TrustAnchors::from_pem(c.ca_pem.as_bytes())
                .map_err(|e| fail(segur_result::PscTls, format!("ca_pem: {e}")))
        );
        // The key text is wiped when this goes out of scope, success or not.
        let key_pem = Zeroizing::new(c.key_pem);
        let identity = try_ffi!(
            ClientIdentity::from_pem(c.cert_pem.as_bytes(), key_pem.as_bytes())
                .map_err(|e| fail(segur_result::PscTls, format!("cert_pem/key_pem: {e}")))
        );
        let tls = try_ffi!(
            TlsSettings::new(&anchors, Some(&identity)).map_err(|e| fail(segur_result::PscTls, e))
        );
        let inner = try_ffi!(
            ProxyTokenProvider::new(ProxySettings {
                url: c.proxy,
                tls,
                client_id: c.client_id,
            })
            .map_err(psc_err)
        );
        write_handle(out_provider, segur_psc_provider { inner })
    })
}

/// Signs `national_id` (`national_id_len` bytes of UTF-8: the professional's national
/// identifier) in by CIBA on `channel` (a `segur_psc_channel` value), blocking until the
/// professional approves on the card or the phone, refuses, or the request expires (a few
/// minutes). `progress` (may be NULL) is called on this thread with `user_data`: first
/// `SEGUR_PSC_PROGRESS_STARTED` with the two digits to show, then
/// `SEGUR_PSC_PROGRESS_WAITING` every half second, then `SEGUR_PSC_PROGRESS_CONNECTED`. On
/// success writes the signed-in professional as JSON to `*out_whoami_json` (free with
/// `segur_string_free`), as `segur_psc_provider_whoami`. A session this handle holds for the same
/// professional is replayed by the proxy without a new CIBA.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_INVALID_PARAMETER` (bad channel, empty or over-long id),
/// `SEGUR_RESULT_PSC_DENIED`, `SEGUR_RESULT_PSC_EXPIRED`, `SEGUR_RESULT_PSC_UNKNOWN_CLIENT`,
/// `SEGUR_RESULT_PSC_FOREIGN_TOKEN`, `SEGUR_RESULT_PSC_UNAVAILABLE`, `SEGUR_RESULT_PSC_REFUSED`,
/// `SEGUR_RESULT_PSC_TLS`, `SEGUR_RESULT_PSC_UNREACHABLE`, `SEGUR_RESULT_PSC_BAD_ANSWER`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_psc_provider_login(
    provider: *const segur_psc_provider,
    national_id: *const c_char,
    national_id_len: usize,
    channel: u32,
    progress: segur_psc_progress_callback,
    user_data: *mut c_void,
    out_whoami_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live provider handle.
        let p = try_ffi!(unsafe { provider_arg(provider) });
        // SAFETY: header contract: `national_id` points to `national_id_len` readable bytes.
        let id = try_ffi!(unsafe { str_arg(national_id, national_id_len) });
        let channel = match channel {
            1 => Channel::Card,
            2 => Channel::Mobile,
            _ => {
                return fail(
                    segur_result::InvalidParameter,
                    "channel: SEGUR_PSC_CHANNEL_CARD or SEGUR_PSC_CHANNEL_MOBILE",
                );
            }
        };
        try_ffi!(out_arg(out_whoami_json));
        let mut report = |event: LoginProgress<'_>| {
            let Some(cb) = progress else { return };
            let (kind, text, elapsed) = match event {
                LoginProgress::Started { binding_message } => (
                    segur_psc_progress::Started,
                    CString::new(binding_message).ok(),
                    0,
                ),
                LoginProgress::Waiting { elapsed } => (
                    segur_psc_progress::Waiting,
                    None,
                    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                ),
                LoginProgress::Connected => (segur_psc_progress::Connected, None, 0),
            };
            let ptr = text.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
            // SAFETY: header contract: `progress` is a valid function taking these arguments;
            // `ptr` is NULL or a NUL-terminated string alive for the call.
            unsafe { cb(user_data, kind, ptr, elapsed) };
        };
        let who = try_ffi!(p.login(id, channel, &mut report).map_err(psc_err));
        write_json(out_whoami_json, &who)
    })
}

/// Writes the signed-in professional as JSON to `*out_json` (free with `segur_string_free`):
/// `{"national_id":"…","given_name"?:"…","family_name"?:"…","client_id":"…","session_id":"…",
/// "session_state":"…","expires_in":1799,"backends":["dmp","mss"]}` (claims, never tokens).
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_PSC_NOT_SIGNED_IN`,
/// `SEGUR_RESULT_PSC_SESSION_ENDED` (logged out, expired or unknown to the proxy),
/// `SEGUR_RESULT_PSC_FOREIGN_TOKEN`, `SEGUR_RESULT_PSC_TLS`, `SEGUR_RESULT_PSC_UNREACHABLE`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_psc_provider_whoami(
    provider: *const segur_psc_provider,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live provider handle.
        let p = try_ffi!(unsafe { provider_arg(provider) });
        try_ffi!(out_arg(out_json));
        let who = try_ffi!(p.whoami().map_err(psc_err));
        write_json(out_json, &who)
    })
}

/// Closes the session: the proxy removes it and logs out of Pro Santé Connect (SC.SSI/IE.38).
/// The handle forgets its application token even when the proxy cannot be reached.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_PSC_NOT_SIGNED_IN`,
/// `SEGUR_RESULT_PSC_SESSION_ENDED`, `SEGUR_RESULT_PSC_TLS`, `SEGUR_RESULT_PSC_UNREACHABLE`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_psc_provider_logout(provider: *const segur_psc_provider) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live provider handle.
        let p = try_ffi!(unsafe { provider_arg(provider) });
        try_ffi!(p.logout().map_err(psc_err));
        segur_result::Ok
    })
}

/// Frees a provider (NULL is a no-op); its application token is zeroized. The session stays
/// open at the proxy until its idle limit: call `segur_psc_provider_logout` first to close it.
/// Credentials and clients that took the provider (`segur_mss_credentials_set_psc_provider`,
/// `segur_insi_client_set_auth_psc_provider`, `segur_dmp_client_set_psc_provider`) keep working
/// with their own reference to the session.
#[unsafe(no_mangle)]
pub extern "C" fn segur_psc_provider_free(provider: *mut segur_psc_provider) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(provider) }
    })
}
