//! INSi search (`segur-ins`, feature `insi-client`): a blocking client over mutual TLS that runs
//! the CNDA search strategy and returns the responses as JSON, with the raw XML on request (the
//! INS guide asks to keep it for audit). Authentication modes (`segur_insi_client_set_auth_*`):
//! mutual TLS alone (default), CPx (the "assertion PS" signed by a CPS card handle) and Pro Santé
//! Connect (unsigned assertion qualified PSC with the caller's access token, or the token of a
//! proxy e-Santé session, `segur_insi_client_set_auth_psc_provider`). The carte Vitale
//! search is out: its assertion is signed by a proprietary GIE SESAM-Vitale component.

use crate::boundary::{
    bytes_arg, handle_mut, handle_ref, json_arg, out_arg, str_arg, write_handle, write_json,
};
use crate::cards::segur_cps_card;
use crate::detail::fail;
use crate::ins::{normalize_traits, response_err, response_json};
use crate::result::segur_result;
use crate::try_ffi;
use segur_ins::Normalizer;
use segur_ins::insi::{
    CpxAuthentication, InsiAuthentication, InsiClient, InsiError, InsiTls, ProfessionalIdentity,
    PscAuthentication, SoftwareIdentity,
};
use segur_net::sign::{SignError, SignatureAlgorithm, Signer};
use segur_net::token::CallerToken;
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
        InsiError::Assertion(_) => R::InsiAssertion,
        InsiError::Token(_) => R::InsiToken,
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

/// Replaces the authentication mode of `client`: `InsiClient::with_authentication` on the
/// handle (taken out and put back, as `segur_insi_client_set_timeout`).
fn set_auth(c: &mut segur_insi_client, auth: InsiAuthentication) -> segur_result {
    match c.inner.take() {
        Some(inner) => {
            c.inner = Some(inner.with_authentication(auth));
            segur_result::Ok
        }
        None => segur_result::Panic,
    }
}

/// Back to the default mode: mutual TLS alone, no assertion (the client certificate must be an
/// IGC-Santé ORG certificate named `INSI-AUTO` or `INSI-MANU`). Mutates `client`: not
/// concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_set_auth_mtls(client: *mut segur_insi_client) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(client) });
        set_auth(c, InsiAuthentication::MutualTls)
    })
}

/// Pro Santé Connect mode: each search sends the unsigned assertion with `NameID
/// NameQualifier="PSC"` for the professional of `professional_json` (`{"national_id":"…",
/// "billing_id":"…","amo_specialty":"…","activity_sector":"…"}`: `NameID`,
/// `identifiantFacturation`, `codeSpecialiteAMO`, `secteurActivite`) and the access token
/// (`token`, `token_len` bytes, copied into a zeroized buffer) in `Authorization: Bearer` (TO
/// VERIFY: how INSi receives the PSC token is not published). `expires_at_unix` is the token's
/// expiry in seconds since 1970, or 0 for 240 s from now; an expired token fails the search with
/// `SEGUR_RESULT_INSI_TOKEN` before anything is sent. Mutates `client`: not concurrently with
/// other calls on it.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_INSI_TOKEN` (not an RFC 6750 bearer token).
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_set_auth_psc(
    client: *mut segur_insi_client,
    professional_json: *const c_char,
    professional_json_len: usize,
    token: *const c_char,
    token_len: usize,
    expires_at_unix: u64,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(client) });
        // SAFETY: header contract: pointer followed by its readable length.
        let professional: ProfessionalIdentity =
            try_ffi!(unsafe { json_arg(professional_json, professional_json_len) });
        // SAFETY: as above.
        let token = try_ffi!(unsafe { bytes_arg(token, token_len) });
        let token = zeroize::Zeroizing::new(try_ffi!(
            String::from_utf8(token.to_vec()).map_err(|_| segur_result::InvalidUtf8)
        ));
        let expires_at = (expires_at_unix != 0)
            .then(|| std::time::UNIX_EPOCH + Duration::from_secs(expires_at_unix));
        let token = try_ffi!(
            CallerToken::new(token.as_str().to_owned(), expires_at)
                .map_err(|e| fail(segur_result::InsiToken, e))
        );
        set_auth(
            c,
            InsiAuthentication::Psc(PscAuthentication::new(professional, Box::new(token))),
        )
    })
}

/// Pro Santé Connect mode with the tokens of a proxy e-Santé session: as
/// `segur_insi_client_set_auth_psc` (the unsigned assertion qualified PSC for the professional
/// of `professional_json`, the token in `Authorization: Bearer`, TO VERIFY), but the token of
/// each search is asked of `provider` (a `segur_psc_provider` signed in with
/// `segur_psc_provider_login`) for its backend `backend` (`backend_len` bytes of UTF-8, the
/// name in the proxy's configuration) just before the search is sent, so the proxy's refresh
/// applies and no token crosses the boundary.
///
/// The client keeps its own reference to the provider's session (unlike the card of
/// `segur_insi_client_set_auth_cps`, which is borrowed): `provider` may be freed before or
/// after `client`, in any order. A later `segur_psc_provider_login` or
/// `segur_psc_provider_logout` on the provider applies to this client too.
///
/// Errors: `SEGUR_RESULT_NULL_PARAMETER`, `SEGUR_RESULT_INVALID_UTF8`,
/// `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_INVALID_PARAMETER` (backend name not 1 to 64
/// letters, digits, `-`, `_`, `.`). A token the proxy cannot give (not signed in, session
/// ended) fails the search with `SEGUR_RESULT_INSI_TOKEN` before anything is sent. Mutates
/// `client`: not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_set_auth_psc_provider(
    client: *mut segur_insi_client,
    professional_json: *const c_char,
    professional_json_len: usize,
    provider: *const crate::psc::segur_psc_provider,
    backend: *const c_char,
    backend_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(client) });
        // SAFETY: header contract: pointer followed by its readable length.
        let professional: ProfessionalIdentity =
            try_ffi!(unsafe { json_arg(professional_json, professional_json_len) });
        // SAFETY: header contract: NULL or a live provider handle.
        let p = try_ffi!(unsafe { crate::psc::provider_arg(provider) });
        // SAFETY: header contract: pointer followed by its readable length.
        let backend = try_ffi!(unsafe { str_arg(backend, backend_len) });
        let tokens = try_ffi!(p.for_backend(backend).map_err(crate::psc::psc_err));
        set_auth(
            c,
            InsiAuthentication::Psc(PscAuthentication::new(professional, Box::new(tokens))),
        )
    })
}

/// The signature key of a CPS handle, borrowed by an INSi client in CPx mode.
struct BorrowedCardSigner {
    card: *mut segur_cps_card,
    certificate: Vec<u8>,
    algorithms: Vec<SignatureAlgorithm>,
}

// SAFETY: the contract of `segur_insi_client_set_auth_cps`: the card handle outlives every
// search of the client in CPx mode and no other call uses it during a search; the client's
// signer sits behind a mutex, so one signature at a time.
unsafe impl Send for BorrowedCardSigner {}

impl Signer for BorrowedCardSigner {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        vec![self.certificate.clone()]
    }
    fn algorithms(&self) -> &[SignatureAlgorithm] {
        &self.algorithms
    }
    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        // SAFETY: see the Send impl: a live handle, used by this signature only.
        let card = unsafe { &mut *self.card };
        card.card
            .sign_message(::segur_cps_card::cps::KeyRole::Signature, alg, message)
            .map_err(|e| SignError::Key(e.to_string()))
    }
    fn sign_digest(&mut self, _: SignatureAlgorithm, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::DigestNotSupported)
    }
}

/// CPx mode: each search sends the "assertion PS" signed with the signature key of `card` (a
/// CPS handle whose PIN was verified with `segur_cps_card_verify_pin`), for the professional of
/// `professional_json` (as `segur_insi_client_set_auth_psc`). The signature certificate is read
/// now. `card` is borrowed: it must stay alive, and no other call may use it while a search of
/// this client runs, until the client is freed or set to another mode. Mutates `client`: not
/// concurrently with other calls on it.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_CARD_*` (reading the certificate).
#[unsafe(no_mangle)]
pub extern "C" fn segur_insi_client_set_auth_cps(
    client: *mut segur_insi_client,
    card: *mut segur_cps_card,
    professional_json: *const c_char,
    professional_json_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract: NULL or a live handle, used by this call only.
        let c = try_ffi!(unsafe { handle_mut(client) });
        // SAFETY: header contract: NULL or a live card handle, used by this call only.
        let k = try_ffi!(unsafe { handle_mut(card) });
        // SAFETY: header contract: pointer followed by its readable length.
        let professional: ProfessionalIdentity =
            try_ffi!(unsafe { json_arg(professional_json, professional_json_len) });
        let role = ::segur_cps_card::cps::KeyRole::Signature;
        let certificate = try_ffi!(k.card.certificate(role).map_err(crate::cards::card_err)).der;
        let algorithms = k.card.algorithms(role).to_vec();
        let signer = BorrowedCardSigner {
            card,
            certificate,
            algorithms,
        };
        set_auth(
            c,
            InsiAuthentication::Cpx(CpxAuthentication::new(Box::new(signer), professional)),
        )
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
