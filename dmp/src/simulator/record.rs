//! `--record DIR`: every request as received, one file each (`0001.http`, `0002.http`, ...):
//! the request line, the headers as hyper parsed them (names lower-case, in order), a blank
//! line, then the body bytes unchanged. Files are written before the request is checked, so a
//! refused request is recorded too. The recordings hold patient data: they belong in a test
//! folder only.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Writes the recordings of one simulator run.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    next: AtomicU32,
}

impl Recorder {
    /// Records into `dir` (created if needed), numbering from 1.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            next: AtomicU32::new(1),
        })
    }

    /// Writes one request; returns the file written.
    pub fn record(
        &self,
        method: &str,
        target: &str,
        version: &str,
        headers: &[(String, Vec<u8>)],
        body: &[u8],
    ) -> std::io::Result<PathBuf> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let path = self.dir.join(format!("{n:04}.http"));
        let mut out = Vec::with_capacity(body.len() + 1024);
        out.extend_from_slice(format!("{method} {target} {version}\r\n").as_bytes());
        for (name, value) in headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        std::fs::write(&path, out)?;
        Ok(path)
    }
}
