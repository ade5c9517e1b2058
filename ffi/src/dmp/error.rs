//! `DmpError` → `segur_result` (8000-8999), layered as the error: configuration, TLS,
//! transport, SOAP fault, refusal by the DMP, response, document. The detail is the error's
//! `Display` text, which names reasons, codes and positions, never patient data.

use crate::detail::fail;
use crate::result::segur_result;
use segur_dmp::DmpError;
use segur_dmp::error::ResponseError;
use segur_dmp::registry::RegistryStatus;
use segur_net::http::HttpError;
use segur_net::tls::TlsError;

/// The registry `errorCode`s (and negative acknowledgement codes) with a result code of their
/// own. IHE codes: ITI TF-3 Table 4.2.4.1-2 (`shared/specs/dmp.md` §9). The DMP's own codes for
/// a closed DMP and a missing authorisation are not public (§9, §12: TO VERIFY): `DMPClosed`
/// and `DMPAccessDenied` are the names the SDK's simulator answers. Any other code gives
/// `SEGUR_RESULT_DMP_REFUSED`, with the code in `segur_last_error_detail`, so an application can
/// classify codes this table does not know.
fn refusal_code(code: &str) -> segur_result {
    use segur_result as R;
    match code {
        "DMPClosed" => R::DmpClosed,
        "DMPAccessDenied" => R::DmpNoAuthorisation,
        "XDSUnknownPatientId" => R::DmpNoDmp,
        "XDSMissingDocument" => R::DmpUnknownDocument,
        "XDSDuplicateUniqueIdInRegistry" => R::DmpDuplicateDocument,
        "XDSRegistryDeprecatedDocumentError" | "XDSReplaceFailed" => R::DmpDeprecatedDocument,
        "XDSNonIdenticalHash" | "XDSNonIdenticalSize" => R::DmpIntegrity,
        _ => R::DmpRefused,
    }
}

fn tls_code(e: &TlsError) -> segur_result {
    use segur_result as R;
    match e {
        TlsError::UnknownIssuer => R::DmpTlsUnknownCa,
        TlsError::NameMismatch => R::DmpTlsNameMismatch,
        TlsError::Expired => R::DmpTlsCertificateExpired,
        TlsError::ClientCertificateRefused { .. } => R::DmpTlsClientCertificateRefused,
        _ => R::DmpTls,
    }
}

fn http_code(e: &HttpError) -> segur_result {
    use segur_result as R;
    match e {
        HttpError::Tls(t) => tls_code(t),
        HttpError::Connect { .. } => R::DmpNetwork,
        HttpError::Io(_) => R::DmpConnectionLost,
        HttpError::Timeout => R::DmpTimeout,
        HttpError::Status { .. } => R::DmpHttpStatus,
        HttpError::InvalidUrl { .. } => R::DmpConfig,
        HttpError::TooLarge { .. } | HttpError::Protocol(_) => R::DmpHttp,
        _ => R::DmpOther,
    }
}

/// The result code of `e`, its `Display` text recorded as the detail.
pub(crate) fn dmp_err(e: DmpError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        DmpError::Config(_) | DmpError::File { .. } => R::DmpConfig,
        DmpError::Tls(_) => R::DmpTlsConfig,
        DmpError::Signature(_) | DmpError::SigningKey(_) => R::DmpSigning,
        DmpError::Vihf(_) => R::DmpVihf,
        DmpError::Request(_) => R::DmpRequest,
        DmpError::Token(_) => R::DmpToken,
        DmpError::Http(h) => http_code(h),
        // A fault whose subcode is a known refusal (the simulator answers TD0.3 on a closed DMP
        // this way) gets that refusal's code.
        DmpError::Fault(f) => f
            .subcodes
            .iter()
            .map(|c| refusal_code(c))
            .find(|c| *c != R::DmpRefused)
            .unwrap_or(R::DmpSoapFault),
        DmpError::Registry { status, errors } => match errors.first() {
            Some(first) => match refusal_code(&first.code) {
                R::DmpRefused if *status == RegistryStatus::PartialSuccess => R::DmpPartialSuccess,
                code => code,
            },
            None if *status == RegistryStatus::PartialSuccess => R::DmpPartialSuccess,
            None => R::DmpRefused,
        },
        DmpError::Refused { code } => refusal_code(code),
        // The client's own search for the entry of a uniqueId (TD3.2, TD3.3) found nothing.
        DmpError::Response(ResponseError::Missing {
            what: "registry entry of the uniqueId",
            ..
        }) => R::DmpUnknownDocument,
        DmpError::Response(ResponseError::DocumentMismatch(_)) => R::DmpDocumentMismatch,
        DmpError::Response(_) => R::DmpResponse,
        DmpError::Document(_) => R::DmpDocument,
        _ => R::DmpOther,
    };
    fail(code, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use segur_dmp::registry::{RegistryError, Severity};

    fn registry(status: RegistryStatus, code: &str) -> DmpError {
        DmpError::Registry {
            status,
            errors: vec![RegistryError {
                code: code.to_owned(),
                context: "the server's text".to_owned(),
                severity: Severity::Error,
                location: None,
            }],
        }
    }

    #[test]
    fn refusals_get_the_code_of_their_first_registry_error() {
        use segur_result as R;
        for (code, expected) in [
            ("DMPClosed", R::DmpClosed),
            ("DMPAccessDenied", R::DmpNoAuthorisation),
            ("XDSUnknownPatientId", R::DmpNoDmp),
            ("XDSMissingDocument", R::DmpUnknownDocument),
            ("XDSDuplicateUniqueIdInRegistry", R::DmpDuplicateDocument),
            ("XDSReplaceFailed", R::DmpDeprecatedDocument),
            ("XDSNonIdenticalHash", R::DmpIntegrity),
            ("XDSRegistryError", R::DmpRefused),
        ] {
            assert_eq!(
                dmp_err(registry(RegistryStatus::Failure, code)),
                expected,
                "{code}"
            );
        }
        assert_eq!(
            dmp_err(registry(RegistryStatus::PartialSuccess, "XDSRegistryError")),
            R::DmpPartialSuccess
        );
        assert_eq!(
            dmp_err(DmpError::Refused {
                code: "DMPAccessDenied".into()
            }),
            R::DmpNoAuthorisation
        );
    }

    #[test]
    fn transport_errors_keep_their_layer() {
        use segur_result as R;
        assert_eq!(dmp_err(DmpError::Http(HttpError::Timeout)), R::DmpTimeout);
        for (tls, expected) in [
            (TlsError::UnknownIssuer, R::DmpTlsUnknownCa),
            (TlsError::NameMismatch, R::DmpTlsNameMismatch),
            (TlsError::Expired, R::DmpTlsCertificateExpired),
            (
                TlsError::ClientCertificateRefused {
                    alert: "BadCertificate".into(),
                },
                R::DmpTlsClientCertificateRefused,
            ),
            (TlsError::InvalidServerName, R::DmpTls),
        ] {
            assert_eq!(dmp_err(DmpError::Http(HttpError::Tls(tls))), expected);
        }
        // No token for the PSC mode: nothing was sent.
        assert_eq!(
            dmp_err(DmpError::Token(segur_net::token::TokenError::Expired)),
            R::DmpToken
        );
        // TLS material that does not load is configuration, not the exchange.
        assert_eq!(
            dmp_err(DmpError::Tls(TlsError::UnknownIssuer)),
            R::DmpTlsConfig
        );
        assert_eq!(
            dmp_err(DmpError::Http(HttpError::Connect {
                reason: "refused".into()
            })),
            R::DmpNetwork
        );
        assert_eq!(
            dmp_err(DmpError::Response(ResponseError::Missing {
                what: "registry entry of the uniqueId",
                position: 0
            })),
            R::DmpUnknownDocument
        );
    }
}
