//! The signature interface the rest of the SDK can use without depending on this crate.
//!
//! `segur-dmp-cda` (VIHF, XAdES) and `segur-mssante` may not depend on `segur-cps-card`
//! (allowed crate edges). [`CardSigner`] therefore only speaks in plain types — an algorithm, a
//! message or digest, and signature bytes — so the FFI and CLI layers, which depend on every
//! crate, bridge it to the consumers' own signing callbacks with a few lines of adapter code
//! (`|alg, data| signer.sign_message(alg, data)`).

use crate::error::Result;

/// Hash functions the cards support (SHA-1 and SHA-256, cards spec §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (legacy; kept for the CPS4 algorithm references only).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl HashAlgorithm {
    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// The DER `DigestInfo` prefix (RFC 8017 §9.2, note 1).
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
        }
    }
}

/// Signature schemes (RSA, RFC 8017).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`).
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt = 32 bytes (CPS4 only).
    RsaPssSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (legacy).
    RsaPkcs1Sha1,
    /// RSASSA-PSS with SHA-1 (CPS4 only, legacy).
    RsaPssSha1,
}

impl SignatureAlgorithm {
    /// The hash function.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::RsaPkcs1Sha256 | Self::RsaPssSha256 => HashAlgorithm::Sha256,
            Self::RsaPkcs1Sha1 | Self::RsaPssSha1 => HashAlgorithm::Sha1,
        }
    }

    /// Whether this is RSA-PSS.
    pub fn is_pss(self) -> bool {
        matches!(self, Self::RsaPssSha256 | Self::RsaPssSha1)
    }
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
