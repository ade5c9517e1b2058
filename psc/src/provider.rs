//! [`segur_net::token::TokenProvider`] backed by an in-process session (the sandbox, the local
//! test provider, a vendor proxy): the MSSanté, INSi and DMP clients take any provider.
//!
//! [`PscSession`] itself provides the PSC access token, refreshed before expiry;
//! [`ExchangedTokenProvider`] provides the API token of one backend (RFC 8693), renewed before
//! expiry. A session that ended gives [`TokenError::Provider`] (SC.MSS/CONF.10).

use crate::exchange::{ExchangeTarget, Exchanger};
use crate::session::PscSession;
use segur_net::token::{AccessToken, TokenError, TokenProvider};
use std::sync::Arc;

impl TokenProvider for PscSession {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        PscSession::access_token(self).map_err(|e| TokenError::Provider(e.to_string()))
    }
}

/// The exchanged token of one backend as a token provider.
pub struct ExchangedTokenProvider {
    exchanger: Exchanger,
    target: ExchangeTarget,
}

impl std::fmt::Debug for ExchangedTokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangedTokenProvider")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ExchangedTokenProvider {
    /// The provider of `target`'s token over `session`.
    pub fn new(session: Arc<PscSession>, target: ExchangeTarget) -> Self {
        Self {
            exchanger: Exchanger::new(session),
            target,
        }
    }
}

impl TokenProvider for ExchangedTokenProvider {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        self.exchanger
            .token_for(&self.target)
            .map(|t| t.token)
            .map_err(|e| TokenError::Provider(e.to_string()))
    }
}
