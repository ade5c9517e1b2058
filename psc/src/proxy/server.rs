//! The proxy's HTTPS server: hyper 1 over tokio-rustls, mutual TLS required (every desktop
//! presents a certificate from the configured client CA), the routes of the ANS example
//! (psc.md §6) and the extensions of PROXY.md.
//!
//! | Route | What |
//! |---|---|
//! | `POST /connect` | CIBA for `nationalId`, then one RFC 8693 exchange per `exchanged` backend |
//! | `DELETE /disconnect` | PSC logout, session removed |
//! | `* /send/<backend>/<path>` | relayed with the backend's token (exchanged, or the PSC access token), over the backend certificate |
//! | `GET /traces?start=&end=` | the trace records (only when `expose_traces` is set) |
//! | `GET /session` | the [`WhoamiView`] of the caller's session (extension) |
//! | `GET /token/<backend>` | the backend's token, for backends that allow it (extension) |

use super::api::{ErrorBody, SESSION_COOKIE, SessionResponse, TokenResponse, parse_connect};
use super::config::{Backend, BackendToken, ProxyConfig};
use super::session::{Caller, Lookup, Session, SessionStore, certificate_sha256, remaining};
use super::trace::{ApiRequest, Trace, TraceLog, TraceType, now_timestamp};
use super::upstream::{CibaPoll, CibaRequest, ExchangeTarget, Upstream, UpstreamError};
use crate::view::WhoamiView;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderValue, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use segur_net::tls::{TlsPolicy, TlsSettings};
use segur_net::token::AccessToken;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Largest `POST /connect` body.
const MAX_CONNECT_BODY: usize = 16 * 1024;
/// Largest relayed request body (a DMP submission with its documents).
const MAX_SEND_BODY: usize = 32 * 1024 * 1024;
/// An exchanged token expiring within this margin is exchanged again before a relay.
const EXCHANGE_MARGIN: Duration = Duration::from_secs(10);

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The TLS configuration could not be built.
    #[error("TLS: {0}")]
    Tls(#[from] segur_net::tls::TlsError),
    /// The listening socket or the runtime could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The trace file could not be opened.
    #[error(transparent)]
    Trace(#[from] super::trace::TraceError),
    /// The upstreams given do not match the configured structures (one per structure).
    #[error("structures: {0}")]
    Structures(String),
}

type ResBody = Full<Bytes>;

struct State {
    config: ProxyConfig,
    store: SessionStore,
    traces: TraceLog,
    structures: BTreeMap<String, StructureRuntime>,
}

/// A structure at run time: its PSC client and the HTTP clients of its backends (each over
/// the structure's certificate for that backend).
struct StructureRuntime {
    upstream: Arc<dyn Upstream>,
    relays: BTreeMap<String, HttpClient>,
}

impl State {
    /// The structure of a desktop client id (config is immutable: a session's structure is
    /// the one of the client that opened it, for its whole life).
    fn structure(&self, client_id: &str) -> Option<&StructureRuntime> {
        self.structures
            .get(&self.config.clients.get(client_id)?.structure)
    }
    /// The PSC client of the session's structure.
    fn upstream_of(&self, session: &Session) -> Option<Arc<dyn Upstream>> {
        self.structure(&session.client_id)
            .map(|s| s.upstream.clone())
    }
}

/// PSC logout of `session` through its structure's client, in the blocking pool.
async fn logout_in_background(
    state: &State,
    session: Arc<Session>,
) -> Option<Result<(), UpstreamError>> {
    let upstream = state.upstream_of(&session)?;
    tokio::task::spawn_blocking(move || upstream.logout(&session.psc))
        .await
        .ok()
}

/// What the TLS connection tells about the caller.
#[derive(Clone)]
struct Peer {
    addr: SocketAddr,
    caller: Caller,
    dn: Option<String>,
}

/// A running proxy: its address, and its runtime (stopped on drop).
pub struct ProxyServer {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl ProxyServer {
    /// Binds the configured address and serves in background threads until dropped, with
    /// `upstream` as the PSC client of the configuration's one structure. A configuration
    /// with several structures is refused ([`ProxyError::Structures`]): each needs its own
    /// PSC client ([`Self::start_structures`]).
    pub fn start(config: ProxyConfig, upstream: Arc<dyn Upstream>) -> Result<Self, ProxyError> {
        if config.structures.len() > 1 {
            return Err(ProxyError::Structures(
                "several structures are configured: give each its own PSC client".into(),
            ));
        }
        let upstreams = config
            .structures
            .keys()
            .map(|name| (name.clone(), upstream.clone()))
            .collect();
        Self::start_structures(config, upstreams)
    }

    /// Binds the configured address and serves in background threads until dropped; the
    /// sessions of each structure use its upstream (by structure name), and only it: CIBA,
    /// refresh, exchange and logout of a session never go through another structure's PSC
    /// client. Every configured structure needs exactly one upstream.
    pub fn start_structures(
        config: ProxyConfig,
        mut upstreams: BTreeMap<String, Arc<dyn Upstream>>,
    ) -> Result<Self, ProxyError> {
        let tls =
            TlsPolicy::mssante().server_config(&config.server_identity, Some(&config.client_ca))?;
        let mut structures = BTreeMap::new();
        for (sname, structure) in &config.structures {
            let upstream = upstreams.remove(sname).ok_or_else(|| {
                ProxyError::Structures(format!("no PSC client for structure {sname}"))
            })?;
            let mut relays = BTreeMap::new();
            for (name, b) in &structure.backends {
                let settings =
                    TlsSettings::new(&b.anchors, Some(&b.identity)).map_err(ProxyError::Tls)?;
                relays.insert(
                    name.clone(),
                    HttpClient::new(&settings, HttpLimits::default()),
                );
            }
            structures.insert(sname.clone(), StructureRuntime { upstream, relays });
        }
        if let Some(extra) = upstreams.keys().next() {
            return Err(ProxyError::Structures(format!(
                "a PSC client for {extra}, which is not a configured structure"
            )));
        }
        let traces = TraceLog::open(&config.trace_file)?;
        let listen = config.listen;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| ProxyError::Listen {
                addr: listen,
                source,
            })?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(listen))
            .map_err(|source| ProxyError::Listen {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ProxyError::Listen {
            addr: listen,
            source,
        })?;
        let state = Arc::new(State {
            store: SessionStore::new(config.session),
            config,
            traces,
            structures,
        });
        runtime.spawn(purge_loop(state.clone()));
        runtime.spawn(accept_loop(
            listener,
            tokio_rustls::TlsAcceptor::from(tls),
            state,
        ));
        Ok(Self {
            addr,
            runtime: Some(runtime),
        })
    }

    /// The bound address (the port when the configuration asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks the calling thread for ever (the `segur psc proxy` command).
    pub fn wait(self) {
        loop {
            std::thread::park();
        }
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Ends the sessions past their limits every second, with their PSC logout.
async fn purge_loop(state: Arc<State>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for session in state.store.purge_expired() {
            // The logout result changes nothing: the session is gone on this side.
            let _ = logout_in_background(&state, session).await;
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
) {
    loop {
        let Ok((tcp, addr)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return; // handshake refused: rustls has sent its alert
            };
            // The verifier required a certificate: a connection without one never gets here.
            let Some(der) = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec())
            else {
                return;
            };
            let peer = Peer {
                addr,
                caller: Caller {
                    certificate_sha256: certificate_sha256(&der),
                },
                dn: subject_dn(&der),
            };
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                let peer = peer.clone();
                async move { Ok::<_, Infallible>(handle(&state, &peer, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

/// The certificate's subject as an RFC 4514 string.
fn subject_dn(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.subject().to_string())
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response<ResBody> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(bytes)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut()
        .insert("Cache-Control", HeaderValue::from_static("no-store"));
    r
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response<ResBody> {
    json_response(
        status,
        &ErrorBody {
            code: code.to_owned(),
            message: message.into(),
        },
    )
}

/// The application token of a request: `Authorization: Bearer` (RFC 6750 §2.1), else the
/// `proxy_session_id` cookie of the ANS API (RFC 6265 §5.4).
fn app_token(req: &Request<Incoming>) -> Option<String> {
    if let Some(v) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("Bearer")
            .then(|| token.trim().to_owned());
    }
    for header in req.headers().get_all(COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=')
                && name == SESSION_COOKIE
            {
                return Some(value.to_owned());
            }
        }
    }
    None
}

/// The first `X-Forwarded-For` address (as the ANS traces), else the TCP peer.
fn ip_address(req: &Request<Incoming>, peer: &Peer) -> String {
    req.headers()
        .get("X-Forwarded-For")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| {
            v.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect()
        })
        .unwrap_or_else(|| peer.addr.ip().to_string())
}

struct TraceContext {
    ip: String,
    port: String,
    dn: Option<String>,
}

impl TraceContext {
    fn of(req: &Request<Incoming>, peer: &Peer) -> Self {
        Self {
            ip: ip_address(req, peer),
            port: peer.addr.port().to_string(),
            dn: peer.dn.clone(),
        }
    }
    fn trace(&self, kind: TraceType) -> Trace {
        Trace {
            kind,
            timestamp: now_timestamp(),
            client_id: None,
            id_rpps: None,
            ip_address: self.ip.clone(),
            ports: self.port.clone(),
            proxy_id_session: None,
            session_state: None,
            dn: self.dn.clone(),
            api_request: None,
            reason: None,
            structure: None,
        }
    }
    fn session_trace(&self, kind: TraceType, s: &Session) -> Trace {
        Trace {
            client_id: Some(s.client_id.clone()),
            id_rpps: Some(s.psc.professional.national_id.clone()),
            proxy_id_session: Some(s.id.clone()),
            session_state: Some(s.psc.session_state.clone()),
            ..self.trace(kind)
        }
    }
}

/// Writes a trace; a trace that cannot be written turns the answer into a 500 (no action
/// without its trace).
/// A request that fails on the proxy's side (not PSC's): `trace` recorded, answered 500
/// `internal` with `message`.
fn internal_error(state: &State, trace: &Trace, message: &str) -> Response<ResBody> {
    record(
        state,
        trace,
        error(StatusCode::INTERNAL_SERVER_ERROR, "internal", message),
    )
}

fn record(state: &State, trace: &Trace, ok: Response<ResBody>) -> Response<ResBody> {
    // The client's structure, named when structures are declared.
    let structure = trace
        .client_id
        .as_deref()
        .and_then(|c| state.config.clients.get(c))
        .map(|c| c.structure.clone())
        .filter(|name| {
            state.config.structures.len() > 1 || name != super::config::IMPLICIT_STRUCTURE
        });
    let named;
    let trace = if structure.is_some() && trace.structure.is_none() {
        named = Trace {
            structure,
            ..trace.clone()
        };
        &named
    } else {
        trace
    };
    match state.traces.append(trace) {
        Ok(()) => ok,
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "trace_failed",
            "the trace could not be written",
        ),
    }
}

async fn handle(state: &Arc<State>, peer: &Peer, req: Request<Incoming>) -> Response<ResBody> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (&method, path.as_str()) {
        (&Method::POST, "/connect") => connect(state, peer, req).await,
        (&Method::DELETE, "/disconnect") => disconnect(state, peer, req).await,
        (&Method::GET, "/traces") => traces(state, &req),
        (&Method::GET, "/session") => whoami(state, peer, &req),
        _ => {
            if let Some(rest) = path.strip_prefix("/send/") {
                let rest = rest.to_owned();
                send(state, peer, req, &rest).await
            } else if let Some(backend) = path.strip_prefix("/token/")
                && method == Method::GET
            {
                let backend = backend.to_owned();
                token(state, peer, &req, &backend).await
            } else {
                error(StatusCode::NOT_FOUND, "not_found", "no such route")
            }
        }
    }
}

fn upstream_status(e: &UpstreamError) -> (StatusCode, &'static str) {
    match e {
        UpstreamError::Denied => (StatusCode::FORBIDDEN, "access_denied"),
        UpstreamError::Expired => (StatusCode::FORBIDDEN, "expired_token"),
        UpstreamError::Refused(_) => (StatusCode::BAD_REQUEST, "refused"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "psc_unavailable"),
    }
}

/// CIBA to the end: polls at the interval (plus 5 s after each `slow_down`, CIBA Core §11)
/// until approval, refusal or expiry; cancels on expiry.
fn run_ciba(
    upstream: &dyn Upstream,
    request: &CibaRequest<'_>,
) -> Result<super::upstream::PscSession, UpstreamError> {
    let pending = upstream.start_ciba(request)?;
    let mut interval = pending.interval;
    loop {
        if std::time::Instant::now() >= pending.expires_at {
            upstream.cancel(&pending);
            return Err(UpstreamError::Expired);
        }
        std::thread::sleep(interval.min(remaining(pending.expires_at)));
        match upstream.poll(&pending)? {
            CibaPoll::Pending => {}
            CibaPoll::SlowDown => interval += Duration::from_secs(5),
            CibaPoll::Approved(session) => return Ok(*session),
        }
    }
}

/// The exchange of backend `name`, or `None` when it takes the PSC access token.
fn exchange_target<'a>(name: &'a str, b: &'a Backend) -> Option<ExchangeTarget<'a>> {
    match &b.token {
        BackendToken::Exchanged {
            token_endpoint,
            audience,
            scope,
        } => Some(ExchangeTarget {
            backend: name,
            token_endpoint,
            audience: audience.as_deref(),
            scope: scope.as_deref(),
            identity: &b.identity,
        }),
        BackendToken::PscAccessToken => None,
    }
}

/// The token of backend `name` for `psc`, from the upstream (blocking).
fn backend_token(
    upstream: &dyn Upstream,
    psc: &super::upstream::PscSession,
    name: &str,
    b: &Backend,
) -> Result<AccessToken, UpstreamError> {
    match exchange_target(name, b) {
        Some(target) => upstream.exchange(psc, &target),
        None => upstream.access_token(psc),
    }
}

async fn connect(state: &Arc<State>, peer: &Peer, req: Request<Incoming>) -> Response<ResBody> {
    let ctx = TraceContext::of(&req, peer);
    let presented = app_token(&req);
    let body = match Limited::new(req.into_body(), MAX_CONNECT_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body exceeds {MAX_CONNECT_BODY} bytes"),
            );
        }
    };
    let failure = |client: Option<&str>, id: Option<&str>, reason: &str| Trace {
        client_id: client.map(str::to_owned),
        id_rpps: id.map(str::to_owned),
        reason: Some(reason.to_owned()),
        ..ctx.trace(TraceType::ConnectFailure)
    };
    let (c, binding, channel) = match parse_connect(&body) {
        Ok(v) => v,
        Err(message) => {
            let t = failure(None, None, "invalid request");
            return record(
                state,
                &t,
                error(StatusCode::BAD_REQUEST, "invalid_request", message),
            );
        }
    };
    let national_id = c.national_id.trim().to_owned();
    let Some(client) = state.config.clients.get(&c.client_id) else {
        let t = failure(Some(&c.client_id), Some(&national_id), "unknown client");
        return record(
            state,
            &t,
            error(StatusCode::NOT_FOUND, "unknown_client", "unknown clientId"),
        );
    };
    if client
        .certificate_sha256
        .is_some_and(|pin| pin != peer.caller.certificate_sha256)
    {
        let t = failure(
            Some(&c.client_id),
            Some(&national_id),
            "certificate not pinned for client",
        );
        return record(
            state,
            &t,
            error(
                StatusCode::FORBIDDEN,
                "certificate_mismatch",
                "this certificate is not the one configured for the clientId",
            ),
        );
    }
    // A token presented with the connection: the same client's live session is replayed; a
    // token of another client is refused (never a way into someone else's session).
    if let Some(token) = presented.as_deref() {
        match state.store.lookup(token, &peer.caller, Some(&c.client_id)) {
            Lookup::Found(s) if s.psc.professional.national_id == national_id => {
                let t = ctx.session_trace(TraceType::ConnectReplay, &s);
                let body = SessionResponse {
                    proxy_session_id: token.to_owned(),
                    session_state: s.psc.session_state.clone(),
                };
                return record(state, &t, json_response(StatusCode::OK, &body));
            }
            Lookup::Foreign(s) => {
                let t = Trace {
                    reason: Some("application token of another client".into()),
                    ..ctx.session_trace(TraceType::ConnectFailure, &s)
                };
                return record(
                    state,
                    &t,
                    error(
                        StatusCode::UNAUTHORIZED,
                        "foreign_token",
                        "this application token belongs to another client",
                    ),
                );
            }
            // Another professional on the same workstation: the session this token opened
            // ends (with its PSC logout) before the new login, so no session outlives the
            // token that reached it.
            Lookup::Found(s) => {
                state.store.remove(token);
                let _ = logout_in_background(state, s).await;
            }
            // An expired or unknown session: a new login.
            Lookup::Expired(_) | Lookup::Unknown => {}
        }
    }
    // The client's structure: its PSC client runs the CIBA and the exchanges, for its backends.
    let (Some(runtime), Some(structure)) = (
        state.structure(&c.client_id),
        state.config.structure_of(&c.client_id),
    ) else {
        return internal_error(
            state,
            &failure(Some(&c.client_id), Some(&national_id), "no structure"),
            "the client's structure is not running",
        );
    };
    let upstream = runtime.upstream.clone();
    let backends: Vec<(String, Backend)> = structure
        .backends
        .iter()
        .map(|(n, b)| (n.clone(), b.clone()))
        .collect();
    let id = national_id.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let request = CibaRequest {
            national_id: &id,
            binding_message: binding,
            channel,
        };
        let psc = run_ciba(upstream.as_ref(), &request)?;
        let mut exchanged = std::collections::HashMap::new();
        for (name, target) in backends
            .iter()
            .filter_map(|(n, b)| Some((n, exchange_target(n, b)?)))
        {
            match upstream.exchange(&psc, &target) {
                Ok(t) => {
                    exchanged.insert(name.clone(), t);
                }
                Err(e) => {
                    let _ = upstream.logout(&psc);
                    return Err(e);
                }
            }
        }
        Ok((psc, exchanged))
    })
    .await;
    let (psc, exchanged) = match outcome {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            let (status, code) = upstream_status(&e);
            let t = failure(Some(&c.client_id), Some(&national_id), code);
            return record(state, &t, error(status, code, e.to_string()));
        }
        Err(_) => {
            return internal_error(
                state,
                &failure(Some(&c.client_id), Some(&national_id), "internal error"),
                "login task failed",
            );
        }
    };
    let Ok((token, session)) = state.store.open(&c.client_id, &peer.caller, psc) else {
        return internal_error(
            state,
            &failure(Some(&c.client_id), Some(&national_id), "no random source"),
            "no random source",
        );
    };
    if let Ok(mut cache) = session.exchanged.lock() {
        *cache = exchanged;
    }
    let t = ctx.session_trace(TraceType::ConnectSuccess, &session);
    let body = SessionResponse {
        proxy_session_id: token.expose().to_owned(),
        session_state: session.psc.session_state.clone(),
    };
    let mut response = json_response(StatusCode::OK, &body);
    // RFC 6265 §4.1: the ANS API's cookie; Secure and HttpOnly as the token is a credential.
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
        token.expose()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    record(state, &t, response)
}

/// A refused request: the trace to write and the answer to give (boxed: both are large).
type Refusal = Box<(Trace, Response<ResBody>)>;

/// The caller's session, or the refusal to send (and the trace to write with it).
/// The session of a call to a backend API ([`session_of`]), or the refusal already traced with
/// the API request it was for.
fn api_session(
    state: &State,
    peer: &Peer,
    req: &Request<Incoming>,
    ctx: &TraceContext,
    api_request: &ApiRequest,
) -> Result<Arc<Session>, Box<Response<ResBody>>> {
    session_of(state, peer, req, ctx, TraceType::SendRefused)
        .map(|(_, session)| session)
        .map_err(|refusal| {
            let (trace, response) = *refusal;
            let trace = Trace {
                api_request: Some(api_request.clone()),
                ..trace
            };
            Box::new(record(state, &trace, response))
        })
}

fn session_of(
    state: &State,
    peer: &Peer,
    req: &Request<Incoming>,
    ctx: &TraceContext,
    refused: TraceType,
) -> Result<(String, Arc<Session>), Refusal> {
    let Some(token) = app_token(req) else {
        let t = Trace {
            reason: Some("no application token".into()),
            ..ctx.trace(refused)
        };
        return Err(Box::new((
            t,
            error(
                StatusCode::UNAUTHORIZED,
                "no_session",
                "no application token",
            ),
        )));
    };
    match state.store.lookup(&token, &peer.caller, None) {
        Lookup::Found(s) => Ok((token, s)),
        Lookup::Unknown => Err(Box::new((
            Trace {
                reason: Some("unknown session".into()),
                ..ctx.trace(refused)
            },
            error(
                StatusCode::UNAUTHORIZED,
                "unknown_session",
                "unknown session",
            ),
        ))),
        Lookup::Expired(s) => {
            // PSC logout of the ended session, in the background.
            if let Some(upstream) = state.upstream_of(&s) {
                tokio::task::spawn_blocking(move || {
                    let _ = upstream.logout(&s.psc);
                });
            }
            Err(Box::new((
                Trace {
                    reason: Some("session expired".into()),
                    ..ctx.trace(refused)
                },
                error(
                    StatusCode::UNAUTHORIZED,
                    "session_expired",
                    "the session has ended",
                ),
            )))
        }
        Lookup::Foreign(s) => Err(Box::new((
            Trace {
                reason: Some("application token of another client".into()),
                ..ctx.session_trace(refused, &s)
            },
            error(
                StatusCode::UNAUTHORIZED,
                "foreign_token",
                "this application token belongs to another client",
            ),
        ))),
    }
}

async fn disconnect(state: &Arc<State>, peer: &Peer, req: Request<Incoming>) -> Response<ResBody> {
    let ctx = TraceContext::of(&req, peer);
    let (token, session) = match session_of(state, peer, &req, &ctx, TraceType::SendRefused) {
        Ok(v) => v,
        Err(b) => {
            let (t, r) = *b;
            return record(state, &t, r);
        }
    };
    state.store.remove(&token);
    // SC.SSI/IE.38: the professional closes the PSC session too (logout with id_token_hint),
    // through the PSC client of the session's structure.
    let logout = logout_in_background(state, session.clone()).await;
    let t = Trace {
        reason: match logout {
            Some(Ok(())) => None,
            _ => Some("PSC logout failed; the proxy session is closed".into()),
        },
        ..ctx.session_trace(TraceType::Disconnect, &session)
    };
    record(state, &t, Response::new(Full::new(Bytes::new())))
}

/// The token of backend `name` for `session`: the exchanged one, exchanged again when it
/// expires soon, or the PSC access token (never cached here: the PSC session holds and
/// refreshes it).
async fn exchanged_token(
    state: &Arc<State>,
    session: &Arc<Session>,
    name: &str,
    backend: &Backend,
) -> Result<AccessToken, UpstreamError> {
    let upstream = state
        .upstream_of(session)
        .ok_or_else(|| UpstreamError::Refused("the session's structure is not running".into()))?;
    if backend.token == BackendToken::PscAccessToken {
        let s = session.clone();
        return tokio::task::spawn_blocking(move || upstream.access_token(&s.psc))
            .await
            .map_err(|_| UpstreamError::Unavailable("token task failed".into()))?;
    }
    if let Ok(cache) = session.exchanged.lock()
        && let Some(t) = cache.get(name)
        && !t.expires_within(EXCHANGE_MARGIN)
    {
        return Ok(t.clone());
    }
    let s = session.clone();
    let (n, b) = (name.to_owned(), backend.clone());
    let fresh =
        tokio::task::spawn_blocking(move || backend_token(upstream.as_ref(), &s.psc, &n, &b))
            .await
            .map_err(|_| UpstreamError::Unavailable("exchange task failed".into()))??;
    if let Ok(mut cache) = session.exchanged.lock() {
        cache.insert(name.to_owned(), fresh.clone());
    }
    Ok(fresh)
}

async fn send(
    state: &Arc<State>,
    peer: &Peer,
    req: Request<Incoming>,
    rest: &str,
) -> Response<ResBody> {
    let ctx = TraceContext::of(&req, peer);
    let (name, sub_path) = rest.split_once('/').unwrap_or((rest, ""));
    let api_request = ApiRequest {
        nom_api_psc: name.to_owned(),
        methode: req.method().to_string(),
        path: format!("/{sub_path}"),
    };
    let session = match api_session(state, peer, &req, &ctx, &api_request) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let trace = |kind, reason: Option<&str>| Trace {
        api_request: Some(api_request.clone()),
        reason: reason.map(str::to_owned),
        ..ctx.session_trace(kind, &session)
    };
    if has_dot_segment(sub_path) {
        return record(
            state,
            &trace(TraceType::SendRefused, Some("dot segment in the path")),
            error(
                StatusCode::BAD_REQUEST,
                "invalid_path",
                "a '.' or '..' path segment is not relayed",
            ),
        );
    }
    let (backend, client) = match backend_of(state, &session, name) {
        Ok(found) => found,
        Err(refusal) => {
            let (reason, response) = *refusal;
            return record(
                state,
                &trace(TraceType::SendRefused, Some(reason)),
                response,
            );
        }
    };
    let token = match exchanged_token(state, &session, name, backend).await {
        Ok(t) => t,
        Err(e) => {
            let (status, code) = match e {
                UpstreamError::Unavailable(_) => {
                    (StatusCode::SERVICE_UNAVAILABLE, "exchange_unavailable")
                }
                _ => (StatusCode::UNAUTHORIZED, "exchange_refused"),
            };
            return record(
                state,
                &trace(TraceType::SendRefused, Some(code)),
                error(status, code, e.to_string()),
            );
        }
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{}/{sub_path}{query}", backend.url);
    let method = req.method().to_string();
    let header = |n| {
        req.headers()
            .get(n)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE);
    let accept = header(hyper::header::ACCEPT);
    let body = match Limited::new(req.into_body(), MAX_SEND_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body exceeds {MAX_SEND_BODY} bytes"),
            );
        }
    };
    let client = client.clone();
    let relayed = tokio::task::spawn_blocking(move || {
        let bearer = format!("Bearer {}", token.expose());
        let mut headers: Vec<(&str, &str)> = vec![("Authorization", &bearer)];
        if let Some(ct) = content_type.as_deref() {
            headers.push(("Content-Type", ct));
        }
        if let Some(a) = accept.as_deref() {
            headers.push(("Accept", a));
        }
        let has_body = !body.is_empty() || !matches!(method.as_str(), "GET" | "HEAD" | "DELETE");
        client.send(&method, &url, &headers, has_body.then_some(&body[..]))
    })
    .await;
    let (response, reason) = match relayed {
        Ok(Ok(r)) => (relay_response(r), None),
        Ok(Err(HttpError::Status { response, .. })) => (relay_response(*response), None),
        Ok(Err(HttpError::Timeout)) => (
            error(
                StatusCode::GATEWAY_TIMEOUT,
                "backend_timeout",
                "the backend did not answer in time",
            ),
            Some("backend timeout"),
        ),
        Ok(Err(e)) => (
            error(StatusCode::BAD_GATEWAY, "backend_failed", e.to_string()),
            Some("backend failed"),
        ),
        Err(_) => (
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "relay task failed",
            ),
            Some("internal error"),
        ),
    };
    record(state, &trace(TraceType::Send, reason), response)
}

/// A refused backend: the trace reason and the answer (boxed: the answer is large).
type BackendRefusal = Box<(&'static str, Response<ResBody>)>;

/// Backend `name` of the session's structure with its HTTP client, or the refusal (the trace
/// reason and the answer): a backend only another structure has is refused as such, a session
/// never reaching it with its own token nor over that structure's certificate.
fn backend_of<'a>(
    state: &'a State,
    session: &Session,
    name: &str,
) -> Result<(&'a Backend, &'a HttpClient), BackendRefusal> {
    let own = state
        .config
        .structure_of(&session.client_id)
        .and_then(|s| s.backends.get(name))
        .zip(
            state
                .structure(&session.client_id)
                .and_then(|rt| rt.relays.get(name)),
        );
    if let Some(found) = own {
        return Ok(found);
    }
    if state
        .config
        .structures
        .values()
        .any(|s| s.backends.contains_key(name))
    {
        return Err(Box::new((
            "backend of another structure",
            error(
                StatusCode::FORBIDDEN,
                "backend_of_another_structure",
                "this backend is not open to the structure of the session",
            ),
        )));
    }
    Err(Box::new((
        "unknown backend",
        error(StatusCode::NOT_FOUND, "unknown_backend", "no such backend"),
    )))
}

/// RFC 3986 §5.2.4: a `.` or `..` segment (also percent-encoded, `%2e`) would leave the
/// backend's base path once the URL is resolved: such a path is refused, not normalised.
fn has_dot_segment(path: &str) -> bool {
    path.split(['/', '?']).any(|seg| {
        let lower = seg.to_ascii_lowercase().replace("%2e", ".");
        lower == "." || lower == ".."
    })
}

fn relay_response(r: segur_net::http::HttpResponse) -> Response<ResBody> {
    let mut out = Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Some(ct) = r.content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        out.headers_mut().insert(CONTENT_TYPE, ct);
    }
    out
}

async fn token(
    state: &Arc<State>,
    peer: &Peer,
    req: &Request<Incoming>,
    name: &str,
) -> Response<ResBody> {
    let ctx = TraceContext::of(req, peer);
    let api_request = ApiRequest {
        nom_api_psc: name.to_owned(),
        methode: "GET".into(),
        path: "/token".into(),
    };
    let session = match api_session(state, peer, req, &ctx, &api_request) {
        Ok(session) => session,
        Err(refused) => return *refused,
    };
    let trace = |kind, reason: Option<&str>| Trace {
        api_request: Some(api_request.clone()),
        reason: reason.map(str::to_owned),
        ..ctx.session_trace(kind, &session)
    };
    let backend = match backend_of(state, &session, name) {
        Ok((backend, _)) => backend,
        Err(refusal) => {
            let (reason, response) = *refusal;
            return record(
                state,
                &trace(TraceType::SendRefused, Some(reason)),
                response,
            );
        }
    };
    if !backend.token_to_desktop {
        return record(
            state,
            &trace(
                TraceType::SendRefused,
                Some("token not released for this backend"),
            ),
            error(
                StatusCode::FORBIDDEN,
                "token_not_released",
                "this backend's token stays in the proxy: use /send",
            ),
        );
    }
    match exchanged_token(state, &session, name, backend).await {
        Ok(t) => {
            let body = TokenResponse {
                access_token: t.expose().to_owned(),
                token_type: "Bearer".into(),
                expires_in: t
                    .expires_at()
                    .duration_since(std::time::SystemTime::now())
                    .map_or(0, |d| d.as_secs()),
            };
            record(
                state,
                &trace(TraceType::Token, None),
                json_response(StatusCode::OK, &body),
            )
        }
        Err(e) => record(
            state,
            &trace(
                TraceType::SendRefused,
                Some(match backend.token {
                    BackendToken::PscAccessToken => "PSC access token unavailable",
                    _ => "exchange failed",
                }),
            ),
            error(StatusCode::UNAUTHORIZED, "exchange_refused", e.to_string()),
        ),
    }
}

fn whoami(state: &Arc<State>, peer: &Peer, req: &Request<Incoming>) -> Response<ResBody> {
    let ctx = TraceContext::of(req, peer);
    match session_of(state, peer, req, &ctx, TraceType::SendRefused) {
        Ok((_, s)) => {
            let view = WhoamiView {
                national_id: s.psc.professional.national_id.clone(),
                given_name: s.psc.professional.given_name.clone(),
                family_name: s.psc.professional.family_name.clone(),
                client_id: s.client_id.clone(),
                session_id: s.id.clone(),
                session_state: s.psc.session_state.clone(),
                expires_in: remaining(s.expires_at(&state.store.limits())).as_secs(),
                backends: state
                    .config
                    .structure_of(&s.client_id)
                    .map(|st| st.backends.keys().cloned().collect())
                    .unwrap_or_default(),
            };
            json_response(StatusCode::OK, &view)
        }
        Err(b) => {
            let (t, r) = *b;
            record(state, &t, r)
        }
    }
}

fn traces(state: &Arc<State>, req: &Request<Incoming>) -> Response<ResBody> {
    if !state.config.expose_traces {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "the traces endpoint is not enabled (expose_traces)",
        );
    }
    let mut start = None;
    let mut end = None;
    for (k, v) in form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        let parsed = match chrono::DateTime::parse_from_rfc3339(&v) {
            Ok(d) => d.with_timezone(&chrono::Utc),
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("{k}: not an RFC 3339 date-time: {e}"),
                );
            }
        };
        match k.as_ref() {
            "start" => start = Some(parsed),
            "end" => end = Some(parsed),
            _ => {}
        }
    }
    match TraceLog::read(state.traces.path(), start, end) {
        Ok(list) => json_response(StatusCode::OK, &list),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "trace_failed",
            e.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::has_dot_segment;

    #[test]
    fn dot_segments_are_found_encoded_or_not() {
        for bad in [
            "..",
            "../x",
            "a/../x",
            "a/./x",
            "a/%2e%2E/x",
            "%2e",
            "a/..?q=1",
        ] {
            assert!(has_dot_segment(bad), "{bad}");
        }
        for good in ["", "a/b", "a..b/c", "...", "a/.well-known", "x?q=../y"] {
            assert!(!has_dot_segment(good), "{good}");
        }
    }
}
