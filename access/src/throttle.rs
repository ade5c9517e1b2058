//! Rate limiting of failed authentications with exponential back-off, per user and per
//! workstation, and the lockout of an account after repeated failures.
//!
//! RFC 4226 §7.3 and RFC 6238 §5.2 require throttling a guessed OTP; ANSSI PG-078 asks to slow
//! down and temporarily lock an online attacker; the older CNIL grid locks an account after 10
//! failures. Defaults, all configurable: three free attempts, then a wait of 2 s doubling at each
//! new failure up to 15 min; a user account locked after 10 consecutive failures until an
//! administrator unlocks it. A workstation is only slowed down, never locked, so one bad actor at
//! a shared counter cannot lock every pharmacist out.

use crate::clock::UnixTime;

/// The rules of one scope (users or workstations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleRules {
    /// Failures allowed before any wait (default 3).
    pub free_failures: u32,
    /// First wait in seconds (default 2), doubled at each further failure.
    pub base_delay_secs: i64,
    /// Longest wait in seconds (default 900).
    pub max_delay_secs: i64,
    /// Consecutive failures that lock the account until unlocked (`None`: never).
    pub lock_after: Option<u32>,
}

impl Default for ThrottleRules {
    fn default() -> Self {
        Self {
            free_failures: 3,
            base_delay_secs: 2,
            max_delay_secs: 900,
            lock_after: Some(10),
        }
    }
}

impl ThrottleRules {
    /// The default rules of workstations: the user rules without lockout.
    pub fn workstation_default() -> Self {
        Self {
            lock_after: None,
            ..Self::default()
        }
    }

    /// The wait imposed after `failures` consecutive failures.
    pub fn delay_after(&self, failures: u32) -> i64 {
        if failures <= self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures - 1).min(40);
        self.base_delay_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_secs)
    }

    /// Whether an attempt may be made now given `state`.
    pub fn check(&self, state: &ThrottleState, now: UnixTime) -> Result<(), Refusal> {
        if state.locked {
            return Err(Refusal::Locked);
        }
        if let Some(last) = state.last_failure {
            let wait = self.delay_after(state.failures);
            let elapsed = now.since(last);
            if elapsed < wait {
                return Err(Refusal::RetryAfter(wait - elapsed));
            }
        }
        Ok(())
    }

    /// Records a failure at `now`.
    pub fn record_failure(&self, state: &mut ThrottleState, now: UnixTime) {
        state.failures = state.failures.saturating_add(1);
        state.last_failure = Some(now);
        if self.lock_after.is_some_and(|n| state.failures >= n) {
            state.locked = true;
        }
    }
}

/// The failure record of one user or workstation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThrottleState {
    /// Consecutive failures.
    pub failures: u32,
    /// Time of the last failure.
    pub last_failure: Option<UnixTime>,
    /// Locked until an administrator unlocks it.
    pub locked: bool,
}

/// Why an attempt is not even tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Too many recent failures: retry after this many seconds.
    #[error("too many failed attempts: retry in {0} s")]
    RetryAfter(i64),
    /// Locked after too many failures; an administrator must unlock it.
    #[error("locked after too many failed attempts")]
    Locked,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_and_cap() {
        let r = ThrottleRules::default();
        let d: Vec<i64> = (0..=12).map(|n| r.delay_after(n)).collect();
        assert_eq!(d, [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
        assert_eq!(r.delay_after(1000), 900);
    }
}
