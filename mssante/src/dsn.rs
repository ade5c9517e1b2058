//! Delivery status notifications: requesting them at submission (RFC 3461, only when the server
//! advertises `DSN`) and reading the reports (RFC 3464).

use crate::compose::MessageId;
use crate::fields;
use crate::{MssError, ServerText};

/// When to be notified (RFC 3461 §4.1 `NOTIFY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notify {
    /// `SUCCESS`.
    pub success: bool,
    /// `FAILURE`.
    pub failure: bool,
    /// `DELAY`.
    pub delay: bool,
}

/// What a DSN request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DsnRequest {
    /// `NOTIFY` (all false: `NEVER`).
    pub notify: Notify,
    /// `RET=HDRS` (true) or `RET=FULL`.
    pub headers_only: bool,
}

impl Default for DsnRequest {
    /// `NOTIFY=SUCCESS,FAILURE,DELAY RET=HDRS` (MSS/va1.15).
    fn default() -> Self {
        Self {
            notify: Notify {
                success: true,
                failure: true,
                delay: true,
            },
            headers_only: true,
        }
    }
}

impl DsnRequest {
    /// The `NOTIFY=` parameter value.
    pub fn notify_param(&self) -> String {
        let n = &self.notify;
        let mut v = Vec::new();
        if n.success {
            v.push("SUCCESS");
        }
        if n.failure {
            v.push("FAILURE");
        }
        if n.delay {
            v.push("DELAY");
        }
        if v.is_empty() {
            "NEVER".to_owned()
        } else {
            v.join(",")
        }
    }
}

/// RFC 3461 §4 xtext encoding (used for `ENVID` and `ORCPT`).
pub fn xtext_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'+' && b != b'=' {
            out.push(b as char);
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// Decodes RFC 3461 xtext; `None` when malformed.
pub fn xtext_decode(value: &str) -> Option<String> {
    let mut bytes = value.bytes();
    let mut out = Vec::with_capacity(value.len());
    while let Some(b) = bytes.next() {
        if b == b'+' {
            // "+" HEXCHAR HEXCHAR (RFC 3461 §4): two upper-case hex digits.
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The `ENVID` we send for a message: its Message-ID in xtext (≤ 100 characters, RFC 3461 §4.4),
/// so that the report links back to the message.
pub fn envid_for(message_id: &MessageId) -> Option<String> {
    let v = xtext_encode(message_id.as_str());
    (v.len() <= 100).then_some(v)
}

/// `Action` of a per-recipient block (RFC 3464 §2.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum DsnAction {
    /// `failed`.
    Failed,
    /// `delayed`.
    Delayed,
    /// `delivered`.
    Delivered,
    /// `relayed`.
    Relayed,
    /// `expanded`.
    Expanded,
}

/// One recipient of a delivery report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RecipientStatus {
    /// `Final-Recipient` address.
    pub final_recipient: String,
    /// `Original-Recipient` address.
    pub original_recipient: Option<String>,
    /// `Action`.
    pub action: DsnAction,
    /// `Status` (e.g. `2.0.0`).
    pub status: String,
    /// `Diagnostic-Code`, redacted in Display.
    #[serde(skip)]
    pub diagnostic: Option<ServerText>,
}

/// A parsed `message/delivery-status` report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeliveryReport {
    /// `Reporting-MTA`.
    pub reporting_mta: Option<String>,
    /// `Original-Envelope-Id`, xtext-decoded.
    pub original_envelope_id: Option<String>,
    /// The message this report is about: from `Original-Envelope-Id` when it is one of our
    /// Message-IDs, else from the returned headers.
    pub original_message_id: Option<MessageId>,
    /// Per-recipient statuses.
    pub recipients: Vec<RecipientStatus>,
}

impl DeliveryReport {
    /// Parses the body of a `message/delivery-status` part; `returned_id` is the Message-ID of
    /// the returned message or headers, if any.
    pub fn parse(body: &[u8], returned_id: Option<MessageId>) -> Result<Self, MssError> {
        let bad = |reason| MssError::MalformedReport {
            kind: "DSN",
            reason,
        };
        let blocks = fields::parse_blocks(body).map_err(bad)?;
        let (per_message, per_recipient) = blocks.split_first().ok_or(bad("empty report"))?;
        let envid = fields::get(per_message, "original-envelope-id").and_then(xtext_decode);
        let mut recipients = Vec::new();
        for block in per_recipient {
            let final_recipient = fields::get(block, "final-recipient")
                .map(fields::typed_address)
                .ok_or(bad("recipient block without Final-Recipient"))?;
            let action = match fields::get(block, "action")
                .ok_or(bad("recipient block without Action"))?
                .to_ascii_lowercase()
                .as_str()
            {
                "failed" => DsnAction::Failed,
                "delayed" => DsnAction::Delayed,
                "delivered" => DsnAction::Delivered,
                "relayed" => DsnAction::Relayed,
                "expanded" => DsnAction::Expanded,
                _ => return Err(bad("unknown Action")),
            };
            let status = fields::get(block, "status")
                .ok_or(bad("recipient block without Status"))?
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned();
            let valid_status = {
                // RFC 3463 §2: class.subject.detail, class 2, 4 or 5, 1–3 digits each.
                let p: Vec<&str> = status.split('.').collect();
                match p.as_slice() {
                    [class, rest @ ..] => {
                        p.len() == 3
                            && ["2", "4", "5"].contains(class)
                            && rest.iter().all(|x| {
                                !x.is_empty()
                                    && x.len() <= 3
                                    && x.bytes().all(|b| b.is_ascii_digit())
                            })
                    }
                    [] => false,
                }
            };
            if !valid_status {
                return Err(bad("invalid Status"));
            }
            recipients.push(RecipientStatus {
                final_recipient,
                original_recipient: fields::get(block, "original-recipient")
                    .map(fields::typed_address),
                action,
                status,
                diagnostic: fields::get(block, "diagnostic-code").map(ServerText::new),
            });
        }
        if recipients.is_empty() {
            return Err(bad("no recipient block"));
        }
        let original_message_id = envid
            .as_deref()
            .and_then(|e| MessageId::parse(e).ok())
            .or(returned_id);
        Ok(Self {
            reporting_mta: fields::get(per_message, "reporting-mta").map(str::to_owned),
            original_envelope_id: envid,
            original_message_id,
            recipients,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtext_round_trip() {
        let s = "a+b=c d@x.fr";
        assert_eq!(xtext_encode(s), "a+2Bb+3Dc+20d@x.fr");
        assert_eq!(xtext_decode(&xtext_encode(s)).as_deref(), Some(s));
        assert!(xtext_decode("a+4").is_none());
    }

    #[test]
    fn parses_rfc3464_report() {
        let body = b"Reporting-MTA: dns; mx.test\r\nOriginal-Envelope-Id: abc@x.fr\r\n\r\nFinal-Recipient: rfc822; doc@x.fr\r\nOriginal-Recipient: rfc822;doc@x.fr\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\nFinal-Recipient: rfc822; b@x.fr\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 unknown 279035121518989\r\n";
        let r = DeliveryReport::parse(body, None).unwrap();
        assert_eq!(r.original_message_id.unwrap().as_str(), "abc@x.fr");
        assert_eq!(r.recipients.len(), 2);
        assert_eq!(r.recipients[0].action, DsnAction::Delivered);
        assert_eq!(r.recipients[1].status, "5.1.1");
        assert!(
            !r.recipients[1]
                .diagnostic
                .as_ref()
                .unwrap()
                .to_string()
                .contains("2790351")
        );
        assert!(DeliveryReport::parse(b"Reporting-MTA: x\r\n", None).is_err());
        assert!(DeliveryReport::parse(
            b"Reporting-MTA: x\r\n\r\nFinal-Recipient: rfc822;a@b.fr\r\nAction: delivered\r\nStatus: 9.9\r\n",
            None
        )
        .is_err());
    }
}
