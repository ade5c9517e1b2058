//! The provider's discovery document (OpenID Connect Discovery 1.0 §3), read from PSC's
//! non-standard name (psc.md §1: `/.well-known/wallet-openid-configuration`).
//!
//! The `issuer` member must equal the configured issuer (Discovery §4.3), every endpoint must be
//! `https://`, and with mutual TLS the `mtls_endpoint_aliases` are used (RFC 8705 §5).

use crate::error::{PscError, json_error};
use serde_json::Value;

/// The largest discovery document accepted (bytes).
pub const MAX_DISCOVERY_BYTES: usize = 256 * 1024;

/// The endpoints the client uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `backchannel_authentication_endpoint` (CIBA Core §4).
    pub backchannel_authentication_endpoint: Option<String>,
    /// `introspection_endpoint` (RFC 7662).
    pub introspection_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 7009).
    pub revocation_endpoint: Option<String>,
    /// `end_session_endpoint` (RP-Initiated Logout 1.0).
    pub end_session_endpoint: Option<String>,
    /// `userinfo_endpoint`.
    pub userinfo_endpoint: Option<String>,
}

fn https(field: &'static str, v: Option<&Value>) -> Result<Option<String>, PscError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.starts_with("https://") => Ok(Some(s.clone())),
        Some(_) => Err(PscError::Json {
            document: "discovery",
            reason: format!("{field} is not an https URL"),
        }),
    }
}

impl Discovery {
    /// Reads the document; `issuer` must equal `expected_issuer`; with `mtls`, endpoints listed
    /// in `mtls_endpoint_aliases` replace the plain ones.
    pub fn from_json(bytes: &[u8], expected_issuer: &str, mtls: bool) -> Result<Self, PscError> {
        if bytes.len() > MAX_DISCOVERY_BYTES {
            return Err(PscError::Json {
                document: "discovery",
                reason: format!(
                    "document of {} bytes exceeds {MAX_DISCOVERY_BYTES}",
                    bytes.len()
                ),
            });
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| json_error("discovery", &e))?;
        let obj = doc.as_object().ok_or(PscError::Json {
            document: "discovery",
            reason: "not a JSON object".into(),
        })?;
        let aliases = obj.get("mtls_endpoint_aliases").and_then(Value::as_object);
        let get = |name: &'static str| -> Result<Option<String>, PscError> {
            if mtls && let Some(alias) = aliases.and_then(|a| a.get(name)) {
                return https(name, Some(alias));
            }
            https(name, obj.get(name))
        };
        let required = |name: &'static str| -> Result<String, PscError> {
            get(name)?.ok_or(PscError::Json {
                document: "discovery",
                reason: format!("{name} missing"),
            })
        };
        let issuer = required("issuer")?;
        if issuer != expected_issuer {
            return Err(PscError::Json {
                document: "discovery",
                reason: "issuer differs from the configured issuer (OIDC Discovery §4.3)".into(),
            });
        }
        Ok(Self {
            issuer,
            authorization_endpoint: get("authorization_endpoint")?,
            token_endpoint: required("token_endpoint")?,
            jwks_uri: required("jwks_uri")?,
            backchannel_authentication_endpoint: get("backchannel_authentication_endpoint")?,
            introspection_endpoint: get("introspection_endpoint")?,
            revocation_endpoint: get("revocation_endpoint")?,
            end_session_endpoint: get("end_session_endpoint")?,
            userinfo_endpoint: get("userinfo_endpoint")?,
        })
    }
}
