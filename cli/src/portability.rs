//! `segur export` and `segur import`: the document store (`segur_store`) to and from the
//! portability archive (`segur_dmp_cda::portability`).
//!
//! The export needs the vendor's identity (the manifest's `editeurSortant`, the OIDs of the
//! exporting system): `--vendor FILE`, by default `vendor.json` in the store folder (the JSON
//! of `segur_store::portability::ExportVendor`); the flags are the fields of
//! `segur_store::export_request::ExportRequest`, the options of the C API's
//! `segur_store_export`. The JSON printed is that of the store's view types (`ExportReport`,
//! `ImportReport`): counts, store ids, entry paths and reasons.

use clap::Args as ClapArgs;
use segur_store::SqliteStore;
use segur_store::export_request::{self, ExportRequest, ExportRequestError};
use segur_store::portability::{self, ImportOptions, PortabilityStoreError};
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
    let request = ExportRequest {
        patient: args.patient.clone(),
        all: args.all,
        since: args.since.clone(),
        vendor: None,
        vendor_file: args.vendor.clone(),
        compression: Some(args.compression.clone()),
    };
    let options = request.options(&args.store).map_err(|e| match e {
        ExportRequestError::InvalidPatient => {
            "--patient: not an INS matricule (15 characters, key checked)".to_owned()
        }
        ExportRequestError::InvalidSince => {
            "--since: not a date YYYY-MM-DD (1980 to 2107)".to_owned()
        }
        ExportRequestError::InvalidCompression => "--compression: stored or deflate".to_owned(),
        e => e.to_string(),
    })?;
    if !args
        .store
        .join(segur_store::sqlite::DATABASE_FILE)
        .is_file()
    {
        return Err(format!("no store in {}", args.store.display()));
    }
    let store = SqliteStore::open(&args.store).map_err(|e| e.to_string())?;
    let report = export_request::write_export_file(&store, &args.out, &options)
        .map_err(|e| e.to_string())?;
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
