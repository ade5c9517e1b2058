//! Files and standard input read under the library's size limits, applied while reading: a
//! 3 GB file given by mistake is refused after the limit, never loaded whole.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The most bytes a CDA (or a JSON document input) may have: the CDA reader's own limit
/// (`segur_dmp_cda::xml::XmlLimits::default().max_bytes`).
pub fn cda_limit() -> usize {
    segur_dmp_cda::xml::XmlLimits::default().max_bytes
}

/// The most bytes an IHE_XDM.ZIP may have (`XdmLimits::default().max_archive_bytes`).
pub fn xdm_limit() -> usize {
    segur_dmp_cda::xdm::XdmLimits::default().max_archive_bytes
}

/// Reads `path` (`-`: standard input) up to `limit` bytes; more is an error naming the limit.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    let name = path.display();
    let read = if path.as_os_str() == "-" {
        read_capped(std::io::stdin().lock(), 0, limit)
    } else {
        read_file_limited(path, limit)
    };
    read.map_err(|e| match e {
        ReadError::Io(e) => format!("{name}: {e}"),
        ReadError::TooLarge { limit } => format!("{name}: larger than the {limit}-byte limit"),
    })
}

/// Why [`read_file_limited`] gave no bytes.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed.
    Io(std::io::Error),
    /// The file has more than `limit` bytes (reading stopped one byte past it).
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

/// Reads the file at `path` (never standard input) up to `limit` bytes, sized from its
/// metadata so a batch does not grow each buffer step by step.
pub fn read_file_limited(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let size_hint = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .unwrap_or(0);
    read_capped(file, size_hint, limit)
}

fn read_capped(input: impl Read, size_hint: usize, limit: usize) -> Result<Vec<u8>, ReadError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    // One byte more than the file, so the read that sees the end needs no reallocation.
    let mut bytes = Vec::with_capacity(size_hint.min(limit).saturating_add(1));
    input
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Longest line of a path list (Linux `PATH_MAX`): a longer line is reported and skipped
/// without being buffered.
pub const MAX_PATH_LINE: usize = 4096;

/// One input of a batch.
pub enum BatchInput {
    /// A path given as an argument or read from a list.
    Path(PathBuf),
    /// A line of the list that is not a path; `shown` is what the line starts with (its first
    /// 64 bytes), `code` and `message` say why.
    BadLine {
        /// The start of the line, for the report.
        shown: Vec<u8>,
        /// Stable code of the reason (`path-too-long`, `path-not-utf8`).
        code: &'static str,
        /// The reason.
        message: String,
    },
}

/// The inputs of a batch, in order: each argument, and in place of `-` each line of standard
/// input, read as the batch goes (a list of a million paths is never held whole). A line ends
/// with LF; a CR before it is dropped too (lists written on Windows); blank lines are skipped.
/// A path is the line's bytes as they are (Unix paths need not be UTF-8).
pub struct BatchInputs<'a> {
    args: std::slice::Iter<'a, PathBuf>,
    list: Option<std::io::StdinLock<'static>>,
    line: Vec<u8>,
}

impl<'a> BatchInputs<'a> {
    /// The inputs named by `args`. More than one `-` is a usage error (standard input is one
    /// list).
    pub fn new(args: &'a [PathBuf]) -> Result<Self, String> {
        if args.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
            return Err("`-` (the list of paths on standard input) may be given once".to_owned());
        }
        Ok(Self {
            args: args.iter(),
            list: None,
            line: Vec::with_capacity(256),
        })
    }

    /// The next line of the list, `None` at its end.
    fn next_listed(&mut self) -> Option<std::io::Result<BatchInput>> {
        let list = self.list.as_mut()?;
        loop {
            self.line.clear();
            let cap = u64::try_from(MAX_PATH_LINE).unwrap_or(u64::MAX) + 1;
            match list.by_ref().take(cap).read_until(b'\n', &mut self.line) {
                Ok(0) => {
                    self.list = None;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.list = None;
                    return Some(Err(e));
                }
            }
            if self.line.len() > MAX_PATH_LINE && self.line.last() != Some(&b'\n') {
                if let Err(e) = skip_rest_of_line(list) {
                    return Some(Err(e));
                }
                return Some(Ok(BatchInput::BadLine {
                    shown: self.line.iter().take(64).copied().collect(),
                    code: "path-too-long",
                    message: format!(
                        "a line of the path list is longer than {MAX_PATH_LINE} bytes"
                    ),
                }));
            }
            let mut l = self.line.as_slice();
            if let [rest @ .., b'\n'] = l {
                l = rest;
            }
            if let [rest @ .., b'\r'] = l {
                l = rest;
            }
            if l.is_empty() {
                continue;
            }
            return Some(Ok(path_of_line(l)));
        }
    }
}

#[cfg(unix)]
fn path_of_line(l: &[u8]) -> BatchInput {
    use std::os::unix::ffi::OsStrExt;
    BatchInput::Path(PathBuf::from(std::ffi::OsStr::from_bytes(l)))
}

#[cfg(not(unix))]
fn path_of_line(l: &[u8]) -> BatchInput {
    match std::str::from_utf8(l) {
        Ok(s) => BatchInput::Path(PathBuf::from(s)),
        Err(e) => BatchInput::BadLine {
            shown: l.iter().take(64).copied().collect(),
            code: "path-not-utf8",
            message: format!("a path of the list is not UTF-8 (byte {})", e.valid_up_to()),
        },
    }
}

/// Consumes the input up to and including the next line break, keeping none of it.
fn skip_rest_of_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', buf) {
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

impl Iterator for BatchInputs<'_> {
    type Item = std::io::Result<BatchInput>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.next_listed() {
                return Some(item);
            }
            let arg = self.args.next()?;
            if arg.as_os_str() == "-" {
                self.list = Some(std::io::stdin().lock());
            } else {
                return Some(Ok(BatchInput::Path(arg.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'x'; 1000]).unwrap();
        assert_eq!(read_limited(&p, 1000).unwrap().len(), 1000);
        let e = read_limited(&p, 999).unwrap_err();
        assert!(e.ends_with("larger than the 999-byte limit"), "{e}");
    }
}
