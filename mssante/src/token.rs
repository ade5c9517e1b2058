//! Pro Santé Connect access tokens and the SASL responses that carry them.
//!
//! Tokens come from a [`TokenProvider`], are kept in memory only (SC.MSS/CONF.28), refreshed
//! before they expire, zeroized when dropped and never shown by `Debug`.

use crate::address::MailAddress;
use base64::Engine as _;
pub use segur_net::token::{
    AccessToken, CallerToken, TokenCache, TokenError, TokenProvider, Zeroizing,
};
use std::fmt;

/// SASL mechanism carrying the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OAuthMechanism {
    /// `XOAUTH2` (the de-facto mechanism named by every MSSanté source; the default).
    #[default]
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer,
}

impl OAuthMechanism {
    /// The SASL name.
    pub fn name(self) -> &'static str {
        match self {
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// The raw (not base64) initial client response of a mechanism.
pub fn sasl_initial_response(
    mechanism: OAuthMechanism,
    user: &MailAddress,
    token: &AccessToken,
    host: &str,
    port: u16,
) -> Zeroizing<Vec<u8>> {
    let s = match mechanism {
        // user=<addr>^Aauth=Bearer <token>^A^A
        OAuthMechanism::XOAuth2 => Zeroizing::new(format!(
            "user={}\x01auth=Bearer {}\x01\x01",
            user.as_str(),
            token.expose()
        )),
        // RFC 7628 §3.1: gs2-header "n,a=<authzid>," then kvpairs.
        OAuthMechanism::OAuthBearer => Zeroizing::new(format!(
            "n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
            user.as_str().replace('=', "=3D").replace(',', "=2C"),
            token.expose()
        )),
    };
    Zeroizing::new(s.as_bytes().to_vec())
}

/// Base64 of the initial response.
pub fn sasl_initial_response_b64(
    mechanism: OAuthMechanism,
    user: &MailAddress,
    token: &AccessToken,
    host: &str,
    port: u16,
) -> Zeroizing<String> {
    let raw = sasl_initial_response(mechanism, user, token, host, port);
    Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn token_is_redacted_and_sasl_is_exact() {
        let t = AccessToken::new("abc.def".into(), SystemTime::now()).unwrap();
        assert!(!format!("{t:?}").contains("abc.def"));
        let u = MailAddress::parse("a@b.fr").unwrap();
        assert_eq!(
            &*sasl_initial_response(OAuthMechanism::XOAuth2, &u, &t, "h", 1),
            b"user=a@b.fr\x01auth=Bearer abc.def\x01\x01"
        );
        assert_eq!(
            &*sasl_initial_response(OAuthMechanism::OAuthBearer, &u, &t, "h", 587),
            b"n,a=a@b.fr,\x01host=h\x01port=587\x01auth=Bearer abc.def\x01\x01"
        );
        assert!(AccessToken::new("a b".into(), SystemTime::now()).is_err());
    }
}

/// How a session authenticates.
#[derive(Clone)]
pub enum Authentication {
    /// Personal and organisational mailboxes: a PSC access token over SASL (SC.MSS/CONF.07).
    OAuth {
        /// The mailbox address (SASL user).
        user: MailAddress,
        /// Where tokens come from (asked before every connection).
        provider: std::sync::Arc<dyn TokenProvider>,
        /// XOAUTH2 (default) or OAUTHBEARER.
        mechanism: OAuthMechanism,
    },
    /// Applicative mailboxes: the TLS client certificate of the [`crate::tls::TlsSettings`]
    /// identifies the mailbox (SASL EXTERNAL when the server offers it).
    ClientCertificate,
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth {
                user, mechanism, ..
            } => f
                .debug_struct("OAuth")
                .field("user", user)
                .field("mechanism", mechanism)
                .finish(),
            Self::ClientCertificate => f.write_str("ClientCertificate"),
        }
    }
}
