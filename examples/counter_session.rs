//! A pharmacy counter shared by a pharmacist and a préparateur: two-factor logins, quick user
//! switches, a permission refused by the default policy (the pharmaceutical validation is a
//! pharmacist's, CSP L.4241-1), the 4-hour strong window on a simulated clock, then the audit
//! trail verified. Run: `cargo run -p segur-examples --example counter_session`.

use segur_access::clock::{Clock, ManualClock, UnixTime};
use segur_access::counter::Counter;
use segur_access::keys::MasterKey;
use segur_access::password::Password;
use segur_access::policy::Policy;
use segur_access::totp::{Totp, TotpParams, TotpSecret};
use segur_access::{Access, AccessConfig, AccessError, SecondFactor};
use std::sync::Arc;

/// What an authenticator app does with the enrolment URI: read the Base32 secret.
fn authenticator(uri: &str) -> Result<Totp, Box<dyn std::error::Error>> {
    let secret = uri
        .split_once("secret=")
        .and_then(|(_, rest)| rest.split('&').next())
        .ok_or("no secret in the URI")?;
    let bytes = data_encoding::BASE32_NOPAD.decode(secret.as_bytes())?;
    Ok(Totp::new(
        TotpSecret::from_bytes(&bytes)?,
        TotpParams::default(),
    )?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("segur-counter-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("officine.db");
    // Monday 08:30 UTC, simulated so the 4-hour rule shows in a second.
    let clock = ManualClock::new(UnixTime(1_767_601_800));
    let key = MasterKey::generate()?;
    let mut access = Access::init(
        &db,
        &key,
        &Policy::default_officine(),
        AccessConfig::default(),
        Arc::new(clock.clone()),
    )?;

    let password = Password::new("Correct-Horse-Battery-9");
    access.add_user_local("marie", "titulaire", &password)?;
    access.add_user_local("luc", "preparateur", &password)?;
    let marie = authenticator(&access.enroll_totp("marie")?.uri)?;
    let luc = authenticator(&access.enroll_totp("luc")?.uri)?;

    let mut counter = Counter::new("comptoir-1");
    let code = marie.code_at(clock.now());
    counter.login(&mut access, "marie", &password, SecondFactor::Totp(&code))?;
    counter.check(
        &mut access,
        "dispense.validate",
        Some("1 84 12 75 123 456 78"),
    )?;
    println!("08:30 marie (titulaire) validates a dispensation");

    clock.advance(3600);
    let code = luc.code_at(clock.now());
    counter.login(&mut access, "luc", &password, SecondFactor::Totp(&code))?;
    counter.check(&mut access, "dispense", None)?;
    println!("09:30 luc (préparateur) takes the counter and dispenses");
    match counter.check(&mut access, "dispense.validate", None) {
        Err(AccessError::Denied { role, permission }) => {
            println!("09:30 {permission} refused to {role}: a pharmacist validates")
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }

    clock.advance(600);
    counter.switch_to(&mut access, "marie", &password)?;
    counter.check(&mut access, "dispense.validate", None)?;
    println!("09:40 quick switch back to marie with her password alone");

    clock.advance(3 * 3600);
    match counter.check(&mut access, "dispense.validate", None) {
        Err(e) => println!("12:40 four hours after her login: {e}"),
        Ok(()) => return Err("the 4-hour window was not enforced".into()),
    }
    clock.advance(30);
    let code = marie.code_at(clock.now());
    counter.login(&mut access, "marie", &password, SecondFactor::Totp(&code))?;
    counter.check(&mut access, "dispense.validate", None)?;
    println!("12:41 marie authenticates again with both factors");
    counter.close(&mut access)?;

    let report = access
        .audit()
        .verify(&segur_access::audit::verify::VerifyOptions::default())?;
    println!(
        "audit trail intact: {} entries, head {}",
        report.entries,
        report.head.map(|h| h.hash.to_hex()).unwrap_or_default()
    );
    drop(access);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
