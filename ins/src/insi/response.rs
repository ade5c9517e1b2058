//! Parser of the INSi `RESULTAT` (namespace `http://www.cnamts.fr/INSiResultat`) inside a SOAP 1.2
//! envelope: `CR{CodeCR, LibelleCR}`, `INDIVIDU{INSACTIF, INSHISTO*, TIQ}`; and of SOAP 1.2 faults
//! (`siram_NN` subcodes, `siram:Erreur code= severite=`).
//!
//! Hostile input: DTDs are refused, entities are never expanded (only the five XML predefined
//! ones and character references are decoded), the size is bounded.

use crate::error::{InsError, TraitError};
use crate::history::{HistoricalIns, InsHistory};
use crate::ins::{Ins, InsAuthority};
use crate::matricule::Matricule;
use crate::traits::{BirthDate, Traits, TraitsData};
use segur_net::xml::{XmlErrorKind, XmlEvent, XmlLimits, XmlReader};

/// Largest response accepted (bytes). Real INSi responses are a few kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 32;

/// Why a response cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Larger than [`MAX_RESPONSE_BYTES`].
    #[error("response of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Size received.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Malformed XML (byte offset).
    #[error("malformed XML at byte {position}")]
    Xml {
        /// Byte offset.
        position: u64,
    },
    /// A DTD: never read.
    #[error("a DTD is not allowed in an INSi response")]
    Dtd,
    /// Elements nested deeper than the limit.
    #[error("elements nested too deep")]
    TooDeep,
    /// The envelope holds neither a `RESULTAT` nor a SOAP fault.
    #[error("no RESULTAT and no SOAP fault in the response")]
    NoResult,
    /// A mandatory element is missing.
    #[error("missing element {0}")]
    Missing(&'static str),
    /// More than one `INDIVIDU`.
    #[error("more than one INDIVIDU in a response")]
    SeveralIndividuals,
    /// The teleservice answered with a SOAP fault.
    #[error("INSi fault {}: {}", .0.code, .0.message)]
    Fault(Fault),
    /// An INS of the response is invalid (wrong key, unknown OID...).
    #[error("invalid INS in the response: {0}")]
    Ins(#[from] InsError),
}

/// A SOAP 1.2 fault of the teleservice (never patient data).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// The most specific code: `siram:Erreur/@code` (`insi_102`, `DESIR_560`...) or the subcode
    /// value (`siram_40`) or the fault code.
    pub code: String,
    /// `siram:Erreur/@severite` (information, avertissement, erreur, fatale) when given.
    pub severity: Option<String>,
    /// `Reason/Text` or the error text.
    pub message: String,
}

/// One person returned by INSi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Individual {
    /// Active INS and history, or why they are invalid.
    pub history: Result<InsHistory, ResponseError>,
    /// The identity traits (`TIQ`), or why they are invalid.
    pub traits: Result<Traits, TraitError>,
}

/// A `RESULTAT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsiResponse {
    /// `CodeCR`: `00` found, `01` none found, `02` several found.
    pub code: String,
    /// `LibelleCR`.
    pub label: String,
    /// The person, for `00`.
    pub individual: Option<Individual>,
}

#[derive(Default)]
struct RawIns {
    num: String,
    cle: String,
    oid: String,
    start: Option<String>,
    end: Option<String>,
}

#[derive(Default)]
struct RawIndividual {
    active: Option<RawIns>,
    histo: Vec<RawIns>,
    tiq: TraitsData,
    liste_prenom: Option<String>,
}

/// The hardened reader's limits for an INSi response: [`MAX_RESPONSE_BYTES`], [`MAX_DEPTH`]
/// and the small-SOAP limits of `segur_net::xml` for the rest.
fn limits() -> XmlLimits {
    XmlLimits {
        max_bytes: MAX_RESPONSE_BYTES,
        max_depth: MAX_DEPTH,
        ..XmlLimits::soap_small()
    }
}

impl From<segur_net::xml::XmlError> for ResponseError {
    fn from(e: segur_net::xml::XmlError) -> Self {
        match e.kind {
            XmlErrorKind::TooLarge { size, limit } => Self::TooLarge { size, limit },
            XmlErrorKind::Doctype => Self::Dtd,
            XmlErrorKind::TooDeep { .. } => Self::TooDeep,
            _ => Self::Xml {
                position: e.position,
            },
        }
    }
}

/// The local part of a QName written as text (`siram:siram_40` → `siram_40`).
fn local_text(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

/// Parses an INSi response envelope (or a bare `RESULTAT`).
///
/// The XML is read by the hardened reader of `segur_net::xml` (no DTD, no entity expansion,
/// limits, namespaces checked); elements are then matched by local name.
pub fn parse_response(xml: &[u8]) -> Result<InsiResponse, ResponseError> {
    let reader = XmlReader::new(xml, limits())?;
    let mut stack: Vec<&str> = Vec::new();
    let mut seen_result = false;
    let mut code = None;
    let mut label = String::new();
    let mut individuals: Vec<RawIndividual> = Vec::new();
    let mut fault: Option<Fault> = None;
    for ev in reader {
        match ev? {
            XmlEvent::Start {
                name, attributes, ..
            } => {
                match name.local {
                    "RESULTAT" => seen_result = true,
                    "INDIVIDU" => individuals.push(RawIndividual::default()),
                    "INSACTIF" => {
                        if let Some(i) = individuals.last_mut() {
                            i.active = Some(RawIns::default());
                        }
                    }
                    "INSHISTO" => {
                        if let Some(i) = individuals.last_mut() {
                            i.histo.push(RawIns::default());
                        }
                    }
                    "Fault" => fault = Some(Fault::default()),
                    "Erreur" => {
                        if let Some(f) = fault.as_mut() {
                            for a in attributes {
                                match a.name.local {
                                    "code" => f.code = a.value.into_owned(),
                                    "severite" => f.severity = Some(a.value.into_owned()),
                                    _ => {}
                                }
                            }
                        }
                    }
                    _ => {}
                }
                stack.push(name.local);
            }
            XmlEvent::End { .. } => {
                stack.pop();
            }
            XmlEvent::Text { text, .. } => {
                let text = text.trim_matches([' ', '\t', '\n', '\r']);
                if text.is_empty() {
                    continue;
                }
                let text = text.to_owned();
                let leaf = stack.last().copied().unwrap_or_default();
                let parent = stack.iter().rev().nth(1).copied().unwrap_or_default();
                let in_ = |n: &str| stack.contains(&n);
                if let Some(f) = fault.as_mut() {
                    match (parent, leaf) {
                        ("Subcode", "Value") if f.code.is_empty() || !in_("Detail") => {
                            f.code = local_text(&text).to_owned()
                        }
                        ("Reason", "Text") if f.message.is_empty() => f.message = text,
                        (_, "Erreur") => f.message = text,
                        _ => {}
                    }
                    continue;
                }
                match leaf {
                    "CodeCR" => code = Some(text),
                    "LibelleCR" => label = text,
                    _ => {
                        let Some(ind) = individuals.last_mut() else {
                            continue;
                        };
                        let target = if in_("INSHISTO") {
                            ind.histo.last_mut()
                        } else if in_("INSACTIF") {
                            ind.active.as_mut()
                        } else {
                            None
                        };
                        if let Some(r) = target {
                            match leaf {
                                "NumIdentifiant" => r.num = text,
                                "Cle" => r.cle = text,
                                "OID" => r.oid = text,
                                "DateDeb" => r.start = Some(text),
                                "DateFin" => r.end = Some(text),
                                _ => {}
                            }
                        } else if in_("TIQ") {
                            match leaf {
                                "NomNaissance" => ind.tiq.birth_name = text,
                                "ListePrenom" => ind.liste_prenom = Some(text),
                                "Sexe" => ind.tiq.sex = text,
                                "DateNaissance" => ind.tiq.birth_date = text,
                                "LieuNaissance" => ind.tiq.birth_place = Some(text),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(f) = fault {
        return Err(ResponseError::Fault(f));
    }
    if !seen_result {
        return Err(ResponseError::NoResult);
    }
    let code = code.ok_or(ResponseError::Missing("CodeCR"))?;
    if individuals.len() > 1 {
        return Err(ResponseError::SeveralIndividuals);
    }
    let individual = individuals.pop().map(|raw| Individual {
        history: history_of(&raw),
        traits: traits_of(raw),
    });
    Ok(InsiResponse {
        code,
        label,
        individual,
    })
}

fn ins_of(r: &RawIns) -> Result<Ins, ResponseError> {
    let authority = InsAuthority::from_oid(&r.oid)?;
    let matricule = Matricule::from_insi_parts(&r.num, &r.cle).map_err(InsError::from)?;
    Ok(Ins::new(matricule, authority))
}

fn date_of(s: &Option<String>) -> Option<BirthDate> {
    s.as_deref().and_then(|d| BirthDate::parse(d).ok())
}

fn history_of(raw: &RawIndividual) -> Result<InsHistory, ResponseError> {
    let active = ins_of(
        raw.active
            .as_ref()
            .ok_or(ResponseError::Missing("INSACTIF"))?,
    )?;
    let historical = raw
        .histo
        .iter()
        .map(|h| {
            Ok(HistoricalIns {
                ins: ins_of(h)?,
                start: date_of(&h.start),
                end: date_of(&h.end),
            })
        })
        .collect::<Result<Vec<_>, ResponseError>>()?;
    Ok(InsHistory { active, historical })
}

fn traits_of(mut raw: RawIndividual) -> Result<Traits, TraitError> {
    // ListePrenom is the ordered list; the first given name is its first element (FR Core).
    let liste = raw.liste_prenom.take().unwrap_or_default();
    raw.tiq.given_names = liste
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Traits::from_data(&raw.tiq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_with_siram_detail() {
        let xml = br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>siram:siram_40</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">erreur technique</soap:Text></soap:Reason><soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="insi_102" severite="fatale">Erreur technique</siram:Erreur></soap:Detail></soap:Fault></soap:Body></soap:Envelope>"#;
        let Err(ResponseError::Fault(f)) = parse_response(xml) else {
            panic!("fault expected")
        };
        assert_eq!(f.code, "insi_102");
        assert_eq!(f.severity.as_deref(), Some("fatale"));
    }

    #[test]
    fn dtd_and_size_are_refused() {
        let xml = b"<!DOCTYPE x [<!ENTITY a \"b\">]><RESULTAT>&a;</RESULTAT>";
        assert_eq!(parse_response(xml), Err(ResponseError::Dtd));
        let big = vec![b' '; MAX_RESPONSE_BYTES + 1];
        assert!(matches!(
            parse_response(&big),
            Err(ResponseError::TooLarge { .. })
        ));
        assert!(matches!(
            parse_response(b"<a><b></a>"),
            Err(ResponseError::Xml { .. })
        ));
    }

    #[test]
    fn hostile_xml_is_refused_by_the_shared_reader() {
        // An undeclared entity: refused at its byte offset, never expanded.
        let xml = b"<RESULTAT><CR><CodeCR>&x;</CodeCR></CR></RESULTAT>";
        assert_eq!(
            parse_response(xml),
            Err(ResponseError::Xml { position: 22 })
        );
        // An unbound prefix.
        let xml = b"<s:Envelope><RESULTAT/></s:Envelope>";
        assert_eq!(parse_response(xml), Err(ResponseError::Xml { position: 0 }));
        // Nesting deeper than the INSi limit.
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse_response(deep.as_bytes()), Err(ResponseError::TooDeep));
        // A CDATA section is text like any other.
        let xml = b"<RESULTAT><CR><CodeCR><![CDATA[01]]></CodeCR><LibelleCR>x</LibelleCR></CR></RESULTAT>";
        assert_eq!(parse_response(xml).map(|r| r.code), Ok("01".to_owned()));
    }
}
