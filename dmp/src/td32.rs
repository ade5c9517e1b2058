//! TD3.2 retrieve: ITI-43 `RetrieveDocumentSetRequest` and its MTOM response
//! (`shared/specs/dmp.md` §7).

use segur_net::soap::XOP_NS;
use segur_net::soap::mtom::MtomPackage;
use segur_net::xml::{Element, XmlWriter};

use crate::error::{DmpError, RequestError, ResponseError};
use crate::registry::{NS_RS, read_status};
use crate::response::{child, expect};

/// IHE XDS.b namespace.
pub const NS_XDSB: &str = "urn:ihe:iti:xds-b:2007";

fn is_oid(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Writes the request for one document. The uniqueId must be an OID, never an entryUUID
/// (`XDSDocumentUniqueIdError`, §11.1 item 10); `HomeCommunityId` is omitted (§7).
pub fn request_body(repository_id: &str, unique_id: &str) -> Result<String, RequestError> {
    if !is_oid(repository_id) {
        return Err(RequestError::Invalid("RepositoryUniqueId (an OID)"));
    }
    // A DMP uniqueId is `root` or `root^extension` (CDA id, XDS uniqueId rule).
    let root = unique_id.split('^').next().unwrap_or_default();
    if !is_oid(root) || unique_id.matches('^').count() > 1 {
        return Err(RequestError::Invalid("DocumentUniqueId (an OID)"));
    }
    let mut w = XmlWriter::new();
    w.start("RetrieveDocumentSetRequest", &[("xmlns", NS_XDSB)])?;
    w.start("DocumentRequest", &[])?;
    w.element("RepositoryUniqueId", &[], repository_id)?;
    w.element("DocumentUniqueId", &[], unique_id)?;
    w.end()?;
    w.end()?;
    Ok(w.finish()?)
}

/// A retrieved document.
#[derive(Clone, PartialEq, Eq)]
pub struct RetrievedDocument {
    /// RepositoryUniqueId.
    pub repository_id: String,
    /// DocumentUniqueId.
    pub unique_id: String,
    /// mimeType.
    pub mime_type: String,
    /// The bytes, exactly as sent.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for RetrievedDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetrievedDocument")
            .field("unique_id", &self.unique_id)
            .field("mime_type", &self.mime_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Reads a `RetrieveDocumentSetResponse`: each `DocumentResponse` with its document resolved
/// through `xop:Include` in `package` (href percent-decoded), or inline base64 when no package.
pub fn read_response(
    body: &Element<'_>,
    package: Option<&MtomPackage<'_>>,
) -> Result<Vec<RetrievedDocument>, DmpError> {
    let root = expect(body, NS_XDSB, "RetrieveDocumentSetResponse")?;
    read_status(child(root, NS_RS, "RegistryResponse")?)?.into_result()?;
    let mut out = Vec::new();
    for d in root.children_named(NS_XDSB, "DocumentResponse") {
        let text = |local: &'static str| child(d, NS_XDSB, local).map(Element::text);
        let document = child(d, NS_XDSB, "Document")?;
        let bytes = match document.child(XOP_NS, "Include") {
            Some(include) => {
                let package = package.ok_or(ResponseError::Missing {
                    what: "MTOM package for xop:Include",
                    position: include.position,
                })?;
                let href = include.attribute("href").ok_or(ResponseError::Missing {
                    what: "xop:Include@href",
                    position: include.position,
                })?;
                let part = package
                    .attachment(href, include.position)
                    .map_err(|e| ResponseError::Soap(segur_net::soap::SoapError::Mtom(e)))?;
                part.body.to_vec()
            }
            None => {
                use base64::Engine as _;
                let t: String = document
                    .text()
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .map_err(|_| ResponseError::Invalid {
                        what: "inline base64 Document",
                        position: document.position,
                    })?
            }
        };
        out.push(RetrievedDocument {
            repository_id: text("RepositoryUniqueId")?,
            unique_id: text("DocumentUniqueId")?,
            mime_type: text("mimeType")?,
            bytes,
        });
    }
    Ok(out)
}
