//! The signature interface the rest of the SDK can use without depending on this crate.
//!
//! `segur-dmp-cda` (VIHF, XAdES) and `segur-mssante` may not depend on `segur-cps-card`
//! (allowed crate edges). [`CardSigner`] therefore only speaks in plain types — an algorithm, a
//! message or digest, and signature bytes — so the FFI and CLI layers, which depend on every
//! crate, bridge it to the consumers' own signing callbacks with a few lines of adapter code
//! (`|alg, data| signer.sign_message(alg, data)`).

use crate::error::Result;

/// The SDK-wide algorithm enums and signature interface (`segur-net`), re-exported: the
/// card signer implements [`Signer`] so consumers take `&dyn Signer` without this crate.
pub use segur_net::sign::{HashAlgorithm, SignError, SignatureAlgorithm, Signer};

/// A card error as a [`SignError`] (the text names the cause, never the PIN).
pub(crate) fn sign_error(e: crate::Error) -> SignError {
    SignError::Key(e.to_string())
}

/// Something that signs with a private key it never reveals (a CPS card key).
pub trait CardSigner {
    /// DER of the certificate of the signing key.
    fn certificate_der(&self) -> &[u8];

    /// Algorithms this key can use.
    fn algorithms(&self) -> &[SignatureAlgorithm];

    /// Signs `message` (the card, or the SDK, hashes it as the card requires: CPS3 computes the
    /// last hash round on the card).
    fn sign_message(&mut self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>>;

    /// Signs a precomputed digest of `alg.hash()`; keys that must hash on the card return
    /// [`crate::Error::Unsupported`].
    fn sign_digest(&mut self, alg: SignatureAlgorithm, digest: &[u8]) -> Result<Vec<u8>>;
}
