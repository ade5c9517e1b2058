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

/// A software key from a PKCS#12 file (a mailbox or server certificate), signing with `ring`
/// (the crypto provider rustls already uses). The PKCS#8 key is kept zeroized; `ring`'s parsed
/// key pair is built for each signature and dropped after it, since `ring` does not zeroize it.
/// `ring` signs RSA PKCS#1 v1.5 and PSS with SHA-256; it cannot sign SHA-1 (verification
/// only), so SHA-1 stays a card-only scheme and is refused here with
/// [`SignError::UnsupportedAlgorithm`].
pub struct SoftwareSigner {
    key_der: zeroize::Zeroizing<Vec<u8>>,
    key_form: KeyForm,
    chain: Vec<Vec<u8>>,
    algorithms: Vec<SignatureAlgorithm>,
}

/// The DER form the RSA private key is kept in.
#[derive(Clone, Copy, Debug)]
enum KeyForm {
    /// PKCS#8 `PrivateKeyInfo` (RFC 5208).
    Pkcs8,
    /// PKCS#1 `RSAPrivateKey` (RFC 8017 appendix A.1.2).
    Pkcs1,
}

/// The RSA schemes `ring` signs with (RFC 8017 §8.1 and §8.2, SHA-256).
const RSA_SCHEMES: [SignatureAlgorithm; 2] = [
    SignatureAlgorithm::RsaPkcs1Sha256,
    SignatureAlgorithm::RsaPssSha256,
];

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl SoftwareSigner {
    /// Reads the first private key and its certificate chain from a PKCS#12 (RFC 7292).
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, SignError> {
        let store = p12_keystore::KeyStore::from_pkcs12(der, password)
            .map_err(|e| SignError::Key(format!("PKCS#12: {e}")))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| SignError::Key("PKCS#12 holds no private key".into()))?;
        let certs: Vec<Vec<u8>> = chain.chain().iter().map(|c| c.as_der().to_vec()).collect();
        if certs.is_empty() {
            return Err(SignError::Key("PKCS#12 holds no certificate".into()));
        }
        Self::rsa(chain.key().to_vec(), KeyForm::Pkcs8, certs)
            .map_err(|_| SignError::Key("the PKCS#12 key is not an RSA key ring can use".into()))
    }

    /// Reads a PEM RSA private key (`PRIVATE KEY`, PKCS#8, RFC 5208, or `RSA PRIVATE KEY`,
    /// PKCS#1, RFC 8017) and the DER certificates of its chain, leaf first (the form the DMP
    /// simulator writes its ORG_SIGN key in).
    pub fn from_pem(key_pem: &[u8], chain: Vec<Vec<u8>>) -> Result<Self, SignError> {
        use rustls::pki_types::PrivateKeyDer;
        use rustls::pki_types::pem::PemObject;
        if chain.is_empty() {
            return Err(SignError::Key("no signing certificate".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| SignError::Key(format!("PEM private key: {e}")))?;
        let (der, form) = match &key {
            PrivateKeyDer::Pkcs8(k) => (k.secret_pkcs8_der().to_vec(), KeyForm::Pkcs8),
            PrivateKeyDer::Pkcs1(k) => (k.secret_pkcs1_der().to_vec(), KeyForm::Pkcs1),
            _ => return Err(SignError::Key("the signing key is not an RSA key".into())),
        };
        Self::rsa(der, form, chain)
    }

    fn rsa(der: Vec<u8>, key_form: KeyForm, chain: Vec<Vec<u8>>) -> Result<Self, SignError> {
        let signer = Self {
            key_der: zeroize::Zeroizing::new(der),
            key_form,
            chain,
            algorithms: RSA_SCHEMES.to_vec(),
        };
        signer.key_pair()?;
        Ok(signer)
    }

    /// The ring key pair, built for one signature and dropped after it.
    fn key_pair(&self) -> Result<ring::signature::RsaKeyPair, SignError> {
        match self.key_form {
            KeyForm::Pkcs8 => ring::signature::RsaKeyPair::from_pkcs8(&self.key_der),
            KeyForm::Pkcs1 => ring::signature::RsaKeyPair::from_der(&self.key_der),
        }
        .map_err(|e| SignError::Key(format!("RSA key: {e}")))
    }
}

impl Signer for SoftwareSigner {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        self.chain.clone()
    }

    fn algorithms(&self) -> &[SignatureAlgorithm] {
        &self.algorithms
    }

    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        // RFC 8017 §8.1 / §8.2 encodings as ring implements them.
        let encoding: &'static dyn ring::signature::RsaEncoding = match alg {
            SignatureAlgorithm::RsaPkcs1Sha256 => &ring::signature::RSA_PKCS1_SHA256,
            SignatureAlgorithm::RsaPssSha256 => &ring::signature::RSA_PSS_SHA256,
            other => return Err(SignError::UnsupportedAlgorithm(other)),
        };
        let key = self.key_pair()?;
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(
            encoding,
            &ring::rand::SystemRandom::new(),
            message,
            &mut sig,
        )
        .map_err(|_| SignError::Key("RSA signing failed".into()))?;
        Ok(sig)
    }

    fn sign_digest(
        &mut self,
        _alg: SignatureAlgorithm,
        _digest: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        // ring signs messages only (it hashes them itself).
        Err(SignError::DigestNotSupported)
    }
}
