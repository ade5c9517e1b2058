//! SOAP 1.2 requests of the INSi teleservice (WSDL `DESIR_ICIR_EXP_1.5.0`, operation
//! `rechercherInsAvecTraitsIdentite`): WS-Addressing `Action` and `MessageID`, `ctxlps:ContexteLPS`
//! (`Nature="CTXLPS" Version="01_00"`), `ctxbam:ContexteBAM` (`Version="01_02"`, empty
//! `COUVERTURE` for a traits search) and the `RECSANSVITALE` body.
//!
//! The `wsse:Security` header carries the SAML "assertion PS" in CPx mode; in mutual-TLS mode
//! there is no assertion (SEL-MP-043 §3.2), which is the mode this crate implements. Each header
//! element declares its own namespaces so that it is a self-contained XML fragment.

use crate::traits::{BirthDate, BirthPlace, Sex, Traits};
use quick_xml::escape::escape;
use std::fmt::Write as _;

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

fn el(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", escape(text));
}

/// The SOAP 1.2 envelope of `rechercherInsAvecTraitsIdentite`.
pub fn search_by_traits_envelope(
    software: &SoftwareIdentity,
    query: &TraitsQuery,
    ids: &RequestIds,
) -> String {
    let mut x = String::with_capacity(2048);
    x.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    x.push_str(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>"#,
    );
    let _ = write!(
        x,
        r#"<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">{ACTION_SEARCH_BY_TRAITS}</wsa:Action>"#
    );
    let _ = write!(
        x,
        r#"<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">uuid:{}</wsa:MessageID>"#,
        escape(&ids.message_id)
    );
    x.push_str(r#"<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00">"#);
    el(&mut x, "ctxlps:Id", &ids.context_id);
    el(&mut x, "ctxlps:Temps", &ids.time);
    el(&mut x, "ctxlps:Emetteur", &software.emitter);
    x.push_str("<ctxlps:LPS>");
    let _ = write!(
        x,
        r#"<ctxlps:IDAM R="4">{}</ctxlps:IDAM>"#,
        escape(&software.idam)
    );
    el(&mut x, "ctxlps:Version", &software.version);
    el(&mut x, "ctxlps:Instance", &software.instance);
    el(
        &mut x,
        "ctxlps:Nom",
        &format!("urn:lps:{}:{}", software.name, software.version),
    );
    x.push_str("</ctxlps:LPS></ctxlps:ContexteLPS>");
    x.push_str(r#"<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Nature="CTXBAM" Version="01_02">"#);
    el(&mut x, "ctxbam:Id", &ids.context_id);
    el(&mut x, "ctxbam:Temps", &ids.time);
    el(&mut x, "ctxbam:Emetteur", &software.emitter);
    x.push_str("<ctxbam:COUVERTURE/></ctxbam:ContexteBAM>");
    x.push_str("</soap:Header><soap:Body>");
    x.push_str(r#"<RECSANSVITALE xmlns="http://www.cnamts.fr/INSiRecSans">"#);
    el(&mut x, "NomNaissance", &query.birth_name);
    for p in &query.given_names {
        el(&mut x, "Prenom", p);
    }
    el(&mut x, "Sexe", query.sex.code());
    el(&mut x, "DateNaissance", &query.birth_date.to_string());
    if let Some(place) = &query.birth_place {
        el(&mut x, "LieuNaissance", place.code());
    }
    x.push_str("</RECSANSVITALE></soap:Body></soap:Envelope>");
    x
}
