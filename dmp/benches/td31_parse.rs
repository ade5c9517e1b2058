//! Reading a 500-entry TD3.1 search response (ITI-18 `AdhocQueryResponse`, LeafClass): the
//! official example response (21 entries, `shared/dmp/examples`) with its entries repeated to
//! 500 (about 5 MB), read by the client's reader (hardened XML tree, SOAP envelope, every entry
//! and its slots, classifications and external identifiers into `DocumentView`s) and, side by
//! side on the same file, by `xmllint --noout` (libxml2 well-formedness only, the tool a user
//! would reach for; one process per run, so its start-up is in its figure, shown separately by
//! `xmllint --noout` on a one-element file).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use segur_dmp::response::{ResponseLimits, with_body};

const ENTRIES: usize = 500;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// The official response with its ExtrinsicObjects repeated to `ENTRIES`.
fn response() -> String {
    let s = std::fs::read_to_string(
        shared().join("dmp/examples/TD3.1_Recherche-de-document_response.xml"),
    )
    .unwrap();
    let open = "<ns4:ExtrinsicObject";
    let close = "</ns4:ExtrinsicObject>";
    let first = s.find(open).unwrap();
    let last = s.rfind(close).unwrap() + close.len();
    let mut entries = Vec::new();
    let mut at = first;
    while let Some(i) = s[at..last].find(open) {
        let start = at + i;
        let end = start + s[start..].find(close).unwrap() + close.len();
        entries.push(&s[start..end]);
        at = end;
    }
    assert_eq!(entries.len(), 21);
    let mut out = String::with_capacity(s.len() * ENTRIES / 20);
    out.push_str(&s[..first]);
    for i in 0..ENTRIES {
        out.push_str(entries[i % entries.len()]);
    }
    out.push_str(&s[last..]);
    out
}

fn parse(c: &mut Criterion) {
    let body = response();
    let limits = ResponseLimits::default();
    let read =
        |b: &[u8]| with_body(None, b, limits, |e, _| segur_dmp::td31::read_response(e)).unwrap();
    assert_eq!(read(body.as_bytes()).len(), ENTRIES);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("td31-500.xml");
    std::fs::write(&file, &body).unwrap();
    let tiny = dir.path().join("tiny.xml");
    std::fs::write(&tiny, "<a/>").unwrap();
    let xmllint = |f: &std::path::Path| {
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg(f)
            .output()
            .expect("xmllint (Debian libxml2-utils, scripts/install-deps)");
        assert!(out.status.success());
    };

    let mut g = c.benchmark_group("dmp_td31_500_entries");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.sample_size(10);
    g.bench_function("segur_dmp_td31_read_response", |b| {
        b.iter(|| read(body.as_bytes()))
    });
    g.bench_function("xmllint_noout", |b| b.iter(|| xmllint(&file)));
    g.finish();
    let mut g = c.benchmark_group("dmp_td31_xmllint_startup");
    g.sample_size(10);
    g.bench_function("xmllint_noout_one_element", |b| b.iter(|| xmllint(&tiny)));
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
