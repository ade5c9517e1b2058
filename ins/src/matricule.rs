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
        Self::parse_bytes(input.as_bytes())
    }

    /// [`Matricule::parse`] on bytes, for a line read from a file without decoding it first:
    /// the same result as `parse` for any UTF-8 input, and any byte outside ASCII (UTF-8 or
    /// not) is [`MatriculeError::InvalidChar`] at its position (1-based; every byte before it
    /// is ASCII, so it is also the character position).
    ///
    /// Always inlined (the canonical fast path is a few word operations; the general path
    /// stays out of line): a caller checking millions of lines keeps the matricule in
    /// registers instead of a round trip through memory.
    #[inline(always)]
    pub fn parse_bytes(input: &[u8]) -> Result<Self, MatriculeError> {
        // Fast path: the canonical 15 characters, as stored by most software.
        if let Some((buf, n)) = canonical15(input) {
            check_body(&buf)?;
            check_key_of(&buf, key_of_value(n))?;
            return Ok(Self(buf));
        }
        Self::parse_general(input)
    }

    /// Every other form: separators, lower case, 13 characters, and the precise error positions.
    /// Kept out of line so the canonical fast path needs no stack frame.
    #[inline(never)]
    fn parse_general(input: &[u8]) -> Result<Self, MatriculeError> {
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
        let (buf, len) = collect_significant(input.as_bytes())?;
        if len != MATRICULE_LEN {
            return Err(MatriculeError::Length { found: len });
        }
        check_body(&buf)?;
        check_key(&buf)?;
        Ok(Self(buf))
    }

    /// Builds a matricule from the INSi wire form: `NumIdentifiant` (13) and `Cle` (2).
    pub fn from_insi_parts(num_identifiant: &str, cle: &str) -> Result<Self, MatriculeError> {
        let (body, body_len) = collect_significant(num_identifiant.as_bytes())?;
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
        let (buf, len) = collect_significant(body.as_bytes())?;
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

    /// [`Matricule::expose`] as ASCII bytes, with no UTF-8 check: for writers of bytes (a
    /// million lines of `segur ins check --file`). Patient data: the call is explicit.
    pub fn expose_bytes(&self) -> &[u8; MATRICULE_LEN] {
        &self.0
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

/// The canonical 15 characters, recognised with word operations: every byte is a digit, except
/// the department letter `A`/`B` (any case) after a `2`. Returns `None` for anything else, which
/// then takes the general path (separators, 13 characters, precise error positions).
///
/// Returns the canonical bytes and N, the body read as an integer with `2A → 19`, `2B → 18`.
#[inline]
fn canonical15(input: &[u8]) -> Option<([u8; MATRICULE_LEN], u64)> {
    let bytes: &[u8; MATRICULE_LEN] = input.try_into().ok()?;
    // Positions 0..=7 and 7..=14, first character in the lowest byte: two word loads.
    let first = u64::from_le_bytes(*bytes.first_chunk::<8>()?);
    let second = u64::from_le_bytes(*bytes.last_chunk::<8>()?);
    let mut buf = *bytes;
    let first_numeric = if bytes[6].is_ascii_digit() {
        first
    } else {
        let department = bytes[6] & !0x20;
        let substitute = match department {
            b'A' => b'9',
            b'B' => b'8',
            _ => return None,
        };
        if bytes[5] != b'2' {
            return None;
        }
        buf[6] = department;
        (first & !(0xFFFF << 40)) | (u64::from(b'1') << 40) | (u64::from(substitute) << 48)
    };
    if !(all_ascii_digits(first_numeric) && all_ascii_digits(second)) {
        return None;
    }
    // Body positions 8..=12 are bytes 1..=5 of `second`: move them to bytes 3..=7 under '000'.
    let last_five = ((second << 16) & !0x00FF_FFFF) | 0x0030_3030;
    let n = eight_digits_value(first_numeric) * 100_000 + eight_digits_value(last_five);
    Some((buf, n))
}

/// The body with `2A`/`2B` replaced by `19`/`18`, as the key computation reads it.
#[inline]
fn numeric_image(buf: &[u8; MATRICULE_LEN]) -> [u8; MATRICULE_LEN] {
    let mut digits = *buf;
    match buf[6] {
        b'A' => (digits[5], digits[6]) = (b'1', b'9'),
        b'B' => (digits[5], digits[6]) = (b'1', b'8'),
        _ => {}
    }
    digits
}

/// Eight ASCII digits at once (SWAR): every byte has the high nibble 3, and adding 6 to its low
/// nibble does not carry into the high nibble (low nibble ≤ 9). No carry crosses bytes.
#[inline]
fn all_ascii_digits(v: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    (v & HIGH) == THREES && (v.wrapping_add(0x0606_0606_0606_0606) & HIGH) == THREES
}

/// The value of eight ASCII digits, first digit in the lowest byte (SWAR, three multiplications).
#[inline]
fn eight_digits_value(v: u64) -> u64 {
    let v = v.wrapping_sub(0x3030_3030_3030_3030);
    let v = (v.wrapping_mul(10).wrapping_add(v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100).wrapping_add(v >> 16)) & 0x0000_FFFF_0000_FFFF;
    (v.wrapping_mul(10_000).wrapping_add(v >> 32)) & 0x0000_0000_FFFF_FFFF
}

/// Collects the significant characters (separators ` `, `.`, `-` skipped), upper-casing ASCII
/// letters. Counts beyond 15 are still counted so the length error reports the real length.
/// Works on bytes: every byte before a non-ASCII one is ASCII, so a byte index is then also the
/// character index.
fn collect_significant(input: &[u8]) -> Result<([u8; MATRICULE_LEN], usize), MatriculeError> {
    let mut buf = [0u8; MATRICULE_LEN];
    let mut len = 0usize;
    let mut letters = false;
    for (index, &b) in input.iter().enumerate() {
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

/// 1-based position in `input` of the `nth` significant character. Only called once every byte
/// was found ASCII, where a byte position is a character position.
fn input_position(input: &[u8], nth: usize) -> usize {
    input
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c, b' ' | b'.' | b'-'))
        .nth(nth)
        .map_or(0, |(i, _)| i + 1)
}

/// Semantic checks of the body that make a number a NIR/NIA usable as an INS matricule.
#[inline]
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

#[inline]
fn check_key(buf: &[u8; MATRICULE_LEN]) -> Result<(), MatriculeError> {
    if !buf[13].is_ascii_digit() || !buf[14].is_ascii_digit() {
        return Err(MatriculeError::InvalidKeyField);
    }
    check_key_of(buf, key_of_body(buf))
}

/// Compares the key field (already checked to be two digits) with the `expected` key.
#[inline]
fn check_key_of(buf: &[u8; MATRICULE_LEN], expected: u8) -> Result<(), MatriculeError> {
    let found = (buf[13] - b'0') * 10 + (buf[14] - b'0');
    if found == 0 || found > 97 {
        return Err(MatriculeError::KeyOutOfRange { found });
    }
    if expected != found {
        return Err(MatriculeError::KeyMismatch { expected, found });
    }
    Ok(())
}

/// `97 − (N mod 97)` on u64, with `2A → 19` and `2B → 18` (the letter's position holds `9`/`8`
/// and the preceding `2` becomes `1`). Only called on bodies whose characters were checked.
#[inline]
pub(crate) fn key_of_body(buf: &[u8; MATRICULE_LEN]) -> u8 {
    let d = numeric_image(buf);
    // N = first 8 digits × 10^5 + last 5 digits. The last 5 are read as 8 bytes whose first
    // three are forced to '0', so both halves use the same SWAR conversion.
    let first = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    let last = u64::from_le_bytes([b'0', b'0', b'0', d[8], d[9], d[10], d[11], d[12]]);
    key_of_value(eight_digits_value(first) * 100_000 + eight_digits_value(last))
}

/// `97 − (N mod 97)`: always in 1..=97.
#[inline]
fn key_of_value(n: u64) -> u8 {
    (97 - (n % 97)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_digit_check_matches_byte_check_for_every_byte_at_every_position() {
        for position in 0..8 {
            for byte in 0..=255u8 {
                let mut bytes = *b"01234567";
                bytes[position] = byte;
                let v = u64::from_le_bytes(bytes);
                assert_eq!(
                    all_ascii_digits(v),
                    byte.is_ascii_digit(),
                    "{position} {byte}"
                );
            }
        }
    }

    #[test]
    fn swar_key_matches_the_schoolbook_key() {
        // The schoolbook form of the rule: N read digit by digit, 2A/2B as 19/18.
        fn schoolbook(body: &[u8; MATRICULE_LEN]) -> u8 {
            let n = body[..BODY_LEN]
                .iter()
                .enumerate()
                .fold(0u64, |n, (i, &c)| {
                    let d = match (i, c, body[6]) {
                        (5, _, b'A' | b'B') => 1,
                        (6, b'A', _) => 9,
                        (6, b'B', _) => 8,
                        _ => u64::from(c - b'0'),
                    };
                    n * 10 + d
                });
            (97 - n % 97) as u8
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut body = [b'0'; MATRICULE_LEN];
            let mut x = state;
            for slot in body.iter_mut().take(BODY_LEN) {
                *slot = b'0' + (x % 10) as u8;
                x /= 10;
            }
            match state % 3 {
                0 => (body[5], body[6]) = (b'2', b'A'),
                1 => (body[5], body[6]) = (b'2', b'B'),
                _ => {}
            }
            let key = schoolbook(&body);
            assert_eq!(key_of_body(&body), key);
            (body[13], body[14]) = (b'0' + key / 10, b'0' + key % 10);
            let (canonical, n) = canonical15(&body).unwrap();
            assert_eq!((canonical, key_of_value(n)), (body, key));
        }
    }

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

    #[test]
    fn bytes_parse_as_text_and_non_ascii_is_an_invalid_char() {
        for text in [
            "180032B02040123",
            "1 80 03 2b 020 401 23",
            "180032B020401",
            "187127644708044",
            "253072C07300443",
            "1800é2B02040123",
            "",
        ] {
            assert_eq!(
                Matricule::parse_bytes(text.as_bytes()),
                Matricule::parse(text)
            );
        }
        assert_eq!(
            Matricule::parse_bytes(b"1800\xff2B02040123"),
            Err(MatriculeError::InvalidChar { position: 5 })
        );
    }
}
