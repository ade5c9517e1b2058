//! Unstructured documents (CDA R2 niveau 1, IHE XDS-SD): PDF body, structured header.
//!
//! The templateId set is exactly HL7 France + CI-SIS + XDS-SD (StrucMin rule for a
//! nonXMLBody), the body is `nonXMLBody/text mediaType="application/pdf" representation="B64"`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::BuildError;
use super::header::{self, DocKind, Header};
use super::input;
use super::xw::Xw;
use crate::jdv::{DocumentType, ValueSet};
use crate::xds::TEMPLATE_XDS_SD;

/// The pharmacist's unstructured document types (JDV_J07 codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum N1Kind {
    /// Bilan partagé de médication: 56445-0 "Bilan médicamenteux (Officine)" (mapping TO VERIFY
    /// in the Ségur LGO REM).
    Bpm,
    /// Compte rendu d'entretien pharmaceutique: 78601-2.
    Entretien,
    /// Compte rendu de consultation pharmaceutique: 93024-8.
    Consultation,
    /// Plan personnalisé de prévention: 83869-8.
    PreventionPlan,
    /// Compte rendu d'acte diagnostique à visée préventive ou de dépistage: 75492-9.
    ScreeningReport,
}

impl N1Kind {
    /// The J07 document type.
    pub fn document_type(self) -> Result<DocumentType, BuildError> {
        let code = match self {
            Self::Bpm => "56445-0",
            Self::Entretien => "78601-2",
            Self::Consultation => "93024-8",
            Self::PreventionPlan => "83869-8",
            Self::ScreeningReport => "75492-9",
        };
        DocumentType::from_code(code).ok_or(BuildError::Invalid {
            field: "kind",
            reason: format!(
                "{code} is not in JDV_J07 version {}",
                DocumentType::VALUE_SET_VERSION
            ),
        })
    }
}

/// PDF bytes; serde form: standard base64.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pdf(Vec<u8>);

impl Pdf {
    /// Wraps PDF bytes; they must start with `%PDF-`.
    pub fn new(bytes: Vec<u8>) -> Result<Self, BuildError> {
        if !bytes.starts_with(b"%PDF-") {
            return Err(BuildError::Invalid {
                field: "pdf",
                reason: "not a PDF (no %PDF- header)".into(),
            });
        }
        Ok(Self(bytes))
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Pdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pdf(<{} bytes>)", self.0.len())
    }
}

impl TryFrom<String> for Pdf {
    type Error = BuildError;
    fn try_from(s: String) -> Result<Self, BuildError> {
        let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(clean)
            .map_err(|e| BuildError::Invalid {
                field: "pdf",
                reason: e.to_string(),
            })?;
        Self::new(bytes)
    }
}

impl From<Pdf> for String {
    fn from(p: Pdf) -> String {
        base64::engine::general_purpose::STANDARD.encode(p.0)
    }
}

/// Input of an unstructured (N1) document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnstructuredDocument {
    /// Header.
    pub header: Header,
    /// Title; defaults to the type's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The PDF (PDF/A-1 recommended by the CI-SIS).
    pub pdf: Pdf,
}

impl UnstructuredDocument {
    /// Builds the CDA XML for `kind`.
    pub fn build(&self, kind: N1Kind) -> Result<String, BuildError> {
        input::check_text(self)?;
        input::check_header(&self.header)?;
        let h = &self.header;
        let ty = kind.document_type()?;
        let title = self.title.as_deref().unwrap_or(ty.display_name());
        if title.trim().is_empty() {
            return Err(BuildError::Missing("title"));
        }
        let ids = header::resolve_ids(h);
        let k = DocKind {
            templates: &[(TEMPLATE_XDS_SD, None)],
            code: ty.to_code(),
            title,
            practice_setting: h.organization.practice_setting,
            service_code: ty.to_code(),
            service_start: h.effective_time.as_str(),
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.pdf.0);
        let mut w = Xw::new(8 * 1024 + b64.len());
        header::write_header(&mut w, h, &k, &ids)?;
        header::write_service_event(&mut w, h, &k);
        header::write_tail(&mut w, h);
        header::write_encounter(&mut w, h);
        w.raw("<component><nonXMLBody><text mediaType=\"application/pdf\" representation=\"B64\">");
        w.raw(&b64);
        w.raw("</text></nonXMLBody></component></ClinicalDocument>\n");
        w.finish()
    }
}
