//! SOAP and MTOM on the official DMP example messages (`$SEGUR_SHARED/dmp/examples`), write →
//! read round trips, and xmllint as an independent well-formedness check of what is written.

use std::path::PathBuf;
use std::process::Command;

use segur_net::soap::mtom::{
    self, Attachment, MtomError, MtomLimits, ROOT_CONTENT_ID, read_mtom, write_mtom,
};
use segur_net::soap::{
    Addressing, FaultCode, SoapError, SoapFault, SoapVersion, WSA_ANONYMOUS, build_envelope,
    parse_envelope,
};
use segur_net::xml::{XmlLimits, XmlWriter};

fn examples() -> PathBuf {
    let shared = std::env::var("SEGUR_SHARED").unwrap_or_else(|_| "../../shared".into());
    let dir = PathBuf::from(shared).join("dmp/examples");
    assert!(
        dir.is_dir(),
        "DMP examples missing: {} (set SEGUR_SHARED)",
        dir.display()
    );
    dir
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(examples().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn xmllint(xml: &[u8]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("envelope.xml");
    std::fs::write(&path, xml).unwrap_or_else(|e| panic!("write: {e}"));
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint is required (libxml2-utils; scripts/install-deps installs it): {e}")
        });
    assert!(
        out.status.success(),
        "xmllint refused the envelope: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every single-envelope example (all but the TD2.1 MTOM request) parses with its version and
/// its WS-Addressing Action.
#[test]
fn every_example_envelope_parses() {
    let mut n = 0;
    for entry in std::fs::read_dir(examples()).expect("examples") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !(name.ends_with("_request.xml") || name.ends_with("_response.xml"))
            || name == "TD2.1_Alimentation_request.xml"
        {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        let env =
            parse_envelope(&bytes, XmlLimits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(env.version, SoapVersion::Soap12, "{name}");
        // The INSi answers without WS-Addressing; every DMP message carries an Action.
        if !name.starts_with("WS_INS2") {
            assert!(env.addressing.action.is_some(), "{name}: no wsa:Action");
        }
        assert!(env.body_content().is_some(), "{name}: empty body");
        n += 1;
    }
    assert!(n >= 30, "only {n} examples read");
}

#[test]
fn td3_2_response_addressing_and_unresolved_include() {
    let bytes = read("TD3.2_Consultation-dun-document_response.xml");
    let env = parse_envelope(&bytes, XmlLimits::default()).expect("envelope");
    assert_eq!(
        env.addressing,
        Addressing {
            action: Some("urn:ihe:iti:2007:RetrieveDocumentSetResponse".into()),
            message_id: Some("urn:uuid:28b8f0a8-f539-4b3a-bd07-51068af6e11b".into()),
            to: Some(WSA_ANONYMOUS.into()),
            relates_to: Some("urn:uuid:2cb4b0d2-683d-4073-9892-6c85cfdfbb43".into()),
            reply_to: None,
        }
    );
    let includes = mtom::xop_includes(&env.body);
    assert_eq!(includes.len(), 1);
    let href = includes[0].attribute("href").expect("href");
    assert_eq!(
        href,
        "cid:b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn%3Aihe%3Aiti%3Axds-b%3A2007"
    );

    // The example is the SOAP part alone: packaged with no attachment, the include is reported.
    let xml = std::str::from_utf8(&bytes).expect("utf-8");
    let alone = write_mtom(SoapVersion::Soap12, xml, None, &[], "MIMEBoundary_x").expect("write");
    let pkg = read_mtom(
        Some(&alone.content_type),
        &alone.body,
        MtomLimits::default(),
    )
    .expect("read");
    let env2 = pkg.envelope(XmlLimits::default()).expect("envelope");
    assert_eq!(
        pkg.resolve_includes(&env2.body),
        Err(MtomError::UnknownContentId {
            position: includes[0].position
        })
    );

    // With the part it names (Content-ID percent-decoded, RFC 2392), it resolves.
    let doc = read("TD2.1-DocumentME2.xml");
    let cid = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007";
    let out = write_mtom(
        SoapVersion::Soap12,
        xml,
        Some("urn:ihe:iti:2007:RetrieveDocumentSetResponse"),
        &[Attachment {
            content_id: cid,
            content_type: "application/octet-stream",
            data: &doc,
        }],
        "MIMEBoundary_Bound",
    )
    .expect("write");
    let pkg = read_mtom(Some(&out.content_type), &out.body, MtomLimits::default()).expect("read");
    let env3 = pkg.envelope(XmlLimits::default()).expect("envelope");
    let resolved = pkg.resolve_includes(&env3.body).expect("resolves");
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].content_id, cid);
    assert_eq!(resolved[0].part.body.as_ref(), doc.as_slice());
}

/// TD2.1 is marked defective (README, `specs/dmp.md` §11.3): its SOAP 1.1 envelope under a
/// root part typed `application/soap+xml` is reported; its parts and includes are read.
#[test]
fn td2_1_request_is_read_and_its_version_defect_reported() {
    let bytes = read("TD2.1_Alimentation_request.xml");
    let pkg = read_mtom(None, &bytes, MtomLimits::default()).expect("package");
    assert_eq!(pkg.parts.len(), 3);
    let root = pkg.root().expect("root");
    assert_eq!(root.content_id.as_deref(), Some("rootpart@soapui.org"));
    assert_eq!(pkg.declared_version(), Ok(Some(SoapVersion::Soap12)));
    assert_eq!(
        pkg.envelope(XmlLimits::default()),
        Err(SoapError::Mtom(MtomError::VersionMismatch {
            declared: SoapVersion::Soap12,
            envelope: SoapVersion::Soap11,
        }))
    );
    let env = parse_envelope(&root.body, XmlLimits::default()).expect("envelope itself");
    assert_eq!(env.version, SoapVersion::Soap11);
    assert_eq!(
        env.addressing.action.as_deref(),
        Some("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b")
    );
    assert_eq!(env.addressing.reply_to.as_deref(), Some(WSA_ANONYMOUS));
    let resolved = pkg.resolve_includes(&env.body).expect("includes");
    let ids: Vec<_> = resolved.iter().map(|r| r.content_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "WS_DMP_TD2.1-DocumentME2.xml",
            "WS_DMP_TD2.1-SignatureXades.xml"
        ]
    );
    for (r, file) in resolved
        .iter()
        .zip(["TD2.1-DocumentME2.xml", "TD2.1-SignatureXades.xml"])
    {
        let attached = segur_net::xml::parse_tree(&r.part.body, XmlLimits::default())
            .expect("attachment is XML");
        let separate = read(file);
        let separate = segur_net::xml::parse_tree(&separate, XmlLimits::default()).expect("file");
        assert_eq!(attached.name, separate.name, "{file}");
    }
}

#[test]
fn envelope_round_trip_and_xmllint() {
    for version in [SoapVersion::Soap11, SoapVersion::Soap12] {
        let addressing = Addressing {
            action: Some("urn:ihe:iti:2007:RegistryStoredQuery".into()),
            message_id: Some("urn:uuid:0f2b9a4c-1111-4222-8333-944455556666".into()),
            to: Some("https://dmp.example/si-dmp-server/v2/services".into()),
            relates_to: None,
            reply_to: Some(WSA_ANONYMOUS.into()),
        };
        let mut body = XmlWriter::new();
        body.start(
            "q:Query",
            &[("xmlns:q", "urn:example:q"), ("id", "a&b<\"c\">")],
        )
        .expect("start");
        body.text("Dupont & fils <SA>").expect("text");
        body.end().expect("end");
        let body = body.finish().expect("body");
        let security = r#"<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/>"#;
        let xml = build_envelope(version, &addressing, &[security], &body).expect("build");
        xmllint(xml.as_bytes());
        let env = parse_envelope(xml.as_bytes(), XmlLimits::default()).expect("parse");
        assert_eq!(env.version, version);
        assert_eq!(env.addressing, addressing);
        assert_eq!(env.header_blocks().count(), 5);
        let q = env.body_content().expect("payload");
        assert!(q.name.is("urn:example:q", "Query"));
        assert_eq!(q.attribute("id"), Some("a&b<\"c\">"));
        assert_eq!(q.text(), "Dupont & fils <SA>");
        assert_eq!(env.fault(), None);
    }
}

#[test]
fn faults_round_trip_in_both_versions_and_xmllint() {
    for version in [SoapVersion::Soap11, SoapVersion::Soap12] {
        let mut fault = SoapFault::new(version, FaultCode::Sender, "requête invalide");
        fault.subcodes = vec!["DMPInvalidCertificate".into()];
        let xml = fault.to_envelope(&Addressing::default()).expect("write");
        xmllint(xml.as_bytes());
        let env = parse_envelope(xml.as_bytes(), XmlLimits::default()).expect("parse");
        let read = env.fault().expect("fault");
        assert_eq!(read.version, version);
        assert_eq!(read.code, FaultCode::Sender);
        assert_eq!(read.subcodes, ["DMPInvalidCertificate"]);
        assert_eq!(read.reason, "requête invalide");
        assert_eq!(read.most_specific_code(), "DMPInvalidCertificate");
        assert!(
            !read.to_string().contains("requête"),
            "reason text kept out of Display"
        );
    }
}

#[test]
fn insi_fault_with_detail() {
    let xml = br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>siram:siram_40</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">erreur technique</soap:Text></soap:Reason><soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="insi_102" severite="fatale">Erreur technique</siram:Erreur></soap:Detail></soap:Fault></soap:Body></soap:Envelope>"#;
    let env = parse_envelope(xml, XmlLimits::default()).expect("parse");
    let f = env.fault().expect("fault");
    assert_eq!(f.code, FaultCode::Sender);
    assert_eq!(f.subcodes, ["siram_40"]);
    assert_eq!(f.reason_lang.as_deref(), Some("fr"));
    let d = f.detail.first().expect("detail");
    assert_eq!(
        (
            d.local.as_str(),
            d.attribute("code"),
            d.attribute("severite")
        ),
        ("Erreur", Some("insi_102"), Some("fatale"))
    );
    assert_eq!(d.text, "Erreur technique");
    // SOAP 1.1 faultcode with a dotted subcode.
    let xml = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client.Authentication</faultcode><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>"#;
    let f = parse_envelope(xml, XmlLimits::default())
        .expect("parse")
        .fault()
        .expect("fault");
    assert_eq!(
        (f.code, f.subcodes),
        (FaultCode::Sender, vec!["Authentication".to_owned()])
    );
}

#[test]
fn envelope_structure_errors() {
    let e = parse_envelope(
        b"<Envelope xmlns=\"urn:other\"><Body/></Envelope>",
        XmlLimits::default(),
    );
    assert_eq!(e, Err(SoapError::NotAnEnvelope { position: 0 }));
    let xml = br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/><s:Header/></s:Envelope>"#;
    assert_eq!(
        parse_envelope(xml, XmlLimits::default()),
        Err(SoapError::Structure { position: 71 })
    );
    let xml = br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>"#;
    assert_eq!(
        parse_envelope(xml, XmlLimits::default()),
        Err(SoapError::Structure { position: 0 })
    );
    let xml = b"<!DOCTYPE x><x/>";
    assert!(matches!(
        parse_envelope(xml, XmlLimits::default()),
        Err(SoapError::Xml(_))
    ));
}

#[test]
fn mtom_round_trip_with_binary_and_base64() {
    let env = build_envelope(SoapVersion::Soap12, &Addressing::default(), &[], "").expect("env");
    let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let out = write_mtom(
        SoapVersion::Soap12,
        &env,
        Some("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"),
        &[Attachment {
            content_id: "0.2@segur",
            content_type: "application/octet-stream",
            data: &data,
        }],
        "MIMEBoundary_Bound",
    )
    .expect("write");
    assert!(out.content_type.starts_with("multipart/related;"));
    let pkg = read_mtom(Some(&out.content_type), &out.body, MtomLimits::default()).expect("read");
    assert_eq!(
        pkg.root().and_then(|r| r.content_id.as_deref()),
        Some(ROOT_CONTENT_ID)
    );
    let att: Vec<_> = pkg.attachments().collect();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].body.as_ref(), data.as_slice());
    xmllint(&pkg.root().expect("root").body);

    // A base64 part (DB sends the KOS that way, specs/dmp.md §5.1), LF line ends.
    let b64 = "--b\nContent-Type: application/xop+xml; type=\"application/soap+xml\"\nContent-ID: <r>\n\n<e/>\n--b\nContent-ID: <a>\nContent-Transfer-Encoding: BASE64\n\naGVs\nbG8=\n--b--\n";
    let pkg = read_mtom(
        Some("multipart/related; boundary=b; start=\"<r>\""),
        b64.as_bytes(),
        MtomLimits::default(),
    )
    .expect("read");
    assert_eq!(pkg.parts[1].body.as_ref(), b"hello");
    assert_eq!(pkg.parts[0].body.as_ref(), b"<e/>");
}

#[test]
fn mtom_errors_are_typed() {
    let lim = MtomLimits::default();
    assert_eq!(
        read_mtom(Some("text/xml"), b"", lim),
        Err(MtomError::NotMultipartRelated)
    );
    assert_eq!(
        read_mtom(Some("multipart/related"), b"", lim),
        Err(MtomError::BadBoundary)
    );
    let unterminated = b"--b\r\nContent-ID: <a>\r\n\r\nabc";
    assert_eq!(
        read_mtom(Some("multipart/related; boundary=b"), unterminated, lim),
        Err(MtomError::Framing {
            position: unterminated.len() as u64
        })
    );
    let many = "--b\r\n\r\nx\r\n".repeat(100) + "--b--";
    assert_eq!(
        read_mtom(
            Some("multipart/related; boundary=b"),
            many.as_bytes(),
            MtomLimits {
                max_parts: 3,
                ..lim
            }
        ),
        Err(MtomError::TooManyParts {
            limit: 3,
            position: 3 * 10 + 5
        })
    );
    let long_header = format!("--b\r\nX: {}\r\n\r\nx\r\n--b--", "a".repeat(10_000));
    assert_eq!(
        read_mtom(
            Some("multipart/related; boundary=b"),
            long_header.as_bytes(),
            lim
        ),
        Err(MtomError::HeaderTooLong { position: 5 })
    );
    let qp = b"--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n--b--";
    assert_eq!(
        read_mtom(Some("multipart/related; boundary=b"), qp, lim),
        Err(MtomError::UnsupportedTransferEncoding { position: 5 })
    );
    let dup = b"--b\r\nContent-ID: <a>\r\n\r\nx\r\n--b\r\nContent-ID: <a>\r\n\r\ny\r\n--b--";
    assert_eq!(
        read_mtom(Some("multipart/related; boundary=b"), dup, lim),
        Err(MtomError::DuplicateContentId { position: 32 })
    );
    assert_eq!(
        read_mtom(
            Some("multipart/related; boundary=b; start=\"<zz>\""),
            b"--b\r\nContent-ID: <a>\r\n\r\nx\r\n--b--",
            lim
        ),
        Err(MtomError::NoRootPart)
    );
    let env = "<e>--b</e>";
    assert_eq!(
        write_mtom(SoapVersion::Soap12, env, None, &[], "b"),
        Err(MtomError::BoundaryInContent { part: 0 })
    );
    assert_eq!(
        write_mtom(
            SoapVersion::Soap12,
            "<e/>",
            None,
            &[Attachment {
                content_id: "a\r\nX: y",
                content_type: "text/plain",
                data: b""
            }],
            "b"
        ),
        Err(MtomError::InvalidHeaderValue { part: 1 })
    );
}

/// Reading is linear: a package of many small parts and a large part finish quickly.
#[test]
fn mtom_read_is_linear() {
    let big = vec![b'-'; 8 << 20];
    let out = write_mtom(
        SoapVersion::Soap12,
        "<e/>",
        None,
        &[Attachment {
            content_id: "big",
            content_type: "application/octet-stream",
            data: &big,
        }],
        "zz_boundary",
    )
    .expect("write");
    let t = std::time::Instant::now();
    let pkg = read_mtom(Some(&out.content_type), &out.body, MtomLimits::default()).expect("read");
    assert_eq!(pkg.parts[1].body.len(), big.len());
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
}
