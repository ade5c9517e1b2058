//! Reads the CPS in the first reader holding one, verifies the PIN and signs a message with the
//! signature key through the `CardSigner` trait (the shape the DMP and MSSanté layers consume).
//!
//! `cargo run -p segur-examples --example cps_sign -- [READER]` with the PIN in `SEGUR_CPS_PIN`.

use segur_cps_card::cps::{CpsCard, CpsConfig, KeyRole};
use segur_cps_card::pcsc::{ReaderContext, Share};
use segur_cps_card::pin::Pin;
use segur_cps_card::signer::CardSigner;
use std::process::ExitCode;

fn run() -> segur_cps_card::Result<()> {
    let ctx = ReaderContext::establish()?;
    let reader = match std::env::args().nth(1) {
        Some(name) => ctx.find(&name)?,
        None => ctx
            .list()?
            .into_iter()
            .find(|r| r.card_present)
            .map(|r| r.name)
            .ok_or(segur_cps_card::Error::NoSuchReader(
                "<any reader with a card>".into(),
            ))?,
    };
    let mut conn = ctx.connect(&reader, Share::Shared)?;
    // One transaction: no other workstation interleaves APDUs between VERIFY and the signature.
    let tx = conn.transaction()?;
    let mut cps = CpsCard::open(tx, CpsConfig::default())?;
    println!("{:?} card {} in {reader}", cps.kind(), cps.serial());
    let status = cps.pin_status()?;
    println!("PIN tries left: {}", status.tries_left);
    let pin = std::env::var("SEGUR_CPS_PIN").map_err(|_| segur_cps_card::Error::InvalidPin {
        reason: "set SEGUR_CPS_PIN",
    })?;
    cps.verify_pin(&Pin::new(pin.into_bytes())?)?;
    let mut signer = cps.signer(KeyRole::Signature)?;
    let alg = signer
        .algorithms()
        .first()
        .copied()
        .ok_or(segur_cps_card::Error::Unsupported {
            what: "signature on this card",
        })?;
    let signature = signer.sign_message(alg, b"<ds:SignedInfo/>")?;
    println!(
        "{alg:?} signature of {} bytes, certificate of {} bytes",
        signature.len(),
        signer.certificate_der().len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cps_sign: {e}");
            ExitCode::FAILURE
        }
    }
}
