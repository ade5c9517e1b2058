//! The CDA, XDM and MSSanté entry points called as C would call them (raw pointers,
//! out-parameters): a vaccination note from JSON to a composed MSSanté message and back, checked
//! against the Rust crates, plus the error families and NULL arguments. The C programs of
//! `tests/c` cover the same from gcc under valgrind and AddressSanitizer.
#![allow(unsafe_code)] // reading the strings and bytes the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use base64::Engine as _;
use segur::cda::*;
use segur::mssante::*;
use segur::*;
use std::ffi::c_char;
use std::ptr;
use support::{take_bytes, take_string as take};

mod support;

fn detail() -> String {
    let mut buf = [0 as c_char; 1024];
    let mut n = 0;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr(), buf.len(), &mut n),
        segur_result::Ok
    );
    String::from_utf8(buf[..n].iter().map(|c| *c as u8).collect()).unwrap()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

fn example(ty: &str) -> String {
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_cda_example(ty.as_ptr().cast(), ty.len(), &mut out),
        segur_result::Ok
    );
    take(out)
}

fn build(input: &str) -> Result<String, segur_result> {
    let mut out = ptr::null_mut();
    match segur_cda_build(input.as_ptr().cast(), input.len(), &mut out) {
        segur_result::Ok => Ok(take(out)),
        r => {
            assert!(out.is_null(), "outputs are written only on success");
            Err(r)
        }
    }
}

fn pack(cda: &[u8], pdf: Option<&[u8]>, opts: &str) -> Result<Vec<u8>, segur_result> {
    let (mut z, mut n) = (ptr::null_mut(), 0usize);
    let (p, pl) = pdf.map_or((ptr::null(), 0), |p| (p.as_ptr(), p.len()));
    match segur_xdm_pack(
        cda.as_ptr(),
        cda.len(),
        p,
        pl,
        opts.as_ptr().cast(),
        opts.len(),
        &mut z,
        &mut n,
    ) {
        segur_result::Ok => Ok(take_bytes(z, n)),
        r => Err(r),
    }
}

const OPTS: &str = r#"{"source_id":"1.2.250.1.999.1.1","sender":{"name":"Pharmacie du Centre","organization":"750712184","contact":"pharmacie.centre@test.mssante.fr","application":"LGO","version":"1","vendor":"V"}}"#;

/// Pack options: overrides, local patient id, PDF formatCode; unpack says what was checked and
/// `segur_xdm_unpack_checked` refuses what it cannot check.
#[test]
fn xdm_options_and_integrity() {
    use std::io::Write as _;
    let cda = build(&example("vaccination-note")).unwrap();
    let opts = r#"{"source_id":"1.2.250.1.999.1.1","format_code":{"code":"urn:x:f","codeSystem":"1.2.3","displayName":"F"},"class_code":{"code":"11","codeSystem":"1.2.250.1.213.1.1.4.1"},"patient_id":"local-when-no-ins","sender":{"organization":"O","contact":"c@test.mssante.fr"}}"#;
    let zip = pack(cda.as_bytes(), None, opts).unwrap();
    let mut pkg = ptr::null_mut();
    assert_eq!(
        segur_xdm_unpack_checked(zip.as_ptr(), zip.len(), true, &mut pkg),
        segur_result::Ok
    );
    let mut out = ptr::null_mut();
    assert_eq!(segur_xdm_package_json(pkg, &mut out), segur_result::Ok);
    let d = json(&take(out));
    segur_xdm_package_free(pkg);
    assert_eq!(d["documents"][0]["entry"]["formatCode"]["code"], "urn:x:f");
    assert_eq!(d["documents"][0]["entry"]["classCode"]["code"], "11");
    assert_eq!(d["documents"][0]["integrity"]["hash"], "verified");
    // README.TXT must name the sender's organisation and contact (IHE ITI TF-1 §16).
    for no_sender in [
        r#"{"source_id":"1.2.250.1.999.1.1"}"#,
        r#"{"source_id":"1.2.250.1.999.1.1","sender":{"organization":"","contact":"c@test.mssante.fr"}}"#,
        r#"{"source_id":"1.2.250.1.999.1.1","sender":{"organization":"O","contact":"  "}}"#,
    ] {
        assert_eq!(
            pack(cda.as_bytes(), None, no_sender),
            Err(segur_result::XdmSenderMissing),
            "{no_sender}"
        );
    }
    let bad = r#"{"source_id":"1.2.3","replaces_entry_uuid":"urn:uuid:1-author0"}"#;
    assert_eq!(
        pack(cda.as_bytes(), None, bad),
        Err(segur_result::InvalidParameter)
    );
    // Another sender's archive: metadata without hash and size.
    let doc = segur_dmp_cda::read(cda.as_bytes()).unwrap();
    let mut e = segur_dmp_cda::DocumentEntry::derive(
        &doc.header,
        cda.as_bytes(),
        None,
        &Default::default(),
    )
    .unwrap();
    e.uri = Some("DOC0001.XML".into());
    e.hash = None;
    e.size = None;
    let set = segur_dmp_cda::SubmissionSet::for_entry(&e, "1.2.3", None);
    let meta = segur_dmp_cda::ebrim::write(&segur_dmp_cda::Submission::new(set, vec![e]));
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in [
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", cda.as_bytes()),
    ] {
        zw.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.write_all(bytes).unwrap();
    }
    let other = zw.finish().unwrap().into_inner();
    let mut pkg = ptr::null_mut();
    assert_eq!(
        segur_xdm_unpack(other.as_ptr(), other.len(), &mut pkg),
        segur_result::Ok
    );
    assert_eq!(segur_xdm_package_json(pkg, &mut out), segur_result::Ok);
    let d = json(&take(out));
    segur_xdm_package_free(pkg);
    assert_eq!(d["documents"][0]["integrity"]["hash"], "not-in-metadata");
    assert_eq!(d["documents"][0]["integrity"]["size"], "not-in-metadata");
    let mut pkg = ptr::null_mut();
    assert_eq!(
        segur_xdm_unpack_checked(other.as_ptr(), other.len(), true, &mut pkg),
        segur_result::XdmUnchecked
    );
    assert!(pkg.is_null());
}

#[test]
fn every_example_builds_reads_and_validates_like_the_crate() {
    for ty in segur_dmp_cda::build::examples::TYPES {
        let input = example(ty);
        let xml = build(&input).unwrap();
        let expected = segur_dmp_cda::build::examples::example(ty)
            .unwrap()
            .unwrap()
            .build()
            .unwrap();
        // Entry ids are fresh 2.25 UUIDs: the headers must be equal.
        let limits = Default::default();
        assert_eq!(
            segur_dmp_cda::read_header(xml.as_bytes(), &limits).unwrap(),
            segur_dmp_cda::read_header(expected.as_bytes(), &limits).unwrap(),
            "{ty}"
        );

        let mut out = ptr::null_mut();
        assert_eq!(
            segur_cda_read(xml.as_ptr(), xml.len(), &mut out),
            segur_result::Ok
        );
        let doc = json(&take(out));
        let rust = segur_dmp_cda::read(xml.as_bytes()).unwrap();
        assert_eq!(doc, serde_json::to_value(&rust).unwrap(), "{ty}");

        let mut out = ptr::null_mut();
        assert_eq!(
            segur_cda_validate(xml.as_ptr(), xml.len(), &mut out),
            segur_result::Ok
        );
        assert_eq!(json(&take(out)), serde_json::json!([]), "{ty}: findings");
    }
}

#[test]
fn cda_errors_have_their_codes_and_no_patient_data() {
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_cda_example(c"nope".as_ptr(), 4, &mut out),
        segur_result::InvalidParameter
    );
    assert_eq!(build("{"), Err(segur_result::InvalidJson));
    let mut v = json(&example("vaccination-note"));
    v["vaccination"]["route"] = "not-a-route".into();
    assert_eq!(build(&v.to_string()), Err(segur_result::InvalidJson));
    assert!(!detail().contains("not-a-route"));

    for (xml, code) in [
        (
            &b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'PAT-TROIS'>]><x>&a;</x>"[..],
            segur_result::CdaXml,
        ),
        (b"<html/>", segur_result::CdaNotCda),
        (
            b"<ClinicalDocument xmlns='urn:hl7-org:v3'/>",
            segur_result::CdaMissing,
        ),
        (b"\xff\xfe", segur_result::CdaXml),
        // CDA R2: the document is in urn:hl7-org:v3, default or prefixed.
        (b"<ClinicalDocument/>", segur_result::CdaNamespace),
        (
            b"<c:ClinicalDocument xmlns:c='urn:example:other'/>",
            segur_result::CdaNamespace,
        ),
        (
            b"<ClinicalDocument xmlns='urn:hl7-org:v3'><component><nonXMLBody><text \
              representation='B64'>QUJD<br/>REVG</text></nonXMLBody></component></ClinicalDocument>",
            segur_result::CdaNonXmlBodyMarkup,
        ),
    ] {
        assert_eq!(segur_cda_read(xml.as_ptr(), xml.len(), &mut out), code);
        assert!(out.is_null());
        assert!(!detail().contains("PAT-TROIS"));
        assert_eq!(segur_cda_validate(xml.as_ptr(), xml.len(), &mut out), code);
    }
    // A findings list for a readable but non-conformant document, each naming its rule.
    let xml = build(&example("vaccination-note")).unwrap();
    let broken = xml.replacen("realmCode code=\"FR\"", "realmCode code=\"XX\"", 1);
    assert_ne!(broken, xml);
    assert_eq!(
        segur_cda_validate(broken.as_ptr(), broken.len(), &mut out),
        segur_result::Ok
    );
    let findings = json(&take(out));
    let findings = findings.as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f["rule"].as_str().is_some_and(|r| !r.is_empty()))
    );

    assert_eq!(
        segur_cda_build(ptr::null(), 0, &mut out),
        segur_result::NullParameter
    );
    assert_eq!(
        segur_cda_read(xml.as_ptr(), xml.len(), ptr::null_mut()),
        segur_result::NullParameter
    );
}

#[test]
fn xdm_pack_then_unpack_gives_back_the_documents() {
    let cda = build(&example("vaccination-note")).unwrap();
    let pdf = segur_dmp_cda::build::examples::MINIMAL_PDF;
    let zip = pack(cda.as_bytes(), Some(pdf), OPTS).unwrap();

    let mut pkg = ptr::null_mut();
    assert_eq!(
        segur_xdm_unpack(zip.as_ptr(), zip.len(), &mut pkg),
        segur_result::Ok
    );
    assert_eq!(segur_xdm_package_count(pkg), 2);
    let mut out = ptr::null_mut();
    assert_eq!(segur_xdm_package_json(pkg, &mut out), segur_result::Ok);
    let d = json(&take(out));
    assert_eq!(d["documents"][0]["path"], "IHE_XDM/SUBSET01/DOC0001.XML");
    assert_eq!(d["documents"][0]["xml"], true);
    assert_eq!(d["documents"][0]["entry"]["typeCode"]["code"], "87273-9");
    assert_eq!(d["documents"][1]["entry"]["mimeType"], "application/pdf");
    assert_eq!(d["patient_ins"]["extension"], "279035121518989");
    assert_eq!(
        d["subsets"][0]["submission"]["submissionSet"]["sourceId"],
        "1.2.250.1.999.1.1"
    );
    let (mut b, mut n) = (ptr::null(), 0usize);
    assert_eq!(
        segur_xdm_package_document(pkg, 0, &mut b, &mut n),
        segur_result::Ok
    );
    // SAFETY: borrowed bytes, valid until the package is freed.
    assert_eq!(unsafe { std::slice::from_raw_parts(b, n) }, cda.as_bytes());
    assert_eq!(
        segur_xdm_package_document(pkg, 1, &mut b, &mut n),
        segur_result::Ok
    );
    // SAFETY: as above.
    assert_eq!(unsafe { std::slice::from_raw_parts(b, n) }, pdf);
    assert_eq!(
        segur_xdm_package_document(pkg, 2, &mut b, &mut n),
        segur_result::InvalidParameter
    );
    segur_xdm_package_free(pkg);
    segur_xdm_package_free(ptr::null_mut());
    assert_eq!(segur_xdm_package_count(ptr::null()), 0);

    // The archive agrees with the crate's reader.
    let rust = segur_dmp_cda::XdmPackage::unpack(&zip, &Default::default()).unwrap();
    assert_eq!(rust.cda_documents().count(), 1);
}

#[test]
fn xdm_errors_have_their_codes() {
    let cda = build(&example("vaccination-note")).unwrap();
    assert_eq!(pack(b"<x/>", None, OPTS), Err(segur_result::XdmCda));
    assert_eq!(
        pack(cda.as_bytes(), None, "{}"),
        Err(segur_result::InvalidJson)
    );
    assert_eq!(
        pack(cda.as_bytes(), None, r#"{"source_id":"1","nope":1}"#),
        Err(segur_result::InvalidJson)
    );
    let zip = pack(cda.as_bytes(), None, OPTS).unwrap();
    let mut pkg = ptr::null_mut();
    for (bytes, code) in [
        (&b"PK\x03\x04 not a zip"[..], segur_result::XdmZip),
        (&zip[..zip.len() / 2], segur_result::XdmZip),
    ] {
        assert_eq!(
            segur_xdm_unpack(bytes.as_ptr(), bytes.len(), &mut pkg),
            code
        );
        assert!(pkg.is_null());
    }
    // A byte of the document changed in place (stored uncompressed or not, the hash catches it
    // or the zip CRC does): never handed over as a valid document.
    let mut tampered = zip.clone();
    let at = zip
        .windows(4)
        .position(|w| w == b"8727")
        .unwrap_or(zip.len() / 3);
    tampered[at] ^= 1;
    let r = segur_xdm_unpack(tampered.as_ptr(), tampered.len(), &mut pkg);
    assert!(
        matches!(
            r,
            segur_result::XdmZip | segur_result::XdmIntegrity | segur_result::XdmMetadata
        ),
        "{r:?}"
    );
    assert_eq!(
        segur_xdm_unpack(ptr::null(), 0, &mut pkg),
        segur_result::NullParameter
    );
}

fn compose(opts: &str, xdm: Option<&[u8]>) -> Result<(Vec<u8>, serde_json::Value), segur_result> {
    let (mut e, mut n, mut j) = (ptr::null_mut(), 0usize, ptr::null_mut());
    let (x, xl) = xdm.map_or((ptr::null(), 0), |x| (x.as_ptr(), x.len()));
    match segur_mss_compose(
        opts.as_ptr().cast(),
        opts.len(),
        x,
        xl,
        &mut e,
        &mut n,
        &mut j,
    ) {
        segur_result::Ok => Ok((take_bytes(e, n), json(&take(j)))),
        r => {
            assert!(
                e.is_null() && j.is_null(),
                "outputs are written only on success"
            );
            Err(r)
        }
    }
}

#[test]
fn a_vaccination_note_is_composed_for_the_patient_and_read_back() {
    let input = json(&example("vaccination-note"));
    let identity = &input["header"]["patient"]["identity"];
    let cda = build(&input.to_string()).unwrap();
    let zip = pack(cda.as_bytes(), None, OPTS).unwrap();
    let opts = serde_json::json!({
        "from": "pharmacie.centre@pharma.mssante.fr",
        "nil": "REF-CONVERGENCE-1",
        "to": ["dr.martin@medecin.mssante.fr"],
        "patients": [identity],
        "subject": "Note de vaccination",
        "xdm_subject": true,
        "text": "Veuillez trouver la note de vaccination.",
        "read_receipt": true,
        "end_of_conversation": true,
    });
    let (eml, summary) = compose(&opts.to_string(), Some(&zip)).unwrap();
    assert_eq!(summary["x_mss_codecda"], serde_json::json!(["87273-9"]));
    assert_eq!(summary["x_mss_ins"], "O");
    assert_eq!(summary["x_mss_mes_fin"], true);
    assert_eq!(summary["x_mss_nil"], "REF-CONVERGENCE-1");
    assert_eq!(summary["bytes"], eml.len());
    assert_eq!(
        summary["recipients"][1],
        "279035121518989@patient.mssante.fr"
    );

    let mut out = ptr::null_mut();
    assert_eq!(
        segur_mss_parse(eml.as_ptr(), eml.len(), &mut out),
        segur_result::Ok
    );
    let m = json(&take(out));
    assert_eq!(m["message_id"], summary["message_id"]);
    assert_eq!(m["x_mss_codecda"], serde_json::json!(["87273-9"]));
    assert_eq!(m["x_mss_ins"], "O");
    assert_eq!(m["display_subject"], "Note de vaccination");
    assert_eq!(
        m["disposition_notification_to"],
        "pharmacie.centre@pharma.mssante.fr"
    );
    let xdm = m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "Xdm")
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(xdm["data_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, zip);
    assert_eq!(m["report"], serde_json::Value::Null);

    // Without XDM: no X-MSS-CODECDA, no X-MSS-INS.
    let plain = serde_json::json!({
        "from": "a@pharma.mssante.fr", "nil": "REF", "to": ["b@medecin.mssante.fr"],
        "subject": "Bonjour", "text": "x"
    });
    let (_, s) = compose(&plain.to_string(), None).unwrap();
    assert_eq!(s["x_mss_codecda"], serde_json::json!([]));
    assert_eq!(s["x_mss_ins"], serde_json::Value::Null);
}

#[test]
fn mss_errors_have_their_codes() {
    let base = serde_json::json!({
        "from": "a@pharma.mssante.fr", "nil": "REF", "to": ["b@medecin.mssante.fr"],
        "subject": "Bonjour", "text": "x"
    });
    let with = |k: &str, v: serde_json::Value| {
        let mut o = base.clone();
        o[k] = v;
        o.to_string()
    };
    assert_eq!(
        compose(&with("from", "not an address".into()), None),
        Err(segur_result::MssInvalidAddress)
    );
    assert_eq!(
        compose(
            &with(
                "to",
                serde_json::json!(["279035121518989@patient.mssante.fr"])
            ),
            None
        ),
        Err(segur_result::MssCompose)
    );
    assert!(!detail().contains("279035121518989"));
    assert_eq!(
        compose(&with("subject", "a\r\nBcc: x@y.fr".into()), None),
        Err(segur_result::MssInvalidHeader)
    );
    assert_eq!(
        compose(&base.to_string(), Some(b"not a zip")),
        Err(segur_result::MssXdmArchive)
    );
    assert_eq!(
        compose(&with("size_limit", 100.into()), None),
        Err(segur_result::MssTooLarge)
    );
    assert_eq!(compose("{}", None), Err(segur_result::InvalidJson));

    let mut out = ptr::null_mut();
    for raw in [&b"\x00\x01 random bytes"[..], b"From nobody\n\nbody"] {
        assert_eq!(
            segur_mss_parse(raw.as_ptr(), raw.len(), &mut out),
            segur_result::MssMalformed
        );
        assert!(out.is_null());
    }
    assert_eq!(
        segur_mss_parse(ptr::null(), 0, &mut out),
        segur_result::NullParameter
    );
}

/// Fills a `segur_mss_credentials` handle and calls `segur_mss_send` toward 127.0.0.1:`port`;
/// the first result that is not OK (a setter's or the send's) is returned.
fn send(port: u16, roots: &[u8], token: Option<&str>, p12: Option<&[u8]>) -> segur_result {
    use segur::mss_credentials::*;
    let conn = format!(r#"{{"host":"127.0.0.1","port":{port},"timeout_secs":5}}"#);
    let opts = r#"{"from":"a@pharma.mssante.fr","nil":"REF","to":["b@medecin.mssante.fr"],"subject":"s","text":"x"}"#;
    let mut creds = ptr::null_mut();
    assert_eq!(segur_mss_credentials_new(&mut creds), segur_result::Ok);
    let mut r = segur_mss_credentials_set_roots_pem(creds, roots.as_ptr(), roots.len());
    if let (segur_result::Ok, Some(t)) = (r, token) {
        r = segur_mss_credentials_set_token(creds, t.as_ptr().cast(), t.len());
    }
    if let (segur_result::Ok, Some(p)) = (r, p12) {
        r = segur_mss_credentials_set_pkcs12(creds, p.as_ptr(), p.len(), c"pw".as_ptr(), 2);
    }
    if r == segur_result::Ok {
        let mut out = ptr::null_mut();
        r = segur_mss_send(
            conn.as_ptr().cast(),
            conn.len(),
            creds,
            opts.as_ptr().cast(),
            opts.len(),
            ptr::null(),
            0,
            &mut out,
        );
        assert!(out.is_null(), "outputs are written only on success");
    }
    segur_mss_credentials_free(creds);
    r
}

#[test]
fn send_refuses_bad_credentials_closed_ports_and_servers_without_starttls() {
    use std::io::{BufRead, BufReader, Write};
    let roots = rcgen::generate_simple_self_signed(vec!["localhost".into()])
        .unwrap()
        .cert
        .pem();
    let roots = roots.as_bytes();
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(
        send(closed, roots, None, None),
        segur_result::InvalidParameter
    );
    assert_eq!(
        send(closed, b"not a PEM", Some("tok"), None),
        segur_result::MssCertificate
    );
    assert_eq!(
        send(closed, roots, None, Some(b"not PKCS#12")),
        segur_result::MssCertificate
    );
    assert_eq!(
        send(closed, roots, Some("tok"), None),
        segur_result::MssSmtpNetwork
    );

    // A real TCP peer speaking SMTP without STARTTLS: the client must refuse to go on in clear.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        w.write_all(b"220 test ESMTP\r\n").unwrap();
        let mut seen = Vec::new();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            let cmd = line.trim_end().to_ascii_uppercase();
            seen.push(cmd.clone());
            if cmd.starts_with("EHLO") {
                w.write_all(b"250-test\r\n250 SIZE 1000000\r\n").unwrap();
            } else if cmd.starts_with("QUIT") {
                let _ = w.write_all(b"221 bye\r\n");
                break;
            } else {
                let _ = w.write_all(b"502 no\r\n");
            }
            line.clear();
        }
        seen
    });
    assert_eq!(
        send(port, roots, Some("tok"), None),
        segur_result::MssSmtpStartTlsUnavailable
    );
    let seen = server.join().unwrap();
    assert!(
        !seen
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        "{seen:?}"
    );
}

/// A NIR given as a number in a document input is refused as invalid JSON whose detail never
/// quotes the value (serde's own text would) and gives its real position, although it lies
/// inside the `type`-tagged document (serde's derived tagged enums would report line 0).
#[test]
fn json_errors_never_quote_the_value() {
    let json = example("vaccination-note");
    let broken = json.replace("\"279035121518989\"", "279035121518989");
    assert_ne!(broken, json);
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_cda_build(broken.as_ptr().cast(), broken.len(), &mut out),
        segur_result::InvalidJson
    );
    assert!(out.is_null());
    let d = detail();
    assert!(!d.contains("27903512"), "{d}");
    assert!(!d.contains("line 0"), "{d}");
    assert!(
        broken.starts_with("{\"type\":\"vaccination-note\","),
        "{broken}"
    );
    // serde_json places a type error on the value's last character.
    let column = broken.find("279035121518989").unwrap() + "279035121518989".len();
    assert_eq!(d, format!("JSON Data error at line 1 column {column}"));
}
