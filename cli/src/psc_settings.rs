//! Where `segur psc login`, `whoami` and `logout` find the proxy e-Santé and this
//! workstation's certificate: one [`Settings`], each field taken from the command line, else
//! from its `SEGUR_PSC_*` variable, else from the settings file.
//!
//! The settings file is TOML with the same fields, paths relative to the file's folder:
//!
//! ```toml
//! proxy = "https://proxy.pharmacie.example:8443"   # the proxy e-Santé (https://)
//! ca = "proxy-ca.pem"                              # the proxy's CA (PEM)
//! cert = "poste.pem"                               # this workstation's certificate (PEM)
//! key = "poste.key"                                # its private key (PEM)
//! client_id = "lgo-officine"                       # the software's client id in the proxy
//! session_file = "session"                         # the application token between commands
//! ```
//!
//! It is `--config FILE` (or `SEGUR_PSC_CONFIG`), which must exist; without either, the default
//! [`default_path`] (`$XDG_CONFIG_HOME/segur/psc.toml`, else `$HOME/.config/segur/psc.toml`,
//! the XDG Base Directory specification) is read when it exists. Unknown keys are refused, so a
//! misspelt field is named rather than ignored.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The options of the commands that talk to the proxy (all optional: see the module).
#[derive(clap::Args)]
pub struct Connection {
    /// Settings file (TOML with the fields below; default $XDG_CONFIG_HOME/segur/psc.toml when
    /// it exists). Options and SEGUR_PSC_* variables take precedence over it.
    #[arg(long, env = "SEGUR_PSC_CONFIG")]
    config: Option<PathBuf>,
    /// The proxy e-Santé's URL (https://...).
    #[arg(long, env = "SEGUR_PSC_PROXY")]
    proxy: Option<String>,
    /// The proxy's CA (PEM).
    #[arg(long, env = "SEGUR_PSC_CA")]
    ca: Option<PathBuf>,
    /// This workstation's certificate (PEM), from the CA the proxy trusts.
    #[arg(long, env = "SEGUR_PSC_CERT")]
    cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, env = "SEGUR_PSC_KEY")]
    key: Option<PathBuf>,
    /// The software's client id, as configured in the proxy.
    #[arg(long, env = "SEGUR_PSC_CLIENT_ID")]
    client_id: Option<String>,
    /// Where the application token is kept between commands (mode 0600).
    #[arg(long, env = "SEGUR_PSC_SESSION_FILE")]
    session_file: Option<PathBuf>,
}

/// The desktop's PSC session, for the commands that call a PSC-protected service (`segur ins
/// search --auth psc`, `segur dmp`): the settings of `segur psc login`, from `--psc-config`
/// (else `SEGUR_PSC_CONFIG`, else the default file) and the `SEGUR_PSC_*` variables, which
/// take precedence over the file as they do for `segur psc`.
#[derive(clap::Args, Debug)]
pub struct SessionArgs {
    /// The PSC settings file of `segur psc login` (else SEGUR_PSC_CONFIG, else the default
    /// $XDG_CONFIG_HOME/segur/psc.toml); SEGUR_PSC_* variables take precedence over it.
    #[arg(long = "psc-config", global = true)]
    psc_config: Option<PathBuf>,
}

impl SessionArgs {
    /// Whether `--psc-config` was given.
    pub fn given(&self) -> bool {
        self.psc_config.is_some()
    }

    /// The resolved settings (the proxy, this workstation's certificate, the session file).
    pub fn settings(&self) -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let path = |name: &str| var(name).map(PathBuf::from);
        Connection {
            config: self.psc_config.clone().or_else(|| path("SEGUR_PSC_CONFIG")),
            proxy: var("SEGUR_PSC_PROXY"),
            ca: path("SEGUR_PSC_CA"),
            cert: path("SEGUR_PSC_CERT"),
            key: path("SEGUR_PSC_KEY"),
            client_id: var("SEGUR_PSC_CLIENT_ID"),
            session_file: path("SEGUR_PSC_SESSION_FILE"),
        }
        .resolve()
        .map_err(|e| format!("PSC session: {e}"))
    }
}

/// The settings file: every field optional, the command line and the environment fill in or
/// override.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    proxy: Option<String>,
    ca: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    client_id: Option<String>,
    session_file: Option<PathBuf>,
}

/// The resolved settings of a command.
pub struct Settings {
    /// The proxy's base URL.
    pub proxy: String,
    /// The proxy's CA (PEM file).
    pub ca: PathBuf,
    /// The workstation's certificate (PEM file).
    pub cert: PathBuf,
    /// Its private key (PEM file).
    pub key: PathBuf,
    /// The software's client id in the proxy.
    pub client_id: String,
    /// The session file.
    pub session_file: PathBuf,
}

/// `$XDG_CONFIG_HOME/segur/psc.toml`, else `$HOME/.config/segur/psc.toml` (XDG Base Directory
/// specification: a relative `XDG_CONFIG_HOME` is ignored); `None` without either variable.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".config"))
        })?;
    Some(base.join("segur").join("psc.toml"))
}

fn load(path: &Path) -> Result<FileSettings, String> {
    // A settings file is a few lines: anything past 64 KiB is not one.
    let bytes = crate::input::read_limited(path, 64 << 10)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 at byte {}",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let mut file: FileSettings = toml::from_str(&text)
        // serde's message names the key and the line, never a value of another field.
        .map_err(|e| format!("{}: {}", path.display(), e.message().trim_end()))?;
    if let Some(dir) = path.parent() {
        for p in [
            &mut file.ca,
            &mut file.cert,
            &mut file.key,
            &mut file.session_file,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    }
    Ok(file)
}

impl Connection {
    /// The settings: options (or their variables, which clap reads) first, then the file.
    pub fn resolve(&self) -> Result<Settings, String> {
        let (file, source) = match &self.config {
            Some(path) => (load(path)?, Some(path.clone())),
            None => match default_path().filter(|p| p.is_file()) {
                Some(path) => (load(&path)?, Some(path)),
                None => (FileSettings::default(), None),
            },
        };
        let missing = |field: &str, flag: &str, var: &str| {
            let file = source.as_ref().map_or_else(
                || "a settings file (--config)".to_owned(),
                |p| format!("`{field}` in {}", p.display()),
            );
            format!("missing {field}: give {flag}, {var} or {file}")
        };
        Ok(Settings {
            proxy: self
                .proxy
                .clone()
                .or(file.proxy)
                .ok_or_else(|| missing("proxy", "--proxy", "SEGUR_PSC_PROXY"))?,
            ca: self
                .ca
                .clone()
                .or(file.ca)
                .ok_or_else(|| missing("ca", "--ca", "SEGUR_PSC_CA"))?,
            cert: self
                .cert
                .clone()
                .or(file.cert)
                .ok_or_else(|| missing("cert", "--cert", "SEGUR_PSC_CERT"))?,
            key: self
                .key
                .clone()
                .or(file.key)
                .ok_or_else(|| missing("key", "--key", "SEGUR_PSC_KEY"))?,
            client_id: self
                .client_id
                .clone()
                .or(file.client_id)
                .ok_or_else(|| missing("client_id", "--client-id", "SEGUR_PSC_CLIENT_ID"))?,
            session_file: self
                .session_file
                .clone()
                .or(file.session_file)
                .ok_or_else(|| {
                    missing("session_file", "--session-file", "SEGUR_PSC_SESSION_FILE")
                })?,
        })
    }
}
