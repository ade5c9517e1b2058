//! `segur demo`: the pharmacy-counter flow on embedded defaults (no server, no card needed).
//!
//! The patient is the public INSi qualification test identity ECETINSI PIERRE-ALAIN (CNDA case
//! 2.04); the INSi answer is replayed from an embedded response of the same shape. The DMP is
//! the built-in simulator (`segur_dmp::simulator`), started on 127.0.0.1 for the demo only.

use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::simulator::{Simulator, SimulatorOptions};
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::FindDocuments;
use segur_dmp_cda::build::{DocumentInput, examples};
use segur_dmp_cda::read::ReadLimits;
use segur_dmp_cda::{PackOptions, XdmLimits, XdmPackage, XdmSender, pack_cda, validate};
use segur_eprescription::decode::{self, DecodeOptions, Symbology};
use segur_eprescription::ins_datamatrix::InsDatamatrix;
use segur_eprescription::render;
use segur_eprescription::scanner::{self, ScannerConfig};
use segur_ins::coherence;
use segur_ins::insi::parse_response;
use segur_ins::status::ProvisionalAttributes;
use segur_ins::{HighTrustDocument, Identity, Matricule, Traits, TraitsData};
use segur_mssante::{MailAddress, MessageBuilder, PatientAddress, ProductReference, Subject};
use std::process::ExitCode;

/// Options of `segur demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Print what the SDK's redacting types print (`Debug`/`Display`) instead of the values of
    /// the fictitious test patient.
    #[arg(long)]
    pub redacted: bool,
}

/// The demo pharmacy's MSSanté address: the message's From and README.TXT's contact.
const DEMO_SENDER: &str = "pharmacie.centre@pharmacie.mssante.fr";
const INSI_RESPONSE: &[u8] = include_bytes!("demo/insi-response.xml");

/// Runs the demo flow and prints each step.
pub fn run(args: &Args) -> ExitCode {
    match flow(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn step(n: u32, title: &str) {
    println!("\n[{n}] {title}");
}

/// TD2.1 feed, TD3.1 search and TD3.2 retrieve of `cda` against the built-in DMP simulator,
/// through the same `dmp.toml` and `DmpClient` a pharmacy's configuration would give.
fn dmp_round_trip(cda: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let simulator = Simulator::start(SimulatorOptions::default())?;
    let dir = tempfile::tempdir()?;
    let config = DmpConfig::load(&simulator.write_config(dir.path())?)?;
    let client = DmpClient::from_config(&config)?;
    println!("    simulator      {}", simulator.endpoint());

    let document = FeedDocument::from_cda(cda.to_vec(), &Default::default())?;
    let patient = document.patient();
    let outcome = match client.feed(&document, None)? {
        FeedOutcome::Fed => "Success",
        FeedOutcome::AlreadyPresent => "already present",
    };
    println!(
        "    TD2.1 feed     {outcome}, uniqueId {}",
        document.unique_id()
    );

    let entries = client.find(patient, &FindDocuments::default())?;
    let entry = entries
        .iter()
        .find(|e| e.unique_id == document.unique_id())
        .ok_or("the fed note is not in the DMP's answer")?;
    println!(
        "    TD3.1 find     {} {}, {} bytes, SHA-1 {}",
        entry.type_code.as_deref().unwrap_or("-"),
        entry.status,
        entry.size.unwrap_or(0),
        entry.hash.as_deref().unwrap_or("-")
    );

    let retrieved = client.retrieve(patient, document.unique_id())?;
    let identical = retrieved.bytes == cda;
    println!(
        "    TD3.2 get      {} bytes, identical to the note fed: {identical}",
        retrieved.bytes.len()
    );
    if !identical {
        return Err("the document read back from the DMP differs from the note fed".into());
    }
    Ok(())
}

fn flow(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "segur {} — pharmacy-counter demo",
        env!("CARGO_PKG_VERSION")
    );
    let show = |clear: &str, redacted: &str| {
        if args.redacted {
            redacted.to_owned()
        } else {
            clear.to_owned()
        }
    };

    step(
        1,
        "The Vitale card gives a 13-character NIR: the key is computed (2A→19, 2B→18 rule)",
    );
    let nir = Matricule::parse("1 09 07 63 220 834")?;
    println!(
        "    matricule      {}",
        show(&nir.grouped().to_string(), &format!("{nir}"))
    );
    println!("    key            {:02}", nir.key());
    let d = nir.decode();
    println!(
        "    decoded        sex {:?}, year ..{:02}, month {:?}",
        d.sex, d.year, d.month
    );

    step(
        2,
        "The pharmacist types the traits; they are normalised to the INSi profile",
    );
    let typed = TraitsData {
        birth_name: "Ecétinsi".into(),
        given_names: vec!["Pierre–Alain".into(), "Muriel".into(), "Floriant".into()],
        sex: "M".into(),
        birth_date: "2009-07-14".into(),
        birth_place: Some("63220".into()),
        ..TraitsData::default()
    };
    let local = Traits::from_data(&typed)?;
    println!(
        "    birth name     {}",
        show(
            &format!(
                "{:?} → {:?}",
                local.birth_name().expose_entered(),
                local.birth_name().expose()
            ),
            "<redacted>"
        )
    );
    println!(
        "    given names    {}",
        show(
            local.given_names().expose(),
            &format!("{:?}", local.given_names())
        )
    );
    let mut identity = Identity::provisional(local, ProvisionalAttributes::None);
    println!(
        "    status         {:?} ({})",
        identity.status(),
        identity.status().code()
    );

    step(
        3,
        "INSi answers (replayed): the INS and its history are checked, never trusted",
    );
    let response = parse_response(INSI_RESPONSE)?;
    println!("    CodeCR         {} {}", response.code, response.label);
    let individual = response
        .individual
        .ok_or("no individual in the INSi response")?;
    let history = individual.history?;
    let insi_traits = individual.traits?;
    println!(
        "    active INS     {}",
        show(
            history.active.matricule().expose(),
            &history.active.to_string()
        )
    );
    println!(
        "    history        {} entries, {} with reversed dates (reported, kept unchanged)",
        history.historical.len(),
        history.anomalies().count()
    );
    let reason = identity.record_insi_retrieval(history.active, insi_traits)?;
    println!("    status         {:?} ({:?})", identity.status(), reason);
    println!("    may transmit   {}", identity.can_transmit_matricule());

    step(
        4,
        "The identity card is checked: the identity becomes qualified",
    );
    let reason = identity.record_document_check(HighTrustDocument::NationalIdCard)?;
    println!("    status         {:?} ({:?})", identity.status(), reason);
    let qualified = identity.qualified().ok_or("identity not qualified")?;
    println!("    may transmit   {}", identity.can_transmit_matricule());
    println!(
        "    XDS patientId  {}",
        show(
            &qualified.ins().to_xds_cx(),
            "<redacted>^^^&1.2.250.1.213.1.4.8&ISO^NH"
        )
    );

    step(5, "Consistency of the card's NIR with the qualified traits");
    let warnings = coherence::check(&nir, qualified.traits());
    println!("    warnings       {warnings:?}");

    step(
        6,
        "The vaccination is recorded: a VAC-NOTE 2023.01 built and checked before sending",
    );
    let mut input = examples::example_json("vaccination-note").ok_or("no VAC-NOTE example")?;
    input["header"]["patient"]["identity"] = serde_json::to_value(&identity)?;
    let document: DocumentInput = serde_json::from_value(input)?;
    let cda = document.build()?;
    let findings = validate::validate(cda.as_bytes())?;
    println!(
        "    CDA            {} bytes, {} validation finding(s)",
        cda.len(),
        findings.len()
    );
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default())?;
    println!(
        "    read back      type {} ({}), patient INS checked: {}",
        header.type_code.code,
        header.title.as_deref().unwrap_or("?"),
        matches!(header.patient.ins(), Some(Ok(_)))
    );

    step(
        7,
        "The note is fed to the DMP (the built-in simulator, on this machine), found and read back",
    );
    dmp_round_trip(cda.as_bytes())?;

    step(
        8,
        "The note is packed in an IHE_XDM.ZIP, in memory, with its XDS metadata",
    );
    // README.TXT names the sender's organisation and contact (IHE ITI TF-1 §16): the demo
    // pharmacy, reachable at the MSSanté address step 9 sends from.
    let pack_options = PackOptions {
        source_id: "1.2.250.1.999.1".to_owned(),
        sender: XdmSender {
            name: "Pharmacie du Centre".to_owned(),
            organization: "Pharmacie du Centre (FINESS 750000001)".to_owned(),
            contact: DEMO_SENDER.to_owned(),
            application: "segur demo".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ..XdmSender::default()
        },
        ..PackOptions::default()
    };
    let (xdm, submission) = pack_cda(cda.as_bytes(), None, &pack_options)?;
    let package = XdmPackage::unpack(&xdm, &XdmLimits::default())?;
    println!(
        "    IHE_XDM.ZIP    {} bytes, {} document(s)",
        xdm.len(),
        package.cda_documents().count()
    );
    println!(
        "    patientId      {}",
        show(
            submission
                .submission_set
                .patient_id
                .as_ref()
                .map_or("", |p| p.expose()),
            "<redacted>^^^&1.2.250.1.213.1.4.8&ISO^NH"
        )
    );

    step(
        9,
        "An MSSanté message to the patient's Mon espace santé mailbox (composed, not sent)",
    );
    let from = MailAddress::parse(DEMO_SENDER)?;
    let message = MessageBuilder::new(from, ProductReference::new("SEGUR-DEMO")?)
        .to(PatientAddress::of(&qualified))
        .subject(Subject::xdm("Note de vaccination")?)
        .text("Bonjour, voici votre note de vaccination.")
        .xdm(xdm)
        .request_read_receipt()
        .build()?;
    let h = message.mss_headers();
    println!("    message        {} bytes", message.bytes().len());
    println!("    X-MSS-NIL      {}", h.nil);
    println!(
        "    X-MSS-CODECDA  {} (from the CDA inside the XDM)",
        h.codecda.join(",")
    );
    println!(
        "    X-MSS-INS      {}",
        h.ins.map_or("absent", segur_mssante::view::x_mss_ins_flag)
    );

    step(
        10,
        "The INS Data Matrix is printed on the note, then scanned back from the image",
    );
    let matrix = crate::twoddoc::ins_datamatrix_of(&qualified)?;
    let payload = matrix.to_payload();
    let image = render::render(Symbology::DataMatrix, &payload, 4, 2)?;
    let (w, h) = image.dimensions();
    let codes = decode::decode_luma(image.as_raw(), w, h, &DecodeOptions::default())?;
    let code = codes
        .first()
        .ok_or("the Data Matrix was not found in the image")?;
    let scanned = InsDatamatrix::parse(&code.payload)?;
    println!(
        "    symbol         {:?}, {w}x{h} px, {} payload bytes",
        code.symbology,
        code.payload.len()
    );
    println!(
        "    scanned back   same INS data: {}",
        scanned.to_payload() == payload
    );

    step(
        11,
        "A scanner and a workstation with different keyboard layouts garble a 2D-Doc header: repaired",
    );
    let typed = "DC)$FR)))))!";
    let repaired = scanner::normalise(typed, &ScannerConfig::default())?;
    println!("    typed          {typed}");
    // Named from what the repair detected, so the demo cannot say the wrong case.
    let case = match repaired.layout_repaired() {
        scanner::LayoutRepair::AzertyScannerOnQwertyHost => {
            "an AZERTY scanner on a QWERTY workstation"
        }
        scanner::LayoutRepair::QwertyScannerOnAzertyHost => {
            "a QWERTY scanner on an AZERTY workstation"
        }
        _ => "no layout mismatch",
    };
    println!("    detected       {case}");
    println!("    repaired       {}", repaired.expose());
    Ok(())
}
