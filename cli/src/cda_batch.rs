//! `segur cda inspect|validate` on many files: one JSON line per file, in input order, and one
//! exit status for the whole batch. A file that cannot be read, or that the reader refuses,
//! gets its own line with a typed error; the batch always goes on to the next file.
//!
//! Exit status: 0 when every file was read (inspect) or is valid (validate; warnings alone
//! included), 1 when some were refused or are invalid, 2 when some could not be read or the
//! command line is wrong (2 wins over 1), 141 when the reader of the output closed it
//! ([`crate::terminal::BROKEN_PIPE_EXIT`]).

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use segur_dmp_cda::read::{CdaBody, CdaDocument};
use segur_dmp_cda::validate::Finding;
use segur_dmp_cda::{CdaError, Code, InstanceId};
use serde::Serialize;

use crate::input::{BatchInput, BatchInputs};

/// What is done to each file.
#[derive(Clone, Copy)]
pub enum Job {
    /// `cda inspect`: the summary (no patient data), or the whole document when `full`.
    Inspect {
        /// `--json`: the whole document, patient data included.
        full: bool,
    },
    /// `cda validate`: the findings.
    Validate,
}

/// The verdict on one file, from the best to the worst (the exit status is the worst).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    /// Inspect: read.
    Ok,
    /// Validate: no error finding.
    Valid,
    /// Validate: at least one error finding.
    Invalid,
    /// The CDA reader refused the file (not XML, not a CDA, over a limit...).
    Refused,
    /// The file could not be read (missing, permission, a folder...).
    Unreadable,
}

/// Why a file has no result.
#[derive(Serialize)]
struct ErrorView {
    /// Stable code: `not-found`, `permission-denied`, `is-a-directory`, `io` (reading), `too-large`,
    /// `path-too-long`, `path-not-utf8` (the list), or the CDA reader's `xml`, `not-cda`,
    /// `namespace`, `non-xml-body-markup`, `missing`, `invalid`.
    code: &'static str,
    /// The reason, with its position in the file when the reader gives one.
    message: String,
}

/// The header and body of a document without patient data: what the text output of
/// `cda inspect` shows (the patient's identifiers are counted, their values are not given).
#[derive(Serialize)]
struct InspectSummary<'a> {
    type_code: &'a Code,
    title: Option<&'a str>,
    id: &'a InstanceId,
    set_id: Option<&'a InstanceId>,
    version_number: Option<u32>,
    effective_time: Option<&'a str>,
    confidentiality: Option<&'a Code>,
    template_ids: &'a [InstanceId],
    /// Number of patient identifiers.
    patient_ids: usize,
    /// Roots (authorities) of the patient's INS identifiers.
    ins_roots: Vec<&'a str>,
    authors: usize,
    body: BodySummary<'a>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum BodySummary<'a> {
    Structured { sections: usize },
    NonXml { media_type: &'a str, bytes: usize },
    Absent,
}

impl<'a> InspectSummary<'a> {
    fn of(doc: &'a CdaDocument<'a>) -> Self {
        let h = &doc.header;
        Self {
            type_code: &h.type_code,
            title: h.title.as_deref(),
            id: &h.id,
            set_id: h.set_id.as_ref(),
            version_number: h.version_number,
            effective_time: h.effective_time.as_deref(),
            confidentiality: h.confidentiality.as_ref(),
            template_ids: &h.template_ids,
            patient_ids: h.patient.ids.len(),
            ins_roots: h.patient.ins_ids().map(|i| i.root.as_str()).collect(),
            authors: h.authors.len(),
            body: match &doc.body {
                CdaBody::Structured { sections } => BodySummary::Structured {
                    sections: sections.len(),
                },
                CdaBody::NonXml(b) => BodySummary::NonXml {
                    media_type: &b.media_type,
                    bytes: b.size(),
                },
                CdaBody::Absent => BodySummary::Absent,
            },
        }
    }
}

/// One output line.
#[derive(Serialize)]
struct Line<'a> {
    /// The path as given (bytes that are not UTF-8 written `\xNN`).
    file: Cow<'a, str>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorView>,
    /// Inspect without `--json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<InspectSummary<'a>>,
    /// Inspect `--json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<&'a CdaDocument<'a>>,
    /// Validate: number of error findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<usize>,
    /// Validate: number of warning findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<usize>,
    /// Validate: every finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<&'a [Finding]>,
}

impl<'a> Line<'a> {
    fn new(file: Cow<'a, str>, status: Status) -> Self {
        Self {
            file,
            status,
            error: None,
            summary: None,
            document: None,
            errors: None,
            warnings: None,
            findings: None,
        }
    }

    fn failed(file: Cow<'a, str>, status: Status, code: &'static str, message: String) -> Self {
        Self {
            error: Some(ErrorView { code, message }),
            ..Self::new(file, status)
        }
    }
}

/// Runs `job` on every input named by `args` and prints one line per file.
pub fn run(args: &[PathBuf], job: Job) -> ExitCode {
    let inputs = match BatchInputs::new(args) {
        Ok(i) => i,
        Err(e) => {
            crate::terminal::say_err!("segur cda: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut worst = None;
    let mut files = 0u64;
    let mut progress = crate::terminal::Progress::new("files");
    for input in inputs {
        let status = match input {
            Ok(BatchInput::Path(path)) => one_file(&mut out, &path, job),
            Ok(BatchInput::BadLine {
                shown,
                code,
                message,
            }) => {
                let file = crate::terminal::safe_bytes(&shown);
                print_line(
                    &mut out,
                    &Line::failed(file, Status::Unreadable, code, message),
                )
            }
            Err(e) => print_line(
                &mut out,
                &Line::failed(
                    Cow::Borrowed("-"),
                    Status::Unreadable,
                    "io",
                    format!("reading the path list on standard input: {e}"),
                ),
            ),
        };
        let status = match status {
            Ok(s) => s,
            Err(e) => return output_failed(&e),
        };
        worst = worst.max(Some(status));
        files += 1;
        progress.update(files);
    }
    progress.finish();
    if let Err(e) = out.flush() {
        return output_failed(&e);
    }
    match worst {
        None | Some(Status::Ok | Status::Valid) => ExitCode::SUCCESS,
        Some(Status::Invalid | Status::Refused) => ExitCode::from(1),
        Some(Status::Unreadable) => ExitCode::from(2),
    }
}

fn output_failed(e: &io::Error) -> ExitCode {
    crate::terminal::exit_if_broken_pipe(e);
    crate::terminal::say_err!("segur cda: cannot write to standard output: {e}");
    ExitCode::from(2)
}

/// Reads, checks and reports one file; returns its verdict.
fn one_file(out: &mut impl Write, path: &Path, job: Job) -> io::Result<Status> {
    let file = shown_path(path);
    let bytes = match crate::input::read_file_limited(path, crate::input::cda_limit()) {
        Ok(b) => b,
        Err(crate::input::ReadError::TooLarge { limit }) => {
            return print_line(
                out,
                &Line::failed(
                    file,
                    Status::Refused,
                    "too-large",
                    format!("larger than the {limit}-byte limit"),
                ),
            );
        }
        Err(crate::input::ReadError::Io(e)) => {
            return print_line(
                out,
                &Line::failed(file, Status::Unreadable, io_code(&e), e.to_string()),
            );
        }
    };
    match job {
        Job::Inspect { full } => match segur_dmp_cda::read(&bytes) {
            Ok(doc) => {
                let mut line = Line::new(file, Status::Ok);
                if full {
                    line.document = Some(&doc);
                } else {
                    line.summary = Some(InspectSummary::of(&doc));
                }
                print_line(out, &line)
            }
            Err(e) => print_line(out, &refused(file, &e)),
        },
        Job::Validate => match segur_dmp_cda::validate::validate(&bytes) {
            Ok(findings) => {
                let errors = findings.iter().filter(|f| f.is_error()).count();
                let status = if errors == 0 {
                    Status::Valid
                } else {
                    Status::Invalid
                };
                let mut line = Line::new(file, status);
                line.errors = Some(errors);
                line.warnings = Some(findings.len() - errors);
                line.findings = Some(&findings);
                print_line(out, &line)
            }
            Err(e) => print_line(out, &refused(file, &e)),
        },
    }
}

fn refused<'a>(file: Cow<'a, str>, e: &CdaError) -> Line<'a> {
    let code = match e {
        CdaError::Xml(_) => "xml",
        CdaError::NotCda(_) => "not-cda",
        CdaError::Namespace { .. } => "namespace",
        CdaError::NonXmlBodyMarkup { .. } => "non-xml-body-markup",
        CdaError::Missing(_) => "missing",
        CdaError::Invalid { .. } => "invalid",
        _ => "cda",
    };
    Line::failed(file, Status::Refused, code, e.to_string())
}

fn io_code(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::NotFound => "not-found",
        io::ErrorKind::PermissionDenied => "permission-denied",
        io::ErrorKind::IsADirectory => "is-a-directory",
        _ => "io",
    }
}

/// The path as text: UTF-8 as it is, other bytes as `\xNN` (escaped again, with control and
/// bidirectional characters, when the line is printed).
fn shown_path(path: &Path) -> Cow<'_, str> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                let mut shown = String::with_capacity(bytes.len() * 2);
                for chunk in bytes.utf8_chunks() {
                    shown.push_str(chunk.valid());
                    for b in chunk.invalid() {
                        shown.push_str(&format!("\\x{b:02x}"));
                    }
                }
                Cow::Owned(shown)
            }
        }
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy()
    }
}

/// Writes `line` as one JSON line, control and bidirectional characters escaped
/// ([`crate::terminal::json`]); returns its status.
fn print_line(out: &mut impl Write, line: &Line<'_>) -> io::Result<Status> {
    let text = serde_json::to_string(line).map_err(io::Error::other)?;
    out.write_all(crate::terminal::json(&text).as_bytes())?;
    out.write_all(b"\n")?;
    Ok(line.status)
}
