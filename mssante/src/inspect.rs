//! Inspection of the IHE_XDM attachment: the facts `X-MSS-CODECDA` and `X-MSS-INS` are computed
//! from (Référentiel #2 ECO.2.4.1 / ECO.2.4.2, spec §1.3), and the contents handed to a reader.
//!
//! The XDM package and the CDA header are read by `segur-dmp-cda` (zip-slip and bomb limits,
//! no DTD, no entity expansion), never by a parser of this crate.

use crate::MssError;
use segur_dmp_cda::read::ReadLimits as CdaLimits;
use segur_dmp_cda::{CdaHeader, XdmLimits, XdmPackage};

/// What the MSSanté headers need to know about one CDA document inside the XDM package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdaFacts {
    /// The `code/@code` of the CDA header (CI-SIS document type, e.g. LOINC `34112-3`).
    pub type_code: String,
    /// Whether the CDA carries a qualified INS: an INS identifier (INS authority OID and a
    /// matricule with a valid key) and the four strict traits used for qualification (birth
    /// name, first given name, birth date, sex), spec §1.3.
    pub qualified_ins: bool,
}

/// Whether a CDA header carries a qualified INS (spec §1.3, ECO.2.4.2).
pub fn has_qualified_ins(header: &CdaHeader) -> bool {
    let p = &header.patient;
    let ins_ok = p
        .ins_ids()
        .any(|id| segur_ins::Ins::from_parts(id.extension.expose(), &id.root).is_ok());
    let present = |t: &Option<segur_dmp_cda::PatientText>| {
        t.as_ref().is_some_and(|t| !t.expose().trim().is_empty())
    };
    ins_ok
        && present(&p.birth_name)
        && present(&p.first_given_name)
        && present(&p.birth_time)
        && p.gender
            .as_ref()
            .is_some_and(|g| matches!(g.expose(), "M" | "F"))
}

/// A read IHE_XDM attachment: the package and the headers of its CDA documents.
#[derive(Debug)]
pub struct XdmContents {
    /// The package (documents, metadata, README).
    pub package: XdmPackage,
    /// Headers of the CDA documents, in archive order.
    pub headers: Vec<CdaHeader>,
}

impl XdmContents {
    /// Reads an IHE_XDM.ZIP and the header of every CDA in it.
    pub fn read(package: &[u8]) -> Result<Self, MssError> {
        let package = XdmPackage::unpack(package, &XdmLimits::default())?;
        let headers = package
            .cda_documents()
            .map(|d| {
                segur_dmp_cda::read_header(&d.bytes, &CdaLimits::default()).map_err(|source| {
                    MssError::XdmCda {
                        path: d.path.clone(),
                        source,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { package, headers })
    }

    /// The facts the MSSanté headers are computed from.
    pub fn facts(&self) -> Vec<CdaFacts> {
        self.headers
            .iter()
            .map(|h| CdaFacts {
                type_code: h.type_code.code.clone(),
                qualified_ins: has_qualified_ins(h),
            })
            .collect()
    }

    /// The PDF documents of the package.
    pub fn pdfs(&self) -> impl Iterator<Item = &segur_dmp_cda::XdmDocument> {
        self.package.documents().filter(|d| {
            d.entry
                .as_ref()
                .is_some_and(|e| e.mime_type.eq_ignore_ascii_case("application/pdf"))
                || d.bytes.starts_with(b"%PDF-")
        })
    }
}

/// Reads the CDA documents of an IHE_XDM.ZIP package.
pub fn inspect_xdm(package: &[u8]) -> Result<Vec<CdaFacts>, MssError> {
    Ok(XdmContents::read(package)?.facts())
}
