//! Note de vaccination, volet VAC-NOTE 2023.01 (CI-SIS; templateId 1.2.250.1.213.1.1.1.46
//! ext 2023.01, LOINC 87273-9). Exactly one vaccination per note (`count(...1.4.12)=1`).

use serde::{Deserialize, Serialize};

use super::BuildError;
use super::header::{self, DocKind, Header, Professional};
use super::input;
use super::xw::Xw;
use crate::jdv::{
    ImmunizationActCode, ImmunizationRoute, ImmunizationSite, PracticeSetting, ValueSet,
};
use crate::model::Code;

/// The volet version this builder produces.
pub const VERSION: &str = "2023.01";
/// Volet templateId.
pub const TEMPLATE: &str = "1.2.250.1.213.1.1.1.46";

/// A vaccination date, `AAAAMMJJ` exactly (VAC-NOTE: effectiveTime has 8 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VaccinationDate(String);

impl VaccinationDate {
    /// Parses `AAAAMMJJ`.
    pub fn parse(s: &str) -> Result<Self, BuildError> {
        // A date the calendar has (no 30 February), eight ASCII digits.
        if crate::time::is_yyyymmdd(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(BuildError::Invalid {
                field: "vaccination.date",
                reason: format!("{s:?} is not AAAAMMJJ"),
            })
        }
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VaccinationDate {
    type Error = BuildError;
    fn try_from(s: String) -> Result<Self, BuildError> {
        Self::parse(&s)
    }
}

impl From<VaccinationDate> for String {
    fn from(d: VaccinationDate) -> String {
        d.0
    }
}

/// The vaccine: CIS code (mandatory), ATC translation (mandatory), CIP13 (optional), lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vaccine {
    /// CIS code (8 digits, BDPM) and its label.
    pub cis: String,
    /// Label of the CIS (displayName; BDPM denomination).
    pub label: String,
    /// ATC code (e.g. J07BB02) and label.
    pub atc: String,
    /// ATC label.
    pub atc_label: String,
    /// CIP13 and its label, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cip13: Option<String>,
    /// Lot number (mandatory: `lotNumberText`).
    pub lot: String,
}

/// A reaction observed (FR-Probleme, CIM-10 coded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reaction {
    /// CIM-10 code (e.g. R50.2).
    pub cim10: String,
    /// Its label.
    pub label: String,
}

/// One vaccination act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vaccination {
    /// Date of injection.
    pub date: VaccinationDate,
    /// Type of act (1ère série, rappel, sans précision).
    pub act: ImmunizationActCode,
    /// The vaccine.
    pub vaccine: Vaccine,
    /// Dose rank (FR-Rang-de-la-vaccination), from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_rank: Option<u32>,
    /// Route (EDQM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<ImmunizationRoute>,
    /// Site (SNOMED CT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<ImmunizationSite>,
    /// The vaccinator, when not the document author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<Professional>,
    /// Reactions observed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Free comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Input of a VAC-NOTE 2023.01 document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaccinationNote2023_01 {
    /// Header.
    pub header: Header,
    /// The one vaccination. A VAC-NOTE 2023.01 note records exactly one injection
    /// (E_Vaccination_VAC-Note: `count(FR-Vaccination) = 1`): a JSON array here is refused
    /// with a hint to build one note per vaccination.
    #[serde(deserialize_with = "one_vaccination")]
    pub vaccination: Vaccination,
}

/// `vaccination`: one object. An array gets a message naming the field and the rule (and no
/// input value), marked [`super::INPUT_HINT`] so the CLI and the C API show it.
fn one_vaccination<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vaccination, D::Error> {
    struct One;
    impl<'de> serde::de::Visitor<'de> for One {
        type Value = Vaccination;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("one vaccination object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Vaccination, A::Error> {
            Vaccination::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Vaccination, A::Error> {
            Err(serde::de::Error::custom(format_args!(
                "{}`vaccination` is one object, not an array: a VAC-NOTE 2023.01 note records \
                 exactly one injection (count(FR-Vaccination) = 1); build one document per \
                 vaccination",
                super::INPUT_HINT
            )))
        }
    }
    d.deserialize_any(One)
}

fn non_empty(field: &'static str, s: &str) -> Result<(), BuildError> {
    if s.trim().is_empty() {
        Err(BuildError::Missing(field))
    } else {
        Ok(())
    }
}

fn entry_professional(
    w: &mut Xw,
    tag_attrs: (&str, &[(&str, &str)]),
    p: &Professional,
    h: &Header,
) {
    w.open(tag_attrs.0, tag_attrs.1);
    let n = p.rpps.national_id();
    w.ii("id", &crate::model::InstanceId::new(n.root, n.extension));
    w.vs("code", p.profession);
    w.open("assignedPerson", &[]);
    w.open("name", &[]);
    if let Some(c) = p.prefix {
        w.leaf("prefix", &[], c.code());
    }
    w.leaf("given", &[], &p.given);
    w.leaf("family", &[], &p.family);
    w.close("name");
    w.close("assignedPerson");
    w.open("representedOrganization", &[]);
    let id = match &h.organization.id {
        super::header::StructureId::Finess(f) => f.national_id(),
        super::header::StructureId::Siret(s) => s.national_id(),
    };
    w.ii("id", &crate::model::InstanceId::new(id.root, id.extension));
    w.leaf("name", &[], &h.organization.name);
    w.close("representedOrganization");
    w.close(tag_attrs.0);
}

impl VaccinationNote2023_01 {
    /// Checks the inputs the types cannot (non-empty texts, dose rank ≥ 1).
    pub fn check(&self) -> Result<(), BuildError> {
        input::check_text(self)?;
        input::check_header(&self.header)?;
        let v = &self.vaccination;
        input::check_event_date("vaccination.date", v.date.as_str(), &self.header)?;
        input::check_atc("vaccination.vaccine.atc", &v.vaccine.atc)?;
        non_empty("vaccination.vaccine.cis", &v.vaccine.cis)?;
        non_empty("vaccination.vaccine.label", &v.vaccine.label)?;
        non_empty("vaccination.vaccine.atc", &v.vaccine.atc)?;
        non_empty("vaccination.vaccine.atcLabel", &v.vaccine.atc_label)?;
        non_empty("vaccination.vaccine.lot", &v.vaccine.lot)?;
        if !v.vaccine.cis.bytes().all(|b| b.is_ascii_digit()) || v.vaccine.cis.len() != 8 {
            return Err(BuildError::Invalid {
                field: "vaccination.vaccine.cis",
                reason: "8 digits expected".into(),
            });
        }
        if let Some(c) = &v.vaccine.cip13 {
            input::check_cip13("vaccination.vaccine.cip13", c)?;
        }
        if v.dose_rank == Some(0) {
            return Err(BuildError::Invalid {
                field: "vaccination.doseRank",
                reason: "ranks start at 1".into(),
            });
        }
        for r in &v.reactions {
            non_empty("vaccination.reactions.cim10", &r.cim10)?;
            non_empty("vaccination.reactions.label", &r.label)?;
        }
        Ok(())
    }

    /// Builds the CDA XML.
    pub fn build(&self) -> Result<String, BuildError> {
        self.check()?;
        let h = &self.header;
        let v = &self.vaccination;
        let ids = header::resolve_ids(h);
        let code = Code::new("87273-9", "2.16.840.1.113883.6.1", "Note de vaccination");
        let kind = DocKind {
            templates: &[
                ("1.3.6.1.4.1.19376.1.5.3.1.1.18.1.2", None),
                (TEMPLATE, Some(VERSION)),
            ],
            code: code.clone(),
            title: "Note de vaccination",
            practice_setting: h.organization.practice_setting,
            service_code: code,
            service_start: h.effective_time.as_str(),
        };
        let mut w = Xw::new(12 * 1024);
        header::write_header(&mut w, h, &kind, &ids)?;
        header::write_service_event(&mut w, h, &kind);
        header::write_tail(&mut w, h);
        header::write_encounter(&mut w, h);
        w.raw("<component><structuredBody><component><section>");
        for t in [
            "2.16.840.1.113883.10.20.1.6",
            "1.3.6.1.4.1.19376.1.5.3.1.3.23",
            "1.2.250.1.213.1.1.2.147",
        ] {
            w.empty("templateId", &[("root", t)]);
        }
        w.cd(
            "code",
            &[],
            &Code::new(
                "11369-6",
                "2.16.840.1.113883.6.1",
                "Historique des vaccinations",
            ),
        );
        w.leaf("title", &[], "Note de vaccination");
        // Narrative block.
        w.raw("<text><table border=\"0\"><thead><tr><th>Date</th><th>Vaccin</th><th>Lot n°</th><th>Rang</th><th>Voie d'administration</th><th>Région d'administration</th><th>Réaction observée</th><th>Commentaire</th><th>Vaccinateur</th></tr></thead><tbody><tr>");
        let d = v.date.as_str();
        w.leaf("td", &[], &crate::time::french_date(d));
        w.raw("<td><content ID=\"vac-1\">");
        w.text(&v.vaccine.label);
        w.raw("</content></td>");
        w.leaf("td", &[], &v.vaccine.lot);
        w.leaf(
            "td",
            &[],
            &v.dose_rank.map(|r| r.to_string()).unwrap_or_default(),
        );
        w.leaf(
            "td",
            &[],
            v.route.map(|r| r.display_name()).unwrap_or_default(),
        );
        w.raw("<td><content ID=\"vac-1-site\">");
        w.text(v.site.map(|s| s.display_name()).unwrap_or_default());
        w.raw("</content></td><td>");
        for (i, r) in v.reactions.iter().enumerate() {
            w.raw(&format!("<content ID=\"vac-1-reac-{}\">", i + 1));
            w.text(&r.label);
            w.raw("</content>");
        }
        w.raw("</td><td><content ID=\"vac-1-comment\">");
        w.text(v.comment.as_deref().unwrap_or_default());
        w.raw("</content></td>");
        let vaccinator = v.performer.as_ref().unwrap_or(&h.author);
        w.leaf(
            "td",
            &[],
            &format!("{} {}", vaccinator.given, vaccinator.family),
        );
        w.raw("</tr></tbody></table></text>");
        // Entry FR-Vaccination.
        w.raw("<entry><substanceAdministration classCode=\"SBADM\" moodCode=\"EVN\" negationInd=\"false\">");
        for t in [
            "2.16.840.1.113883.10.20.1.24",
            "1.3.6.1.4.1.19376.1.5.3.1.4.12",
            "1.2.250.1.213.1.1.3.45",
        ] {
            w.empty("templateId", &[("root", t)]);
        }
        w.empty("id", &[("root", &crate::xds::new_uuid_oid())]);
        w.vs("code", v.act);
        w.raw("<text><reference value=\"#vac-1\"/></text><statusCode code=\"completed\"/>");
        w.empty("effectiveTime", &[("value", d)]);
        if let Some(r) = v.route {
            w.vs("routeCode", r);
        }
        if let Some(s) = v.site {
            w.open_vs("approachSiteCode", s);
            w.raw("<originalText><reference value=\"#vac-1-site\"/></originalText></approachSiteCode>");
        }
        w.raw("<consumable typeCode=\"CSM\"><manufacturedProduct>");
        for t in [
            "2.16.840.1.113883.10.20.1.53",
            "1.3.6.1.4.1.19376.1.5.3.1.4.7.2",
            "1.2.250.1.213.1.1.3.43",
        ] {
            w.empty("templateId", &[("root", t)]);
        }
        w.raw("<manufacturedMaterial>");
        w.open_cd(
            "code",
            &[],
            &Code::new(&v.vaccine.cis, "1.2.250.1.213.2.3.1", &v.vaccine.label),
        );
        w.raw("<originalText><reference value=\"#vac-1\"/></originalText>");
        w.cd(
            "translation",
            &[],
            &Code::new(
                &v.vaccine.atc,
                "2.16.840.1.113883.6.73",
                &v.vaccine.atc_label,
            ),
        );
        if let Some(cip) = &v.vaccine.cip13 {
            w.cd(
                "translation",
                &[],
                &Code::new(cip, "1.2.250.1.213.2.3.2", &v.vaccine.label),
            );
        }
        w.raw("</code>");
        w.leaf("name", &[], &v.vaccine.atc_label);
        w.leaf("lotNumberText", &[], &v.vaccine.lot);
        w.raw("</manufacturedMaterial></manufacturedProduct></consumable>");
        w.open("performer", &[("typeCode", "PRF")]);
        entry_professional(
            &mut w,
            ("assignedEntity", &[("classCode", "ASSIGNED")]),
            vaccinator,
            h,
        );
        w.close("performer");
        // typeCode AUT and contextControlCode OP: the entry author of the generic content
        // models (CI-SIS_ModelesDeContenusCDA.sch, E_vaccination / participation author).
        w.open(
            "author",
            &[("typeCode", "AUT"), ("contextControlCode", "OP")],
        );
        w.empty("time", &[("value", h.effective_time.as_str())]);
        entry_professional(
            &mut w,
            ("assignedAuthor", &[("classCode", "ASSIGNED")]),
            &h.author,
            h,
        );
        w.close("author");
        if let Some(rank) = v.dose_rank {
            w.raw("<entryRelationship typeCode=\"SUBJ\"><observation classCode=\"OBS\" moodCode=\"EVN\">");
            w.raw("<templateId root=\"2.16.840.1.113883.10.20.1.46\"/><templateId root=\"1.2.250.1.213.1.1.3.82\"/>");
            w.cd(
                "code",
                &[],
                &Code::new("30973-2", "2.16.840.1.113883.6.1", "Rang de la vaccination"),
            );
            w.raw("<statusCode code=\"completed\"/>");
            w.empty(
                "value",
                &[("xsi:type", "INT"), ("value", &rank.to_string())],
            );
            w.raw("</observation></entryRelationship>");
        }
        for (i, r) in v.reactions.iter().enumerate() {
            let reference = format!("#vac-1-reac-{}", i + 1);
            w.raw("<entryRelationship typeCode=\"CAUS\" inversionInd=\"false\"><observation classCode=\"OBS\" moodCode=\"EVN\">");
            for t in [
                "2.16.840.1.113883.10.20.1.28",
                "2.16.840.1.113883.10.20.1.54",
                "1.3.6.1.4.1.19376.1.5.3.1.4.5",
                "1.2.250.1.213.1.1.3.37",
            ] {
                w.empty("templateId", &[("root", t)]);
            }
            w.empty("id", &[("root", &crate::xds::new_uuid_oid())]);
            w.cd(
                "code",
                &[],
                &Code::new(
                    "418799008",
                    "2.16.840.1.113883.6.96",
                    "symptôme rapporté par le patient ou le répondant",
                ),
            );
            w.raw("<text>");
            w.empty("reference", &[("value", &reference)]);
            w.raw("</text><statusCode code=\"completed\"/><effectiveTime>");
            w.empty("low", &[("value", d)]);
            w.raw("</effectiveTime>");
            w.open_cd(
                "value",
                &[("xsi:type", "CD")],
                &Code::new(&r.cim10, "2.16.840.1.113883.6.3", &r.label),
            );
            w.raw("<originalText>");
            w.empty("reference", &[("value", &reference)]);
            w.raw("</originalText></value></observation></entryRelationship>");
        }
        if let Some(c) = &v.comment {
            w.raw("<entryRelationship typeCode=\"SUBJ\"><act classCode=\"ACT\" moodCode=\"EVN\">");
            for t in [
                "2.16.840.1.113883.10.20.1.40",
                "1.3.6.1.4.1.19376.1.5.3.1.4.2",
                "1.2.250.1.213.1.1.3.32",
            ] {
                w.empty("templateId", &[("root", t)]);
            }
            w.cd(
                "code",
                &[],
                &Code::new("48767-8", "2.16.840.1.113883.6.1", "Commentaire"),
            );
            w.raw("<text><reference value=\"#vac-1-comment\"/>");
            w.text(c);
            w.raw("</text><statusCode code=\"completed\"/></act></entryRelationship>");
        }
        w.raw("</substanceAdministration></entry></section></component></structuredBody></component></ClinicalDocument>\n");
        let _ = PracticeSetting::AMBULATOIRE;
        w.finish()
    }
}
