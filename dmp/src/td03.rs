//! TD0.3 `setAuthorization`: the professional declares or removes their own authorisation on
//! the patient's DMP (`shared/specs/dmp.md` §4; WSDL `Habilitations.wsdl`). The patient is the
//! VIHF resource-id: the body names no patient. Indirect mode may not call it (FI-526, §1.2).

use segur_net::xml::{Element, XmlWriter};

use crate::error::{DmpError, RequestError};
use crate::response::{child, expect};

/// Namespace of the habilitation service.
pub const NS_HAB: &str = "urn:si-dmp-habilitations";

/// `action` of `setAuthorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationAction {
    /// `AJOUT`: declare the authorisation.
    Add,
    /// `SUPPRESSION`: remove it.
    Remove,
}

/// Writes the `setAuthorization` body; `treating_doctor` adds `role` `MEDECIN_TRAITANT` (CS).
pub fn request_body(
    action: AuthorizationAction,
    treating_doctor: bool,
) -> Result<String, RequestError> {
    let mut w = XmlWriter::new();
    w.start("setAuthorization", &[("xmlns", NS_HAB)])?;
    w.element(
        "action",
        &[],
        match action {
            AuthorizationAction::Add => "AJOUT",
            AuthorizationAction::Remove => "SUPPRESSION",
        },
    )?;
    if treating_doctor {
        w.element("role", &[], "MEDECIN_TRAITANT")?;
    }
    w.end()?;
    Ok(w.finish()?)
}

/// The answer of the DMP-specific services: `output/status` and `output/context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOutput {
    /// `DMPOk` on success (other values TO VERIFY).
    pub status: String,
    /// The DMP's comment (e.g. "Autorisation déjà présente aucune action effectuée").
    pub context: String,
}

/// Reads `setAuthorizationResponse`; a status other than `DMPOk` is
/// [`DmpError::Refused`].
pub fn read_response(body: &Element<'_>) -> Result<ServiceOutput, DmpError> {
    let root = expect(body, NS_HAB, "setAuthorizationResponse")?;
    let output = child(root, NS_HAB, "output")?;
    let status = child(output, NS_HAB, "status")?.text();
    let context = output
        .child(NS_HAB, "context")
        .map(Element::text)
        .unwrap_or_default();
    if status != "DMPOk" {
        return Err(DmpError::Refused {
            code: status.chars().take(64).collect(),
        });
    }
    Ok(ServiceOutput { status, context })
}
