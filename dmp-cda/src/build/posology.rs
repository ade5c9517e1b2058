//! Posology of a dispensed line: the eDISP-MED 2024.01 FR-Instructions-au-dosage entry
//! (IHE Pharm DIS Dosage Instructions 1.3.6.1.4.1.19376.1.9.1.3.6, FR-Traitement
//! 1.2.250.1.213.1.1.3.42, IHE PCC Medications 1.3.6.1.4.1.19376.1.5.3.1.4.7 in its "normal"
//! mode 1.3.6.1.4.1.19376.1.5.3.1.4.7.1, CCD 2.16.840.1.113883.10.20.1.24), as in the official
//! sample `ExemplesCDA/eDISP-MED_2024.01.xml`.
//!
//! `E_dispensationMedicament.sch` requires, when the entry is present: an `IVL_TS` effectiveTime
//! (treatment duration), an `SXPR_TS` effectiveTime whose `comp` carry `operator="A"`
//! (frequency), and a `consumable` whose manufacturedMaterial is `nullFlavor="NA"`. The types
//! below make those parts mandatory; the dose and the route are optional.
//!
//! The kit has no value set for dose units: they are written as given (UCUM, e.g. `mg`, `mL`,
//! or an annotation such as `{tablet}` as in the sample). TO VERIFY: whether the DMP checks
//! them against UCUM.

use serde::{Deserialize, Serialize};

use super::BuildError;
use super::xw::Xw;
use crate::jdv::RouteOfAdministration;

/// A calendar date `YYYYMMDD` (HL7 TS to the day).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(String);

impl Date {
    /// Parses `YYYYMMDD`, refusing dates the calendar does not have (30 February).
    pub fn parse(s: &str) -> Result<Self, BuildError> {
        if crate::time::is_yyyymmdd(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(BuildError::Invalid {
                field: "date",
                reason: format!("{s:?} is not YYYYMMDD"),
            })
        }
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `JJ/MM/AAAA`, for the narrative.
    pub fn french(&self) -> String {
        crate::time::french_date(&self.0)
    }
}

impl TryFrom<String> for Date {
    type Error = BuildError;
    fn try_from(s: String) -> Result<Self, BuildError> {
        Self::parse(&s)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.0
    }
}

/// A positive decimal amount written as in the XML (`1`, `0.5`, `2.25`): no sign, no exponent,
/// at most 6 decimals, not zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Amount(String);

impl Amount {
    /// Parses a positive decimal.
    pub fn parse(s: &str) -> Result<Self, BuildError> {
        let bad = |why: &str| BuildError::Invalid {
            field: "amount",
            reason: format!("{s:?}: {why}"),
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || int.len() > 9
            || !int.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac.is_empty())
            || frac.len() > 6
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad("not a decimal like 1 or 0.5"));
        }
        if s.bytes().all(|b| b == b'0' || b == b'.') {
            return Err(bad("a dose is positive"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value in millionths, for comparisons (exact: at most 9 + 6 digits).
    fn micros(&self) -> u64 {
        let (int, frac) = self.0.split_once('.').unwrap_or((&self.0, ""));
        let i: u64 = int.parse().unwrap_or(0);
        let f: u64 = format!("{frac:0<6}").parse().unwrap_or(0);
        i * 1_000_000 + f
    }
}

impl TryFrom<String> for Amount {
    type Error = BuildError;
    fn try_from(s: String) -> Result<Self, BuildError> {
        Self::parse(&s)
    }
}

impl From<Amount> for String {
    fn from(a: Amount) -> String {
        a.0
    }
}

/// A unit of a dose (UCUM code or annotation, e.g. `mg`, `mL`, `{tablet}`): 1 to 32 printable
/// ASCII characters, no space, no quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DoseUnit(String);

impl DoseUnit {
    /// Parses a unit.
    pub fn parse(s: &str) -> Result<Self, BuildError> {
        if s.is_empty()
            || s.len() > 32
            || !s
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'')
        {
            return Err(BuildError::Invalid {
                field: "dose.unit",
                reason: format!("{s:?} is not a UCUM unit such as mg or {{tablet}}"),
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The unit.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DoseUnit {
    type Error = BuildError;
    fn try_from(s: String) -> Result<Self, BuildError> {
        Self::parse(&s)
    }
}

impl From<DoseUnit> for String {
    fn from(u: DoseUnit) -> String {
        u.0
    }
}

/// The dose of one intake (`doseQuantity`, IVL_PQ): `low` alone or a `low`..`high` range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dose {
    /// The dose, or the lowest dose of a range.
    pub low: Amount,
    /// The highest dose of a range (not below `low`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Amount>,
    /// The unit of both.
    pub unit: DoseUnit,
}

/// The time unit of an intake period (UCUM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodUnit {
    /// Hour (`h`).
    H,
    /// Day (`d`).
    D,
    /// Week (`wk`).
    Wk,
    /// Month (`mo`).
    Mo,
}

impl PeriodUnit {
    /// The UCUM code.
    pub fn ucum(self) -> &'static str {
        match self {
            Self::H => "h",
            Self::D => "d",
            Self::Wk => "wk",
            Self::Mo => "mo",
        }
    }

    /// "toutes les 6 heures", "tous les jours"... for the narrative.
    fn french_every(self, n: u32) -> String {
        let (all, one, many) = match self {
            Self::H => ("toutes les", "heures", "heures"),
            Self::D => ("tous les", "jours", "jours"),
            Self::Wk => ("toutes les", "semaines", "semaines"),
            Self::Mo => ("tous les", "mois", "mois"),
        };
        if n == 1 {
            format!("{all} {one}")
        } else {
            format!("{all} {n} {many}")
        }
    }
}

/// One intake every `value` `unit` (`PIVL_TS/period`), e.g. every 6 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Period {
    /// How many units between two intakes (at least 1).
    pub value: u32,
    /// The unit.
    pub unit: PeriodUnit,
}

/// The posology of a dispensed line, when the dispenser records it (FR-Instructions-au-dosage:
/// "uniquement si la posologie a été modifiée" in the sample).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Posology {
    /// The dosage instructions as written for the patient (narrative), e.g.
    /// "1 comprimé toutes les 6 heures pendant 3 jours".
    pub text: String,
    /// First day of treatment (effectiveTime IVL_TS low).
    pub start: Date,
    /// Last day of treatment (IVL_TS high), not before `start`.
    pub end: Date,
    /// One intake every... (SXPR_TS: the treatment interval intersected with a PIVL_TS period).
    pub every: Period,
    /// Dose of one intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose: Option<Dose>,
    /// Route (JDV_RouteofAdministration-CISIS, EDQM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteOfAdministration>,
}

impl Posology {
    /// Checks what the types cannot: text, date order, period, dose range.
    pub fn check(&self) -> Result<(), BuildError> {
        if self.text.trim().is_empty() {
            return Err(BuildError::Missing("posology.text"));
        }
        if self.end < self.start {
            return Err(BuildError::Invalid {
                field: "posology.end",
                reason: format!(
                    "{} is before the start {}",
                    self.end.as_str(),
                    self.start.as_str()
                ),
            });
        }
        if self.every.value == 0 {
            return Err(BuildError::Invalid {
                field: "posology.every.value",
                reason: "a period is at least 1".into(),
            });
        }
        if let Some(d) = &self.dose
            && let Some(h) = &d.high
            && h.micros() < d.low.micros()
        {
            return Err(BuildError::Invalid {
                field: "posology.dose.high",
                reason: format!("{} is below low {}", h.as_str(), d.low.as_str()),
            });
        }
        Ok(())
    }

    /// The narrative cells: (treatment period, frequency, dose, route).
    pub(crate) fn narrative(&self) -> [String; 4] {
        let every = self.every.unit.french_every(self.every.value);
        let dose = self
            .dose
            .as_ref()
            .map(|d| match &d.high {
                Some(h) if h != &d.low => {
                    format!("{} à {} {}", d.low.as_str(), h.as_str(), d.unit.as_str())
                }
                _ => format!("{} {}", d.low.as_str(), d.unit.as_str()),
            })
            .unwrap_or_default();
        [
            format!("du {} au {}", self.start.french(), self.end.french()),
            every,
            dose,
            self.route
                .map(|r| crate::jdv::ValueSet::display_name(r).to_owned())
                .unwrap_or_default(),
        ]
    }

    /// Writes the FR-Instructions-au-dosage entryRelationship; `n` numbers the line for the
    /// narrative references.
    pub(crate) fn write(&self, w: &mut Xw, n: usize) {
        w.raw("<entryRelationship typeCode=\"COMP\"><substanceAdministration classCode=\"SBADM\" moodCode=\"INT\">");
        w.raw("<templateId root=\"2.16.840.1.113883.10.20.1.24\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7\"/><templateId root=\"1.2.250.1.213.1.1.3.42\"/><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.6\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7.1\"/>");
        w.empty("id", &[("root", &crate::xds::new_uuid_oid())]);
        w.raw(&format!(
            "<text><reference value=\"#med-{n}-posologie\"/></text><statusCode code=\"completed\"/>"
        ));
        let (start, end) = (self.start.as_str(), self.end.as_str());
        // Treatment duration (E_dispensationMedicament: IVL_TS [1..1]).
        w.raw("<effectiveTime xsi:type=\"IVL_TS\">");
        w.empty("low", &[("value", start)]);
        w.empty("high", &[("value", end)]);
        w.raw("</effectiveTime>");
        // Frequency (E_dispensationMedicament: SXPR_TS with comp operator A [1..1]).
        w.raw("<effectiveTime xsi:type=\"SXPR_TS\" operator=\"A\"><comp xsi:type=\"IVL_TS\" operator=\"A\">");
        w.empty("low", &[("value", start)]);
        w.empty("high", &[("value", end)]);
        w.raw("</comp><comp xsi:type=\"PIVL_TS\" operator=\"A\">");
        w.empty(
            "period",
            &[
                ("value", &self.every.value.to_string()),
                ("unit", self.every.unit.ucum()),
            ],
        );
        w.raw("</comp></effectiveTime>");
        if let Some(r) = self.route {
            w.open_vs("routeCode", r);
            w.raw(&format!(
                "<originalText><reference value=\"#med-{n}-voie\"/></originalText></routeCode>"
            ));
        }
        if let Some(d) = &self.dose {
            let high = d.high.as_ref().unwrap_or(&d.low);
            w.raw("<doseQuantity>");
            w.empty(
                "low",
                &[("value", d.low.as_str()), ("unit", d.unit.as_str())],
            );
            w.empty(
                "high",
                &[("value", high.as_str()), ("unit", d.unit.as_str())],
            );
            w.raw("</doseQuantity>");
        }
        // The medicine is the supply's product: nullFlavor NA here (E_dispensationMedicament).
        w.raw("<consumable><manufacturedProduct><templateId root=\"2.16.840.1.113883.10.20.1.53\"/><templateId root=\"1.3.6.1.4.1.19376.1.5.3.1.4.7.2\"/><templateId root=\"1.2.250.1.213.1.1.3.43\"/><manufacturedMaterial nullFlavor=\"NA\"><templateId root=\"1.3.6.1.4.1.19376.1.9.1.3.1\"/><code nullFlavor=\"NA\"/><name nullFlavor=\"NA\"/></manufacturedMaterial></manufacturedProduct></consumable>");
        w.raw("</substanceAdministration></entryRelationship>");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn posology(json: serde_json::Value) -> Result<Posology, serde_json::Error> {
        serde_json::from_value(json)
    }

    #[test]
    fn amounts_are_positive_decimals() {
        for ok in ["1", "0.5", "2.25", "10", "0.000001"] {
            assert_eq!(Amount::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "0",
            "0.0",
            "-1",
            "1.",
            ".5",
            "1e3",
            "1,5",
            "1.1234567",
            " 1",
        ] {
            assert!(Amount::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Amount::parse("0.5").unwrap().micros() < Amount::parse("1").unwrap().micros());
    }

    #[test]
    fn units_and_dates_are_checked() {
        assert!(DoseUnit::parse("{tablet}").is_ok());
        assert!(DoseUnit::parse("mg/d").is_ok());
        for bad in ["", "m g", "\"mg", &"x".repeat(33)] {
            assert!(DoseUnit::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Date::parse("20240229").is_ok());
        for bad in ["2024-02-29", "20241301", "20240100", "2024010"] {
            assert!(Date::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn posology_checks_order_period_and_range() {
        let base = serde_json::json!({
            "text": "1 comprimé toutes les 6 heures",
            "start": "20240301", "end": "20240303",
            "every": {"value": 6, "unit": "h"},
            "dose": {"low": "1", "high": "2", "unit": "{tablet}"},
            "route": "20053000"
        });
        let p = posology(base.clone()).unwrap();
        p.check().unwrap();
        assert_eq!(
            p.narrative(),
            [
                "du 01/03/2024 au 03/03/2024".to_owned(),
                "toutes les 6 heures".to_owned(),
                "1 à 2 {tablet}".to_owned(),
                "Voie orale".to_owned()
            ]
        );
        let mut v = base.clone();
        v["end"] = "20240229".into();
        assert!(matches!(
            posology(v).unwrap().check(),
            Err(BuildError::Invalid {
                field: "posology.end",
                ..
            })
        ));
        let mut v = base.clone();
        v["every"]["value"] = 0.into();
        assert!(matches!(
            posology(v).unwrap().check(),
            Err(BuildError::Invalid {
                field: "posology.every.value",
                ..
            })
        ));
        let mut v = base.clone();
        v["dose"]["high"] = "0.5".into();
        assert!(matches!(
            posology(v).unwrap().check(),
            Err(BuildError::Invalid {
                field: "posology.dose.high",
                ..
            })
        ));
        let mut v = base.clone();
        v["text"] = " ".into();
        assert_eq!(
            posology(v).unwrap().check(),
            Err(BuildError::Missing("posology.text"))
        );
        // A route outside JDV_RouteofAdministration-CISIS, a unit with a space, an unknown period
        // unit: refused when read.
        for (k, bad) in [
            ("route", serde_json::json!("99999999")),
            ("every", serde_json::json!({"value": 1, "unit": "s"})),
            ("dose", serde_json::json!({"low": "1", "unit": "m g"})),
        ] {
            let mut v = base.clone();
            v[k] = bad;
            assert!(posology(v).is_err(), "{k}");
        }
    }

    #[test]
    fn every_day_reads_naturally() {
        let p = posology(serde_json::json!({
            "text": "1 sachet par jour", "start": "20240301", "end": "20240301",
            "every": {"value": 1, "unit": "d"}
        }))
        .unwrap();
        p.check().unwrap();
        assert_eq!(p.narrative()[1], "tous les jours");
        assert_eq!(p.narrative()[2], "");
    }
}
