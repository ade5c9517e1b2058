//! Authorization code flow with PKCE (RFC 7636, S256), `state` and `nonce`, for the
//! browser-popup variant where the code is relayed to the vendor's proxy (psc.md §3).
//!
//! [`PscClient::authorization_request`] builds the URL (`response_type=code`, `scope`,
//! `acr_values`, `state`, `nonce`, `code_challenge`, `code_challenge_method=S256`) and keeps the
//! secrets in a [`PendingAuthorization`]. [`PscClient::redeem`] checks the callback: `error`,
//! `state` (constant-time, single use since redeeming consumes the pending request), `iss`
//! when present (RFC 9207), then redeems the code with the `code_verifier` and verifies the ID
//! token with the `nonce`.

use crate::client::PscClient;
use crate::error::{PscError, sanitize};
use crate::jwt::constant_time_eq;
use crate::session::PscSession;
use crate::tokens::TokenResponse;
use base64::Engine as _;
use zeroize::Zeroizing;

fn random_b64(bytes: usize) -> Result<Zeroizing<String>, PscError> {
    let mut buf = Zeroizing::new(vec![0u8; bytes]);
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut buf)
        .map_err(|_| PscError::Config("the system random source failed".into()))?;
    Ok(Zeroizing::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*buf),
    ))
}

/// The S256 challenge of a verifier: base64url(SHA-256(verifier)) (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// An authorization request waiting for its callback. Its secrets are zeroized on drop.
pub struct PendingAuthorization {
    url: String,
    redirect_uri: String,
    state: Zeroizing<String>,
    nonce: Zeroizing<String>,
    verifier: Zeroizing<String>,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// The URL to open in the browser.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The `state` sent (to correlate a relayed callback).
    pub fn state(&self) -> &str {
        &self.state
    }
}

impl PscClient {
    /// Builds an authorization request for `redirect_uri`; `login_hint` pre-fills the
    /// professional when given.
    pub fn authorization_request(
        &self,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<PendingAuthorization, PscError> {
        let endpoint = match self.config().authorization_override() {
            Some(e) => e,
            None => self.endpoint("authorization endpoint", |d| {
                d.authorization_endpoint.clone()
            })?,
        };
        // 32 random bytes each: 43-character verifier (RFC 7636 §4.1), state and nonce.
        let state = random_b64(32)?;
        let nonce = random_b64(32)?;
        let verifier = random_b64(32)?;
        let scope = self.config().scopes.join(" ");
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.config().client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &scope)
            .append_pair("acr_values", &self.config().acr_values)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &s256_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(h) = login_hint {
            q.append_pair("login_hint", h);
        }
        let sep = if endpoint.contains('?') { '&' } else { '?' };
        Ok(PendingAuthorization {
            url: format!("{endpoint}{sep}{}", q.finish()),
            redirect_uri: redirect_uri.to_owned(),
            state,
            nonce,
            verifier,
        })
    }

    /// Checks the callback URL (or its query string) and redeems the code: the pending request
    /// is consumed, so a replayed callback has nothing to match.
    pub fn redeem(
        &self,
        pending: PendingAuthorization,
        callback: &str,
    ) -> Result<PscSession, PscError> {
        let query = callback.split_once('?').map_or(callback, |(_, q)| q);
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let mut code = None;
        let mut state = None;
        let mut iss = None;
        let mut error = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*k {
                "code" => &mut code,
                "state" => &mut state,
                "iss" => &mut iss,
                "error" => &mut error,
                _ => continue,
            };
            if slot.is_some() {
                return Err(PscError::Callback("a parameter is repeated"));
            }
            *slot = Some(Zeroizing::new(v.into_owned()));
        }
        let Some(state) = state else {
            return Err(PscError::Callback("state missing"));
        };
        if !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(PscError::Callback("state does not match the request"));
        }
        if let Some(e) = error {
            return Err(PscError::OAuth {
                endpoint: "authorization endpoint",
                status: 302,
                error: sanitize(&e, 64),
                description: None,
            });
        }
        if let Some(iss) = iss
            && iss.as_str() != self.issuer()
        {
            return Err(PscError::Callback(
                "iss is not the configured issuer (RFC 9207)",
            ));
        }
        let code = code.ok_or(PscError::Callback("code missing"))?;
        let token_url = self.endpoint("token endpoint", |d| Some(d.token_endpoint.clone()))?;
        let body = self.post_form(
            "token endpoint",
            &token_url,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &pending.redirect_uri),
                ("code_verifier", &pending.verifier),
            ],
        )?;
        PscSession::from_response(self, TokenResponse::from_json(&body)?, Some(&pending.nonce))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            super::s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
