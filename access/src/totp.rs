//! One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1, SHA-256 or
//! SHA-512, 6 to 8 digits, and the `otpauth://` enrolment URI (Google Authenticator "Key Uri
//! Format", the de facto form every authenticator app reads).
//!
//! Verification accepts the current time step and `window` steps on each side (default 1:
//! RFC 6238 §5.2 recommends at most one step back for network delay, and a small forward window
//! for drift), and refuses any step not strictly after the last accepted one, so a code is
//! accepted once only (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the
//! OTP after the successful validation has been issued for the first OTP").

use crate::clock::UnixTime;
use zeroize::Zeroizing;

/// The HMAC of the OTP (RFC 6238 §1.2: SHA-1, SHA-256, SHA-512).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1, the default every authenticator app supports.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    fn hmac(self) -> ring::hmac::Algorithm {
        match self {
            Self::Sha1 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => ring::hmac::HMAC_SHA256,
            Self::Sha512 => ring::hmac::HMAC_SHA512,
        }
    }

    /// The name in an `otpauth://` URI (`SHA1`, `SHA256`, `SHA512`).
    pub fn uri_name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// Reads a URI or configuration name (case-insensitive, `SHA-256` or `SHA256`).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// Number of digits of a code: 6 to 8 (RFC 4226 §5.3 requires at least 6; 8 is the largest
/// RFC 6238 uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Digits(u8);

impl Digits {
    /// Six digits, the default of every authenticator app.
    pub const SIX: Self = Self(6);

    /// `n` digits, `None` outside 6..=8.
    pub fn new(n: u8) -> Option<Self> {
        (6..=8).contains(&n).then_some(Self(n))
    }

    /// The number of digits.
    pub fn get(self) -> u8 {
        self.0
    }

    fn modulus(self) -> u32 {
        10u32.pow(u32::from(self.0))
    }
}

impl Default for Digits {
    fn default() -> Self {
        Self::SIX
    }
}

impl<'de> serde::Deserialize<'de> for Digits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        Self::new(n).ok_or_else(|| serde::de::Error::custom("TOTP digits must be 6, 7 or 8"))
    }
}

/// TOTP parameters. The default is what authenticator apps assume when the URI says nothing:
/// SHA-1, 6 digits, 30 s, one step of tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TotpParams {
    /// The HMAC.
    pub algorithm: TotpAlgorithm,
    /// Digits per code.
    pub digits: Digits,
    /// Time step `X` in seconds (RFC 6238 §4.1; default 30).
    pub period: u32,
    /// Steps accepted on each side of the current one (default 1).
    pub window: u8,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self {
            algorithm: TotpAlgorithm::Sha1,
            digits: Digits::SIX,
            period: 30,
            window: 1,
        }
    }
}

/// Shortest accepted shared secret: 128 bits (RFC 4226 §4, R6).
pub const MIN_SECRET_BYTES: usize = 16;
/// Length of generated secrets: 160 bits, the length RFC 4226 §4 recommends.
pub const GENERATED_SECRET_BYTES: usize = 20;
/// Longest accepted shared secret (one SHA-512 block).
pub const MAX_SECRET_BYTES: usize = 128;

/// A TOTP shared secret, zeroized on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A secret from raw bytes: 16 to 128 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(TotpError::SecretLength(bytes.len()));
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// A new random secret of 160 bits from the system random source.
    pub fn generate() -> Result<Self, TotpError> {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_BYTES]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| TotpError::Random)?;
        Ok(Self(bytes))
    }

    /// The raw bytes (to encrypt them at rest).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The unpadded Base32 form of the `secret` parameter of an `otpauth://` URI (RFC 4648 §6).
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.0))
    }
}

/// Why a code or a secret was refused. Never holds a code or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// The code does not have the configured number of digits.
    #[error("the code has {actual} characters, {expected} digits expected")]
    CodeLength {
        /// Configured digits.
        expected: u8,
        /// Characters given.
        actual: usize,
    },
    /// A character of the code is not an ASCII digit.
    #[error("character {position} of the code is not a digit")]
    CodeNotDigit {
        /// 1-based position.
        position: usize,
    },
    /// The code matches no time step of the window.
    #[error("the code is wrong or outside the accepted time window")]
    Mismatch,
    /// The code matches a time step already used (RFC 6238 §5.2).
    #[error("the code was already used")]
    Replayed,
    /// The secret is shorter than 128 bits or longer than 1024 bits (RFC 4226 §4, R6).
    #[error("a TOTP secret has 16 to 128 bytes, not {0}")]
    SecretLength(usize),
    /// The period is zero.
    #[error("the TOTP period must be at least one second")]
    Period,
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
}

/// HOTP value (RFC 4226 §5.3): `Truncate(HMAC(K, C)) mod 10^digits`.
pub fn hotp(secret: &TotpSecret, counter: u64, algorithm: TotpAlgorithm, digits: Digits) -> u32 {
    let key = ring::hmac::Key::new(algorithm.hmac(), secret.expose());
    let tag = ring::hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    // Dynamic truncation (RFC 4226 §5.4): offset = low 4 bits of the last byte, then 31 bits.
    let offset = mac.last().map_or(0, |b| usize::from(b & 0x0f));
    let mut word = [0u8; 4];
    if let Some(bytes) = mac.get(offset..offset + 4) {
        word.copy_from_slice(bytes);
    }
    (u32::from_be_bytes(word) & 0x7fff_ffff) % digits.modulus()
}

/// A TOTP generator and verifier for one secret.
#[derive(Debug, Clone)]
pub struct Totp {
    secret: TotpSecret,
    params: TotpParams,
}

impl Totp {
    /// A TOTP over `secret` with `params`.
    pub fn new(secret: TotpSecret, params: TotpParams) -> Result<Self, TotpError> {
        if params.period == 0 {
            return Err(TotpError::Period);
        }
        Ok(Self { secret, params })
    }

    /// The parameters.
    pub fn params(&self) -> TotpParams {
        self.params
    }

    /// The time step `T = floor((t - T0) / X)` with `T0 = 0` (RFC 6238 §4.2); times before the
    /// epoch are step 0.
    pub fn step(&self, t: UnixTime) -> u64 {
        u64::try_from(t.0).unwrap_or(0) / u64::from(self.params.period)
    }

    /// The code of step `step`, zero-padded to the configured digits.
    pub fn code_for_step(&self, step: u64) -> Zeroizing<String> {
        let value = hotp(
            &self.secret,
            step,
            self.params.algorithm,
            self.params.digits,
        );
        Zeroizing::new(format!(
            "{value:0width$}",
            width = usize::from(self.params.digits.get())
        ))
    }

    /// The code at time `t`.
    pub fn code_at(&self, t: UnixTime) -> Zeroizing<String> {
        self.code_for_step(self.step(t))
    }

    /// Checks `code` at time `now`. `last_accepted_step` is the step of the last code accepted
    /// for this secret: a match on it or before it is [`TotpError::Replayed`]. Returns the
    /// matched step, to be stored as the new last accepted step. The comparison is in constant
    /// time; every step of the window is computed whatever matches.
    pub fn verify(
        &self,
        code: &str,
        now: UnixTime,
        last_accepted_step: Option<u64>,
    ) -> Result<u64, TotpError> {
        let expected = self.params.digits.get();
        let actual = code.chars().count();
        if actual != usize::from(expected) {
            return Err(TotpError::CodeLength { expected, actual });
        }
        if let Some(i) = code.chars().position(|c| !c.is_ascii_digit()) {
            return Err(TotpError::CodeNotDigit { position: i + 1 });
        }
        let current = self.step(now);
        let window = u64::from(self.params.window);
        let mut matched: Option<u64> = None;
        for step in current.saturating_sub(window)..=current.saturating_add(window) {
            let candidate = self.code_for_step(step);
            let equal = constant_time_eq(candidate.as_bytes(), code.as_bytes());
            if equal && matched.is_none() {
                matched = Some(step);
            }
        }
        // Several steps can share a code by chance: the replay rule looks at the latest.
        let step = matched.ok_or(TotpError::Mismatch)?;
        match last_accepted_step {
            Some(last) if step <= last => Err(TotpError::Replayed),
            _ => Ok(step),
        }
    }

    /// The enrolment URI `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=...`
    /// (Key Uri Format). Holds the secret: show it once, as text or as a QR code, never log it.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let issuer_enc = percent_encode(issuer);
        Zeroizing::new(format!(
            "otpauth://totp/{issuer_enc}:{account}?secret={secret}&issuer={issuer_enc}&algorithm={alg}&digits={digits}&period={period}",
            account = percent_encode(account),
            secret = self.secret.to_base32().as_str(),
            alg = self.params.algorithm.uri_name(),
            digits = self.params.digits.get(),
            period = self.params.period,
        ))
    }
}

/// Compares without an early exit, so the time taken does not tell how many digits matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Percent-encodes everything but the RFC 3986 §2.3 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_format_errors_name_the_position() {
        let totp = Totp::new(
            TotpSecret::from_bytes(b"12345678901234567890").unwrap(),
            TotpParams::default(),
        )
        .unwrap();
        assert_eq!(
            totp.verify("12a456", UnixTime(59), None),
            Err(TotpError::CodeNotDigit { position: 3 })
        );
        assert_eq!(
            totp.verify("1234567", UnixTime(59), None),
            Err(TotpError::CodeLength {
                expected: 6,
                actual: 7
            })
        );
        assert_eq!(
            totp.verify("12345é", UnixTime(59), None),
            Err(TotpError::CodeNotDigit { position: 6 })
        );
    }
}
