//! The one blocking HTTPS client of the SDK, used by every service client (INSi, the Annuaire
//! Santé, the DMP, Pro Santé Connect).
//!
//! It is built on `ureq` 2 with the caller's rustls configuration ([`crate::tls`]): the server
//! certificate is always verified (RFC 5280, RFC 6125), the client certificate presented when the
//! configuration holds one (mutual TLS). HTTP/1.1 framing (RFC 9112) is `ureq`'s; this module only
//! adds the limits and the typed errors:
//! - only `https://` URLs (RFC 9110 §4.2.2); redirections are not followed (a 3xx is a
//!   [`HttpError::Status`]), proxies are not read from the environment;
//! - a connect time-out and a whole-exchange time-out ([`HttpLimits`]), after which the call
//!   returns [`HttpError::Timeout`];
//! - a response body limit: a body above it is [`HttpError::TooLarge`], never truncated;
//! - no content decoding (no gzip): the body limit is the size of what is read.

use crate::tls::{TlsError, TlsSettings};
use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Time and size limits of one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time allowed to open the TCP connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed for the whole exchange: connection, TLS handshake, request, response head and
    /// body (default 30 s).
    pub exchange_timeout: Duration,
    /// Largest response body accepted, in bytes (default 16 MiB).
    pub max_body_bytes: u64,
}

impl HttpLimits {
    /// Default connect time-out.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default whole-exchange time-out.
    pub const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default response body limit (16 MiB).
    pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            exchange_timeout: Self::DEFAULT_EXCHANGE_TIMEOUT,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// A response read in full (within [`HttpLimits::max_body_bytes`]). `Debug` shows the body's
/// length only: bodies carry patient data.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code (RFC 9110 §15).
    pub status: u16,
    /// The `Content-Type` header as sent (with its parameters), when present.
    pub content_type: Option<String>,
    /// The `Retry-After` delay, when sent in its delta-seconds form (RFC 9110 §10.2.3).
    pub retry_after: Option<Duration>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("retry_after", &self.retry_after)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Why an exchange failed. The text never holds a body, a header value or a query string.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The TLS handshake or record layer failed, classified (unknown CA, name mismatch, expired,
    /// client certificate refused, protocol).
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// The server could not be reached (name resolution, connection refused).
    #[error("cannot connect to the server: {reason}")]
    Connect {
        /// What failed (never the URL's path or query).
        reason: String,
    },
    /// The connection broke during the exchange.
    #[error("connection failed during the exchange: {0}")]
    Io(#[source] std::io::Error),
    /// A time limit of [`HttpLimits`] was reached.
    #[error("no complete answer within the time limit")]
    Timeout,
    /// A status other than 2xx (RFC 9110 §15). The response is kept (a SOAP fault comes with
    /// 500) but not shown.
    #[error("HTTP status {code}")]
    Status {
        /// The status code.
        code: u16,
        /// The response, read within the body limit.
        response: Box<HttpResponse>,
    },
    /// The response body exceeds [`HttpLimits::max_body_bytes`].
    #[error("response body larger than {limit} bytes")]
    TooLarge {
        /// The limit in force.
        limit: u64,
    },
    /// The URL does not parse, or is not `https://`.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// Why (never the URL itself: its query may hold identifiers).
        reason: &'static str,
    },
    /// A request header name or value that cannot be sent (RFC 9110 §5.1, §5.5).
    #[error("invalid request header {name}")]
    InvalidHeader {
        /// The header name (values are never shown).
        name: String,
    },
    /// The server's answer is not valid HTTP/1.1 (RFC 9112).
    #[error("malformed HTTP response: {0}")]
    Protocol(String),
}

/// One blocking HTTPS client: a connection pool with one TLS configuration and one set of limits.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    limits: HttpLimits,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("limits", &self.limits)
            .finish()
    }
}

impl HttpClient {
    /// A client with the given TLS settings (policy, anchors, identity) and limits.
    pub fn new(tls: &TlsSettings, limits: HttpLimits) -> Self {
        Self::with_config(tls.client_config(), limits)
    }

    /// A client with a rustls configuration built elsewhere (it must verify server
    /// certificates: every configuration of [`crate::tls`] does).
    pub fn with_config(config: Arc<rustls::ClientConfig>, limits: HttpLimits) -> Self {
        let agent = ureq::AgentBuilder::new()
            .tls_config(config)
            .https_only(true)
            .redirects(0)
            .timeout_connect(limits.connect_timeout)
            .timeout(limits.exchange_timeout)
            .user_agent(concat!("segur/", env!("CARGO_PKG_VERSION")))
            .build();
        Self { agent, limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> HttpLimits {
        self.limits
    }

    /// `POST` `body` with `content_type` and `headers` (name, value); a 2xx response is returned,
    /// anything else is an error.
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<HttpResponse, HttpError> {
        let request = self.request("POST", url, headers)?;
        let request = with_header(request, "Content-Type", content_type)?;
        self.finish(request.send_bytes(body))
    }

    /// `GET` with `accept` as the `Accept` header.
    pub fn get(&self, url: &str, accept: &str) -> Result<HttpResponse, HttpError> {
        self.get_with_headers(url, accept, &[])
    }

    /// `GET` with `accept` and further `headers` (an API key, …).
    pub fn get_with_headers(
        &self,
        url: &str,
        accept: &str,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        let request = self.request("GET", url, headers)?;
        let request = with_header(request, "Accept", accept)?;
        self.finish(request.call())
    }

    /// Any method (RFC 9110 §9: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`…) with `headers` and,
    /// when given, `body` (its `Content-Type` among `headers`): what a relay forwards as it
    /// came. A 2xx response is returned, anything else is an error that keeps the response.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<HttpResponse, HttpError> {
        let is_token = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
        if !is_token {
            return Err(HttpError::Protocol(
                "request method is not an upper-case token".into(),
            ));
        }
        let request = self.request(method, url, headers)?;
        self.finish(match body {
            Some(b) => request.send_bytes(b),
            None => request.call(),
        })
    }

    fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<ureq::Request, HttpError> {
        check_url(url)?;
        let mut request = self.agent.request(method, url);
        for (name, value) in headers {
            request = with_header(request, name, value)?;
        }
        Ok(request)
    }

    fn finish(
        &self,
        result: Result<ureq::Response, ureq::Error>,
    ) -> Result<HttpResponse, HttpError> {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(classify(t)),
        };
        let read = self.read(response)?;
        if (200..300).contains(&read.status) {
            Ok(read)
        } else {
            Err(HttpError::Status {
                code: read.status,
                response: Box::new(read),
            })
        }
    }

    fn read(&self, response: ureq::Response) -> Result<HttpResponse, HttpError> {
        let limit = self.limits.max_body_bytes;
        let declared = response
            .header("Content-Length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(HttpError::TooLarge { limit });
        }
        let status = response.status();
        let content_type = response.header("Content-Type").map(str::to_owned);
        let retry_after = response
            .header("Retry-After")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut body = Vec::new();
        response
            .into_reader()
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(classify_io)?;
        if body.len() as u64 > limit {
            return Err(HttpError::TooLarge { limit });
        }
        Ok(HttpResponse {
            status,
            content_type,
            retry_after,
            body,
        })
    }
}

/// Only `https://` (RFC 9110 §4.2.2): checked here so that the error names the reason.
fn check_url(url: &str) -> Result<(), HttpError> {
    let scheme = url.split_once("://").map(|(s, _)| s);
    match scheme {
        Some(s) if s.eq_ignore_ascii_case("https") => {}
        Some(_) => {
            return Err(HttpError::InvalidUrl {
                reason: "the scheme is not https",
            });
        }
        None => {
            return Err(HttpError::InvalidUrl {
                reason: "no scheme",
            });
        }
    }
    if url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(HttpError::InvalidUrl {
            reason: "control character or space",
        });
    }
    Ok(())
}

/// RFC 9110 §5.1 (field names are tokens) and §5.5 (no CR, LF or NUL in values).
fn with_header(
    request: ureq::Request,
    name: &str,
    value: &str,
) -> Result<ureq::Request, HttpError> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty()
        || !name.chars().all(token)
        || value.chars().any(|c| c == '\r' || c == '\n' || c == '\0')
    {
        return Err(HttpError::InvalidHeader {
            name: name.chars().filter(|c| token(*c)).collect(),
        });
    }
    Ok(request.set(name, value))
}

fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        {
            return true;
        }
        current = e.source();
    }
    false
}

fn classify(t: ureq::Transport) -> HttpError {
    use ureq::ErrorKind as K;
    if let Some(tls) = TlsError::from_source_chain(&t) {
        return HttpError::Tls(tls);
    }
    if is_timeout(&t) {
        return HttpError::Timeout;
    }
    match t.kind() {
        K::InvalidUrl | K::UnknownScheme | K::InsecureRequestHttpsOnly => HttpError::InvalidUrl {
            reason: "not an https URL",
        },
        K::Dns if t.message().is_some_and(|m| m.starts_with("parsing")) => {
            HttpError::Tls(TlsError::InvalidServerName)
        }
        K::Dns | K::ConnectionFailed | K::ProxyConnect => HttpError::Connect {
            reason: describe(&t),
        },
        K::Io => {
            let kind = std::error::Error::source(&t)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .map_or(std::io::ErrorKind::Other, std::io::Error::kind);
            HttpError::Io(std::io::Error::new(kind, describe(&t)))
        }
        _ => HttpError::Protocol(describe(&t)),
    }
}

/// The transport failure without its URL (`ureq` prints it; a query may hold identifiers).
fn describe(t: &ureq::Transport) -> String {
    let mut text = t.kind().to_string();
    if let Some(m) = t.message() {
        text.push_str(": ");
        text.push_str(m);
    }
    if let Some(s) = std::error::Error::source(t) {
        text.push_str(": ");
        text.push_str(&s.to_string());
    }
    text
}

fn classify_io(e: std::io::Error) -> HttpError {
    if let Some(tls) = TlsError::from_source_chain(&e) {
        return HttpError::Tls(tls);
    }
    if is_timeout(&e) {
        return HttpError::Timeout;
    }
    match e.kind() {
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
            HttpError::Protocol(format!("reading the body: {}", e.kind()))
        }
        _ => HttpError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls() {
        assert!(check_url("https://example.invalid/x").is_ok());
        assert!(check_url("HTTPS://example.invalid/x").is_ok());
        assert!(matches!(
            check_url("http://example.invalid/x"),
            Err(HttpError::InvalidUrl { .. })
        ));
        assert!(matches!(
            check_url("example.invalid/x"),
            Err(HttpError::InvalidUrl { .. })
        ));
        assert!(matches!(
            check_url("https://example.invalid/x\r\nX: y"),
            Err(HttpError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn headers_are_checked() {
        let agent = ureq::AgentBuilder::new().build();
        let r = || agent.get("https://example.invalid/");
        assert!(with_header(r(), "X-Ok", "a b").is_ok());
        assert!(matches!(
            with_header(r(), "X-Bad", "a\r\nInjected: 1"),
            Err(HttpError::InvalidHeader { name }) if name == "X-Bad"
        ));
        assert!(matches!(
            with_header(r(), "Bad Name", "v"),
            Err(HttpError::InvalidHeader { .. })
        ));
        assert!(with_header(r(), "", "v").is_err());
    }

    #[test]
    fn debug_hides_the_body() {
        let r = HttpResponse {
            status: 500,
            content_type: None,
            retry_after: None,
            body: b"DUPONT JEAN".to_vec(),
        };
        assert!(!format!("{r:?}").contains("DUPONT"));
        let e = HttpError::Status {
            code: 500,
            response: Box::new(r),
        };
        assert_eq!(e.to_string(), "HTTP status 500");
        assert!(!format!("{e:?}").contains("DUPONT"));
    }
}
