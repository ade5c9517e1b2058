//! INSi search (`segur-ins`, feature `insi-client`): a blocking client over mutual TLS that runs
//! the CNDA search strategy and returns the responses as JSON, with the raw XML on request (the
//! INS guide asks to keep it for audit).

use crate::boundary::{
    bytes_arg, handle_mut, handle_ref, json_arg, out_arg, str_arg, write_handle, write_json,
};
use crate::detail::fail;
use crate::ins::{normalize_traits, response_err, response_json};
use crate::result::segur_result;
use crate::try_ffi;
use segur_ins::Normalizer;
use segur_ins::insi::{InsiClient, InsiError, InsiTls, SoftwareIdentity};
use serde_json::json;
use std::ffi::c_char;
use std::time::Duration;

fn insi_err(e: InsiError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        InsiError::Endpoint => R::InsiEndpoint,
        InsiError::TlsConfig(_) => R::InsiTlsConfig,
        InsiError::UnknownServerCa => R::InsiUnknownServerCa,
        InsiError::ServerNameMismatch => R::InsiServerNameMismatch,
        InsiError::ServerCertificateExpired => R::InsiServerCertificateExpired,
        InsiError::ClientCertificateRefused => R::InsiClientCertificateRefused,
        InsiError::Tls(_) => R::InsiTls,
        InsiError::Io(_) => R::InsiNetwork,
        InsiError::Http => R::InsiHttp,
        InsiError::Status(_) => R::InsiHttpStatus,
        InsiError::Response(r) => return response_err(r.clone()),
        _ => R::InsiClientOther,
    };
    fail(code, e)
}

/// `ContexteLPS` identity of the software, JSON form of `SoftwareIdentity`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SoftwareJson {
    idam: String,
    version: String,
    name: String,
    instance: String,
    emitter: String,
}

/// A blocking INSi client (endpoint, TLS material, software identity). Searches take a `const`
/// handle and may run concurrently on one client; `segur_insi_client_set_timeout` must not run
/// while another call uses the handle.
pub struct segur_insi_client {
    /// Always `Some` between calls (taken only inside `segur_insi_client_set_timeout`).
    inner: Option<InsiClient>,
}

/// Makes an INSi client for `endpoint` (`https://host[:port]/path`) authenticating with the
/// client certificate chain and private key (PEM: PKCS#8, PKCS#1 or SEC1), trusting the server
/// certificates issued by `roots_pem` (TLS 1.2/1.3, rustls; certificates always verified), and
/// sending the software identity `software_json`: `{"idam":"<CNDA authorisation>",
/// "version":"1.0","name":"my-lgo","instance":"<UUID per installation>","emitter":"<structure>"}`.
/// Writes it to `*out_client`; free it with `segur_insi_client_free`. The key is not kept
/// outside the TLS configuration. Time-out: 30 s.
///
/// Errors: `SEGUR_RESULT_INSI_ENDPOINT`, `SEGUR_RESULT_INSI_TLS_CONFIG` (unreadable PEM, no root,
/// key not matching), `SEGUR_RESULT_INVALID_JSON`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_new(
    endpoint: *const c_char,
    endpoint_len: usize,
    roots_pem: *const c_char,
    roots_pem_len: usize,
    chain_pem: *const c_char,
    chain_pem_len: usize,
    key_pem: *const c_char,
    key_pem_len: usize,
    software_json: *const c_char,
    software_json_len: usize,
    out_client: *mut *mut segur_insi_client,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY (this and the four reads below): header contract, each pointer is followed by
        // its readable length.
        let endpoint = try_ffi!(unsafe { str_arg(endpoint, endpoint_len) });
        // SAFETY: as above.
        let roots = try_ffi!(unsafe { bytes_arg(roots_pem, roots_pem_len) });
        // SAFETY: as above.
        let chain = try_ffi!(unsafe { bytes_arg(chain_pem, chain_pem_len) });
        // SAFETY: as above.
        let key = try_ffi!(unsafe { bytes_arg(key_pem, key_pem_len) });
        // SAFETY: as above.
        let sw: SoftwareJson = try_ffi!(unsafe { json_arg(software_json, software_json_len) });
        try_ffi!(out_arg(out_client));
        let tls = try_ffi!(InsiTls::from_pem(roots, chain, key).map_err(insi_err));
        let software = SoftwareIdentity {
            idam: sw.idam,
            version: sw.version,
            name: sw.name,
            instance: sw.instance,
            emitter: sw.emitter,
        };
        let inner = try_ffi!(InsiClient::new(endpoint, tls, software).map_err(insi_err));
        write_handle(out_client, segur_insi_client { inner: Some(inner) })
    })
}

/// Sets the connect, read and write time-out of each request in milliseconds (0 is refused:
/// `SEGUR_RESULT_INVALID_PARAMETER`). Mutates `client`: not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_set_timeout(
    client: *mut segur_insi_client,
    timeout_ms: u32,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(client) });
        if timeout_ms == 0 {
            return segur_result::InvalidParameter;
        }
        // InsiClient::with_timeout takes the client by value: take it out and put it back.
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        match c.inner.take() {
            Some(inner) => {
                c.inner = Some(inner.with_timeout(timeout));
                segur_result::Ok
            }
            None => segur_result::Panic,
        }
    })
}

/// Searches INSi for the INS of a patient with the CNDA strategy (each prénom alone in order,
/// then the whole list; on `02`, again with the birthplace), from the traits as JSON
/// (`TraitsData` form, normalised first), and writes the outcome as JSON to `*out_json` (free
/// with `segur_string_free`): `{"found":true,"response":{"code":"00","label":"OK","individual":
/// {...}},"attempts":[{"code":"01"},{"code":"00"}]}` where `response` is the last response, in
/// the form of `segur_insi_parse_response`. With `include_raw_xml`, each attempt also has
/// `request_xml` and `response_xml` (patient data: keep them for audit as the INS guide asks,
/// never in logs). Blocks for the network exchanges.
///
/// Errors: those of `segur_ins_traits_normalize`; `SEGUR_RESULT_INSI_UNKNOWN_SERVER_CA`,
/// `_SERVER_NAME_MISMATCH`, `_SERVER_CERTIFICATE_EXPIRED`, `_CLIENT_CERTIFICATE_REFUSED`,
/// `_TLS`, `_NETWORK`, `_HTTP`, `_HTTP_STATUS`, `SEGUR_RESULT_INSI_FAULT` (the teleservice's
/// code, e.g. `DESIR_560`, in `segur_last_error_detail`) and the response errors. `client` is
/// not modified: concurrent searches on one client are safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_search(
    client: *const segur_insi_client,
    traits_json: *const c_char,
    traits_json_len: usize,
    include_raw_xml: bool,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle.
        let c = try_ffi!(unsafe { handle_ref(client) });
        let Some(inner) = c.inner.as_ref() else {
            return segur_result::Panic;
        };
        try_ffi!(out_arg(out_json));
        let traits = try_ffi!(normalize_traits(
            &Normalizer::default(),
            traits_json,
            traits_json_len
        ));
        let outcome = try_ffi!(inner.search_with_strategy(&traits).map_err(insi_err));
        let attempts: Vec<serde_json::Value> = outcome
            .attempts
            .iter()
            .map(|x| {
                if include_raw_xml {
                    json!({
                        "code": x.response.code,
                        "request_xml": x.expose_request_xml(),
                        "response_xml": String::from_utf8_lossy(x.expose_response_xml()),
                    })
                } else {
                    json!({ "code": x.response.code })
                }
            })
            .collect();
        let v = json!({
            "found": outcome.found(),
            "response": outcome.last().map(response_json),
            "attempts": attempts,
        });
        write_json(out_json, &v)
    })
}

/// Frees an INSi client; NULL is a no-op. Free each handle exactly once, after every call using
/// it has returned.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_free(client: *mut segur_insi_client) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle, freed once.
        unsafe { crate::boundary::free_handle(client) }
    })
}
