//! TD2.1, feed and replacement (ITI-41 in MTOM; `shared/specs/dmp.md` §5, §11.1 items 4 to 7).
//!
//! Checked, each refusal a `RegistryError` of the `Failure` response:
//! - one submission-set `RegistryPackage`, its patientId equal to the VIHF resource-id
//!   (`XDSPatientIdDoesNotMatch`), a uniqueId;
//! - every `ExtrinsicObject` readable (`XDSRegistryMetadataError`), its patientId equal to the
//!   VIHF's, a `HasMember` association from the submission set;
//! - exactly one signature entry (classCode `urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1`) with a
//!   `signs` association to the submission set;
//! - every entry has an `ihe:Document` of the same id (`XDSMissingDocument`) whose
//!   `xop:Include` resolves to an MTOM part (`XDSMissingDocument`), every `ihe:Document` an
//!   entry (`XDSMissingDocumentMetadata`);
//! - hash and size, when given, match the bytes (`XDSNonIdenticalHash`,
//!   `XDSNonIdenticalSize`); otherwise SHA-1 hex and the byte count are computed;
//! - uniqueIds are new (`XDSDuplicateUniqueIdInRegistry`);
//! - a CDA document (`text/xml`) is read: its `ClinicalDocument/id` equals the XDS uniqueId
//!   and its `recordTarget` INS equals the VIHF resource-id;
//! - the XAdES signature verifies, by a trusted signing certificate, and its Manifest
//!   references `urn:oid:<submission set uniqueId>` and every document with the digest of its
//!   C14N-with-comments form (§5.3; `DMPInvalidSignature`);
//! - a replacement (`RPLC`) targets an Approved entry of the same patient
//!   (`XDSReplaceFailed`, `XDSRegistryDeprecatedDocumentError`), which becomes Deprecated.
//!
//! The signature entry itself is checked, not listed by TD3.1 (the official search response
//! holds no signature entry).

use std::collections::{HashMap, HashSet};

use segur_dmp_cda::ebrim::uuids;
use segur_dmp_cda::xds::{DocumentEntry, new_entry_uuid, sha1_hex};
use segur_net::soap::mtom::xop_includes;
use segur_net::xml::{Element, XmlLimits};

use super::{Answer, Request, gate, registry_response, write_failed};
use crate::simulator::Shared;
use crate::simulator::ebrim::{
    IHE_NS, LCM_NS, RIM_NS, SIGNATURE_CLASS_CODE, association, associations, external_id,
    read_entry,
};
use crate::simulator::refusal::{Refusal, RegistryError, codes};
use crate::simulator::registry::{EntryStatus, PatientKey, StoredEntry};

/// Collects errors: the DMP answers all the problems it finds, not only the first.
#[derive(Default)]
struct Errors(Vec<RegistryError>);

impl Errors {
    fn add(&mut self, code: &'static str, context: impl Into<String>, location: &str) {
        self.0.push(RegistryError {
            code,
            context: context.into(),
            location: Some(location.chars().take(128).collect()),
        });
    }
}

fn metadata(context: &str) -> Refusal {
    Refusal::registry(codes::METADATA_ERROR, context)
}

/// The submission-set package: classified by the SubmissionSet node (inside or as a sibling
/// Classification, ITI TF-3 §4.2.3.3).
fn submission_set<'e, 'a>(list: &'e Element<'a>) -> Result<&'e Element<'a>, Refusal> {
    let classified: HashSet<&str> = list
        .children_named(RIM_NS, "Classification")
        .filter(|c| c.attribute("classificationNode") == Some(uuids::SUBMISSION_SET))
        .filter_map(|c| c.attribute("classifiedObject"))
        .collect();
    let mut sets = list.children_named(RIM_NS, "RegistryPackage").filter(|p| {
        p.attribute("id").is_some_and(|id| classified.contains(id))
            || p.children_named(RIM_NS, "Classification")
                .any(|c| c.attribute("classificationNode") == Some(uuids::SUBMISSION_SET))
    });
    let set = sets
        .next()
        .ok_or_else(|| metadata("no submission set RegistryPackage"))?;
    if sets.next().is_some() {
        return Err(metadata("more than one submission set"));
    }
    Ok(set)
}

/// The XAdES signature of the submission set (§5.3, §11.1 item 6), through
/// [`segur_net::xmldsig::xades::verify_submission_set`]: core validation over the
/// C14N-with-comments `SignedInfo`, the SignedProperties and Manifest digests, the first
/// CertDigest, SigningTime and purposeOfSignature; then the simulator's own checks: a trusted
/// signing certificate, the Manifest naming `urn:oid:<submission set uniqueId>` (`AA==`) and
/// every document, each digest equal to SHA-1(C14N-with-comments(document)).
fn check_xades(
    bytes: &[u8],
    set_unique_id: &str,
    documents: &[(&str, &[u8])],
    location: &str,
    trusted: &[Vec<u8>],
    errors: &mut Errors,
) {
    let limits = XmlLimits::default();
    let verified = match segur_net::xmldsig::xades::verify_submission_set(bytes, limits) {
        Ok(v) => v,
        Err(e) => {
            errors.add(
                codes::SIGNATURE_ERROR,
                format!("the XAdES signature does not verify: {e}"),
                location,
            );
            return;
        }
    };
    if !trusted.contains(&verified.verified.certificate) {
        errors.add(
            codes::SIGNATURE_ERROR,
            "the XAdES signing certificate is not a trusted signing certificate",
            location,
        );
    }
    if verified.submission_set(set_unique_id).is_none() {
        errors.add(
            codes::SIGNATURE_ERROR,
            "the Manifest does not reference the submission set uniqueId (digest AA==)",
            location,
        );
    }
    for (unique_id, content) in documents {
        match verified.document(unique_id) {
            None => errors.add(
                codes::SIGNATURE_ERROR,
                "the Manifest does not reference a document of the submission",
                unique_id,
            ),
            Some(m) if !m.matches(content, limits).unwrap_or(false) => errors.add(
                codes::SIGNATURE_ERROR,
                "the Manifest digest of a document does not match the document",
                unique_id,
            ),
            Some(_) => {}
        }
    }
}

/// One document of the request with its bytes, ready to register.
struct Incoming {
    entry: DocumentEntry,
    symbolic_id: String,
    bytes: Vec<u8>,
}

pub(super) fn handle(req: &Request<'_, '_>, shared: &Shared) -> Result<Answer, Refusal> {
    gate(req, shared, false)?;
    let body = req
        .envelope
        .body_content()
        .filter(|b| b.name.is(IHE_NS, "ProvideAndRegisterDocumentSetRequest"))
        .ok_or_else(|| metadata("the body is not a ProvideAndRegisterDocumentSetRequest"))?;
    let mtom = req.mtom.ok_or_else(|| {
        Refusal::fault(
            codes::INVALID_REQUEST,
            "TD2.1 must be sent as an MTOM multipart/related package",
        )
    })?;
    let list = body
        .child(LCM_NS, "SubmitObjectsRequest")
        .and_then(|s| s.child(RIM_NS, "RegistryObjectList"))
        .ok_or_else(|| metadata("no lcm:SubmitObjectsRequest/rim:RegistryObjectList"))?;
    let set = submission_set(list)?;
    let set_id = set.attribute("id").unwrap_or_default().to_owned();
    let set_unique_id = external_id(set, uuids::SS_UNIQUE_ID)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| metadata("the submission set has no uniqueId"))?;
    let patient = &req.vihf.patient;
    let set_patient = external_id(set, uuids::SS_PATIENT_ID)
        .ok_or_else(|| metadata("the submission set has no patientId"))?;
    if PatientKey::from_cx(&set_patient).as_ref() != Some(patient) {
        return Err(Refusal::registry_at(
            codes::PATIENT_ID_DOES_NOT_MATCH,
            "the submission set patientId differs from the VIHF resource-id",
            set_id,
        ));
    }

    let mut errors = Errors::default();
    // Entries, split into documents and the submission-set signature.
    let mut entries: Vec<(String, DocumentEntry)> = Vec::new();
    let mut signature: Option<(String, DocumentEntry)> = None;
    for eo in list.children_named(RIM_NS, "ExtrinsicObject") {
        let entry = read_entry(eo)?;
        let id = entry.entry_uuid.clone();
        if entry
            .patient_id
            .as_ref()
            .and_then(|p| PatientKey::from_cx(p.expose()))
            .as_ref()
            != Some(patient)
        {
            errors.add(
                codes::PATIENT_ID_DOES_NOT_MATCH,
                "the document entry patientId differs from the VIHF resource-id",
                &id,
            );
        }
        if entry
            .class_code
            .as_ref()
            .is_some_and(|c| c.code == SIGNATURE_CLASS_CODE)
        {
            if signature.is_some() {
                return Err(metadata("more than one signature entry"));
            }
            signature = Some((id, entry));
        } else {
            entries.push((id, entry));
        }
    }
    if entries.is_empty() {
        return Err(metadata("the submission holds no document entry"));
    }
    let Some((signature_id, signature_entry)) = signature else {
        return Err(metadata(
            "no signature entry (classCode urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1)",
        ));
    };

    // Associations.
    let assocs = associations(list);
    let members: HashSet<&str> = assocs
        .iter()
        .filter(|a| a.kind == association::HAS_MEMBER && a.source == set_id)
        .map(|a| a.target.as_str())
        .collect();
    for id in entries.iter().map(|(id, _)| id).chain([&signature_id]) {
        if !members.contains(id.as_str()) {
            errors.add(
                codes::METADATA_ERROR,
                "no HasMember association from the submission set",
                id,
            );
        }
    }
    if !assocs
        .iter()
        .any(|a| a.kind == association::SIGNS && a.source == signature_id && a.target == set_id)
    {
        errors.add(
            codes::METADATA_ERROR,
            "no signs association from the signature entry to the submission set",
            &signature_id,
        );
    }
    let replacements: Vec<(String, String)> = assocs
        .iter()
        .filter(|a| a.kind == association::RPLC)
        .map(|a| (a.source.clone(), a.target.clone()))
        .collect();

    // Documents and their MTOM parts.
    let mut parts: HashMap<String, Vec<u8>> = HashMap::new();
    for doc in body.children_named(IHE_NS, "Document") {
        let id = doc.attribute("id").unwrap_or_default().to_owned();
        let includes = xop_includes(doc);
        let bytes = match includes.as_slice() {
            [inc] => match inc
                .attribute("href")
                .map(|h| mtom.attachment(h, inc.position))
            {
                Some(Ok(part)) => Some(part.body.to_vec()),
                _ => None,
            },
            _ => None,
        };
        match bytes {
            Some(b) => {
                parts.insert(id, b);
            }
            None => errors.add(
                codes::MISSING_DOCUMENT,
                "the ihe:Document has no xop:Include resolving to an MTOM part",
                &id,
            ),
        }
        if !entries
            .iter()
            .any(|(e, _)| *e == doc.attribute("id").unwrap_or_default())
            && signature_id != doc.attribute("id").unwrap_or_default()
        {
            errors.add(
                codes::MISSING_DOCUMENT_METADATA,
                "an ihe:Document has no document entry of the same id",
                doc.attribute("id").unwrap_or_default(),
            );
        }
    }
    let has_document: HashSet<&str> = body
        .children_named(IHE_NS, "Document")
        .filter_map(|d| d.attribute("id"))
        .collect();

    let mut incoming = Vec::new();
    let mut seen_unique: HashSet<String> = HashSet::new();
    for (id, mut entry) in entries {
        if !has_document.contains(id.as_str()) {
            errors.add(
                codes::MISSING_DOCUMENT,
                "the document entry has no ihe:Document of the same id",
                &id,
            );
            continue;
        }
        let Some(bytes) = parts.remove(&id) else {
            continue;
        };
        let digest = sha1_hex(&bytes);
        match &entry.hash {
            Some(h) if !h.eq_ignore_ascii_case(&digest) => errors.add(
                codes::NON_IDENTICAL_HASH,
                "the hash slot differs from the SHA-1 of the document",
                &entry.unique_id,
            ),
            _ => entry.hash = Some(digest),
        }
        let size = bytes.len() as u64;
        match entry.size {
            Some(s) if s != size => errors.add(
                codes::NON_IDENTICAL_SIZE,
                "the size slot differs from the document's byte count",
                &entry.unique_id,
            ),
            _ => entry.size = Some(size),
        }
        if !seen_unique.insert(entry.unique_id.clone())
            || shared.with_registry(|r| r.has_unique_id(&entry.unique_id))
        {
            errors.add(
                codes::DUPLICATE_UNIQUE_ID,
                "the uniqueId is already registered",
                &entry.unique_id,
            );
        }
        if entry.mime_type == "text/xml" {
            check_cda(&bytes, &entry, patient, &mut errors);
        }
        incoming.push(Incoming {
            entry,
            symbolic_id: id,
            bytes,
        });
    }

    // The XAdES signature of the submission set.
    match parts.remove(&signature_id) {
        Some(bytes) => {
            let documents: Vec<(&str, &[u8])> = incoming
                .iter()
                .map(|i| (i.entry.unique_id.as_str(), i.bytes.as_slice()))
                .collect();
            check_xades(
                &bytes,
                &set_unique_id,
                &documents,
                &signature_entry.unique_id,
                &shared.trusted_signers,
                &mut errors,
            );
        }
        None if !has_document.contains(signature_id.as_str()) => errors.add(
            codes::MISSING_DOCUMENT,
            "the signature entry has no ihe:Document of the same id",
            &signature_id,
        ),
        None => {}
    }

    // Replacements: the target must be an Approved entry of this patient.
    let mut deprecate = Vec::new();
    for (source, target) in &replacements {
        if !incoming.iter().any(|i| &i.symbolic_id == source) {
            errors.add(
                codes::REPLACE_FAILED,
                "the RPLC source is not a document of the submission",
                source,
            );
            continue;
        }
        let status = shared.with_registry(|r| {
            r.by_entry_uuid(target)
                .filter(|e| &e.patient == patient)
                .map(|e| e.status)
        });
        match status {
            Some(EntryStatus::Approved) => deprecate.push(target.clone()),
            Some(EntryStatus::Deprecated) => errors.add(
                codes::DEPRECATED_DOCUMENT,
                "the RPLC target is deprecated",
                target,
            ),
            Some(_) | None => errors.add(
                codes::REPLACE_FAILED,
                "the RPLC target is not an Approved entry of this patient",
                target,
            ),
        }
    }

    if !errors.0.is_empty() {
        return Err(Refusal::Registry(errors.0));
    }
    shared.with_registry(|r| {
        for t in &deprecate {
            r.set_status(t, EntryStatus::Deprecated);
        }
        for mut i in incoming {
            if !i.entry.entry_uuid.starts_with("urn:uuid:") {
                i.entry.entry_uuid = new_entry_uuid();
            }
            let content_sha1 = i
                .entry
                .hash
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase();
            r.register(
                StoredEntry {
                    lid: i.entry.entry_uuid.clone(),
                    entry: i.entry,
                    version: 1,
                    status: EntryStatus::Approved,
                    patient: patient.clone(),
                    author: req.vihf.professional.clone(),
                    structure: req.vihf.structure.clone(),
                    content_sha1,
                },
                i.bytes,
            );
        }
    });
    Ok(Answer::Soap(registry_response(&[]).map_err(write_failed)?))
}

/// The CDA checks: `ClinicalDocument/id` = XDS uniqueId; the `recordTarget` INS = the VIHF
/// patient (§11.1 items 4 and 5).
fn check_cda(bytes: &[u8], entry: &DocumentEntry, patient: &PatientKey, errors: &mut Errors) {
    let header =
        match segur_dmp_cda::read_header(bytes, &segur_dmp_cda::read::ReadLimits::default()) {
            Ok(h) => h,
            Err(_) => {
                errors.add(
                    codes::METADATA_ERROR,
                    "the text/xml document is not a readable CDA R2 document",
                    &entry.unique_id,
                );
                return;
            }
        };
    if header.id.to_xds() != entry.unique_id {
        errors.add(
            codes::METADATA_ERROR,
            "the XDS uniqueId differs from ClinicalDocument/id",
            &entry.unique_id,
        );
    }
    let matches = header
        .patient
        .ins_ids()
        .any(|i| i.root == patient.authority && i.extension.expose() == patient.id);
    if !matches {
        errors.add(
            codes::PATIENT_ID_DOES_NOT_MATCH,
            "the CDA recordTarget INS differs from the VIHF resource-id",
            &entry.unique_id,
        );
    }
}
