//! `segur inbox ...`: the MSSanté inbox filed into the document store (`segur_store`).
//!
//! `sync` takes the mailbox settings as `segur mss fetch` does (token from an environment
//! variable, never the command line). Every command takes `--store PATH` (default
//! `./segur-store`). The JSON printed is that of the view types of `segur_store`
//! (`SyncReport`, `view::ReviewView`): counts, local ids, hashes and reasons, and the file
//! names attachments were sent with.

use clap::{Args as ClapArgs, Subcommand};
use segur_mssante::imap::ImapSettings;
use segur_mssante::read::ReadLimits;
use segur_mssante::smtp::SmtpSettings;
use segur_mssante::{MailAddress, ProductReference};
use segur_store::inbox::{MdnSettings, SyncOptions, sync};
use segur_store::model::{LocalPatientId, ReviewDecision, ReviewId};
use segur_store::view::ReviewView;
use segur_store::{DocumentStore, SqliteStore};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The store folder option.
#[derive(ClapArgs)]
pub struct StoreArg {
    /// The store folder (created when missing).
    #[arg(long = "store", default_value = "./segur-store")]
    path: PathBuf,
}

/// `segur inbox` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Fetch pending messages and file their documents: to the patient when the INS is
    /// qualified and matches one local identity whose traits agree, else to the review list.
    /// Flags each message processed after it is stored; sends the MDN asked for when `--nil`
    /// is given.
    Sync {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        conn: crate::mss::Connection,
        /// Mailbox address (SASL user).
        #[arg(long)]
        user: String,
        /// IMAP server `host:port`; default: DNS SRV of the user's domain.
        #[arg(long)]
        imap: Option<String>,
        /// SMTP submission server `host:port` for MDNs; default: DNS SRV.
        #[arg(long)]
        smtp: Option<String>,
        /// Folder.
        #[arg(long, default_value = "INBOX")]
        folder: String,
        /// Product reference (`X-MSS-NIL`) of the MDNs; without it no MDN is sent.
        #[arg(long)]
        nil: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the documents waiting for review.
    Review {
        #[command(flatten)]
        store: StoreArg,
        /// Also list decided entries.
        #[arg(long)]
        all: bool,
        /// Print JSON (one array).
        #[arg(long)]
        json: bool,
    },
    /// Attach a document waiting for review to a local patient (recorded in the audit trail).
    Attach {
        /// Review id (from `segur inbox review`).
        id: i64,
        /// Local patient id.
        #[arg(long)]
        patient: i64,
        #[command(flatten)]
        store: StoreArg,
        /// Who decides (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Reject a document waiting for review (kept, linked to nobody; recorded in the audit
    /// trail).
    Reject {
        /// Review id.
        id: i64,
        #[command(flatten)]
        store: StoreArg,
        /// Who decides (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
}

/// Runs a `segur inbox` subcommand.
pub fn run(cmd: Command) -> ExitCode {
    let result = match cmd {
        Command::Sync {
            store,
            conn,
            user,
            imap,
            smtp,
            folder,
            nil,
            json,
        } => run_sync(
            &store,
            &conn,
            &user,
            imap.as_deref(),
            smtp.as_deref(),
            &folder,
            nil.as_deref(),
            json,
        ),
        Command::Review { store, all, json } => review(&store, all, json),
        Command::Attach {
            id,
            patient,
            store,
            actor,
        } => decide(
            &store,
            id,
            &ReviewDecision::Attach(LocalPatientId(patient)),
            actor,
        ),
        Command::Reject { id, store, actor } => decide(&store, id, &ReviewDecision::Reject, actor),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("segur inbox: {}", crate::terminal::safe(&e));
            ExitCode::from(2)
        }
    }
}

fn open(store: &StoreArg) -> Result<SqliteStore, String> {
    SqliteStore::open(&store.path).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
fn run_sync(
    store: &StoreArg,
    conn: &crate::mss::Connection,
    user: &str,
    imap: Option<&str>,
    smtp: Option<&str>,
    folder: &str,
    nil: Option<&str>,
    json: bool,
) -> Result<ExitCode, String> {
    let user = MailAddress::parse(user).map_err(|e| e.to_string())?;
    let (tls, auth) = crate::mss::tls_and_auth(conn, &user)?;
    let timeout = Duration::from_secs(conn.timeout);
    let settings = ImapSettings {
        endpoint: crate::mss::endpoint(imap, user.domain(), true)?,
        tls: tls.clone(),
        auth: auth.clone(),
        mailbox: folder.to_owned(),
        timeout,
        limits: ReadLimits::default(),
    };
    let mdn = match nil {
        Some(nil) => Some(MdnSettings {
            smtp: SmtpSettings {
                endpoint: crate::mss::endpoint(smtp, user.domain(), false)?,
                tls,
                auth,
                hello_name: user.domain().to_owned(),
                timeout,
            },
            reporter: user.clone(),
            nil: ProductReference::new(nil).map_err(|e| e.to_string())?,
        }),
        None => None,
    };
    let mut store = open(store)?;
    let options = SyncOptions {
        mdn,
        ..Default::default()
    };
    let report = sync(&settings, &mut store, &options).map_err(|e| e.to_string())?;
    if json {
        crate::terminal::print_json(&report, false).map_err(|e| e.to_string())?;
    } else {
        println!(
            "{} message(s): {} filed, {} already filed, {} unreadable; {} document(s) filed to \
             a patient, {} to review; {} MDN sent, {} not sent",
            report.messages,
            report.filed_messages,
            report.already_filed,
            report.unreadable,
            report.filed_documents,
            report.to_review,
            report.mdn_sent,
            report.mdn_not_sent
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn review(store: &StoreArg, all: bool, json: bool) -> Result<ExitCode, String> {
    let store = open(store)?;
    let e = |e: segur_store::StoreError| e.to_string();
    let mut views = Vec::new();
    for item in store.reviews(!all).map_err(e)? {
        let document = store
            .document(item.document)
            .map_err(e)?
            .ok_or_else(|| format!("review {}: document {} missing", item.id, item.document))?;
        views.push(ReviewView::new(&item, &document));
    }
    if json {
        crate::terminal::print_json(&views, false).map_err(|e| e.to_string())?;
    } else {
        for v in &views {
            println!(
                "{}\t{}\t{:?}\t{}\t{}",
                v.id,
                v.reason.as_str(),
                v.state,
                v.document.media_type,
                crate::terminal::safe(v.document.file_name.as_deref().unwrap_or("-"))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(
    store: &StoreArg,
    id: i64,
    decision: &ReviewDecision,
    actor: Option<String>,
) -> Result<ExitCode, String> {
    let actor = actor
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .ok_or("no --actor and no login name in $USER")?;
    let mut store = open(store)?;
    store
        .decide_review(ReviewId(id), decision, &actor)
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
