//! HL7 TS timestamps and their conversion to the UTC `YYYYMMDDhhmmss` form of XDS metadata
//! (IHE ITI TF-3 §4.2.3.1.7: DTM, "shall be expressed in UTC").

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats seconds since the Unix epoch as `YYYYMMDDhhmmss` (UTC).
pub fn format_utc(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as `YYYYMMDDhhmmss` UTC.
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(i64::try_from(secs).unwrap_or(0))
}

/// The current time as an HL7 TS with a `+0000` zone (`YYYYMMDDhhmmss+0000`).
pub fn now_hl7() -> String {
    format!("{}+0000", now_utc())
}

/// The value of a run of ASCII digits (the caller has checked they are digits); saturates rather
/// than overflowing on absurd lengths.
pub(crate) fn ascii_number(digits: &[u8]) -> u32 {
    digits.iter().fold(0u32, |acc, c| {
        acc.saturating_mul(10)
            .saturating_add(u32::from(c.wrapping_sub(b'0')))
    })
}

/// Whether `year-month-day` is a real date of the proleptic Gregorian calendar (no 30 February,
/// no 31 April; 29 February only in leap years): HL7 TS dates are calendar dates (ISO 8601).
pub fn is_civil_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let last = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=last).contains(&day)
}

/// Whether `s` is a calendar date `YYYYMMDD` (HL7 TS to the day): eight ASCII digits forming a
/// real date ([`is_civil_date`]).
pub fn is_yyyymmdd(s: &str) -> bool {
    let b = s.as_bytes();
    let n = |a: usize, z: usize| b.get(a..z).map_or(0, ascii_number);
    b.len() == 8 && b.iter().all(u8::is_ascii_digit) && is_civil_date(n(0, 4), n(4, 6), n(6, 8))
}

/// `JJ/MM/AAAA` (French narrative form) of a date checked by [`is_yyyymmdd`].
pub(crate) fn french_date(yyyymmdd: &str) -> String {
    let part = |a: usize, z: usize| yyyymmdd.get(a..z).unwrap_or("");
    format!("{}/{}/{}", part(6, 8), part(4, 6), part(0, 4))
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Converts an HL7 TS (`YYYY[MM[DD[hh[mm[ss[.f]]]]]][±ZZZZ]`) to XDS UTC form.
///
/// With a zone, the time is shifted to UTC and rendered to the second (the IHE rule). Without
/// a zone, or with a precision below the minute, the digits are kept as given (truncated
/// precision is allowed by XDS, and shifting a date without a time would invent one).
/// Returns `None` for a malformed value.
pub fn hl7_to_xds_utc(ts: &str) -> Option<String> {
    // Every character of a TS is ASCII: anything else (e.g. a non-ASCII digit look-alike) is a
    // malformed value, refused before any position is computed.
    if !ts.is_ascii() {
        return None;
    }
    let (digits, zone) = match ts.find(['+', '-']) {
        Some(i) => {
            let (d, z) = ts.split_at_checked(i)?;
            (d, Some(z))
        }
        None => (ts, None),
    };
    let digits = digits.split('.').next().unwrap_or(digits);
    if ![4, 6, 8, 10, 12, 14].contains(&digits.len()) || num(digits).is_none() {
        return None;
    }
    let Some(zone) = zone else {
        return Some(digits.to_owned());
    };
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let z = zone.get(1..)?;
    // Accept ±HHMM; the kit contains a sample with a 3-digit zone (+100), read as ±HMM.
    let hour_len = match z.len() {
        4 => 2,
        3 => 1,
        _ => return None,
    };
    let (zh, zm) = z.split_at_checked(hour_len)?;
    let (zh, zm) = (num(zh)?, num(zm)?);
    if digits.len() < 12 {
        return Some(digits.to_owned());
    }
    let f = |a: usize, b: usize| num(digits.get(a..b).unwrap_or("0")).unwrap_or(0);
    let (y, mo, d, h, mi) = (f(0, 4), f(4, 6), f(6, 8), f(8, 10), f(10, 12));
    let s = if digits.len() >= 14 { f(12, 14) } else { 0 };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let local = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    Some(format_utc(local - sign * (zh * 3600 + zm * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_characters_are_malformed_not_a_panic() {
        // Multibyte characters at every position a slice used to be taken at.
        for ts in [
            "20240101120000+é1",
            "20240101120000+0é",
            "20240101120000-1é",
            "2024é101120000+0100",
            "é",
            "20240101120000+",
            "20240101120000+\u{202e}00",
        ] {
            assert_eq!(hl7_to_xds_utc(ts), None, "{ts:?}");
        }
    }

    #[test]
    fn civil_dates() {
        assert!(is_civil_date(2024, 2, 29));
        assert!(!is_civil_date(2023, 2, 29));
        assert!(!is_civil_date(2024, 2, 30));
        assert!(!is_civil_date(2024, 4, 31));
        assert!(is_civil_date(2000, 2, 29));
        assert!(!is_civil_date(1900, 2, 29));
        assert!(!is_civil_date(2024, 13, 1));
        assert!(!is_civil_date(2024, 1, 0));
    }

    #[test]
    fn converts_to_utc() {
        assert_eq!(
            hl7_to_xds_utc("20210409153500+0100").as_deref(),
            Some("20210409143500")
        );
        assert_eq!(
            hl7_to_xds_utc("20240101003000+0200").as_deref(),
            Some("20231231223000")
        );
        assert_eq!(
            hl7_to_xds_utc("20241231233000-0100").as_deref(),
            Some("20250101003000")
        );
        assert_eq!(
            hl7_to_xds_utc("20240106113623+100").as_deref(),
            Some("20240106103623")
        );
        assert_eq!(hl7_to_xds_utc("20240229").as_deref(), Some("20240229"));
        assert_eq!(hl7_to_xds_utc("20240229+0100").as_deref(), Some("20240229"));
        assert_eq!(hl7_to_xds_utc("2024022912").as_deref(), Some("2024022912"));
        assert_eq!(hl7_to_xds_utc("garbage"), None);
        assert_eq!(hl7_to_xds_utc("20241301120000+0100"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000, -1, 0, 1, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(format_utc(0), "19700101000000");
        assert_eq!(format_utc(951_782_400), "20000229000000");
    }
}
