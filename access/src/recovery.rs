//! Recovery codes: single-use second factors for a lost authenticator. Each code carries 80
//! random bits (16 Base32 characters, shown as `XXXX-XXXX-XXXX-XXXX`); only its SHA-256 is
//! stored, which is enough for a random 80-bit value (no dictionary to try), and a used code is
//! marked so it never works twice.

use zeroize::Zeroizing;

/// Codes issued at once.
pub const CODES_PER_ISSUE: usize = 10;
const CODE_CHARS: usize = 16;

/// Why a recovery code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// Not 16 Base32 characters once dashes and spaces are removed.
    #[error("a recovery code has 16 characters, not {0}")]
    Length(usize),
    /// A character outside the Base32 alphabet (1-based position, dashes and spaces excluded).
    #[error("character {0} of the recovery code is not A-Z or 2-7")]
    Character(usize),
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
}

/// A recovery code to show the user once.
pub struct RecoveryCode(Zeroizing<String>);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

impl RecoveryCode {
    /// The printed form, `XXXX-XXXX-XXXX-XXXX`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// New codes and the hashes to store.
pub fn generate() -> Result<Vec<(RecoveryCode, [u8; 32])>, RecoveryError> {
    let rng = ring::rand::SystemRandom::new();
    let mut out = Vec::with_capacity(CODES_PER_ISSUE);
    for _ in 0..CODES_PER_ISSUE {
        let mut raw = Zeroizing::new([0u8; 10]);
        ring::rand::SecureRandom::fill(&rng, raw.as_mut()).map_err(|_| RecoveryError::Random)?;
        let plain = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(raw.as_ref()));
        let mut shown = String::with_capacity(19);
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                shown.push('-');
            }
            shown.push(c);
        }
        let hash = hash_normalised(&plain);
        out.push((RecoveryCode(Zeroizing::new(shown)), hash));
    }
    Ok(out)
}

fn hash_normalised(code: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, code.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The hash of a typed code (case, dashes and spaces ignored).
pub fn hash_typed(typed: &str) -> Result<[u8; 32], RecoveryError> {
    let mut normal = Zeroizing::new(String::with_capacity(CODE_CHARS));
    for c in typed.chars().filter(|c| *c != '-' && *c != ' ') {
        let c = c.to_ascii_uppercase();
        if !(c.is_ascii_uppercase() || ('2'..='7').contains(&c)) {
            return Err(RecoveryError::Character(normal.chars().count() + 1));
        }
        normal.push(c);
        if normal.len() > CODE_CHARS {
            break;
        }
    }
    if normal.len() != CODE_CHARS {
        return Err(RecoveryError::Length(normal.len()));
    }
    Ok(hash_normalised(&normal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_hashes_back_typed_loosely() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), 10);
        let (code, hash) = &codes[0];
        assert_eq!(code.expose().len(), 19);
        assert_eq!(hash_typed(code.expose()).unwrap(), *hash);
        let loose = code.expose().to_ascii_lowercase().replace('-', " ");
        assert_eq!(hash_typed(&loose).unwrap(), *hash);
        assert_eq!(
            hash_typed("ABCD-EFGH-1JKL-MNOP"),
            Err(RecoveryError::Character(9))
        );
        assert_eq!(hash_typed("ABCD"), Err(RecoveryError::Length(4)));
    }
}
