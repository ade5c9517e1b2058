//! The one signature interface of the SDK: any key that signs without revealing itself (a CPS
//! card, a software key) implements [`Signer`], so XML-DSig, VIHF and XAdES code takes
//! `&dyn Signer` without depending on the card crate.

/// Hash functions (FIPS 180-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1 (legacy; only for services that still require it).
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

/// Signature schemes (RSA: RFC 8017; ECDSA: FIPS 186-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`).
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt = 32 bytes.
    RsaPssSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (`http://www.w3.org/2000/09/xmldsig#rsa-sha1`; legacy,
    /// selectable for services that still require it).
    RsaPkcs1Sha1,
    /// RSASSA-PSS with SHA-1, MGF1-SHA-1, salt = 20 bytes (legacy, CPS4 cards).
    RsaPssSha1,
    /// ECDSA on P-256 with SHA-256, signature as the raw `r || s` of XML-DSig (RFC 4050 §3.3).
    EcdsaP256Sha256,
}

impl SignatureAlgorithm {
    /// The hash function.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::RsaPkcs1Sha256 | Self::RsaPssSha256 | Self::EcdsaP256Sha256 => {
                HashAlgorithm::Sha256
            }
            Self::RsaPkcs1Sha1 | Self::RsaPssSha1 => HashAlgorithm::Sha1,
        }
    }

    /// Whether this is RSA-PSS.
    pub fn is_pss(self) -> bool {
        matches!(self, Self::RsaPssSha256 | Self::RsaPssSha1)
    }
}

/// Why a signature could not be made. Never holds key material or the signed data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key cannot use this algorithm.
    #[error("the key does not support {0:?}")]
    UnsupportedAlgorithm(SignatureAlgorithm),
    /// The key must hash the message itself (a CPS3 card computes the last hash round).
    #[error("this key signs messages only, not precomputed digests")]
    DigestNotSupported,
    /// A digest of the wrong length for the algorithm's hash.
    #[error("digest of {actual} bytes, {expected} expected for {hash:?}")]
    DigestLength {
        /// The algorithm's hash.
        hash: HashAlgorithm,
        /// Its output length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The key store (card, PKCS#12) failed; the text names the cause, never a PIN or key.
    #[error("signing key: {0}")]
    Key(String),
}

/// Something that signs with a private key it never reveals (a CPS card key, a software key).
pub trait Signer {
    /// The certificate chain of the key as DER, leaf first (for XML-DSig `KeyInfo/X509Data`,
    /// W3C XML-DSig 1.1 §4.5.4).
    fn certificate_chain(&self) -> Vec<Vec<u8>>;

    /// Algorithms this key can use.
    fn algorithms(&self) -> &[SignatureAlgorithm];

    /// Signs `message` (the key, or the SDK, hashes it with `alg.hash()`).
    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SignError>;

    /// Signs a precomputed digest of `alg.hash()`; keys that must hash themselves return
    /// [`SignError::DigestNotSupported`].
    fn sign_digest(&mut self, alg: SignatureAlgorithm, digest: &[u8])
    -> Result<Vec<u8>, SignError>;
}
