//! Algorithm identifiers of XML-DSig 1.1 §6 (and RFC 6931 for `rsa-sha256`, `xmlenc#sha256`).

use crate::sign::{HashAlgorithm, SignatureAlgorithm};

/// The XML-DSig namespace (XML-DSig 1.1 §3).
pub const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

/// The enveloped-signature transform (XML-DSig 1.1 §6.6.4).
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// The `Type` of a reference to a `Manifest` (XML-DSig 1.1 §5.1).
pub const MANIFEST_TYPE: &str = "http://www.w3.org/2000/09/xmldsig#Manifest";

/// Digest algorithms (XML-DSig 1.1 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-1 (`http://www.w3.org/2000/09/xmldsig#sha1`): legacy, required by the DMP XAdES
    /// manifest (DMP note §5.3) and the official VIHF examples (§2.4).
    Sha1,
    /// SHA-256 (`http://www.w3.org/2001/04/xmlenc#sha256`).
    Sha256,
}

impl DigestAlgorithm {
    /// The algorithm identifier.
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
        }
    }

    /// The algorithm named by `uri`.
    pub fn from_uri(uri: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha256]
            .into_iter()
            .find(|a| a.uri() == uri)
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Self::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &ring::digest::SHA256,
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }
}

/// Signature methods (XML-DSig 1.1 §6.4.2; RFC 6931 §2.3.2 for RSA-SHA256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`):
    /// the default (DMP note §2.4: "emit rsa-sha256").
    RsaSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (`http://www.w3.org/2000/09/xmldsig#rsa-sha1`): the
    /// official DMP examples; which one the DMP requires is TO VERIFY (DMP note §12), so it
    /// stays selectable.
    RsaSha1,
}

impl SignatureMethod {
    /// The algorithm identifier.
    pub const fn uri(self) -> &'static str {
        match self {
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        }
    }

    /// The method named by `uri`.
    pub fn from_uri(uri: &str) -> Option<Self> {
        [Self::RsaSha256, Self::RsaSha1]
            .into_iter()
            .find(|a| a.uri() == uri)
    }

    /// The scheme a [`crate::sign::Signer`] is asked for.
    pub const fn scheme(self) -> SignatureAlgorithm {
        match self {
            Self::RsaSha256 => SignatureAlgorithm::RsaPkcs1Sha256,
            Self::RsaSha1 => SignatureAlgorithm::RsaPkcs1Sha1,
        }
    }

    /// The hash function.
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            Self::RsaSha256 => HashAlgorithm::Sha256,
            Self::RsaSha1 => HashAlgorithm::Sha1,
        }
    }

    /// Verifies `signature` over `message` with the PKCS#1 `RSAPublicKey` (RFC 8017 §A.1.1).
    /// Keys of 2048 to 8192 bits (ring's bounds, which the IGC-Santé certificates meet).
    pub(crate) fn verify(self, rsa_public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn ring::signature::VerificationAlgorithm = match self {
            Self::RsaSha256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            Self::RsaSha1 => &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        };
        ring::signature::UnparsedPublicKey::new(alg, rsa_public_key)
            .verify(message, signature)
            .is_ok()
    }
}
