//! The ORG_SIGN software key of `dmp.toml` (PEM) as a [`Signer`], and the two DMP signatures
//! made with it through `segur_net::xmldsig`: the enveloped VIHF signature right after
//! `Issuer` (`shared/specs/dmp.md` §2.4) and the XAdES signature of a submission set (§5.3).
//!
//! `dmp.toml` names PEM files (the simulator writes them): the key is read by
//! `segur_net::sign::SoftwareSigner::from_pem` (RSA PKCS#1 v1.5 and PSS, SHA-256; zeroized,
//! never shown by `Debug`).

use segur_net::sign::Signer;
use segur_net::xml::XmlLimits;
use segur_net::xmldsig::{Placement, Reference, SignatureBuilder, SignatureMethod, XmlDsigError};

use crate::vihf::{NS_SAML2, Vihf};

/// The ORG_SIGN key of `dmp.toml` (PEM): [`segur_net::sign::SoftwareSigner::from_pem`].
pub type PemSigner = segur_net::sign::SoftwareSigner;

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
