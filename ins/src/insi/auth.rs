//! How the INSi client authenticates (`shared/specs/ins.md`, "Authentication modes";
//! SEL-MP-043 §3.2). Every mode runs over mutual TLS ([`super::InsiTls`]); the mode says what
//! goes in the `wsse:Security` header:
//!
//! | Mode | `wsse:Security` | Status |
//! |---|---|---|
//! | [`InsiAuthentication::MutualTls`] | none (IGC-Santé ORG certificate, CN `INSI-AUTO`/`INSI-MANU`) | works |
//! | [`InsiAuthentication::Cpx`] | the "assertion PS" signed by the CPS/CPE card ([`CpxAuthentication`]) | works; items TO VERIFY in [`super::assertion`] |
//! | [`InsiAuthentication::Psc`] | the unsigned assertion qualified `PSC` ([`PscAuthentication`]) | works; items TO VERIFY in [`super::assertion`] and [`PscTokenUse`] |
//! | carte Vitale | the assertion PS **and** a Vitale assertion | out: [`VitaleAssertionSource`] |
//!
//! The carte Vitale search (`rechercherInsAvecCarteVitale`) is out of this SDK: its Vitale
//! assertion is made and signed by a proprietary GIE SESAM-Vitale component (from the card,
//! with the reader), whose format and keys are not public. [`VitaleAssertionSource`] is the
//! seam where the host's component would plug in.

use super::assertion::{
    AssertionError, AssertionOptions, AssertionStamp, ProfessionalIdentity, cpx_assertion,
    psc_assertion,
};
use segur_net::sign::Signer;
use segur_net::token::{AccessToken, TokenError, TokenProvider};
use std::sync::Mutex;

/// The authentication mode of an INSi client.
#[non_exhaustive]
pub enum InsiAuthentication {
    /// Mutual TLS with an IGC-Santé "organisation" certificate; no assertion (SEL-MP-043 §3.2).
    MutualTls,
    /// CPx card: the "assertion PS" signed with the card's signature key.
    Cpx(CpxAuthentication),
    /// Pro Santé Connect: the unsigned assertion with `NameQualifier="PSC"`.
    Psc(PscAuthentication),
}

impl std::fmt::Debug for InsiAuthentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl InsiAuthentication {
    /// The mode's name as the CLI and the C API spell it: `mtls`, `cps`, `psc`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MutualTls => "mtls",
            Self::Cpx(_) => "cps",
            Self::Psc(_) => "psc",
        }
    }
}

/// The CPx mode: a signer over the card's signature key (a `segur-cps-card` session, or any
/// other [`Signer`]), the professional's data and the assertion settings.
pub struct CpxAuthentication {
    signer: Mutex<Box<dyn Signer + Send>>,
    professional: ProfessionalIdentity,
    options: AssertionOptions,
}

impl CpxAuthentication {
    /// The CPx mode signing with `signer` for `professional`, default settings.
    pub fn new(signer: Box<dyn Signer + Send>, professional: ProfessionalIdentity) -> Self {
        Self {
            signer: Mutex::new(signer),
            professional,
            options: AssertionOptions::default(),
        }
    }

    /// Replaces the assertion settings (the TO VERIFY items).
    pub fn options(mut self, options: AssertionOptions) -> Self {
        self.options = options;
        self
    }

    /// A freshly signed assertion.
    pub(crate) fn assertion(&self, stamp: &AssertionStamp) -> Result<String, AssertionError> {
        let mut signer = self
            .signer
            .lock()
            .map_err(|_| AssertionError::SignerPoisoned)?;
        cpx_assertion(&self.professional, &self.options, stamp, signer.as_mut())
    }
}

/// What the client does with the Pro Santé Connect access token in PSC mode. How INSi checks
/// the PSC authentication behind the assertion is not published (TO VERIFY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PscTokenUse {
    /// `Authorization: Bearer <token>` on the SOAP POST (RFC 6750 §2.1), after checking the
    /// token is not expired. The default.
    #[default]
    BearerHeader,
    /// The token is checked (present, not expired) but not sent.
    CheckOnly,
}

/// The Pro Santé Connect mode: the professional's data (from the PSC ID token), the source of
/// PSC access tokens (the `segur-psc` session; any [`TokenProvider`]), the assertion settings.
pub struct PscAuthentication {
    professional: ProfessionalIdentity,
    tokens: Box<dyn TokenProvider>,
    options: AssertionOptions,
    token_use: PscTokenUse,
}

impl PscAuthentication {
    /// The PSC mode for `professional`, taking access tokens from `tokens`.
    pub fn new(professional: ProfessionalIdentity, tokens: Box<dyn TokenProvider>) -> Self {
        Self {
            professional,
            tokens,
            options: AssertionOptions::default(),
            token_use: PscTokenUse::default(),
        }
    }

    /// Replaces the assertion settings (the TO VERIFY items).
    pub fn options(mut self, options: AssertionOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets what is done with the access token (TO VERIFY; default [`PscTokenUse::BearerHeader`]).
    pub fn token_use(mut self, token_use: PscTokenUse) -> Self {
        self.token_use = token_use;
        self
    }

    /// The unsigned assertion and the token to send, if any. An expired token is refused
    /// before anything is sent.
    pub(crate) fn assertion(
        &self,
        stamp: &AssertionStamp,
        default_issuer: &str,
    ) -> Result<(String, Option<AccessToken>), PscAuthError> {
        let token = self.tokens.access_token()?;
        if token.expires_within(std::time::Duration::ZERO) {
            return Err(PscAuthError::Token(TokenError::Expired));
        }
        let issuer = self.options.psc_issuer.as_deref().unwrap_or(default_issuer);
        let xml = psc_assertion(&self.professional, &self.options, stamp, issuer)?;
        let token = match self.token_use {
            PscTokenUse::BearerHeader => Some(token),
            PscTokenUse::CheckOnly => None,
        };
        Ok((xml, token))
    }
}

/// Why the PSC header could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PscAuthError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Assertion(#[from] AssertionError),
}

/// Why a Vitale assertion could not be had (the host component's reason, never card data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Vitale assertion: {0}")]
pub struct VitaleAssertionError(pub String);

/// The seam for the carte Vitale search, which this SDK does not make: the Vitale assertion of
/// `rechercherInsAvecCarteVitale` is built and signed by the GIE SESAM-Vitale component from
/// the card in the reader (a proprietary format and key, lifetime checked by the CNDA test
/// 1.02, card swaps by 1.03). A host that has that component implements this trait; the SDK
/// ships no implementation and no Vitale operation.
pub trait VitaleAssertionSource {
    /// The signed Vitale assertion (a complete `saml:Assertion` element) for the card now in
    /// the reader.
    fn vitale_assertion(&mut self) -> Result<String, VitaleAssertionError>;
}
