//! TD2.1 feed and replacement: ITI-41 `ProvideAndRegisterDocumentSetRequest` over MTOM
//! (`shared/specs/dmp.md` §5).
//!
//! The XDS metadata come from `segur_dmp_cda` (`xds` derives the DocumentEntry and
//! SubmissionSet from the CDA header, `ebrim` writes the `SubmitObjectsRequest`). This module
//! adds what the DMP needs on top: the `ihe:Document` parts referenced by `xop:Include`
//! (Document@id = ExtrinsicObject@id, §5.1), the RPLC association of a replacement (§5.5), and,
//! when given, the XAdES-signed submission-set signature as its own document entry with the
//! `signs` association (§5.2 "Signature entry", §5.3).

use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, Submission, SubmissionSet};
use segur_dmp_cda::{Code, ebrim};
use segur_net::sign::Signer;
use segur_net::soap::SoapVersion;
use segur_net::soap::mtom::{Attachment, MtomOutput, write_mtom};
use segur_net::xml::XmlWriter;
use segur_net::xmldsig::DigestAlgorithm;
use segur_net::xmldsig::xades::{ManifestDocument, SigningTime, SubmissionSetSignature};

use crate::error::{DmpError, RequestError};
use crate::patient::DmpPatient;
use crate::td32::NS_XDSB;
use crate::transaction::{RequestEnvelope, Transaction};

/// A CDA ready to feed: its bytes, its header and its derived metadata.
#[derive(Clone)]
pub struct FeedDocument {
    bytes: Vec<u8>,
    entry: DocumentEntry,
    patient: DmpPatient,
}

impl std::fmt::Debug for FeedDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedDocument")
            .field("unique_id", &self.entry.unique_id)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl FeedDocument {
    /// Reads the CDA header of `bytes` (hardened reader) and derives its DocumentEntry. The
    /// patient is the CDA's INS (`recordTarget/patientRole/id`): a document the SDK built from
    /// a `QualifiedIdentity` carries only that (§11.1 item 4: the VIHF resource-id, submission
    /// set, entry and CDA patient must be one).
    pub fn from_cda(bytes: Vec<u8>, options: &DeriveOptions) -> Result<Self, DmpError> {
        let header = segur_dmp_cda::read_header(&bytes, &Default::default())
            .map_err(|e| DmpError::Document(e.to_string()))?;
        let ins = header
            .patient
            .ins()
            .ok_or_else(|| DmpError::Document("the CDA has no patient INS".into()))?
            .map_err(|e| DmpError::Document(e.to_string()))?;
        // A CDA R2 niveau 1 (XDS-SD) takes the formatCode of its body's media type (ASS_A12),
        // which the header reader does not see: only such a document is read whole.
        let is_sd = header
            .template_ids
            .iter()
            .any(|t| t.root == segur_dmp_cda::xds::TEMPLATE_XDS_SD);
        let media_type = match options.format_code {
            None if is_sd => match segur_dmp_cda::read(&bytes)
                .map_err(|e| DmpError::Document(e.to_string()))?
                .body
            {
                segur_dmp_cda::read::CdaBody::NonXml(body) => Some(body.media_type),
                _ => None,
            },
            _ => None,
        };
        let entry = DocumentEntry::derive(&header, &bytes, media_type.as_deref(), options)
            .map_err(|e| DmpError::Document(e.to_string()))?;
        Ok(Self {
            bytes,
            entry,
            patient: DmpPatient::attested_qualified(ins),
        })
    }

    /// A CDA whose DocumentEntry was given with it and checked against its header by the
    /// caller (an IHE_XDM's METADATA.XML, [`crate::from_xdm`]).
    pub(crate) fn from_checked_entry(
        bytes: Vec<u8>,
        entry: DocumentEntry,
        patient: DmpPatient,
    ) -> Self {
        Self {
            bytes,
            entry,
            patient,
        }
    }

    /// The XDS uniqueId (the CDA `ClinicalDocument/id`).
    pub fn unique_id(&self) -> &str {
        &self.entry.unique_id
    }
    /// The patient.
    pub fn patient(&self) -> &DmpPatient {
        &self.patient
    }
    /// The derived entry.
    pub fn entry(&self) -> &DocumentEntry {
        &self.entry
    }
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A built ITI-41 request.
#[derive(Debug, Clone)]
pub struct FeedRequest {
    /// The submission metadata.
    pub submission: Submission,
    /// The envelope and its MessageID.
    pub envelope: RequestEnvelope,
    /// The MTOM package (HTTP Content-Type and body).
    pub mtom: MtomOutput,
}

/// Options of a feed.
#[derive(Debug, Clone, Default)]
pub struct FeedOptions {
    /// sourceId of the submission set (the LPS OID).
    pub source_id: String,
    /// contentTypeCode of the submission set (JDV_J59; TO VERIFY for pharmacy documents); the
    /// document's typeCode when `None`.
    pub content_type: Option<Code>,
    /// entryUUID of the document this feed replaces (RPLC, §5.5), from a TD3.1 search.
    pub replaces_entry_uuid: Option<String>,
}

const SIGNS: &str = "urn:ihe:iti:2007:AssociationType:signs";

/// The signature entry of a submission set (§5.2 "Signature entry"; EX, CS, DB): the
/// document's entry with the codes of a digital signature, signed at `time` (XDS UTC).
fn signature_entry(document: &DocumentEntry, xml: &[u8], time: &str) -> DocumentEntry {
    let mut e = document.clone();
    e.entry_uuid = segur_dmp_cda::xds::new_entry_uuid();
    e.unique_id = segur_dmp_cda::xds::new_uuid_oid();
    e.class_code = Some(Code::new(
        "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1",
        "URN",
        "Digital Signature",
    ));
    e.type_code = Some(Code::new("E1762", "ASTM", "Full Document"));
    e.format_code = Some(Code::new(
        "http://www.w3.org/2000/09/xmldsig#",
        "URN",
        "Default Signature Style",
    ));
    e.confidentiality = vec![
        Code::new("N", "2.16.840.1.113883.5.25", "Normal"),
        Code::new(
            "MASQUE_PS",
            crate::td33::OID_TRE_A07,
            "Masqué aux professionnels de santé",
        ),
        Code::new(
            "INVISIBLE_PATIENT",
            crate::td33::OID_TRE_A07,
            "Non visible par le patient",
        ),
    ];
    e.event_codes = vec![Code::new(
        "1.2.840.10065.1.12.1.14",
        "1.2.840.10065.1.12",
        "Source",
    )];
    e.creation_time = Some(time.to_owned());
    e.service_start_time = Some(time.to_owned());
    e.service_stop_time = Some(time.to_owned());
    e.language_code = Some("art".to_owned());
    e.title = Some("Source".to_owned());
    e.legal_authenticator = document.authors.first().and_then(|a| a.person.clone());
    e.source_patient_id = document.patient_id.clone();
    e.source_patient_info = Vec::new();
    e.mime_type = "text/xml".to_owned();
    e.hash = Some(segur_dmp_cda::xds::sha1_hex(xml));
    e.size = Some(xml.len() as u64);
    e
}

/// The XAdES signature of `set` over `documents` (§5.3) made with `signer`, and its entry.
fn sign_submission_set(
    set: &SubmissionSet,
    documents: &[FeedDocument],
    signer: &mut dyn Signer,
) -> Result<(Vec<u8>, DocumentEntry), DmpError> {
    let now = chrono::Utc::now();
    let time = SigningTime::parse(&now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))?;
    let limits = segur_net::xml::XmlLimits::default();
    let mut signature = SubmissionSetSignature::new(
        &format!("S{}", uuid::Uuid::new_v4().simple()),
        &set.unique_id,
        time,
    )?;
    for d in documents {
        signature = signature.document(ManifestDocument::new(
            &d.entry.unique_id,
            &d.bytes,
            DigestAlgorithm::Sha1,
            limits,
        )?);
    }
    let xml = signature.sign(signer, limits)?;
    let entry = signature_entry(
        &documents_first(documents)?.entry,
        &xml,
        &now.format("%Y%m%d%H%M%S").to_string(),
    );
    Ok((xml, entry))
}

fn documents_first(documents: &[FeedDocument]) -> Result<&FeedDocument, RequestError> {
    documents
        .first()
        .ok_or(RequestError::Invalid("feed without document"))
}

/// Writes the ITI-41 request for `documents` (one patient), with the XAdES signature of the
/// submission set made by `signer` when given (mandatory for the DMP, §5.3; optional here for
/// tests of the other rules); `assertion` is the VIHF, `to` the repository URL.
pub fn build(
    documents: &[FeedDocument],
    signer: Option<&mut dyn Signer>,
    options: &FeedOptions,
    assertion: &str,
    to: &str,
) -> Result<FeedRequest, DmpError> {
    let first = documents_first(documents)?;
    if documents.iter().any(|d| d.patient != first.patient) {
        return Err(RequestError::Invalid("documents of several patients in one feed").into());
    }
    if options.replaces_entry_uuid.is_some() && documents.len() != 1 {
        return Err(RequestError::Invalid("a replacement carries one document").into());
    }
    let mut entries: Vec<DocumentEntry> = documents.iter().map(|d| d.entry.clone()).collect();
    let set = SubmissionSet::for_entry(
        &first.entry,
        &options.source_id,
        options.content_type.clone(),
    );
    let signature = match signer {
        Some(signer) => Some(sign_submission_set(&set, documents, signer)?),
        None => None,
    };
    if let Some((_, entry)) = &signature {
        entries.push(entry.clone());
    }
    let mut submission = Submission::new(set, entries);
    if let Some(old) = &options.replaces_entry_uuid {
        submission.replace(&first.entry.entry_uuid, old);
    }
    let sor = ebrim::write(&submission);
    let sor = sor
        .split_once("?>")
        .map_or(sor.as_str(), |(_, rest)| rest)
        .trim();
    // The `signs` association (signature entry → submission set, with SubmissionSetStatus as
    // EX) goes inside the RegistryObjectList the ebRIM writer closes last.
    let sor = match &signature {
        Some((_, entry)) => {
            let signs = format!(
                "<rim:Association id=\"urn:uuid:{}\" associationType=\"{SIGNS}\" sourceObject=\"{}\" targetObject=\"{}\"><rim:Slot name=\"SubmissionSetStatus\"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot></rim:Association>",
                uuid::Uuid::new_v4(),
                segur_net::xml::escape_attribute(&entry.entry_uuid).map_err(RequestError::from)?,
                segur_net::xml::escape_attribute(&submission.submission_set.entry_uuid)
                    .map_err(RequestError::from)?,
            );
            let close = "</rim:RegistryObjectList></lcm:SubmitObjectsRequest>";
            let head = sor
                .strip_suffix(close)
                .ok_or(RequestError::Invalid("ebRIM writer output"))?;
            format!("{head}{signs}{close}")
        }
        None => sor.to_owned(),
    };
    let mut parts: Vec<(String, &[u8])> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| (format!("document{}@segur", i + 1), d.bytes.as_slice()))
        .collect();
    if let Some((xml, _)) = &signature {
        parts.push(("signature@segur".to_owned(), xml.as_slice()));
    }
    let mut w = XmlWriter::new();
    w.start(
        "xdsb:ProvideAndRegisterDocumentSetRequest",
        &[("xmlns:xdsb", NS_XDSB)],
    )
    .map_err(RequestError::from)?;
    w.fragment(&sor).map_err(RequestError::from)?;
    for (entry, (cid, _)) in submission.documents.iter().zip(&parts) {
        w.start("xdsb:Document", &[("id", &entry.entry_uuid)])
            .map_err(RequestError::from)?;
        segur_net::soap::mtom::write_xop_include(&mut w, cid).map_err(RequestError::from)?;
        w.end().map_err(RequestError::from)?;
    }
    w.end().map_err(RequestError::from)?;
    let body = w.finish().map_err(RequestError::from)?;
    let envelope = crate::transaction::envelope(Transaction::Td21Feed, to, assertion, &body)?;
    let attachments: Vec<Attachment<'_>> = parts
        .iter()
        .map(|(cid, data)| Attachment {
            content_id: cid,
            content_type: "application/octet-stream",
            data,
        })
        .collect();
    let boundary = format!("MIMEBoundary_{}", uuid::Uuid::new_v4().simple());
    let mtom = write_mtom(
        SoapVersion::Soap12,
        &envelope.xml,
        Some(Transaction::Td21Feed.action()),
        &attachments,
        &boundary,
    )
    .map_err(|e| RequestError::Soap(e.into()))?;
    Ok(FeedRequest {
        submission,
        envelope,
        mtom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bilan partagé de médication (N1, PDF body) is fed with the XDS-SD PDF formatCode, the
    /// vaccination note with its volet's.
    #[test]
    fn an_n1_document_gets_the_format_code_of_its_body() {
        let format = |ty: &str| {
            let cda = segur_dmp_cda::build::examples::example(ty)
                .unwrap()
                .unwrap()
                .build()
                .unwrap();
            let doc = FeedDocument::from_cda(cda.into_bytes(), &DeriveOptions::default()).unwrap();
            doc.entry().format_code.clone().unwrap().code
        };
        assert_eq!(format("bpm"), "urn:ihe:iti:xds-sd:pdf:2008");
        assert_eq!(format("vaccination-note"), "urn:asip:ci-sis:vac-note:2021");
    }
}
