//! `segur export` and `segur import`: the document store (`segur_store`) to and from the
//! portability archive (`segur_dmp_cda::portability`).
//!
//! The export needs the vendor's identity (the manifest's `editeurSortant`, the OIDs of the
//! exporting system): `--vendor FILE`, by default `vendor.json` in the store folder (the JSON
//! of `segur_store::portability::ExportVendor`). The JSON printed is that of the store's view
//! types (`ExportReport`, `ImportReport`): counts, store ids, entry paths and reasons.

use clap::Args as ClapArgs;
use segur_dmp_cda::portability::{ExportType, LotCompression};
use segur_ins::Ins;
use segur_store::SqliteStore;
use segur_store::portability::{
    self, ExportOptions, ExportVendor, ImportOptions, PortabilityStoreError,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `segur export`.
#[derive(ClapArgs)]
pub struct ExportArgs {
    /// The export ZIP to write (written to OUT.part, renamed once complete).
    #[arg(long)]
    out: PathBuf,
    /// Only the patient holding this INS (15 characters, key checked).
    #[arg(long, conflicts_with = "all")]
    patient: Option<String>,
    /// Every patient (the default).
    #[arg(long)]
    all: bool,
    /// Only documents filed on or after this date (YYYY-MM-DD, UTC).
    #[arg(long)]
    since: Option<String>,
    /// The store folder.
    #[arg(long = "store", default_value = "./segur-store")]
    store: PathBuf,
    /// The vendor identity (JSON); default: vendor.json in the store folder.
    #[arg(long)]
    vendor: Option<PathBuf>,
    /// How the documents inside each lot are written: `stored` (the default: fastest, the
    /// documents' full size) or `deflate` (text documents up to 256 KiB deflated: about a third
    /// of the size for CDAs, slower).
    #[arg(long, default_value = "stored", value_parser = ["stored", "deflate"])]
    compression: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `segur import`.
#[derive(ClapArgs)]
pub struct ImportArgs {
    /// A segur portability export, or a plain IHE_XDM.ZIP.
    file: PathBuf,
    /// The store folder (created when missing).
    #[arg(long = "store", default_value = "./segur-store")]
    store: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
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

/// `YYYY-MM-DD` as seconds since the epoch (midnight UTC) and as an XDS time.
fn parse_date(text: &str) -> Option<(i64, String)> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
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

fn fail(command: &str, e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("segur {command}: {}", crate::terminal::safe(&e.to_string()));
    ExitCode::from(2)
}

/// Runs `segur export`.
pub fn run_export(args: &ExportArgs) -> ExitCode {
    match export(args) {
        Ok(code) => code,
        Err(e) => fail("export", &e),
    }
}

fn export(args: &ExportArgs) -> Result<ExitCode, String> {
    let vendor_path = args
        .vendor
        .clone()
        .unwrap_or_else(|| args.store.join("vendor.json"));
    let vendor: ExportVendor = serde_json::from_slice(
        &std::fs::read(&vendor_path)
            .map_err(|e| format!("vendor identity {}: {e}", vendor_path.display()))?,
    )
    .map_err(|e| format!("vendor identity {}: {e}", vendor_path.display()))?;
    let patient = args
        .patient
        .as_deref()
        .map(|m| {
            Ins::from_parts(m.trim(), segur_ins::OID_INS_NIR)
                .map_err(|_| "--patient: not an INS matricule (15 characters, key checked)")
        })
        .transpose()?;
    let since = args
        .since
        .as_deref()
        .map(|s| parse_date(s).ok_or("--since: not a date YYYY-MM-DD (1980 to 2107)"))
        .transpose()?;
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
    let compression =
        LotCompression::parse(&args.compression).ok_or("--compression: stored or deflate")?;
    // Each lot is built next to the output, not in a shared temporary directory
    // (`portability.md` §3); the temporary file is unnamed and never outlives its lot.
    let temp_dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let options = ExportOptions {
        patient,
        since: since.map(|(s, _)| s),
        compression,
        temp_dir: Some(temp_dir),
        ..ExportOptions::new(info, vendor.local_id_root.clone())
    };
    if !args
        .store
        .join(segur_store::sqlite::DATABASE_FILE)
        .is_file()
    {
        return Err(format!("no store in {}", args.store.display()));
    }
    let store = SqliteStore::open(&args.store).map_err(|e| e.to_string())?;
    let mut part = args.out.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    let written = (|| {
        let file = std::fs::File::create(&part).map_err(|e| e.to_string())?;
        let (w, report) = portability::export(&store, std::io::BufWriter::new(file), &options)
            .map_err(|e| e.to_string())?;
        let file = w.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&part, &args.out).map_err(|e| e.to_string())?;
        Ok::<_, String>(report)
    })();
    let report = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    if args.json {
        crate::terminal::print_json(&report, false).map_err(|e| e.to_string())?;
    } else {
        println!(
            "{}: {} patient lot(s), {} document(s); {} patient(s) without document, {} \
             document(s) in the review list and {} other(s) not exported",
            crate::terminal::safe(&args.out.display().to_string()),
            report.lots,
            report.documents,
            report.patients_without_documents,
            report.review_documents_not_exported,
            report.not_exported.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `segur import`.
pub fn run_import(args: &ImportArgs) -> ExitCode {
    let existed = args.store.exists();
    match import(args) {
        Ok(code) => code,
        Err(e) => {
            // A refused archive changes nothing: not even a store folder created for it.
            if !existed {
                let _ = remove_created_store(&args.store);
            }
            fail("import", &e)
        }
    }
}

fn remove_created_store(folder: &Path) -> std::io::Result<()> {
    for name in ["store.sqlite", "store.sqlite-wal", "store.sqlite-shm"] {
        let path = folder.join(name);
        if path.exists() {
            std::fs::remove_file(path)?;
        }
    }
    std::fs::remove_dir(folder)
}

fn import(args: &ImportArgs) -> Result<ExitCode, String> {
    let file = std::fs::File::open(&args.file).map_err(|e| {
        format!(
            "{}: {e}",
            crate::terminal::safe(&args.file.display().to_string())
        )
    })?;
    let mut store = SqliteStore::open(&args.store).map_err(|e| e.to_string())?;
    let report = portability::import(
        &mut store,
        std::io::BufReader::new(file),
        &ImportOptions::default(),
    )
    .map_err(|e| match e {
        PortabilityStoreError::Refused(_) => format!("{e}; the store is unchanged"),
        e => e.to_string(),
    })?;
    if args.json {
        crate::terminal::print_json(&report, false).map_err(|e| e.to_string())?;
    } else {
        println!(
            "{} ({}): {} lot(s); {} patient(s) created, {} document(s) linked, {} to review, \
             {} already present, {} identity status(es) lowered to PROV",
            report.format,
            if report.recreated_patients {
                "empty store: patients recreated"
            } else {
                "identity rules of the inbox"
            },
            report.lots,
            report.patients_created,
            report.documents_linked,
            report.documents_to_review,
            report.already_present,
            report.identities_downgraded
        );
        for c in &report.conflicts {
            println!(
                "conflict: {}: its uniqueId is stored with other bytes (document(s) {}); filed \
                 to the review list as document {}",
                crate::terminal::safe(&c.path),
                c.stored
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                c.filed
            );
        }
        for u in &report.unplaced {
            println!(
                "not placed: {}: {}",
                crate::terminal::safe(&u.path),
                crate::terminal::safe(&u.reason)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
