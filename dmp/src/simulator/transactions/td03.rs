//! TD0.3, setAuthorization (`shared/specs/dmp.md` §4): `action` AJOUT or SUPPRESSION for the
//! patient named by the VIHF resource-id; answered `output/status` `DMPOk` and a context text.
//! Refused in INDIRECTE mode (FI-526, §1.2: indirect mode has no TD0.3). AIR is allowed (its
//! matrix, FI-606, is not readable: TO VERIFY).

use segur_net::xml::{XmlWriteError, XmlWriter};

use super::{Answer, Request, gate, write_failed};
use crate::simulator::Shared;
use crate::simulator::refusal::{Refusal, codes};
use crate::simulator::vihf::Mode;

/// Namespace of the Habilitations service (WSDL `Habilitations.wsdl`).
pub const HAB_NS: &str = "urn:si-dmp-habilitations";

fn response(context: &str) -> Result<String, XmlWriteError> {
    let mut w = XmlWriter::new();
    w.start("hab:setAuthorizationResponse", &[("xmlns:hab", HAB_NS)])?;
    w.start("hab:output", &[])?;
    w.element("hab:status", &[], "DMPOk")?;
    w.element("hab:context", &[], context)?;
    w.end()?;
    w.end()?;
    w.finish()
}

pub(super) fn handle(req: &Request<'_, '_>, shared: &Shared) -> Result<Answer, Refusal> {
    let body = req
        .envelope
        .body_content()
        .filter(|b| b.name.is(HAB_NS, "setAuthorization"))
        .ok_or_else(|| {
            Refusal::fault(codes::INVALID_REQUEST, "the body is not a setAuthorization")
        })?;
    let action = body
        .child(HAB_NS, "action")
        .map(|a| a.text())
        .ok_or_else(|| Refusal::fault(codes::INVALID_REQUEST, "setAuthorization has no action"))?;
    let grant = match action.as_str() {
        "AJOUT" => true,
        "SUPPRESSION" => false,
        _ => {
            return Err(Refusal::fault(
                codes::INVALID_REQUEST,
                "setAuthorization action is neither AJOUT nor SUPPRESSION",
            ));
        }
    };
    if let Some(role) = body.child(HAB_NS, "role")
        && role.text() != "MEDECIN_TRAITANT"
    {
        return Err(Refusal::fault(
            codes::INVALID_REQUEST,
            "setAuthorization role is not MEDECIN_TRAITANT",
        ));
    }
    if req.vihf.mode == Mode::Indirecte {
        return Err(Refusal::fault(
            codes::NOT_ALLOWED,
            "TD0.3 is not allowed in INDIRECTE mode (FI-526)",
        ));
    }
    if let Err(Refusal::Registry(errors)) = gate(req, shared, false) {
        let code = errors.first().map_or(codes::REGISTRY_ERROR, |e| e.code);
        let reason = errors
            .first()
            .map_or_else(|| "refused".to_owned(), |e| e.context.clone());
        return Err(Refusal::fault(code, reason));
    }
    let implicit = shared.rules.implicit_authorisation;
    let changed = shared.with_registry(|r| {
        r.set_authorisation(&req.vihf.patient, &req.vihf.professional, grant, implicit)
    });
    let context = match (grant, changed) {
        (true, true) => "Autorisation ajoutée",
        (true, false) => "Autorisation déjà présente aucune action effectuée",
        (false, true) => "Autorisation supprimée",
        (false, false) => "Autorisation absente aucune action effectuée",
    };
    Ok(Answer::Soap(response(context).map_err(write_failed)?))
}
