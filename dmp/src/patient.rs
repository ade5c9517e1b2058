//! The patient a DMP request is about: an INS that may be transmitted.
//!
//! RNIV (Référentiel national d'identitovigilance, EXI SI 08): only the matricule of a
//! *qualified* identity may be sent. The VIHF `resource-id` (`shared/specs/dmp.md` §2.2), the
//! TD0.2 `patientIdentifier` (§3.1) and the TD3.1 `$XDSDocumentEntryPatientId` (§6) are all built
//! from a [`DmpPatient`], which is made from a [`QualifiedIdentity`] by [`DmpPatient::of`].

use std::fmt;

use segur_ins::{Ins, QualifiedIdentity};

/// The INS of a qualified identity, ready for DMP messages. Redacted in `Debug`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DmpPatient {
    ins: Ins,
}

impl DmpPatient {
    /// The patient of a qualified identity (the only identity whose matricule may be sent).
    pub fn of(identity: &QualifiedIdentity) -> Self {
        Self {
            ins: *identity.ins(),
        }
    }

    /// A patient whose identity the caller's own identity repository holds as qualified
    /// (status QUAL), when only its INS is at hand: the command line (`--ins`), the C API, or
    /// the INS of a CDA document the SDK built from a `QualifiedIdentity`. The caller answers
    /// for the qualification (RNIV EXI SI 08).
    pub fn attested_qualified(ins: Ins) -> Self {
        Self { ins }
    }

    /// The INS.
    pub fn ins(&self) -> &Ins {
        &self.ins
    }

    /// The CX without date, `matricule^^^&OID&ISO^NH` (VIHF resource-id, TD3.1 patient id).
    pub(crate) fn cx(&self) -> String {
        self.ins.to_xds_cx()
    }

    /// The matricule (15 characters).
    pub(crate) fn matricule(&self) -> &str {
        self.ins.matricule().expose()
    }

    /// The authority OID.
    pub(crate) fn oid(&self) -> &'static str {
        self.ins.authority().oid()
    }
}

impl fmt::Debug for DmpPatient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DmpPatient({})", self.ins)
    }
}
