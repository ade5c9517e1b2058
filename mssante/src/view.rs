//! The JSON views of messages, written once here and printed by both the CLI (`segur mss`) and
//! the C API (`segur_mss_*`): one `serde::Serialize` type per JSON contract, so the two can never
//! drift apart.
//!
//! - [`ComposeSummary`]: what was computed for a composed message (`segur mss eml`,
//!   `segur_mss_compose`);
//! - [`ReceivedView`]: a received message with its attachments and report (`segur mss read`,
//!   `segur_mss_parse`, the `message` of `segur_mss_mailbox_fetch`);
//! - [`ReportView`]: an MDN (RFC 8098) or DSN (RFC 3464) read from a received message (also
//!   each line of `segur mss fetch`);
//! - [`SendOutcomeView`]: the outcome of a submission per recipient (`segur mss send`,
//!   `segur_mss_send`, `segur_mss_mdn_send`).
//!
//! The views borrow the message. Their JSON holds what the caller asked for (addresses,
//! subjects, bodies: patient data); their `Debug` never does: it shows counts and flags only.

use crate::compose::{MessageId, OutgoingMessage};
use crate::read::{Attachment, AttachmentKind, ReceivedMessage, Report};
use base64::Engine as _;
use serde::Serialize;
use std::fmt;

/// The `X-MSS-INS` header value for an INS whose identity is qualified (`true`: `O`) or not
/// (`false`: `N`): the only two values the MSSanté DST defines for this header (ECO.2.4.2;
/// qualified: matricule, its OID and the four strict traits).
pub const fn x_mss_ins_flag(qualified: bool) -> &'static str {
    if qualified { "O" } else { "N" }
}

/// Reads an `X-MSS-INS` header value: `O` → `Some(true)`, `N` → `Some(false)`, anything else →
/// `None` (an unknown value is reported as absent, never guessed).
pub fn parse_x_mss_ins_flag(value: &str) -> Option<bool> {
    match value {
        "O" => Some(true),
        "N" => Some(false),
        _ => None,
    }
}

/// The summary of a composed message: `{"message_id","bytes","from","recipients",
/// "x_mss_nil","x_mss_codecda","x_mss_ins","x_mss_mes_fin","read_receipt"}`. The `X-MSS-*`
/// values are those computed from the CDA inside the attached IHE_XDM (Référentiel #2
/// ECO.2.4.1/2), never set by hand.
#[derive(Serialize)]
pub struct ComposeSummary<'a> {
    message_id: &'a str,
    bytes: usize,
    from: &'a str,
    recipients: Vec<&'a str>,
    x_mss_nil: &'a str,
    x_mss_codecda: &'a [String],
    x_mss_ins: Option<&'static str>,
    x_mss_mes_fin: bool,
    read_receipt: bool,
}

impl<'a> ComposeSummary<'a> {
    /// The summary of `message`.
    pub fn of(message: &'a OutgoingMessage) -> Self {
        let h = message.mss_headers();
        Self {
            message_id: message.message_id().as_str(),
            bytes: message.bytes().len(),
            from: message.from().as_str(),
            recipients: message
                .recipients()
                .iter()
                .map(crate::MailAddress::as_str)
                .collect(),
            x_mss_nil: &h.nil,
            x_mss_codecda: &h.codecda,
            x_mss_ins: h.ins.map(x_mss_ins_flag),
            x_mss_mes_fin: h.end_of_conversation,
            read_receipt: message.read_receipt_requested(),
        }
    }
}

impl fmt::Debug for ComposeSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Recipients may be patient addresses (their INS): counted, never shown.
        f.debug_struct("ComposeSummary")
            .field("bytes", &self.bytes)
            .field("recipients", &self.recipients.len())
            .field("x_mss_codecda", &self.x_mss_codecda)
            .field("x_mss_ins", &self.x_mss_ins)
            .finish_non_exhaustive()
    }
}

/// A received message: `{"message_id","in_reply_to":[],"references":[],"from",
/// "recipients":[],"subject","display_subject","date","disposition_notification_to",
/// "return_path","from_patient","x_mss_nil","x_mss_codecda":[],"x_mss_ins":"O"|"N"|null,
/// "x_mss_mes_fin","text","html","attachments":[AttachmentView],"report":ReportView|null}`.
#[derive(Serialize)]
pub struct ReceivedView<'a> {
    message_id: Option<&'a str>,
    in_reply_to: Vec<&'a str>,
    references: Vec<&'a str>,
    from: &'a Option<String>,
    recipients: &'a [String],
    subject: &'a Option<String>,
    display_subject: Option<&'a str>,
    date: &'a Option<String>,
    disposition_notification_to: &'a Option<String>,
    return_path: &'a Option<String>,
    from_patient: bool,
    x_mss_nil: &'a Option<String>,
    x_mss_codecda: &'a [String],
    x_mss_ins: Option<&'static str>,
    x_mss_mes_fin: bool,
    text: &'a Option<String>,
    html: &'a Option<String>,
    attachments: Vec<AttachmentView<'a>>,
    report: Option<ReportView<'a>>,
}

fn ids(v: &[MessageId]) -> Vec<&str> {
    v.iter().map(MessageId::as_str).collect()
}

impl<'a> ReceivedView<'a> {
    /// The view of `m`.
    pub fn of(m: &'a ReceivedMessage) -> Self {
        Self {
            message_id: m.message_id.as_ref().map(MessageId::as_str),
            in_reply_to: ids(&m.in_reply_to),
            references: ids(&m.references),
            from: &m.from,
            recipients: &m.recipients,
            subject: &m.subject,
            display_subject: m.display_subject(),
            date: &m.date,
            disposition_notification_to: &m.disposition_notification_to,
            return_path: &m.return_path,
            from_patient: m.is_from_patient(),
            x_mss_nil: &m.mss.nil,
            x_mss_codecda: &m.mss.codecda,
            x_mss_ins: m.mss.ins.map(x_mss_ins_flag),
            x_mss_mes_fin: m.mss.end_of_conversation,
            text: &m.text,
            html: &m.html,
            attachments: m.attachments.iter().map(AttachmentView::of).collect(),
            report: m.report.as_ref().map(ReportView::of),
        }
    }
}

impl fmt::Debug for ReceivedView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Addresses, subject and bodies may be patient data: never shown.
        f.debug_struct("ReceivedView")
            .field("recipients", &self.recipients.len())
            .field("from_patient", &self.from_patient)
            .field("x_mss_codecda", &self.x_mss_codecda)
            .field("attachments", &self.attachments.len())
            .field("report", &self.report.is_some())
            .finish_non_exhaustive()
    }
}

/// An attachment of a received message: `{"name","content_type","kind":"Xdm"|"Pdf"|"Other",
/// "size","data_base64"}` (standard base64, RFC 4648 §4).
#[derive(Serialize)]
pub struct AttachmentView<'a> {
    name: &'a Option<String>,
    content_type: &'a str,
    kind: AttachmentKind,
    size: usize,
    data_base64: String,
}

impl<'a> AttachmentView<'a> {
    /// The view of `a`, its bytes in base64.
    pub fn of(a: &'a Attachment) -> Self {
        Self {
            name: &a.name,
            content_type: &a.content_type,
            kind: a.kind,
            size: a.data.len(),
            data_base64: base64::engine::general_purpose::STANDARD.encode(&a.data),
        }
    }
}

impl fmt::Debug for AttachmentView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachmentView")
            .field("kind", &self.kind)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A report read from a received message: `{"type":"mdn","original_message_id",
/// "disposition"}` (RFC 8098 §3.2.6 `Disposition` field) or `{"type":"dsn",
/// "original_message_id","recipients":[{"final_recipient","action","status"}]}` (RFC 3464
/// §2.3).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ReportView<'a> {
    /// A message disposition notification.
    Mdn {
        /// The Message-ID of the message it answers.
        original_message_id: Option<&'a str>,
        /// The `Disposition` field, as written on the wire.
        disposition: String,
    },
    /// A delivery status notification.
    Dsn {
        /// The Message-ID of the message it reports on.
        original_message_id: Option<&'a str>,
        /// One entry per recipient.
        recipients: Vec<DsnRecipientView<'a>>,
    },
}

/// One recipient of a DSN: `{"final_recipient","action","status"}`.
#[derive(Serialize)]
pub struct DsnRecipientView<'a> {
    final_recipient: &'a str,
    action: crate::dsn::DsnAction,
    status: &'a str,
}

impl<'a> ReportView<'a> {
    /// The view of `r`.
    pub fn of(r: &'a Report) -> Self {
        match r {
            Report::Disposition(d) => Self::Mdn {
                original_message_id: d.original_message_id.as_ref().map(MessageId::as_str),
                disposition: d.disposition.to_field(),
            },
            Report::Delivery(d) => Self::Dsn {
                original_message_id: d.original_message_id.as_ref().map(MessageId::as_str),
                recipients: d
                    .recipients
                    .iter()
                    .map(|r| DsnRecipientView {
                        final_recipient: &r.final_recipient,
                        action: r.action,
                        status: &r.status,
                    })
                    .collect(),
            },
        }
    }
}

impl fmt::Debug for ReportView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Final recipients may be patient addresses: counted, never shown.
        match self {
            Self::Mdn { disposition, .. } => f
                .debug_struct("ReportView::Mdn")
                .field("disposition", disposition)
                .finish_non_exhaustive(),
            Self::Dsn { recipients, .. } => f
                .debug_struct("ReportView::Dsn")
                .field("recipients", &recipients.len())
                .finish_non_exhaustive(),
        }
    }
}

/// The outcome of a submission: `{"message_id","dsn_requested":false,"recipients":[
/// {"recipient","status":"accepted"}|{"recipient","status":"rejected"|"deferred","code":550,
/// "reply":"..."}]}`. A 4xx reply is `deferred` (retry later), a 5xx one `rejected` (RFC 5321
/// §4.2.1); `reply` is the server's text with every run of 13 or more digits (an INS the
/// server echoed) masked ([`crate::ServerText`]).
#[derive(Serialize)]
pub struct SendOutcomeView<'a> {
    message_id: &'a str,
    dsn_requested: bool,
    recipients: Vec<RecipientOutcomeView<'a>>,
}

/// One recipient of a [`SendOutcomeView`].
#[derive(Serialize)]
pub struct RecipientOutcomeView<'a> {
    recipient: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<String>,
}

impl<'a> SendOutcomeView<'a> {
    /// The outcome of submitting `message`, as the server reported it.
    pub fn of(message: &'a OutgoingMessage, report: &'a crate::smtp::SendReport) -> Self {
        Self {
            message_id: message.message_id().as_str(),
            dsn_requested: report.dsn_requested,
            recipients: report
                .recipients
                .iter()
                .map(|r| match &r.result {
                    Ok(()) => RecipientOutcomeView {
                        recipient: r.recipient.as_str(),
                        status: "accepted",
                        code: None,
                        reply: None,
                    },
                    Err(rej) => RecipientOutcomeView {
                        recipient: r.recipient.as_str(),
                        status: if rej.is_transient() {
                            "deferred"
                        } else {
                            "rejected"
                        },
                        code: Some(rej.code),
                        reply: Some(rej.text.to_string()),
                    },
                })
                .collect(),
        }
    }

    /// Whether every recipient accepted the message.
    pub fn all_accepted(&self) -> bool {
        self.recipients.iter().all(|r| r.status == "accepted")
    }
}

impl fmt::Debug for SendOutcomeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Recipients may be patient addresses: statuses only.
        f.debug_struct("SendOutcomeView")
            .field("dsn_requested", &self.dsn_requested)
            .field(
                "statuses",
                &self.recipients.iter().map(|r| r.status).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RecipientOutcomeView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientOutcomeView")
            .field("status", &self.status)
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_round_trips_and_refuses_other_values() {
        for q in [true, false] {
            assert_eq!(parse_x_mss_ins_flag(x_mss_ins_flag(q)), Some(q));
        }
        assert_eq!(parse_x_mss_ins_flag("o"), None);
        assert_eq!(parse_x_mss_ins_flag(""), None);
    }

    #[test]
    fn views_serialise_the_message_and_debug_shows_no_address() {
        let m = crate::MessageBuilder::new(
            crate::MailAddress::parse("pharma@test.mssante.fr").unwrap(),
            crate::ProductReference::new("NIL-1").unwrap(),
        )
        .to(crate::Recipient::professional(
            crate::MailAddress::parse("doc@test.mssante.fr").unwrap(),
        )
        .unwrap())
        .subject(crate::Subject::plain("Bonjour").unwrap())
        .text("Texte")
        .build()
        .unwrap();
        let s = ComposeSummary::of(&m);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["from"], "pharma@test.mssante.fr");
        assert_eq!(v["recipients"], serde_json::json!(["doc@test.mssante.fr"]));
        assert_eq!(v["bytes"], m.bytes().len());
        assert_eq!(v["x_mss_ins"], serde_json::Value::Null);
        assert!(!format!("{s:?}").contains("doc@"), "{s:?}");
        let r = ReceivedMessage::parse(m.bytes()).unwrap();
        let view = ReceivedView::of(&r);
        let v = serde_json::to_value(&view).unwrap();
        assert_eq!(v["message_id"], m.message_id().as_str());
        assert_eq!(v["x_mss_nil"], "NIL-1");
        assert_eq!(v["report"], serde_json::Value::Null);
        let dbg = format!("{view:?}");
        assert!(!dbg.contains("doc@") && !dbg.contains("Bonjour"), "{dbg}");
    }
}
