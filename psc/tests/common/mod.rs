//! What the proxy tests share: the test PKI, a backend (hyper over tokio-rustls, mutual TLS)
//! that records what it receives, a PSC stand-in behind the `Upstream` trait, the proxy's
//! configuration written as a user would, and desktop providers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use segur_net::tls::{ClientIdentity, TlsPolicy, TlsSettings, TrustAnchors};
use segur_net::token::AccessToken;
use segur_psc::desktop::{ProxySettings, ProxyTokenProvider};
use segur_psc::proxy::upstream::{
    CibaPoll, CibaRequest, ExchangeTarget, PendingAuth, Professional, PscSession, Upstream,
    UpstreamError,
};
use segur_psc::proxy::{ProxyConfig, ProxyServer};
use segur_test_support::pki::{self, Ca, Leaf};
use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

pub const NATIONAL_ID: &str = "899700218896";
pub const DENIED_ID: &str = "899700000013";
pub const SLOW_ID: &str = "899700000021";

pub fn sha256_hex(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn der_of(leaf: &Leaf) -> Vec<u8> {
    let id = ClientIdentity::from_pem(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes()).unwrap();
    id.chain()[0].as_ref().to_vec()
}

// ---------- the backend ----------

/// One request as the backend saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// SHA-256 (hex) of the client certificate of the connection.
    pub client_cert_sha256: String,
}

pub struct Backend {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    _rt: tokio::runtime::Runtime,
}

async fn backend_handle(
    req: Request<Incoming>,
    cert: String,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let s = Seen {
        method: req.method().to_string(),
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: Vec::new(),
        client_cert_sha256: cert,
    };
    let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
    let status = if s.path_and_query.starts_with("/api/status/503") {
        503
    } else {
        200
    };
    let answer = format!("{{\"seen\":\"{} {}\"}}", s.method, s.path_and_query);
    seen.lock().unwrap().push(Seen { body, ..s });
    Ok(Response::builder()
        .status(status)
        .header("Content-Type", "application/fhir+json")
        .body(Full::new(Bytes::from(answer)))
        .unwrap())
}

/// A backend under `/api`, requiring a client certificate from `client_ca_pem`.
pub fn backend(server_ca: &Ca, client_ca_pem: &str) -> Backend {
    let leaf = pki::leaf(server_ca, "backend", &["localhost"], false, false);
    let id = ClientIdentity::from_pem(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes()).unwrap();
    let anchors = TrustAnchors::from_pem(client_ca_pem.as_bytes()).unwrap();
    let config = TlsPolicy::mssante()
        .server_config(&id, Some(&anchors))
        .unwrap();
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
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let cert = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| sha256_hex(c.as_ref()))
                    .unwrap_or_default();
                let service = hyper::service::service_fn(move |req| {
                    backend_handle(req, cert.clone(), seen.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Backend {
        port,
        seen,
        _rt: rt,
    }
}

// ---------- PSC behind the Upstream trait ----------

/// PSC as the proxy sees it: CIBA approved after two `authorization_pending` polls (one
/// `slow_down` for [`SLOW_ID`]), refused for [`DENIED_ID`]; exchanges numbered per backend;
/// logouts counted.
#[derive(Default)]
pub struct LocalPsc {
    pub polls: AtomicUsize,
    pub logouts: AtomicUsize,
    pub exchanges: Mutex<Vec<(String, String, Option<String>)>>,
    pub started: Mutex<Vec<(String, String, String)>>,
    serial: AtomicUsize,
    tokens: AtomicUsize,
    per_request: Mutex<std::collections::HashMap<String, usize>>,
}

impl Upstream for LocalPsc {
    fn start_ciba(&self, r: &CibaRequest<'_>) -> Result<PendingAuth, UpstreamError> {
        self.started.lock().unwrap().push((
            r.national_id.to_owned(),
            r.binding_message.as_str().to_owned(),
            r.channel.as_str().to_owned(),
        ));
        if r.national_id == DENIED_ID {
            return Ok(PendingAuth::new(
                "deny".into(),
                Duration::from_millis(20),
                Duration::from_secs(5),
            ));
        }
        let kind = if r.national_id == SLOW_ID {
            "slow"
        } else {
            "ok"
        };
        let n = self.serial.fetch_add(1, Ordering::SeqCst);
        Ok(PendingAuth::new(
            format!("{kind}:{}:{n}", r.national_id),
            Duration::from_millis(20),
            Duration::from_secs(20),
        ))
    }

    fn poll(&self, p: &PendingAuth) -> Result<CibaPoll, UpstreamError> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let n = {
            let mut m = self.per_request.lock().unwrap();
            let c = m.entry(p.auth_req_id().to_owned()).or_insert(0);
            *c += 1;
            *c - 1
        };
        let mut parts = p.auth_req_id().split(':');
        let (kind, id) = (parts.next().unwrap(), parts.next().unwrap_or(""));
        if kind == "deny" {
            return Err(UpstreamError::Denied);
        }
        if n == 0 {
            return Ok(CibaPoll::Pending);
        }
        if n == 1 {
            return Ok(if kind == "slow" {
                CibaPoll::SlowDown
            } else {
                CibaPoll::Pending
            });
        }
        let serial = self.tokens.fetch_add(1, Ordering::SeqCst);
        Ok(CibaPoll::Approved(Box::new(PscSession {
            state: Box::new(Zeroizing::new(format!("psc-access-{serial}"))),
            session_state: format!("state-{serial}"),
            professional: Professional {
                national_id: id.to_owned(),
                given_name: Some("Jeanne".into()),
                family_name: Some("PHARMACIENNE".into()),
            },
        })))
    }

    fn cancel(&self, _: &PendingAuth) {}

    fn exchange(
        &self,
        s: &PscSession,
        t: &ExchangeTarget<'_>,
    ) -> Result<AccessToken, UpstreamError> {
        let cert = sha256_hex(t.identity.chain()[0].as_ref());
        let mut ex = self.exchanges.lock().unwrap();
        ex.push((
            t.backend.to_owned(),
            s.state
                .downcast_ref::<Zeroizing<String>>()
                .unwrap()
                .as_str()
                .to_owned(),
            Some(cert),
        ));
        AccessToken::new(
            format!("api-{}-{}", t.backend, ex.len()),
            SystemTime::now() + Duration::from_secs(3600),
        )
        .map_err(|e| UpstreamError::Unavailable(e.to_string()))
    }

    fn logout(&self, _: &PscSession) -> Result<(), UpstreamError> {
        self.logouts.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

// ---------- the whole set-up ----------

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub desktop_ca: Ca,
    pub proxy_ca: Ca,
    pub desktop_a: Leaf,
    pub desktop_b: Leaf,
    pub backend_client: Leaf,
    pub backend_ca_pem: String,
    pub backend: Backend,
    pub psc: Arc<LocalPsc>,
    pub proxy: ProxyServer,
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A proxy with backends `dmp` (token kept) and `mss` (token released to the desktop), idle
/// limit `idle_secs`, clients `lgo-a` (any certificate from the desktop CA) and `lgo-pinned`
/// (pinned to desktop A's certificate).
pub fn setup(idle_secs: u64) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let proxy_ca = pki::ca("TEST AC PROXY");
    let desktop_ca = pki::ca("TEST AC POSTES");
    let backend_ca = pki::ca("TEST AC IGC-SANTE SERVEURS");
    let org_ca = pki::ca("TEST AC IGC-SANTE ORGANISATIONS");
    let proxy_leaf = pki::leaf(&proxy_ca, "proxy", &["localhost"], false, false);
    let desktop_a = pki::leaf(&desktop_ca, "poste-comptoir-1", &[], true, false);
    let desktop_b = pki::leaf(&desktop_ca, "poste-comptoir-2", &[], true, false);
    let backend_client = pki::leaf(&org_ca, "ORG AUTH_CLI officine", &[], true, false);
    let backend = backend(&backend_ca, &org_ca.pem());
    let d = dir.path();
    write(d, "proxy.pem", &proxy_leaf.cert_pem);
    write(d, "proxy.key", &proxy_leaf.key_pem);
    write(d, "desktops-ca.pem", &desktop_ca.pem());
    write(d, "backend-ca.pem", &backend_ca.pem());
    write(d, "org.pem", &backend_client.cert_pem);
    write(d, "org.key", &backend_client.key_pem);
    let pin = sha256_hex(&der_of(&desktop_a));
    let port = backend.port;
    let toml = format!(
        r#"listen = "127.0.0.1:0"
server_cert = "proxy.pem"
server_key = "proxy.key"
client_ca = "desktops-ca.pem"
trace_file = "traces.jsonl"
expose_traces = true

[session]
idle_secs = {idle_secs}

[clients.lgo-a]

[clients.lgo-pinned]
certificate_sha256 = "{pin}"

[backends.dmp]
url = "https://localhost:{port}/api"
token_endpoint = "https://localhost:{port}/token"
scope = "dmp"
ca = "backend-ca.pem"
cert = "org.pem"
key = "org.key"

[backends.mss]
url = "https://localhost:{port}/mss"
token_endpoint = "https://localhost:{port}/token"
ca = "backend-ca.pem"
cert = "org.pem"
key = "org.key"
token_to_desktop = true
"#
    );
    write(d, "proxy.toml", &toml);
    let config = ProxyConfig::load(&d.join("proxy.toml")).unwrap();
    let psc = Arc::new(LocalPsc::default());
    let proxy = ProxyServer::start(config, psc.clone()).unwrap();
    Setup {
        dir,
        desktop_ca,
        proxy_ca,
        desktop_a,
        desktop_b,
        backend_client,
        backend_ca_pem: backend_ca.pem(),
        backend,
        psc,
        proxy,
    }
}

impl Setup {
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.proxy.local_addr().port())
    }
    pub fn tls(&self, leaf: Option<&Leaf>) -> TlsSettings {
        let anchors = TrustAnchors::from_pem(self.proxy_ca.pem().as_bytes()).unwrap();
        let id = leaf.map(|l| {
            ClientIdentity::from_pem(l.cert_pem.as_bytes(), l.key_pem.as_bytes()).unwrap()
        });
        TlsSettings::new(&anchors, id.as_ref()).unwrap()
    }
    pub fn desktop(&self, leaf: &Leaf, client_id: &str) -> ProxyTokenProvider {
        ProxyTokenProvider::new(ProxySettings {
            url: self.url(),
            tls: self.tls(Some(leaf)),
            client_id: client_id.into(),
        })
        .unwrap()
    }
    pub fn traces(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("traces.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
    pub fn backend_seen(&self) -> Vec<Seen> {
        self.backend.seen.lock().unwrap().clone()
    }
}
