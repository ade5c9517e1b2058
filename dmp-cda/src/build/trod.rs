//! Test rapide d'orientation diagnostique, volet BIO-TROD 2024.01 (CI-SIS; templateId
//! 1.2.250.1.213.1.1.1.59 ext 2024.01, LOINC 96173-0). One serviceEvent per screened disease
//! (CIM-10), practice setting forced to DEPISTAGE, patient consent GEN-366, one FR-CR-BIO-Chapitre
//! section per screening with its device (UDI or manufacturer | reference | lot | expiry) and
//! results from JDV_ResultatDepistage-CISIS.

use serde::{Deserialize, Serialize};

use super::BuildError;
use super::header::{self, DocKind, Header, Timestamp};
use super::xw::Xw;
use crate::jdv::{PracticeSetting, ScreeningResult, ValueSet};
use crate::model::Code;

/// The volet version this builder produces.
pub const VERSION: &str = "2024.01";
/// Volet templateId.
pub const TEMPLATE: &str = "1.2.250.1.213.1.1.1.59";

/// UDI issuing agencies (BIO-TROD: participantRole/id root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UdiIssuer {
    /// GS1 (2.51.1.1).
    Gs1,
    /// HIBCC (1.0.15961.10.816).
    Hibcc,
    /// ICCBBA (2.16.840.1.113883.6.18.1.34).
    Iccbba,
}

impl UdiIssuer {
    fn oid(self) -> &'static str {
        match self {
            Self::Gs1 => "2.51.1.1",
            Self::Hibcc => "1.0.15961.10.816",
            Self::Iccbba => "2.16.840.1.113883.6.18.1.34",
        }
    }
}

/// The test device: manufacturer, reference, lot and expiry always (narrative), UDI when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Device {
    /// UDI issuer and UDI string, when the device carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udi: Option<(UdiIssuer, String)>,
    /// Manufacturer.
    pub manufacturer: String,
    /// Reference.
    pub reference: String,
    /// Lot number.
    pub lot: String,
    /// Expiry date, `JJ/MM/AAAA` as printed.
    pub expiry: String,
}

/// One test of a screening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestResult {
    /// The test (LOINC), e.g. 78012-2, 94558-4, 80382-5, 80383-3.
    pub test: Code,
    /// The result (JDV_ResultatDepistage-CISIS).
    pub result: ScreeningResult,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One screening (one disease).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Screening {
    /// The disease screened (CIM-10): J02.0 angine streptococcique, U07.1 COVID-19, J10 / J09
    /// grippe, N30 cystite, or another.
    pub disease: Code,
    /// Narrative label, e.g. "Dépistage Angine (S. pyogenes)".
    pub label: String,
    /// Battery (LOINC), e.g. 92894-5 Sérologie bactérienne, 92893-7 Sérologie virale.
    pub battery: Code,
    /// Section (LOINC): 18725-2 Microbiologie by default.
    #[serde(default = "microbiology")]
    pub section: Code,
    /// When the test was done.
    pub time: Timestamp,
    /// The device.
    pub device: Device,
    /// Results (1..*).
    pub results: Vec<TestResult>,
}

fn microbiology() -> Code {
    Code::new("18725-2", "2.16.840.1.113883.6.1", "Microbiologie")
}

/// Input of a BIO-TROD 2024.01 document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trod2024_01 {
    /// Header (its practice setting is forced to DEPISTAGE).
    pub header: Header,
    /// Screenings (1..*).
    pub screenings: Vec<Screening>,
}

fn non_empty(field: &'static str, s: &str) -> Result<(), BuildError> {
    if s.trim().is_empty() {
        Err(BuildError::Missing(field))
    } else {
        Ok(())
    }
}

impl Trod2024_01 {
    /// Checks the inputs the types cannot.
    pub fn check(&self) -> Result<(), BuildError> {
        if self.screenings.is_empty() {
            return Err(BuildError::Missing("screenings (1..*)"));
        }
        for s in &self.screenings {
            non_empty("screening.label", &s.label)?;
            non_empty("screening.disease.code", &s.disease.code)?;
            non_empty("screening.battery.code", &s.battery.code)?;
            let d = &s.device;
            for (f, v) in [
                ("device.manufacturer", &d.manufacturer),
                ("device.reference", &d.reference),
                ("device.lot", &d.lot),
                ("device.expiry", &d.expiry),
            ] {
                non_empty(f, v)?;
            }
            if let Some((_, udi)) = &d.udi {
                non_empty("device.udi", udi)?;
            }
            if s.results.is_empty() {
                return Err(BuildError::Missing("screening.results (1..*)"));
            }
            for r in &s.results {
                non_empty("result.test.code", &r.test.code)?;
            }
        }
        Ok(())
    }

    /// Builds the CDA XML.
    pub fn build(&self) -> Result<String, BuildError> {
        self.check()?;
        let mut h = self.header.clone();
        h.organization.practice_setting = PracticeSetting::DEPISTAGE;
        let h = &h;
        let ids = header::resolve_ids(h);
        let code = Code::new(
            "96173-0",
            "2.16.840.1.113883.6.1",
            "Test rapide d'orientation diagnostique",
        );
        let labels: Vec<&str> = self.screenings.iter().map(|s| s.label.as_str()).collect();
        let title = format!(
            "Test rapide d'orientation diagnostique : {}",
            labels.join(", ")
        );
        let kind = DocKind {
            templates: &[
                ("1.3.6.1.4.1.19376.1.5.3.1.1.1", None),
                (TEMPLATE, Some(VERSION)),
            ],
            code,
            title: &title,
            practice_setting: PracticeSetting::DEPISTAGE,
            service_code: self.screenings[0].disease.clone(),
            service_start: self.screenings[0].time.as_str(),
        };
        let mut w = Xw::new(16 * 1024);
        header::write_header(&mut w, h, &kind, &ids)?;
        for s in &self.screenings {
            let k = DocKind {
                service_code: s.disease.clone(),
                service_start: s.time.as_str(),
                ..kind.clone()
            };
            header::write_service_event(&mut w, h, &k);
        }
        header::write_tail(&mut w, h);
        w.raw("<authorization typeCode=\"AUTH\"><consent classCode=\"CONS\" moodCode=\"EVN\">");
        w.cd(
            "code",
            &[],
            &Code::new(
                "GEN-366",
                "1.2.250.1.213.1.1.4.322",
                "Le patient (ou son représentant légal) a donné son consentement pour la réalisation du test.",
            ),
        );
        w.raw("<statusCode code=\"completed\"/></consent></authorization>");
        header::write_encounter(&mut w, h);
        w.raw("<component><structuredBody>");
        for (i, s) in self.screenings.iter().enumerate() {
            let n = i + 1;
            w.raw("<component><section><templateId root=\"1.3.6.1.4.1.19376.1.3.3.2.1\"/><templateId root=\"1.2.250.1.213.1.1.2.70\"/>");
            w.cd("code", &[], &s.section);
            w.leaf(
                "title",
                &[],
                "Résultat du test rapide d'orientation diagnostique",
            );
            w.raw("<text><table border=\"0\"><thead><tr><th>Pathologie/Substance dépistée</th><th>Résultat</th><th>Commentaire / Contexte</th></tr></thead><tbody>");
            for (j, r) in s.results.iter().enumerate() {
                let m = j + 1;
                w.raw("<tr><td>");
                w.raw(&format!("<content ID=\"examen-{n}-{m}\">"));
                w.text(&format!(
                    "{} : {}",
                    s.label,
                    r.test.display_name.as_deref().unwrap_or(&r.test.code)
                ));
                w.raw(&format!(
                    "</content></td><td><content ID=\"resultat-{n}-{m}\">"
                ));
                w.text(r.result.display_name());
                w.raw(&format!(
                    "</content></td><td><content ID=\"commentaire-{n}-{m}\">"
                ));
                w.text(r.comment.as_deref().unwrap_or_default());
                w.raw("</content></td></tr>");
            }
            w.raw("</tbody></table><br/><table border=\"0\"><thead><tr><th>Code UDI du dispositif utilisé</th><th>Fabricant | Référence | N° de lot | Date de péremption</th></tr></thead><tbody><tr>");
            let d = &s.device;
            w.leaf(
                "td",
                &[],
                d.udi.as_ref().map(|(_, u)| u.as_str()).unwrap_or_default(),
            );
            w.raw(&format!("<td><content ID=\"dispositif-{n}\">"));
            w.text(&format!(
                "{} | {} | {} | {}",
                d.manufacturer, d.reference, d.lot, d.expiry
            ));
            w.raw("</content></td></tr></tbody></table></text>");
            w.raw("<entry typeCode=\"DRIV\"><templateId root=\"1.3.6.1.4.1.19376.1.3.1\"/><templateId root=\"1.2.250.1.213.1.1.3.21\"/><act classCode=\"ACT\" moodCode=\"EVN\">");
            w.cd("code", &[], &s.battery);
            w.raw("<statusCode code=\"completed\"/><participant typeCode=\"DEV\"><participantRole classCode=\"MANU\">");
            if let Some((issuer, udi)) = &d.udi {
                w.empty("id", &[("root", issuer.oid()), ("extension", udi)]);
            }
            w.raw(&format!("<playingDevice classCode=\"DEV\" determinerCode=\"INSTANCE\"><code><originalText><reference value=\"#dispositif-{n}\"/></originalText></code></playingDevice></participantRole></participant>"));
            for (j, r) in s.results.iter().enumerate() {
                let m = j + 1;
                w.raw("<entryRelationship typeCode=\"COMP\"><observation classCode=\"OBS\" moodCode=\"EVN\"><templateId root=\"1.3.6.1.4.1.19376.1.3.1.6\"/><templateId root=\"1.2.250.1.213.1.1.3.80\"/>");
                w.open_cd("code", &[], &r.test);
                w.raw(&format!("<originalText><reference value=\"#examen-{n}-{m}\"/></originalText></code><statusCode code=\"completed\"/>"));
                w.empty("effectiveTime", &[("value", s.time.as_str())]);
                let (c, sys, disp) = r.result.triplet();
                w.open_cd("value", &[("xsi:type", "CD")], &Code::new(c, sys, disp));
                w.raw(&format!(
                    "<originalText><reference value=\"#resultat-{n}-{m}\"/></originalText></value>"
                ));
                if r.comment.is_some() {
                    w.raw("<entryRelationship typeCode=\"SUBJ\"><act classCode=\"ACT\" moodCode=\"EVN\"><templateId root=\"2.16.840.1.113883.10.20.1.40\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.2\"/><templateId root=\"1.2.250.1.213.1.1.3.32\"/>");
                    w.cd(
                        "code",
                        &[],
                        &Code::new("48767-8", "2.16.840.1.113883.6.1", "Commentaire"),
                    );
                    w.raw(&format!("<text><reference value=\"#commentaire-{n}-{m}\"/></text><statusCode code=\"completed\"/></act></entryRelationship>"));
                }
                w.raw("</observation></entryRelationship>");
            }
            w.raw("</act></entry></section></component>");
        }
        w.raw("</structuredBody></component></ClinicalDocument>\n");
        Ok(w.s)
    }
}
