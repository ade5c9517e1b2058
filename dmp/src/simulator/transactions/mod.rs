//! One handler per transaction, and the pieces they share: the transaction table (service path
//! and `wsa:Action`, `shared/specs/dmp.md` §1.1), the request context, the DMP-state and
//! authorisation gates (§11.1 items 8 and 9), and the `RegistryResponse` writer (§5.4).

mod td02;
mod td03;
mod td21;
mod td31;
mod td32;
mod td33;

use segur_net::soap::Envelope;
use segur_net::soap::mtom::MtomPackage;
use segur_net::xml::{XmlWriteError, XmlWriter};

use super::Shared;
use super::ebrim::RS_NS;
use super::faults::Fault;
use super::refusal::{Refusal, RegistryError, codes};
use super::registry::DmpState;
use super::vihf::Vihf;

/// A transaction the simulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transaction {
    /// TD0.2: DMP existence and the professional's authorisation.
    Td02,
    /// TD0.3: declare or remove one's authorisation.
    Td03,
    /// TD2.1: feed or replace documents (ITI-41, MTOM).
    Td21,
    /// TD3.1: search (ITI-18).
    Td31,
    /// TD3.2: retrieve (ITI-43, MTOM response).
    Td32,
    /// TD3.3: mask, unmask, archive, delete (ITI-57).
    Td33,
}

impl Transaction {
    /// Every transaction.
    pub const ALL: [Transaction; 6] = [
        Self::Td02,
        Self::Td03,
        Self::Td21,
        Self::Td31,
        Self::Td32,
        Self::Td33,
    ];

    /// The name used by the admin endpoint and in messages (`TD2.1`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Td02 => "TD0.2",
            Self::Td03 => "TD0.3",
            Self::Td21 => "TD2.1",
            Self::Td31 => "TD3.1",
            Self::Td32 => "TD3.2",
            Self::Td33 => "TD3.3",
        }
    }

    /// The transaction named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The service path under [`super::SERVICES_PATH`] (§1.1).
    pub const fn path(self) -> &'static str {
        match self {
            Self::Td02 => "patients",
            Self::Td03 => "habilitations",
            Self::Td21 | Self::Td32 => "repository",
            Self::Td31 | Self::Td33 => "registry",
        }
    }

    /// The request's `wsa:Action` (§1.1, as the official examples send it).
    pub const fn request_action(self) -> &'static str {
        match self {
            Self::Td02 => "urn:hl7-org:v3:PRPA_IN201307UV02",
            Self::Td03 => "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization",
            Self::Td21 => "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
            Self::Td31 => "urn:ihe:iti:2007:RegistryStoredQuery",
            Self::Td32 => "urn:ihe:iti:2007:RetrieveDocumentSet",
            Self::Td33 => "urn:ihe:iti:2010:UpdateDocumentSet",
        }
    }

    /// The response's `wsa:Action` (§1.1, the official examples).
    pub const fn response_action(self) -> &'static str {
        match self {
            Self::Td02 => "urn:hl7-org:v3:PRPA_IN201308UV02",
            Self::Td03 => "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorizationResponse",
            Self::Td21 => "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse",
            Self::Td31 => "urn:ihe:iti:2007:RegistryStoredQueryResponse",
            Self::Td32 => "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
            Self::Td33 => "urn:ihe:iti:2010:UpdateDocumentSet-Response",
        }
    }

    /// The transaction of a service path and action; `None` when the action is not one of
    /// the path's (§11.1 item 1: the Action matches the path).
    pub fn route(path: &str, action: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.path() == path && t.request_action() == action)
    }

    /// Whether refusals of this transaction are answered in its body (`RegistryResponse`
    /// `Failure`) rather than with a SOAP fault.
    pub const fn answers_registry_errors(self) -> bool {
        matches!(self, Self::Td21 | Self::Td31 | Self::Td32 | Self::Td33)
    }
}

/// A checked request, ready for its handler.
pub(crate) struct Request<'r, 'a> {
    pub(crate) envelope: &'r Envelope<'a>,
    pub(crate) mtom: Option<&'r MtomPackage<'a>>,
    pub(crate) vihf: Vihf,
    pub(crate) now: i64,
    pub(crate) fault: Option<Fault>,
}

/// What a handler answers.
pub(crate) enum Answer {
    /// A SOAP body element (the server wraps it into a SOAP 1.2 envelope).
    Soap(String),
    /// A SOAP body element and MTOM attachments (Content-ID, bytes).
    Mtom(String, Vec<(String, Vec<u8>)>),
}

/// Runs the handler of `t`.
pub(crate) fn handle(
    t: Transaction,
    req: &Request<'_, '_>,
    shared: &Shared,
) -> Result<Answer, Refusal> {
    match t {
        Transaction::Td02 => td02::handle(req, shared),
        Transaction::Td03 => td03::handle(req, shared),
        Transaction::Td21 => td21::handle(req, shared),
        Transaction::Td31 => td31::handle(req, shared),
        Transaction::Td32 => td32::handle(req, shared),
        Transaction::Td33 => td33::handle(req, shared),
    }
}

/// The gate of every transaction but TD0.2: the patient's DMP must exist and be open, and (when
/// `consult`) the professional must be authorised (§3.2: the authorisation gates
/// consultation). Injected [`Fault::DmpClosed`] and [`Fault::NoAuthorisation`] act here.
pub(crate) fn gate(req: &Request<'_, '_>, shared: &Shared, consult: bool) -> Result<(), Refusal> {
    let closed = || Refusal::registry(codes::DMP_CLOSED, "the patient's DMP is closed");
    let denied = || {
        Refusal::registry(
            codes::NO_AUTHORISATION,
            "the professional is not authorised on the patient's DMP",
        )
    };
    match req.fault {
        Some(Fault::DmpClosed) => return Err(closed()),
        Some(Fault::NoAuthorisation) => return Err(denied()),
        _ => {}
    }
    let rules = &shared.rules;
    let (state, authorised, blocked) = shared.with_registry(|r| {
        (
            r.state(&req.vihf.patient, rules.unknown_patient),
            r.is_authorised(
                &req.vihf.patient,
                &req.vihf.professional,
                rules.implicit_authorisation,
            ),
            r.is_blocked(&req.vihf.patient, &req.vihf.professional),
        )
    });
    if blocked {
        return Err(Refusal::registry(
            codes::NO_AUTHORISATION,
            "the patient has blocked this professional",
        ));
    }
    match state {
        DmpState::Absent => Err(Refusal::registry(
            codes::UNKNOWN_PATIENT_ID,
            "the patient has no DMP",
        )),
        DmpState::Closed => Err(closed()),
        DmpState::Active if consult && !authorised => Err(denied()),
        DmpState::Active => Ok(()),
    }
}

/// `rs:RegistryResponse` status URNs (ebRS 3.0; IHE adds PartialSuccess).
pub(crate) mod status {
    /// Success.
    pub const SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
    /// Failure.
    pub const FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";
    /// Partial success (IHE ITI TF-3 §4.2.4.2).
    pub const PARTIAL_SUCCESS: &str = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess";
}

/// Writes `rs:RegistryErrorList` (the prefix `rs` declared by an ancestor).
pub(crate) fn write_errors(
    w: &mut XmlWriter,
    errors: &[RegistryError],
) -> Result<(), XmlWriteError> {
    if errors.is_empty() {
        return Ok(());
    }
    const ERROR: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
    w.start("rs:RegistryErrorList", &[("highestSeverity", ERROR)])?;
    for e in errors {
        let mut attrs = vec![
            ("codeContext", e.context.as_str()),
            ("errorCode", e.code),
            ("severity", ERROR),
        ];
        if let Some(l) = &e.location {
            attrs.push(("location", l.as_str()));
        }
        w.empty("rs:RegistryError", &attrs)?;
    }
    w.end()
}

/// A whole `rs:RegistryResponse` element: Success when `errors` is empty, else Failure.
pub(crate) fn registry_response(errors: &[RegistryError]) -> Result<String, XmlWriteError> {
    let mut w = XmlWriter::new();
    let status = if errors.is_empty() {
        status::SUCCESS
    } else {
        status::FAILURE
    };
    w.start(
        "rs:RegistryResponse",
        &[("xmlns:rs", RS_NS), ("status", status)],
    )?;
    write_errors(&mut w, errors)?;
    w.end()?;
    w.finish()
}

/// The failure body of `t` for registry errors.
pub(crate) fn failure_body(
    t: Transaction,
    errors: &[RegistryError],
) -> Result<Answer, XmlWriteError> {
    Ok(match t {
        Transaction::Td31 => Answer::Soap(td31::failure(errors)?),
        Transaction::Td32 => Answer::Mtom(td32::failure(errors)?, Vec::new()),
        _ => Answer::Soap(registry_response(errors)?),
    })
}

/// An internal writer error as a refusal (the simulator's own bug, answered as a fault).
pub(crate) fn write_failed(e: XmlWriteError) -> Refusal {
    Refusal::fault(
        codes::INTERNAL_ERROR,
        format!("response could not be written: {e}"),
    )
}

/// Whether `s` is an OID (dotted decimal, ISO/IEC 8824).
pub(crate) fn is_oid(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

/// The current time as HL7 / XDS `YYYYMMDDhhmmss` (UTC).
pub(crate) fn timestamp(now: i64) -> String {
    segur_dmp_cda::time::format_utc(now)
}
