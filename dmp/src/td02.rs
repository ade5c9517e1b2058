//! TD0.2 existence test (HL7 v3 NE2009 `PRPA_IN201307UV02` → `PRPA_IN201308UV02`): does the
//! patient have a DMP, is it closed, is the pharmacist authorised, is the professional the
//! médecin traitant DMP (`shared/specs/dmp.md` §3).

use chrono::Utc;
use segur_net::xml::{Element, XmlWriter};
use serde::Serialize;

use crate::error::{DmpError, RequestError, ResponseError};
use crate::patient::DmpPatient;
use crate::response::{child, expect};
use crate::vihf::NS_HL7;

/// OID of the DMP as HL7 device (receiver id, §3.1).
pub const OID_DMP_DEVICE: &str = "1.2.250.1.213.4.1.1.1";
/// Code system of the GDP reason codes (`TEST_EXST`, ...; §3.1).
pub const OID_REASON: &str = "1.2.250.1.213.1.1.4.11";
/// The SDK's own UUID-derived OID (ISO/IEC 9834-8 arc `2.25`), the default sender device id and
/// message-id root. The LPS OIDs the DMP expects are TO VERIFY (§3.1): set
/// [`HlSender::oid`] to the vendor's own.
pub const SEGUR_LPS_OID: &str = "2.25.46535881820805619257280361224242228406";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The sender device of HL7 v3 messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlSender {
    /// Device id root; `.1` under it roots message ids, `.2` query ids.
    pub oid: String,
    /// `softwareName` (the LPS name).
    pub software_name: String,
}

/// Writes the `PRPA_IN201307UV02` body of a TD0.2 request for `patient` (§3.1; EX TD0.2).
pub fn request_body(sender: &HlSender, patient: &DmpPatient) -> Result<String, RequestError> {
    let now = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let msg_root = format!("{}.1", sender.oid);
    let query_root = format!("{}.2", sender.oid);
    let msg_id = uuid::Uuid::new_v4().to_string();
    let query_id = uuid::Uuid::new_v4().to_string();
    let mut w = XmlWriter::new();
    w.start(
        "PRPA_IN201307UV02",
        &[
            ("xmlns", NS_HL7),
            ("xmlns:xsi", NS_XSI),
            ("ITSVersion", "XML_1.0"),
        ],
    )?;
    w.empty("id", &[("root", &msg_root), ("extension", &msg_id)])?;
    w.empty("creationTime", &[("value", &now)])?;
    w.empty(
        "interactionId",
        &[
            ("root", "2.16.840.1.113883.1.6"),
            ("extension", "PRPA_IN201307UV02"),
        ],
    )?;
    w.empty("processingCode", &[("code", "D")])?;
    w.empty("processingModeCode", &[("code", "T")])?;
    w.empty("acceptAckCode", &[("code", "AL")])?;
    for (tag, type_code, id, name) in [
        ("receiver", "RCV", OID_DMP_DEVICE, "DMP"),
        (
            "sender",
            "SND",
            sender.oid.as_str(),
            sender.software_name.as_str(),
        ),
    ] {
        w.start(tag, &[("typeCode", type_code)])?;
        w.start(
            "device",
            &[("classCode", "DEV"), ("determinerCode", "INSTANCE")],
        )?;
        w.empty("id", &[("root", id)])?;
        w.element("softwareName", &[], name)?;
        w.end()?;
        w.end()?;
    }
    w.empty("attentionLine", &[("xsi:nil", "true")])?;
    w.start(
        "controlActProcess",
        &[("classCode", "CACT"), ("moodCode", "EVN")],
    )?;
    w.empty(
        "reasonCode",
        &[
            ("code", "TEST_EXST"),
            ("codeSystem", OID_REASON),
            ("displayName", "Test d'existence de dossier"),
        ],
    )?;
    w.start("queryByParameter", &[])?;
    w.empty(
        "queryId",
        &[("root", &query_root), ("extension", &query_id)],
    )?;
    w.empty("statusCode", &[("code", "new")])?;
    w.start("parameterList", &[])?;
    w.empty("dataSource", &[("xsi:nil", "true")])?;
    w.start("patientIdentifier", &[])?;
    w.empty(
        "value",
        &[("root", patient.oid()), ("extension", patient.matricule())],
    )?;
    w.element("semanticsText", &[], "Patient.id")?;
    w.end()?;
    w.end()?;
    w.end()?;
    w.end()?;
    w.end()?;
    Ok(w.finish()?)
}

/// The state of the patient's DMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DmpState {
    /// `queryResponseCode OK`, patient `statusCode active`.
    Active,
    /// `queryResponseCode OK`, patient `statusCode terminated` (closed; EX TD1.4).
    Closed,
    /// `queryResponseCode NF`: no DMP (CS `IsDMPExist`).
    Absent,
}

/// The result of a TD0.2 existence test. Identity traits returned by the DMP are not kept
/// (IG RG_0320: they must not be displayed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExistenceTest {
    /// State of the DMP.
    pub state: DmpState,
    /// The `AUTORISATION` attention line's code (`VALIDE` in EX; other values TO VERIFY);
    /// `None` when absent.
    pub authorization: Option<String>,
    /// `STATUT_MT`: the professional is the patient's médecin traitant DMP.
    pub treating_doctor: Option<bool>,
    /// `RATTACHEMENT_ENS` administrative observation: DMP attached to Mon espace santé.
    pub ens_attachment: Option<bool>,
    /// `COMPTE_INTERNET_OUVERT` administrative observation.
    pub internet_account_open: Option<bool>,
}

impl ExistenceTest {
    /// Whether the professional holds a valid authorisation (`AUTORISATION` = `VALIDE`).
    pub fn is_authorized(&self) -> bool {
        self.authorization.as_deref() == Some("VALIDE")
    }
}

fn bl(value: Option<&Element<'_>>) -> Option<bool> {
    match value?.attribute("value")? {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Reads a `PRPA_IN201308UV02` body (§3.2). A negative acknowledgement is
/// [`DmpError::Refused`] with the `acknowledgementDetail/code@code`.
pub fn read_response(body: &Element<'_>) -> Result<ExistenceTest, DmpError> {
    let root = expect(body, NS_HL7, "PRPA_IN201308UV02")?;
    let ack = child(root, NS_HL7, "acknowledgement")?;
    let type_code = ack.attribute("typeCode").ok_or(ResponseError::Missing {
        what: "acknowledgement@typeCode",
        position: ack.position,
    })?;
    if type_code != "AA" {
        let code = ack
            .child(NS_HL7, "acknowledgementDetail")
            .and_then(|d| d.child(NS_HL7, "code"))
            .and_then(|c| c.attribute("code"))
            .unwrap_or(type_code);
        return Err(DmpError::Refused {
            code: code.chars().take(64).collect(),
        });
    }
    let mut authorization = None;
    let mut treating_doctor = None;
    for line in root.children_named(NS_HL7, "attentionLine") {
        let key = line
            .child(NS_HL7, "keyWordText")
            .and_then(|k| k.attribute("code"));
        let value = line.child(NS_HL7, "value");
        match key {
            Some("AUTORISATION") => {
                authorization = value.and_then(|v| v.attribute("code")).map(str::to_owned);
            }
            Some("STATUT_MT") => treating_doctor = bl(value),
            _ => {}
        }
    }
    let cap = child(root, NS_HL7, "controlActProcess")?;
    let query_ack = child(cap, NS_HL7, "queryAck")?;
    let response_code = child(query_ack, NS_HL7, "queryResponseCode")?;
    let code = response_code
        .attribute("code")
        .ok_or(ResponseError::Missing {
            what: "queryResponseCode@code",
            position: response_code.position,
        })?;
    let patient = cap
        .child(NS_HL7, "subject")
        .and_then(|s| s.child(NS_HL7, "registrationEvent"))
        .and_then(|r| r.child(NS_HL7, "subject1"))
        .and_then(|s| s.child(NS_HL7, "patient"));
    let state = match code {
        "NF" => DmpState::Absent,
        "OK" => {
            let p = patient.ok_or(ResponseError::Missing {
                what: "registrationEvent/subject1/patient",
                position: cap.position,
            })?;
            match p
                .child(NS_HL7, "statusCode")
                .and_then(|s| s.attribute("code"))
            {
                Some("active") => DmpState::Active,
                Some("terminated") => DmpState::Closed,
                _ => {
                    return Err(ResponseError::Invalid {
                        what: "patient/statusCode",
                        position: p.position,
                    }
                    .into());
                }
            }
        }
        _ => {
            return Err(ResponseError::Invalid {
                what: "queryResponseCode",
                position: response_code.position,
            }
            .into());
        }
    };
    let mut ens_attachment = None;
    let mut internet_account_open = None;
    for obs in patient
        .into_iter()
        .flat_map(|p| p.children_named(NS_HL7, "subjectOf"))
        .filter_map(|s| s.child(NS_HL7, "administrativeObservation"))
    {
        let value = bl(obs.child(NS_HL7, "value"));
        match obs.child(NS_HL7, "code").and_then(|c| c.attribute("code")) {
            Some("RATTACHEMENT_ENS") => ens_attachment = value,
            Some("COMPTE_INTERNET_OUVERT") => internet_account_open = value,
            _ => {}
        }
    }
    Ok(ExistenceTest {
        state,
        authorization,
        treating_doctor,
        ens_attachment,
        internet_account_open,
    })
}
