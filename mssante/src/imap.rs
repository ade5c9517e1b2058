//! IMAP retrieval (RFC 3501) over STARTTLS with SASL XOAUTH2 / OAUTHBEARER or a client
//! certificate (SASL EXTERNAL), idempotent by UID.
//!
//! A message is flagged with [`PROCESSED_KEYWORD`] only after the caller's handler has accepted
//! it: a crash between fetch and flag re-processes the message, it never skips it. Handlers are
//! keyed by [`MessageKey`] (UIDVALIDITY + UID) to make re-processing harmless.

use crate::discovery::Endpoint;
use crate::error::{ImapError, ImapStatus, Transport};
use crate::read::{ReadLimits, ReceivedMessage};
use crate::smtp::tcp_connect as connect_tcp;
use crate::tls::{self, TlsSettings};
use crate::token::{Authentication, OAuthMechanism, sasl_initial_response};
use crate::{MssError, ServerText};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use zeroize::Zeroizing;

/// Keyword set on messages the application has processed.
pub const PROCESSED_KEYWORD: &str = "$SegurProcessed";

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// Settings of an IMAP session.
#[derive(Clone, Debug)]
pub struct ImapSettings {
    /// Server and port (143).
    pub endpoint: Endpoint,
    /// TLS settings.
    pub tls: TlsSettings,
    /// Authentication.
    pub auth: Authentication,
    /// Folder to read (`INBOX`).
    pub mailbox: String,
    /// Read/write timeout.
    pub timeout: Duration,
    /// Limits for every message read.
    pub limits: ReadLimits,
}

/// Identifies a message durably: folder, UIDVALIDITY and UID (RFC 3501 §2.3.1.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct MessageKey {
    /// Folder.
    pub mailbox: String,
    /// UIDVALIDITY of the folder.
    pub uid_validity: u32,
    /// UID.
    pub uid: u32,
}

/// A fetched message: raw bytes and the parse result (a malformed message gives its own error,
/// the rest of the mailbox is still processed).
#[derive(Debug)]
pub struct Fetched {
    /// Durable key.
    pub key: MessageKey,
    /// Parsed message or the reason it could not be read.
    pub message: Result<ReceivedMessage, MssError>,
}

/// What the handler did with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Processed and stored by the application: flag it, it will not be handed again.
    Done,
    /// Not processed now: hand it again next time.
    Retry,
}

/// Counts of one pass over a folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FetchSummary {
    /// Messages handed to the handler.
    pub handed: usize,
    /// Of which could not be parsed.
    pub malformed: usize,
    /// Of which were flagged as processed.
    pub flagged: usize,
}

struct SaslResponder {
    first: Zeroizing<Vec<u8>>,
    sent: Cell<bool>,
    abort: &'static [u8],
}

impl imap::Authenticator for SaslResponder {
    type Response = Zeroizing<Vec<u8>>;
    fn process(&self, _challenge: &[u8]) -> Self::Response {
        if self.sent.replace(true) {
            // Second challenge = error status from the server: end the exchange.
            Zeroizing::new(self.abort.to_vec())
        } else {
            self.first.clone()
        }
    }
}

/// An authenticated IMAP session with a selected folder.
pub struct ImapSession {
    session: imap::Session<TlsStream>,
    mailbox: String,
    uid_validity: u32,
    limits: ReadLimits,
}

impl std::fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("mailbox", &self.mailbox)
            .field("uid_validity", &self.uid_validity)
            .finish()
    }
}

fn imap_err(stage: &'static str) -> impl Fn(imap::Error) -> MssError {
    move |e| match e {
        imap::Error::Io(io) => Transport::Imap.io(stage)(io),
        imap::Error::No(n) => ImapError::Refused {
            stage,
            status: ImapStatus::No,
            text: ServerText::new(&n.information),
        }
        .into(),
        imap::Error::Bad(b) => ImapError::Refused {
            stage,
            status: ImapStatus::Bad,
            text: ServerText::new(&b.information),
        }
        .into(),
        imap::Error::Bye(b) => ImapError::Refused {
            stage,
            status: ImapStatus::Bye,
            text: ServerText::new(&b.information),
        }
        .into(),
        imap::Error::ConnectionLost => ImapError::ConnectionClosed { stage }.into(),
        other => ImapError::Protocol {
            reason: format!("{stage}: {other}"),
        }
        .into(),
    }
}

/// Reads one line from the clear-text stream byte by byte, so that nothing sent after the
/// STARTTLS reply is buffered (and then trusted) before the TLS handshake.
fn read_clear_line(tcp: &mut TcpStream, stage: &'static str) -> Result<String, MssError> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let n = tcp.read(&mut byte).map_err(Transport::Imap.io(stage))?;
        if n == 0 {
            return Err(ImapError::ConnectionClosed { stage }.into());
        }
        if byte[0] == b'\n' {
            return Ok(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        if line.len() > 8192 {
            return Err(ImapError::Protocol {
                reason: format!("line too long during {stage}"),
            }
            .into());
        }
        line.push(byte[0]);
    }
}

fn starttls(settings: &ImapSettings) -> Result<imap::Client<TlsStream>, MssError> {
    let mut tcp = connect_tcp(&settings.endpoint, settings.timeout, Transport::Imap)?;
    let greeting = read_clear_line(&mut tcp, "greeting")?;
    if !greeting.starts_with("* OK") {
        // RFC 3501 §7.1.5: a server that will not serve says `* BYE`; anything else that is
        // not `* OK` is not an IMAP greeting.
        return Err(if greeting.starts_with("* BYE") {
            ImapError::Refused {
                stage: "greeting",
                status: ImapStatus::Bye,
                text: ServerText::new(&greeting),
            }
        } else {
            ImapError::Protocol {
                reason: "the greeting is not * OK".into(),
            }
        }
        .into());
    }
    tcp.write_all(b"S0 STARTTLS\r\n")
        .map_err(Transport::Imap.io("STARTTLS"))?;
    loop {
        let line = read_clear_line(&mut tcp, "STARTTLS")?;
        if line.starts_with("* ") {
            continue;
        }
        if line.starts_with("S0 OK") {
            break;
        }
        if line.starts_with("S0 ") {
            return Err(ImapError::StartTlsUnavailable.into());
        }
        return Err(ImapError::Protocol {
            reason: "unexpected line after STARTTLS".into(),
        }
        .into());
    }
    let stream = tls::handshake(&settings.tls, &settings.endpoint.host, tcp, Transport::Imap)?;
    let mut client = imap::Client::new(stream);
    client.greeting_read = true;
    Ok(client)
}

impl ImapSession {
    /// Connects, upgrades with STARTTLS, authenticates and selects the folder.
    pub fn connect(settings: &ImapSettings) -> Result<Self, MssError> {
        let mut client = starttls(settings)?;
        let caps = client
            .capabilities()
            .map_err(imap_err("CAPABILITY after STARTTLS"))?;
        let (mechanism, responder) = match &settings.auth {
            Authentication::OAuth {
                user,
                provider,
                mechanism,
            } => {
                let name = mechanism.name();
                if !caps.has_str(format!("AUTH={name}")) {
                    return Err(ImapError::NoUsableMechanism.into());
                }
                let token = provider.access_token()?;
                let first = sasl_initial_response(
                    *mechanism,
                    user,
                    &token,
                    &settings.endpoint.host,
                    settings.endpoint.port,
                );
                let abort: &'static [u8] = match mechanism {
                    OAuthMechanism::XOAuth2 => b"",
                    OAuthMechanism::OAuthBearer => b"\x01",
                };
                (
                    name,
                    SaslResponder {
                        first,
                        sent: Cell::new(false),
                        abort,
                    },
                )
            }
            Authentication::ClientCertificate => {
                if !caps.has_str("AUTH=EXTERNAL") {
                    return Err(ImapError::NoUsableMechanism.into());
                }
                (
                    "EXTERNAL",
                    SaslResponder {
                        first: Zeroizing::new(Vec::new()),
                        sent: Cell::new(false),
                        abort: b"",
                    },
                )
            }
        };
        drop(caps);
        let mut session = match client.authenticate(mechanism, &responder) {
            Ok(s) => s,
            Err((imap::Error::No(n), _)) => {
                return Err(
                    ImapError::AuthenticationFailed(ServerText::new(&n.information)).into(),
                );
            }
            Err((e, _)) => return Err(imap_err("AUTHENTICATE")(e)),
        };
        let mbox = session
            .select(&settings.mailbox)
            .map_err(imap_err("SELECT"))?;
        let uid_validity = mbox.uid_validity.ok_or(ImapError::Protocol {
            reason: "SELECT without UIDVALIDITY".into(),
        })?;
        Ok(Self {
            session,
            mailbox: settings.mailbox.clone(),
            uid_validity,
            limits: settings.limits,
        })
    }

    /// UIDVALIDITY of the selected folder.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// UIDs of messages not yet flagged as processed, ascending.
    pub fn pending(&mut self) -> Result<Vec<u32>, MssError> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search(format!("UNKEYWORD {PROCESSED_KEYWORD}"))
            .map_err(imap_err("UID SEARCH"))?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Fetches one message by UID (without setting `\Seen`).
    pub fn fetch(&mut self, uid: u32) -> Result<Fetched, MssError> {
        let key = MessageKey {
            mailbox: self.mailbox.clone(),
            uid_validity: self.uid_validity,
            uid,
        };
        let sizes = self
            .session
            .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
            .map_err(imap_err("UID FETCH size"))?;
        let size = sizes
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.size)
            .ok_or(ImapError::Protocol {
                reason: "message vanished or no RFC822.SIZE".into(),
            })? as usize;
        if size > self.limits.max_message_bytes {
            return Ok(Fetched {
                key,
                message: Err(MssError::TooLarge {
                    size,
                    limit: self.limits.max_message_bytes,
                }),
            });
        }
        let fetches = self
            .session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .map_err(imap_err("UID FETCH"))?;
        let body = fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .ok_or(ImapError::Protocol {
                reason: "FETCH without BODY[]".into(),
            })?;
        Ok(Fetched {
            key,
            message: ReceivedMessage::parse_with(body, &self.limits),
        })
    }

    /// Flags a message as processed (and `\Seen`).
    pub fn mark_processed(&mut self, uid: u32) -> Result<(), MssError> {
        self.session
            .uid_store(
                uid.to_string(),
                format!("+FLAGS.SILENT ({PROCESSED_KEYWORD} \\Seen)"),
            )
            .map_err(imap_err("UID STORE"))?;
        Ok(())
    }

    /// Hands every pending message to `handler`, in UID order, and flags those it reports
    /// [`Handled::Done`]. A handler error stops the pass (nothing after it is flagged).
    pub fn process_pending<E>(
        &mut self,
        mut handler: impl FnMut(Fetched) -> Result<Handled, E>,
    ) -> Result<Result<FetchSummary, E>, MssError> {
        let mut summary = FetchSummary::default();
        for uid in self.pending()? {
            let fetched = self.fetch(uid)?;
            summary.handed += 1;
            if fetched.message.is_err() {
                summary.malformed += 1;
            }
            match handler(fetched) {
                Ok(Handled::Done) => {
                    self.mark_processed(uid)?;
                    summary.flagged += 1;
                }
                Ok(Handled::Retry) => {}
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(summary))
    }

    /// Appends a message to a folder (e.g. `Sent`), for tests and archiving.
    pub fn append(&mut self, folder: &str, message: &[u8]) -> Result<(), MssError> {
        self.session
            .append(folder, message)
            .finish()
            .map_err(imap_err("APPEND"))?;
        Ok(())
    }

    /// Logs out.
    pub fn logout(mut self) -> Result<(), MssError> {
        self.session.logout().map_err(imap_err("LOGOUT"))
    }
}

/// Processes several mailboxes at once, one connection each, in parallel threads. The handler
/// receives the index of the mailbox in `settings`. Returns one result per mailbox.
pub fn process_mailboxes<F>(
    settings: &[ImapSettings],
    handler: F,
) -> Vec<Result<FetchSummary, MssError>>
where
    F: Fn(usize, Fetched) -> Handled + Sync,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = settings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let handler = &handler;
                scope.spawn(move || {
                    let mut session = ImapSession::connect(s)?;
                    let summary = session
                        .process_pending(|f| Ok::<_, std::convert::Infallible>(handler(i, f)))?;
                    let _ = session.logout();
                    match summary {
                        Ok(s) => Ok(s),
                        Err(never) => match never {},
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ImapError::Protocol {
                        reason: "mailbox worker panicked".into(),
                    }
                    .into())
                })
            })
            .collect()
    })
}
