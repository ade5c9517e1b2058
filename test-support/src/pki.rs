//! The test PKI every harness and test shares: a CA and leaf certificates made at test time
//! with rcgen (server or client extended key usage, optionally expired), as PEM.
#![allow(clippy::unwrap_used)]

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A certificate authority: its certificate and its key, to sign leaves with.
pub struct Ca {
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
}

impl Ca {
    /// The CA certificate as PEM (a trust anchor file).
    pub fn pem(&self) -> String {
        self.cert.pem()
    }
}

/// A self-signed CA named `name` (CN), allowed to sign certificates and CRLs.
pub fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// A leaf certificate and its private key, as PEM.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    /// The certificate as DER (for a `Signer`'s chain).
    pub fn cert_der(&self) -> Vec<u8> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
            .unwrap()
            .to_vec()
    }
}

/// A leaf signed by `ca`: CN `cn`, subject alternative names `sans` (DNS names, or IP
/// addresses when they parse as such), client or server authentication, and, when `expired`,
/// a validity that ended in 2021.
pub fn leaf(ca: &Ca, cn: &str, sans: &[&str], client: bool, expired: bool) -> Leaf {
    leaf_signed_by(&ca.cert, &ca.key, cn, sans, client, expired)
}

/// [`leaf`] for an issuer given as its certificate and key.
pub fn leaf_signed_by(
    issuer: &rcgen::Certificate,
    issuer_key: &KeyPair,
    cn: &str,
    sans: &[&str],
    client: bool,
    expired: bool,
) -> Leaf {
    let mut p =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, issuer, issuer_key).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// An RSA key (PKCS#8 PEM) made by the openssl CLI: ring signs with RSA but cannot generate
/// RSA keys, and the signers of the SDK (a CPS card, `SoftwareSigner`) are RSA.
pub fn rsa_key_pem() -> String {
    let dir = tempfile::tempdir().unwrap();
    crate::openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "k.pem",
        ],
    );
    std::fs::read_to_string(dir.path().join("k.pem")).unwrap()
}

/// A signature certificate shaped like a CPS card's signature certificate (RSA 2048, key usage
/// digitalSignature + nonRepudiation; subject `C=FR, O=<organisation>, CN=<cn>`), issued by
/// `ca`, optionally expired in 2021.
pub fn card_signature_leaf(ca: &Ca, organisation: &str, cn: &str, expired: bool) -> Leaf {
    let key_pem = rsa_key_pem();
    let key = KeyPair::from_pem(&key_pem).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, organisation);
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::ContentCommitment,
    ];
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem,
    }
}
