//! Checks of builder input the types alone cannot make: characters XML 1.0 forbids anywhere in
//! the input, dates that cannot be (a birth after the document), a matricule that contradicts the
//! traits of the identity, product codes whose check digit or shape is wrong. Each refusal names
//! the field (its JSON path) and, for text, the character position; never the value.

use serde::Serialize;
use serde_json::Value;

use super::BuildError;
use super::header::Header;

/// XML 1.0 §2.2 `Char`: `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`
/// (a Rust `char` is never a surrogate).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Every string of `input` (through its JSON form, so the path is the JSON contract's) holds
/// only characters XML 1.0 allows: NUL, ESC and the other C0 controls but TAB/LF/CR, U+FFFE
/// and U+FFFF are refused with the field and the 1-based character position.
pub(crate) fn check_text<T: Serialize>(input: &T) -> Result<(), BuildError> {
    let value = serde_json::to_value(input).map_err(|_| BuildError::Invalid {
        field: "input",
        reason: "cannot be represented as the JSON contract".into(),
    })?;
    let mut path = Vec::new();
    walk(&value, &mut path)
}

fn walk(v: &Value, path: &mut Vec<String>) -> Result<(), BuildError> {
    match v {
        Value::String(s) => {
            if let Some((i, c)) = s.chars().enumerate().find(|&(_, c)| !is_xml_char(c)) {
                return Err(BuildError::ForbiddenCharacter {
                    field: path.join("."),
                    position: i + 1,
                    code_point: u32::from(c),
                });
            }
            Ok(())
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                walk(x, path)?;
                path.pop();
            }
            Ok(())
        }
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                walk(x, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The oldest age accepted at the document date: the oldest person whose age was verified
/// lived 122 years; a wider bound only catches typing errors (a century off).
pub const MAX_AGE_YEARS: u32 = 130;

/// `YYYYMMDD` as a number (unknown month or day as 00, which still orders correctly).
fn ymd(y: u16, m: u8, d: u8) -> u32 {
    u32::from(y) * 10_000 + u32::from(m) * 100 + u32::from(d)
}

/// The birth date as `YYYYMMDD`.
pub(crate) fn birth_ymd(h: &Header) -> u32 {
    let b = h.patient.identity.traits().birth_date();
    ymd(b.year(), b.month(), b.day())
}

/// The document date (`effectiveTime`) as `YYYYMMDD`.
pub(crate) fn document_ymd(h: &Header) -> u32 {
    crate::time::ascii_number(h.effective_time.date().as_bytes())
}

/// Header rules: the birth date is not after the document date and not more than
/// [`MAX_AGE_YEARS`] before it; the matricule of an identity carrying an INS agrees with its
/// sex, birth year and birth month (`segur_ins::coherence`: the NIR encodes them, CI-SIS
/// Annexe INS). A mismatch there is a shifted column or a typing error, and the DMP files the
/// document under the wrong person.
pub(crate) fn check_header(h: &Header) -> Result<(), BuildError> {
    let birth = birth_ymd(h);
    let doc = document_ymd(h);
    if birth > doc {
        return Err(BuildError::Invalid {
            field: "header.patient.identity.traits.birth_date",
            reason: "after the document date (effectiveTime)".into(),
        });
    }
    if doc / 10_000 - birth / 10_000 > MAX_AGE_YEARS {
        return Err(BuildError::Invalid {
            field: "header.patient.identity.traits.birth_date",
            reason: format!("more than {MAX_AGE_YEARS} years before the document date"),
        });
    }
    if let Some(ins) = h.patient.identity.ins() {
        use segur_ins::coherence::{CoherenceWarning as W, check};
        let traits = h.patient.identity.traits();
        for w in check(ins.matricule(), traits) {
            let what = match w {
                W::SexMismatch => "sex",
                W::YearMismatch => "birth year",
                W::MonthMismatch => "birth month",
                // Birthplace history (Corsica, French Algeria): documented exceptions, INSi
                // remains the reference.
                _ => continue,
            };
            return Err(BuildError::Invalid {
                field: "header.patient.identity.state.ins.matricule",
                reason: format!("contradicts the identity's {what} (the NIR encodes it)"),
            });
        }
    }
    Ok(())
}

/// An event date (`YYYYMMDD` prefix of `value`) lies between the birth and the document date.
pub(crate) fn check_event_date(
    field: &'static str,
    value: &str,
    h: &Header,
) -> Result<(), BuildError> {
    let date = crate::time::ascii_number(value.as_bytes().get(..8).unwrap_or_default());
    if date < birth_ymd(h) {
        return Err(BuildError::Invalid {
            field,
            reason: "before the patient's birth date".into(),
        });
    }
    if date > document_ymd(h) {
        return Err(BuildError::Invalid {
            field,
            reason: "after the document date (effectiveTime)".into(),
        });
    }
    Ok(())
}

/// CIP 13 (ACL code, GS1 prefix 340): 13 digits whose last is the EAN-13 check digit (GS1
/// General Specifications §7.9: weights 1 and 3 from the left, check = (10 − sum mod 10) mod 10).
pub(crate) fn check_cip13(field: &'static str, s: &str) -> Result<(), BuildError> {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 || s.len() != 13 {
        return Err(BuildError::Invalid {
            field,
            reason: "13 digits expected".into(),
        });
    }
    let sum: u32 = digits
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    if digits.last() != Some(&((10 - sum % 10) % 10)) {
        return Err(BuildError::Invalid {
            field,
            reason: "wrong EAN-13 check digit".into(),
        });
    }
    Ok(())
}

/// First-level groups of the ATC classification (WHO Collaborating Centre for Drug Statistics
/// Methodology): A B C D G H J L M N P R S V.
const ATC_GROUPS: &[u8] = b"ABCDGHJLMNPRSV";

/// An ATC code of any level: a group letter, then 2 digits, a letter, a letter, 2 digits
/// (`J07AM01`), or a prefix of that shape ending at a level boundary (`J07`, `J07A`, `J07AM`).
pub(crate) fn check_atc(field: &'static str, s: &str) -> Result<(), BuildError> {
    let b = s.as_bytes();
    let shape: [fn(u8) -> bool; 7] = [
        |c: u8| ATC_GROUPS.contains(&c),
        |c: u8| c.is_ascii_digit(),
        |c: u8| c.is_ascii_digit(),
        |c: u8| c.is_ascii_uppercase(),
        |c: u8| c.is_ascii_uppercase(),
        |c: u8| c.is_ascii_digit(),
        |c: u8| c.is_ascii_digit(),
    ];
    let level_ok = matches!(b.len(), 1 | 3 | 4 | 5 | 7);
    let chars_ok = b.len() <= shape.len() && b.iter().zip(shape).all(|(&c, ok)| ok(c));
    if !level_ok || !chars_ok {
        return Err(BuildError::Invalid {
            field,
            reason: "not an ATC code (letter A B C D G H J L M N P R S V, 2 digits, 2 letters, \
                     2 digits)"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_chars() {
        for c in ['\0', '\u{1B}', '\u{8}', '\u{B}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!is_xml_char(c), "{c:?}");
        }
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            'é',
            '\u{D7FF}',
            '\u{E000}',
            '\u{1F600}',
        ] {
            assert!(is_xml_char(c), "{c:?}");
        }
    }

    #[test]
    fn cip13_check_digit() {
        assert!(check_cip13("f", "3400932857241").is_ok());
        assert!(check_cip13("f", "3400933516390").is_ok());
        assert!(check_cip13("f", "3400932857242").is_err());
        assert!(check_cip13("f", "340093285724").is_err());
        assert!(check_cip13("f", "34009328572４1").is_err());
    }

    #[test]
    fn atc_shapes() {
        for ok in ["J07AM01", "N02BE01", "V03AB", "A", "J07", "J07A"] {
            assert!(check_atc("f", ok).is_ok(), "{ok}");
        }
        for bad in [
            "E07AM01", "J7AM01", "J07AM1", "J07am01", "J07AM012", "", "J0", "J07AM0",
        ] {
            assert!(check_atc("f", bad).is_err(), "{bad}");
        }
    }
}
