//! The 4-hour strong window, the idle lock and the quick user switch, on a simulated clock;
//! login factors, replayed codes, recovery codes and strong (CPS / PSC) events.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

mod common;

use common::*;
use segur_access::clock::UnixTime;
use segur_access::counter::Counter;
use segur_access::password::Password;
use segur_access::session::SessionStatus;
use segur_access::strong::{FactorKind, StrongAuthEvent, StrongMeans};
use segur_access::{AccessError, SecondFactor};

const HOUR: i64 = 3600;

#[test]
fn strong_window_of_four_hours_and_idle_lock_of_two() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "marie", "titulaire");
    let code = totp.code_at(f.clock_now());
    let s = f
        .access
        .login("marie", &pw(), SecondFactor::Totp(&code), "poste-1")
        .unwrap();
    assert!(f.access.check(&s.id, "dmp.read", None).is_ok());

    // Active use for almost 4 hours: one action every hour keeps the idle lock away.
    for _ in 0..3 {
        f.clock.advance(HOUR);
        f.access.check(&s.id, "dispense", None).unwrap();
    }
    f.clock.advance(HOUR - 1);
    f.access.check(&s.id, "dispense", None).unwrap();
    // 4 hours after the login: both factors again, however active the user was.
    f.clock.advance(1);
    assert!(matches!(
        f.access.check(&s.id, "dispense", None),
        Err(AccessError::SessionNotActive(
            SessionStatus::StrongReauthRequired
        ))
    ));
    // The password alone does not reopen it.
    assert!(matches!(
        f.access.unlock(&s.id, &pw()),
        Err(AccessError::SessionNotActive(
            SessionStatus::StrongReauthRequired
        ))
    ));
    let code = totp.code_at(f.clock_now());
    f.access
        .reauthenticate(&s.id, &pw(), SecondFactor::Totp(&code))
        .unwrap();
    f.access.check(&s.id, "dispense", None).unwrap();

    // Idle for 2 hours: locked, and the password alone unlocks it inside the window.
    f.clock.advance(2 * HOUR - 1);
    f.access.check(&s.id, "dispense", None).unwrap();
    f.clock.advance(2 * HOUR);
    assert!(matches!(
        f.access.check(&s.id, "dispense", None),
        Err(AccessError::SessionNotActive(SessionStatus::IdleLocked))
    ));
    assert!(matches!(
        f.access.unlock(&s.id, &Password::new("wrong password 123")),
        Err(AccessError::BadCredentials)
    ));
    f.access.unlock(&s.id, &pw()).unwrap();
    f.access.check(&s.id, "dispense", None).unwrap();
}

#[test]
fn rules_are_configuration() {
    let mut config = cheap_config();
    config.sessions.strong_reauth_secs = 600;
    config.sessions.idle_lock_secs = 60;
    let mut f = fixture_with(config);
    let totp = add_user(&mut f.access, "paul", "adjoint");
    let code = totp.code_at(f.clock_now());
    let s = f
        .access
        .login("paul", &pw(), SecondFactor::Totp(&code), "poste-1")
        .unwrap();
    f.clock.advance(60);
    assert_eq!(
        f.access.session_status(&s.id).unwrap(),
        SessionStatus::IdleLocked
    );
    f.clock.advance(540);
    assert_eq!(
        f.access.session_status(&s.id).unwrap(),
        SessionStatus::StrongReauthRequired
    );
}

#[test]
fn user_switch_never_extends_another_users_window() {
    let mut f = fixture();
    let marie = add_user(&mut f.access, "marie", "titulaire");
    let luc = add_user(&mut f.access, "luc", "preparateur");
    let mut counter = Counter::new("comptoir-2");

    let code = marie.code_at(f.clock_now());
    counter
        .login(&mut f.access, "marie", &pw(), SecondFactor::Totp(&code))
        .unwrap();
    let marie_id = counter.current_session().unwrap().clone();

    // Three hours later Luc logs in on the same counter: Marie's session is locked.
    f.clock.advance(3 * HOUR);
    let code = luc.code_at(f.clock_now());
    counter
        .login(&mut f.access, "luc", &pw(), SecondFactor::Totp(&code))
        .unwrap();
    assert_eq!(counter.current_user(), Some("luc"));
    assert_eq!(
        f.access.session_status(&marie_id).unwrap(),
        SessionStatus::Locked
    );
    counter.check(&mut f.access, "dispense", None).unwrap();
    assert!(matches!(
        counter.check(&mut f.access, "dispense.validate", None),
        Err(AccessError::Denied { .. })
    ));

    // Quick switch back to Marie with her password alone: inside her window.
    f.clock.advance(30 * 60);
    counter.switch_to(&mut f.access, "marie", &pw()).unwrap();
    counter
        .check(&mut f.access, "dispense.validate", None)
        .unwrap();

    // 4 hours after Marie's own login: her window is over, though Luc authenticated 1 h ago
    // and the counter was in use all along.
    f.clock.advance(30 * 60);
    assert!(matches!(
        counter.check(&mut f.access, "dispense.validate", None),
        Err(AccessError::SessionNotActive(
            SessionStatus::StrongReauthRequired
        ))
    ));
    // Switching to Luc (his window runs until 7 h) works with his password...
    counter.switch_to(&mut f.access, "luc", &pw()).unwrap();
    counter.check(&mut f.access, "dispense", None).unwrap();
    // ...and switching back to Marie needs a full login.
    assert!(matches!(
        counter.switch_to(&mut f.access, "marie", &pw()),
        Err(AccessError::SessionNotActive(
            SessionStatus::StrongReauthRequired
        ))
    ));
    let code = marie.code_at(f.clock_now());
    counter
        .login(&mut f.access, "marie", &pw(), SecondFactor::Totp(&code))
        .unwrap();
    counter
        .check(&mut f.access, "dispense.validate", None)
        .unwrap();
    // Luc's window did not move when Marie logged in again: over at 3 h + 4 h.
    f.clock.advance(3 * HOUR);
    counter.switch_to(&mut f.access, "luc", &pw()).unwrap_err();
    counter.close(&mut f.access).unwrap();
}

#[test]
fn a_totp_code_is_accepted_once_only() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "marie", "titulaire");
    let code = totp.code_at(f.clock_now());
    f.access
        .login("marie", &pw(), SecondFactor::Totp(&code), "poste-1")
        .unwrap();
    // Replayed within the same step, and 20 s later (still inside the window).
    let err = f
        .access
        .login("marie", &pw(), SecondFactor::Totp(&code), "poste-2")
        .unwrap_err();
    assert!(
        matches!(&err, AccessError::SecondFactor(m) if m.contains("already used")),
        "{err}"
    );
    f.clock.advance(20);
    assert!(
        f.access
            .login("marie", &pw(), SecondFactor::Totp(&code), "poste-2")
            .is_err()
    );
    // The next step's code works.
    f.clock.advance(30);
    let next = totp.code_at(f.clock_now());
    f.access
        .login("marie", &pw(), SecondFactor::Totp(&next), "poste-2")
        .unwrap();
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "marie", "titulaire");
    let code = totp.code_at(f.clock_now());
    let a = f
        .access
        .login(
            "marie",
            &Password::new("not the password 42"),
            SecondFactor::Totp(&code),
            "p",
        )
        .unwrap_err();
    let b = f
        .access
        .login("nobody", &pw(), SecondFactor::Totp(&code), "p")
        .unwrap_err();
    assert_eq!(a.to_string(), b.to_string());
    assert!(matches!(a, AccessError::BadCredentials));
}

#[test]
fn recovery_codes_work_once() {
    let mut f = fixture();
    add_user(&mut f.access, "marie", "titulaire");
    let codes = f.access.issue_recovery_codes("marie").unwrap();
    let code = codes[3].expose().to_owned();
    f.access
        .login("marie", &pw(), SecondFactor::Recovery(&code), "p")
        .unwrap();
    f.clock.advance(60);
    let err = f
        .access
        .login("marie", &pw(), SecondFactor::Recovery(&code), "p")
        .unwrap_err();
    assert!(matches!(err, AccessError::SecondFactor(_)), "{err}");
    // New codes revoke the old ones.
    let other = codes[4].expose().to_owned();
    f.access.issue_recovery_codes("marie").unwrap();
    f.clock.advance(60);
    assert!(
        f.access
            .login("marie", &pw(), SecondFactor::Recovery(&other), "p")
            .is_err()
    );
}

#[test]
fn strong_events_from_a_card_or_psc() {
    let mut f = fixture();
    add_user(&mut f.access, "marie", "titulaire");
    let now = f.clock_now();
    let event = |user: &str, factors: Vec<FactorKind>, at: UnixTime| StrongAuthEvent {
        means: StrongMeans::CpsCard,
        factors,
        at,
        user: user.into(),
    };
    let both = vec![FactorKind::Possession, FactorKind::Knowledge];
    f.access
        .login(
            "marie",
            &pw(),
            SecondFactor::Strong(event("marie", both.clone(), now)),
            "p",
        )
        .unwrap();
    for bad in [
        event("luc", both.clone(), now),
        event(
            "marie",
            vec![FactorKind::Possession, FactorKind::Possession],
            now,
        ),
        event("marie", both.clone(), now.plus(-301)),
        event("marie", both.clone(), now.plus(60)),
    ] {
        assert!(matches!(
            f.access
                .login("marie", &pw(), SecondFactor::Strong(bad), "p"),
            Err(AccessError::SecondFactor(_))
        ));
    }
}

#[test]
fn a_user_without_second_factor_cannot_log_in() {
    let mut f = fixture();
    f.access
        .add_user_local("luc", "preparateur", &pw())
        .unwrap();
    assert!(matches!(
        f.access
            .login("luc", &pw(), SecondFactor::Totp("123456"), "p"),
        Err(AccessError::NoSecondFactor)
    ));
}

#[test]
fn logout_closes_the_session() {
    let mut f = fixture();
    let totp = add_user(&mut f.access, "marie", "titulaire");
    let code = totp.code_at(f.clock_now());
    let s = f
        .access
        .login("marie", &pw(), SecondFactor::Totp(&code), "p")
        .unwrap();
    f.access.logout(&s.id).unwrap();
    assert!(matches!(
        f.access.check(&s.id, "dispense", None),
        Err(AccessError::SessionNotActive(SessionStatus::Closed))
    ));
}

trait Now {
    fn clock_now(&self) -> UnixTime;
}

impl Now for Fixture {
    fn clock_now(&self) -> UnixTime {
        use segur_access::clock::Clock;
        self.clock.now()
    }
}
