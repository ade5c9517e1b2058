//! The client against a local mutual-TLS server (hyper 1 over tokio-rustls, the DMP TLS policy
//! of `segur_net::tls`) that replays the official example responses and records the requests:
//! every transaction end to end, the feed's MTOM package (XSD-valid once the XOP parts are put
//! back, VIHF signature checked by `xmlsec1`, XAdES manifest matching the CDA), the DMP
//! refusals, TLS errors (wrong CA, wrong name, expired, no client certificate), time-outs and
//! the retry rule of a feed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use segur_dmp::client::{DmpClient, FeedOutcome};
use segur_dmp::config::DmpConfig;
use segur_dmp::td21::FeedDocument;
use segur_dmp::td31::FindDocuments;
use segur_dmp::td33::StatusChange;
use segur_dmp::{DmpError, DmpPatient};
use segur_net::http::{HttpError, HttpLimits};
use segur_net::tls::{ClientIdentity, TlsError, TlsPolicy, TrustAnchors};
use segur_test_support::pki::{self, Ca};

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("export SEGUR_SHARED=../shared"))
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(shared().join("dmp/examples").join(name)).unwrap()
}

/// The document the retrieve answer carries, and its entry's hash and size put into the TD3.1
/// example (entry 1, the one EX TD3.2 retrieves).
const RETRIEVED: &[u8] = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Feeds hang (the answer never comes); GetDocuments then finds the uniqueId.
    FeedHangsButRegistered,
    /// Every registry answer is an HTTP 500 SOAP fault.
    Fault,
    /// The first feed hangs and is not registered; the next one is answered.
    FirstFeedLost,
}

#[derive(Default)]
struct Seen {
    requests: Vec<(String, String, Vec<u8>)>,
    feeds: usize,
    fed_unique_id: Option<String>,
}

struct State {
    mode: Mode,
    seen: Mutex<Seen>,
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn soap(body: Vec<u8>) -> Response<Full<Bytes>> {
    reply(200, "application/soap+xml; charset=UTF-8", body)
}

fn td31_answer(fed: Option<&str>) -> Vec<u8> {
    let mut s = String::from_utf8(example("TD3.1_Recherche-de-document_response.xml")).unwrap();
    s = s.replace(
        "af326fb44feb720121d2c277ce10f87407818089",
        &segur_dmp_cda::xds::sha1_hex(RETRIEVED),
    );
    s = s.replacen(
        "<ns4:Value>2768</ns4:Value>",
        &format!("<ns4:Value>{}</ns4:Value>", RETRIEVED.len()),
        1,
    );
    if let Some(uid) = fed {
        // The registered feed: entry 2 now carries the fed uniqueId.
        let i = s
            .match_indices("identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\"")
            .nth(1)
            .unwrap()
            .0;
        let v = s[i..].find("value=\"").unwrap() + i + 7;
        let end = s[v..].find('"').unwrap() + v;
        s.replace_range(v..end, uid);
    }
    s.into_bytes()
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let ctype = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
    let text = String::from_utf8_lossy(&body).into_owned();
    state
        .seen
        .lock()
        .unwrap()
        .requests
        .push((path.clone(), ctype.clone(), body.clone()));
    let service = path.rsplit('/').next().unwrap_or_default();
    if state.mode == Mode::Fault && service == "registry" {
        return Ok(reply(
            500,
            "application/soap+xml",
            br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:DMPInvalidCertificate</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">Not a valid signature certificate</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#.to_vec(),
        ));
    }
    Ok(match service {
        "patients" => soap(example("TD0.2_Test-dexistence_response.xml")),
        "habilitations" => soap(example("TD0.3_Mise-a-jour-de-lautorisation_response.xml")),
        "registry" if text.contains("SubmitObjectsRequest") => {
            soap(example("TD3.3d_Archiver-un-document_response.xml"))
        }
        "registry" => {
            let fed = state.seen.lock().unwrap().fed_unique_id.clone();
            soap(td31_answer(fed.as_deref()))
        }
        "repository" if ctype.starts_with("multipart/related") => {
            let feeds = {
                let mut seen = state.seen.lock().unwrap();
                seen.feeds += 1;
                seen.feeds
            };
            if state.mode == Mode::FirstFeedLost && feeds == 1 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            if state.mode == Mode::FeedHangsButRegistered {
                let uid = FEED_UNIQUE_ID.lock().unwrap().clone();
                state.seen.lock().unwrap().fed_unique_id = uid;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            soap(example("TD2.1_Alimentation_response.xml"))
        }
        "repository" => {
            let envelope = example("TD3.2_Consultation-dun-document_response.xml");
            let out = segur_net::soap::mtom::write_mtom(
                segur_net::soap::SoapVersion::Soap12,
                std::str::from_utf8(&envelope).unwrap(),
                None,
                &[segur_net::soap::mtom::Attachment {
                    content_id: "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007",
                    content_type: "application/octet-stream",
                    data: RETRIEVED,
                }],
                "MIMEBoundary_dmp",
            )
            .unwrap();
            reply(200, &out.content_type, out.body)
        }
        _ => reply(404, "text/plain", b"no route".to_vec()),
    })
}

static FEED_UNIQUE_ID: Mutex<Option<String>> = Mutex::new(None);

struct Server {
    port: u16,
    state: Arc<State>,
    _rt: tokio::runtime::Runtime,
}

fn serve(config: Arc<rustls::ServerConfig>, mode: Mode) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let state = Arc::new(State {
        mode,
        seen: Mutex::default(),
    });
    let st = state.clone();
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let st = st.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| handle(req, st.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server {
        port,
        state,
        _rt: rt,
    }
}

/// An RSA key (PKCS#8 PEM) made by openssl; ring signs with RSA but cannot generate keys.
fn rsa_key() -> String {
    let dir = tempfile::tempdir().unwrap();
    segur_test_support::openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "k.pem",
        ],
    );
    std::fs::read_to_string(dir.path().join("k.pem")).unwrap()
}

/// [`pki::leaf`] with an RSA key: subject `cn` (O and C as IGC-Santé certificates), `sans`,
/// client or server authentication, optionally expired in 2021.
fn rsa_leaf(ca: &Ca, cn: &str, sans: &[&str], client: bool, expired: bool) -> pki::Leaf {
    use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair};
    let key_pem = rsa_key();
    let key = KeyPair::from_pem(&key_pem).unwrap();
    let mut p =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "PHARMACIE DU CENTRE");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    pki::Leaf {
        cert_pem: cert.pem(),
        key_pem,
    }
}

struct Fixture {
    dir: tempfile::TempDir,
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A test PKI and a `dmp.toml` naming it; `trust` is the CA the client trusts.
fn fixture(port: u16, trust: &Ca, ca: &Ca) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    // The DMP TLS suites are ECDHE_RSA and its XML signatures RSA: every leaf has an RSA key.
    let client = rsa_leaf(ca, "ORG_AUTH_CLI 3123456789012345", &[], true, false);
    let sign = rsa_leaf(ca, "ORG_SIGN 3123456789012345", &[], true, false);
    write(dir.path(), "ca.pem", &trust.pem());
    write(dir.path(), "client.pem", &client.cert_pem);
    write(dir.path(), "sign.pem", &sign.cert_pem);
    write(dir.path(), "sign-key.pem", &sign.key_pem);
    write(dir.path(), "client-key.pem", &client.key_pem);
    write(dir.path(), "signing-ca.pem", &ca.pem());
    write(
        dir.path(),
        "dmp.toml",
        &format!(
            r#"endpoint = "https://localhost:{port}/si-dmp-server/v2/services"
mode = "indirecte"
ins_oid = "1.2.250.1.213.1.4.10"
web_url = "https://dmp.example"

[tls]
ca = "ca.pem"
client_certificate = "client.pem"
client_key = "client-key.pem"

[signing]
certificate = "sign.pem"
key = "sign-key.pem"

[professional]
national_id = "810100000001"
family_name = "PHARMACIEN"
given_name = "PAUL"
profession = "21"
pharmacist_section = "A"

[structure]
national_id = "3123456789012345"
name = "PHARMACIE DU CENTRE"
activity_sector = "SA33"

[software]
name = "segur"
version = "0.1.0"
homologation = "TEST-SEGUR-0001"
"#
        ),
    );
    Fixture { dir }
}

fn server_for(ca: &Ca, dns: &[&str], expired: bool, mode: Mode) -> Server {
    let l = rsa_leaf(ca, "dmp server", dns, false, expired);
    let identity = ClientIdentity::from_pem(l.cert_pem.as_bytes(), l.key_pem.as_bytes()).unwrap();
    let anchors = TrustAnchors::from_pem(ca.pem().as_bytes()).unwrap();
    serve(
        TlsPolicy::dmp()
            .server_config(&identity, Some(&anchors))
            .unwrap(),
        mode,
    )
}

fn client(f: &Fixture, limits: HttpLimits) -> DmpClient {
    let config = DmpConfig::load(&f.dir.path().join("dmp.toml")).unwrap();
    DmpClient::from_config_with_limits(&config, limits).unwrap()
}

fn patient() -> DmpPatient {
    DmpPatient::attested_qualified(
        segur_ins::Ins::from_parts("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
    )
}

fn setup(mode: Mode) -> (Server, Fixture) {
    let ca = pki::ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
    let server = server_for(&ca, &["localhost"], false, mode);
    let f = fixture(server.port, &ca, &ca);
    (server, f)
}

/// The element whose `ID` attribute xmlsec1 must treat as an ID.
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";

fn xmlsec1_verify(xml: &[u8], ca_pem: &Path, id_attrs: &[&str]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("signed.xml");
    std::fs::write(&f, xml).unwrap();
    let mut cmd = std::process::Command::new("xmlsec1");
    cmd.arg("--verify").arg("--trusted-pem").arg(ca_pem);
    for a in id_attrs {
        cmd.arg("--id-attr:ID").arg(a);
    }
    let out = cmd
        .arg(&f)
        .output()
        .expect("xmlsec1 is required (Debian xmlsec1, installed by scripts/install-deps)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn every_transaction_end_to_end() {
    let (server, f) = setup(Mode::Normal);
    let c = client(&f, HttpLimits::default());
    let p = patient();
    // TD0.2
    let status = c.existence_test(&p).unwrap();
    assert_eq!(status.state, segur_dmp::td02::DmpState::Active);
    assert!(status.is_authorized());
    // TD3.1
    let entries = c.find(&p, &FindDocuments::default()).unwrap();
    assert_eq!(entries.len(), 21);
    // TD3.2, checked against the entry's size and hash
    let doc = c
        .retrieve(&p, "1.2.250.1.999.1.1.7898.1.995657292")
        .unwrap();
    assert_eq!(doc.bytes, RETRIEVED);
    // TD3.3
    c.update_status(
        &p,
        "1.2.250.1.999.1.1.7898.1.995657292",
        StatusChange::Archive,
    )
    .unwrap();
    c.update_confidentiality(
        &p,
        "1.2.250.1.999.1.1.7898.1.995657292",
        segur_dmp::td33::ConfidentialityChange::Mask,
    )
    .unwrap();
    let seen = server.state.seen.lock().unwrap();
    let paths: Vec<&str> = seen.requests.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/si-dmp-server/v2/services/patients",
            "/si-dmp-server/v2/services/registry",
            "/si-dmp-server/v2/services/registry",
            "/si-dmp-server/v2/services/repository",
            "/si-dmp-server/v2/services/registry",
            "/si-dmp-server/v2/services/registry",
            "/si-dmp-server/v2/services/registry",
            "/si-dmp-server/v2/services/registry",
        ]
    );
    // Every request: SOAP 1.2 with its action, a signed VIHF that xmlsec1 verifies against the
    // CA, naming the patient.
    for (path, ctype, body) in &seen.requests {
        assert!(ctype.starts_with("application/soap+xml"), "{path} {ctype}");
        assert!(ctype.contains("action=\"urn:"), "{ctype}");
        let text = std::str::from_utf8(body).unwrap();
        assert!(text.contains("207058575627097^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"));
        assert!(text.contains("<wsa:Action"));
        xmlsec1_verify(body, &f.dir.path().join("signing-ca.pem"), &[ASSERTION]).unwrap();
    }
    // A changed byte in the assertion breaks the signature (xmlsec1 says so).
    let tampered = String::from_utf8(seen.requests[0].2.clone())
        .unwrap()
        .replace("PHARMACIE", "PHARMACIA")
        .replace("3123456789012345<", "3123456789012346<");
    assert!(
        xmlsec1_verify(
            tampered.as_bytes(),
            &f.dir.path().join("signing-ca.pem"),
            &[ASSERTION]
        )
        .is_err()
    );
}

fn vac_note() -> Vec<u8> {
    segur_dmp_cda::build::examples::example("vaccination-note")
        .unwrap()
        .unwrap()
        .build()
        .unwrap()
        .into_bytes()
}

#[test]
fn feed_sends_a_valid_signed_mtom_package() {
    let (server, f) = setup(Mode::Normal);
    let c = client(&f, HttpLimits::default());
    let cda = vac_note();
    let doc = FeedDocument::from_cda(cda.clone(), &Default::default()).unwrap();
    assert_eq!(c.feed(&doc, None).unwrap(), FeedOutcome::Fed);
    let seen = server.state.seen.lock().unwrap();
    let (path, ctype, body) = seen.requests.last().unwrap();
    assert!(path.ends_with("/repository"));
    assert!(ctype.starts_with("multipart/related"), "{ctype}");
    let package = segur_net::soap::mtom::read_mtom(Some(ctype), body, Default::default()).unwrap();
    let root = std::str::from_utf8(&package.root().unwrap().body)
        .unwrap()
        .to_owned();
    // The VIHF verifies with xmlsec1; the VIHF and the entries name the CDA's patient.
    xmlsec1_verify(
        root.as_bytes(),
        &f.dir.path().join("signing-ca.pem"),
        &[ASSERTION],
    )
    .unwrap();
    assert!(root.contains("279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"));
    assert!(root.contains("urn:ihe:iti:2007:AssociationType:signs"));
    // Two parts: the CDA exactly as given, the XAdES signature whose manifest matches it.
    let parts: Vec<_> = package.attachments().collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(&*parts[0].body, cda.as_slice());
    let verified =
        segur_net::xmldsig::xades::verify_submission_set(&parts[1].body, Default::default())
            .unwrap();
    let reference = verified.document(doc.unique_id()).unwrap();
    assert!(reference.matches(&cda, Default::default()).unwrap());
    // The ITI-41 body, with its XOP parts put back as base64 (XOP 1.0 §3), is valid against
    // the official XDS.b repository schema.
    let env = segur_net::soap::parse_envelope(root.as_bytes(), Default::default()).unwrap();
    let body_el = env.body_content().unwrap();
    let start = root
        .find("<xdsb:ProvideAndRegisterDocumentSetRequest")
        .unwrap();
    let end = root
        .find("</xdsb:ProvideAndRegisterDocumentSetRequest>")
        .unwrap()
        + "</xdsb:ProvideAndRegisterDocumentSetRequest>".len();
    let mut iti41 = root[start..end].to_owned();
    use base64::Engine as _;
    for include in segur_net::soap::mtom::xop_includes(body_el) {
        let href = include.attribute("href").unwrap();
        let part = package.attachment(href, include.position).unwrap();
        let tag = format!(
            "<xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"{href}\"/>"
        );
        assert!(iti41.contains(&tag), "{tag}");
        iti41 = iti41.replace(
            &tag,
            &base64::engine::general_purpose::STANDARD.encode(&part.body),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("iti41.xml");
    std::fs::write(&file, &iti41).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(shared().join("dmp/wsdl-schema/schema/IHE/XDS.b_DocumentRepository.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint is required (libxml2-utils, scripts/install-deps)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_feed_timeout_is_resolved_by_searching_the_unique_id() {
    let (server, f) = setup(Mode::FeedHangsButRegistered);
    let c = client(
        &f,
        HttpLimits {
            exchange_timeout: Duration::from_secs(2),
            ..HttpLimits::default()
        },
    );
    let doc = FeedDocument::from_cda(vac_note(), &Default::default()).unwrap();
    *FEED_UNIQUE_ID.lock().unwrap() = Some(doc.unique_id().to_owned());
    assert_eq!(c.feed(&doc, None).unwrap(), FeedOutcome::AlreadyPresent);
    let seen = server.state.seen.lock().unwrap();
    let feeds = seen
        .requests
        .iter()
        .filter(|(_, ct, _)| ct.starts_with("multipart/related"))
        .count();
    assert_eq!(
        feeds, 1,
        "the feed must not be re-sent once the search finds it"
    );
    let last = &seen.requests.last().unwrap().2;
    assert!(
        String::from_utf8_lossy(last).contains("urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4")
    );
}

#[test]
fn a_lost_feed_absent_from_the_registry_is_sent_again_once() {
    let (server, f) = setup(Mode::FirstFeedLost);
    let c = client(
        &f,
        HttpLimits {
            exchange_timeout: Duration::from_secs(2),
            ..HttpLimits::default()
        },
    );
    let doc = FeedDocument::from_cda(vac_note(), &Default::default()).unwrap();
    assert_eq!(c.feed(&doc, None).unwrap(), FeedOutcome::Fed);
    let seen = server.state.seen.lock().unwrap();
    assert_eq!(seen.feeds, 2);
    let kinds: Vec<&str> = seen
        .requests
        .iter()
        .map(|(p, _, _)| p.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(kinds, ["repository", "registry", "repository"]);
}

#[test]
fn soap_fault_on_http_500_is_a_refusal() {
    let (_server, f) = setup(Mode::Fault);
    let c = client(&f, HttpLimits::default());
    match c.find(&patient(), &FindDocuments::default()) {
        Err(e @ DmpError::Fault(_)) => {
            assert!(e.is_refusal());
            assert_eq!(
                e.to_string(),
                "DMP refusal: SOAP fault Sender / DMPInvalidCertificate"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tls_errors_are_typed() {
    let p = patient();
    let tls = |r: Result<segur_dmp::td02::ExistenceTest, DmpError>| match r {
        Err(DmpError::Http(HttpError::Tls(t))) => t,
        other => panic!("{other:?}"),
    };
    // Wrong CA: the client trusts another CA than the server's.
    let ca = pki::ca("server CA");
    let server = server_for(&ca, &["localhost"], false, Mode::Normal);
    let other = pki::ca("another CA");
    let f = fixture(server.port, &other, &ca);
    assert_eq!(
        tls(client(&f, HttpLimits::default()).existence_test(&p)),
        TlsError::UnknownIssuer
    );
    // Wrong name.
    let server = server_for(&ca, &["dmp.example"], false, Mode::Normal);
    let f = fixture(server.port, &ca, &ca);
    assert_eq!(
        tls(client(&f, HttpLimits::default()).existence_test(&p)),
        TlsError::NameMismatch
    );
    // Expired.
    let server = server_for(&ca, &["localhost"], true, Mode::Normal);
    let f = fixture(server.port, &ca, &ca);
    assert_eq!(
        tls(client(&f, HttpLimits::default()).existence_test(&p)),
        TlsError::Expired
    );
    // A client certificate the server does not trust.
    let server = server_for(&ca, &["localhost"], false, Mode::Normal);
    let f = fixture(server.port, &ca, &pki::ca("rogue client CA"));
    assert!(matches!(
        tls(client(&f, HttpLimits::default()).existence_test(&p)),
        TlsError::ClientCertificateRefused { .. }
    ));
}
