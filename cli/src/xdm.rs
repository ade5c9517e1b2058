//! `segur xdm ...`: IHE_XDM.ZIP packages (MSSanté attachments).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use segur_dmp_cda::xdm::{PackOptions, XdmLimits, XdmPackage, XdmSender, pack_cda};

/// XDM subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Pack a CDA (and its PDF rendering) with metadata derived from the CDA header.
    Pack {
        /// The CDA.
        #[arg(long)]
        cda: PathBuf,
        /// A PDF to add as a second document.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Output archive.
        #[arg(short, long, default_value = "IHE_XDM.ZIP")]
        output: PathBuf,
        /// sourceId: OID of the sending system.
        #[arg(long, default_value = "1.2.250.1.999.1")]
        source_id: String,
        /// Sender name for README.TXT.
        #[arg(long, default_value = "")]
        sender: String,
        /// classCode override `code^display^system` (the built-in table is TO VERIFY).
        #[arg(long)]
        class_code: Option<String>,
    },
    /// Extract the documents and METADATA.XML of an archive into a directory.
    Unpack {
        /// The archive.
        zip: PathBuf,
        /// Output directory (created).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Show the metadata and documents of an archive.
    Inspect {
        /// The archive.
        zip: PathBuf,
        /// JSON output (includes patient identifiers).
        #[arg(long)]
        json: bool,
    },
}

/// Runs an XDM subcommand.
pub fn run(cmd: Command) -> ExitCode {
    match exec(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("segur xdm: {e}");
            ExitCode::from(2)
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn exec(cmd: Command) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        Command::Pack {
            cda,
            pdf,
            output,
            source_id,
            sender,
            class_code,
        } => {
            let cda = crate::input::read_limited(&cda, crate::input::cda_limit())?;
            let pdf = pdf
                .map(|p| crate::input::read_limited(&p, crate::input::cda_limit()))
                .transpose()?;
            let mut opts = PackOptions {
                source_id,
                sender: XdmSender {
                    name: sender,
                    application: "segur".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..XdmSender::default()
                },
                ..PackOptions::default()
            };
            if let Some(c) = class_code {
                let parts: Vec<&str> = c.split('^').collect();
                let [code, display, system] = parts[..] else {
                    return Err("--class-code is code^display^system".into());
                };
                opts.derive.class_code = Some(segur_dmp_cda::Code::new(code, system, display));
            }
            let (zip, sub) = pack_cda(&cda, pdf.as_deref(), &opts)?;
            std::fs::write(&output, zip)?;
            println!("{}: {} document(s)", output.display(), sub.documents.len());
            Ok(())
        }
        Command::Unpack { zip, output } => {
            let pkg = XdmPackage::unpack(
                &crate::input::read_limited(&zip, crate::input::xdm_limit())?,
                &XdmLimits::default(),
            )?;
            std::fs::create_dir_all(&output)?;
            for s in &pkg.subsets {
                let dir = output.join(file_name(&s.name));
                std::fs::create_dir_all(&dir)?;
                std::fs::write(
                    dir.join("METADATA.XML"),
                    segur_dmp_cda::ebrim::write(&s.submission),
                )?;
                for d in &s.documents {
                    // Only the final name component: archive paths never choose where we write.
                    let target: PathBuf = dir.join(Path::new(file_name(&d.path)));
                    std::fs::write(&target, &d.bytes)?;
                    println!("{}", target.display());
                }
            }
            Ok(())
        }
        Command::Inspect { zip, json } => {
            let pkg = XdmPackage::unpack(
                &crate::input::read_limited(&zip, crate::input::xdm_limit())?,
                &XdmLimits::default(),
            )?;
            if json {
                let subsets: Vec<_> = pkg
                    .subsets
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "name": s.name,
                            "submission": s.submission,
                            "documents": s.documents.iter().map(|d| serde_json::json!({
                                "path": d.path, "size": d.bytes.len(), "entryUuid": d.entry.as_ref().map(|e| e.entry_uuid.clone())
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"subsets": subsets}))?
                );
                return Ok(());
            }
            for s in &pkg.subsets {
                let ss = &s.submission.submission_set;
                println!(
                    "subset {}: submission set {} from {} at {}",
                    s.name, ss.unique_id, ss.source_id, ss.submission_time
                );
                println!("  patient INS present: {}", pkg.patient_ins().is_some());
                for d in &s.documents {
                    match &d.entry {
                        Some(e) => println!(
                            "  {} {} bytes {} type {} format {} (hash and size checked)",
                            d.path,
                            d.bytes.len(),
                            e.mime_type,
                            e.type_code.code,
                            e.format_code.code
                        ),
                        None => println!("  {} {} bytes (no metadata)", d.path, d.bytes.len()),
                    }
                }
            }
            Ok(())
        }
    }
}
