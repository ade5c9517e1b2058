//! `segur ins ...`: INS matricule checks, name normalisation, decoding.

use clap::Subcommand;
use segur_ins::normalize::{NameKind, Normalizer};
use segur_ins::{Lang, Matricule, MatriculeError};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `segur ins` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Check matricules: one line per input, `OK <15 chars>` or `ERR <input> <reason-code>`.
    /// Exit status 0 only when every input is valid, 1 when one is not, 2 when the input cannot
    /// be read, 141 when the reader of the output closed it. `-` reads standard input.
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
    /// Search the INSi teleservice by traits (CNDA strategy) with `--auth mtls|cps|psc`.
    /// Exit status 0 found, 1 not found, 2 error.
    Search(Box<crate::ins_search::SearchArgs>),
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
        Command::Search(args) => crate::ins_search::run(*args),
        Command::Check { values, file, json } => match check(&values, file.as_deref(), json) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                crate::terminal::exit_if_broken_pipe(&e);
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

/// Checks every value and every line of `file`, streaming: large blocks, a buffered writer, no
/// allocation per valid line. Returns whether all inputs were valid.
fn check(values: &[String], file: Option<&std::path::Path>, json: bool) -> io::Result<bool> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut all_ok = true;
    for v in values {
        if v == "-" {
            all_ok &= check_stream(io::stdin().lock(), &mut out, json)?;
        } else {
            let mut line = Vec::new();
            all_ok &= report(
                &mut line,
                v.as_bytes(),
                Matricule::parse(v).map_err(Some),
                json,
            );
            out.write_all(&line)?;
        }
    }
    match file {
        Some(p) if p.as_os_str() == "-" => {
            all_ok &= check_stream(io::stdin().lock(), &mut out, json)?
        }
        Some(p) => {
            let f = File::open(p).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{}: {e}", crate::terminal::safe(&p.display().to_string())),
                )
            })?;
            all_ok &= check_stream(f, &mut out, json)?
        }
        None => {}
    }
    out.flush()?;
    Ok(all_ok)
}

/// Longest line `ins check` reads (a grouped matricule has 21 characters): a longer line is
/// reported invalid and skipped without being buffered, so a 3 GB file with no line break
/// costs this much memory, not 3 GB.
const MAX_LINE: usize = 4096;

/// Bytes read at once: a million matricules (16 MB) take 64 reads.
const BLOCK: usize = 1 << 18;

/// Checks each line of `input`: the input is read in [`BLOCK`]s, lines are found with
/// `memchr`, and each block's complete lines are checked for ASCII once (the common case), so
/// a line is handed to [`Matricule::parse_bytes`] without a per-line UTF-8 check or copy. Only
/// a block holding non-ASCII bytes is checked line by line (`invalid-utf8` for a line that is
/// not UTF-8). Line breaks are LF or CRLF (every trailing CR or LF is dropped); blank lines are
/// skipped; a line of more than [`MAX_LINE`] bytes is reported `line-too-long` as soon as it
/// passes the limit and the rest of it is discarded while reading.
fn check_stream<R: Read>(mut input: R, out: &mut impl Write, json: bool) -> io::Result<bool> {
    let mut buf = vec![0u8; BLOCK];
    let mut pending = Vec::with_capacity(OUT_CHUNK + MAX_LINE * 8);
    let mut all_ok = true;
    // `buf[..end]` holds unread data, starting at a line start (or inside a too-long line
    // when `skipping`).
    let mut end = 0usize;
    let mut skipping = false;
    let mut lines = 0u64;
    let mut progress = crate::terminal::Progress::new("lines");
    loop {
        let n = match input.read(buf.get_mut(end..).unwrap_or_default()) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let eof = n == 0;
        end += n;
        let data = buf.get(..end).unwrap_or_default();
        let mut from = 0;
        if skipping {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    skipping = false;
                    from = i + 1;
                }
                None => from = end,
            }
        }
        // Complete lines: up to the last line break, or everything at the end of input.
        let complete = if eof {
            end
        } else {
            memchr::memrchr(b'\n', data).map_or(from, |i| (i + 1).max(from))
        };
        let region = data.get(from..complete).unwrap_or_default();
        let ascii = region.is_ascii();
        let mut line_start = 0;
        loop {
            // Most files hold one valid canonical matricule per line: when the break is where
            // it would be and the 15 bytes before it parse (so hold no other break), the line
            // is done without searching.
            if !json
                && let Some([candidate @ .., b'\n']) =
                    region.get(line_start..line_start + CANONICAL_LINE + 1)
                && let Ok(m) = Matricule::parse_bytes(candidate)
            {
                pending.extend_from_slice(b"OK ");
                pending.extend_from_slice(m.expose_bytes());
                pending.push(b'\n');
                lines += 1;
                line_start += CANONICAL_LINE + 1;
                if pending.len() >= OUT_CHUNK {
                    out.write_all(&pending)?;
                    pending.clear();
                }
                continue;
            }
            let line_end = region
                .get(line_start..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
                .map(|i| line_start + i);
            let Some(line) = region.get(line_start..line_end.unwrap_or(region.len())) else {
                break;
            };
            line_start = line_end.map_or(usize::MAX, |i| i + 1);
            let mut l = line;
            while let [rest @ .., b'\n' | b'\r'] = l {
                l = rest;
            }
            if !l.is_empty() {
                lines += 1;
                all_ok &= if line.len() > MAX_LINE {
                    too_long(&mut pending, json)
                } else {
                    let parsed = if ascii || l.is_ascii() || std::str::from_utf8(l).is_ok() {
                        Matricule::parse_bytes(l).map_err(Some)
                    } else {
                        Err(None)
                    };
                    match parsed {
                        // The hot path, inline: "OK " + 15 bytes + LF.
                        Ok(m) if !json => {
                            pending.extend_from_slice(b"OK ");
                            pending.extend_from_slice(m.expose_bytes());
                            pending.push(b'\n');
                            true
                        }
                        parsed => report(&mut pending, l, parsed, json),
                    }
                };
                // Written in 64 KiB pieces: the output stays in the CPU cache.
                if pending.len() >= OUT_CHUNK {
                    out.write_all(&pending)?;
                    pending.clear();
                }
            }
            if line_end.is_none() {
                break;
            }
        }
        out.write_all(&pending)?;
        pending.clear();
        progress.update(lines);
        if eof {
            progress.finish();
            return Ok(all_ok);
        }
        // The incomplete last line moves to the front; past the limit it is reported now and
        // the rest of it skipped.
        let tail = complete..end;
        if tail.len() > MAX_LINE {
            lines += 1;
            all_ok &= too_long(&mut pending, json);
            out.write_all(&pending)?;
            pending.clear();
            skipping = true;
            end = 0;
        } else {
            end = tail.len();
            buf.copy_within(tail, 0);
        }
    }
}

/// Verdicts are written when this many bytes are pending.
const OUT_CHUNK: usize = 1 << 16;

/// A canonical matricule line: 15 characters before its LF.
const CANONICAL_LINE: usize = 15;

fn too_long(out: &mut Vec<u8>, json: bool) -> bool {
    if json {
        out.extend_from_slice(
            format!(
                "{{\"input\":null,\"ok\":false,\"error\":\"line-too-long\",\"message\":\"line longer than {MAX_LINE} bytes\",\"position\":{MAX_LINE}}}\n"
            )
            .as_bytes(),
        );
    } else {
        out.extend_from_slice(b"ERR - line-too-long\n");
    }
    false
}

/// Appends the verdict on one input to `out`; `parsed` is `Err(None)` for an input that is not
/// UTF-8.
fn report(
    out: &mut Vec<u8>,
    input: &[u8],
    parsed: Result<Matricule, Option<MatriculeError>>,
    json: bool,
) -> bool {
    let ok = parsed.is_ok();
    if !json {
        // Hot path of `--file` on millions of lines: one copy of "OK " + 15 bytes + LF.
        match parsed {
            Ok(m) => {
                let mut line = [0u8; 19];
                line[..3].copy_from_slice(b"OK ");
                line[3..18].copy_from_slice(m.expose_bytes());
                line[18] = b'\n';
                out.extend_from_slice(&line);
            }
            Err(e) => {
                out.extend_from_slice(b"ERR ");
                out.extend_from_slice(crate::terminal::safe_bytes(input).as_bytes());
                out.push(b' ');
                out.extend_from_slice(code(e.as_ref()).as_bytes());
                out.push(b'\n');
            }
        }
        return ok;
    }
    // Control and bidirectional characters of the input as JSON escapes (terminal::json).
    let shown = serde_json::Value::from(String::from_utf8_lossy(input).as_ref()).to_string();
    let shown = crate::terminal::json(&shown);
    // Writing to a Vec cannot fail.
    let _ = match parsed {
        Ok(m) => writeln!(
            out,
            "{{\"input\":{shown},\"ok\":true,\"matricule\":\"{}\"}}",
            m.expose()
        ),
        Err(e) => writeln!(
            out,
            "{{\"input\":{shown},\"ok\":false,\"error\":\"{}\",\"message\":{},\"position\":{}}}",
            code(e.as_ref()),
            serde_json::Value::from(
                e.map_or_else(|| "input is not UTF-8".to_owned(), |e| e.message(Lang::En))
            ),
            e.and_then(|e| e.position())
                .map_or("null".to_owned(), |p| p.to_string()),
        ),
    };
    ok
}

fn code(e: Option<&MatriculeError>) -> &'static str {
    e.map_or("invalid-utf8", MatriculeError::code)
}
