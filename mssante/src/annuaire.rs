//! Annuaire Santé FHIR client: MSSanté addresses of professionals and structures (spec §3.2).
//!
//! Searches `Practitioner` by RPPS identifier or by name, follows `next` links, filters the
//! mailbox type on the client side (the server does not expose `mailbox-mss-type`), and backs
//! off on `429` / `502` / `503` / `504` (1,000 requests per minute, ANS issues #405/#406).
//!
//! Requests go through the SDK's one HTTPS client, [`segur_net::http`]: 10 s to connect, 30 s
//! per exchange, answers of at most 16 MiB ([`HttpLimits::default`]).

use crate::tls::TlsSettings;
use crate::{AnnuaireError, MssError};
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use std::time::Duration;
use zeroize::Zeroizing;

/// Production base URL of the v2 API.
pub const PRODUCTION_V2: &str = "https://gateway.api.esante.gouv.fr/fhir/v2";

/// Mailbox (BAL) types, `TRE_R257-TypeBAL` (spec §1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum MailboxType {
    /// `PER`: personal.
    Personal,
    /// `ORG`: organisational.
    Organisational,
    /// `APP`: applicative.
    Applicative,
    /// `CAB`: cabinet.
    Cabinet,
}

impl MailboxType {
    fn from_code(code: &str) -> Option<Self> {
        match code {
            "PER" => Some(Self::Personal),
            "ORG" => Some(Self::Organisational),
            "APP" => Some(Self::Applicative),
            "CAB" => Some(Self::Cabinet),
            _ => None,
        }
    }
}

/// An MSSanté mailbox found in the directory.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryMailbox {
    /// The address.
    pub address: String,
    /// Its type, when given.
    pub kind: Option<MailboxType>,
    /// `listeRouge`: not to be shown publicly.
    pub red_list: bool,
    /// Description, when given.
    pub description: Option<String>,
    /// FHIR resource type and id it was found on.
    pub resource: String,
    /// Family and given names of the practitioner, when given.
    pub name: Option<String>,
}

/// Annuaire Santé client (blocking).
pub struct AnnuaireClient {
    base: String,
    api_key: Zeroizing<String>,
    http: HttpClient,
    page_size: u16,
    max_pages: usize,
    max_retries: u32,
    backoff: Duration,
}

impl std::fmt::Debug for AnnuaireClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnnuaireClient")
            .field("base", &self.base)
            .finish()
    }
}

/// Search criteria.
#[derive(Clone, Debug)]
pub enum Search<'a> {
    /// By RPPS (11 digits): `identifier=8<RPPS>` (national id form).
    Rpps(&'a segur_ins::Rpps),
    /// By family name (and given name).
    Name {
        /// Family name.
        family: &'a str,
        /// Given name.
        given: Option<&'a str>,
    },
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl AnnuaireClient {
    /// A client for `base` (e.g. [`PRODUCTION_V2`]) with the `ESANTE-API-KEY`.
    pub fn new(base: &str, api_key: &str, tls: &TlsSettings) -> Result<Self, MssError> {
        if !base.starts_with("https://") {
            return Err(AnnuaireError::NotHttps.into());
        }
        if api_key.is_empty() || api_key.chars().any(|c| c.is_control()) {
            return Err(AnnuaireError::InvalidApiKey.into());
        }
        let http = HttpClient::with_config(tls.client_config(), HttpLimits::default());
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            api_key: Zeroizing::new(api_key.to_owned()),
            http,
            page_size: 100,
            max_pages: 50,
            max_retries: 5,
            backoff: Duration::from_millis(500),
        })
    }
    /// Page size (`_count`, at most 200 as ANS recommends).
    pub fn page_size(mut self, n: u16) -> Self {
        self.page_size = n.clamp(1, 200);
        self
    }
    /// Retries on 429/5xx and the first back-off delay (doubled each time, or `Retry-After`).
    pub fn retries(mut self, max: u32, first_backoff: Duration) -> Self {
        self.max_retries = max;
        self.backoff = first_backoff;
        self
    }

    fn get(&self, url: &str) -> Result<serde_json::Value, MssError> {
        let mut delay = self.backoff;
        for attempt in 0..=self.max_retries {
            let resp = self.http.get_with_headers(
                url,
                "application/fhir+json",
                &[("ESANTE-API-KEY", self.api_key.as_str())],
            );
            match resp {
                Ok(r) => {
                    return serde_json::from_slice(&r.body).map_err(|e| {
                        AnnuaireError::Json {
                            line: e.line(),
                            column: e.column(),
                        }
                        .into()
                    });
                }
                Err(HttpError::Status { code, response })
                    if matches!(code, 429 | 502 | 503 | 504) && attempt < self.max_retries =>
                {
                    let wait = response
                        .retry_after
                        .map(|d| d.min(Duration::from_secs(60)))
                        .unwrap_or(delay);
                    std::thread::sleep(wait);
                    delay = delay.saturating_mul(2);
                }
                Err(HttpError::Status { code, .. }) => {
                    return Err(AnnuaireError::Status(code).into());
                }
                Err(HttpError::Tls(tls)) => return Err(AnnuaireError::Tls(tls).into()),
                Err(e) => {
                    // Connection, time-out, size limit: HttpError's text names no URL and
                    // no body.
                    return Err(AnnuaireError::Transport(e.to_string()).into());
                }
            }
        }
        Err(AnnuaireError::TooManyRetries.into())
    }

    /// MSSanté mailboxes of the practitioners matching `search`, keeping only `kinds` (all when
    /// empty).
    pub fn mailboxes(
        &self,
        search: &Search<'_>,
        kinds: &[MailboxType],
    ) -> Result<Vec<DirectoryMailbox>, MssError> {
        let query = match search {
            Search::Rpps(rpps) => format!(
                "identifier={}",
                enc(&format!(
                    "urn:oid:{}|{}",
                    rpps.national_id().root,
                    rpps.national_id().extension
                ))
            ),
            Search::Name { family, given } => {
                let mut q = format!("family={}", enc(family));
                if let Some(g) = given {
                    q.push_str(&format!("&given={}", enc(g)));
                }
                q
            }
        };
        let mut url = format!(
            "{}/Practitioner?{query}&_count={}",
            self.base, self.page_size
        );
        let mut out = Vec::new();
        for _ in 0..self.max_pages {
            let bundle = self.get(&url)?;
            if bundle.get("resourceType").and_then(|v| v.as_str()) != Some("Bundle") {
                return Err(AnnuaireError::NotABundle.into());
            }
            for entry in bundle
                .get("entry")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(res) = entry.get("resource") {
                    collect_mailboxes(res, kinds, &mut out);
                }
            }
            let next = bundle
                .get("link")
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
                .find(|l| l.get("relation").and_then(|r| r.as_str()) == Some("next"))
                .and_then(|l| l.get("url"))
                .and_then(|u| u.as_str());
            match next {
                Some(n) if n.starts_with(&self.base) => url = n.to_owned(),
                Some(_) => {
                    return Err(AnnuaireError::ForeignNextLink.into());
                }
                None => return Ok(out),
            }
        }
        Err(AnnuaireError::TooManyPages.into())
    }
}

fn collect_mailboxes(
    res: &serde_json::Value,
    kinds: &[MailboxType],
    out: &mut Vec<DirectoryMailbox>,
) {
    let rtype = res
        .get("resourceType")
        .and_then(|v| v.as_str())
        .unwrap_or("?");
    let id = res.get("id").and_then(|v| v.as_str()).unwrap_or("?");
    let name = res
        .get("name")
        .and_then(|n| n.as_array())
        .and_then(|n| n.first())
        .map(|n| {
            let family = n.get("family").and_then(|f| f.as_str()).unwrap_or("");
            let given: Vec<&str> = n
                .get("given")
                .and_then(|g| g.as_array())
                .into_iter()
                .flatten()
                .filter_map(|g| g.as_str())
                .collect();
            format!("{family} {}", given.join(" ")).trim().to_owned()
        });
    for t in res
        .get("telecom")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
    {
        if t.get("system").and_then(|s| s.as_str()) != Some("email") {
            continue;
        }
        let Some(meta) = t
            .get("extension")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .find(|e| {
                e.get("url")
                    .and_then(|u| u.as_str())
                    .is_some_and(|u| u.ends_with("as-ext-mailbox-mss-metadata"))
            })
        else {
            continue; // a plain e-mail, not an MSSanté mailbox
        };
        let Some(address) = t.get("value").and_then(|v| v.as_str()) else {
            continue;
        };
        let sub = |key: &str| {
            meta.get("extension")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .find(|e| e.get("url").and_then(|u| u.as_str()) == Some(key))
        };
        let kind = sub("type")
            .and_then(|e| e.get("valueCodeableConcept"))
            .and_then(|c| c.get("coding"))
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
            .find_map(|c| {
                c.get("code")
                    .and_then(|c| c.as_str())
                    .and_then(MailboxType::from_code)
            });
        if !kinds.is_empty() && !kind.is_some_and(|k| kinds.contains(&k)) {
            continue;
        }
        out.push(DirectoryMailbox {
            address: address.to_owned(),
            kind,
            red_list: sub("listeRouge")
                .and_then(|e| e.get("valueBoolean"))
                .and_then(|b| b.as_bool())
                .unwrap_or(false),
            description: sub("description")
                .and_then(|e| e.get("valueString"))
                .and_then(|s| s.as_str())
                .map(str::to_owned),
            resource: format!("{rtype}/{id}"),
            name: name.clone(),
        });
    }
}
