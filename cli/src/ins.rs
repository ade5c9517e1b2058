//! `segur ins ...`: INS matricule checks, name normalisation, decoding.

use clap::Subcommand;
use segur_ins::normalize::{NameKind, Normalizer};
use segur_ins::{Lang, Matricule, MatriculeError};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `segur ins` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Check matricules: one line per input, `OK <15 chars>` or `ERR <input> <reason-code>`.
    /// Exit status 0 only when every input is valid. `-` reads standard input.
    Check {
        /// Matricules to check (13 or 15 characters; spaces, dots, hyphens allowed).
        values: Vec<String>,
        /// A file with one matricule per line (`-` for standard input).
        #[arg(long)]
        file: Option<PathBuf>,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Normalise a name trait to the INSi character profile.
    Normalize {
        /// A nom de naissance.
        #[arg(long, conflicts_with = "given", required_unless_present = "given")]
        birth_name: Option<String>,
        /// A prénom.
        #[arg(long)]
        given: Option<String>,
        /// Maximum length of the normalised value.
        #[arg(long, default_value_t = segur_ins::normalize::DEFAULT_MAX_LEN)]
        max_len: usize,
        /// Error messages in French.
        #[arg(long)]
        fr: bool,
    },
    /// Decode what the digits of a matricule say (sex, year, month, place, lints).
    Decode {
        /// The matricule.
        value: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `segur ins` subcommand.
pub fn run(cmd: Command) -> ExitCode {
    match cmd {
        Command::Check { values, file, json } => match check(&values, file.as_deref(), json) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("segur ins check: {e}");
                ExitCode::from(2)
            }
        },
        Command::Normalize {
            birth_name,
            given,
            max_len,
            fr,
        } => {
            let (text, kind) = match (birth_name, given) {
                (Some(t), _) => (t, NameKind::BirthName),
                (None, Some(t)) => (t, NameKind::GivenName),
                (None, None) => return ExitCode::from(2),
            };
            match Normalizer::with_max_len(max_len).normalize(&text, kind) {
                Ok(n) => {
                    println!("{n}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let lang = if fr { Lang::Fr } else { Lang::En };
                    eprintln!("ERR {} {}", e.code(), e.message(lang));
                    ExitCode::from(1)
                }
            }
        }
        Command::Decode { value, json } => match Matricule::parse(&value) {
            Ok(m) => {
                let d = m.decode();
                if json {
                    println!("{}", serde_json::to_string(&d).unwrap_or_default());
                } else {
                    println!("{d:#?}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ERR {} {}", e.code(), e);
                ExitCode::from(1)
            }
        },
    }
}

/// Checks every value and every line of `file`, streaming: one reused line buffer, a buffered
/// writer, no allocation per valid line. Returns whether all inputs were valid.
fn check(values: &[String], file: Option<&std::path::Path>, json: bool) -> io::Result<bool> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut all_ok = true;
    for v in values {
        if v == "-" {
            all_ok &= check_stream(io::stdin().lock(), &mut out, json)?;
        } else {
            all_ok &= report(&mut out, v.as_bytes(), json)?;
        }
    }
    match file {
        Some(p) if p.as_os_str() == "-" => {
            all_ok &= check_stream(io::stdin().lock(), &mut out, json)?
        }
        Some(p) => all_ok &= check_stream(File::open(p)?, &mut out, json)?,
        None => {}
    }
    out.flush()?;
    Ok(all_ok)
}

/// Longest line `ins check` reads (a grouped matricule has 21 characters): a longer line is
/// reported invalid and skipped without being buffered, so a 3 GB file with no line break
/// costs this much memory, not 3 GB.
const MAX_LINE: usize = 4096;

fn check_stream<R: Read>(input: R, out: &mut impl Write, json: bool) -> io::Result<bool> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut line = Vec::with_capacity(64);
    let mut all_ok = true;
    loop {
        line.clear();
        let cap = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
        if (&mut reader).take(cap).read_until(b'\n', &mut line)? == 0 {
            return Ok(all_ok);
        }
        if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            skip_rest_of_line(&mut reader)?;
            all_ok = false;
            if json {
                writeln!(
                    out,
                    "{{\"input\":null,\"ok\":false,\"error\":\"line-too-long\",\"message\":\"line longer than {MAX_LINE} bytes\",\"position\":{MAX_LINE}}}"
                )?;
            } else {
                writeln!(out, "ERR - line-too-long")?;
            }
            continue;
        }
        let mut l = line.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = l {
            l = rest;
        }
        if l.is_empty() {
            continue;
        }
        all_ok &= report(out, l, json)?;
    }
}

/// Consumes the input up to and including the next line break, keeping none of it.
fn skip_rest_of_line(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

fn report(out: &mut impl Write, input: &[u8], json: bool) -> io::Result<bool> {
    let parsed = std::str::from_utf8(input)
        .map_err(|_| None)
        .and_then(|s| Matricule::parse(s).map_err(Some));
    let ok = parsed.is_ok();
    if !json {
        // Hot path of `--file` on millions of lines: raw byte writes, no formatting machinery.
        match parsed {
            Ok(m) => {
                out.write_all(b"OK ")?;
                out.write_all(m.expose().as_bytes())?;
            }
            Err(e) => {
                out.write_all(b"ERR ")?;
                out.write_all(crate::terminal::safe_bytes(input).as_bytes())?;
                out.write_all(b" ")?;
                out.write_all(code(e.as_ref()).as_bytes())?;
            }
        }
        out.write_all(b"\n")?;
        return Ok(ok);
    }
    let shown = serde_json::Value::from(String::from_utf8_lossy(input).as_ref());
    match parsed {
        Ok(m) => writeln!(
            out,
            "{{\"input\":{shown},\"ok\":true,\"matricule\":\"{}\"}}",
            m.expose()
        )?,
        Err(e) => writeln!(
            out,
            "{{\"input\":{shown},\"ok\":false,\"error\":\"{}\",\"message\":{},\"position\":{}}}",
            code(e.as_ref()),
            serde_json::Value::from(
                e.map_or_else(|| "input is not UTF-8".to_owned(), |e| e.message(Lang::En))
            ),
            e.and_then(|e| e.position())
                .map_or("null".to_owned(), |p| p.to_string()),
        )?,
    }
    Ok(ok)
}

fn code(e: Option<&MatriculeError>) -> &'static str {
    e.map_or("invalid-utf8", MatriculeError::code)
}
