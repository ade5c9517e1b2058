//! Reading messages handed over by a server: MIME parsing (mail-parser), MSSanté headers,
//! attachments and acknowledgement reports. A malformed or hostile message gives a typed error
//! for that message only.

use crate::MssError;
use crate::compose::{MessageId, display_subject};
use crate::dsn::DeliveryReport;
use crate::mdn::DispositionNotification;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use std::fmt;

/// Limits applied to every message read.
#[derive(Clone, Copy, Debug)]
pub struct ReadLimits {
    /// Largest message accepted, in bytes (default 64 MiB).
    pub max_message_bytes: usize,
    /// Most MIME parts accepted (default 512).
    pub max_parts: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 64 * 1024 * 1024,
            max_parts: 512,
        }
    }
}

/// What an attachment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum AttachmentKind {
    /// An IHE_XDM package (file name `IHE_XDM.ZIP`, any case, spec §2).
    Xdm,
    /// A PDF document.
    Pdf,
    /// Anything else.
    Other,
}

/// A decoded attachment.
#[derive(Clone)]
pub struct Attachment {
    /// File name, if any.
    pub name: Option<String>,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Decoded content.
    pub data: Vec<u8>,
    /// Classification.
    pub kind: AttachmentKind,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("content_type", &self.content_type)
            .field("kind", &self.kind)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// The MSSanté headers of a received message, as sent by the peer.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReceivedMssHeaders {
    /// `X-MSS-NIL`.
    pub nil: Option<String>,
    /// `X-MSS-CODECDA` values.
    pub codecda: Vec<String>,
    /// `X-MSS-INS`: `Some(true)` for `O`, `Some(false)` for `N`, `None` when absent or invalid.
    pub ins: Option<bool>,
    /// `X-MSS-MES: FIN` present.
    pub end_of_conversation: bool,
}

/// An acknowledgement report carried by a message.
#[derive(Clone, Debug)]
pub enum Report {
    /// A message disposition notification (RFC 8098).
    Disposition(DispositionNotification),
    /// A delivery status notification (RFC 3464).
    Delivery(DeliveryReport),
}

/// A parsed message. `Debug` shows no address, subject or body (they may identify a patient).
#[derive(Clone)]
pub struct ReceivedMessage {
    raw: Vec<u8>,
    /// Message-ID.
    pub message_id: Option<MessageId>,
    /// In-Reply-To ids.
    pub in_reply_to: Vec<MessageId>,
    /// References ids.
    pub references: Vec<MessageId>,
    /// From address.
    pub from: Option<String>,
    /// To and Cc addresses.
    pub recipients: Vec<String>,
    /// Subject as sent.
    pub subject: Option<String>,
    /// Date (RFC 3339), if present and valid.
    pub date: Option<String>,
    /// `Disposition-Notification-To` address: the sender asks for a read receipt.
    pub disposition_notification_to: Option<String>,
    /// `Return-Path` address added by the final MTA.
    pub return_path: Option<String>,
    /// MSSanté headers.
    pub mss: ReceivedMssHeaders,
    /// First text/plain body.
    pub text: Option<String>,
    /// First text/html body.
    pub html: Option<String>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Acknowledgement report, for `multipart/report` messages.
    pub report: Option<Report>,
}

impl fmt::Debug for ReceivedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedMessage")
            .field("message_id", &self.message_id)
            .field("bytes", &self.raw.len())
            .field("mss", &self.mss.codecda)
            .field("attachments", &self.attachments)
            .field("report", &self.report.is_some())
            .finish()
    }
}

fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<MessageId> {
    match value {
        mail_parser::HeaderValue::Text(t) => MessageId::parse(t).into_iter().collect(),
        mail_parser::HeaderValue::TextList(l) => {
            l.iter().filter_map(|t| MessageId::parse(t).ok()).collect()
        }
        _ => Vec::new(),
    }
}

fn first_address(a: Option<&mail_parser::Address<'_>>) -> Option<String> {
    a.and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_owned)
}

fn angle_address(raw: &str) -> Option<String> {
    let v = raw.trim();
    let v = match (v.find('<'), v.rfind('>')) {
        (Some(s), Some(e)) if s < e => v.get(s + 1..e).unwrap_or(v),
        _ => v,
    };
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Checks that the input starts with a header field, so that random bytes are not taken for a
/// message whose whole content is a body.
fn check_header_section(raw: &[u8]) -> Result<(), MssError> {
    let first_line_end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    let line = raw.get(..first_line_end).unwrap_or(raw);
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(MssError::Malformed {
            position: 0,
            reason: "no header field on the first line",
        })?;
    let name = line.get(..colon).unwrap_or_default();
    if name.is_empty() || !name.iter().all(|b| (0x21..0x7f).contains(b)) {
        // "From " mbox separators are not header fields either.
        return Err(MssError::Malformed {
            position: 0,
            reason: "invalid header field name",
        });
    }
    Ok(())
}

impl ReceivedMessage {
    /// Parses a message with the default [`ReadLimits`].
    pub fn parse(raw: &[u8]) -> Result<Self, MssError> {
        Self::parse_with(raw, &ReadLimits::default())
    }

    /// Parses a message.
    ///
    /// The MIME parser (mail-parser 0.11) panics on some malformed nestings (a `message/rfc822`
    /// part whose multipart it cannot find); such a message is refused as malformed, never a
    /// crash of the caller's process.
    pub fn parse_with(raw: &[u8], limits: &ReadLimits) -> Result<Self, MssError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Self::parse_unguarded(raw, limits)
        }))
        .unwrap_or(Err(MssError::Malformed {
            position: 0,
            reason: "MIME structure the parser cannot represent",
        }))
    }

    fn parse_unguarded(raw: &[u8], limits: &ReadLimits) -> Result<Self, MssError> {
        if raw.is_empty() {
            return Err(MssError::Malformed {
                position: 0,
                reason: "empty message",
            });
        }
        if raw.len() > limits.max_message_bytes {
            return Err(MssError::TooLarge {
                size: raw.len(),
                limit: limits.max_message_bytes,
            });
        }
        check_header_section(raw)?;
        let msg = MessageParser::default()
            .parse(raw)
            .ok_or(MssError::Malformed {
                position: 0,
                reason: "not an RFC 5322 message",
            })?;
        if msg.parts.len() > limits.max_parts {
            return Err(MssError::Malformed {
                position: 0,
                reason: "too many MIME parts",
            });
        }

        let header_text = |name: &str| msg.header_raw(name).map(|v| v.trim().to_owned());
        let mss = ReceivedMssHeaders {
            nil: header_text("X-MSS-NIL"),
            codecda: header_text("X-MSS-CODECDA")
                .map(|v| {
                    v.split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            ins: header_text("X-MSS-INS")
                .as_deref()
                .and_then(crate::view::parse_x_mss_ins_flag),
            end_of_conversation: header_text("X-MSS-MES")
                .is_some_and(|v| v.eq_ignore_ascii_case("FIN")),
        };

        let mut attachments = Vec::new();
        for part in msg.attachments() {
            let content_type = part
                .content_type()
                .map(|ct| {
                    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream"))
                        .to_ascii_lowercase()
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            if content_type.starts_with("message/") || content_type == "text/rfc822-headers" {
                // Report parts and returned messages are handled as the report.
                continue;
            }
            if part.is_encoding_problem {
                return Err(MssError::Malformed {
                    position: part.offset_body as usize,
                    reason: "attachment transfer encoding is corrupt",
                });
            }
            let name = part.attachment_name().map(str::to_owned);
            let data = part.contents().to_vec();
            let kind = match &name {
                Some(n) if n.eq_ignore_ascii_case(crate::compose::XDM_FILE_NAME) => {
                    AttachmentKind::Xdm
                }
                _ if content_type == "application/pdf" || data.starts_with(b"%PDF-") => {
                    AttachmentKind::Pdf
                }
                _ => AttachmentKind::Other,
            };
            attachments.push(Attachment {
                name,
                content_type,
                data,
                kind,
            });
        }

        let report = report_of(&msg, raw)?;

        Ok(Self {
            message_id: msg.message_id().and_then(|m| MessageId::parse(m).ok()),
            in_reply_to: ids(msg.in_reply_to()),
            references: ids(msg.references()),
            from: first_address(msg.from()),
            recipients: msg
                .all_to()
                .chain(msg.all_cc())
                .flat_map(|a| a.iter())
                .filter_map(|a| a.address().map(str::to_owned))
                .collect(),
            subject: msg.subject().map(str::to_owned),
            date: msg.date().map(|d| d.to_rfc3339()),
            disposition_notification_to: msg
                .header_raw("Disposition-Notification-To")
                .and_then(angle_address),
            return_path: msg.header_raw("Return-Path").and_then(angle_address),
            mss,
            text: msg.body_text(0).map(|t| t.into_owned()).filter(|_| {
                msg.text_body
                    .first()
                    .and_then(|&i| msg.part(i))
                    .is_some_and(|p| !p.is_text_html())
            }),
            html: msg
                .html_body
                .first()
                .and_then(|&i| msg.part(i))
                .filter(|p| p.is_text_html())
                .and_then(|p| p.text_contents())
                .map(str::to_owned),
            attachments,
            report,
            raw: raw.to_vec(),
        })
    }

    /// The raw bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The subject to show a user (`XDM/1.0/DDM+` prefix hidden, SC.MSS/UX.28).
    pub fn display_subject(&self) -> Option<&str> {
        self.subject.as_deref().map(display_subject)
    }

    /// The IHE_XDM attachment, if any.
    pub fn xdm(&self) -> Option<&Attachment> {
        self.attachments
            .iter()
            .find(|a| a.kind == AttachmentKind::Xdm)
    }

    /// Whether the sender is a patient mailbox (SC.MSS/UX.25).
    pub fn is_from_patient(&self) -> bool {
        self.from
            .as_deref()
            .is_some_and(|f| f.to_ascii_lowercase().ends_with("@patient.mssante.fr"))
    }
}

fn part_bytes<'a>(part: &'a mail_parser::MessagePart<'_>, raw: &'a [u8]) -> &'a [u8] {
    match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
        PartType::Binary(b) | PartType::InlineBinary(b) => b,
        PartType::Message(_) | PartType::Multipart(_) => raw
            .get(part.offset_body as usize..part.offset_end as usize)
            .unwrap_or(&[]),
    }
}

fn report_of(msg: &mail_parser::Message<'_>, raw: &[u8]) -> Result<Option<Report>, MssError> {
    let Some(ct) = msg.root_part().content_type() else {
        return Ok(None);
    };
    if !(ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report")))
    {
        return Ok(None);
    }
    let report_type = ct
        .attribute("report-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let find = |t: &str| {
        msg.parts.iter().find(|p| {
            p.content_type().is_some_and(|c| {
                c.ctype().eq_ignore_ascii_case("message")
                    && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case(t))
            })
        })
    };
    // The returned original (message/rfc822) or its headers (text/rfc822-headers).
    let returned_id = msg
        .parts
        .iter()
        .filter(|p| {
            p.content_type().is_some_and(|c| {
                let full =
                    format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase();
                full == "message/rfc822" || full == "text/rfc822-headers"
            })
        })
        .find_map(|p| match &p.body {
            PartType::Message(m) => m.message_id().map(str::to_owned),
            _ => MessageParser::default()
                .parse(part_bytes(p, raw))
                .and_then(|m| m.message_id().map(str::to_owned)),
        })
        .and_then(|id| MessageId::parse(&id).ok());
    match report_type.as_str() {
        "disposition-notification" => {
            let part = find("disposition-notification").ok_or(MssError::MalformedReport {
                kind: "MDN",
                reason: "no message/disposition-notification part",
            })?;
            Ok(Some(Report::Disposition(DispositionNotification::parse(
                part_bytes(part, raw),
            )?)))
        }
        "delivery-status" => {
            let part = find("delivery-status").ok_or(MssError::MalformedReport {
                kind: "DSN",
                reason: "no message/delivery-status part",
            })?;
            Ok(Some(Report::Delivery(DeliveryReport::parse(
                part_bytes(part, raw),
                returned_id,
            )?)))
        }
        _ => Ok(None),
    }
}
