//! Identity statuses and attributes of the RNIV (Référentiel national d'identitovigilance) and
//! the ANS INS guide V3.0 ([EXI ID 24], [EXI ID 26], [EXI ID 29]; RNIV EXI SI 08):
//!
//! - four statuses: provisoire (PROV), récupérée (RECUP: INS retrieved or checked through INSi),
//!   validée (VALI: checked against a high-trust identity document), qualifiée (QUAL: both);
//! - PROV and VALI carry no INS; RECUP and QUAL carry one;
//! - attributes homonyme, douteuse, fictive: douteuse or fictive force the status provisoire and
//!   block the INSi call; the only combination allowed is douteuse + homonyme;
//! - only a qualified identity may transmit its matricule.
//!
//! These rules are enforced by the types: [`IdentityState`] has no variant where an illegal
//! combination could be written.

use crate::ins::Ins;
use crate::traits::Traits;
use std::fmt;

/// The four RNIV statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum IdentityStatus {
    /// Provisoire.
    Provisoire,
    /// Récupérée.
    Recuperee,
    /// Validée.
    Validee,
    /// Qualifiée.
    Qualifiee,
}

impl IdentityStatus {
    /// FR Core `identityReliability` / IHE PAM FR code (PROV, RECUP, VALI, QUAL).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Provisoire => "PROV",
            Self::Recuperee => "RECUP",
            Self::Validee => "VALI",
            Self::Qualifiee => "QUAL",
        }
    }

    /// The status of a FR Core / PAM code, when it is one of the four.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "PROV" => Some(Self::Provisoire),
            "RECUP" => Some(Self::Recuperee),
            "VALI" => Some(Self::Validee),
            "QUAL" => Some(Self::Qualifiee),
            _ => None,
        }
    }
}

/// Attributes of a provisional identity (the only status where douteuse/fictive may exist).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum ProvisionalAttributes {
    /// None.
    #[default]
    None,
    /// Homonyme.
    Homonyme,
    /// Douteuse: INSi is blocked.
    Douteuse,
    /// Douteuse and homonyme (the only allowed combination).
    DouteuseHomonyme,
    /// Fictive: INSi is blocked.
    Fictive,
}

impl ProvisionalAttributes {
    /// Whether these attributes block any INSi call.
    pub const fn blocks_insi(self) -> bool {
        matches!(
            self,
            Self::Douteuse | Self::DouteuseHomonyme | Self::Fictive
        )
    }

    /// Whether the homonyme attribute is set.
    pub const fn homonyme(self) -> bool {
        matches!(self, Self::Homonyme | Self::DouteuseHomonyme)
    }

    /// FR Core reliability codes of the attributes (`HOMD` homonyme détecté — TO VERIFY against
    /// the guide whether `HOMA` is preferred —, `DOUT` douteuse, `FICT` fictive).
    pub fn codes(self) -> &'static [&'static str] {
        match self {
            Self::None => &[],
            Self::Homonyme => &["HOMD"],
            Self::Douteuse => &["DOUT"],
            Self::DouteuseHomonyme => &["DOUT", "HOMD"],
            Self::Fictive => &["FICT"],
        }
    }
}

/// High-trust identity documents ([EXI ID 19], RNIV §3.3.2; FR Core value set
/// `mode-validation-identity-ins`). The accepted list is the structure's policy: configurable,
/// no default selection (RNIV EXI SI 10/23).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HighTrustDocument {
    /// Passeport (PA).
    Passport,
    /// Carte nationale d'identité (CN).
    NationalIdCard,
    /// Titre de séjour.
    ResidencePermit,
    /// Extrait d'acte de naissance (AN; 2024 special cases: minors, EHPAD residents).
    BirthCertificate,
    /// Livret de famille (LE; 2024 special cases).
    FamilyRecordBook,
    /// Another document accepted by the structure's policy, by its code.
    Other(String),
}

/// Why the status changed: the evidence each transition needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TransitionReason {
    /// Traits and INS retrieved or verified through the INSi teleservice.
    InsiRetrieval,
    /// Traits checked against a high-trust identity document.
    HighTrustDocument(HighTrustDocument),
}

/// The status of an identity with exactly the data each status may carry.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdentityState {
    /// Provisoire: no INS.
    Provisoire {
        /// Attributes.
        attributes: ProvisionalAttributes,
    },
    /// Récupérée: INS retrieved through INSi, identity document not checked.
    Recuperee {
        /// The INS.
        ins: Ins,
        /// Homonyme attribute.
        homonyme: bool,
    },
    /// Validée: identity document checked, no INS.
    Validee {
        /// The document.
        evidence: HighTrustDocument,
        /// Homonyme attribute.
        homonyme: bool,
    },
    /// Qualifiée: both.
    Qualifiee {
        /// The INS.
        ins: Ins,
        /// The document.
        evidence: HighTrustDocument,
        /// Homonyme attribute.
        homonyme: bool,
    },
}

impl fmt::Debug for IdentityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentityState({:?})", self.status())
    }
}

impl IdentityState {
    /// The status.
    pub const fn status(&self) -> IdentityStatus {
        match self {
            Self::Provisoire { .. } => IdentityStatus::Provisoire,
            Self::Recuperee { .. } => IdentityStatus::Recuperee,
            Self::Validee { .. } => IdentityStatus::Validee,
            Self::Qualifiee { .. } => IdentityStatus::Qualifiee,
        }
    }
}

/// Why a status transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// Douteuse or fictive identities may not be sent to INSi ([EXI ID 26]).
    #[error("the identity is doubtful or fictitious: INSi calls are blocked")]
    InsiBlocked,
    /// Douteuse or fictive identities cannot be validated until the attribute is lifted.
    #[error("the identity is doubtful or fictitious: it stays provisional")]
    DoubtfulOrFictitious,
}

/// A patient identity: strict traits plus RNIV state.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    traits: Traits,
    state: IdentityState,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("traits", &self.traits)
            .field("state", &self.state)
            .finish()
    }
}

impl Identity {
    /// A new provisional identity.
    pub fn provisional(traits: Traits, attributes: ProvisionalAttributes) -> Self {
        Self {
            traits,
            state: IdentityState::Provisoire { attributes },
        }
    }

    /// The traits.
    pub fn traits(&self) -> &Traits {
        &self.traits
    }

    /// The state.
    pub fn state(&self) -> &IdentityState {
        &self.state
    }

    /// The status.
    pub fn status(&self) -> IdentityStatus {
        self.state.status()
    }

    /// The INS, for RECUP and QUAL identities.
    pub fn ins(&self) -> Option<&Ins> {
        match &self.state {
            IdentityState::Recuperee { ins, .. } | IdentityState::Qualifiee { ins, .. } => {
                Some(ins)
            }
            _ => None,
        }
    }

    /// Whether the matricule may be transmitted (qualified only: RNIV EXI SI 08, [EXI ID 29]).
    pub fn can_transmit_matricule(&self) -> bool {
        matches!(self.state, IdentityState::Qualifiee { .. })
    }

    /// Whether INSi may be called for this identity.
    pub fn may_call_insi(&self) -> bool {
        !matches!(self.state, IdentityState::Provisoire { attributes } if attributes.blocks_insi())
    }

    /// Records an INSi retrieval: the returned traits replace the local ones (the INS guide
    /// requires the INSi traits), PROV → RECUP, VALI → QUAL. Returns the transition reason.
    pub fn record_insi_retrieval(
        &mut self,
        ins: Ins,
        insi_traits: Traits,
    ) -> Result<TransitionReason, TransitionError> {
        let next = match &self.state {
            IdentityState::Provisoire { attributes } if attributes.blocks_insi() => {
                return Err(TransitionError::InsiBlocked);
            }
            IdentityState::Provisoire { attributes } => IdentityState::Recuperee {
                ins,
                homonyme: attributes.homonyme(),
            },
            IdentityState::Recuperee { homonyme, .. } => IdentityState::Recuperee {
                ins,
                homonyme: *homonyme,
            },
            IdentityState::Validee { evidence, homonyme }
            | IdentityState::Qualifiee {
                evidence, homonyme, ..
            } => IdentityState::Qualifiee {
                ins,
                evidence: evidence.clone(),
                homonyme: *homonyme,
            },
        };
        self.traits = insi_traits;
        self.state = next;
        Ok(TransitionReason::InsiRetrieval)
    }

    /// Records a check against a high-trust identity document: PROV → VALI, RECUP → QUAL.
    pub fn record_document_check(
        &mut self,
        evidence: HighTrustDocument,
    ) -> Result<TransitionReason, TransitionError> {
        let next = match &self.state {
            IdentityState::Provisoire { attributes } if attributes.blocks_insi() => {
                return Err(TransitionError::DoubtfulOrFictitious);
            }
            IdentityState::Provisoire { attributes } => IdentityState::Validee {
                evidence: evidence.clone(),
                homonyme: attributes.homonyme(),
            },
            IdentityState::Validee { homonyme, .. } => IdentityState::Validee {
                evidence: evidence.clone(),
                homonyme: *homonyme,
            },
            IdentityState::Recuperee { ins, homonyme }
            | IdentityState::Qualifiee { ins, homonyme, .. } => IdentityState::Qualifiee {
                ins: *ins,
                evidence: evidence.clone(),
                homonyme: *homonyme,
            },
        };
        self.state = next;
        Ok(TransitionReason::HighTrustDocument(evidence))
    }

    /// Marks the identity doubtful or fictitious: it falls back to provisoire and loses its INS
    /// (the matricule and its OID are invalidated, [EXI ID 26]).
    pub fn mark(&mut self, attributes: ProvisionalAttributes) {
        self.state = IdentityState::Provisoire { attributes };
    }

    /// The qualified view (cloned), the only one from which a matricule may be transmitted.
    pub fn qualified(&self) -> Option<QualifiedIdentity> {
        match &self.state {
            IdentityState::Qualifiee { ins, .. } => Some(QualifiedIdentity {
                traits: self.traits.clone(),
                ins: *ins,
                identity: self.clone(),
            }),
            _ => None,
        }
    }
}

/// A qualified identity with its INS. It exists only for status QUAL, so an API taking it (CDA
/// patientRole, MSSanté patient address, datamatrix INS) cannot transmit the matricule of any
/// other identity. Its serde form is the one of [`Identity`]; deserialising refuses any other
/// status.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Identity", into = "Identity")]
pub struct QualifiedIdentity {
    traits: Traits,
    ins: Ins,
    identity: Identity,
}

/// The identity is not qualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the identity is not qualified (status {0:?}): its matricule may not be transmitted")]
pub struct NotQualified(pub IdentityStatus);

impl TryFrom<Identity> for QualifiedIdentity {
    type Error = NotQualified;
    fn try_from(identity: Identity) -> Result<Self, NotQualified> {
        identity.qualified().ok_or(NotQualified(identity.status()))
    }
}

impl From<QualifiedIdentity> for Identity {
    fn from(q: QualifiedIdentity) -> Self {
        q.identity
    }
}

impl QualifiedIdentity {
    /// The INS.
    pub fn ins(&self) -> &Ins {
        &self.ins
    }
    /// The traits.
    pub fn traits(&self) -> &Traits {
        &self.traits
    }
    /// The whole identity (status, evidence, attributes).
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
}

impl fmt::Debug for QualifiedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QualifiedIdentity(<redacted>)")
    }
}
