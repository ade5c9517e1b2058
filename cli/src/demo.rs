//! `segur demo`: the pharmacy-counter flow on embedded defaults (no server, no card needed).
//!
//! The patient is the public INSi qualification test identity ECETINSI PIERRE-ALAIN (CNDA case
//! 2.04); the INSi answer is replayed from an embedded response of the same shape. The DMP is
//! the built-in simulator (`segur_dmp::simulator`), started on 127.0.0.1 for the demo only.
//! The CPS and Vitale cards are simulated in memory ([`cards`]) behind the SDK's in-memory
//! transport. Every artefact a step talks about is written to the output folder ([`out`]),
//! with an `INDEX.md` naming the command that reads each one back.

mod cards;
mod out;
mod pdf;

use crate::terminal::{say, say_err};
use segur_cps_card::cps::{CpsCard, CpsConfig, KeyRole};
use segur_cps_card::pin::Pin;
use segur_cps_card::view::{CardDetails, CardInfoView, CpsInfoView, Part};
use segur_cps_card::vitale::VitaleCard;
use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::simulator::{Simulator, SimulatorOptions};
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::FindDocuments;
use segur_dmp_cda::build::{DocumentInput, Pdf, examples};
use segur_dmp_cda::read::{CdaBody, ReadLimits};
use segur_dmp_cda::{PackOptions, XdmLimits, XdmPackage, pack_cda, validate};
use segur_eprescription::decode::{self, DecodeOptions, Symbology};
use segur_eprescription::ins_datamatrix::InsDatamatrix;
use segur_eprescription::render;
use segur_eprescription::scanner::{self, ScannerConfig};
use segur_ins::coherence;
use segur_ins::insi::parse_response;
use segur_ins::status::ProvisionalAttributes;
use segur_ins::{HighTrustDocument, Identity, Matricule, Traits, TraitsData};
use segur_mssante::{MailAddress, MessageBuilder, PatientAddress, ProductReference, Subject};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `segur demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Print what the SDK's redacting types print (`Debug`/`Display`) instead of the values of
    /// the fictitious test patient.
    #[arg(long)]
    pub redacted: bool,
    /// Folder for the artefacts (documents, archive, message, images, card and DMP read-outs)
    /// and their INDEX.md; created when missing.
    #[arg(long, default_value = "segur-demo")]
    pub out: PathBuf,
    /// Write into a non-empty folder that is not a previous demo output (the demo's file names
    /// are overwritten there, other files are left as they are).
    #[arg(long)]
    pub force: bool,
}

const INSI_RESPONSE: &[u8] = include_bytes!("demo/insi-response.xml");

/// Runs the demo flow, prints each step and writes its artefacts. Exit status: 0 done, 1 a
/// step failed, 2 the output folder was refused (nothing written).
pub fn run(args: &Args) -> ExitCode {
    let mut out = match out::OutDir::prepare(&args.out, args.force) {
        Ok(o) => o,
        Err(e) => {
            say_err!("segur demo: {e}");
            return ExitCode::from(2);
        }
    };
    let done = flow(args, &mut out).and_then(|()| Ok(out.finish()?));
    match done {
        Ok(index) => {
            println!();
            say!(
                "Artefacts written to {}; {} lists each file and the command that reads it back.",
                args.out.display(),
                index.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            say_err!("demo failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// Numbers and prints the steps.
#[derive(Default)]
struct Steps(u32);

impl Steps {
    fn next(&mut self, title: &str) {
        self.0 += 1;
        println!("\n[{}] {title}", self.0);
    }
}

/// What the DMP simulator gave back after the feed.
struct DmpExchange {
    /// The TD3.1 answer, as `segur dmp find --json` prints it.
    found: Vec<segur_dmp::view::DocumentView>,
    /// The document read back with TD3.2.
    retrieved: Vec<u8>,
}

/// TD2.1 feed of `cda` and of the `others` documents of the same patient, TD3.1 search and
/// TD3.2 retrieve of `cda` against the built-in DMP simulator, through the same `dmp.toml` and
/// `DmpClient` a pharmacy's configuration would give.
fn dmp_round_trip(cda: &[u8], others: &[&[u8]]) -> Result<DmpExchange, Box<dyn std::error::Error>> {
    let simulator = Simulator::start(SimulatorOptions::default())?;
    let dir = tempfile::tempdir()?;
    let config = DmpConfig::load(&simulator.write_config(dir.path())?)?;
    let client = DmpClient::from_config(&config)?;
    println!("    simulator      {}", simulator.endpoint());

    let document = FeedDocument::from_cda(cda.to_vec(), &Default::default())?;
    let patient = document.patient();
    for bytes in std::iter::once(cda).chain(others.iter().copied()) {
        let fed = FeedDocument::from_cda(bytes.to_vec(), &Default::default())?;
        let outcome = match client.feed(&fed, None)? {
            FeedOutcome::Fed => "Success",
            FeedOutcome::AlreadyPresent => "already present",
        };
        say!("    TD2.1 feed     {outcome}, uniqueId {}", fed.unique_id());
    }

    let found = client.find(patient, &FindDocuments::default())?;
    let entry = found
        .iter()
        .find(|e| e.unique_id == document.unique_id())
        .ok_or("the fed note is not in the DMP's answer")?;
    println!(
        "    TD3.1 find     {} document(s) for the patient",
        found.len()
    );
    say!(
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
    Ok(DmpExchange {
        found,
        retrieved: retrieved.bytes,
    })
}

/// The CN of a certificate subject (RFC 4514 string), or the whole subject.
fn common_name(subject: &str) -> &str {
    subject
        .split(',')
        .find_map(|rdn| rdn.trim().strip_prefix("CN="))
        .unwrap_or(subject)
}

/// Builds a document of the dmp-cda examples for `identity` (the example's own test patient is
/// replaced), then checks it with the SDK's validator. `n` gives the document its own id and
/// setId under the examples' test OID: every document has a unique `ClinicalDocument/id`
/// (CI-SIS structuration minimale), also the XDS uniqueId.
fn build_document(
    ty: &str,
    n: u32,
    identity: &serde_json::Value,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Result<String, Box<dyn std::error::Error>> {
    let mut input = examples::example_json(ty).ok_or("no such document example")?;
    input["header"]["patient"]["identity"] = identity.clone();
    input["header"]["id"]["root"] = format!("1.2.250.1.999.1.1.2024.{n}1").into();
    input["header"]["setId"]["root"] = format!("1.2.250.1.999.1.1.2024.{n}2").into();
    edit(&mut input);
    let document: DocumentInput = serde_json::from_value(input)?;
    let cda = document.build()?;
    let errors = validate::validate(cda.as_bytes())?
        .iter()
        .filter(|f| f.is_error())
        .count();
    if errors > 0 {
        return Err(format!("the {ty} built has {errors} validation error(s)").into());
    }
    Ok(cda)
}

fn flow(args: &Args, out: &mut out::OutDir) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "segur {} — pharmacy-counter demo",
        env!("CARGO_PKG_VERSION")
    );
    say!("    output         {}", out.path().display());
    let mut steps = Steps::default();
    let mut step = |title: &str| steps.next(title);
    let show = |clear: &str, redacted: &str| {
        if args.redacted {
            redacted.to_owned()
        } else {
            clear.to_owned()
        }
    };

    step(
        "The pharmacist's CPS is read: a CPS3 simulated in memory, behind the SDK's in-memory transport",
    );
    let transport = cards::cps3();
    let atr = segur_cps_card::Transport::atr(&transport).to_vec();
    let protocol = segur_cps_card::Transport::protocol(&transport);
    let mut cps = CpsCard::open(transport, CpsConfig::default())?;
    let pin = cps.pin_status()?;
    say!(
        "    card           {}, serial {}, PIN {}/{} tries left",
        cps.kind().as_str(),
        cps.serial(),
        pin.tries_left,
        pin.max_tries.unwrap_or(0)
    );
    for role in [KeyRole::Authentication, KeyRole::Signature] {
        let cert = cps.certificate(role)?;
        say!(
            "    certificate    {role:?}: {}, until {}",
            common_name(&cert.subject),
            cert.not_after
        );
    }
    // A mistyped PIN costs a try, which the card gives back once the right PIN is presented.
    match cps.verify_pin(&Pin::from_str_checked("0000")?) {
        Err(segur_cps_card::Error::WrongPin { tries_left }) => {
            println!("    wrong PIN      refused, {tries_left} tries left")
        }
        Ok(()) => return Err("the card accepted a wrong PIN".into()),
        Err(e) => return Err(e.into()),
    }
    cps.verify_pin(&Pin::from_str_checked(cards::DEMO_PIN)?)?;
    println!(
        "    PIN            verified (the test card's PIN), {} tries left",
        cps.pin_status()?.tries_left
    );
    let cps_view = CardInfoView::new(
        "in-memory CPS3 (segur demo)",
        &atr,
        protocol,
        CardDetails::Cps(Box::new(CpsInfoView::read(&mut cps))),
    );

    step(
        "The patient's Vitale card is read: a Vitale 2 simulated in memory (public identity zone, no PIN)",
    );
    let holder = cards::VitaleHolder {
        last_name: "ECETINSI",
        first_name: "PIERRE-ALAIN",
        birth_date: "20090714",
        nir: "109076322083489",
    };
    let transport = cards::vitale2(&holder);
    let vitale_atr = segur_cps_card::Transport::atr(&transport).to_vec();
    let vitale_protocol = segur_cps_card::Transport::protocol(&transport);
    let mut vitale = VitaleCard::open(transport)?;
    let identity_zone = vitale.read_identity()?;
    let beneficiary = identity_zone
        .beneficiaries
        .first()
        .ok_or("no beneficiary on the Vitale card")?;
    let card_nir = beneficiary
        .nir
        .as_ref()
        .ok_or("no NIR on the Vitale card")?;
    println!("    beneficiaries  {}", identity_zone.beneficiaries.len());
    say!(
        "    holder         {}",
        show(
            &format!(
                "{} {}, born {}",
                beneficiary.last_name.expose(),
                beneficiary.first_name.expose(),
                beneficiary.birth_date.as_ref().map_or("?", |d| d.expose())
            ),
            &format!("{:?}", beneficiary.last_name)
        )
    );
    let vitale_view = CardInfoView::new(
        "in-memory Vitale 2 (segur demo)",
        &vitale_atr,
        vitale_protocol,
        CardDetails::Vitale {
            card: "vitale2",
            beneficiaries: Part::Ok(identity_zone.beneficiaries.len()),
        },
    );
    let cards_json = serde_json::json!({ "cps": cps_view, "vitale": vitale_view });
    out.write(
        "cards.json",
        serde_json::to_string_pretty(&cards_json)?.as_bytes(),
        "What the two in-memory cards said, as `segur card info --json` prints a card in a \
         reader: the CPS's kind, serial, PIN counters, certificates and business objects; the \
         Vitale card's number of beneficiaries (no identity)",
        "python3 -m json.tool cards.json",
    )?;

    step("The NIR's 13 characters give its key (2A→19, 2B→18 rule); it matches the card's");
    let body: String = card_nir.expose().chars().take(13).collect();
    let nir = Matricule::parse(&body)?;
    println!(
        "    matricule      {}",
        show(&nir.grouped().to_string(), &format!("{nir}"))
    );
    println!("    key            {:02}", nir.key());
    println!(
        "    card's key     {}",
        if nir.expose() == card_nir.expose() {
            "the same"
        } else {
            "DIFFERENT"
        }
    );
    let d = nir.decode();
    println!(
        "    decoded        sex {:?}, year ..{:02}, month {:?}",
        d.sex, d.year, d.month
    );

    step("The pharmacist types the traits; they are normalised to the INSi profile");
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

    step("INSi answers (replayed): the INS and its history are checked, never trusted");
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

    step("The identity card is checked: the identity becomes qualified");
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

    step("Consistency of the card's NIR with the qualified traits");
    let warnings = coherence::check(&nir, qualified.traits());
    println!("    warnings       {warnings:?}");

    step("The vaccination is recorded: a VAC-NOTE 2023.01 built and checked before sending");
    let identity_json = serde_json::to_value(&identity)?;
    let mut input = examples::example_json("vaccination-note").ok_or("no VAC-NOTE example")?;
    input["header"]["patient"]["identity"] = identity_json.clone();
    let document: DocumentInput = serde_json::from_value(input)?;
    let cda = document.build()?;
    let findings = validate::validate(cda.as_bytes())?;
    println!(
        "    CDA            {} bytes, {} validation finding(s)",
        cda.len(),
        findings.len()
    );
    out.write(
        "vaccination-note.xml",
        cda.as_bytes(),
        "Note de vaccination (VAC-NOTE 2023.01, CDA R2 niveau 3), LOINC 87273-9",
        "segur cda validate vaccination-note.xml",
    )?;
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default())?;
    println!(
        "    read back      type {} ({}), patient INS checked: {}",
        header.type_code.code,
        header.title.as_deref().unwrap_or("?"),
        matches!(header.patient.ins(), Some(Ok(_)))
    );

    step("A TROD and a bilan partagé de médication are recorded next to the note");
    let trod = build_document("trod", 1, &identity_json, |_| {})?;
    let trod_header = segur_dmp_cda::read_header(trod.as_bytes(), &ReadLimits::default())?;
    say!(
        "    TROD           {} bytes, type {} ({})",
        trod.len(),
        trod_header.type_code.code,
        trod_header.title.as_deref().unwrap_or("?")
    );
    out.write(
        "trod.xml",
        trod.as_bytes(),
        "Compte rendu de tests rapides d'orientation diagnostique (BIO-TROD 2024.01, CDA R2 \
         niveau 3): a strep A test and a urinary dipstick",
        "segur cda validate trod.xml",
    )?;
    let bpm_pdf = pdf::one_page(
        "Bilan partagé de médication",
        &[
            "Document de démonstration écrit par segur demo.",
            "Patient : identité de test INSi (fictive).",
            "Traitement en cours revu avec le patient ; aucune interaction relevée.",
            "Pharmacie du Centre (structure de test).",
        ],
    );
    // The builder's JSON form of a PDF (base64) is written by the builder's own type.
    let pdf_json = serde_json::to_value(Pdf::new(bpm_pdf.clone())?)?;
    let bpm = build_document("bpm", 2, &identity_json, |input| input["pdf"] = pdf_json)?;
    let bpm_read = segur_dmp_cda::read(bpm.as_bytes())?;
    let pdf_inside = match &bpm_read.body {
        CdaBody::NonXml(b) => b.decode().is_ok_and(|d| d == bpm_pdf),
        _ => false,
    };
    say!(
        "    BPM            {} bytes, type {} ({}), PDF body of {} bytes, read back identical: {pdf_inside}",
        bpm.len(),
        bpm_read.header.type_code.code,
        bpm_read.header.title.as_deref().unwrap_or("?"),
        bpm_pdf.len()
    );
    if !pdf_inside {
        return Err("the BPM's PDF body does not read back as written".into());
    }
    out.write(
        "bpm.xml",
        bpm.as_bytes(),
        "Bilan partagé de médication (CDA R2 niveau 1, LOINC 56445-0) with a PDF body",
        "segur cda inspect bpm.xml",
    )?;
    out.write(
        "bpm.pdf",
        &bpm_pdf,
        "The BPM's PDF body, as embedded in bpm.xml",
        "pdftotext bpm.pdf -",
    )?;

    step(
        "The three documents are fed to the DMP (the built-in simulator, on this machine); the note is found and read back",
    );
    let exchange = dmp_round_trip(cda.as_bytes(), &[trod.as_bytes(), bpm.as_bytes()])?;
    out.write(
        "dmp-find.json",
        serde_json::to_string_pretty(&exchange.found)?.as_bytes(),
        "The DMP's TD3.1 answer after the three feeds (registry entries, no patient data), as \
         `segur dmp find --json` prints it",
        "python3 -m json.tool dmp-find.json",
    )?;
    out.write(
        "dmp-retrieved.xml",
        &exchange.retrieved,
        "The note as the DMP gave it back with TD3.2 (byte for byte the note fed)",
        "segur cda inspect dmp-retrieved.xml",
    )?;

    step("The note is packed in an IHE_XDM.ZIP, in memory, with its XDS metadata");
    // README.TXT names the media's creator (IHE ITI TF-3 §4.2.1.1.2); the sourceId is the
    // test OID `segur xdm pack` uses by default.
    let pack_options = PackOptions {
        source_id: "1.2.250.1.999.1".into(),
        sender: segur_dmp_cda::xdm::XdmSender {
            name: "Claire DUPONT".into(),
            organization: "Pharmacie du Centre (FINESS 750712184)".into(),
            application: "segur demo".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            vendor: "segur".into(),
            contact: "pharmacie.centre@pharmacie.mssante.fr".into(),
        },
        ..PackOptions::default()
    };
    let (xdm, submission) = pack_cda(cda.as_bytes(), None, &pack_options)?;
    let package = XdmPackage::unpack(&xdm, &XdmLimits::default())?;
    out.write(
        "IHE_XDM.ZIP",
        &xdm,
        "The note packed as an IHE XDM archive (METADATA.XML, INDEX.HTM, README.TXT, the CDA)",
        "segur xdm inspect IHE_XDM.ZIP",
    )?;
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

    step("An MSSanté message to the patient's Mon espace santé mailbox (composed, not sent)");
    let from = MailAddress::parse("pharmacie.centre@pharmacie.mssante.fr")?;
    let message = MessageBuilder::new(from, ProductReference::new("SEGUR-DEMO")?)
        .to(PatientAddress::of(&qualified))
        .subject(Subject::xdm("Note de vaccination")?)
        .text("Bonjour, voici votre note de vaccination.")
        .xdm(xdm.clone())
        .request_read_receipt()
        .build()?;
    let h = message.mss_headers();
    println!("    message        {} bytes", message.bytes().len());
    out.write(
        "message.eml",
        message.bytes(),
        "The MSSanté message (RFC 5322, MIME) with IHE_XDM.ZIP attached: a mail client opens it",
        "segur mss read message.eml",
    )?;
    println!("    X-MSS-NIL      {}", h.nil);
    println!(
        "    X-MSS-CODECDA  {} (from the CDA inside the XDM)",
        h.codecda.join(",")
    );
    println!(
        "    X-MSS-INS      {}",
        h.ins.map_or("absent", segur_mssante::view::x_mss_ins_flag)
    );

    step("The INS Data Matrix is printed on the note, then scanned back from the image");
    let matrix = crate::twoddoc::ins_datamatrix_of(&qualified)?;
    let payload = matrix.to_payload();
    let image = render::render(Symbology::DataMatrix, &payload, 4, 2)?;
    out.write(
        "ins-datamatrix.png",
        &render::render_png(Symbology::DataMatrix, &payload, 4, 2)?,
        "The INS Data Matrix of the qualified identity (ANS format), as printed on a document",
        "segur 2ddoc parse ins-datamatrix.png",
    )?;
    out.write(
        "qualified-identity.json",
        serde_json::to_string_pretty(&qualified)?.as_bytes(),
        "The qualified identity (INS, traits, evidence) in the SDK's JSON form, which \
         `segur 2ddoc ins-datamatrix` and `segur mss compose --patient` take",
        "segur 2ddoc ins-datamatrix qualified-identity.json",
    )?;
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

    step("Not in the demo: what the SDK cannot do yet");
    println!(
        "    Pro Santé Connect  not yet available in the SDK (no OpenID Connect client for PSC)"
    );
    println!(
        "    2D-Doc issuing     the SDK parses and verifies 2D-Docs, it does not sign them: no 2D-Doc image"
    );
    println!(
        "    e-prescription QR  the numéro unique de prescription's format is not public: no QR image"
    );
    Ok(())
}
