//! The listener: hyper 1 over tokio-rustls, TLS 1.2 with the DMP's AEAD suites
//! ([`TlsPolicy::dmp`], FI-579) and a client certificate chaining to the test CA required
//! (§11.1 item 1), as `net/tests/http_tls.rs` serves.
//!
//! Each request: recorded (when asked), read under [`MAX_REQUEST_BYTES`], routed by path
//! (`/si-dmp-server/v2/services/<path>`) and `wsa:Action` (§1.1), parsed as SOAP 1.2 (plain or
//! MTOM, [`segur_net::soap`]), its injected fault applied, its VIHF checked, then handed to its
//! transaction. Responses are SOAP 1.2 with `wsa:Action`, `MessageID`, `To` anonymous and
//! `RelatesTo` echoing the request's `MessageID` (§1.3).
//!
//! `POST /simulator/faults` is the admin endpoint ([`super::faults`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use segur_net::soap::mtom::{Attachment, MtomLimits, read_mtom, write_mtom};
use segur_net::soap::{
    Addressing, FaultCode, SoapFault, SoapVersion, WSA_ANONYMOUS, build_envelope, parse_envelope,
};
use segur_net::tls::{ClientIdentity, TlsPolicy, TrustAnchors};
use segur_net::xml::XmlLimits;

use super::faults::Fault;
use super::refusal::{Refusal, codes};
use super::transactions::{self, Answer, Transaction};
use super::{SERVICES_PATH, Shared, SimulatorError, TestPki, vihf};

/// The largest request read (64 MiB, as [`XmlLimits::default`]).
pub const MAX_REQUEST_BYTES: usize = 64 << 20;

type ResBody = BoxBody<Bytes, std::io::Error>;

/// What the synchronous part decided.
enum Reply {
    /// An HTTP response; `truncate` sends half of the body under the whole body's length.
    Http {
        status: u16,
        content_type: String,
        body: Vec<u8>,
        truncate: bool,
    },
    /// Answer nothing for [`Fault::TIMEOUT_HOLD`].
    Hold,
}

fn text(status: u16, body: impl Into<String>) -> Reply {
    Reply::Http {
        status,
        content_type: "text/plain; charset=utf-8".to_owned(),
        body: body.into().into_bytes(),
        truncate: false,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A SOAP 1.2 fault reply (HTTP 500, SOAP 1.2 Part 2 §7.5.2.2).
fn fault_reply(code: FaultCode, subcode: &str, reason: &str, relates_to: Option<String>) -> Reply {
    let mut f = SoapFault::new(SoapVersion::Soap12, code, reason);
    f.subcodes = vec![subcode.to_owned()];
    let addressing = Addressing {
        action: Some("http://www.w3.org/2005/08/addressing/soap/fault".to_owned()),
        message_id: Some(segur_dmp_cda::xds::new_entry_uuid()),
        to: Some(WSA_ANONYMOUS.to_owned()),
        relates_to,
        reply_to: None,
    };
    match f.to_envelope(&addressing) {
        Ok(env) => Reply::Http {
            status: 500,
            content_type: "application/soap+xml; charset=UTF-8".to_owned(),
            body: env.into_bytes(),
            truncate: false,
        },
        Err(_) => text(500, "the fault could not be written"),
    }
}

fn answer_reply(
    t: Transaction,
    answer: Answer,
    relates_to: Option<String>,
    truncate: bool,
) -> Result<Reply, Refusal> {
    let addressing = Addressing {
        action: Some(t.response_action().to_owned()),
        message_id: Some(segur_dmp_cda::xds::new_entry_uuid()),
        to: Some(WSA_ANONYMOUS.to_owned()),
        relates_to,
        reply_to: None,
    };
    let fail = |e: &dyn std::fmt::Display| {
        Refusal::fault(
            codes::INTERNAL_ERROR,
            format!("response could not be written: {e}"),
        )
    };
    let (content_type, body) = match answer {
        Answer::Soap(body) => {
            let env = build_envelope(SoapVersion::Soap12, &addressing, &[], &body)
                .map_err(|e| fail(&e))?;
            (
                format!(
                    "application/soap+xml; charset=UTF-8; action=\"{}\"",
                    t.response_action()
                ),
                env.into_bytes(),
            )
        }
        Answer::Mtom(body, parts) => {
            let env = build_envelope(SoapVersion::Soap12, &addressing, &[], &body)
                .map_err(|e| fail(&e))?;
            let attachments: Vec<Attachment<'_>> = parts
                .iter()
                .map(|(id, data)| Attachment {
                    content_id: id,
                    content_type: "application/octet-stream",
                    data,
                })
                .collect();
            let boundary = format!(
                "MIMEBoundary_{}",
                segur_dmp_cda::xds::new_entry_uuid().trim_start_matches("urn:uuid:")
            );
            let out = write_mtom(
                SoapVersion::Soap12,
                &env,
                Some(t.response_action()),
                &attachments,
                &boundary,
            )
            .map_err(|e| fail(&e))?;
            (out.content_type, out.body)
        }
    };
    Ok(Reply::Http {
        status: 200,
        content_type,
        body,
        truncate,
    })
}

/// The synchronous part: parse, route, inject, check, handle.
fn process(
    shared: &Shared,
    service: &str,
    content_type: Option<&str>,
    body: &[u8],
    tls_certificate: Option<&[u8]>,
) -> Reply {
    let limits = XmlLimits::default();
    let multipart = content_type.is_some_and(|c| {
        c.trim_start()
            .get(..17)
            .is_some_and(|p| p.eq_ignore_ascii_case("multipart/related"))
    });
    let bad = |e: &dyn std::fmt::Display| {
        fault_reply(
            FaultCode::Sender,
            codes::INVALID_REQUEST,
            &format!("the request is not a readable SOAP message: {e}"),
            None,
        )
    };
    let package = if multipart {
        match read_mtom(content_type, body, MtomLimits::default()) {
            Ok(p) => Some(p),
            Err(e) => return bad(&e),
        }
    } else {
        if content_type.and_then(SoapVersion::from_media_type) == Some(SoapVersion::Soap11) {
            return fault_reply(
                FaultCode::VersionMismatch,
                codes::INVALID_REQUEST,
                "the DMP speaks SOAP 1.2 (application/soap+xml)",
                None,
            );
        }
        None
    };
    let envelope = match &package {
        Some(p) => p.envelope(limits),
        None => parse_envelope(body, limits),
    };
    let envelope = match envelope {
        Ok(e) => e,
        Err(e) => return bad(&e),
    };
    let relates_to = envelope.addressing.message_id.clone();
    if envelope.version != SoapVersion::Soap12 {
        return fault_reply(
            FaultCode::VersionMismatch,
            codes::INVALID_REQUEST,
            "the DMP speaks SOAP 1.2, not SOAP 1.1",
            relates_to,
        );
    }
    if relates_to.as_deref().is_none_or(str::is_empty) {
        return fault_reply(
            FaultCode::Sender,
            codes::INVALID_REQUEST,
            "no wsa:MessageID header",
            None,
        );
    }
    let action = envelope.addressing.action.as_deref().unwrap_or_default();
    let Some(t) = Transaction::route(service, action) else {
        return fault_reply(
            FaultCode::Sender,
            codes::ACTION_NOT_SUPPORTED,
            "the wsa:Action is not an action of this service path",
            relates_to,
        );
    };
    let fault = shared.fault_for(t);
    match fault {
        Some(Fault::Timeout) => return Reply::Hold,
        Some(Fault::Http500) => return text(500, "Internal Server Error"),
        Some(Fault::SoapFault) => {
            return fault_reply(
                FaultCode::Receiver,
                codes::INTERNAL_ERROR,
                "injected internal error",
                relates_to,
            );
        }
        _ => {}
    }
    let now = now();
    let vihf = match vihf::check(envelope.header.as_ref(), &shared.rules, now) {
        Ok(v) => v,
        Err(Refusal::Fault { subcode, reason }) => {
            return fault_reply(FaultCode::Sender, subcode, &reason, relates_to);
        }
        Err(Refusal::Registry(_)) => {
            return fault_reply(FaultCode::Sender, codes::INVALID_VIHF, "VIHF", relates_to);
        }
    };
    if vihf.signed {
        let envelope_bytes: &[u8] = match &package {
            Some(p) => p.root().map(|r| &*r.body).unwrap_or_default(),
            None => body,
        };
        let ctx = vihf::SignatureContext {
            envelope: envelope_bytes,
            tls_certificate,
            trusted: &shared.trusted_signers,
        };
        if let Err(Refusal::Fault { subcode, reason }) = vihf::verify_signature(&vihf, &ctx) {
            return fault_reply(FaultCode::Sender, subcode, &reason, relates_to);
        }
    }
    let request = transactions::Request {
        envelope: &envelope,
        mtom: package.as_ref(),
        vihf,
        now,
        fault,
    };
    let truncate = fault == Some(Fault::TruncatedBody);
    let answer = match transactions::handle(t, &request, shared) {
        Ok(a) => Ok(a),
        Err(Refusal::Registry(errors)) if t.answers_registry_errors() => {
            transactions::failure_body(t, &errors).map_err(transactions::write_failed)
        }
        Err(Refusal::Registry(errors)) => {
            let code = errors.first().map_or(codes::REGISTRY_ERROR, |e| e.code);
            let reason = errors.first().map_or("refused", |e| e.context.as_str());
            return fault_reply(FaultCode::Sender, code, reason, relates_to);
        }
        Err(e) => Err(e),
    };
    match answer.and_then(|a| answer_reply(t, a, relates_to.clone(), truncate)) {
        Ok(r) => r,
        Err(Refusal::Fault { subcode, reason }) => {
            fault_reply(FaultCode::Sender, subcode, &reason, relates_to)
        }
        Err(Refusal::Registry(_)) => text(500, "internal error"),
    }
}

/// An HTTP answer of [`Responder::respond`].
#[derive(Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: String,
    /// The body (the whole body, also when the reply would be truncated on the network).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies carry patient data: the length only.
        f.debug_struct("HttpReply")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// The simulator's request handling without the network (no TLS, no recording): what the
/// fuzz target `dmp_simulator_request` drives, and a way to embed the checks elsewhere. A
/// [`Fault::Timeout`] answers 504 at once instead of waiting.
pub struct Responder {
    shared: Shared,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder").finish_non_exhaustive()
    }
}

impl Responder {
    /// A responder over an empty in-memory registry, trusting the signing certificates
    /// `trusted_signers` (DER).
    pub fn new(rules: super::Rules, trusted_signers: Vec<Vec<u8>>) -> Self {
        Self {
            shared: Shared {
                registry: std::sync::Mutex::new(super::registry::Registry::default()),
                faults: std::sync::Mutex::new(super::FaultPlan::default()),
                rules,
                recorder: None,
                persist_dir: None,
                trusted_signers,
            },
        }
    }

    /// Answers a `POST` to the service path `service` (`patients`, `habilitations`,
    /// `repository`, `registry`) as the server would.
    pub fn respond(
        &self,
        service: &str,
        content_type: Option<&str>,
        body: &[u8],
        tls_certificate: Option<&[u8]>,
    ) -> HttpReply {
        match process(&self.shared, service, content_type, body, tls_certificate) {
            Reply::Http {
                status,
                content_type,
                body,
                ..
            } => HttpReply {
                status,
                content_type,
                body,
            },
            Reply::Hold => HttpReply {
                status: 504,
                content_type: "text/plain; charset=utf-8".to_owned(),
                body: Vec::new(),
            },
        }
    }
}

/// A body that sends `data` then fails, so the connection closes before the announced
/// `Content-Length` is reached.
struct Truncated {
    data: Option<Bytes>,
}

impl Body for Truncated {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        std::task::Poll::Ready(Some(match this.data.take() {
            Some(d) => Ok(Frame::data(d)),
            None => Err(std::io::Error::other("injected truncation")),
        }))
    }
}

fn http_response(reply: Reply) -> Response<ResBody> {
    let Reply::Http {
        status,
        content_type,
        body,
        truncate,
    } = reply
    else {
        return Response::new(Full::new(Bytes::new()).map_err(|e| match e {}).boxed());
    };
    let len = body.len();
    let builder = Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .header("Content-Length", len);
    let body: ResBody = if truncate {
        let half = Bytes::from(body).slice(..len / 2);
        Truncated { data: Some(half) }.boxed()
    } else {
        Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed()
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).map_err(|e| match e {}).boxed()))
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    tls_certificate: Option<Arc<Vec<u8>>>,
) -> Result<Response<ResBody>, Infallible> {
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let version = format!("{:?}", req.version());
    let headers: Vec<(String, Vec<u8>)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(http_response(text(
                413,
                "request larger than the simulator's limit or interrupted",
            )));
        }
    };
    if let Some(rec) = &shared.recorder
        && let Err(e) = rec.record(&method, &target, &version, &headers, &body)
    {
        eprintln!("segur dmp simulator: cannot record a request: {e}");
    }
    if path == "/simulator/faults" {
        if method != "POST" {
            return Ok(http_response(text(405, "POST a TOML table")));
        }
        let reply = match std::str::from_utf8(&body) {
            Ok(s) => match shared
                .faults
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .apply_toml(s)
            {
                Ok(()) => text(200, "ok\n"),
                Err(e) => text(400, format!("{e}\n")),
            },
            Err(_) => text(400, "the body is not UTF-8\n"),
        };
        return Ok(http_response(reply));
    }
    let Some(service) = path
        .strip_prefix(SERVICES_PATH)
        .and_then(|p| p.strip_prefix('/'))
        .filter(|s| !s.is_empty() && !s.contains('/'))
        .map(str::to_owned)
    else {
        return Ok(http_response(text(404, "no such service\n")));
    };
    if method != "POST" {
        return Ok(http_response(text(405, "services take POST\n")));
    }
    if let super::BearerRule::Required(check) = &shared.rules.bearer
        && !bearer_token(&headers).is_some_and(|t| check.accepts(t))
    {
        return Ok(unauthorized());
    }
    let worker = shared.clone();
    let reply = tokio::task::spawn_blocking(move || {
        process(
            &worker,
            &service,
            content_type.as_deref(),
            &body,
            tls_certificate.as_deref().map(Vec::as_slice),
        )
    })
    .await
    .unwrap_or_else(|_| text(500, "internal error\n"));
    if let Reply::Hold = reply {
        tokio::time::sleep(Fault::TIMEOUT_HOLD).await;
        return Ok(http_response(text(504, "held by an injected time-out\n")));
    }
    Ok(http_response(reply))
}

/// The token of the one `Authorization: Bearer <token>` header (the scheme without case,
/// RFC 9110 §11.1; the token a `b64token`, RFC 6750 §2.1).
fn bearer_token(headers: &[(String, Vec<u8>)]) -> Option<&str> {
    let mut values = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    let (_, value) = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let b64token = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.bytes().all(b64token))
        .then_some(token)
}

/// HTTP 401 for a missing or refused bearer token (RFC 6750 §3, §3.1).
fn unauthorized() -> Response<ResBody> {
    let body = "a valid Pro Santé Connect access token is required\n";
    Response::builder()
        .status(401)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header(
            "WWW-Authenticate",
            "Bearer realm=\"dmp\", error=\"invalid_token\"",
        )
        .header("Content-Length", body.len())
        .body(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).map_err(|e| match e {}).boxed()))
}

/// Binds `listen` and serves on a new runtime; returns it (dropping it stops the server) and
/// the bound address.
pub(crate) fn serve(
    listen: SocketAddr,
    pki: &TestPki,
    shared: Arc<Shared>,
) -> Result<(tokio::runtime::Runtime, SocketAddr), SimulatorError> {
    let identity = ClientIdentity::from_pem(
        pki.server.cert_pem.as_bytes(),
        pki.server.key_pem.as_bytes(),
    )?;
    let anchors = TrustAnchors::from_pem(pki.ca_pem.as_bytes())?;
    let config = TlsPolicy::dmp().server_config(&identity, Some(&anchors))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("segur-dmp-simulator")
        .enable_all()
        .build()?;
    let std_listener = std::net::TcpListener::bind(listen)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(std_listener)?
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    runtime.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let shared = shared.clone();
            tokio::spawn(async move {
                // A refused handshake (unknown CA, no certificate, wrong suite): rustls has
                // sent its alert.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let tls_certificate = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| Arc::new(c.to_vec()));
                let service = hyper::service::service_fn(move |req| {
                    handle(req, shared.clone(), tls_certificate.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Ok((runtime, addr))
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    fn h(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect()
    }

    #[test]
    fn one_bearer_token_is_read_and_anything_else_is_none() {
        assert_eq!(
            bearer_token(&h(&[("authorization", b"Bearer abc-._~+/=")])),
            Some("abc-._~+/=")
        );
        // The scheme without case (RFC 9110 §11.1).
        assert_eq!(
            bearer_token(&h(&[("Authorization", b"bEARER t1")])),
            Some("t1")
        );
        for bad in [
            &b"Basic dXNlcjpwdw=="[..],
            b"Bearer",
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a\"b",
            b"Bearer \xff",
        ] {
            assert_eq!(bearer_token(&h(&[("authorization", bad)])), None, "{bad:?}");
        }
        assert_eq!(bearer_token(&h(&[])), None);
        // Two Authorization headers: ambiguous, refused.
        assert_eq!(
            bearer_token(&h(&[
                ("authorization", b"Bearer a"),
                ("authorization", b"Bearer b")
            ])),
            None
        );
    }
}
