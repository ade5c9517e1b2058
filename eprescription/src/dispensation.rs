//! Dispensation of an ordonnance numérique, line by line, and the service boundary.
//!
//! Workflow (Ordre des pharmaciens; Le Quotidien du pharmacien, see the crate's specification
//! notes): the pharmacist fetches the prescription lines from the Assurance Maladie base,
//! records **an intervention for every line** (even "no change"), and any modification needs
//! the **prescriber's agreement, the modification date and the dispensing date**. Lines the
//! prescriber added by hand on the paper are recorded too.
//!
//! The téléservice protocol (transport, operations, codes of non-dispensing reasons) is **not
//! public**: [`PrescriptionService`] is the boundary an LGO implements once it holds the
//! official specifications. No wire format is invented here; reasons are free text.
//! [`InMemoryPrescriptionService`] is a local implementation for tests, demos and training.

use crate::error::{Error, Result};
use crate::prescription::PrescriptionId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// A prescription as returned by the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prescription {
    /// Its unique number.
    pub id: PrescriptionId,
    /// Date of the prescription, when the service gives it.
    pub prescribed_on: Option<NaiveDate>,
    /// Prescriber identifier as given by the service (e.g. RPPS), opaque here.
    pub prescriber_id: Option<String>,
    /// The prescribed lines.
    pub lines: Vec<PrescribedLine>,
}

/// One prescribed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescribedLine {
    /// Line identifier as given by the service, opaque here.
    pub line_id: String,
    /// Product or substance as prescribed.
    pub label: String,
    /// Posology as prescribed.
    pub posology: Option<String>,
    /// Quantity or duration as prescribed.
    pub quantity: Option<String>,
}

/// The prescriber's agreement to a modification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrescriberAgreement {
    /// When the prescriber agreed.
    pub agreed_on: NaiveDate,
    /// When the line was modified.
    pub modified_on: NaiveDate,
}

/// The pharmacist's intervention on one prescribed line, tagged by `kind` in JSON (read with
/// errors at their real line and column when `kind` comes first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Intervention {
    /// Dispensed as prescribed.
    WithoutChange,
    /// Another product dispensed (e.g. generic substitution). The agreement is optional
    /// because the pharmacist's right of substitution does not need one.
    Substitution {
        /// Product dispensed instead.
        dispensed_product: String,
        /// Agreement, when one was obtained.
        prescriber_agreement: Option<PrescriberAgreement>,
    },
    /// Posology adapted: always with the prescriber's agreement.
    PosologyAdaptation {
        /// New posology.
        new_posology: String,
        /// Agreement of the prescriber.
        prescriber_agreement: PrescriberAgreement,
    },
    /// Not dispensed.
    NotDispensed {
        /// Reason as free text (the official reason codes are not public).
        reason: String,
    },
}

/// The members of [`Intervention::Substitution`].
#[derive(Deserialize)]
struct SubstitutionFields {
    dispensed_product: String,
    prescriber_agreement: Option<PrescriberAgreement>,
}

/// The members of [`Intervention::PosologyAdaptation`].
#[derive(Deserialize)]
struct PosologyAdaptationFields {
    new_posology: String,
    prescriber_agreement: PrescriberAgreement,
}

/// The members of [`Intervention::NotDispensed`].
#[derive(Deserialize)]
struct NotDispensedFields {
    reason: String,
}

impl crate::tagged::InternallyTagged for Intervention {
    const TAG: &'static str = "kind";
    const EXPECTING: &'static str = "an intervention";

    fn from_rest<'de, A: serde::de::MapAccess<'de>>(
        variant: &str,
        rest: A,
    ) -> std::result::Result<Self, A::Error> {
        use crate::tagged::payload;
        Ok(match variant {
            "without_change" => {
                // serde's derive ignores other members of a unit variant: so does this.
                payload::<_, serde::de::IgnoredAny>(rest)?;
                Self::WithoutChange
            }
            "substitution" => {
                let f: SubstitutionFields = payload(rest)?;
                Self::Substitution {
                    dispensed_product: f.dispensed_product,
                    prescriber_agreement: f.prescriber_agreement,
                }
            }
            "posology_adaptation" => {
                let f: PosologyAdaptationFields = payload(rest)?;
                Self::PosologyAdaptation {
                    new_posology: f.new_posology,
                    prescriber_agreement: f.prescriber_agreement,
                }
            }
            "not_dispensed" => {
                let f: NotDispensedFields = payload(rest)?;
                Self::NotDispensed { reason: f.reason }
            }
            other => {
                return Err(serde::de::Error::unknown_variant(
                    other,
                    &[
                        "without_change",
                        "substitution",
                        "posology_adaptation",
                        "not_dispensed",
                    ],
                ));
            }
        })
    }
}

impl<'de> Deserialize<'de> for Intervention {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        crate::tagged::deserialize(deserializer)
    }
}

/// The intervention recorded for one prescribed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDispensation {
    /// The prescribed line ([`PrescribedLine::line_id`]).
    pub line_id: String,
    /// What the pharmacist did.
    pub intervention: Intervention,
    /// Quantity dispensed, free text (boxes, units).
    pub quantity_dispensed: Option<String>,
}

/// A line the prescriber added by hand on the paper copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandwrittenAddition {
    /// What the prescriber wrote.
    pub label: String,
    /// Whether it was dispensed, and how much.
    pub quantity_dispensed: Option<String>,
}

/// A complete, consistent dispensation of one prescription. Built by
/// [`Dispensation::new`], which refuses incomplete records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispensation {
    prescription_id: PrescriptionId,
    dispensed_on: NaiveDate,
    lines: Vec<LineDispensation>,
    handwritten_additions: Vec<HandwrittenAddition>,
}

impl Dispensation {
    /// Builds a dispensation: every prescribed line must have exactly one intervention, no
    /// unknown line may appear, agreement and modification dates must not follow the
    /// dispensing date, and text fields must not be blank.
    pub fn new(
        prescription: &Prescription,
        dispensed_on: NaiveDate,
        lines: Vec<LineDispensation>,
        handwritten_additions: Vec<HandwrittenAddition>,
    ) -> Result<Self> {
        let d = Self {
            prescription_id: prescription.id.clone(),
            dispensed_on,
            lines,
            handwritten_additions,
        };
        d.check_against(prescription)?;
        Ok(d)
    }

    /// Re-checks a dispensation (e.g. after deserialising one) against its prescription.
    pub fn check_against(&self, prescription: &Prescription) -> Result<()> {
        let fail = |reason, line| Err(Error::Dispensation { reason, line });
        if self.prescription_id != prescription.id {
            return fail("dispensation is for another prescription", None);
        }
        let known: HashSet<&str> = prescription
            .lines
            .iter()
            .map(|l| l.line_id.as_str())
            .collect();
        let mut seen = HashSet::new();
        for (i, line) in self.lines.iter().enumerate() {
            if !known.contains(line.line_id.as_str()) {
                return fail("unknown prescribed line", Some(i));
            }
            if !seen.insert(line.line_id.as_str()) {
                return fail("line has more than one intervention", Some(i));
            }
            let agreement = match &line.intervention {
                Intervention::WithoutChange => None,
                Intervention::Substitution {
                    dispensed_product,
                    prescriber_agreement,
                } => {
                    if dispensed_product.trim().is_empty() {
                        return fail("substitution without the product dispensed", Some(i));
                    }
                    prescriber_agreement.as_ref()
                }
                Intervention::PosologyAdaptation {
                    new_posology,
                    prescriber_agreement,
                } => {
                    if new_posology.trim().is_empty() {
                        return fail("posology adaptation without the new posology", Some(i));
                    }
                    Some(prescriber_agreement)
                }
                Intervention::NotDispensed { reason } => {
                    if reason.trim().is_empty() {
                        return fail("not dispensed without a reason", Some(i));
                    }
                    None
                }
            };
            if let Some(a) = agreement
                && (a.agreed_on > self.dispensed_on || a.modified_on > self.dispensed_on)
            {
                return fail(
                    "agreement or modification dated after the dispensing",
                    Some(i),
                );
            }
        }
        if seen.len() != known.len() {
            return fail("a prescribed line has no intervention", None);
        }
        if self
            .handwritten_additions
            .iter()
            .any(|h| h.label.trim().is_empty())
        {
            return fail("handwritten addition without its text", None);
        }
        Ok(())
    }

    /// The prescription dispensed.
    pub fn prescription_id(&self) -> &PrescriptionId {
        &self.prescription_id
    }
    /// Dispensing date.
    pub fn dispensed_on(&self) -> NaiveDate {
        self.dispensed_on
    }
    /// One intervention per prescribed line.
    pub fn lines(&self) -> &[LineDispensation] {
        &self.lines
    }
    /// Lines the prescriber added by hand.
    pub fn handwritten_additions(&self) -> &[HandwrittenAddition] {
        &self.handwritten_additions
    }
}

/// Access to the Assurance Maladie "base ordonnance numérique". Implementations carry the
/// transport and authentication (not public, see the module documentation); they must be
/// callable synchronously.
pub trait PrescriptionService {
    /// Fetches a prescription by its number.
    fn fetch(&self, id: &PrescriptionId) -> Result<Prescription>;
    /// Records a dispensation; implementations must be idempotent for the same record.
    fn record_dispensation(&self, dispensation: &Dispensation) -> Result<()>;
}

/// A local, in-memory service: for tests, demos and training sessions, never a stand-in for
/// the national base.
#[derive(Debug, Default)]
pub struct InMemoryPrescriptionService {
    state: Mutex<(
        HashMap<PrescriptionId, Prescription>,
        HashMap<PrescriptionId, Dispensation>,
    )>,
}

impl InMemoryPrescriptionService {
    /// Stores a prescription.
    pub fn insert(&self, prescription: Prescription) {
        if let Ok(mut s) = self.state.lock() {
            s.0.insert(prescription.id.clone(), prescription);
        }
    }
    /// The dispensation recorded for `id`, if any.
    pub fn dispensation(&self, id: &PrescriptionId) -> Option<Dispensation> {
        self.state.lock().ok().and_then(|s| s.1.get(id).cloned())
    }
}

impl PrescriptionService for InMemoryPrescriptionService {
    fn fetch(&self, id: &PrescriptionId) -> Result<Prescription> {
        let s = self
            .state
            .lock()
            .map_err(|_| Error::Service("state poisoned".into()))?;
        s.0.get(id)
            .cloned()
            .ok_or_else(|| Error::Service("unknown prescription".into()))
    }

    fn record_dispensation(&self, dispensation: &Dispensation) -> Result<()> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| Error::Service("state poisoned".into()))?;
        let prescription =
            s.0.get(dispensation.prescription_id())
                .ok_or_else(|| Error::Service("unknown prescription".into()))?;
        dispensation.check_against(prescription)?;
        match s.1.get(dispensation.prescription_id()) {
            Some(existing) if existing != dispensation => Err(Error::Service(
                "a different dispensation is already recorded".into(),
            )),
            _ => {
                s.1.insert(dispensation.prescription_id().clone(), dispensation.clone());
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prescription::CharsetAndLength;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn prescription() -> Prescription {
        let line = |id: &str| PrescribedLine {
            line_id: id.into(),
            label: format!("PRODUCT {id}"),
            posology: Some("1 per day".into()),
            quantity: Some("1 box".into()),
        };
        Prescription {
            id: PrescriptionId::from_manual_entry("RX0001", &CharsetAndLength::default()).unwrap(),
            prescribed_on: Some(date(2025, 3, 1)),
            prescriber_id: Some("10001234567".into()),
            lines: vec![line("L1"), line("L2"), line("L3")],
        }
    }

    fn complete_lines() -> Vec<LineDispensation> {
        let agreement = PrescriberAgreement {
            agreed_on: date(2025, 3, 2),
            modified_on: date(2025, 3, 2),
        };
        vec![
            LineDispensation {
                line_id: "L1".into(),
                intervention: Intervention::WithoutChange,
                quantity_dispensed: Some("1".into()),
            },
            LineDispensation {
                line_id: "L2".into(),
                intervention: Intervention::PosologyAdaptation {
                    new_posology: "2 per day".into(),
                    prescriber_agreement: agreement,
                },
                quantity_dispensed: Some("2".into()),
            },
            LineDispensation {
                line_id: "L3".into(),
                intervention: Intervention::NotDispensed {
                    reason: "out of stock".into(),
                },
                quantity_dispensed: None,
            },
        ]
    }

    #[test]
    fn complete_dispensation_round_trips_through_json_and_service() {
        let p = prescription();
        let d = Dispensation::new(
            &p,
            date(2025, 3, 3),
            complete_lines(),
            vec![HandwrittenAddition {
                label: "VITAMIN D".into(),
                quantity_dispensed: Some("1".into()),
            }],
        )
        .unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.contains("\"kind\":\"posology_adaptation\""));
        let back: Dispensation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        let service = InMemoryPrescriptionService::default();
        service.insert(p.clone());
        assert_eq!(service.fetch(&p.id).unwrap(), p);
        service.record_dispensation(&d).unwrap();
        service.record_dispensation(&d).unwrap(); // idempotent
        assert_eq!(service.dispensation(&p.id), Some(d));
    }

    #[test]
    fn missing_line_is_refused() {
        let mut lines = complete_lines();
        lines.pop();
        let err = Dispensation::new(&prescription(), date(2025, 3, 3), lines, vec![]).unwrap_err();
        assert_eq!(
            err,
            Error::Dispensation {
                reason: "a prescribed line has no intervention",
                line: None
            }
        );
    }

    #[test]
    fn agreement_after_dispensing_is_refused() {
        let err = Dispensation::new(&prescription(), date(2025, 3, 1), complete_lines(), vec![])
            .unwrap_err();
        assert!(matches!(err, Error::Dispensation { line: Some(1), .. }));
    }

    #[test]
    fn duplicate_and_unknown_lines_are_refused() {
        let mut lines = complete_lines();
        lines.push(lines[0].clone());
        assert!(Dispensation::new(&prescription(), date(2025, 3, 3), lines, vec![]).is_err());
        let mut lines = complete_lines();
        lines[0].line_id = "L9".into();
        assert!(Dispensation::new(&prescription(), date(2025, 3, 3), lines, vec![]).is_err());
    }
}
