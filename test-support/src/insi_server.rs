//! A local INSi server with mutual TLS on 127.0.0.1 (hyper 1 over tokio-rustls, no
//! hand-written HTTP) that enforces the published contract: SOAP 1.2 content type and action,
//! the request's `RECSANSVITALE`, `ContexteLPS` and `ContexteBAM` validated with xmllint
//! against the published XSDs (`../shared/insi/xsd`), and the authentication mode of its
//! endpoint ([`Mode`], `shared/specs/ins.md` "SOAP headers" and "Authentication modes"):
//!
//! - [`Mode::MutualTls`]: no `wsse:Security` assertion; client certificate CN `INSI-AUTO` or
//!   `INSI-MANU`, else the `DESIR_560` fault, as the real teleservice;
//! - [`Mode::Cpx`]: the "assertion PS" present, its `wsse:Security` block valid against the
//!   official `WSSE/Security.xsd` (which imports the SAML 2.0 and XML-DSig schemas), its
//!   enveloped signature checked by `xmlsec1` (the reference implementation, independent of
//!   the SDK) against the card CA, the signature's one reference naming the assertion, the
//!   `Conditions` window current, the three attributes present;
//! - [`Mode::Psc`]: an unsigned assertion, `NameID NameQualifier="PSC"`, the window current, the
//!   three attributes present, and the bearer token when one is expected.
//!
//! The faults INSi returns for a missing, unexpected or invalid assertion are not published:
//! this server answers with the WS-Security 1.0 §12 fault codes as the SOAP 1.2 subcode
//! (`wsse:InvalidSecurity`, `wsse:InvalidSecurityToken`, `wsse:FailedCheck`,
//! `wsse:FailedAuthentication`), HTTP 500. It replays the CNDA responses of
//! `../shared/insi/cnda-responses`. Shared by the segur-ins and segur-ffi tests, with the test
//! CA and the certificates they make at test time.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use quick_xml::events::Event;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

pub use crate::pki::{Ca, Leaf, ca, card_signature_leaf};

/// A leaf of the test PKI; a server certificate also names 127.0.0.1 (the INSi server listens
/// there).
pub fn leaf(ca: &Ca, cn: &str, dns: &[&str], client: bool, expired: bool) -> Leaf {
    let mut sans = dns.to_vec();
    if !client {
        sans.push("127.0.0.1");
    }
    crate::pki::leaf(ca, cn, &sans, client, expired)
}

/// What the server saw, for assertions.
#[derive(Default)]
pub struct Seen {
    /// Request bodies, in order.
    pub requests: Vec<String>,
    /// `Authorization` header of each request (`None` when absent).
    pub authorizations: Vec<Option<String>>,
}

/// The authentication mode the endpoint enforces.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Mutual TLS with an ORG certificate named `INSI-AUTO`/`INSI-MANU`; no assertion.
    MutualTls,
    /// The CPx "assertion PS", signed by a certificate issued by `card_ca_pem`.
    Cpx {
        /// The CA of the card signature certificates (PEM).
        card_ca_pem: String,
    },
    /// The unsigned PSC assertion; `bearer`, when set, is the access token the request must
    /// carry in `Authorization: Bearer`.
    Psc {
        /// The expected access token.
        bearer: Option<String>,
    },
}

/// Starts the contract-enforcing INSi server in mutual-TLS mode; returns its port.
pub fn server(server_leaf: &Leaf, client_ca: &Ca, seen: Arc<Mutex<Seen>>) -> u16 {
    server_with_mode(server_leaf, client_ca, seen, Mode::MutualTls)
}

/// Largest request body read (the real requests are a few kilobytes).
const MAX_BODY: usize = 256 * 1024;

/// Starts the contract-enforcing INSi server enforcing `mode`; returns its port. It runs on
/// its own thread until the test process ends.
pub fn server_with_mode(
    server_leaf: &Leaf,
    client_ca: &Ca,
    seen: Arc<Mutex<Seen>>,
    mode: Mode,
) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.cert.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let chain = vec![CertificateDer::from_pem_slice(server_leaf.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(server_leaf.key_pem.as_bytes()).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mode = Arc::new(mode);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let seen = seen.clone();
                let mode = mode.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return; // handshake refused: rustls has sent its alert
                    };
                    let cn = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|der| common_name(der.as_ref()))
                        .unwrap_or_default();
                    let service = hyper::service::service_fn(move |req| {
                        handle(req, cn.clone(), seen.clone(), mode.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
    port
}

fn common_name(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn respond(status: u16, body: Vec<u8>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

async fn handle(
    req: Request<Incoming>,
    cn: String,
    seen: Arc<Mutex<Seen>>,
    mode: Arc<Mode>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let authorization = header("authorization");
    let post_lps = req.method() == hyper::Method::POST && req.uri().path() == "/lps";
    let Ok(body) = Limited::new(req.into_body(), MAX_BODY).collect().await else {
        return Ok(respond(413, b"request too large".to_vec()));
    };
    let body = body.to_bytes().to_vec();
    // xmllint and xmlsec1 are processes: run the checks off the I/O thread.
    let (status, out) = tokio::task::spawn_blocking(move || {
        check_request(
            post_lps,
            &content_type,
            authorization,
            &body,
            &cn,
            &mode,
            &seen,
        )
    })
    .await
    .unwrap();
    Ok(respond(status, out))
}

const ACTION: &str = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";
const SAML: &[u8] = b"urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";

fn check_request(
    post_lps: bool,
    content_type: &str,
    authorization: Option<String>,
    body: &[u8],
    cn: &str,
    mode: &Mode,
    seen: &Mutex<Seen>,
) -> (u16, Vec<u8>) {
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return (400, b"request is not UTF-8".to_vec());
    };
    {
        let mut s = seen.lock().unwrap();
        s.requests.push(text.clone());
        s.authorizations.push(authorization.clone());
    }
    // Contract: method, path, SOAP 1.2 content type with the operation's action.
    if !post_lps
        || !content_type.starts_with("application/soap+xml; charset=utf-8")
        || !content_type.contains(&format!("action=\"{ACTION}\""))
        || !text.contains(&format!(">{ACTION}</wsa:Action>"))
    {
        return (400, b"bad SOAP 1.2 request".to_vec());
    }
    // Contract: the published XSDs.
    if let Err(e) = validate_against_xsds(body) {
        return (400, e.into_bytes());
    }
    let security = fragment(body, b"Security");
    match mode {
        Mode::MutualTls => {
            if security.is_some() {
                return wsse_fault(
                    "InvalidSecurity",
                    "assertion inattendue sur l'accès par certificat (TLS mutuel)",
                );
            }
            // Contract: the client certificate CN.
            if cn != "INSI-AUTO" && cn != "INSI-MANU" {
                return (
                    500,
                    siram_fault("desir_560", "DESIR_560", "Niveau d'accès insuffisant"),
                );
            }
        }
        Mode::Cpx { card_ca_pem } => {
            if let Err(f) = check_assertion(security.as_deref(), true) {
                return f;
            }
            if let Err(e) = xmlsec1_verify(body, card_ca_pem) {
                return wsse_fault("FailedCheck", &format!("signature invalide: {e}"));
            }
        }
        Mode::Psc { bearer } => {
            if let Err(f) = check_assertion(security.as_deref(), false) {
                return f;
            }
            if let Some(expected) = bearer
                && authorization.as_deref() != Some(&format!("Bearer {expected}"))
            {
                return wsse_fault("FailedAuthentication", "jeton Pro Santé Connect absent");
            }
        }
    }
    (200, replay(&text))
}

/// The WS-Security 1.0 §12 fault (`soap:Sender`, subcode `wsse:<code>`), HTTP 500.
fn wsse_fault(code: &str, text: &str) -> (u16, Vec<u8>) {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">wsse:{code}</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">{}</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#,
        escape(text)
    );
    (500, body.into_bytes())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The siram fault of the real teleservice (`shared/specs/ins.md`, "Faults").
fn siram_fault(subcode: &str, code: &str, text: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>siram:{subcode}</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">{text}</soap:Text></soap:Reason><soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="{code}" severite="erreur">{text}</siram:Erreur></soap:Detail></soap:Fault></soap:Body></soap:Envelope>"#
    )
    .into_bytes()
}

/// What the server reads of an assertion.
#[derive(Default, Debug)]
struct AssertionView {
    assertions: usize,
    id: Option<String>,
    signatures: usize,
    reference_uris: Vec<String>,
    name_qualifier: Option<String>,
    name_id: String,
    not_before: Option<String>,
    not_on_or_after: Option<String>,
    attributes: Vec<(String, String)>,
}

fn read_assertion(security: &[u8]) -> Result<AssertionView, String> {
    let mut r = quick_xml::NsReader::from_reader(security);
    let mut buf = Vec::new();
    let mut v = AssertionView::default();
    let mut path: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut attribute: Option<String> = None;
    loop {
        let (ns, event) = r
            .read_resolved_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let ns = match ns {
                    quick_xml::name::ResolveResult::Bound(n) => n.as_ref().to_vec(),
                    _ => Vec::new(),
                };
                let local = e.local_name().as_ref().to_vec();
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .and_then(|a| a.unescape_value().ok().map(|c| c.into_owned()))
                };
                match (ns.as_slice(), local.as_slice()) {
                    (SAML, b"Assertion") => {
                        v.assertions += 1;
                        v.id = attr(b"ID");
                    }
                    (DSIG, b"Signature") => v.signatures += 1,
                    (DSIG, b"Reference") => v.reference_uris.push(attr(b"URI").unwrap_or_default()),
                    (SAML, b"NameID") => v.name_qualifier = attr(b"NameQualifier"),
                    (SAML, b"Conditions") => {
                        v.not_before = attr(b"NotBefore");
                        v.not_on_or_after = attr(b"NotOnOrAfter");
                    }
                    (SAML, b"Attribute") => attribute = attr(b"Name"),
                    _ => {}
                }
                if !empty {
                    path.push((ns, local));
                }
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|e| e.to_string())?.into_owned();
                match path.last().map(|(n, l)| (n.as_slice(), l.as_slice())) {
                    Some((SAML, b"NameID")) => v.name_id.push_str(&t),
                    Some((SAML, b"AttributeValue")) => {
                        if let Some(name) = &attribute {
                            v.attributes.push((name.clone(), t));
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(v)
}

/// Seconds since 1970 of an `xs:dateTime` in UTC (`2026-12-06T10:00:00[.sss]Z`).
fn utc_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || !s.ends_with('Z') || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let n = |a: usize, z: usize| s.get(a..z)?.parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let (hh, mm, ss) = (n(11, 13)?, n(14, 16)?, n(17, 19)?);
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The checks both assertion modes share; `signed`: CPx (one signature naming the assertion,
/// no PSC qualifier) or PSC (no signature, qualifier `PSC`).
fn check_assertion(security: Option<&[u8]>, signed: bool) -> Result<(), (u16, Vec<u8>)> {
    let Some(security) = security else {
        return Err(wsse_fault("InvalidSecurity", "assertion absente"));
    };
    // Contract: the official Security.xsd (SAML 2.0 assertion schema, XML-DSig schema).
    if let Err(e) = xmllint(security, "WSSE/Security.xsd") {
        return Err(wsse_fault("InvalidSecurity", &e));
    }
    let v = read_assertion(security).map_err(|e| wsse_fault("InvalidSecurity", &e))?;
    if v.assertions != 1 {
        return Err(wsse_fault("InvalidSecurity", "une assertion attendue"));
    }
    if signed {
        let id = v.id.clone().unwrap_or_default();
        if v.signatures != 1 || v.reference_uris != [format!("#{id}")] {
            return Err(wsse_fault(
                "FailedCheck",
                "la signature doit couvrir l'assertion",
            ));
        }
        if v.name_qualifier.as_deref() == Some("PSC") {
            return Err(wsse_fault(
                "InvalidSecurityToken",
                "assertion PSC sur l'accès CPx",
            ));
        }
    } else {
        if v.signatures != 0 {
            return Err(wsse_fault("InvalidSecurityToken", "assertion PSC signée"));
        }
        if v.name_qualifier.as_deref() != Some("PSC") {
            return Err(wsse_fault(
                "InvalidSecurityToken",
                "NameQualifier PSC absent",
            ));
        }
    }
    if v.name_id.trim().is_empty() {
        return Err(wsse_fault("InvalidSecurityToken", "NameID vide"));
    }
    for required in [
        "identifiantFacturation",
        "codeSpecialiteAMO",
        "secteurActivite",
    ] {
        if !v
            .attributes
            .iter()
            .any(|(n, val)| n == required && !val.trim().is_empty())
        {
            return Err(wsse_fault(
                "InvalidSecurityToken",
                &format!("attribut {required} absent"),
            ));
        }
    }
    // Contract: the validity window is current (60 s of clock skew on NotBefore).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (Some(from), Some(to)) = (
        v.not_before.as_deref().and_then(utc_seconds),
        v.not_on_or_after.as_deref().and_then(utc_seconds),
    ) else {
        return Err(wsse_fault("InvalidSecurityToken", "Conditions absentes"));
    };
    if now + 60 < from || now >= to {
        return Err(wsse_fault("InvalidSecurityToken", "assertion expirée"));
    }
    Ok(())
}

/// `xmlsec1 --verify` of the request's signature, trusting only `ca_pem` (the chain of the
/// `KeyInfo` certificate is checked by xmlsec1 through OpenSSL, dates included).
fn xmlsec1_verify(body: &[u8], ca_pem: &str) -> Result<(), String> {
    let dir = tempdir();
    std::fs::write(dir.join("request.xml"), body).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_pem).unwrap();
    let out = std::process::Command::new("xmlsec1")
        .current_dir(&dir)
        .args([
            "--verify",
            "--trusted-pem",
            "ca.pem",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "request.xml",
        ])
        .output()
        .expect("xmlsec1 is required (Debian package xmlsec1, installed by scripts/install-deps)");
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.lines().last().unwrap_or("xmlsec1 failed").to_owned())
    }
}

/// Extracts the raw bytes of the first element whose local name is `local`.
pub fn fragment(xml: &[u8], local: &[u8]) -> Option<Vec<u8>> {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        let start = r.buffer_position() as usize;
        match r.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == local => {
                let name = e.name().as_ref().to_vec();
                let mut depth = 1;
                let mut b2 = Vec::new();
                loop {
                    match r.read_event_into(&mut b2).ok()? {
                        Event::Start(e) if e.name().as_ref() == name => depth += 1,
                        Event::End(e) if e.name().as_ref() == name => {
                            depth -= 1;
                            if depth == 0 {
                                let end = r.buffer_position() as usize;
                                return xml.get(start..end).map(<[u8]>::to_vec);
                            }
                        }
                        Event::Eof => return None,
                        _ => {}
                    }
                    b2.clear();
                }
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

pub fn xmllint(fragment: &[u8], xsd: &str) -> Result<(), String> {
    let dir = tempdir();
    let f = dir.join("fragment.xml");
    std::fs::write(&f, fragment).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(shared().join("insi/xsd").join(xsd))
        .arg(&f)
        .output()
        .map_err(|e| format!("xmllint not available: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{xsd}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn tempdir() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("segur-insi-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn validate_against_xsds(body: &[u8]) -> Result<(), String> {
    for (local, xsd) in [
        (
            &b"RECSANSVITALE"[..],
            "ServiceIdentiteCertifiee/INSi_RECSANS_INS.xsd",
        ),
        (b"ContexteLPS", "CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd"),
        (b"ContexteBAM", "CTX/ROOT_ctxbam_CTXBAM_V01_02.xsd"),
    ] {
        let f = fragment(body, local)
            .ok_or_else(|| format!("missing {}", String::from_utf8_lossy(local)))?;
        xmllint(&f, xsd)?;
    }
    Ok(())
}

fn replay(request: &str) -> Vec<u8> {
    let has = |s: &str| request.contains(s);
    let file = if has("<NomNaissance>ECETINSI<") {
        "TEST_2.04_cas2.xml"
    } else if has("<NomNaissance>PROVISOIRE<") {
        "TEST_2.05.xml"
    } else if has("<NomNaissance>CORSE<") {
        "TEST_2.08_cas1.xml"
    } else if has("<NomNaissance>HERMAN<") {
        "TEST_2.08_cas2.xml"
    } else if has("<NomNaissance>TCHITCHI<") && has("<Prenom>CATARINA<") {
        "tchitchi-catarina.xml"
    } else if has("<NomNaissance>DE VINCI<") && !has("<LieuNaissance>") {
        // CNDA 2.06: several identities without the birthplace (no published fixture: built here
        // in the shape of REP_CR01)
        return std::fs::read_to_string(shared().join("insi/cnda-responses/REP_CR01.xml"))
            .unwrap()
            .replace("<CodeCR>01</CodeCR>", "<CodeCR>02</CodeCR>")
            .replace("Aucune identite trouvee", "Plusieurs identites trouvees")
            .into_bytes();
    } else {
        "REP_CR01.xml"
    };
    std::fs::read(shared().join("insi/cnda-responses").join(file)).unwrap()
}
