//! The demo's output folder: every artefact the steps talk about, and an `INDEX.md` naming
//! each file and the command that reads it back.
//!
//! No data loss: a folder that is neither empty nor a previous demo output (it holds the
//! [`MARKER`] file) is refused unless the user forces it, and even then only the demo's own
//! file names are written. Nothing is written outside the folder: names are fixed, flat (no
//! `/`), and each file is written beside its final name then renamed over it, so a symbolic
//! link planted at a demo file name is replaced, never followed.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file that marks a folder as written by `segur demo`.
pub const MARKER: &str = ".segur-demo";

/// Why the folder cannot be used.
#[derive(Debug)]
pub enum OutError {
    /// The folder holds files of someone else.
    NotEmpty(String),
    /// The path exists and is not a folder.
    NotAFolder(String),
    /// A file system operation failed.
    Io {
        /// The path concerned.
        path: String,
        /// The system's error.
        source: std::io::Error,
    },
}

impl std::fmt::Display for OutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotEmpty(dir) => write!(
                f,
                "{dir} is not empty and is not a previous `segur demo` output: nothing was \
                 written (choose another --out, or add --force to write the demo's files into \
                 it; its other files are left as they are)"
            ),
            Self::NotAFolder(dir) => {
                write!(f, "{dir} exists and is not a folder: nothing was written")
            }
            Self::Io { path, source } => write!(f, "{path}: {source}"),
        }
    }
}

impl std::error::Error for OutError {}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutError + '_ {
    move |source| OutError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// One artefact listed in `INDEX.md`.
pub struct Entry {
    /// File name, in the folder.
    pub name: &'static str,
    /// What the file is.
    pub what: String,
    /// The command that reads it back, run from the folder.
    pub read_back: String,
}

/// The output folder, once checked.
pub struct OutDir {
    dir: PathBuf,
    entries: Vec<Entry>,
}

impl OutDir {
    /// Checks `dir` (created when missing) and marks it as a demo output.
    pub fn prepare(dir: &Path, force: bool) -> Result<Self, OutError> {
        match fs::metadata(dir) {
            Ok(m) if !m.is_dir() => return Err(OutError::NotAFolder(dir.display().to_string())),
            Ok(_) => {
                let mut names = fs::read_dir(dir).map_err(io(dir))?;
                let empty = names.next().is_none();
                let ours = fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file());
                if !empty && !ours && !force {
                    return Err(OutError::NotEmpty(dir.display().to_string()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(dir).map_err(io(dir))?;
            }
            Err(e) => return Err(io(dir)(e)),
        }
        let out = Self {
            dir: dir.to_path_buf(),
            entries: Vec::new(),
        };
        out.write_file(
            MARKER,
            b"Written by `segur demo`: a later run may overwrite the files INDEX.md lists.\n",
        )?;
        Ok(out)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), OutError> {
        debug_assert!(!name.contains(['/', '\\']) && !name.starts_with(".."));
        let target = self.dir.join(name);
        let partial = self.dir.join(format!(".{name}.partial"));
        // A leftover of an interrupted run (or a link put there) is removed, not followed.
        if fs::symlink_metadata(&partial).is_ok() {
            fs::remove_file(&partial).map_err(io(&partial))?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(io(&partial))?;
        file.write_all(bytes).map_err(io(&partial))?;
        file.sync_all().map_err(io(&partial))?;
        drop(file);
        fs::rename(&partial, &target).map_err(io(&target))
    }

    /// Writes one artefact and lists it in the index.
    pub fn write(
        &mut self,
        name: &'static str,
        bytes: &[u8],
        what: impl Into<String>,
        read_back: impl Into<String>,
    ) -> Result<(), OutError> {
        self.write_file(name, bytes)?;
        self.entries.push(Entry {
            name,
            what: what.into(),
            read_back: read_back.into(),
        });
        Ok(())
    }

    /// Writes `INDEX.md`: one table row per artefact, with its read-back command.
    pub fn finish(self) -> Result<PathBuf, OutError> {
        let mut index = String::from(
            "# segur demo output\n\n\
             Every file the demo's steps talk about. The patient is the fictitious INSi test \
             identity ECETINSI PIERRE-ALAIN; the cards are simulated in memory; the DMP is the \
             SDK's built-in simulator. Run each command from this folder. The file \
             `.segur-demo` marks the folder as a demo output: `segur demo --out` may write here \
             again, replacing the files below.\n\n\
             | File | What it is | Read it back with |\n\
             |---|---|---|\n",
        );
        for e in &self.entries {
            index.push_str(&format!(
                "| `{}` | {} | `{}` |\n",
                e.name,
                e.what.replace('|', "\\|"),
                e.read_back
            ));
        }
        self.write_file("INDEX.md", index.as_bytes())?;
        Ok(self.dir.join("INDEX.md"))
    }
}
