//! Fast Rust-side checks mirroring the kit's schematron asserts that apply to the documents of
//! a pharmacy (structuration minimale, VAC-NOTE 2023.01, N1/XDS-SD). Every finding cites the
//! rule it mirrors. Run it before every send; the official kit stays the reference in CI.

use serde::Serialize;

use crate::jdv::{
    AuthorSpecialty, DocumentType, EncounterType, HealthcareFacilityType, PracticeSetting, ValueSet,
};
use crate::model::Code;
use crate::read::{CdaBody, CdaDocument, CdaError};
use crate::xml::{self, Element, XmlLimits};

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule: schematron file and pattern/assert it mirrors.
    pub rule: &'static str,
    /// What is wrong (no patient data).
    pub message: String,
}

struct Acc(Vec<Finding>);

impl Acc {
    fn check(&mut self, ok: bool, rule: &'static str, message: impl Into<String>) {
        if !ok {
            self.0.push(Finding {
                rule,
                message: message.into(),
            });
        }
    }
}

/// Membership by code and code system, as the kit's schematrons check it.
fn in_set<T: ValueSet>(c: Option<&Code>) -> bool {
    c.is_some_and(|c| {
        T::all()
            .iter()
            .any(|m| m.code() == c.code && m.code_system() == c.code_system)
    })
}

fn ts_second_zone(v: Option<&str>) -> bool {
    let Some(v) = v else { return false };
    let Some(i) = v.find(['+', '-']) else {
        return false;
    };
    let (d, z) = v.split_at(i);
    // Byte-wise: a non-ASCII character is simply not a digit (no slicing of text at offsets).
    d.len() >= 14
        && d.bytes().take(14).all(|b| b.is_ascii_digit())
        && z.len() == 5
        && z.bytes().skip(1).all(|b| b.is_ascii_digit())
}

/// Validates a CDA. `Err` when it cannot be read at all; `Ok(findings)` otherwise (empty when
/// every mirrored rule holds).
pub fn validate(input: &[u8]) -> Result<Vec<Finding>, CdaError> {
    let doc = crate::read::read(input)?;
    let root = xml::parse(input, &XmlLimits::default())?;
    Ok(validate_document(&doc, &root))
}

const SM: &str = "ASIP-STRUCT-MIN-StrucMin";

fn validate_document(doc: &CdaDocument, root: &Element<'_>) -> Vec<Finding> {
    let h = &doc.header;
    let mut a = Acc(Vec::new());
    a.check(
        h.realm.as_deref() == Some("FR"),
        "StrucMin: realmCode 1..1 = FR",
        "realmCode must be FR",
    );
    let count = |r: &str| h.template_ids.iter().filter(|t| t.root == r).count();
    a.check(
        count("2.16.840.1.113883.2.8.2.1") == 1,
        "StrucMin: templateId 2.16.840.1.113883.2.8.2.1 1..1",
        "HL7 France templateId missing or repeated",
    );
    a.check(
        count("1.2.250.1.213.1.1.1.1") == 1,
        "StrucMin: templateId 1.2.250.1.213.1.1.1.1 1..1",
        "CI-SIS templateId missing or repeated",
    );
    a.check(
        h.template_ids.len() >= 3,
        "StrucMin: at least one volet or XDS-SD templateId",
        "no volet templateId",
    );
    a.check(
        DocumentType::all()
            .iter()
            .any(|m| m.code() == h.type_code.code && m.code_system() == h.type_code.code_system),
        "StrucMin: code from JDV_J07-XdsTypeCode-CISIS",
        format!(
            "document type {} ({}) is not in JDV_J07",
            h.type_code.code, h.type_code.code_system
        ),
    );
    a.check(
        in_set::<DocumentType>(Some(&h.type_code)),
        "DMP guide §6.1: code/codeSystem/displayName triplet",
        "document type displayName differs from JDV_J07",
    );
    a.check(
        h.title.as_deref().is_some_and(|t| !t.trim().is_empty()),
        "StrucMin: title 1..1",
        "title missing or empty",
    );
    a.check(
        ts_second_zone(h.effective_time.as_deref()),
        "StrucMin: effectiveTime to the second with zone",
        "effectiveTime must be YYYYMMDDhhmmss±hhmm",
    );
    a.check(
        h.confidentiality.as_ref().is_some_and(|c| {
            c.code_system == "2.16.840.1.113883.5.25" && ["N", "R", "V"].contains(&c.code.as_str())
        }),
        "StrucMin: confidentialityCode (DMP: N, R, V)",
        "confidentialityCode must be N, R or V (2.16.840.1.113883.5.25)",
    );
    a.check(
        h.language_code.as_deref() == Some("fr-FR"),
        "StrucMin: languageCode fr-FR",
        "languageCode must be fr-FR",
    );
    a.check(h.set_id.is_some(), "StrucMin: setId 1..1", "setId missing");
    a.check(
        h.version_number.is_some(),
        "StrucMin: versionNumber 1..1",
        "versionNumber missing",
    );
    // Patient and INS traits.
    let p = &h.patient;
    a.check(
        !p.ids.is_empty(),
        "StrucMin: patientRole/id 1..*",
        "no patient identifier",
    );
    for ins in p.ins_ids() {
        a.check(
            segur_ins::Ins::from_parts(ins.extension.expose(), &ins.root).is_ok(),
            "CI-SIS INS: matricule and key",
            "INS matricule invalid for its OID",
        );
        a.check(
            p.birth_name.is_some(),
            "StrucMin CI-SISRecordTarget: INS traits",
            "INS without family[@qualifier='BR']",
        );
        a.check(
            p.first_given_name.is_some(),
            "StrucMin CI-SISRecordTarget: INS traits",
            "INS without given[@qualifier='BR']",
        );
        a.check(
            p.given_names.is_some(),
            "StrucMin CI-SISRecordTarget: INS traits",
            "INS without the list of given names",
        );
        a.check(
            p.birth_time.is_some(),
            "StrucMin CI-SISRecordTarget: INS traits",
            "INS without birthTime",
        );
        a.check(
            p.gender.is_some(),
            "StrucMin CI-SISRecordTarget: INS traits",
            "INS without administrativeGenderCode",
        );
        a.check(
            p.birthplace_cog.is_some(),
            "StrucMin CI-SISRecordTarget: INS traits",
            "INS without birthplace county (COG)",
        );
    }
    if let Some(name) = root.path("recordTarget/patientRole/patient") {
        for n in name.all("name").flat_map(|n| n.elements()) {
            a.check(
                n.attr("qualifier").is_none_or(|q| q == "BR" || q == "CL"),
                "StrucMin CI-SISRecordTarget: qualifiers BR or CL",
                "patient name qualifier other than BR/CL",
            );
        }
    }
    // Authors.
    a.check(!h.authors.is_empty(), "StrucMin: author 1..*", "no author");
    for au in &h.authors {
        a.check(
            au.time.is_some(),
            "StrucMin: author/time 1..1",
            "author without time",
        );
        if au.software.is_none() {
            a.check(
                au.id.as_ref().is_some_and(|i| i.extension.is_some()),
                "StrucMin: assignedAuthor/id root+extension",
                "author id without extension",
            );
            a.check(
                in_set::<AuthorSpecialty>(au.code.as_ref()),
                "StrucMin: assignedAuthor/code from JDV_J01",
                "author code not in JDV_J01 (code/system/displayName)",
            );
        }
    }
    a.check(
        h.custodian.as_ref().is_some_and(|c| c.id.is_some()),
        "StrucMin: custodian 1..1 with id",
        "custodian organisation id missing",
    );
    match &h.legal_authenticator {
        Some(la) => {
            a.check(
                la.signature_code.as_deref() == Some("S"),
                "StrucMin: legalAuthenticator/signatureCode = S",
                "signatureCode must be S",
            );
            a.check(
                la.time.is_some(),
                "StrucMin: legalAuthenticator/time 1..1",
                "legalAuthenticator without time",
            );
            a.check(
                la.id.is_some(),
                "StrucMin: legalAuthenticator/assignedEntity/id",
                "legalAuthenticator without id",
            );
            if let Some(ps) = la
                .organization
                .as_ref()
                .and_then(|o| o.practice_setting.as_ref())
            {
                a.check(
                    in_set::<PracticeSetting>(Some(ps)),
                    "StrucMin: legalAuthenticator/.../standardIndustryClassCode from JDV_J04",
                    "legalAuthenticator practice setting not in JDV_J04",
                );
            }
        }
        None => a.check(
            false,
            "StrucMin: legalAuthenticator 1..1",
            "legalAuthenticator missing",
        ),
    }
    match h.service_events.first() {
        Some(se) => {
            a.check(
                se.low.is_some(),
                "StrucMin: serviceEvent/effectiveTime/low 1..1",
                "serviceEvent without effectiveTime/low",
            );
            a.check(
                in_set::<PracticeSetting>(se.practice_setting.as_ref()),
                "StrucMin: performer/.../standardIndustryClassCode from JDV_J04",
                "serviceEvent performer practice setting missing or not in JDV_J04",
            );
        }
        None => a.check(
            false,
            "StrucMin: documentationOf/serviceEvent 1..*",
            "no serviceEvent",
        ),
    }
    match &h.encounter {
        Some(e) => {
            a.check(
                e.code.is_none() || in_set::<EncounterType>(e.code.as_ref()),
                "StrucMin CI-SISComponentOf: encompassingEncounter/code from JDV_J142",
                "encounter code not in JDV_J142",
            );
            a.check(
                e.low.is_some(),
                "StrucMin: encompassingEncounter/effectiveTime 1..1",
                "encounter without effectiveTime",
            );
            a.check(
                in_set::<HealthcareFacilityType>(e.facility_type.as_ref()),
                "StrucMin: healthCareFacility/code from JDV_J02",
                "healthCareFacility code not in JDV_J02",
            );
        }
        None => a.check(
            false,
            "StrucMin: componentOf/encompassingEncounter 1..1",
            "encompassingEncounter missing",
        ),
    }
    for r in &h.related_documents {
        a.check(
            r.parent_id.is_some(),
            "StrucMin: relatedDocument/parentDocument/id",
            "relatedDocument without parent id",
        );
    }
    if let CdaBody::NonXml(b) = &doc.body {
        a.check(
            h.template_ids.len() == 3 && count(crate::xds::TEMPLATE_XDS_SD) == 1,
            "StrucMin: nonXMLBody => exactly 3 templateIds incl. XDS-SD 1.3.6.1.4.1.19376.1.2.20",
            "a nonXMLBody document needs exactly HL7 France, CI-SIS and XDS-SD templateIds",
        );
        a.check(
            crate::xds::format_code_for_media_type(&b.media_type).is_some(),
            "StrucMin: nonXMLBody/text/@mediaType (ASS_A12)",
            format!("unsupported mediaType {}", b.media_type),
        );
        a.check(
            !b.bytes.is_empty() || b.reference.is_some(),
            "StrucMin: nonXMLBody/text",
            "empty nonXMLBody",
        );
    }
    if h.template_ids
        .iter()
        .any(|t| t.root == crate::build::vac_note::TEMPLATE)
    {
        vac_note(&mut a, doc, root);
    }
    a.0
}

const VN: &str = "CI-SIS_VAC-NOTE_2023.01";

fn vac_note(a: &mut Acc, doc: &CdaDocument, root: &Element<'_>) {
    let h = &doc.header;
    let _ = (SM, VN);
    a.check(
        h.template_ids
            .iter()
            .filter(|t| {
                t.root == "1.2.250.1.213.1.1.1.46" && t.extension.as_deref() == Some("2023.01")
            })
            .count()
            == 1,
        "CI-SIS_VAC-NOTE_2023.01: templateId 1.2.250.1.213.1.1.1.46 ext 2023.01 (EX_2.1-2035)",
        "VAC-NOTE must declare volet version 2023.01 exactly once",
    );
    a.check(
        h.type_code.code == "87273-9" && h.type_code.code_system == "2.16.840.1.113883.6.1",
        "CI-SIS_VAC-NOTE_2023.01: code 87273-9 LOINC",
        "document code must be 87273-9",
    );
    a.check(
        h.patient.birth_time.is_some(),
        "CI-SIS_VAC-NOTE_2023.01: patient/birthTime 1..1",
        "patient birthTime missing",
    );
    let sections: Vec<&Element<'_>> = root
        .path("component/structuredBody")
        .map(|b| {
            b.all("component")
                .filter_map(|c| c.child("section"))
                .collect()
        })
        .unwrap_or_default();
    a.check(
        sections.len() == 1,
        "CI-SIS_VAC-NOTE_2023.01: one FR-Vaccinations section",
        "exactly one section expected",
    );
    let Some(section) = sections.first() else {
        return;
    };
    a.check(
        section.path("code").and_then(|c| c.attr("code")) == Some("11369-6"),
        "CI-SIS_VAC-NOTE_2023.01: section code 11369-6",
        "section code must be 11369-6",
    );
    let entries: Vec<&Element<'_>> = section
        .all("entry")
        .filter_map(|e| e.child("substanceAdministration"))
        .filter(|s| {
            s.all("templateId")
                .any(|t| t.attr("root") == Some("1.3.6.1.4.1.19376.1.5.3.1.4.12"))
        })
        .collect();
    a.check(
        entries.len() == 1,
        "E_Vaccination_VAC-Note: count(FR-Vaccination) = 1",
        "exactly one vaccination per note",
    );
    let Some(sa) = entries.first() else { return };
    a.check(
        sa.attr("negationInd").is_none_or(|n| n == "false"),
        "E_Vaccination_VAC-Note: negationInd absent or false",
        "negationInd must be absent or false",
    );
    a.check(
        sa.path("effectiveTime")
            .and_then(|e| e.attr("value"))
            .is_some_and(|v| v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())),
        "E_Vaccination_VAC-Note: effectiveTime AAAAMMJJ",
        "vaccination date must be exactly AAAAMMJJ",
    );
    let material = sa.path("consumable/manufacturedProduct/manufacturedMaterial");
    let code = material.and_then(|m| m.child("code"));
    a.check(
        code.and_then(|c| c.attr("codeSystem")) == Some("1.2.250.1.213.2.3.1")
            && code.and_then(|c| c.attr("displayName")).is_some(),
        "E_Vaccination_VAC-Note: vaccine CIS code with displayName",
        "vaccine must be coded in CIS (1.2.250.1.213.2.3.1) with a displayName",
    );
    a.check(
        code.is_some_and(|c| {
            c.all("translation").any(|t| {
                t.attr("codeSystem") == Some("2.16.840.1.113883.6.73")
                    && t.attr("displayName").is_some()
            })
        }),
        "E_Vaccination_VAC-Note: ATC translation",
        "vaccine needs an ATC translation with a displayName",
    );
    a.check(
        material
            .and_then(|m| m.child("lotNumberText"))
            .is_some_and(|l| !l.text().is_empty()),
        "E_Vaccination_VAC-Note: numéro de lot obligatoire",
        "lotNumberText is mandatory",
    );
    a.check(
        sa.child("author").is_some(),
        "E_Vaccination_VAC-Note: author 1..1",
        "the vaccination entry needs an author",
    );
}
