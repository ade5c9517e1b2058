//! MSSanté entry points (`segur-mssante`): compose a message around an IHE_XDM.ZIP with the
//! `X-MSS-*` headers computed from the CDA it carries, and parse a received message.
//!
//! Sending is blocking SMTP submission over STARTTLS (rustls). Retrieval (IMAP) is in
//! `mss_mailbox`, acknowledgements (MDN) in `mss_mdn`; both share the credentials and
//! submission code here.

use crate::boundary::{bytes_arg, json_arg, out_arg, str_arg, write_json};
use crate::cards::write_bytes_out;
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_dmp_cda::XdmError;
use ::segur_mssante::compose::MessageId;
use ::segur_mssante::read::Report;
use ::segur_mssante::tls::TlsError;
use ::segur_mssante::token::TokenError;
use ::segur_mssante::{AnnuaireError, DiscoveryError};
use ::segur_mssante::{
    MailAddress, MessageBuilder, MssError, PatientAddress, ProductReference, ReceivedMessage,
    Recipient, Subject,
};
use base64::Engine as _;
use serde_json::json;
use std::ffi::c_char;

fn ids(v: &[MessageId]) -> Vec<&str> {
    v.iter().map(MessageId::as_str).collect()
}

pub(crate) fn mss_err(e: impl Into<MssError>) -> segur_result {
    let e: MssError = e.into();
    // Display names reasons and byte positions; server texts are redacted by `ServerText`.
    fail(mss_code(&e), e)
}

/// The precise code of each layer of [`MssError`].
fn mss_code(e: &MssError) -> segur_result {
    use segur_result as R;
    match e {
        MssError::InvalidAddress { .. } => R::MssInvalidAddress,
        MssError::InvalidHeader { .. } => R::MssInvalidHeader,
        MssError::Compose(_) => R::MssCompose,
        MssError::Xdm(x) => mss_xdm_code(x),
        MssError::XdmCda { .. } => R::MssXdmCda,
        MssError::XdmContent(_) => R::MssXdmContent,
        MssError::InspectionUnavailable(_) => R::MssXdm,
        MssError::Pdf(_) => R::MssPdf,
        MssError::TooLarge { .. } => R::MssTooLarge,
        MssError::Malformed { .. } => R::MssMalformed,
        MssError::MalformedReport { .. } => R::MssMalformedReport,
        MssError::Tls(t) => mss_tls_code(t),
        MssError::Io { .. } | MssError::ConnectionClosed(_) => R::MssNetwork,
        MssError::StartTlsUnavailable => R::MssStartTlsUnavailable,
        MssError::Refused { .. } => R::MssRefused,
        MssError::Protocol { .. } => R::MssProtocol,
        MssError::AuthenticationFailed(_) | MssError::NoUsableMechanism => R::MssAuthentication,
        MssError::Token(t) => match t {
            TokenError::Expired => R::MssTokenExpired,
            TokenError::Refused => R::MssTokenRefused,
            TokenError::Malformed { .. } => R::MssTokenMalformed,
            _ => R::MssTokenProvider,
        },
        MssError::Discovery(d) => match d {
            DiscoveryError::ResolvConf(_) | DiscoveryError::NoNameserver => {
                R::MssDiscoveryNoResolver
            }
            DiscoveryError::Socket { .. } | DiscoveryError::NoAnswer(_) => R::MssDiscoveryNoAnswer,
            DiscoveryError::MalformedAnswer(_) => R::MssDiscoveryMalformedAnswer,
            DiscoveryError::ResolverError(_) => R::MssDiscoveryResolverError,
            _ => R::MssDiscovery,
        },
        MssError::Annuaire(a) => match a {
            AnnuaireError::Tls(t) => mss_tls_code(t),
            AnnuaireError::Status(_) => R::MssAnnuaireHttpStatus,
            AnnuaireError::Transport(_)
            | AnnuaireError::Read(_)
            | AnnuaireError::TooManyRetries => R::MssAnnuaireNetwork,
            AnnuaireError::Json { .. }
            | AnnuaireError::NotABundle
            | AnnuaireError::ForeignNextLink
            | AnnuaireError::TooManyPages => R::MssAnnuaireMalformed,
            _ => R::MssAnnuaire,
        },
        _ => R::MssOther,
    }
}

/// TLS failures with an MSSanté server or the Annuaire Santé (RFC 5280 path validation,
/// RFC 6125 name check, RFC 8446 §6.2 alerts).
fn mss_tls_code(t: &TlsError) -> segur_result {
    use segur_result as R;
    match t {
        TlsError::UnknownIssuer => R::MssTlsUnknownCa,
        TlsError::NameMismatch => R::MssTlsNameMismatch,
        TlsError::Expired => R::MssTlsCertificateExpired,
        TlsError::ClientCertificateRefused { .. } => R::MssTlsClientCertificateRefused,
        TlsError::BadPem { .. }
        | TlsError::BadPkcs12 { .. }
        | TlsError::Missing { .. }
        | TlsError::BadCertificate { .. } => R::MssCertificate,
        _ => R::MssTls,
    }
}

/// The IHE_XDM attachment's own failures (IHE ITI TF-3 §4.2.1), in the MSSanté range.
fn mss_xdm_code(x: &XdmError) -> segur_result {
    use segur_result as R;
    match x {
        XdmError::Zip(_)
        | XdmError::PathTraversal { .. }
        | XdmError::AbsolutePath { .. }
        | XdmError::Symlink { .. }
        | XdmError::Encrypted { .. }
        | XdmError::Duplicate { .. }
        | XdmError::ArchiveTooLarge { .. }
        | XdmError::TooManyEntries { .. }
        | XdmError::EntryTooLarge { .. }
        | XdmError::TotalTooLarge { .. }
        | XdmError::RatioTooHigh { .. } => R::MssXdmArchive,
        XdmError::NoMetadata | XdmError::Metadata { .. } | XdmError::MissingDocument { .. } => {
            R::MssXdmMetadata
        }
        XdmError::HashMismatch { .. } | XdmError::SizeMismatch { .. } => R::MssXdmIntegrity,
        XdmError::Cda(_) => R::MssXdmCda,
        _ => R::MssXdm,
    }
}

/// Writes message bytes (`*out_eml`, `*out_eml_len`, freed with `segur_bytes_free`) and a JSON
/// summary (`*out_json`, freed with `segur_string_free`) together: the JSON is serialised first,
/// so either both outputs are written or neither.
pub(crate) fn write_bytes_and_json(
    out_eml: *mut *mut u8,
    out_eml_len: *mut usize,
    bytes: Vec<u8>,
    out_json: *mut *mut c_char,
    json: &serde_json::Value,
) -> segur_result {
    try_ffi!(out_arg(out_json));
    // Serialising plain JSON values cannot fail; a failure would be a bug, reported as such.
    let Ok(text) = serde_json::to_string(json) else {
        return segur_result::Panic;
    };
    let Ok(text) = std::ffi::CString::new(text) else {
        return segur_result::InteriorNul;
    };
    let r = write_bytes_out(out_eml, out_eml_len, bytes);
    if !r.is_ok() {
        return r;
    }
    crate::boundary::write_out(out_json, text.into_raw())
}

/// Options of `segur_mss_compose`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ComposeJson {
    from: String,
    #[serde(default)]
    from_label: Option<String>,
    nil: String,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    cc: Vec<String>,
    #[serde(default)]
    patients: Vec<::segur_ins::QualifiedIdentity>,
    subject: String,
    #[serde(default)]
    xdm_subject: bool,
    #[serde(default)]
    text: String,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    read_receipt: bool,
    #[serde(default)]
    end_of_conversation: bool,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    in_reply_to: Option<String>,
    #[serde(default)]
    size_limit: Option<usize>,
    #[serde(default)]
    date: Option<i64>,
}

fn compose(
    o: ComposeJson,
    xdm: Option<Vec<u8>>,
) -> Result<::segur_mssante::OutgoingMessage, MssError> {
    let subject = if o.xdm_subject {
        Subject::xdm(&o.subject)?
    } else {
        Subject::plain(&o.subject)?
    };
    let mut b = MessageBuilder::new(MailAddress::parse(&o.from)?, ProductReference::new(&o.nil)?)
        .subject(subject)
        .text(&o.text);
    if let Some(l) = &o.from_label {
        b = b.from_label(l)?;
    }
    for t in &o.to {
        b = b.to(Recipient::professional(MailAddress::parse(t)?)?);
    }
    for t in &o.cc {
        b = b.cc(Recipient::professional(MailAddress::parse(t)?)?);
    }
    for q in &o.patients {
        b = b.to(PatientAddress::of(q));
    }
    if let Some(h) = &o.html {
        b = b.html(h);
    }
    if let Some(x) = xdm {
        b = b.xdm(x);
    }
    if o.read_receipt {
        b = b.request_read_receipt();
    }
    if o.end_of_conversation {
        b = b.end_of_conversation();
    }
    if let Some(id) = &o.message_id {
        b = b.message_id(MessageId::parse(id)?);
    }
    if let Some(id) = &o.in_reply_to {
        b = b.in_reply_to(MessageId::parse(id)?, &[]);
    }
    if let Some(n) = o.size_limit {
        b = b.size_limit(n);
    }
    if let Some(d) = o.date {
        b = b.date(d);
    }
    b.build()
}

/// Composes an MSSanté message (RFC 5322, CRLF) and writes it to `*out_eml` / `*out_eml_len`
/// (free with `segur_bytes_free`), and what was computed as JSON to `*out_json` (free with
/// `segur_string_free`): `{"message_id":"<...>","bytes":14237,"from":"...","recipients":[...],
/// "x_mss_nil":"...","x_mss_codecda":["87273-9"],"x_mss_ins":"O"|"N"|null,
/// "x_mss_mes_fin":false,"read_receipt":true}`.
///
/// `options_json` is `{"from":"pharma@x.mssante.fr","from_label"?,"nil":"<product reference,
/// X-MSS-NIL>","to"?:["doc@y.mssante.fr"],"cc"?:[...],"patients"?:[<qualified segur-ins
/// Identity>],"subject":"...","xdm_subject"?:false,"text"?:"...","html"?:"...",
/// "read_receipt"?:false,"end_of_conversation"?:false,"message_id"?:"<id@domain>",
/// "in_reply_to"?:"<id@domain>","size_limit"?:bytes,"date"?:unix_seconds}`. Patient recipients
/// come from a qualified identity only (a `@patient.mssante.fr` string in `to` is refused).
/// `xdm` (`xdm_len` bytes; NULL for none) is attached as IHE_XDM.ZIP: `X-MSS-CODECDA` and
/// `X-MSS-INS` are computed from the CDA documents inside it, never set by hand (Référentiel #2
/// ECO.2.4.1/2); `X-MSS-MES: FIN` only toward a patient.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON` (including an identity that is not qualified),
/// `SEGUR_RESULT_MSS_INVALID_ADDRESS`, `SEGUR_RESULT_MSS_INVALID_HEADER`,
/// `SEGUR_RESULT_MSS_COMPOSE`, `SEGUR_RESULT_MSS_XDM_*` (archive, metadata, integrity, CDA,
/// content; `SEGUR_RESULT_MSS_XDM` otherwise), `SEGUR_RESULT_MSS_TOO_LARGE`. Outputs are
/// written only on success. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_compose(
    options_json: *const c_char,
    options_json_len: usize,
    xdm: *const u8,
    xdm_len: usize,
    out_eml: *mut *mut u8,
    out_eml_len: *mut usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `options_json` points to `options_json_len` readable bytes.
        let o: ComposeJson = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        let xdm = if xdm.is_null() {
            None
        } else {
            // SAFETY: header contract: a non-NULL `xdm` points to `xdm_len` readable bytes.
            Some(try_ffi!(unsafe { bytes_arg(xdm.cast(), xdm_len) }).to_vec())
        };
        try_ffi!(out_arg(out_eml));
        try_ffi!(out_arg(out_eml_len));
        try_ffi!(out_arg(out_json));
        let m = try_ffi!(compose(o, xdm).map_err(mss_err));
        let h = m.mss_headers();
        let summary = json!({
            "message_id": m.message_id().as_str(),
            "bytes": m.bytes().len(),
            "from": m.from().as_str(),
            "recipients": m.recipients().iter().map(MailAddress::as_str).collect::<Vec<_>>(),
            "x_mss_nil": h.nil,
            "x_mss_codecda": h.codecda,
            "x_mss_ins": h.ins.map(segur_mssante::view::x_mss_ins_flag),
            "x_mss_mes_fin": h.end_of_conversation,
            "read_receipt": m.read_receipt_requested(),
        });
        write_bytes_and_json(out_eml, out_eml_len, m.bytes().to_vec(), out_json, &summary)
    })
}

/// Parses a received message (`eml`, `eml_len` bytes, as an IMAP server hands it over; at most
/// 64 MiB and 512 MIME parts) and writes it as JSON to `*out_json` (free with
/// `segur_string_free`): `{"message_id","in_reply_to":[],"references":[],"from","recipients":[],
/// "subject","display_subject" (without the XDM/1.0/DDM+ prefix),"date" (RFC 3339),
/// "disposition_notification_to","return_path","from_patient":false,"x_mss_nil",
/// "x_mss_codecda":[],"x_mss_ins":"O"|"N"|null,"x_mss_mes_fin":false,"text","html",
/// "attachments":[{"name","content_type","kind":"Xdm"|"Pdf"|"Other","size",
/// "data_base64"}],"report":null|{"type":"mdn","original_message_id","disposition"}|
/// {"type":"dsn","original_message_id","recipients":[{"final_recipient","action","status"}]}}`.
/// An `Xdm` attachment's decoded bytes go to `segur_xdm_unpack`. The JSON holds the message's
/// content (patient data); error details never do.
///
/// Errors: `SEGUR_RESULT_MSS_MALFORMED` (byte position in the detail),
/// `SEGUR_RESULT_MSS_MALFORMED_REPORT`, `SEGUR_RESULT_MSS_TOO_LARGE`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_parse(
    eml: *const u8,
    eml_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `eml` points to `eml_len` readable bytes.
        let raw = try_ffi!(unsafe { bytes_arg(eml.cast(), eml_len) });
        try_ffi!(out_arg(out_json));
        let m = try_ffi!(ReceivedMessage::parse(raw).map_err(mss_err));
        write_json(out_json, &received_json(&m))
    })
}

/// The JSON form of a received message (documented on `segur_mss_parse`; also the `message` of
/// `segur_mss_mailbox_fetch`).
pub(crate) fn received_json(m: &ReceivedMessage) -> serde_json::Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    let attachments: Vec<_> = m
        .attachments
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "content_type": a.content_type,
                "kind": a.kind,
                "size": a.data.len(),
                "data_base64": b64.encode(&a.data),
            })
        })
        .collect();
    let report = match &m.report {
        Some(Report::Disposition(d)) => json!({
            "type": "mdn",
            "original_message_id": d.original_message_id.as_ref().map(MessageId::as_str),
            "disposition": d.disposition.to_field(),
        }),
        Some(Report::Delivery(d)) => json!({
            "type": "dsn",
            "original_message_id": d.original_message_id.as_ref().map(MessageId::as_str),
            "recipients": d.recipients.iter().map(|r| json!({
                "final_recipient": r.final_recipient,
                "action": r.action,
                "status": r.status,
            })).collect::<Vec<_>>(),
        }),
        None => serde_json::Value::Null,
    };
    json!({
        "message_id": m.message_id.as_ref().map(MessageId::as_str),
        "in_reply_to": ids(&m.in_reply_to),
        "references": ids(&m.references),
        "from": m.from,
        "recipients": m.recipients,
        "subject": m.subject,
        "display_subject": m.display_subject(),
        "date": m.date,
        "disposition_notification_to": m.disposition_notification_to,
        "return_path": m.return_path,
        "from_patient": m.is_from_patient(),
        "x_mss_nil": m.mss.nil,
        "x_mss_codecda": m.mss.codecda,
        "x_mss_ins": m.mss.ins.map(segur_mssante::view::x_mss_ins_flag),
        "x_mss_mes_fin": m.mss.end_of_conversation,
        "text": m.text,
        "html": m.html,
        "attachments": attachments,
        "report": report,
    })
}

/// Connection settings of `segur_mss_send` and `segur_mss_mdn_send`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendJson {
    host: String,
    #[serde(default = "submission_port")]
    port: u16,
    #[serde(default)]
    hello_name: Option<String>,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
    #[serde(default)]
    dsn: bool,
}

fn submission_port() -> u16 {
    587
}

pub(crate) fn default_timeout() -> u64 {
    30
}

/// The one token given by the caller (the caller refreshes it: Pro Santé Connect tokens live
/// minutes; this call uses it once).
/// The credentials of one connection as C hands them over: trust anchors (PEM), and a Pro
/// Santé Connect token or a PKCS#12 mailbox certificate.
pub(crate) struct Credentials<'a> {
    pub(crate) roots_pem: &'a [u8],
    pub(crate) token: Option<&'a [u8]>,
    pub(crate) pkcs12: Option<(&'a [u8], &'a str)>,
}

impl<'a> Credentials<'a> {
    /// Borrows the credential arguments shared by the connecting entry points; `token` and
    /// `pkcs12` may be NULL (not both: checked by [`Credentials::security`]).
    ///
    /// # Safety
    /// Each non-NULL pointer points to its length of readable bytes, valid for `'a`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn from_args(
        roots_pem: *const u8,
        roots_pem_len: usize,
        token: *const c_char,
        token_len: usize,
        pkcs12: *const u8,
        pkcs12_len: usize,
        pkcs12_password: *const c_char,
        pkcs12_password_len: usize,
    ) -> Result<Self, segur_result> {
        // SAFETY: forwarded contract.
        let roots_pem = unsafe { bytes_arg(roots_pem.cast(), roots_pem_len) }?;
        let token = if token.is_null() {
            None
        } else {
            // SAFETY: forwarded contract.
            Some(unsafe { bytes_arg(token, token_len) }?)
        };
        let pkcs12 = if pkcs12.is_null() {
            None
        } else {
            // SAFETY: forwarded contract.
            let der = unsafe { bytes_arg(pkcs12.cast(), pkcs12_len) }?;
            // SAFETY: forwarded contract.
            let pw = unsafe { str_arg(pkcs12_password, pkcs12_password_len) }?;
            Some((der, pw))
        };
        Ok(Self {
            roots_pem,
            token,
            pkcs12,
        })
    }

    /// TLS settings (rustls, the caller's anchors, the client certificate if any) and the SASL
    /// authentication: XOAUTH2 as `user` with the token, else EXTERNAL with the certificate.
    pub(crate) fn security(
        &self,
        user: &MailAddress,
    ) -> Result<
        (
            ::segur_mssante::tls::TlsSettings,
            ::segur_mssante::token::Authentication,
        ),
        segur_result,
    > {
        use ::segur_mssante::tls::{ClientIdentity, TlsSettings, TrustAnchors};
        use ::segur_mssante::token::{Authentication, OAuthMechanism};
        if self.token.is_none() && self.pkcs12.is_none() {
            return Err(fail(
                segur_result::InvalidParameter,
                "a token or a PKCS#12 mailbox certificate is required",
            ));
        }
        let anchors = TrustAnchors::from_pem(self.roots_pem).map_err(mss_err)?;
        let identity = match self.pkcs12 {
            Some((der, password)) => {
                Some(ClientIdentity::from_pkcs12(der, password).map_err(mss_err)?)
            }
            None => None,
        };
        let auth = match self.token {
            Some(t) => {
                let secret = std::str::from_utf8(t).map_err(|_| segur_result::InvalidUtf8)?;
                // The caller's token follows the one rule of `CallerToken` (240 s, never refreshed).
                let token = ::segur_mssante::token::CallerToken::new(secret.to_owned(), None)
                    .map_err(mss_err)?;
                Authentication::OAuth {
                    user: user.clone(),
                    provider: std::sync::Arc::new(token),
                    mechanism: OAuthMechanism::XOAuth2,
                }
            }
            None => Authentication::ClientCertificate,
        };
        let tls = TlsSettings::new(&anchors, identity.as_ref()).map_err(mss_err)?;
        Ok((tls, auth))
    }
}

/// Submits `message` over SMTP with STARTTLS and reports the outcome per recipient.
pub(crate) fn submit(
    c: SendJson,
    credentials: &Credentials<'_>,
    message: &::segur_mssante::OutgoingMessage,
) -> Result<serde_json::Value, segur_result> {
    use ::segur_mssante::discovery::Endpoint;
    use ::segur_mssante::smtp::{SmtpSession, SmtpSettings};
    let (tls, auth) = credentials.security(message.from())?;
    let settings = SmtpSettings {
        endpoint: Endpoint::new(&c.host, c.port),
        tls,
        auth,
        hello_name: c.hello_name.unwrap_or_else(|| "localhost".to_owned()),
        timeout: std::time::Duration::from_secs(c.timeout_secs),
    };
    let mut session = SmtpSession::connect(&settings).map_err(mss_err)?;
    let dsn = c.dsn.then(::segur_mssante::dsn::DsnRequest::default);
    let report = session.send(message, dsn.as_ref()).map_err(mss_err)?;
    // The message is accepted or not by now; a failing QUIT changes nothing about it.
    let _ = session.quit();
    let recipients: Vec<_> = report
        .recipients
        .iter()
        .map(|r| match &r.result {
            Ok(()) => json!({ "recipient": r.recipient.as_str(), "status": "accepted" }),
            Err(rej) => json!({
                "recipient": r.recipient.as_str(),
                "status": if rej.is_transient() { "deferred" } else { "rejected" },
                "code": rej.code,
            }),
        })
        .collect();
    Ok(json!({
        "message_id": message.message_id().as_str(),
        "dsn_requested": report.dsn_requested,
        "recipients": recipients,
    }))
}

/// Composes a message like `segur_mss_compose` (`options_json`, `xdm`) and submits it over SMTP
/// with STARTTLS (Référentiel #2 SC.MSS/CONF.05/06: never in clear; TLS 1.2+, rustls), blocking
/// until the server's final reply. Writes the outcome as JSON to `*out_json` (free with
/// `segur_string_free`): `{"message_id":"<...>","dsn_requested":false,"recipients":[
/// {"recipient":"...","status":"accepted"}|{"recipient":"...","status":"rejected"|"deferred",
/// "code":550}]}`.
///
/// `connection_json` is `{"host":"smtp.op.fr","port"?:587,"hello_name"?:"localhost",
/// "timeout_secs"?:30,"dsn"?:false}`. `roots_pem` holds the trusted authorities (PEM, for
/// example the IGC-Santé roots); the server's name and validity are checked. Authentication:
/// `token` (a Pro Santé Connect access token, SASL XOAUTH2, user = `from`; used for this call
/// only, never kept or logged) or, for an applicative mailbox, `pkcs12` (DER) with
/// `pkcs12_password` (TLS client certificate, SASL EXTERNAL). `token` and `pkcs12` may be NULL,
/// not both; `pkcs12_password` is read only with `pkcs12`.
///
/// Errors: those of `segur_mss_compose`, `SEGUR_RESULT_INVALID_PARAMETER` (no credential),
/// `SEGUR_RESULT_MSS_CERTIFICATE` (roots or PKCS#12 unusable), `SEGUR_RESULT_MSS_NETWORK`,
/// `SEGUR_RESULT_MSS_TLS_UNKNOWN_CA`, `SEGUR_RESULT_MSS_TLS_NAME_MISMATCH`,
/// `SEGUR_RESULT_MSS_TLS_CERTIFICATE_EXPIRED`, `SEGUR_RESULT_MSS_TLS_CLIENT_CERTIFICATE_REFUSED`,
/// `SEGUR_RESULT_MSS_TLS` (another TLS failure), `SEGUR_RESULT_MSS_TOKEN_MALFORMED` (`token`),
/// `SEGUR_RESULT_MSS_START_TLS_UNAVAILABLE`,
/// `SEGUR_RESULT_MSS_AUTHENTICATION`, `SEGUR_RESULT_MSS_REFUSED`, `SEGUR_RESULT_MSS_PROTOCOL`,
/// `SEGUR_RESULT_MSS_TOO_LARGE` (server SIZE). Thread-safe (one connection per call).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_send(
    connection_json: *const c_char,
    connection_json_len: usize,
    roots_pem: *const u8,
    roots_pem_len: usize,
    token: *const c_char,
    token_len: usize,
    pkcs12: *const u8,
    pkcs12_len: usize,
    pkcs12_password: *const c_char,
    pkcs12_password_len: usize,
    options_json: *const c_char,
    options_json_len: usize,
    xdm: *const u8,
    xdm_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each non-NULL pointer points to its length of readable bytes.
        let c: SendJson = try_ffi!(unsafe { json_arg(connection_json, connection_json_len) });
        // SAFETY: as above.
        let credentials = try_ffi!(unsafe {
            Credentials::from_args(
                roots_pem,
                roots_pem_len,
                token,
                token_len,
                pkcs12,
                pkcs12_len,
                pkcs12_password,
                pkcs12_password_len,
            )
        });
        // SAFETY: as above.
        let o: ComposeJson = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        let xdm = if xdm.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(try_ffi!(unsafe { bytes_arg(xdm.cast(), xdm_len) }).to_vec())
        };
        try_ffi!(out_arg(out_json));
        if credentials.token.is_none() && credentials.pkcs12.is_none() {
            return fail(
                segur_result::InvalidParameter,
                "a token or a PKCS#12 mailbox certificate is required",
            );
        }
        let message = try_ffi!(compose(o, xdm).map_err(mss_err));
        let v = try_ffi!(submit(c, &credentials, &message));
        write_json(out_json, &v)
    })
}
