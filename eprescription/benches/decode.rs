#![allow(missing_docs, clippy::expect_used)] // criterion_group! generates an undocumented function; setup failures abort the bench.
//! Decoding speed, and the comparison with zbarimg (Debian zbar-tools) and rqrr on the same
//! degraded A4 pages at 300 dpi. Run:
//! `cargo bench -p segur-eprescription --bench decode -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use segur_eprescription::decode::{DecodeOptions, Symbology, decode_file, load_luma};
use segur_eprescription::scanner::{ScannerConfig, normalise};
use segur_eprescription::twoddoc;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Prints decode rate and median time per page for segur, rqrr and zbarimg.
fn compare(dir: &std::path::Path, cases: &[common::Case]) {
    let (mut ours_ok, mut zbar_ok, mut rqrr_ok) = (0, 0, 0);
    let (mut ours_t, mut zbar_t, mut rqrr_t) = (Vec::new(), Vec::new(), Vec::new());
    let mut zbar_available = true;
    for case in cases {
        let path = common::write_case(dir, case);
        let payload = &case.expected[0].1;
        let start = Instant::now();
        let codes = decode_file(&path, &DecodeOptions::default()).unwrap_or_default();
        ours_t.push(start.elapsed());
        let ours = codes
            .iter()
            .any(|c| c.symbology == Symbology::QrCode && c.payload == payload.as_bytes());
        ours_ok += usize::from(ours);

        let start = Instant::now();
        let z = common::zbarimg(&path);
        zbar_t.push(start.elapsed());
        zbar_available &= z.is_some();
        let zbar = z.is_some_and(|l| l.iter().any(|l| l == payload));
        zbar_ok += usize::from(zbar);

        let start = Instant::now();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let r = load_luma(&bytes, 64_000_000).ok().is_some_and(|img| {
            let (w, h) = img.dimensions();
            let mut prepared =
                rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
                    img.get_pixel(x as u32, y as u32)[0]
                });
            prepared
                .detect_grids()
                .iter()
                .any(|g| g.decode().is_ok_and(|(_, s)| &s == payload))
        });
        rqrr_t.push(start.elapsed());
        rqrr_ok += usize::from(r);
        println!(
            "{:<28} segur {:<5} rqrr {:<5} zbar {:<5}",
            case.name, ours, r, zbar
        );
    }
    let n = cases.len();
    println!("\n| decoder | decoded | median per A4 300 dpi page |");
    println!("|---|---|---|");
    println!(
        "| segur-eprescription | {ours_ok}/{n} | {:.1} ms |",
        median(ours_t).as_secs_f64() * 1e3
    );
    println!(
        "| rqrr 0.11 | {rqrr_ok}/{n} | {:.1} ms |",
        median(rqrr_t).as_secs_f64() * 1e3
    );
    if zbar_available {
        println!(
            "| zbarimg (process) | {zbar_ok}/{n} | {:.1} ms |\n",
            median(zbar_t).as_secs_f64() * 1e3
        );
    } else {
        println!("| zbarimg | not installed | |\n");
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs each benchmark once as a
    // smoke test, on a lighter corpus and without the comparison.
    let measuring = std::env::args().any(|a| a == "--bench");
    let cases = common::qr_corpus(if measuring { 300 } else { 150 }, 11);
    if measuring {
        compare(dir.path(), &cases);
    }

    let clean = common::write_case(dir.path(), &cases[0]);
    let photo = common::write_case(dir.path(), &cases[8]);
    let mut group = c.benchmark_group(if measuring {
        "decode_a4_300dpi"
    } else {
        "decode_a4_150dpi_smoke"
    });
    group.sample_size(10);
    group.bench_function("clean_png", |b| {
        b.iter(|| decode_file(black_box(&clean), &DecodeOptions::default()))
    });
    group.bench_function("photo_like_jpeg", |b| {
        b.iter(|| decode_file(black_box(&photo), &DecodeOptions::default()))
    });
    group.finish();

    let code = "DC04FR000001198519D31201FR90MAITRE/SPECIMEN/NATACHA\u{1d}92RAISON SOCIALE DE TEST\u{1d}94SAISIE CONSERVATOIRE DE CREANCES\u{1d}962111201791MME/BERTHIER/CORINNE\u{1d}93RAISON SOCIALE DU TIERS CONCERNE\u{1d}951896547853AB\u{1d}0CNB2WS43TNFSXELLKOVZXI2LDMUXGM4RPGE4DSNRVGQ3TQNJTIFBA\u{1d}\u{1f}OOXND3NRRGDZKBYZ6VDMHSM7WHJ323ICLGTSEELJ74OW3E4GGFYI3GX6IXCN4HF45JWYZKHHU7GXTBMCSHOSU5GOUHJYN4PIH6VAA2Q";
    c.bench_function("twoddoc_parse_v04", |b| {
        b.iter(|| twoddoc::parse(black_box(code.as_bytes())))
    });
    let typed: String = "DC04FR000001198519D31201FR90MAITRE/SPECIMEN/NATACHA"
        .chars()
        .map(segur_eprescription::scanner::qwerty_to_azerty)
        .collect();
    c.bench_function("scanner_normalise_garbled", |b| {
        b.iter(|| normalise(black_box(&typed), &ScannerConfig::default()))
    });
}

criterion_group!(decode, benches);
criterion_main!(decode);
