//! Blocking INSi client over mutual TLS (rustls) with an IGC-Santé "organisation" software
//! certificate (CN `INSI-AUTO` or `INSI-MANU`; anything else is refused by the teleservice with
//! `DESIR_560`). Qualification endpoint: `https://qualiflps-services-ps-tlsm.ameli.fr:443/lps`
//! (the production host is not published in our sources: TO VERIFY, so the endpoint is always
//! the caller's).
//!
//! One SOAP POST per connection (`Connection: close`), HTTP/1.1 framing read with `httparse`.
//! The server certificate is verified against the caller's roots (IGC-Santé chain), never skipped.
//! Every exchange keeps the raw request and response for audit in an [`Exchange`], which redacts
//! itself in `Debug`.

use super::request::{
    ACTION_SEARCH_BY_TRAITS, RequestIds, SoftwareIdentity, TraitsQuery, search_by_traits_envelope,
};
use super::response::{InsiResponse, MAX_RESPONSE_BYTES, ResponseError, parse_response};
use crate::traits::Traits;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// Why an INSi call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InsiError {
    /// The endpoint URL is not `https://host[:port]/path`.
    #[error("invalid INSi endpoint URL")]
    Endpoint,
    /// The TLS configuration (certificates, key) is unusable.
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    /// The server certificate is not issued by a trusted CA.
    #[error("the INSi server certificate is not issued by a trusted authority")]
    UnknownServerCa,
    /// The server certificate does not name the endpoint host.
    #[error("the INSi server certificate does not match the endpoint host name")]
    ServerNameMismatch,
    /// The server certificate is expired (or not yet valid).
    #[error("the INSi server certificate is expired or not yet valid")]
    ServerCertificateExpired,
    /// The server refused our client certificate during the handshake.
    #[error("the INSi server refused the client certificate")]
    ClientCertificateRefused,
    /// Another TLS failure.
    #[error("TLS failure: {0}")]
    Tls(String),
    /// Connection or I/O failure (including time-outs).
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed or oversized HTTP response.
    #[error("malformed HTTP response from INSi")]
    Http,
    /// An HTTP status other than 200 without a SOAP fault.
    #[error("INSi answered HTTP {0}")]
    Status(u16),
    /// The SOAP response could not be read, or is a SOAP fault.
    #[error("INSi response: {0}")]
    Response(#[from] ResponseError),
}

/// TLS material of the client: trusted roots for the server, certificate chain and private key.
pub struct InsiTls {
    roots: rustls::RootCertStore,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for InsiTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InsiTls(<key redacted>)")
    }
}

impl InsiTls {
    /// From PEM text: trusted roots, client certificate chain, client private key (PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem(roots_pem: &[u8], chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, InsiError> {
        use rustls::pki_types::pem::PemObject;
        let bad = |e: rustls::pki_types::pem::Error| InsiError::TlsConfig(e.to_string());
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(roots_pem) {
            roots
                .add(c.map_err(bad)?)
                .map_err(|e| InsiError::TlsConfig(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(InsiError::TlsConfig("no trusted root certificate".into()));
        }
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        if chain.is_empty() {
            return Err(InsiError::TlsConfig("no client certificate".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(bad)?;
        Ok(Self { roots, chain, key })
    }
}

/// An INSi exchange: the parsed response and the raw XML both ways, kept for audit.
pub struct Exchange {
    /// The parsed response.
    pub response: InsiResponse,
    request_xml: String,
    response_xml: Vec<u8>,
}

impl Exchange {
    /// The raw request (contains patient traits: explicit).
    pub fn expose_request_xml(&self) -> &str {
        &self.request_xml
    }
    /// The raw response (contains patient data: explicit).
    pub fn expose_response_xml(&self) -> &[u8] {
        &self.response_xml
    }
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Exchange(CodeCR {}, <raw XML redacted>)",
            self.response.code
        )
    }
}

/// The outcome of the CNDA search strategy.
#[derive(Debug)]
pub struct StrategyOutcome {
    /// Every exchange, in order.
    pub attempts: Vec<Exchange>,
}

impl StrategyOutcome {
    /// The last response (the one that ended the strategy).
    pub fn last(&self) -> Option<&InsiResponse> {
        self.attempts.last().map(|e| &e.response)
    }
    /// Whether an identity was found (`CodeCR` 00).
    pub fn found(&self) -> bool {
        self.last().is_some_and(|r| r.code == "00")
    }
}

/// Blocking INSi client.
pub struct InsiClient {
    host: String,
    port: u16,
    path: String,
    config: Arc<rustls::ClientConfig>,
    software: SoftwareIdentity,
    timeout: Duration,
}

impl std::fmt::Debug for InsiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsiClient")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish()
    }
}

fn split_url(url: &str) -> Result<(String, u16, String), InsiError> {
    let rest = url.strip_prefix("https://").ok_or(InsiError::Endpoint)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (
            rest.get(..i).unwrap_or_default(),
            rest.get(i..).unwrap_or("/"),
        ),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| InsiError::Endpoint)?),
        None => (authority, 443),
    };
    if host.is_empty() || path.contains(['\r', '\n', ' ']) {
        return Err(InsiError::Endpoint);
    }
    Ok((host.to_owned(), port, path.to_owned()))
}

impl InsiClient {
    /// A client for `endpoint` (`https://host[:port]/path`) with the given TLS material and
    /// software identity. TLS 1.2 and 1.3 only.
    pub fn new(
        endpoint: &str,
        tls: InsiTls,
        software: SoftwareIdentity,
    ) -> Result<Self, InsiError> {
        let (host, port, path) = split_url(endpoint)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| InsiError::TlsConfig(e.to_string()))?
            .with_root_certificates(tls.roots)
            .with_client_auth_cert(tls.chain, tls.key)
            .map_err(|e| InsiError::TlsConfig(e.to_string()))?;
        Ok(Self {
            host,
            port,
            path,
            config: Arc::new(config),
            software,
            timeout: Duration::from_secs(30),
        })
    }

    /// Sets the connect/read/write time-out (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// One `rechercherInsAvecTraitsIdentite` call.
    pub fn search(&self, query: &TraitsQuery) -> Result<Exchange, InsiError> {
        let ids = RequestIds {
            message_id: uuid::Uuid::new_v4().to_string(),
            context_id: uuid::Uuid::new_v4().to_string(),
            time: chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        };
        self.search_with_ids(query, &ids)
    }

    /// One call with caller-chosen identifiers and time (reproducible requests).
    pub fn search_with_ids(
        &self,
        query: &TraitsQuery,
        ids: &RequestIds,
    ) -> Result<Exchange, InsiError> {
        let request_xml = search_by_traits_envelope(&self.software, query, ids);
        let (status, body) = self.post(ACTION_SEARCH_BY_TRAITS, request_xml.as_bytes())?;
        // A SOAP fault comes with HTTP 500: the body says why, read it first.
        let parsed = parse_response(&body);
        let response = match (status, parsed) {
            (200, Ok(r)) => r,
            (_, Err(ResponseError::Fault(f))) => return Err(ResponseError::Fault(f).into()),
            (200, Err(e)) => return Err(e.into()),
            (s, _) => return Err(InsiError::Status(s)),
        };
        Ok(Exchange {
            response,
            request_xml,
            response_xml: body,
        })
    }

    /// The CNDA search strategy: each prénom alone in order, stopping at the first `00`; then the
    /// full list joined with spaces; on `02` (several identities), the same query again with the
    /// birthplace. Faults and transport errors stop the strategy.
    pub fn search_with_strategy(&self, traits: &Traits) -> Result<StrategyOutcome, InsiError> {
        let mut attempts = Vec::new();
        let mut candidates: Vec<Vec<String>> = traits
            .given_names()
            .iter()
            .map(|g| vec![g.expose().to_owned()])
            .collect();
        if traits.given_names().len() > 1 {
            candidates.push(vec![traits.given_names().expose().to_owned()]);
        }
        for given in candidates {
            let query = TraitsQuery::from_traits(traits, given.clone(), false);
            let exchange = self.search(&query)?;
            let code = exchange.response.code.clone();
            attempts.push(exchange);
            match code.as_str() {
                "00" => break,
                "02" if traits.birth_place().is_some() => {
                    let with_place = TraitsQuery::from_traits(traits, given, true);
                    let exchange = self.search(&with_place)?;
                    let found = exchange.response.code == "00";
                    attempts.push(exchange);
                    if found {
                        break;
                    }
                }
                _ => {}
            }
        }
        Ok(StrategyOutcome { attempts })
    }

    fn post(&self, action: &str, body: &[u8]) -> Result<(u16, Vec<u8>), InsiError> {
        let server_name =
            ServerName::try_from(self.host.clone()).map_err(|_| InsiError::Endpoint)?;
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .next()
            .ok_or(InsiError::Endpoint)?;
        let tcp = TcpStream::connect_timeout(&addr, self.timeout)?;
        tcp.set_read_timeout(Some(self.timeout))?;
        tcp.set_write_timeout(Some(self.timeout))?;
        let conn = rustls::ClientConnection::new(self.config.clone(), server_name)
            .map_err(|e| InsiError::Tls(e.to_string()))?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/soap+xml; charset=utf-8; action=\"{}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            action,
            body.len()
        );
        let sent = tls
            .write_all(head.as_bytes())
            .and_then(|()| tls.write_all(body))
            .and_then(|()| tls.flush());
        sent.map_err(classify_io)?;
        let mut raw = Vec::new();
        let limit = (MAX_RESPONSE_BYTES + 64 * 1024) as u64;
        match (&mut tls).take(limit + 1).read_to_end(&mut raw) {
            Ok(_) => {}
            // Servers that close without close_notify: accept what was framed.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
            Err(e) => return Err(classify_io(e)),
        }
        if raw.len() as u64 > limit {
            return Err(InsiError::Http);
        }
        parse_http(&raw)
    }
}

/// Maps a TLS failure surfaced as an I/O error to a typed error.
fn classify_io(e: std::io::Error) -> InsiError {
    let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return InsiError::Io(e);
    };
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match inner {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => InsiError::UnknownServerCa,
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            InsiError::ServerNameMismatch
        }
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => InsiError::ServerCertificateExpired,
        E::AlertReceived(
            A::BadCertificate
            | A::UnknownCA
            | A::CertificateRequired
            | A::CertificateUnknown
            | A::CertificateExpired
            | A::AccessDenied
            | A::DecryptError,
        ) => InsiError::ClientCertificateRefused,
        other => InsiError::Tls(other.to_string()),
    }
}

/// Reads status and body of an HTTP/1.1 response (Content-Length, chunked, or until close).
fn parse_http(raw: &[u8]) -> Result<(u16, Vec<u8>), InsiError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(InsiError::Http),
    };
    let status = resp.code.ok_or(InsiError::Http)?;
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::trim)
    };
    let rest = raw.get(head_len..).unwrap_or_default();
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| InsiError::Http)?;
        rest.get(..len).ok_or(InsiError::Http)?.to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, InsiError> {
    let mut out = Vec::new();
    loop {
        match httparse::parse_chunk_size(data) {
            Ok(httparse::Status::Complete((used, 0))) => {
                let _ = used;
                return Ok(out);
            }
            Ok(httparse::Status::Complete((used, size))) => {
                let size = usize::try_from(size).map_err(|_| InsiError::Http)?;
                let chunk = data.get(used..used + size).ok_or(InsiError::Http)?;
                out.extend_from_slice(chunk);
                data = data.get(used + size + 2..).ok_or(InsiError::Http)?;
            }
            _ => return Err(InsiError::Http),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            split_url("https://qualiflps-services-ps-tlsm.ameli.fr:443/lps").unwrap(),
            (
                "qualiflps-services-ps-tlsm.ameli.fr".into(),
                443,
                "/lps".into()
            )
        );
        assert!(matches!(
            split_url("http://x/lps"),
            Err(InsiError::Endpoint)
        ));
        assert!(matches!(
            split_url("https://x:99999/"),
            Err(InsiError::Endpoint)
        ));
    }

    #[test]
    fn http_framing() {
        let (s, b) = parse_http(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef").unwrap();
        assert_eq!((s, b.as_slice()), (200, &b"abc"[..]));
        let (s, b) = parse_http(
            b"HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((s, b.as_slice()), (500, &b"abcde"[..]));
        assert!(parse_http(b"garbage").is_err());
    }
}
