//! Composing MSSanté messages (Référentiel #2 §3.8, RFC 5322, RFC 2045–2049).

use crate::MssError;
use crate::address::{MailAddress, Recipient};
use crate::inspect::{self, CdaFacts};
use mail_builder::headers::address::Address;
use mail_builder::headers::message_id::MessageId as MbMessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use std::fmt;

/// Subject prefix of messages carrying an IHE_XDM for integration (SC.MSS/UX.28: hidden in UIs).
pub const XDM_SUBJECT_PREFIX: &str = "XDM/1.0/DDM+";

/// Default size limit of a composed message. Operators set their own (MSS/va1.13); 10 MB is a
/// common default, not a normative value.
pub const DEFAULT_SIZE_LIMIT: usize = 10 * 1024 * 1024;

/// File name of the XDM attachment (spec §2).
pub const XDM_FILE_NAME: &str = "IHE_XDM.ZIP";

fn check_header_text(header: &'static str, value: &str, max: usize) -> Result<(), MssError> {
    if value.len() > max {
        return Err(MssError::InvalidHeader {
            header,
            reason: "too long",
        });
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(MssError::InvalidHeader {
            header,
            reason: "control character (CR, LF, TAB...) not allowed",
        });
    }
    Ok(())
}

/// The product reference given when the software was declared on the ANS Convergence platform,
/// sent in `X-MSS-NIL` on every message (ECO.2.4.3). Printable ASCII, 1 to 128 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductReference(String);

impl ProductReference {
    /// Validates a product reference.
    pub fn new(value: &str) -> Result<Self, MssError> {
        // Checked after trimming: white space alone would become an empty X-MSS-NIL.
        let value = value.trim();
        if value.is_empty()
            || value.len() > 128
            || !value.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(MssError::InvalidHeader {
                header: "X-MSS-NIL",
                reason: "must be 1 to 128 printable ASCII characters",
            });
        }
        Ok(Self(value.to_owned()))
    }
    /// The reference.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Message-ID (RFC 5322 §3.6.4) without its angle brackets: `id-left@id-right`, printable
/// ASCII without spaces, brackets or quotes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct MessageId(String);

impl MessageId {
    /// Parses an id, with or without angle brackets.
    pub fn parse(value: &str) -> Result<Self, MssError> {
        let v = value.trim();
        let v = v.strip_prefix('<').unwrap_or(v);
        let v = v.strip_suffix('>').unwrap_or(v);
        let ok = !v.is_empty()
            && v.len() <= 250
            && v.contains('@')
            && v.bytes()
                .all(|b| (0x21..0x7f).contains(&b) && !b"<>\"()\\,;".contains(&b));
        if !ok {
            return Err(MssError::InvalidHeader {
                header: "Message-ID",
                reason: "not an RFC 5322 msg-id",
            });
        }
        Ok(Self(v.to_owned()))
    }
    /// A fresh random id `<uuid>@<domain>`.
    pub fn generate(domain: &str) -> Self {
        Self(format!("{}@{domain}", uuid::Uuid::new_v4().simple()))
    }
    /// The id without brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<MessageId> for String {
    fn from(m: MessageId) -> String {
        m.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId(<{}>)", self.0)
    }
}

/// A subject: plain, or following the `XDM/1.0/DDM+<label>` convention of messages carrying a
/// document for integration.
#[derive(Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    /// A plain subject (no control characters, ≤ 998 bytes).
    pub fn plain(text: &str) -> Result<Self, MssError> {
        check_header_text("Subject", text, 900)?;
        Ok(Self(text.to_owned()))
    }
    /// `XDM/1.0/DDM+<label>`.
    pub fn xdm(label: &str) -> Result<Self, MssError> {
        check_header_text("Subject", label, 880)?;
        Ok(Self(format!("{XDM_SUBJECT_PREFIX}{label}")))
    }
    /// The full subject as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The subject to show a user: the `XDM/1.0/DDM+` prefix hidden (SC.MSS/UX.28).
    pub fn display(&self) -> &str {
        display_subject(&self.0)
    }
}

/// Hides the `XDM/1.0/DDM+` prefix of a subject (SC.MSS/UX.28).
pub fn display_subject(subject: &str) -> &str {
    subject.strip_prefix(XDM_SUBJECT_PREFIX).unwrap_or(subject)
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Subjects may name the patient (IG subject convention): not shown.
        write!(f, "Subject({} bytes)", self.0.len())
    }
}

/// The MSSanté headers of a composed message, as computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MssHeaders {
    /// `X-MSS-NIL`.
    pub nil: String,
    /// `X-MSS-CODECDA` values (empty: header absent).
    pub codecda: Vec<String>,
    /// `X-MSS-INS` (`None`: header absent).
    pub ins: Option<bool>,
    /// `X-MSS-MES: FIN`.
    pub end_of_conversation: bool,
}

/// Separator of the values of a multi-valued `X-MSS-CODECDA`. TO VERIFY: the third-party client
/// quoting Ref #2 uses a comma; no primary text confirmed it (mss-eprescription.md §1.3).
pub const CODECDA_SEPARATOR: &str = ",";

/// Computes `X-MSS-CODECDA` and `X-MSS-INS` from the CDA documents of the XDM (Référentiel #2
/// ECO.2.4.1/2, quoted in mss-eprescription.md §1.3): both absent without CDA.
/// `X-MSS-CODECDA` is multi-valued when the XDM holds several CDAs (ECO.2.4.1): every distinct
/// `ClinicalDocument/code`, in archive order, joined by [`CODECDA_SEPARATOR`]. `X-MSS-INS` is
/// `O` only when every CDA carries a qualified INS (INS matricule, its OID and the four
/// traits), else `N`: a CDA packed with a local patient id gives `N`.
pub fn mss_headers_for(documents: &[CdaFacts]) -> (Vec<String>, Option<bool>) {
    if documents.is_empty() {
        return (Vec::new(), None);
    }
    let mut codes: Vec<String> = Vec::new();
    for d in documents {
        if !codes.contains(&d.type_code) {
            codes.push(d.type_code.clone());
        }
    }
    (codes, Some(documents.iter().all(|d| d.qualified_ins)))
}

/// Largest UTF-8 chunk per encoded-word: `=?UTF-8?B?` + 52 base64 characters + `?=` is 64
/// characters, so `From: ` + a word, or a continuation line, stays within the 76 characters
/// RFC 2047 §2 allows a line holding encoded-words (and each word within its 75).
const ENCODED_WORD_BYTES: usize = 39;

/// An RFC 5322 `mailbox` (`display-name <addr-spec>`, §3.4), the value of the `From` header.
///
/// A printable-ASCII name is a quoted-string (`\\` and `"` escaped). Any other name is a
/// `phrase` (§3.2.5) of words: each space-separated word made only of `atext` is written as is;
/// each maximal run of other words (non-ASCII, or ASCII specials such as `(` `,` `.`), spaces
/// included, becomes RFC 2047 encoded-words `=?UTF-8?B?...?=`. Encoded-words stand as bare
/// phrase words (§5 (3)); §5 forbids them inside a quoted-string, where readers show them raw,
/// which is what mail-builder wrote (hence this function). Keeping a run in one encoded-word
/// matters: §6.2 says the space between two adjacent encoded-words is dropped, and some readers
/// (Python 3.11's `email`) insert one: a run longer than one word (39 bytes of UTF-8) is cut at
/// a character boundary and only readers that follow §6.2 rejoin it exactly. Lines are folded
/// (RFC 5322 §2.2.3) to stay within the 76 characters §2 allows lines with encoded-words.
/// Control characters never reach here ([`MessageBuilder::from_label`] refuses them).
pub fn mailbox_header(display_name: Option<&str>, address: &MailAddress) -> String {
    let Some(name) = display_name.filter(|n| !n.is_empty()) else {
        return format!("<{}>", address.as_str());
    };
    if name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let mut quoted = String::with_capacity(name.len() + 2);
        for c in name.chars() {
            if matches!(c, '\\' | '"') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        return format!("\"{quoted}\" <{}>", address.as_str());
    }
    let mut elements: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for word in name.split(' ') {
        if is_atom(word) {
            if !run.is_empty() {
                encode_run(&run.join(" "), &mut elements);
                run.clear();
            }
            elements.push(word.to_owned());
        } else {
            run.push(word);
        }
    }
    if !run.is_empty() {
        encode_run(&run.join(" "), &mut elements);
    }
    elements.push(format!("<{}>", address.as_str()));
    // Folding: "From: " is 6 characters.
    let mut out = String::new();
    let mut line = 6;
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            if line + 1 + e.len() > 76 {
                out.push_str("\r\n");
                line = 0;
            }
            out.push(' ');
            line += 1;
        }
        out.push_str(e);
        line += e.len();
    }
    out
}

/// RFC 5322 §3.2.3 `atom`: one or more `atext` characters.
fn is_atom(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
}

/// Appends the encoded-words of `text`, cut at character boundaries.
fn encode_run(text: &str, out: &mut Vec<String>) {
    use base64::Engine as _;
    let mut chunk = String::new();
    let flush = |chunk: &str, out: &mut Vec<String>| {
        out.push(format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(chunk)
        ));
    };
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > ENCODED_WORD_BYTES {
            flush(&chunk, out);
            chunk.clear();
        }
        chunk.push(c);
    }
    flush(&chunk, out);
}

/// A composed message, ready to submit.
#[derive(Clone)]
pub struct OutgoingMessage {
    bytes: Vec<u8>,
    message_id: MessageId,
    from: MailAddress,
    recipients: Vec<MailAddress>,
    headers: MssHeaders,
    read_receipt: bool,
}

impl OutgoingMessage {
    /// The RFC 5322 bytes (CRLF line endings).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The Message-ID.
    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }
    /// Envelope sender.
    pub fn from(&self) -> &MailAddress {
        &self.from
    }
    /// Envelope recipients (To and Cc).
    pub fn recipients(&self) -> &[MailAddress] {
        &self.recipients
    }
    /// The MSSanté headers as computed.
    pub fn mss_headers(&self) -> &MssHeaders {
        &self.headers
    }
    /// Whether a read receipt (MDN) was requested.
    pub fn read_receipt_requested(&self) -> bool {
        self.read_receipt
    }
    /// Wraps already composed bytes (MDN, error mail, forwarded message) with their envelope.
    pub(crate) fn from_parts(
        bytes: Vec<u8>,
        message_id: MessageId,
        from: MailAddress,
        recipients: Vec<MailAddress>,
        headers: MssHeaders,
    ) -> Self {
        Self {
            bytes,
            message_id,
            from,
            recipients,
            headers,
            read_receipt: false,
        }
    }
}

impl fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("message_id", &self.message_id)
            .field("bytes", &self.bytes.len())
            .field("recipients", &self.recipients.len())
            .field("headers", &self.headers)
            .finish()
    }
}

/// A PDF attachment (checked to start with `%PDF-`).
#[derive(Clone)]
pub struct PdfAttachment {
    file_name: String,
    data: Vec<u8>,
}

impl PdfAttachment {
    /// A PDF with its file name (no path separators or control characters).
    pub fn new(file_name: &str, data: Vec<u8>) -> Result<Self, MssError> {
        check_header_text("Content-Disposition", file_name, 200)?;
        if file_name.is_empty() || file_name.contains(['/', '\\']) {
            return Err(MssError::Pdf("file name empty or containing a path"));
        }
        if !data.starts_with(b"%PDF-") {
            return Err(MssError::Pdf("content does not start with %PDF-"));
        }
        Ok(Self {
            file_name: file_name.to_owned(),
            data,
        })
    }
}

/// Builds an MSSanté message that cannot be non-conformant: `X-MSS-NIL` always; `X-MSS-CODECDA`
/// and `X-MSS-INS` only from the attached XDM's CDA; `X-MSS-MES` only toward a patient; threading
/// ids checked; size limit enforced.
pub struct MessageBuilder {
    from: MailAddress,
    from_label: Option<String>,
    to: Vec<Recipient>,
    cc: Vec<Recipient>,
    subject: Option<Subject>,
    text: String,
    html: Option<String>,
    xdm: Option<Vec<u8>>,
    pdf: Option<PdfAttachment>,
    nil: ProductReference,
    end_of_conversation: bool,
    read_receipt: bool,
    message_id: Option<MessageId>,
    in_reply_to: Option<MessageId>,
    references: Vec<MessageId>,
    size_limit: usize,
    date: Option<i64>,
}

impl MessageBuilder {
    /// A message from `from`, with the product reference sent in `X-MSS-NIL`.
    pub fn new(from: MailAddress, nil: ProductReference) -> Self {
        Self {
            from,
            from_label: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: None,
            text: String::new(),
            html: None,
            xdm: None,
            pdf: None,
            nil,
            end_of_conversation: false,
            read_receipt: false,
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
            size_limit: DEFAULT_SIZE_LIMIT,
            date: None,
        }
    }
    /// Sender label (MSS/va1.16 / ECO.2.2.7: a meaningful label).
    pub fn from_label(mut self, label: &str) -> Result<Self, MssError> {
        check_header_text("From", label, 200)?;
        self.from_label = Some(label.to_owned());
        Ok(self)
    }
    /// Adds a `To` recipient.
    pub fn to(mut self, recipient: impl Into<Recipient>) -> Self {
        self.to.push(recipient.into());
        self
    }
    /// Adds a `Cc` recipient.
    pub fn cc(mut self, recipient: impl Into<Recipient>) -> Self {
        self.cc.push(recipient.into());
        self
    }
    /// The subject.
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }
    /// The plain-text body (always present, MSS/va1.11).
    pub fn text(mut self, text: &str) -> Self {
        self.text = text.to_owned();
        self
    }
    /// An HTML alternative: the body becomes `multipart/alternative` (MSS/va1.11).
    pub fn html(mut self, html: &str) -> Self {
        self.html = Some(html.to_owned());
        self
    }
    /// The IHE_XDM.ZIP package (from `segur-dmp-cda`); `X-MSS-CODECDA` / `X-MSS-INS` are derived
    /// from the CDA inside it when the message is built.
    pub fn xdm(mut self, package: Vec<u8>) -> Self {
        self.xdm = Some(package);
        self
    }
    /// A PDF attachment.
    pub fn pdf(mut self, pdf: PdfAttachment) -> Self {
        self.pdf = Some(pdf);
        self
    }
    /// `X-MSS-MES: FIN`: the patient may not reply (ECO.2.2.8). Needs a patient recipient.
    pub fn end_of_conversation(mut self) -> Self {
        self.end_of_conversation = true;
        self
    }
    /// Requests a read receipt: `Disposition-Notification-To` the sender (RFC 8098 §2.1).
    pub fn request_read_receipt(mut self) -> Self {
        self.read_receipt = true;
        self
    }
    /// Sets the Message-ID (otherwise a random one in the sender's domain).
    pub fn message_id(mut self, id: MessageId) -> Self {
        self.message_id = Some(id);
        self
    }
    /// Replies to a message: `In-Reply-To` and `References` (RFC 5322 §3.6.4).
    pub fn in_reply_to(mut self, parent: MessageId, parent_references: &[MessageId]) -> Self {
        self.references = parent_references.to_vec();
        self.references.push(parent.clone());
        self.in_reply_to = Some(parent);
        self
    }
    /// Size limit of the composed message (operator limit, MSS/va1.13).
    pub fn size_limit(mut self, bytes: usize) -> Self {
        self.size_limit = bytes;
        self
    }
    /// Fixes the `Date` (seconds since the Unix epoch), for reproducible output.
    pub fn date(mut self, unix_seconds: i64) -> Self {
        self.date = Some(unix_seconds);
        self
    }

    /// Builds the message.
    pub fn build(self) -> Result<OutgoingMessage, MssError> {
        let documents = match &self.xdm {
            Some(pkg) => inspect::inspect_xdm(pkg)?,
            None => Vec::new(),
        };
        self.build_with_documents(&documents)
    }

    pub(crate) fn build_with_documents(
        self,
        documents: &[CdaFacts],
    ) -> Result<OutgoingMessage, MssError> {
        if self.to.is_empty() {
            return Err(MssError::Compose("no To recipient"));
        }
        let subject = self
            .subject
            .as_ref()
            .ok_or(MssError::Compose("no subject"))?;
        let all: Vec<&Recipient> = self.to.iter().chain(self.cc.iter()).collect();
        if self.end_of_conversation && !all.iter().any(|r| r.is_patient()) {
            return Err(MssError::Compose(
                "X-MSS-MES: FIN is only for messages to a patient",
            ));
        }
        for d in documents {
            if d.type_code.is_empty()
                || d.type_code.len() > 64
                || !d
                    .type_code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
            {
                return Err(MssError::XdmContent(
                    "CDA type code is not a plain code token",
                ));
            }
        }
        if self.xdm.is_some() && documents.is_empty() {
            return Err(MssError::XdmContent(
                "the XDM package holds no CDA document",
            ));
        }
        let (codecda, ins) = mss_headers_for(documents);
        let message_id = self
            .message_id
            .clone()
            .unwrap_or_else(|| MessageId::generate(self.from.domain()));

        let addr =
            |r: &Recipient| Address::new_address(None::<&str>, r.address().as_str().to_owned());
        let mut mb = mail_builder::MessageBuilder::new()
            .to(Address::new_list(self.to.iter().map(addr).collect()))
            .subject(Text::new(subject.as_str().to_owned()))
            .message_id(MbMessageId::new(message_id.as_str().to_owned()));
        if !self.cc.is_empty() {
            mb = mb.cc(Address::new_list(self.cc.iter().map(addr).collect()));
        }
        if let Some(parent) = &self.in_reply_to {
            mb = mb.in_reply_to(MbMessageId::new(parent.as_str().to_owned()));
            mb = mb.references(MbMessageId::new_list(
                self.references.iter().map(|r| r.as_str().to_owned()),
            ));
        }
        if let Some(date) = self.date {
            mb = mb.date(mail_builder::headers::date::Date::new(date));
        }
        if self.read_receipt {
            mb = mb.header(
                "Disposition-Notification-To",
                Raw::new(format!("<{}>", self.from.as_str())),
            );
        }
        mb = mb.header("X-MSS-NIL", Raw::new(self.nil.as_str().to_owned()));
        if !codecda.is_empty() {
            mb = mb.header("X-MSS-CODECDA", Raw::new(codecda.join(CODECDA_SEPARATOR)));
        }
        if let Some(ins) = ins {
            mb = mb.header("X-MSS-INS", Raw::new(crate::view::x_mss_ins_flag(ins)));
        }
        if self.end_of_conversation {
            mb = mb.header("X-MSS-MES", Raw::new("FIN"));
        }
        mb = mb.text_body(self.text.clone());
        if let Some(html) = &self.html {
            mb = mb.html_body(html.clone());
        }
        if let Some(pkg) = &self.xdm {
            mb = mb.attachment("application/zip", XDM_FILE_NAME, pkg.as_slice());
        }
        if let Some(pdf) = &self.pdf {
            mb = mb.attachment(
                "application/pdf",
                pdf.file_name.clone(),
                pdf.data.as_slice(),
            );
        }
        let mut bytes = Vec::with_capacity(
            self.xdm.as_ref().map_or(0, |x| x.len() * 4 / 3 + 4096)
                + self.pdf.as_ref().map_or(0, |p| p.data.len() * 4 / 3)
                + self.text.len()
                + 2048,
        );
        // From is written here, already folded: mail-builder would quote the encoded-words
        // of a non-ASCII name (RFC 2047 §5 forbids it) and re-fold the line.
        bytes.extend_from_slice(b"From: ");
        bytes.extend_from_slice(mailbox_header(self.from_label.as_deref(), &self.from).as_bytes());
        bytes.extend_from_slice(b"\r\n");
        mb.write_to(&mut bytes)
            .map_err(|_| MssError::Compose("MIME serialisation failed"))?;
        if bytes.len() > self.size_limit {
            return Err(MssError::TooLarge {
                size: bytes.len(),
                limit: self.size_limit,
            });
        }
        Ok(OutgoingMessage {
            bytes,
            message_id,
            from: self.from,
            recipients: all.iter().map(|r| r.address().clone()).collect(),
            headers: MssHeaders {
                nil: self.nil.0,
                codecda,
                ins,
                end_of_conversation: self.end_of_conversation,
            },
            read_receipt: self.read_receipt,
        })
    }
}
