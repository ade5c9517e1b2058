//! The one secret of an access database: a 256-bit master key, kept outside the database
//! (a key file readable by its owner only, or the vendor's own key store), from which HKDF
//! (RFC 5869) derives
//! - the AES-256-GCM key that encrypts TOTP secrets at rest (NIST SP 800-38D), each sealed with
//!   the user name as associated data so a sealed secret cannot be moved to another account;
//! - the HMAC-SHA-256 key of patient pseudonyms in the audit trail (a keyed hash of the INS or
//!   local identifier: the trail never holds it in clear, and whoever holds the key can resolve
//!   a pseudonym by recomputing it).
//!
//! Keys are zeroized on drop and never shown by `Debug`.

use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Length of the master key.
pub const MASTER_KEY_BYTES: usize = 32;

/// Why a key could not be made, read or used. Never holds key bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file cannot be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file does not hold exactly 32 bytes.
    #[error("key file {path}: {actual} bytes, 32 expected")]
    Length {
        /// The file.
        path: String,
        /// Its length.
        actual: u64,
    },
    /// The key file can be read by its group or by others.
    #[error("key file {path}: mode {mode:o} lets others read it; 0600 expected")]
    Permissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
    /// A sealed value was altered, belongs to another record or another key.
    #[error("a sealed secret does not open with this key (altered, moved or another key)")]
    Open,
    /// A sealed value is too short to hold a nonce and a tag.
    #[error("a sealed secret of {0} bytes is truncated")]
    Truncated(usize),
}

/// The master key.
pub struct MasterKey(Zeroizing<[u8; MASTER_KEY_BYTES]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A new random key from the system random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; MASTER_KEY_BYTES]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), bytes.as_mut())
            .map_err(|_| KeyError::Random)?;
        Ok(Self(bytes))
    }

    /// A key from its 32 bytes (from the vendor's key store).
    pub fn from_bytes(bytes: [u8; MASTER_KEY_BYTES]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Reads a key file: exactly 32 bytes, and on Unix no permission for group or others.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let name = path.display().to_string();
        let io = |source| KeyError::Io {
            path: name.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Permissions { path: name, mode });
            }
        }
        if meta.len() != MASTER_KEY_BYTES as u64 {
            return Err(KeyError::Length {
                path: name,
                actual: meta.len(),
            });
        }
        let bytes = Zeroizing::new(std::fs::read(path).map_err(io)?);
        let mut key = Zeroizing::new([0u8; MASTER_KEY_BYTES]);
        if bytes.len() != MASTER_KEY_BYTES {
            return Err(KeyError::Length {
                path: name,
                actual: bytes.len() as u64,
            });
        }
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }

    /// Writes a new key file, created with mode 0600; an existing file is never overwritten.
    pub fn create_file(&self, path: &Path) -> Result<(), KeyError> {
        let name = path.display().to_string();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|source| KeyError::Io {
            path: name.clone(),
            source,
        })?;
        file.write_all(self.0.as_ref())
            .and_then(|()| file.sync_all())
            .map_err(|source| KeyError::Io { path: name, source })
    }

    fn derive(&self, label: &'static [u8]) -> Zeroizing<[u8; 32]> {
        struct Len32;
        impl ring::hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"segur-access");
        let prk = salt.extract(self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        let info = [label];
        // HKDF-Expand to 32 bytes cannot fail (the limit is 255 * 32 bytes).
        if let Ok(okm) = prk.expand(&info, Len32) {
            let _ = okm.fill(out.as_mut());
        }
        out
    }

    /// The key that seals secrets at rest.
    pub fn secret_box(&self) -> SecretBox {
        let key = self.derive(b"totp secrets at rest");
        SecretBox {
            key: Zeroizing::new(*key),
        }
    }

    /// The key of patient pseudonyms.
    pub fn pseudonymizer(&self) -> Pseudonymizer {
        let key = self.derive(b"patient pseudonyms");
        Pseudonymizer {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_ref()),
        }
    }
}

/// AES-256-GCM sealing of small secrets: `nonce (12 bytes) || ciphertext || tag (16 bytes)`.
pub struct SecretBox {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    fn aead(&self) -> Result<ring::aead::LessSafeKey, KeyError> {
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, self.key.as_ref())
            .map(ring::aead::LessSafeKey::new)
            .map_err(|_| KeyError::Open)
    }

    /// Seals `plaintext`, bound to `context` (authenticated, not encrypted). The nonce is
    /// random: 96 bits, safe for far more secrets than an officine will ever seal.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; ring::aead::NONCE_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| KeyError::Random)?;
        let mut buffer = plaintext.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(context),
                &mut buffer,
            )
            .map_err(|_| KeyError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        Ok(out)
    }

    /// Opens what [`seal`](Self::seal) made with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let min = ring::aead::NONCE_LEN + ring::aead::AES_256_GCM.tag_len();
        if sealed.len() < min {
            return Err(KeyError::Truncated(sealed.len()));
        }
        let (nonce, body) = sealed.split_at(ring::aead::NONCE_LEN);
        let nonce =
            ring::aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Open)?;
        let mut buffer = Zeroizing::new(body.to_vec());
        let len = self
            .aead()?
            .open_in_place(nonce, ring::aead::Aad::from(context), buffer.as_mut_slice())
            .map_err(|_| KeyError::Open)?
            .len();
        buffer.truncate(len);
        Ok(buffer)
    }
}

/// Keyed hashes of patient identifiers (HMAC-SHA-256, RFC 2104).
pub struct Pseudonymizer {
    key: ring::hmac::Key,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(..)")
    }
}

/// A patient pseudonym: 64 lowercase hexadecimal digits of HMAC-SHA-256(key, identifier).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PatientRef(String);

impl PatientRef {
    /// The hexadecimal form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A pseudonym read back from storage: 64 lowercase hexadecimal digits.
    pub fn from_stored(hex: &str) -> Option<Self> {
        (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(hex.to_owned()))
    }
}

impl Pseudonymizer {
    /// The pseudonym of a patient identifier (an INS, a local patient number). The identifier
    /// is trimmed of surrounding white space so the same patient always gets the same value.
    pub fn pseudonym(&self, identifier: &str) -> PatientRef {
        let tag = ring::hmac::sign(&self.key, identifier.trim().as_bytes());
        PatientRef(hex(tag.as_ref()))
    }
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}
