//! TD0.2, test d'existence (`shared/specs/dmp.md` §3; §11.1 item 9): `PRPA_IN201307UV02`
//! with reasonCode `TEST_EXST` answered by `PRPA_IN201308UV02`: `queryResponseCode` OK or NF,
//! `statusCode` active or terminated, the `AUTORISATION` attention line when the professional
//! is authorised and `STATUT_MT` (false: the simulator never makes a pharmacist médecin
//! traitant). Errors are an acknowledgement `AE` with an `acknowledgementDetail`. No identity
//! trait is returned (RG_0320: the LPS must not display them anyway).

use segur_net::xml::{Element, XmlWriteError, XmlWriter};

use super::{Answer, Request, timestamp, write_failed};
use crate::simulator::Shared;
use crate::simulator::faults::Fault;
use crate::simulator::refusal::{Refusal, codes};
use crate::simulator::registry::{DmpState, PatientKey};
use crate::simulator::vihf::{HL7_NS, XSI_NS};

/// The DMP's device id (§3.1, receiver of the request).
const DMP_DEVICE: &str = "1.2.250.1.213.4.1.1.1";
const REASON_SYSTEM: &str = "1.2.250.1.213.1.1.4.11";

struct Parsed {
    message_id: (String, Option<String>),
    sender: (String, String),
    query_id: (String, Option<String>),
    patient: Option<PatientKey>,
    reason_ok: bool,
}

fn id_of(e: Option<&Element<'_>>) -> (String, Option<String>) {
    (
        e.and_then(|e| e.attribute("root"))
            .unwrap_or_default()
            .to_owned(),
        e.and_then(|e| e.attribute("extension")).map(str::to_owned),
    )
}

fn parse(root: &Element<'_>) -> Parsed {
    let cap = root.child(HL7_NS, "controlActProcess");
    let query = cap.and_then(|c| c.child(HL7_NS, "queryByParameter"));
    let value = query
        .and_then(|q| q.child(HL7_NS, "parameterList"))
        .and_then(|p| p.child(HL7_NS, "patientIdentifier"))
        .and_then(|p| p.child(HL7_NS, "value"));
    let sender = root
        .child(HL7_NS, "sender")
        .and_then(|s| s.child(HL7_NS, "device"));
    Parsed {
        message_id: id_of(root.child(HL7_NS, "id")),
        sender: (
            sender
                .and_then(|d| d.child(HL7_NS, "id"))
                .and_then(|i| i.attribute("root"))
                .unwrap_or_default()
                .to_owned(),
            sender
                .and_then(|d| d.child(HL7_NS, "softwareName"))
                .map(Element::text)
                .unwrap_or_default(),
        ),
        query_id: id_of(query.and_then(|q| q.child(HL7_NS, "queryId"))),
        patient: value.and_then(|v| {
            Some(PatientKey::new(
                v.attribute("extension")?,
                v.attribute("root")?,
            ))
        }),
        reason_ok: cap
            .and_then(|c| c.child(HL7_NS, "reasonCode"))
            .is_some_and(|r| {
                r.attribute("code") == Some("TEST_EXST")
                    && r.attribute("codeSystem") == Some(REASON_SYSTEM)
            }),
    }
}

fn ii(w: &mut XmlWriter, name: &str, id: &(String, Option<String>)) -> Result<(), XmlWriteError> {
    match &id.1 {
        Some(ext) => w.empty(name, &[("root", &id.0), ("extension", ext)]),
        None => w.empty(name, &[("root", &id.0)]),
    }
}

fn device(
    w: &mut XmlWriter,
    role: &str,
    kind: &str,
    id: &str,
    name: &str,
) -> Result<(), XmlWriteError> {
    w.start(role, &[("typeCode", kind)])?;
    w.start(
        "device",
        &[("classCode", "DEV"), ("determinerCode", "INSTANCE")],
    )?;
    w.empty("id", &[("root", id)])?;
    if !name.is_empty() {
        w.element("softwareName", &[], name)?;
    }
    w.end()?;
    w.end()
}

/// What the response says.
struct Outcome {
    state: DmpState,
    authorised: bool,
    error: Option<(&'static str, &'static str)>,
}

fn write(p: &Parsed, o: &Outcome, now: i64) -> Result<String, XmlWriteError> {
    let mut w = XmlWriter::new();
    w.start(
        "PRPA_IN201308UV02",
        &[
            ("xmlns", HL7_NS),
            ("xmlns:xsi", XSI_NS),
            ("ITSVersion", "XML_1.0"),
        ],
    )?;
    let id = segur_dmp_cda::xds::new_entry_uuid();
    w.empty("id", &[("root", id.trim_start_matches("urn:uuid:"))])?;
    w.empty("creationTime", &[("value", &timestamp(now))])?;
    w.empty(
        "interactionId",
        &[
            ("root", "2.16.840.1.113883.1.6"),
            ("extension", "PRPA_IN201308UV02"),
        ],
    )?;
    w.empty("processingCode", &[("code", "P")])?;
    w.empty("processingModeCode", &[("code", "T")])?;
    w.empty("acceptAckCode", &[("code", "NE")])?;
    device(&mut w, "receiver", "RCV", &p.sender.0, &p.sender.1)?;
    device(&mut w, "sender", "SND", DMP_DEVICE, "DMP")?;
    let found = o.error.is_none() && o.state != DmpState::Absent;
    if found && o.authorised && o.state == DmpState::Active {
        w.start("attentionLine", &[])?;
        w.empty(
            "keyWordText",
            &[
                ("code", "AUTORISATION"),
                ("codeSystem", "1.2.250.1.213.4.1.2.6.1"),
            ],
        )?;
        w.empty(
            "value",
            &[
                ("xsi:type", "CV"),
                ("code", "VALIDE"),
                ("codeSystem", "1.2.250.1.213.4.1.2.6.2"),
            ],
        )?;
        w.end()?;
    }
    if found {
        w.start("attentionLine", &[])?;
        w.empty(
            "keyWordText",
            &[
                ("code", "STATUT_MT"),
                ("codeSystem", "1.2.250.1.213.4.1.2.6.3"),
            ],
        )?;
        w.empty("value", &[("xsi:type", "BL"), ("value", "false")])?;
        w.end()?;
    }
    let ack = if o.error.is_some() { "AE" } else { "AA" };
    w.start("acknowledgement", &[("typeCode", ack)])?;
    w.start("targetMessage", &[])?;
    ii(&mut w, "id", &p.message_id)?;
    w.end()?;
    if let Some((code, text)) = o.error {
        w.start("acknowledgementDetail", &[("typeCode", "E")])?;
        // No code system: the DMP's error code list is not public (specs/dmp.md §12).
        w.empty("code", &[("code", code)])?;
        w.element("text", &[], text)?;
        w.end()?;
    }
    w.end()?;
    w.start(
        "controlActProcess",
        &[("classCode", "CACT"), ("moodCode", "EVN")],
    )?;
    w.empty(
        "reasonCode",
        &[
            ("code", "TEST_EXST"),
            ("codeSystem", REASON_SYSTEM),
            ("displayName", "Test d'existence de dossier"),
        ],
    )?;
    if found && let Some(patient) = &p.patient {
        w.start(
            "subject",
            &[("typeCode", "SUBJ"), ("contextConductionInd", "false")],
        )?;
        w.start(
            "registrationEvent",
            &[("classCode", "REG"), ("moodCode", "EVN")],
        )?;
        w.empty("statusCode", &[("code", "completed")])?;
        w.start("subject1", &[("typeCode", "SBJ")])?;
        w.start("patient", &[("classCode", "PAT")])?;
        w.empty(
            "id",
            &[("root", &patient.authority), ("extension", &patient.id)],
        )?;
        let status = if o.state == DmpState::Closed {
            "terminated"
        } else {
            "active"
        };
        w.empty("statusCode", &[("code", status)])?;
        w.start(
            "patientPerson",
            &[("classCode", "PSN"), ("determinerCode", "INSTANCE")],
        )?;
        w.empty("name", &[("nullFlavor", "MSK")])?;
        w.end()?;
        w.end()?;
        w.end()?;
        w.start("custodian", &[("typeCode", "CST")])?;
        w.start("assignedEntity", &[("classCode", "ASSIGNED")])?;
        w.empty("id", &[("root", DMP_DEVICE)])?;
        w.end()?;
        w.end()?;
        w.end()?;
        w.end()?;
    }
    w.start("queryAck", &[])?;
    ii(&mut w, "queryId", &p.query_id)?;
    let code = match (o.error, found) {
        (Some(_), _) => "AE",
        (None, true) => "OK",
        (None, false) => "NF",
    };
    w.empty("queryResponseCode", &[("code", code)])?;
    w.end()?;
    w.end()?;
    w.end()?;
    w.finish()
}

pub(super) fn handle(req: &Request<'_, '_>, shared: &Shared) -> Result<Answer, Refusal> {
    let root = req
        .envelope
        .body_content()
        .filter(|b| b.name.is(HL7_NS, "PRPA_IN201307UV02"))
        .ok_or_else(|| {
            Refusal::fault(
                codes::INVALID_REQUEST,
                "the body is not a PRPA_IN201307UV02",
            )
        })?;
    let p = parse(root);
    let rules = &shared.rules;
    let (mut state, mut authorised, blocked) = shared.with_registry(|r| {
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
    match req.fault {
        Some(Fault::DmpClosed) => state = DmpState::Closed,
        Some(Fault::NoAuthorisation) => authorised = false,
        _ => {}
    }
    let error = if !p.reason_ok {
        Some(("REASON_CODE", "reasonCode TEST_EXST attendu"))
    } else if p.patient.as_ref() != Some(&req.vihf.patient) {
        Some((
            codes::PATIENT_ID_DOES_NOT_MATCH,
            "patientIdentifier différent du resource-id du VIHF",
        ))
    } else if blocked {
        // §11.1 item 9: a professional blocked by the patient gets an error.
        Some((
            codes::NO_AUTHORISATION,
            "professionnel bloqué par le patient",
        ))
    } else {
        None
    };
    let body = write(
        &p,
        &Outcome {
            state,
            authorised,
            error,
        },
        req.now,
    )
    .map_err(write_failed)?;
    Ok(Answer::Soap(body))
}
