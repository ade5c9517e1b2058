//! Dispensation de médicaments, volet eDISP-MED 2024.01 (CI-SIS; templateId
//! 1.2.250.1.213.1.1.1.54 ext 2024.01, IHE Pharm DIS 1.3.6.1.4.1.19376.1.9.1.1.3, LOINC 60593-1).
//!
//! One FR-Dispensation-medicaments section (1.2.250.1.213.1.1.2.236, LOINC 60590-7) with one
//! FR-Traitement-dispense entry (IHE DispenseItemEntry 1.3.6.1.4.1.19376.1.9.1.3.4, CI-SIS
//! 1.2.250.1.213.1.1.3.204) per dispensed line, modelled on the official sample
//! `ExemplesCDA/eDISP-MED_2024.01.xml` and checked by `CI-SIS_eDISP-MED_2024.01.sch`:
//!
//! - the quantity in a unit of presentation (EDQM packaging term: 30009000 "Boîte" by default,
//!   30015500 "Récipient" for the sample's preparation, or any other [`EdqmTerm`]);
//! - the product (FR-Produit-de-sante, IHE PRE Medicine 1.3.6.1.4.1.19376.1.9.1.3.1): either a
//!   [`DispensedProduct`] (CIP 13, lot, expiry, pharmaceutical form `pharm:formCode`, package
//!   `pharm:asContent`, ATC generic) or a [`MagistralPreparation`] (code `nullFlavor="NA"` with
//!   the narrative of its components, pharmaceutical form);
//! - the optional FR-Reference-item-prescription, FR-Instructions-au-patient,
//!   FR-Notes-du-dispensateur, FR-Instructions-au-dosage ([`Posology`]) and FR-Acte-substitution
//!   entries;
//! - the prescriber as the header `participant typeCode="REF"` ([`Prescriber`]).
//!
//! The kit ships no value set for EDQM pharmaceutical forms or packaging: those codes are
//! configurable (8-digit EDQM Standard Terms code and its label, code system
//! 0.4.0.127.0.16.1.1.2.1) and not checked against EDQM here (TO VERIFY with the DMP).
//!
//! Not offered: the section author, active ingredients (`pharm:ingredient`), the package
//! capacity, the rate of administration, the replaced prescriber participant and the
//! prescription-line author.

use serde::{Deserialize, Serialize};

use super::BuildError;
use super::header::{self, DocKind, Header, Professional, StructureId, Timestamp};
use super::input;
use super::posology::{Date, Posology};
use super::xw::Xw;
use crate::jdv::{SubstitutionCode, ValueSet};
use crate::model::{Code, InstanceId};

/// The volet version this builder produces.
pub const VERSION: &str = "2024.01";
/// Volet templateId (eDISP-MED).
pub const TEMPLATE: &str = "1.2.250.1.213.1.1.1.54";
/// IHE Pharm DIS document templateId (eDISP-MED header schematron: mandatory).
pub const TEMPLATE_IHE_DIS: &str = "1.3.6.1.4.1.19376.1.9.1.1.3";
/// Code system of the EDQM Standard Terms.
pub const EDQM: &str = "0.4.0.127.0.16.1.1.2.1";

/// Namespace of the IHE Pharmacy extensions (`pharm:`) of `CDA_extended.xsd`.
const PHARM_NS: &str = "urn:ihe:pharm:medication";

/// An EDQM Standard Term (code system 0.4.0.127.0.16.1.1.2.1): a pharmaceutical dose form
/// (e.g. 10219000 "Comprimé") or a packaging / unit of presentation (e.g. 30009000 "Boîte").
/// The code has 8 digits and the label is not blank; the kit has no value set to check them
/// against, so the pair is the caller's (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EdqmTermJson", into = "EdqmTermJson")]
pub struct EdqmTerm {
    code: String,
    display_name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EdqmTermJson {
    code: String,
    display_name: String,
}

impl EdqmTerm {
    /// An EDQM term from its code and label.
    pub fn new(code: &str, display_name: &str) -> Result<Self, BuildError> {
        if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BuildError::Invalid {
                field: "EDQM code",
                reason: format!("{code:?}: an EDQM Standard Terms code has 8 digits"),
            });
        }
        if display_name.trim().is_empty() {
            return Err(BuildError::Missing("EDQM displayName"));
        }
        Ok(Self {
            code: code.to_owned(),
            display_name: display_name.to_owned(),
        })
    }

    /// 30009000 "Boîte", the unit of the sample's medicine and the default unit.
    pub fn boite() -> Self {
        Self {
            code: "30009000".into(),
            display_name: "Boîte".into(),
        }
    }

    /// 30015500 "Récipient", the unit of the sample's magistral preparation.
    pub fn recipient() -> Self {
        Self {
            code: "30015500".into(),
            display_name: "Récipient".into(),
        }
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The label.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    fn to_code(&self) -> Code {
        Code::new(&self.code, EDQM, &self.display_name)
    }
}

impl TryFrom<EdqmTermJson> for EdqmTerm {
    type Error = BuildError;
    fn try_from(j: EdqmTermJson) -> Result<Self, BuildError> {
        Self::new(&j.code, &j.display_name)
    }
}

impl From<EdqmTerm> for EdqmTermJson {
    fn from(t: EdqmTerm) -> Self {
        Self {
            code: t.code,
            display_name: t.display_name,
        }
    }
}

/// A dispensed medicinal product, identified by its CIP 13 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DispensedProduct {
    /// CIP 13 (code system 1.2.250.1.213.2.3.2), 13 digits.
    pub cip13: String,
    /// Label of the presentation (brand name, strength, form, package), as on the CIP record.
    pub label: String,
    /// Pharmaceutical dose form (EDQM, `pharm:formCode`), e.g. 10219000 "Comprimé".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<EdqmTerm>,
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

/// A magistral (or officinal) preparation made by the pharmacy: it has no CIP code, so the
/// product code is `nullFlavor="NA"` and refers to the narrative of its components, as in the
/// official sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MagistralPreparation {
    /// Heading of the narrative, e.g. "Préparation magistrale".
    pub label: String,
    /// The components with their quantities, as written on the preparation, e.g.
    /// "30 g de diprosone" (1..*).
    pub components: Vec<String>,
    /// Pharmaceutical dose form (EDQM), e.g. 50015000 "pommade pour application cutanée et
    /// nasale".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<EdqmTerm>,
}

/// What was dispensed: a medicine with a CIP code, or a preparation. JSON: `{"medicine":
/// {...}}` or `{"magistral": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Product {
    /// A medicine identified by its CIP 13.
    Medicine(DispensedProduct),
    /// A magistral preparation.
    Magistral(MagistralPreparation),
}

/// One dispensed line (FR-Traitement-dispense).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DispensedItem {
    /// Entry id; a fresh `2.25` OID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<InstanceId>,
    /// The product.
    pub product: Product,
    /// Quantity dispensed, in `unit`, at least 1.
    pub quantity: u32,
    /// Unit of presentation of the quantity (EDQM packaging term, `supply/quantity/@unit`):
    /// 30009000 "Boîte" when absent.
    #[serde(default = "EdqmTerm::boite")]
    pub unit: EdqmTerm,
    /// Id of the prescription line served (FR-Reference-item-prescription), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription_item: Option<InstanceId>,
    /// Substitution made (JDV_HL7_ActSubstanceAdminSubstitutionCode-CISIS: `G` generic, `N`
    /// none); medicines only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitution: Option<SubstitutionCode>,
    /// Posology (FR-Instructions-au-dosage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posology: Option<Posology>,
    /// Instructions to the patient (FR-Instructions-au-patient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_instructions: Option<String>,
    /// Dispenser's notes (FR-Notes-du-dispensateur).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispenser_notes: Option<String>,
}

/// The organisation of the prescriber (`scopingOrganization`, mandatory in the sample).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrescriberOrganization {
    /// National structure identifier (FINESS or SIRET).
    pub id: StructureId,
    /// Name.
    pub name: String,
}

/// The prescriber of the prescription served: header `participant typeCode="REF"` with the
/// prescription date and an `associatedEntity classCode="PROV"` (structuration minimale
/// CI-SISParticipant: PROV for a health professional, name prefix/suffix from JDV_J245/J246).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prescriber {
    /// The professional (RPPS, name, profession from JDV_J01).
    pub person: Professional,
    /// The prescriber's organisation.
    pub organization: PrescriberOrganization,
    /// Date of the prescription (`time/low`).
    pub prescribed_at: Timestamp,
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
    /// The prescriber, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescriber: Option<Prescriber>,
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

fn check_medicine(p: &DispensedProduct) -> Result<(), BuildError> {
    input::check_cip13("item.product.cip13", &p.cip13)?;
    non_empty("item.product.label", &p.label)?;
    if let Some(l) = &p.lot {
        non_empty("item.product.lot", l)?;
    }
    if let Some(e) = &p.expiry
        && Date::parse(e).is_err()
    {
        return Err(BuildError::Invalid {
            field: "item.product.expiry",
            reason: format!("{e:?} is not YYYYMMDD"),
        });
    }
    if let Some((code, label)) = &p.atc {
        non_empty("item.product.atc code", code)?;
        input::check_atc("item.product.atc code", code)?;
        non_empty("item.product.atc label", label)?;
    }
    Ok(())
}

fn check_magistral(m: &MagistralPreparation) -> Result<(), BuildError> {
    non_empty("item.product.magistral.label", &m.label)?;
    if m.components.is_empty() {
        return Err(BuildError::Missing(
            "item.product.magistral.components (1..*)",
        ));
    }
    for c in &m.components {
        non_empty("item.product.magistral.component", c)?;
    }
    Ok(())
}

impl Dispensation2024_01 {
    /// Checks the inputs the types cannot.
    pub fn check(&self) -> Result<(), BuildError> {
        input::check_text(self)?;
        input::check_header(&self.header)?;
        if self.items.is_empty() {
            // CI-SIS_eDISP-MED S_dispensationMedicaments: FR-Traitement-dispense [1..*].
            return Err(BuildError::Missing("items (1..*)"));
        }
        if let Some(p) = &self.prescriber {
            non_empty("prescriber.person.family", &p.person.family)?;
            non_empty("prescriber.person.given", &p.person.given)?;
            non_empty("prescriber.organization.name", &p.organization.name)?;
        }
        for it in &self.items {
            match &it.product {
                Product::Medicine(p) => check_medicine(p)?,
                Product::Magistral(m) => {
                    check_magistral(m)?;
                    if it.substitution.is_some() {
                        // FR-Acte-substitution replaces a prescribed medicine by another one.
                        return Err(BuildError::Invalid {
                            field: "item.substitution",
                            reason: "a magistral preparation is not a substitution".into(),
                        });
                    }
                }
            }
            if it.quantity == 0 {
                // E_dispensationMedicament: quantity [1..1]; nothing dispensed is no line.
                return Err(BuildError::Invalid {
                    field: "item.quantity",
                    reason: "at least one unit is dispensed".into(),
                });
            }
            if let Some(p) = &it.posology {
                p.check()?;
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
        let mut w = Xw::new(8 * 1024 + self.items.len() * 6144);
        header::write_header(&mut w, h, &kind, &ids)?;
        if let Some(p) = &self.prescriber {
            write_prescriber(&mut w, p);
        }
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
        // IHE Pharm DIS Dispense Section: id [1..1] (IHE.sch S_dispense.sch), as in the sample.
        w.empty("id", &[("root", &crate::xds::new_uuid_oid())]);
        w.cd(
            "code",
            &[],
            &Code::new("60590-7", "2.16.840.1.113883.6.1", "Médicaments délivrés"),
        );
        w.leaf("title", &[], "Médicaments délivrés");
        w.raw("<text>");
        for (i, it) in self.items.iter().enumerate() {
            if i > 0 {
                w.raw("<br/>");
            }
            write_narrative(&mut w, i + 1, it);
        }
        w.raw("</text>");
        for (i, it) in self.items.iter().enumerate() {
            self.write_item(&mut w, i + 1, it);
        }
        w.raw("</section></component></structuredBody></component></ClinicalDocument>\n");
        w.finish()
    }

    fn write_item(&self, w: &mut Xw, n: usize, it: &DispensedItem) {
        w.raw("<entry><supply classCode=\"SPLY\" moodCode=\"EVN\">");
        w.raw("<templateId root=\"2.16.840.1.113883.10.20.1.34\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7.3\"/><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.4\"/><templateId root=\"1.2.250.1.213.1.1.3.204\"/>");
        let id = it
            .id
            .clone()
            .unwrap_or_else(|| InstanceId::root_only(crate::xds::new_uuid_oid()));
        w.ii("id", &id);
        w.raw(&format!("<text><reference value=\"#med-{n}\"/></text>"));
        // The unit of presentation is an EDQM packaging code, as in the sample.
        w.empty(
            "quantity",
            &[
                ("value", &it.quantity.to_string()),
                ("unit", it.unit.code()),
            ],
        );
        w.raw("<product><manufacturedProduct classCode=\"MANU\"><templateId root=\"2.16.840.1.113883.10.20.1.53\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7.2\"/><templateId root=\"1.2.250.1.213.1.1.3.43\"/>");
        w.raw("<manufacturedMaterial classCode=\"MMAT\" determinerCode=\"KIND\"><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.1\"/>");
        match &it.product {
            Product::Medicine(p) => write_medicine(w, n, p),
            Product::Magistral(m) => {
                w.raw(&format!(
                    "<code nullFlavor=\"NA\"><originalText><reference value=\"#med-{n}-delivre\"/></originalText></code><name nullFlavor=\"NA\"/>"
                ));
                if let Some(f) = &m.form {
                    form_code(w, "pharm:formCode", f);
                }
            }
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
        if let Some(p) = &it.posology {
            // FR-Instructions-au-dosage [0..1] (E_dispensationMedicament.sch).
            p.write(w, n);
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

fn form_code(w: &mut Xw, tag: &str, t: &EdqmTerm) {
    w.cd(tag, &[("xmlns:pharm", PHARM_NS)], &t.to_code());
}

/// The medicine: CIP 13 (translation of a code whose original text is the narrative), name,
/// form, lot, expiry, package (`pharm:asContent`: the CIP 13 identifies the presentation) and
/// ATC generic, in the order of `POCD_MT000040.Material`
/// (POCD_MT000040_extended_pharmacy.xsd).
fn write_medicine(w: &mut Xw, n: usize, p: &DispensedProduct) {
    w.raw(&format!(
        "<code><originalText><reference value=\"#med-{n}-delivre\"/></originalText>"
    ));
    let cip = Code::new(&p.cip13, "1.2.250.1.213.2.3.2", &p.label);
    w.cd("translation", &[], &cip);
    w.raw("</code>");
    w.leaf("name", &[], &p.label);
    if let Some(f) = &p.form {
        form_code(w, "pharm:formCode", f);
    }
    if let Some(lot) = &p.lot {
        w.leaf("lotNumberText", &[], lot);
    }
    if let Some(e) = &p.expiry {
        w.empty(
            "pharm:expirationTime",
            &[("xmlns:pharm", PHARM_NS), ("value", e)],
        );
    }
    w.raw(&format!("<pharm:asContent xmlns:pharm=\"{PHARM_NS}\" classCode=\"CONT\"><pharm:containerPackagedMedicine classCode=\"CONT\" determinerCode=\"INSTANCE\">"));
    w.cd("pharm:code", &[], &cip);
    w.leaf("pharm:name", &[], &p.label);
    w.raw("</pharm:containerPackagedMedicine></pharm:asContent>");
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
}

/// The narrative table of one line (one table per line, as in the sample), with the IDs the
/// entries refer to.
fn write_narrative(w: &mut Xw, n: usize, it: &DispensedItem) {
    w.raw("<table border=\"0\"><thead><tr><th>Durée du traitement</th><th>Médicament</th><th>Quantité délivrée</th><th>Fréquence d'administration</th><th>Dose</th><th>Voie d'administration</th><th>Lot</th><th>Péremption</th><th>Substitution</th></tr></thead><tbody>");
    let posology = it.posology.as_ref().map(Posology::narrative);
    let cell = |i: usize| {
        posology
            .as_ref()
            .and_then(|p| p.get(i))
            .map_or("", String::as_str)
    };
    w.raw(&format!("<tr ID=\"med-{n}\">"));
    w.leaf("td", &[], cell(0));
    w.raw(&format!("<td><content ID=\"med-{n}-delivre\">"));
    let (lot, expiry) = match &it.product {
        Product::Medicine(p) => {
            w.text(&p.label);
            (
                p.lot.as_deref().unwrap_or_default(),
                p.expiry
                    .as_deref()
                    .and_then(|e| Date::parse(e).ok())
                    .map(|d| d.french())
                    .unwrap_or_default(),
            )
        }
        Product::Magistral(m) => {
            w.text(&m.label);
            w.text(" :");
            for c in &m.components {
                w.raw("<br/>- ");
                w.text(c);
            }
            ("", String::new())
        }
    };
    w.raw("</content></td>");
    let unit = it.unit.display_name();
    let quantity = if it.unit == EdqmTerm::boite() {
        if it.quantity == 1 {
            "1 boîte".to_owned()
        } else {
            format!("{} boîtes", it.quantity)
        }
    } else {
        format!("{} × {unit}", it.quantity)
    };
    w.leaf("td", &[], &quantity);
    w.raw(&format!("<td><content ID=\"med-{n}-frequence\">"));
    w.text(cell(1));
    w.raw(&format!("</content></td><td><content ID=\"med-{n}-dose\">"));
    w.text(cell(2));
    w.raw(&format!("</content></td><td><content ID=\"med-{n}-voie\">"));
    w.text(cell(3));
    w.raw("</content></td>");
    w.leaf("td", &[], lot);
    w.leaf("td", &[], &expiry);
    w.raw(&format!("<td><content ID=\"med-{n}-substitution\">"));
    w.text(
        it.substitution
            .map(|s| s.display_name())
            .unwrap_or_default(),
    );
    w.raw("</content></td></tr>");
    let mut row = |title: &str, id: &str, text: Option<&str>| {
        if let Some(t) = text {
            w.raw("<tr>");
            w.leaf("td", &[], title);
            w.raw(&format!("<td colspan=\"8\"><content ID=\"med-{n}-{id}\">"));
            w.text(t);
            w.raw("</content></td></tr>");
        }
    };
    row(
        "Posologie",
        "posologie",
        it.posology.as_ref().map(|p| p.text.as_str()),
    );
    row(
        "Instructions au patient",
        "instruction-patient",
        it.patient_instructions.as_deref(),
    );
    row(
        "Notes du dispensateur",
        "notes-dispensateur",
        it.dispenser_notes.as_deref(),
    );
    w.raw("</tbody></table>");
}

/// Header `participant typeCode="REF"`: the prescriber, as in the sample (time IVL_TS low,
/// associatedEntity PROV with RPPS id, J01 profession, name and scoping organisation).
fn write_prescriber(w: &mut Xw, p: &Prescriber) {
    w.raw("<participant typeCode=\"REF\"><time xsi:type=\"IVL_TS\">");
    w.empty("low", &[("value", p.prescribed_at.as_str())]);
    w.raw("</time><associatedEntity classCode=\"PROV\">");
    header::professional(w, &p.person);
    header::person(w, "associatedPerson", &p.person);
    w.raw("<scopingOrganization>");
    w.ii("id", &p.organization.id.national());
    w.leaf("name", &[], &p.organization.name);
    w.raw("</scopingOrganization></associatedEntity></participant>");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn example() -> Dispensation2024_01 {
        let mut v = super::super::examples::example_json("dispensation").unwrap();
        v.as_object_mut().unwrap().remove("type");
        serde_json::from_value(v).unwrap()
    }

    /// The part of `xml` from the `n`th (1-based) `<entry>` to its end.
    fn entry(xml: &str, n: usize) -> &str {
        let start = xml.match_indices("<entry>").nth(n - 1).unwrap().0;
        let end = xml[start..].find("</entry>").unwrap() + start;
        &xml[start..end]
    }

    #[test]
    fn edqm_terms_have_eight_digits_and_a_label() {
        assert_eq!(
            EdqmTerm::new("30009000", "Boîte").unwrap(),
            EdqmTerm::boite()
        );
        assert!(EdqmTerm::new("3000900", "Boîte").is_err());
        assert!(EdqmTerm::new("3000900A", "Boîte").is_err());
        assert_eq!(
            EdqmTerm::new("30009000", " "),
            Err(BuildError::Missing("EDQM displayName"))
        );
        let json = serde_json::to_value(EdqmTerm::recipient()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "30015500", "displayName": "Récipient"})
        );
    }

    #[test]
    fn medicine_line_writes_form_package_unit_and_posology() {
        let xml = example().build().unwrap();
        let e = entry(&xml, 1);
        assert!(e.contains("<quantity value=\"2\" unit=\"30009000\"/>"));
        assert!(e.contains("<pharm:formCode xmlns:pharm=\"urn:ihe:pharm:medication\" code=\"10219000\" displayName=\"Comprimé\" codeSystem=\"0.4.0.127.0.16.1.1.2.1\"/>"));
        assert!(e.contains("<pharm:containerPackagedMedicine classCode=\"CONT\" determinerCode=\"INSTANCE\"><pharm:code code=\"3400933516390\""));
        // FR-Instructions-au-dosage with what E_dispensationMedicament.sch requires.
        for part in [
            "<templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.6\"/>",
            "<effectiveTime xsi:type=\"IVL_TS\"><low value=\"20240301\"/><high value=\"20240303\"/></effectiveTime>",
            "<effectiveTime xsi:type=\"SXPR_TS\" operator=\"A\"><comp xsi:type=\"IVL_TS\" operator=\"A\">",
            "<comp xsi:type=\"PIVL_TS\" operator=\"A\"><period value=\"6\" unit=\"h\"/></comp>",
            "<routeCode code=\"20053000\" displayName=\"Voie orale\" codeSystem=\"0.4.0.127.0.16.1.1.2.1\">",
            "<doseQuantity><low value=\"1\" unit=\"{tablet}\"/><high value=\"2\" unit=\"{tablet}\"/></doseQuantity>",
            "<manufacturedMaterial nullFlavor=\"NA\"><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.1\"/>",
            "<reference value=\"#med-1-posologie\"/>",
        ] {
            assert!(e.contains(part), "{part}");
        }
        assert!(xml.contains("<content ID=\"med-1-posologie\">"));
    }

    #[test]
    fn magistral_line_has_no_code_but_its_narrative_and_form() {
        let xml = example().build().unwrap();
        let e = entry(&xml, 2);
        assert!(e.contains("<quantity value=\"1\" unit=\"30015500\"/>"));
        assert!(e.contains("<code nullFlavor=\"NA\"><originalText><reference value=\"#med-2-delivre\"/></originalText></code><name nullFlavor=\"NA\"/>"));
        assert!(e.contains("code=\"50015000\""));
        assert!(
            !e.contains("1.2.250.1.213.2.3.2"),
            "no CIP for a preparation"
        );
        assert!(
            !e.contains("1.3.6.1.4.1.19376.1.9.1.3.9.2"),
            "no substitution"
        );
        assert!(xml.contains(
            "<content ID=\"med-2-delivre\">Préparation magistrale :<br/>- 30 g de diprosone<br/>- 70 g de cérat frais de Galien</content>"
        ));
        assert!(xml.contains("<td>1 × Récipient</td>"));
    }

    #[test]
    fn prescriber_is_the_header_participant() {
        let xml = example().build().unwrap();
        let p = xml.find("<participant typeCode=\"REF\">").unwrap();
        // Between the legal authenticator and inFulfillmentOf (CDA header order).
        assert!(xml.find("</legalAuthenticator>").unwrap() < p);
        assert!(p < xml.find("<inFulfillmentOf>").unwrap());
        let part = &xml[p..xml.find("</participant>").unwrap()];
        for s in [
            "<time xsi:type=\"IVL_TS\"><low value=\"20240228093000+0100\"/></time>",
            "<associatedEntity classCode=\"PROV\">",
            "<id root=\"1.2.250.1.71.4.2.1\" extension=\"810003456786\"/>",
            "code=\"G15_10/SM26\" displayName=\"Médecin - Qualifié en Médecine Générale (SM)\"",
            "<associatedPerson><name><prefix>M</prefix><given>Romain</given><family>PIOU</family><suffix>DR</suffix></name></associatedPerson>",
            "<scopingOrganization><id root=\"1.2.250.1.71.4.2.2\" extension=\"1750712184\"/><name>Cabinet du Dr PIOU</name></scopingOrganization>",
        ] {
            assert!(part.contains(s), "{s}");
        }
        let mut d = example();
        d.prescriber = None;
        assert!(!d.build().unwrap().contains("<participant"));
    }

    #[test]
    fn without_the_new_parts_a_line_is_as_before() {
        let mut d = example();
        d.items.truncate(1);
        let it = &mut d.items[0];
        it.posology = None;
        if let Product::Medicine(p) = &mut it.product {
            p.form = None;
        }
        let xml = d.build().unwrap();
        assert!(!xml.contains("pharm:formCode"));
        assert!(!xml.contains("SXPR_TS"));
        assert!(xml.contains("<td>2 boîtes</td>"));
    }
}
