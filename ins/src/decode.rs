//! Decoded view of a matricule: what each field says, plus plausibility lints (warnings, never
//! errors: INSEE's assignment rules have exceptions and INSi is the reference).
//!
//! The place fields say where the birth was *registered* in the NIR; they are never the birthplace
//! trait. When a commune registers more than 999 births in a month, the commune code takes a special
//! value (INSEE overflow rule), so the decoded commune is not guaranteed to be a real COG code.

use crate::matricule::Matricule;

/// Sex encoded in the first digit (1 male, 2 female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SexDigit {
    /// 1.
    Male,
    /// 2.
    Female,
}

/// Month field (positions 4–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MonthField {
    /// 01–12.
    Known(u8),
    /// Unknown month: 20 (since 1988), and 30–42 or 50 and above (earlier INSEE practice; CNAM MOA
    /// answer quoted in nir-validation #20). Never compared with a birth date.
    Unknown(u8),
    /// 00, 13–19, 21–29, 43–49: not assigned by any documented rule (a lint, not an error).
    Unassigned(u8),
}

/// Place of birth registration (positions 6–10).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Place {
    /// Metropolitan department (01–95 but 20) and 3-digit commune order.
    Metropolitan {
        /// Department, 2 digits.
        department: String,
        /// Commune order, 3 digits.
        commune: String,
    },
    /// Corsica: `20` for births before 1976-01-01, `2A`/`2B` from 1976 on.
    Corsica {
        /// `20`, `2A` or `2B`.
        department: String,
        /// Commune order, 3 digits.
        commune: String,
    },
    /// `91`, `92`, `93`: Essonne, Hauts-de-Seine, Seine-Saint-Denis since 1968, or the departments
    /// of French Algeria for earlier births. Resolved by [`crate::coherence`] with the birth year.
    AlgeriaOrIleDeFrance {
        /// Department, 2 digits.
        department: String,
        /// Commune order, 3 digits.
        commune: String,
    },
    /// Overseas: DOM 971–978 or COM 984–989, with a 2-digit commune.
    Overseas {
        /// Department or collectivity, 3 digits.
        department: String,
        /// Commune, 2 digits.
        commune: String,
    },
    /// Born abroad: `99` followed by the INSEE country code.
    Abroad {
        /// INSEE country code, 3 digits.
        country: String,
    },
    /// A department code no rule assigns (`00`, `96`, `970`, `979`, `980`–`983`).
    Unassigned {
        /// The 5 place characters.
        code: String,
    },
}

/// A plausibility warning about a matricule on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lint {
    /// Month 20, 30–42 or 50+: unknown month (legitimate).
    UnknownMonth,
    /// Month 00, 13–19, 21–29 or 43–49: assigned by no documented rule.
    UnassignedMonth,
    /// A department code no rule assigns.
    UnassignedDepartment,
    /// Commune order `000`.
    CommuneZero,
}

/// Everything the digits of a matricule say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decoded {
    /// Sex digit.
    pub sex: SexDigit,
    /// Last two digits of the birth year (the century comes from the birth date).
    pub year: u8,
    /// Month field.
    pub month: MonthField,
    /// Place of registration.
    pub place: Place,
    /// Order number, 1..=999.
    pub order: u16,
    /// Control key.
    pub key: u8,
    /// Plausibility warnings.
    pub lints: Vec<Lint>,
}

fn two(b: &[u8]) -> u8 {
    b.iter()
        .take(2)
        .fold(0u8, |acc, d| acc * 10 + d.wrapping_sub(b'0'))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Matricule {
    /// The decoded view (sex, year, month, place, order, key) with plausibility lints.
    pub fn decode(&self) -> Decoded {
        let b = self.bytes();
        let sex = if b[0] == b'1' {
            SexDigit::Male
        } else {
            SexDigit::Female
        };
        let year = two(&b[1..3]);
        let m = two(&b[3..5]);
        let month = match m {
            1..=12 => MonthField::Known(m),
            20 | 30..=42 | 50..=99 => MonthField::Unknown(m),
            _ => MonthField::Unassigned(m),
        };
        let dept = &b[5..7];
        let place = match dept {
            b"2A" | b"2B" | b"20" => Place::Corsica {
                department: text(dept),
                commune: text(&b[7..10]),
            },
            b"99" => Place::Abroad {
                country: text(&b[7..10]),
            },
            b"97" if (b'1'..=b'8').contains(&b[7]) => Place::Overseas {
                department: text(&b[5..8]),
                commune: text(&b[8..10]),
            },
            b"98" if (b'4'..=b'9').contains(&b[7]) => Place::Overseas {
                department: text(&b[5..8]),
                commune: text(&b[8..10]),
            },
            b"91" | b"92" | b"93" => Place::AlgeriaOrIleDeFrance {
                department: text(dept),
                commune: text(&b[7..10]),
            },
            b"00" | b"96" | b"97" | b"98" => Place::Unassigned {
                code: text(&b[5..10]),
            },
            _ => Place::Metropolitan {
                department: text(dept),
                commune: text(&b[7..10]),
            },
        };
        let order = b[10..13]
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d.wrapping_sub(b'0')));
        let mut lints = Vec::new();
        match month {
            MonthField::Unknown(_) => lints.push(Lint::UnknownMonth),
            MonthField::Unassigned(_) => lints.push(Lint::UnassignedMonth),
            MonthField::Known(_) => {}
        }
        match &place {
            Place::Unassigned { .. } => lints.push(Lint::UnassignedDepartment),
            Place::Metropolitan { commune, .. }
            | Place::Corsica { commune, .. }
            | Place::AlgeriaOrIleDeFrance { commune, .. }
                if commune == "000" =>
            {
                lints.push(Lint::CommuneZero)
            }
            _ => {}
        }
        Decoded {
            sex,
            year,
            month,
            place,
            order,
            key: self.key(),
            lints,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decoded {
        Matricule::parse(s).unwrap().decode()
    }

    #[test]
    fn overseas_abroad_corsica() {
        assert_eq!(
            d("292039710512324").place,
            Place::Overseas {
                department: "971".into(),
                commune: "05".into()
            }
        );
        assert_eq!(
            d("170039935204571").place,
            Place::Abroad {
                country: "352".into()
            }
        );
        assert!(
            matches!(d("155062000401274").place, Place::Corsica { ref department, .. } if department == "20")
        );
    }

    #[test]
    fn months() {
        assert_eq!(d("145209935200457").month, MonthField::Unknown(20));
        assert_eq!(d("240357505612307").month, MonthField::Unknown(35));
        assert_eq!(d("150627505612396").month, MonthField::Unknown(62));
        assert_eq!(d("255081416802538").month, MonthField::Known(8));
        assert!(d("240357505612307").lints.contains(&Lint::UnknownMonth));
    }
}
