//! `segur psc`: Pro Santé Connect through the vendor's proxy e-Santé.
//!
//! - `login --national-id ID [--channel card|mobile]`: CIBA on the card or the e-CPS, through
//!   the proxy; the code to find on the card reader's or the phone's prompt is shown on standard
//!   error. The proxy's application token (the desktop's only secret, bound by the proxy to
//!   this workstation's certificate: useless elsewhere) is written to `--session-file`, created
//!   with mode 0600; it is never printed.
//! - `whoami [--json]`: the signed-in professional (claims, never tokens).
//! - `logout`: the proxy closes the session and logs out of PSC; the session file is removed.
//! - `proxy --config FILE`: runs the proxy e-Santé (segur-psc's server and PSC client).
//!
//! The proxy, the workstation's certificate, the client id and the session file come from the
//! options, else from `SEGUR_PSC_PROXY`, `SEGUR_PSC_CA`, `SEGUR_PSC_CERT`, `SEGUR_PSC_KEY`,
//! `SEGUR_PSC_CLIENT_ID`, `SEGUR_PSC_SESSION_FILE`, else from the settings file (`--config FILE`
//! or `SEGUR_PSC_CONFIG`; by default `$XDG_CONFIG_HOME/segur/psc.toml` when it exists): see
//! [`crate::psc_settings`].
//!
//! Exit codes: 0 done; 1 refused (denied, expired, unknown client, no session); 2 usage or
//! operational error (files, network, TLS).

use crate::psc_settings::{Connection, Settings};
use segur_net::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use segur_psc::desktop::{DesktopError, LoginProgress, ProxySettings, ProxyTokenProvider};
use segur_psc::proxy::upstream::Channel;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// CIBA channel.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ChannelArg {
    /// The CPS card (CPS-Gestion).
    Card,
    /// The e-CPS application.
    Mobile,
}

/// `segur psc` commands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Sign in by CIBA through the proxy e-Santé.
    Login {
        /// The professional's national identifier (RPPS-based IdNat...).
        #[arg(long)]
        national_id: String,
        /// Card or e-CPS.
        #[arg(long, value_enum, default_value = "card")]
        channel: ChannelArg,
        #[command(flatten)]
        connection: Connection,
    },
    /// Show the signed-in professional (claims, never tokens).
    Whoami {
        /// One JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Close the session (proxy and PSC).
    Logout {
        #[command(flatten)]
        connection: Connection,
    },
    /// Run the proxy e-Santé: its configuration (TOML) names the listening address, the
    /// certificates, the known clients, the backends and, in `[psc]` (or one
    /// `[structures.<name>.psc]` per structure), Pro Santé Connect.
    /// Prints `listening on ADDRESS` and serves until stopped.
    Proxy {
        /// The proxy's configuration.
        #[arg(long)]
        config: PathBuf,
    },
}

enum Failure {
    Refused(String),
    Error(String),
}

impl From<DesktopError> for Failure {
    fn from(e: DesktopError) -> Self {
        match e {
            DesktopError::Refused { .. } | DesktopError::NotSignedIn => {
                Self::Refused(e.to_string())
            }
            DesktopError::Http(segur_net::http::HttpError::Status { code, .. })
                if (400..500).contains(&code) =>
            {
                Self::Refused(e.to_string())
            }
            other => Self::Error(other.to_string()),
        }
    }
}

/// Runs a `segur psc` command.
pub fn run(cmd: Command) -> ExitCode {
    let result = match cmd {
        Command::Login {
            national_id,
            channel,
            connection,
        } => settings(&connection).and_then(|c| login(&national_id, channel, &c)),
        Command::Whoami { json, connection } => {
            settings(&connection).and_then(|c| whoami(json, &c))
        }
        Command::Logout { connection } => settings(&connection).and_then(|c| logout(&c)),
        Command::Proxy { config } => proxy(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(m)) => {
            eprintln!("{}", crate::terminal::safe(&m));
            ExitCode::from(1)
        }
        Err(Failure::Error(m)) => {
            eprintln!("{}", crate::terminal::safe(&m));
            ExitCode::from(2)
        }
    }
}

fn settings(c: &Connection) -> Result<Settings, Failure> {
    c.resolve().map_err(Failure::Error)
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Error(format!("{}: {e}", path.display())))
}

fn provider(c: &Settings) -> Result<ProxyTokenProvider, Failure> {
    let anchors = TrustAnchors::from_pem(&read(&c.ca)?)
        .map_err(|e| Failure::Error(format!("{}: {e}", c.ca.display())))?;
    let identity = ClientIdentity::from_pem(&read(&c.cert)?, &read(&c.key)?)
        .map_err(|e| Failure::Error(format!("{}: {e}", c.cert.display())))?;
    let tls =
        TlsSettings::new(&anchors, Some(&identity)).map_err(|e| Failure::Error(e.to_string()))?;
    Ok(ProxyTokenProvider::new(ProxySettings {
        url: c.proxy.clone(),
        tls,
        client_id: c.client_id.clone(),
    })?)
}

/// Reads the session file, refusing one that group or others may read.
fn resume(p: &ProxyTokenProvider, c: &Settings) -> Result<(), Failure> {
    let path = &c.session_file;
    if !path.exists() {
        return Err(Failure::Refused(format!(
            "not signed in: no session file {} (segur psc login)",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Failure::Error(format!(
                "{}: readable by group or others (mode {:o}); it must be 0600",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let text = Zeroizing::new(read(path)?);
    let token = std::str::from_utf8(&text)
        .map_err(|_| Failure::Error(format!("{}: not a session file", path.display())))?;
    p.resume(token.trim())
        .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))
}

/// The token provider of `backend` on the desktop's PSC session (the session file of `segur psc
/// login`): each token is asked from the proxy (`GET /token/<backend>`, for a backend the proxy
/// releases to desktops), never stored here. Errors name the cause, never a token.
pub fn session_tokens(c: &Settings, backend: &str) -> Result<ProxyTokenProvider, String> {
    let text = |f: Failure| match f {
        Failure::Refused(m) | Failure::Error(m) => format!("PSC session: {m}"),
    };
    let p = provider(c).map_err(text)?;
    resume(&p, c).map_err(text)?;
    p.for_backend(backend)
        .map_err(|e| format!("PSC session: {e}"))
}

fn write_session(path: &Path, token: &str) -> Result<(), Failure> {
    use std::io::Write;
    // A previous session's file is replaced: its token is dead or replayed by the proxy.
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(token.as_bytes()))
        .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))
}

fn login(national_id: &str, channel: ChannelArg, c: &Settings) -> Result<(), Failure> {
    let p = provider(c)?;
    // A live session of this workstation is replayed by the proxy without a new CIBA.
    let _ = resume(&p, c);
    let channel = match channel {
        ChannelArg::Card => Channel::Card,
        ChannelArg::Mobile => Channel::Mobile,
    };
    let mut dots = 0u32;
    let who = p.login(national_id, channel, &mut |event| match event {
        LoginProgress::Started { binding_message } => eprintln!(
            "Confirm on the {} the request showing the code {binding_message}",
            match channel {
                Channel::Card => "card reader (CPS-Gestion)",
                Channel::Mobile => "e-CPS application",
            }
        ),
        LoginProgress::Waiting { .. } => {
            dots += 1;
            if dots.is_multiple_of(10) {
                eprintln!("waiting for the confirmation...");
            }
        }
        LoginProgress::Connected => {}
    })?;
    let token = p
        .application_token()
        .ok_or_else(|| Failure::Error("no session after login".into()))?;
    write_session(&c.session_file, &token)?;
    println!(
        "signed in: {} (client {}, session {}, {} s left)",
        crate::terminal::safe(&who.national_id),
        crate::terminal::safe(&who.client_id),
        who.session_id,
        who.expires_in
    );
    Ok(())
}

fn whoami(json: bool, c: &Settings) -> Result<(), Failure> {
    let p = provider(c)?;
    resume(&p, c)?;
    let who = p.whoami()?;
    if json {
        crate::terminal::print_json(&who, false).map_err(|e| Failure::Error(e.to_string()))?;
    } else {
        let name = [who.given_name.as_deref(), who.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        println!("national id: {}", crate::terminal::safe(&who.national_id));
        if !name.is_empty() {
            println!("name: {}", crate::terminal::safe(&name));
        }
        println!("client: {}", crate::terminal::safe(&who.client_id));
        println!("session: {}", crate::terminal::safe(&who.session_id));
        println!("expires in: {} s", who.expires_in);
        println!(
            "backends: {}",
            crate::terminal::safe(&who.backends.join(", "))
        );
    }
    Ok(())
}

fn logout(c: &Settings) -> Result<(), Failure> {
    let p = provider(c)?;
    resume(&p, c)?;
    let result = p.logout();
    // The file goes whatever the proxy said: its token is dead or about to be.
    let _ = std::fs::remove_file(&c.session_file);
    result?;
    println!("signed out");
    Ok(())
}

fn proxy(path: &Path) -> Result<(), Failure> {
    use segur_psc::proxy::{ProxyConfig, ProxyServer, PscUpstream};
    let config = ProxyConfig::load(path).map_err(|e| Failure::Error(e.to_string()))?;
    let upstreams = PscUpstream::for_structures(&config)
        .map_err(|e| Failure::Error(format!("{}: {e}", path.display())))?;
    let server = ProxyServer::start_structures(config, upstreams)
        .map_err(|e| Failure::Error(e.to_string()))?;
    println!("listening on {}", server.local_addr());
    server.wait();
    Ok(())
}
