//! JSON Web Key Sets (RFC 7517) of the provider, and their cache with rotation.
//!
//! [`JwkSet::from_json`] reads RSA (`n`, `e`) and P-256 (`x`, `y`) keys. Keys of another type
//! (`oct`, `OKP`, other curves) and encryption keys (`use: enc`) are skipped, as RFC 7517 §5
//! asks of keys an implementation does not support; they are counted in
//! [`JwkSet::skipped`], never silently merged.
//!
//! [`JwksCache`] fetches the set once, and on an unknown `kid` fetches it again once, at most
//! once per [`JwksCache::min_refetch_interval`] (psc.md §5.6, after KC `verify()`): a flood of
//! tokens with made-up `kid`s cannot make the client hammer the provider.

use crate::error::{PscError, json_error};
use crate::jwt::{JwsAlg, JwtError};
use base64::Engine as _;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The largest JWKS document accepted (bytes).
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
/// The most keys kept from one document.
pub const MAX_KEYS: usize = 64;

/// A public key usable for signature verification.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA modulus and exponent, big-endian (RFC 7518 §6.3.1).
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// A P-256 point in uncompressed form `04 || x || y` (RFC 7518 §6.2.1).
    P256 {
        /// The 65-byte point.
        point: Vec<u8>,
    },
}

/// One verification key.
#[derive(Clone, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`, when present.
    pub kid: Option<String>,
    /// `alg`, when present and one of ours.
    pub alg: Option<JwsAlg>,
    /// The key.
    pub key: PublicKey,
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field(
                "kty",
                &match self.key {
                    PublicKey::Rsa { .. } => "RSA",
                    PublicKey::P256 { .. } => "EC P-256",
                },
            )
            .finish()
    }
}

/// Where a verifier finds the key of a token.
pub trait KeySource: Send + Sync {
    /// The key with this `kid` suitable for `alg` (the only key of that type when the token
    /// has no `kid`).
    fn key(&self, kid: Option<&str>, alg: JwsAlg) -> Result<Jwk, JwtError>;
}

/// A key set read from a JWKS document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwkSet {
    keys: Vec<Jwk>,
    skipped: usize,
}

fn jwks_err(reason: String) -> PscError {
    PscError::Json {
        document: "JWKS",
        reason,
    }
}

fn member<'a>(
    obj: &'a serde_json::Map<String, Value>,
    name: &str,
    index: usize,
) -> Result<&'a str, PscError> {
    obj.get(name).and_then(Value::as_str).ok_or_else(|| {
        jwks_err(format!(
            "key {index}: member {name} missing or not a string"
        ))
    })
}

fn b64u(text: &str, name: &str, index: usize) -> Result<Vec<u8>, PscError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| jwks_err(format!("key {index}: member {name} is not base64url")))
}

impl JwkSet {
    /// Reads a JWKS document (`{"keys": [...]}`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, PscError> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(jwks_err(format!(
                "document of {} bytes exceeds {MAX_JWKS_BYTES}",
                bytes.len()
            )));
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| json_error("JWKS", &e))?;
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| jwks_err("no keys array".into()))?;
        if list.len() > MAX_KEYS {
            return Err(jwks_err(format!(
                "{} keys, more than {MAX_KEYS}",
                list.len()
            )));
        }
        let mut set = JwkSet::default();
        for (index, item) in list.iter().enumerate() {
            let obj = item
                .as_object()
                .ok_or_else(|| jwks_err(format!("key {index}: not an object")))?;
            if obj.get("use").and_then(Value::as_str) == Some("enc") {
                set.skipped += 1;
                continue;
            }
            let kid = match obj.get("kid") {
                None => None,
                Some(Value::String(k)) => Some(k.clone()),
                Some(_) => return Err(jwks_err(format!("key {index}: kid is not a string"))),
            };
            let alg = match obj.get("alg").and_then(Value::as_str) {
                None => None,
                Some(a) => match JwsAlg::from_name(a) {
                    Some(a) => Some(a),
                    // A key restricted to an algorithm we refuse (HS256, RS512...) is not ours.
                    None => {
                        set.skipped += 1;
                        continue;
                    }
                },
            };
            let key = match member(obj, "kty", index)? {
                "RSA" => {
                    let n = b64u(member(obj, "n", index)?, "n", index)?;
                    let e = b64u(member(obj, "e", index)?, "e", index)?;
                    if n.len() < 256 {
                        return Err(jwks_err(format!(
                            "key {index}: RSA modulus under 2048 bits"
                        )));
                    }
                    PublicKey::Rsa { n, e }
                }
                "EC" if obj.get("crv").and_then(Value::as_str) == Some("P-256") => {
                    let x = b64u(member(obj, "x", index)?, "x", index)?;
                    let y = b64u(member(obj, "y", index)?, "y", index)?;
                    if x.len() != 32 || y.len() != 32 {
                        return Err(jwks_err(format!(
                            "key {index}: P-256 coordinates not 32 bytes"
                        )));
                    }
                    let mut point = Vec::with_capacity(65);
                    point.push(4);
                    point.extend_from_slice(&x);
                    point.extend_from_slice(&y);
                    PublicKey::P256 { point }
                }
                _ => {
                    set.skipped += 1;
                    continue;
                }
            };
            set.keys.push(Jwk { kid, alg, key });
        }
        Ok(set)
    }

    /// The verification keys kept.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// How many keys of the document were skipped (unsupported type or algorithm, `use: enc`).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    fn find(&self, kid: Option<&str>, alg: JwsAlg) -> Option<&Jwk> {
        let fits = |k: &&Jwk| {
            matches!(
                (&k.key, alg),
                (PublicKey::Rsa { .. }, JwsAlg::RS256 | JwsAlg::PS256)
                    | (PublicKey::P256 { .. }, JwsAlg::ES256)
            )
        };
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let mut candidates = self.keys.iter().filter(fits);
                let first = candidates.next();
                // Without kid, only an unambiguous key is used.
                if candidates.next().is_some() {
                    None
                } else {
                    first
                }
            }
        }
    }
}

fn unknown(kid: Option<&str>) -> JwtError {
    JwtError::UnknownKey {
        kid: kid.map(|k| crate::error::sanitize(k, 64)),
    }
}

impl KeySource for JwkSet {
    fn key(&self, kid: Option<&str>, alg: JwsAlg) -> Result<Jwk, JwtError> {
        self.find(kid, alg).cloned().ok_or_else(|| unknown(kid))
    }
}

/// How the cache gets a fresh document.
pub type JwksFetcher = Box<dyn Fn() -> Result<JwkSet, PscError> + Send + Sync>;

/// A JWKS fetched on first use and refetched on an unknown `kid`, rate limited.
pub struct JwksCache {
    fetch: JwksFetcher,
    min_refetch_interval: Duration,
    state: Mutex<CacheState>,
}

struct CacheState {
    set: Option<Arc<JwkSet>>,
    fetched_at: Option<Instant>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("min_refetch_interval", &self.min_refetch_interval)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// The default minimum time between two fetches triggered by unknown `kid`s.
    pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

    /// A cache over `fetch`, refetching at most once per `min_refetch_interval`.
    pub fn new(fetch: JwksFetcher, min_refetch_interval: Duration) -> Self {
        Self {
            fetch,
            min_refetch_interval,
            state: Mutex::new(CacheState {
                set: None,
                fetched_at: None,
            }),
        }
    }

    /// The minimum time between two fetches.
    pub fn min_refetch_interval(&self) -> Duration {
        self.min_refetch_interval
    }

    /// The current set, fetched when none was yet.
    pub fn current(&self) -> Result<Arc<JwkSet>, PscError> {
        let mut state = self.state.lock().map_err(|_| PscError::Poisoned)?;
        if let Some(set) = &state.set {
            return Ok(set.clone());
        }
        let set = Arc::new((self.fetch)()?);
        state.set = Some(set.clone());
        state.fetched_at = Some(Instant::now());
        Ok(set)
    }

    fn refetch(&self) -> Result<Option<Arc<JwkSet>>, PscError> {
        let mut state = self.state.lock().map_err(|_| PscError::Poisoned)?;
        if state
            .fetched_at
            .is_some_and(|t| t.elapsed() < self.min_refetch_interval)
        {
            return Ok(None);
        }
        let set = Arc::new((self.fetch)()?);
        state.set = Some(set.clone());
        state.fetched_at = Some(Instant::now());
        Ok(Some(set))
    }
}

impl KeySource for JwksCache {
    fn key(&self, kid: Option<&str>, alg: JwsAlg) -> Result<Jwk, JwtError> {
        let fetch_failed = |_| JwtError::UnknownKey {
            kid: kid.map(|k| crate::error::sanitize(k, 64)),
        };
        let set = self.current().map_err(fetch_failed)?;
        if let Some(k) = set.find(kid, alg) {
            return Ok(k.clone());
        }
        match self.refetch().map_err(fetch_failed)? {
            Some(fresh) => fresh.key(kid, alg),
            None => Err(unknown(kid)),
        }
    }
}
