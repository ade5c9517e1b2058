//! Composing an MSSanté message with a 1 MB IHE_XDM (inspection of the CDA inside included),
//! and reading it back.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use segur_mssante::compose::{MessageBuilder, ProductReference, Subject};
use segur_mssante::{MailAddress, ReceivedMessage, Recipient};
use std::hint::black_box;
use std::path::PathBuf;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// A VAC-NOTE packed with a ~1 MB PDF rendering, so the XDM weighs about 1 MB.
fn one_mb_xdm() -> Vec<u8> {
    let cda = std::fs::read(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap();
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    while pdf.len() < 1_000_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pdf.extend_from_slice(&x.to_le_bytes());
    }
    let opts = segur_dmp_cda::PackOptions {
        source_id: "1.2.250.1.213.4.1.1.1".into(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre (FINESS 750000001)".into(),
            contact: "pharma@test.mssante.fr".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    segur_dmp_cda::pack_cda(&cda, Some(&pdf), &opts).unwrap().0
}

fn bench(c: &mut Criterion) {
    let xdm = one_mb_xdm();
    assert!(xdm.len() > 1_000_000);
    let from = MailAddress::parse("pharma@test.mssante.fr").unwrap();
    let to = Recipient::professional(MailAddress::parse("doc@test.mssante.fr").unwrap()).unwrap();
    let nil = ProductReference::new("LGO-BENCH").unwrap();
    let compose = || {
        MessageBuilder::new(from.clone(), nil.clone())
            .to(to.clone())
            .subject(Subject::xdm("VAC-NOTE").unwrap())
            .text("Note de vaccination")
            .xdm(xdm.clone())
            .request_read_receipt()
            .build()
            .unwrap()
    };
    c.bench_function("compose_1mb_xdm", |b| b.iter(|| black_box(compose())));
    c.bench_function("inspect_1mb_xdm", |b| {
        b.iter(|| black_box(segur_mssante::inspect::inspect_xdm(&xdm).unwrap()))
    });
    let m = compose();
    c.bench_function("read_1mb_xdm_message", |b| {
        b.iter(|| black_box(ReceivedMessage::parse(m.bytes()).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
