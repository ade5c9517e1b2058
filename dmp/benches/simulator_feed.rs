//! A TD2.1 feed of a 1 MB CDA through the simulator on loopback (mutual TLS, MTOM, VIHF
//! checks, CDA header read, XAdES verification with C14N of the whole document, SHA-1 and
//! size), sent by `segur_net::http` and, side by side, by `curl` (what a vendor would use to
//! replay a request by hand). The same bytes are posted at every iteration: the first feed
//! registers the document, the next ones do the same checks and are refused as duplicates.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use segur_dmp::simulator::{Simulator, SimulatorOptions};
use segur_net::http::{HttpClient, HttpLimits};
use segur_net::sign::SoftwareSigner;
use segur_net::tls::{ClientIdentity, TlsPolicy, TlsSettings, TrustAnchors};
use segur_net::xml::XmlLimits;
use segur_net::xmldsig::DigestAlgorithm;
use segur_net::xmldsig::xades::{ManifestDocument, SigningTime, SubmissionSetSignature};

const BOUNDARY: &str = "----=_Part_9_20030738.1554380517598";
const CDA_ID: &str = "1.2.250.1.999.1.1.7898.4.9956570902";

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// The official TD2.1 request (corrected as specs/dmp.md §11.3 says) with its CDA's body
/// padded to about 1 MB and its XAdES made anew with the simulator's ORG_SIGN key.
fn request(sim: &Simulator, dir: &std::path::Path) -> Vec<u8> {
    let mut s =
        std::fs::read_to_string(shared().join("dmp/examples/TD2.1_Alimentation_request.xml"))
            .unwrap()
            .replace(
                "http://schemas.xmlsoap.org/soap/envelope/",
                "http://www.w3.org/2003/05/soap-envelope",
            )
            .replace(
                "<ns4:Document id=\"documentME2\">",
                "<ns4:Document id=\"DocumentME2\">",
            )
            .replace(
                "value=\"1.2.250.1.999.1.1.7898.3.1622814651504\"",
                &format!("value=\"{CDA_ID}\""),
            );
    let at = s.find("representation=\"B64\">").unwrap() + "representation=\"B64\">".len();
    let pad: String = "QUJD".repeat(250_000);
    s.insert_str(at, &pad);
    let cda_start = s.find("<ClinicalDocument").unwrap();
    let cda_end = s.find("</ClinicalDocument>").unwrap() + "</ClinicalDocument>".len();
    let cda = s[cda_start..cda_end].to_owned();
    let pki = sim.pki();
    std::fs::write(dir.join("c.pem"), &pki.sign.cert_pem).unwrap();
    std::fs::write(dir.join("k.pem"), pki.sign.key_pem.as_bytes()).unwrap();
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-out", "s.p12", "-passout",
            "pass:pw",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut signer =
        SoftwareSigner::from_pkcs12(&std::fs::read(dir.join("s.p12")).unwrap(), "pw").unwrap();
    let limits = XmlLimits::default();
    let xades = SubmissionSetSignature::new(
        "S1-signature",
        "1.2.250.1.999.1.1.7898.1.1622814651504",
        SigningTime::parse("2024-03-01T10:00:00Z").unwrap(),
    )
    .unwrap()
    .document(ManifestDocument::new(CDA_ID, cda.as_bytes(), DigestAlgorithm::Sha1, limits).unwrap())
    .sign(&mut signer, limits)
    .unwrap();
    let start = s
        .find("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"0421d1cc")
        .unwrap();
    let end = start + s[start..].find("</Signature>").unwrap() + "</Signature>".len();
    s.replace_range(start..end, std::str::from_utf8(&xades).unwrap());
    s.into_bytes()
}

fn content_type() -> String {
    format!(
        "multipart/related; type=\"application/xop+xml\"; boundary=\"{BOUNDARY}\"; start=\"<rootpart@soapui.org>\"; start-info=\"application/soap+xml\""
    )
}

fn feed(c: &mut Criterion) {
    let sim = Simulator::start(SimulatorOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let body = request(&sim, dir.path());
    let config = sim.write_config(dir.path()).unwrap();
    let _ = config;
    let pki = sim.pki();
    let anchors = TrustAnchors::from_pem(pki.ca_pem.as_bytes()).unwrap();
    let id = ClientIdentity::from_pem(
        pki.client.cert_pem.as_bytes(),
        pki.client.key_pem.as_bytes(),
    )
    .unwrap();
    let tls = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, Some(&id)).unwrap();
    let client = HttpClient::new(&tls, HttpLimits::default());
    let url = format!("{}/repository", sim.endpoint());
    let ct = content_type();
    // The first feed registers; check it did.
    let first = client.post(&url, &ct, &[], &body).unwrap();
    assert!(String::from_utf8_lossy(&first.body).contains("ResponseStatusType:Success"));
    std::fs::write(dir.path().join("request.bin"), &body).unwrap();

    let mut g = c.benchmark_group("dmp_simulator_feed_1MB");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.sample_size(20);
    g.bench_function("segur_net_http", |b| {
        b.iter(|| {
            let r = client.post(&url, &ct, &[], &body).unwrap();
            assert_eq!(r.status, 200);
        })
    });
    let header = format!("Content-Type: {ct}");
    g.bench_function("curl", |b| {
        b.iter(|| {
            let out = Command::new("curl")
                .current_dir(dir.path())
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "--cacert",
                    "ca.pem",
                    "--cert",
                    "client.pem",
                    "--key",
                    "client-key.pem",
                    "-H",
                    &header,
                    "--data-binary",
                    "@request.bin",
                    &url,
                ])
                .output()
                .expect("curl (Debian curl) is needed");
            assert_eq!(out.stdout, b"200");
        })
    });
    g.finish();
}

/// The SDK's whole client path: `DmpClient::feed` of a 1 MB VAC-NOTE (built by the CDA builder,
/// padded with a comment before `</ClinicalDocument>`), with a new uniqueId at every iteration
/// so that each one is registered: CDA header read, metadata derived, VIHF built and signed,
/// XAdES of the submission set signed (SHA-1 of the document), MTOM written, sent, and the
/// simulator's checks.
fn client_feed(c: &mut Criterion) {
    use segur_dmp::client::{DmpClient, FeedOutcome};
    use segur_dmp::config::DmpConfig;
    use segur_dmp::td21::FeedDocument;

    let sim = Simulator::start(SimulatorOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = DmpConfig::load(&sim.write_config(dir.path()).unwrap()).unwrap();
    let client = DmpClient::from_config(&config).unwrap();
    let input: segur_dmp_cda::build::DocumentInput = serde_json::from_value(
        segur_dmp_cda::build::examples::example_json("vaccination-note").unwrap(),
    )
    .unwrap();
    let cda = input.build().unwrap();
    let first = FeedDocument::from_cda(cda.clone().into_bytes(), &Default::default()).unwrap();
    let id = format!("<id root=\"{}\"", first.unique_id());
    assert_eq!(cda.matches(&id).count(), 1, "one ClinicalDocument/id");
    let end = cda.rfind("</ClinicalDocument>").unwrap();
    let padded = format!(
        "{}<!-- {} -->{}",
        &cda[..end],
        "0123456789abcdef".repeat(65_536),
        &cda[end..]
    );
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        let bytes = padded.replacen(&id, &format!("<id root=\"{}.{n}\"", first.unique_id()), 1);
        FeedDocument::from_cda(bytes.into_bytes(), &Default::default()).unwrap()
    };
    let size = next().bytes().len();
    assert!(size > 1_000_000);

    let mut g = c.benchmark_group("dmp_client_feed_1MB");
    g.throughput(Throughput::Bytes(size as u64));
    g.sample_size(20);
    g.bench_function("dmp_client_feed", |b| {
        b.iter_batched(
            &mut next,
            |doc| assert_eq!(client.feed(&doc, None).unwrap(), FeedOutcome::Fed),
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, feed, client_feed);
criterion_main!(benches);
