//! Fast Rust-side checks mirroring the kit's schematron asserts that apply to the documents of
//! a pharmacy (structuration minimale, VAC-NOTE 2023.01, N1/XDS-SD). Every finding cites the
//! rule it mirrors. Run it before every send; the official kit stays the reference in CI.
//!
//! # Agreement with the kit
//!
//! `tests/kit_differential.rs` mutates the kit's pharmacy samples (VAC-NOTE, N1, eDISP-MED,
//! BIO-TROD; elements dropped, duplicated, nulled; codes, dates, ids, prefixes, function codes,
//! `realmCode` placement altered) and requires, rule by rule, the verdict of [`validate`] to
//! equal the kit's (ANS testContenuCDA: `ASIP-STRUCT-MIN-StrucMin.sch`, and
//! `CI-SIS_VAC-NOTE_2023.01.sch` on VAC-NOTE).
//!
//! Compared with the kit, rule by rule:
//! - every `ClinicalDocument` cardinality of SMDS_CDAClinicalDocument
//!   ([`DOCUMENT_CARDINALITIES`]: realmCode FR, typeId, the three templateId kinds, id, code,
//!   title, effectiveTime, confidentialityCode, languageCode, setId, versionNumber,
//!   recordTarget, author, dataEnterer, custodian, legalAuthenticator with signatureCode S,
//!   documentationOf, relatedDocument RPLC, componentOf, component);
//! - `ClinicalDocument/code` from JDV_J07 and `confidentialityCode` from HL7 Confidentiality
//!   (the kit compares `@code` tokens only);
//! - family-name qualifiers BR/CL (CI-SISRecordTarget), name prefixes from JDV_J245 in every
//!   header participation, author and participant `functionCode` from JDV_J47, DTr1_II
//!   dtr1-12-II [RIM-002] on the header identifiers, `encompassingEncounter/effectiveTime`
//!   1..1 (low, high, value or nullFlavor), `realmCode` outside `ClinicalDocument` (a closed
//!   template warning: [`Severity::Warning`]);
//! - E_Vaccination_VAC-Note: negationInd, effectiveTime of 8 characters, CIS code, ATC
//!   translation, lot number, entry author.
//!
//! Mirrored but not compared (the kit spreads them over datatype or per-template asserts the
//! test does not map one to one): INS traits, patient id 1..*, author time, id and JDV_J01 code,
//! custodian id, legalAuthenticator time, id and JDV_J04, serviceEvent low and JDV_J04,
//! encounter JDV_J142 and JDV_J02, languageCode `fr-FR`, effectiveTime to the second with a
//! zone, parentDocument id, nonXMLBody templateIds and media type, the VAC-NOTE header and
//! section rules, the IVL_TS digits of the vaccination date.
//!
//! Not kit rules (stricter, from the DMP integration guide, never compared): the full
//! code/codeSystem/displayName triplet of the document type, CIS and ATC display names, a
//! non-empty lot number, confidentiality N/R/V, the INS key (modulo 97).
//!
//! Kit rules `validate` does not check at all: the XSD (`CDA_extended.xsd`), DTr1 datatype
//! rules (TS, CD, II syntax and dtr1-18-CD [RIM-002] on coded elements), the closed-template
//! warnings other than `realmCode`, telecom and address formats, the other participations'
//! cardinalities (informant, informationRecipient, participant, authenticator,
//! inFulfillmentOf, authorization), the body of every volet but VAC-NOTE (BIO-TROD, eDISP-MED
//! run only through the kit), IHE.sch and CI-SIS_ModelesDeContenusCDA.sch. Where the kit's own
//! XPath fails on a document (two `low` in an `effectiveTime` make `starts-with()` fail), it
//! gives no verdict to compare.

use std::collections::HashMap;

use serde::Serialize;

use crate::jdv::{
    AuthorSpecialty, Civilite, DocumentType, EncounterType, FunctionCode, HealthcareFacilityType,
    PracticeSetting, ValueSet,
};
use crate::model::Code;
use crate::read::{CdaBody, CdaDocument, CdaError};
use crate::xml::{self, Element, XmlLimits};

/// How the kit reports a rule: an `error` assert fails the document (EX_2.1-1071: a single
/// non-conformity is a rejection), a `warning` assert (the closed templates of the
/// structuration minimale: an element the template does not define) does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The kit fails the document.
    Error,
    /// The kit reports it without failing the document.
    Warning,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule: schematron file and pattern/assert it mirrors.
    pub rule: &'static str,
    /// Error or warning, as the kit's assert is.
    pub severity: Severity,
    /// What is wrong (no patient data).
    pub message: String,
}

impl Finding {
    /// Whether the kit fails a document with this finding.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

struct Acc(Vec<Finding>);

impl Acc {
    fn check(&mut self, ok: bool, rule: &'static str, message: impl Into<String>) {
        if !ok {
            self.0.push(Finding {
                rule,
                severity: Severity::Error,
                message: message.into(),
            });
        }
    }

    fn warn(&mut self, ok: bool, rule: &'static str, message: impl Into<String>) {
        if !ok {
            self.0.push(Finding {
                rule,
                severity: Severity::Warning,
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

/// The kit's value-set check of a coded element (ART-DECOR `theAttValue`): every
/// space-separated token of `@code`, when present, is a code of the value set; the code system
/// is not compared (the DMP's triplet rule is separate).
fn kit_code_in<T: ValueSet>(e: &Element<'_>) -> bool {
    e.attr("code").is_none_or(|c| {
        c.split_whitespace()
            .all(|t| T::all().iter().any(|m| m.code() == t))
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

/// A cardinality of a `ClinicalDocument` child, as the structuration minimale's
/// SMDS_CDAClinicalDocument template asserts it (`count(EXPR) >= min`, `count(EXPR) <= max`).
pub struct Cardinality {
    /// The element as the kit's assert text writes it (`hl7:title[not(@nullFlavor)]`).
    pub element: &'static str,
    /// The rule of the finding (`StrucMin SMDS_CDAClinicalDocument: element ...`).
    pub rule: &'static str,
    /// Minimum count.
    pub min: usize,
    /// Maximum count, when bounded.
    pub max: Option<usize>,
    matches: fn(&Element<'_>) -> bool,
}

/// The SMDS_CDAClinicalDocument cardinalities (ASIP-STRUCT-MIN 1.2.250.1.213.1.1.1.1), in the
/// kit's order. A child element counts when it satisfies the bracketed predicates.
pub const DOCUMENT_CARDINALITIES: &[Cardinality] = &[
    Cardinality {
        element: "hl7:realmCode[@code = 'FR']",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:realmCode[@code = 'FR']",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "realmCode" && e.attr("code") == Some("FR"),
    },
    Cardinality {
        element: "hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']",
        min: 1,
        max: Some(1),
        matches: |e| {
            e.name == "typeId"
                && e.attr("root") == Some("2.16.840.1.113883.1.3")
                && e.attr("extension") == Some("POCD_HD000040")
        },
    },
    Cardinality {
        element: "hl7:templateId[@root='2.16.840.1.113883.2.8.2.1']",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:templateId[@root='2.16.840.1.113883.2.8.2.1']",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "templateId" && e.attr("root") == Some("2.16.840.1.113883.2.8.2.1"),
    },
    Cardinality {
        element: "hl7:templateId[@root='1.2.250.1.213.1.1.1.1']",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:templateId[@root='1.2.250.1.213.1.1.1.1']",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "templateId" && e.attr("root") == Some("1.2.250.1.213.1.1.1.1"),
    },
    Cardinality {
        element: "hl7:templateId[not(@root='1.2.250.1.213.1.1.1.1') and not(@root='2.16.840.1.113883.2.8.2.1')]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:templateId[not(@root='1.2.250.1.213.1.1.1.1') and not(@root='2.16.840.1.113883.2.8.2.1')]",
        min: 1,
        max: None,
        matches: |e| {
            e.name == "templateId"
                && e.attr("root") != Some("1.2.250.1.213.1.1.1.1")
                && e.attr("root") != Some("2.16.840.1.113883.2.8.2.1")
        },
    },
    Cardinality {
        element: "hl7:id[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:id[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "id" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:code[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:code[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "code" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:title[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:title[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "title" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:effectiveTime[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:effectiveTime[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "effectiveTime" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:confidentialityCode[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:confidentialityCode[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "confidentialityCode" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:languageCode[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:languageCode[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "languageCode" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:setId[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:setId[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "setId" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:versionNumber[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:versionNumber[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "versionNumber" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:recordTarget[not(@nullFlavor)]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:recordTarget[not(@nullFlavor)]",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "recordTarget" && e.attr("nullFlavor").is_none(),
    },
    Cardinality {
        element: "hl7:author[not(@nullFlavor)][hl7:assignedAuthor]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:author[not(@nullFlavor)][hl7:assignedAuthor]",
        min: 1,
        max: None,
        matches: |e| {
            e.name == "author"
                && e.attr("nullFlavor").is_none()
                && e.child("assignedAuthor").is_some()
        },
    },
    Cardinality {
        element: "hl7:dataEnterer",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:dataEnterer",
        min: 0,
        max: Some(1),
        matches: |e| e.name == "dataEnterer",
    },
    Cardinality {
        element: "hl7:custodian[not(@nullFlavor)][hl7:assignedCustodian]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:custodian[not(@nullFlavor)][hl7:assignedCustodian]",
        min: 1,
        max: Some(1),
        matches: |e| {
            e.name == "custodian"
                && e.attr("nullFlavor").is_none()
                && e.child("assignedCustodian").is_some()
        },
    },
    Cardinality {
        element: "hl7:legalAuthenticator[hl7:signatureCode[@code = 'S']]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:legalAuthenticator[hl7:signatureCode[@code = 'S']]",
        min: 1,
        max: Some(1),
        matches: |e| {
            e.name == "legalAuthenticator"
                && e.all("signatureCode").any(|s| s.attr("code") == Some("S"))
        },
    },
    Cardinality {
        element: "hl7:documentationOf[not(@nullFlavor)][hl7:serviceEvent]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:documentationOf[not(@nullFlavor)][hl7:serviceEvent]",
        min: 1,
        max: None,
        matches: |e| {
            e.name == "documentationOf"
                && e.attr("nullFlavor").is_none()
                && e.child("serviceEvent").is_some()
        },
    },
    Cardinality {
        element: "hl7:relatedDocument[@typeCode = 'RPLC'][hl7:parentDocument]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:relatedDocument[@typeCode = 'RPLC'][hl7:parentDocument]",
        min: 0,
        max: Some(1),
        matches: |e| {
            e.name == "relatedDocument"
                && e.attr("typeCode") == Some("RPLC")
                && e.child("parentDocument").is_some()
        },
    },
    Cardinality {
        element: "hl7:componentOf[not(@nullFlavor)][hl7:encompassingEncounter]",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:componentOf[not(@nullFlavor)][hl7:encompassingEncounter]",
        min: 1,
        max: Some(1),
        matches: |e| {
            e.name == "componentOf"
                && e.attr("nullFlavor").is_none()
                && e.child("encompassingEncounter").is_some()
        },
    },
    Cardinality {
        element: "hl7:component",
        rule: "StrucMin SMDS_CDAClinicalDocument: element hl7:component",
        min: 1,
        max: Some(1),
        matches: |e| e.name == "component",
    },
];

/// Validates a CDA. `Err` when it cannot be read at all; `Ok(findings)` otherwise (empty when
/// every mirrored rule holds).
pub fn validate(input: &[u8]) -> Result<Vec<Finding>, CdaError> {
    // One read of the input: the document is taken from a copy of the tree (the reader sets
    // aside the elements of other namespaces; the rules below see the document as written).
    let root = xml::parse(input, &XmlLimits::default())?;
    let doc = crate::read::read_tree(root.clone())?;
    Ok(validate_document(&doc, &root))
}

const SM: &str = "ASIP-STRUCT-MIN-StrucMin";

fn validate_document(doc: &CdaDocument<'_>, root: &Element<'_>) -> Vec<Finding> {
    let h = &doc.header;
    let mut a = Acc(Vec::new());
    let count = |r: &str| h.template_ids.iter().filter(|t| t.root == r).count();
    for c in DOCUMENT_CARDINALITIES {
        let n = root.elements().filter(|e| (c.matches)(e)).count();
        a.check(
            n >= c.min && c.max.is_none_or(|m| n <= m),
            c.rule,
            match c.max {
                Some(m) if n > m => format!("{}: appears {n} times, at most {m}", c.element),
                _ => format!("{}: required at least {} time(s)", c.element, c.min),
            },
        );
    }
    a.check(
        root.all("code").all(|c| kit_code_in::<DocumentType>(c)),
        "StrucMin: code from JDV_J07-XdsTypeCode-CISIS",
        format!(
            "document type {} ({}) is not in JDV_J07",
            h.type_code.code, h.type_code.code_system
        ),
    );
    a.check(
        in_set::<DocumentType>(Some(&h.type_code)),
        "DMP guide §6.1: code/codeSystem/displayName triplet",
        "document type code/codeSystem not in JDV_J07",
    );
    a.check(
        ts_second_zone(h.effective_time.as_deref()),
        "StrucMin: effectiveTime to the second with zone",
        "effectiveTime must be YYYYMMDDhhmmss±hhmm",
    );
    a.check(
        root.all("confidentialityCode")
            .all(|c| kit_code_in::<crate::jdv::Confidentiality>(c)),
        "StrucMin: confidentialityCode from HL7 Confidentiality (2.16.840.1.113883.1.11.10228)",
        "confidentialityCode not in L, M, N, R, U, V",
    );
    a.check(
        h.confidentiality.as_ref().is_none_or(|c| {
            c.code_system == "2.16.840.1.113883.5.25" && ["N", "R", "V"].contains(&c.code.as_str())
        }),
        "DMP guide: confidentialityCode N, R or V",
        "the DMP accepts confidentialityCode N, R or V (2.16.840.1.113883.5.25) only",
    );
    a.check(
        h.language_code.as_deref() == Some("fr-FR"),
        "StrucMin: languageCode fr-FR",
        "languageCode must be fr-FR",
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
        // The kit's assert reads family names only (given names carry BR/CL too, unchecked).
        for n in name.all("name").flat_map(|n| n.all("family")) {
            a.check(
                n.attr("qualifier").is_none_or(|q| q == "BR" || q == "CL"),
                "StrucMin CI-SISRecordTarget: qualifiers BR or CL",
                "patient name qualifier other than BR/CL",
            );
        }
    }
    // Authors.
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
    if let Some(c) = &h.custodian {
        a.check(
            c.id.is_some(),
            "StrucMin CI-SISCustodian: representedCustodianOrganization/id",
            "custodian organisation id missing",
        );
    }
    if let Some(la) = &h.legal_authenticator {
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
    if let Some(se) = h.service_events.first() {
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
    if let Some(e) = &h.encounter {
        a.check(
            e.code.is_none() || in_set::<EncounterType>(e.code.as_ref()),
            "StrucMin CI-SISComponentOf: encompassingEncounter/code from JDV_J142",
            "encounter code not in JDV_J142",
        );
        // 1..1 of the element: `low`, `high`, `value` or a nullFlavor all satisfy it (the
        // kit's eDISP-MED 2024.01 sample holds only `high`).
        a.check(
            root.path("componentOf/encompassingEncounter/effectiveTime")
                .is_some(),
            "StrucMin: encompassingEncounter/effectiveTime 1..1",
            "encounter without effectiveTime",
        );
        a.check(
            in_set::<HealthcareFacilityType>(e.facility_type.as_ref()),
            "StrucMin: healthCareFacility/code from JDV_J02",
            "healthCareFacility code not in JDV_J02",
        );
    }
    for r in &h.related_documents {
        a.check(
            r.parent_id.is_some(),
            "StrucMin: relatedDocument/parentDocument/id",
            "relatedDocument without parent id",
        );
    }
    header_persons(&mut a, root);
    distinct_ids(&mut a, root);
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
            b.size() > 0 || b.reference.is_some(),
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

/// Where the structuration minimale checks `name/prefix` against JDV_J245-Civilite-CISIS
/// (1.2.250.1.213.1.1.5.718): header participation, then the path of the prefixes under it.
const PREFIX_PATHS: &[(&str, &str)] = &[
    ("author", "assignedAuthor/assignedPerson/name/prefix"),
    ("informant", "assignedEntity/assignedPerson/name/prefix"),
    ("informant", "relatedEntity/relatedPerson/name/prefix"),
    (
        "informationRecipient",
        "intendedRecipient/informationRecipient/name/prefix",
    ),
    (
        "legalAuthenticator",
        "assignedEntity/assignedPerson/name/prefix",
    ),
    ("authenticator", "assignedEntity/assignedPerson/name/prefix"),
    (
        "participant",
        "associatedEntity/associatedPerson/name/prefix",
    ),
    (
        "documentationOf",
        "serviceEvent/performer/assignedEntity/assignedPerson/name/prefix",
    ),
    (
        "componentOf",
        "encompassingEncounter/encounterParticipant/assignedEntity/assignedPerson/name/prefix",
    ),
    (
        "componentOf",
        "encompassingEncounter/responsibleParty/assignedEntity/assignedPerson/name/prefix",
    ),
];

/// Whether a header participation is the one the structuration minimale's template describes
/// (the predicates of its rule contexts, e.g. `legalAuthenticator[signatureCode[@code='S']]`).
/// The kit checks a participation's content only then; otherwise it reports the participation
/// itself (a missing or repeated element, an undefined one), never its content.
fn in_template(e: &Element<'_>) -> bool {
    let no_null = e.attr("nullFlavor").is_none();
    match e.name {
        "author" => e.child("assignedAuthor").is_some(),
        "legalAuthenticator" | "authenticator" => {
            e.all("signatureCode").any(|c| c.attr("code") == Some("S"))
        }
        "custodian" => no_null && e.child("assignedCustodian").is_some(),
        "participant" => {
            e.attr("typeCode").is_some()
                && e.all("associatedEntity")
                    .any(|a| a.attr("classCode").is_some())
        }
        "documentationOf" => no_null && e.child("serviceEvent").is_some(),
        "componentOf" => no_null && e.child("encompassingEncounter").is_some(),
        "informationRecipient" => e.child("intendedRecipient").is_some(),
        "recordTarget" => no_null,
        "relatedDocument" => {
            e.attr("typeCode") == Some("RPLC") && e.child("parentDocument").is_some()
        }
        "authorization" => e.child("consent").is_some(),
        "inFulfillmentOf" => e.child("order").is_some(),
        _ => true,
    }
}

/// The header participations named `name` that their template describes ([`in_template`]).
fn participations<'e, 'a>(root: &'e Element<'a>, name: &str) -> Vec<&'e Element<'a>> {
    root.elements()
        .filter(|e| e.name == name && in_template(e))
        .collect()
}

/// Every element reached from `from` through `path`, following all children of each step.
fn descend<'e, 'a>(from: Vec<&'e Element<'a>>, path: &str) -> Vec<&'e Element<'a>> {
    path.split('/').fold(from, |cur, step| {
        cur.into_iter()
            .flat_map(|e| e.elements().filter(move |c| c.name == step))
            .collect()
    })
}

/// The character data of an element as XPath's string value compares it (untrimmed).
fn string_value(e: &Element<'_>) -> String {
    let mut out = String::new();
    for n in &e.children {
        match n {
            xml::Node::Text(t) => out.push_str(t),
            xml::Node::Element(c) => out.push_str(&string_value(c)),
        }
    }
    out
}

/// Header people: civility prefixes (JDV_J245), function codes (JDV_J47), and `realmCode`,
/// which the structuration minimale defines on `ClinicalDocument` only.
fn header_persons(a: &mut Acc, root: &Element<'_>) {
    for (participation, path) in PREFIX_PATHS {
        for prefix in descend(participations(root, participation), path) {
            let v = string_value(prefix);
            a.check(
                Civilite::all().iter().any(|m| m.code() == v),
                "StrucMin CI-SIS persons: name/prefix from JDV_J245-Civilite-CISIS (1.2.250.1.213.1.1.5.718)",
                format!("{participation}: name prefix is not in JDV_J245 (M, MME)"),
            );
        }
    }
    for participation in ["author", "participant"] {
        for fc in descend(participations(root, participation), "functionCode") {
            a.check(
                // Each token of @code (an empty code has none, as the kit tokenizes it).
                fc.attr("code").is_none_or(|c| {
                    c.split_whitespace()
                        .all(|t| FunctionCode::all().iter().any(|m| m.code() == t))
                }),
                "StrucMin CI-SISAuthor/CI-SISParticipant: functionCode from JDV_J47-FunctionCode-CISIS (1.2.250.1.213.1.1.5.124)",
                format!("{participation}/functionCode is not in JDV_J47"),
            );
        }
    }
    for r in root.all("realmCode") {
        a.warn(
            r.attr("code") == Some("FR"),
            "StrucMin closed templates: realmCode only on ClinicalDocument",
            "realmCode other than FR (not defined by the template)",
        );
    }
    for child in root
        .elements()
        .filter(|e| e.name != "component" && in_template(e))
    {
        if has_realm_code(child) {
            a.warn(
                false,
                "StrucMin closed templates: realmCode only on ClinicalDocument",
                format!(
                    "realmCode inside {} (not defined by the template)",
                    child.name
                ),
            );
        }
    }
}

fn has_realm_code(e: &Element<'_>) -> bool {
    e.elements()
        .any(|c| c.name == "realmCode" || has_realm_code(c))
}

/// The header identifiers the structuration minimale types II (DTr1_II), relative to
/// `ClinicalDocument`.
const II_PATHS: &[&str] = &[
    "templateId",
    "id",
    "setId",
    "recordTarget/patientRole/id",
    "recordTarget/patientRole/patient/guardian/id",
    "recordTarget/patientRole/patient/guardian/guardianOrganization/id",
    "author/assignedAuthor/id",
    "author/assignedAuthor/representedOrganization/id",
    "informant/assignedEntity/id",
    "informant/assignedEntity/representedOrganization/id",
    "custodian/assignedCustodian/representedCustodianOrganization/id",
    "informationRecipient/intendedRecipient/templateId",
    "informationRecipient/intendedRecipient/id",
    "informationRecipient/intendedRecipient/receivedOrganization/id",
    "legalAuthenticator/assignedEntity/id",
    "legalAuthenticator/assignedEntity/representedOrganization/id",
    "authenticator/templateId",
    "authenticator/assignedEntity/id",
    "authenticator/assignedEntity/representedOrganization/id",
    "participant/templateId",
    "participant/associatedEntity/id",
    "participant/associatedEntity/scopingOrganization/id",
    "inFulfillmentOf/order/id",
    "documentationOf/serviceEvent/id",
    "documentationOf/serviceEvent/performer/templateId",
    "documentationOf/serviceEvent/performer/assignedEntity/id",
    "documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/id",
    "documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/asOrganizationPartOf/templateId",
    "documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/asOrganizationPartOf/id",
    "relatedDocument/parentDocument/id",
    "authorization/consent/id",
    "componentOf/encompassingEncounter/id",
    "componentOf/encompassingEncounter/responsibleParty/assignedEntity/id",
    "componentOf/encompassingEncounter/responsibleParty/assignedEntity/representedOrganization/id",
    "componentOf/encompassingEncounter/responsibleParty/assignedEntity/representedOrganization/asOrganizationPartOf/templateId",
    "componentOf/encompassingEncounter/responsibleParty/assignedEntity/representedOrganization/asOrganizationPartOf/id",
    "componentOf/encompassingEncounter/encounterParticipant/assignedEntity/id",
    "componentOf/encompassingEncounter/encounterParticipant/assignedEntity/representedOrganization/id",
    "componentOf/encompassingEncounter/location/healthCareFacility/id",
];

/// DTr1_II dtr1-12-II [RIM-002]: sibling identifiers of one name are distinct. An identifier
/// collides with a sibling of the same root when it has no extension, or when both have the
/// same extension (the assert's exact test).
fn distinct_ids(a: &mut Acc, root: &Element<'_>) {
    for path in II_PATHS {
        let (parents, name) = match path.split_once('/') {
            Some((first, rest)) => match rest.rsplit_once('/') {
                Some((p, n)) => (descend(participations(root, first), p), n),
                None => (participations(root, first), rest),
            },
            None => (vec![root], *path),
        };
        for parent in parents {
            // Counted in maps: linear in the number of siblings, whatever their number.
            let mut by_root: HashMap<&str, usize> = HashMap::new();
            let mut by_pair: HashMap<(&str, &str), usize> = HashMap::new();
            for e in parent.all(name) {
                if let Some(r) = e.attr("root") {
                    *by_root.entry(r).or_default() += 1;
                    if let Some(x) = e.attr("extension") {
                        *by_pair.entry((r, x)).or_default() += 1;
                    }
                }
            }
            let clash = parent
                .all(name)
                .any(|e| match (e.attr("root"), e.attr("extension")) {
                    (Some(r), None) => by_root.get(r).is_some_and(|&n| n > 1),
                    (Some(r), Some(x)) => by_pair.get(&(r, x)).is_some_and(|&n| n > 1),
                    (None, _) => false,
                });
            a.check(
                !clash,
                "StrucMin DTr1_II dtr1-12-II [RIM-002]: identifiers distinct",
                format!("{path}: two {name} with the same root and extension"),
            );
        }
    }
}

const VN: &str = "CI-SIS_VAC-NOTE_2023.01";

fn vac_note(a: &mut Acc, doc: &CdaDocument<'_>, root: &Element<'_>) {
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
    // The kit's test: 8 characters and no nullFlavor (`string-length(@value)=8`); that they
    // are digits of a calendar date is the IVL_TS rule, a separate finding.
    let et = sa.child("effectiveTime");
    let value = et.and_then(|e| e.attr("value"));
    a.check(
        value.is_some_and(|v| v.chars().count() == 8)
            && et.is_some_and(|e| e.attr("nullFlavor").is_none()),
        "E_Vaccination_VAC-Note: effectiveTime AAAAMMJJ",
        "vaccination date must be exactly AAAAMMJJ",
    );
    a.check(
        value.is_none_or(|v| v.chars().count() != 8 || v.bytes().all(|b| b.is_ascii_digit())),
        "CI-SIS IVL_TS: vaccination date digits",
        "vaccination date is not made of digits",
    );
    let material = sa.path("consumable/manufacturedProduct/manufacturedMaterial");
    let cis = material.map_or(Vec::new(), |m| {
        m.all("code")
            .filter(|c| c.attr("codeSystem") == Some("1.2.250.1.213.2.3.1"))
            .collect()
    });
    a.check(
        !cis.is_empty(),
        "E_Vaccination_VAC-Note: vaccine CIS code",
        "vaccine must be coded in CIS (1.2.250.1.213.2.3.1)",
    );
    a.check(
        cis.iter().all(|c| c.attr("displayName").is_some()),
        "DMP guide §6.1: vaccine CIS code displayName",
        "the vaccine CIS code needs a displayName",
    );
    let atc: Vec<&Element<'_>> = material.map_or(Vec::new(), |m| {
        m.all("code")
            .flat_map(|c| c.all("translation"))
            .filter(|t| t.attr("codeSystem") == Some("2.16.840.1.113883.6.73"))
            .collect()
    });
    a.check(
        !atc.is_empty(),
        "E_Vaccination_VAC-Note: ATC translation",
        "vaccine needs an ATC translation",
    );
    a.check(
        atc.iter().all(|t| t.attr("displayName").is_some()),
        "DMP guide §6.1: vaccine ATC displayName",
        "the vaccine ATC translation needs a displayName",
    );
    let lot = material.and_then(|m| m.child("lotNumberText"));
    a.check(
        lot.is_some(),
        "E_Vaccination_VAC-Note: numéro de lot obligatoire",
        "lotNumberText is mandatory",
    );
    a.check(
        lot.is_none_or(|l| !l.text().is_empty()),
        "DMP guide §6.1: lot number not empty",
        "lotNumberText is empty",
    );
    a.check(
        sa.child("author").is_some(),
        "E_Vaccination_VAC-Note: author 1..1",
        "the vaccination entry needs an author",
    );
}
