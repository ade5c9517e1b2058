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
