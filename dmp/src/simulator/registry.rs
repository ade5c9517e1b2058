//! The simulated registry and repository: document entries with their status and version,
//! document bytes, and per patient the DMP state and the professionals' authorisations.
//!
//! Entries follow the XDS metadata life cycle (`shared/specs/dmp.md` §5.5, §8, §11.1 item 7):
//! a replacement deprecates its target; a metadata update (mask, unmask, visibility) makes a
//! new version with a new entryUUID and the same logicalId and deprecates the old one;
//! availability-status updates move Approved ↔ Archived and Approved or Archived → Deleted.
//!
//! When a folder is configured the registry is written there after each change
//! (`registry.json`, and `documents/<sha1>` for the bytes, named by their SHA-1 so no request
//! value ever becomes a path) and read back at start.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use segur_dmp_cda::xds::DocumentEntry;
use serde::{Deserialize, Serialize};

use super::SimulatorError;

/// The state of a patient's DMP (TD0.2, §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DmpState {
    /// The DMP exists and is open (`queryResponseCode OK`, `statusCode active`).
    Active,
    /// The DMP was closed (`statusCode terminated`).
    Closed,
    /// No DMP (`queryResponseCode NF`).
    Absent,
}

/// The availability status of an entry (§6, §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryStatus {
    /// `urn:oasis:names:tc:ebxml-regrep:StatusType:Approved`.
    Approved,
    /// `urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated` (replaced or updated).
    Deprecated,
    /// `urn:asip:ci-sis:2010:StatusType:Archived`.
    Archived,
    /// `urn:asip:ci-sis:2010:StatusType:Deleted` (final).
    Deleted,
}

impl EntryStatus {
    /// The status URN.
    pub const fn urn(self) -> &'static str {
        match self {
            Self::Approved => "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
            Self::Deprecated => "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated",
            Self::Archived => "urn:asip:ci-sis:2010:StatusType:Archived",
            Self::Deleted => "urn:asip:ci-sis:2010:StatusType:Deleted",
        }
    }

    /// The status of a URN.
    pub fn from_urn(urn: &str) -> Option<Self> {
        [
            Self::Approved,
            Self::Deprecated,
            Self::Archived,
            Self::Deleted,
        ]
        .into_iter()
        .find(|s| s.urn() == urn)
    }
}

/// A patient as the DMP keys it: the INS (CX.1) and its assigning authority OID (CX.4). Patient
/// data: `Debug` shows the authority only.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PatientKey {
    /// The INS matricule.
    pub id: String,
    /// The assigning authority OID.
    pub authority: String,
}

impl std::fmt::Debug for PatientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PatientKey(<redacted>&{})", self.authority)
    }
}

impl PatientKey {
    /// A key from its parts.
    pub fn new(id: &str, authority: &str) -> Self {
        Self {
            id: id.to_owned(),
            authority: authority.to_owned(),
        }
    }

    /// Parses an HL7 v2 CX `id^^^&OID&ISO^NH[^^date]`, keeping CX.1 and the OID of CX.4 only
    /// (§11.1 item 4: the CX.7 date is ignored). Quotes around a stored-query value are
    /// removed by the caller.
    pub fn from_cx(cx: &str) -> Option<Self> {
        let mut comps = cx.split('^');
        let id = comps.next()?.trim();
        let authority = comps.nth(2)?;
        let oid = authority.split('&').nth(1)?.trim();
        if id.is_empty() || oid.is_empty() {
            return None;
        }
        Some(Self::new(id, oid))
    }
}

/// A patient's DMP.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PatientRecord {
    /// State, when set (else [`super::Rules::unknown_patient`]).
    pub state: Option<DmpState>,
    /// Professionals who declared an authorisation (TD0.3 `AJOUT`).
    pub granted: HashSet<String>,
    /// Professionals who removed theirs (TD0.3 `SUPPRESSION`).
    pub revoked: HashSet<String>,
    /// Professionals the patient blocked: no access at all (IG: "a PS blocked by the patient
    /// has no access", `shared/specs/dmp.md` §3.2).
    #[serde(default)]
    pub blocked: HashSet<String>,
}

/// One version of a document entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEntry {
    /// The metadata as registered (entryUUID, uniqueId, codes, hash, size...).
    pub entry: DocumentEntry,
    /// logicalId: the entryUUID of the first version, kept by metadata updates.
    pub lid: String,
    /// Version, from 1.
    pub version: u32,
    /// Availability status.
    pub status: EntryStatus,
    /// The patient.
    pub patient: PatientKey,
    /// The submitting professional (VIHF `NameID`).
    pub author: String,
    /// The submitting structure (VIHF `Identifiant_Structure`).
    pub structure: String,
    /// SHA-1 (hex) of the document bytes: the key of the repository.
    pub content_sha1: String,
}

impl StoredEntry {
    /// Whether the entry carries the confidentiality code `code` (TRE_A07, §8.2).
    pub fn has_confidentiality(&self, code: &str) -> bool {
        self.entry.confidentiality.iter().any(|c| c.code == code)
    }

    /// Whether `professional` may see the entry: a document masked to professionals
    /// (`MASQUE_PS`) is shown to its author only (§11.1 item 8); `INVISIBLE_PATIENT` does not
    /// hide documents from professionals.
    pub fn visible_to(&self, professional: &str) -> bool {
        !self.has_confidentiality("MASQUE_PS") || self.author == professional
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Persisted {
    entries: Vec<StoredEntry>,
    patients: Vec<(PatientKey, PatientRecord)>,
}

/// The registry and repository.
#[derive(Debug, Default)]
pub struct Registry {
    entries: Vec<StoredEntry>,
    by_uuid: HashMap<String, usize>,
    /// uniqueId → index of its latest version.
    by_unique_id: HashMap<String, usize>,
    documents: HashMap<String, Vec<u8>>,
    patients: HashMap<PatientKey, PatientRecord>,
    dirty: bool,
    new_documents: Vec<String>,
}

const REGISTRY_FILE: &str = "registry.json";
const DOCUMENTS_DIR: &str = "documents";

impl Registry {
    /// Reads the registry persisted in `dir`; an empty registry when there is none.
    pub fn load(dir: &Path) -> Result<Self, SimulatorError> {
        let file = dir.join(REGISTRY_FILE);
        let mut reg = Self::default();
        if !file.exists() {
            return Ok(reg);
        }
        let text = std::fs::read(&file)?;
        let persisted: Persisted =
            serde_json::from_slice(&text).map_err(|e| SimulatorError::Persisted {
                path: file.clone(),
                reason: format!("line {} column {}", e.line(), e.column()),
            })?;
        for entry in persisted.entries {
            let sha = entry.content_sha1.clone();
            if !is_sha1_hex(&sha) {
                return Err(SimulatorError::Persisted {
                    path: file,
                    reason: "a document hash is not 40 hexadecimal digits".into(),
                });
            }
            if let std::collections::hash_map::Entry::Vacant(v) = reg.documents.entry(sha) {
                let bytes = std::fs::read(dir.join(DOCUMENTS_DIR).join(v.key()))?;
                v.insert(bytes);
            }
            reg.push(entry);
        }
        reg.patients = persisted.patients.into_iter().collect();
        Ok(reg)
    }

    /// Writes the registry into `dir`.
    pub fn save(&mut self, dir: &Path) -> Result<(), SimulatorError> {
        let docs = dir.join(DOCUMENTS_DIR);
        std::fs::create_dir_all(&docs)?;
        for sha in std::mem::take(&mut self.new_documents) {
            if let Some(bytes) = self.documents.get(&sha) {
                std::fs::write(docs.join(&sha), bytes)?;
            }
        }
        let persisted = Persisted {
            entries: self.entries.clone(),
            patients: self
                .patients
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let json = serde_json::to_vec(&persisted).map_err(|e| SimulatorError::Persisted {
            path: dir.join(REGISTRY_FILE),
            reason: e.to_string(),
        })?;
        let tmp = dir.join("registry.json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(tmp, dir.join(REGISTRY_FILE))?;
        Ok(())
    }

    /// Whether the registry changed since the last call.
    pub(crate) fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    fn push(&mut self, entry: StoredEntry) -> usize {
        let i = self.entries.len();
        self.by_uuid.insert(entry.entry.entry_uuid.clone(), i);
        self.by_unique_id.insert(entry.entry.unique_id.clone(), i);
        self.entries.push(entry);
        i
    }

    /// The state of a patient's DMP, `default` when never set.
    pub fn state(&self, patient: &PatientKey, default: DmpState) -> DmpState {
        self.patients
            .get(patient)
            .and_then(|p| p.state)
            .unwrap_or(default)
    }

    /// Sets the state of a patient's DMP.
    pub fn set_state(&mut self, patient: &PatientKey, state: DmpState) {
        self.patients.entry(patient.clone()).or_default().state = Some(state);
        self.dirty = true;
    }

    /// Blocks `professional` on `patient`'s DMP (the patient's decision).
    pub fn block(&mut self, patient: &PatientKey, professional: &str) {
        self.patients
            .entry(patient.clone())
            .or_default()
            .blocked
            .insert(professional.to_owned());
        self.dirty = true;
    }

    /// Whether the patient blocked `professional`.
    pub fn is_blocked(&self, patient: &PatientKey, professional: &str) -> bool {
        self.patients
            .get(patient)
            .is_some_and(|p| p.blocked.contains(professional))
    }

    /// Whether `professional` is authorised on `patient`'s DMP (never when blocked).
    pub fn is_authorised(&self, patient: &PatientKey, professional: &str, implicit: bool) -> bool {
        match self.patients.get(patient) {
            Some(p) if p.blocked.contains(professional) => false,
            Some(p) if p.revoked.contains(professional) => false,
            Some(p) if p.granted.contains(professional) => true,
            _ => implicit,
        }
    }

    /// TD0.3: grants (`true`) or removes the authorisation; returns whether anything changed.
    pub fn set_authorisation(
        &mut self,
        patient: &PatientKey,
        professional: &str,
        grant: bool,
        implicit: bool,
    ) -> bool {
        let before = self.is_authorised(patient, professional, implicit);
        let p = self.patients.entry(patient.clone()).or_default();
        if grant {
            p.revoked.remove(professional);
            p.granted.insert(professional.to_owned());
        } else {
            p.granted.remove(professional);
            p.revoked.insert(professional.to_owned());
        }
        self.dirty = true;
        before != grant
    }

    /// Whether any version of `unique_id` is registered.
    pub fn has_unique_id(&self, unique_id: &str) -> bool {
        self.by_unique_id.contains_key(unique_id)
    }

    /// The latest version of `unique_id`.
    pub fn latest(&self, unique_id: &str) -> Option<&StoredEntry> {
        self.by_unique_id
            .get(unique_id)
            .and_then(|&i| self.entries.get(i))
    }

    /// The entry version `entry_uuid`.
    pub fn by_entry_uuid(&self, entry_uuid: &str) -> Option<&StoredEntry> {
        self.by_uuid
            .get(entry_uuid)
            .and_then(|&i| self.entries.get(i))
    }

    /// Every entry version of `patient`, in registration order.
    pub fn entries_of<'s>(
        &'s self,
        patient: &'s PatientKey,
    ) -> impl Iterator<Item = &'s StoredEntry> + 's {
        self.entries.iter().filter(move |e| &e.patient == patient)
    }

    /// The document bytes of an entry.
    pub fn document(&self, entry: &StoredEntry) -> Option<&[u8]> {
        self.documents.get(&entry.content_sha1).map(Vec::as_slice)
    }

    /// Registers a new document (first version) with its bytes.
    pub fn register(&mut self, entry: StoredEntry, bytes: Vec<u8>) {
        let sha = entry.content_sha1.clone();
        if !self.documents.contains_key(&sha) {
            self.documents.insert(sha.clone(), bytes);
            self.new_documents.push(sha);
        }
        self.push(entry);
        self.dirty = true;
    }

    /// Sets the status of the entry version `entry_uuid`.
    pub fn set_status(&mut self, entry_uuid: &str, status: EntryStatus) -> bool {
        let Some(e) = self
            .by_uuid
            .get(entry_uuid)
            .copied()
            .and_then(|i| self.entries.get_mut(i))
        else {
            return false;
        };
        e.status = status;
        self.dirty = true;
        true
    }

    /// A metadata update: `new` (same uniqueId and lid, version + 1) becomes the latest
    /// version and the version `old_entry_uuid` is deprecated.
    pub fn add_version(&mut self, old_entry_uuid: &str, new: StoredEntry) {
        self.set_status(old_entry_uuid, EntryStatus::Deprecated);
        self.push(new);
        self.dirty = true;
    }
}

fn is_sha1_hex(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cx_keeps_the_id_and_authority_only() {
        let k = PatientKey::from_cx("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH^^20100907")
            .unwrap();
        assert_eq!(
            k,
            PatientKey::new("207058575627097", "1.2.250.1.213.1.4.10")
        );
        assert_eq!(
            PatientKey::from_cx("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"),
            Some(k)
        );
        assert_eq!(PatientKey::from_cx("^^^&1.2.3&ISO^NH"), None);
        assert_eq!(PatientKey::from_cx("123"), None);
        assert!(!format!("{:?}", PatientKey::new("207058575627097", "1.2")).contains("2070"));
    }

    #[test]
    fn authorisation_is_implicit_until_removed() {
        let mut r = Registry::default();
        let p = PatientKey::new("1", "1.2");
        assert!(r.is_authorised(&p, "pro", true));
        assert!(!r.is_authorised(&p, "pro", false));
        assert!(r.set_authorisation(&p, "pro", false, true));
        assert!(!r.is_authorised(&p, "pro", true));
        assert!(!r.set_authorisation(&p, "pro", false, true));
        assert!(r.set_authorisation(&p, "pro", true, true));
        assert!(r.is_authorised(&p, "pro", false));
    }

    #[test]
    fn status_urns_round_trip() {
        for s in [
            EntryStatus::Approved,
            EntryStatus::Deprecated,
            EntryStatus::Archived,
            EntryStatus::Deleted,
        ] {
            assert_eq!(EntryStatus::from_urn(s.urn()), Some(s));
        }
        assert_eq!(EntryStatus::from_urn("Approved"), None);
    }
}
