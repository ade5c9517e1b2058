//! CPS3, CPS4 and Vitale 2 virtual cards through the in-memory transport (no PC/SC).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::vcard::{self, Kind};
use rsa::pkcs8::DecodePublicKey;
use segur_cps_card::cps::{CpsCard, CpsConfig, KeyRole};
use segur_cps_card::pin::Pin;
use segur_cps_card::signer::{CardSigner, SignatureAlgorithm};
use segur_cps_card::{Error, TransportError, atr::CardKind};
use sha2::{Digest, Sha256};

fn public_key(cert: &[u8]) -> rsa::RsaPublicKey {
    use x509_cert::der::{Decode, Encode};
    let c = x509_cert::Certificate::from_der(cert).unwrap();
    let spki = c.tbs_certificate.subject_public_key_info.to_der().unwrap();
    rsa::RsaPublicKey::from_public_key_der(&spki).unwrap()
}

#[test]
fn cps3_full_flow_over_t0() {
    let (card, t) = common::memory_card(Kind::Cps3);
    let mut cps = CpsCard::open(t, CpsConfig::default()).unwrap();
    assert_eq!(cps.kind(), CardKind::Cps3);
    assert_eq!(cps.serial().as_bytes(), vcard::CPS3_SERIAL);
    let st = cps.pin_status().unwrap();
    assert_eq!(
        (st.tries_left, st.max_tries, st.blocked),
        (3, Some(3), false)
    );
    let cert = cps.certificate(KeyRole::Authentication).unwrap();
    assert!(
        cert.subject.contains("899700000001 AUTH TEST"),
        "{}",
        cert.subject
    );
    assert_eq!(
        cert.der,
        common::keys::cps3().auth.cert_der,
        "padding after the DER is cut"
    );
    // Signing needs the PIN.
    let msg = vec![0x5Au8; 200];
    assert!(matches!(
        cps.sign_message(KeyRole::Signature, SignatureAlgorithm::RsaPkcs1Sha256, &msg),
        Err(Error::PinRequired)
    ));
    cps.verify_pin(&Pin::from_str_checked(vcard::PIN).unwrap())
        .unwrap();
    let mut signer = cps.signer(KeyRole::Signature).unwrap();
    for len in [0usize, 1, 64, 65, 200] {
        let m = &msg[..len];
        let sig = signer
            .sign_message(SignatureAlgorithm::RsaPkcs1Sha256, m)
            .unwrap();
        public_key(signer.certificate_der())
            .verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(m), &sig)
            .unwrap_or_else(|e| panic!("message of {len} bytes: {e}"));
    }
    // The signature key cannot sign a bare digest on CPS3 (last round on card).
    assert!(matches!(
        signer.sign_digest(SignatureAlgorithm::RsaPkcs1Sha256, &[0; 32]),
        Err(Error::Unsupported { .. })
    ));
    drop(signer);
    // The authentication key signs a DigestInfo through INTERNAL AUTHENTICATE (case 4 on T=0).
    let d = Sha256::digest(b"VIHF assertion");
    let sig = cps
        .sign_digest(
            KeyRole::Authentication,
            SignatureAlgorithm::RsaPkcs1Sha256,
            &d,
        )
        .unwrap();
    public_key(&common::keys::cps3().auth.cert_der)
        .verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &d, &sig)
        .unwrap();
    // PIN-protected business data is readable now; the generic tree decodes it.
    let obj = cps.business_object("CPS_ACTIVITY_01_PS").unwrap();
    let tree = obj.tree().unwrap();
    assert_eq!(tree[0].children.len(), 2);
    assert_eq!(cps.actua().unwrap().unwrap().start, "20250314093000");
    // No command ever carried a case-4 Le on this T=0 card (the virtual card would answer 6700).
    let log = &card.lock().unwrap().log;
    assert!(
        log.iter().any(|l| l.starts_with("00C00000")),
        "GET RESPONSE was used"
    );
}

#[test]
fn cps3_wrong_pin_decrements_and_blocks() {
    let (_card, t) = common::memory_card(Kind::Cps3);
    let mut cps = CpsCard::open(t, CpsConfig::default()).unwrap();
    let wrong = Pin::from_str_checked("9999").unwrap();
    assert!(matches!(
        cps.verify_pin(&wrong),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert_eq!(cps.pin_status().unwrap().tries_left, 2);
    // A good PIN resets the counter.
    cps.verify_pin(&Pin::from_str_checked(vcard::PIN).unwrap())
        .unwrap();
    assert_eq!(cps.pin_status().unwrap().tries_left, 3);
    assert!(matches!(
        cps.verify_pin(&wrong),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert!(matches!(
        cps.verify_pin(&wrong),
        Err(Error::WrongPin { tries_left: 1 })
    ));
    assert!(matches!(cps.verify_pin(&wrong), Err(Error::PinBlocked)));
    let st = cps.pin_status().unwrap();
    assert!(st.blocked);
    assert_eq!(st.tries_left, 0);
    // Blocked: even the right PIN is refused.
    assert!(matches!(
        cps.verify_pin(&Pin::from_str_checked(vcard::PIN).unwrap()),
        Err(Error::PinBlocked)
    ));
}

#[test]
fn cps4_pss_and_pkcs1_on_channel_1() {
    let (card, t) = common::memory_card(Kind::Cps4);
    let mut cps = CpsCard::open(t, CpsConfig::default()).unwrap();
    assert_eq!(cps.kind(), CardKind::Cps4);
    assert_eq!(cps.serial().as_bytes(), vcard::CPS4_SERIAL);
    let st = cps.pin_status().unwrap();
    assert_eq!((st.tries_left, st.verified), (3, Some(false)));
    let wrong = Pin::from_str_checked("0000").unwrap();
    assert!(matches!(
        cps.verify_pin(&wrong),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    cps.verify_pin(&Pin::from_str_checked(vcard::PIN).unwrap())
        .unwrap();
    assert_eq!(cps.pin_status().unwrap().verified, Some(true));
    let cert = cps.certificate(KeyRole::Signature).unwrap();
    let pk = public_key(&cert.der);
    let msg = b"<ds:SignedInfo>...</ds:SignedInfo>";
    let sig = cps
        .sign_message(KeyRole::Signature, SignatureAlgorithm::RsaPssSha256, msg)
        .unwrap();
    pk.verify(rsa::pss::Pss::new::<Sha256>(), &Sha256::digest(msg), &sig)
        .unwrap();
    let sig = cps
        .sign_message(KeyRole::Signature, SignatureAlgorithm::RsaPkcs1Sha256, msg)
        .unwrap();
    pk.verify(
        rsa::Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(msg),
        &sig,
    )
    .unwrap();
    let log = &card.lock().unwrap().log;
    assert!(
        log.iter().all(|l| l.starts_with("01")),
        "every CPS4 APDU uses channel 1"
    );
}

#[test]
fn removal_mid_transaction_is_typed() {
    let (card, t) = common::memory_card(Kind::Cps3);
    let mut cps = CpsCard::open(t, CpsConfig::default()).unwrap();
    card.lock().unwrap().vanish_on_ins = Some(0x20);
    let err = cps
        .verify_pin(&Pin::from_str_checked(vcard::PIN).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport(TransportError::CardRemoved)),
        "{err:?}"
    );
}

#[test]
fn vitale2_identity_is_read_and_redacted() {
    let (card, t) = common::memory_card(Kind::Vitale2);
    let mut v = segur_cps_card::vitale::VitaleCard::open(t).unwrap();
    let id = v.read_identity().unwrap();
    assert_eq!(id.beneficiaries.len(), 2);
    let b = &id.beneficiaries[1];
    assert_eq!(b.first_name.expose(), "ALEX");
    assert_eq!(b.birth_date.as_ref().unwrap().expose(), "20100615");
    assert_eq!(b.nir.as_ref().unwrap().expose(), "210067512345633");
    let dbg = format!("{id:?}");
    assert!(
        !dbg.contains("TESTNOM") && !dbg.contains("2100675"),
        "{dbg}"
    );
    // 6Cxx was answered by resending with the exact Le.
    let log = &card.lock().unwrap().log;
    assert!(log.iter().any(|l| l == "00B0820000"));
    assert!(
        log.iter()
            .any(|l| l.starts_with("00B08200") && l != "00B0820000")
    );
}

#[test]
fn non_cps_cards_are_refused() {
    let (_c, t) = common::memory_card(Kind::Vitale2);
    assert!(matches!(
        CpsCard::open(t, CpsConfig::default()),
        Err(Error::WrongCard { .. })
    ));
}
