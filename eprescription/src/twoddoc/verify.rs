//! 2D-Doc signature verification with caller-supplied certificates.
//!
//! Procedure of the 2D-Doc specification §5.1 and *Processus 2D-Doc* v1.2 §1.2.3: the leaf
//! certificate is the one whose subject CN is the header's certificate id, issued by the
//! authority whose CN is the header's authority id; it must be valid at the header's
//! signature date; the signature (raw `r‖s`, §3.5.2) is verified over the signed bytes as
//! read.
//!
//! Out of scope here, and the caller's job: fetching certificates from the ANTS trust list
//! (TSL) and the authorities' directories, chain building and revocation (CRL) checks. The
//! hash for P-384 keys is SHA-384 as in the known implementations; the specification read does
//! not state it (**TO VERIFY** with a real P-384 code). RSA leaf certificates (3 exist) are
//! refused: the specification defines no RSA scheme.

use super::TwoDDoc;
use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate};
use std::collections::HashMap;
use x509_cert::der::{Decode, asn1::ObjectIdentifier};

const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

#[derive(Debug, Clone)]
enum Key {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

#[derive(Debug, Clone)]
struct Trusted {
    key: Key,
    not_before: NaiveDate,
    not_after: NaiveDate,
}

/// Leaf certificates the caller trusts, keyed by (authority id, certificate id).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    certs: HashMap<(String, String), Trusted>,
    skip_validity_period: bool,
}

fn common_name(name: &x509_cert::name::Name) -> Option<String> {
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == OID_CN {
                let v = &atv.value;
                if let Ok(s) = v.decode_as::<x509_cert::der::asn1::Utf8StringRef<'_>>() {
                    return Some(s.as_str().to_owned());
                }
                if let Ok(s) = v.decode_as::<x509_cert::der::asn1::PrintableStringRef<'_>>() {
                    return Some(s.as_str().to_owned());
                }
            }
        }
    }
    None
}

fn to_date(t: &x509_cert::time::Time) -> Option<NaiveDate> {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).ok()?;
    DateTime::from_timestamp(secs, 0).map(|d| d.date_naive())
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Skips the validity-period check. Only for the specification's test certificate
    /// (FR00/0001, valid 2012-2015 while its reference codes were signed later, spec §16.1);
    /// never in production.
    pub fn skip_validity_period_check(&mut self) -> &mut Self {
        self.skip_validity_period = true;
        self
    }

    /// Adds a DER leaf certificate, keyed by its issuer CN (authority id) and subject CN
    /// (certificate id), as the 2D-Doc directories publish them.
    pub fn add_certificate_der(&mut self, der: &[u8]) -> Result<(String, String)> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Error::Certificate("not a DER X.509 certificate"))?;
        let tbs = &cert.tbs_certificate;
        let ca = common_name(&tbs.issuer).ok_or(Error::Certificate("issuer has no CN"))?;
        let id = common_name(&tbs.subject).ok_or(Error::Certificate("subject has no CN"))?;
        self.insert(ca.clone(), id.clone(), &cert)?;
        Ok((ca, id))
    }

    /// Adds a DER certificate under explicit ids (for directories whose CNs differ).
    pub fn add_certificate_der_as(&mut self, ca_id: &str, cert_id: &str, der: &[u8]) -> Result<()> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| Error::Certificate("not a DER X.509 certificate"))?;
        self.insert(ca_id.to_owned(), cert_id.to_owned(), &cert)
    }

    fn insert(&mut self, ca: String, id: String, cert: &x509_cert::Certificate) -> Result<()> {
        let tbs = &cert.tbs_certificate;
        let spki = &tbs.subject_public_key_info;
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as().ok())
            .ok_or(Error::Certificate(
                "public key is not an EC key on a named curve",
            ))?;
        let point = spki.subject_public_key.raw_bytes();
        let key = if curve == OID_P256 {
            Key::P256(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| Error::Certificate("invalid P-256 public key"))?,
            )
        } else if curve == OID_P384 {
            Key::P384(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| Error::Certificate("invalid P-384 public key"))?,
            )
        } else {
            return Err(Error::Certificate("curve is neither P-256 nor P-384"));
        };
        let not_before =
            to_date(&tbs.validity.not_before).ok_or(Error::Certificate("bad notBefore"))?;
        let not_after =
            to_date(&tbs.validity.not_after).ok_or(Error::Certificate("bad notAfter"))?;
        self.certs.insert(
            (ca, id),
            Trusted {
                key,
                not_before,
                not_after,
            },
        );
        Ok(())
    }

    /// Number of certificates held.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// Verifies the signature of `doc` with the store's certificate for its authority and
/// certificate ids, at the header's signature date.
pub fn verify(doc: &TwoDDoc<'_>, store: &TrustStore) -> Result<()> {
    use p256::ecdsa::signature::Verifier;
    let h = &doc.header;
    let trusted = store
        .certs
        .get(&(h.ca_id.clone(), h.cert_id.clone()))
        .ok_or_else(|| Error::UnknownCertificate {
            ca_id: h.ca_id.clone(),
            cert_id: h.cert_id.clone(),
        })?;
    if !store.skip_validity_period {
        match h.signature_date {
            Some(d) if d >= trusted.not_before && d <= trusted.not_after => {}
            _ => return Err(Error::CertificateNotValidAtSignatureDate),
        }
    }
    let data = doc.signed_data();
    let ok = match &trusted.key {
        Key::P256(k) => p256::ecdsa::Signature::from_slice(&doc.signature)
            .map(|s| k.verify(data, &s).is_ok())
            .unwrap_or(false),
        Key::P384(k) => p384::ecdsa::Signature::from_slice(&doc.signature)
            .map(|s| k.verify(data, &s).is_ok())
            .unwrap_or(false),
    };
    if ok { Ok(()) } else { Err(Error::BadSignature) }
}
