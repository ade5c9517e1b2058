//! [`PscSession`]: the tokens of one authenticated professional, kept in memory only and
//! zeroized (SC.MSS/CONF.28), refreshed before expiry, ended by server-side logout.
//!
//! - [`PscSession::access_token`] refreshes (`grant_type=refresh_token`, RFC 6749 §6) when the
//!   access token expires within the configured margin; the newest refresh token is kept
//!   (rotation is TO VERIFY at PSC, psc.md §5.5). A refused refresh ends the session
//!   (SC.MSS/CONF.10).
//! - [`PscSession::logout`] sends the end-session request with `id_token_hint` (psc.md §6, as
//!   the ANS proxy does), revokes the refresh token when the provider has a revocation
//!   endpoint (RFC 7009), and zeroizes the tokens. A second logout does nothing.
//! - [`PscSession::introspect`] asks the provider whether a token is active (RFC 7662).

use crate::client::{PscClient, VerifiedIdToken};
use crate::error::{PscError, json_error};
use crate::professional::Professional;
use crate::tokens::TokenResponse;
use segur_net::token::AccessToken;
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// The default lifetime assumed when `expires_in` is absent (psc.md §5.5: about 2 minutes).
pub const DEFAULT_ACCESS_LIFETIME: Duration = Duration::from_secs(120);

struct Tokens {
    access: Zeroizing<String>,
    access_expires: SystemTime,
    refresh: Option<Zeroizing<String>>,
    refresh_expires: Option<SystemTime>,
    id_token: Option<Zeroizing<String>>,
}

/// A Pro Santé Connect session. Thread-safe; `Debug` shows the professional, never a token.
pub struct PscSession {
    client: PscClient,
    professional: Professional,
    session_state: Option<String>,
    tokens: Mutex<Option<Tokens>>,
}

impl std::fmt::Debug for PscSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PscSession")
            .field("professional", &self.professional)
            .field("tokens", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Which token to introspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// The access token.
    Access,
    /// The refresh token.
    Refresh,
}

/// An introspection answer (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Introspection {
    /// `active`.
    pub active: bool,
    /// `exp`, when sent.
    pub exp: Option<i64>,
    /// `client_id`, when sent.
    pub client_id: Option<String>,
    /// `SubjectNameID`, sent for access tokens only (psc.md §6).
    pub subject_name_id: Option<String>,
    /// `cnf.x5t#S256`, when the token is certificate-bound (RFC 8705 §3.2).
    pub x5t_s256: Option<String>,
}

fn expiry(now: SystemTime, d: Option<Duration>, default: Duration) -> SystemTime {
    now + d.unwrap_or(default)
}

impl PscSession {
    /// A session from a token response: the ID token is verified (signature, claims, `nonce`
    /// when one was sent) and gives the professional.
    pub(crate) fn from_response(
        client: &PscClient,
        response: TokenResponse,
        nonce: Option<&str>,
    ) -> Result<Self, PscError> {
        let id_token = response.id_token.as_ref().ok_or(PscError::Json {
            document: "token response",
            reason: "id_token missing (scope openid)".into(),
        })?;
        let VerifiedIdToken { professional, .. } = client.verify_id_token(id_token, nonce)?;
        let now = SystemTime::now();
        Ok(Self {
            client: client.clone(),
            professional,
            session_state: response.session_state.clone(),
            tokens: Mutex::new(Some(Tokens {
                access: response.access_token,
                access_expires: expiry(now, response.expires_in, DEFAULT_ACCESS_LIFETIME),
                refresh_expires: response.refresh_expires_in.map(|d| now + d),
                refresh: response.refresh_token,
                id_token: response.id_token,
            })),
        })
    }

    /// The professional the session authenticates.
    pub fn professional(&self) -> &Professional {
        &self.professional
    }

    /// The client the session belongs to.
    pub fn client(&self) -> &PscClient {
        &self.client
    }

    /// `session_state` (the PSC session id, for traces), when the provider sent it.
    pub fn session_state(&self) -> Option<&str> {
        self.session_state.as_deref()
    }

    /// Whether the session was logged out or lost its refresh token.
    pub fn is_ended(&self) -> bool {
        self.tokens.lock().map(|t| t.is_none()).unwrap_or(true)
    }

    /// A valid access token, refreshed first when it expires within the refresh margin.
    pub fn access_token(&self) -> Result<AccessToken, PscError> {
        let mut guard = self.tokens.lock().map_err(|_| PscError::Poisoned)?;
        let margin = self.client.config().refresh_margin();
        let needs_refresh = match guard.as_ref() {
            None => return Err(PscError::SessionEnded),
            Some(t) => SystemTime::now() + margin >= t.access_expires,
        };
        if needs_refresh {
            match self.refresh_locked(&mut guard) {
                Ok(()) => {}
                Err(e @ PscError::OAuth { .. }) => {
                    // The provider refused the refresh token: the session is over.
                    *guard = None;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        let t = guard.as_ref().ok_or(PscError::SessionEnded)?;
        AccessToken::new(t.access.to_string(), t.access_expires).map_err(|e| PscError::Json {
            document: "token response",
            reason: e.to_string(),
        })
    }

    /// Refreshes now (`grant_type=refresh_token`).
    pub fn refresh(&self) -> Result<(), PscError> {
        let mut guard = self.tokens.lock().map_err(|_| PscError::Poisoned)?;
        let r = self.refresh_locked(&mut guard);
        if matches!(r, Err(PscError::OAuth { .. })) {
            *guard = None;
        }
        r
    }

    fn refresh_locked(&self, guard: &mut Option<Tokens>) -> Result<(), PscError> {
        let tokens = guard.as_mut().ok_or(PscError::SessionEnded)?;
        let refresh = tokens.refresh.clone().ok_or(PscError::SessionEnded)?;
        let url = self
            .client
            .endpoint("token endpoint", |d| Some(d.token_endpoint.clone()))?;
        let body = self.client.post_form(
            "token endpoint",
            &url,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )?;
        let response = TokenResponse::from_json(&body)?;
        if let Some(id) = &response.id_token {
            let verified = self.client.verify_id_token(id, None)?;
            if verified.professional.national_id != self.professional.national_id {
                return Err(PscError::Jwt(crate::jwt::JwtError::Claim {
                    claim: "sub",
                    reason: "the refreshed ID token names another professional",
                }));
            }
        }
        let now = SystemTime::now();
        tokens.access = response.access_token;
        tokens.access_expires = expiry(now, response.expires_in, DEFAULT_ACCESS_LIFETIME);
        if let Some(r) = response.refresh_token {
            tokens.refresh = Some(r);
            tokens.refresh_expires = response.refresh_expires_in.map(|d| now + d);
        }
        if let Some(id) = response.id_token {
            tokens.id_token = Some(id);
        }
        Ok(())
    }

    /// Asks the provider whether the session's access or refresh token is active (RFC 7662).
    pub fn introspect(&self, kind: TokenKind) -> Result<Introspection, PscError> {
        let token = {
            let guard = self.tokens.lock().map_err(|_| PscError::Poisoned)?;
            let t = guard.as_ref().ok_or(PscError::SessionEnded)?;
            match kind {
                TokenKind::Access => t.access.clone(),
                TokenKind::Refresh => t.refresh.clone().ok_or(PscError::SessionEnded)?,
            }
        };
        introspect(&self.client, &token)
    }

    /// The professional as the userinfo endpoint describes it (psc.md §5.4: `exercices[]` and
    /// `activities[]` with the CNOP section), with the access token as `Bearer` (RFC 6750 §2.1).
    /// A signed answer (`application/jwt`) is verified against the JWKS; `sub` must be the
    /// ID token's (OIDC Core §5.3.2).
    pub fn userinfo(&self) -> Result<Professional, PscError> {
        let url = self
            .client
            .endpoint("userinfo endpoint", |d| d.userinfo_endpoint.clone())?;
        let token = self.access_token()?;
        let bearer = Zeroizing::new(format!("Bearer {}", token.expose()));
        let response = self.client.core.http.get_with_headers(
            &url,
            "application/json, application/jwt",
            &[("Authorization", bearer.as_str())],
        )?;
        let is_jwt = response
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/jwt"));
        let claims = if is_jwt {
            let text = std::str::from_utf8(&response.body).map_err(|e| PscError::Json {
                document: "userinfo",
                reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
            })?;
            let jws = crate::jwt::Jws::parse(text.trim())?;
            jws.verify_signature(self.client.jwks()?, &self.client.config().algorithms)?;
            jws.claims().clone()
        } else {
            match serde_json::from_slice(&response.body).map_err(|e| json_error("userinfo", &e))? {
                Value::Object(m) => m,
                _ => {
                    return Err(PscError::Json {
                        document: "userinfo",
                        reason: "not a JSON object".into(),
                    });
                }
            }
        };
        let p = Professional::from_claims(&claims).map_err(|e| PscError::Json {
            document: "userinfo",
            reason: e.to_string(),
        })?;
        if p.subject != self.professional.subject {
            return Err(PscError::Json {
                document: "userinfo",
                reason: "sub differs from the ID token's (OIDC Core §5.3.2)".into(),
            });
        }
        Ok(p)
    }

    /// Server-side logout, then the tokens are zeroized. Does nothing when already ended.
    pub fn logout(&self) -> Result<(), PscError> {
        let taken = {
            let mut guard = self.tokens.lock().map_err(|_| PscError::Poisoned)?;
            guard.take()
        };
        let Some(tokens) = taken else {
            return Ok(());
        };
        let d = self.client.discovery()?;
        if let Some(url) = &d.revocation_endpoint
            && let Some(refresh) = &tokens.refresh
        {
            self.client.post_form(
                "revocation endpoint",
                url,
                &[("token", refresh), ("token_type_hint", "refresh_token")],
            )?;
        }
        if let Some(url) = &d.end_session_endpoint
            && let Some(id) = &tokens.id_token
        {
            self.client
                .post_form("end-session endpoint", url, &[("id_token_hint", id)])?;
        }
        Ok(())
    }
}

/// Introspects `token` at the provider (RFC 7662 §2.1) with the client's authentication.
pub fn introspect(client: &PscClient, token: &str) -> Result<Introspection, PscError> {
    let url = client.endpoint("introspection endpoint", |d| {
        d.introspection_endpoint.clone()
    })?;
    let body = client.post_form("introspection endpoint", &url, &[("token", token)])?;
    let doc: Value = serde_json::from_slice(&body).map_err(|e| json_error("introspection", &e))?;
    let active = doc
        .get("active")
        .and_then(Value::as_bool)
        .ok_or(PscError::Json {
            document: "introspection",
            reason: "active missing or not a boolean".into(),
        })?;
    let s = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(Introspection {
        active,
        exp: doc.get("exp").and_then(Value::as_i64),
        client_id: s("client_id"),
        subject_name_id: s("SubjectNameID"),
        x5t_s256: doc
            .get("cnf")
            .and_then(|c| c.get("x5t#S256"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}
