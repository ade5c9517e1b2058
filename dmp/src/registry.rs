//! ebRS 3.0 `RegistryResponse`: the typed result of TD2.1 and TD3.3 (and the status of TD3.1
//! and TD3.2 answers): Success, PartialSuccess or Failure with each `RegistryError`
//! (`shared/specs/dmp.md` §5.4, §9; WSDL `schema/ebRS/rs.xsd`).

use std::fmt;

use segur_net::xml::Element;

use crate::error::ResponseError;

/// ebRS 3.0 namespace of `RegistryResponse`.
pub const NS_RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
/// ebRIM 3.0 namespace.
pub const NS_RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
/// ebRS 3.0 query namespace.
pub const NS_QUERY: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";
/// ebRS 3.0 life-cycle namespace.
pub const NS_LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";

/// The status of a registry response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryStatus {
    /// `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success`.
    Success,
    /// `urn:ihe:iti:2007:ResponseStatusType:PartialSuccess` (IHE ITI TF-3 §4.2.4; IPF).
    PartialSuccess,
    /// `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure`.
    Failure,
}

impl RegistryStatus {
    /// The status of its URN.
    pub fn from_urn(urn: &str) -> Option<Self> {
        match urn {
            "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success" => Some(Self::Success),
            "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
            | "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess" => {
                Some(Self::PartialSuccess)
            }
            "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure" => Some(Self::Failure),
            _ => None,
        }
    }
}

impl fmt::Display for RegistryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Success => "Success",
            Self::PartialSuccess => "PartialSuccess",
            Self::Failure => "Failure",
        })
    }
}

/// The severity of a `RegistryError` (default Error, rs.xsd).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error`.
    Error,
    /// `urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning`.
    Warning,
}

/// One `RegistryError`. `Debug` shows the code and severity only: the context text is the
/// server's and may quote request values.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// `@errorCode` (e.g. `XDSRegistryError`, `XDSNonIdenticalHash`; IPF `ErrorCode.java`).
    pub code: String,
    /// `@codeContext`: the server's explanation.
    pub context: String,
    /// `@severity`.
    pub severity: Severity,
    /// `@location`.
    pub location: Option<String>,
}

impl fmt::Debug for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryError")
            .field("code", &self.code)
            .field("severity", &self.severity)
            .finish_non_exhaustive()
    }
}

/// A read `RegistryResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryResponse {
    /// Its status.
    pub status: RegistryStatus,
    /// Its errors and warnings, in order.
    pub errors: Vec<RegistryError>,
}

/// Reads the `status` attribute and the `RegistryErrorList` of a `RegistryResponse`-typed
/// element (also `AdhocQueryResponse`, which extends it).
pub fn read_status(e: &Element<'_>) -> Result<RegistryResponse, ResponseError> {
    let status = e.attribute("status").ok_or(ResponseError::Missing {
        what: "RegistryResponse@status",
        position: e.position,
    })?;
    let status = RegistryStatus::from_urn(status).ok_or(ResponseError::Invalid {
        what: "RegistryResponse@status",
        position: e.position,
    })?;
    let mut errors = Vec::new();
    if let Some(list) = e.child(NS_RS, "RegistryErrorList") {
        for err in list.children_named(NS_RS, "RegistryError") {
            let code = err.attribute("errorCode").ok_or(ResponseError::Missing {
                what: "RegistryError@errorCode",
                position: err.position,
            })?;
            let severity = match err.attribute("severity") {
                None | Some("urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error") => {
                    Severity::Error
                }
                Some("urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning") => {
                    Severity::Warning
                }
                Some(_) => {
                    return Err(ResponseError::Invalid {
                        what: "RegistryError@severity",
                        position: err.position,
                    });
                }
            };
            let mut context = err.attribute("codeContext").unwrap_or_default().to_owned();
            let text = err.text();
            if !text.is_empty() {
                if !context.is_empty() {
                    context.push_str(": ");
                }
                context.push_str(&text);
            }
            errors.push(RegistryError {
                code: code.to_owned(),
                context,
                severity,
                location: err.attribute("location").map(str::to_owned),
            });
        }
    }
    Ok(RegistryResponse { status, errors })
}

impl RegistryResponse {
    /// `Ok` on Success; the typed refusal otherwise.
    pub fn into_result(self) -> Result<Self, crate::DmpError> {
        match self.status {
            RegistryStatus::Success => Ok(self),
            status => Err(crate::DmpError::Registry {
                status,
                errors: self.errors,
            }),
        }
    }
}
