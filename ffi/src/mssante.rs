//! MSSanté entry points (`segur-mssante`): compose a message around an IHE_XDM.ZIP with the
//! `X-MSS-*` headers computed from the CDA it carries, and parse a received message.
//!
//! Sending is blocking SMTP submission over STARTTLS (rustls). Retrieval (IMAP) is in
//! `mss_mailbox`, acknowledgements (MDN) in `mss_mdn`, the credentials of every connection in
//! `mss_credentials`; the submission code here is shared.

use crate::boundary::{bytes_arg, json_arg, out_arg, write_json, write_string};
use crate::cards::write_bytes_out;
use crate::detail::fail;
use crate::mss_credentials::{credentials_arg, segur_mss_credentials};
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_dmp_cda::XdmError;
use ::segur_mssante::compose::MessageId;
use ::segur_mssante::tls::TlsError;
use ::segur_mssante::token::TokenError;
use ::segur_mssante::view::ReceivedView;
use ::segur_mssante::{AnnuaireError, DiscoveryError, ImapError, ImapStatus, SmtpError};
use ::segur_mssante::{
    MailAddress, MessageBuilder, MssError, PatientAddress, ProductReference, ReceivedMessage,
    Recipient, Subject,
};
use std::ffi::c_char;

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
        MssError::Smtp(e) => mss_smtp_code(e),
        MssError::Imap(e) => mss_imap_code(e),
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

/// SMTP submission failures (RFC 5321 §4.2.1 reply classes, RFC 3207, RFC 4954).
fn mss_smtp_code(e: &SmtpError) -> segur_result {
    use segur_result as R;
    match e {
        SmtpError::Io { .. } => R::MssSmtpNetwork,
        SmtpError::ConnectionClosed { .. } => R::MssSmtpConnectionClosed,
        SmtpError::StartTlsUnavailable => R::MssSmtpStartTlsUnavailable,
        SmtpError::Refused { code, .. } if (400..500).contains(code) => R::MssSmtpRefusedTransient,
        SmtpError::Refused { .. } => R::MssSmtpRefusedPermanent,
        SmtpError::Protocol { .. } => R::MssSmtpProtocol,
        SmtpError::AuthenticationFailed(_) => R::MssSmtpAuthenticationFailed,
        SmtpError::NoUsableMechanism => R::MssSmtpNoUsableMechanism,
        _ => R::MssOther,
    }
}

/// IMAP failures (RFC 3501 §7.1 status responses, RFC 2595, RFC 4422).
fn mss_imap_code(e: &ImapError) -> segur_result {
    use segur_result as R;
    match e {
        ImapError::Io { .. } => R::MssImapNetwork,
        ImapError::ConnectionClosed { .. } => R::MssImapConnectionClosed,
        ImapError::StartTlsUnavailable => R::MssImapStartTlsUnavailable,
        ImapError::Refused { status, .. } => match status {
            ImapStatus::No => R::MssImapRefusedNo,
            ImapStatus::Bad => R::MssImapRefusedBad,
            _ => R::MssImapBye,
        },
        ImapError::Protocol { .. } => R::MssImapProtocol,
        ImapError::AuthenticationFailed(_) => R::MssImapAuthenticationFailed,
        ImapError::NoUsableMechanism => R::MssImapNoUsableMechanism,
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
    json: &impl serde::Serialize,
) -> segur_result {
    try_ffi!(out_arg(out_json));
    // Serialising the plain view types cannot fail; a failure would be a bug, reported as such.
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
        let summary = ::segur_mssante::view::ComposeSummary::of(&m);
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
        write_json(out_json, &ReceivedView::of(&m))
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

/// Submits `message` over SMTP with STARTTLS and reports the outcome per recipient: the JSON
/// text of `SendOutcomeView`, byte for byte that of `segur mss send`.
pub(crate) fn submit(
    c: SendJson,
    credentials: &segur_mss_credentials,
    message: &::segur_mssante::OutgoingMessage,
) -> Result<String, segur_result> {
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
    let v = ::segur_mssante::view::SendOutcomeView::of(message, &report);
    // Serialising the plain view type cannot fail; a failure would be a bug, reported as such.
    serde_json::to_string(&v).map_err(|_| segur_result::Panic)
}

/// Composes a message like `segur_mss_compose` (`options_json`, `xdm`) and submits it over SMTP
/// with STARTTLS (Référentiel #2 SC.MSS/CONF.05/06: never in clear; TLS 1.2+, rustls), blocking
/// until the server's final reply. Writes the outcome as JSON to `*out_json` (free with
/// `segur_string_free`): `{"message_id":"<...>","dsn_requested":false,"recipients":[
/// {"recipient":"...","status":"accepted"}|{"recipient":"...","status":"rejected"|"deferred",
/// "code":550,"reply":"..."}]}` (`reply`: the server's text, runs of 13 or more digits masked).
///
/// `connection_json` is `{"host":"smtp.op.fr","port"?:587,"hello_name"?:"localhost",
/// "timeout_secs"?:30,"dsn"?:false}`. `credentials` (a `segur_mss_credentials` handle, only
/// read) gives the trusted authorities (the server's chain, name and validity are checked) and
/// the authentication: its token (Pro Santé Connect, SASL XOAUTH2, user = `from`) or, for an
/// applicative mailbox, its PKCS#12 certificate (TLS client certificate, SASL EXTERNAL).
///
/// Errors: those of `segur_mss_compose`, `SEGUR_RESULT_NULL_PARAMETER` (no handle),
/// `SEGUR_RESULT_INVALID_PARAMETER` (no anchors, or neither token nor certificate in
/// `credentials`), `SEGUR_RESULT_MSS_CERTIFICATE` (certificate refused by rustls),
/// `SEGUR_RESULT_MSS_TLS_UNKNOWN_CA`, `SEGUR_RESULT_MSS_TLS_NAME_MISMATCH`,
/// `SEGUR_RESULT_MSS_TLS_CERTIFICATE_EXPIRED`, `SEGUR_RESULT_MSS_TLS_CLIENT_CERTIFICATE_REFUSED`,
/// `SEGUR_RESULT_MSS_TLS` (another TLS failure), the SMTP codes 5070-5077
/// (`SEGUR_RESULT_MSS_SMTP_NETWORK`, `_CONNECTION_CLOSED`, `_START_TLS_UNAVAILABLE`,
/// `_REFUSED_TRANSIENT` (4yz: retry later), `_REFUSED_PERMANENT` (5yz), `_PROTOCOL`,
/// `_AUTHENTICATION_FAILED`, `_NO_USABLE_MECHANISM`), `SEGUR_RESULT_MSS_TOO_LARGE` (server SIZE). Thread-safe (one connection per call; the
/// same `credentials` may serve several threads at once).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_send(
    connection_json: *const c_char,
    connection_json_len: usize,
    credentials: *const segur_mss_credentials,
    options_json: *const c_char,
    options_json_len: usize,
    xdm: *const u8,
    xdm_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: each non-NULL pointer points to its length of readable bytes.
        let c: SendJson = try_ffi!(unsafe { json_arg(connection_json, connection_json_len) });
        // SAFETY: header contract: NULL or a live credentials handle no setter is modifying.
        let credentials = try_ffi!(unsafe { credentials_arg(credentials) });
        // SAFETY: as above.
        let o: ComposeJson = try_ffi!(unsafe { json_arg(options_json, options_json_len) });
        let xdm = if xdm.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(try_ffi!(unsafe { bytes_arg(xdm.cast(), xdm_len) }).to_vec())
        };
        try_ffi!(out_arg(out_json));
        let message = try_ffi!(compose(o, xdm).map_err(mss_err));
        let v = try_ffi!(submit(c, credentials, &message));
        write_string(out_json, v)
    })
}
