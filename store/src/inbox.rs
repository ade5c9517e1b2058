//! The MSSanté inbox filed into the store: [`sync`].
//!
//! For each message not yet flagged processed (`segur_mssante::imap`), in UID order:
//! 1. read it (`segur_mssante::read`; an unreadable message is left unflagged and counted, so
//!    it is never lost);
//! 2. unpack each IHE_XDM attachment with every limit of the XDM reader
//!    (`segur_dmp_cda::xdm`), read each CDA header (`segur_dmp_cda::read_header`) and decide
//!    where each document goes ([`crate::vigilance`]); a package the reader refuses is kept
//!    whole for review ([`ReviewReason::MalformedXdm`]), and every other attachment (a PDF
//!    alone) is kept for review ([`ReviewReason::NotXdm`]): nothing is dropped;
//! 3. file the message and its documents in one transaction ([`DocumentStore::file_message`]);
//! 4. send the MDN when the sender asked for one (RFC 8098, ANS IG struct-msg-mdn) and the
//!    store has no record of it being sent, also for a message re-delivered after a crash that
//!    came before its MDN (its disposition then comes from the stored review reasons);
//! 5. only then flag the message processed. A crash before the flag re-delivers the message;
//!    its UIDVALIDITY + UID and Message-ID record makes the second filing a no-op.

use crate::document_store::DocumentStore;
use crate::error::InboxError;
use crate::model::{
    FilingOutcome, MessageFiling, MessageRecord, NewDocument, Origin, Placement, ReviewReason,
};
use crate::vigilance;
use segur_dmp_cda::read::ReadLimits as CdaLimits;
use segur_dmp_cda::{XdmLimits, XdmPackage};
use segur_mssante::imap::{ImapSession, ImapSettings};
use segur_mssante::mdn::{AnsErrorCode, Disposition, MdnBuilder};
use segur_mssante::read::{AttachmentKind, ReceivedMessage};
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::{MailAddress, ProductReference};
use std::io::Read;

/// Sending MDNs: the submission server and the identity of the answering mailbox.
#[derive(Clone, Debug)]
pub struct MdnSettings {
    /// Submission server.
    pub smtp: SmtpSettings,
    /// The mailbox that received the messages (`Final-Recipient`, `From`).
    pub reporter: MailAddress,
    /// The LGO's product reference (`X-MSS-NIL`).
    pub nil: ProductReference,
}

/// Options of [`sync`].
#[derive(Default)]
pub struct SyncOptions<'a> {
    /// Limits of the XDM reader (defaults: those of `segur_dmp_cda`).
    pub xdm_limits: XdmLimits,
    /// Limits of the CDA header reader.
    pub cda_limits: CdaLimits,
    /// MDN sending; `None`: requested MDNs are counted in [`SyncReport::mdn_not_sent`].
    pub mdn: Option<MdnSettings>,
    /// Called after a message is committed and before it is flagged (progress display).
    pub after_filing: Option<&'a dyn Fn(&MessageRecord)>,
}

impl std::fmt::Debug for SyncOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("xdm_limits", &self.xdm_limits)
            .field("mdn", &self.mdn.is_some())
            .finish_non_exhaustive()
    }
}

/// What one synchronisation did. Counts only: no patient data.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Messages handed by the server.
    pub messages: usize,
    /// Of which filed now.
    pub filed_messages: usize,
    /// Of which filed before (re-delivered after a crash, or filed by another workstation).
    pub already_filed: usize,
    /// Of which could not be read (left unflagged, handed again next time).
    pub unreadable: usize,
    /// Documents linked to a patient automatically.
    pub filed_documents: usize,
    /// Documents listed for review.
    pub to_review: usize,
    /// MDNs sent.
    pub mdn_sent: usize,
    /// MDNs requested but not sent (no MDN settings, the address needs the user's consent,
    /// or the sending failed; the failure is not retried automatically).
    pub mdn_not_sent: usize,
    /// Messages flagged processed.
    pub flagged: usize,
}

/// The error code an MDN reports for a document that could not be filed automatically (ANS IG
/// error-codes; the IG lists them as indicative).
fn mdn_error(reason: ReviewReason) -> AnsErrorCode {
    match reason {
        ReviewReason::NoIns | ReviewReason::InsCOnly => AnsErrorCode::InsAbsent,
        ReviewReason::UnknownPatient | ReviewReason::SeveralCandidates => {
            AnsErrorCode::UnknownPatient
        }
        ReviewReason::TraitsDisagree | ReviewReason::InvalidIns => AnsErrorCode::InsMismatch,
        ReviewReason::NotXdm
        | ReviewReason::MalformedXdm
        | ReviewReason::MalformedCda
        | ReviewReason::UniqueIdConflict => AnsErrorCode::Other,
    }
}

/// The raw METADATA.XML of each subset folder (upper-cased), as received. The archive was
/// accepted by the XDM reader first, so its limits (entries, sizes, ratio) hold.
fn raw_metadata(zip_bytes: &[u8], limits: &XdmLimits) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)) else {
        return out;
    };
    for i in 0..archive.len() {
        let Ok(mut file) = archive.by_index(i) else {
            continue;
        };
        let upper = file.name().replace('\\', "/").to_ascii_uppercase();
        let Some(dir) = upper.strip_suffix("/METADATA.XML") else {
            continue;
        };
        let dir = dir.to_owned();
        let mut bytes = Vec::new();
        let cap = u64::try_from(limits.xml.max_bytes).unwrap_or(u64::MAX);
        if (&mut file).take(cap).read_to_end(&mut bytes).is_ok() {
            out.push((dir, bytes));
        }
    }
    out
}

/// The documents a message brings, each with its placement.
pub fn documents_of(
    store: &dyn DocumentStore,
    message: &ReceivedMessage,
    options: &SyncOptions<'_>,
) -> Result<Vec<NewDocument>, InboxError> {
    let mut out = Vec::new();
    for attachment in &message.attachments {
        let kept = |reason| NewDocument {
            origin: Origin::Received,
            bytes: attachment.data.clone(),
            media_type: attachment.content_type.clone(),
            file_name: attachment.name.clone(),
            entry: None,
            metadata_xml: None,
            unique_id: None,
            replaces_unique_id: None,
            placement: Placement::Review(reason),
        };
        if attachment.kind != AttachmentKind::Xdm {
            out.push(kept(ReviewReason::NotXdm));
            continue;
        }
        let package = match XdmPackage::unpack(&attachment.data, &options.xdm_limits) {
            Ok(p) => p,
            Err(_) => {
                out.push(kept(ReviewReason::MalformedXdm));
                continue;
            }
        };
        let metadata = raw_metadata(&attachment.data, &options.xdm_limits);
        for subset in &package.subsets {
            let subset_upper = subset.name.to_ascii_uppercase();
            let metadata_xml = metadata
                .iter()
                .find(|(dir, _)| dir.rsplit('/').next() == Some(subset_upper.as_str()))
                .map(|(_, b)| b.clone());
            let mut subset_docs = Vec::new();
            let mut subset_placement = None;
            for doc in &subset.documents {
                let mut placement = None;
                let mut unique_id = doc.entry.as_ref().map(|e| e.unique_id.clone());
                let mut replaces = None;
                if doc.is_xml() {
                    match segur_dmp_cda::read_header(&doc.bytes, &options.cda_limits) {
                        Ok(header) => {
                            let p = vigilance::place(store, &header.patient)?;
                            subset_placement.get_or_insert(p);
                            placement = Some(p);
                            unique_id.get_or_insert_with(|| match &header.id.extension {
                                Some(ext) => format!("{}^{ext}", header.id.root),
                                None => header.id.root.clone(),
                            });
                            replaces = header
                                .related_documents
                                .iter()
                                .find(|r| r.type_code == "RPLC")
                                .and_then(|r| r.parent_id.as_ref())
                                .map(|id| match &id.extension {
                                    Some(ext) => format!("{}^{ext}", id.root),
                                    None => id.root.clone(),
                                });
                        }
                        Err(_) => placement = Some(Placement::Review(ReviewReason::MalformedCda)),
                    }
                }
                subset_docs.push((
                    placement,
                    NewDocument {
                        origin: Origin::Received,
                        bytes: doc.bytes.clone(),
                        media_type: doc.entry.as_ref().map_or_else(
                            || "application/octet-stream".to_owned(),
                            |e| e.mime_type.clone(),
                        ),
                        file_name: doc.path.rsplit('/').next().map(str::to_owned),
                        entry: doc.entry.clone(),
                        metadata_xml: metadata_xml.clone(),
                        unique_id,
                        replaces_unique_id: replaces,
                        placement: Placement::Review(ReviewReason::NoIns),
                    },
                ));
            }
            // A non-CDA document of a subset (the PDF rendering) follows the subset's CDA.
            let fallback = subset_placement.unwrap_or(Placement::Review(ReviewReason::NoIns));
            for (placement, mut doc) in subset_docs {
                doc.placement = placement.unwrap_or(fallback);
                out.push(doc);
            }
        }
    }
    Ok(out)
}

/// Sends the MDN of a filed message; `first_review` is the reason of its first document that went
/// to review (`None`: all were filed to a patient).
fn send_mdn(
    settings: &MdnSettings,
    message: &ReceivedMessage,
    first_review: Option<ReviewReason>,
) -> Result<bool, segur_mssante::MssError> {
    let disposition = match first_review {
        None => Disposition::processed(),
        Some(r) => Disposition::processing_failed(mdn_error(r)),
    };
    let mdn = match MdnBuilder::new(
        message,
        settings.reporter.clone(),
        settings.nil.clone(),
        disposition,
    )
    .build()
    {
        Ok(m) => m,
        // The address differs from Return-Path: RFC 8098 §2.1 asks for the user's consent.
        Err(segur_mssante::MssError::Compose(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut session = SmtpSession::connect(&settings.smtp)?;
    let report = session.send(&mdn, None)?;
    let _ = session.quit();
    Ok(report.all_accepted())
}

/// Files every pending message of the mailbox into `store` (see the module documentation):
/// connects, runs [`sync_session`], logs out.
pub fn sync(
    settings: &ImapSettings,
    store: &mut dyn DocumentStore,
    options: &SyncOptions<'_>,
) -> Result<SyncReport, InboxError> {
    let mut session = ImapSession::connect(settings)?;
    let report = sync_session(&mut session, store, options)?;
    let _ = session.logout();
    Ok(report)
}

/// [`sync`] on a session the caller opened (the C API's mailbox handle).
pub fn sync_session(
    session: &mut ImapSession,
    store: &mut dyn DocumentStore,
    options: &SyncOptions<'_>,
) -> Result<SyncReport, InboxError> {
    let mut report = SyncReport::default();
    for uid in session.pending()? {
        let fetched = session.fetch(uid)?;
        report.messages += 1;
        let Ok(message) = fetched.message else {
            report.unreadable += 1;
            continue;
        };
        let record = MessageRecord {
            mailbox: fetched.key.mailbox.clone(),
            uid_validity: fetched.key.uid_validity,
            uid: fetched.key.uid,
            message_id: message.message_id.as_ref().map(|m| m.as_str().to_owned()),
        };
        let already = store.is_message_filed(&record)?;
        let documents = if already {
            Vec::new()
        } else {
            documents_of(store, &message, options)?
        };
        // `file_message` checks again inside its write transaction (another workstation).
        let outcome = if already {
            FilingOutcome::AlreadyFiled
        } else {
            store.file_message(&MessageFiling {
                message: record.clone(),
                documents: documents.clone(),
            })?
        };
        match outcome {
            FilingOutcome::Filed(_) => {
                report.filed_messages += 1;
                for d in &documents {
                    match d.placement {
                        Placement::Patient { .. } => report.filed_documents += 1,
                        Placement::Review(_) => report.to_review += 1,
                    }
                }
            }
            FilingOutcome::AlreadyFiled => report.already_filed += 1,
        }
        if let Some(observer) = options.after_filing {
            observer(&record);
        }
        let wants_mdn = message.disposition_notification_to.is_some() && message.report.is_none();
        if wants_mdn && !store.mdn_sent(&record)? {
            let sent = match &options.mdn {
                Some(mdn) => {
                    // A message filed before a crash (re-delivered, `AlreadyFiled`) still gets its
                    // MDN, with the disposition its first filing decided.
                    let first_review = match outcome {
                        FilingOutcome::Filed(_) => {
                            documents.iter().find_map(|d| match d.placement {
                                Placement::Review(r) => Some(r),
                                Placement::Patient { .. } => None,
                            })
                        }
                        FilingOutcome::AlreadyFiled => {
                            store.message_review_reasons(&record)?.first().copied()
                        }
                    };
                    send_mdn(mdn, &message, first_review).unwrap_or(false)
                }
                None => false,
            };
            if sent {
                store.record_mdn_sent(&record)?;
                report.mdn_sent += 1;
            } else {
                report.mdn_not_sent += 1;
            }
        }
        session.mark_processed(uid)?;
        report.flagged += 1;
    }
    Ok(report)
}
