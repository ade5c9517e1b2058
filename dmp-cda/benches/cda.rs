//! CDA speed: header read vs a bare quick-xml tokenizer pass over the same bytes (the whole
//! document, and the header part alone that `read_header` tokenizes before it stops at the
//! body), full read.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use quick_xml::Reader;
use quick_xml::events::Event;
use segur_dmp_cda::xml::XmlLimits;

fn sample(name: &str) -> Vec<u8> {
    let shared = std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    std::fs::read(shared.join("ans-kit/ExemplesCDA").join(name)).unwrap()
}

fn tokenize(bytes: &[u8]) -> usize {
    let mut r = Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match r.read_event().unwrap() {
            Event::Eof => return n,
            _ => n += 1,
        }
    }
}

/// The same bare pass, stopped where `read_header` stops: at the first `component` start tag
/// directly under the root `ClinicalDocument` (the samples are plain CDA, not auto-presentable).
fn tokenize_header_part(bytes: &[u8]) -> usize {
    let mut r = Reader::from_reader(bytes);
    let (mut n, mut depth) = (0, 0usize);
    loop {
        match r.read_event().unwrap() {
            Event::Eof => return n,
            Event::Start(s) => {
                if depth == 1 && s.local_name().as_ref() == b"component" {
                    return n;
                }
                depth += 1;
            }
            Event::End(_) => depth -= 1,
            _ => {}
        }
        n += 1;
    }
}

fn bench_read(c: &mut Criterion) {
    let limits = XmlLimits::default();
    for name in [
        "VAC-NOTE_2023.01.xml",
        "BIO-TROD_2024.01_COVID-19_Grippe-A_Grippe-B.xml",
    ] {
        let bytes = sample(name);
        let mut g = c.benchmark_group(format!("read/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("quick-xml tokenizer (whole document)", |b| {
            b.iter(|| tokenize(black_box(&bytes)))
        });
        g.bench_function("quick-xml tokenizer (header part only)", |b| {
            b.iter(|| tokenize_header_part(black_box(&bytes)))
        });
        g.bench_function("read_header", |b| {
            b.iter(|| segur_dmp_cda::read::read_header(black_box(&bytes), &limits).unwrap())
        });
        g.bench_function("read (header + body)", |b| {
            b.iter(|| segur_dmp_cda::read::read_with(black_box(&bytes), &limits).unwrap())
        });
        g.finish();
    }
}

fn bench_build(c: &mut Criterion) {
    // Deserialised once: the bench measures build + serialise, as an LGO calls it.
    let input = segur_dmp_cda::build::examples::example("vaccination-note")
        .unwrap()
        .unwrap();
    c.bench_function("build + serialise VAC-NOTE 2023.01", |b| {
        b.iter(|| black_box(&input).build().unwrap())
    });
}

criterion_group!(benches, bench_read, bench_build);
criterion_main!(benches);
