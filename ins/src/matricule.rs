//! The INS matricule: a NIR or NIA of 13 characters plus its 2-digit control key.
//!
//! Layout (décret 82-103, art. 4): sex (1), year (2), month (2), place (5, department `2A`/`2B`
//! kept as letters), order (3), key (2). The key is `97 − (N mod 97)` where N is the 13-character
//! body read as an integer with `2A → 19` and `2B → 18` (INSEE / CNAM rule); it is always in 01..=97.
//!
//! NIR and NIA share this layout and key; which one a matricule is comes only from the INS
//! authority OID (see [`crate::InsAuthority`]), never from the digits.

use crate::error::MatriculeError;
use std::fmt;
use std::str::FromStr;

/// Number of characters of a matricule with its key.
pub const MATRICULE_LEN: usize = 15;
/// Number of characters of a matricule body (without the key).
pub const BODY_LEN: usize = 13;

/// A structurally valid INS matricule (NIR or NIA), stored in canonical form: 15 ASCII characters,
/// upper case, department `2A`/`2B` kept as letters, key included.
///
/// Parsing checks the format, the sex digit (1 or 2 only: NNP, MIG and 3/4 are refused), the order
/// number (never `000`) and the control key. It never allocates.
///
/// Privacy: `Debug` and `Display` never show the digits. Use [`Matricule::expose`] for the canonical
/// text, or [`Matricule::grouped`] for the `S AA MM DD CCC OOO KK` presentation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Matricule([u8; MATRICULE_LEN]);

impl Matricule {
    /// Parses a matricule of 13 characters (the key is then computed) or 15 characters (the key is
    /// checked). Spaces, dots and hyphens are ignored; letters may be in any case.
    pub fn parse(input: &str) -> Result<Self, MatriculeError> {
        // Fast path: the canonical 15 characters, as stored by most software.
        if let Some(buf) = canonical15(input.as_bytes()) {
            check_body(&buf)?;
            check_key(&buf)?;
            return Ok(Self(buf));
        }
        let (buf, len) = collect_significant(input)?;
        match len {
            BODY_LEN => {
                let mut out = [0u8; MATRICULE_LEN];
                out[..BODY_LEN].copy_from_slice(&buf[..BODY_LEN]);
                check_body(&out)?;
                let key = key_of_body(&out);
                out[13] = b'0' + key / 10;
                out[14] = b'0' + key % 10;
                Ok(Self(out))
            }
            MATRICULE_LEN => {
                check_body(&buf)?;
                check_key(&buf)?;
                Ok(Self(buf))
            }
            found => Err(MatriculeError::Length { found }),
        }
    }

    /// Parses a matricule that must carry its key (15 significant characters).
    pub fn parse_with_key(input: &str) -> Result<Self, MatriculeError> {
        let (buf, len) = collect_significant(input)?;
        if len != MATRICULE_LEN {
            return Err(MatriculeError::Length { found: len });
        }
        check_body(&buf)?;
        check_key(&buf)?;
        Ok(Self(buf))
    }

    /// Builds a matricule from the INSi wire form: `NumIdentifiant` (13) and `Cle` (2).
    pub fn from_insi_parts(num_identifiant: &str, cle: &str) -> Result<Self, MatriculeError> {
        let (body, body_len) = collect_significant(num_identifiant)?;
        if body_len != BODY_LEN {
            return Err(MatriculeError::Length { found: body_len });
        }
        let [k1, k2] =
            <[u8; 2]>::try_from(cle.as_bytes()).map_err(|_| MatriculeError::InvalidKeyField)?;
        if !k1.is_ascii_digit() || !k2.is_ascii_digit() {
            return Err(MatriculeError::InvalidKeyField);
        }
        let mut buf = body;
        buf[13] = k1;
        buf[14] = k2;
        check_body(&buf)?;
        check_key(&buf)?;
        Ok(Self(buf))
    }

    /// The control key computed for a 13-character body (spaces, dots, hyphens ignored).
    pub fn compute_key(body: &str) -> Result<u8, MatriculeError> {
        let (buf, len) = collect_significant(body)?;
        if len != BODY_LEN {
            return Err(MatriculeError::Length { found: len });
        }
        check_body(&buf)?;
        Ok(key_of_body(&buf))
    }

    /// The canonical 15 characters (`2A`/`2B` kept). This is patient data: the call is explicit.
    pub fn expose(&self) -> &str {
        // Invariant: only ASCII digits and 'A'/'B' are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 13-character body (INSi `NumIdentifiant`).
    pub fn body(&self) -> &str {
        self.expose().get(..BODY_LEN).unwrap_or_default()
    }

    /// The control key, 1..=97.
    pub fn key(&self) -> u8 {
        (self.0[13] - b'0') * 10 + (self.0[14] - b'0')
    }

    /// The `S AA MM DD CCC OOO KK` presentation (python-stdnum `format`, Vitale card print).
    /// Exposes the digits: explicit by design.
    pub fn grouped(&self) -> Grouped<'_> {
        Grouped(self)
    }

    pub(crate) fn bytes(&self) -> &[u8; MATRICULE_LEN] {
        &self.0
    }
}

/// Display adapter of [`Matricule::grouped`].
pub struct Grouped<'a>(&'a Matricule);

impl fmt::Display for Grouped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.expose();
        let part = |r: std::ops::Range<usize>| s.get(r).unwrap_or_default();
        write!(
            f,
            "{} {} {} {} {} {} {}",
            part(0..1),
            part(1..3),
            part(3..5),
            part(5..7),
            part(7..10),
            part(10..13),
            part(13..15)
        )
    }
}

impl fmt::Debug for Matricule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Matricule(<redacted>)")
    }
}

impl fmt::Display for Matricule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<matricule redacted>")
    }
}

impl FromStr for Matricule {
    type Err = MatriculeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Matricule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> serde::Deserialize<'de> for Matricule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_with_key(&s).map_err(serde::de::Error::custom)
    }
}

/// The 15 bytes when `input` is exactly a canonical matricule (digits, `2A`/`2B` in any case),
/// else `None` and the general path runs (which also produces the errors).
fn canonical15(input: &[u8]) -> Option<[u8; MATRICULE_LEN]> {
    let mut buf: [u8; MATRICULE_LEN] = input.try_into().ok()?;
    let digits_ok = buf
        .iter()
        .enumerate()
        .fold(true, |ok, (i, c)| ok & (i == 6 || c.is_ascii_digit()));
    if !digits_ok {
        return None;
    }
    match buf[6] {
        b'0'..=b'9' => {}
        b'A' | b'B' | b'a' | b'b' if buf[5] == b'2' => buf[6] = buf[6].to_ascii_uppercase(),
        _ => return None,
    }
    Some(buf)
}

/// Collects the significant characters (separators ` `, `.`, `-` skipped), upper-casing ASCII
/// letters. Counts beyond 15 are still counted so the length error reports the real length.
/// Works on bytes: every byte before a non-ASCII one is ASCII, so a byte index is then also the
/// character index.
fn collect_significant(input: &str) -> Result<([u8; MATRICULE_LEN], usize), MatriculeError> {
    let mut buf = [0u8; MATRICULE_LEN];
    let mut len = 0usize;
    let mut letters = false;
    for (index, &b) in input.as_bytes().iter().enumerate() {
        match b {
            b' ' | b'.' | b'-' => continue,
            b'0'..=b'9' => {}
            b'A'..=b'Z' | b'a'..=b'z' => letters = true,
            _ => {
                return Err(MatriculeError::InvalidChar {
                    position: index + 1,
                });
            }
        }
        if let Some(slot) = buf.get_mut(len) {
            *slot = b.to_ascii_uppercase();
        }
        len += 1;
    }
    // Letters are validated by position once the length is known; report the input position.
    if letters && (len == BODY_LEN || len == MATRICULE_LEN) {
        for (i, b) in buf.iter().take(len).enumerate() {
            let letter_ok = i == 6 && buf[5] == b'2' && matches!(b, b'A' | b'B');
            if b.is_ascii_alphabetic() && !letter_ok {
                return Err(MatriculeError::LetterOutsideDepartment {
                    position: input_position(input, i),
                });
            }
        }
    }
    Ok((buf, len))
}

/// 1-based position in `input` (in characters) of the `nth` significant character.
fn input_position(input: &str, nth: usize) -> usize {
    input
        .chars()
        .enumerate()
        .filter(|(_, c)| !matches!(c, ' ' | '.' | '-'))
        .nth(nth)
        .map_or(0, |(i, _)| i + 1)
}

/// Semantic checks of the body that make a number a NIR/NIA usable as an INS matricule.
fn check_body(buf: &[u8; MATRICULE_LEN]) -> Result<(), MatriculeError> {
    match buf[0] {
        b'1' | b'2' => {}
        b'3' | b'4' => return Err(MatriculeError::ForeignerInRegistration),
        b'5' | b'6' => return Err(MatriculeError::Mig),
        b'7' | b'8' => return Err(MatriculeError::Nnp),
        _ => return Err(MatriculeError::InvalidSexDigit),
    }
    if &buf[10..13] == b"000" {
        return Err(MatriculeError::OrderZero);
    }
    Ok(())
}

fn check_key(buf: &[u8; MATRICULE_LEN]) -> Result<(), MatriculeError> {
    if !buf[13].is_ascii_digit() || !buf[14].is_ascii_digit() {
        return Err(MatriculeError::InvalidKeyField);
    }
    let found = (buf[13] - b'0') * 10 + (buf[14] - b'0');
    if found == 0 || found > 97 {
        return Err(MatriculeError::KeyOutOfRange { found });
    }
    let expected = key_of_body(buf);
    if expected != found {
        return Err(MatriculeError::KeyMismatch { expected, found });
    }
    Ok(())
}

/// `97 − (N mod 97)` on u64, with `2A → 19` and `2B → 18` (the letter's position holds `9`/`8`
/// and the preceding `2` becomes `1`). Only called on bodies whose characters were checked.
pub(crate) fn key_of_body(buf: &[u8; MATRICULE_LEN]) -> u8 {
    let mut digits = [0u64; BODY_LEN];
    for (d, b) in digits.iter_mut().zip(buf.iter()) {
        *d = u64::from(b.wrapping_sub(b'0'));
    }
    match buf[6] {
        b'A' => (digits[5], digits[6]) = (1, 9),
        b'B' => (digits[5], digits[6]) = (1, 8),
        _ => {}
    }
    // Two independent chains (6 and 7 digits) joined at the end: shorter dependency chains.
    let fold = |ds: &[u64]| ds.iter().fold(0u64, |n, &d| n * 10 + d);
    let (high, low) = digits.split_at(6);
    let n = fold(high) * 10_000_000 + fold(low);
    (97 - (n % 97)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corsica_keys_use_19_and_18() {
        let a = Matricule::parse("185032A00401238").unwrap();
        let b = Matricule::parse("185032B00401265").unwrap();
        assert_eq!(a.key(), 38);
        assert_eq!(b.key(), 65);
    }

    #[test]
    fn thirteen_characters_get_their_key() {
        let m = Matricule::parse("1 80 03 2B 020 401").unwrap();
        assert_eq!(m.expose(), "180032B02040123");
    }

    #[test]
    fn grouped_form() {
        let m = Matricule::parse("180032b02040123").unwrap();
        assert_eq!(m.grouped().to_string(), "1 80 03 2B 020 401 23");
    }

    #[test]
    fn debug_and_display_redact() {
        let m = Matricule::parse("180032B02040123").unwrap();
        assert!(!format!("{m:?}").contains("180"));
        assert!(!format!("{m}").contains("180"));
    }
}
