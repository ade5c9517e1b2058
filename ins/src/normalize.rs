//! Normalisation of name traits to the INSi character profile (GIE SESAM-Vitale SEL-MP-043
//! v05.00.01 §2 and §3.4.1, EF_INS01_03, EF_INS10_01/02; ANS INS implementation guide V3.0):
//!
//! - allowed output: upper-case `A`–`Z`, space, apostrophe `'` (U+0027), hyphen `-` (U+002D);
//! - explicit transliteration: lower case to upper case; letters with diacritics to their base
//!   letter (canonical decomposition, marks dropped); `Œ→OE`, `Æ→AE`, `ß→SS`, `Ø→O` and a few other
//!   letters Unicode does not decompose (`Ł→L`, `Đ→D`, `Ħ→H`, `ı→I`, `Þ→TH`); `’ ‘ ʼ` and the
//!   acute/grave accent characters to `'`; dash variants (U+2010–U+2015, U+2212) to `-`; no-break
//!   spaces to a space;
//! - any other character (digits, `_`, `!`, `/`, ...) is **rejected with its position**, never
//!   stripped;
//! - syntax: no leading space or hyphen (a leading apostrophe is allowed: `'T HOOFT`), no trailing
//!   space, no doubled or combined separators (`"  "`, `"''"`, `" '"`, `"' "`, `"- "`, `"-'"`...),
//!   `--` only in a birth name (legacy "double nom" separator, never `---`), no trailing `-` or `'`
//!   in a given name;
//! - maximum length configurable, default 100 (datamatrix S3/S4 bound; no other official maximum
//!   exists, see `specs/ins.md` §1.5).
//!
//! The value as entered is kept beside the normalised one ([`NormalizedName`]).

use crate::error::NormalizeError;
use std::fmt;

/// Default maximum length of a normalised name.
pub const DEFAULT_MAX_LEN: usize = 100;

/// Which syntactic profile applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// Nom de naissance (or nom utilisé): `--` allowed.
    BirthName,
    /// A prénom: no `--`, no trailing `-` or `'`.
    GivenName,
}

/// Normaliser settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalizer {
    max_len: usize,
}

impl Default for Normalizer {
    fn default() -> Self {
        Self {
            max_len: DEFAULT_MAX_LEN,
        }
    }
}

impl Normalizer {
    /// A normaliser with a custom maximum length (in characters of the normalised value).
    pub const fn with_max_len(max_len: usize) -> Self {
        Self { max_len }
    }

    /// The configured maximum length.
    pub const fn max_len(&self) -> usize {
        self.max_len
    }

    /// Normalises `input` for the given profile.
    pub fn normalize(&self, input: &str, kind: NameKind) -> Result<String, NormalizeError> {
        let mut out = String::with_capacity(input.len());
        for (index, ch) in input.chars().enumerate() {
            transliterate(ch, &mut out).ok_or(NormalizeError::UnsupportedChar {
                position: index + 1,
            })?;
        }
        check_syntax(&out, kind)?;
        let length = out.len(); // ASCII only at this point
        if length > self.max_len {
            return Err(NormalizeError::TooLong {
                length,
                max: self.max_len,
            });
        }
        Ok(out)
    }

    /// Normalises and keeps the entered value beside the normalised one.
    pub fn name(&self, input: &str, kind: NameKind) -> Result<NormalizedName, NormalizeError> {
        let normalized = self.normalize(input, kind)?;
        Ok(NormalizedName {
            entered: input.to_owned(),
            normalized,
        })
    }
}

/// Normalises with the default settings.
pub fn normalize(input: &str, kind: NameKind) -> Result<String, NormalizeError> {
    Normalizer::default().normalize(input, kind)
}

/// A name as entered and as normalised for the INSi profile. Redacted in `Debug`/`Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NormalizedName {
    entered: String,
    normalized: String,
}

impl NormalizedName {
    /// The normalised value (what is sent to INSi, written in CDA, printed in the datamatrix).
    pub fn expose(&self) -> &str {
        &self.normalized
    }

    /// The value as entered (kept for display and audit).
    pub fn expose_entered(&self) -> &str {
        &self.entered
    }
}

impl fmt::Debug for NormalizedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NormalizedName(<redacted>)")
    }
}

impl fmt::Display for NormalizedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<name redacted>")
    }
}

/// Appends the transliteration of `ch`, or returns `None` when it has no equivalent.
fn transliterate(ch: char, out: &mut String) -> Option<()> {
    match ch {
        'A'..='Z' | ' ' | '\'' | '-' => out.push(ch),
        'a'..='z' => out.push(ch.to_ascii_uppercase()),
        // Typographic apostrophes and spacing accents typed as apostrophes.
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{00B4}' | '\u{0060}' => out.push('\''),
        // Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign.
        '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
        // No-break space and narrow no-break space.
        '\u{00A0}' | '\u{202F}' => out.push(' '),
        'Œ' | 'œ' => out.push_str("OE"),
        'Æ' | 'æ' => out.push_str("AE"),
        'ß' | 'ẞ' => out.push_str("SS"),
        'Ø' | 'ø' => out.push('O'),
        'Ł' | 'ł' => out.push('L'),
        'Đ' | 'đ' => out.push('D'),
        'Ħ' | 'ħ' => out.push('H'),
        'ı' => out.push('I'),
        'Þ' | 'þ' => out.push_str("TH"),
        _ if unicode_normalization::char::is_combining_mark(ch) => {
            // A combining mark (decomposed input) only makes sense after a letter.
            if !out.ends_with(|c: char| c.is_ascii_alphabetic()) {
                return None;
            }
        }
        _ => {
            let mut base: Option<char> = None;
            let mut extra = false;
            unicode_normalization::char::decompose_canonical(ch, |d| {
                if unicode_normalization::char::is_combining_mark(d) {
                    return;
                }
                if base.is_none() {
                    base = Some(d);
                } else {
                    extra = true;
                }
            });
            match base {
                Some(b @ ('A'..='Z' | 'a'..='z')) if !extra && b != ch => {
                    out.push(b.to_ascii_uppercase())
                }
                _ => return None,
            }
        }
    }
    Some(())
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'\'' | b'-')
}

/// The syntactic rules of SEL-MP-043 §3.4.1 on an already transliterated (ASCII) value.
fn check_syntax(s: &str, kind: NameKind) -> Result<(), NormalizeError> {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return Err(NormalizeError::Empty);
    };
    if first == b' ' || first == b'-' {
        return Err(NormalizeError::LeadingSeparator);
    }
    if last == b' ' {
        return Err(NormalizeError::TrailingSpace);
    }
    if kind == NameKind::GivenName && (last == b'-' || last == b'\'') {
        return Err(NormalizeError::TrailingSeparatorInGivenName);
    }
    for (i, (&a, &c)) in b.iter().zip(b.iter().skip(1)).enumerate() {
        if !(is_sep(a) && is_sep(c)) {
            continue;
        }
        let position = i + 2;
        if a == b'-' && c == b'-' {
            if kind == NameKind::GivenName {
                return Err(NormalizeError::DoubleHyphenInGivenName { position });
            }
            // `--` is one separator; a third hyphen or any separator after it is combined.
            let before = i.checked_sub(1).and_then(|j| b.get(j)).copied();
            let after = b.get(i + 2).copied();
            if before.is_some_and(is_sep) || after.is_some_and(is_sep) {
                return Err(NormalizeError::CombinedSeparators { position });
            }
            continue;
        }
        return Err(NormalizeError::CombinedSeparators { position });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use NameKind::*;

    #[test]
    fn cnda_2_03() {
        assert_eq!(
            normalize("D'ARTAGNAN DE L'HERAULT", BirthName).unwrap(),
            "D'ARTAGNAN DE L'HERAULT"
        );
        assert_eq!(
            normalize("PIERRE-ALAIN", GivenName).unwrap(),
            "PIERRE-ALAIN"
        );
        assert_eq!(normalize("D’ÆION", BirthName).unwrap(), "D'AEION");
        assert_eq!(normalize("CŒUR", GivenName).unwrap(), "COEUR");
    }

    #[test]
    fn accents_and_decomposed_input() {
        assert_eq!(
            normalize("Hélène-Françoise", GivenName).unwrap(),
            "HELENE-FRANCOISE"
        );
        assert_eq!(
            normalize("He\u{301}le\u{300}ne", GivenName).unwrap(),
            "HELENE"
        );
        assert_eq!(
            normalize("Müller–Strauß", BirthName).unwrap(),
            "MULLER-STRAUSS"
        );
        assert_eq!(
            normalize("Øster Łukasz", BirthName).unwrap(),
            "OSTER LUKASZ"
        );
    }

    #[test]
    fn rejects_with_position_never_strips() {
        assert_eq!(
            normalize("Du9pont!", BirthName),
            Err(NormalizeError::UnsupportedChar { position: 3 })
        );
        assert_eq!(
            normalize("A_B", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 2 })
        );
        assert_eq!(
            normalize("\u{301}A", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 1 })
        );
    }

    #[test]
    fn syntax() {
        assert_eq!(
            normalize("MARTIN--DURAND", BirthName).unwrap(),
            "MARTIN--DURAND"
        );
        assert!(matches!(
            normalize("JEAN--PAUL", GivenName),
            Err(NormalizeError::DoubleHyphenInGivenName { .. })
        ));
        assert!(matches!(
            normalize("A---B", BirthName),
            Err(NormalizeError::CombinedSeparators { .. })
        ));
        assert!(matches!(
            normalize("A  B", BirthName),
            Err(NormalizeError::CombinedSeparators { position: 3 })
        ));
        assert!(matches!(
            normalize("A' B", BirthName),
            Err(NormalizeError::CombinedSeparators { .. })
        ));
        assert_eq!(
            normalize(" A", BirthName),
            Err(NormalizeError::LeadingSeparator)
        );
        assert_eq!(
            normalize("-A", BirthName),
            Err(NormalizeError::LeadingSeparator)
        );
        assert_eq!(normalize("'T HOOFT", BirthName).unwrap(), "'T HOOFT");
        assert_eq!(
            normalize("JEAN-", GivenName),
            Err(NormalizeError::TrailingSeparatorInGivenName)
        );
        assert_eq!(
            normalize("A ", BirthName),
            Err(NormalizeError::TrailingSpace)
        );
        assert_eq!(normalize("", BirthName), Err(NormalizeError::Empty));
    }

    #[test]
    fn max_len() {
        let long = "A".repeat(101);
        assert_eq!(
            normalize(&long, BirthName),
            Err(NormalizeError::TooLong {
                length: 101,
                max: 100
            })
        );
        assert!(
            Normalizer::with_max_len(200)
                .normalize(&long, BirthName)
                .is_ok()
        );
    }
}
