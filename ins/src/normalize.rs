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
//! - decomposed input (NFD: a letter followed by combining marks) is accepted exactly when it is
//!   canonically equivalent to one precomposed letter: the base character and the marks that
//!   follow it must compose (Unicode canonical composition, UAX #15 NFC) into a single character.
//!   `E` + U+0301 is `É` (accepted, gives `E`); `E` + U+0323 + U+0302 is `Ệ` (accepted); `É` +
//!   U+0301, `E` + U+0301 + U+0301, `J` + U+0301 (no `J́` letter exists), a mark after a space or a
//!   hyphen, a mark at the start, and a variation selector (U+FE00–U+FE0F, U+E0100–U+E01EF) after
//!   any letter are **rejected at the position of the first mark that no letter carries**. A
//!   letter carries at most the few marks of its own decomposition, so `J` + 900 marks + `EAN`
//!   is refused at position 2, never turned into `JEAN`. This rule needs no ICU: it is the
//!   canonical composition table of the `unicode-normalization` crate (Unicode 15/16 data), and
//!   it accepts the same inputs as "precomposed first, then the table above" would;
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
use unicode_normalization::UnicodeNormalization;

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
        // The current base character and the combining marks after it, as entered: marks are
        // accepted only while the whole cluster composes into one character (module docs).
        let mut cluster = String::new();
        for (index, ch) in input.chars().enumerate() {
            let refused = NormalizeError::UnsupportedChar {
                position: index + 1,
            };
            if is_mark(ch) {
                if cluster.is_empty() {
                    return Err(refused);
                }
                cluster.push(ch);
                if cluster.chars().nfc().nth(1).is_some() {
                    return Err(refused);
                }
                continue;
            }
            cluster.clear();
            cluster.push(ch);
            transliterate(ch, &mut out).ok_or(refused)?;
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

/// A combining mark (general categories Mn, Mc, Me) or a variation selector: characters that
/// attach to the one before and are handled by the cluster rule in [`Normalizer::normalize`].
fn is_mark(ch: char) -> bool {
    unicode_normalization::char::is_combining_mark(ch)
        || matches!(ch, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
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

    /// Marks are accepted only as part of a letter's canonical decomposition; anything beyond
    /// what a letter carries is refused at its position, never stripped.
    #[test]
    fn combining_marks_beyond_a_letter_are_refused_not_stripped() {
        // J + 900 combining marks + EAN used to give JEAN.
        let flood = format!("J{}EAN", "\u{301}".repeat(900));
        assert_eq!(
            normalize(&flood, GivenName),
            Err(NormalizeError::UnsupportedChar { position: 2 })
        );
        // E + acute composes to É: accepted; a second acute is beyond what É carries.
        assert_eq!(normalize("E\u{301}LISE", GivenName).unwrap(), "ELISE");
        assert_eq!(
            normalize("E\u{301}\u{301}LISE", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 3 })
        );
        // A precomposed É followed by an acute: refused at the mark.
        assert_eq!(
            normalize("\u{c9}\u{301}LISE", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 2 })
        );
        // Two marks of one letter (Vietnamese Ệ = E + dot below + circumflex), in either order
        // (canonically equivalent): accepted.
        assert_eq!(
            normalize("NGUYE\u{323}\u{302}N", BirthName).unwrap(),
            "NGUYEN"
        );
        assert_eq!(
            normalize("NGUYE\u{302}\u{323}N", BirthName).unwrap(),
            "NGUYEN"
        );
        // Variation selectors attach to nothing a name needs.
        assert_eq!(
            normalize("JE\u{fe0f}AN", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 3 })
        );
        assert_eq!(
            normalize("JEAN\u{e0100}", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 5 })
        );
        // A mark on a separator, and a mark on a letter that has no precomposed form.
        assert_eq!(
            normalize("A \u{301}B", BirthName),
            Err(NormalizeError::UnsupportedChar { position: 3 })
        );
        assert_eq!(
            normalize("J\u{301}EAN", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 2 })
        );
        // Combining grapheme joiner and enclosing marks are marks no letter carries.
        assert_eq!(
            normalize("A\u{34f}B", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 2 })
        );
        assert_eq!(
            normalize("A\u{20dd}", GivenName),
            Err(NormalizeError::UnsupportedChar { position: 2 })
        );
        // Linear: a million marks are refused at once, after the first one that does not fit.
        let huge = format!("E\u{301}{}", "\u{301}".repeat(1_000_000));
        assert_eq!(
            normalize(&huge, GivenName),
            Err(NormalizeError::UnsupportedChar { position: 3 })
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
