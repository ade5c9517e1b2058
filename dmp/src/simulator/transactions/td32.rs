//! TD3.2, RetrieveDocumentSet (ITI-43, MTOM response; `shared/specs/dmp.md` §7, §11.1 item
//! 10). A `DocumentUniqueId` that is not an OID (an entryUUID sent instead) is
//! `XDSDocumentUniqueIdError`; another repository is `XDSUnknownRepositoryId`; a document the
//! registry does not hold for this patient, or hides from this professional, is
//! `XDSMissingDocument`. Some documents found and some not: `PartialSuccess`. INDIRECTE mode
//! has no TD3.2 (FI-526, §1.2). The bytes returned are the bytes fed.

use segur_net::xml::{XmlWriteError, XmlWriter};

use super::{Answer, Request, gate, is_oid, status, write_errors, write_failed};
use crate::simulator::ebrim::{IHE_NS, RS_NS};
use crate::simulator::refusal::{Refusal, RegistryError, codes};
use crate::simulator::vihf::Mode;
use crate::simulator::{REPOSITORY_UNIQUE_ID, Shared};

struct Found {
    unique_id: String,
    mime_type: String,
    content_id: String,
}

fn write(found: &[Found], errors: &[RegistryError]) -> Result<String, XmlWriteError> {
    let st = match (found.is_empty(), errors.is_empty()) {
        (_, true) => status::SUCCESS,
        (true, false) => status::FAILURE,
        (false, false) => status::PARTIAL_SUCCESS,
    };
    let mut w = XmlWriter::new();
    w.start(
        "ihe:RetrieveDocumentSetResponse",
        &[("xmlns:ihe", IHE_NS), ("xmlns:rs", RS_NS)],
    )?;
    w.start("rs:RegistryResponse", &[("status", st)])?;
    write_errors(&mut w, errors)?;
    w.end()?;
    for f in found {
        w.start("ihe:DocumentResponse", &[])?;
        w.element("ihe:RepositoryUniqueId", &[], REPOSITORY_UNIQUE_ID)?;
        w.element("ihe:DocumentUniqueId", &[], &f.unique_id)?;
        w.element("ihe:mimeType", &[], &f.mime_type)?;
        w.start("ihe:Document", &[])?;
        segur_net::soap::mtom::write_xop_include(&mut w, &f.content_id)?;
        w.end()?;
        w.end()?;
    }
    w.end()?;
    w.finish()
}

/// The failure response for `errors`.
pub(super) fn failure(errors: &[RegistryError]) -> Result<String, XmlWriteError> {
    write(&[], errors)
}

pub(super) fn handle(req: &Request<'_, '_>, shared: &Shared) -> Result<Answer, Refusal> {
    let body = req
        .envelope
        .body_content()
        .filter(|b| b.name.is(IHE_NS, "RetrieveDocumentSetRequest"))
        .ok_or_else(|| {
            Refusal::registry(
                codes::REGISTRY_ERROR,
                "the body is not a RetrieveDocumentSetRequest",
            )
        })?;
    if req.vihf.mode == Mode::Indirecte {
        return Err(Refusal::registry(
            codes::NOT_ALLOWED,
            "TD3.2 is not allowed in INDIRECTE mode (FI-526)",
        ));
    }
    gate(req, shared, true)?;
    let mut errors = Vec::new();
    let mut found = Vec::new();
    let mut attachments = Vec::new();
    let requests: Vec<_> = body.children_named(IHE_NS, "DocumentRequest").collect();
    if requests.is_empty() {
        return Err(Refusal::registry(
            codes::REGISTRY_ERROR,
            "no DocumentRequest",
        ));
    }
    for (n, dr) in requests.into_iter().enumerate() {
        let text = |l: &str| dr.child(IHE_NS, l).map(|e| e.text()).unwrap_or_default();
        let (repo, unique) = (text("RepositoryUniqueId"), text("DocumentUniqueId"));
        let err = |code, context: &str, location: &str| RegistryError {
            code,
            context: context.to_owned(),
            location: Some(location.chars().take(128).collect()),
        };
        if !is_oid(&unique) {
            errors.push(err(
                codes::DOCUMENT_UNIQUE_ID_ERROR,
                "DocumentUniqueId is not an OID (an entryUUID is not a uniqueId)",
                &unique,
            ));
            continue;
        }
        if repo != REPOSITORY_UNIQUE_ID {
            errors.push(err(
                codes::UNKNOWN_REPOSITORY,
                "unknown RepositoryUniqueId",
                &repo,
            ));
            continue;
        }
        let doc = shared.with_registry(|r| {
            let e = r.latest(&unique).filter(|e| {
                e.patient == req.vihf.patient && e.visible_to(&req.vihf.professional)
            })?;
            Some((e.entry.mime_type.clone(), r.document(e)?.to_vec()))
        });
        match doc {
            Some((mime_type, bytes)) => {
                let content_id = format!("document{}@segur-dmp-simulator", n + 1);
                found.push(Found {
                    unique_id: unique,
                    mime_type,
                    content_id: content_id.clone(),
                });
                attachments.push((content_id, bytes));
            }
            None => errors.push(err(
                codes::MISSING_DOCUMENT_RETRIEVE,
                "no such document for this patient",
                &unique,
            )),
        }
    }
    Ok(Answer::Mtom(
        write(&found, &errors).map_err(write_failed)?,
        attachments,
    ))
}
