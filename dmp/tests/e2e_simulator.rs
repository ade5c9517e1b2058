//! The SDK's DMP client against the DMP simulator, end to end: the simulator started in
//! process on 127.0.0.1:0, its `dmp.toml` written and loaded with `DmpConfig::load`, a
//! `DmpClient` made from it, and a VAC-NOTE built by `segur_dmp_cda`'s builder for the
//! qualified test identity of the examples (INS-NIR de test, OID `.10`; an unknown patient has
//! an active DMP under the simulator's default `Rules`).
//!
//! The two sides were written independently: every step below is a place where they must
//! agree on `shared/specs/dmp.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use segur_dmp::DmpError;
use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::patient::DmpPatient;
use segur_dmp::simulator::{
    BearerCheck, BearerRule, EntryStatus, Fault, Rules, Simulator, SimulatorOptions, Transaction,
};
use segur_dmp::td02::DmpState;
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::{FindDocuments, StatusFilter};
use segur_dmp::td33::{ConfidentialityChange, StatusChange};
use segur_dmp_cda::build::{DocumentInput, PreviousVersion, examples};
use segur_dmp_cda::read::ReadLimits;
use segur_net::http::{HttpError, HttpLimits};
use segur_net::token::{AccessToken, TokenError, TokenProvider};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// A VAC-NOTE built from the builder's example input (qualified test identity).
fn vac_note_input() -> DocumentInput {
    let input = examples::example_json("vaccination-note").expect("VAC-NOTE example");
    serde_json::from_value(input).unwrap()
}

fn feed_document(cda: &str) -> FeedDocument {
    FeedDocument::from_cda(cda.as_bytes().to_vec(), &Default::default()).unwrap()
}

struct Env {
    sim: Simulator,
    dir: tempfile::TempDir,
    record: tempfile::TempDir,
    config: DmpConfig,
}

fn start() -> Env {
    let record = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorOptions {
        record_dir: Some(record.path().to_owned()),
        ..SimulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = sim.write_config(dir.path()).unwrap();
    let config = DmpConfig::load(&path).unwrap();
    assert_eq!(config.endpoint, sim.endpoint());
    Env {
        sim,
        dir,
        record,
        config,
    }
}

impl Env {
    /// The SOAP action of every request the simulator received, in order (`--record`).
    fn actions(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.record.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
                let start = text.find("action=\"").expect("action in Content-Type") + 8;
                let rest = &text[start..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect()
    }
}

const FEED: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
const SEARCH: &str = "urn:ihe:iti:2007:RegistryStoredQuery";

fn find(
    client: &DmpClient,
    patient: &DmpPatient,
    status: StatusFilter,
) -> Vec<segur_dmp::view::DocumentView> {
    client
        .find(
            patient,
            &FindDocuments {
                status,
                ..FindDocuments::default()
            },
        )
        .unwrap()
}

#[test]
fn vac_note_goes_through_every_transaction() {
    let env = start();
    let client = DmpClient::from_config(&env.config).unwrap();

    let cda = vac_note_input().build().unwrap();
    let doc = feed_document(&cda);
    let patient = *doc.patient();

    // TD0.2: the DMP exists and the professional is authorised (implicit authorisation).
    let status = client.existence_test(&patient).unwrap();
    assert_eq!(status.state, DmpState::Active, "{status:?}");

    // TD2.1
    assert_eq!(client.feed(&doc, None).unwrap(), FeedOutcome::Fed);
    assert_eq!(
        env.sim.entry_status(doc.unique_id()),
        Some(EntryStatus::Approved)
    );

    // TD3.1: the entry, with the document's hash and size.
    let found = find(&client, &patient, StatusFilter::Approved);
    assert_eq!(found.len(), 1, "{found:?}");
    let entry = &found[0];
    assert_eq!(entry.unique_id, doc.unique_id());
    assert_eq!(entry.status, "approved");
    assert_eq!(entry.type_code.as_deref(), Some("87273-9"));
    assert_eq!(
        entry.hash.as_deref(),
        Some(segur_dmp_cda::xds::sha1_hex(cda.as_bytes()).as_str())
    );
    assert_eq!(entry.size, Some(cda.len() as u64));
    assert!(entry.creation_time.is_some());

    // TD3.2: the same bytes.
    let got = client.retrieve(&patient, doc.unique_id()).unwrap();
    assert_eq!(got.bytes, cda.as_bytes());

    // TD2.1 replacement: same setId, version + 1, RPLC; the old one becomes Deprecated.
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default()).unwrap();
    let mut input = vac_note_input();
    input
        .header_mut()
        .replace(PreviousVersion::of(&header).unwrap());
    let cda2 = input.build().unwrap();
    let doc2 = feed_document(&cda2);
    assert_ne!(doc2.unique_id(), doc.unique_id());
    assert_eq!(
        client.feed(&doc2, Some(doc.unique_id())).unwrap(),
        FeedOutcome::Fed
    );
    let approved = find(&client, &patient, StatusFilter::Approved);
    assert_eq!(
        approved
            .iter()
            .map(|e| e.unique_id.as_str())
            .collect::<Vec<_>>(),
        [doc2.unique_id()]
    );
    let all = find(&client, &patient, StatusFilter::All);
    assert_eq!(all.len(), 2, "{all:?}");
    let old = all.iter().find(|e| e.unique_id == doc.unique_id()).unwrap();
    assert_eq!(old.status, "deprecated");
    assert_eq!(
        env.sim.entry_status(doc.unique_id()),
        Some(EntryStatus::Deprecated)
    );
    let current = doc2.unique_id();

    // TD3.3 mask: a second professional of the same structure no longer sees it. The simulator
    // issues one ORG_AUTH_CLI / ORG_SIGN pair per structure, so the second professional is
    // another VIHF NameID under the same certificates (mode indirecte renforcée).
    let mut other_config = env.config.clone();
    other_config.professional.national_id = "810100000002".to_owned();
    other_config.professional.family_name = "PHARMACIENNE".to_owned();
    let other = DmpClient::from_config(&other_config).unwrap();
    assert_eq!(find(&other, &patient, StatusFilter::Approved).len(), 1);

    client
        .update_confidentiality(&patient, current, ConfidentialityChange::Mask)
        .unwrap();
    let own = find(&client, &patient, StatusFilter::Approved);
    assert_eq!(own.len(), 1);
    assert!(
        own[0].confidentiality.iter().any(|c| c == "MASQUE_PS"),
        "{own:?}"
    );
    assert!(find(&other, &patient, StatusFilter::Approved).is_empty());
    assert!(
        other
            .find_by_unique_id(&patient, current)
            .unwrap()
            .is_none()
    );

    client
        .update_confidentiality(&patient, current, ConfidentialityChange::Unmask)
        .unwrap();
    let seen = find(&other, &patient, StatusFilter::Approved);
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].confidentiality.iter().any(|c| c == "MASQUE_PS"));

    // TD3.3 archive, then delete.
    client
        .update_status(&patient, current, StatusChange::Archive)
        .unwrap();
    assert_eq!(env.sim.entry_status(current), Some(EntryStatus::Archived));
    assert!(find(&client, &patient, StatusFilter::Approved).is_empty());
    // Each metadata update (mask, unmask) made a new version and deprecated the one before
    // (ITI-57, `shared/specs/dmp.md` §8.2): the versions of `current` other than the latest
    // are Deprecated, the latest is Archived.
    let versions = |client: &DmpClient| {
        let mut v: Vec<String> = find(client, &patient, StatusFilter::All)
            .into_iter()
            .filter(|e| e.unique_id == current)
            .map(|e| e.status)
            .collect();
        v.sort();
        v
    };
    assert_eq!(versions(&client), ["archived", "deprecated", "deprecated"]);
    client
        .update_status(&patient, current, StatusChange::Delete)
        .unwrap();
    assert_eq!(env.sim.entry_status(current), Some(EntryStatus::Deleted));
    // A deleted document leaves FindDocuments; there is no physical deletion (§8.1):
    // GetDocuments by uniqueId (no status filter in ITI-18) still names it, Deleted.
    assert_eq!(versions(&client), ["deprecated", "deprecated"]);
    let deleted = client
        .find_by_unique_id(&patient, current)
        .unwrap()
        .unwrap();
    assert_eq!(deleted.status, "deleted");
}

#[test]
fn a_client_certificate_from_another_ca_is_refused_at_tls() {
    let env = start();
    // Another simulator's test PKI: the same kind of certificates, from a CA this simulator
    // does not trust.
    let foreign = start();
    let mut config = env.config.clone();
    config.tls.client_certificate = foreign.dir.path().join("client.pem");
    config.tls.client_key = foreign.dir.path().join("client-key.pem");
    let client = DmpClient::from_config(&config).unwrap();
    let patient = *feed_document(&vac_note_input().build().unwrap()).patient();
    match client.existence_test(&patient) {
        Err(DmpError::Http(HttpError::Tls(_) | HttpError::Io(_))) => {}
        other => panic!("expected a TLS refusal, got {other:?}"),
    }
}

fn client_with_timeout(config: &DmpConfig, timeout: Duration) -> DmpClient {
    DmpClient::from_config_with_limits(
        config,
        HttpLimits {
            exchange_timeout: timeout,
            ..HttpLimits::default()
        },
    )
    .unwrap()
}

#[test]
fn a_feed_that_times_out_is_searched_before_it_is_sent_again() {
    let env = start();
    let client = client_with_timeout(&env.config, Duration::from_secs(3));
    let doc = feed_document(&vac_note_input().build().unwrap());
    let patient = *doc.patient();

    // The time-out holds while the fault is in force: the search that follows finds nothing,
    // the second attempt times out as well, and the feed is reported as failed.
    env.sim.set_fault(Transaction::Td21, Some(Fault::Timeout));
    let t = Instant::now();
    match client.feed(&doc, None) {
        Err(DmpError::Http(HttpError::Timeout)) => {}
        other => panic!("expected a time-out, got {other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(20));
    assert!(find(&client, &patient, StatusFilter::All).is_empty());

    // The DMP comes back while the first attempt is held: the search finds nothing and the
    // second attempt is fed, once.
    let sim = &env.sim;
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            sim.set_fault(Transaction::Td21, None);
        });
        assert_eq!(client.feed(&doc, None).unwrap(), FeedOutcome::Fed);
    });
    assert_eq!(find(&client, &patient, StatusFilter::All).len(), 1);
    // Each time-out was followed by a search of the uniqueId before the feed was sent again.
    assert_eq!(
        env.actions(),
        [FEED, SEARCH, FEED, SEARCH, FEED, SEARCH, FEED, SEARCH]
    );

    // The user retries the same note: the DMP refuses the duplicate uniqueId, nothing added.
    let again = client.feed(&doc, None);
    assert!(again.is_err(), "{again:?}");
    assert_eq!(find(&client, &patient, StatusFilter::All).len(), 1);
}

#[test]
fn a_feed_whose_answer_is_lost_is_found_and_not_sent_again() {
    let env = start();
    let client = client_with_timeout(&env.config, Duration::from_secs(10));
    let doc = feed_document(&vac_note_input().build().unwrap());
    let patient = *doc.patient();
    // The simulator registers the document, then cuts its answer in the middle.
    env.sim
        .set_fault(Transaction::Td21, Some(Fault::TruncatedBody));
    assert_eq!(
        client.feed(&doc, None).unwrap(),
        FeedOutcome::AlreadyPresent
    );
    // One feed, then the search that found it: not sent again.
    assert_eq!(env.actions(), [FEED, SEARCH]);
    let all = find(&client, &patient, StatusFilter::All);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].unique_id, doc.unique_id());
}

#[test]
fn the_dmps_refusals_reach_the_caller_typed_and_nothing_is_registered() {
    let env = start();
    let client = client_with_timeout(&env.config, Duration::from_secs(10));
    let doc = feed_document(&vac_note_input().build().unwrap());
    let patient = *doc.patient();

    // TD0.2 reads the injected states.
    env.sim.set_fault(Transaction::Td02, Some(Fault::DmpClosed));
    assert_eq!(
        client.existence_test(&patient).unwrap().state,
        DmpState::Closed
    );
    env.sim
        .set_fault(Transaction::Td02, Some(Fault::NoAuthorisation));
    let test = client.existence_test(&patient).unwrap();
    assert_eq!(test.state, DmpState::Active);
    assert_ne!(test.authorization.as_deref(), Some("VALIDE"), "{test:?}");
    env.sim.set_fault(Transaction::Td02, None);

    // A feed refused by the DMP (closed, not authorised, SOAP fault) is a refusal; an HTTP
    // 500 without SOAP is another error. None of them is fed, none is retried.
    for fault in [
        Fault::DmpClosed,
        Fault::NoAuthorisation,
        Fault::SoapFault,
        Fault::Http500,
    ] {
        env.sim.set_fault(Transaction::Td21, Some(fault));
        let err = client.feed(&doc, None).unwrap_err();
        assert_eq!(
            err.is_refusal(),
            fault != Fault::Http500,
            "{fault:?}: {err:?}"
        );
        assert_eq!(env.sim.entry_status(doc.unique_id()), None, "{fault:?}");
    }
    env.sim.set_fault(Transaction::Td21, None);
    assert!(!env.actions().iter().any(|a| a == SEARCH));
    assert_eq!(client.feed(&doc, None).unwrap(), FeedOutcome::Fed);
}

/// A Pro Santé Connect stand-in: a new token at each call (`psc-1`, `psc-2`, ...), or an
/// expired one when asked to.
#[derive(Default)]
struct Issuer {
    issued: Mutex<Vec<String>>,
    expired: std::sync::atomic::AtomicBool,
}

impl TokenProvider for Issuer {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        let mut issued = self.issued.lock().unwrap();
        let token = format!("psc-{}", issued.len() + 1);
        issued.push(token.clone());
        let expiry = if self.expired.load(Ordering::SeqCst) {
            SystemTime::now() - Duration::from_secs(1)
        } else {
            SystemTime::now() + Duration::from_secs(120)
        };
        AccessToken::new(token, expiry)
    }
}

/// The simulator's side: accepts the tokens the issuer gave, counts what it saw.
struct Issued(Arc<Issuer>, AtomicUsize);

impl BearerCheck for Issued {
    fn accepts(&self, token: &str) -> bool {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.issued.lock().unwrap().iter().any(|t| t == token)
    }
}

#[test]
fn psc_tokens_are_asked_for_each_request_and_checked_by_the_dmp() {
    let issuer = Arc::new(Issuer::default());
    let check = Arc::new(Issued(issuer.clone(), AtomicUsize::new(0)));
    let sim = Simulator::start(SimulatorOptions {
        rules: Rules {
            bearer: BearerRule::Required(check.clone()),
            ..Rules::default()
        },
        ..SimulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = DmpConfig::load(&sim.write_config(dir.path()).unwrap()).unwrap();
    let doc = feed_document(&vac_note_input().build().unwrap());
    let patient = *doc.patient();

    // Without a token: HTTP 401 (RFC 6750 §3.1), before the SOAP message is read.
    let plain = DmpClient::from_config(&config).unwrap();
    match plain.existence_test(&patient).unwrap_err() {
        DmpError::Http(HttpError::Status { code: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(check.1.load(Ordering::SeqCst), 0);

    // With the provider: one fresh token per request, each one checked.
    let client = DmpClient::from_config(&config)
        .unwrap()
        .with_bearer_tokens(issuer.clone());
    assert_eq!(
        client.existence_test(&patient).unwrap().state,
        DmpState::Active
    );
    assert_eq!(client.feed(&doc, None).unwrap(), FeedOutcome::Fed);
    assert_eq!(find(&client, &patient, StatusFilter::Approved).len(), 1);
    assert_eq!(*issuer.issued.lock().unwrap(), ["psc-1", "psc-2", "psc-3"]);
    assert_eq!(check.1.load(Ordering::SeqCst), 3);

    // A token the DMP does not know is refused.
    let forged = DmpClient::from_config(&config)
        .unwrap()
        .with_bearer_tokens(Arc::new(
            segur_net::token::CallerToken::new("forged".into(), None).unwrap(),
        ));
    match forged.existence_test(&patient).unwrap_err() {
        DmpError::Http(HttpError::Status { code: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(check.1.load(Ordering::SeqCst), 4);

    // The VIHF's AuthnContextClassRef of the PSC mode, from dmp.toml (TO VERIFY: the DMP's
    // accepted values are not published), accepted by the simulator.
    let text = std::fs::read_to_string(dir.path().join("dmp.toml")).unwrap();
    let text = text.replacen(
        "\n[tls]",
        &format!(
            "authn_context = \"{}\"\n\n[tls]",
            segur_dmp::vihf::AUTHN_PSC_MOBILE_TWO_FACTOR
        ),
        1,
    );
    let mut psc_config = DmpConfig::from_toml(&text).unwrap();
    psc_config.tls = config.tls.clone();
    psc_config.signing = config.signing.clone();
    let psc_client = DmpClient::from_config(&psc_config)
        .unwrap()
        .with_bearer_tokens(issuer.clone());
    assert!(
        psc_client
            .assertion(&patient)
            .unwrap()
            .contains("<saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered<")
    );
    assert!(
        !client
            .assertion(&patient)
            .unwrap()
            .contains("MobileTwoFactor")
    );
    assert_eq!(
        psc_client.existence_test(&patient).unwrap().state,
        DmpState::Active
    );
    assert_eq!(check.1.load(Ordering::SeqCst), 5);

    // An expired token fails before anything is sent.
    issuer.expired.store(true, Ordering::SeqCst);
    match client.existence_test(&patient).unwrap_err() {
        DmpError::Token(TokenError::Expired) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(check.1.load(Ordering::SeqCst), 5);
}
