//! Blocking INSi client. Every mode runs over mutual TLS; [`InsiAuthentication`] says what
//! goes in `wsse:Security`:
//! - mutual TLS alone (the default) with an IGC-Santé "organisation" software certificate (CN
//!   `INSI-AUTO` or `INSI-MANU`; anything else is refused by the teleservice with `DESIR_560`),
//!   qualification endpoint `https://qualiflps-services-ps-tlsm.ameli.fr:443/lps`;
//! - CPx card: the signed "assertion PS", qualification endpoint
//!   `https://qualiflps.services-ps.ameli.fr:443/lps`;
//! - Pro Santé Connect: the unsigned assertion qualified `PSC`.
//!
//! The production hosts are not published in our sources (TO VERIFY), so the endpoint is always
//! the caller's.
//!
//! The SOAP POST goes through the SDK's one HTTPS client, [`segur_net::http`], with the TLS
//! configuration of [`segur_net::tls`]: the server certificate is verified against the caller's
//! roots (IGC-Santé chain), never skipped. Every exchange keeps the raw request and response for
//! audit in an [`Exchange`], which redacts itself in `Debug`.

use super::assertion::{AssertionError, AssertionStamp, security_header};
use super::auth::{InsiAuthentication, PscAuthError};
use super::request::{
    ACTION_SEARCH_BY_TRAITS, RequestIds, SoftwareIdentity, TraitsQuery,
    search_by_traits_envelope_with_security,
};
use super::response::{InsiResponse, MAX_RESPONSE_BYTES, ResponseError, parse_response};
use crate::traits::Traits;
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use segur_net::tls::{ClientIdentity, TlsError, TlsPolicy, TlsSettings, TrustAnchors};
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
    /// Connection or I/O failure (including time-outs). The [`HttpError`] that caused it is the
    /// I/O error's inner error ([`std::io::Error::get_ref`]).
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// A malformed or oversized HTTP response (body above [`MAX_RESPONSE_BYTES`]).
    #[error("malformed HTTP response from INSi")]
    Http,
    /// An HTTP status other than 200 without a SOAP fault.
    #[error("INSi answered HTTP {0}")]
    Status(u16),
    /// The request cannot be written: a value holds a character XML 1.0 cannot carry (XML 1.0
    /// §2.2; the error gives the code point and its offset in the value, never the value).
    #[error("INSi request: {0}")]
    Request(#[from] segur_net::xml::XmlWriteError),
    /// The SOAP response could not be read, or is a SOAP fault.
    #[error("INSi response: {0}")]
    Response(#[from] ResponseError),
    /// The assertion of the CPx or PSC mode could not be made (nothing was sent).
    #[error("INSi assertion: {0}")]
    Assertion(#[from] AssertionError),
    /// No usable Pro Santé Connect access token (nothing was sent).
    #[error("INSi PSC token: {0}")]
    Token(#[from] segur_net::token::TokenError),
}

impl From<PscAuthError> for InsiError {
    fn from(e: PscAuthError) -> Self {
        match e {
            PscAuthError::Token(t) => Self::Token(t),
            PscAuthError::Assertion(a) => Self::Assertion(a),
        }
    }
}

/// TLS material of the client: trusted roots for the server ([`TrustAnchors`]), certificate
/// chain and private key ([`ClientIdentity`]).
#[derive(Clone)]
pub struct InsiTls {
    anchors: TrustAnchors,
    identity: ClientIdentity,
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
        let config = |e: TlsError| InsiError::TlsConfig(e.to_string());
        Ok(Self {
            anchors: TrustAnchors::from_pem(roots_pem).map_err(config)?,
            identity: ClientIdentity::from_pem(chain_pem, key_pem).map_err(config)?,
        })
    }

    /// From trust anchors and a client identity loaded elsewhere (a PKCS#12 file, …).
    pub fn from_parts(anchors: TrustAnchors, identity: ClientIdentity) -> Self {
        Self { anchors, identity }
    }

    /// The TLS policy of the INSi client: TLS 1.2 and 1.3, AEAD suites with ECDHE key exchange
    /// (the suites of [`TlsPolicy::mssante`]).
    pub fn policy() -> TlsPolicy {
        TlsPolicy {
            name: "INSi",
            ..TlsPolicy::mssante()
        }
    }

    fn settings(&self) -> Result<TlsSettings, InsiError> {
        TlsSettings::with_policy(&Self::policy(), &self.anchors, Some(&self.identity))
            .map_err(|e| InsiError::TlsConfig(e.to_string()))
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
    endpoint: String,
    host: String,
    port: u16,
    tls: TlsSettings,
    http: HttpClient,
    software: SoftwareIdentity,
    auth: InsiAuthentication,
}

impl std::fmt::Debug for InsiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsiClient")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("auth", &self.auth)
            .finish()
    }
}

/// The limits of one INSi exchange: `timeout` to connect and for the whole exchange, a body of
/// at most [`MAX_RESPONSE_BYTES`].
fn limits(timeout: Duration) -> HttpLimits {
    HttpLimits {
        connect_timeout: timeout,
        exchange_timeout: timeout,
        max_body_bytes: MAX_RESPONSE_BYTES as u64,
    }
}

/// Maps a failed exchange onto the INSi error kinds; the transport error stays the source of
/// [`InsiError::Io`].
fn http_error(e: HttpError) -> InsiError {
    use std::io::{Error as IoError, ErrorKind};
    match e {
        HttpError::Tls(t) => match t {
            TlsError::UnknownIssuer => InsiError::UnknownServerCa,
            TlsError::NameMismatch => InsiError::ServerNameMismatch,
            TlsError::Expired => InsiError::ServerCertificateExpired,
            TlsError::ClientCertificateRefused { .. } => InsiError::ClientCertificateRefused,
            TlsError::InvalidServerName => InsiError::Endpoint,
            other => InsiError::Tls(other.to_string()),
        },
        HttpError::InvalidUrl { .. } => InsiError::Endpoint,
        HttpError::Status { code, .. } => InsiError::Status(code),
        HttpError::TooLarge { .. } | HttpError::Protocol(_) => InsiError::Http,
        HttpError::Timeout => InsiError::Io(IoError::new(ErrorKind::TimedOut, e)),
        HttpError::Io(io) => InsiError::Io(io),
        other => InsiError::Io(IoError::other(other)),
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
    /// software identity. TLS 1.2 and 1.3 only ([`InsiTls::policy`]).
    pub fn new(
        endpoint: &str,
        tls: InsiTls,
        software: SoftwareIdentity,
    ) -> Result<Self, InsiError> {
        let (host, port, _) = split_url(endpoint)?;
        let tls = tls.settings()?;
        let http = HttpClient::new(&tls, limits(Duration::from_secs(30)));
        Ok(Self {
            endpoint: endpoint.to_owned(),
            host,
            port,
            tls,
            http,
            software,
            auth: InsiAuthentication::MutualTls,
        })
    }

    /// Sets the authentication mode (default [`InsiAuthentication::MutualTls`]).
    pub fn with_authentication(mut self, auth: InsiAuthentication) -> Self {
        self.auth = auth;
        self
    }

    /// The authentication mode.
    pub fn authentication(&self) -> &InsiAuthentication {
        &self.auth
    }

    /// The `wsse:Security` block and the bearer token of the mode for one request: the
    /// assertion's `ID` is `_` + the request's MessageID, its `IssueInstant` the request's
    /// `Temps`.
    fn security(
        &self,
        ids: &RequestIds,
    ) -> Result<(Option<String>, Option<segur_net::token::AccessToken>), InsiError> {
        let stamp = || -> Result<AssertionStamp, InsiError> {
            let issued = chrono::DateTime::parse_from_rfc3339(&ids.time)
                .map_err(|_| InsiError::Assertion(AssertionError::RequestTime))?
                .with_timezone(&chrono::Utc);
            Ok(AssertionStamp {
                id: format!("_{}", ids.message_id),
                issued,
            })
        };
        match &self.auth {
            InsiAuthentication::MutualTls => Ok((None, None)),
            InsiAuthentication::Cpx(cpx) => {
                let assertion = cpx.assertion(&stamp()?)?;
                Ok((Some(security_header(&assertion)?), None))
            }
            InsiAuthentication::Psc(psc) => {
                let issuer = format!("urn:lps:{}:{}", self.software.name, self.software.version);
                let (assertion, token) = psc.assertion(&stamp()?, &issuer)?;
                Ok((Some(security_header(&assertion)?), token))
            }
        }
    }

    /// Sets the connect and whole-exchange time-out (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = HttpClient::new(&self.tls, limits(timeout));
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
        let (security, token) = self.security(ids)?;
        let request_xml = search_by_traits_envelope_with_security(
            &self.software,
            query,
            ids,
            security.as_deref(),
        )?;
        let content_type =
            format!("application/soap+xml; charset=utf-8; action=\"{ACTION_SEARCH_BY_TRAITS}\"");
        // RFC 6750 §2.1; the value is zeroized with the token's copy when dropped.
        let bearer = token
            .as_ref()
            .map(|t| segur_net::token::Zeroizing::new(format!("Bearer {}", t.expose())));
        let headers: Vec<(&str, &str)> = bearer
            .as_ref()
            .map(|b| ("Authorization", b.as_str()))
            .into_iter()
            .collect();
        let (status, body) = match self.http.post(
            &self.endpoint,
            &content_type,
            &headers,
            request_xml.as_bytes(),
        ) {
            Ok(r) => (r.status, r.body),
            Err(HttpError::Status { code, response }) => (code, response.body),
            Err(e) => return Err(http_error(e)),
        };
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
}
