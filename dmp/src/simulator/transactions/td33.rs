//! TD3.3, UpdateDocumentSet (ITI-57; `shared/specs/dmp.md` §8, §11.1 item 7).
//!
//! Two shapes:
//! - availability status (TD3.3c delete, TD3.3d archive and unarchive): an
//!   `UpdateAvailabilityStatus` association from the submission set to an entryUUID with
//!   `OriginalStatus` (must be the current status) and `NewStatus`; allowed moves
//!   Approved ↔ Archived and Approved or Archived → Deleted (final); only the author, or in
//!   indirect mode the author's structure, archives or deletes (FI-526 notes 8 and 9);
//! - metadata update (TD3.3a/b mask, unmask, visibility): an `ExtrinsicObject` carrying the
//!   `lid` of an existing entry and its uniqueId, and a `HasMember` association whose
//!   `PreviousVersion` slot equals the current version (`XDSMetadataVersionError`); the new
//!   version gets a new entryUUID, the same lid, version + 1, and the old one is Deprecated.
//!   Unmasking is the author's only; INDIRECTE mode may not mask (FI-526).
//!
//! The submission set's patientId must be the VIHF's, as must every target's patient.

use segur_dmp_cda::ebrim::uuids;
use segur_dmp_cda::xds::new_entry_uuid;

use super::{Answer, Request, gate, registry_response, write_failed};
use crate::simulator::Shared;
use crate::simulator::ebrim::{
    LCM_NS, RIM_NS, association, associations, external_id, read_entry, slot1,
};
use crate::simulator::refusal::{Refusal, codes};
use crate::simulator::registry::{EntryStatus, PatientKey, StoredEntry};
use crate::simulator::vihf::Mode;

fn update_error(context: &str, location: &str) -> Refusal {
    Refusal::registry_at(codes::METADATA_UPDATE_ERROR, context, location)
}

pub(super) fn handle(req: &Request<'_, '_>, shared: &Shared) -> Result<Answer, Refusal> {
    let list = req
        .envelope
        .body_content()
        .filter(|b| b.name.is(LCM_NS, "SubmitObjectsRequest"))
        .and_then(|s| s.child(RIM_NS, "RegistryObjectList"))
        .ok_or_else(|| {
            Refusal::registry(
                codes::METADATA_ERROR,
                "the body is not an lcm:SubmitObjectsRequest with a RegistryObjectList",
            )
        })?;
    gate(req, shared, false)?;
    let patient = &req.vihf.patient;
    let set = list
        .children_named(RIM_NS, "RegistryPackage")
        .next()
        .ok_or_else(|| Refusal::registry(codes::METADATA_ERROR, "no submission set"))?;
    let set_id = set.attribute("id").unwrap_or_default();
    let set_patient = external_id(set, uuids::SS_PATIENT_ID).unwrap_or_default();
    if PatientKey::from_cx(&set_patient).as_ref() != Some(patient) {
        return Err(Refusal::registry_at(
            codes::PATIENT_ID_DOES_NOT_MATCH,
            "the submission set patientId differs from the VIHF resource-id",
            set_id,
        ));
    }
    let assocs = associations(list);
    let mut changes: Vec<(String, EntryStatus)> = Vec::new();
    let mut versions: Vec<(String, StoredEntry)> = Vec::new();

    for a in assocs
        .iter()
        .filter(|a| a.kind == association::UPDATE_AVAILABILITY_STATUS)
    {
        let original = slot1(a.element, "OriginalStatus").and_then(|s| EntryStatus::from_urn(&s));
        let new = slot1(a.element, "NewStatus").and_then(|s| EntryStatus::from_urn(&s));
        let (Some(original), Some(new)) = (original, new) else {
            return Err(update_error(
                "OriginalStatus or NewStatus missing or unknown",
                &a.target,
            ));
        };
        let current = shared.with_registry(|r| {
            r.by_entry_uuid(&a.target)
                .filter(|e| &e.patient == patient)
                .map(|e| (e.status, e.author.clone(), e.structure.clone()))
        });
        let Some((status, author, structure)) = current else {
            return Err(update_error(
                "the target is not an entry of this patient",
                &a.target,
            ));
        };
        if status != original {
            return Err(update_error(
                "OriginalStatus differs from the entry's status",
                &a.target,
            ));
        }
        let allowed = matches!(
            (original, new),
            (EntryStatus::Approved, EntryStatus::Archived)
                | (EntryStatus::Archived, EntryStatus::Approved)
                | (
                    EntryStatus::Approved | EntryStatus::Archived,
                    EntryStatus::Deleted
                )
        );
        if !allowed {
            return Err(update_error("this status change is not allowed", &a.target));
        }
        let own = author == req.vihf.professional
            || (req.vihf.mode != Mode::Directe && structure == req.vihf.structure);
        if !own {
            return Err(Refusal::registry_at(
                codes::NOT_ALLOWED,
                "only the author (or the author's structure) archives or deletes a document",
                &a.target,
            ));
        }
        changes.push((a.target.clone(), new));
    }

    for eo in list.children_named(RIM_NS, "ExtrinsicObject") {
        let symbolic = eo.attribute("id").unwrap_or_default().to_owned();
        let lid = eo
            .attribute("lid")
            .ok_or_else(|| update_error("the updated entry has no lid", &symbolic))?;
        let member = assocs
            .iter()
            .find(|a| {
                a.kind == association::HAS_MEMBER && a.source == set_id && a.target == symbolic
            })
            .ok_or_else(|| {
                update_error("no HasMember association to the updated entry", &symbolic)
            })?;
        let previous: u32 = slot1(member.element, "PreviousVersion")
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| update_error("no PreviousVersion slot", &symbolic))?;
        let entry = read_entry(eo)?;
        let current = shared.with_registry(|r| {
            r.by_entry_uuid(lid)
                .and_then(|first| r.latest(&first.entry.unique_id))
                .cloned()
        });
        let Some(current) = current.filter(|c| &c.patient == patient && c.lid == lid) else {
            return Err(update_error("the lid names no entry of this patient", lid));
        };
        if current.version != previous {
            return Err(Refusal::registry_at(
                codes::METADATA_VERSION_ERROR,
                "PreviousVersion differs from the current version",
                lid,
            ));
        }
        if current.status != EntryStatus::Approved {
            return Err(Refusal::registry_at(
                codes::DEPRECATED_DOCUMENT,
                "only an Approved entry can be updated",
                lid,
            ));
        }
        if entry.unique_id != current.entry.unique_id {
            return Err(update_error("the uniqueId of an entry cannot change", lid));
        }
        let masks = entry.confidentiality.iter().any(|c| c.code == "MASQUE_PS");
        let unmasks = current.has_confidentiality("MASQUE_PS") && !masks;
        if masks && req.vihf.mode == Mode::Indirecte {
            return Err(Refusal::registry_at(
                codes::NOT_ALLOWED,
                "INDIRECTE mode may not mask a document (FI-526)",
                lid,
            ));
        }
        if unmasks && current.author != req.vihf.professional {
            return Err(Refusal::registry_at(
                codes::NOT_ALLOWED,
                "only the author unmasks a document (FI-526)",
                lid,
            ));
        }
        let mut next = current.clone();
        next.entry = entry;
        next.entry.entry_uuid = new_entry_uuid();
        // The repository's values stay: the update changes metadata, not the document.
        next.entry.hash = current.entry.hash.clone();
        next.entry.size = current.entry.size;
        next.entry.patient_id = current.entry.patient_id.clone();
        next.version = current.version + 1;
        next.status = EntryStatus::Approved;
        versions.push((current.entry.entry_uuid.clone(), next));
    }

    if changes.is_empty() && versions.is_empty() {
        return Err(Refusal::registry(
            codes::METADATA_ERROR,
            "no UpdateAvailabilityStatus association and no updated entry",
        ));
    }
    shared.with_registry(|r| {
        for (uuid, status) in &changes {
            r.set_status(uuid, *status);
        }
        for (old, next) in versions {
            r.add_version(&old, next);
        }
    });
    Ok(Answer::Soap(registry_response(&[]).map_err(write_failed)?))
}
