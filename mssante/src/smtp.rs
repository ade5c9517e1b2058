//! SMTP submission (RFC 5321, RFC 6409) over STARTTLS (RFC 3207) with SASL XOAUTH2 /
//! OAUTHBEARER (RFC 7628) or a client certificate, DSN requests (RFC 3461), pipelining
//! (RFC 2920) and a result per recipient.
//!
//! The client is written here rather than taken from lettre because MSSanté needs what lettre
//! does not expose: the server's `DSN` advertisement and RCPT parameters per recipient, a result
//! per recipient instead of failing the whole message, OAUTHBEARER, and tokens that stay in
//! zeroized memory.

use crate::compose::OutgoingMessage;
use crate::discovery::Endpoint;
use crate::dsn::{self, DsnRequest};
use crate::error::{SmtpError, Transport};
use crate::tls::{self, TlsSettings};
use crate::token::{Authentication, OAuthMechanism, sasl_initial_response_b64};
use crate::{MailAddress, MssError, ServerText};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const MAX_LINE: usize = 8192;
const MAX_REPLY_LINES: usize = 128;

/// Settings of a submission session.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// Server (host name checked against its certificate) and port (587).
    pub endpoint: Endpoint,
    /// TLS settings (trust anchors, client certificate).
    pub tls: TlsSettings,
    /// Authentication.
    pub auth: Authentication,
    /// Name sent in EHLO.
    pub hello_name: String,
    /// Read/write timeout.
    pub timeout: Duration,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Closed,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
            Self::Closed => Ok(0),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
            Self::Closed => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
            Self::Closed => Ok(()),
        }
    }
}

/// A server reply.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text lines (without the code).
    pub lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> ServerText {
        ServerText::new(&self.lines.join(" "))
    }
    fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    start: usize,
}

impl Conn {
    fn read_line(&mut self, stage: &'static str) -> Result<String, MssError> {
        loop {
            let pending = self.buf.get(self.start..).unwrap_or_default();
            if let Some(nl) = pending.iter().position(|&b| b == b'\n') {
                let end = self.start + nl;
                let line = pending.get(..nl).unwrap_or_default();
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let s = String::from_utf8_lossy(line).into_owned();
                self.start = end + 1;
                if self.start == self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                return Ok(s);
            }
            if self.buf.len() - self.start > MAX_LINE {
                return Err(SmtpError::Protocol {
                    reason: format!("reply line longer than {MAX_LINE} bytes during {stage}"),
                }
                .into());
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(Transport::Smtp.io(stage))?;
            if n == 0 {
                return Err(SmtpError::ConnectionClosed { stage }.into());
            }
            self.buf.extend_from_slice(chunk.get(..n).unwrap_or(&chunk));
        }
    }

    fn read_reply(&mut self, stage: &'static str) -> Result<Reply, MssError> {
        let mut lines = Vec::new();
        let mut code = None;
        loop {
            let line = self.read_line(stage)?;
            let bad = || -> MssError {
                SmtpError::Protocol {
                    reason: format!("malformed reply during {stage}"),
                }
                .into()
            };
            // RFC 5321 §4.2: three digits, then SP, "-" or the end of the line.
            let digits = line.as_bytes().get(..3).unwrap_or_default();
            if digits.len() < 3 || !digits.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            let c: u16 = line.get(..3).unwrap_or("").parse().map_err(|_| bad())?;
            if *code.get_or_insert(c) != c {
                return Err(bad());
            }
            let sep = line.as_bytes().get(3).copied();
            lines.push(line.get(4..).unwrap_or("").to_owned());
            match sep {
                None | Some(b' ') => return Ok(Reply { code: c, lines }),
                Some(b'-') if lines.len() < MAX_REPLY_LINES => {}
                _ => return Err(bad()),
            }
        }
    }

    fn send(&mut self, line: &str, stage: &'static str) -> Result<(), MssError> {
        self.stream
            .write_all(line.as_bytes())
            .and_then(|_| self.stream.flush())
            .map_err(Transport::Smtp.io(stage))
    }

    fn command(&mut self, line: &str, stage: &'static str) -> Result<Reply, MssError> {
        self.send(line, stage)?;
        self.read_reply(stage)
    }
}

/// The ESMTP extensions the server advertised after STARTTLS.
#[derive(Clone, Debug, Default)]
pub struct Extensions {
    /// `DSN` (RFC 3461).
    pub dsn: bool,
    /// `SIZE` limit (RFC 1870), if announced and non-zero.
    pub size: Option<usize>,
    /// `PIPELINING` (RFC 2920).
    pub pipelining: bool,
    /// `8BITMIME`.
    pub eight_bit_mime: bool,
    /// SASL mechanisms (upper case).
    pub auth: Vec<String>,
    /// `STARTTLS`.
    pub starttls: bool,
}

impl Extensions {
    fn parse(reply: &Reply) -> Self {
        let mut e = Self::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_whitespace();
            match words.next().map(str::to_ascii_uppercase).as_deref() {
                Some("DSN") => e.dsn = true,
                Some("PIPELINING") => e.pipelining = true,
                Some("8BITMIME") => e.eight_bit_mime = true,
                Some("STARTTLS") => e.starttls = true,
                Some("SIZE") => {
                    e.size = words.next().and_then(|s| s.parse().ok()).filter(|&s| s > 0)
                }
                Some("AUTH") => e.auth = words.map(str::to_ascii_uppercase).collect(),
                _ => {}
            }
        }
        e
    }
}

/// Why a recipient was refused.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// SMTP reply code.
    pub code: u16,
    /// Server text (redacted in Display).
    pub text: ServerText,
}

impl Rejection {
    /// A 4xx reply: the recipient may be retried later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
}

/// The outcome for one recipient.
#[derive(Clone, Debug)]
pub struct RecipientOutcome {
    /// The recipient.
    pub recipient: MailAddress,
    /// `Ok` when the server accepted the message for this recipient.
    pub result: Result<(), Rejection>,
}

/// The result of a submission: the server took responsibility for the message for every
/// recipient whose result is `Ok` (RFC 5321 §4.1.1.4, the final reply to DATA).
#[derive(Clone, Debug)]
pub struct SendReport {
    /// One entry per envelope recipient, in order.
    pub recipients: Vec<RecipientOutcome>,
    /// Whether a DSN was requested (the server advertised DSN and a request was given).
    pub dsn_requested: bool,
    /// The final reply text (queue id...).
    pub server_reply: Option<ServerText>,
}

impl SendReport {
    /// Whether every recipient accepted the message.
    pub fn all_accepted(&self) -> bool {
        self.recipients.iter().all(|r| r.result.is_ok())
    }
}

/// An authenticated submission session.
pub struct SmtpSession {
    conn: Conn,
    ext: Extensions,
}

impl std::fmt::Debug for SmtpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSession")
            .field("extensions", &self.ext)
            .finish()
    }
}

pub(crate) fn tcp_connect(
    endpoint: &Endpoint,
    timeout: Duration,
    transport: Transport,
) -> Result<TcpStream, MssError> {
    use std::net::ToSocketAddrs;
    let addrs = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()
        .map_err(transport.io("resolving the server"))?;
    let mut last = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout))
                    .map_err(transport.io("connect"))?;
                s.set_write_timeout(Some(timeout))
                    .map_err(transport.io("connect"))?;
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(transport.io("connect")(
        last.unwrap_or_else(|| std::io::ErrorKind::NotFound.into()),
    ))
}

impl SmtpSession {
    /// Connects, upgrades with STARTTLS (refusing servers that do not offer it) and
    /// authenticates.
    pub fn connect(settings: &SmtpSettings) -> Result<Self, MssError> {
        if settings.hello_name.is_empty()
            || !settings
                .hello_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b))
        {
            return Err(MssError::Compose("invalid EHLO name"));
        }
        let tcp = tcp_connect(&settings.endpoint, settings.timeout, Transport::Smtp)?;
        let mut conn = Conn {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            start: 0,
        };
        let greeting = conn.read_reply("greeting")?;
        if greeting.code != 220 {
            return Err(SmtpError::Refused {
                stage: "greeting",
                code: greeting.code,
                text: greeting.text(),
            }
            .into());
        }
        let ehlo = format!("EHLO {}\r\n", settings.hello_name);
        let reply = conn.command(&ehlo, "EHLO")?;
        expect(&reply, 250, "EHLO")?;
        if !Extensions::parse(&reply).starttls {
            return Err(SmtpError::StartTlsUnavailable.into());
        }
        let reply = conn.command("STARTTLS\r\n", "STARTTLS")?;
        expect(&reply, 220, "STARTTLS")?;
        if conn.start < conn.buf.len() {
            // Anything the server sent before the handshake could be a command injection
            // (CVE-2011-0411 class): refuse.
            return Err(SmtpError::Protocol {
                reason: "data received after the STARTTLS reply".into(),
            }
            .into());
        }
        let Stream::Plain(tcp) = std::mem::replace(&mut conn.stream, Stream::Closed) else {
            return Err(SmtpError::Protocol {
                reason: "STARTTLS on an encrypted stream".into(),
            }
            .into());
        };
        conn.stream = Stream::Tls(Box::new(tls::handshake(
            &settings.tls,
            &settings.endpoint.host,
            tcp,
            Transport::Smtp,
        )?));
        let reply = conn.command(&ehlo, "EHLO after STARTTLS")?;
        expect(&reply, 250, "EHLO after STARTTLS")?;
        let ext = Extensions::parse(&reply);
        let mut session = Self { conn, ext };
        session.authenticate(settings)?;
        Ok(session)
    }

    fn authenticate(&mut self, settings: &SmtpSettings) -> Result<(), MssError> {
        match &settings.auth {
            Authentication::ClientCertificate => {
                if self.ext.auth.iter().any(|m| m == "EXTERNAL") {
                    let r = self.conn.command("AUTH EXTERNAL =\r\n", "AUTH")?;
                    if r.code != 235 {
                        return Err(SmtpError::AuthenticationFailed(r.text()).into());
                    }
                }
                // Otherwise the server authorises the verified client certificate itself.
                Ok(())
            }
            Authentication::OAuth {
                user,
                provider,
                mechanism,
            } => {
                if !self.ext.auth.iter().any(|m| m == mechanism.name()) {
                    return Err(SmtpError::NoUsableMechanism.into());
                }
                let token = provider.access_token()?;
                let ir = sasl_initial_response_b64(
                    *mechanism,
                    user,
                    &token,
                    &settings.endpoint.host,
                    settings.endpoint.port,
                );
                let mut reply = if ir.len() + mechanism.name().len() + 8 <= 500 {
                    let line =
                        zeroize::Zeroizing::new(format!("AUTH {} {}\r\n", mechanism.name(), &*ir));
                    self.conn.command(&line, "AUTH")?
                } else {
                    // RFC 4954 §4: an initial response too long for one line goes after 334.
                    let r = self
                        .conn
                        .command(&format!("AUTH {}\r\n", mechanism.name()), "AUTH")?;
                    if r.code != 334 {
                        return Err(SmtpError::AuthenticationFailed(r.text()).into());
                    }
                    let line = zeroize::Zeroizing::new(format!("{}\r\n", &*ir));
                    self.conn.command(&line, "AUTH")?
                };
                if reply.code == 334 {
                    // The server sent an error challenge (JSON status): finish the exchange.
                    let end = match mechanism {
                        OAuthMechanism::XOAuth2 => "\r\n",
                        OAuthMechanism::OAuthBearer => "AQ==\r\n",
                    };
                    reply = self.conn.command(end, "AUTH")?;
                }
                if reply.code != 235 {
                    return Err(SmtpError::AuthenticationFailed(reply.text()).into());
                }
                Ok(())
            }
        }
    }

    /// The extensions advertised after STARTTLS.
    pub fn extensions(&self) -> &Extensions {
        &self.ext
    }

    /// Submits a message. `dsn` asks for delivery notifications; it is sent only when the
    /// server advertises `DSN`. Returns a result per recipient; an error means the message was
    /// not accepted for anyone (including a connection lost before the final reply to DATA).
    pub fn send(
        &mut self,
        message: &OutgoingMessage,
        dsn: Option<&DsnRequest>,
    ) -> Result<SendReport, MssError> {
        let size = message.bytes().len();
        if let Some(limit) = self.ext.size
            && size > limit
        {
            return Err(MssError::TooLarge { size, limit });
        }
        let dsn = dsn.filter(|_| self.ext.dsn);
        let mut mail = format!("MAIL FROM:<{}>", message.from().as_str());
        if self.ext.size.is_some() {
            mail.push_str(&format!(" SIZE={size}"));
        }
        if self.ext.eight_bit_mime && !message.bytes().is_ascii() {
            mail.push_str(" BODY=8BITMIME");
        }
        if let Some(d) = dsn {
            mail.push_str(if d.headers_only {
                " RET=HDRS"
            } else {
                " RET=FULL"
            });
            if let Some(envid) = dsn::envid_for(message.message_id()) {
                mail.push_str(&format!(" ENVID={envid}"));
            }
        }
        mail.push_str("\r\n");
        let rcpts: Vec<String> = message
            .recipients()
            .iter()
            .map(|r| match dsn {
                Some(d) => format!(
                    "RCPT TO:<{}> NOTIFY={} ORCPT=rfc822;{}\r\n",
                    r.as_str(),
                    d.notify_param(),
                    dsn::xtext_encode(r.as_str())
                ),
                None => format!("RCPT TO:<{}>\r\n", r.as_str()),
            })
            .collect();

        let (mail_reply, rcpt_replies, data_reply) = if self.ext.pipelining {
            let mut batch = mail.clone();
            for r in &rcpts {
                batch.push_str(r);
            }
            batch.push_str("DATA\r\n");
            self.conn.send(&batch, "MAIL FROM")?;
            let m = self.conn.read_reply("MAIL FROM")?;
            let mut rr = Vec::with_capacity(rcpts.len());
            for _ in &rcpts {
                rr.push(self.conn.read_reply("RCPT TO")?);
            }
            let d = self.conn.read_reply("DATA")?;
            (m, rr, Some(d))
        } else {
            let m = self.conn.command(&mail, "MAIL FROM")?;
            let mut rr = Vec::new();
            if m.is_positive() {
                for r in &rcpts {
                    rr.push(self.conn.command(r, "RCPT TO")?);
                }
            }
            (m, rr, None)
        };
        if mail_reply.code != 250 {
            self.abort_transaction(data_reply.as_ref())?;
            return Err(SmtpError::Refused {
                stage: "MAIL FROM",
                code: mail_reply.code,
                text: mail_reply.text(),
            }
            .into());
        }
        let outcomes: Vec<RecipientOutcome> = message
            .recipients()
            .iter()
            .zip(&rcpt_replies)
            .map(|(r, reply)| RecipientOutcome {
                recipient: r.clone(),
                result: if reply.code == 250 || reply.code == 251 {
                    Ok(())
                } else {
                    Err(Rejection {
                        code: reply.code,
                        text: reply.text(),
                    })
                },
            })
            .collect();
        if !outcomes.iter().any(|o| o.result.is_ok()) {
            self.abort_transaction(data_reply.as_ref())?;
            return Ok(SendReport {
                recipients: outcomes,
                dsn_requested: dsn.is_some(),
                server_reply: None,
            });
        }
        let data_reply = match data_reply {
            Some(d) => d,
            None => self.conn.command("DATA\r\n", "DATA")?,
        };
        if data_reply.code != 354 {
            let _ = self.conn.command("RSET\r\n", "RSET");
            return Err(SmtpError::Refused {
                stage: "DATA",
                code: data_reply.code,
                text: data_reply.text(),
            }
            .into());
        }
        let mut body = Vec::with_capacity(size + size / 32 + 8);
        dot_stuff(message.bytes(), &mut body);
        self.conn
            .stream
            .write_all(&body)
            .map_err(Transport::Smtp.io("DATA"))?;
        self.conn
            .stream
            .flush()
            .map_err(Transport::Smtp.io("DATA"))?;
        let final_reply = self.conn.read_reply("DATA")?;
        if final_reply.code != 250 {
            let text = final_reply.text();
            if (400..600).contains(&final_reply.code) {
                let _ = self.conn.command("RSET\r\n", "RSET");
            }
            return Err(SmtpError::Refused {
                stage: "end of DATA",
                code: final_reply.code,
                text,
            }
            .into());
        }
        Ok(SendReport {
            recipients: outcomes,
            dsn_requested: dsn.is_some(),
            server_reply: Some(final_reply.text()),
        })
    }

    /// Ends a transaction that will not carry data.
    fn abort_transaction(&mut self, pipelined_data: Option<&Reply>) -> Result<(), MssError> {
        if let Some(d) = pipelined_data
            && d.code == 354
        {
            // The server opened DATA although no recipient was accepted: send an empty
            // message terminator; it must be refused, then reset.
            let _ = self.conn.command(".\r\n", "DATA")?;
        }
        let _ = self.conn.command("RSET\r\n", "RSET")?;
        Ok(())
    }

    /// Ends the session politely.
    pub fn quit(mut self) -> Result<(), MssError> {
        let _ = self.conn.command("QUIT\r\n", "QUIT")?;
        if let Stream::Tls(s) = &mut self.conn.stream {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        Ok(())
    }
}

fn expect(reply: &Reply, code: u16, stage: &'static str) -> Result<(), MssError> {
    if reply.code == code {
        Ok(())
    } else {
        Err(SmtpError::Refused {
            stage,
            code: reply.code,
            text: reply.text(),
        }
        .into())
    }
}

/// RFC 5321 §4.5.2 transparency: lines starting with `.` get another `.`; bare LF become CRLF;
/// the data ends with `CRLF.CRLF`.
pub fn dot_stuff(message: &[u8], out: &mut Vec<u8>) {
    let mut at_line_start = true;
    let mut prev = 0u8;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        at_line_start = b == b'\n';
        prev = b;
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing() {
        let mut out = Vec::new();
        dot_stuff(b"a\r\n.b\n..c", &mut out);
        assert_eq!(out, b"a\r\n..b\r\n...c\r\n.\r\n");
        out.clear();
        dot_stuff(b"x\r\n", &mut out);
        assert_eq!(out, b"x\r\n.\r\n");
    }

    #[test]
    fn extensions() {
        let r = Reply {
            code: 250,
            lines: vec![
                "mx".into(),
                "PIPELINING".into(),
                "SIZE 1000".into(),
                "AUTH xoauth2 OAUTHBEARER".into(),
                "DSN".into(),
            ],
        };
        let e = Extensions::parse(&r);
        assert!(e.dsn && e.pipelining && !e.starttls);
        assert_eq!(e.size, Some(1000));
        assert_eq!(e.auth, vec!["XOAUTH2", "OAUTHBEARER"]);
    }
}
