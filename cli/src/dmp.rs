//! `segur dmp ...`: the DMP client (existence test, feed, search, retrieve, status and
//! confidentiality updates) and the DMP button URLs. Exit 0 on success, 1 when the DMP
//! refuses (SOAP fault, registry failure, negative acknowledgement), 2 on any other error.
//!
//! `get --store DIR` keeps what it retrieves (`segur_store::retrieved`): a document kept before
//! is written from the store without any DMP request.
//!
//! The DMP calls carry no `Authorization` header unless asked: `--token-file FILE` sends that
//! Pro Santé Connect token, `--psc` a token of the desktop's PSC session (`segur psc login`;
//! settings from `--psc-config`, the `SEGUR_PSC_*` variables or the default file) that the
//! proxy e-Santé releases for backend `--psc-backend` (default `dmp`). How the DMP receives a
//! PSC token is not published (psc.md §10), hence opt-in.

use crate::terminal::{safe, say, say_err};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::from_xdm::{self, DocumentKind, ReceivedXdm, Selection};
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::{FindDocuments, QueryCode, StatusFilter};
use segur_dmp::td33::{ConfidentialityChange, StatusChange};
use segur_dmp::view::FeedView;
use segur_dmp::web::WebPage;
use segur_dmp::{DmpError, DmpPatient};

/// `segur dmp` arguments.
#[derive(ClapArgs)]
pub struct Args {
    /// The client configuration (`dmp.toml`, as `segur dmp simulate --write-config` writes it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Send `Authorization: Bearer` with the Pro Santé Connect token of this file (RFC 6750).
    #[arg(long, global = true, conflicts_with = "psc")]
    token_file: Option<PathBuf>,
    /// Send `Authorization: Bearer` with a token of the desktop's PSC session (`segur psc
    /// login`), asked from the proxy e-Santé for each request.
    #[arg(long, global = true)]
    psc: bool,
    /// --psc: the proxy e-Santé backend whose token the DMP takes.
    #[arg(long, global = true, default_value = "dmp")]
    psc_backend: String,
    #[command(flatten)]
    psc_session: crate::psc_settings::SessionArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Status {
    Approved,
    Deprecated,
    All,
}

/// DMP subcommands.
#[derive(Subcommand)]
enum Command {
    /// TD0.2: does the patient have a DMP, is the professional authorised.
    Status {
        /// The patient's INS matricule (15 characters), of a qualified identity.
        #[arg(long)]
        ins: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// TD2.1: feed a CDA (the patient INS comes from the CDA), or documents of a received
    /// IHE_XDM.ZIP (metadata from its METADATA.XML, checked against each CDA; without
    /// --document or --all, its documents are listed and nothing is fed).
    Feed {
        /// The CDA document.
        #[arg(long, required_unless_present = "xdm", conflicts_with = "xdm")]
        cda: Option<PathBuf>,
        /// The uniqueId of the document this one replaces.
        #[arg(long, requires = "cda")]
        replaces: Option<String>,
        /// A received IHE_XDM.ZIP.
        #[arg(long)]
        xdm: Option<PathBuf>,
        /// Feed this document of the XDM (its index in the listing, as `segur xdm inspect
        /// --json` numbers them); repeatable.
        #[arg(
            long = "document",
            value_name = "N",
            requires = "xdm",
            conflicts_with = "all"
        )]
        documents: Vec<usize>,
        /// Feed every CDA of the XDM (other documents are reported, not fed).
        #[arg(long, requires = "xdm")]
        all: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// TD3.1: the patient's documents.
    Find {
        /// The patient's INS matricule.
        #[arg(long)]
        ins: String,
        /// Only this typeCode (LOINC).
        #[arg(long)]
        type_code: Option<String>,
        /// Statuses to return.
        #[arg(long, value_enum, default_value = "approved")]
        status: Status,
        /// JSON output: one array of entries.
        #[arg(long)]
        json: bool,
    },
    /// TD3.2: retrieve a document into a file. With --store, the document is looked up in
    /// the store first and written from there without calling the DMP; otherwise it is
    /// retrieved, kept in the store (filed to the patient or listed for review, the
    /// consultation recorded in the audit trail), then written.
    Get {
        /// The patient's INS matricule.
        #[arg(long)]
        ins: String,
        /// The document's uniqueId.
        #[arg(long)]
        unique_id: String,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// The store folder keeping documents retrieved from the DMP (created when missing).
        #[arg(long)]
        store: Option<PathBuf>,
        /// --store: who consults the document, for the audit trail (default: the login name).
        #[arg(long, requires = "store")]
        actor: Option<String>,
    },
    /// TD3.3a: hide the document from other professionals.
    Mask(Target),
    /// TD3.3a: show the document to other professionals again.
    Unmask(Target),
    /// TD3.3d: archive the document.
    Archive(Target),
    /// TD3.3c: delete the document.
    Delete(Target),
    /// Run a local DMP over mutual TLS (TD0.2, TD0.3, TD2.1, TD3.1, TD3.2, TD3.3) with its own
    /// test PKI; prints `listening on ADDR` first and runs until killed.
    Simulate(crate::dmp_simulate::SimulateArgs),
    /// The DMP button: print the professionals' web site URL of PAGE (TableauDeBord,
    /// DossierPatient, Documents, ...).
    Web {
        /// The page.
        page: String,
        /// The patient's INS matricule.
        #[arg(long)]
        ins: Option<String>,
    },
}

/// The document of an update.
#[derive(ClapArgs)]
struct Target {
    /// The patient's INS matricule.
    #[arg(long)]
    ins: String,
    /// The document's uniqueId.
    #[arg(long)]
    unique_id: String,
}

enum Failure {
    Refusal(String),
    Other(String),
}

impl From<DmpError> for Failure {
    fn from(e: DmpError) -> Self {
        if e.is_refusal() {
            Self::Refusal(e.to_string())
        } else {
            Self::Other(e.to_string())
        }
    }
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Self::Other(e)
    }
}

/// Runs a DMP subcommand.
pub fn run(args: Args) -> ExitCode {
    if let Command::Simulate(sim) = args.command {
        return crate::dmp_simulate::simulate(sim);
    }
    match exec(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refusal(e)) => {
            say_err!("segur dmp: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Other(e)) => {
            say_err!("segur dmp: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(config: Option<&Path>) -> Result<DmpConfig, Failure> {
    let path = config.ok_or_else(|| "--config FILE (dmp.toml) is required".to_owned())?;
    DmpConfig::load(path).map_err(|e| Failure::Other(e.to_string()))
}

fn patient(config: &DmpConfig, matricule: &str) -> Result<DmpPatient, Failure> {
    let oid = config.ins_oid.as_deref().unwrap_or(segur_ins::OID_INS_NIR);
    let ins = segur_ins::Ins::from_parts(matricule, oid)
        .map_err(|e| Failure::Other(format!("--ins: {e}")))?;
    // The command line is given the matricule of an identity the caller holds as qualified.
    Ok(DmpPatient::attested_qualified(ins))
}

fn json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// The bearer tokens of `--token-file` or `--psc`, when asked for (how the DMP receives a PSC
/// token is not published, psc.md §10: none is sent unless asked).
fn bearer_tokens(
    args: &Args,
) -> Result<Option<std::sync::Arc<dyn segur_net::token::TokenProvider>>, Failure> {
    if let Some(path) = &args.token_file {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| Failure::Other(format!("--token-file {}: {e}", path.display())))?,
        );
        let token = segur_net::token::CallerToken::new(text.trim().to_owned(), None)
            .map_err(|e| Failure::Other(format!("--token-file: {e}")))?;
        return Ok(Some(std::sync::Arc::new(token)));
    }
    if !args.psc {
        // A session setting without --psc would be silently unused.
        if args.psc_session.given() {
            return Err(Failure::Other("--psc-config is a setting of --psc".into()));
        }
        return Ok(None);
    }
    let settings = args.psc_session.settings().map_err(Failure::Other)?;
    let tokens =
        crate::psc::session_tokens(&settings, &args.psc_backend).map_err(Failure::Other)?;
    Ok(Some(std::sync::Arc::new(tokens)))
}

fn exec(args: Args) -> Result<(), Failure> {
    let config_path = args.config.as_deref();
    if let Command::Web { page, ins } = &args.command {
        return web(config_path, page, ins.as_deref());
    }
    let config = load(config_path)?;
    let client = DmpClient::from_config(&config)?;
    let client = match bearer_tokens(&args)? {
        Some(tokens) => client.with_bearer_tokens(tokens),
        None => client,
    };
    match args.command {
        Command::Status { ins, json: as_json } => {
            let p = patient(&config, &ins)?;
            let r = client.existence_test(&p)?;
            if as_json {
                json(&r)?;
            } else {
                let state = match r.state {
                    segur_dmp::td02::DmpState::Active => "active",
                    segur_dmp::td02::DmpState::Closed => "closed",
                    segur_dmp::td02::DmpState::Absent => "absent",
                };
                say!("DMP: {state}");
                say!(
                    "authorisation: {}",
                    r.authorization.as_deref().unwrap_or("none")
                );
                if let Some(mt) = r.treating_doctor {
                    say!("médecin traitant DMP: {}", if mt { "yes" } else { "no" });
                }
            }
        }
        Command::Feed {
            xdm: Some(xdm),
            documents,
            all,
            json: as_json,
            ..
        } => feed_xdm(&client, &xdm, documents, all, as_json)?,
        Command::Feed {
            cda: Some(cda),
            replaces,
            json: as_json,
            ..
        } => {
            let bytes = crate::input::read_limited(&cda, crate::input::cda_limit())?;
            let doc = FeedDocument::from_cda(bytes, &Default::default())?;
            let outcome = client.feed(&doc, replaces.as_deref())?;
            let view = FeedView {
                outcome: match outcome {
                    FeedOutcome::Fed => "fed",
                    FeedOutcome::AlreadyPresent => "already_present",
                },
                unique_id: doc.unique_id().to_owned(),
                replaces,
            };
            if as_json {
                json(&view)?;
            } else {
                say!("{} {}", view.outcome, view.unique_id);
            }
        }
        Command::Find {
            ins,
            type_code,
            status,
            json: as_json,
        } => {
            let p = patient(&config, &ins)?;
            let query = FindDocuments {
                status: match status {
                    Status::Approved => StatusFilter::Approved,
                    Status::Deprecated => StatusFilter::Deprecated,
                    Status::All => StatusFilter::All,
                },
                type_codes: type_code
                    .map(|code| QueryCode {
                        code,
                        scheme: "2.16.840.1.113883.6.1".to_owned(),
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            };
            let entries = client.find(&p, &query)?;
            if as_json {
                json(&entries)?;
            } else {
                for e in &entries {
                    // Each field escaped on its own: the tabs between them are ours.
                    println!(
                        "{}\t{}\t{}\t{}",
                        safe(&e.unique_id),
                        safe(&e.status.to_string()),
                        safe(e.type_code.as_deref().unwrap_or("-")),
                        safe(e.creation_time.as_deref().unwrap_or("-"))
                    );
                }
            }
        }
        Command::Get {
            ins,
            unique_id,
            output,
            store: None,
            ..
        } => {
            let p = patient(&config, &ins)?;
            let doc = client.retrieve(&p, &unique_id)?;
            std::fs::write(&output, &doc.bytes)
                .map_err(|e| format!("{}: {e}", output.display()))?;
        }
        Command::Get {
            ins,
            unique_id,
            output,
            store: Some(store),
            actor,
        } => get_kept(
            &client,
            &patient(&config, &ins)?,
            &unique_id,
            &output,
            &store,
            actor,
        )?,
        Command::Mask(t) => client.update_confidentiality(
            &patient(&config, &t.ins)?,
            &t.unique_id,
            ConfidentialityChange::Mask,
        )?,
        Command::Unmask(t) => client.update_confidentiality(
            &patient(&config, &t.ins)?,
            &t.unique_id,
            ConfidentialityChange::Unmask,
        )?,
        Command::Archive(t) => client.update_status(
            &patient(&config, &t.ins)?,
            &t.unique_id,
            StatusChange::Archive,
        )?,
        Command::Delete(t) => client.update_status(
            &patient(&config, &t.ins)?,
            &t.unique_id,
            StatusChange::Delete,
        )?,
        Command::Web { .. } | Command::Simulate(_) | Command::Feed { .. } => {}
    }
    Ok(())
}

/// `get --store DIR`: the kept document when there is one (no DMP call), else the document
/// retrieved, kept, then written. A kept document filed to a local identity with another INS
/// than `--ins` is refused (exit 2), not written. What is said on standard error names the
/// stored document and the local patient by their store ids, never the patient.
fn get_kept(
    client: &DmpClient,
    patient: &DmpPatient,
    unique_id: &str,
    output: &Path,
    store: &Path,
    actor: Option<String>,
) -> Result<(), Failure> {
    use segur_store::DocumentStore;
    use segur_store::retrieved::{FromDmp, find_retrieved_for, keep_retrieved};
    let mut store = segur_store::SqliteStore::open(store).map_err(|e| e.to_string())?;
    let write = |bytes: &[u8]| {
        std::fs::write(output, bytes).map_err(|e| format!("{}: {e}", output.display()))
    };
    if let Some(kept) =
        find_retrieved_for(&store, unique_id, patient.ins()).map_err(|e| e.to_string())?
    {
        let bytes = store.document_bytes(kept.id).map_err(|e| e.to_string())?;
        write(&bytes)?;
        say_err!(
            "from the store, retrieved on {} (document {})",
            utc(kept.filed_at),
            kept.id
        );
        return Ok(());
    }
    let actor = actor
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .ok_or_else(|| "no --actor and no login name in $USER".to_owned())?;
    let doc = client.retrieve(patient, unique_id)?;
    let kept = keep_retrieved(
        &mut store,
        FromDmp {
            unique_id: doc.unique_id,
            media_type: doc.mime_type,
            bytes: doc.bytes,
            entry: None,
            metadata_xml: None,
        },
        patient.ins(),
        &actor,
    )
    .map_err(|e| e.to_string())?;
    let record = store
        .document(kept.id())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("document {} not found after keeping it", kept.id()))?;
    write(&store.document_bytes(record.id).map_err(|e| e.to_string())?)?;
    match record.patient {
        Some(local) => say_err!(
            "retrieved from the DMP, kept as document {} of local patient {local}",
            record.id
        ),
        None => say_err!(
            "retrieved from the DMP, kept as document {}, listed for review (segur inbox review)",
            record.id
        ),
    }
    Ok(())
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).map_or_else(
        || format!("{seconds} s after the Unix epoch"),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// `feed --xdm FILE`: lists the documents without a choice, else feeds the chosen ones. Exit
/// status: 1 when the DMP refused one, 2 when one could not be fed for another reason.
fn feed_xdm(
    client: &DmpClient,
    path: &Path,
    documents: Vec<usize>,
    all: bool,
    as_json: bool,
) -> Result<(), Failure> {
    let limits = segur_dmp_cda::xdm::XdmLimits::default();
    let bytes = crate::input::read_limited(path, limits.max_archive_bytes)?;
    let xdm = ReceivedXdm::read(&bytes, &limits).map_err(|e| Failure::Other(e.to_string()))?;
    let selection = match (all, documents.is_empty()) {
        (true, _) => Selection::All,
        (false, false) => Selection::Documents(documents),
        (false, true) => {
            let listed = xdm.documents();
            if as_json {
                return json(&listed);
            }
            for d in &listed {
                let kind = match d.kind {
                    DocumentKind::Cda => "cda",
                    DocumentKind::NotCda => "not-cda",
                    DocumentKind::Undescribed => "undescribed",
                };
                // Each field escaped on its own: the tabs between them are ours.
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    d.index,
                    kind,
                    safe(&d.path),
                    safe(d.title.as_deref().unwrap_or("-")),
                    match &d.refusal {
                        None => "feedable".to_owned(),
                        Some(r) => format!("not feedable: {}", safe(r)),
                    }
                );
            }
            return Ok(());
        }
    };
    let results = from_xdm::feed(client, &xdm, &selection)?;
    if as_json {
        json(&results)?;
    } else {
        for r in &results {
            let detail = match (&r.error, &r.unique_id) {
                (Some(e), _) => format!(": {e}"),
                (None, Some(u)) => format!(" {u}"),
                (None, None) => String::new(),
            };
            say!("{} {} {}{detail}", r.index, r.path, r.outcome);
        }
    }
    let first_error = |refused: bool| {
        results
            .iter()
            .find(|r| r.error.is_some() && r.refused_by_dmp == refused)
            .map(|r| {
                format!(
                    "document {}: {}",
                    r.index,
                    r.error.as_deref().unwrap_or_default()
                )
            })
    };
    if let Some(e) = first_error(false) {
        return Err(Failure::Other(e));
    }
    if let Some(e) = first_error(true) {
        return Err(Failure::Refusal(e));
    }
    Ok(())
}

fn web(config: Option<&Path>, page: &str, ins: Option<&str>) -> Result<(), Failure> {
    let page = WebPage::from_name(page).ok_or_else(|| {
        let names: Vec<_> = WebPage::ALL.iter().map(|p| p.name()).collect();
        format!("unknown page; one of {}", names.join(", "))
    })?;
    let config = match config {
        Some(c) => Some(load(Some(c))?),
        None => None,
    };
    let base = config
        .as_ref()
        .and_then(|c| c.web_url.clone())
        .or_else(|| std::env::var("SEGUR_DMP_WEB_URL").ok())
        .ok_or_else(|| {
            "the DMP web site URL is not public: set web_url in dmp.toml (--config) or SEGUR_DMP_WEB_URL"
                .to_owned()
        })?;
    let patient = match ins {
        Some(m) => {
            let oid = config
                .as_ref()
                .and_then(|c| c.ins_oid.clone())
                .unwrap_or_else(|| segur_ins::OID_INS_NIR.to_owned());
            let ins = segur_ins::Ins::from_parts(m, &oid)
                .map_err(|e| Failure::Other(format!("--ins: {e}")))?;
            Some(DmpPatient::attested_qualified(ins))
        }
        None => None,
    };
    let url = segur_dmp::web::url(&base, page, patient.as_ref()).map_err(|e| e.to_string())?;
    println!("{}", url.expose());
    Ok(())
}
