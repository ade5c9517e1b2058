//! RFC 8693 token exchange over RFC 8705 mutual TLS: the PSC access token traded for one API
//! token per backend audience (psc.md §7), certificate-bound.
//!
//! The request is `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`,
//! `subject_token` (the PSC access token), `subject_token_type` (`…:access_token`), and the
//! target's `audience` and `scope` (the CI-SIS makes `scope` mandatory; the ANS proxy sends
//! `subject_issuer=psc` and no scope: both are settings of [`ExchangeTarget`]). No `cnf`
//! parameter is sent: the AS writes `cnf` into the token (RFC 8705 §3, TO VERIFY at ANS).
//!
//! The issued token's `cnf.x5t#S256` is compared with the client certificate in the forms the
//! configuration accepts ([`ThumbprintForm`]): RFC 8705's base64url of the SHA-256 of the DER,
//! or the ANS examples' base64 of the hex digest (psc.md §7, "the trap"). A token bound to
//! another certificate, or not bound at all, is refused: the backend would refuse it too.
//! The token's signature is the backend's to check (it knows its AS); the client reads only
//! `cnf` and `exp`.

use crate::client::PscClient;
use crate::config::ThumbprintForm;
use crate::error::PscError;
use crate::jwt::{Jws, constant_time_eq};
use crate::session::PscSession;
use crate::tokens::TokenResponse;
use base64::Engine as _;
use segur_net::token::AccessToken;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The token exchange grant type (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The access token type URI (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A backend API and the authorization server that issues its tokens.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExchangeTarget {
    /// The AS token endpoint (`https://`).
    pub token_endpoint: String,
    /// The backend's audience (`audience` parameter, RFC 8693 §2.1), when sent.
    #[serde(default)]
    pub audience: Option<String>,
    /// The business scopes (mandatory in the CI-SIS), when sent.
    #[serde(default)]
    pub scope: Option<String>,
    /// `subject_issuer` (the ANS proxy sends `psc`), when sent.
    #[serde(default)]
    pub subject_issuer: Option<String>,
}

/// The thumbprint of a DER certificate in `form`.
pub fn thumbprint(der: &[u8], form: ThumbprintForm) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    match form {
        ThumbprintForm::Rfc8705 => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
        ThumbprintForm::AnsHexBase64 => {
            let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
            base64::engine::general_purpose::STANDARD.encode(hex)
        }
    }
}

/// Whether `cnf` (an `x5t#S256` value) designates `der` in one of `forms`.
pub fn binding_matches(cnf: &str, der: &[u8], forms: &[ThumbprintForm]) -> bool {
    forms
        .iter()
        .any(|f| constant_time_eq(thumbprint(der, *f).as_bytes(), cnf.as_bytes()))
}

/// An exchanged API token and what it is for.
#[derive(Clone, Debug)]
pub struct ExchangedToken {
    /// The token (redacted in `Debug`).
    pub token: AccessToken,
    /// The audience it was asked for.
    pub audience: Option<String>,
    /// The scope granted, when the AS said.
    pub scope: Option<String>,
    /// `cnf.x5t#S256` as the token carries it.
    pub x5t_s256: String,
}

impl PscClient {
    /// Exchanges `subject` (a PSC access token) at `target` over mutual TLS and checks the
    /// certificate binding of the issued token.
    pub fn exchange(
        &self,
        subject: &AccessToken,
        target: &ExchangeTarget,
    ) -> Result<ExchangedToken, PscError> {
        let der = self.client_certificate().ok_or_else(|| {
            PscError::Config("token exchange needs mutual TLS (tls_client_auth)".into())
        })?;
        if !target.token_endpoint.starts_with("https://") {
            return Err(PscError::Config(
                "the exchange endpoint must be https".into(),
            ));
        }
        let mut params = vec![
            ("grant_type", TOKEN_EXCHANGE_GRANT),
            ("subject_token", subject.expose()),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
        ];
        if let Some(a) = &target.audience {
            params.push(("audience", a));
        }
        if let Some(s) = &target.scope {
            params.push(("scope", s));
        }
        if let Some(i) = &target.subject_issuer {
            params.push(("subject_issuer", i));
        }
        let body = self.post_form("token exchange endpoint", &target.token_endpoint, &params)?;
        let response = TokenResponse::from_json(&body)?;
        let jws = Jws::parse(&response.access_token)?;
        let cnf = jws
            .claims()
            .get("cnf")
            .and_then(|c| c.get("x5t#S256"))
            .and_then(Value::as_str)
            .ok_or(PscError::Binding(
                "the issued token carries no cnf.x5t#S256",
            ))?
            .to_owned();
        if !binding_matches(&cnf, der, &self.config().thumbprint_forms) {
            return Err(PscError::Binding(
                "cnf.x5t#S256 does not designate the client certificate",
            ));
        }
        let exp = jws
            .claims()
            .get("exp")
            .and_then(Value::as_u64)
            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        let expires = match (response.expires_in, exp) {
            (Some(d), Some(e)) => (SystemTime::now() + d).min(e),
            (Some(d), None) => SystemTime::now() + d,
            (None, Some(e)) => e,
            (None, None) => SystemTime::now() + Duration::from_secs(60),
        };
        let token = AccessToken::new(response.access_token.to_string(), expires).map_err(|e| {
            PscError::Json {
                document: "token exchange response",
                reason: e.to_string(),
            }
        })?;
        Ok(ExchangedToken {
            token,
            audience: target.audience.clone(),
            scope: response.scope,
            x5t_s256: cnf,
        })
    }
}

/// One exchanged token per target, renewed when it expires within the session's refresh
/// margin: what a proxy keeps per PSC session.
pub struct Exchanger {
    session: Arc<PscSession>,
    cache: Mutex<HashMap<String, ExchangedToken>>,
}

impl std::fmt::Debug for Exchanger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchanger").finish_non_exhaustive()
    }
}

impl Exchanger {
    /// An empty cache over `session`.
    pub fn new(session: Arc<PscSession>) -> Self {
        Self {
            session,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The token for `target`, exchanged on first use and when it is about to expire.
    pub fn token_for(&self, target: &ExchangeTarget) -> Result<ExchangedToken, PscError> {
        let key = format!(
            "{}\u{0}{}\u{0}{}",
            target.token_endpoint,
            target.audience.as_deref().unwrap_or(""),
            target.scope.as_deref().unwrap_or("")
        );
        let mut cache = self.cache.lock().map_err(|_| PscError::Poisoned)?;
        let margin = self.session.client().config().refresh_margin();
        if let Some(t) = cache.get(&key)
            && !t.token.expires_within(margin)
        {
            return Ok(t.clone());
        }
        let subject = self.session.access_token()?;
        let fresh = self.session.client().exchange(&subject, target)?;
        cache.insert(key, fresh.clone());
        Ok(fresh)
    }
}
