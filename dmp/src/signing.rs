//! The ORG_SIGN software key of `dmp.toml` (PEM) as a [`Signer`], and the two DMP signatures
//! made with it through `segur_net::xmldsig`: the enveloped VIHF signature right after
//! `Issuer` (`shared/specs/dmp.md` §2.4) and the XAdES signature of a submission set (§5.3).
//!
//! `segur_net::sign::SoftwareSigner` reads PKCS#12 only; `dmp.toml` names PEM files (the
//! simulator writes them), so this signer reads a PEM PKCS#8 or PKCS#1 RSA key and signs with
//! `ring` (RSA PKCS#1 v1.5 and PSS, SHA-256: ring cannot sign SHA-1). The key is zeroized and
//! never shown by `Debug`.

use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use segur_net::sign::{SignError, SignatureAlgorithm, Signer};
use segur_net::xml::XmlLimits;
use segur_net::xmldsig::{Placement, Reference, SignatureBuilder, SignatureMethod, XmlDsigError};
use zeroize::Zeroizing;

use crate::vihf::{NS_SAML2, Vihf};

#[derive(Clone, Copy)]
enum KeyForm {
    Pkcs8,
    Pkcs1,
}

/// An RSA key read from PEM, with its certificate chain.
pub struct PemSigner {
    der: Zeroizing<Vec<u8>>,
    form: KeyForm,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for PemSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemSigner")
            .field("chain", &self.chain.len())
            .field("key", &"[redacted]")
            .finish()
    }
}

impl PemSigner {
    /// Reads a PEM RSA private key (`PRIVATE KEY` PKCS#8, RFC 5208, or `RSA PRIVATE KEY`
    /// PKCS#1, RFC 8017) and the DER certificates of its chain (leaf first).
    pub fn from_pem(key_pem: &[u8], chain: Vec<Vec<u8>>) -> Result<Self, SignError> {
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
        let signer = Self {
            der: Zeroizing::new(der),
            form,
            chain,
        };
        signer.key_pair()?;
        Ok(signer)
    }

    fn key_pair(&self) -> Result<ring::signature::RsaKeyPair, SignError> {
        match self.form {
            KeyForm::Pkcs8 => ring::signature::RsaKeyPair::from_pkcs8(&self.der),
            KeyForm::Pkcs1 => ring::signature::RsaKeyPair::from_der(&self.der),
        }
        .map_err(|e| SignError::Key(format!("RSA key: {e}")))
    }
}

impl Signer for PemSigner {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        self.chain.clone()
    }

    fn algorithms(&self) -> &[SignatureAlgorithm] {
        &[
            SignatureAlgorithm::RsaPkcs1Sha256,
            SignatureAlgorithm::RsaPssSha256,
        ]
    }

    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SignError> {
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
        Err(SignError::DigestNotSupported)
    }
}

/// Signs `vihf` with an enveloped signature placed right after `Issuer`: exclusive C14N,
/// reference `#ID` with enveloped-signature + exclusive C14N, RSA-SHA256 and SHA-256 (§2.4:
/// "emit rsa-sha256"), the signer's certificate in `KeyInfo`.
pub fn sign_vihf(vihf: &Vihf, signer: &mut dyn Signer) -> Result<String, XmlDsigError> {
    let signed = SignatureBuilder::new(SignatureMethod::RsaSha256)
        .reference(Reference::enveloped(vihf.id()))
        .sign_enveloped(
            vihf.xml().as_bytes(),
            vihf.id(),
            Placement::After {
                namespace: NS_SAML2,
                local: "Issuer",
            },
            signer,
            XmlLimits::default(),
        )?;
    String::from_utf8(signed).map_err(|_| XmlDsigError::Invalid("signed VIHF is not UTF-8"))
}
