//! Identity vigilance at filing: where a received CDA goes.
//!
//! A document is linked to a patient automatically only when (ANS INS guide V3.0 and RNIV
//! EXI PP 05/06, see `ins.md`: automatic matching only on a qualified INS with its traits):
//! 1. its header carries an INS (`recordTarget/patientRole/id`, INS-NIR/NIA OIDs) whose key is
//!    right ([`ReviewReason::NoIns`], [`ReviewReason::InvalidIns`], and
//!    [`ReviewReason::InsCOnly`] when only a legacy INS-C is given);
//! 2. with the strict traits the qualification needs (birth name, first given name, birth
//!    date, sex; `segur_mssante::inspect::has_qualified_ins`), else
//!    [`ReviewReason::TraitsDisagree`];
//! 3. exactly one local identity holds this INS ([`ReviewReason::UnknownPatient`],
//!    [`ReviewReason::SeveralCandidates`]); when none does, the traits are looked up too and
//!    several homonyms give [`ReviewReason::SeveralCandidates`];
//! 4. its strict traits equal the document's (birth name, birth given names, first given
//!    name, sex, birth date; birthplace when both have one), and the matricule is coherent with
//!    them (`segur_ins::coherence`), else [`ReviewReason::TraitsDisagree`].
//!
//! The link records the local identity's status (RNIV) at filing.

use crate::document_store::DocumentStore;
use crate::error::StoreError;
use crate::model::{Placement, ReviewReason};
use segur_dmp_cda::model::Patient;
use segur_ins::{Ins, OID_INS_C_LEGACY, Traits, TraitsData};

/// The document's traits as `segur-ins` normalises them, when complete enough.
pub fn document_traits(patient: &Patient) -> Option<Traits> {
    let text = |t: &Option<segur_dmp_cda::PatientText>| {
        t.as_ref()
            .map(|t| t.expose().trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let birth_name = text(&patient.birth_name)?;
    let first = text(&patient.first_given_name);
    let given: Vec<String> = match text(&patient.given_names) {
        Some(list) => list.split_whitespace().map(str::to_owned).collect(),
        None => first.iter().cloned().collect(),
    };
    // HL7 TS: the date is the first 8 digits of `birthTime/@value`.
    let birth_date: String = text(&patient.birth_time)?.chars().take(8).collect();
    let data = TraitsData {
        birth_name,
        given_names: given,
        first_given_name: first,
        sex: text(&patient.gender)?,
        birth_date,
        birth_place: text(&patient.birthplace_cog),
        used_name: None,
        used_given_name: None,
    };
    Traits::from_data(&data).ok()
}

/// Whether the strict traits of a local identity and of a document agree.
pub fn traits_agree(local: &Traits, document: &Traits) -> bool {
    local.birth_name() == document.birth_name()
        && local.given_names() == document.given_names()
        && local.first_given_name() == document.first_given_name()
        && local.sex() == document.sex()
        && local.birth_date() == document.birth_date()
        && match (local.birth_place(), document.birth_place()) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
}

/// Decides where a CDA whose header names `patient` goes.
pub fn place(store: &dyn DocumentStore, patient: &Patient) -> Result<Placement, StoreError> {
    let ins_ids: Vec<_> = patient.ins_ids().collect();
    let Some(first) = ins_ids.first() else {
        let legacy = patient.ids.iter().any(|i| i.root == OID_INS_C_LEGACY);
        return Ok(Placement::Review(if legacy {
            ReviewReason::InsCOnly
        } else {
            ReviewReason::NoIns
        }));
    };
    let Ok(ins) = Ins::from_parts(first.extension.expose(), &first.root) else {
        return Ok(Placement::Review(ReviewReason::InvalidIns));
    };
    let Some(traits) = document_traits(patient) else {
        return Ok(Placement::Review(ReviewReason::TraitsDisagree));
    };
    let mut candidates = store.patients_with_ins(&ins)?;
    match candidates.len() {
        0 => {
            let homonyms = store.patients_with_traits(&traits)?;
            return Ok(Placement::Review(if homonyms.len() > 1 {
                ReviewReason::SeveralCandidates
            } else {
                ReviewReason::UnknownPatient
            }));
        }
        1 => {}
        _ => return Ok(Placement::Review(ReviewReason::SeveralCandidates)),
    }
    let Some(local) = candidates.pop() else {
        return Ok(Placement::Review(ReviewReason::UnknownPatient));
    };
    let coherent = segur_ins::coherence::check(ins.matricule(), &local.traits).is_empty();
    if !traits_agree(&local.traits, &traits) || !coherent {
        return Ok(Placement::Review(ReviewReason::TraitsDisagree));
    }
    Ok(Placement::Patient {
        patient: local.id,
        status: local.status,
    })
}
