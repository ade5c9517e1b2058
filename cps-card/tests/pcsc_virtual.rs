//! End-to-end tests through a real pcscd with the vsmartcard vpcd driver: the SDK talks to the
//! virtual cards only through PC/SC. Needs root and the Debian packages pcscd and
//! vsmartcard-vpcd (scripts/install-deps). Tests serialise themselves on a lock file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::vcard::{self, Kind, VirtualCard};
use common::{Pcscd, PluggedCard, READER0, READER1, within};
use rsa::pkcs8::DecodePublicKey;
use segur_cps_card::cps::{CpsCard, CpsConfig, KeyRole};
use segur_cps_card::pcsc::{CardEvent, ReaderContext, Share};
use segur_cps_card::pin::Pin;
use segur_cps_card::signer::SignatureAlgorithm;
use segur_cps_card::{Error, Protocol, Transport, TransportError, atr::CardKind};
use sha2::{Digest, Sha256};
use std::time::Duration;

const PORT0: u16 = 35963;
const PORT1: u16 = 35964;
const WAIT: Duration = Duration::from_secs(15);

fn public_key(cert: &[u8]) -> rsa::RsaPublicKey {
    use x509_cert::der::{Decode, Encode};
    let c = x509_cert::Certificate::from_der(cert).unwrap();
    let spki = c.tbs_certificate.subject_public_key_info.to_der().unwrap();
    rsa::RsaPublicKey::from_public_key_der(&spki).unwrap()
}

fn pin() -> Pin {
    Pin::from_str_checked(vcard::PIN).unwrap()
}

/// A running pcscd, a virtual card plugged into one vpcd port, and a context that saw it arrive.
/// Bind the fields in this order (`pcscd` first) so they drop context, card, then daemon.
struct Inserted {
    pcscd: Pcscd,
    plugged: PluggedCard,
    ctx: ReaderContext,
}

fn inserted(card: VirtualCard, port: u16, reader: &str) -> Inserted {
    let pcscd = Pcscd::start();
    let plugged = PluggedCard::insert_card(card, port);
    let ctx = ReaderContext::establish().unwrap();
    ctx.wait(reader, CardEvent::Inserted, WAIT).unwrap();
    Inserted {
        pcscd,
        plugged,
        ctx,
    }
}

#[test]
fn readers_insertion_and_removal_events() {
    let _pcscd = Pcscd::start();
    let ctx = ReaderContext::establish().unwrap();
    let readers = ctx.list().unwrap();
    let names: Vec<_> = readers.iter().map(|r| r.name.as_str()).collect();
    assert!(
        names.contains(&READER0) && names.contains(&READER1),
        "{names:?}"
    );
    assert!(readers.iter().all(|r| !r.card_present));
    assert_eq!(ctx.find("pcd 00 01").unwrap(), READER1);
    assert!(
        matches!(ctx.find("Virtual"), Err(Error::NoSuchReader(_))),
        "ambiguous"
    );
    assert!(matches!(
        ctx.wait(READER0, CardEvent::Inserted, Duration::from_millis(300)),
        Err(Error::Transport(TransportError::Timeout))
    ));
    let card = PluggedCard::insert(Kind::Cps3, PORT0);
    let atr = ctx
        .wait(READER0, CardEvent::Inserted, WAIT)
        .unwrap()
        .unwrap();
    assert_eq!(atr, vcard::CPS3_ATR);
    let r0 = ctx
        .list()
        .unwrap()
        .into_iter()
        .find(|r| r.name == READER0)
        .unwrap();
    assert!(r0.card_present);
    assert_eq!(
        segur_cps_card::atr::identify(r0.atr.as_deref().unwrap()),
        CardKind::Cps3
    );
    card.remove();
    assert_eq!(ctx.wait(READER0, CardEvent::Removed, WAIT).unwrap(), None);
}

#[test]
fn cps3_through_pcscd_with_t0() {
    let Inserted {
        pcscd: _pcscd,
        plugged,
        ctx,
    } = inserted(VirtualCard::new(Kind::Cps3), PORT0, READER0);
    let mut conn = ctx.connect(READER0, Share::Shared).unwrap();
    assert_eq!(
        conn.protocol(),
        Protocol::T0,
        "pcscd negotiated T=0 from the CPS3 ATR"
    );
    let tx = conn.transaction().unwrap();
    let mut cps = CpsCard::open(tx, CpsConfig::default()).unwrap();
    assert_eq!(cps.serial().as_bytes(), vcard::CPS3_SERIAL);
    assert_eq!(cps.pin_status().unwrap().tries_left, 3);
    assert!(matches!(
        cps.verify_pin(&Pin::from_str_checked("4321").unwrap()),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert_eq!(cps.pin_status().unwrap().tries_left, 2);
    cps.verify_pin(&pin()).unwrap();
    let cert = cps.certificate(KeyRole::Signature).unwrap();
    assert!(cert.subject.contains("SIGN TEST"), "{}", cert.subject);
    let msg = vec![0x42u8; 300];
    let sig = cps
        .sign_message(KeyRole::Signature, SignatureAlgorithm::RsaPkcs1Sha256, &msg)
        .unwrap();
    public_key(&cert.der)
        .verify(
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(&msg),
            &sig,
        )
        .unwrap();
    let labels = cps.business_labels().unwrap();
    assert_eq!(labels, ["CPS_NAME_PS", "CPS_ACTIVITY_01_PS"]);
    drop(cps);
    let log = plugged.card.lock().unwrap().log.clone();
    assert!(
        log.iter().any(|l| l.starts_with("00C00000")),
        "GET RESPONSE went through pcscd"
    );
}

#[test]
fn cps4_through_pcscd_signs_pss() {
    let Inserted {
        pcscd: _pcscd,
        plugged: _plugged,
        ctx,
    } = inserted(VirtualCard::new(Kind::Cps4), PORT0, READER0);
    let mut conn = ctx.connect(READER0, Share::Shared).unwrap();
    let tx = conn.transaction().unwrap();
    let mut cps = CpsCard::open(tx, CpsConfig::default()).unwrap();
    assert_eq!(cps.kind(), CardKind::Cps4);
    cps.verify_pin(&pin()).unwrap();
    let cert = cps.certificate(KeyRole::Authentication).unwrap();
    let d = Sha256::digest(b"INSi request");
    let sig = cps
        .sign_digest(
            KeyRole::Authentication,
            SignatureAlgorithm::RsaPssSha256,
            &d,
        )
        .unwrap();
    public_key(&cert.der)
        .verify(rsa::pss::Pss::new::<Sha256>(), &d, &sig)
        .unwrap();
}

#[test]
fn vitale2_in_second_reader() {
    let Inserted {
        pcscd: _pcscd,
        plugged: _plugged,
        ctx,
    } = inserted(VirtualCard::new(Kind::Vitale2), PORT1, READER1);
    let mut conn = ctx.connect(READER1, Share::Shared).unwrap();
    let tx = conn.transaction().unwrap();
    let mut v = segur_cps_card::vitale::VitaleCard::open(tx).unwrap();
    let id = v.read_identity().unwrap();
    assert_eq!(id.beneficiaries[0].first_name.expose(), "CAMILLE");
    assert_eq!(
        id.beneficiaries[0].nir.as_ref().unwrap().expose(),
        "180017512345622"
    );
}

#[test]
fn card_pulled_mid_transaction_gives_a_typed_error_without_hanging() {
    let mut vc = VirtualCard::new(Kind::Cps3);
    vc.vanish_on_ins = Some(0x20);
    let Inserted {
        pcscd: _pcscd,
        plugged: _plugged,
        ctx,
    } = inserted(vc, PORT0, READER0);
    let err = within(Duration::from_secs(30), move || {
        let mut conn = ctx.connect(READER0, Share::Shared).unwrap();
        let tx = conn.transaction().unwrap();
        let mut cps = CpsCard::open(tx, CpsConfig::default()).unwrap();
        cps.verify_pin(&pin()).unwrap_err()
    });
    assert!(
        matches!(err, Error::Transport(TransportError::CardRemoved)),
        "got {err:?}"
    );
}

#[test]
fn exclusive_access_and_reset_recovery() {
    let Inserted {
        pcscd: _pcscd,
        plugged: _plugged,
        ctx,
    } = inserted(VirtualCard::new(Kind::Cps3), PORT0, READER0);
    // Another workstation holding the card exclusively.
    let other = ReaderContext::establish().unwrap();
    let excl = other.connect(READER0, Share::Exclusive).unwrap();
    assert!(matches!(
        ctx.connect(READER0, Share::Shared),
        Err(Error::Transport(TransportError::SharingViolation))
    ));
    drop(excl);
    // Shared: a reset by another application is recovered transparently.
    let conn = ctx.connect(READER0, Share::Shared).unwrap();
    let mut cps = CpsCard::open(conn, CpsConfig::default()).unwrap();
    cps.verify_pin(&pin()).unwrap();
    let resetter = other.connect(READER0, Share::Shared).unwrap();
    resetter.disconnect_reset().unwrap();
    // The next command meets SCARD_W_RESET_CARD; the SDK reconnects and re-selects.
    let cert = cps.certificate(KeyRole::Authentication).unwrap();
    assert!(cert.subject.contains("AUTH TEST"));
    assert!(
        _plugged.card.lock().unwrap().resets >= 1,
        "the card was really reset"
    );
    // The reset dropped the verified PIN: signing asks for it again.
    assert!(matches!(
        cps.sign_message(KeyRole::Signature, SignatureAlgorithm::RsaPkcs1Sha256, b"x"),
        Err(Error::PinRequired)
    ));
}

#[test]
fn card_pulled_between_commands_of_a_transaction() {
    let Inserted {
        pcscd: _pcscd,
        plugged,
        ctx,
    } = inserted(VirtualCard::new(Kind::Cps4), PORT0, READER0);
    let err = within(Duration::from_secs(30), move || {
        let mut conn = ctx.connect(READER0, Share::Shared).unwrap();
        let tx = conn.transaction().unwrap();
        let mut cps = CpsCard::open(tx, CpsConfig::default()).unwrap();
        plugged.remove();
        ReaderContext::establish()
            .unwrap()
            .wait(READER0, CardEvent::Removed, WAIT)
            .unwrap();
        cps.pin_status().unwrap_err()
    });
    assert!(
        matches!(err, Error::Transport(TransportError::CardRemoved)),
        "got {err:?}"
    );
}

/// Runs `openssl` with `args`; fails naming the tool when it is missing.
fn openssl(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is required (scripts/install-deps installs it)")
}

#[test]
fn dyn_signer_signature_verifies_with_openssl() {
    use segur_net::sign::Signer;
    let Inserted {
        pcscd: _pcscd,
        plugged: _plugged,
        ctx,
    } = inserted(VirtualCard::new(Kind::Cps3), PORT0, READER0);
    let mut conn = ctx.connect(READER0, Share::Shared).unwrap();
    let tx = conn.transaction().unwrap();
    let mut cps = CpsCard::open(tx, CpsConfig::default()).unwrap();
    cps.verify_pin(&pin()).unwrap();
    let mut card_signer = cps.signer(KeyRole::Signature).unwrap();
    let signer: &mut dyn Signer = &mut card_signer;
    assert!(
        signer
            .algorithms()
            .contains(&SignatureAlgorithm::RsaPkcs1Sha256)
    );
    let chain = signer.certificate_chain();
    let msg = b"<ds:SignedInfo>through the SDK-wide Signer</ds:SignedInfo>".repeat(5);
    let sig = signer
        .sign_message(SignatureAlgorithm::RsaPkcs1Sha256, &msg)
        .unwrap();

    let dir = std::env::temp_dir().join(format!("segur-dyn-signer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, data, sig_file) = (
        dir.join("cert.der"),
        dir.join("pub.pem"),
        dir.join("msg"),
        dir.join("sig"),
    );
    std::fs::write(&cert, &chain[0]).unwrap();
    std::fs::write(&data, &msg).unwrap();
    std::fs::write(&sig_file, &sig).unwrap();
    let out = openssl(&[
        "x509".as_ref(),
        "-inform".as_ref(),
        "DER".as_ref(),
        "-in".as_ref(),
        cert.as_os_str(),
        "-pubkey".as_ref(),
        "-noout".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&key, &out.stdout).unwrap();
    let out = openssl(&[
        "dgst".as_ref(),
        "-sha256".as_ref(),
        "-verify".as_ref(),
        key.as_os_str(),
        "-signature".as_ref(),
        sig_file.as_os_str(),
        data.as_os_str(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success() && out.stdout.starts_with(b"Verified OK"),
        "openssl: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
