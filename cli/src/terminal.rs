//! What the CLI prints to a terminal. Text that comes from input (a CDA title, an archive entry
//! name, a mail subject, a card field, a 2D-Doc value...) may hold an ESC sequence that drives
//! the terminal (colours, cursor moves, window title, hyperlinks) or a bidirectional control
//! (U+202E...) that reorders what the user reads ("Trojan Source", CVE-2021-42574). Every
//! human-readable line goes through [`safe`], every JSON line through [`json`]: one rule for the
//! whole CLI.

use std::borrow::Cow;

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

/// Prints one human-readable line, made [`safe`]: `say!("{} bytes", n)`.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::terminal::safe(&format!($($arg)*)))
    };
}

/// Prints one line to standard error, made [`safe`].
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::terminal::safe(&format!($($arg)*)))
    };
}

/// Prints a value as JSON (pretty or on one line), made [`json`]-safe.
pub fn print_json(v: &impl serde::Serialize, pretty: bool) -> Result<(), serde_json::Error> {
    let s = if pretty {
        serde_json::to_string_pretty(v)?
    } else {
        serde_json::to_string(v)?
    };
    println!("{}", json(&s));
    Ok(())
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
