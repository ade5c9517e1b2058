//! The DMP transactions the client sends: service path, WS-Addressing actions and the SOAP
//! envelope around a body (`shared/specs/dmp.md` §1.1, §1.3).

use segur_net::soap::{Addressing, SoapVersion, WSA_ANONYMOUS, build_envelope};

use crate::error::RequestError;
use crate::vihf::Vihf;

/// A transaction of the DMP web services (`shared/specs/dmp.md` §1.1 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transaction {
    /// TD0.2 existence test (HL7 v3 `PRPA_IN201307UV02`).
    Td02ExistenceTest,
    /// TD0.3 authorisation update (`setAuthorization`).
    Td03SetAuthorization,
    /// TD2.1 feed or replacement (ITI-41, MTOM).
    Td21Feed,
    /// TD3.1 search (ITI-18).
    Td31Search,
    /// TD3.2 retrieve (ITI-43, MTOM response).
    Td32Retrieve,
    /// TD3.3 metadata and status update (ITI-57).
    Td33Update,
}

impl Transaction {
    /// The service path appended to the configured base URL.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Td02ExistenceTest => "patients",
            Self::Td03SetAuthorization => "habilitations",
            Self::Td21Feed | Self::Td32Retrieve => "repository",
            Self::Td31Search | Self::Td33Update => "registry",
        }
    }

    /// `wsa:Action` of the request (EX; CS and WSDL where no example exists).
    pub const fn action(self) -> &'static str {
        match self {
            Self::Td02ExistenceTest => "urn:hl7-org:v3:PRPA_IN201307UV02",
            Self::Td03SetAuthorization => {
                "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization"
            }
            Self::Td21Feed => "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
            Self::Td31Search => "urn:ihe:iti:2007:RegistryStoredQuery",
            Self::Td32Retrieve => "urn:ihe:iti:2007:RetrieveDocumentSet",
            Self::Td33Update => "urn:ihe:iti:2010:UpdateDocumentSet",
        }
    }

    /// `wsa:Action` of the response.
    pub const fn response_action(self) -> &'static str {
        match self {
            Self::Td02ExistenceTest => "urn:hl7-org:v3:PRPA_IN201308UV02",
            Self::Td03SetAuthorization => {
                "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorizationResponse"
            }
            Self::Td21Feed => "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse",
            Self::Td31Search => "urn:ihe:iti:2007:RegistryStoredQueryResponse",
            Self::Td32Retrieve => "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
            Self::Td33Update => "urn:ihe:iti:2010:UpdateDocumentSet-Response",
        }
    }

    /// Whether the request is sent as MTOM (ITI-41 always; CS also encodes the registry in
    /// MTOM, the examples do not: plain SOAP for the rest, §1.3).
    pub const fn request_is_mtom(self) -> bool {
        matches!(self, Self::Td21Feed)
    }

    /// The service URL under `base` (`https://HOST/si-dmp-server/v2/services`).
    pub fn url(self, base: &str) -> String {
        format!("{}/{}", base.trim_end_matches('/'), self.path())
    }
}

/// A request envelope and its MessageID (echoed by the DMP in `RelatesTo`).
#[derive(Clone)]
pub struct RequestEnvelope {
    /// `urn:uuid:...`.
    pub message_id: String,
    /// The SOAP 1.2 envelope.
    pub xml: String,
}

impl std::fmt::Debug for RequestEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestEnvelope")
            .field("message_id", &self.message_id)
            .field("bytes", &self.xml.len())
            .finish()
    }
}

/// Wraps `body` (one element declaring its namespaces) in a SOAP 1.2 envelope with the
/// WS-Addressing headers (MessageID, To, ReplyTo anonymous, Action; §1.3) and the
/// `wsse:Security` header holding `assertion` (the VIHF, signed or not; §2.1).
pub fn envelope(
    tx: Transaction,
    to: &str,
    assertion: &str,
    body: &str,
) -> Result<RequestEnvelope, RequestError> {
    let message_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let addressing = Addressing {
        action: Some(tx.action().to_owned()),
        message_id: Some(message_id.clone()),
        to: Some(to.to_owned()),
        relates_to: None,
        reply_to: Some(WSA_ANONYMOUS.to_owned()),
    };
    let security = Vihf::security_header(assertion);
    let xml = build_envelope(SoapVersion::Soap12, &addressing, &[&security], body)?;
    Ok(RequestEnvelope { message_id, xml })
}
