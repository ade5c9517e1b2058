//! [`PscClient`]: one configured client of one provider, shared by threads (`Clone` is cheap):
//! the HTTPS client with its TLS identity, the discovery document, the JWKS cache, ID token
//! verification, and the authenticated form POST every endpoint module uses.
//!
//! Client authentication (psc.md §2): with mutual TLS (`tls_client_auth`, RFC 8705 §2.1.1) the
//! certificate is presented in the handshake and `client_id` is sent in the body (RFC 8705 §2);
//! with `client_secret_basic` (sandbox only) the `Authorization: Basic` header carries the
//! form-encoded id and secret (RFC 6749 §2.3.1).

use crate::config::{ClientCredentials, PscConfig};
use crate::discovery::Discovery;
use crate::error::PscError;
use crate::jwks::{JwkSet, JwksCache};
use crate::jwt::{self, Validation};
use crate::professional::Professional;
use crate::tokens::OAuthErrorBody;
use base64::Engine as _;
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use segur_net::tls::{TlsPolicy, TlsSettings, TrustAnchors};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// The TLS profile: TLS 1.2 and 1.3, AEAD suites (IG `principes_securisation.md`: 1.3
/// recommended, 1.2 accepted, older forbidden).
pub fn tls_policy() -> TlsPolicy {
    TlsPolicy {
        name: "Pro Santé Connect",
        ..TlsPolicy::mssante()
    }
}

pub(crate) enum Auth {
    Mtls { leaf_der: Vec<u8> },
    Secret(Zeroizing<String>),
}

pub(crate) struct ClientCore {
    pub(crate) config: PscConfig,
    pub(crate) issuer: String,
    pub(crate) http: HttpClient,
    pub(crate) auth: Auth,
    discovery: Mutex<Option<Arc<Discovery>>>,
    jwks: OnceLock<JwksCache>,
}

/// A Pro Santé Connect client. Blocking, thread-safe, cheap to clone.
#[derive(Clone)]
pub struct PscClient {
    pub(crate) core: Arc<ClientCore>,
}

impl std::fmt::Debug for PscClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PscClient")
            .field("issuer", &self.core.issuer)
            .field("client_id", &self.core.config.client_id)
            .finish_non_exhaustive()
    }
}

/// An ID token whose signature and claims were verified.
#[derive(Clone)]
pub struct VerifiedIdToken {
    /// All claims.
    pub claims: Map<String, Value>,
    /// The professional it names.
    pub professional: Professional,
    /// `exp`.
    pub expires_at: SystemTime,
}

impl std::fmt::Debug for VerifiedIdToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedIdToken")
            .field("professional", &self.professional)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl PscClient {
    /// A client for `config`, verifying servers against `anchors` and authenticating with
    /// `credentials`.
    pub fn new(
        config: PscConfig,
        anchors: &TrustAnchors,
        credentials: ClientCredentials,
    ) -> Result<Self, PscError> {
        config.check()?;
        let issuer = config.issuer()?;
        let tls_err = |e: segur_net::tls::TlsError| PscError::Config(e.to_string());
        let (settings, auth) = match credentials {
            ClientCredentials::Mtls(identity) => {
                let leaf_der = identity
                    .chain()
                    .first()
                    .map(|c| c.as_ref().to_vec())
                    .ok_or_else(|| PscError::Config("client certificate chain is empty".into()))?;
                (
                    TlsSettings::with_policy(&tls_policy(), anchors, Some(&identity))
                        .map_err(tls_err)?,
                    Auth::Mtls { leaf_der },
                )
            }
            ClientCredentials::SecretBasic(secret) => (
                TlsSettings::with_policy(&tls_policy(), anchors, None).map_err(tls_err)?,
                Auth::Secret(secret),
            ),
        };
        let limits = HttpLimits {
            max_body_bytes: 256 * 1024,
            ..HttpLimits::default()
        };
        Ok(Self {
            core: Arc::new(ClientCore {
                config,
                issuer,
                http: HttpClient::new(&settings, limits),
                auth,
                discovery: Mutex::new(None),
                jwks: OnceLock::new(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PscConfig {
        &self.core.config
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.core.issuer
    }

    /// The DER of the client certificate, with mutual TLS.
    pub fn client_certificate(&self) -> Option<&[u8]> {
        match &self.core.auth {
            Auth::Mtls { leaf_der } => Some(leaf_der),
            Auth::Secret(_) => None,
        }
    }

    /// The discovery document, fetched on first use from the configured name.
    pub fn discovery(&self) -> Result<Arc<Discovery>, PscError> {
        let mut slot = self.core.discovery.lock().map_err(|_| PscError::Poisoned)?;
        if let Some(d) = slot.as_ref() {
            return Ok(d.clone());
        }
        let url = self.core.config.discovery_url()?;
        let response = self.core.http.get(&url, "application/json")?;
        let mtls = matches!(self.core.auth, Auth::Mtls { .. });
        let d = Arc::new(Discovery::from_json(
            &response.body,
            &self.core.issuer,
            mtls,
        )?);
        *slot = Some(d.clone());
        Ok(d)
    }

    /// The JWKS cache (fetched on first use, refetched on an unknown `kid`).
    pub fn jwks(&self) -> Result<&JwksCache, PscError> {
        if let Some(c) = self.core.jwks.get() {
            return Ok(c);
        }
        let uri = self.discovery()?.jwks_uri.clone();
        let http = self.core.http.clone();
        let cache = JwksCache::new(
            Box::new(move || {
                let r = http.get(&uri, "application/json")?;
                JwkSet::from_json(&r.body)
            }),
            Duration::from_secs(self.core.config.jwks_min_refetch_secs),
        );
        Ok(self.core.jwks.get_or_init(|| cache))
    }

    /// The checks of an ID token of this client (OIDC Core §3.1.3.7).
    pub fn id_token_validation(&self, nonce: Option<&str>) -> Validation {
        Validation {
            issuer: self.core.issuer.clone(),
            audience: self.core.config.client_id.clone(),
            skew: self.core.config.clock_skew(),
            nonce: nonce.map(str::to_owned),
            accepted_acr: self.core.config.accepted_acr.clone(),
            require_iat: true,
        }
    }

    /// Verifies an ID token: signature against the JWKS (allow-listed algorithms), claims, and
    /// the professional it names.
    pub fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<VerifiedIdToken, PscError> {
        let (claims, expires_at) = jwt::verify(
            token,
            self.jwks()?,
            &self.core.config.algorithms,
            &self.id_token_validation(nonce),
            SystemTime::now(),
        )?;
        let professional = Professional::from_claims(&claims).map_err(|e| PscError::Json {
            document: "ID token",
            reason: e.to_string(),
        })?;
        Ok(VerifiedIdToken {
            claims,
            professional,
            expires_at,
        })
    }

    /// POSTs a form to `url` with the client's authentication; returns the 2xx body, or the
    /// OAuth error the server sent.
    pub(crate) fn post_form(
        &self,
        endpoint: &'static str,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<u8>, PscError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let mut header = None;
        match &self.core.auth {
            Auth::Mtls { .. } => {
                form.append_pair("client_id", &self.core.config.client_id);
            }
            Auth::Secret(secret) => {
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let pair = Zeroizing::new(format!(
                    "{}:{}",
                    enc(&self.core.config.client_id),
                    enc(secret)
                ));
                header = Some(Zeroizing::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
                )));
            }
        }
        let body = Zeroizing::new(form.finish());
        let mut headers = vec![("Accept", "application/json")];
        if let Some(h) = &header {
            headers.push(("Authorization", h.as_str()));
        }
        match self.core.http.post(
            url,
            "application/x-www-form-urlencoded",
            &headers,
            body.as_bytes(),
        ) {
            Ok(r) => Ok(r.body),
            Err(HttpError::Status { code, response }) => {
                match OAuthErrorBody::from_json(&response.body) {
                    Some(e) => Err(PscError::OAuth {
                        endpoint,
                        status: code,
                        error: e.error,
                        description: e.description,
                    }),
                    None => Err(PscError::Http(HttpError::Status { code, response })),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn endpoint(
        &self,
        name: &'static str,
        pick: impl Fn(&Discovery) -> Option<String>,
    ) -> Result<String, PscError> {
        pick(&*self.discovery()?)
            .ok_or_else(|| PscError::Config(format!("the provider advertises no {name}")))
    }
}
