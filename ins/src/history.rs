//! INS history: the active INS plus the historical ones, as INSi returns them (`INSACTIF`,
//! `INSHISTO*` with optional `DateDeb`/`DateFin`). The guide requires keeping the history unchanged
//! (EXI REC 08); dates are never assumed ordered (the CNDA case 2.04 has DateDeb after DateFin).

use crate::ins::Ins;
use crate::traits::BirthDate;

/// One historical INS with its validity period as returned (dates kept even if inconsistent).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoricalIns {
    /// The INS.
    pub ins: Ins,
    /// `DateDeb`, when given (`YYYY-MM-DD`, may be a non-calendar date).
    pub start: Option<BirthDate>,
    /// `DateFin`, when given.
    pub end: Option<BirthDate>,
}

impl HistoricalIns {
    /// Whether both dates are present and the end precedes the start (reported, never "fixed").
    pub fn has_reversed_dates(&self) -> bool {
        match (&self.start, &self.end) {
            (Some(s), Some(e)) => (e.year(), e.month(), e.day()) < (s.year(), s.month(), s.day()),
            _ => false,
        }
    }
}

/// The active INS and its history, in the order received.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InsHistory {
    /// The active INS (`INSACTIF`).
    pub active: Ins,
    /// Historical INS (`INSHISTO`), in the order received; may repeat the active one.
    pub historical: Vec<HistoricalIns>,
}

impl InsHistory {
    /// Whether `ins` is the active INS or one of the historical ones (matching an incoming
    /// document or message against a patient file).
    pub fn knows(&self, ins: &Ins) -> bool {
        self.active == *ins || self.historical.iter().any(|h| h.ins == *ins)
    }

    /// Historical entries whose dates are reversed.
    pub fn anomalies(&self) -> impl Iterator<Item = &HistoricalIns> {
        self.historical.iter().filter(|h| h.has_reversed_dates())
    }
}
