//! Matricule validation and name normalisation speed.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use segur_ins::Matricule;
use segur_ins::normalize::{NameKind, normalize};
use std::hint::black_box;

fn matricule(c: &mut Criterion) {
    let mut g = c.benchmark_group("matricule");
    g.throughput(Throughput::Elements(1));
    g.bench_function("validate_15_compact", |b| {
        b.iter(|| Matricule::parse(black_box("180032B02040123")).unwrap())
    });
    g.bench_function("validate_15_grouped", |b| {
        b.iter(|| Matricule::parse(black_box("1 80 03 2B 020 401 23")).unwrap())
    });
    g.bench_function("compute_key_13", |b| {
        b.iter(|| Matricule::compute_key(black_box("1800320204012")).unwrap())
    });
    g.bench_function("reject_wrong_key", |b| {
        b.iter(|| Matricule::parse(black_box("187127644708044")).unwrap_err())
    });
    g.finish();
}

fn names(c: &mut Criterion) {
    let mut g = c.benchmark_group("normalize");
    g.bench_function("ascii_birth_name", |b| {
        b.iter(|| normalize(black_box("D'ARTAGNAN DE L'HERAULT"), NameKind::BirthName).unwrap())
    });
    g.bench_function("accented_given_name", |b| {
        b.iter(|| normalize(black_box("Hélène-Françoise Cœur"), NameKind::GivenName).unwrap())
    });
    g.finish();
}

criterion_group!(benches, matricule, names);
criterion_main!(benches);
