//! Data types shared by the reader, the builders and the XDS metadata: HL7 `II` identifiers,
//! `CD` codes and redacting wrappers for patient data.

use std::fmt;

use serde::{Deserialize, Serialize};

/// HL7 v3 `II` instance identifier: an OID `root` and an optional `extension`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceId {
    /// OID (or UUID) of the assigning authority.
    pub root: String,
    /// Identifier within the root, when the root alone is not the identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

impl InstanceId {
    /// An identifier with a root and an extension.
    pub fn new(root: impl Into<String>, extension: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            extension: Some(extension.into()),
        }
    }

    /// An identifier made of a root only (e.g. a document OID).
    pub fn root_only(root: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            extension: None,
        }
    }

    /// XDS `uniqueId` form: `root^extension`, or `root` alone (IHE ITI TF-3 4.2.3.2.26).
    pub fn to_xds(&self) -> String {
        match &self.extension {
            Some(e) => format!("{}^{}", self.root, e),
            None => self.root.clone(),
        }
    }
}

impl fmt::Debug for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.extension {
            Some(e) => write!(f, "{}^{}", self.root, e),
            None => write!(f, "{}", self.root),
        }
    }
}

/// HL7 v3 `CD`/`CE` coded value: the DMP checks the code, the code system and the display
/// name together (DMP guide §6.1, quoted in cda.md §1a).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Code {
    /// Code.
    pub code: String,
    /// Code system OID.
    #[serde(rename = "codeSystem")]
    pub code_system: String,
    /// Display name.
    #[serde(
        rename = "displayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
}

impl Code {
    /// A code with its system and display name.
    pub fn new(code: &str, system: &str, display: &str) -> Self {
        Self {
            code: code.into(),
            code_system: system.into(),
            display_name: Some(display.into()),
        }
    }
}

/// Patient-identifying text (name, identifier, date of birth). `Debug` and `Display` print
/// `<redacted>`; read it through [`PatientText::expose`] (common rules: no patient data in logs).
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatientText(String);

impl PatientText {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The value, explicitly.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PatientText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for PatientText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A patient identifier (`recordTarget/patientRole/id`), redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PatientId {
    /// Assigning authority OID.
    pub root: String,
    /// Identifier value (patient data).
    pub extension: PatientText,
}

impl fmt::Debug for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}^<redacted>", self.root)
    }
}

/// OIDs of the INS assigning authorities: INS-NIR, INS-NIA, INS-NIR de test, INS-NIA de test
/// (ANS référentiel INS; cda.md §2 "INS roots").
pub const INS_OIDS: [&str; 4] = [
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];

impl PatientId {
    /// Whether this identifier is an INS (its root is one of [`INS_OIDS`]).
    pub fn is_ins(&self) -> bool {
        INS_OIDS.contains(&self.root.as_str())
    }
}
