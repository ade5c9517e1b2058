//! Birth date trait. INSi types it as `DateLunaire` (`\d{4}-\d{2}-\d{2}`, no calendar check), so a
//! response may hold a non-calendar ("lunar") or incomplete date (day or month `00`). Those are
//! kept in their own type, never forced into a calendar date.

use crate::error::TraitError;
use std::fmt;

/// A valid Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarDate {
    year: u16,
    month: u8,
    day: u8,
}

/// A date of the form `YYYY-MM-DD` that is not a calendar date (day or month `00`, or impossible
/// such as 31/02): INSi "date lunaire".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LunarDate {
    year: u16,
    month: u8,
    day: u8,
}

/// A birth date: calendar, or lunar/incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BirthDate {
    /// A calendar date.
    Calendar(CalendarDate),
    /// A non-calendar or incomplete date, kept as received.
    Lunar(LunarDate),
}

fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl CalendarDate {
    /// A calendar date, or `None` when it does not exist.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        (year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Self { year, month, day })
    }
    /// Year.
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// Month, 1..=12.
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// Day, 1..=31.
    pub const fn day(&self) -> u8 {
        self.day
    }
}

impl LunarDate {
    /// Year.
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// Month as received (0 = unknown).
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// Day as received (0 = unknown).
    pub const fn day(&self) -> u8 {
        self.day
    }

    /// The completed calendar date of [EXI ID 11] / RNIV EXI PP 19: day unknown → 01/MM/AAAA;
    /// month unknown → JJ/01/AAAA; both unknown → 31/12/AAAA. `None` for a date that is not
    /// incomplete but impossible (e.g. 31/02), which has no completion rule.
    pub fn completed(&self) -> Option<CalendarDate> {
        match (self.month, self.day) {
            (0, 0) => CalendarDate::new(self.year, 12, 31),
            (0, d) => CalendarDate::new(self.year, 1, d),
            (m, 0) => CalendarDate::new(self.year, m, 1),
            _ => None,
        }
    }
}

fn digits(s: &[u8]) -> Option<u16> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0')))
}

impl BirthDate {
    /// Parses `YYYY-MM-DD` (INSi, JSON) or `YYYYMMDD` (HL7 TS, CDA `birthTime`).
    pub fn parse(s: &str) -> Result<Self, TraitError> {
        let b = s.as_bytes();
        let (y, m, d) = match b.len() {
            10 if b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') => {
                (b.get(0..4), b.get(5..7), b.get(8..10))
            }
            8 => (b.get(0..4), b.get(4..6), b.get(6..8)),
            _ => return Err(TraitError::DateFormat),
        };
        let parse = |x: Option<&[u8]>| x.and_then(digits).ok_or(TraitError::DateFormat);
        let (year, month, day) = (parse(y)?, parse(m)?, parse(d)?);
        if year == 0 || month > 99 || day > 99 {
            return Err(TraitError::DateFormat);
        }
        let (month, day) = (month as u8, day as u8);
        Ok(match CalendarDate::new(year, month, day) {
            Some(c) => Self::Calendar(c),
            None => Self::Lunar(LunarDate { year, month, day }),
        })
    }

    /// A calendar date from its parts.
    pub fn calendar(year: u16, month: u8, day: u8) -> Result<Self, TraitError> {
        CalendarDate::new(year, month, day)
            .map(Self::Calendar)
            .ok_or(TraitError::NotACalendarDate)
    }

    /// The calendar date, or an error for a lunar/incomplete one ([EXI ID 12]: the sanitary
    /// identity requires a complete date).
    pub fn require_calendar(&self) -> Result<CalendarDate, TraitError> {
        match self {
            Self::Calendar(c) => Ok(*c),
            Self::Lunar(_) => Err(TraitError::NotACalendarDate),
        }
    }

    /// Year.
    pub const fn year(&self) -> u16 {
        match self {
            Self::Calendar(c) => c.year,
            Self::Lunar(l) => l.year,
        }
    }
    /// Month (0 = unknown in a lunar date).
    pub const fn month(&self) -> u8 {
        match self {
            Self::Calendar(c) => c.month,
            Self::Lunar(l) => l.month,
        }
    }
    /// Day (0 = unknown in a lunar date).
    pub const fn day(&self) -> u8 {
        match self {
            Self::Calendar(c) => c.day,
            Self::Lunar(l) => l.day,
        }
    }

    /// HL7 TS form `YYYYMMDD` (CDA `birthTime`).
    pub fn to_hl7(&self) -> String {
        format!("{:04}{:02}{:02}", self.year(), self.month(), self.day())
    }

    /// Datamatrix INS S6 form `JJ-MM-AAAA`.
    pub fn to_datamatrix(&self) -> String {
        format!("{:02}-{:02}-{:04}", self.day(), self.month(), self.year())
    }
}

impl fmt::Display for BirthDate {
    /// ISO form `YYYY-MM-DD` (INSi `DateNaissance`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

impl serde::Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BirthDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_lunar() {
        assert!(matches!(
            BirthDate::parse("2000-02-29"),
            Ok(BirthDate::Calendar(_))
        ));
        assert!(matches!(
            BirthDate::parse("1900-02-29"),
            Ok(BirthDate::Lunar(_))
        ));
        assert!(matches!(
            BirthDate::parse("19870231"),
            Ok(BirthDate::Lunar(_))
        ));
        assert_eq!(BirthDate::parse("1987-1-01"), Err(TraitError::DateFormat));
        assert_eq!(BirthDate::parse("2001-06-17").unwrap().to_hl7(), "20010617");
        assert_eq!(
            BirthDate::parse("20010617").unwrap().to_string(),
            "2001-06-17"
        );
    }

    #[test]
    fn completion_exi_id_11() {
        let l = |s| match BirthDate::parse(s).unwrap() {
            BirthDate::Lunar(l) => l,
            BirthDate::Calendar(_) => panic!("calendar"),
        };
        assert_eq!(l("1950-00-00").completed(), CalendarDate::new(1950, 12, 31));
        assert_eq!(l("1950-00-15").completed(), CalendarDate::new(1950, 1, 15));
        assert_eq!(l("1950-07-00").completed(), CalendarDate::new(1950, 7, 1));
        assert_eq!(l("1950-02-31").completed(), None);
    }
}
