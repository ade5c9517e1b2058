//! The knowledge factor: passwords hashed with Argon2id (RFC 9106) in the PHC string format,
//! rehashed at login when the stored parameters are weaker than the configured ones, and
//! checked against a strength rule at enrolment.
//!
//! Defaults, each configurable:
//! - Argon2id with m = 64 MiB, t = 3, p = 4: the "second recommended option" of RFC 9106 §4 for
//!   memory-constrained environments (a counter PC). The segur access-security notes ask for a
//!   salted slow hash (Argon2id, scrypt or PBKDF2; ANSSI PG-078) without fixing the cost.
//! - At least 12 characters and an estimated 79 bits: the CNIL 2022 password recommendation
//!   for a password used alone asks for 80 bits, and gives "12 characters of four kinds" as an
//!   example; the character-pool estimate below rates that example at 79.5 bits. The ASPP
//!   annex that SC.SSI/IE.36 points to is not public (TO VERIFY): configure [`PasswordRules`].
//! - No expiry (ANSSI PG-078: no forced periodic renewal).

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use zeroize::Zeroizing;

/// A password in memory, zeroized on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl Password {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a password or its hash was refused. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer characters than the rule asks.
    #[error("the password has {actual} characters, at least {min} required")]
    TooShort {
        /// Minimum.
        min: usize,
        /// Given.
        actual: usize,
    },
    /// More characters than the limit (a bound on hashing work, not a strength rule).
    #[error("the password has more than {max} characters")]
    TooLong {
        /// Maximum.
        max: usize,
    },
    /// The estimated strength is below the rule.
    #[error(
        "the password is estimated at {bits} bits, at least {min} required: make it longer or use more kinds of characters"
    )]
    Weak {
        /// Estimated bits.
        bits: u32,
        /// Minimum.
        min: u32,
    },
    /// A control character (position given, 1-based).
    #[error("character {position} of the password is a control character")]
    ControlCharacter {
        /// 1-based position.
        position: usize,
    },
    /// The password does not match.
    #[error("wrong password")]
    Mismatch,
    /// The stored hash is not a PHC string this crate can verify.
    #[error("the stored password hash is malformed")]
    StoredHash,
    /// The hash parameters are invalid.
    #[error("invalid Argon2 parameters: {0}")]
    Parameters(String),
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
}

/// Strength rules checked when a password is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordRules {
    /// Minimum length in characters (default 12).
    pub min_chars: usize,
    /// Maximum length in characters (default 1024: bounds the work, ANSSI asks for no low cap).
    pub max_chars: usize,
    /// Minimum estimated entropy in bits (default 79, see the module documentation).
    pub min_bits: u32,
}

impl Default for PasswordRules {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 1024,
            min_bits: 79,
        }
    }
}

impl PasswordRules {
    /// Checks a new password.
    pub fn check(&self, password: &Password) -> Result<(), PasswordError> {
        let text = password.expose();
        if let Some(i) = text.chars().position(char::is_control) {
            return Err(PasswordError::ControlCharacter { position: i + 1 });
        }
        let chars = text.chars().count();
        if chars > self.max_chars {
            return Err(PasswordError::TooLong {
                max: self.max_chars,
            });
        }
        if chars < self.min_chars {
            return Err(PasswordError::TooShort {
                min: self.min_chars,
                actual: chars,
            });
        }
        let bits = estimated_bits(text);
        if bits < self.min_bits {
            return Err(PasswordError::Weak {
                bits,
                min: self.min_bits,
            });
        }
        Ok(())
    }
}

/// Length × log2(pool), the pool being the sum of the kinds present: 26 lowercase, 26
/// uppercase, 10 digits, 37 special characters (the CNIL table), 100 for anything else.
/// Repeated runs count once, so `aaaaaaaaaaaa` is not 12 characters of entropy.
pub fn estimated_bits(text: &str) -> u32 {
    let (mut lower, mut upper, mut digit, mut special, mut other) =
        (false, false, false, false, false);
    let mut effective = 0u32;
    let mut previous = None;
    for c in text.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            c if c.is_ascii() => special = true,
            _ => other = true,
        }
        if previous != Some(c) {
            effective += 1;
        }
        previous = Some(c);
    }
    let pool: u32 = [
        (lower, 26),
        (upper, 26),
        (digit, 10),
        (special, 37),
        (other, 100),
    ]
    .iter()
    .filter(|(present, _)| *present)
    .map(|(_, n)| n)
    .sum();
    if pool < 2 {
        return 0;
    }
    (f64::from(effective) * f64::from(pool).log2()).floor() as u32
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Argon2Params {
    /// Memory in KiB (default 65536 = 64 MiB).
    pub memory_kib: u32,
    /// Passes (default 3).
    pub iterations: u32,
    /// Lanes (default 4).
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        // RFC 9106 §4, second recommended option.
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

/// The outcome of a successful check.
#[derive(Debug)]
pub struct Verified {
    /// A new hash with the configured parameters when the stored one used weaker (or other)
    /// parameters: store it in place of the old one.
    pub rehash: Option<String>,
}

/// Hashes and verifies passwords with Argon2id.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Argon2Params,
}

impl PasswordHasher {
    /// A hasher with `params`; refuses parameters Argon2 does not allow.
    pub fn new(params: Argon2Params) -> Result<Self, PasswordError> {
        let hasher = Self { params };
        hasher.argon2()?;
        Ok(hasher)
    }

    fn argon2(&self) -> Result<argon2::Argon2<'static>, PasswordError> {
        let p = argon2::Params::new(
            self.params.memory_kib,
            self.params.iterations,
            self.params.parallelism,
            None,
        )
        .map_err(|e| PasswordError::Parameters(e.to_string()))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            p,
        ))
    }

    /// The PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`) of `password` with a
    /// random 128-bit salt (RFC 9106 §3.1 recommends 128 bits).
    pub fn hash(&self, password: &Password) -> Result<String, PasswordError> {
        let mut salt = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .map_err(|_| PasswordError::Random)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Random)?;
        self.argon2()?
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Parameters(e.to_string()))
    }

    /// Checks `password` against a stored PHC string; on success, says whether to rehash.
    pub fn verify(&self, password: &Password, stored: &str) -> Result<Verified, PasswordError> {
        let parsed = PasswordHash::new(stored).map_err(|_| PasswordError::StoredHash)?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(PasswordError::StoredHash);
        }
        let stored_params =
            argon2::Params::try_from(&parsed).map_err(|_| PasswordError::StoredHash)?;
        // Verify with the parameters recorded in the hash, whatever the current ones are.
        let verifier = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            stored_params.clone(),
        );
        verifier
            .verify_password(password.expose().as_bytes(), &parsed)
            .map_err(|e| match e {
                argon2::password_hash::Error::Password => PasswordError::Mismatch,
                _ => PasswordError::StoredHash,
            })?;
        let current = (
            self.params.memory_kib,
            self.params.iterations,
            self.params.parallelism,
        );
        let old = (
            stored_params.m_cost(),
            stored_params.t_cost(),
            stored_params.p_cost(),
        );
        let rehash = if old != current || parsed.version != Some(0x13) {
            Some(self.hash(password)?)
        } else {
            None
        };
        Ok(Verified { rehash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnil_examples_pass_and_weak_passwords_fail() {
        let rules = PasswordRules::default();
        // 12 characters of four kinds, 14 alphanumeric, a 7-word passphrase.
        assert_eq!(rules.check(&Password::new("Tr0ub4dor&3x")), Ok(()));
        assert_eq!(rules.check(&Password::new("Azerty12Qsdf34")), Ok(()));
        assert_eq!(
            rules.check(&Password::new(
                "cheval agrafe batterie correct lune pomme vert"
            )),
            Ok(())
        );
        assert_eq!(
            rules.check(&Password::new("short")),
            Err(PasswordError::TooShort { min: 12, actual: 5 })
        );
        assert!(matches!(
            rules.check(&Password::new("aaaaaaaaaaaaaaaaaaaa")),
            Err(PasswordError::Weak { .. })
        ));
        assert_eq!(
            rules.check(&Password::new("abc\ndefghijklmnop")),
            Err(PasswordError::ControlCharacter { position: 4 })
        );
    }
}
