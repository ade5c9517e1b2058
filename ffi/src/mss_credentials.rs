//! MSSanté credentials (`segur_mss_credentials`): the trust anchors a server must lead to, and
//! how the mailbox authenticates (a Pro Santé Connect token, or the PKCS#12 certificate of an
//! applicative mailbox), given once and used by `segur_mss_send`, `segur_mss_mdn_send` and
//! `segur_mss_mailbox_new`.
//!
//! Each setter checks its input at once (a PEM without certificate, a PKCS#12 the password
//! does not open, a token that is not a `b64token` are refused by the setter, not by the next
//! connection) and replaces what was set before; the replaced secret is zeroized. The PKCS#12
//! password is used to open the file and not kept; the private key and the token are zeroized
//! when replaced or freed and never appear in `Debug` or in error details.

use crate::boundary::{bytes_arg, handle_mut, out_arg, str_arg, write_handle};
use crate::detail::fail;
use crate::mssante::mss_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_mssante::MailAddress;
use ::segur_mssante::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use ::segur_mssante::token::{Authentication, CallerToken, OAuthMechanism, TokenProvider};
use std::ffi::c_char;
use std::fmt;
use std::sync::Arc;

/// Credentials of MSSanté connections: trust anchors (required), and a Pro Santé Connect
/// access token or a PKCS#12 mailbox certificate (at least one of the two).
///
/// Made by `segur_mss_credentials_new`, filled by the `segur_mss_credentials_set_*` functions,
/// freed by `segur_mss_credentials_free`. Not thread-safe while a setter runs; once filled,
/// several threads may pass the same handle to `segur_mss_send`, `segur_mss_mdn_send` and
/// `segur_mss_mailbox_new` at once (they only read it).
#[derive(Default)]
pub struct segur_mss_credentials {
    anchors: Option<TrustAnchors>,
    /// Shared by every connection made with these credentials, so the one lifetime rule of
    /// `CallerToken` (240 s from `segur_mss_credentials_set_token`) holds across calls; or the
    /// proxy e-Santé provider of `segur_mss_credentials_set_psc_provider`, asked before each
    /// connection.
    token: Option<Arc<dyn TokenProvider>>,
    /// The private key is zeroized on drop (`ClientIdentity`).
    identity: Option<ClientIdentity>,
}

impl fmt::Debug for segur_mss_credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are never shown: only which parts are set.
        f.debug_struct("segur_mss_credentials")
            .field("anchors", &self.anchors.is_some())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("identity", &self.identity.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl segur_mss_credentials {
    /// TLS settings (rustls, the anchors, the client certificate if any) and the SASL
    /// authentication: XOAUTH2 as `user` with the token, else EXTERNAL with the certificate
    /// (Référentiel #2 SC.MSS/CONF.07: PSC token for personal mailboxes, certificate for
    /// applicative ones).
    pub(crate) fn security(
        &self,
        user: &MailAddress,
    ) -> Result<(TlsSettings, Authentication), segur_result> {
        let Some(anchors) = &self.anchors else {
            return Err(fail(
                segur_result::InvalidParameter,
                "no trust anchors: call segur_mss_credentials_set_roots_pem",
            ));
        };
        if self.token.is_none() && self.identity.is_none() {
            return Err(fail(
                segur_result::InvalidParameter,
                "a token or a PKCS#12 mailbox certificate is required",
            ));
        }
        let auth = match &self.token {
            Some(t) => Authentication::OAuth {
                user: user.clone(),
                provider: t.clone(),
                mechanism: OAuthMechanism::XOAuth2,
            },
            None => Authentication::ClientCertificate,
        };
        let tls = TlsSettings::new(anchors, self.identity.as_ref()).map_err(mss_err)?;
        Ok((tls, auth))
    }
}

/// Borrows a credentials handle given to a connecting entry point.
///
/// # Safety
/// `ptr` must be NULL or a live handle made by `segur_mss_credentials_new`, not being modified.
pub(crate) unsafe fn credentials_arg<'a>(
    ptr: *const segur_mss_credentials,
) -> Result<&'a segur_mss_credentials, segur_result> {
    // SAFETY: forwarded contract.
    unsafe { crate::boundary::handle_ref(ptr) }
}

/// Makes an empty credentials handle and writes it to `*out_credentials` (free with
/// `segur_mss_credentials_free`). Set the trust anchors with
/// `segur_mss_credentials_set_roots_pem`, then a token (`segur_mss_credentials_set_token`) or
/// a mailbox certificate (`segur_mss_credentials_set_pkcs12`).
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_credentials_new(
    out_credentials: *mut *mut segur_mss_credentials,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_credentials));
        write_handle(out_credentials, segur_mss_credentials::default())
    })
}

/// Sets the trusted authorities (`roots_pem`, `roots_pem_len` bytes of PEM holding one or more
/// certificates; for example the IGC-Santé roots, ECO.1.1.10): a server's chain must lead to
/// one of them, and its name and validity are checked. Replaces anchors set before.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INPUT_TOO_LARGE`,
/// `SEGUR_RESULT_MSS_CERTIFICATE` (no certificate in the PEM, or one unreadable); the handle is
/// unchanged on error. Not thread-safe (see `segur_mss_credentials`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_credentials_set_roots_pem(
    credentials: *mut segur_mss_credentials,
    roots_pem: *const u8,
    roots_pem_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle not used by another thread meanwhile.
        let c = try_ffi!(unsafe { handle_mut(credentials) });
        // SAFETY: header contract: `roots_pem` points to `roots_pem_len` readable bytes.
        let pem = try_ffi!(unsafe { bytes_arg(roots_pem.cast(), roots_pem_len) });
        c.anchors = Some(try_ffi!(TrustAnchors::from_pem(pem).map_err(mss_err)));
        segur_result::Ok
    })
}

/// Sets the Pro Santé Connect access token (`token`, `token_len` bytes, a `b64token`, RFC 6750
/// §2.1) used with SASL XOAUTH2, the mailbox address being the SASL user (Référentiel #2
/// SC.MSS/CONF.07). The SDK copies it into memory zeroized on replace and free, never logs it,
/// and never refreshes it: it is held valid for 240 s from this call (a PSC token lives 4 to
/// 5 minutes), so set a fresh token before each burst of calls. Once a server refused it,
/// later connections fail with `SEGUR_RESULT_MSS_SMTP_AUTHENTICATION_FAILED` or
/// `SEGUR_RESULT_MSS_IMAP_AUTHENTICATION_FAILED` until another is set.
/// Replaces a token set before. When both a token and a certificate are set, the token
/// authenticates and the certificate is presented as the TLS client certificate.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_MSS_TOKEN_MALFORMED` (empty, or a character outside `b64token`, RFC 6750 §2.1; the detail
/// names the byte position, never the token); the handle is unchanged on error. Not
/// thread-safe (see `segur_mss_credentials`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_credentials_set_token(
    credentials: *mut segur_mss_credentials,
    token: *const c_char,
    token_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle not used by another thread meanwhile.
        let c = try_ffi!(unsafe { handle_mut(credentials) });
        // SAFETY: header contract: `token` points to `token_len` readable bytes.
        let secret = try_ffi!(unsafe { str_arg(token, token_len) });
        // `CallerToken` keeps the secret in zeroized memory; the old one is dropped (zeroized)
        // once no open mailbox uses it any more.
        let t = try_ffi!(CallerToken::new(secret.to_owned(), None).map_err(mss_err));
        c.token = Some(Arc::new(t));
        segur_result::Ok
    })
}

/// Takes the token of each connection from a proxy e-Santé session (`provider`, a
/// `segur_psc_provider` signed in with `segur_psc_provider_login`): before each connection the
/// proxy is asked for the token of its backend `backend` (`backend_len` bytes of UTF-8, the
/// name in the proxy's configuration; the proxy must release that backend's token, as SASL
/// XOAUTH2 over SMTP and IMAP cannot go through the proxy). Replaces a token or provider set
/// before. The credentials keep their own reference: the provider may be freed afterwards.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_INVALID_PARAMETER` (backend name not 1 to 64 letters, digits, `-`, `_`, `.`);
/// a refusal by the proxy comes at the connection, as `SEGUR_RESULT_MSS_TOKEN_PROVIDER`. Not
/// thread-safe (see `segur_mss_credentials`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_credentials_set_psc_provider(
    credentials: *mut segur_mss_credentials,
    provider: *const crate::psc::segur_psc_provider,
    backend: *const c_char,
    backend_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle not used by another thread meanwhile.
        let c = try_ffi!(unsafe { handle_mut(credentials) });
        // SAFETY: header contract: NULL or a live provider handle.
        let p = try_ffi!(unsafe { crate::psc::provider_arg(provider) });
        // SAFETY: header contract: `backend` points to `backend_len` readable bytes.
        let backend = try_ffi!(unsafe { str_arg(backend, backend_len) });
        let for_backend = try_ffi!(p.for_backend(backend).map_err(crate::psc::psc_err));
        c.token = Some(Arc::new(for_backend));
        segur_result::Ok
    })
}

/// Sets the software certificate of an applicative mailbox: `pkcs12` (`pkcs12_len` bytes of
/// DER) opened with `password` (`password_len` bytes of UTF-8; empty for none). The certificate
/// is presented as the TLS client certificate and, without a token, identifies the mailbox
/// (SASL EXTERNAL; Référentiel #2 SC.MSS/CONF.07). The password is not kept; the private key is
/// held in memory zeroized on replace and free. Replaces a certificate set before.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_INPUT_TOO_LARGE`, `SEGUR_RESULT_MSS_CERTIFICATE` (wrong password, no key or no
/// certificate inside); the handle is unchanged on error. Not thread-safe (see
/// `segur_mss_credentials`).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_credentials_set_pkcs12(
    credentials: *mut segur_mss_credentials,
    pkcs12: *const u8,
    pkcs12_len: usize,
    password: *const c_char,
    password_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: a live handle not used by another thread meanwhile.
        let c = try_ffi!(unsafe { handle_mut(credentials) });
        // SAFETY: header contract: each pointer points to its length of readable bytes.
        let der = try_ffi!(unsafe { bytes_arg(pkcs12.cast(), pkcs12_len) });
        // SAFETY: as above.
        let password = try_ffi!(unsafe { str_arg(password, password_len) });
        let identity = try_ffi!(ClientIdentity::from_pkcs12(der, password).map_err(mss_err));
        // The replaced identity's key is zeroized as it drops here.
        c.identity = Some(identity);
        segur_result::Ok
    })
}

/// Frees a credentials handle, zeroizing the private key and the token (a mailbox opened with
/// them keeps its own reference to the token until `segur_mss_mailbox_free`). NULL is a no-op.
/// Free each handle exactly once, after every call using it has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_credentials_free(credentials: *mut segur_mss_credentials) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(credentials) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    #[test]
    fn setters_check_their_input_and_debug_hides_secrets() {
        let mut c: *mut segur_mss_credentials = ptr::null_mut();
        assert_eq!(segur_mss_credentials_new(&mut c), segur_result::Ok);
        let pem = b"not a certificate";
        assert_eq!(
            segur_mss_credentials_set_roots_pem(c, pem.as_ptr(), pem.len()),
            segur_result::MssCertificate
        );
        let tok = "secret-token-value";
        assert_eq!(
            segur_mss_credentials_set_token(c, tok.as_ptr().cast(), tok.len()),
            segur_result::Ok
        );
        let bad = "two words";
        assert_eq!(
            segur_mss_credentials_set_token(c, bad.as_ptr().cast(), bad.len()),
            segur_result::MssTokenMalformed
        );
        let p12 = b"\x30\x03\x02\x01\x03";
        assert_eq!(
            segur_mss_credentials_set_pkcs12(c, p12.as_ptr(), p12.len(), c"".as_ptr(), 0),
            segur_result::MssCertificate
        );
        // SAFETY: a live handle made above.
        let r = unsafe { &*c };
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("secret-token-value"), "{dbg}");
        assert!(dbg.contains("[redacted]"), "{dbg}");
        let user = MailAddress::parse("pharma@test.mssante.fr").unwrap();
        // No anchors yet: refused before any connection.
        assert_eq!(
            r.security(&user).err(),
            Some(segur_result::InvalidParameter)
        );
        segur_mss_credentials_free(c);
        segur_mss_credentials_free(ptr::null_mut());
        assert_eq!(
            segur_mss_credentials_set_token(ptr::null_mut(), tok.as_ptr().cast(), tok.len()),
            segur_result::NullParameter
        );
    }
}
