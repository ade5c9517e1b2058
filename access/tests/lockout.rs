//! Exponential back-off per user and per workstation, and the account lockout after 10
//! consecutive failures, on a simulated clock.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod common;

use common::*;
use segur_access::clock::Clock;
use segur_access::password::Password;
use segur_access::throttle::Refusal;
use segur_access::{AccessError, SecondFactor};

fn wrong(f: &mut Fixture, user: &str, ws: &str) -> AccessError {
    f.access
        .login(
            user,
            &Password::new("definitely wrong 77"),
            SecondFactor::Totp("000000"),
            ws,
        )
        .unwrap_err()
}

#[test]
fn back_off_doubles_then_the_account_locks() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "marie", "titulaire");
    // Three free failures.
    for _ in 0..3 {
        assert!(matches!(
            wrong(&mut f, "marie", "p1"),
            AccessError::BadCredentials
        ));
    }
    // The 4th failure imposes 2 s, then 4, 8...: during the wait even the right password is
    // not tried.
    assert!(matches!(
        wrong(&mut f, "marie", "p1"),
        AccessError::BadCredentials
    ));
    let code = totp.code_at(f.clock.now());
    let e = f
        .access
        .login("marie", &pw(), SecondFactor::Totp(&code), "p1")
        .unwrap_err();
    assert!(
        matches!(
            e,
            AccessError::Throttled {
                scope: "user",
                refusal: Refusal::RetryAfter(2)
            }
        ),
        "{e}"
    );
    let mut waits = Vec::new();
    for _ in 5..=10 {
        let wait = match wrong(&mut f, "marie", "p1") {
            AccessError::Throttled {
                refusal: Refusal::RetryAfter(s),
                ..
            } => s,
            other => panic!("{other}"),
        };
        waits.push(wait);
        f.clock.advance(wait);
        assert!(matches!(
            wrong(&mut f, "marie", "p1"),
            AccessError::BadCredentials
        ));
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 64]);
    // 10 consecutive failures: locked, whatever the wait.
    f.clock.advance(3600);
    let code = totp.code_at(f.clock.now());
    assert!(matches!(
        f.access
            .login("marie", &pw(), SecondFactor::Totp(&code), "p2"),
        Err(AccessError::Throttled {
            scope: "user",
            refusal: Refusal::Locked
        })
    ));

    // An administrator unlocks it.
    let admin_totp = add_user(&mut f.access, "it", "admin");
    let code = admin_totp.code_at(f.clock.now());
    let admin = f
        .access
        .login("it", &pw(), SecondFactor::Totp(&code), "back-office")
        .unwrap();
    f.access.unlock_account(&admin.id, "marie").unwrap();
    f.clock.advance(30);
    let code = totp.code_at(f.clock.now());
    f.access
        .login("marie", &pw(), SecondFactor::Totp(&code), "p2")
        .unwrap();
}

#[test]
fn a_workstation_is_slowed_down_but_never_locked() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "luc", "preparateur");
    // Failures spread over unknown user names: no account to lock, the workstation slows.
    for i in 0..4 {
        wrong(&mut f, &format!("guess{i}"), "comptoir");
    }
    let code = totp.code_at(f.clock.now());
    assert!(matches!(
        f.access
            .login("luc", &pw(), SecondFactor::Totp(&code), "comptoir"),
        Err(AccessError::Throttled {
            scope: "workstation",
            ..
        })
    ));
    // Another workstation is not affected.
    f.access
        .login("luc", &pw(), SecondFactor::Totp(&code), "back-office")
        .unwrap();
    // Many more failures: the wait caps at 15 min and the workstation never locks.
    for i in 0..30 {
        f.clock.advance(900);
        wrong(&mut f, &format!("other{i}"), "comptoir");
    }
    f.clock.advance(900);
    f.clock.advance(30);
    let code = totp.code_at(f.clock.now());
    f.access
        .login("luc", &pw(), SecondFactor::Totp(&code), "comptoir")
        .unwrap();
}
