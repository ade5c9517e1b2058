//! A Pro Santé Connect-like OpenID provider on loopback: the certified npm `oidc-provider`
//! configured as psc.md §9 describes (test-support/oidc/psc-provider.mjs), with its test PKI.
//!
//! One provider per test binary: [`OidcProvider::start`] makes the CA, the server certificates
//! (valid and expired, for `localhost`), the client certificates (the registered one, another
//! name under the same CA, one from a CA the provider does not trust), writes them to a
//! temporary folder and starts `node`. The test drives the provider through
//! [`OidcProvider::command`] (CIBA outcomes, key rotation, signing test tokens, the browser part
//! of the authorization code flow).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::pki;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

/// The DN registered for the mutual-TLS client (`tls_client_auth_subject_dn`).
pub const CLIENT_CN: &str = "lgo.pharmacie.test";
/// The id of the mutual-TLS client (CIBA, authorization code, token exchange).
pub const MTLS_CLIENT_ID: &str = "lgo-mtls";
/// The DN registered for the mutual-TLS client of a second structure (another pharmacy behind
/// the same proxy e-Santé, with its own PSC client and certificate).
pub const STRUCTURE_B_CN: &str = "pharmacie-b.test";
/// The id of that second structure's mutual-TLS client.
pub const STRUCTURE_B_CLIENT_ID: &str = "lgo-mtls-b";
/// The id of the `client_secret_basic` client (the sandbox mode).
pub const SANDBOX_CLIENT_ID: &str = "lgo-sandbox";
/// Its secret.
pub const SANDBOX_SECRET: &str = "sandbox-secret-0123456789";
/// The redirect URI registered for both clients.
pub const REDIRECT_URI: &str = "https://proxy.pharmacie.test/psc/callback";
/// The id of the resource-server client (an MSSanté operator's Dovecot), which authenticates
/// with `client_secret_basic` to introspect tokens (RFC 7662 §2.1) and has no grant of its own.
pub const RESOURCE_SERVER_ID: &str = "mss-operateur";
/// Its secret (letters and digits: it goes into Dovecot's `introspection_url` as is).
pub const RESOURCE_SERVER_SECRET: &str = "operateur0123456789secret";
/// The backend audience the token exchange is registered for, and its scopes.
pub const BACKEND_AUDIENCE: &str = "https://api.backend.test/fhir";
/// A second backend.
pub const BACKEND2_AUDIENCE: &str = "https://api.dmp.test/v1";
/// An MSSanté operator as an exchange audience (scope `mail`): whether operators take an
/// exchanged token rather than the PSC access token is TO VERIFY (psc.md §8).
pub const MSS_AUDIENCE: &str = "https://mss.test.mssante.fr";

/// The certificates of the test PKI, as PEM.
pub struct OidcPki {
    /// The CA that issued the server and client certificates.
    pub ca_pem: String,
    /// The client certificate registered at the provider (CN [`CLIENT_CN`]).
    pub client: pki::Leaf,
    /// A client certificate from the same CA with another name (not registered).
    pub other_client: pki::Leaf,
    /// The certificate of the second structure's client (CN [`STRUCTURE_B_CN`]).
    pub structure_b: pki::Leaf,
    /// A client certificate from a CA the provider does not trust.
    pub rogue_client: pki::Leaf,
    /// A CA the server certificate does not lead to.
    pub rogue_ca_pem: String,
}

/// The running provider.
pub struct OidcProvider {
    /// `https://localhost:PORT/auth/realms/esante-wallet`.
    pub issuer: String,
    /// The port of the main listener.
    pub port: u16,
    /// A second listener with an expired server certificate (same provider).
    pub expired_port: u16,
    pub pki: OidcPki,
    child: Child,
    io: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
}

fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

impl OidcProvider {
    /// Starts the provider; the CIBA interval it announces is `ciba_interval` seconds. Panics
    /// naming `oidc-provider` and `scripts/install-deps` when node or the module is missing.
    pub fn start(ciba_interval: u64) -> Self {
        let module = oidc_dir().join("node_modules/oidc-provider/package.json");
        assert!(
            module.is_file(),
            "the npm module oidc-provider is missing ({}): scripts/install-deps runs `npm ci` in test-support/oidc",
            module.display()
        );
        let ca = pki::ca("Segur Test IGC Sante PSC");
        let server = pki::leaf(&ca, "localhost", &["localhost"], false, false);
        let expired = pki::leaf(&ca, "localhost", &["localhost"], false, true);
        let client = pki::leaf(&ca, CLIENT_CN, &[], true, false);
        let other_client = pki::leaf(&ca, "autre.pharmacie.test", &[], true, false);
        let structure_b = pki::leaf(&ca, STRUCTURE_B_CN, &[], true, false);
        let rogue = pki::ca("Rogue CA");
        let rogue_client = pki::leaf(&rogue, CLIENT_CN, &[], true, false);
        let dir = tempfile::Builder::new()
            .prefix("segur-oidc")
            .tempdir()
            .unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let port = crate::mail_servers::free_port();
        let config = json!({
            "port": port,
            "server_cert": write("server.pem", &server.cert_pem),
            "server_key": write("server.key", &server.key_pem),
            "expired_cert": write("expired.pem", &expired.cert_pem),
            "expired_key": write("expired.key", &expired.key_pem),
            "client_ca": write("ca.pem", &ca.pem()),
            "server_ca": dir.path().join("ca.pem"),
            "client_dn": format!("CN={CLIENT_CN}"),
            "client_b_dn": format!("CN={STRUCTURE_B_CN}"),
            "sandbox_secret": SANDBOX_SECRET,
            "resource_server_id": RESOURCE_SERVER_ID,
            "resource_server_secret": RESOURCE_SERVER_SECRET,
            "ciba_interval": ciba_interval,
            "backends": [
                {"audience": BACKEND_AUDIENCE, "scopes": ["read", "write"]},
                {"audience": BACKEND2_AUDIENCE, "scopes": ["dmp"]},
                {"audience": MSS_AUDIENCE, "scopes": ["mail"]},
            ],
        });
        let config_path = write("config.json", &config.to_string());
        let mut child = Command::new("node")
            .arg(oidc_dir().join("psc-provider.mjs"))
            .arg(&config_path)
            .current_dir(oidc_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is required for the oidc-provider harness (scripts/install-deps installs nodejs and runs `npm ci` in test-support/oidc)");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("oidc-provider harness did not start: {line:?}"));
        assert_eq!(ready["ready"], true, "oidc-provider harness: {line}");
        // The provider read its configuration and keys at start-up: nothing is left behind
        // (the provider of a test binary lives in a static and is never dropped).
        drop(dir);
        Self {
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            port,
            expired_port: u16::try_from(ready["expired_port"].as_u64().unwrap()).unwrap(),
            pki: OidcPki {
                ca_pem: ca.pem(),
                client,
                other_client,
                structure_b,
                rogue_client,
                rogue_ca_pem: rogue.pem(),
            },
            child,
            io: Mutex::new((stdin, stdout)),
        }
    }

    /// A URL of the backend API (psc.md §9.10): `GET` or `POST` with an exchanged token as
    /// `Bearer`, over the certificate its `cnf` names; answers `{SubjectNameID, aud, scope,
    /// method, path}` or 401 `invalid_token`.
    pub fn backend_url(&self, path: &str) -> String {
        format!(
            "https://localhost:{}/backend/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// The RFC 7662 introspection endpoint (psc.md §1: issuer +
    /// `/protocol/openid-connect/token/introspect`). It answers for the provider's own access
    /// and refresh tokens and for the tokens of its RFC 8693 exchange; the caller authenticates
    /// as [`RESOURCE_SERVER_ID`] or as the token's own client.
    pub fn introspection_endpoint(&self) -> String {
        format!("{}/protocol/openid-connect/token/introspect", self.issuer)
    }

    /// Sends one command to the provider and returns its answer; panics on an `error` answer.
    pub fn command(&self, command: Value) -> Value {
        let mut line = String::new();
        {
            // A failed assertion of another test must not poison the provider for the rest.
            let mut io = self.io.lock().unwrap_or_else(|p| p.into_inner());
            writeln!(io.0, "{command}").unwrap();
            io.0.flush().unwrap();
            io.1.read_line(&mut line).unwrap();
        }
        let answer: Value = serde_json::from_str(&line).unwrap();
        assert!(answer.get("error").is_none(), "{command}: {answer}");
        answer
    }

    /// What CIBA does for `national_id`: `approve`, `deny` or `ignore`, after `delay_ms`;
    /// requests for it expire after `expires_in` seconds.
    pub fn ciba_policy(&self, national_id: &str, action: &str, delay_ms: u64, expires_in: u64) {
        self.command(json!({"cmd": "ciba_policy", "login_hint": national_id,
            "action": action, "delay_ms": delay_ms, "expires_in": expires_in}));
    }

    /// Like [`Self::ciba_policy`], and the first poll of each request gets a 503.
    pub fn ciba_policy_unavailable_once(&self, national_id: &str, action: &str, delay_ms: u64) {
        self.command(json!({"cmd": "ciba_policy", "login_hint": national_id,
            "action": action, "delay_ms": delay_ms, "expires_in": 30, "unavailable_once": true}));
    }

    /// A JWS of `claims` signed with the provider's key `kid` (`rs1`, `es1`, or `rs2`, the
    /// key published only after [`Self::publish_key`]), with extra `header` members.
    pub fn sign(&self, kid: &str, header: Value, claims: Value) -> String {
        let a =
            self.command(json!({"cmd": "sign", "kid": kid, "header": header, "claims": claims}));
        a["jws"].as_str().unwrap().to_owned()
    }

    /// The public JWK of `kid`.
    pub fn jwk(&self, kid: &str) -> Value {
        self.command(json!({"cmd": "jwk", "kid": kid}))["jwk"].clone()
    }

    /// Adds the key `kid` to the published JWKS (rotation).
    pub fn publish_key(&self, kid: &str) {
        self.command(json!({"cmd": "publish_key", "kid": kid}));
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> u64 {
        self.command(json!({"cmd": "jwks_fetches"}))["count"]
            .as_u64()
            .unwrap()
    }

    /// The `cnf.x5t#S256` form of exchanged tokens: `rfc` (RFC 8705) or `ans`.
    pub fn thumbprint_form(&self, form: &str) {
        self.command(json!({"cmd": "thumbprint_form", "form": form}));
    }

    /// Destroys every grant made for `national_id` (its refresh and access tokens die, as when
    /// the PSC session ends elsewhere); returns how many.
    pub fn revoke_grants(&self, national_id: &str) -> u64 {
        self.command(json!({"cmd": "revoke_grants", "login_hint": national_id}))["revoked"]
            .as_u64()
            .unwrap()
    }

    /// Plays the browser on an authorization URL: the professional logs in and consents at
    /// once; returns the redirect URL (with `code`, `state`, `iss`), or the answer when the
    /// flow stopped (`{"status": 400}`).
    pub fn browse(&self, url: &str) -> Value {
        self.command(json!({"cmd": "browse", "url": url}))
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
