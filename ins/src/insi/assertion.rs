//! The SAML 2.0 assertion of the INSi `wsse:Security` header (`shared/specs/ins.md`, "SOAP
//! headers"; SEL-MP-043 §3.2 "Renseignement des Assertions et Contextes"):
//!
//! - CPx mode: the **"assertion PS"**, signed by the CPS/CPE card's *signature* key through a
//!   [`Signer`] with an enveloped XML signature ([`segur_net::xmldsig`]);
//! - Pro Santé Connect mode: the same assertion, **unsigned**, with
//!   `NameID NameQualifier="PSC"`.
//!
//! Shape written (SAML 2.0 core §2.3.3 element order, so the assertion validates against the
//! official `saml-schema-assertion-2.0.xsd` of the INSi package):
//!
//! ```text
//! saml:Assertion ID="_<uuid>" IssueInstant Version="2.0"
//!   saml:Issuer                   CPx: Format X509SubjectName, the signing certificate's DN
//!   ds:Signature                  CPx only: right after Issuer, where the SAML schema puts it
//!   saml:Subject/saml:NameID      the professional's national identifier; NameQualifier
//!   saml:Conditions               NotBefore / NotOnOrAfter: the validity window
//!   saml:AttributeStatement       identifiantFacturation, codeSpecialiteAMO, secteurActivite
//! ```
//!
//! What the published sources fix, and what is **TO VERIFY** (each TO VERIFY item is a field of
//! [`AssertionOptions`], so a vendor can follow the GIE SESAM-Vitale guide without a new
//! release):
//! - the three attribute names and the PSC qualifier come from `ins.md` (SEL-MP-043 §3.2) and
//!   the official PSC request example as quoted there;
//! - the Issuer format and value, the `_<uuid>` identifier, the signature algorithms
//!   (RSA-SHA256, exclusive C14N, SHA-256 digest) follow a public client of the qualification
//!   environment; the accepted algorithms are TO VERIFY ([`AssertionOptions::signature_method`]);
//! - the CPx `NameQualifier` value is TO VERIFY ([`AssertionOptions::cpx_name_qualifier`], not
//!   written by default);
//! - the validity window (`Conditions`) is TO VERIFY: the teleservice's tolerance is not
//!   published ([`AssertionOptions::lifetime`], default 5 minutes);
//! - the Issuer of the PSC assertion is TO VERIFY ([`AssertionOptions::psc_issuer`]).

use chrono::{DateTime, SecondsFormat, Utc};
use segur_net::sign::Signer;
use segur_net::xml::{XmlLimits, XmlWriteError, XmlWriter};
use segur_net::xmldsig::{Placement, Reference, SignatureBuilder, SignatureMethod, XmlDsigError};
use std::time::Duration;

/// SAML 2.0 assertion namespace (SAML 2.0 core §2.1).
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// WS-Security 1.0 namespace of the `Security` header (WSDL `DESIR_ICIR_EXP_1.5.0`, part
/// `NO1_Security`).
pub const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// Issuer format of the CPx assertion: X.509 subject name (SAML 2.0 core §8.3.3).
pub const ISSUER_FORMAT_X509: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName";
/// The `NameQualifier` of the Pro Santé Connect assertion (`ins.md`, SEL-MP-043 §3.2).
pub const PSC_NAME_QUALIFIER: &str = "PSC";
/// Attribute: the billing identifier (`identifiantFacturation`).
pub const ATTR_BILLING_ID: &str = "identifiantFacturation";
/// Attribute: the AMO speciality code (`codeSpecialiteAMO`).
pub const ATTR_AMO_SPECIALTY: &str = "codeSpecialiteAMO";
/// Attribute: the activity sector (`secteurActivite`).
pub const ATTR_ACTIVITY_SECTOR: &str = "secteurActivite";

/// Why an assertion could not be made. Never carries the values themselves.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// A required value is empty.
    #[error("assertion: {0} is empty")]
    Empty(&'static str),
    /// A value that must be a code holds something else (letters, digits, `.`, `_`, `-`).
    #[error("assertion: {0} is not a code")]
    NotACode(&'static str),
    /// The signer's certificate is missing or does not parse as X.509 (RFC 5280).
    #[error("assertion: the signing certificate is missing or unreadable")]
    Certificate,
    /// The signer is unusable: another thread panicked while signing with it.
    #[error("assertion: the signer is unusable after a panic in another thread")]
    SignerPoisoned,
    /// The request time (`RequestIds::time`) is not an RFC 3339 date-time.
    #[error("assertion: the request time is not an RFC 3339 date-time")]
    RequestTime,
    /// The validity window is zero or longer than a day.
    #[error("assertion: the validity window must be between 1 second and 24 hours")]
    Lifetime,
    /// A value XML 1.0 cannot carry.
    #[error("assertion: {0}")]
    Xml(#[from] XmlWriteError),
    /// The enveloped signature could not be made (the card refused, an unsupported algorithm).
    #[error("assertion signature: {0}")]
    Signature(#[from] XmlDsigError),
}

/// The health professional the assertion speaks for (SEL-MP-043 §3.2, as `ins.md` reports).
/// Its JSON form (the C API's) is `{"national_id":"…","billing_id":"…","amo_specialty":"…",
/// "activity_sector":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfessionalIdentity {
    /// `NameID`: the national identifier of the professional (the card holder's identifier in
    /// CPx mode; the PSC `SubjectNameID` claim in PSC mode).
    pub national_id: String,
    /// `identifiantFacturation`: FINESS géographique (else SIRET) for an establishment, the AM
    /// billing number for the others (pharmacies, liberal professionals). The guide advises
    /// making it a setting of the software.
    pub billing_id: String,
    /// `codeSpecialiteAMO`: the AMO speciality code (required for doctors).
    pub amo_specialty: String,
    /// `secteurActivite`: the activity sector code.
    pub activity_sector: String,
}

/// Settings of the assertion whose values the published sources do not fix (TO VERIFY: see
/// the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionOptions {
    /// `NotOnOrAfter − NotBefore` (default 5 minutes). TO VERIFY.
    pub lifetime: Duration,
    /// The `NameQualifier` of the CPx `NameID` (default: none written). TO VERIFY.
    pub cpx_name_qualifier: Option<String>,
    /// The XML signature method of the CPx assertion (default RSA-SHA256). TO VERIFY.
    pub signature_method: SignatureMethod,
    /// The `Issuer` text of the PSC assertion (default: none given, the software's
    /// `urn:lps:<name>:<version>` is used by the client). TO VERIFY.
    pub psc_issuer: Option<String>,
}

impl Default for AssertionOptions {
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(300),
            cpx_name_qualifier: None,
            signature_method: SignatureMethod::RsaSha256,
            psc_issuer: None,
        }
    }
}

/// Identifier and time of one assertion (fixed by the caller for reproducible requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionStamp {
    /// `ID` (an `xs:ID`: starts with `_` or a letter; the client writes `_<uuid>`).
    pub id: String,
    /// `IssueInstant`, also `NotBefore`.
    pub issued: DateTime<Utc>,
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn check(
    professional: &ProfessionalIdentity,
    options: &AssertionOptions,
    stamp: &AssertionStamp,
) -> Result<(), AssertionError> {
    if professional.national_id.trim().is_empty() {
        return Err(AssertionError::Empty(
            "NameID (the professional's identifier)",
        ));
    }
    if professional.billing_id.trim().is_empty() {
        return Err(AssertionError::Empty(ATTR_BILLING_ID));
    }
    if !is_code(&professional.amo_specialty) {
        return Err(AssertionError::NotACode(ATTR_AMO_SPECIALTY));
    }
    if !is_code(&professional.activity_sector) {
        return Err(AssertionError::NotACode(ATTR_ACTIVITY_SECTOR));
    }
    if !stamp
        .id
        .starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        || !is_code(&stamp.id)
    {
        return Err(AssertionError::NotACode("the assertion ID"));
    }
    if options.lifetime.is_zero() || options.lifetime > Duration::from_secs(86_400) {
        return Err(AssertionError::Lifetime);
    }
    Ok(())
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Writes the assertion (unsigned). `issuer_format` is written when given.
fn write(
    professional: &ProfessionalIdentity,
    options: &AssertionOptions,
    stamp: &AssertionStamp,
    issuer: &str,
    issuer_format: Option<&str>,
    name_qualifier: Option<&str>,
) -> Result<String, AssertionError> {
    check(professional, options, stamp)?;
    if issuer.trim().is_empty() {
        return Err(AssertionError::Empty("Issuer"));
    }
    let lifetime =
        chrono::Duration::from_std(options.lifetime).map_err(|_| AssertionError::Lifetime)?;
    let issued = instant(stamp.issued);
    let not_on_or_after = instant(stamp.issued + lifetime);
    let mut w = XmlWriter::new();
    w.start(
        "saml:Assertion",
        &[
            ("xmlns:saml", NS_SAML),
            ("ID", &stamp.id),
            ("IssueInstant", &issued),
            ("Version", "2.0"),
        ],
    )?;
    let format: Vec<(&str, &str)> = issuer_format.map(|f| ("Format", f)).into_iter().collect();
    w.element("saml:Issuer", &format, issuer)?;
    w.start("saml:Subject", &[])?;
    let qualifier: Vec<(&str, &str)> = name_qualifier
        .map(|q| ("NameQualifier", q))
        .into_iter()
        .collect();
    w.element("saml:NameID", &qualifier, &professional.national_id)?;
    w.end()?; // Subject
    w.empty(
        "saml:Conditions",
        &[("NotBefore", &issued), ("NotOnOrAfter", &not_on_or_after)],
    )?;
    w.start("saml:AttributeStatement", &[])?;
    for (name, value) in [
        (ATTR_BILLING_ID, &professional.billing_id),
        (ATTR_AMO_SPECIALTY, &professional.amo_specialty),
        (ATTR_ACTIVITY_SECTOR, &professional.activity_sector),
    ] {
        w.start("saml:Attribute", &[("Name", name)])?;
        w.element("saml:AttributeValue", &[], value)?;
        w.end()?;
    }
    w.end()?; // AttributeStatement
    w.end()?; // Assertion
    Ok(w.finish()?)
}

/// The CPx "assertion PS", signed by `signer` (the card's *signature* key: a DMP-side report
/// says a signature made with the authentication key is refused as "not a valid signature
/// certificate", `shared/specs/dmp.md` §2.3). `Issuer` is the subject DN (RFC 2253) of the
/// signer's certificate; the enveloped signature goes right after `Issuer` (SAML 2.0 core
/// §2.3.3), reference `#ID` with the enveloped-signature and exclusive C14N transforms
/// (XML-DSig 1.1 §6.6.4, Exclusive C14N 1.0), the signer's certificate in `KeyInfo`.
pub fn cpx_assertion(
    professional: &ProfessionalIdentity,
    options: &AssertionOptions,
    stamp: &AssertionStamp,
    signer: &mut dyn Signer,
) -> Result<String, AssertionError> {
    let chain = signer.certificate_chain();
    let leaf = chain.first().ok_or(AssertionError::Certificate)?;
    let issuer = segur_net::xmldsig::cert::parse_certificate(leaf)
        .ok_or(AssertionError::Certificate)?
        .subject_rfc2253;
    let unsigned = write(
        professional,
        options,
        stamp,
        &issuer,
        Some(ISSUER_FORMAT_X509),
        options.cpx_name_qualifier.as_deref(),
    )?;
    let signed = SignatureBuilder::new(options.signature_method)
        .reference(Reference::enveloped(&stamp.id))
        .sign_enveloped(
            unsigned.as_bytes(),
            &stamp.id,
            Placement::After {
                namespace: NS_SAML,
                local: "Issuer",
            },
            signer,
            XmlLimits::default(),
        )?;
    String::from_utf8(signed)
        .map_err(|_| AssertionError::Signature(XmlDsigError::Invalid("signed XML is not UTF-8")))
}

/// The unsigned Pro Santé Connect assertion: `NameID NameQualifier="PSC"` and the three
/// attributes (`ins.md`, SEL-MP-043 §3.2). `issuer` is written without a `Format` (TO VERIFY).
pub fn psc_assertion(
    professional: &ProfessionalIdentity,
    options: &AssertionOptions,
    stamp: &AssertionStamp,
    issuer: &str,
) -> Result<String, AssertionError> {
    write(
        professional,
        options,
        stamp,
        issuer,
        None,
        Some(PSC_NAME_QUALIFIER),
    )
}

/// The `wsse:Security` header block holding `assertion` (no Timestamp, no
/// BinarySecurityToken: the official `Security.xsd` of the INSi package allows only SAML
/// assertions in it).
pub fn security_header(assertion: &str) -> Result<String, XmlWriteError> {
    let mut w = XmlWriter::new();
    w.start("wsse:Security", &[("xmlns:wsse", NS_WSSE)])?;
    w.fragment(assertion)?;
    w.end()?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn professional() -> ProfessionalIdentity {
        ProfessionalIdentity {
            national_id: "899700123456".into(),
            billing_id: "2A1234567".into(),
            amo_specialty: "50".into(),
            activity_sector: "SA33".into(),
        }
    }

    fn stamp() -> AssertionStamp {
        AssertionStamp {
            id: "_0b6b1c9e-0000-4000-8000-000000000000".into(),
            issued: DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn psc_assertion_has_the_qualifier_the_attributes_and_the_window() {
        let xml = psc_assertion(
            &professional(),
            &AssertionOptions::default(),
            &stamp(),
            "urn:lps:segur:1.0",
        )
        .unwrap();
        assert!(xml.contains(r#"<saml:NameID NameQualifier="PSC">899700123456</saml:NameID>"#));
        assert!(xml.contains(r#"<saml:Conditions NotBefore="2026-12-06T10:00:00.000Z" NotOnOrAfter="2026-12-06T10:05:00.000Z"/>"#));
        for name in [ATTR_BILLING_ID, ATTR_AMO_SPECIALTY, ATTR_ACTIVITY_SECTOR] {
            assert!(xml.contains(&format!(r#"<saml:Attribute Name="{name}">"#)));
        }
        assert!(!xml.contains("Signature"));
        let header = security_header(&xml).unwrap();
        assert!(header.starts_with("<wsse:Security xmlns:wsse="));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let mut p = professional();
        p.billing_id = " ".into();
        assert!(matches!(
            psc_assertion(&p, &AssertionOptions::default(), &stamp(), "x"),
            Err(AssertionError::Empty(ATTR_BILLING_ID))
        ));
        let mut p = professional();
        p.amo_specialty = "5 0".into();
        assert!(matches!(
            psc_assertion(&p, &AssertionOptions::default(), &stamp(), "x"),
            Err(AssertionError::NotACode(ATTR_AMO_SPECIALTY))
        ));
        let mut s = stamp();
        s.id = "0abc".into();
        assert!(matches!(
            psc_assertion(&professional(), &AssertionOptions::default(), &s, "x"),
            Err(AssertionError::NotACode(_))
        ));
        let options = AssertionOptions {
            lifetime: Duration::ZERO,
            ..AssertionOptions::default()
        };
        assert!(matches!(
            psc_assertion(&professional(), &options, &stamp(), "x"),
            Err(AssertionError::Lifetime)
        ));
        let mut p = professional();
        p.national_id = "8\u{1}9".into();
        assert!(matches!(
            psc_assertion(&p, &AssertionOptions::default(), &stamp(), "x"),
            Err(AssertionError::Xml(XmlWriteError::ForbiddenChar { .. }))
        ));
    }
}
