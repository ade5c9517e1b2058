//! The ANS "INS — Format datamatrix" printed on health documents.
//!
//! A Data Matrix (ISO/IEC 16022 ECC 200) that carries the patient's INS and strict traits,
//! printed next to them under the label "INS à scanner" ([EXI DIF 02] of the Guide
//! d'implémentation INS). Layout (ANS *Format datamatrix INS* v2.2.20230926, known from
//! implementations that cite it; the ANS text itself was not read, see the crate notes):
//! the 26-character header `IS01` + 22 × `0`, then fields `S1` matricule (15), `S2` OID
//! (19-20), `S3` birth given names (1-100), `S4` birth name (1-100), `S5` sex (1), `S6` birth
//! date `JJ-MM-AAAA` (10), optional `S7` birthplace COG code (5). GS (0x1D) ends a variable
//! field shorter than its maximum that is not the last one, as in 2D-Doc.
//!
//! **The code is not signed**: a scanned INS Data Matrix is untrusted input and never
//! qualifies an identity on its own. Build it only from a *qualified* identity ([EXI ID 29]).
//!
//! This crate does not depend on `segur-ins` (the workspace's dependency rules): the fields
//! are validated here as plain strings (shape and key of the matricule, the four ANS INS
//! OIDs, the INSi character profile of the traits). The conversion from
//! `segur_ins::QualifiedIdentity` lives in the `segur-cli` and `segur-ffi` crates, which
//! depend on both.

use crate::error::{Error, Result};
use std::fmt;

/// The fixed header: marker `IS`, version `01`, 22 zeros.
pub const HEADER: &str = "IS010000000000000000000000";

/// Largest payload: 26 + 17 + 22 + 102 + 102 + 3 + 12 + 7 characters.
pub const MAX_PAYLOAD_LEN: usize = 291;

/// OIDs of the INS assigning authorities (ANS; FR Core `fr-core-patient-ins`): production
/// NIR, NIA, test NIR, demonstration NIR.
pub const INS_OIDS: [&str; 4] = [
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];

const GS: u8 = 0x1D;

/// Sex as carried by the INS (INSi returns only M or F).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sex {
    /// `M`.
    #[serde(rename = "M")]
    Male,
    /// `F`.
    #[serde(rename = "F")]
    Female,
}

/// The content of an INS Data Matrix. `Debug` redacts every trait.
#[derive(Clone, PartialEq, Eq)]
pub struct InsDatamatrix {
    matricule: String,
    oid: String,
    given_names: String,
    birth_name: String,
    sex: Sex,
    birth_date: String,
    birthplace: Option<String>,
}

fn bad(reason: &'static str, position: usize) -> Error {
    Error::InsDatamatrix { reason, position }
}

/// NIR/NIA shape and key: 13 characters (digits; `2A`/`2B` for Corsica at positions 6-7),
/// key = 97 − (N mod 97) with 2A → 19 and 2B → 18 (décret 82-103; INSEE).
fn check_matricule(m: &str, position: usize) -> Result<()> {
    let b = m.as_bytes();
    let (body_bytes, key_bytes) = match b.split_at_checked(13) {
        Some(parts) if b.len() == 15 => parts,
        _ => return Err(bad("matricule is not 15 characters", position)),
    };
    if !matches!(body_bytes.first(), Some(b'1' | b'2')) {
        return Err(bad("matricule does not start with 1 or 2", position));
    }
    let mut body = String::with_capacity(14);
    for (i, &c) in body_bytes.iter().enumerate() {
        match c {
            b'0'..=b'9' => body.push(char::from(c)),
            b'A' | b'B' if i == 6 && body_bytes.get(5) == Some(&b'2') => {
                body.pop();
                body.push_str(if c == b'A' { "19" } else { "18" });
            }
            _ => return Err(bad("matricule character not allowed", position + i)),
        }
    }
    let n: u64 = body
        .parse()
        .map_err(|_| bad("matricule is not numeric", position))?;
    let key = std::str::from_utf8(key_bytes)
        .ok()
        .filter(|k| k.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|k| k.parse::<u64>().ok())
        .ok_or(bad("matricule key is not 2 digits", position + 13))?;
    if key != 97 - n % 97 {
        return Err(bad("matricule key does not match", position + 13));
    }
    Ok(())
}

/// INSi lexical profile (SEL-MP-043 §2): A-Z, space, apostrophe, hyphen; not starting with
/// space or hyphen; no doubled space or apostrophe.
fn check_trait(t: &str, position: usize) -> Result<()> {
    if t.is_empty() || t.len() > 100 {
        return Err(bad("trait length is not 1 to 100", position));
    }
    if let Some(i) = t
        .bytes()
        .position(|c| !matches!(c, b'A'..=b'Z' | b' ' | b'\'' | b'-'))
    {
        return Err(bad(
            "trait character outside A-Z, space, ' and -",
            position + i,
        ));
    }
    if t.starts_with([' ', '-']) {
        return Err(bad("trait starts with a space or hyphen", position));
    }
    if let Some(i) = t.find("  ").or_else(|| t.find("''")) {
        return Err(bad("trait has a doubled space or apostrophe", position + i));
    }
    Ok(())
}

fn check_date(d: &str, position: usize) -> Result<()> {
    let &[d1, d2, b'-', m1, m2, b'-', y1, y2, y3, y4] = d.as_bytes() else {
        return Err(bad("birth date is not JJ-MM-AAAA", position));
    };
    if ![d1, d2, m1, m2, y1, y2, y3, y4]
        .iter()
        .all(u8::is_ascii_digit)
    {
        return Err(bad("birth date is not JJ-MM-AAAA", position));
    }
    let day = (d1 - b'0') * 10 + (d2 - b'0');
    let month = (m1 - b'0') * 10 + (m2 - b'0');
    // Lunar dates (day or month outside the calendar) exist in INS records; only the ranges
    // of the format are checked, not the calendar.
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return Err(bad("birth date day or month out of range", position));
    }
    Ok(())
}

fn check_cog(c: &str, position: usize) -> Result<()> {
    if c.len() != 5
        || !c
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'A' || b == b'B')
    {
        return Err(bad("birthplace is not a 5-character COG code", position));
    }
    Ok(())
}

impl InsDatamatrix {
    /// Validates the fields of a **qualified** identity. `birth_date` is `JJ-MM-AAAA`.
    pub fn new(
        matricule: &str,
        oid: &str,
        given_names: &str,
        birth_name: &str,
        sex: Sex,
        birth_date: &str,
        birthplace: Option<&str>,
    ) -> Result<Self> {
        check_matricule(matricule, 0)?;
        if !INS_OIDS.contains(&oid) {
            return Err(bad("OID is not an INS authority", 0));
        }
        check_trait(given_names, 0)?;
        check_trait(birth_name, 0)?;
        check_date(birth_date, 0)?;
        if let Some(c) = birthplace {
            check_cog(c, 0)?;
        }
        Ok(Self {
            matricule: matricule.to_owned(),
            oid: oid.to_owned(),
            given_names: given_names.to_owned(),
            birth_name: birth_name.to_owned(),
            sex,
            birth_date: birth_date.to_owned(),
            birthplace: birthplace.map(str::to_owned),
        })
    }

    /// The payload to encode, GS as 0x1D.
    pub fn to_payload(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str(HEADER);
        out.push_str("S1");
        out.push_str(&self.matricule);
        // Variable fields (S2, S3, S4) are never last: S5 and S6 always follow.
        for (id, value, max) in [
            ("S2", &self.oid, 20),
            ("S3", &self.given_names, 100),
            ("S4", &self.birth_name, 100),
        ] {
            out.push_str(id);
            out.push_str(value);
            if value.len() < max {
                out.push(char::from(GS));
            }
        }
        out.push_str("S5");
        out.push(match self.sex {
            Sex::Male => 'M',
            Sex::Female => 'F',
        });
        out.push_str("S6");
        out.push_str(&self.birth_date);
        if let Some(c) = &self.birthplace {
            out.push_str("S7");
            out.push_str(c);
        }
        out
    }

    /// Parses a payload; fields may come in any order, each at most once.
    pub fn parse(payload: &[u8]) -> Result<Self> {
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(Error::TooLong {
                len: payload.len(),
                max: MAX_PAYLOAD_LEN,
            });
        }
        if !payload.starts_with(HEADER.as_bytes()) {
            return Err(bad("header is not IS01 followed by 22 zeros", 0));
        }
        let mut slots: [Option<(usize, &str)>; 7] = Default::default();
        let mut p = HEADER.len();
        while let Some(rest) = payload.get(p..).filter(|r| !r.is_empty()) {
            let (index, after_id) = match rest {
                [b'S', d, after_id @ ..] if (b'1'..=b'7').contains(d) => {
                    (usize::from(*d - b'1'), after_id)
                }
                _ => return Err(bad("unknown data identifier", p)),
            };
            let v = p + 2;
            let (fixed, max) = match index {
                0 => (Some(15), 15),
                1 => (None, 20),
                2 | 3 => (None, 100),
                4 => (Some(1), 1),
                5 => (Some(10), 10),
                _ => (Some(5), 5),
            };
            let (value, consumed) = match fixed {
                Some(n) => (
                    after_id
                        .get(..n)
                        .ok_or(bad("fixed-length field cut short", v))?,
                    n,
                ),
                None => {
                    // Up to the first GS within `max` bytes, else `max` bytes (or the rest);
                    // a GS right after the value ends it.
                    let len = after_id
                        .iter()
                        .take(max)
                        .position(|&c| c == GS)
                        .unwrap_or(after_id.len().min(max));
                    let value = after_id.get(..len).unwrap_or_default();
                    let gs = usize::from(after_id.get(len) == Some(&GS));
                    (value, len + gs)
                }
            };
            let value = std::str::from_utf8(value).map_err(|_| bad("not ASCII", v))?;
            let slot = slots
                .get_mut(index)
                .ok_or(bad("unknown data identifier", p))?;
            if slot.replace((v, value)).is_some() {
                return Err(bad("data identifier repeated", p));
            }
            p = v + consumed;
        }
        let get = |i: usize| {
            slots
                .get(i)
                .copied()
                .flatten()
                .ok_or(bad("mandatory field missing", payload.len()))
        };
        let (pos, matricule) = get(0)?;
        check_matricule(matricule, pos)?;
        let (pos, oid) = get(1)?;
        if !INS_OIDS.contains(&oid) {
            return Err(bad("OID is not an INS authority", pos));
        }
        let (pos, given_names) = get(2)?;
        check_trait(given_names, pos)?;
        let (pos, birth_name) = get(3)?;
        check_trait(birth_name, pos)?;
        let (pos, sex) = get(4)?;
        let sex = match sex {
            "M" => Sex::Male,
            "F" => Sex::Female,
            _ => return Err(bad("sex is not M or F", pos)),
        };
        let (pos, birth_date) = get(5)?;
        check_date(birth_date, pos)?;
        let birthplace = match slots.get(6).copied().flatten() {
            Some((pos, c)) => {
                check_cog(c, pos)?;
                Some(c.to_owned())
            }
            None => None,
        };
        Ok(Self {
            matricule: matricule.to_owned(),
            oid: oid.to_owned(),
            given_names: given_names.to_owned(),
            birth_name: birth_name.to_owned(),
            sex,
            birth_date: birth_date.to_owned(),
            birthplace,
        })
    }

    /// INS matricule (NIR or NIA with key).
    pub fn matricule(&self) -> &str {
        &self.matricule
    }
    /// OID of the assigning authority.
    pub fn oid(&self) -> &str {
        &self.oid
    }
    /// Birth given names, space-separated.
    pub fn given_names(&self) -> &str {
        &self.given_names
    }
    /// Birth name.
    pub fn birth_name(&self) -> &str {
        &self.birth_name
    }
    /// Sex.
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// Birth date, `JJ-MM-AAAA`.
    pub fn birth_date(&self) -> &str {
        &self.birth_date
    }
    /// Birthplace COG code.
    pub fn birthplace(&self) -> Option<&str> {
        self.birthplace.as_deref()
    }
}

impl fmt::Debug for InsDatamatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsDatamatrix")
            .field("oid", &self.oid)
            .field("traits", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "IS010000000000000000000000S1277010115400329S21.2.250.1.213.1.4.8\u{1d}S3SARAH-LOU ANNA\u{1d}S4GARCIA-HAMMADI\u{1d}S5FS621-01-1977";

    fn sample() -> InsDatamatrix {
        InsDatamatrix::new(
            "277010115400329",
            "1.2.250.1.213.1.4.8",
            "SARAH-LOU ANNA",
            "GARCIA-HAMMADI",
            Sex::Female,
            "21-01-1977",
            None,
        )
        .unwrap()
    }

    #[test]
    fn builds_the_reference_payload() {
        assert_eq!(sample().to_payload(), SAMPLE);
        let mut with_place = sample();
        with_place.birthplace = Some("01154".into());
        let p = with_place.to_payload();
        assert_eq!(p, format!("{SAMPLE}S701154"));
        assert_eq!(p.len(), 121);
    }

    #[test]
    fn parses_any_order_and_twenty_char_oid() {
        assert_eq!(InsDatamatrix::parse(SAMPLE.as_bytes()).unwrap(), sample());
        let reordered = "IS010000000000000000000000S1277010115400329S21.2.250.1.213.1.4.10S4GARCIA\u{1d}S5MS621-01-1977S3JEAN";
        let d = InsDatamatrix::parse(reordered.as_bytes()).unwrap();
        assert_eq!(d.oid(), "1.2.250.1.213.1.4.10");
        assert_eq!(d.given_names(), "JEAN");
        assert_eq!(d.sex(), Sex::Male);
        assert_eq!(InsDatamatrix::parse(d.to_payload().as_bytes()).unwrap(), d);
    }

    #[test]
    fn rejects_bad_fields_with_positions() {
        let bad_key = SAMPLE.replace("277010115400329", "277010115400328");
        assert_eq!(
            InsDatamatrix::parse(bad_key.as_bytes()).unwrap_err(),
            bad("matricule key does not match", 41)
        );
        let mediboard_oid = SAMPLE.replace("1.2.250.1.213.1.4.8", "2597845632548156952");
        assert!(InsDatamatrix::parse(mediboard_oid.as_bytes()).is_err());
        let no_s6 = SAMPLE.replace("S621-01-1977", "");
        assert_eq!(
            InsDatamatrix::parse(no_s6.as_bytes()).unwrap_err(),
            bad("mandatory field missing", no_s6.len())
        );
        assert!(InsDatamatrix::parse(SAMPLE.replace("S5F", "S5I").as_bytes()).is_err());
        assert!(
            InsDatamatrix::new(
                "277010115400329",
                "1.2.250.1.213.1.4.8",
                "Sarah",
                "X",
                Sex::Female,
                "21-01-1977",
                None
            )
            .is_err()
        );
    }

    #[test]
    fn corsica_key() {
        // 2A → 19: body 1 80 05 2A 004 001 = 1800519004001.
        let key = 97 - 1_800_519_004_001u64 % 97;
        let m = format!("18005{}004001{key:02}", "2A");
        check_matricule(&m, 0).unwrap();
    }

    #[test]
    fn every_cut_and_multibyte_field_is_a_typed_error_in_bounds() {
        let whole = format!("{SAMPLE}S701154");
        // Every cut but the one right before `S7` (a complete payload without birthplace).
        for len in (0..whole.len()).filter(|&len| len != SAMPLE.len()) {
            let cut = whole.as_bytes().get(..len).unwrap_or_default();
            match InsDatamatrix::parse(cut) {
                Err(Error::InsDatamatrix { position, .. }) => assert!(position <= len),
                other => panic!("{len}: {other:?}"),
            }
        }
        for (from, to) in [
            ("277010115400329", "2770101154003é"),
            ("SARAH-LOU", "SARAH-LOÜ"),
            ("GARCIA", "GARCÍA"),
            ("S5F", "S5É"),
            ("21-01-1977", "21-01-197é"),
            ("1.2.250", "1.2.25é"),
        ] {
            let payload = SAMPLE.replacen(from, to, 1);
            assert!(
                matches!(
                    InsDatamatrix::parse(payload.as_bytes()),
                    Err(Error::InsDatamatrix { .. })
                ),
                "{to}"
            );
        }
        assert!(
            InsDatamatrix::new(
                "2770101154003é",
                "1.2.250.1.213.1.4.8",
                "A",
                "B",
                Sex::Male,
                "21-01-1977",
                None
            )
            .is_err()
        );
        assert!(check_date("2é-01-1977", 0).is_err());
    }

    #[test]
    fn debug_redacts() {
        let s = format!("{:?}", sample());
        assert!(!s.contains("GARCIA") && !s.contains("2770"));
    }
}
