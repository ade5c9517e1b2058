//! The client's configuration: issuer and hosts, discovery document name, client id and client
//! authentication, scopes, `acr`, clock skew, refresh margin; read from TOML, with the sandbox
//! ("BAS") and production presets of psc.md §1.
//!
//! Points psc.md marks TO VERIFY are settings with the documented default, not constants:
//! the discovery name (non-standard at PSC), the accepted `acr` set (a 2021 BAS sample had
//! `eidas3`), the `channel` parameter of CIBA, the `cnf` thumbprint forms accepted.
//!
//! ```toml
//! environment = "sandbox"          # or "production", or "custom" with issuer = "..."
//! client_id = "my-lgo"
//! [client_auth]
//! method = "tls_client_auth"       # RFC 8705 §2.1.1, mandatory in the "Espace de Confiance"
//! pkcs12 = "/etc/lgo/org-auth-cli.p12"
//! password_env = "LGO_P12_PASSWORD"
//! ```

use crate::error::PscError;
use crate::jwt::JwsAlg;
use segur_net::tls::ClientIdentity;
use std::path::PathBuf;
use std::time::Duration;
use zeroize::Zeroizing;

/// The discovery document path PSC serves (psc.md §1), relative to the issuer.
pub const PSC_DISCOVERY_PATH: &str = "/.well-known/wallet-openid-configuration";
/// The sandbox ("BAS") issuer.
pub const SANDBOX_ISSUER: &str = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet";
/// The sandbox authorization endpoint (the `wallet.*` host).
pub const SANDBOX_AUTHORIZATION: &str = "https://wallet.bas.psc.esante.gouv.fr/auth";
/// The production issuer.
pub const PRODUCTION_ISSUER: &str = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet";
/// The production authorization endpoint.
pub const PRODUCTION_AUTHORIZATION: &str = "https://wallet.esw.esante.gouv.fr/auth";

/// The form of `cnf.x5t#S256` in an exchanged token (psc.md §7, "the trap").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThumbprintForm {
    /// RFC 8705 §3.1: base64url, unpadded, of the SHA-256 of the DER certificate (43 chars).
    Rfc8705,
    /// What both ANS examples carry: standard padded base64 of the lower-case hex SHA-256
    /// string (88 chars). TO VERIFY on a real token.
    AnsHexBase64,
}

/// How the client authenticates to the provider's endpoints.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientAuthConfig {
    /// Mutual TLS with the vendor's certificate (RFC 8705 §2.1.1, `tls_client_auth`), from a
    /// PKCS#12 file whose password is in an environment variable.
    TlsClientAuth {
        /// The PKCS#12 file (an IGC Santé ORG AUTH_CLI in production).
        pkcs12: PathBuf,
        /// The environment variable holding its password.
        password_env: String,
    },
    /// Mutual TLS with PEM files (certificate chain, private key).
    TlsClientAuthPem {
        /// The certificate chain, leaf first.
        chain: PathBuf,
        /// The private key.
        key: PathBuf,
    },
    /// `client_secret_basic` (RFC 6749 §2.3.1). **Sandbox only**: the "Espace de Confiance"
    /// makes mTLS mandatory and the ANS proxy marks secrets "not for production" (psc.md §2).
    ClientSecretBasic {
        /// The environment variable holding the secret.
        secret_env: String,
    },
}

/// The credentials resolved from [`ClientAuthConfig`]: what the client presents.
#[derive(Clone)]
pub enum ClientCredentials {
    /// Mutual TLS (`tls_client_auth`) with this identity.
    Mtls(ClientIdentity),
    /// `client_secret_basic` with this secret (zeroized on drop). Sandbox only.
    SecretBasic(Zeroizing<String>),
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mtls(id) => f.debug_tuple("Mtls").field(id).finish(),
            Self::SecretBasic(_) => f.write_str("SecretBasic([redacted])"),
        }
    }
}

/// Which PSC environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The sandbox ("BAS").
    Sandbox,
    /// Production.
    Production,
    /// Another issuer (a local test provider, a vendor's staging).
    Custom,
}

/// The configuration of a [`crate::client::PscClient`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PscConfig {
    /// The environment; its preset fills `issuer` and `authorization_endpoint` when absent.
    pub environment: Environment,
    /// The issuer (`iss` of every token; discovery is fetched under it).
    #[serde(default)]
    pub issuer: Option<String>,
    /// The authorization endpoint, when it must differ from discovery's (PSC's `wallet.*` host).
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    /// The discovery document path under the issuer.
    #[serde(default = "default_discovery_path")]
    pub discovery_path: String,
    /// The client id given at onboarding.
    pub client_id: String,
    /// How the client authenticates.
    pub client_auth: ClientAuthConfig,
    /// The scopes requested (psc.md §5.1: `openid scope_all`).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The `acr_values` sent (psc.md §3, §4: `eidas1`).
    #[serde(default = "default_acr")]
    pub acr_values: String,
    /// The `acr` values accepted in ID tokens (default `{eidas1}`, psc.md §5.1).
    #[serde(default = "default_accepted_acr")]
    pub accepted_acr: Vec<String>,
    /// The signature algorithms accepted (default RS256, PS256, ES256).
    #[serde(default = "default_algs")]
    pub algorithms: Vec<JwsAlg>,
    /// The clock skew tolerated on token times, seconds (default 60).
    #[serde(default = "default_skew")]
    pub clock_skew_secs: u64,
    /// Tokens are refreshed this many seconds before they expire (default 30; PSC access
    /// tokens live about 2 minutes, psc.md §5.5).
    #[serde(default = "default_margin")]
    pub refresh_margin_secs: u64,
    /// Polls CIBA at this interval (milliseconds) instead of the one the provider announces.
    /// For tests and diagnosis only: `slow_down` still adds 5 s.
    #[serde(default)]
    pub ciba_poll_interval_ms: Option<u64>,
    /// The `cnf.x5t#S256` forms accepted in exchanged tokens (default both, psc.md §7).
    #[serde(default = "default_thumbprints")]
    pub thumbprint_forms: Vec<ThumbprintForm>,
    /// Minimum time between two JWKS fetches caused by unknown `kid`s, seconds (default 30).
    #[serde(default = "default_refetch")]
    pub jwks_min_refetch_secs: u64,
    /// A PEM file of the CAs the provider's server certificate must lead to (RFC 5280 §6), for
    /// [`crate::client::PscClient::from_config`]. Which CA signs PSC's endpoints is the
    /// deployment's to set; it is never the system store implicitly.
    #[serde(default)]
    pub trust_anchors: Option<PathBuf>,
}

fn default_discovery_path() -> String {
    PSC_DISCOVERY_PATH.into()
}
fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "scope_all".into()]
}
fn default_acr() -> String {
    "eidas1".into()
}
fn default_accepted_acr() -> Vec<String> {
    vec!["eidas1".into()]
}
fn default_algs() -> Vec<JwsAlg> {
    JwsAlg::DEFAULT_ALLOWED.to_vec()
}
fn default_skew() -> u64 {
    60
}
fn default_margin() -> u64 {
    30
}
fn default_thumbprints() -> Vec<ThumbprintForm> {
    vec![ThumbprintForm::Rfc8705, ThumbprintForm::AnsHexBase64]
}
fn default_refetch() -> u64 {
    30
}

impl PscConfig {
    /// The sandbox preset (psc.md §1) for `client_id` with mutual TLS from a PKCS#12 file.
    pub fn sandbox(client_id: &str, client_auth: ClientAuthConfig) -> Self {
        Self::preset(Environment::Sandbox, client_id, client_auth)
    }

    /// The production preset (psc.md §1).
    pub fn production(client_id: &str, client_auth: ClientAuthConfig) -> Self {
        Self::preset(Environment::Production, client_id, client_auth)
    }

    /// Any issuer (a local provider): discovery gives every endpoint.
    pub fn custom(issuer: &str, client_id: &str, client_auth: ClientAuthConfig) -> Self {
        let mut c = Self::preset(Environment::Custom, client_id, client_auth);
        c.issuer = Some(issuer.into());
        c
    }

    fn preset(environment: Environment, client_id: &str, client_auth: ClientAuthConfig) -> Self {
        Self {
            environment,
            issuer: None,
            authorization_endpoint: None,
            discovery_path: default_discovery_path(),
            client_id: client_id.into(),
            client_auth,
            scopes: default_scopes(),
            acr_values: default_acr(),
            accepted_acr: default_accepted_acr(),
            algorithms: default_algs(),
            clock_skew_secs: default_skew(),
            refresh_margin_secs: default_margin(),
            ciba_poll_interval_ms: None,
            thumbprint_forms: default_thumbprints(),
            jwks_min_refetch_secs: default_refetch(),
            trust_anchors: None,
        }
    }

    /// Reads a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, PscError> {
        let c: Self = toml::from_str(text).map_err(|e| PscError::Config(e.message().to_owned()))?;
        c.check()?;
        Ok(c)
    }

    /// The largest clock skew accepted: beyond it `exp` would stop meaning anything (PSC access
    /// tokens live about 2 minutes, psc.md §5.5).
    pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

    /// Checks the values: an https issuer, a bounded skew, at least one algorithm and one
    /// thumbprint form, `openid` among the scopes.
    pub fn check(&self) -> Result<(), PscError> {
        self.issuer()?;
        if self.clock_skew_secs > Self::MAX_CLOCK_SKEW_SECS {
            return Err(PscError::Config(format!(
                "clock_skew_secs {} exceeds {}",
                self.clock_skew_secs,
                Self::MAX_CLOCK_SKEW_SECS
            )));
        }
        if self.algorithms.is_empty() {
            return Err(PscError::Config("algorithms is empty".into()));
        }
        if self.thumbprint_forms.is_empty() {
            return Err(PscError::Config("thumbprint_forms is empty".into()));
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(PscError::Config("scopes must contain openid".into()));
        }
        if self
            .authorization_endpoint
            .as_deref()
            .is_some_and(|a| !a.starts_with("https://"))
        {
            return Err(PscError::Config(
                "the authorization endpoint must be an https URL".into(),
            ));
        }
        Ok(())
    }

    /// Reads a TOML configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, PscError> {
        use std::io::Read;
        // A configuration is a few lines: anything past 1 MiB is not one.
        const MAX_BYTES: u64 = 1 << 20;
        let cannot = |e: &dyn std::fmt::Display| {
            PscError::Config(format!("cannot read {}: {e}", path.display()))
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(|e| cannot(&e))?
            .take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| cannot(&e))?;
        if text.len() as u64 > MAX_BYTES {
            return Err(cannot(&format!("larger than the {MAX_BYTES}-byte limit")));
        }
        Self::from_toml(&text)
    }

    /// The trust anchors named by [`Self::trust_anchors`].
    pub fn load_trust_anchors(&self) -> Result<segur_net::tls::TrustAnchors, PscError> {
        let path = self
            .trust_anchors
            .as_ref()
            .ok_or_else(|| PscError::Config("trust_anchors is not set".into()))?;
        let pem = std::fs::read(path)
            .map_err(|e| PscError::Config(format!("cannot read {}: {e}", path.display())))?;
        segur_net::tls::TrustAnchors::from_pem(&pem).map_err(|e| PscError::Config(e.to_string()))
    }

    /// The issuer: the configured one, or the environment's.
    pub fn issuer(&self) -> Result<String, PscError> {
        let issuer = match (&self.issuer, self.environment) {
            (Some(i), _) => i.clone(),
            (None, Environment::Sandbox) => SANDBOX_ISSUER.into(),
            (None, Environment::Production) => PRODUCTION_ISSUER.into(),
            (None, Environment::Custom) => {
                return Err(PscError::Config(
                    "a custom environment needs an issuer".into(),
                ));
            }
        };
        if !issuer.starts_with("https://") {
            return Err(PscError::Config("the issuer must be an https URL".into()));
        }
        Ok(issuer)
    }

    /// The authorization endpoint override: the configured one, or the environment's.
    pub fn authorization_override(&self) -> Option<String> {
        match (&self.authorization_endpoint, self.environment) {
            (Some(a), _) => Some(a.clone()),
            (None, Environment::Sandbox) => Some(SANDBOX_AUTHORIZATION.into()),
            (None, Environment::Production) => Some(PRODUCTION_AUTHORIZATION.into()),
            (None, Environment::Custom) => None,
        }
    }

    /// The discovery URL: issuer + discovery path.
    pub fn discovery_url(&self) -> Result<String, PscError> {
        Ok(format!("{}{}", self.issuer()?, self.discovery_path))
    }

    /// The clock skew bound.
    pub fn clock_skew(&self) -> Duration {
        Duration::from_secs(self.clock_skew_secs)
    }

    /// The refresh margin.
    pub fn refresh_margin(&self) -> Duration {
        Duration::from_secs(self.refresh_margin_secs)
    }

    /// Loads the credentials [`Self::client_auth`] names (files, environment variables).
    pub fn load_credentials(&self) -> Result<ClientCredentials, PscError> {
        let env = |name: &str| {
            std::env::var(name)
                .map(Zeroizing::new)
                .map_err(|_| PscError::Config(format!("environment variable {name} is not set")))
        };
        let read = |p: &PathBuf| {
            std::fs::read(p)
                .map_err(|e| PscError::Config(format!("cannot read {}: {e}", p.display())))
        };
        let tls = |e: segur_net::tls::TlsError| PscError::Config(e.to_string());
        match &self.client_auth {
            ClientAuthConfig::TlsClientAuth {
                pkcs12,
                password_env,
            } => Ok(ClientCredentials::Mtls(
                ClientIdentity::from_pkcs12(&read(pkcs12)?, &env(password_env)?).map_err(tls)?,
            )),
            ClientAuthConfig::TlsClientAuthPem { chain, key } => Ok(ClientCredentials::Mtls(
                ClientIdentity::from_pem(&read(chain)?, &Zeroizing::new(read(key)?))
                    .map_err(tls)?,
            )),
            ClientAuthConfig::ClientSecretBasic { secret_env } => {
                Ok(ClientCredentials::SecretBasic(env(secret_env)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_checks() {
        let auth = ClientAuthConfig::ClientSecretBasic {
            secret_env: "S".into(),
        };
        let p = PscConfig::production("lgo", auth.clone());
        assert_eq!(p.issuer().unwrap(), PRODUCTION_ISSUER);
        assert_eq!(
            p.authorization_override().as_deref(),
            Some(PRODUCTION_AUTHORIZATION)
        );
        assert_eq!(p.scopes, ["openid", "scope_all"]);
        assert_eq!(p.accepted_acr, ["eidas1"]);
        let custom = "environment = \"custom\"\nclient_id = \"x\"\n[client_auth]\nmethod = \"client_secret_basic\"\nsecret_env = \"S\"\n";
        assert!(matches!(
            PscConfig::from_toml(custom),
            Err(PscError::Config(m)) if m.contains("issuer")
        ));
        let http = format!("issuer = \"http://h\"\n{custom}");
        assert!(PscConfig::from_toml(&http).is_err());
        let skew = format!("issuer = \"https://h\"\nclock_skew_secs = 3600\n{custom}");
        assert!(
            matches!(PscConfig::from_toml(&skew), Err(PscError::Config(m)) if m.contains("clock_skew"))
        );
        let unknown = format!("colour = 1\n{custom}");
        assert!(PscConfig::from_toml(&unknown).is_err());
        let ok = format!(
            "issuer = \"https://h/r\"\ndiscovery_path = \"/.well-known/openid-configuration\"\n{custom}"
        );
        let c = PscConfig::from_toml(&ok).unwrap();
        assert_eq!(
            c.discovery_url().unwrap(),
            "https://h/r/.well-known/openid-configuration"
        );
        assert_eq!(c.authorization_override(), None);
        assert!(matches!(
            c.load_credentials(),
            Err(PscError::Config(m)) if m.contains("environment variable S")
        ));
    }
}
