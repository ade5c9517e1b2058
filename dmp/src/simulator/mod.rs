//! A local DMP for tests and for vendors' own test benches: an HTTPS server with mutual TLS over
//! an in-memory registry (optionally persisted to a folder) that answers TD0.2, TD0.3, TD2.1,
//! TD3.1, TD3.2 and TD3.3 the way the DMP does and refuses what `shared/specs/dmp.md` §11.1
//! says the DMP refuses.
//!
//! It is independent of the SDK's DMP client: it parses requests with the hardened
//! [`segur_net::xml`] and [`segur_net::soap`] readers and its own ebRIM reading, so a client bug
//! is caught, not mirrored.
//!
//! Modules, one job each:
//! - [`pki`]: the test CA, server, ORG_AUTH_CLI and ORG_SIGN certificates made at start-up;
//! - [`server`]: the hyper 1 + tokio-rustls listener (TLS 1.2, the DMP's AEAD suites, client
//!   certificate required), routing by path and `wsa:Action` (§1.1), the admin endpoint, and
//!   [`server::Responder`], the same request handling without the network (fuzzing);
//! - [`registry`]: documents, entries and their status, visibility, authorisations per
//!   professional, DMP state per patient; persisted as JSON when a folder is given;
//! - [`vihf`]: the VIHF checks (§11.1 items 2 to 4), its signature verified with
//!   [`segur_net::xmldsig`];
//! - [`ebrim`]: reading ebRIM objects of requests and writing them in responses;
//! - [`transactions`]: one handler per transaction (§11.1 items 5 to 10);
//! - [`refusal`]: how each refusal is answered (RegistryError codes, HL7 acknowledgements or
//!   SOAP faults, §9);
//! - [`faults`]: fault injection per transaction (time-out, HTTP 500, SOAP fault, truncated
//!   body, DMP closed, no authorisation);
//! - [`record`]: `--record DIR`, every request as received.
//!
//! ```no_run
//! use segur_dmp::simulator::{Simulator, SimulatorOptions};
//! let sim = Simulator::start(SimulatorOptions::default())?;
//! sim.write_config(std::path::Path::new("/tmp/dmp-test"))?; // dmp.toml + PEM files
//! println!("{}", sim.endpoint());
//! # Ok::<(), segur_dmp::simulator::SimulatorError>(())
//! ```
//!
//! Choices made where the DMP's behaviour is not public (`shared/specs/dmp.md` §12, TO VERIFY),
//! each one a field of [`Rules`] or a documented constant of [`refusal`]:
//! - an unknown patient has an active DMP ([`Rules::unknown_patient`]);
//! - every professional is authorised on every DMP until TD0.3 `SUPPRESSION` removes the
//!   authorisation ([`Rules::implicit_authorisation`]);
//! - an unsigned DIRECTE VIHF is accepted, as in every official example request
//!   ([`Rules::require_directe_signature`]);
//! - the attribute `Authentification_mode` is matched with its case as in the examples, or
//!   without case ([`Rules::mode_attribute_any_case`]);
//! - the DMP-specific refusal codes (DMP closed, no authorisation, invalid VIHF) are the
//!   simulator's own names ([`refusal::codes`]);
//! - a Pro Santé Connect access token in `Authorization: Bearer` is ignored, or required and
//!   checked by the test's own [`BearerCheck`] ([`Rules::bearer`]; how the DMP receives a PSC
//!   token is not published, psc.md §10).

pub mod ebrim;
pub mod faults;
pub mod pki;
pub mod record;
pub mod refusal;
pub mod registry;
pub mod server;
pub mod transactions;
pub mod vihf;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use faults::{Fault, FaultPlan};
pub use pki::{PkiSubject, TestPki};
pub use registry::{DmpState, EntryStatus};
pub use transactions::Transaction;

/// The base path of the services (`https://HOST/si-dmp-server/v2/services/<path>`, §1.1).
pub const SERVICES_PATH: &str = "/si-dmp-server/v2/services";

/// The repositoryUniqueId of the simulated repository (the official examples' value, §6).
pub const REPOSITORY_UNIQUE_ID: &str = "1.2.250.1.213.4.1.1.1.2";

/// The authority of a bare matricule in the written `dmp.toml`: the INS-NIR of test patients
/// (`shared/specs/dmp.md` §2.2 resource-id and §6 `$XDSDocumentEntryPatientId`: the DMP test
/// platform's patients are `.10`), so that `segur dmp status --ins M` names the same patient
/// as a CDA built for a test identity.
pub const TEST_INS_OID: &str = "1.2.250.1.213.1.4.10";

/// Why the simulator could not start or write its files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// A file or socket operation failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The test PKI could not be made.
    #[error("test PKI: {0}")]
    Pki(String),
    /// The TLS configuration could not be built.
    #[error("TLS: {0}")]
    Tls(#[from] segur_net::tls::TlsError),
    /// The persisted registry could not be read.
    #[error("persisted registry {path}: {reason}")]
    Persisted {
        /// The file.
        path: PathBuf,
        /// Why (serde's message: names the field, never a value).
        reason: String,
    },
}

/// Behaviour where the DMP's rules are not public (each one TO VERIFY in
/// `shared/specs/dmp.md` §12).
#[derive(Debug, Clone)]
pub struct Rules {
    /// The state of the DMP of a patient never configured (default: active).
    pub unknown_patient: DmpState,
    /// Whether every professional is authorised until TD0.3 `SUPPRESSION` (default: yes).
    /// When `false`, only TD0.3 `AJOUT` authorises.
    pub implicit_authorisation: bool,
    /// Whether a DIRECTE VIHF must be signed (default: no, as in the official examples).
    pub require_directe_signature: bool,
    /// Whether `Authentification_mode` may be written with any case (`Authentification_Mode`
    /// in the C# sample and the IG, §2.2). Default: yes.
    pub mode_attribute_any_case: bool,
    /// What is done with `Authorization: Bearer` (default: ignored).
    pub bearer: BearerRule,
}

/// Decides whether a Pro Santé Connect access token is accepted (a test compares it with the
/// tokens its PSC stand-in issued, or introspects it).
pub trait BearerCheck: Send + Sync {
    /// Whether `token` (the `b64token` of `Authorization: Bearer`) is valid.
    fn accepts(&self, token: &str) -> bool;
}

/// What the simulator does with the `Authorization` header of service requests.
#[derive(Clone, Default)]
pub enum BearerRule {
    /// Not looked at (mutual TLS and the VIHF alone, as every official example).
    #[default]
    Ignored,
    /// Required on every service request and checked: a request without one, or with one the
    /// check refuses, gets HTTP 401 with `WWW-Authenticate: Bearer error="invalid_token"`
    /// (RFC 6750 §3.1), before its SOAP message is read.
    Required(Arc<dyn BearerCheck>),
}

impl std::fmt::Debug for BearerRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ignored => "Ignored",
            Self::Required(_) => "Required",
        })
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            unknown_patient: DmpState::Active,
            implicit_authorisation: true,
            require_directe_signature: false,
            mode_attribute_any_case: true,
            bearer: BearerRule::Ignored,
        }
    }
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Folder receiving every request as received (`0001.http`, `0002.http`, ...).
    pub record_dir: Option<PathBuf>,
    /// Folder the registry is persisted to (read at start when it holds one).
    pub persist_dir: Option<PathBuf>,
    /// Who the structure certificates name, and whom the written `dmp.toml` describes.
    pub identity: ConfigIdentity,
    /// Behaviour where the DMP's rules are not public.
    pub rules: Rules,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            record_dir: None,
            persist_dir: None,
            identity: ConfigIdentity::default(),
            rules: Rules::default(),
        }
    }
}

/// The professional, structure and software written into `dmp.toml` by
/// [`Simulator::write_config`] (test values).
#[derive(Debug, Clone)]
pub struct ConfigIdentity {
    /// The professional's national identifier (`8` + RPPS).
    pub professional_id: String,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Struct_IdNat of the officine.
    pub structure_id: String,
    /// Name of the officine.
    pub structure_name: String,
}

impl Default for ConfigIdentity {
    fn default() -> Self {
        Self {
            professional_id: "810100000001".to_owned(),
            family_name: "PHARMACIEN".to_owned(),
            given_name: "PAUL".to_owned(),
            structure_id: "3123456789012345".to_owned(),
            structure_name: "PHARMACIE DU CENTRE".to_owned(),
        }
    }
}

/// State shared by every connection.
pub(crate) struct Shared {
    pub(crate) registry: Mutex<registry::Registry>,
    pub(crate) faults: Mutex<FaultPlan>,
    pub(crate) rules: Rules,
    pub(crate) recorder: Option<record::Recorder>,
    pub(crate) persist_dir: Option<PathBuf>,
    /// The signing certificates whose VIHF and XAdES signatures are trusted (DER).
    pub(crate) trusted_signers: Vec<Vec<u8>>,
}

impl Shared {
    /// Runs `f` on the registry, then persists it when a folder is configured.
    pub(crate) fn with_registry<T>(&self, f: impl FnOnce(&mut registry::Registry) -> T) -> T {
        let mut reg = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let out = f(&mut reg);
        if let Some(dir) = &self.persist_dir
            && reg.take_dirty()
            && let Err(e) = reg.save(dir)
        {
            eprintln!("segur dmp simulator: cannot persist the registry: {e}");
        }
        out
    }

    pub(crate) fn fault_for(&self, t: Transaction) -> Option<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(t)
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    addr: SocketAddr,
    pki: TestPki,
    identity: ConfigIdentity,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Makes the test PKI, binds `options.listen` and serves in background threads.
    pub fn start(options: SimulatorOptions) -> Result<Self, SimulatorError> {
        let pki = TestPki::generate(&PkiSubject {
            structure_id: options.identity.structure_id.clone(),
            structure_name: options.identity.structure_name.clone(),
        })?;
        let registry = match &options.persist_dir {
            Some(dir) => registry::Registry::load(dir)?,
            None => registry::Registry::default(),
        };
        let recorder = options
            .record_dir
            .as_deref()
            .map(record::Recorder::new)
            .transpose()?;
        let shared = Arc::new(Shared {
            registry: Mutex::new(registry),
            faults: Mutex::new(FaultPlan::default()),
            rules: options.rules.clone(),
            recorder,
            persist_dir: options.persist_dir.clone(),
            trusted_signers: vec![pki.sign.cert_der.clone()],
        });
        let (runtime, addr) = server::serve(options.listen, &pki, shared.clone())?;
        Ok(Self {
            addr,
            pki,
            identity: options.identity,
            shared,
            _runtime: runtime,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The services base URL, `https://127.0.0.1:PORT/si-dmp-server/v2/services`.
    pub fn endpoint(&self) -> String {
        format!("https://{}{SERVICES_PATH}", self.addr)
    }

    /// The test PKI.
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    /// Injects `fault` into every later request of `transaction` (`None` clears it).
    pub fn set_fault(&self, transaction: Transaction, fault: Option<Fault>) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .set(transaction, fault);
    }

    /// Sets the state of a patient's DMP (`authority` is the INS OID, e.g. the test
    /// INS-NIR `1.2.250.1.213.1.4.10`).
    pub fn set_patient_state(&self, ins: &str, authority: &str, state: DmpState) {
        self.shared.with_registry(|r| {
            r.set_state(&registry::PatientKey::new(ins, authority), state);
        });
    }

    /// Records that the patient blocked `professional` (national identifier, the VIHF
    /// `NameID`): TD0.2 answers an error and every other transaction is refused.
    pub fn block_professional(&self, ins: &str, authority: &str, professional: &str) {
        self.shared.with_registry(|r| {
            r.block(&registry::PatientKey::new(ins, authority), professional);
        });
    }

    /// The status of the latest version of the document `unique_id`, if the registry holds it.
    pub fn entry_status(&self, unique_id: &str) -> Option<EntryStatus> {
        self.shared
            .with_registry(|r| r.latest(unique_id).map(|e| e.status))
    }

    /// Writes `dmp.toml` and the PEM files of the test PKI into `dir`; returns the path of
    /// `dmp.toml`. The file is what [`crate::config::DmpConfig::load`] reads.
    pub fn write_config(&self, dir: &Path) -> Result<PathBuf, SimulatorError> {
        self.pki.write_pem(dir)?;
        let path = dir.join("dmp.toml");
        std::fs::write(&path, self.config_toml())?;
        Ok(path)
    }

    fn config_toml(&self) -> String {
        let id = &self.identity;
        let q = toml_string;
        format!(
            "# Written by `segur dmp simulate`: the simulator's endpoint and its test PKI.\n\
             endpoint = {endpoint}\n\
             mode = \"indirecte_renforcee\"\n\
             ins_oid = \"{ins_oid}\"\n\
             \n\
             [tls]\n\
             ca = \"{ca}\"\n\
             client_certificate = \"{client}\"\n\
             client_key = \"{client_key}\"\n\
             \n\
             [signing]\n\
             certificate = \"{sign}\"\n\
             key = \"{sign_key}\"\n\
             \n\
             [professional]\n\
             national_id = {pro}\n\
             family_name = {family}\n\
             given_name = {given}\n\
             profession = \"21\"\n\
             pharmacist_section = \"A\"\n\
             \n\
             [structure]\n\
             national_id = {structure}\n\
             name = {structure_name}\n\
             activity_sector = \"SA33\"\n\
             \n\
             [software]\n\
             name = \"segur\"\n\
             version = \"{version}\"\n\
             id = \"segur\"\n\
             homologation = \"TEST-SEGUR-SIMULATEUR\"\n",
            endpoint = q(&self.endpoint()),
            ins_oid = TEST_INS_OID,
            ca = pki::files::CA,
            client = pki::files::CLIENT,
            client_key = pki::files::CLIENT_KEY,
            sign = pki::files::SIGN,
            sign_key = pki::files::SIGN_KEY,
            pro = q(&id.professional_id),
            family = q(&id.family_name),
            given = q(&id.given_name),
            structure = q(&id.structure_id),
            structure_name = q(&id.structure_name),
            version = env!("CARGO_PKG_VERSION"),
        )
    }
}

/// A TOML basic string (TOML 1.0 §String: `"` and `\` escaped, controls as `\uXXXX`).
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
