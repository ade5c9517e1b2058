//! Shared set-up of the access tests: a real SQLite file in a temporary directory, a manual
//! clock, and Argon2id at a cost low enough for dozens of logins per test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic
#![allow(dead_code)]

use segur_access::clock::{ManualClock, UnixTime};
use segur_access::keys::MasterKey;
use segur_access::password::{Argon2Params, Password};
use segur_access::policy::Policy;
use segur_access::totp::{Totp, TotpParams, TotpSecret};
use segur_access::{Access, AccessConfig};
use std::path::PathBuf;
use std::sync::Arc;

/// 2023-11-14T22:13:20Z, a step boundary of 30 s.
pub const T0: i64 = 1_700_000_010;

pub const PASSWORD: &str = "Correct-Horse-Battery-9";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub key: [u8; 32],
    pub clock: ManualClock,
    pub access: Access,
}

pub fn cheap_config() -> AccessConfig {
    AccessConfig {
        argon2: Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        ..AccessConfig::default()
    }
}

pub fn fixture() -> Fixture {
    fixture_with(cheap_config())
}

pub fn fixture_with(config: AccessConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("access.db");
    let key = [7u8; 32];
    let clock = ManualClock::new(UnixTime(T0));
    let access = Access::init(
        &db,
        &MasterKey::from_bytes(key),
        &Policy::default_officine(),
        config,
        Arc::new(clock.clone()),
    )
    .unwrap();
    Fixture {
        dir,
        db,
        key,
        clock,
        access,
    }
}

/// Adds `name` with `role` and enrols TOTP; returns a generator for its codes.
pub fn add_user(access: &mut Access, name: &str, role: &str) -> Totp {
    access
        .add_user_local(name, role, &Password::new(PASSWORD))
        .unwrap();
    let enrolment = access.enroll_totp(name).unwrap();
    totp_from_uri(&enrolment.uri)
}

/// Reads the secret back from an `otpauth://` URI, as an authenticator app does.
pub fn totp_from_uri(uri: &str) -> Totp {
    let query = uri.split_once('?').unwrap().1;
    let secret = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .unwrap();
    let bytes = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    Totp::new(
        TotpSecret::from_bytes(&bytes).unwrap(),
        TotpParams::default(),
    )
    .unwrap()
}

pub fn pw() -> Password {
    Password::new(PASSWORD)
}
