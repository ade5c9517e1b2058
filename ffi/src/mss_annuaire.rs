//! Annuaire Santé entry point (`segur_mssante::annuaire`): the MSSanté mailboxes of health
//! professionals, from the FHIR API of the Annuaire Santé (Practitioner search by RPPS or name).

use crate::boundary::{json_arg, out_arg, str_arg, write_json};
use crate::detail::fail;
use crate::ins::identifier_err;
use crate::mssante::mss_err;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_mssante::annuaire::{AnnuaireClient, MailboxType, PRODUCTION_V2, Search};
use ::segur_mssante::tls::{TlsSettings, TrustAnchors};
use std::ffi::c_char;
use std::time::Duration;

/// Client settings of `segur_mss_annuaire_search`, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientJson {
    #[serde(default = "production")]
    base_url: String,
    #[serde(default)]
    page_size: Option<u16>,
    #[serde(default)]
    max_retries: Option<u32>,
    #[serde(default)]
    backoff_ms: Option<u64>,
}

fn production() -> String {
    PRODUCTION_V2.to_owned()
}

/// Search criteria of `segur_mss_annuaire_search`, as JSON: exactly one of `rpps` or `family`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchJson {
    #[serde(default)]
    rpps: Option<String>,
    #[serde(default)]
    family: Option<String>,
    #[serde(default)]
    given: Option<String>,
    #[serde(default)]
    kinds: Vec<String>,
}

/// `TRE_R257-TypeBAL` codes (spec §1.6).
fn mailbox_type(code: &str) -> Option<MailboxType> {
    match code {
        "PER" => Some(MailboxType::Personal),
        "ORG" => Some(MailboxType::Organisational),
        "APP" => Some(MailboxType::Applicative),
        "CAB" => Some(MailboxType::Cabinet),
        _ => None,
    }
}

/// Looks up MSSanté mailboxes in the Annuaire Santé (FHIR API v2, `Practitioner` search,
/// following `next` links, backing off on 429/502/503/504), blocking until done, and writes
/// them as JSON to `*out_json` (free with `segur_string_free`): `[{"address":"x@y.mssante.fr",
/// "kind":"Personal"|"Organisational"|"Applicative"|"Cabinet"|null,"red_list":false,
/// "description":"..."|null,"resource":"Practitioner/123","name":"MARTIN JEAN"|null}]`.
/// Addresses on the red list (`listeRouge`) may be used to send but must not be shown publicly.
///
/// `client_json` is `{"base_url"?:"https://gateway.api.esante.gouv.fr/fhir/v2",
/// "page_size"?:100,"max_retries"?:5,"backoff_ms"?:500}` (`base_url` must be https; page size
/// 1 to 200; at most 10 retries, first back-off at most 60000 ms, doubled each time unless the
/// server sends `Retry-After`). `roots_pem` (`roots_pem_len` bytes) holds the certificates the server's chain
/// must lead to (rustls; the host name of `base_url` is checked). `api_key` (`api_key_len`
/// bytes) is the `ESANTE-API-KEY` of the ANS gateway: used for this call only, never kept or
/// logged. `search_json` is `{"rpps":"10001234565"}` (11-digit RPPS, checked) or
/// `{"family":"MARTIN","given"?:"JEAN"}`, with optionally `"kinds":["PER","ORG","APP","CAB"]`
/// (`TRE_R257-TypeBAL` codes; all kinds when absent or empty).
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_INVALID_PARAMETER` (both or neither of
/// `rpps` and `family`, unknown kind, retry settings), `SEGUR_RESULT_IDENTIFIER_*` (RPPS),
/// `SEGUR_RESULT_MSS_CERTIFICATE` (roots), `SEGUR_RESULT_MSS_TLS_*` (unknown CA, name mismatch,
/// expired), `SEGUR_RESULT_MSS_ANNUAIRE_HTTP_STATUS`, `SEGUR_RESULT_MSS_ANNUAIRE_NETWORK`
/// (connection, time-out, too many retries), `SEGUR_RESULT_MSS_ANNUAIRE_MALFORMED` (not a FHIR
/// Bundle, a `next` link leaving `base_url`), `SEGUR_RESULT_MSS_ANNUAIRE` (plain-HTTP base URL).
/// Thread-safe (one client per call).
#[unsafe(no_mangle)]
pub extern "C" fn segur_mss_annuaire_search(
    client_json: *const c_char,
    client_json_len: usize,
    roots_pem: *const u8,
    roots_pem_len: usize,
    api_key: *const c_char,
    api_key_len: usize,
    search_json: *const c_char,
    search_json_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: `client_json` points to `client_json_len` readable bytes.
        let c: ClientJson = try_ffi!(unsafe { json_arg(client_json, client_json_len) });
        // SAFETY: header contract: `roots_pem` points to `roots_pem_len` readable bytes.
        let roots =
            try_ffi!(unsafe { crate::boundary::bytes_arg(roots_pem.cast(), roots_pem_len) });
        // SAFETY: header contract: `api_key` points to `api_key_len` readable bytes.
        let key = try_ffi!(unsafe { str_arg(api_key, api_key_len) });
        // SAFETY: header contract: `search_json` points to `search_json_len` readable bytes.
        let s: SearchJson = try_ffi!(unsafe { json_arg(search_json, search_json_len) });
        try_ffi!(out_arg(out_json));

        let mut kinds = Vec::with_capacity(s.kinds.len());
        for code in &s.kinds {
            match mailbox_type(code) {
                Some(k) => kinds.push(k),
                None => {
                    return fail(
                        segur_result::InvalidParameter,
                        "kinds holds a code outside TRE_R257-TypeBAL (PER, ORG, APP, CAB)",
                    );
                }
            }
        }
        let rpps = match (&s.rpps, &s.family) {
            (Some(r), None) => Some(try_ffi!(
                ::segur_ins::Rpps::parse(r).map_err(identifier_err)
            )),
            (None, Some(_)) => None,
            _ => {
                return fail(
                    segur_result::InvalidParameter,
                    "give exactly one of rpps and family",
                );
            }
        };
        let search = match (&rpps, &s.family) {
            (Some(r), _) => Search::Rpps(r),
            (None, Some(family)) => Search::Name {
                family,
                given: s.given.as_deref(),
            },
            (None, None) => return segur_result::InvalidParameter,
        };

        if c.max_retries.is_some_and(|n| n > 10) || c.backoff_ms.is_some_and(|ms| ms > 60_000) {
            return fail(
                segur_result::InvalidParameter,
                "max_retries is at most 10 and backoff_ms at most 60000",
            );
        }
        let anchors = try_ffi!(TrustAnchors::from_pem(roots).map_err(mss_err));
        let tls = try_ffi!(TlsSettings::new(&anchors, None).map_err(mss_err));
        let mut client = try_ffi!(AnnuaireClient::new(&c.base_url, key, &tls).map_err(mss_err));
        if let Some(n) = c.page_size {
            client = client.page_size(n);
        }
        if c.max_retries.is_some() || c.backoff_ms.is_some() {
            client = client.retries(
                c.max_retries.unwrap_or(5),
                Duration::from_millis(c.backoff_ms.unwrap_or(500)),
            );
        }
        let found = try_ffi!(client.mailboxes(&search, &kinds).map_err(mss_err));
        write_json(out_json, &found)
    })
}
