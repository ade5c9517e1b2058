//! Dispensation de médicaments, volet eDISP-MED 2024.01 (CI-SIS; templateId
//! 1.2.250.1.213.1.1.1.54 ext 2024.01, IHE Pharm DIS 1.3.6.1.4.1.19376.1.9.1.1.3, LOINC 60593-1).
//!
//! One FR-Dispensation-medicaments section (1.2.250.1.213.1.1.2.236, LOINC 60590-7) with one
//! FR-Traitement-dispense entry (IHE DispenseItemEntry 1.3.6.1.4.1.19376.1.9.1.3.4, CI-SIS
//! 1.2.250.1.213.1.1.3.204) per dispensed line: narrative, quantity, product (CIP 13, lot,
//! expiry, ATC generic), and the optional FR-Reference-item-prescription, FR-Instructions-au-patient,
//! FR-Notes-du-dispensateur and FR-Acte-substitution entries, modelled on the official sample
//! `ExemplesCDA/eDISP-MED_2024.01.xml` and checked by `CI-SIS_eDISP-MED_2024.01.sch`.
//!
//! Not offered (not certain enough to be conformant by construction): FR-Instructions-au-dosage
//! (modified posology: SXPR_TS frequencies), magistral preparations, the pharmaceutical form
//! (EDQM), active ingredients, the prescriber participant and the section author.

use serde::{Deserialize, Serialize};

use super::BuildError;
use super::header::{self, DocKind, Header, Timestamp};
use super::xw::Xw;
use crate::jdv::{SubstitutionCode, ValueSet};
use crate::model::{Code, InstanceId};

/// The volet version this builder produces.
pub const VERSION: &str = "2024.01";
/// Volet templateId (eDISP-MED).
pub const TEMPLATE: &str = "1.2.250.1.213.1.1.1.54";
/// IHE Pharm DIS document templateId (eDISP-MED header schematron: mandatory).
pub const TEMPLATE_IHE_DIS: &str = "1.3.6.1.4.1.19376.1.9.1.1.3";

/// Namespace of the IHE Pharmacy extensions (`pharm:`) of `CDA_extended.xsd`.
const PHARM_NS: &str = "urn:ihe:pharm:medication";

/// EDQM packaging term "Boîte" (30009000), the quantity unit of the official sample.
const UNIT_BOX: &str = "30009000";

/// A dispensed medicinal product, identified by its CIP 13 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DispensedProduct {
    /// CIP 13 (code system 1.2.250.1.213.2.3.2), 13 digits.
    pub cip13: String,
    /// Label of the presentation (brand name, strength, form, package), as on the CIP record.
    pub label: String,
    /// Lot number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// Expiry date, `YYYYMMDD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// Generic equivalent: ATC code (2.16.840.1.113883.6.73) and its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atc: Option<(String, String)>,
}

/// One dispensed line (FR-Traitement-dispense).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DispensedItem {
    /// Entry id; a fresh `2.25` OID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<InstanceId>,
    /// The product.
    pub product: DispensedProduct,
    /// Number of boxes dispensed (EDQM 30009000 "Boîte"), at least 1.
    pub boxes: u32,
    /// Id of the prescription line served (FR-Reference-item-prescription), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription_item: Option<InstanceId>,
    /// Substitution made (JDV_HL7_ActSubstanceAdminSubstitutionCode-CISIS: `G` generic, `N` none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution: Option<SubstitutionCode>,
    /// Instructions to the patient (FR-Instructions-au-patient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_instructions: Option<String>,
    /// Dispenser's notes (FR-Notes-du-dispensateur).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispenser_notes: Option<String>,
}

/// Input of an eDISP-MED 2024.01 document: the dispensed lines of a prescription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dispensation2024_01 {
    /// Header (the author is the dispensing pharmacist).
    pub header: Header,
    /// When the medicines were dispensed (serviceEvent/effectiveTime/low).
    pub dispensed_at: Timestamp,
    /// `id` of the prescription served (inFulfillmentOf/order, and the external document of
    /// each prescription line reference), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription: Option<InstanceId>,
    /// The dispensed lines (1..*).
    pub items: Vec<DispensedItem>,
}

fn non_empty(field: &'static str, s: &str) -> Result<(), BuildError> {
    if s.trim().is_empty() {
        Err(BuildError::Missing(field))
    } else {
        Ok(())
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let m = s[4..6].parse::<u32>().unwrap_or(0);
    let d = s[6..8].parse::<u32>().unwrap_or(0);
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

impl Dispensation2024_01 {
    /// Checks the inputs the types cannot.
    pub fn check(&self) -> Result<(), BuildError> {
        if self.items.is_empty() {
            // CI-SIS_eDISP-MED S_dispensationMedicaments: FR-Traitement-dispense [1..*].
            return Err(BuildError::Missing("items (1..*)"));
        }
        for it in &self.items {
            let p = &it.product;
            if p.cip13.len() != 13 || !p.cip13.bytes().all(|c| c.is_ascii_digit()) {
                return Err(BuildError::Invalid {
                    field: "item.product.cip13",
                    reason: "a CIP code has 13 digits".into(),
                });
            }
            non_empty("item.product.label", &p.label)?;
            if let Some(l) = &p.lot {
                non_empty("item.product.lot", l)?;
            }
            if let Some(e) = &p.expiry
                && !is_date(e)
            {
                return Err(BuildError::Invalid {
                    field: "item.product.expiry",
                    reason: format!("{e:?} is not YYYYMMDD"),
                });
            }
            if let Some((code, label)) = &p.atc {
                non_empty("item.product.atc code", code)?;
                non_empty("item.product.atc label", label)?;
            }
            if it.boxes == 0 {
                // E_dispensationMedicament: quantity [1..1]; nothing dispensed is no line.
                return Err(BuildError::Invalid {
                    field: "item.boxes",
                    reason: "at least one box is dispensed".into(),
                });
            }
            if let Some(s) = &it.patient_instructions {
                non_empty("item.patientInstructions", s)?;
            }
            if let Some(s) = &it.dispenser_notes {
                non_empty("item.dispenserNotes", s)?;
            }
        }
        Ok(())
    }

    /// Builds the CDA XML.
    pub fn build(&self) -> Result<String, BuildError> {
        self.check()?;
        let h = &self.header;
        let ids = header::resolve_ids(h);
        let code = Code::new(
            "60593-1",
            "2.16.840.1.113883.6.1",
            "Dispensation médicamenteuse",
        );
        let kind = DocKind {
            templates: &[
                ("1.3.6.1.4.1.19376.1.5.3.1.1.1", None),
                (TEMPLATE_IHE_DIS, None),
                (TEMPLATE, Some(VERSION)),
            ],
            code: code.clone(),
            title: "Dispensation médicamenteuse",
            practice_setting: h.organization.practice_setting,
            // eDISP-MED header: documentationOf/serviceEvent/code 60593-1.
            service_code: code,
            service_start: self.dispensed_at.as_str(),
        };
        let mut w = Xw::new(8 * 1024 + self.items.len() * 4096);
        header::write_header(&mut w, h, &kind, &ids)?;
        if let Some(p) = &self.prescription {
            w.raw("<inFulfillmentOf><order>");
            w.ii("id", p);
            w.raw("</order></inFulfillmentOf>");
        }
        header::write_service_event(&mut w, h, &kind);
        header::write_tail(&mut w, h);
        header::write_encounter(&mut w, h);
        w.raw("<component><structuredBody><component><section classCode=\"DOCSECT\" moodCode=\"EVN\">");
        w.raw("<templateId root=\"1.3.6.1.4.1.19376.1.9.1.2.3\"/><templateId root=\"2.16.840.1.113883.10.20.1.8\"/><templateId root=\"1.2.250.1.213.1.1.2.236\"/>");
        w.cd(
            "code",
            &[],
            &Code::new("60590-7", "2.16.840.1.113883.6.1", "Médicaments délivrés"),
        );
        w.leaf("title", &[], "Médicaments délivrés");
        w.raw("<text><table border=\"0\"><thead><tr><th>Médicament</th><th>Quantité délivrée</th><th>Lot</th><th>Péremption</th><th>Substitution</th><th>Instructions au patient</th><th>Notes du dispensateur</th></tr></thead><tbody>");
        for (i, it) in self.items.iter().enumerate() {
            let n = i + 1;
            let p = &it.product;
            w.raw(&format!(
                "<tr ID=\"med-{n}\"><td><content ID=\"med-{n}-delivre\">"
            ));
            w.text(&p.label);
            w.raw("</content></td>");
            let boxes = if it.boxes == 1 {
                "1 boîte".to_owned()
            } else {
                format!("{} boîtes", it.boxes)
            };
            w.leaf("td", &[], &boxes);
            w.leaf("td", &[], p.lot.as_deref().unwrap_or_default());
            let expiry = p
                .expiry
                .as_deref()
                .map(|e| format!("{}/{}/{}", &e[6..8], &e[4..6], &e[..4]))
                .unwrap_or_default();
            w.leaf("td", &[], &expiry);
            w.raw(&format!("<td><content ID=\"med-{n}-substitution\">"));
            w.text(
                it.substitution
                    .map(|s| s.display_name())
                    .unwrap_or_default(),
            );
            w.raw(&format!(
                "</content></td><td><content ID=\"med-{n}-instruction-patient\">"
            ));
            w.text(it.patient_instructions.as_deref().unwrap_or_default());
            w.raw(&format!(
                "</content></td><td><content ID=\"med-{n}-notes-dispensateur\">"
            ));
            w.text(it.dispenser_notes.as_deref().unwrap_or_default());
            w.raw("</content></td></tr>");
        }
        w.raw("</tbody></table></text>");
        for (i, it) in self.items.iter().enumerate() {
            self.write_item(&mut w, i + 1, it);
        }
        w.raw("</section></component></structuredBody></component></ClinicalDocument>\n");
        Ok(w.s)
    }

    fn write_item(&self, w: &mut Xw, n: usize, it: &DispensedItem) {
        let p = &it.product;
        w.raw("<entry><supply classCode=\"SPLY\" moodCode=\"EVN\">");
        w.raw("<templateId root=\"2.16.840.1.113883.10.20.1.34\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7.3\"/><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.4\"/><templateId root=\"1.2.250.1.213.1.1.3.204\"/>");
        let id = it
            .id
            .clone()
            .unwrap_or_else(|| InstanceId::root_only(crate::xds::new_uuid_oid()));
        w.ii("id", &id);
        w.raw(&format!(
            "<text><reference value=\"#med-{n}\"/></text><quantity value=\"{}\" unit=\"{UNIT_BOX}\"/>",
            it.boxes
        ));
        w.raw("<product><manufacturedProduct classCode=\"MANU\"><templateId root=\"2.16.840.1.113883.10.20.1.53\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7.2\"/><templateId root=\"1.2.250.1.213.1.1.3.43\"/>");
        w.raw("<manufacturedMaterial classCode=\"MMAT\" determinerCode=\"KIND\"><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.1\"/>");
        w.raw(&format!(
            "<code><originalText><reference value=\"#med-{n}-delivre\"/></originalText>"
        ));
        let cip = Code::new(&p.cip13, "1.2.250.1.213.2.3.2", &p.label);
        w.cd("translation", &[], &cip);
        w.raw("</code>");
        w.leaf("name", &[], &p.label);
        if let Some(lot) = &p.lot {
            w.leaf("lotNumberText", &[], lot);
        }
        if let Some(e) = &p.expiry {
            w.empty(
                "pharm:expirationTime",
                &[("xmlns:pharm", PHARM_NS), ("value", e)],
            );
        }
        if let Some((atc, label)) = &p.atc {
            w.raw(&format!("<pharm:asSpecializedKind xmlns:pharm=\"{PHARM_NS}\" classCode=\"GRIC\"><pharm:generalizedMedicineClass classCode=\"MMAT\">"));
            w.cd(
                "pharm:code",
                &[],
                &Code::new(atc, "2.16.840.1.113883.6.73", label),
            );
            w.leaf("pharm:name", &[], label);
            w.raw("</pharm:generalizedMedicineClass></pharm:asSpecializedKind>");
        }
        w.raw("</manufacturedMaterial></manufacturedProduct></product>");
        if let Some(item) = &it.prescription_item {
            // FR-Reference-item-prescription: code PREItem, consumable nullFlavor NA
            // (E_referenceItemPrescription.sch).
            w.raw("<entryRelationship typeCode=\"REFR\" inversionInd=\"false\"><substanceAdministration classCode=\"SBADM\" moodCode=\"INT\"><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.11\"/><templateId root=\"1.2.250.1.213.1.1.3.90\"/>");
            w.ii("id", item);
            w.raw("<code code=\"PREItem\" displayName=\"Prescription Item\" codeSystem=\"1.3.6.1.4.1.19376.1.9.2.2\"/>");
            w.raw("<consumable><manufacturedProduct><manufacturedMaterial nullFlavor=\"NA\"><name nullFlavor=\"NA\"/></manufacturedMaterial></manufacturedProduct></consumable>");
            if let Some(pres) = &self.prescription {
                w.raw("<reference typeCode=\"XCRPT\"><externalDocument>");
                w.ii("id", pres);
                w.raw("</externalDocument></reference>");
            }
            w.raw("</substanceAdministration></entryRelationship>");
        }
        if it.patient_instructions.is_some() {
            w.raw(&format!("<entryRelationship typeCode=\"SUBJ\" inversionInd=\"true\"><act classCode=\"ACT\" moodCode=\"INT\"><templateId root=\"2.16.840.1.113883.10.20.1.49\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.3\"/><templateId root=\"1.2.250.1.213.1.1.3.33\"/><code code=\"PINSTRUCT\" codeSystem=\"1.3.6.1.4.1.19376.1.5.3.2\"/><text><reference value=\"#med-{n}-instruction-patient\"/></text><statusCode code=\"completed\"/></act></entryRelationship>"));
        }
        if it.dispenser_notes.is_some() {
            w.raw(&format!("<entryRelationship typeCode=\"SUBJ\" inversionInd=\"true\"><act classCode=\"ACT\" moodCode=\"INT\"><templateId root=\"2.16.840.1.113883.10.20.1.43\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.3.1\"/><templateId root=\"1.2.250.1.213.1.1.3.207\"/><code code=\"FINSTRUCT\" codeSystem=\"1.3.6.1.4.1.19376.1.5.3.2\"/><text><reference value=\"#med-{n}-notes-dispensateur\"/></text><statusCode code=\"completed\"/></act></entryRelationship>"));
        }
        if let Some(s) = it.substitution {
            // FR-Acte-substitution: code [1..1] (E_dispensationMedicament.sch).
            w.raw("<entryRelationship typeCode=\"COMP\"><act classCode=\"ACT\" moodCode=\"EVN\"><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.9.2\"/><templateId root=\"1.2.250.1.213.1.1.3.206\"/>");
            w.open_vs("code", s);
            w.raw(&format!("<originalText><reference value=\"#med-{n}-substitution\"/></originalText></code><statusCode code=\"completed\"/></act></entryRelationship>"));
        }
        w.raw("</supply></entry>");
    }
}
