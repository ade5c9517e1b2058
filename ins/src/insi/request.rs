//! SOAP 1.2 requests of the INSi teleservice (WSDL `DESIR_ICIR_EXP_1.5.0`, operation
//! `rechercherInsAvecTraitsIdentite`): WS-Addressing `Action` and `MessageID`, `ctxlps:ContexteLPS`
//! (`Nature="CTXLPS" Version="01_00"`), `ctxbam:ContexteBAM` (`Version="01_02"`, empty
//! `COUVERTURE` for a traits search) and the `RECSANSVITALE` body.
//!
//! The `wsse:Security` header carries the SAML "assertion PS" in CPx mode and the assertion
//! qualified PSC in Pro Santé Connect mode ([`super::assertion`]); in mutual-TLS mode there is no
//! assertion (SEL-MP-043 §3.2). Each header element declares its own namespaces so that it is a
//! self-contained XML fragment.

use crate::traits::{BirthDate, BirthPlace, Sex, Traits};
use segur_net::xml::{XmlWriteError, XmlWriter};

/// SOAP action of the traits search.
pub const ACTION_SEARCH_BY_TRAITS: &str =
    "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite";

/// The LPS (logiciel) identity sent in `ContexteLPS` (values given by the CNDA at homologation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareIdentity {
    /// CNDA authorisation number (`IDAM`, sent with `R="4"`).
    pub idam: String,
    /// Software version.
    pub version: String,
    /// Software name, sent as `urn:lps:<name>:<version>`.
    pub name: String,
    /// Installation instance (a UUID stable per installation).
    pub instance: String,
    /// `Emetteur`: the structure or workstation identifier.
    pub emitter: String,
}

/// A traits search (`RECSANSVITALE`). `given_names` are sent as repeated `Prenom`; the CNDA search
/// strategy sends one prénom per query, then the full list joined with spaces.
#[derive(Clone, PartialEq, Eq)]
pub struct TraitsQuery {
    /// Nom de naissance (INSi profile).
    pub birth_name: String,
    /// Prénom(s) to send.
    pub given_names: Vec<String>,
    /// Sexe.
    pub sex: Sex,
    /// Date de naissance.
    pub birth_date: BirthDate,
    /// Lieu de naissance (optional in the request).
    pub birth_place: Option<BirthPlace>,
}

impl std::fmt::Debug for TraitsQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraitsQuery(<redacted>)")
    }
}

impl TraitsQuery {
    /// A query with the first given name only (first step of the CNDA strategy).
    pub fn from_traits(t: &Traits, given_names: Vec<String>, with_birth_place: bool) -> Self {
        Self {
            birth_name: t.birth_name().expose().to_owned(),
            given_names,
            sex: t.sex(),
            birth_date: *t.birth_date(),
            birth_place: if with_birth_place {
                t.birth_place().copied()
            } else {
                None
            },
        }
    }
}

/// Identifiers and clock of one request (UUIDs and `Temps`), so requests are reproducible in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIds {
    /// WS-Addressing MessageID (a UUID, sent as `uuid:<uuid>`).
    pub message_id: String,
    /// `ContexteLPS/Id` and `ContexteBAM/Id` (a UUID).
    pub context_id: String,
    /// `Temps`, an `xsd:dateTime` in UTC (`2026-11-22T10:00:00.000Z`).
    pub time: String,
}

const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const CTXLPS: &str = "urn:siram:lps:ctxlps";
const CTXBAM: &str = "urn:siram:bam:ctxbam";
const INSI_REC_SANS: &str = "http://www.cnamts.fr/INSiRecSans";

/// The SOAP 1.2 envelope of `rechercherInsAvecTraitsIdentite`, written with the SDK's one
/// escaping writer ([`XmlWriter`]): every value is escaped (XML 1.0 §2.4, §3.3.3), and a value
/// holding a character XML 1.0 cannot carry (NUL, other C0 controls, U+FFFE/U+FFFF, §2.2) is
/// refused with its offset, never written or stripped.
pub fn search_by_traits_envelope(
    software: &SoftwareIdentity,
    query: &TraitsQuery,
    ids: &RequestIds,
) -> Result<String, XmlWriteError> {
    search_by_traits_envelope_with_security(software, query, ids, None)
}

/// The same envelope with a `wsse:Security` header block (from
/// [`super::assertion::security_header`]) after `ContexteBAM`, inserted byte for byte after the
/// hardened reader checked it is one well-formed element (the signature of a CPx assertion
/// covers its exact bytes).
pub fn search_by_traits_envelope_with_security(
    software: &SoftwareIdentity,
    query: &TraitsQuery,
    ids: &RequestIds,
    security: Option<&str>,
) -> Result<String, XmlWriteError> {
    let mut w = XmlWriter::with_declaration();
    w.start("soap:Envelope", &[("xmlns:soap", SOAP12)])?;
    w.start("soap:Header", &[])?;
    // Each header element declares its own namespaces: a self-contained fragment.
    w.element("wsa:Action", &[("xmlns:wsa", WSA)], ACTION_SEARCH_BY_TRAITS)?;
    w.element(
        "wsa:MessageID",
        &[("xmlns:wsa", WSA)],
        &format!("uuid:{}", ids.message_id),
    )?;
    w.start(
        "ctxlps:ContexteLPS",
        &[
            ("xmlns:ctxlps", CTXLPS),
            ("Nature", "CTXLPS"),
            ("Version", "01_00"),
        ],
    )?;
    w.element("ctxlps:Id", &[], &ids.context_id)?;
    w.element("ctxlps:Temps", &[], &ids.time)?;
    w.element("ctxlps:Emetteur", &[], &software.emitter)?;
    w.start("ctxlps:LPS", &[])?;
    w.element("ctxlps:IDAM", &[("R", "4")], &software.idam)?;
    w.element("ctxlps:Version", &[], &software.version)?;
    w.element("ctxlps:Instance", &[], &software.instance)?;
    w.element(
        "ctxlps:Nom",
        &[],
        &format!("urn:lps:{}:{}", software.name, software.version),
    )?;
    w.end()?; // ctxlps:LPS
    w.end()?; // ctxlps:ContexteLPS
    w.start(
        "ctxbam:ContexteBAM",
        &[
            ("xmlns:ctxbam", CTXBAM),
            ("Nature", "CTXBAM"),
            ("Version", "01_02"),
        ],
    )?;
    w.element("ctxbam:Id", &[], &ids.context_id)?;
    w.element("ctxbam:Temps", &[], &ids.time)?;
    w.element("ctxbam:Emetteur", &[], &software.emitter)?;
    w.empty("ctxbam:COUVERTURE", &[])?;
    w.end()?; // ctxbam:ContexteBAM
    if let Some(security) = security {
        w.fragment(security)?;
    }
    w.end()?; // soap:Header
    w.start("soap:Body", &[])?;
    w.start("RECSANSVITALE", &[("xmlns", INSI_REC_SANS)])?;
    w.element("NomNaissance", &[], &query.birth_name)?;
    for p in &query.given_names {
        w.element("Prenom", &[], p)?;
    }
    w.element("Sexe", &[], query.sex.code())?;
    w.element("DateNaissance", &[], &query.birth_date.to_string())?;
    if let Some(place) = &query.birth_place {
        w.element("LieuNaissance", &[], place.code())?;
    }
    w.end()?; // RECSANSVITALE
    w.end()?; // soap:Body
    w.end()?; // soap:Envelope
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::{BirthDate, Sex};

    fn software(emitter: &str) -> SoftwareIdentity {
        SoftwareIdentity {
            idam: "IDAM<&>".into(),
            version: "1.0".into(),
            name: "segur".into(),
            instance: "5f0c1a52-0000-4000-8000-000000000000".into(),
            emitter: emitter.into(),
        }
    }

    fn query() -> TraitsQuery {
        TraitsQuery {
            birth_name: "D'ARTAGNAN".into(),
            given_names: vec!["JEAN".into(), "MARIE".into()],
            sex: Sex::Male,
            birth_date: BirthDate::parse("1980-03-02").unwrap(),
            birth_place: None,
        }
    }

    fn ids() -> RequestIds {
        RequestIds {
            message_id: "0b6b1c9e-0000-4000-8000-000000000000".into(),
            context_id: "1c6b1c9e-0000-4000-8000-000000000000".into(),
            time: "2026-11-22T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn values_are_escaped_and_the_envelope_reads_back() {
        let xml = search_by_traits_envelope(&software("poste & co"), &query(), &ids()).unwrap();
        assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope"#));
        assert!(xml.contains(r#"<ctxlps:IDAM R="4">IDAM&lt;&amp;&gt;</ctxlps:IDAM>"#));
        assert!(xml.contains("<ctxlps:Emetteur>poste &amp; co</ctxlps:Emetteur>"));
        assert!(xml.contains("<NomNaissance>D'ARTAGNAN</NomNaissance>"));
        assert!(xml.contains("<Prenom>JEAN</Prenom><Prenom>MARIE</Prenom>"));
        assert!(xml.contains("<ctxbam:COUVERTURE/>"));
        // The hardened reader accepts it (well-formed, every prefix bound).
        segur_net::xml::XmlReader::new(xml.as_bytes(), segur_net::xml::XmlLimits::default())
            .and_then(segur_net::xml::XmlReader::check)
            .unwrap();
    }

    #[test]
    fn a_character_xml_cannot_carry_is_refused_with_its_offset() {
        let err =
            search_by_traits_envelope(&software("poste\u{1}1"), &query(), &ids()).unwrap_err();
        assert_eq!(
            err,
            XmlWriteError::ForbiddenChar {
                code_point: 1,
                offset: 5
            }
        );
    }
}
