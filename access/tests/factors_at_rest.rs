//! Secrets at rest: Argon2id hashes at the RFC 9106 parameters and their upgrade at login, TOTP
//! secrets sealed with the master key (not in the database file in any form), the key file's
//! permissions, and what Debug shows.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod common;

use common::*;
use segur_access::clock::Clock;
use segur_access::keys::{KeyError, MasterKey};
use segur_access::password::{Argon2Params, Password, PasswordHasher};
use segur_access::{Access, AccessConfig, SecondFactor};
use std::sync::Arc;

#[test]
fn default_hash_is_argon2id_at_rfc9106_cost() {
    let hasher = PasswordHasher::new(Argon2Params::default()).unwrap();
    let hash = hasher.hash(&pw()).unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"),
        "{hash}"
    );
    assert!(hasher.verify(&pw(), &hash).unwrap().rehash.is_none());
    assert!(
        hasher
            .verify(&Password::new("other password 1"), &hash)
            .is_err()
    );
    // Two hashes of one password differ (random salt).
    assert_ne!(hash, hasher.hash(&pw()).unwrap());
}

#[test]
fn weaker_hashes_are_upgraded_at_login() {
    let mut f = fixture(); // accounts hashed at m=1024, t=1, p=1
    let totp = add_user(&mut f.access, "marie", "titulaire");
    let stored = |db: &std::path::Path| -> String {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row(
                "SELECT password_hash FROM users WHERE name = 'marie'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert!(stored(&f.db).contains("m=1024,t=1,p=1"));
    drop(f.access);
    let mut access = Access::open(
        &f.db,
        &MasterKey::from_bytes(f.key),
        AccessConfig::default(),
        Arc::new(f.clock.clone()),
    )
    .unwrap();
    let code = totp.code_at(f.clock.now());
    access
        .login("marie", &pw(), SecondFactor::Totp(&code), "p")
        .unwrap();
    assert!(stored(&f.db).starts_with("$argon2id$v=19$m=65536,t=3,p=4$"));
}

#[test]
fn totp_secrets_are_sealed_and_bound_to_their_account() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "marie", "titulaire");
    add_user(&mut f.access, "luc", "preparateur");
    drop(f.access);
    // The raw secret appears nowhere in the database file.
    let uri = {
        let mut a = Access::open(
            &f.db,
            &MasterKey::from_bytes(f.key),
            cheap_config(),
            Arc::new(f.clock.clone()),
        )
        .unwrap();
        a.enroll_totp("marie").unwrap().uri
    };
    let secret = totp_from_uri(&uri);
    let raw = data_encoding::BASE32_NOPAD
        .decode(
            uri.split("secret=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let file = std::fs::read(&f.db).unwrap();
    let wal = std::fs::read(f.db.with_extension("db-wal")).unwrap_or_default();
    for bytes in [&file, &wal] {
        assert!(!bytes.windows(raw.len()).any(|w| w == raw.as_slice()));
    }
    let _ = (totp, secret);
    // Moving marie's sealed secret onto luc's account does not give luc her codes.
    let c = rusqlite::Connection::open(&f.db).unwrap();
    c.execute(
        "UPDATE totp SET sealed = (SELECT sealed FROM totp WHERE user = 'marie') WHERE user = 'luc'",
        [],
    )
    .unwrap();
    let mut a = Access::open(
        &f.db,
        &MasterKey::from_bytes(f.key),
        cheap_config(),
        Arc::new(f.clock.clone()),
    )
    .unwrap();
    let code = totp_from_uri(&uri).code_at(f.clock.now());
    let err = a
        .login("luc", &pw(), SecondFactor::Totp(&code), "p")
        .unwrap_err();
    assert!(err.to_string().contains("sealed secret"), "{err}");
    // Another master key cannot open them either.
    let mut other = Access::open(
        &f.db,
        &MasterKey::from_bytes([9; 32]),
        cheap_config(),
        Arc::new(f.clock.clone()),
    )
    .unwrap();
    assert!(
        other
            .login("marie", &pw(), SecondFactor::Totp(&code), "p")
            .is_err()
    );
}

#[test]
fn key_files_are_created_0600_and_refused_when_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.key");
    let key = MasterKey::generate().unwrap();
    key.create_file(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    MasterKey::load(&path).unwrap();
    // Never overwritten.
    assert!(matches!(key.create_file(&path), Err(KeyError::Io { .. })));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        MasterKey::load(&path),
        Err(KeyError::Permissions { mode: 0o644, .. })
    ));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&path, [1u8; 31]).unwrap();
    assert!(matches!(
        MasterKey::load(&path),
        Err(KeyError::Length { actual: 31, .. })
    ));
    assert_eq!(format!("{key:?}"), "MasterKey(..)");
}

#[test]
fn debug_never_shows_secrets() {
    let mut f = fixture();
    add_user(&mut f.access, "marie", "titulaire");
    let enrolment = f.access.enroll_totp("marie").unwrap();
    assert_eq!(format!("{enrolment:?}"), "TotpEnrolment(..)");
    assert_eq!(format!("{:?}", pw()), "Password(..)");
    let codes = f.access.issue_recovery_codes("marie").unwrap();
    assert_eq!(format!("{:?}", codes[0]), "RecoveryCode(..)");
    let totp = totp_from_uri(&enrolment.uri);
    let code = totp.code_at(f.clock.now());
    let s = f
        .access
        .login("marie", &pw(), SecondFactor::Totp(&code), "p")
        .unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains(s.id.expose()), "{shown}");
}
