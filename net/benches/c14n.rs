//! Exclusive C14N throughput (the whole path: hardened read, model, canonical form) on ANS CDA
//! samples and on a large generated document, to set beside `xmllint --exc-c14n` on the same
//! files (`scripts/bench/c14n-vs-xmllint`); and the time to sign and verify a VIHF-sized
//! enveloped signature (RSA-2048, SHA-256).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use segur_net::sign::SoftwareSigner;
use segur_net::xml::XmlLimits;
use segur_net::xmldsig::{
    C14nAlgorithm, C14nMode, Placement, Reference, Selection, SignatureBuilder, SignatureMethod,
    canonicalize, verify_enveloped,
};

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// The large file of `scripts/bench/c14n-vs-xmllint`: the IPS-FR sample's root element 20
/// times under one root (about 31 MB), written to the system temp directory so both sides
/// read the same bytes.
fn large() -> Vec<u8> {
    let ips = std::fs::read(shared().join("ans-kit/ExemplesCDA/IPS-FR_2024.01_DLU.xml")).unwrap();
    let text = String::from_utf8(ips).unwrap();
    let body = &text[text.find("<ClinicalDocument").unwrap()..];
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bench>");
    for _ in 0..20 {
        out.push_str(body.trim_end());
    }
    out.push_str("</bench>\n");
    std::fs::write(std::env::temp_dir().join("segur-c14n-large.xml"), &out).unwrap();
    out.into_bytes()
}

fn c14n(c: &mut Criterion) {
    let mut files: Vec<(String, Vec<u8>)> = [
        "IPS-FR_2024.01_DLU.xml",
        "BIO-CR-BIO_2021.01_Auto-Presentable_avec-image.xml",
    ]
    .iter()
    .map(|n| {
        (
            n.to_string(),
            std::fs::read(shared().join("ans-kit/ExemplesCDA").join(n)).unwrap(),
        )
    })
    .collect();
    files.push(("large-31MB".into(), large()));
    let limits = XmlLimits {
        max_bytes: 256 << 20,
        max_nodes: 20_000_000,
        ..XmlLimits::default()
    };
    let mut g = c.benchmark_group("exc_c14n");
    g.sample_size(10);
    for (name, bytes) in &files {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        for (label, alg) in [
            ("with_comments", C14nAlgorithm::ExclusiveWithComments),
            ("without_comments", C14nAlgorithm::Exclusive),
        ] {
            let mode = C14nMode::new(alg);
            g.bench_function(format!("{name}/{label}"), |b| {
                b.iter(|| {
                    canonicalize(black_box(bytes), &mode, Selection::Document, limits)
                        .unwrap()
                        .len()
                })
            });
        }
    }
    g.finish();
}

fn sign_verify(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    segur_test_support::openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-days",
            "2",
            "-subj",
            "/CN=bench",
        ],
    );
    segur_test_support::openssl(
        d,
        &[
            "pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-out", "id.p12", "-passout",
            "pass:pw",
        ],
    );
    let mut signer =
        SoftwareSigner::from_pkcs12(&std::fs::read(d.join("id.p12")).unwrap(), "pw").unwrap();
    // The official INDIRECTE VIHF without its signature: a real-size assertion (about 4 KB).
    let vihf =
        std::fs::read_to_string(shared().join("dmp/examples/vihf/VIHF_INDIRECTE_signed.xml"))
            .unwrap();
    let start = vihf.find("<Signature").unwrap();
    let end = vihf.find("</Signature>").unwrap() + "</Signature>".len();
    let unsigned = format!("{}{}", &vihf[..start], &vihf[end..]);
    let id = "_65db4fa8-b44a-4c11-adc5-135dcc327b24";
    let builder =
        SignatureBuilder::new(SignatureMethod::RsaSha256).reference(Reference::enveloped(id));
    let place = Placement::After {
        namespace: SAML,
        local: "Issuer",
    };
    let limits = XmlLimits::default();
    let signed = builder
        .sign_enveloped(unsigned.as_bytes(), id, place, &mut signer, limits)
        .unwrap();
    let mut g = c.benchmark_group("vihf");
    g.bench_function("sign_rsa2048_sha256", |b| {
        b.iter(|| {
            builder
                .sign_enveloped(
                    black_box(unsigned.as_bytes()),
                    id,
                    place,
                    &mut signer,
                    limits,
                )
                .unwrap()
                .len()
        })
    });
    g.bench_function("verify_rsa2048_sha256", |b| {
        b.iter(|| {
            verify_enveloped(black_box(&signed), &[(SAML, "Assertion")], limits)
                .unwrap()
                .signed_xml
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, c14n, sign_verify);
criterion_main!(benches);
