//! `segur access`: the access database of an officine from the command line (accounts, TOTP
//! enrolment, login, permission checks, the audit trail).
//!
//! The master key (which seals TOTP secrets and keys patient pseudonyms) lives in a key file
//! beside the database, `FILE.key`, created by `init` with mode 0600 and refused when group or
//! others may read it; `--key PATH` or the `SEGUR_ACCESS_KEY_FILE` variable name another file
//! (for example on a protected volume). It is never printed or logged. `audit verify` and
//! `audit export` need no key: the chain is checked with public hashes only.
//!
//! Exit codes: 0 done / allowed / intact; 1 refused / denied / tampered; 2 usage or
//! operational error (missing database or key file, unreadable input).

use segur_access::audit::sqlite::SqliteAuditStore;
use segur_access::audit::verify::VerifyOptions;
use segur_access::audit::{AuditLog, AuditStore};
use segur_access::clock::SystemClock;
use segur_access::keys::MasterKey;
use segur_access::password::Password;
use segur_access::policy::Policy;
use segur_access::session::SessionId;
use segur_access::{Access, AccessConfig, AccessError, SecondFactor};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Environment variable naming the key file when `--key` is not given.
pub const KEY_FILE_ENV: &str = "SEGUR_ACCESS_KEY_FILE";

/// Longest password line read from standard input.
const MAX_PASSWORD_LINE: usize = 4096;

/// Options of `segur access`.
#[derive(clap::Args)]
pub struct Args {
    /// The access database (SQLite).
    #[arg(long)]
    db: PathBuf,
    /// The master key file (default: the database path with `.key` appended, or
    /// $SEGUR_ACCESS_KEY_FILE).
    #[arg(long)]
    key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Create the database, its key file (mode 0600) and the audit trail.
    Init {
        /// A policy file (TOML) instead of the default officine policy.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// TOTP second factor.
    #[command(subcommand)]
    Totp(TotpCommand),
    /// Log in (password on standard input, one line); prints a session id; exit 1 refused.
    Login {
        /// The account.
        name: String,
        /// The current TOTP code.
        #[arg(long)]
        totp: String,
        /// The workstation name traced and throttled (default: $SEGUR_WORKSTATION or "cli").
        #[arg(long)]
        workstation: Option<String>,
    },
    /// Check a permission for a session: exit 0 allowed, 1 denied.
    Check {
        /// The session id printed by `login`.
        #[arg(long)]
        session: String,
        /// The permission (`dmp.read`, `dispense.validate`...).
        permission: String,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(clap::Subcommand)]
enum UserCommand {
    /// Create an account (password on standard input, one line).
    Add {
        /// The account name.
        name: String,
        /// Its role in the policy.
        #[arg(long)]
        role: String,
    },
}

#[derive(clap::Subcommand)]
enum TotpCommand {
    /// Enrol a new secret; prints the otpauth:// URI (SHA1, 6 digits, 30 s).
    Enroll {
        /// The account.
        name: String,
        /// Also write the URI as a QR code PNG (created with mode 0600: it holds the secret).
        #[arg(long)]
        qr_png: Option<PathBuf>,
    },
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Verify the chain: exit 0 intact; 1 and the first bad entry otherwise.
    Verify,
    /// Write every entry as JSON Lines.
    Export,
}

/// Shows text from the user or the database with control characters escaped.
fn shown(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

enum Failure {
    Refused(String),
    Error(String),
}

impl From<AccessError> for Failure {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Storage(_)
            | AccessError::NotInitialised
            | AccessError::AlreadyInitialised
            | AccessError::Key(_)
            | AccessError::Audit(_) => Failure::Error(e.to_string()),
            other => Failure::Refused(other.to_string()),
        }
    }
}

fn key_path(args: &Args) -> PathBuf {
    if let Some(k) = &args.key {
        return k.clone();
    }
    if let Some(k) = std::env::var_os(KEY_FILE_ENV) {
        return PathBuf::from(k);
    }
    let mut p = args.db.clone().into_os_string();
    p.push(".key");
    PathBuf::from(p)
}

fn read_password() -> Result<Password, Failure> {
    let stdin = std::io::stdin();
    let mut line = Zeroizing::new(Vec::new());
    stdin
        .lock()
        .take(MAX_PASSWORD_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|e| Failure::Error(format!("standard input: {e}")))?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > MAX_PASSWORD_LINE {
        return Err(Failure::Error(format!(
            "standard input: the password line is longer than {MAX_PASSWORD_LINE} bytes"
        )));
    }
    if line.is_empty() {
        return Err(Failure::Error(
            "standard input: no password (one line expected)".into(),
        ));
    }
    let text = std::str::from_utf8(&line)
        .map_err(|e| {
            Failure::Error(format!(
                "standard input: the password is not UTF-8 (byte {})",
                e.valid_up_to() + 1
            ))
        })?
        .to_owned();
    Ok(Password::new(text))
}

fn open(args: &Args) -> Result<Access, Failure> {
    if !args.db.exists() {
        return Err(Failure::Error(format!(
            "{}: no such database (run `segur access --db FILE init` first)",
            args.db.display()
        )));
    }
    let key = MasterKey::load(&key_path(args)).map_err(|e| Failure::Error(e.to_string()))?;
    Ok(Access::open(
        &args.db,
        &key,
        AccessConfig::default(),
        Arc::new(SystemClock),
    )?)
}

fn init(args: &Args, policy: Option<&Path>) -> Result<(), Failure> {
    if args.db.exists() {
        return Err(Failure::Error(format!(
            "{}: already exists",
            args.db.display()
        )));
    }
    let policy = match policy {
        None => Policy::default_officine(),
        Some(p) => {
            let text = crate::input::read_limited(p, segur_access::policy::MAX_POLICY_BYTES)
                .map_err(Failure::Error)?;
            let text = String::from_utf8(text)
                .map_err(|_| Failure::Error(format!("{}: not UTF-8", p.display())))?;
            Policy::from_toml(&text).map_err(|e| Failure::Error(e.to_string()))?
        }
    };
    let key = MasterKey::generate().map_err(|e| Failure::Error(e.to_string()))?;
    let key_file = key_path(args);
    key.create_file(&key_file)
        .map_err(|e| Failure::Error(e.to_string()))?;
    Access::init(
        &args.db,
        &key,
        &policy,
        AccessConfig::default(),
        Arc::new(SystemClock),
    )?;
    eprintln!(
        "initialised {} (key file {}, keep it with the same care as the database backups)",
        args.db.display(),
        key_file.display()
    );
    Ok(())
}

fn enroll(args: &Args, name: &str, qr_png: Option<&Path>) -> Result<(), Failure> {
    let mut access = open(args)?;
    let enrolment = access.enroll_totp(name)?;
    if let Some(path) = qr_png {
        let png = segur_eprescription::render::render_png(
            segur_eprescription::decode::Symbology::QrCode,
            &enrolment.uri,
            4,
            4,
        )
        .map_err(|e| Failure::Error(format!("QR code: {e}")))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options
            .open(path)
            .and_then(|mut f| f.write_all(&png))
            .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))?;
    }
    println!("{}", enrolment.uri.as_str());
    Ok(())
}

fn verify(args: &Args) -> Result<(), Failure> {
    let store = SqliteAuditStore::open_existing(&args.db)
        .map_err(|e| Failure::Refused(format!("the audit trail cannot be read: {e}")))?;
    let log = AuditLog::new(Box::new(store), Arc::new(SystemClock));
    match log.verify(&VerifyOptions::default()) {
        Ok(report) => {
            println!(
                "intact: {} entries, {} checkpoints{}",
                report.entries,
                report.checkpoints,
                report
                    .head
                    .map(|h| format!(", head {}", h.hash.to_hex()))
                    .unwrap_or_default()
            );
            Ok(())
        }
        Err(e) => Err(Failure::Refused(e.to_string())),
    }
}

fn export(args: &Args) -> Result<(), Failure> {
    let store =
        SqliteAuditStore::open_existing(&args.db).map_err(|e| Failure::Error(e.to_string()))?;
    let _: &dyn AuditStore = &store;
    let log = AuditLog::new(Box::new(store), Arc::new(SystemClock));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(crate::terminal::PipeAware(stdout.lock()));
    log.export_json_lines(&mut out)
        .map_err(|e| Failure::Error(e.to_string()))?;
    out.flush()
        .map_err(|e| Failure::Error(format!("standard output: {e}")))
}

fn run_inner(args: &Args) -> Result<(), Failure> {
    match &args.command {
        Command::Init { policy } => init(args, policy.as_deref()),
        Command::User(UserCommand::Add { name, role }) => {
            let password = read_password()?;
            let mut access = open(args)?;
            access.add_user_local(name, role, &password)?;
            eprintln!("account {} created with role {}", shown(name), shown(role));
            Ok(())
        }
        Command::Totp(TotpCommand::Enroll { name, qr_png }) => {
            enroll(args, name, qr_png.as_deref())
        }
        Command::Login {
            name,
            totp,
            workstation,
        } => {
            let password = read_password()?;
            let workstation = workstation
                .clone()
                .or_else(|| std::env::var("SEGUR_WORKSTATION").ok())
                .unwrap_or_else(|| "cli".into());
            let mut access = open(args)?;
            let session = access.login(name, &password, SecondFactor::Totp(totp), &workstation)?;
            println!("{}", session.id.expose());
            Ok(())
        }
        Command::Check {
            session,
            permission,
        } => {
            let mut access = open(args)?;
            let Some(id) = SessionId::parse(session) else {
                return Err(Failure::Refused(
                    "the session id is not 64 hexadecimal digits".into(),
                ));
            };
            access.check(&id, permission, None)?;
            println!("allowed");
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => verify(args),
        Command::Audit(AuditCommand::Export) => export(args),
    }
}

/// Runs `segur access`.
pub fn run(args: &Args) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(why)) => {
            eprintln!("refused: {}", shown(&why));
            ExitCode::from(1)
        }
        Err(Failure::Error(why)) => {
            eprintln!("error: {}", shown(&why));
            ExitCode::from(2)
        }
    }
}
