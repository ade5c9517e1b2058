//! The proxy's configuration file (TOML): where it listens, its certificate, the CA of the
//! desktop clients' certificates, the known clients, the session limits, the trace file and the
//! backends (name → URL, token endpoint, audience, scope, certificate).
//!
//! ```toml
//! listen = "127.0.0.1:8443"
//! server_cert = "proxy.pem"          # paths are relative to this file
//! server_key = "proxy.key"
//! client_ca = "desktops-ca.pem"      # every desktop presents a certificate from it
//! trace_file = "traces.jsonl"
//! expose_traces = false              # GET /traces, for the ANS conformity checks
//!
//! [session]
//! absolute_secs = 14400              # PSC's own limits (psc.md §5.5): 4 h
//! idle_secs = 1800                   # and 30 min idle
//!
//! [clients.lgo-officine-1]           # the ANS `clientId`; unknown ones get 404
//! certificate_sha256 = "9f…"         # optional pin of the desktop certificate (hex)
//!
//! [psc]                              # Pro Santé Connect, for `segur psc proxy`
//! config = "psc.toml"                # segur_psc::config::PscConfig (issuer, client, mTLS)
//! ca = "igc-sante-roots.pem"         # the anchors of PSC's servers
//!
//! [backends.dmp]
//! url = "https://api.example/dmp"    # /send/dmp/<path> goes to <url>/<path>
//! token_endpoint = "https://as.example/token"
//! scope = "dmp"
//! ca = "igc-sante.pem"
//! cert = "org-auth-cli.pem"
//! key = "org-auth-cli.key"
//!
//! [backends.mss]                     # MSSanté: SASL XOAUTH2 over SMTP/IMAP, not relayed
//! url = "https://mss.example"
//! token = "psc_access_token"         # or "exchanged" (the default): see `BackendToken`
//! token_to_desktop = true            # GET /token/mss hands the token to the desktop
//! ca = "igc-sante.pem"
//! cert = "org-auth-cli.pem"
//! key = "org-auth-cli.key"
//! ```
//!
//! That file has one PSC client for every desktop: one implicit structure
//! ([`IMPLICIT_STRUCTURE`]). A vendor serving several structures (pharmacies) declares each
//! with its own PSC client and, per backend, the certificate the exchanged token is bound to;
//! `[psc]` then moves into the structures, every client names its structure, and a backend's
//! top-level `cert`/`key` become an optional default:
//!
//! ```toml
//! [structures.pharmacie-a.psc]
//! config = "psc-a.toml"              # client id and ORG AUTH_CLI of pharmacie A
//! ca = "igc-sante-roots.pem"
//! [structures.pharmacie-a.credentials.dmp]
//! cert = "a-auth-cli.pem"            # the certificate of psc-a.toml (RFC 8705 §3 binding)
//! key = "a-auth-cli.key"
//!
//! [structures.pharmacie-b]
//! backends = ["dmp"]                 # the backends its sessions may call (default: all)
//! psc = { config = "psc-b.toml", ca = "igc-sante-roots.pem" }
//! credentials.dmp = { cert = "b-auth-cli.pem", key = "b-auth-cli.key" }
//!
//! [clients.lgo-officine-a1]
//! structure = "pharmacie-a"
//! ```

use segur_net::tls::{ClientIdentity, TrustAnchors};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the configuration cannot be used. Paths are shown; file contents never.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse or has an unknown or missing field (toml names line and column).
    #[error("configuration: {0}")]
    Toml(String),
    /// A certificate, key or CA file that does not load.
    #[error("{what} ({path}): {source}")]
    Tls {
        /// Which setting.
        what: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: segur_net::tls::TlsError,
    },
    /// A value that is out of range or inconsistent.
    #[error("configuration: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: SocketAddr,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_ca: PathBuf,
    trace_file: PathBuf,
    #[serde(default)]
    expose_traces: bool,
    #[serde(default)]
    session: FileSession,
    #[serde(default)]
    clients: BTreeMap<String, FileClient>,
    #[serde(default)]
    backends: BTreeMap<String, FileBackend>,
    psc: Option<FilePsc>,
    #[serde(default)]
    structures: BTreeMap<String, FileStructure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStructure {
    psc: Option<FilePsc>,
    backends: Option<Vec<String>>,
    #[serde(default)]
    credentials: BTreeMap<String, FileCredentials>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCredentials {
    cert: PathBuf,
    key: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePsc {
    config: PathBuf,
    ca: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSession {
    #[serde(default = "default_absolute")]
    absolute_secs: u64,
    #[serde(default = "default_idle")]
    idle_secs: u64,
}

impl Default for FileSession {
    fn default() -> Self {
        Self {
            absolute_secs: default_absolute(),
            idle_secs: default_idle(),
        }
    }
}

fn default_absolute() -> u64 {
    4 * 3600
}
fn default_idle() -> u64 {
    30 * 60
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileClient {
    certificate_sha256: Option<String>,
    structure: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBackend {
    url: String,
    #[serde(default)]
    token: FileBackendToken,
    token_endpoint: Option<String>,
    audience: Option<String>,
    scope: Option<String>,
    ca: PathBuf,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    #[serde(default)]
    token_to_desktop: bool,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum FileBackendToken {
    #[default]
    Exchanged,
    PscAccessToken,
}

/// The token a backend receives.
///
/// PSC-protected REST APIs take a token of their own authorisation server, obtained by RFC
/// 8693 exchange (psc.md §7). MSSanté operators, by the sources found so far, take the PSC
/// access token itself over SASL XOAUTH2 and introspect it at PSC (psc.md §8, SC.MSS/CONF.07;
/// mss-eprescription.md §1.2): whether an operator accepts an exchanged token instead is TO
/// VERIFY, hence a setting (`token = "exchanged"` or `"psc_access_token"`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendToken {
    /// An RFC 8693 exchange at the backend's authorisation server, over RFC 8705 mutual TLS
    /// with the backend's certificate.
    Exchanged {
        /// The token endpoint of the authorisation server.
        token_endpoint: String,
        /// The `audience` of the exchange, when wanted.
        audience: Option<String>,
        /// The `scope` of the exchange.
        scope: Option<String>,
    },
    /// The session's PSC access token itself, refreshed by the PSC client before it expires
    /// (RFC 6749 §6). It is bound to the PSC client's certificate (RFC 8705 §3), which a
    /// SASL server does not see: only for backends that introspect it at PSC.
    PscAccessToken,
}

/// Session limits (psc.md §5.5: PSC's own session lasts 4 h at most and 30 min idle; the
/// proxy's is never longer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// From the connection, whatever the activity.
    pub absolute: Duration,
    /// Since the last request.
    pub idle: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            absolute: Duration::from_secs(default_absolute()),
            idle: Duration::from_secs(default_idle()),
        }
    }
}

/// A desktop client allowed to connect (the ANS `clientId`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEntry {
    /// SHA-256 of the DER certificate the client must present, when pinned.
    pub certificate_sha256: Option<[u8; 32]>,
    /// The structure whose PSC client and backends its sessions use
    /// ([`ProxyConfig::structures`]).
    pub structure: String,
}

/// The name of the one structure of a configuration that declares none (`[psc]` and
/// `[backends]` at the top level, every client in it).
pub const IMPLICIT_STRUCTURE: &str = "default";

/// A health-care structure (a pharmacy) behind the proxy: its own PSC client (client id and
/// certificate, its ORG AUTH_CLI, psc.md §2) and the backends its sessions may call, each with
/// the certificate the exchanged token is bound to (RFC 8705 §3). A session opened by a client
/// of one structure only ever uses that structure's PSC client and backends (PROXY.md).
#[derive(Clone, Debug)]
pub struct Structure {
    /// Pro Santé Connect for this structure, for `segur psc proxy`
    /// ([`super::PscUpstream::for_structures`]); absent when the caller gives its own
    /// [`super::Upstream`].
    pub psc: Option<PscSettings>,
    /// The backends its sessions may call, by name, with this structure's credentials.
    pub backends: BTreeMap<String, Backend>,
}

/// A PSC-protected API the proxy relays to.
#[derive(Clone, Debug)]
pub struct Backend {
    /// The base URL: `/send/<name>/<path>` goes to `<url>/<path>`.
    pub url: String,
    /// The token it receives: exchanged, or the PSC access token.
    pub token: BackendToken,
    /// The trust anchors of the backend and of its authorisation server.
    pub anchors: TrustAnchors,
    /// The certificate of the exchange and of the business calls (psc.md §7).
    pub identity: ClientIdentity,
    /// Whether `GET /token/<name>` hands the backend's token to the desktop, for protocols the
    /// proxy cannot relay (MSSanté SASL XOAUTH2 over SMTP and IMAP; PROXY.md). Off by default.
    pub token_to_desktop: bool,
}

/// Where Pro Santé Connect is: the PSC client's configuration ([`crate::config::PscConfig`],
/// its credential paths taken as written, from the working directory) and the trust anchors
/// of PSC's servers (the IGC Santé roots in production).
#[derive(Clone, Debug)]
pub struct PscSettings {
    /// The client configuration.
    pub config: crate::config::PscConfig,
    /// The anchors PSC's certificates must lead to.
    pub anchors: TrustAnchors,
}

/// The proxy's configuration, loaded and checked.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// The listening address.
    pub listen: SocketAddr,
    /// The proxy's own certificate and key.
    pub server_identity: ClientIdentity,
    /// The CA of the desktop clients' certificates (mutual TLS is required).
    pub client_ca: TrustAnchors,
    /// The append-only JSON-lines trace file.
    pub trace_file: PathBuf,
    /// Whether `GET /traces` answers (the ANS conformity checks call it; it shows every
    /// professional's identifier to any desktop, so it is off unless asked for).
    pub expose_traces: bool,
    /// Session limits.
    pub session: SessionLimits,
    /// The known clients by `clientId`, each attached to one structure.
    pub clients: BTreeMap<String, ClientEntry>,
    /// The structures by name: one ([`IMPLICIT_STRUCTURE`]) when the file declares none.
    pub structures: BTreeMap<String, Structure>,
}

impl ProxyConfig {
    /// The structure of desktop client `client_id`, when the client is known.
    pub fn structure_of(&self, client_id: &str) -> Option<&Structure> {
        self.structures.get(&self.clients.get(client_id)?.structure)
    }
}

/// The largest file the configuration reads (the TOML file, certificates, keys): 1 MiB.
const MAX_FILE_BYTES: u64 = 1 << 20;

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    use std::io::Read;
    let err = |source| ConfigError::Read {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(err)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than the {MAX_FILE_BYTES}-byte limit"),
        )));
    }
    Ok(bytes)
}

fn tls_err(
    what: impl Into<String>,
    path: &Path,
) -> impl FnOnce(segur_net::tls::TlsError) -> ConfigError {
    let what = what.into();
    let path = path.to_owned();
    move |source| ConfigError::Tls { what, path, source }
}

/// A name usable in a `/send/<name>/` path: ASCII letters, digits, `-`, `_`, `.`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

impl ProxyConfig {
    /// Reads and checks the file at `path` (relative paths inside are relative to its folder).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read(path)?;
        let text = String::from_utf8(text).map_err(|e| {
            ConfigError::Toml(format!(
                "not UTF-8 at byte {}",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base)
    }

    /// Parses TOML text; relative paths are taken from `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let f: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        // What the file says of its structures is checked before any file is read: a wrong
        // reference is named first, and the fuzz target reaches these checks.
        check_structures(&f)?;
        let at = |p: &Path| base.join(p);
        let cert = at(&f.server_cert);
        let key = at(&f.server_key);
        let server_identity = ClientIdentity::from_pem(&read(&cert)?, &read(&key)?)
            .map_err(tls_err("server_cert/server_key", &cert))?;
        let ca = at(&f.client_ca);
        let client_ca = TrustAnchors::from_pem(&read(&ca)?).map_err(tls_err("client_ca", &ca))?;
        if f.session.absolute_secs == 0 || f.session.idle_secs == 0 {
            return Err(ConfigError::Invalid(
                "session.absolute_secs and session.idle_secs must be above 0".into(),
            ));
        }
        let structured = !f.structures.is_empty();
        let mut clients = BTreeMap::new();
        for (name, c) in f.clients {
            if !is_name(&name) {
                return Err(ConfigError::Invalid(format!(
                    "client id {name:?}: only letters, digits, '-', '_', '.' (64 at most)"
                )));
            }
            let certificate_sha256 = match c.certificate_sha256 {
                None => None,
                Some(h) => Some(parse_hex32(&h).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "clients.{name}.certificate_sha256: 64 hexadecimal digits expected"
                    ))
                })?),
            };
            // check_structures: a declared structure, or none with none declared.
            let structure = c.structure.unwrap_or_else(|| IMPLICIT_STRUCTURE.to_owned());
            clients.insert(
                name,
                ClientEntry {
                    certificate_sha256,
                    structure,
                },
            );
        }
        // The backends' shared settings; their credentials are resolved per structure below.
        let mut shared = BTreeMap::new();
        for (name, b) in f.backends {
            if !is_name(&name) {
                return Err(ConfigError::Invalid(format!(
                    "backend name {name:?}: only letters, digits, '-', '_', '.' (64 at most)"
                )));
            }
            let token = match (b.token, b.token_endpoint) {
                (FileBackendToken::Exchanged, Some(token_endpoint)) => BackendToken::Exchanged {
                    token_endpoint,
                    audience: b.audience,
                    scope: b.scope,
                },
                (FileBackendToken::Exchanged, None) => {
                    return Err(ConfigError::Invalid(format!(
                        "backends.{name}.token_endpoint is required for token = \"exchanged\""
                    )));
                }
                (FileBackendToken::PscAccessToken, None)
                    if b.audience.is_none() && b.scope.is_none() =>
                {
                    BackendToken::PscAccessToken
                }
                (FileBackendToken::PscAccessToken, _) => {
                    return Err(ConfigError::Invalid(format!(
                        "backends.{name}: token_endpoint, audience and scope are exchange \
                         settings, meaningless with token = \"psc_access_token\""
                    )));
                }
            };
            let token_endpoint = match &token {
                BackendToken::Exchanged { token_endpoint, .. } => Some(token_endpoint),
                BackendToken::PscAccessToken => None,
            };
            for (what, url) in [("url", Some(&b.url)), ("token_endpoint", token_endpoint)] {
                if url.is_some_and(|u| !u.starts_with("https://")) {
                    return Err(ConfigError::Invalid(format!(
                        "backends.{name}.{what}: an https:// URL is required"
                    )));
                }
            }
            let ca = at(&b.ca);
            let anchors = TrustAnchors::from_pem(&read(&ca)?)
                .map_err(tls_err(format!("backends.{name}.ca"), &ca))?;
            let identity = match (b.cert, b.key) {
                (Some(cert), Some(key)) => Some(load_identity(
                    &at(&cert),
                    &at(&key),
                    format!("backends.{name}.cert/key"),
                )?),
                (None, None) => None,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "backends.{name}: cert and key go together"
                    )));
                }
            };
            shared.insert(
                name,
                (
                    b.url.trim_end_matches('/').to_owned(),
                    token,
                    anchors,
                    identity,
                    b.token_to_desktop,
                ),
            );
        }
        let file_structures = if structured {
            f.structures
        } else {
            BTreeMap::from([(
                IMPLICIT_STRUCTURE.to_owned(),
                FileStructure {
                    psc: f.psc,
                    backends: None,
                    credentials: BTreeMap::new(),
                },
            )])
        };
        let mut structures = BTreeMap::new();
        for (sname, s) in file_structures {
            let psc = s
                .psc
                .map(|p| load_psc(&at(&p.config), &at(&p.ca), &sname))
                .transpose()?;
            let names: Vec<String> = match s.backends {
                Some(list) => list,
                None => shared.keys().cloned().collect(),
            };
            let mut backends = BTreeMap::new();
            for name in names {
                let Some((url, token, anchors, identity, token_to_desktop)) = shared.get(&name)
                else {
                    return Err(ConfigError::Invalid(format!(
                        "structures.{sname}.backends: no [backends.{name}]"
                    )));
                };
                let identity = match s.credentials.get(&name) {
                    Some(c) => load_identity(
                        &at(&c.cert),
                        &at(&c.key),
                        format!("structures.{sname}.credentials.{name}"),
                    )?,
                    None => identity.clone().ok_or_else(|| {
                        ConfigError::Invalid(format!(
                            "backend {name} has no certificate for structure {sname}: set \
                             structures.{sname}.credentials.{name} (or backends.{name}.cert/key)"
                        ))
                    })?,
                };
                backends.insert(
                    name,
                    Backend {
                        url: url.clone(),
                        token: token.clone(),
                        anchors: anchors.clone(),
                        identity,
                        token_to_desktop: *token_to_desktop,
                    },
                );
            }
            structures.insert(sname, Structure { psc, backends });
        }
        Ok(Self {
            listen: f.listen,
            server_identity,
            client_ca,
            trace_file: at(&f.trace_file),
            expose_traces: f.expose_traces,
            session: SessionLimits {
                absolute: Duration::from_secs(f.session.absolute_secs),
                idle: Duration::from_secs(f.session.idle_secs),
            },
            clients,
            structures,
        })
    }
}

/// The structures' references, from the text alone: `[psc]` only without structures, every
/// client in one declared structure (or none declared), each structure's backends declared,
/// its credentials for its own backends, and a certificate for each of them.
fn check_structures(f: &FileConfig) -> Result<(), ConfigError> {
    let invalid = |m: String| Err(ConfigError::Invalid(m));
    let structured = !f.structures.is_empty();
    if structured && f.psc.is_some() {
        return invalid(
            "[psc] is the PSC client of a configuration without structures: with \
             [structures.<name>], give each structure its own [structures.<name>.psc]"
                .into(),
        );
    }
    for (name, c) in &f.clients {
        match (&c.structure, structured) {
            (None, false) => {}
            (Some(s), true) if f.structures.contains_key(s) => {}
            (None, true) => {
                return invalid(format!(
                    "clients.{name}.structure is required when structures are declared"
                ));
            }
            (Some(s), _) => {
                return invalid(format!("clients.{name}.structure: no [structures.{s}]"));
            }
        }
    }
    for (sname, s) in &f.structures {
        if !is_name(sname) {
            return invalid(format!(
                "structure name {sname:?}: only letters, digits, '-', '_', '.' (64 at most)"
            ));
        }
        let listed = |name: &String| s.backends.as_ref().is_none_or(|l| l.contains(name));
        for name in s.backends.iter().flatten() {
            if !f.backends.contains_key(name) {
                return invalid(format!("structures.{sname}.backends: no [backends.{name}]"));
            }
        }
        for name in s.credentials.keys() {
            if !listed(name) || !f.backends.contains_key(name) {
                return invalid(format!(
                    "structures.{sname}.credentials.{name}: not a backend of this structure"
                ));
            }
        }
        for (name, b) in f.backends.iter().filter(|(n, _)| listed(n)) {
            if b.cert.is_none() && !s.credentials.contains_key(name) {
                return invalid(format!(
                    "backend {name} has no certificate for structure {sname}: set \
                     structures.{sname}.credentials.{name} (or backends.{name}.cert/key)"
                ));
            }
        }
    }
    Ok(())
}

fn load_identity(cert: &Path, key: &Path, what: String) -> Result<ClientIdentity, ConfigError> {
    ClientIdentity::from_pem(&read(cert)?, &read(key)?).map_err(tls_err(what, cert))
}

/// A structure's `psc` section: its PSC client's configuration and PSC's anchors.
fn load_psc(config: &Path, ca: &Path, structure: &str) -> Result<PscSettings, ConfigError> {
    let text = String::from_utf8(read(config)?).map_err(|e| {
        ConfigError::Toml(format!(
            "{}: not UTF-8 at byte {}",
            config.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    let parsed = crate::config::PscConfig::from_toml(&text)
        .map_err(|e| ConfigError::Invalid(format!("{}: {e}", config.display())))?;
    let anchors = TrustAnchors::from_pem(&read(ca)?).map_err(tls_err(
        if structure == IMPLICIT_STRUCTURE {
            "psc.ca".to_owned()
        } else {
            format!("structures.{structure}.psc.ca")
        },
        ca,
    ))?;
    Ok(PscSettings {
        config: parsed,
        anchors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_before_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proxy.toml");
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        match ProxyConfig::load(&path) {
            Err(ConfigError::Read { source, .. }) => {
                assert!(source.to_string().contains("byte limit"), "{source}")
            }
            other => panic!("expected a read error, got {:?}", other.err()),
        }
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize]).unwrap();
        assert!(!matches!(
            ProxyConfig::load(&path),
            Err(ConfigError::Read { .. })
        ));
    }

    #[test]
    fn names_and_pins() {
        assert!(is_name("backend-1"));
        assert!(!is_name("../etc"));
        assert!(!is_name(""));
        assert!(parse_hex32(&"ab".repeat(32)).is_some());
        assert!(parse_hex32(&"zz".repeat(32)).is_none());
        assert!(parse_hex32("abcd").is_none());
    }

    fn backend(lines: &str) -> Result<ProxyConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let ca = segur_test_support::pki::ca("TEST AC");
        let leaf = segur_test_support::pki::leaf(&ca, "b.test", &["b.test"], false, false);
        for (name, text) in [
            ("ca.pem", ca.pem()),
            ("leaf.pem", leaf.cert_pem),
            ("leaf.key", leaf.key_pem),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        ProxyConfig::from_toml(
            &format!(
                "listen = \"127.0.0.1:0\"\nserver_cert = \"leaf.pem\"\nserver_key = \"leaf.key\"\n\
                 client_ca = \"ca.pem\"\ntrace_file = \"t.jsonl\"\n[backends.b]\n\
                 url = \"https://b.test\"\nca = \"ca.pem\"\ncert = \"leaf.pem\"\nkey = \"leaf.key\"\n{lines}"
            ),
            dir.path(),
        )
    }

    #[test]
    fn backend_token_kinds() {
        let c = backend("token_endpoint = \"https://as.test/token\"\nscope = \"s\"\n").unwrap();
        assert_eq!(
            c.structures[IMPLICIT_STRUCTURE].backends["b"].token,
            BackendToken::Exchanged {
                token_endpoint: "https://as.test/token".into(),
                audience: None,
                scope: Some("s".into())
            }
        );
        let c = backend("token = \"psc_access_token\"\n").unwrap();
        assert_eq!(
            c.structures[IMPLICIT_STRUCTURE].backends["b"].token,
            BackendToken::PscAccessToken
        );
        let e = backend("").unwrap_err();
        assert!(e.to_string().contains("token_endpoint is required"), "{e}");
        let e = backend("token = \"psc_access_token\"\nscope = \"s\"\n").unwrap_err();
        assert!(e.to_string().contains("meaningless"), "{e}");
        let e = backend("token = \"id_token\"\n").unwrap_err();
        assert!(e.to_string().contains("id_token"), "{e}");
        let e = backend("token_endpoint = \"http://as.test/token\"\n").unwrap_err();
        assert!(e.to_string().contains("https://"), "{e}");
    }

    #[test]
    fn structures_are_checked() {
        let base = "token_endpoint = \"https://as.test/token\"\n[backends.c]\n\
                    url = \"https://c.test\"\ntoken_endpoint = \"https://as.test/token\"\n\
                    ca = \"ca.pem\"\n";
        let with = |rest: &str| backend(&format!("{base}{rest}"));
        let c = with(
            "[structures.a]\n[structures.b]\nbackends = [\"b\"]\n\
             credentials.b = { cert = \"leaf.pem\", key = \"leaf.key\" }\n\
             [clients.x]\nstructure = \"b\"\n",
        );
        // `c` has no certificate of its own and structure a gives none.
        let e = c.unwrap_err();
        assert!(
            e.to_string()
                .contains("backend c has no certificate for structure a"),
            "{e}"
        );
        let c = with(
            "[structures.a]\nbackends = [\"b\"]\n[structures.b]\nbackends = [\"b\"]\n\
             credentials.b = { cert = \"leaf.pem\", key = \"leaf.key\" }\n\
             [clients.x]\nstructure = \"b\"\n",
        )
        .unwrap();
        assert_eq!(c.clients["x"].structure, "b");
        assert_eq!(
            c.structure_of("x")
                .unwrap()
                .backends
                .keys()
                .collect::<Vec<_>>(),
            ["b"]
        );
        for (rest, message) in [
            (
                "[structures.a]\nbackends = [\"b\"]\n[clients.x]\n",
                "structure is required",
            ),
            (
                "[structures.a]\nbackends = [\"b\"]\n[clients.x]\nstructure = \"z\"\n",
                "no [structures.z]",
            ),
            ("[clients.x]\nstructure = \"a\"\n", "no [structures.a]"),
            ("[structures.a]\nbackends = [\"zz\"]\n", "no [backends.zz]"),
            (
                "[structures.a]\nbackends = [\"b\"]\n\
                 credentials.c = { cert = \"leaf.pem\", key = \"leaf.key\" }\n",
                "not a backend of this structure",
            ),
            (
                "[structures.a]\nbackends = [\"b\"]\n[psc]\nconfig = \"p\"\nca = \"ca.pem\"\n",
                "give each structure",
            ),
            (
                "[structures.\"../a\"]\nbackends = [\"b\"]\n",
                "structure name",
            ),
        ] {
            let e = with(rest).unwrap_err();
            assert!(e.to_string().contains(message), "{rest}: {e}");
        }
    }

    #[test]
    fn structure_references_are_checked_before_any_file_is_read() {
        let e = ProxyConfig::from_toml(
            "listen = \"127.0.0.1:1\"\nserver_cert = \"a\"\nserver_key = \"b\"\n\
             client_ca = \"c\"\ntrace_file = \"t\"\n[structures.a]\n[clients.x]\n\
             structure = \"z\"\n",
            Path::new("/nonexistent-segur"),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid(m) if m.contains("no [structures.z]")),
            "{e}"
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        let e = ProxyConfig::from_toml("listen = \"127.0.0.1:1\"\nbogus = 1\n", Path::new("."))
            .unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }
}
