//! Every request the client sends is valid against the official XSD annex v2.01.04
//! (`shared/dmp/wsdl-schema`), checked on the wire: the client runs each of its transactions
//! against the simulator with recording on (`SimulatorOptions::record_dir`, `--record`), and
//! each recorded request is taken apart here — without the SDK's SOAP or MTOM readers, so that
//! the check does not share their mistakes — into its SOAP body (the MTOM root part for TD2.1)
//! and validated with `xmllint --noout --nonet --schema` (an independent checker):
//!
//! | Transaction | Action | Schema |
//! |---|---|---|
//! | TD0.2 | `urn:hl7-org:v3:PRPA_IN201307UV02` | `HL7V3/NE2009/multicacheschemas/PRPA_IN201307UV02.xsd` |
//! | TD0.3 | `setAuthorization` | the `xs:schema` of `wsdl/Habilitations.wsdl` |
//! | TD2.1 | `ProvideAndRegisterDocumentSet-b` | `IHE/XDS.b_DocumentRepository.xsd` |
//! | TD3.1 | `RegistryStoredQuery` | `ebRS/query.xsd` |
//! | TD3.2 | `RetrieveDocumentSet` | `IHE/XDS.b_DocumentRepository.xsd` |
//! | TD3.3 | `UpdateDocumentSet` | `ebRS/lcm.xsd` |
//!
//! The XAdES signature part of each TD2.1 (its own MTOM part) is validated against
//! `signature/XAdES.xsd` (its import of the XML-DSig schema pointed at the annex's copy), and
//! the VIHF's `ds:Signature` against `signature/xmldsig-core-schema.xsd`. The annex has no SAML
//! 2.0 schema: the assertion itself is checked by the simulator (§11.1), not by an XSD here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::simulator::{Simulator, SimulatorOptions};
use segur_dmp::td03::AuthorizationAction;
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::{FindDocuments, QueryCode, StatusFilter};
use segur_dmp::td33::{ConfidentialityChange, StatusChange};
use segur_dmp_cda::build::{DocumentInput, PreviousVersion, examples};
use segur_dmp_cda::read::ReadLimits;

fn shared() -> PathBuf {
    PathBuf::from(
        std::env::var("SEGUR_SHARED")
            .expect("SEGUR_SHARED must name the shared folder (export SEGUR_SHARED=../shared)"),
    )
}

fn schema(rel: &str) -> PathBuf {
    shared().join("dmp/wsdl-schema").join(rel)
}

/// `xmllint --noout --nonet --schema XSD FILE`; fails naming the tool when it is missing.
fn xmllint(file: &Path, xsd: &Path) -> Result<(), String> {
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd)
        .arg(file)
        .output()
        .expect("xmllint is required (Debian libxml2-utils, installed by scripts/install-deps)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("a UTF-8 XML part")
}

/// A recorded request: headers (lower-case names) and body.
struct Recorded {
    name: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn recordings(dir: &Path) -> Vec<Recorded> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let raw = std::fs::read(f).unwrap();
            let end = find(&raw, b"\r\n\r\n").expect("end of the recorded headers");
            let head = text(&raw[..end]);
            let headers = head
                .lines()
                .skip(1)
                .map(|l| {
                    let (n, v) = l.split_once(": ").unwrap();
                    (n.to_owned(), v.to_owned())
                })
                .collect();
            Recorded {
                name: f.file_name().unwrap().to_string_lossy().into_owned(),
                headers,
                body: raw[end + 4..].to_vec(),
            }
        })
        .collect()
}

/// A Content-Type parameter (quoted or not).
fn param<'a>(content_type: &'a str, name: &str) -> Option<&'a str> {
    content_type.split(';').find_map(|p| {
        let (n, v) = p.trim().split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"'))
    })
}

/// The MIME parts of a multipart/related body (RFC 2046 §5.1.1): (headers, content).
fn mime_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<(String, &'a [u8])> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    let first = find(rest, delimiter.as_bytes()).expect("first MIME boundary");
    rest = &rest[first + delimiter.len()..];
    while !rest.starts_with(b"--") {
        let head_end = find(rest, b"\r\n\r\n").expect("MIME part headers");
        let headers = text(&rest[..head_end]).trim().to_ascii_lowercase();
        let content = &rest[head_end + 4..];
        let next = find(content, format!("\r\n{delimiter}").as_bytes()).expect("next boundary");
        parts.push((headers, &content[..next]));
        rest = &content[next + 2 + delimiter.len()..];
    }
    parts
}

/// The start tag of the element beginning at `at` (`<` ... `>`), assuming no `>` inside
/// attribute values (true of the envelope and body start tags the client writes).
fn start_tag(xml: &str, at: usize) -> &str {
    &xml[at..at + xml[at..].find('>').unwrap() + 1]
}

/// The `xmlns` and `xmlns:p` declarations of a start tag: (attribute name, whole attribute).
fn declarations(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(i) = rest.find(" xmlns") {
        rest = &rest[i + 1..];
        let eq = rest.find('=').unwrap();
        let quote = rest.as_bytes()[eq + 1] as char;
        let close = eq + 2 + rest[eq + 2..].find(quote).unwrap();
        out.push((rest[..eq].to_owned(), rest[..=close].to_owned()));
        rest = &rest[close..];
    }
    out
}

/// The element child of the SOAP Body of `envelope` as a standalone document: the bytes as
/// sent, with the namespace declarations in scope at the Body (from Envelope and Body start
/// tags) added to its start tag where it does not redeclare them (XML Namespaces §6.1).
fn soap_body_child(envelope: &str) -> String {
    let mut root = envelope.find('<').unwrap();
    while envelope[root..].starts_with("<?") || envelope[root..].starts_with("<!--") {
        root += 1 + envelope[root + 1..].find('<').unwrap();
    }
    let env_tag = start_tag(envelope, root);
    let name_end = env_tag
        .find(|c: char| c.is_whitespace() || c == '>')
        .unwrap();
    let env_name = &env_tag[1..name_end];
    assert!(env_name.ends_with("Envelope"), "root {env_name}");
    let prefix = env_name.strip_suffix("Envelope").unwrap();
    let body_open = envelope.find(&format!("<{prefix}Body")).expect("SOAP Body");
    let body_tag = start_tag(envelope, body_open);
    let content_start = body_open + body_tag.len();
    let content_end = envelope
        .rfind(&format!("</{prefix}Body>"))
        .expect("SOAP Body end");
    let content = envelope[content_start..content_end].trim();
    assert!(content.starts_with('<'), "a Body holding an element");
    let child_tag = start_tag(content, 0);
    let own: Vec<String> = declarations(child_tag).into_iter().map(|d| d.0).collect();
    let mut inherited = String::new();
    let mut seen = own.clone();
    for (name, attr) in declarations(body_tag)
        .into_iter()
        .chain(declarations(env_tag))
    {
        if !seen.contains(&name) {
            inherited.push(' ');
            inherited.push_str(&attr);
            seen.push(name);
        }
    }
    let name_end = child_tag
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap();
    format!(
        "{}{inherited}{}",
        &content[..name_end],
        &content[name_end..]
    )
}

/// The XOP infoset of `xml` (XOP 1.0 §3.2, what the schema describes): each `xop:Include`
/// replaced by the base64 of the MIME part its `href` names (`cid:` URL, RFC 2392).
fn inline_xop(xml: &str, parts: &[(String, &[u8])]) -> String {
    use base64::Engine as _;
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find(":Include ") {
        let open = rest[..i].rfind('<').unwrap();
        let end = i + rest[i..].find("/>").expect("an empty xop:Include") + 2;
        let tag = &rest[open..end];
        let href = tag
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let cid = href
            .strip_prefix("cid:")
            .expect("a cid: URL")
            .replace("%40", "@");
        let want = format!("content-id: <{}>", cid.to_ascii_lowercase());
        let (_, content) = parts
            .iter()
            .find(|(h, _)| h.contains(&want))
            .unwrap_or_else(|| panic!("no MIME part {cid}"));
        out.push_str(&rest[..open]);
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(content));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The `ds:Signature` element of the VIHF in a SOAP envelope, with the in-scope declarations.
fn vihf_signature(envelope: &str) -> Option<String> {
    let mut from = envelope.find("Assertion")?;
    let (open, prefix) = loop {
        let i = from + envelope[from..].find("Signature")?;
        let open = envelope[..i].rfind('<')?;
        let name = &envelope[open + 1..i];
        if name.is_empty()
            || (name.ends_with(':') && !name.contains(|c: char| " \t\r\n/>\"".contains(c)))
        {
            break (open, name);
        }
        from = i + 1;
    };
    let close = format!("</{prefix}Signature>");
    let end = open + envelope[open..].find(&close)? + close.len();
    let sig = &envelope[open..end];
    let decl = match prefix.strip_suffix(':') {
        Some(p) => format!(" xmlns:{p}="),
        None => " xmlns=".to_owned(),
    };
    if start_tag(sig, 0).contains(&decl) {
        return Some(sig.to_owned());
    }
    // Declared on an ancestor: the nearest declaration before it (the client writes none
    // that a sibling would close).
    let at = envelope[..open].rfind(&decl)? + 1;
    let quote = envelope[at + decl.len() - 1..].chars().next()?;
    let end = at + decl.len() + envelope[at + decl.len()..].find(quote)?;
    let name_end = prefix.len() + "Signature".len() + 1;
    Some(format!(
        "{} {}{}",
        &sig[..name_end],
        &envelope[at..=end],
        &sig[name_end..]
    ))
}

/// What each recorded request is, its schema-valid SOAP body, and, for TD2.1, its XAdES part.
struct Checked {
    action: String,
    xades: usize,
    vihf_signatures: usize,
}

fn check_all(dir: &Path, work: &Path) -> Vec<Checked> {
    // XAdES.xsd imports the XML-DSig schema by its W3C URL: point it at the annex's copy.
    let xades_xsd = work.join("XAdES.xsd");
    std::fs::write(
        &xades_xsd,
        std::fs::read_to_string(schema("schema/signature/XAdES.xsd"))
            .unwrap()
            .replace(
                "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd",
                schema("schema/signature/xmldsig-core-schema.xsd")
                    .to_str()
                    .unwrap(),
            ),
    )
    .unwrap();
    let wsdl = std::fs::read_to_string(schema("wsdl/Habilitations.wsdl")).unwrap();
    let start = wsdl.find("<xs:schema").unwrap();
    let end = wsdl.find("</xs:schema>").unwrap() + "</xs:schema>".len();
    let habilitations = work.join("habilitations.xsd");
    std::fs::write(&habilitations, &wsdl[start..end]).unwrap();

    let mut out = Vec::new();
    for r in recordings(dir) {
        let content_type = r.headers.get("content-type").expect("Content-Type").clone();
        let action = param(&content_type, "action")
            .or_else(|| r.headers.get("soapaction").map(|s| s.trim_matches('"')))
            .expect("a SOAP action")
            .to_owned();
        let (envelope, attachments): (String, Vec<(String, &[u8])>) = if content_type
            .to_ascii_lowercase()
            .starts_with("multipart/related")
        {
            let boundary = param(&content_type, "boundary").expect("boundary");
            let start = param(&content_type, "start").map(|s| s.to_ascii_lowercase());
            let parts = mime_parts(&r.body, boundary);
            let root = parts
                .iter()
                .position(|(h, _)| {
                    start
                        .as_deref()
                        .is_none_or(|s| h.contains(&format!("content-id: {s}")))
                })
                .expect("the MTOM root part");
            assert!(
                parts[root].0.contains("application/xop+xml"),
                "{}: root part {}",
                r.name,
                parts[root].0
            );
            let others = parts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != root)
                .map(|(_, (h, c))| (h.clone(), *c))
                .collect();
            (text(parts[root].1).to_owned(), others)
        } else {
            (text(&r.body).to_owned(), Vec::new())
        };
        let xsd = match action.as_str() {
            "urn:hl7-org:v3:PRPA_IN201307UV02" => {
                schema("schema/HL7V3/NE2009/multicacheschemas/PRPA_IN201307UV02.xsd")
            }
            a if a.contains("setAuthorization") => habilitations.clone(),
            "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
            | "urn:ihe:iti:2007:RetrieveDocumentSet" => {
                schema("schema/IHE/XDS.b_DocumentRepository.xsd")
            }
            "urn:ihe:iti:2007:RegistryStoredQuery" => schema("schema/ebRS/query.xsd"),
            "urn:ihe:iti:2010:UpdateDocumentSet" => schema("schema/ebRS/lcm.xsd"),
            other => panic!("{}: unexpected action {other}", r.name),
        };
        let body = inline_xop(&soap_body_child(&envelope), &attachments);
        let file = work.join(format!("{}.body.xml", r.name));
        std::fs::write(&file, &body).unwrap();
        if let Err(e) = xmllint(&file, &xsd) {
            panic!(
                "{} ({action}) is not valid against {}:\n{e}",
                r.name,
                xsd.display()
            );
        }
        let mut vihf_signatures = 0;
        if let Some(sig) = vihf_signature(&envelope) {
            let f = work.join(format!("{}.vihf-signature.xml", r.name));
            std::fs::write(&f, sig).unwrap();
            if let Err(e) = xmllint(&f, &schema("schema/signature/xmldsig-core-schema.xsd")) {
                panic!("{}: the VIHF signature is not XML-DSig valid:\n{e}", r.name);
            }
            vihf_signatures += 1;
        }
        let mut xades = 0;
        for (i, (_, content)) in attachments.iter().enumerate() {
            if find(content, b"QualifyingProperties").is_some() {
                let f = work.join(format!("{}.part{i}.xml", r.name));
                std::fs::write(&f, content).unwrap();
                if let Err(e) = xmllint(&f, &xades_xsd) {
                    panic!("{}: the XAdES part is not valid:\n{e}", r.name);
                }
                xades += 1;
            }
        }
        out.push(Checked {
            action,
            xades,
            vihf_signatures,
        });
    }
    out
}

fn vac_note_input() -> DocumentInput {
    serde_json::from_value(examples::example_json("vaccination-note").unwrap()).unwrap()
}

fn feed_document(cda: &str) -> FeedDocument {
    FeedDocument::from_cda(cda.as_bytes().to_vec(), &Default::default()).unwrap()
}

#[test]
fn every_transaction_the_client_sends_is_schema_valid() {
    let record = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorOptions {
        record_dir: Some(record.path().to_owned()),
        ..SimulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = DmpConfig::load(&sim.write_config(dir.path()).unwrap()).unwrap();
    let client = DmpClient::from_config(&config).unwrap();

    let cda = vac_note_input().build().unwrap();
    let doc = feed_document(&cda);
    let patient = *doc.patient();

    // TD0.2, TD0.3 (both actions).
    client.existence_test(&patient).unwrap();
    client
        .set_authorization(&patient, AuthorizationAction::Add)
        .unwrap();
    // TD2.1 single document.
    assert_eq!(client.feed(&doc, None).unwrap(), FeedOutcome::Fed);
    // TD2.1 replacement (RPLC).
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default()).unwrap();
    let mut input = vac_note_input();
    input
        .header_mut()
        .replace(PreviousVersion::of(&header).unwrap());
    let replacement = feed_document(&input.build().unwrap());
    assert_eq!(
        client.feed(&replacement, Some(doc.unique_id())).unwrap(),
        FeedOutcome::Fed
    );
    // TD2.1 several documents in one submission.
    let fresh = || {
        let mut input = vac_note_input();
        input.header_mut().id = None;
        input.header_mut().set_id = None;
        feed_document(&input.build().unwrap())
    };
    let two = [fresh(), fresh()];
    assert_ne!(two[0].unique_id(), two[1].unique_id());
    assert_eq!(client.feed_several(&two).unwrap(), FeedOutcome::Fed);
    // TD3.1 FindDocuments (with codes, dates and statuses) and GetDocuments.
    let found = client
        .find(
            &patient,
            &FindDocuments {
                status: StatusFilter::All,
                type_codes: vec![QueryCode {
                    code: "87273-9".into(),
                    scheme: "2.16.840.1.113883.6.1".into(),
                }],
                creation_from: Some("20000101".into()),
                ..FindDocuments::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 4, "{found:?}");
    // TD3.2 (after its TD3.1 GetDocuments).
    let got = client.retrieve(&patient, replacement.unique_id()).unwrap();
    assert_eq!(got.bytes, replacement.bytes());
    // TD3.3: every confidentiality change and every status change.
    let target = two[0].unique_id();
    for change in [
        ConfidentialityChange::Mask,
        ConfidentialityChange::Unmask,
        ConfidentialityChange::MakeVisibleToPatient,
    ] {
        client
            .update_confidentiality(&patient, target, change)
            .unwrap();
    }
    for change in [
        StatusChange::Archive,
        StatusChange::Unarchive,
        StatusChange::Delete,
    ] {
        client.update_status(&patient, target, change).unwrap();
    }
    client
        .set_authorization(&patient, AuthorizationAction::Remove)
        .unwrap();

    let checked = check_all(record.path(), work.path());
    let count = |a: &str| checked.iter().filter(|c| c.action.contains(a)).count();
    assert_eq!(count("PRPA_IN201307UV02"), 1);
    assert_eq!(count("setAuthorization"), 2);
    assert_eq!(count("ProvideAndRegisterDocumentSet-b"), 3);
    assert_eq!(count("RetrieveDocumentSet"), 1);
    assert_eq!(count("UpdateDocumentSet"), 6);
    // One FindDocuments, and a GetDocuments before the replacement, the retrieve and each update.
    assert_eq!(count("RegistryStoredQuery"), 1 + 1 + 1 + 6);
    // Every TD2.1 carried its XAdES part; every request its signed VIHF.
    assert!(
        checked
            .iter()
            .filter(|c| c.action.contains("ProvideAndRegister"))
            .all(|c| c.xades == 1)
    );
    assert!(checked.iter().all(|c| c.vihf_signatures == 1));
}
