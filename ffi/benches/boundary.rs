//! Cost of the C boundary: each INS operation through its `segur_*` entry point (panic guard,
//! NULL and UTF-8 checks, output string allocation and free) against the same Rust call.
#![allow(clippy::unwrap_used, missing_docs)] // bench setup; criterion_group! makes undocumented items

use criterion::{Criterion, criterion_group, criterion_main};
use segur::ins::{
    segur_ins_matricule_check, segur_ins_matricule_check_into, segur_ins_traits_normalize,
};
use segur::segur_string_free;
use std::hint::black_box;
use std::ptr;

const NIR: &str = "1 80 03 2B 020 401";
const TRAITS: &str = r#"{"birth_name":"d'Artagnan","given_names":["Pierre-Alain","Muriel"],"sex":"M","birth_date":"1980-03-01","birth_place":"2B020"}"#;

fn matricule(c: &mut Criterion) {
    let mut g = c.benchmark_group("matricule_check");
    g.bench_function("rust", |b| {
        b.iter(|| {
            let m = segur_ins::Matricule::parse(black_box(NIR)).unwrap();
            black_box(m.expose().to_owned())
        })
    });
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut out = ptr::null_mut();
            let r = segur_ins_matricule_check(black_box(NIR).as_ptr().cast(), NIR.len(), &mut out);
            black_box(r);
            segur_string_free(out);
        })
    });
    g.bench_function("c_abi_into_buffer", |b| {
        let mut buf = [0 as std::ffi::c_char; 15];
        let mut n = 0usize;
        b.iter(|| {
            let r = segur_ins_matricule_check_into(
                black_box(NIR).as_ptr().cast(),
                NIR.len(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            );
            black_box((r, buf[0]))
        })
    });
    g.finish();
}

fn traits(c: &mut Criterion) {
    let mut g = c.benchmark_group("traits_normalize_json");
    g.bench_function("rust", |b| {
        b.iter(|| {
            let d: segur_ins::TraitsData = serde_json::from_str(black_box(TRAITS)).unwrap();
            let t = segur_ins::Traits::from_data(&d).unwrap();
            black_box(serde_json::to_string(&t).unwrap())
        })
    });
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut out = ptr::null_mut();
            let r = segur_ins_traits_normalize(
                black_box(TRAITS).as_ptr().cast(),
                TRAITS.len(),
                &mut out,
            );
            black_box(r);
            segur_string_free(out);
        })
    });
    g.finish();
}

criterion_group!(benches, matricule, traits);
criterion_main!(benches);
