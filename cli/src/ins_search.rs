//! `segur ins search`: one INSi traits search with the CNDA strategy, in one of the
//! authentication modes of `segur_ins::insi::InsiAuthentication`:
//! - `--auth mtls` (default): the IGC-Santé ORG certificate of `--cert`/`--key` alone;
//! - `--auth cps`: the "assertion PS" signed by the CPS card in the PC/SC reader (PIN asked on
//!   the terminal, or one line read from `--pin-fd N`), over the TLS identity of
//!   `--cert`/`--key`;
//! - `--auth psc`: the assertion qualified PSC, with the Pro Santé Connect access token of
//!   `--token-file`, else of the `SEGUR_PSC_TOKEN` environment variable, else of the desktop's
//!   PSC session (`segur psc login`; its settings from `--psc-config`, the `SEGUR_PSC_*`
//!   variables or the default file), asked from the proxy e-Santé for backend `--psc-backend`
//!   (default `insi`), which must release it to desktops (`token_to_desktop`, PROXY.md).
//!
//! Output: the `CodeCR` of each attempt and the outcome; the INS found is printed only with
//! `--reveal` (patient data). Exit status: 0 an identity found, 1 none found, 2 an error.

use crate::terminal::{say, say_err};
use segur_cps_card::cps::{CpsCard, CpsConfig, KeyRole};
use segur_cps_card::pcsc::{ReaderContext, Share};
use segur_cps_card::pin::Pin;
use segur_ins::insi::{
    CpxAuthentication, InsiAuthentication, InsiClient, InsiTls, ProfessionalIdentity,
    PscAuthentication, SoftwareIdentity,
};
use segur_ins::{Traits, TraitsData};
use segur_net::sign::{SignError, SignatureAlgorithm, Signer};
use segur_net::token::CallerToken;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use zeroize::Zeroizing;

/// The authentication mode of `--auth`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Mutual TLS with the ORG certificate alone (CN INSI-AUTO or INSI-MANU).
    Mtls,
    /// The CPS card's signed "assertion PS".
    Cps,
    /// The Pro Santé Connect assertion and access token.
    Psc,
}

/// Arguments of `segur ins search`.
#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// The INSi endpoint, `https://host[:port]/path`.
    #[arg(long)]
    endpoint: String,
    /// PEM file of the CAs trusted for the INSi server (the IGC-Santé chain).
    #[arg(long)]
    roots: PathBuf,
    /// PEM file of the TLS client certificate chain.
    #[arg(long)]
    cert: PathBuf,
    /// PEM file of the TLS client private key.
    #[arg(long)]
    key: PathBuf,
    /// CNDA authorisation number of the software (ContexteLPS IDAM).
    #[arg(long)]
    idam: String,
    /// Software name (ContexteLPS Nom, `urn:lps:<name>:<version>`).
    #[arg(long)]
    software_name: String,
    /// Software version.
    #[arg(long)]
    software_version: String,
    /// Installation instance UUID.
    #[arg(long)]
    instance: String,
    /// Emitter (structure or workstation identifier).
    #[arg(long)]
    emitter: String,
    /// Nom de naissance.
    #[arg(long)]
    birth_name: String,
    /// Prénom (repeat for each, in order).
    #[arg(long = "given", required = true)]
    given: Vec<String>,
    /// Sexe: M or F.
    #[arg(long)]
    sex: String,
    /// Date de naissance, YYYY-MM-DD.
    #[arg(long)]
    birth_date: String,
    /// Lieu de naissance (COG code), used when several identities match.
    #[arg(long)]
    birth_place: Option<String>,
    /// Authentication mode.
    #[arg(long, value_enum, default_value = "mtls")]
    auth: AuthMode,
    /// cps: the reader (name or a unique part; default: the first holding a card).
    #[arg(long)]
    reader: Option<String>,
    /// cps: read the PIN as one line from this file descriptor instead of the terminal.
    #[arg(long)]
    pin_fd: Option<u32>,
    /// psc: file holding the access token (else the SEGUR_PSC_TOKEN environment variable,
    /// else the desktop's PSC session of `segur psc login`).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// psc, from the PSC session: the proxy e-Santé backend whose token INSi takes.
    #[arg(long, default_value = "insi")]
    psc_backend: String,
    #[command(flatten)]
    psc_session: crate::psc_settings::SessionArgs,
    /// cps, psc: the professional's national identifier (assertion NameID).
    #[arg(long)]
    national_id: Option<String>,
    /// cps, psc: identifiantFacturation.
    #[arg(long)]
    billing_id: Option<String>,
    /// cps, psc: codeSpecialiteAMO.
    #[arg(long)]
    amo_specialty: Option<String>,
    /// cps, psc: secteurActivite.
    #[arg(long)]
    activity_sector: Option<String>,
    /// Print the INS found (matricule and OID): patient data.
    #[arg(long)]
    reveal: bool,
}

/// Runs `segur ins search`.
pub fn run(args: SearchArgs) -> ExitCode {
    match search(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            say_err!("segur ins search: {e}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &PathBuf, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))
}

fn professional(args: &SearchArgs) -> Result<ProfessionalIdentity, String> {
    let need = |v: &Option<String>, flag: &str| {
        v.clone()
            .ok_or_else(|| format!("--auth {:?} needs {flag}", args.auth).to_lowercase())
    };
    Ok(ProfessionalIdentity {
        national_id: need(&args.national_id, "--national-id")?,
        billing_id: need(&args.billing_id, "--billing-id")?,
        amo_specialty: need(&args.amo_specialty, "--amo-specialty")?,
        activity_sector: need(&args.activity_sector, "--activity-sector")?,
    })
}

fn authentication(args: &SearchArgs) -> Result<InsiAuthentication, String> {
    Ok(match args.auth {
        AuthMode::Mtls => InsiAuthentication::MutualTls,
        AuthMode::Cps => {
            let professional = professional(args)?;
            let pin = read_pin(args.pin_fd)?;
            let signer = CardSignerThread::open(args.reader.clone(), pin)?;
            InsiAuthentication::Cpx(CpxAuthentication::new(Box::new(signer), professional))
        }
        AuthMode::Psc => {
            let professional = professional(args)?;
            let tokens: Box<dyn segur_net::token::TokenProvider> =
                match (&args.token_file, std::env::var("SEGUR_PSC_TOKEN").ok()) {
                    (Some(f), _) => caller_token(Zeroizing::new(
                        String::from_utf8(read(f, "token file")?)
                            .map_err(|_| "the token file is not UTF-8".to_owned())?,
                    ))?,
                    (None, Some(t)) => caller_token(Zeroizing::new(t))?,
                    // The desktop's PSC session: each token asked from the proxy e-Santé.
                    (None, None) => {
                        let settings = args.psc_session.settings().map_err(|e| {
                            format!(
                                "--auth psc needs --token-file, SEGUR_PSC_TOKEN or the PSC \
                                 session of `segur psc login` (--psc-config): {e}"
                            )
                        })?;
                        Box::new(crate::psc::session_tokens(&settings, &args.psc_backend)?)
                    }
                };
            InsiAuthentication::Psc(PscAuthentication::new(professional, tokens))
        }
    })
}

/// A token given by the caller (file or variable), without its surrounding whitespace.
fn caller_token(
    text: Zeroizing<String>,
) -> Result<Box<dyn segur_net::token::TokenProvider>, String> {
    let token =
        CallerToken::new(text.trim().to_owned(), None).map_err(|e| format!("access token: {e}"))?;
    Ok(Box::new(token))
}

/// The PIN: one line from `fd`, or asked on the terminal without echo.
fn read_pin(fd: Option<u32>) -> Result<Zeroizing<String>, String> {
    let line = match fd {
        Some(fd) => {
            use std::io::BufRead;
            let file = std::fs::File::open(format!("/dev/fd/{fd}"))
                .map_err(|e| format!("--pin-fd {fd}: {e}"))?;
            let mut line = Zeroizing::new(String::new());
            // A PIN line is a few bytes: reading stops after 64.
            std::io::BufReader::new(std::io::Read::take(file, 64))
                .read_line(&mut line)
                .map_err(|e| format!("--pin-fd {fd}: {e}"))?;
            line
        }
        None => Zeroizing::new(
            rpassword::prompt_password("CPS PIN: ").map_err(|e| format!("terminal: {e}"))?,
        ),
    };
    let pin = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if pin.is_empty() {
        return Err("no PIN given".into());
    }
    Ok(pin)
}

type SignRequest = (
    SignatureAlgorithm,
    Vec<u8>,
    mpsc::Sender<Result<Vec<u8>, String>>,
);

/// The CPS card's signature key as an owned [`Signer`]: a thread opens the reader, the card and
/// a PC/SC transaction (their lifetimes nest), verifies the PIN, and signs what it is sent until
/// the signer is dropped.
struct CardSignerThread {
    certificate: Vec<u8>,
    algorithms: Vec<SignatureAlgorithm>,
    requests: mpsc::Sender<SignRequest>,
}

impl CardSignerThread {
    fn open(reader: Option<String>, pin: Zeroizing<String>) -> Result<Self, String> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (requests, requests_rx) = mpsc::channel::<SignRequest>();
        std::thread::spawn(move || {
            let opened = (|| -> Result<_, segur_cps_card::Error> {
                let ctx = ReaderContext::establish()?;
                let name = match &reader {
                    Some(w) => ctx.find(w)?,
                    None => ctx
                        .list()?
                        .into_iter()
                        .find(|r| r.card_present)
                        .map(|r| r.name)
                        .ok_or(segur_cps_card::Error::Transport(
                            segur_cps_card::TransportError::NoCard,
                        ))?,
                };
                Ok((ctx, name))
            })();
            let (ctx, name) = match opened {
                Ok(v) => v,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            let mut conn = match ctx.connect(&name, Share::Shared) {
                Ok(c) => c,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            let tx = match conn.transaction() {
                Ok(t) => t,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            let mut card = match CpsCard::open(tx, CpsConfig::default()).and_then(|mut c| {
                let pin = Pin::from_str_checked(&pin)?;
                c.verify_pin(&pin)?;
                Ok(c)
            }) {
                Ok(c) => c,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            drop(pin);
            let mut signer = match card.signer(KeyRole::Signature) {
                Ok(s) => s,
                Err(e) => return drop(ready_tx.send(Err(e.to_string()))),
            };
            let chain = signer.certificate_chain();
            let algorithms = Signer::algorithms(&signer).to_vec();
            if ready_tx.send(Ok((chain, algorithms))).is_err() {
                return;
            }
            while let Ok((alg, message, reply)) = requests_rx.recv() {
                let r = Signer::sign_message(&mut signer, alg, &message).map_err(|e| e.to_string());
                let _ = reply.send(r);
            }
        });
        let (chain, algorithms) = ready_rx
            .recv()
            .map_err(|_| "the card thread ended".to_owned())?
            .map_err(|e| format!("CPS card: {e}"))?;
        let certificate = chain
            .into_iter()
            .next()
            .ok_or("the card has no signature certificate")?;
        Ok(Self {
            certificate,
            algorithms,
            requests,
        })
    }
}

impl Signer for CardSignerThread {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        vec![self.certificate.clone()]
    }
    fn algorithms(&self) -> &[SignatureAlgorithm] {
        &self.algorithms
    }
    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send((alg, message.to_vec(), reply))
            .map_err(|_| SignError::Key("the card thread ended".into()))?;
        answer
            .recv()
            .map_err(|_| SignError::Key("the card thread ended".into()))?
            .map_err(SignError::Key)
    }
    fn sign_digest(&mut self, _: SignatureAlgorithm, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::DigestNotSupported)
    }
}

fn search(args: &SearchArgs) -> Result<bool, String> {
    let traits = Traits::from_data(&TraitsData {
        birth_name: args.birth_name.clone(),
        given_names: args.given.clone(),
        sex: args.sex.clone(),
        birth_date: args.birth_date.clone(),
        birth_place: args.birth_place.clone(),
        ..TraitsData::default()
    })
    .map_err(|e| format!("traits: {e}"))?;
    let tls = InsiTls::from_pem(
        &read(&args.roots, "--roots")?,
        &read(&args.cert, "--cert")?,
        &read(&args.key, "--key")?,
    )
    .map_err(|e| e.to_string())?;
    let software = SoftwareIdentity {
        idam: args.idam.clone(),
        version: args.software_version.clone(),
        name: args.software_name.clone(),
        instance: args.instance.clone(),
        emitter: args.emitter.clone(),
    };
    let auth = authentication(args)?;
    let client = InsiClient::new(&args.endpoint, tls, software)
        .map_err(|e| e.to_string())?
        .with_authentication(auth);
    let outcome = client
        .search_with_strategy(&traits)
        .map_err(|e| e.to_string())?;
    for (i, a) in outcome.attempts.iter().enumerate() {
        say!(
            "attempt {}: CodeCR {} {}",
            i + 1,
            a.response.code,
            a.response.label
        );
    }
    let found = outcome.found();
    say!("auth: {}", client.authentication().name());
    say!("found: {}", if found { "yes" } else { "no" });
    if found
        && args.reveal
        && let Some(individual) = outcome.last().and_then(|r| r.individual.as_ref())
    {
        match &individual.history {
            Ok(h) => say!(
                "INS: {} {}",
                h.active.matricule().expose(),
                h.active.authority().oid()
            ),
            Err(e) => say!("INS: invalid ({e})"),
        }
    }
    Ok(found)
}
