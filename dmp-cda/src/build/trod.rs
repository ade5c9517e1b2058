//! Test rapide d'orientation diagnostique, volet BIO-TROD 2024.01 (CI-SIS; templateId
//! 1.2.250.1.213.1.1.1.59 ext 2024.01, LOINC 96173-0). One serviceEvent per screened disease
//! (CIM-10), practice setting forced to DEPISTAGE, patient consent GEN-366, one FR-CR-BIO-Chapitre
//! section per screening with its device (UDI or manufacturer | reference | lot | expiry) and
//! its results.
//!
//! Screenings are typed by what they screen ([`Screening`]):
//! - [`CystitisScreening`]: cystite (CIM-10 N30) by urine strip, exactly the leucocyte esterase
//!   (LOINC 5799-2) and nitrites (LOINC 5802-4) tests of the kit sample
//!   `BIO-TROD_2024.01_Cystite.xml`. The kit binds both results, when the serviceEvent is N30, to
//!   JDV_ResultatDepistage-CISIS (schematrons `JDV_ResultatDepistageLeucocyturieCystite_CISIS.sch`
//!   and `JDV_ResultatDepistageNitriturieCystite_CISIS.sch`, whose value-set variable is
//!   `JDV_ResultatDepistage_CISIS.xml` in `CI-SIS_BIO-TROD_2024.01.sch`), so they are
//!   [`ScreeningResult`]s. The graded strip value sets (JDV_ResultatDepistageLeucocyturie /
//!   Nitriturie, [`crate::jdv::ScreeningLeucocyturieResult`]) apply to another serviceEvent
//!   (SNOMED CT 167226008) and cannot appear in a cystite screening.
//! - [`OtherScreening`]: angine, COVID-19, grippe and any other disease, coded by the caller, with
//!   JDV_ResultatDepistage-CISIS results. It refuses the cystite disease and every test the kit
//!   binds to a test-specific value set ([`TESTS_WITH_OWN_VALUE_SET`]), so a cystite result cannot
//!   be carried by another screening and a cystite screening carries nothing else.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::BuildError;
use super::header::{self, DocKind, Header, Timestamp};
use super::input;
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

/// One test of an [`OtherScreening`].
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

/// The result of one test of a typed screening: the value and an optional comment
/// (FR-Commentaire-ER).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripResult {
    /// The result (JDV_ResultatDepistage-CISIS, the value set the kit binds for N30).
    pub result: ScreeningResult,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A cystite screening (CIM-10 N30) by urine strip: leucocyturie and nitriturie, both read on
/// every strip. Every code is fixed by the kit sample `BIO-TROD_2024.01_Cystite.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CystitisScreening {
    /// When the test was done.
    pub time: Timestamp,
    /// The strip.
    pub device: Device,
    /// Leucocyte esterase, LOINC 5799-2.
    pub leucocyturie: StripResult,
    /// Nitrites, LOINC 5802-4.
    pub nitriturie: StripResult,
}

/// Any screening other than cystite (angine, COVID-19, grippe...), coded by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OtherScreening {
    /// The disease screened (CIM-10): J02.0 angine streptococcique, U07.1 COVID-19, J10 / J09
    /// grippe, or another; not N30 (use [`CystitisScreening`]).
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

/// One screening (one disease), tagged by `kind` in JSON (read with errors at their real line
/// and column when `kind` comes first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Screening {
    /// Cystite (N30) by urine strip.
    Cystite(CystitisScreening),
    /// Any other disease.
    Other(OtherScreening),
}

impl super::tagged::InternallyTagged for Screening {
    const TAG: &'static str = "kind";
    const EXPECTING: &'static str = "a screening";

    fn from_rest<'de, A: serde::de::MapAccess<'de>>(
        variant: &str,
        rest: A,
    ) -> Result<Self, A::Error> {
        use super::tagged::payload;
        Ok(match variant {
            "cystite" => Self::Cystite(payload(rest)?),
            "other" => Self::Other(payload(rest)?),
            other => {
                return Err(serde::de::Error::unknown_variant(
                    other,
                    &["cystite", "other"],
                ));
            }
        })
    }
}

impl<'de> Deserialize<'de> for Screening {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::tagged::deserialize(deserializer)
    }
}

/// CIM-10 N30 "Cystite" (serviceEvent code of the kit sample).
pub const CYSTITIS: (&str, &str, &str) = ("N30", CIM10, "Cystite");
/// LOINC 5799-2, leucocyte esterase on urine strip (kit sample displayName).
pub const LEUCOCYTE_ESTERASE: (&str, &str, &str) = (
    "5799-2",
    LOINC,
    "Leucocyte estérase [Présence/Seuil] Urine ; Qualitatif ; Bandelette réactive",
);
/// LOINC 5802-4, nitrites on urine strip (kit sample displayName).
pub const NITRITES: (&str, &str, &str) = (
    "5802-4",
    LOINC,
    "Nitrites [Présence/Seuil] Urine ; Qualitatif ; Bandelette réactive",
);

/// Tests the kit binds to their own result value set (the `JDV_ResultatDepistage*_CISIS.sch`
/// patterns of `CI-SIS_BIO-TROD_2024.01.sch`: glycémie, cétonémie, cholestérol, CRP, rupture des
/// membranes, bilirubinémie, protéinurie, corps cétoniques, glucose, bilirubinurie,
/// urobilinogénurie, nitriturie, hématurie, leucocyturie, acide ascorbique). An
/// [`OtherScreening`] refuses them: its results are JDV_ResultatDepistage-CISIS values.
pub const TESTS_WITH_OWN_VALUE_SET: &[&str] = &[
    "41653-7", "53061-8", "5932-9", "48421-2", "72269-4", "72898-0", "58941-6", "5804-0", "2514-8",
    "5792-7", "5770-3", "20405-7", "5802-4", "5794-3", "5799-2", "1904-2",
];

const LOINC: &str = "2.16.840.1.113883.6.1";
const CIM10: &str = "2.16.840.1.113883.6.3";

impl Screening {
    /// When the test was done.
    pub fn time(&self) -> &Timestamp {
        match self {
            Self::Cystite(c) => &c.time,
            Self::Other(o) => &o.time,
        }
    }

    /// The device.
    pub fn device(&self) -> &Device {
        match self {
            Self::Cystite(c) => &c.device,
            Self::Other(o) => &o.device,
        }
    }

    /// The narrative label of the screening.
    pub fn label(&self) -> &str {
        match self {
            Self::Cystite(_) => "Dépistage Cystite",
            Self::Other(o) => &o.label,
        }
    }

    /// The disease screened (serviceEvent code).
    pub fn disease(&self) -> Cow<'_, Code> {
        match self {
            Self::Cystite(_) => Cow::Owned(Code::new(CYSTITIS.0, CYSTITIS.1, CYSTITIS.2)),
            Self::Other(o) => Cow::Borrowed(&o.disease),
        }
    }

    fn view(&self) -> View<'_> {
        match self {
            Self::Cystite(c) => View {
                // Section and battery of the kit sample BIO-TROD_2024.01_Cystite.xml.
                section: Cow::Owned(Code::new("18719-5", LOINC, "Biochimie")),
                battery: Cow::Owned(Code::new(
                    "18729-4",
                    LOINC,
                    "Examens urinaires - cristallurie",
                )),
                rows: vec![
                    Row {
                        test: Cow::Owned(Code::new(
                            LEUCOCYTE_ESTERASE.0,
                            LEUCOCYTE_ESTERASE.1,
                            LEUCOCYTE_ESTERASE.2,
                        )),
                        result: c.leucocyturie.result,
                        comment: c.leucocyturie.comment.as_deref(),
                    },
                    Row {
                        test: Cow::Owned(Code::new(NITRITES.0, NITRITES.1, NITRITES.2)),
                        result: c.nitriturie.result,
                        comment: c.nitriturie.comment.as_deref(),
                    },
                ],
            },
            Self::Other(o) => View {
                section: Cow::Borrowed(&o.section),
                battery: Cow::Borrowed(&o.battery),
                rows: o
                    .results
                    .iter()
                    .map(|r| Row {
                        test: Cow::Borrowed(&r.test),
                        result: r.result,
                        comment: r.comment.as_deref(),
                    })
                    .collect(),
            },
        }
    }
}

/// What a screening writes in its section.
struct View<'a> {
    section: Cow<'a, Code>,
    battery: Cow<'a, Code>,
    rows: Vec<Row<'a>>,
}

struct Row<'a> {
    test: Cow<'a, Code>,
    result: ScreeningResult,
    comment: Option<&'a str>,
}

fn microbiology() -> Code {
    Code::new("18725-2", LOINC, "Microbiologie")
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

fn check_other(o: &OtherScreening) -> Result<(), BuildError> {
    non_empty("screening.label", &o.label)?;
    non_empty("screening.disease.code", &o.disease.code)?;
    non_empty("screening.battery.code", &o.battery.code)?;
    non_empty("screening.section.code", &o.section.code)?;
    let d = o.disease.code.trim();
    if d == CYSTITIS.0 || d.starts_with("N30.") {
        // The kit binds the N30 results to their own patterns: only the typed screening writes them.
        return Err(BuildError::Invalid {
            field: "screening.disease",
            reason: format!("{d} (cystite) is screened with kind \"cystite\""),
        });
    }
    if o.results.is_empty() {
        return Err(BuildError::Missing("screening.results (1..*)"));
    }
    for r in &o.results {
        non_empty("result.test.code", &r.test.code)?;
        let t = r.test.code.trim();
        if TESTS_WITH_OWN_VALUE_SET.contains(&t) {
            return Err(BuildError::Invalid {
                field: "result.test",
                reason: format!(
                    "LOINC {t} has its own result value set in BIO-TROD 2024.01: not a JDV_ResultatDepistage result (a cystite strip is kind \"cystite\")"
                ),
            });
        }
        if let Some(c) = &r.comment {
            non_empty("result.comment", c)?;
        }
    }
    Ok(())
}

impl Trod2024_01 {
    /// Checks the inputs the types cannot.
    pub fn check(&self) -> Result<(), BuildError> {
        input::check_text(self)?;
        input::check_header(&self.header)?;
        if self.screenings.is_empty() {
            return Err(BuildError::Missing("screenings (1..*)"));
        }
        for s in &self.screenings {
            let d = s.device();
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
            match s {
                Screening::Cystite(c) => {
                    for (f, r) in [
                        ("leucocyturie.comment", &c.leucocyturie),
                        ("nitriturie.comment", &c.nitriturie),
                    ] {
                        if let Some(t) = &r.comment {
                            non_empty(f, t)?;
                        }
                    }
                }
                Screening::Other(o) => check_other(o)?,
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
        let labels: Vec<&str> = self.screenings.iter().map(Screening::label).collect();
        let title = format!(
            "Test rapide d'orientation diagnostique : {}",
            labels.join(", ")
        );
        // `check` refused an empty list: the first screening gives the service event.
        let first = self
            .screenings
            .first()
            .ok_or(BuildError::Missing("screenings"))?;
        let kind = DocKind {
            templates: &[
                ("1.3.6.1.4.1.19376.1.5.3.1.1.1", None),
                (TEMPLATE, Some(VERSION)),
            ],
            code,
            title: &title,
            practice_setting: PracticeSetting::DEPISTAGE,
            service_code: first.disease().into_owned(),
            service_start: first.time().as_str(),
        };
        let mut w = Xw::new(16 * 1024);
        header::write_header(&mut w, h, &kind, &ids)?;
        for s in &self.screenings {
            let k = DocKind {
                service_code: s.disease().into_owned(),
                service_start: s.time().as_str(),
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
            let v = s.view();
            let label = s.label();
            w.raw("<component><section><templateId root=\"1.3.6.1.4.1.19376.1.3.3.2.1\"/><templateId root=\"1.2.250.1.213.1.1.2.70\"/>");
            w.cd("code", &[], &v.section);
            w.leaf(
                "title",
                &[],
                "Résultat du test rapide d'orientation diagnostique",
            );
            w.raw("<text><table border=\"0\"><thead><tr><th>Pathologie/Substance dépistée</th><th>Résultat</th><th>Commentaire / Contexte</th></tr></thead><tbody>");
            for (j, r) in v.rows.iter().enumerate() {
                let m = j + 1;
                w.raw("<tr><td>");
                w.raw(&format!("<content ID=\"examen-{n}-{m}\">"));
                w.text(&format!(
                    "{} : {}",
                    label,
                    r.test.display_name.as_deref().unwrap_or(&r.test.code)
                ));
                w.raw(&format!(
                    "</content></td><td><content ID=\"resultat-{n}-{m}\">"
                ));
                w.text(r.result.display_name());
                w.raw(&format!(
                    "</content></td><td><content ID=\"commentaire-{n}-{m}\">"
                ));
                w.text(r.comment.unwrap_or_default());
                w.raw("</content></td></tr>");
            }
            w.raw("</tbody></table><br/><table border=\"0\"><thead><tr><th>Code UDI du dispositif utilisé</th><th>Fabricant | Référence | N° de lot | Date de péremption</th></tr></thead><tbody><tr>");
            let d = s.device();
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
            w.cd("code", &[], &v.battery);
            w.raw("<statusCode code=\"completed\"/><participant typeCode=\"DEV\"><participantRole classCode=\"MANU\">");
            if let Some((issuer, udi)) = &d.udi {
                w.empty("id", &[("root", issuer.oid()), ("extension", udi)]);
            }
            w.raw(&format!("<playingDevice classCode=\"DEV\" determinerCode=\"INSTANCE\"><code><originalText><reference value=\"#dispositif-{n}\"/></originalText></code></playingDevice></participantRole></participant>"));
            for (j, r) in v.rows.iter().enumerate() {
                let m = j + 1;
                w.raw("<entryRelationship typeCode=\"COMP\"><observation classCode=\"OBS\" moodCode=\"EVN\"><templateId root=\"1.3.6.1.4.1.19376.1.3.1.6\"/><templateId root=\"1.2.250.1.213.1.1.3.80\"/>");
                w.open_cd("code", &[], &r.test);
                w.raw(&format!("<originalText><reference value=\"#examen-{n}-{m}\"/></originalText></code><statusCode code=\"completed\"/>"));
                w.empty("effectiveTime", &[("value", s.time().as_str())]);
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
        w.finish()
    }
}
