//! `segur_net::http` against a real local HTTPS server (hyper 1 over tokio-rustls) requiring a
//! client certificate, with the test PKI of segur-test-support made at test time. Each failure asserts the exact
//! error variant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use segur_net::tls::{ClientIdentity, TlsError, TlsPolicy, TlsSettings, TlsVersion, TrustAnchors};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

// ---------- test PKI ----------

use segur_test_support::pki::{self, Ca};

fn anchors(ca: &Ca) -> TrustAnchors {
    TrustAnchors::from_pem(ca.pem().as_bytes()).unwrap()
}

fn leaf(ca: &Ca, cn: &str, dns: &[&str], client: bool, expired: bool) -> ClientIdentity {
    let l = pki::leaf(ca, cn, dns, client, expired);
    ClientIdentity::from_pem(l.cert_pem.as_bytes(), l.key_pem.as_bytes()).unwrap()
}

// ---------- the server ----------

type ResBody = BoxBody<Bytes, Infallible>;

/// A body of `left` bytes sent in chunks with no announced length (chunked framing).
struct Chunks {
    left: usize,
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.left == 0 {
            return Poll::Ready(None);
        }
        let n = this.left.min(4096);
        this.left -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'c'; n])))))
    }
}

fn full(status: u16, body: impl Into<Bytes>) -> Response<ResBody> {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(Full::new(body.into()).boxed())
        .unwrap()
}

/// Routes: `/echo` (method, client-certificate flag, `X-Test` header, content type and body),
/// `/big/N` (N bytes with Content-Length), `/chunked/N` (N bytes, chunked), `/status/N`
/// (status N, `Retry-After: 7`, a body naming a patient), `/hang` (never answers).
async fn handle(
    req: Request<Incoming>,
    client_cert: bool,
) -> Result<Response<ResBody>, Infallible> {
    let path = req.uri().path().to_owned();
    let number = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap()
    };
    if path == "/echo" {
        let method = req.method().to_string();
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned()
        };
        let (x_test, ctype, accept) = (header("x-test"), header("content-type"), header("accept"));
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let text = format!(
            "{method} cert={client_cert} x-test={x_test} type={ctype} accept={accept} body={}",
            String::from_utf8_lossy(&body)
        );
        Ok(full(200, text))
    } else if path.starts_with("/big/") {
        Ok(full(200, vec![b'b'; number("/big/")]))
    } else if path.starts_with("/chunked/") {
        Ok(Response::builder()
            .body(
                Chunks {
                    left: number("/chunked/"),
                }
                .boxed(),
            )
            .unwrap())
    } else if path.starts_with("/status/") {
        let mut r = full(
            u16::try_from(number("/status/")).unwrap(),
            "fault for DUPONT JEAN",
        );
        r.headers_mut()
            .insert("Retry-After", hyper::header::HeaderValue::from_static("7"));
        Ok(r)
    } else if path == "/hang" {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(full(200, "late"))
    } else {
        Ok(full(404, "no route"))
    }
}

struct Server {
    port: u16,
    _rt: tokio::runtime::Runtime,
}

fn serve(config: Arc<rustls::ServerConfig>) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return; // handshake refused: rustls has sent its alert
                };
                let client_cert = tls.get_ref().1.peer_certificates().is_some();
                let service = hyper::service::service_fn(move |req| handle(req, client_cert));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server { port, _rt: rt }
}

// ---------- fixtures ----------

struct Pki {
    ca: Ca,
    client: ClientIdentity,
}

fn pki() -> Pki {
    let ca = pki::ca("TEST AC IGC-SANTE");
    let client = leaf(&ca, "INSI-AUTO", &[], true, false);
    Pki { ca, client }
}

fn tls12_only() -> TlsPolicy {
    TlsPolicy {
        name: "TLS 1.2 only",
        min_version: TlsVersion::Tls12,
        max_version: TlsVersion::Tls12,
        ..TlsPolicy::mssante()
    }
}

/// A server with a certificate from `pki.ca` for `dns`, requiring a client certificate from
/// `pki.ca`, under `policy`.
fn server_with(pki: &Pki, dns: &[&str], expired: bool, policy: &TlsPolicy) -> Server {
    let identity = leaf(&pki.ca, "server", dns, false, expired);
    serve(
        policy
            .server_config(&identity, Some(&anchors(&pki.ca)))
            .unwrap(),
    )
}

fn server(pki: &Pki) -> Server {
    server_with(pki, &["localhost"], false, &TlsPolicy::mssante())
}

fn client_with(
    anchors: &TrustAnchors,
    identity: Option<&ClientIdentity>,
    limits: HttpLimits,
) -> HttpClient {
    HttpClient::new(&TlsSettings::new(anchors, identity).unwrap(), limits)
}

fn client(pki: &Pki) -> HttpClient {
    client_with(&anchors(&pki.ca), Some(&pki.client), HttpLimits::default())
}

fn url(s: &Server, path: &str) -> String {
    format!("https://localhost:{}{path}", s.port)
}

// ---------- success ----------

#[test]
fn get_and_post_over_mutual_tls() {
    let pki = pki();
    let s = server(&pki);
    let c = client(&pki);
    let r = c.get(&url(&s, "/echo"), "application/fhir+json").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "GET cert=true x-test=- type=- accept=application/fhir+json body="
    );
    let r = c
        .post(
            &url(&s, "/echo"),
            "application/soap+xml; charset=utf-8; action=\"urn:x\"",
            &[("X-Test", "yes")],
            b"<Envelope/>",
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "POST cert=true x-test=yes type=application/soap+xml; charset=utf-8; action=\"urn:x\" \
         accept=*/* body=<Envelope/>"
    );
    // The pooled connection serves a second exchange too.
    let r = c
        .get_with_headers(&url(&s, "/echo"), "*/*", &[("X-Test", "again")])
        .unwrap();
    assert!(String::from_utf8(r.body).unwrap().contains("x-test=again"));
}

#[test]
fn any_method_with_or_without_a_body() {
    let pki = pki();
    let s = server(&pki);
    let c = client(&pki);
    let r = c
        .send(
            "PUT",
            &url(&s, "/echo"),
            &[("Content-Type", "application/json")],
            Some(b"{}"),
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "PUT cert=true x-test=- type=application/json accept=*/* body={}"
    );
    let r = c.send("DELETE", &url(&s, "/echo"), &[], None).unwrap();
    assert!(
        String::from_utf8(r.body)
            .unwrap()
            .starts_with("DELETE cert=true")
    );
    let e = c
        .send("GET /x HTTP/1.1\r\n", &url(&s, "/echo"), &[], None)
        .unwrap_err();
    assert!(matches!(e, HttpError::Protocol(_)), "{e:?}");
    let e = c.send("delete", &url(&s, "/echo"), &[], None).unwrap_err();
    assert!(matches!(e, HttpError::Protocol(_)), "{e:?}");
}

#[test]
fn chunked_bodies_are_read_whole() {
    let pki = pki();
    let s = server(&pki);
    let r = client(&pki)
        .get(&url(&s, "/chunked/100000"), "*/*")
        .unwrap();
    assert_eq!(r.body.len(), 100_000);
    assert!(r.body.iter().all(|b| *b == b'c'));
}

// ---------- TLS failures ----------

#[test]
fn server_from_an_unknown_ca_is_refused() {
    let pki = pki();
    let s = server(&pki);
    let other = pki::ca("OTHER CA");
    let c = client_with(&anchors(&other), Some(&pki.client), HttpLimits::default());
    let e = c.get(&url(&s, "/echo"), "*/*").unwrap_err();
    assert!(
        matches!(e, HttpError::Tls(TlsError::UnknownIssuer)),
        "{e:?}"
    );
}

#[test]
fn server_with_another_name_is_refused() {
    let pki = pki();
    let s = server_with(&pki, &["other.example"], false, &TlsPolicy::mssante());
    let e = client(&pki).get(&url(&s, "/echo"), "*/*").unwrap_err();
    assert!(matches!(e, HttpError::Tls(TlsError::NameMismatch)), "{e:?}");
}

#[test]
fn expired_server_certificate_is_refused() {
    let pki = pki();
    let s = server_with(&pki, &["localhost"], true, &TlsPolicy::mssante());
    let e = client(&pki).get(&url(&s, "/echo"), "*/*").unwrap_err();
    assert!(matches!(e, HttpError::Tls(TlsError::Expired)), "{e:?}");
}

/// TLS 1.2, where the server checks the client certificate inside the handshake, so the client
/// always reads the alert (in TLS 1.3 the alert follows the handshake and may race with the
/// server closing the socket).
#[test]
fn client_certificate_refused_by_the_server() {
    let pki = pki();
    let s = server_with(&pki, &["localhost"], false, &tls12_only());
    let rogue = leaf(&pki::ca("ROGUE CA"), "INSI-AUTO", &[], true, false);
    let c = client_with(&anchors(&pki.ca), Some(&rogue), HttpLimits::default());
    let e = c.get(&url(&s, "/echo"), "*/*").unwrap_err();
    assert!(
        matches!(e, HttpError::Tls(TlsError::ClientCertificateRefused { .. })),
        "{e:?}"
    );
    let c = client_with(&anchors(&pki.ca), None, HttpLimits::default());
    let e = c.get(&url(&s, "/echo"), "*/*").unwrap_err();
    assert!(
        matches!(e, HttpError::Tls(TlsError::ClientCertificateRefused { .. })),
        "{e:?}"
    );
}

#[test]
fn the_dmp_policy_refuses_a_tls13_only_server() {
    let pki = pki();
    let tls13 = TlsPolicy {
        name: "TLS 1.3 only",
        min_version: TlsVersion::Tls13,
        max_version: TlsVersion::Tls13,
        ..TlsPolicy::mssante()
    };
    let s = server_with(&pki, &["localhost"], false, &tls13);
    let dmp =
        TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors(&pki.ca), Some(&pki.client)).unwrap();
    let e = HttpClient::new(&dmp, HttpLimits::default())
        .get(&url(&s, "/echo"), "*/*")
        .unwrap_err();
    assert!(matches!(e, HttpError::Tls(TlsError::Protocol(_))), "{e:?}");
    // The same server accepts the MSSanté policy (TLS 1.3 allowed): the refusal is the policy's.
    assert!(client(&pki).get(&url(&s, "/echo"), "*/*").is_ok());
}

// ---------- limits ----------

#[test]
fn body_limit_is_an_error_not_a_truncation() {
    let pki = pki();
    let s = server(&pki);
    let limits = HttpLimits {
        max_body_bytes: 1000,
        ..HttpLimits::default()
    };
    let c = client_with(&anchors(&pki.ca), Some(&pki.client), limits);
    assert_eq!(
        c.get(&url(&s, "/big/1000"), "*/*").unwrap().body.len(),
        1000
    );
    let e = c.get(&url(&s, "/big/1001"), "*/*").unwrap_err();
    assert!(matches!(e, HttpError::TooLarge { limit: 1000 }), "{e:?}");
    assert_eq!(
        c.get(&url(&s, "/chunked/1000"), "*/*").unwrap().body.len(),
        1000
    );
    let e = c.get(&url(&s, "/chunked/50000"), "*/*").unwrap_err();
    assert!(matches!(e, HttpError::TooLarge { limit: 1000 }), "{e:?}");
}

#[test]
fn a_server_that_never_answers_times_out_in_the_configured_time() {
    let pki = pki();
    let s = server(&pki);
    let limits = HttpLimits {
        exchange_timeout: Duration::from_millis(800),
        ..HttpLimits::default()
    };
    let c = client_with(&anchors(&pki.ca), Some(&pki.client), limits);
    let start = Instant::now();
    let e = c.get(&url(&s, "/hang"), "*/*").unwrap_err();
    let took = start.elapsed();
    assert!(matches!(e, HttpError::Timeout), "{e:?}");
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // A socket that accepts TCP and never speaks TLS: the handshake times out too.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let start = Instant::now();
    let e = c
        .get(&format!("https://localhost:{port}/"), "*/*")
        .unwrap_err();
    assert!(matches!(e, HttpError::Timeout), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(3));
}

// ---------- HTTP failures ----------

#[test]
fn status_errors_keep_the_response_but_do_not_show_it() {
    let pki = pki();
    let s = server(&pki);
    let e = client(&pki)
        .get(&url(&s, "/status/503"), "*/*")
        .unwrap_err();
    let HttpError::Status { code, response } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(*code, 503);
    assert_eq!(response.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(response.body, b"fault for DUPONT JEAN");
    assert_eq!(e.to_string(), "HTTP status 503");
    assert!(!format!("{e:?}").contains("DUPONT"));
    let e = client(&pki)
        .post(&url(&s, "/status/500"), "text/plain", &[], b"x")
        .unwrap_err();
    assert!(matches!(e, HttpError::Status { code: 500, .. }), "{e:?}");
}

#[test]
fn urls_and_connections() {
    let pki = pki();
    let c = client(&pki);
    let e = c.get("http://localhost:1/", "*/*").unwrap_err();
    assert!(matches!(e, HttpError::InvalidUrl { .. }), "{e:?}");
    let e = c.get("https://", "*/*").unwrap_err();
    assert!(matches!(e, HttpError::InvalidUrl { .. }), "{e:?}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = c
        .get(&format!("https://127.0.0.1:{port}/?family=DUPONT"), "*/*")
        .unwrap_err();
    assert!(matches!(e, HttpError::Connect { .. }), "{e:?}");
    assert!(!e.to_string().contains("DUPONT"), "{e}");
    let e = c
        .post(
            "https://localhost:1/",
            "text/plain",
            &[("X-Bad", "a\nb")],
            b"",
        )
        .unwrap_err();
    assert!(matches!(e, HttpError::InvalidHeader { .. }), "{e:?}");
}
