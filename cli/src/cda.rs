//! `segur cda ...`: build, inspect and validate CDA R2 documents.

use crate::terminal::{say, say_err};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use segur_dmp_cda::build::DocumentInput;
use segur_dmp_cda::build::examples::{TYPES, example_text};
use segur_dmp_cda::read::CdaBody;

/// CDA subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Print a complete JSON input for a document type.
    Example {
        /// vaccination-note, bpm, entretien, consultation, prevention-plan, screening-report.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(TYPES.iter().copied()))]
        r#type: String,
    },
    /// Build a CDA from a JSON input (its `type` field selects the builder).
    Build {
        /// JSON input file, `-` for stdin.
        input: PathBuf,
        /// Output file, `-` for stdout.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
    /// Show the header and body of any CDA R2 document. With several files (or `--batch`): one
    /// JSON line per file, exit status 0 when all were read, 1 when some were refused, 2 when
    /// some could not be read; 141 when the reader of the output closed it.
    Inspect {
        /// CDA files. `-` alone is the CDA on standard input; in a batch (several files or
        /// `--batch`), `-` is a list of paths on standard input, one per line.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Full JSON output (includes patient data); in a batch, the whole document in each line.
        #[arg(long)]
        json: bool,
        /// One JSON line per file, even for one file.
        #[arg(long)]
        batch: bool,
    },
    /// Check a CDA against the structuration minimale / volet rules (fast, in Rust). Exit
    /// status 0 when valid (warnings alone included), 1 on any error finding. With several
    /// files (or `--batch`): one JSON line per file, exit status 0 when all are valid, 1 when
    /// some are invalid or refused, 2 when some could not be read; 141 when the reader of the
    /// output closed it.
    Validate {
        /// CDA files. `-` alone is the CDA on standard input; in a batch (several files or
        /// `--batch`), `-` is a list of paths on standard input, one per line.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON line per file, even for one file.
        #[arg(long)]
        batch: bool,
    },
}

/// A CDA or a JSON document input, under the CDA reader's size limit (applied while reading).
fn read_input(p: &std::path::Path) -> Result<Vec<u8>, String> {
    crate::input::read_limited(p, crate::input::cda_limit())
}

fn write_output(p: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    if p.as_os_str() == "-" {
        std::io::stdout()
            .write_all(bytes)
            .inspect_err(crate::terminal::exit_if_broken_pipe)
    } else {
        std::fs::write(p, bytes)
    }
}

/// Runs a CDA subcommand.
pub fn run(cmd: Command) -> ExitCode {
    match cmd {
        Command::Inspect { files, json, batch } if batch || files.len() > 1 => {
            crate::cda_batch::run(&files, crate::cda_batch::Job::Inspect { full: json })
        }
        Command::Validate { files, batch } if batch || files.len() > 1 => {
            crate::cda_batch::run(&files, crate::cda_batch::Job::Validate)
        }
        cmd => match exec(cmd) {
            Ok(code) => code,
            Err(e) => {
                say_err!("segur cda: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// The one file of a command that is not a batch (clap requires at least one).
fn single(files: &[PathBuf]) -> &std::path::Path {
    files
        .first()
        .map_or(std::path::Path::new("-"), |p| p.as_path())
}

fn exec(cmd: Command) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cmd {
        Command::Example { r#type } => {
            // `type` first, so errors in the user's edited copy get their real position.
            let text = example_text(&r#type).ok_or("unknown type")?;
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { input, output } => {
            let bytes = read_input(&input)?;
            let doc: DocumentInput = crate::json_input::parse(&bytes, "the document input")?;
            let xml = doc.build()?;
            write_output(&output, xml.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { files, json, .. } => {
            let bytes = read_input(single(&files))?;
            let doc = segur_dmp_cda::read(&bytes)?;
            if json {
                crate::terminal::print_json(&doc, true)?;
                return Ok(ExitCode::SUCCESS);
            }
            let h = &doc.header;
            let c = |c: &Option<segur_dmp_cda::Code>| {
                c.as_ref()
                    .map(|c| format!("{} ({})", c.code, c.display_name.as_deref().unwrap_or("")))
                    .unwrap_or_default()
            };
            say!(
                "type:            {} {}",
                h.type_code.code,
                h.type_code.display_name.as_deref().unwrap_or("")
            );
            say!("title:           {}", h.title.as_deref().unwrap_or(""));
            say!("id:              {:?}", h.id);
            say!(
                "setId/version:   {:?} / {}",
                h.set_id,
                h.version_number.map(|v| v.to_string()).unwrap_or_default()
            );
            say!(
                "effectiveTime:   {}",
                h.effective_time.as_deref().unwrap_or("")
            );
            say!("confidentiality: {}", c(&h.confidentiality));
            say!("templateIds:     {:?}", h.template_ids);
            say!(
                "patient:         {} id(s), INS: {} (use --json to see values)",
                h.patient.ids.len(),
                h.patient
                    .ins_ids()
                    .map(|i| i.root.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for a in &h.authors {
                say!("author:          {:?} {}", a.id, c(&a.code));
            }
            if let Some(o) = &h.custodian {
                say!(
                    "custodian:       {:?} {}",
                    o.id,
                    o.name.as_deref().unwrap_or("")
                );
            }
            if let Some(la) = &h.legal_authenticator {
                say!(
                    "legalAuth:       {:?} signature {}",
                    la.id,
                    la.signature_code.as_deref().unwrap_or("")
                );
            }
            for r in &h.related_documents {
                say!("related:         {} {:?}", r.type_code, r.parent_id);
            }
            match &doc.body {
                CdaBody::Structured { sections } => {
                    for s in sections {
                        say!(
                            "section:         {} {} ({} entries)",
                            c(&s.code),
                            s.title.as_deref().unwrap_or(""),
                            s.entries
                        );
                    }
                }
                CdaBody::NonXml(b) => {
                    say!("body:            {} ({} bytes)", b.media_type, b.size())
                }
                CdaBody::Absent => say!("body:            none"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { files, .. } => {
            let bytes = read_input(single(&files))?;
            let findings = segur_dmp_cda::validate::validate(&bytes)?;
            for f in &findings {
                let level = if f.is_error() { "ERROR" } else { "WARNING" };
                say!("{level} [{}] {}", f.rule, f.message);
            }
            let errors = findings.iter().filter(|f| f.is_error()).count();
            if findings.is_empty() {
                say!("OK: no finding");
                Ok(ExitCode::SUCCESS)
            } else if errors == 0 {
                // Warnings only: the kit passes such a document.
                println!("{} warning(s), no error", findings.len());
                Ok(ExitCode::SUCCESS)
            } else {
                say!("{} finding(s), {errors} error(s)", findings.len());
                Ok(ExitCode::from(1))
            }
        }
    }
}
