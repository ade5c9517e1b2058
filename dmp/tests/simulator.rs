//! The DMP simulator against the official example requests of `shared/dmp/examples`, sent over
//! mutual TLS with `segur_net::http`, adapted only where `shared/specs/dmp.md` §11.3 says the
//! examples are defective. Responses are checked by value and validated against the official
//! XSDs of `shared/dmp/wsdl-schema` with `xmllint --schema`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use segur_dmp::simulator::{
    DmpState, EntryStatus, Fault, Simulator, SimulatorOptions, Transaction,
};
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use segur_net::sign::SoftwareSigner;
use segur_net::soap::mtom::{MtomLimits, read_mtom};
use segur_net::soap::{FaultCode, parse_envelope};
use segur_net::tls::{ClientIdentity, TlsError, TlsPolicy, TlsSettings, TrustAnchors};
use segur_net::xml::{Element, XmlLimits};
use segur_net::xmldsig::cert::parse_certificate;
use segur_net::xmldsig::xades::{ManifestDocument, SigningTime, SubmissionSetSignature};
use segur_net::xmldsig::{
    DigestAlgorithm, Placement, Reference, SignatureBuilder, SignatureMethod,
};

// ---------- fixtures ----------

const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
const RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
const HL7: &str = "urn:hl7-org:v3";
const SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
const FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";
const UNIQUE_ID_SCHEME: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";

/// The example patient (a test INS-NIR, OID .10) and professional.
const INS: &str = "207058575627097";
const PRO: &str = "899900063480";
/// The CDA id of the example document (the XDS uniqueId once §11.3 is corrected).
const CDA_ID: &str = "1.2.250.1.999.1.1.7898.4.9956570902";
const BOUNDARY: &str = "----=_Part_9_20030738.1554380517598";
/// The submission-set uniqueId of the example request.
const SS_UNIQUE_ID: &str = "1.2.250.1.999.1.1.7898.1.1622814651504";

fn shared() -> PathBuf {
    PathBuf::from(
        std::env::var("SEGUR_SHARED").expect(
            "SEGUR_SHARED must name the shared facts folder (export SEGUR_SHARED=../shared)",
        ),
    )
}

fn example(name: &str) -> String {
    let p = shared().join("dmp/examples").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

struct Fixture {
    sim: Simulator,
    client: HttpClient,
    /// The ORG_SIGN key and certificate as PKCS#12 (password `pw`), made with openssl.
    sign_p12: Vec<u8>,
    /// The ORG_AUTH_CLI key and certificate as PKCS#12, to sign with the wrong key.
    client_p12: Vec<u8>,
}

fn pkcs12(cert_pem: &str, key_pem: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.pem"), cert_pem).unwrap();
    std::fs::write(dir.path().join("k.pem"), key_pem).unwrap();
    let out = segur_test_support::openssl(
        dir.path(),
        &[
            "pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-out", "id.p12", "-passout",
            "pass:pw",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(dir.path().join("id.p12")).unwrap()
}

fn client_for(sim: &Simulator, limits: HttpLimits) -> HttpClient {
    let pki = sim.pki();
    let anchors = TrustAnchors::from_pem(pki.ca_pem.as_bytes()).unwrap();
    let id = ClientIdentity::from_pem(
        pki.client.cert_pem.as_bytes(),
        pki.client.key_pem.as_bytes(),
    )
    .unwrap();
    let tls = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, Some(&id)).unwrap();
    HttpClient::new(&tls, limits)
}

fn start_with(options: SimulatorOptions) -> Fixture {
    let sim = Simulator::start(options).unwrap();
    let client = client_for(&sim, HttpLimits::default());
    let pki = sim.pki();
    let sign_p12 = pkcs12(&pki.sign.cert_pem, &pki.sign.key_pem);
    let client_p12 = pkcs12(&pki.client.cert_pem, &pki.client.key_pem);
    Fixture {
        sim,
        client,
        sign_p12,
        client_p12,
    }
}

fn start() -> Fixture {
    start_with(SimulatorOptions::default())
}

struct Resp {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Fixture {
    fn url(&self, service: &str) -> String {
        format!("{}/{service}", self.sim.endpoint())
    }

    fn post(&self, service: &str, content_type: &str, body: &[u8]) -> Resp {
        match self
            .client
            .post(&self.url(service), content_type, &[], body)
        {
            Ok(r) => Resp {
                status: r.status,
                content_type: r.content_type.unwrap_or_default(),
                body: r.body,
            },
            Err(HttpError::Status { response, .. }) => Resp {
                status: response.status,
                content_type: response.content_type.unwrap_or_default(),
                body: response.body,
            },
            Err(e) => panic!("{e:?}"),
        }
    }

    fn admin(&self, body: &[u8]) -> Resp {
        let url = format!("https://{}/simulator/faults", self.sim.local_addr());
        match self.client.post(&url, "text/plain", &[], body) {
            Ok(r) => Resp {
                status: r.status,
                content_type: r.content_type.unwrap_or_default(),
                body: r.body,
            },
            Err(HttpError::Status { response, .. }) => Resp {
                status: response.status,
                content_type: response.content_type.unwrap_or_default(),
                body: response.body,
            },
            Err(e) => panic!("{e:?}"),
        }
    }

    fn soap(&self, service: &str, envelope: &str) -> Resp {
        self.post(
            service,
            "application/soap+xml; charset=UTF-8",
            envelope.as_bytes(),
        )
    }

    fn signer(&self) -> SoftwareSigner {
        SoftwareSigner::from_pkcs12(&self.sign_p12, "pw").unwrap()
    }

    /// The official TD2.1 request corrected as §11.3 says, for `unique_id`, with
    /// `entry_xml` inserted into the document entry and `assoc_xml` into the list, `tweak`
    /// applied, then its XAdES signature made anew with the simulator's ORG_SIGN key over the
    /// CDA as sent.
    fn feed_request(
        &self,
        unique_id: &str,
        entry_xml: &str,
        assoc_xml: &str,
        tweak: impl FnOnce(String) -> String,
    ) -> FeedRequest {
        let mut req = FeedRequest::new(unique_id, entry_xml, assoc_xml);
        req.body = tweak(req.body);
        let cda = req.cda();
        let limits = XmlLimits::default();
        let xades = SubmissionSetSignature::new(
            "S1-signature",
            SS_UNIQUE_ID,
            SigningTime::parse("2024-03-01T10:00:00.000+01:00").unwrap(),
        )
        .unwrap()
        .document(ManifestDocument::new(unique_id, &cda, DigestAlgorithm::Sha1, limits).unwrap())
        .sign(&mut self.signer(), limits)
        .unwrap();
        let start = req
            .body
            .find("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"0421d1cc")
            .unwrap();
        let end = start + req.body[start..].find("</Signature>").unwrap() + "</Signature>".len();
        req.body
            .replace_range(start..end, std::str::from_utf8(&xades).unwrap());
        req
    }

    fn simple_feed(&self, unique_id: &str) -> FeedRequest {
        self.feed_request(unique_id, "", "", |s| s)
    }

    /// `envelope` with its VIHF turned into an INDIRECTE_RENFORCEE one (subject-id added,
    /// Issuer = the signing certificate's DN) signed with `p12`'s key.
    fn signed_vihf(&self, envelope: &str, p12: &[u8]) -> String {
        self.signed_vihf_in(envelope, p12, "INDIRECTE_RENFORCEE")
    }

    fn signed_vihf_in(&self, envelope: &str, p12: &[u8], mode: &str) -> String {
        let cert = parse_certificate(&self.sim.pki().sign.cert_der).unwrap();
        let issuer_start =
            envelope.find("X509SubjectName\">").unwrap() + "X509SubjectName\">".len();
        let issuer_end = issuer_start + envelope[issuer_start..].find("</saml2:Issuer>").unwrap();
        let mut env = envelope.to_owned();
        env.replace_range(issuer_start..issuer_end, &cert.subject_rfc2253);
        let env = env.replace(">DIRECTE<", &format!(">{mode}<")).replace(
            "<saml2:Attribute Name=\"VIHF_Version\">",
            "<saml2:Attribute Name=\"urn:oasis:names:tc:xspa:1.0:subject:subject-id\"><saml2:AttributeValue>MAX LIBRE</saml2:AttributeValue></saml2:Attribute><saml2:Attribute Name=\"VIHF_Version\">",
        );
        let mut signer = SoftwareSigner::from_pkcs12(p12, "pw").unwrap();
        let signed = SignatureBuilder::new(SignatureMethod::RsaSha256)
            .reference(Reference::enveloped(
                "_ce088e5a-e31d-42d0-ba37-fda5fcbc889d",
            ))
            .sign_enveloped(
                env.as_bytes(),
                "_ce088e5a-e31d-42d0-ba37-fda5fcbc889d",
                Placement::After {
                    namespace: "urn:oasis:names:tc:SAML:2.0:assertion",
                    local: "Issuer",
                },
                &mut signer,
                XmlLimits::default(),
            )
            .unwrap();
        String::from_utf8(signed).unwrap()
    }

    fn feed(&self, feed: &FeedRequest) -> Resp {
        self.post("repository", &feed.content_type(), feed.body.as_bytes())
    }
}

/// The SOAP body's first element of a plain SOAP response, parsed.
/// Plain SOAP or MTOM (TD3.2 answers in MTOM, failures included).
fn with_body<T>(resp: &Resp, f: impl FnOnce(&Element<'_>) -> T) -> T {
    if resp.content_type.starts_with("multipart/related") {
        let pkg = read_mtom(Some(&resp.content_type), &resp.body, MtomLimits::default()).unwrap();
        let env = pkg.envelope(XmlLimits::default()).unwrap();
        assert_eq!(env.version.namespace(), SOAP12);
        return f(env.body_content().unwrap());
    }
    let env = parse_envelope(&resp.body, XmlLimits::default()).unwrap();
    assert_eq!(env.version.namespace(), SOAP12);
    f(env.body_content().unwrap())
}

fn registry_status(resp: &Resp) -> (String, Vec<String>) {
    with_body(resp, |b| {
        let rr = if b.name.is(RS, "RegistryResponse") {
            b
        } else {
            b.child(RS, "RegistryResponse").unwrap_or(b)
        };
        let codes = rr
            .child(RS, "RegistryErrorList")
            .map(|l| {
                l.children_named(RS, "RegistryError")
                    .map(|e| e.attribute("errorCode").unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        (rr.attribute("status").unwrap().to_owned(), codes)
    })
}

fn fault_of(resp: &Resp) -> (FaultCode, Vec<String>) {
    assert_eq!(resp.status, 500);
    let env = parse_envelope(&resp.body, XmlLimits::default()).unwrap();
    let f = env.fault().expect("a SOAP fault");
    (f.code, f.subcodes)
}

/// The official TD2.1 request with the §11.3 defects corrected: SOAP 1.2 namespace,
/// `Document id` equal to the entry id, XDS uniqueId equal to the CDA id, manifest URI equal to
/// the submission-set uniqueId. `unique_id` replaces the CDA id everywhere (CDA, metadata,
/// manifest); `entry_xml` is inserted into the document entry, `assoc_xml` into the list.
struct FeedRequest {
    body: String,
}

impl FeedRequest {
    fn new(unique_id: &str, entry_xml: &str, assoc_xml: &str) -> Self {
        let mut s = example("TD2.1_Alimentation_request.xml")
            .replace(SOAP11, SOAP12)
            .replace(
                "<ns4:Document id=\"documentME2\">",
                "<ns4:Document id=\"DocumentME2\">",
            )
            .replace(
                "value=\"1.2.250.1.999.1.1.7898.3.1622814651504\"",
                &format!("value=\"{CDA_ID}\""),
            )
            .replace(
                "urn:oid:1.2.250.1.999.1.1.7898.3.9956570900",
                "urn:oid:1.2.250.1.999.1.1.7898.1.1622814651504",
            )
            .replace(CDA_ID, unique_id);
        let at = s.find("<ExternalIdentifier id=\"ei4\"").unwrap();
        s.insert_str(at, entry_xml);
        let at = s.find("</RegistryObjectList>").unwrap();
        s.insert_str(at, assoc_xml);
        Self { body: s }
    }

    fn content_type(&self) -> String {
        format!(
            "multipart/related; type=\"application/xop+xml\"; boundary=\"{BOUNDARY}\"; start=\"<rootpart@soapui.org>\"; start-info=\"application/soap+xml\"; action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\""
        )
    }

    /// The CDA bytes as the MTOM part carries them.
    fn cda(&self) -> Vec<u8> {
        let ct = self.content_type();
        let pkg = read_mtom(Some(&ct), self.body.as_bytes(), MtomLimits::default()).unwrap();
        pkg.parts
            .iter()
            .find(|p| p.content_id.as_deref() == Some("WS_DMP_TD2.1-DocumentME2.xml"))
            .unwrap()
            .body
            .to_vec()
    }
}

fn slot(name: &str, value: &str) -> String {
    format!("<Slot name=\"{name}\"><ValueList><Value>{value}</Value></ValueList></Slot>")
}

const MASQUE_PS: &str = "<Classification classificationScheme=\"urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f\" classifiedObject=\"DocumentME2\" id=\"claMask\" nodeRepresentation=\"MASQUE_PS\"><Slot name=\"codingScheme\"><ValueList><Value>1.2.250.1.213.1.1.4.13</Value></ValueList></Slot><Name><LocalizedString charset=\"UTF8\" value=\"Masqué aux professionnels de santé\" xml:lang=\"FR\"/></Name></Classification>";

fn as_professional(envelope: &str, professional: &str) -> String {
    envelope.replace(
        &format!("<saml2:NameID>{PRO}</saml2:NameID>"),
        &format!("<saml2:NameID>{professional}</saml2:NameID>"),
    )
}

/// The entries a TD3.1 response lists: (entryUUID, uniqueId, status, hash, size, version).
#[derive(Debug, Clone)]
struct Listed {
    entry_uuid: String,
    lid: String,
    unique_id: String,
    status: String,
    hash: String,
    size: String,
    version: String,
}

fn listed(resp: &Resp) -> Vec<Listed> {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    with_body(resp, |b| {
        assert_eq!(b.attribute("status"), Some(SUCCESS));
        let list = b.child(RIM, "RegistryObjectList").unwrap();
        list.children_named(RIM, "ExtrinsicObject")
            .map(|e| {
                let slot = |n: &str| {
                    e.children_named(RIM, "Slot")
                        .find(|s| s.attribute("name") == Some(n))
                        .and_then(|s| s.find(RIM, "Value"))
                        .map(Element::text)
                        .unwrap_or_default()
                };
                Listed {
                    entry_uuid: e.attribute("id").unwrap().to_owned(),
                    lid: e.attribute("lid").unwrap().to_owned(),
                    unique_id: e
                        .children_named(RIM, "ExternalIdentifier")
                        .find(|x| x.attribute("identificationScheme") == Some(UNIQUE_ID_SCHEME))
                        .and_then(|x| x.attribute("value"))
                        .unwrap()
                        .to_owned(),
                    status: e.attribute("status").unwrap().to_owned(),
                    hash: slot("hash"),
                    size: slot("size"),
                    version: e
                        .child(RIM, "VersionInfo")
                        .and_then(|v| v.attribute("versionName"))
                        .unwrap()
                        .to_owned(),
                }
            })
            .collect()
    })
}

fn find_request(statuses: &str) -> String {
    example("TD3.1_Recherche-de-document_request.xml").replace(
        "<Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</Value>",
        &format!("<Value>({statuses})</Value>"),
    )
}

const APPROVED: &str = "'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved'";
const ALL_STATUSES: &str = "'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved','urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated','urn:asip:ci-sis:2010:StatusType:Archived','urn:asip:ci-sis:2010:StatusType:Deleted'";

fn find(f: &Fixture, statuses: &str) -> Vec<Listed> {
    listed(&f.soap("registry", &find_request(statuses)))
}

fn retrieve_request(unique_id: &str) -> String {
    example("TD3.2_Consultation-dun-document_request.xml")
        .replace("1.2.250.1.999.1.1.7898.1.995657292", unique_id)
}

/// The document bytes of a TD3.2 MTOM response.
fn retrieved(resp: &Resp) -> Vec<u8> {
    assert_eq!(resp.status, 200);
    let pkg = read_mtom(Some(&resp.content_type), &resp.body, MtomLimits::default()).unwrap();
    let env = pkg.envelope(XmlLimits::default()).unwrap();
    let body = env.body_content().unwrap();
    assert_eq!(
        body.child(RS, "RegistryResponse")
            .unwrap()
            .attribute("status"),
        Some(SUCCESS)
    );
    let includes = pkg.resolve_includes(body).unwrap();
    assert_eq!(includes.len(), 1);
    includes[0].part.body.to_vec()
}

fn status_update(entry_uuid: &str, from: &str, to: &str) -> String {
    example("TD3.3d_Archiver-un-document_request.xml")
        .replace("urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e", entry_uuid)
        .replace(
            "<Value>urn:oasis:names:tc:ebxml-regrep:StatusType:Approved</Value>",
            &format!("<Value>{from}</Value>"),
        )
        .replace(
            "<Value>urn:asip:ci-sis:2010:StatusType:Archived</Value>",
            &format!("<Value>{to}</Value>"),
        )
}

// ---------- xmllint ----------

fn xmllint(args: &[&str]) -> std::process::Output {
    Command::new("xmllint")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint is needed ({e}); scripts/install-deps installs it (Debian libxml2-utils)"
            )
        })
}

/// Validates `xml` against `schema` with `xmllint --schema`.
fn assert_schema_valid(xml: &[u8], schema: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.xml");
    std::fs::write(&file, xml).unwrap();
    let out = xmllint(&[
        "--noout",
        "--nonet",
        "--schema",
        schema.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{} invalid against {}: {}\n{}",
        file.display(),
        schema.display(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(xml)
    );
}

/// The SOAP body's first element as xmllint serialises it (it declares its namespaces).
fn body_element(envelope: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("env.xml");
    std::fs::write(&file, envelope).unwrap();
    let out = xmllint(&[
        "--xpath",
        "/*[local-name()='Envelope']/*[local-name()='Body']/*",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn schema(rel: &str) -> PathBuf {
    shared().join("dmp/wsdl-schema/schema").join(rel)
}

// ---------- TD0.2 / TD0.3 ----------

fn td02(resp: &Resp) -> (String, Option<String>, Vec<String>) {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    with_body(resp, |b| {
        assert!(b.name.is(HL7, "PRPA_IN201308UV02"));
        let code = b
            .find(HL7, "queryResponseCode")
            .and_then(|c| c.attribute("code"))
            .unwrap()
            .to_owned();
        let status = b
            .find(HL7, "patient")
            .and_then(|p| p.child(HL7, "statusCode"))
            .and_then(|s| s.attribute("code"))
            .map(str::to_owned);
        let lines = b
            .children_named(HL7, "attentionLine")
            .map(|l| {
                l.child(HL7, "keyWordText")
                    .and_then(|k| k.attribute("code"))
                    .unwrap()
                    .to_owned()
            })
            .collect();
        (code, status, lines)
    })
}

#[test]
fn td02_answers_existence_state_and_authorisation_and_echoes_the_message_id() {
    let f = start();
    let req = example("TD0.2_Test-dexistence_request.xml");
    let resp = f.soap("patients", &req);
    assert_eq!(
        td02(&resp),
        (
            "OK".to_owned(),
            Some("active".to_owned()),
            vec!["AUTORISATION".to_owned(), "STATUT_MT".to_owned()]
        )
    );
    let env = parse_envelope(&resp.body, XmlLimits::default()).unwrap();
    assert_eq!(
        env.addressing.relates_to.as_deref(),
        Some("urn:uuid:f2c3f93b-06e2-4333-b80d-4d0505c332aa")
    );
    assert_eq!(
        env.addressing.action.as_deref(),
        Some("urn:hl7-org:v3:PRPA_IN201308UV02")
    );
    // The request id is echoed in acknowledgement/targetMessage.
    with_body(&resp, |b| {
        let id = b
            .find(HL7, "targetMessage")
            .unwrap()
            .child(HL7, "id")
            .unwrap();
        assert_eq!(
            id.attribute("extension"),
            Some("1633a409-3d61-4869-aed8-74d92ae20272")
        );
    });
    assert_schema_valid(
        &body_element(&resp.body),
        &schema("HL7V3/NE2009/multicacheschemas/PRPA_IN201308UV02.xsd"),
    );

    f.sim
        .set_patient_state(INS, "1.2.250.1.213.1.4.10", DmpState::Closed);
    let (code, status, lines) = td02(&f.soap("patients", &req));
    assert_eq!(
        (code.as_str(), status.as_deref()),
        ("OK", Some("terminated"))
    );
    assert_eq!(lines, vec!["STATUT_MT".to_owned()]);

    f.sim
        .set_patient_state(INS, "1.2.250.1.213.1.4.10", DmpState::Absent);
    let resp = f.soap("patients", &req);
    assert_eq!(td02(&resp), ("NF".to_owned(), None, vec![]));
    assert_schema_valid(
        &body_element(&resp.body),
        &schema("HL7V3/NE2009/multicacheschemas/PRPA_IN201308UV02.xsd"),
    );
}

#[test]
fn td02_with_another_patient_than_the_vihf_is_an_ae_acknowledgement() {
    let f = start();
    let req = example("TD0.2_Test-dexistence_request.xml").replace(
        "<value root=\"1.2.250.1.213.1.4.10\" extension=\"207058575627097\"/>",
        "<value root=\"1.2.250.1.213.1.4.10\" extension=\"180012B01234567\"/>",
    );
    let resp = f.soap("patients", &req);
    with_body(&resp, |b| {
        assert_eq!(
            b.child(HL7, "acknowledgement")
                .unwrap()
                .attribute("typeCode"),
            Some("AE")
        );
        assert_eq!(
            b.find(HL7, "acknowledgementDetail")
                .and_then(|d| d.child(HL7, "code"))
                .and_then(|c| c.attribute("code")),
            Some("XDSPatientIdDoesNotMatch")
        );
    });
}

fn habilitations_schema(dir: &Path) -> PathBuf {
    let wsdl = shared().join("dmp/wsdl-schema/wsdl/Habilitations.wsdl");
    let out = xmllint(&[
        "--xpath",
        "//*[local-name()='schema']",
        wsdl.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let p = dir.join("habilitations.xsd");
    std::fs::write(&p, out.stdout).unwrap();
    p
}

#[test]
fn td03_sets_and_removes_the_authorisation_seen_by_td02() {
    let f = start();
    let dir = tempfile::tempdir().unwrap();
    let xsd = habilitations_schema(dir.path());
    let remove = example("TD0.3_Mise-a-jour-de-lautorisation_request.xml")
        .replace("<action>AJOUT</action>", "<action>SUPPRESSION</action>");
    let context = |resp: &Resp| {
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        assert_schema_valid(&body_element(&resp.body), &xsd);
        with_body(resp, |b| {
            let out = b.child("urn:si-dmp-habilitations", "output").unwrap();
            assert_eq!(
                out.child("urn:si-dmp-habilitations", "status")
                    .unwrap()
                    .text(),
                "DMPOk"
            );
            out.child("urn:si-dmp-habilitations", "context")
                .unwrap()
                .text()
        })
    };
    assert_eq!(
        context(&f.soap("habilitations", &remove)),
        "Autorisation supprimée"
    );
    let td02_req = example("TD0.2_Test-dexistence_request.xml");
    assert_eq!(
        td02(&f.soap("patients", &td02_req)).2,
        vec!["STATUT_MT".to_owned()]
    );
    // Consultation is refused without authorisation.
    let (st, codes) = registry_status(&f.soap("registry", &find_request(APPROVED)));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["DMPAccessDenied".to_owned()])
    );
    let add = example("TD0.3_Mise-a-jour-de-lautorisation_request.xml");
    assert_eq!(
        context(&f.soap("habilitations", &add)),
        "Autorisation ajoutée"
    );
    assert_eq!(
        context(&f.soap("habilitations", &add)),
        "Autorisation déjà présente aucune action effectuée"
    );
    assert_eq!(td02(&f.soap("patients", &td02_req)).2.len(), 2);
}

// ---------- TD2.1 / TD3.1 / TD3.2 / TD3.3 ----------

#[test]
fn feed_then_find_then_get_returns_identical_bytes_then_archive_and_delete() {
    let f = start();
    let feed = f.simple_feed(CDA_ID);
    let resp = f.feed(&feed);
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(registry_status(&resp), (SUCCESS.to_owned(), vec![]));
    assert_schema_valid(&body_element(&resp.body), &schema("ebRS/rs.xsd"));
    let env = parse_envelope(&resp.body, XmlLimits::default()).unwrap();
    assert_eq!(
        env.addressing.relates_to.as_deref(),
        Some("urn:uuid:b3745a7c-4d1a-4cfd-a752-536197e4ac7a")
    );

    // TD3.1: the official request finds it with the repository's hash and size.
    let resp = f.soap("registry", &find_request(APPROVED));
    assert_schema_valid(&body_element(&resp.body), &schema("ebRS/query.xsd"));
    let entries = listed(&resp);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let cda = feed.cda();
    let e = &entries[0];
    assert_eq!(e.unique_id, CDA_ID);
    assert_eq!(e.status, EntryStatus::Approved.urn());
    assert_eq!(e.hash, segur_dmp_cda::xds::sha1_hex(&cda));
    assert_eq!(e.size, cda.len().to_string());
    assert_eq!(e.version, "1");
    assert!(e.entry_uuid.starts_with("urn:uuid:"));

    // TD3.2: the same bytes; the response validates once its xop:Include is replaced by the
    // base64 content it stands for (XOP 1.0 §3.2).
    let resp = f.soap("repository", &retrieve_request(CDA_ID));
    assert_eq!(retrieved(&resp), cda);
    let pkg = read_mtom(Some(&resp.content_type), &resp.body, MtomLimits::default()).unwrap();
    let root = String::from_utf8(pkg.root().unwrap().body.to_vec()).unwrap();
    let start = root.find("<xop:Include").unwrap();
    let end = start + root[start..].find("/>").unwrap() + 2;
    let inlined = format!(
        "{}{}{}",
        &root[..start],
        base64::engine::general_purpose::STANDARD.encode(&cda),
        &root[end..]
    );
    assert_schema_valid(
        &body_element(inlined.as_bytes()),
        &schema("IHE/XDS.b_DocumentRepository.xsd"),
    );

    // An entryUUID is not a uniqueId; an unknown repository is refused.
    let (st, codes) = registry_status(&f.soap("repository", &retrieve_request(&e.entry_uuid)));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSDocumentUniqueIdError".to_owned()])
    );
    let other_repo = retrieve_request(CDA_ID).replace(
        "<RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2<",
        "<RepositoryUniqueId>1.2.250.1.213.4.1.1.1.4<",
    );
    let (_, codes) = registry_status(&f.soap("repository", &other_repo));
    assert_eq!(codes, vec!["XDSUnknownRepositoryId".to_owned()]);

    // TD3.3d archive, TD3.3c delete (the official requests, targeting the fed entry).
    let archived = "urn:asip:ci-sis:2010:StatusType:Archived";
    let approved = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
    let deleted = "urn:asip:ci-sis:2010:StatusType:Deleted";
    let resp = f.soap(
        "registry",
        &status_update(&e.entry_uuid, approved, archived),
    );
    assert_eq!(registry_status(&resp), (SUCCESS.to_owned(), vec![]));
    assert_schema_valid(&body_element(&resp.body), &schema("ebRS/rs.xsd"));
    assert_eq!(f.sim.entry_status(CDA_ID), Some(EntryStatus::Archived));
    assert!(find(&f, APPROVED).is_empty());
    // OriginalStatus must be the current status.
    let (st, codes) =
        registry_status(&f.soap("registry", &status_update(&e.entry_uuid, approved, deleted)));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSMetadataUpdateError".to_owned()])
    );
    let delete = example("TD3.3c_Supprimer-un-document_request.xml").replace(
        "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e",
        &e.entry_uuid,
    );
    // Only the author deletes (FI-526 notes 8 and 9).
    let (st, codes) =
        registry_status(&f.soap("registry", &as_professional(&delete, "899700000002")));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["DMPNotAllowed".to_owned()])
    );
    assert_eq!(f.sim.entry_status(CDA_ID), Some(EntryStatus::Archived));
    assert_eq!(
        registry_status(&f.soap("registry", &delete)),
        (SUCCESS.to_owned(), vec![])
    );
    assert_eq!(f.sim.entry_status(CDA_ID), Some(EntryStatus::Deleted));
    // Deleted is final.
    let (st, _) =
        registry_status(&f.soap("registry", &status_update(&e.entry_uuid, deleted, approved)));
    assert_eq!(st, FAILURE);
}

#[test]
fn replacement_deprecates_the_old_entry() {
    let f = start();
    assert_eq!(registry_status(&f.feed(&f.simple_feed(CDA_ID))).0, SUCCESS);
    let old = find(&f, APPROVED).remove(0);
    let new_id = "1.2.250.1.999.1.1.7898.4.9956570903";
    let rplc = format!(
        "<Association associationType=\"urn:ihe:iti:2007:AssociationType:RPLC\" id=\"assoc4\" sourceObject=\"DocumentME2\" targetObject=\"{}\"/>",
        old.entry_uuid
    );
    let resp = f.feed(&f.feed_request(new_id, "", &rplc, |s| s));
    assert_eq!(registry_status(&resp), (SUCCESS.to_owned(), vec![]));
    assert_eq!(f.sim.entry_status(CDA_ID), Some(EntryStatus::Deprecated));
    let approved = find(&f, APPROVED);
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].unique_id, new_id);
    assert_ne!(
        approved[0].lid, old.lid,
        "a replacement has a new logicalId"
    );
    assert_eq!(find(&f, ALL_STATUSES).len(), 2);
    // A deprecated entry cannot be replaced again.
    let again = f.feed_request("1.2.250.1.999.1.1.7898.4.9956570904", "", &rplc, |s| s);
    let (st, codes) = registry_status(&f.feed(&again));
    assert_eq!(
        (st.as_str(), codes),
        (
            FAILURE,
            vec!["XDSRegistryDeprecatedDocumentError".to_owned()]
        )
    );
}

#[test]
fn masked_document_is_invisible_to_another_professional_until_unmasked() {
    let f = start();
    let resp = f.feed(&f.feed_request(CDA_ID, MASQUE_PS, "", |s| s));
    assert_eq!(registry_status(&resp), (SUCCESS.to_owned(), vec![]));
    let other = "899700000002";
    assert_eq!(find(&f, APPROVED).len(), 1, "the author sees it");
    let other_find = as_professional(&find_request(APPROVED), other);
    assert!(listed(&f.soap("registry", &other_find)).is_empty());
    let (st, codes) = registry_status(&f.soap(
        "repository",
        &as_professional(&retrieve_request(CDA_ID), other),
    ));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSMissingDocument".to_owned()])
    );

    // TD3.3a unmask by the author: a metadata update copying the entry without MASQUE_PS.
    let entry = find(&f, APPROVED).remove(0);
    let search = f.soap("registry", &find_request(APPROVED));
    let text = String::from_utf8(search.body).unwrap();
    let from = text.find("<rim:ExtrinsicObject").unwrap();
    let to = text.find("</rim:ExtrinsicObject>").unwrap() + "</rim:ExtrinsicObject>".len();
    let mut eo = text[from..to].replace(&entry.entry_uuid, "Document01");
    // lid was replaced too: put it back.
    eo = eo.replacen("lid=\"Document01\"", &format!("lid=\"{}\"", entry.lid), 1);
    let mask_at = eo.find("nodeRepresentation=\"MASQUE_PS\"").unwrap();
    let cls_start = eo[..mask_at].rfind("<rim:Classification").unwrap();
    let cls_end = mask_at
        + eo[mask_at..].find("</rim:Classification>").unwrap()
        + "</rim:Classification>".len();
    eo.replace_range(cls_start..cls_end, "");
    let update = example("TD3.3d_Archiver-un-document_request.xml");
    let a_start = update.find("<Association").unwrap();
    let a_end = update.find("</Association>").unwrap() + "</Association>".len();
    let member = format!(
        "<Association associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\" id=\"as1\" sourceObject=\"SubmissionSet01\" targetObject=\"Document01\">{}{}</Association>",
        slot("SubmissionSetStatus", "Original"),
        slot("PreviousVersion", "1")
    );
    let eo = eo.replacen(
        "<rim:ExtrinsicObject",
        "<rim:ExtrinsicObject xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\"",
        1,
    );
    let unmask = format!("{}{eo}{member}{}", &update[..a_start], &update[a_end..]);
    // Another professional may not unmask.
    let (st, codes) = registry_status(&f.soap("registry", &as_professional(&unmask, other)));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["DMPNotAllowed".to_owned()])
    );
    let resp = f.soap("registry", &unmask);
    assert_eq!(registry_status(&resp), (SUCCESS.to_owned(), vec![]));
    let now = listed(&f.soap("registry", &other_find));
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].version, "2");
    assert_eq!(now[0].lid, entry.lid);
    assert_ne!(now[0].entry_uuid, entry.entry_uuid);
    assert_eq!(
        find(&f, ALL_STATUSES).len(),
        2,
        "the old version is deprecated"
    );
    // PreviousVersion must be the current version (now 2).
    let (st, codes) = registry_status(&f.soap("registry", &unmask));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSMetadataVersionError".to_owned()])
    );
}

#[test]
fn hash_and_size_must_match_the_bytes() {
    let f = start();
    let bad_hash = f.feed_request(CDA_ID, &slot("hash", &"0".repeat(40)), "", |s| s);
    let (st, codes) = registry_status(&f.feed(&bad_hash));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSNonIdenticalHash".to_owned()])
    );
    let bad_size = f.feed_request(CDA_ID, &slot("size", "12"), "", |s| s);
    let (st, codes) = registry_status(&f.feed(&bad_size));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSNonIdenticalSize".to_owned()])
    );
    // Right values are accepted.
    let cda = bad_hash.cda();
    let good = format!(
        "{}{}",
        slot("hash", &segur_dmp_cda::xds::sha1_hex(&cda).to_uppercase()),
        slot("size", &cda.len().to_string())
    );
    let resp = f.feed(&f.feed_request(CDA_ID, &good, "", |s| s));
    assert_eq!(registry_status(&resp), (SUCCESS.to_owned(), vec![]));
    assert_eq!(find(&f, APPROVED).len(), 1);
}

#[test]
fn a_missing_mtom_part_is_xds_missing_document() {
    let f = start();
    let mut feed = f.simple_feed(CDA_ID);
    // The CDA part removed from the package (after signing: the XAdES still names it).
    let part = format!(
        "--{BOUNDARY}\nContent-Type: text/xml; charset=Cp1252; name=WS_DMP_TD2.1-DocumentME2.xml"
    );
    let start = feed.body.find(&part).unwrap();
    let next = start
        + 10
        + feed.body[start + 10..]
            .find(&format!("--{BOUNDARY}"))
            .unwrap();
    feed.body.replace_range(start..next, "");
    let (st, codes) = registry_status(&f.feed(&feed));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSMissingDocument".to_owned()])
    );
    assert!(find(&f, APPROVED).is_empty());
}

#[test]
fn the_uncorrected_document_id_of_the_official_example_is_caught() {
    let f = start();
    // §11.3: Document id="documentME2" against ExtrinsicObject "DocumentME2".
    let feed = f.feed_request(CDA_ID, "", "", |s| {
        s.replace(
            "<ns4:Document id=\"DocumentME2\">",
            "<ns4:Document id=\"documentME2\">",
        )
    });
    let (st, mut codes) = registry_status(&f.feed(&feed));
    codes.sort();
    assert_eq!(st, FAILURE);
    assert_eq!(
        codes,
        vec![
            "XDSMissingDocument".to_owned(),
            "XDSMissingDocumentMetadata".to_owned()
        ]
    );
    // §11.3: the XDS uniqueId differs from the CDA id.
    let feed = f.feed_request(CDA_ID, "", "", |s| {
        s.replace(
            &format!("registryObject=\"DocumentME2\" value=\"{CDA_ID}\""),
            "registryObject=\"DocumentME2\" value=\"1.2.250.1.999.1.1.7898.3.1622814651504\"",
        )
    });
    let (_, codes) = registry_status(&f.feed(&feed));
    assert!(
        codes.contains(&"XDSRegistryMetadataError".to_owned()),
        "{codes:?}"
    );
    // The official SOAP 1.1 envelope is refused.
    let feed = f.feed_request(CDA_ID, "", "", |s| s.replacen(SOAP12, SOAP11, 1));
    let (code, _) = fault_of(&f.feed(&feed));
    assert_eq!(code, FaultCode::Sender);
}

#[test]
fn patient_mismatches_are_refused() {
    let f = start();
    let other = "180012B01234567";
    // The CDA names another patient.
    let feed = f.feed_request(CDA_ID, "", "", |s| {
        s.replace(
            "<id extension=\"207058575627097\" root=\"1.2.250.1.213.1.4.10\" />",
            &format!("<id extension=\"{other}\" root=\"1.2.250.1.213.1.4.10\" />"),
        )
    });
    let (st, codes) = registry_status(&f.feed(&feed));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSPatientIdDoesNotMatch".to_owned()])
    );
    // The document entry names another patient.
    let feed = f.feed_request(CDA_ID, "", "", |s| {
        s.replace(
            "registryObject=\"DocumentME2\" value=\"207058575627097^",
            &format!("registryObject=\"DocumentME2\" value=\"{other}^"),
        )
    });
    let (_, codes) = registry_status(&f.feed(&feed));
    assert!(
        codes.contains(&"XDSPatientIdDoesNotMatch".to_owned()),
        "{codes:?}"
    );
    // The VIHF names another patient than the submission set.
    let feed = f.feed_request(CDA_ID, "", "", |s| {
        s.replace(
            "<saml2:AttributeValue xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xsi:type=\"xs:string\">207058575627097^",
            &format!("<saml2:AttributeValue xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xsi:type=\"xs:string\">{other}^"),
        )
    });
    let (_, codes) = registry_status(&f.feed(&feed));
    assert_eq!(codes, vec!["XDSPatientIdDoesNotMatch".to_owned()]);
    // A search for another patient than the VIHF's.
    let search =
        find_request(APPROVED).replace("<Value>'207058575627097^", &format!("<Value>'{other}^"));
    let (_, codes) = registry_status(&f.soap("registry", &search));
    assert_eq!(codes, vec!["XDSPatientIdDoesNotMatch".to_owned()]);
    assert!(find(&f, ALL_STATUSES).is_empty());
}

#[test]
fn a_duplicate_unique_id_is_refused() {
    let f = start();
    assert_eq!(registry_status(&f.feed(&f.simple_feed(CDA_ID))).0, SUCCESS);
    let (st, codes) = registry_status(&f.feed(&f.simple_feed(CDA_ID)));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSDuplicateUniqueIdInRegistry".to_owned()])
    );
    assert_eq!(find(&f, ALL_STATUSES).len(), 1);
}

// ---------- VIHF and transport ----------

#[test]
fn vihf_problems_are_soap_faults() {
    let f = start();
    let req = example("TD0.2_Test-dexistence_request.xml");
    let cases = [
        // A required attribute missing.
        req.replace("Name=\"LPS_Nom\"", "Name=\"LPS_Name\""),
        // The pharmacist's second role missing (profession 21 needs a TRE_G05 section).
        req.replace(
            "code=\"10\" codeSystem=\"1.2.250.1.71.1.2.7\"",
            "code=\"21\" codeSystem=\"1.2.250.1.71.1.2.7\"",
        ),
        // An expired assertion.
        req.replace(
            "<saml2:AuthnStatement",
            "<saml2:Conditions NotOnOrAfter=\"2020-01-01T00:00:00Z\"/><saml2:AuthnStatement",
        ),
        // INDIRECTE without a signature.
        req.replace(">DIRECTE<", ">INDIRECTE<"),
        // No assertion at all.
        {
            let a = req.find("<saml2:Assertion").unwrap();
            let b = req.find("</saml2:Assertion>").unwrap() + "</saml2:Assertion>".len();
            format!("{}{}", &req[..a], &req[b..])
        },
    ];
    for (i, bad) in cases.iter().enumerate() {
        let (code, subcodes) = fault_of(&f.soap("patients", bad));
        assert_eq!(code, FaultCode::Sender, "case {i}");
        assert_eq!(subcodes, vec!["DMPInvalidVIHF".to_owned()], "case {i}");
    }
}

#[test]
fn action_must_match_the_path_and_soap_must_be_1_2() {
    let f = start();
    let req = example("TD0.2_Test-dexistence_request.xml");
    let (_, subcodes) = fault_of(&f.soap("registry", &req));
    assert_eq!(subcodes, vec!["ActionNotSupported".to_owned()]);
    let v11 = req.replace(SOAP12, SOAP11);
    let resp = f.post("patients", "text/xml; charset=UTF-8", v11.as_bytes());
    assert_eq!(fault_of(&resp).0, FaultCode::VersionMismatch);
    let resp = f.post("nowhere/else", "application/soap+xml", req.as_bytes());
    assert_eq!(resp.status, 404);
}

#[test]
fn a_client_certificate_of_another_ca_is_refused_at_tls() {
    let f = start();
    let anchors = TrustAnchors::from_pem(f.sim.pki().ca_pem.as_bytes()).unwrap();
    let post = |id: &ClientIdentity| {
        let tls = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, Some(id)).unwrap();
        HttpClient::new(&tls, HttpLimits::default())
            .post(
                &f.url("patients"),
                "application/soap+xml",
                &[],
                example("TD0.2_Test-dexistence_request.xml").as_bytes(),
            )
            .unwrap_err()
    };
    // A client certificate from an unrelated CA: unknown issuer.
    let other_ca = segur_test_support::pki::ca("TEST AC AUTRE");
    let leaf = segur_test_support::pki::leaf(&other_ca, "lgo.segur.test", &[], true, false);
    let foreign =
        ClientIdentity::from_pem(leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes()).unwrap();
    let e = post(&foreign);
    assert!(
        matches!(e, HttpError::Tls(TlsError::ClientCertificateRefused { .. })),
        "{e:?}"
    );
    // Another simulator's PKI: a CA with the same name but another key (a forged issuer).
    let other = Simulator::start(SimulatorOptions::default()).unwrap();
    let forged = ClientIdentity::from_pem(
        other.pki().client.cert_pem.as_bytes(),
        other.pki().client.key_pem.as_bytes(),
    )
    .unwrap();
    let e = post(&forged);
    assert!(matches!(e, HttpError::Tls(_)), "{e:?}");
    // No client certificate at all.
    let tls = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, None).unwrap();
    let e = HttpClient::new(&tls, HttpLimits::default())
        .post(&f.url("patients"), "application/soap+xml", &[], b"")
        .unwrap_err();
    assert!(
        matches!(e, HttpError::Tls(TlsError::ClientCertificateRefused { .. })),
        "{e:?}"
    );
}

// ---------- fault injection ----------

#[test]
fn injected_faults() {
    let f = start();
    let td02_req = example("TD0.2_Test-dexistence_request.xml");
    let search = find_request(APPROVED);

    f.sim.set_fault(Transaction::Td31, Some(Fault::Http500));
    let resp = f.soap("registry", &search);
    assert_eq!(resp.status, 500);
    assert!(resp.content_type.starts_with("text/plain"));

    f.sim.set_fault(Transaction::Td31, Some(Fault::SoapFault));
    let (code, subcodes) = fault_of(&f.soap("registry", &search));
    assert_eq!(
        (code, subcodes),
        (FaultCode::Receiver, vec!["DMPInternalError".to_owned()])
    );

    f.sim
        .set_fault(Transaction::Td31, Some(Fault::TruncatedBody));
    let e = f
        .client
        .post(
            &f.url("registry"),
            "application/soap+xml",
            &[],
            search.as_bytes(),
        )
        .unwrap_err();
    assert!(
        matches!(e, HttpError::Io(_) | HttpError::Protocol(_)),
        "{e:?}"
    );

    f.sim.set_fault(Transaction::Td31, Some(Fault::DmpClosed));
    let (st, codes) = registry_status(&f.soap("registry", &search));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["DMPClosed".to_owned()])
    );
    f.sim.set_fault(Transaction::Td02, Some(Fault::DmpClosed));
    assert_eq!(
        td02(&f.soap("patients", &td02_req)).1.as_deref(),
        Some("terminated")
    );

    f.sim
        .set_fault(Transaction::Td31, Some(Fault::NoAuthorisation));
    let (_, codes) = registry_status(&f.soap("registry", &search));
    assert_eq!(codes, vec!["DMPAccessDenied".to_owned()]);
    f.sim
        .set_fault(Transaction::Td02, Some(Fault::NoAuthorisation));
    assert_eq!(
        td02(&f.soap("patients", &td02_req)).2,
        vec!["STATUT_MT".to_owned()]
    );

    // Cleared: normal answers again; the other transactions were never affected.
    f.sim.set_fault(Transaction::Td31, None);
    f.sim.set_fault(Transaction::Td02, None);
    assert!(find(&f, APPROVED).is_empty());
    assert_eq!(td02(&f.soap("patients", &td02_req)).2.len(), 2);

    // The time-out, through the admin endpoint: the client's limit fires.
    let admin = f.admin(b"\"TD0.2\" = \"timeout\"");
    assert_eq!(
        admin.status,
        200,
        "{}",
        String::from_utf8_lossy(&admin.body)
    );
    let impatient = client_for(
        &f.sim,
        HttpLimits {
            exchange_timeout: Duration::from_secs(2),
            ..HttpLimits::default()
        },
    );
    let e = impatient
        .post(
            &f.url("patients"),
            "application/soap+xml",
            &[],
            td02_req.as_bytes(),
        )
        .unwrap_err();
    assert!(matches!(e, HttpError::Timeout), "{e:?}");
    let bad = f.admin(b"\"TD0.2\" = \"slow\"");
    assert_eq!(bad.status, 400);
}

// ---------- recording and persistence ----------

#[test]
fn requests_are_recorded_as_received_and_the_registry_persists() {
    let record = tempfile::tempdir().unwrap();
    let persist = tempfile::tempdir().unwrap();
    let options = SimulatorOptions {
        record_dir: Some(record.path().to_owned()),
        persist_dir: Some(persist.path().to_owned()),
        ..SimulatorOptions::default()
    };
    let feed;
    {
        let f = start_with(options.clone());
        feed = f.simple_feed(CDA_ID);
        assert_eq!(registry_status(&f.feed(&feed)).0, SUCCESS);
        let td02_req = example("TD0.2_Test-dexistence_request.xml");
        f.soap("patients", &td02_req);
        let first = std::fs::read(record.path().join("0001.http")).unwrap();
        assert!(first.starts_with(b"POST /si-dmp-server/v2/services/repository HTTP/1.1\r\n"));
        assert!(
            first.ends_with(feed.body.as_bytes()),
            "the body is kept byte for byte"
        );
        let head = String::from_utf8_lossy(&first[..200.min(first.len())]).to_lowercase();
        assert!(head.contains("content-type: multipart/related"), "{head}");
        let second = std::fs::read(record.path().join("0002.http")).unwrap();
        assert!(second.ends_with(td02_req.as_bytes()));
        assert!(!record.path().join("0003.http").exists());
    }
    // A new simulator on the same folder knows the document and returns the same bytes.
    let f = start_with(options);
    let entries = find(&f, APPROVED);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        retrieved(&f.soap("repository", &retrieve_request(CDA_ID))),
        feed.cda()
    );
}

#[test]
fn write_config_is_read_by_dmp_config_load() {
    let f = start();
    let dir = tempfile::tempdir().unwrap();
    let path = f.sim.write_config(dir.path()).unwrap();
    let config = segur_dmp::config::DmpConfig::load(&path).unwrap();
    assert_eq!(config.endpoint, f.sim.endpoint());
    assert_eq!(config.mode, segur_dmp::config::AuthMode::IndirecteRenforcee);
    for p in [
        &config.tls.ca,
        &config.tls.client_certificate,
        &config.tls.client_key,
        &config.signing.certificate,
        &config.signing.key,
    ] {
        assert!(p.is_file(), "{}", p.display());
    }
    // The written client material works against the simulator.
    let anchors = TrustAnchors::from_pem(&std::fs::read(&config.tls.ca).unwrap()).unwrap();
    let id = ClientIdentity::from_pem(
        &std::fs::read(&config.tls.client_certificate).unwrap(),
        &std::fs::read(&config.tls.client_key).unwrap(),
    )
    .unwrap();
    let tls = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, Some(&id)).unwrap();
    let resp = HttpClient::new(&tls, HttpLimits::default())
        .post(
            &format!("{}/patients", config.endpoint),
            "application/soap+xml",
            &[],
            example("TD0.2_Test-dexistence_request.xml").as_bytes(),
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    // openssl agrees on the chain and the key usages.
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&config.tls.ca)
        .arg(&config.tls.client_certificate)
        .arg(&config.signing.certificate)
        .output()
        .expect("openssl is needed; scripts/install-deps installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&config.signing.certificate)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Non Repudiation"), "{text}");
    assert!(text.contains("E-mail Protection"), "{text}");
    assert!(text.contains("rsaEncryption"), "{text}");
}

// ---------- signatures ----------

#[test]
fn a_signed_indirecte_renforcee_vihf_is_verified() {
    let f = start();
    let req = example("TD0.2_Test-dexistence_request.xml");
    let signed = f.signed_vihf(&req, &f.sign_p12);
    let (code, _, lines) = td02(&f.soap("patients", &signed));
    assert_eq!((code.as_str(), lines.len()), ("OK", 2));
    // Any byte of the signed assertion altered: the digest no longer matches.
    let altered = signed.replace(">LPS GIE-SV<", ">LPS GIE-SW<");
    assert_ne!(altered, signed);
    let (_, subcodes) = fault_of(&f.soap("patients", &altered));
    assert_eq!(subcodes, vec!["DMPInvalidSignature".to_owned()]);
    // Signed with the TLS authentication key (ORG_AUTH_CLI) instead of ORG_SIGN.
    let wrong_key = f.signed_vihf(&req, &f.client_p12);
    let (_, subcodes) = fault_of(&f.soap("patients", &wrong_key));
    assert_eq!(subcodes, vec!["DMPInvalidSignature".to_owned()]);
    // Signed by another structure's (untrusted) signing key.
    let other = start();
    let foreign = f.signed_vihf(&req, &other.sign_p12);
    let (_, subcodes) = fault_of(&f.soap("patients", &foreign));
    assert_eq!(subcodes, vec!["DMPInvalidSignature".to_owned()]);
}

#[test]
fn the_xades_signature_must_verify_and_cover_the_documents() {
    let f = start();
    // The official XAdES: its manifest digest does not match the document (README of the
    // examples), and its signer is not trusted.
    let official = FeedRequest::new(CDA_ID, "", "");
    let (st, codes) = registry_status(&f.feed(&official));
    assert_eq!(st, FAILURE);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "DMPInvalidSignature"),
        "{codes:?}"
    );
    // A document changed after signing.
    let mut changed = f.simple_feed(CDA_ID);
    changed.body = changed.body.replace(
        "<title>Exemple de Document CDA R2 non Structure</title>",
        "<title>Autre titre</title>",
    );
    let (_, codes) = registry_status(&f.feed(&changed));
    assert_eq!(codes, vec!["DMPInvalidSignature".to_owned()]);
    // The same request, unchanged, is accepted.
    assert_eq!(
        registry_status(&f.feed(&f.simple_feed(CDA_ID))),
        (SUCCESS.to_owned(), vec![])
    );
}

// ---------- the fuzz seeds ----------

#[test]
fn the_fuzz_seeds_are_answered_without_network() {
    use segur_dmp::simulator::Rules;
    use segur_dmp::simulator::server::Responder;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/dmp_simulator_request");
    let services = ["patients", "habilitations", "repository", "registry"];
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let (selector, rest) = data.split_first().unwrap();
        let service = services[usize::from(*selector) % services.len()];
        let nl = rest.iter().position(|b| *b == b'\n').unwrap();
        let content_type = std::str::from_utf8(&rest[..nl]).unwrap();
        let responder = Responder::new(Rules::default(), Vec::new());
        let reply = responder.respond(service, Some(content_type), &rest[nl + 1..], None);
        // Every seed passes the envelope, routing and VIHF checks (a deep starting point).
        assert_eq!(
            reply.status,
            200,
            "{service}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        seen += 1;
    }
    assert_eq!(seen, 7);
}

#[test]
fn indirecte_mode_gets_references_only_and_no_retrieve_nor_authorisation_change() {
    let f = start();
    assert_eq!(registry_status(&f.feed(&f.simple_feed(CDA_ID))).0, SUCCESS);
    let indirect = |req: &str| f.signed_vihf_in(req, &f.sign_p12, "INDIRECTE");
    // TD3.1 LeafClass refused, ObjectRef answered (FI-526 note 5).
    let (st, codes) = registry_status(&f.soap("registry", &indirect(&find_request(APPROVED))));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["DMPNotAllowed".to_owned()])
    );
    let refs =
        find_request(APPROVED).replace("returnType=\"LeafClass\"", "returnType=\"ObjectRef\"");
    let resp = f.soap("registry", &indirect(&refs));
    assert_schema_valid(&body_element(&resp.body), &schema("ebRS/query.xsd"));
    let listed_refs = with_body(&resp, |b| {
        b.child(RIM, "RegistryObjectList")
            .unwrap()
            .children_named(RIM, "ObjectRef")
            .count()
    });
    assert_eq!(listed_refs, 1);
    // TD3.2 and TD0.3 refused.
    let (st, codes) = registry_status(&f.soap("repository", &indirect(&retrieve_request(CDA_ID))));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["DMPNotAllowed".to_owned()])
    );
    let td03 = example("TD0.3_Mise-a-jour-de-lautorisation_request.xml");
    let (_, subcodes) = fault_of(&f.soap("habilitations", &indirect(&td03)));
    assert_eq!(subcodes, vec!["DMPNotAllowed".to_owned()]);
    // TD0.2 is allowed.
    let td02_req = example("TD0.2_Test-dexistence_request.xml");
    assert_eq!(td02(&f.soap("patients", &indirect(&td02_req))).0, "OK");
}

#[test]
fn a_patient_without_dmp_cannot_be_fed_nor_searched() {
    let f = start();
    f.sim
        .set_patient_state(INS, "1.2.250.1.213.1.4.10", DmpState::Absent);
    let (st, codes) = registry_status(&f.feed(&f.simple_feed(CDA_ID)));
    assert_eq!(
        (st.as_str(), codes),
        (FAILURE, vec!["XDSUnknownPatientId".to_owned()])
    );
    let (_, codes) = registry_status(&f.soap("registry", &find_request(APPROVED)));
    assert_eq!(codes, vec!["XDSUnknownPatientId".to_owned()]);
    f.sim
        .set_patient_state(INS, "1.2.250.1.213.1.4.10", DmpState::Closed);
    let (_, codes) = registry_status(&f.feed(&f.simple_feed(CDA_ID)));
    assert_eq!(codes, vec!["DMPClosed".to_owned()]);
    f.sim
        .set_patient_state(INS, "1.2.250.1.213.1.4.10", DmpState::Active);
    assert_eq!(registry_status(&f.feed(&f.simple_feed(CDA_ID))).0, SUCCESS);
}

#[test]
fn failure_answers_validate_against_the_official_schemas() {
    let f = start();
    // TD2.1 Failure (duplicate): rs:RegistryResponse with a RegistryErrorList.
    assert_eq!(registry_status(&f.feed(&f.simple_feed(CDA_ID))).0, SUCCESS);
    let resp = f.feed(&f.simple_feed(CDA_ID));
    assert_eq!(registry_status(&resp).0, FAILURE);
    assert_schema_valid(&body_element(&resp.body), &schema("ebRS/rs.xsd"));
    // TD3.1 Failure: AdhocQueryResponse with a RegistryErrorList.
    let unknown = find_request(APPROVED).replace(
        "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
        "urn:uuid:00000000-0000-0000-0000-000000000000",
    );
    let resp = f.soap("registry", &unknown);
    assert_eq!(
        registry_status(&resp),
        (FAILURE.to_owned(), vec!["XDSUnknownStoredQuery".to_owned()])
    );
    assert_schema_valid(&body_element(&resp.body), &schema("ebRS/query.xsd"));
    // TD3.2 Failure: a RetrieveDocumentSetResponse without documents, in MTOM.
    let resp = f.soap("repository", &retrieve_request("1.2.3.4"));
    assert_eq!(
        registry_status(&resp),
        (FAILURE.to_owned(), vec!["XDSMissingDocument".to_owned()])
    );
    let pkg = read_mtom(Some(&resp.content_type), &resp.body, MtomLimits::default()).unwrap();
    assert_schema_valid(
        &body_element(&pkg.root().unwrap().body),
        &schema("IHE/XDS.b_DocumentRepository.xsd"),
    );
    // TD0.2 AE acknowledgement.
    let req = example("TD0.2_Test-dexistence_request.xml").replace(
        "<value root=\"1.2.250.1.213.1.4.10\" extension=\"207058575627097\"/>",
        "<value root=\"1.2.250.1.213.1.4.10\" extension=\"180012B01234567\"/>",
    );
    let resp = f.soap("patients", &req);
    assert_schema_valid(
        &body_element(&resp.body),
        &schema("HL7V3/NE2009/multicacheschemas/PRPA_IN201308UV02.xsd"),
    );
}

#[test]
fn a_professional_blocked_by_the_patient_gets_errors_everywhere() {
    let f = start();
    assert_eq!(registry_status(&f.feed(&f.simple_feed(CDA_ID))).0, SUCCESS);
    f.sim.block_professional(INS, "1.2.250.1.213.1.4.10", PRO);
    let resp = f.soap("patients", &example("TD0.2_Test-dexistence_request.xml"));
    with_body(&resp, |b| {
        assert_eq!(
            b.child(HL7, "acknowledgement")
                .unwrap()
                .attribute("typeCode"),
            Some("AE")
        );
        assert_eq!(
            b.find(HL7, "acknowledgementDetail")
                .and_then(|d| d.child(HL7, "code"))
                .and_then(|c| c.attribute("code")),
            Some("DMPAccessDenied")
        );
    });
    let (_, codes) = registry_status(&f.soap("registry", &find_request(APPROVED)));
    assert_eq!(codes, vec!["DMPAccessDenied".to_owned()]);
    let (_, codes) = registry_status(&f.soap("repository", &retrieve_request(CDA_ID)));
    assert_eq!(codes, vec!["DMPAccessDenied".to_owned()]);
    // TD0.3 AJOUT does not lift the patient's block.
    let add = example("TD0.3_Mise-a-jour-de-lautorisation_request.xml");
    let (_, subcodes) = fault_of(&f.soap("habilitations", &add));
    assert_eq!(subcodes, vec!["DMPAccessDenied".to_owned()]);
    // Another professional is not affected.
    let other = as_professional(&find_request(APPROVED), "899700000002");
    assert_eq!(listed(&f.soap("registry", &other)).len(), 1);
}
