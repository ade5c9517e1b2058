//! The INS: a matricule plus the OID of the authority that assigned it (CI-SIS Annexe INS;
//! FR Core `FRCorePatientINS` identifier slices). NIR versus NIA comes only from the OID.

use crate::error::InsError;
use crate::matricule::Matricule;
use std::fmt;

/// OID of the INS-NIR authority (production).
pub const OID_INS_NIR: &str = "1.2.250.1.213.1.4.8";
/// OID of the INS-NIA authority (numéro d'identification d'attente).
pub const OID_INS_NIA: &str = "1.2.250.1.213.1.4.9";
/// OID of the INS-NIR of fictitious *test* patients (not a "test NIA").
pub const OID_INS_NIR_TEST: &str = "1.2.250.1.213.1.4.10";
/// OID of the INS-NIR of *demonstration* patients.
pub const OID_INS_NIR_DEMO: &str = "1.2.250.1.213.1.4.11";
/// OID of the legacy INS-C ("calculé"): recognised only to be refused.
pub const OID_INS_C_LEGACY: &str = "1.2.250.1.213.1.4.2";

/// The authority that assigned an INS matricule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InsAuthority {
    /// INS-NIR, `1.2.250.1.213.1.4.8`.
    Nir,
    /// INS-NIA, `1.2.250.1.213.1.4.9`.
    Nia,
    /// INS-NIR of test patients, `1.2.250.1.213.1.4.10` (used by the DMP test platform).
    TestNir,
    /// INS-NIR of demonstration patients, `1.2.250.1.213.1.4.11`.
    DemoNir,
}

impl InsAuthority {
    /// The authority OID.
    pub const fn oid(self) -> &'static str {
        match self {
            Self::Nir => OID_INS_NIR,
            Self::Nia => OID_INS_NIA,
            Self::TestNir => OID_INS_NIR_TEST,
            Self::DemoNir => OID_INS_NIR_DEMO,
        }
    }

    /// The authority of an OID. The legacy INS-C (`.4.2`) and every other OID are refused.
    pub fn from_oid(oid: &str) -> Result<Self, InsError> {
        match oid.trim() {
            OID_INS_NIR => Ok(Self::Nir),
            OID_INS_NIA => Ok(Self::Nia),
            OID_INS_NIR_TEST => Ok(Self::TestNir),
            OID_INS_NIR_DEMO => Ok(Self::DemoNir),
            OID_INS_C_LEGACY => Err(InsError::LegacyInsC),
            _ => Err(InsError::UnknownAuthority),
        }
    }

    /// Whether the matricule is a NIA (waiting number) rather than a NIR.
    pub const fn is_nia(self) -> bool {
        matches!(self, Self::Nia)
    }

    /// Whether this authority only identifies test or demonstration patients.
    pub const fn is_test_or_demo(self) -> bool {
        matches!(self, Self::TestNir | Self::DemoNir)
    }

    /// The FR Core identifier `use`: `official` for a NIR, `temp` for a NIA (FR Core PR #238).
    pub const fn fhir_use(self) -> &'static str {
        match self {
            Self::Nia => "temp",
            _ => "official",
        }
    }

    /// HL7 v2 assigning authority namespace (IHE PAM FR), where one is defined.
    pub const fn hl7v2_namespace(self) -> &'static str {
        match self {
            Self::Nir => "ASIP-SANTE-INS-NIR",
            Self::Nia => "ASIP-SANTE-INS-NIA",
            Self::TestNir => "ASIP-SANTE-INS-NIR-TEST",
            Self::DemoNir => "ASIP-SANTE-INS-NIR-DEMO",
        }
    }
}

impl fmt::Display for InsAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.oid())
    }
}

/// An INS: matricule + authority. Redacted in `Debug`/`Display` (the authority is shown).
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Ins {
    matricule: Matricule,
    authority: InsAuthority,
}

impl Ins {
    /// An INS from its parts.
    pub const fn new(matricule: Matricule, authority: InsAuthority) -> Self {
        Self {
            matricule,
            authority,
        }
    }

    /// Parses a matricule (15 characters, key checked) and an authority OID.
    pub fn from_parts(matricule: &str, oid: &str) -> Result<Self, InsError> {
        let authority = InsAuthority::from_oid(oid)?;
        let matricule = Matricule::parse_with_key(matricule)?;
        Ok(Self {
            matricule,
            authority,
        })
    }

    /// The matricule.
    pub const fn matricule(&self) -> &Matricule {
        &self.matricule
    }

    /// The authority.
    pub const fn authority(&self) -> InsAuthority {
        self.authority
    }

    /// The XDS / DMP patient identifier (CX): `<matricule>^^^&<OID>&ISO^NH`. Exposes the matricule.
    pub fn to_xds_cx(&self) -> String {
        format!(
            "{}^^^&{}&ISO^NH",
            self.matricule.expose(),
            self.authority.oid()
        )
    }

    /// The HL7 v2 PID-3 repetition (IHE PAM FR): `<matricule>^^^<NS>&<OID>&ISO^INS`.
    pub fn to_hl7v2_cx(&self) -> String {
        format!(
            "{}^^^{}&{}&ISO^INS",
            self.matricule.expose(),
            self.authority.hl7v2_namespace(),
            self.authority.oid()
        )
    }
}

impl fmt::Debug for Ins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ins")
            .field("matricule", &self.matricule)
            .field("authority", &self.authority)
            .finish()
    }
}

impl fmt::Display for Ins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INS <redacted> ({})", self.authority.oid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids() {
        assert_eq!(
            InsAuthority::from_oid("1.2.250.1.213.1.4.9"),
            Ok(InsAuthority::Nia)
        );
        assert_eq!(
            InsAuthority::from_oid("1.2.250.1.213.1.4.2"),
            Err(InsError::LegacyInsC)
        );
        assert_eq!(
            InsAuthority::from_oid("1.2.250.1.213.1.4.5"),
            Err(InsError::UnknownAuthority)
        );
        for a in [
            InsAuthority::Nir,
            InsAuthority::Nia,
            InsAuthority::TestNir,
            InsAuthority::DemoNir,
        ] {
            assert_eq!(InsAuthority::from_oid(a.oid()), Ok(a));
        }
    }

    #[test]
    fn xds_cx() {
        let ins = Ins::from_parts("109076322088835", OID_INS_NIA).unwrap();
        assert_eq!(
            ins.to_xds_cx(),
            "109076322088835^^^&1.2.250.1.213.1.4.9&ISO^NH"
        );
        assert!(ins.authority().is_nia());
        assert!(!format!("{ins:?}{ins}").contains("1090763"));
    }
}
