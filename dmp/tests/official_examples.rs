//! The official DMP example messages (`shared/dmp/examples`, v02.05.00) read with the right
//! values, and the requests we write validated against the official XSD annex v2.01.04 with
//! `xmllint --schema` (an independent checker).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use segur_dmp::response::{ResponseLimits, with_body};
use segur_dmp::td02::{DmpState, HlSender, SEGUR_LPS_OID};
use segur_dmp::td03::AuthorizationAction;
use segur_dmp::td31::{FindDocuments, QueryCode, StatusFilter};
use segur_dmp::td33::{ConfidentialityChange, StatusChange, Submitter};
use segur_dmp::{DmpError, DmpPatient};
use segur_ins::Ins;

fn shared() -> PathBuf {
    PathBuf::from(
        std::env::var("SEGUR_SHARED")
            .expect("SEGUR_SHARED must name the shared folder (export SEGUR_SHARED=../shared)"),
    )
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(shared().join("dmp/examples").join(name)).unwrap()
}

fn schema(rel: &str) -> PathBuf {
    shared().join("dmp/wsdl-schema").join(rel)
}

/// `xmllint --noout --nonet --schema XSD` on `xml`; fails naming the tool when it is missing.
fn xmllint(xml: &str, xsd: &std::path::Path) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doc.xml");
    std::fs::write(&f, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd)
        .arg(&f)
        .output()
        .expect("xmllint is required (Debian libxml2-utils, installed by scripts/install-deps)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn patient() -> DmpPatient {
    DmpPatient::attested_qualified(
        Ins::from_parts("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
    )
}

fn submitter() -> Submitter {
    Submitter {
        author_person: "810100000001^PHARMACIEN^PAUL^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS".into(),
        author_institution:
            "PHARMACIE DU CENTRE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^3123456789012345".into(),
        source_id: SEGUR_LPS_OID.into(),
        content_type: (
            "04".into(),
            "1.2.250.1.213.2.2".into(),
            "Hospitalisation de jour".into(),
        ),
    }
}

fn open<T>(
    file: &str,
    f: impl FnOnce(&segur_net::xml::Element<'_>) -> Result<T, DmpError>,
) -> Result<T, DmpError> {
    let body = example(file);
    with_body(None, &body, ResponseLimits::default(), |e, _| f(e))
}

#[test]
fn td02_response_is_read_with_its_values() {
    let r = open(
        "TD0.2_Test-dexistence_response.xml",
        segur_dmp::td02::read_response,
    )
    .unwrap();
    assert_eq!(r.state, DmpState::Active);
    assert_eq!(r.authorization.as_deref(), Some("VALIDE"));
    assert!(r.is_authorized());
    assert_eq!(r.treating_doctor, Some(true));
    assert_eq!(r.ens_attachment, Some(false));
    assert_eq!(r.internet_account_open, Some(true));
}

#[test]
fn td02_reader_refuses_another_body_and_reads_a_closed_dmp() {
    // EX TD1.4 answers with another interaction: refused by name, not guessed.
    let r = open("TD1.4_Fermer_response.xml", segur_dmp::td02::read_response);
    assert!(
        matches!(
            r,
            Err(DmpError::Response(
                segur_dmp::error::ResponseError::UnexpectedBody { .. }
            ))
        ),
        "{r:?}"
    );
    // A terminated patient (the status EX TD1.4 shows after closing) is a closed DMP.
    let closed = String::from_utf8(example("TD0.2_Test-dexistence_response.xml"))
        .unwrap()
        .replace(
            "<statusCode code=\"active\"/>",
            "<statusCode code=\"terminated\"/>",
        );
    let r = with_body(
        None,
        closed.as_bytes(),
        ResponseLimits::default(),
        |e, _| segur_dmp::td02::read_response(e),
    )
    .unwrap();
    assert_eq!(r.state, DmpState::Closed);
}

#[test]
fn td02_negative_acknowledgement_is_a_refusal() {
    let body = String::from_utf8(example("TD0.2_Test-dexistence_response.xml")).unwrap();
    let body = body.replace(
        "<acknowledgement typeCode=\"AA\">",
        "<acknowledgement typeCode=\"AE\"><acknowledgementDetail><code code=\"DMPAccessDenied\"/></acknowledgementDetail>",
    );
    let r = with_body(None, body.as_bytes(), ResponseLimits::default(), |e, _| {
        segur_dmp::td02::read_response(e)
    });
    match r {
        Err(e @ DmpError::Refused { .. }) => {
            assert!(e.is_refusal());
            assert_eq!(e.to_string(), "DMP refusal: DMPAccessDenied");
        }
        other => panic!("{other:?}"),
    }
    let absent = String::from_utf8(example("TD0.2_Test-dexistence_response.xml"))
        .unwrap()
        .replace(
            "<queryResponseCode code=\"OK\"/>",
            "<queryResponseCode code=\"NF\"/>",
        );
    let r = with_body(
        None,
        absent.as_bytes(),
        ResponseLimits::default(),
        |e, _| segur_dmp::td02::read_response(e),
    )
    .unwrap();
    assert_eq!(r.state, DmpState::Absent);
}

#[test]
fn td03_response_is_read() {
    let r = open(
        "TD0.3_Mise-a-jour-de-lautorisation_response.xml",
        segur_dmp::td03::read_response,
    )
    .unwrap();
    assert_eq!(r.status, "DMPOk");
    assert_eq!(
        r.context,
        "Autorisation déjà présente aucune action effectuée"
    );
}

#[test]
fn registry_responses_of_td21_and_td33_are_success() {
    for f in [
        "TD2.1_Alimentation_response.xml",
        "TD3.3c_Supprimer-un-document_response.xml",
        "TD3.3d_Archiver-un-document_response.xml",
    ] {
        let r = open(f, segur_dmp::td33::read_response).unwrap();
        assert_eq!(
            r.status,
            segur_dmp::registry::RegistryStatus::Success,
            "{f}"
        );
        assert!(r.errors.is_empty(), "{f}");
    }
}

#[test]
fn registry_failure_carries_each_error() {
    let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure">
<rs:RegistryErrorList highestSeverity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error">
<rs:RegistryError errorCode="XDSNonIdenticalHash" codeContext="hash differs" location="repo"/>
<rs:RegistryError errorCode="XDSPatientIdDoesNotMatch" codeContext="patient" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"/>
</rs:RegistryErrorList></rs:RegistryResponse></s:Body></s:Envelope>"#;
    let r = with_body(None, body.as_bytes(), ResponseLimits::default(), |e, _| {
        segur_dmp::td33::read_response(e)
    });
    match r {
        Err(DmpError::Registry { status, errors }) => {
            assert_eq!(status, segur_dmp::registry::RegistryStatus::Failure);
            assert_eq!(errors.len(), 2);
            assert_eq!(errors[0].code, "XDSNonIdenticalHash");
            assert_eq!(errors[0].context, "hash differs");
            assert_eq!(errors[0].location.as_deref(), Some("repo"));
            assert_eq!(errors[0].severity, segur_dmp::registry::Severity::Error);
            assert_eq!(errors[1].severity, segur_dmp::registry::Severity::Warning);
        }
        other => panic!("{other:?}"),
    }
    let partial = body.replace(
        "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure",
        "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess",
    );
    let r = with_body(
        None,
        partial.as_bytes(),
        ResponseLimits::default(),
        |e, _| segur_dmp::td33::read_response(e),
    );
    assert!(matches!(
        r,
        Err(DmpError::Registry {
            status: segur_dmp::registry::RegistryStatus::PartialSuccess,
            ..
        })
    ));
}

#[test]
fn soap_fault_is_typed() {
    let body = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:DMPInvalidCertificate</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">Not a valid signature certificate</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#;
    let r = with_body(None, body.as_bytes(), ResponseLimits::default(), |e, _| {
        segur_dmp::td33::read_response(e)
    });
    match r {
        Err(DmpError::Fault(f)) => {
            assert_eq!(f.most_specific_code(), "DMPInvalidCertificate");
            assert_eq!(f.reason, "Not a valid signature certificate");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn td31_response_has_21_entries_with_their_values() {
    let entries = open(
        "TD3.1_Recherche-de-document_response.xml",
        segur_dmp::td31::read_response,
    )
    .unwrap();
    assert_eq!(entries.len(), 21);
    let first = &entries[0];
    assert_eq!(
        first.entry_uuid,
        "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    );
    assert_eq!(
        first.logical_id.as_deref(),
        Some("urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e")
    );
    assert_eq!(first.status, "approved");
    assert_eq!(first.creation_time.as_deref(), Some("20100319183244"));
    assert_eq!(first.mime_type.as_deref(), Some("text/xml"));
    assert_eq!(first.version.as_deref(), Some("1"));
    assert_eq!(
        first.repository_unique_id.as_deref(),
        Some("1.2.250.1.213.4.1.1.1.2")
    );
    for e in &entries {
        let h = e.hash.as_deref().unwrap();
        assert_eq!(h.len(), 40);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert!(e.size.unwrap() > 0);
        assert!(e.type_code.is_some() && e.class_code.is_some());
        assert!(e.confidentiality.contains(&"N".to_owned()) || !e.confidentiality.is_empty());
    }
    let invisible = entries
        .iter()
        .filter(|e| e.confidentiality.iter().any(|c| c == "INVISIBLE_PATIENT"))
        .count();
    assert_eq!(invisible, 3);
    // The EX TD3.2 request retrieves entry 1 and TD3.3c/d target another entry (§7, §8.1).
    assert!(
        entries
            .iter()
            .any(|e| e.unique_id == "1.2.250.1.999.1.1.7898.1.995657292")
    );
    assert!(
        entries
            .iter()
            .any(|e| e.entry_uuid == "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e")
    );
    let json = serde_json::to_value(&entries).unwrap();
    for key in [
        "unique_id",
        "entry_uuid",
        "type_code",
        "status",
        "hash",
        "size",
        "creation_time",
    ] {
        assert!(json[0].get(key).is_some(), "{key}");
    }
}

#[test]
fn td32_response_resolves_the_mtom_part() {
    let envelope = example("TD3.2_Consultation-dun-document_response.xml");
    // The example gives the SOAP part only: the package is written around it with the
    // Content-ID its (percent-encoded) href names.
    let cda = example("TD2.1-DocumentME2.xml");
    let cid = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007";
    let out = segur_net::soap::mtom::write_mtom(
        segur_net::soap::SoapVersion::Soap12,
        std::str::from_utf8(&envelope).unwrap(),
        None,
        &[segur_net::soap::mtom::Attachment {
            content_id: cid,
            content_type: "application/octet-stream",
            data: &cda,
        }],
        "MIMEBoundary_test",
    )
    .unwrap();
    let docs = with_body(
        Some(&out.content_type),
        &out.body,
        ResponseLimits::default(),
        segur_dmp::td32::read_response,
    )
    .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].unique_id, "1.2.250.1.999.1.1.7898.1.995657292");
    assert_eq!(docs[0].repository_id, "1.2.250.1.213.4.1.1.1.2");
    assert_eq!(docs[0].mime_type, "text/xml");
    assert_eq!(docs[0].bytes, cda);
    // Without the package, the include cannot be resolved: a typed error, not empty bytes.
    let r = open("TD3.2_Consultation-dun-document_response.xml", |e| {
        segur_dmp::td32::read_response(e, None)
    });
    assert!(matches!(r, Err(DmpError::Response(_))), "{r:?}");
}

#[test]
fn td02_request_is_schema_valid_and_names_the_patient() {
    let sender = HlSender {
        oid: SEGUR_LPS_OID.into(),
        software_name: "segur".into(),
    };
    let body = segur_dmp::td02::request_body(&sender, &patient()).unwrap();
    xmllint(
        &body,
        &schema("schema/HL7V3/NE2009/multicacheschemas/PRPA_IN201307UV02.xsd"),
    )
    .unwrap();
    assert!(body.contains(r#"<value root="1.2.250.1.213.1.4.10" extension="207058575627097"/>"#));
    assert!(body.contains(r#"code="TEST_EXST""#));
}

#[test]
fn td03_request_is_schema_valid() {
    let wsdl = std::fs::read_to_string(schema("wsdl/Habilitations.wsdl")).unwrap();
    let start = wsdl.find("<xs:schema").unwrap();
    let end = wsdl.find("</xs:schema>").unwrap() + "</xs:schema>".len();
    let dir = tempfile::tempdir().unwrap();
    let xsd = dir.path().join("habilitations.xsd");
    std::fs::write(&xsd, &wsdl[start..end]).unwrap();
    for action in [AuthorizationAction::Add, AuthorizationAction::Remove] {
        let body = segur_dmp::td03::request_body(action, false).unwrap();
        xmllint(&body, &xsd).unwrap();
    }
    let body = segur_dmp::td03::request_body(AuthorizationAction::Add, false).unwrap();
    assert_eq!(
        body,
        r#"<setAuthorization xmlns="urn:si-dmp-habilitations"><action>AJOUT</action></setAuthorization>"#
    );
}

#[test]
fn td31_requests_are_schema_valid() {
    let query = FindDocuments {
        status: StatusFilter::All,
        type_codes: vec![QueryCode {
            code: "87273-9".into(),
            scheme: "2.16.840.1.113883.6.1".into(),
        }],
        creation_from: Some("20240101".into()),
        ..Default::default()
    };
    let body = query.request_body(&patient()).unwrap();
    xmllint(&body, &schema("schema/ebRS/query.xsd")).unwrap();
    assert!(
        body.contains("<Value>'207058575627097^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH'</Value>")
    );
    assert!(body.contains("<Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved','urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated','urn:asip:ci-sis:2010:StatusType:Archived')</Value>"));
    assert!(body.contains("<Value>('87273-9^^2.16.840.1.113883.6.1')</Value>"));
    let default = FindDocuments::default().request_body(&patient()).unwrap();
    assert!(
        default.contains("<Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</Value>")
    );
    let get = segur_dmp::td31::get_documents_body(&["1.2.250.1.999.1.1.7898.1.995657292"]).unwrap();
    xmllint(&get, &schema("schema/ebRS/query.xsd")).unwrap();
    // A quote cannot close the literal; a bad time is refused by name.
    let bad = FindDocuments {
        creation_from: Some("2024-01-01".into()),
        ..Default::default()
    };
    assert!(bad.request_body(&patient()).is_err());
    assert!(
        segur_dmp::td31::get_documents_body(&["urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"])
            .is_err()
    );
}

#[test]
fn td32_request_is_schema_valid() {
    let body = segur_dmp::td32::request_body(
        "1.2.250.1.213.4.1.1.1.2",
        "1.2.250.1.999.1.1.7898.1.995657292",
    )
    .unwrap();
    xmllint(&body, &schema("schema/IHE/XDS.b_DocumentRepository.xsd")).unwrap();
    assert!(
        segur_dmp::td32::request_body(
            "1.2.250.1.213.4.1.1.1.2",
            "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e"
        )
        .is_err()
    );
}

#[test]
fn td33_requests_are_schema_valid() {
    for change in [
        StatusChange::Archive,
        StatusChange::Unarchive,
        StatusChange::Delete,
    ] {
        let body = segur_dmp::td33::status_update_body(
            &submitter(),
            &patient(),
            "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e",
            segur_dmp::td31::STATUS_APPROVED,
            change,
        )
        .unwrap();
        xmllint(&body, &schema("schema/ebRS/lcm.xsd")).unwrap();
        assert!(body.contains(&format!("<rim:Value>{}</rim:Value>", change.new_status())));
    }
    // Mask: a metadata update copied from the TD3.1 example entry.
    let td31 = example("TD3.1_Recherche-de-document_response.xml");
    for change in [
        ConfidentialityChange::Mask,
        ConfidentialityChange::MakeVisibleToPatient,
    ] {
        let body = with_body(None, &td31, ResponseLimits::default(), |e, _| {
            let entry = segur_dmp::td33::find_entry(e, "1.2.250.1.999.1.1.7898.1.995657292")?;
            Ok(segur_dmp::td33::metadata_update_body(
                &submitter(),
                &patient(),
                entry,
                change,
            )?)
        })
        .unwrap();
        xmllint(&body, &schema("schema/ebRS/lcm.xsd")).unwrap();
        assert!(body.contains(r#"lid="urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e""#));
        assert!(body.contains(
            "<rim:Slot name=\"PreviousVersion\"><rim:ValueList><rim:Value>1</rim:Value>"
        ));
        assert_eq!(
            body.contains("nodeRepresentation=\"MASQUE_PS\""),
            change == ConfidentialityChange::Mask
        );
        assert!(!body.contains("VersionInfo"));
    }
}

#[test]
fn hostile_responses_get_typed_errors() {
    use segur_dmp::error::ResponseError;
    use segur_net::soap::SoapError;
    use segur_net::xml::XmlErrorKind;
    let xml_kind = |r: Result<Vec<segur_dmp::view::DocumentView>, DmpError>| match r {
        Err(DmpError::Response(ResponseError::Soap(SoapError::Xml(e)))) => e.kind,
        other => panic!("{other:?}"),
    };
    // A DTD (entity expansion) is refused before anything is read.
    let body = String::from_utf8(example("TD3.1_Recherche-de-document_response.xml")).unwrap();
    let dtd = format!("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>{body}");
    let r = with_body(None, dtd.as_bytes(), ResponseLimits::default(), |e, _| {
        segur_dmp::td31::read_response(e)
    });
    assert_eq!(xml_kind(r), XmlErrorKind::Doctype);
    // A truncated answer.
    let cut = &body.as_bytes()[..body.len() / 2];
    let r = with_body(None, cut, ResponseLimits::default(), |e, _| {
        segur_dmp::td31::read_response(e)
    });
    assert_eq!(xml_kind(r), XmlErrorKind::Truncated);
    // Over the size limit: refused, not truncated.
    let mut limits = ResponseLimits::default();
    limits.xml.max_bytes = 4096;
    let r = with_body(None, body.as_bytes(), limits, |e, _| {
        segur_dmp::td31::read_response(e)
    });
    assert!(matches!(xml_kind(r), XmlErrorKind::TooLarge { .. }));
    // A size slot that is not a number names the slot and the entry's position.
    let bad = body.replacen(
        "<ns4:Value>2768</ns4:Value>",
        "<ns4:Value>27x8</ns4:Value>",
        1,
    );
    let r = with_body(None, bad.as_bytes(), ResponseLimits::default(), |e, _| {
        segur_dmp::td31::read_response(e)
    });
    match r {
        Err(DmpError::Response(ResponseError::Invalid { what, position })) => {
            assert_eq!(what, "size slot");
            assert!(position > 0);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_retrieve_package_missing_its_part_is_refused() {
    let envelope = example("TD3.2_Consultation-dun-document_response.xml");
    let out = segur_net::soap::mtom::write_mtom(
        segur_net::soap::SoapVersion::Soap12,
        std::str::from_utf8(&envelope).unwrap(),
        None,
        &[segur_net::soap::mtom::Attachment {
            content_id: "another-part@segur",
            content_type: "application/octet-stream",
            data: b"x",
        }],
        "MIMEBoundary_test",
    )
    .unwrap();
    let r = with_body(
        Some(&out.content_type),
        &out.body,
        ResponseLimits::default(),
        segur_dmp::td32::read_response,
    );
    assert!(
        matches!(
            r,
            Err(DmpError::Response(segur_dmp::error::ResponseError::Soap(
                segur_net::soap::SoapError::Mtom(
                    segur_net::soap::mtom::MtomError::UnknownContentId { .. }
                )
            )))
        ),
        "{r:?}"
    );
}
