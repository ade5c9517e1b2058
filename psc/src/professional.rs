//! The authenticated professional, mapped from verified claims (psc.md §5.2–§5.4).
//!
//! [`NationalId`] is the `SubjectNameID` form (also the CIBA `login_hint`, psc.md §4, §5.3):
//! unknown shapes are kept (structure id / local id, EDIT test identities), and only the
//! `8` + RPPS form (12 digits) has its Luhn key checked (psc.md §5.3).

use serde_json::{Map, Value};

/// Why a national identifier is refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NationalIdError {
    /// Empty, or longer than 64 characters.
    #[error("national identifier length {len} outside 1..=64")]
    Length {
        /// Its length in bytes.
        len: usize,
    },
    /// A character outside printable ASCII, or a space.
    #[error("national identifier: character not allowed at byte {position}")]
    Character {
        /// Byte offset.
        position: usize,
    },
    /// `8` + 11 digits whose RPPS Luhn key is wrong.
    #[error("national identifier: the RPPS Luhn key is wrong")]
    Luhn,
}

/// A professional's national identifier (`SubjectNameID`, `preferred_username`).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct NationalId(String);

impl std::fmt::Debug for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NationalId({:?})", self.0)
    }
}

impl std::fmt::Display for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Luhn check (ISO/IEC 7812-1 annex B) over ASCII digits.
fn luhn_ok(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 1 {
                let w = v * 2;
                if w > 9 { w - 9 } else { w }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl NationalId {
    /// Checks and wraps an identifier.
    pub fn new(text: &str) -> Result<Self, NationalIdError> {
        let b = text.as_bytes();
        if b.is_empty() || b.len() > 64 {
            return Err(NationalIdError::Length { len: b.len() });
        }
        if let Some(position) = b.iter().position(|c| !(0x21..0x7f).contains(c)) {
            return Err(NationalIdError::Character { position });
        }
        if b.len() == 12
            && b.first() == Some(&b'8')
            && b.iter().all(u8::is_ascii_digit)
            && b.get(1..).is_some_and(|rpps| !luhn_ok(rpps))
        {
            return Err(NationalIdError::Luhn);
        }
        Ok(Self(text.to_owned()))
    }
    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One place of practice (`activities[]`, psc.md §5.4).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Activity {
    /// `codeSectionPharmacien` (CNOP section), when present.
    pub pharmacist_section: Option<String>,
    /// `numeroFinessSite`, when present.
    pub finess_site: Option<String>,
    /// `numeroSiretSite`, when present.
    pub siret_site: Option<String>,
    /// `raisonSocialeSite`, when present.
    pub site_name: Option<String>,
}

/// The professional a session authenticates.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Professional {
    /// The national identifier (`SubjectNameID`, else `preferred_username`).
    pub national_id: NationalId,
    /// `sub` as sent (opaque: psc.md §5.2 says not to parse it).
    pub subject: String,
    /// `given_name`, when present.
    pub given_name: Option<String>,
    /// `family_name`, when present.
    pub family_name: Option<String>,
    /// `codeProfession` of the first `exercices[]` entry (21: pharmacien), when present.
    pub profession_code: Option<String>,
    /// The places of practice, in the order sent.
    pub activities: Vec<Activity>,
    /// `acr`, when present.
    pub acr: Option<String>,
}

/// Why claims do not describe a professional.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimsError {
    /// Neither `SubjectNameID` nor `preferred_username`, or no `sub`.
    #[error("claim {0} missing")]
    Missing(&'static str),
    /// The national identifier is refused.
    #[error(transparent)]
    NationalId(#[from] NationalIdError),
}

fn text(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.get(name).and_then(Value::as_str).map(str::to_owned)
}

impl Professional {
    /// Maps verified claims (ID token, access token or userinfo).
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Self, ClaimsError> {
        let id = text(claims, "SubjectNameID")
            .or_else(|| text(claims, "preferred_username"))
            .ok_or(ClaimsError::Missing("SubjectNameID"))?;
        let subject = text(claims, "sub").ok_or(ClaimsError::Missing("sub"))?;
        let exercice = claims
            .get("SubjectRefPro")
            .and_then(|r| r.get("exercices"))
            .and_then(Value::as_array)
            .and_then(|e| e.first())
            .and_then(Value::as_object);
        let activities = exercice
            .and_then(|e| e.get("activities"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_object)
                    .map(|a| Activity {
                        pharmacist_section: text(a, "codeSectionPharmacien"),
                        finess_site: text(a, "numeroFinessSite"),
                        siret_site: text(a, "numeroSiretSite"),
                        site_name: text(a, "raisonSocialeSite"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            national_id: NationalId::new(&id)?,
            subject,
            given_name: text(claims, "given_name")
                .or_else(|| exercice.and_then(|e| text(e, "prenomDexercice"))),
            family_name: text(claims, "family_name")
                .or_else(|| exercice.and_then(|e| text(e, "nomDexercice"))),
            profession_code: exercice.and_then(|e| text(e, "codeProfession")),
            activities,
            acr: text(claims, "acr"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpps_luhn_checked_other_shapes_kept() {
        assert!(NationalId::new("899700218896").is_ok());
        assert_eq!(NationalId::new("899700218897"), Err(NationalIdError::Luhn));
        assert!(NationalId::new("500000001815646/CPAT00045").is_ok());
        assert!(NationalId::new("ANS20210107161422").is_ok());
        assert_eq!(
            NationalId::new("12 3"),
            Err(NationalIdError::Character { position: 2 })
        );
        assert_eq!(NationalId::new(""), Err(NationalIdError::Length { len: 0 }));
    }
}
