//! IHE_XDM speed: pack and unpack a package holding a 1 MB CDA.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use segur_dmp_cda::xdm::{XdmLimits, XdmPackage, XdmSender, XdmWriter};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, SubmissionSet};

/// The N1 sample with its PDF body padded to about 1 MB (base64 of pseudo-random bytes, as a
/// real PDF body is: incompressible content, base64 text).
fn one_mb_cda() -> Vec<u8> {
    let shared = std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let s =
        std::fs::read_to_string(shared.join("ans-kit/ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
            .unwrap();
    let start = s.find("representation=\"B64\">").unwrap() + "representation=\"B64\">".len();
    let end = start + s[start..].find('<').unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut pad = String::with_capacity(1 << 20);
    while pad.len() < 1_000_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pad.push(char::from(alphabet[(x % 64) as usize]));
        if pad.len() % 77 == 76 {
            pad.push('\n');
        }
    }
    format!("{}{}{}", &s[..start], pad, &s[end..]).into_bytes()
}

fn bench_xdm(c: &mut Criterion) {
    let cda = one_mb_cda();
    let header = segur_dmp_cda::read_header(&cda, &Default::default()).unwrap();
    let opts = DeriveOptions {
        class_code: Some(segur_dmp_cda::Code::new(
            "10",
            "1.2.250.1.213.1.1.4.1",
            "Compte rendu",
        )),
        ..DeriveOptions::default()
    };
    let entry = DocumentEntry::derive(&header, &cda, Some("application/pdf"), &opts).unwrap();
    let set = SubmissionSet::for_entry(&entry, "1.2.3", None);
    let pack = |cda: &[u8], store_above: usize| {
        let sender = XdmSender {
            organization: "Pharmacie du Centre".into(),
            contact: "01 23 45 67 89".into(),
            ..XdmSender::default()
        };
        let mut w = XdmWriter::new(set.clone(), sender);
        w.store_above = store_above;
        w.add(cda.to_vec(), entry.clone(), "XML");
        w.pack().unwrap()
    };
    let limits = XdmLimits::default();
    for (label, store_above) in [
        ("stored (default)", 256usize << 10),
        ("deflate level 1", usize::MAX),
    ] {
        let pack = |cda: &[u8]| pack(cda, store_above);
        let zip = pack(&cda);
        let mut g = c.benchmark_group(format!("xdm 1 MB CDA, {label}"));
        g.throughput(Throughput::Bytes(cda.len() as u64));
        g.bench_function("pack", |b| b.iter(|| pack(black_box(&cda))));
        g.bench_function("unpack (hash + size checked)", |b| {
            b.iter(|| XdmPackage::unpack(black_box(&zip), &limits).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench_xdm);
criterion_main!(benches);
