//! `segur mss ...`: compose (`eml`), send, fetch and read MSSanté messages.
//!
//! The JSON printed by `eml` and `read` is that of the C API (`segur_mss_compose`,
//! `segur_mss_parse`): both print the view types of `segur_mssante::view`.
//!
//! Tokens are read from an environment variable (never from the command line, never printed);
//! patient recipients come from a qualified identity file (the serde form of
//! `segur_ins::Identity`), never from a typed INS.

use clap::{Args as ClapArgs, Subcommand};
use segur_mssante::compose::{MessageBuilder, MessageId, PdfAttachment, ProductReference, Subject};
use segur_mssante::discovery::{Discovery, Endpoint, system_resolver};
use segur_mssante::dsn::DsnRequest;
use segur_mssante::imap::{Handled, ImapSession, ImapSettings};
use segur_mssante::read::ReadLimits;
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use segur_mssante::token::{Authentication, OAuthMechanism};
use segur_mssante::view::{ComposeSummary, ReceivedView, ReportView, SendOutcomeView};
use segur_mssante::{MailAddress, MssError, OutgoingMessage, PatientAddress, Recipient};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// `segur mss` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Compose a message to a file (no server). Prints a JSON summary.
    Eml {
        #[command(flatten)]
        compose: Box<Compose>,
        /// Output file (`-` for standard output).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Compose and submit a message over SMTP STARTTLS. Prints the outcome per recipient as
    /// JSON (that of `segur_mss_send`); exit status 1 when a recipient was not accepted.
    Send {
        #[command(flatten)]
        compose: Box<Compose>,
        #[command(flatten)]
        conn: Connection,
        /// SMTP submission server `host:port`; default: DNS SRV of the sender's domain.
        #[arg(long)]
        smtp: Option<String>,
        /// Request a delivery status notification (sent only if the server offers DSN).
        #[arg(long)]
        dsn: bool,
    },
    /// Fetch unprocessed messages over IMAP STARTTLS, write them as `.eml` and print one JSON
    /// line each; flags them processed unless `--peek`.
    Fetch {
        #[command(flatten)]
        conn: Connection,
        /// Mailbox address (SASL user).
        #[arg(long)]
        user: String,
        /// IMAP server `host:port`; default: DNS SRV of the user's domain.
        #[arg(long)]
        imap: Option<String>,
        /// Folder.
        #[arg(long, default_value = "INBOX")]
        folder: String,
        /// Directory for the `.eml` files.
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// Do not flag messages as processed.
        #[arg(long)]
        peek: bool,
    },
    /// Read a received message (`.eml` file, `-` for standard input) and print it as JSON
    /// (headers, `X-MSS-*`, bodies, attachments in base64, MDN/DSN report): the JSON of
    /// `segur_mss_parse`. It holds the message's content (patient data).
    Read {
        /// The message file.
        file: PathBuf,
    },
}

/// Message composition options.
#[derive(ClapArgs)]
pub struct Compose {
    /// Sender address.
    #[arg(long)]
    from: String,
    /// Sender label.
    #[arg(long)]
    from_label: Option<String>,
    /// Professional recipient (repeatable).
    #[arg(long)]
    to: Vec<String>,
    /// Copy recipient (repeatable).
    #[arg(long)]
    cc: Vec<String>,
    /// Patient recipient: a JSON file holding a qualified identity (repeatable).
    #[arg(long)]
    patient_identity: Vec<PathBuf>,
    /// Subject.
    #[arg(long)]
    subject: String,
    /// Prefix the subject with `XDM/1.0/DDM+`.
    #[arg(long)]
    xdm_subject: bool,
    /// Plain-text body.
    #[arg(long, default_value = "")]
    text: String,
    /// HTML alternative body file.
    #[arg(long)]
    html_file: Option<PathBuf>,
    /// IHE_XDM.ZIP file to attach.
    #[arg(long, conflicts_with = "cda")]
    xdm: Option<PathBuf>,
    /// CDA file to pack into an IHE_XDM.ZIP and attach.
    #[arg(long)]
    cda: Option<PathBuf>,
    /// Sender organisation (with its FINESS) for the README.TXT of the IHE_XDM.ZIP packed
    /// from `--cda` (IHE ITI TF-1 §16: README.TXT names the media's sender); required with
    /// `--cda`.
    #[arg(long, requires = "cda")]
    organization: Option<String>,
    /// How to reach the sender, for README.TXT when packing `--cda`. Default: the `--from`
    /// address, which is the MSSanté mailbox the recipient answers to.
    #[arg(long, requires = "cda")]
    contact: Option<String>,
    /// Source OID written in the XDM metadata when packing `--cda`.
    #[arg(long, default_value = "1.2.250.1.213.4.1.1.1")]
    source_oid: String,
    /// PDF to attach.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// Product reference for `X-MSS-NIL`.
    #[arg(long)]
    nil: String,
    /// Request a read receipt (Disposition-Notification-To).
    #[arg(long)]
    read_receipt: bool,
    /// `X-MSS-MES: FIN` (patient may not reply).
    #[arg(long)]
    end_of_conversation: bool,
    /// Message-ID this message answers.
    #[arg(long)]
    in_reply_to: Option<String>,
    /// Size limit in bytes (operator limit).
    #[arg(long, default_value_t = segur_mssante::compose::DEFAULT_SIZE_LIMIT)]
    size_limit: usize,
    /// Message-ID `<id@domain>` chosen by the application (default: a random one in the
    /// sender's domain), for example to resend the same message.
    #[arg(long)]
    message_id: Option<String>,
    /// Date of the message, in Unix seconds (default: now).
    #[arg(long)]
    date: Option<i64>,
}

/// Connection options.
#[derive(ClapArgs)]
pub struct Connection {
    /// PEM file of the trust anchors (IGC Santé roots in production).
    #[arg(long)]
    ca: PathBuf,
    /// Environment variable holding the PSC access token (XOAUTH2).
    #[arg(long, default_value = "SEGUR_MSS_TOKEN")]
    token_env: String,
    /// Use OAUTHBEARER instead of XOAUTH2.
    #[arg(long)]
    oauthbearer: bool,
    /// PKCS#12 software certificate of an applicative mailbox (mutual TLS instead of a token).
    #[arg(long)]
    p12: Option<PathBuf>,
    /// Environment variable holding the PKCS#12 password.
    #[arg(long, default_value = "SEGUR_MSS_P12_PASSWORD")]
    p12_password_env: String,
    /// Timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub(crate) timeout: u64,
}

/// Runs a `segur mss` subcommand.
pub fn run(cmd: Command) -> ExitCode {
    let result = match cmd {
        Command::Eml { compose, out } => eml(&compose, &out),
        Command::Send {
            compose,
            conn,
            smtp,
            dsn,
        } => send(&compose, &conn, smtp.as_deref(), dsn),
        Command::Fetch {
            conn,
            user,
            imap,
            folder,
            out_dir,
            peek,
        } => fetch(
            &conn,
            &user,
            imap.as_deref(),
            &folder,
            out_dir.as_deref(),
            peek,
        ),
        Command::Read { file } => read(&file),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("segur mss: {}", crate::terminal::safe(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// A file given to `segur mss`, under the IHE_XDM archive limit (the largest input a message
/// may carry), applied while reading.
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    crate::input::read_limited(path, crate::input::xdm_limit())
}

fn compose(c: &Compose) -> Result<OutgoingMessage, String> {
    let e = |e: MssError| e.to_string();
    let from = MailAddress::parse(&c.from).map_err(e)?;
    let mut b = MessageBuilder::new(from, ProductReference::new(&c.nil).map_err(e)?)
        .subject(if c.xdm_subject {
            Subject::xdm(&c.subject).map_err(e)?
        } else {
            Subject::plain(&c.subject).map_err(e)?
        })
        .text(&c.text)
        .size_limit(c.size_limit);
    if let Some(label) = &c.from_label {
        b = b.from_label(label).map_err(e)?;
    }
    for t in &c.to {
        b = b.to(Recipient::professional(MailAddress::parse(t).map_err(e)?).map_err(e)?);
    }
    for t in &c.cc {
        b = b.cc(Recipient::professional(MailAddress::parse(t).map_err(e)?).map_err(e)?);
    }
    for p in &c.patient_identity {
        let json = read_file(p)?;
        let q: segur_ins::QualifiedIdentity =
            crate::json_input::parse(&json, "the qualified identity")?;
        b = b.to(PatientAddress::of(&q));
    }
    if let Some(h) = &c.html_file {
        let html = String::from_utf8(read_file(h)?).map_err(|_| "HTML file is not UTF-8")?;
        b = b.html(&html);
    }
    if let Some(x) = &c.xdm {
        b = b.xdm(read_file(x)?);
    }
    if let Some(cda) = &c.cda {
        // The organisation cannot be told from an address: it is asked for. The contact
        // defaults to the From address, where the recipient's answer reaches the sender.
        let organization = c
            .organization
            .clone()
            .ok_or("--cda needs --organization: README.TXT names the sender's organisation")?;
        let opts = segur_dmp_cda::PackOptions {
            source_id: c.source_oid.clone(),
            sender: segur_dmp_cda::XdmSender {
                name: c.from_label.clone().unwrap_or_default(),
                organization,
                contact: c.contact.clone().unwrap_or_else(|| c.from.clone()),
                application: "segur".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..Default::default()
            },
            ..Default::default()
        };
        let (zip, _) =
            segur_dmp_cda::pack_cda(&read_file(cda)?, None, &opts).map_err(|e| e.to_string())?;
        b = b.xdm(zip);
    }
    if let Some(p) = &c.pdf {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("document.pdf");
        b = b.pdf(PdfAttachment::new(name, read_file(p)?).map_err(e)?);
    }
    if c.read_receipt {
        b = b.request_read_receipt();
    }
    if c.end_of_conversation {
        b = b.end_of_conversation();
    }
    if let Some(id) = &c.in_reply_to {
        b = b.in_reply_to(MessageId::parse(id).map_err(e)?, &[]);
    }
    if let Some(id) = &c.message_id {
        b = b.message_id(MessageId::parse(id).map_err(e)?);
    }
    if let Some(d) = c.date {
        b = b.date(d);
    }
    b.build().map_err(e)
}

/// One JSON document on a line: the view types serialise plain data and cannot fail.
fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    crate::terminal::print_json(v, false).map_err(|e| e.to_string())
}

fn read(file: &std::path::Path) -> Result<ExitCode, String> {
    // `-` is standard input.
    let raw = read_file(file)?;
    let m = segur_mssante::ReceivedMessage::parse(&raw).map_err(|e| e.to_string())?;
    print_json(&ReceivedView::of(&m))?;
    Ok(ExitCode::SUCCESS)
}

fn eml(c: &Compose, out: &std::path::Path) -> Result<ExitCode, String> {
    let m = compose(c)?;
    if out.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout()
            .write_all(m.bytes())
            .inspect_err(crate::terminal::exit_if_broken_pipe)
            .map_err(|e| e.to_string())?;
    } else {
        std::fs::write(out, m.bytes()).map_err(|e| format!("{}: {e}", out.display()))?;
        print_json(&ComposeSummary::of(&m))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn tls_and_auth(
    conn: &Connection,
    user: &MailAddress,
) -> Result<(TlsSettings, Authentication), String> {
    let anchors = TrustAnchors::from_pem(&read_file(&conn.ca)?).map_err(|e| e.to_string())?;
    if let Some(p12) = &conn.p12 {
        let password = segur_mssante::token::Zeroizing::new(
            std::env::var(&conn.p12_password_env).unwrap_or_default(),
        );
        let id =
            ClientIdentity::from_pkcs12(&read_file(p12)?, &password).map_err(|e| e.to_string())?;
        let tls = TlsSettings::new(&anchors, Some(&id)).map_err(|e| e.to_string())?;
        return Ok((tls, Authentication::ClientCertificate));
    }
    // The caller's token follows the one rule of `CallerToken` (240 s, never refreshed).
    let token = segur_mssante::token::CallerToken::new(
        std::env::var(&conn.token_env)
            .map_err(|_| format!("no access token in ${}", conn.token_env))?,
        None,
    )
    .map_err(|e| e.to_string())?;
    let tls = TlsSettings::new(&anchors, None).map_err(|e| e.to_string())?;
    Ok((
        tls,
        Authentication::OAuth {
            user: user.clone(),
            provider: Arc::new(token),
            mechanism: if conn.oauthbearer {
                OAuthMechanism::OAuthBearer
            } else {
                OAuthMechanism::XOAuth2
            },
        },
    ))
}

pub(crate) fn endpoint(
    explicit: Option<&str>,
    domain: &str,
    imap: bool,
) -> Result<Endpoint, String> {
    if let Some(hp) = explicit {
        let (h, p) = hp.rsplit_once(':').ok_or("expected host:port")?;
        return Ok(Endpoint::new(h, p.parse().map_err(|_| "invalid port")?));
    }
    let d = Discovery::Srv {
        resolver: system_resolver().map_err(|e| e.to_string())?,
        timeout: Duration::from_secs(5),
    };
    let s = d.servers(domain).map_err(|e| e.to_string())?;
    let list = if imap { s.imap } else { s.submission };
    list.into_iter()
        .next()
        .ok_or_else(|| format!("no SRV record for {domain}"))
}

fn send(c: &Compose, conn: &Connection, smtp: Option<&str>, dsn: bool) -> Result<ExitCode, String> {
    let m = compose(c)?;
    let (tls, auth) = tls_and_auth(conn, m.from())?;
    let settings = SmtpSettings {
        endpoint: endpoint(smtp, m.from().domain(), false)?,
        tls,
        auth,
        hello_name: "segur.localhost".into(),
        timeout: Duration::from_secs(conn.timeout),
    };
    let mut session = SmtpSession::connect(&settings).map_err(|e| e.to_string())?;
    let report = session
        .send(&m, dsn.then(DsnRequest::default).as_ref())
        .map_err(|e| e.to_string())?;
    let _ = session.quit();
    let outcome = SendOutcomeView::of(&m, &report);
    print_json(&outcome)?;
    Ok(if outcome.all_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn fetch(
    conn: &Connection,
    user: &str,
    imap: Option<&str>,
    folder: &str,
    out_dir: Option<&std::path::Path>,
    peek: bool,
) -> Result<ExitCode, String> {
    let user = MailAddress::parse(user).map_err(|e| e.to_string())?;
    let (tls, auth) = tls_and_auth(conn, &user)?;
    let settings = ImapSettings {
        endpoint: endpoint(imap, user.domain(), true)?,
        tls,
        auth,
        mailbox: folder.to_owned(),
        timeout: Duration::from_secs(conn.timeout),
        limits: ReadLimits::default(),
    };
    let mut session = ImapSession::connect(&settings).map_err(|e| e.to_string())?;
    let outcome = session
        .process_pending(|f| -> Result<Handled, String> {
            let k = &f.key;
            let mut line = serde_json::json!({"uid": k.uid, "uid_validity": k.uid_validity});
            match &f.message {
                Ok(m) => {
                    if let Some(dir) = out_dir {
                        let path = dir.join(format!("{}-{}.eml", k.uid_validity, k.uid));
                        std::fs::write(&path, m.raw())
                            .map_err(|e| format!("{}: {e}", path.display()))?;
                        line["file"] = path.display().to_string().into();
                    }
                    line["message_id"] = m.message_id.as_ref().map(|i| i.as_str().to_owned()).into();
                    line["x_mss_codecda"] = m.mss.codecda.clone().into();
                    line["x_mss_ins"] = m.mss.ins.map(segur_mssante::view::x_mss_ins_flag).into();
                    line["from_patient"] = m.is_from_patient().into();
                    line["attachments"] = m
                        .attachments
                        .iter()
                        .map(|a| serde_json::json!({"kind": a.kind, "content_type": a.content_type, "bytes": a.data.len()}))
                        .collect::<Vec<_>>()
                        .into();
                    line["report"] = serde_json::to_value(m.report.as_ref().map(ReportView::of))
                        .map_err(|e| e.to_string())?;
                }
                Err(e) => line["error"] = e.to_string().into(),
            }
            println!("{}", crate::terminal::json(&line.to_string()));
            Ok(if peek { Handled::Retry } else { Handled::Done })
        })
        .map_err(|e| e.to_string())?;
    let _ = session.logout();
    let s = outcome?;
    eprintln!(
        "segur mss fetch: {} handed, {} malformed, {} flagged",
        s.handed, s.malformed, s.flagged
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(subcommand)]
        c: Command,
    }

    #[test]
    fn eml_composes_a_file() {
        let dir = std::env::temp_dir().join(format!("segur-mss-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let out = dir.join("m.eml");
        let t = T::try_parse_from([
            "x",
            "eml",
            "--from",
            "pharma@test.mssante.fr",
            "--to",
            "doc@test.mssante.fr",
            "--subject",
            "Bonjour",
            "--text",
            "Texte",
            "--nil",
            "NIL-1",
            "--read-receipt",
            "--out",
            out.to_str().unwrap_or_default(),
        ]);
        let Ok(T {
            c: Command::Eml { compose: c, out },
        }) = t
        else {
            panic!("arguments not parsed");
        };
        assert!(eml(&c, &out).is_ok());
        let bytes = std::fs::read(&out).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("X-MSS-NIL: NIL-1"));
        assert!(text.contains("Disposition-Notification-To: <pharma@test.mssante.fr>"));
        let _ = std::fs::remove_dir_all(&dir);
        // A patient address typed as a professional one is refused.
        let t = T::try_parse_from([
            "x",
            "eml",
            "--from",
            "pharma@test.mssante.fr",
            "--to",
            "279035121518989@patient.mssante.fr",
            "--subject",
            "s",
            "--nil",
            "N",
            "--out",
            "-",
        ]);
        let Ok(T {
            c: Command::Eml { compose: c, .. },
        }) = t
        else {
            panic!("arguments not parsed");
        };
        assert!(compose(&c).is_err());
    }
}
