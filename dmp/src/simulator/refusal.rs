//! Refusals and how each is answered (`shared/specs/dmp.md` §9):
//! - transport, envelope and VIHF problems: a SOAP 1.2 fault `soap:Sender` with a subcode and a
//!   reason naming the element or attribute at fault (never its value), HTTP 500 (SOAP 1.2
//!   Part 2 §7.5.2.2, and how the DMP's clients read faults, §9);
//! - XDS transactions (TD2.1, TD3.1, TD3.2, TD3.3): a `Failure` `RegistryResponse` with one
//!   `RegistryError` per problem, IHE error codes (ITI TF-3 Table 4.2.4.1-2, §9);
//! - TD0.2: an HL7 acknowledgement `AE` with an `acknowledgementDetail` (§9, HL7 v3 MCCI).

/// Codes. The `XDS*` codes are IHE's; the `DMP*` codes stand for refusals whose DMP wording is
/// not public (§9, TO VERIFY) and are the simulator's own names.
pub mod codes {
    /// The document's hash differs from the bytes (ITI TF-3 4.2.4.1).
    pub const NON_IDENTICAL_HASH: &str = "XDSNonIdenticalHash";
    /// The document's size differs from the bytes.
    pub const NON_IDENTICAL_SIZE: &str = "XDSNonIdenticalSize";
    /// A document entry without its document (missing MTOM part or `ihe:Document`).
    pub const MISSING_DOCUMENT: &str = "XDSMissingDocument";
    /// A document without its entry.
    pub const MISSING_DOCUMENT_METADATA: &str = "XDSMissingDocumentMetadata";
    /// The uniqueId is already in the registry.
    pub const DUPLICATE_UNIQUE_ID: &str = "XDSDuplicateUniqueIdInRegistry";
    /// Patient identifiers of the request disagree.
    pub const PATIENT_ID_DOES_NOT_MATCH: &str = "XDSPatientIdDoesNotMatch";
    /// The patient has no DMP.
    pub const UNKNOWN_PATIENT_ID: &str = "XDSUnknownPatientId";
    /// Metadata missing or malformed.
    pub const METADATA_ERROR: &str = "XDSRegistryMetadataError";
    /// Unknown stored query id.
    pub const UNKNOWN_STORED_QUERY: &str = "XDSUnknownStoredQuery";
    /// A required stored query parameter is missing or a parameter is malformed.
    pub const STORED_QUERY_PARAM: &str = "XDSStoredQueryParamNumber";
    /// Unknown repositoryUniqueId.
    pub const UNKNOWN_REPOSITORY: &str = "XDSUnknownRepositoryId";
    /// DocumentUniqueId is not an OID (a `urn:uuid` entryUUID sent instead, §6).
    pub const DOCUMENT_UNIQUE_ID_ERROR: &str = "XDSDocumentUniqueIdError";
    /// Retrieve of a document the registry does not hold (or hides from this professional).
    pub const MISSING_DOCUMENT_RETRIEVE: &str = "XDSMissingDocument";
    /// A metadata update the registry cannot apply.
    pub const METADATA_UPDATE_ERROR: &str = "XDSMetadataUpdateError";
    /// `PreviousVersion` differs from the current version.
    pub const METADATA_VERSION_ERROR: &str = "XDSMetadataVersionError";
    /// The target of a replacement or update is deprecated.
    pub const DEPRECATED_DOCUMENT: &str = "XDSRegistryDeprecatedDocumentError";
    /// A replacement whose target is not approved or unknown.
    pub const REPLACE_FAILED: &str = "XDSReplaceFailed";
    /// Any other registry error.
    pub const REGISTRY_ERROR: &str = "XDSRegistryError";
    /// The XAdES signature of the submission set does not verify or does not cover the
    /// documents (simulator name).
    pub const SIGNATURE_ERROR: &str = "DMPInvalidSignature";
    /// The patient's DMP is closed (simulator name).
    pub const DMP_CLOSED: &str = "DMPClosed";
    /// The professional is not authorised on this DMP (simulator name).
    pub const NO_AUTHORISATION: &str = "DMPAccessDenied";
    /// The transaction is not allowed in this authentication mode or for this professional
    /// (FI-526, §1.2; simulator name).
    pub const NOT_ALLOWED: &str = "DMPNotAllowed";
    /// The VIHF is missing, incomplete or inconsistent (SOAP fault subcode; simulator name).
    pub const INVALID_VIHF: &str = "DMPInvalidVIHF";
    /// The VIHF signature does not verify (SOAP fault subcode; simulator name).
    pub const INVALID_VIHF_SIGNATURE: &str = "DMPInvalidSignature";
    /// The envelope or addressing headers are wrong (SOAP fault subcode; simulator name).
    pub const INVALID_REQUEST: &str = "DMPInvalidRequest";
    /// The action does not match the service path (WS-Addressing 1.0 SOAP Binding §6.4.1).
    pub const ACTION_NOT_SUPPORTED: &str = "ActionNotSupported";
    /// The simulator's injected internal error.
    pub const INTERNAL_ERROR: &str = "DMPInternalError";
}

/// One `RegistryError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// `@errorCode`.
    pub code: &'static str,
    /// `@codeContext`: what is wrong, naming metadata, never patient data.
    pub context: String,
    /// `@location`: the object at fault (its symbolic id or uniqueId), when known.
    pub location: Option<String>,
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Answered with a SOAP fault `soap:Sender` (HTTP 500).
    Fault {
        /// Subcode local name ([`codes`]).
        subcode: &'static str,
        /// Reason text.
        reason: String,
    },
    /// Answered with a `Failure` response of the transaction.
    Registry(Vec<RegistryError>),
}

impl Refusal {
    /// A SOAP fault refusal.
    pub fn fault(subcode: &'static str, reason: impl Into<String>) -> Self {
        Self::Fault {
            subcode,
            reason: reason.into(),
        }
    }

    /// A single `RegistryError`.
    pub fn registry(code: &'static str, context: impl Into<String>) -> Self {
        Self::Registry(vec![RegistryError {
            code,
            context: context.into(),
            location: None,
        }])
    }

    /// A single `RegistryError` with a location.
    pub fn registry_at(
        code: &'static str,
        context: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Self::Registry(vec![RegistryError {
            code,
            context: context.into(),
            location: Some(location.into()),
        }])
    }

    /// An invalid-VIHF fault.
    pub fn vihf(reason: impl Into<String>) -> Self {
        Self::fault(codes::INVALID_VIHF, reason)
    }
}
