//! What the CLI prints to a terminal. Text that comes from input (a CDA title, an archive entry
//! name, a mail subject, a card field, a 2D-Doc value...) may hold an ESC sequence that drives
//! the terminal (colours, cursor moves, window title, hyperlinks) or a bidirectional control
//! (U+202E...) that reorders what the user reads ("Trojan Source", CVE-2021-42574). Every
//! human-readable line goes through [`safe`], every JSON line through [`json`]: one rule for the
//! whole CLI.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Characters never written raw: C0 and C1 controls and DEL (`char::is_control`), the Unicode
/// bidirectional controls (LRM, RLM, ALM, LRE..RLO, LRI..PDI; Unicode TR #9 §2), and the line and
/// paragraph separators U+2028/U+2029, which some terminals treat as line breaks.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` as it may be shown on a terminal: each unsafe character ([`is_unsafe`]) becomes its
/// Rust-style escape `\u{1b}`, so nothing is hidden and nothing is dropped. Borrowed when
/// nothing needs escaping.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes (possibly not UTF-8) as [`safe`] text: invalid bytes become `\xNN`.
pub fn safe_bytes(input: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(input) {
        Ok(s) => safe(s),
        Err(_) => {
            let mut out = String::with_capacity(input.len() * 2);
            for chunk in input.utf8_chunks() {
                out.push_str(&safe(chunk.valid()));
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// A JSON text (as `serde_json` writes it) with every unsafe character written as its JSON
/// escape `\uXXXX`: the same JSON value (RFC 8259 §7: any character may be escaped; these can
/// only occur inside strings, since JSON syntax outside strings is ASCII), but nothing reaches the
/// terminal raw. `serde_json` already escapes C0 controls; this adds DEL, C1 and the bidi
/// controls.
pub fn json(serialized: &str) -> Cow<'_, str> {
    if !serialized.chars().any(is_unsafe) {
        return Cow::Borrowed(serialized);
    }
    let mut out = String::with_capacity(serialized.len() + 16);
    for c in serialized.chars() {
        if is_unsafe(c) && c != '\n' {
            // Every unsafe character is in the BMP: one \uXXXX escape.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Exit status of a command whose standard output (or error) was closed by its reader
/// (`segur ins check --file big | head -1`): 128 + SIGPIPE (13), the status a shell reports for
/// `cat` or `grep` stopped by the same closed pipe, so `set -o pipefail` scripts see the same.
/// Nothing is printed: the reader stopped on purpose.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Ends the process quietly with [`BROKEN_PIPE_EXIT`] when `e` is a closed pipe (EPIPE; Rust
/// ignores SIGPIPE, so a write to a closed pipe returns this error instead of killing the
/// process). Any other error is left to the caller.
pub fn exit_if_broken_pipe(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        // `exit` runs no destructor: erase a progress line still drawn on the terminal.
        if PROGRESS_DRAWN.load(Ordering::Relaxed) {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
        }
        std::process::exit(BROKEN_PIPE_EXIT);
    }
}

/// A writer that ends the process quietly when the pipe behind it is closed
/// ([`exit_if_broken_pipe`]), for output written through a library that turns I/O errors into
/// its own (the audit export).
pub struct PipeAware<W>(pub W);

impl<W: Write> Write for PipeAware<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).inspect_err(exit_if_broken_pipe)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().inspect_err(exit_if_broken_pipe)
    }
}

/// Whether a [`Progress`] line is on the terminal now, for [`exit_if_broken_pipe`].
static PROGRESS_DRAWN: AtomicBool = AtomicBool::new(false);

/// Writes to standard output (`stderr == false`) or error, for the `print` macros of main.rs: a
/// closed pipe ends the process quietly ([`exit_if_broken_pipe`]); another write error (disk
/// full behind a redirection) ends it with status 2 and the reason on standard error, where the
/// standard library's `println!` would panic.
pub fn write_or_exit(stderr: bool, args: fmt::Arguments<'_>) {
    let written = if stderr {
        io::stderr().lock().write_fmt(args)
    } else {
        io::stdout().lock().write_fmt(args)
    };
    if let Err(e) = written {
        exit_if_broken_pipe(&e);
        let stream = if stderr { "error" } else { "output" };
        // Standard error may be the failing stream itself: nothing more can be said then.
        let _ = writeln!(
            io::stderr(),
            "segur: cannot write to standard {stream}: {e}"
        );
        std::process::exit(2);
    }
}

/// Prints one human-readable line, made [`safe`]: `say!("{} bytes", n)`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::terminal::write_or_exit(
            false,
            format_args!("{}\n", $crate::terminal::safe(&format!($($arg)*))),
        )
    };
}

/// Prints one line to standard error, made [`safe`].
macro_rules! say_err {
    ($($arg:tt)*) => {
        $crate::terminal::write_or_exit(
            true,
            format_args!("{}\n", $crate::terminal::safe(&format!($($arg)*))),
        )
    };
}

/// Prints a value as JSON (pretty or on one line), made [`json`]-safe.
pub fn print_json(v: &impl serde::Serialize, pretty: bool) -> Result<(), serde_json::Error> {
    let s = if pretty {
        serde_json::to_string_pretty(v)?
    } else {
        serde_json::to_string(v)?
    };
    write_or_exit(false, format_args!("{}\n", json(&s)));
    Ok(())
}

/// How often [`Progress`] redraws: at most four times a second.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// A one-line progress count on standard error for long batch runs (a million matricules, a
/// folder of documents). Drawn only when standard error is a terminal and standard output is
/// not (results scrolling on the same terminal already show progress, and a progress line
/// would be mixed into them); never in a pipe or a log file. The first draw comes after
/// [`PROGRESS_INTERVAL`], so a short run shows nothing, and the line is erased at the end.
pub struct Progress {
    unit: &'static str,
    enabled: bool,
    start: Instant,
    last: Instant,
    drawn: bool,
}

impl Progress {
    /// A progress count of `unit`s ("lines", "files"), enabled as the type documentation says.
    pub fn new(unit: &'static str) -> Self {
        let enabled = io::stderr().is_terminal() && !io::stdout().is_terminal();
        let now = Instant::now();
        Self {
            unit,
            enabled,
            start: now,
            last: now,
            drawn: false,
        }
    }

    /// Reports `done` units so far; draws only when [`PROGRESS_INTERVAL`] has passed.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last) < PROGRESS_INTERVAL {
            return;
        }
        self.last = now;
        self.drawn = true;
        PROGRESS_DRAWN.store(true, Ordering::Relaxed);
        let seconds = now.duration_since(self.start).as_secs_f64();
        // Only counts are drawn (never input text), so the escape sequences are the CLI's own:
        // CR to the line start, EL (ECMA-48 §8.3.41) to erase the rest of a longer earlier draw.
        let _ = write!(
            io::stderr().lock(),
            "\r{done} {} ({:.0}/s)\x1b[K",
            self.unit,
            done as f64 / seconds.max(1e-9)
        );
    }

    /// Erases the progress line, if one was drawn.
    pub fn finish(&mut self) {
        if self.drawn {
            self.drawn = false;
            PROGRESS_DRAWN.store(false, Ordering::Relaxed);
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

pub(crate) use {say, say_err};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_and_keeps_the_rest() {
        assert_eq!(safe("Jean Dupont é"), "Jean Dupont é");
        assert!(matches!(safe("plain"), Cow::Borrowed(_)));
        assert_eq!(safe("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(safe("x\u{202e}fdp.exe"), "x\\u{202e}fdp.exe");
        assert_eq!(
            safe("\u{9b}\u{7f}\r\n\t"),
            "\\u{9b}\\u{7f}\\u{d}\\u{a}\\u{9}"
        );
        assert_eq!(
            safe("\u{2066}\u{2069}\u{200f}"),
            "\\u{2066}\\u{2069}\\u{200f}"
        );
        assert_eq!(safe_bytes(b"a\xffb\x1b"), "a\\xffb\\u{1b}");
    }

    #[test]
    fn json_escaping_keeps_the_value() {
        let v = serde_json::json!({"t": "a\u{202e}b\u{9b}c\u{7f}\u{1b}"});
        let s = serde_json::to_string(&v).unwrap();
        let safe = json(&s);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
