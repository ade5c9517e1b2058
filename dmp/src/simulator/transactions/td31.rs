//! TD3.1, RegistryStoredQuery (ITI-18; `shared/specs/dmp.md` §6, §11.1 items 4 and 8).
//!
//! FindDocuments (`$XDSDocumentEntryPatientId` and `$XDSDocumentEntryStatus` required; type,
//! class, format, confidentiality, practice-setting and facility codes; creation and service
//! times) and GetDocuments (`$XDSDocumentEntryUniqueId` or `$XDSDocumentEntryEntryUUID`).
//! `returnType` LeafClass (full entries) or ObjectRef. A document masked to professionals is
//! returned to its author only; the patient must be the VIHF's; INDIRECTE mode gets references
//! only (FI-526 note 5, §1.2).

use segur_net::xml::{Element, XmlWriteError, XmlWriter};

use super::{Answer, Request, gate, status, write_errors, write_failed};
use crate::simulator::ebrim::{QUERY_NS, RIM_NS, RS_NS, slot_values, write_entry};
use crate::simulator::refusal::{Refusal, RegistryError, codes};
use crate::simulator::registry::{EntryStatus, PatientKey, StoredEntry};
use crate::simulator::vihf::Mode;
use crate::simulator::{REPOSITORY_UNIQUE_ID, Shared};
use segur_dmp_cda::model::Code;

/// FindDocuments (IHE ITI TF-2a §3.18.4.1.2.3.7.1).
pub const FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
/// GetDocuments (ITI TF-2a §3.18.4.1.2.3.7.5).
pub const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";

/// The values of a stored-query parameter: `'a'`, `('a','b')`, several `Value`s (ITI TF-2a
/// §3.18.4.1.2.3.5: strings quoted, lists in parentheses).
fn parameter(query: &Element<'_>, name: &str) -> Result<Option<Vec<String>>, Refusal> {
    let raw = slot_values(query, name);
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Refusal::registry_at(
            codes::STORED_QUERY_PARAM,
            "a stored-query parameter value is malformed",
            name,
        )
    };
    let mut out = Vec::new();
    for v in raw {
        let v = v.trim();
        let inner = match v.strip_prefix('(') {
            Some(rest) => rest.strip_suffix(')').ok_or_else(bad)?,
            None => v,
        };
        let mut chars = inner.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            match chars.peek() {
                None => break,
                Some('\'') => {
                    chars.next();
                    let mut s = String::new();
                    loop {
                        match chars.next() {
                            // '' is an escaped quote inside a string.
                            Some('\'') if chars.next_if_eq(&'\'').is_some() => s.push('\''),
                            Some('\'') => break,
                            Some(c) => s.push(c),
                            None => return Err(bad()),
                        }
                    }
                    out.push(s);
                }
                Some(_) => {
                    let s: String = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
                    out.push(s.trim().to_owned());
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            match chars.next() {
                None => break,
                Some(',') => {}
                Some(_) => return Err(bad()),
            }
        }
    }
    Ok(Some(out))
}

/// `code^^scheme` matches a code (the scheme when given).
fn code_matches(wanted: &[String], codes: &[&Code]) -> bool {
    wanted.iter().any(|w| {
        let mut parts = w.split('^');
        let code = parts.next().unwrap_or_default();
        let scheme = parts.nth(1).filter(|s| !s.is_empty());
        codes
            .iter()
            .any(|c| c.code == code && scheme.is_none_or(|s| s == c.code_system))
    })
}

/// DTM comparison at the precision of the shorter value (ITI TF-3 Table 4.2.3.1.7-2).
fn time_cmp(value: &str, bound: &str) -> std::cmp::Ordering {
    let n = value.len().min(bound.len());
    value.as_bytes().get(..n).cmp(&bound.as_bytes().get(..n))
}

/// The codes of an entry a code parameter filters on.
type CodesOf = fn(&StoredEntry) -> Vec<&Code>;
/// The time of an entry a time parameter bounds.
type TimeOf = fn(&StoredEntry) -> Option<&str>;

struct Filters {
    statuses: Vec<EntryStatus>,
    codes: Vec<(Vec<String>, CodesOf)>,
    times: Vec<(String, bool, TimeOf)>,
}

impl Filters {
    fn accept(&self, e: &StoredEntry) -> bool {
        self.statuses.contains(&e.status)
            && self.codes.iter().all(|(w, get)| code_matches(w, &get(e)))
            && self.times.iter().all(|(bound, from, get)| match get(e) {
                None => false,
                Some(t) if *from => time_cmp(t, bound).is_ge(),
                Some(t) => time_cmp(t, bound).is_lt(),
            })
    }
}

fn one(values: Option<Vec<String>>, name: &str) -> Result<Option<String>, Refusal> {
    match values {
        None => Ok(None),
        Some(v) if v.len() == 1 => Ok(v.into_iter().next()),
        Some(_) => Err(Refusal::registry_at(
            codes::STORED_QUERY_PARAM,
            "the parameter takes a single value",
            name,
        )),
    }
}

fn find_documents(query: &Element<'_>, patient: &PatientKey) -> Result<Filters, Refusal> {
    let pid = one(
        parameter(query, "$XDSDocumentEntryPatientId")?,
        "$XDSDocumentEntryPatientId",
    )?
    .ok_or_else(|| {
        Refusal::registry_at(
            codes::STORED_QUERY_PARAM,
            "FindDocuments requires $XDSDocumentEntryPatientId",
            "$XDSDocumentEntryPatientId",
        )
    })?;
    if PatientKey::from_cx(&pid).as_ref() != Some(patient) {
        return Err(Refusal::registry(
            codes::PATIENT_ID_DOES_NOT_MATCH,
            "$XDSDocumentEntryPatientId differs from the VIHF resource-id",
        ));
    }
    let statuses = parameter(query, "$XDSDocumentEntryStatus")?.ok_or_else(|| {
        Refusal::registry_at(
            codes::STORED_QUERY_PARAM,
            "FindDocuments requires $XDSDocumentEntryStatus",
            "$XDSDocumentEntryStatus",
        )
    })?;
    let statuses = statuses
        .iter()
        .map(|s| {
            EntryStatus::from_urn(s).ok_or_else(|| {
                Refusal::registry_at(
                    codes::STORED_QUERY_PARAM,
                    "unknown status URN",
                    "$XDSDocumentEntryStatus",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut codes_f: Vec<(Vec<String>, CodesOf)> = Vec::new();
    let code_params: [(&str, CodesOf); 6] = [
        ("$XDSDocumentEntryTypeCode", |e| {
            e.entry.type_code.iter().collect()
        }),
        ("$XDSDocumentEntryClassCode", |e| {
            e.entry.class_code.iter().collect()
        }),
        ("$XDSDocumentEntryFormatCode", |e| {
            e.entry.format_code.iter().collect()
        }),
        ("$XDSDocumentEntryConfidentialityCode", |e| {
            e.entry.confidentiality.iter().collect()
        }),
        ("$XDSDocumentEntryPracticeSettingCode", |e| {
            e.entry.practice_setting.iter().collect()
        }),
        ("$XDSDocumentEntryHealthcareFacilityTypeCode", |e| {
            e.entry.healthcare_facility_type.iter().collect()
        }),
    ];
    for (name, get) in code_params {
        if let Some(v) = parameter(query, name)? {
            codes_f.push((v, get));
        }
    }
    let mut times: Vec<(String, bool, TimeOf)> = Vec::new();
    let time_params: [(&str, bool, TimeOf); 6] = [
        ("$XDSDocumentEntryCreationTimeFrom", true, |e| {
            e.entry.creation_time.as_deref()
        }),
        ("$XDSDocumentEntryCreationTimeTo", false, |e| {
            e.entry.creation_time.as_deref()
        }),
        ("$XDSDocumentEntryServiceStartTimeFrom", true, |e| {
            e.entry.service_start_time.as_deref()
        }),
        ("$XDSDocumentEntryServiceStartTimeTo", false, |e| {
            e.entry.service_start_time.as_deref()
        }),
        ("$XDSDocumentEntryServiceStopTimeFrom", true, |e| {
            e.entry.service_stop_time.as_deref()
        }),
        ("$XDSDocumentEntryServiceStopTimeTo", false, |e| {
            e.entry.service_stop_time.as_deref()
        }),
    ];
    for (name, from, get) in time_params {
        if let Some(v) = one(parameter(query, name)?, name)? {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Refusal::registry_at(
                    codes::STORED_QUERY_PARAM,
                    "a time parameter is not an HL7 DTM",
                    name,
                ));
            }
            times.push((v, from, get));
        }
    }
    Ok(Filters {
        statuses,
        codes: codes_f,
        times,
    })
}

fn write_response(
    entries: &[StoredEntry],
    leaf: bool,
    errors: &[RegistryError],
) -> Result<String, XmlWriteError> {
    let mut w = XmlWriter::new();
    let st = if errors.is_empty() {
        status::SUCCESS
    } else {
        status::FAILURE
    };
    let total = entries.len().to_string();
    let mut attrs = vec![
        ("xmlns:query", QUERY_NS),
        ("xmlns:rim", RIM_NS),
        ("xmlns:rs", RS_NS),
        ("status", st),
    ];
    if errors.is_empty() {
        attrs.push(("startIndex", "0"));
        attrs.push(("totalResultCount", &total));
    }
    w.start("query:AdhocQueryResponse", &attrs)?;
    write_errors(&mut w, errors)?;
    w.start("rim:RegistryObjectList", &[])?;
    for e in entries {
        if leaf {
            write_entry(&mut w, e, REPOSITORY_UNIQUE_ID)?;
        } else {
            w.empty("rim:ObjectRef", &[("id", &e.entry.entry_uuid)])?;
        }
    }
    w.end()?;
    w.end()?;
    w.finish()
}

/// The failure response for `errors`.
pub(super) fn failure(errors: &[RegistryError]) -> Result<String, XmlWriteError> {
    write_response(&[], true, errors)
}

pub(super) fn handle(req: &Request<'_, '_>, shared: &Shared) -> Result<Answer, Refusal> {
    let body = req
        .envelope
        .body_content()
        .filter(|b| b.name.is(QUERY_NS, "AdhocQueryRequest"))
        .ok_or_else(|| {
            Refusal::registry(
                codes::REGISTRY_ERROR,
                "the body is not an AdhocQueryRequest",
            )
        })?;
    let leaf = match body
        .child(QUERY_NS, "ResponseOption")
        .and_then(|o| o.attribute("returnType"))
    {
        Some("LeafClass") => true,
        Some("ObjectRef") => false,
        _ => {
            return Err(Refusal::registry(
                codes::REGISTRY_ERROR,
                "ResponseOption returnType is neither LeafClass nor ObjectRef",
            ));
        }
    };
    let query = body
        .child(RIM_NS, "AdhocQuery")
        .ok_or_else(|| Refusal::registry(codes::REGISTRY_ERROR, "no rim:AdhocQuery"))?;
    gate(req, shared, true)?;
    if leaf && req.vihf.mode == Mode::Indirecte {
        return Err(Refusal::registry(
            codes::NOT_ALLOWED,
            "INDIRECTE mode may search document references only (returnType ObjectRef, FI-526)",
        ));
    }
    let patient = &req.vihf.patient;
    let professional = req.vihf.professional.as_str();
    let found: Vec<StoredEntry> = match query.attribute("id") {
        Some(FIND_DOCUMENTS) => {
            let filters = find_documents(query, patient)?;
            shared.with_registry(|r| {
                r.entries_of(patient)
                    .filter(|e| e.visible_to(professional) && filters.accept(e))
                    .cloned()
                    .collect()
            })
        }
        Some(GET_DOCUMENTS) => {
            let unique = parameter(query, "$XDSDocumentEntryUniqueId")?;
            let uuids = parameter(query, "$XDSDocumentEntryEntryUUID")?;
            if unique.is_some() == uuids.is_some() {
                return Err(Refusal::registry(
                    codes::STORED_QUERY_PARAM,
                    "GetDocuments takes $XDSDocumentEntryUniqueId or $XDSDocumentEntryEntryUUID",
                ));
            }
            shared.with_registry(|r| {
                let by_unique = unique.iter().flatten().filter_map(|u| r.latest(u));
                let by_uuid = uuids.iter().flatten().filter_map(|u| r.by_entry_uuid(u));
                by_unique
                    .chain(by_uuid)
                    .filter(|e| &e.patient == patient && e.visible_to(professional))
                    .cloned()
                    .collect()
            })
        }
        _ => {
            return Err(Refusal::registry(
                codes::UNKNOWN_STORED_QUERY,
                "the stored query is not FindDocuments or GetDocuments",
            ));
        }
    };
    Ok(Answer::Soap(
        write_response(&found, leaf, &[]).map_err(write_failed)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use segur_net::xml::{XmlLimits, parse_tree};

    fn values(xml_value: &str) -> Result<Option<Vec<String>>, Refusal> {
        let xml = format!(
            "<q xmlns='{RIM_NS}'><Slot name='p'><ValueList><Value>{xml_value}</Value></ValueList></Slot></q>"
        );
        let tree = parse_tree(xml.as_bytes(), XmlLimits::default()).unwrap();
        parameter(&tree, "p")
    }

    #[test]
    fn stored_query_values() {
        assert_eq!(values("'a^^b'").unwrap(), Some(vec!["a^^b".to_owned()]));
        assert_eq!(
            values("('x', 'y''z')").unwrap(),
            Some(vec!["x".to_owned(), "y'z".to_owned()])
        );
        assert_eq!(
            values("20240101").unwrap(),
            Some(vec!["20240101".to_owned()])
        );
        assert!(values("('x'").is_err());
        assert!(values("'x").is_err());
        assert!(values("'x' 'y'").is_err());
    }

    #[test]
    fn dtm_bounds_compare_at_common_precision() {
        assert!(time_cmp("20240105", "2024").is_eq());
        assert!(time_cmp("20240105120000", "20240106").is_lt());
    }
}
