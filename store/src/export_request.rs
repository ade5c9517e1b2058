//! An export as `segur export` and `segur_store_export` ask for it: the perimeter (one
//! patient's INS, or every patient), the start date, the vendor identity, turned into
//! [`ExportOptions`]; and the export written to a file whole or not at all
//! ([`write_export_file`]).
//!
//! One definition for both front ends, so that the CLI's flags and the C API's options JSON
//! (`{"patient":"…","all":false,"since":"YYYY-MM-DD","vendor":{…},"vendor_file":"…",
//! "compression":"stored"}`) mean
//! the same export: export type (`unitaire` for a patient, `cible` from a date, `massif`
//! otherwise; PDLGC 0.1.0 draft, `portability.md` §1), period, perimeter text.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use segur_dmp_cda::portability::{ExportType, LotCompression, PortabilityError};
use segur_ins::Ins;

use crate::document_store::DocumentStore;
use crate::portability::{self, ExportOptions, ExportReport, ExportVendor, PortabilityStoreError};

/// The vendor identity file read when the request names none: `vendor.json` in the store
/// folder.
pub const DEFAULT_VENDOR_FILE: &str = "vendor.json";

/// What to export (the options JSON of `segur_store_export`, the flags of `segur export`).
/// `Debug` leaves out the patient's INS.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Only the patient holding this INS matricule (15 characters, key checked).
    #[serde(default)]
    pub patient: Option<String>,
    /// Every patient (the default when `patient` is absent); excludes `patient`.
    #[serde(default)]
    pub all: bool,
    /// Only documents filed on or after this date (`YYYY-MM-DD`, UTC, 1980 to 2107).
    #[serde(default)]
    pub since: Option<String>,
    /// The vendor identity, inline; excludes `vendor_file`.
    #[serde(default)]
    pub vendor: Option<ExportVendor>,
    /// The vendor identity file (JSON of [`ExportVendor`]; relative to the working
    /// directory); default: [`DEFAULT_VENDOR_FILE`] in the store folder.
    #[serde(default)]
    pub vendor_file: Option<PathBuf>,
    /// How the documents inside each lot are written: `stored` (the default) or `deflate`
    /// ([`LotCompression`]).
    #[serde(default)]
    pub compression: Option<String>,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRequest")
            .field("patient", &self.patient.as_ref().map(|_| "…"))
            .field("all", &self.all)
            .field("since", &self.since)
            .field("vendor", &self.vendor.as_ref().map(|v| &v.denomination))
            .field("vendor_file", &self.vendor_file)
            .field("compression", &self.compression)
            .finish()
    }
}

/// Why a request is not an export. No patient data: field names and rules.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportRequestError {
    /// `patient` and `all` both given.
    #[error("`patient` and `all` exclude each other")]
    PatientAndAll,
    /// `vendor` and `vendor_file` both given.
    #[error("`vendor` and `vendor_file` exclude each other")]
    VendorAndVendorFile,
    /// `patient` is not an INS matricule.
    #[error("`patient`: not an INS matricule (15 characters, key checked)")]
    InvalidPatient,
    /// `since` is not a date.
    #[error("`since`: not a date YYYY-MM-DD (1980 to 2107)")]
    InvalidSince,
    /// `compression` is neither `stored` nor `deflate`.
    #[error("`compression`: stored or deflate")]
    InvalidCompression,
    /// The vendor identity file cannot be read.
    #[error("vendor identity {path}: {reason}")]
    VendorFile {
        /// The file.
        path: PathBuf,
        /// Why (the I/O error).
        reason: String,
    },
    /// The vendor identity file is not the JSON of [`ExportVendor`] (position only: the
    /// parser's own text may quote values).
    #[error("vendor identity {path}: JSON {category} error at line {line} column {column}")]
    VendorJson {
        /// The file.
        path: PathBuf,
        /// `syntax`, `data` (a field missing, unknown or of the wrong type), `eof`.
        category: &'static str,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
    },
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` as seconds since the epoch (midnight UTC) and as an XDS time
/// (`YYYYMMDDhhmmss`). Years 1980 to 2107: the range of a zip entry's time.
pub fn parse_since(text: &str) -> Option<(i64, String)> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4
        || m.len() != 2
        || d.len() != 2
        || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max = *days_in_month.get(usize::try_from(m - 1).ok()?)?;
    if !(1980..=2107).contains(&y) || d < 1 || d > max {
        return None;
    }
    Some((
        days_from_civil(y, m, d) * 86_400,
        format!("{y:04}{m:02}{d:02}000000"),
    ))
}

fn json_category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "io",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "data",
        serde_json::error::Category::Eof => "eof",
    }
}

impl ExportRequest {
    /// The vendor identity: inline, from `vendor_file`, or from [`DEFAULT_VENDOR_FILE`] in
    /// `store_folder`.
    pub fn vendor(&self, store_folder: &Path) -> Result<ExportVendor, ExportRequestError> {
        match (&self.vendor, &self.vendor_file) {
            (Some(_), Some(_)) => Err(ExportRequestError::VendorAndVendorFile),
            (Some(v), None) => Ok(v.clone()),
            (None, file) => {
                let path = file
                    .clone()
                    .unwrap_or_else(|| store_folder.join(DEFAULT_VENDOR_FILE));
                let bytes = std::fs::read(&path).map_err(|e| ExportRequestError::VendorFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                serde_json::from_slice(&bytes).map_err(|e| ExportRequestError::VendorJson {
                    category: json_category(&e),
                    line: e.line(),
                    column: e.column(),
                    path,
                })
            }
        }
    }

    /// The options of [`portability::export`] for this request (random export id, current
    /// time), the vendor identity read as [`ExportRequest::vendor`] says.
    pub fn options(&self, store_folder: &Path) -> Result<ExportOptions, ExportRequestError> {
        if self.patient.is_some() && self.all {
            return Err(ExportRequestError::PatientAndAll);
        }
        let patient = self
            .patient
            .as_deref()
            .map(|m| {
                Ins::from_parts(m.trim(), segur_ins::OID_INS_NIR)
                    .map_err(|_| ExportRequestError::InvalidPatient)
            })
            .transpose()?;
        let since = self
            .since
            .as_deref()
            .map(|s| parse_since(s).ok_or(ExportRequestError::InvalidSince))
            .transpose()?;
        let vendor = self.vendor(store_folder)?;
        let export_type = match (&patient, &since) {
            (Some(_), _) => ExportType::Unitaire,
            (None, Some(_)) => ExportType::Cible,
            (None, None) => ExportType::Massif,
        };
        let mut info = vendor.info(export_type);
        if let Some((_, start)) = &since {
            info.period = Some((start.clone(), info.extract_time.clone()));
        }
        info.requester = "pharmacie (segur export)".to_owned();
        info.perimeter = match (&patient, &since) {
            (Some(_), _) => "documents Ségur d'un patient",
            (None, Some(_)) => "documents Ségur de l'officine classés depuis la date de début",
            (None, None) => "documents Ségur de l'officine",
        }
        .to_owned();
        let compression = match self.compression.as_deref() {
            None => LotCompression::default(),
            Some(c) => LotCompression::parse(c).ok_or(ExportRequestError::InvalidCompression)?,
        };
        Ok(ExportOptions {
            patient,
            since: since.map(|(s, _)| s),
            compression,
            ..ExportOptions::new(info, vendor.local_id_root.clone())
        })
    }
}

/// `path` + `.part`.
fn part_path(path: &Path) -> PathBuf {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    PathBuf::from(part)
}

fn io_error(path: &Path, e: &dyn std::fmt::Display) -> PortabilityStoreError {
    PortabilityStoreError::Export(PortabilityError::Io(format!("{}: {e}", path.display())))
}

/// Writes the export of `store` to `path` whole or not at all: to `path.part`, synced, then
/// renamed; on any error `path.part` is removed and `path` is left as it was. Unless
/// `options.temp_dir` says otherwise, each lot is built in `path`'s directory, not in a shared
/// temporary directory (`portability.md` §3); that file is unnamed and never outlives its lot.
pub fn write_export_file(
    store: &dyn DocumentStore,
    path: &Path,
    options: &ExportOptions,
) -> Result<ExportReport, PortabilityStoreError> {
    let part = part_path(path);
    let mut options = options.clone();
    if options.temp_dir.is_none() {
        options.temp_dir = Some(match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        });
    }
    let written = (|| {
        let file = std::fs::File::create(&part).map_err(|e| io_error(&part, &e))?;
        let (w, report) = portability::export(store, BufWriter::new(file), &options)?;
        let mut file = w.into_inner().map_err(|e| io_error(&part, &e.error()))?;
        file.flush().map_err(|e| io_error(&part, &e))?;
        file.sync_all().map_err(|e| io_error(&part, &e))?;
        std::fs::rename(&part, path).map_err(|e| io_error(path, &e))?;
        Ok(report)
    })();
    if written.is_err() {
        // Nothing of a failed export may look like one; the file may never have been created.
        let _ = std::fs::remove_file(&part);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert_eq!(
            parse_since("2026-12-06"),
            Some((1_796_515_200, "20261206000000".to_owned()))
        );
        assert!(parse_since("2024-02-29").is_some());
        for bad in [
            "2023-02-29",
            "1979-12-31",
            "2108-01-01",
            "2026-13-01",
            "2026-1-01",
            "+026-01-01",
            "2026-01-+1",
            "2026/01/01",
            "",
        ] {
            assert_eq!(parse_since(bad), None, "{bad}");
        }
    }

    #[test]
    fn conflicting_fields_are_refused_and_debug_hides_the_ins() {
        let folder = Path::new("/nonexistent/segur-store");
        let r = ExportRequest {
            patient: Some("279035121518989".into()),
            all: true,
            ..Default::default()
        };
        assert!(matches!(
            r.options(folder),
            Err(ExportRequestError::PatientAndAll)
        ));
        assert!(!format!("{r:?}").contains("2790351"));
        let r = ExportRequest {
            patient: Some("279035121518988".into()),
            ..Default::default()
        };
        assert!(matches!(
            r.options(folder),
            Err(ExportRequestError::InvalidPatient)
        ));
        let r = ExportRequest::default();
        assert!(matches!(
            r.options(folder),
            Err(ExportRequestError::VendorFile { .. })
        ));
    }
}
