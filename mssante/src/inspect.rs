//! Inspection of the IHE_XDM attachment: the facts `X-MSS-CODECDA` and `X-MSS-INS` are computed
//! from (Référentiel #2 ECO.2.4.1 / ECO.2.4.2, spec §1.3).
//!
//! The XDM package and the CDA header are read by `segur-dmp-cda`, never by a parser of this
//! crate. This module is the single boundary between the two crates.

use crate::MssError;

/// What the MSSanté headers need to know about one CDA document inside the XDM package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdaFacts {
    /// The `code/@code` of the CDA header (CI-SIS document type, e.g. LOINC `34112-3`).
    pub type_code: String,
    /// Whether the CDA carries a qualified INS (matricule with an INS authority OID; the ANS
    /// rules allow transmitting it only for a qualified identity).
    pub qualified_ins: bool,
}

/// Reads the CDA documents of an IHE_XDM.ZIP package.
///
/// Until the IHE_XDM reader of `segur-dmp-cda` is available, this refuses with
/// [`MssError::InspectionUnavailable`]: a message with an XDM attachment is never composed with
/// headers that were not derived from its content.
pub fn inspect_xdm(_package: &[u8]) -> Result<Vec<CdaFacts>, MssError> {
    Err(MssError::InspectionUnavailable(
        "the IHE_XDM reader of segur-dmp-cda is not available in this build",
    ))
}
