//! Compact JWS reading (RFC 7515 §7.1) and JWT verification (RFC 7519, OpenID Connect Core
//! §3.1.3.7) of the tokens Pro Santé Connect issues.
//!
//! - [`Jws::parse`] reads the three parts with a size limit, in one pass, and names the part and
//!   the byte position of what is wrong. Five parts (a JWE) are refused: encrypted ID tokens are
//!   not supported (psc.md §5.6; KC decrypts them, PSC's default is TO VERIFY).
//! - [`Jws::verify_signature`] checks the algorithm against an allow-list before choosing a key:
//!   `none` and every `HS*` are refused, so a token "signed" with the RSA public key as an HMAC
//!   secret never reaches a MAC check (RFC 8725 §2.1, §3.1). The key must be of the algorithm's
//!   type (RFC 8725 §3.1), chosen by `kid` (psc.md §5.6).
//! - [`Validation::check`] checks `iss`, `aud`/`azp`, `exp`/`nbf`/`iat` with a bounded skew,
//!   `nonce` and `acr` (psc.md §5.1: `eidas1`).

use crate::jwks::{Jwk, KeySource, PublicKey};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The largest token accepted, in bytes (PSC tokens are about 2 KB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A JWS algorithm this crate verifies (RFC 7518 §3). HMAC and `none` are deliberately absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    RS256,
    /// RSASSA-PSS with SHA-256 (RFC 7518 §3.5).
    PS256,
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    ES256,
}

impl JwsAlg {
    /// The algorithms accepted by default (psc.md §5.6: "accept RS256/PS256/ES256 from JWKS").
    pub const DEFAULT_ALLOWED: [JwsAlg; 3] = [JwsAlg::RS256, JwsAlg::PS256, JwsAlg::ES256];

    /// The algorithm of an `alg` header value, when it is one of ours.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::RS256),
            "PS256" => Some(Self::PS256),
            "ES256" => Some(Self::ES256),
            _ => None,
        }
    }
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
        }
    }
}

/// A part of a compact JWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The protected header.
    Header,
    /// The payload (the claims).
    Payload,
    /// The signature.
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token was refused. Never carries the token or a claim value of the professional.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// The token is longer than [`MAX_TOKEN_BYTES`].
    #[error("token of {len} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Not three dot-separated parts (RFC 7515 §7.1); five parts is a JWE.
    #[error("not a compact JWS: {reason} (byte {position})")]
    Structure {
        /// What is wrong.
        reason: &'static str,
        /// Byte offset in the token.
        position: usize,
    },
    /// A part is not base64url without padding (RFC 7515 §2).
    #[error("{part}: not base64url at byte {position} of the token")]
    Base64 {
        /// Which part.
        part: Part,
        /// Byte offset in the token.
        position: usize,
    },
    /// The header or payload is not a JSON object.
    #[error("{part}: {reason}")]
    Json {
        /// Which part.
        part: Part,
        /// What is wrong (syntax position or shape).
        reason: String,
    },
    /// The header is not acceptable (no `alg`, a `crit` extension we do not understand).
    #[error("header: {0}")]
    Header(&'static str),
    /// The algorithm is not in the allow-list (`none`, `HS256`, ... are never in it).
    #[error("algorithm {alg:?} is not allowed (RFC 8725 §3.1)")]
    AlgorithmRefused {
        /// The `alg` value, escaped, at most 16 characters.
        alg: String,
    },
    /// No key of the JWKS has this `kid` (after one refetch, when allowed).
    #[error("no key with kid {kid:?} in the JWKS")]
    UnknownKey {
        /// The `kid` value, escaped, at most 64 characters.
        kid: Option<String>,
    },
    /// The key chosen by `kid` is not of the algorithm's type, or declares another `alg`.
    #[error("the key does not match the algorithm {alg}")]
    KeyMismatch {
        /// The header's algorithm.
        alg: &'static str,
    },
    /// The signature does not verify.
    #[error("signature: does not verify with the key")]
    BadSignature,
    /// A claim is missing or wrong.
    #[error("claim {claim}: {reason}")]
    Claim {
        /// The claim name.
        claim: &'static str,
        /// What is wrong (never the value).
        reason: &'static str,
    },
    /// `exp` is in the past beyond the allowed skew.
    #[error("expired {seconds} s ago (skew allowed {skew} s)")]
    Expired {
        /// Seconds since `exp`.
        seconds: u64,
        /// The skew bound.
        skew: u64,
    },
    /// `nbf` or `iat` is in the future beyond the allowed skew.
    #[error("{claim} is {seconds} s in the future (skew allowed {skew} s)")]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// Seconds ahead.
        seconds: u64,
        /// The skew bound.
        skew: u64,
    },
}

/// The protected header members this crate reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `alg` as sent.
    pub alg: String,
    /// `kid`, when present.
    pub kid: Option<String>,
    /// `typ`, when present.
    pub typ: Option<String>,
}

/// A compact JWS read but not yet verified.
#[derive(Clone)]
pub struct Jws {
    header: Header,
    signing_input: Vec<u8>,
    payload: Map<String, Value>,
    signature: Vec<u8>,
}

impl std::fmt::Debug for Jws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jws")
            .field("alg", &self.header.alg)
            .field("kid", &self.header.kid)
            .finish_non_exhaustive()
    }
}

fn b64(part: Part, text: &[u8], offset: usize) -> Result<Vec<u8>, JwtError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| JwtError::Base64 {
            part,
            position: offset
                + match e {
                    base64::DecodeError::InvalidByte(p, _)
                    | base64::DecodeError::InvalidLastSymbol(p, _) => p,
                    _ => text.len(),
                },
        })
}

fn json_object(part: Part, bytes: &[u8]) -> Result<Map<String, Value>, JwtError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JwtError::Json {
            part,
            reason: "not a JSON object".into(),
        }),
        Err(e) => Err(JwtError::Json {
            part,
            reason: format!("invalid JSON at line {} column {}", e.line(), e.column()),
        }),
    }
}

/// Escapes and shortens server text shown in an error.
fn shown(text: &str, max: usize) -> String {
    crate::error::sanitize(text, max)
}

impl Jws {
    /// Reads a compact JWS: three base64url parts, a JSON object header with `alg`, a JSON
    /// object payload. Linear in the token; refuses more than [`MAX_TOKEN_BYTES`].
    pub fn parse(token: &str) -> Result<Self, JwtError> {
        let bytes = token.as_bytes();
        if bytes.len() > MAX_TOKEN_BYTES {
            return Err(JwtError::TooLarge {
                len: bytes.len(),
                limit: MAX_TOKEN_BYTES,
            });
        }
        let dots: Vec<usize> = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'.')
            .map(|(i, _)| i)
            .take(5)
            .collect();
        let (d1, d2) = match dots.as_slice() {
            [a, b] => (*a, *b),
            [_, _, _, _] => {
                return Err(JwtError::Structure {
                    reason: "five parts: an encrypted token (JWE) is not supported",
                    position: 0,
                });
            }
            [] | [_] => {
                return Err(JwtError::Structure {
                    reason: "fewer than three parts",
                    position: bytes.len(),
                });
            }
            [_, _, third, ..] => {
                return Err(JwtError::Structure {
                    reason: "more than three parts",
                    position: *third,
                });
            }
        };
        let part = |from: usize, to: usize| bytes.get(from..to).unwrap_or_default();
        let header_bytes = b64(Part::Header, part(0, d1), 0)?;
        let payload_bytes = b64(Part::Payload, part(d1 + 1, d2), d1 + 1)?;
        let signature = b64(Part::Signature, part(d2 + 1, bytes.len()), d2 + 1)?;
        let header_map = json_object(Part::Header, &header_bytes)?;
        let alg = match header_map.get("alg") {
            Some(Value::String(a)) => a.clone(),
            Some(_) => return Err(JwtError::Header("alg is not a string")),
            None => return Err(JwtError::Header("no alg")),
        };
        if header_map.contains_key("crit") {
            // RFC 7515 §4.1.11: an extension we do not understand makes the JWS invalid.
            return Err(JwtError::Header("crit extensions are not supported"));
        }
        let opt_str = |name: &'static str| -> Result<Option<String>, JwtError> {
            match header_map.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(JwtError::Header(match name {
                    "kid" => "kid is not a string",
                    _ => "typ is not a string",
                })),
            }
        };
        let header = Header {
            alg,
            kid: opt_str("kid")?,
            typ: opt_str("typ")?,
        };
        let payload = json_object(Part::Payload, &payload_bytes)?;
        Ok(Self {
            header,
            signing_input: part(0, d2).to_vec(),
            payload,
            signature,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The claims, not yet verified.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.payload
    }

    /// Checks the algorithm against `allowed`, chooses the key by `kid` in `keys`, and verifies
    /// the signature.
    pub fn verify_signature(
        &self,
        keys: &dyn KeySource,
        allowed: &[JwsAlg],
    ) -> Result<(), JwtError> {
        let alg = JwsAlg::from_name(&self.header.alg)
            .filter(|a| allowed.contains(a))
            .ok_or_else(|| JwtError::AlgorithmRefused {
                alg: shown(&self.header.alg, 16),
            })?;
        let key = keys.key(self.header.kid.as_deref(), alg)?;
        verify_with(&key, alg, &self.signing_input, &self.signature)
    }
}

/// Verifies `signature` over `input` with `key` for `alg` (ring).
pub fn verify_with(key: &Jwk, alg: JwsAlg, input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    use ring::signature as sig;
    if key.alg.is_some_and(|a| a != alg) {
        return Err(JwtError::KeyMismatch { alg: alg.name() });
    }
    let result =
        match (&key.key, alg) {
            (PublicKey::Rsa { n, e }, JwsAlg::RS256) => sig::RsaPublicKeyComponents { n, e }
                .verify(&sig::RSA_PKCS1_2048_8192_SHA256, input, signature),
            (PublicKey::Rsa { n, e }, JwsAlg::PS256) => sig::RsaPublicKeyComponents { n, e }
                .verify(&sig::RSA_PSS_2048_8192_SHA256, input, signature),
            (PublicKey::P256 { point }, JwsAlg::ES256) => {
                sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point)
                    .verify(input, signature)
            }
            _ => return Err(JwtError::KeyMismatch { alg: alg.name() }),
        };
    result.map_err(|_| JwtError::BadSignature)
}

/// What the claims of a token must satisfy.
#[derive(Clone, Debug)]
pub struct Validation {
    /// The expected `iss` (exact match, OIDC Core §3.1.3.7 item 2).
    pub issuer: String,
    /// The expected audience: the client id for an ID token (item 3).
    pub audience: String,
    /// The clock skew tolerated on `exp`, `nbf` and `iat`.
    pub skew: Duration,
    /// The `nonce` sent in the request, when one was (item 11).
    pub nonce: Option<String>,
    /// Accepted `acr` values; empty accepts any (psc.md §5.1: default `{eidas1}`).
    pub accepted_acr: Vec<String>,
    /// Whether `iat` is required (ID tokens: yes).
    pub require_iat: bool,
}

fn epoch(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn numeric(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<i64>, JwtError> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(JwtError::Claim {
                claim,
                reason: "not a NumericDate",
            }),
        Some(_) => Err(JwtError::Claim {
            claim,
            reason: "not a NumericDate",
        }),
    }
}

fn string<'a>(
    claims: &'a Map<String, Value>,
    claim: &'static str,
) -> Result<Option<&'a str>, JwtError> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwtError::Claim {
            claim,
            reason: "not a string",
        }),
    }
}

impl Validation {
    /// Checks the claims at instant `now`; returns the expiry instant (`exp`).
    pub fn check(
        &self,
        claims: &Map<String, Value>,
        now: SystemTime,
    ) -> Result<SystemTime, JwtError> {
        let skew = i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX);
        let now_s = epoch(now);
        match string(claims, "iss")? {
            Some(iss) if iss == self.issuer => {}
            Some(_) => {
                return Err(JwtError::Claim {
                    claim: "iss",
                    reason: "not the configured issuer",
                });
            }
            None => {
                return Err(JwtError::Claim {
                    claim: "iss",
                    reason: "missing",
                });
            }
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            Some(_) => {
                return Err(JwtError::Claim {
                    claim: "aud",
                    reason: "not a string or an array of strings",
                });
            }
            None => {
                return Err(JwtError::Claim {
                    claim: "aud",
                    reason: "missing",
                });
            }
        };
        if !audiences.contains(&self.audience.as_str()) {
            return Err(JwtError::Claim {
                claim: "aud",
                reason: "does not contain the expected audience",
            });
        }
        // OIDC Core §3.1.3.7 items 4-5: several audiences need azp, which must be us.
        match string(claims, "azp")? {
            Some(azp) if azp != self.audience => {
                return Err(JwtError::Claim {
                    claim: "azp",
                    reason: "not the client id",
                });
            }
            None if audiences.len() > 1 => {
                return Err(JwtError::Claim {
                    claim: "azp",
                    reason: "missing with several audiences",
                });
            }
            _ => {}
        }
        let exp = numeric(claims, "exp")?.ok_or(JwtError::Claim {
            claim: "exp",
            reason: "missing",
        })?;
        if now_s.saturating_sub(skew) >= exp {
            return Err(JwtError::Expired {
                seconds: now_s.saturating_sub(exp).unsigned_abs(),
                skew: self.skew.as_secs(),
            });
        }
        for claim in ["nbf", "iat"] {
            let value = numeric(claims, claim)?;
            if claim == "iat" && value.is_none() && self.require_iat {
                return Err(JwtError::Claim {
                    claim: "iat",
                    reason: "missing",
                });
            }
            if let Some(t) = value
                && t > now_s.saturating_add(skew)
            {
                return Err(JwtError::NotYetValid {
                    claim,
                    seconds: t.saturating_sub(now_s).unsigned_abs(),
                    skew: self.skew.as_secs(),
                });
            }
        }
        if let Some(expected) = &self.nonce {
            match string(claims, "nonce")? {
                Some(n) if constant_time_eq(n.as_bytes(), expected.as_bytes()) => {}
                Some(_) => {
                    return Err(JwtError::Claim {
                        claim: "nonce",
                        reason: "does not match the request's nonce",
                    });
                }
                None => {
                    return Err(JwtError::Claim {
                        claim: "nonce",
                        reason: "missing",
                    });
                }
            }
        }
        if !self.accepted_acr.is_empty() {
            match string(claims, "acr")? {
                Some(acr) if self.accepted_acr.iter().any(|a| a == acr) => {}
                Some(_) => {
                    return Err(JwtError::Claim {
                        claim: "acr",
                        reason: "level of assurance not accepted (eidas1 expected)",
                    });
                }
                None => {
                    return Err(JwtError::Claim {
                        claim: "acr",
                        reason: "missing",
                    });
                }
            }
        }
        Ok(UNIX_EPOCH + Duration::from_secs(u64::try_from(exp).unwrap_or(0)))
    }
}

/// Byte comparison whose time does not depend on where the inputs differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads, verifies and validates a token in one call: what the client does with an ID token.
pub fn verify(
    token: &str,
    keys: &dyn KeySource,
    allowed: &[JwsAlg],
    validation: &Validation,
    now: SystemTime,
) -> Result<(Map<String, Value>, SystemTime), JwtError> {
    let jws = Jws::parse(token)?;
    jws.verify_signature(keys, allowed)?;
    let expires = validation.check(&jws.payload, now)?;
    Ok((jws.payload, expires))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(v: &Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn parse_errors_name_the_part_and_position() {
        assert_eq!(
            Jws::parse("abc").unwrap_err(),
            JwtError::Structure {
                reason: "fewer than three parts",
                position: 3
            }
        );
        assert!(matches!(
            Jws::parse("a.b.c.d.e").unwrap_err(),
            JwtError::Structure { position: 0, .. }
        ));
        assert_eq!(
            Jws::parse("a.b.c.d").unwrap_err(),
            JwtError::Structure {
                reason: "more than three parts",
                position: 5
            }
        );
        let header = b64(&json!({"alg": "RS256"}));
        let bad = format!("{header}.e3*.AA");
        assert_eq!(
            Jws::parse(&bad).unwrap_err(),
            JwtError::Base64 {
                part: Part::Payload,
                position: header.len() + 3
            }
        );
        let no_alg = format!("{}.e30.AA", b64(&json!({"kid": "x"})));
        assert_eq!(Jws::parse(&no_alg).unwrap_err(), JwtError::Header("no alg"));
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(
            Jws::parse(&long).unwrap_err(),
            JwtError::TooLarge { .. }
        ));
        // Multibyte text never splits a character: the error names a byte offset.
        assert!(matches!(
            Jws::parse("é.é.é").unwrap_err(),
            JwtError::Base64 {
                part: Part::Header,
                position: 0
            }
        ));
    }

    fn validation() -> Validation {
        Validation {
            issuer: "https://i".into(),
            audience: "c".into(),
            skew: Duration::from_secs(60),
            nonce: None,
            accepted_acr: vec!["eidas1".into()],
            require_iat: true,
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn audiences_and_azp() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let base = json!({"iss": "https://i", "exp": 1_000_100, "iat": 1_000_000, "acr": "eidas1"});
        let with = |aud: Value, azp: Option<&str>| {
            let mut c = claims(base.clone());
            c.insert("aud".into(), aud);
            if let Some(a) = azp {
                c.insert("azp".into(), json!(a));
            }
            validation().check(&c, now)
        };
        assert!(with(json!("c"), None).is_ok());
        assert!(with(json!(["c", "x"]), Some("c")).is_ok());
        assert_eq!(
            with(json!(["c", "x"]), None).unwrap_err(),
            JwtError::Claim {
                claim: "azp",
                reason: "missing with several audiences"
            }
        );
        assert!(with(json!("c"), Some("x")).is_err());
        assert!(with(json!(["x"]), None).is_err());
        assert!(with(json!(5), None).is_err());
        let mut c = claims(base);
        c.insert("aud".into(), json!("c"));
        c.remove("iat");
        assert_eq!(
            validation().check(&c, now).unwrap_err(),
            JwtError::Claim {
                claim: "iat",
                reason: "missing"
            }
        );
    }
}
