//! `MANIFEST.XML` (PDLGC logical model `pdlgc-manifest`, example of `st-Archive-manifest.md`,
//! `spec-tech` branch): root `Manifest`, no namespace, the fields in the draft's order.
//!
//! Draft defects not copied: `exportStatus` takes its own codes (COMPLETE, PARTIAL, SAMPLE),
//! not the repo-type value set it is bound to; every element is closed; the `patientId` of a
//! qualified identity is the 15-character INS matricule (the draft's examples have 13 digits),
//! with two attributes the draft lacks, `root` (the OID) and `identityStatus` (RNIV code), so a
//! local identifier is never mistaken for an INS (TO VERIFY against the final text). The
//! second model `pdlgc-manifest-archives` (`nom`, `periodeCouverte`, `metadataHash`) is not
//! used.

use std::fmt;

use crate::xml::{self, Element, XmlLimits, escape};

use super::PortabilityError;

/// `exportType` (code system `pdlgc-type-export-cs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExportType {
    /// `UNITAIRE`: one patient (patient right, transfer to a colleague).
    Unitaire,
    /// `CIBLE`: a subset (a period, a practitioner): `exportStartTime`/`exportEndTime` given.
    Cible,
    /// `MASSIF`: the whole patientèle (change of software).
    Massif,
}

impl ExportType {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Unitaire => "UNITAIRE",
            Self::Cible => "CIBLE",
            Self::Massif => "MASSIF",
        }
    }

    fn from_code(s: &str) -> Option<Self> {
        [Self::Unitaire, Self::Cible, Self::Massif]
            .into_iter()
            .find(|t| t.code() == s)
    }
}

/// `exportStatus` (code system `pdlgc-export-status-cs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExportStatus {
    /// `COMPLETE`: everything of the perimeter.
    Complete,
    /// `PARTIAL`: part of it (a phased massive export).
    Partial,
    /// `SAMPLE`: a sample data set.
    Sample,
}

impl ExportStatus {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Complete => "COMPLETE",
            Self::Partial => "PARTIAL",
            Self::Sample => "SAMPLE",
        }
    }

    fn from_code(s: &str) -> Option<Self> {
        [Self::Complete, Self::Partial, Self::Sample]
            .into_iter()
            .find(|t| t.code() == s)
    }
}

/// `Archive/type` (code system `pdlgc-repo-type-cs`, written as the draft's example does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ArchiveType {
    /// `Patient`: a `PATnnnnn` lot.
    Patient,
    /// `Transverse`: the `TRANSV` lot (agenda, traces), not written by this version.
    Transverse,
}

impl ArchiveType {
    /// The code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Patient => "Patient",
            Self::Transverse => "Transverse",
        }
    }
}

/// `archiveid` of a patient lot: `PAT` and five digits, `PAT00001` to `PAT99999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArchiveId(u32);

impl ArchiveId {
    /// The `n`-th lot (1 to 99,999).
    pub fn new(n: u32) -> Option<Self> {
        (1..=99_999).contains(&n).then_some(Self(n))
    }

    /// Parses `PATnnnnn` (upper case, five digits, not `PAT00000`).
    pub fn parse(s: &str) -> Option<Self> {
        let digits = s.strip_prefix("PAT")?;
        if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::new(digits.parse().ok()?)
    }

    /// The number.
    pub fn number(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ArchiveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PAT{:05}", self.0)
    }
}

/// `editeurSortant/contact`: the draft's "Contact Portabilité".
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    /// `nom`.
    pub nom: String,
    /// `email`.
    pub email: String,
    /// `telephone`.
    pub telephone: String,
}

/// `editeurSortant`: the outgoing vendor (`PDLGC-Fournisseur-Sortant`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct EditeurSortant {
    /// `denominationEG`: the vendor's legal name.
    pub denomination_eg: String,
    /// `numSiret`: 14 digits, Luhn-checked (written without spaces; read with or without).
    pub num_siret: String,
    /// `contact`.
    pub contact: Contact,
}

/// `patientId` of a patient archive, with the two attributes added here (module docs).
/// Patient data: `Debug` shows the status only.
#[derive(Clone, PartialEq, Eq)]
pub struct ManifestPatientId {
    /// `@root`: the identifier's OID (an INS OID only for a qualified identity).
    pub root: String,
    /// The identifier (INS matricule, or local id).
    pub extension: String,
    /// `@identityStatus`: PROV, RECUP, VALI or QUAL.
    pub identity_status: String,
}

impl fmt::Debug for ManifestPatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManifestPatientId")
            .field("identity_status", &self.identity_status)
            .finish_non_exhaustive()
    }
}

/// `Archives/Archive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestArchive {
    /// `type`.
    pub archive_type: ArchiveType,
    /// `archiveid`: `PATnnnnn` or `TRANSV`.
    pub archive_id: String,
    /// `patientId` (patient archives).
    pub patient_id: Option<ManifestPatientId>,
    /// `size`: of the lot file, in bytes.
    pub size: u64,
    /// `hash`: SHA-256 of the lot file, lower-case hex.
    pub sha256: String,
}

/// MANIFEST.XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `exportId`: a UUID (RFC 9562), lower-case.
    pub export_id: String,
    /// `extractTime`: xs:dateTime (`2026-12-06T20:14:14Z` when written here).
    pub extract_time: String,
    /// `exportType`.
    pub export_type: ExportType,
    /// `exportStartTime`, `exportEndTime` (xs:dateTime): the period of a targeted export.
    pub period: Option<(String, String)>,
    /// `exportStatus`.
    pub export_status: ExportStatus,
    /// `comments`.
    pub comments: Option<String>,
    /// `editeurSortant`.
    pub editeur: EditeurSortant,
    /// `Archives/Archive`, in the order of the export.
    pub archives: Vec<ManifestArchive>,
}

/// An XDS UTC time `YYYYMMDDhhmmss` as xs:dateTime `YYYY-MM-DDThh:mm:ssZ`; `None` when it is
/// not 14 digits of a civil date and time.
pub(crate) fn xs_date_time(utc: &str) -> Option<String> {
    let b = utc.as_bytes();
    if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| b.get(r).map(crate::time::ascii_number);
    let (y, mo, d, h, mi, s) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(8..10)?,
        n(10..12)?,
        n(12..14)?,
    );
    if !crate::time::is_civil_date(y, mo, d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
}

/// Whether `s` has the shape of an xs:dateTime with a zone (`YYYY-MM-DDThh:mm:ss`, optional
/// fraction, then `Z` or `±hh:mm`).
fn is_xs_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r)
            .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4) && at(4, b'-') && digits(5..7) && at(7, b'-') && digits(8..10))
        || !(at(10, b'T') && digits(11..13) && at(13, b':') && digits(14..16) && at(16, b':'))
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            digits(i + 1..i + 3) && at(i + 3, b':') && digits(i + 4..i + 6) && i + 6 == b.len()
        }
        _ => false,
    }
}

fn element(out: &mut String, indent: &str, name: &str, value: &str) {
    out.push_str(&format!("{indent}<{name}>{}</{name}>\n", escape(value)));
}

impl Manifest {
    /// PatientArchiveCount.
    pub fn patient_archive_count(&self) -> usize {
        self.archives
            .iter()
            .filter(|a| a.archive_type == ArchiveType::Patient)
            .count()
    }

    /// TransverseArchiveCount.
    pub fn transverse_archive_count(&self) -> usize {
        self.archives.len() - self.patient_archive_count()
    }

    /// The XML text, UTF-8, every value escaped.
    pub fn to_xml(&self) -> String {
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Manifest>\n");
        element(&mut x, "  ", "exportId", &self.export_id);
        element(&mut x, "  ", "extractTime", &self.extract_time);
        element(&mut x, "  ", "exportType", self.export_type.code());
        if let Some((start, end)) = &self.period {
            element(&mut x, "  ", "exportStartTime", start);
            element(&mut x, "  ", "exportEndTime", end);
        }
        element(&mut x, "  ", "exportStatus", self.export_status.code());
        if let Some(c) = &self.comments {
            element(&mut x, "  ", "comments", c);
        }
        let e = &self.editeur;
        x.push_str("  <editeurSortant>\n");
        element(&mut x, "    ", "denominationEG", &e.denomination_eg);
        element(&mut x, "    ", "numSiret", &e.num_siret);
        x.push_str("    <contact>\n");
        element(&mut x, "      ", "nom", &e.contact.nom);
        element(&mut x, "      ", "email", &e.contact.email);
        element(&mut x, "      ", "telephone", &e.contact.telephone);
        x.push_str("    </contact>\n  </editeurSortant>\n");
        element(
            &mut x,
            "  ",
            "PatientArchiveCount",
            &self.patient_archive_count().to_string(),
        );
        element(
            &mut x,
            "  ",
            "TransverseArchiveCount",
            &self.transverse_archive_count().to_string(),
        );
        x.push_str("  <Archives>\n");
        for a in &self.archives {
            x.push_str("    <Archive>\n");
            element(&mut x, "      ", "type", a.archive_type.code());
            element(&mut x, "      ", "archiveid", &a.archive_id);
            if let Some(p) = &a.patient_id {
                x.push_str(&format!(
                    "      <patientId root=\"{}\" identityStatus=\"{}\">{}</patientId>\n",
                    escape(&p.root),
                    escape(&p.identity_status),
                    escape(&p.extension)
                ));
            }
            element(&mut x, "      ", "size", &a.size.to_string());
            element(&mut x, "      ", "hash", &a.sha256);
            x.push_str("    </Archive>\n");
        }
        x.push_str("  </Archives>\n</Manifest>\n");
        x
    }

    /// Reads MANIFEST.XML with the XML reader's hostile-input rules (no DTD, no entity,
    /// bounded size, depth and nodes). Every required field is checked: a missing or invalid
    /// one is [`PortabilityError::Manifest`] naming it; counts must match the archives
    /// listed; archive ids must be unique.
    pub fn parse(input: &[u8], limits: &XmlLimits) -> Result<Self, PortabilityError> {
        let root = xml::parse(input, limits)?;
        if root.name != "Manifest" || root.namespace.is_some() {
            return Err(bad(
                "Manifest",
                "root element is not Manifest (no namespace)",
            ));
        }
        let export_id = required(&root, "exportId")?;
        if uuid::Uuid::try_parse(&export_id).is_err() {
            return Err(bad("exportId", "not a UUID"));
        }
        let extract_time = date_time(&root, "extractTime")?;
        let export_type = ExportType::from_code(&required(&root, "exportType")?)
            .ok_or_else(|| bad("exportType", "not UNITAIRE, CIBLE or MASSIF"))?;
        let start = optional(&root, "exportStartTime")?;
        let end = optional(&root, "exportEndTime")?;
        let period = match (start, end) {
            (Some(s), Some(e)) => {
                for (f, v) in [("exportStartTime", &s), ("exportEndTime", &e)] {
                    if !is_xs_date_time(v) {
                        return Err(bad(f, "not an xs:dateTime with a zone"));
                    }
                }
                Some((s, e))
            }
            (None, None) => None,
            _ => {
                return Err(bad(
                    "exportStartTime",
                    "given without exportEndTime, or the reverse",
                ));
            }
        };
        if export_type == ExportType::Cible && period.is_none() {
            return Err(bad("exportStartTime", "required for a CIBLE export"));
        }
        let export_status = ExportStatus::from_code(&required(&root, "exportStatus")?)
            .ok_or_else(|| bad("exportStatus", "not COMPLETE, PARTIAL or SAMPLE"))?;
        let comments = optional(&root, "comments")?;
        let ed = root
            .child("editeurSortant")
            .ok_or_else(|| bad("editeurSortant", "missing"))?;
        let contact = ed
            .child("contact")
            .ok_or_else(|| bad("editeurSortant/contact", "missing"))?;
        let siret: String = required(ed, "numSiret")?
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        if segur_ins::Siret::parse(&siret).is_err() {
            return Err(bad(
                "editeurSortant/numSiret",
                "not a SIRET (14 digits, Luhn)",
            ));
        }
        let editeur = EditeurSortant {
            denomination_eg: required(ed, "denominationEG")?,
            num_siret: siret,
            contact: Contact {
                nom: required(contact, "nom")?,
                email: optional(contact, "email")?.unwrap_or_default(),
                telephone: optional(contact, "telephone")?.unwrap_or_default(),
            },
        };
        let patient_count = count(&root, "PatientArchiveCount")?;
        let transverse_count = count(&root, "TransverseArchiveCount")?;
        let list = root
            .child("Archives")
            .ok_or_else(|| bad("Archives", "missing"))?;
        let mut archives = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, a) in list.all("Archive").enumerate() {
            let field = |f: &str| format!("Archives/Archive[{}]/{f}", i + 1);
            let archive = manifest_archive(a, &field)?;
            if !seen.insert(archive.archive_id.clone()) {
                return Err(PortabilityError::DuplicateArchiveId {
                    archive: archive.archive_id,
                });
            }
            archives.push(archive);
        }
        let manifest = Self {
            export_id,
            extract_time,
            export_type,
            period,
            export_status,
            comments,
            editeur,
            archives,
        };
        for (field, declared, found) in [
            (
                "PatientArchiveCount",
                patient_count,
                manifest.patient_archive_count(),
            ),
            (
                "TransverseArchiveCount",
                transverse_count,
                manifest.transverse_archive_count(),
            ),
        ] {
            if declared != found as u64 {
                return Err(PortabilityError::ArchiveCount {
                    field,
                    declared,
                    found: found as u64,
                });
            }
        }
        Ok(manifest)
    }
}

fn manifest_archive(
    a: &Element<'_>,
    field: &dyn Fn(&str) -> String,
) -> Result<ManifestArchive, PortabilityError> {
    let err = |f: &str, reason| PortabilityError::Manifest {
        field: field(f),
        reason,
    };
    let text = |f: &str| -> Result<String, PortabilityError> {
        let mut it = a.all(f);
        let e = it.next().ok_or_else(|| err(f, "missing"))?;
        if it.next().is_some() {
            return Err(err(f, "given twice"));
        }
        Ok(e.text().trim().to_owned())
    };
    let archive_type = match text("type")?.as_str() {
        "Patient" => ArchiveType::Patient,
        "Transverse" => ArchiveType::Transverse,
        _ => return Err(err("type", "not Patient or Transverse")),
    };
    let archive_id = text("archiveid")?;
    match archive_type {
        ArchiveType::Patient if ArchiveId::parse(&archive_id).is_none() => {
            return Err(err("archiveid", "not PATnnnnn"));
        }
        ArchiveType::Transverse if archive_id != "TRANSV" => {
            return Err(err("archiveid", "not TRANSV"));
        }
        _ => {}
    }
    let patient_id = match a.child("patientId") {
        None if archive_type == ArchiveType::Patient => {
            return Err(err("patientId", "missing for a Patient archive"));
        }
        None => None,
        Some(p) => {
            let extension = p.text().trim().to_owned();
            let root = p.attr("root").unwrap_or_default().to_owned();
            let identity_status = p.attr("identityStatus").unwrap_or_default().to_owned();
            if extension.is_empty() || root.is_empty() {
                return Err(err("patientId", "empty identifier or no @root"));
            }
            if segur_ins::IdentityStatus::from_code(&identity_status).is_none() {
                return Err(err(
                    "patientId/@identityStatus",
                    "not PROV, RECUP, VALI or QUAL",
                ));
            }
            Some(ManifestPatientId {
                root,
                extension,
                identity_status,
            })
        }
    };
    let size = text("size")?
        .parse::<u64>()
        .map_err(|_| err("size", "not a non-negative integer"))?;
    let sha256 = text("hash")?.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err("hash", "not a SHA-256 in hexadecimal (64 digits)"));
    }
    Ok(ManifestArchive {
        archive_type,
        archive_id,
        patient_id,
        size,
        sha256,
    })
}

fn bad(field: &str, reason: &'static str) -> PortabilityError {
    PortabilityError::Manifest {
        field: field.to_owned(),
        reason,
    }
}

fn optional(e: &Element<'_>, name: &str) -> Result<Option<String>, PortabilityError> {
    let mut it = e.all(name);
    let Some(first) = it.next() else {
        return Ok(None);
    };
    if it.next().is_some() {
        return Err(bad(name, "given twice"));
    }
    Ok(Some(first.text().trim().to_owned()))
}

fn required(e: &Element<'_>, name: &str) -> Result<String, PortabilityError> {
    match optional(e, name)? {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(bad(name, "missing or empty")),
    }
}

fn date_time(e: &Element<'_>, name: &str) -> Result<String, PortabilityError> {
    let v = required(e, name)?;
    if is_xs_date_time(&v) {
        Ok(v)
    } else {
        Err(bad(name, "not an xs:dateTime with a zone"))
    }
}

fn count(e: &Element<'_>, name: &str) -> Result<u64, PortabilityError> {
    required(e, name)?
        .parse()
        .map_err(|_| bad(name, "not a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times() {
        assert_eq!(
            xs_date_time("20261206201414").as_deref(),
            Some("2026-12-06T20:14:14Z")
        );
        assert_eq!(xs_date_time("20261306201414"), None);
        assert!(is_xs_date_time("2026-06-15T14:30:00+02:00"));
        assert!(is_xs_date_time("2026-06-15T14:30:00.25Z"));
        assert!(!is_xs_date_time("2026-06-15T14:30:00"));
        assert!(!is_xs_date_time("2026-06-15 14:30:00Z"));
    }

    #[test]
    fn archive_ids() {
        assert_eq!(
            ArchiveId::new(7).map(|a| a.to_string()).as_deref(),
            Some("PAT00007")
        );
        assert_eq!(ArchiveId::parse("PAT00007"), ArchiveId::new(7));
        for bad in ["PAT00000", "PAT0001", "pat00001", "PAT000012", "PAT0000é"] {
            assert_eq!(ArchiveId::parse(bad), None, "{bad}");
        }
    }
}
