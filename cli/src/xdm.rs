//! `segur xdm ...`: IHE_XDM.ZIP packages (MSSanté attachments).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use segur_dmp_cda::xdm::{PackOptions, XdmLimits, XdmPackage, XdmSender, pack_cda_to};
use segur_dmp_cda::{Code, PatientIdPolicy};

use crate::terminal::{say, say_err};

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
        /// Sender (person) name for README.TXT.
        #[arg(long, default_value = "")]
        sender: String,
        /// Sender organisation for README.TXT, with its FINESS (IHE ITI XDM: README.TXT names
        /// the media's creator).
        #[arg(long)]
        organization: String,
        /// How to reach the sender (MSSanté address, telephone) for README.TXT.
        #[arg(long)]
        contact: String,
        /// classCode override `code^display^system` (the built-in table is TO VERIFY).
        #[arg(long)]
        class_code: Option<String>,
        /// formatCode override `code^display^system`, for templates outside ASS_A11.
        #[arg(long)]
        format_code: Option<String>,
        /// Without an INS in the CDA (identity not qualified), use the local patient id with
        /// its assigning authority as XDS patientId (the MSSanté message then says
        /// X-MSS-INS: N).
        #[arg(long)]
        local_patient_id: bool,
        /// entryUUID (`urn:uuid:...`) of the registry entry this CDA replaces: adds the RPLC
        /// association.
        #[arg(long)]
        replaces_entry_uuid: Option<String>,
    },
    /// Extract the documents and METADATA.XML of an archive into a directory.
    Unpack {
        /// The archive.
        zip: PathBuf,
        /// Output directory (created).
        #[arg(short, long)]
        output: PathBuf,
        /// Refuse a document whose metadata gives no hash or no size.
        #[arg(long)]
        require_hash_size: bool,
    },
    /// Show the metadata and documents of an archive.
    Inspect {
        /// The archive.
        zip: PathBuf,
        /// JSON output (includes patient identifiers).
        #[arg(long)]
        json: bool,
        /// Refuse a document whose metadata gives no hash or no size.
        #[arg(long)]
        require_hash_size: bool,
    },
}

/// Runs an XDM subcommand.
pub fn run(cmd: Command) -> ExitCode {
    match exec(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say_err!("segur xdm: {e}");
            ExitCode::from(2)
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Parses `code^display^system` (display may be empty).
fn parse_code(flag: &str, value: &str) -> Result<Code, String> {
    let mut parts = value.splitn(3, '^');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(code), Some(display), Some(system)) if !code.is_empty() && !system.is_empty() => {
            Ok(Code {
                code: code.to_owned(),
                code_system: system.to_owned(),
                display_name: (!display.is_empty()).then(|| display.to_owned()),
            })
        }
        _ => Err(format!("{flag} is code^display^system")),
    }
}

fn code_of(c: Option<&Code>) -> &str {
    c.map_or("-", |c| c.code.as_str())
}

fn limits(require_hash_size: bool) -> XdmLimits {
    XdmLimits {
        require_hash_and_size: require_hash_size,
        ..XdmLimits::default()
    }
}

fn exec(cmd: Command) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        Command::Pack {
            cda,
            pdf,
            output,
            source_id,
            sender,
            organization,
            contact,
            class_code,
            format_code,
            local_patient_id,
            replaces_entry_uuid,
        } => {
            let cda = crate::input::read_limited(&cda, crate::input::cda_limit())?;
            let pdf = pdf
                .map(|p| crate::input::read_limited(&p, crate::input::cda_limit()))
                .transpose()?;
            let mut opts = PackOptions {
                source_id,
                sender: XdmSender {
                    name: sender,
                    organization,
                    contact,
                    application: "segur".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    vendor: "segur".into(),
                },
                replaces_entry_uuid,
                ..PackOptions::default()
            };
            opts.derive.class_code = class_code
                .map(|c| parse_code("--class-code", &c))
                .transpose()?;
            opts.derive.format_code = format_code
                .map(|c| parse_code("--format-code", &c))
                .transpose()?;
            if local_patient_id {
                opts.derive.patient_id = PatientIdPolicy::LocalWhenNoIns;
            }
            // Written straight to a file beside the output (no copy of the archive in memory),
            // renamed to the output once complete: a refused or failed pack leaves nothing.
            let mut part = output.clone().into_os_string();
            part.push(".part");
            let part = PathBuf::from(part);
            let written = std::fs::File::create(&part)
                .map_err(Box::<dyn std::error::Error>::from)
                .and_then(|file| {
                    let (file, sub) =
                        pack_cda_to(&cda, pdf.as_deref(), &opts, std::io::BufWriter::new(file))?;
                    file.into_inner().map_err(|e| e.into_error())?;
                    std::fs::rename(&part, &output)?;
                    Ok(sub)
                });
            let sub = match written {
                Ok(sub) => sub,
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(e);
                }
            };
            say!("{}: {} document(s)", output.display(), sub.documents.len());
            if sub
                .documents
                .iter()
                .any(|d| d.patient_id.as_ref().is_some_and(|p| !p.is_ins()))
            {
                say!("patientId: local identifier (no INS: X-MSS-INS will be N)");
            }
            Ok(())
        }
        Command::Unpack {
            zip,
            output,
            require_hash_size,
        } => {
            let pkg = XdmPackage::unpack(
                &crate::input::read_limited(&zip, crate::input::xdm_limit())?,
                &limits(require_hash_size),
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
                    match d.integrity.missing() {
                        None => say!("{} (hash and size verified)", target.display()),
                        Some(m) => {
                            say!("{} (NOT checked: metadata gives no {m})", target.display())
                        }
                    }
                }
            }
            Ok(())
        }
        Command::Inspect {
            zip,
            json,
            require_hash_size,
        } => {
            let pkg = XdmPackage::unpack(
                &crate::input::read_limited(&zip, crate::input::xdm_limit())?,
                &limits(require_hash_size),
            )?;
            if json {
                crate::terminal::print_json(&pkg.view(), true)?;
                return Ok(());
            }
            for s in &pkg.subsets {
                let ss = &s.submission.submission_set;
                say!(
                    "subset {}: submission set {} from {} at {}",
                    s.name,
                    ss.unique_id,
                    or_absent(&ss.source_id),
                    or_absent(&ss.submission_time)
                );
                let pid = ss.patient_id.as_ref();
                say!(
                    "  patientId: {}",
                    match pid {
                        Some(p) if p.is_ins() => "INS",
                        Some(_) => "local identifier (not an INS)",
                        None => "absent",
                    }
                );
                for w in &s.warnings {
                    say!(
                        "  warning: {} leaves out {} (R2 on XDM media)",
                        w.object,
                        w.missing
                    );
                }
                for d in &s.documents {
                    let checked = match d.integrity.missing() {
                        None => "hash and size verified".to_owned(),
                        Some(m) => format!("NOT checked: metadata gives no {m}"),
                    };
                    match &d.entry {
                        Some(e) => say!(
                            "  {} {} bytes {} type {} format {} ({checked})",
                            d.path,
                            d.bytes.len(),
                            e.mime_type,
                            code_of(e.type_code.as_ref()),
                            code_of(e.format_code.as_ref()),
                        ),
                        None => say!(
                            "  {} {} bytes (no metadata: nothing checked)",
                            d.path,
                            d.bytes.len()
                        ),
                    }
                }
            }
            Ok(())
        }
    }
}

/// The text of an optional metadata value, or "(absent)" so that a listing never reads "from  at"
/// when a sender left the value empty (XDM media make sourceId and submissionTime R2).
fn or_absent(value: &str) -> &str {
    if value.trim().is_empty() {
        "(absent)"
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_with_an_optional_display() {
        let c = parse_code("--format-code", "urn:x^^1.2.3").unwrap();
        assert_eq!((c.code.as_str(), c.display_name), ("urn:x", None));
        let c = parse_code("--class-code", "10^Compte rendu^1.2.250.1.213.1.1.4.1").unwrap();
        assert_eq!(c.display_name.as_deref(), Some("Compte rendu"));
        assert!(parse_code("--class-code", "10^x").is_err());
        assert!(parse_code("--class-code", "^x^1.2").is_err());
    }
}
