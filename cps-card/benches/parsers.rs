//! Parser and APDU-layer throughput (no card needed).
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use segur_cps_card::apdu::Command;
use segur_cps_card::atr::{self, Atr};
use segur_cps_card::pkcs15;
use segur_cps_card::session::Session;
use segur_cps_card::tlv::{BerReader, Tag, encode};
use segur_cps_card::transport::{MemoryTransport, Protocol};

const CPS3_CL: &[u8] = &[
    0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0, 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80,
    0x82, 0x90, 0x00, 0x0E,
];

fn benches(c: &mut Criterion) {
    c.bench_function("atr_parse_identify_cps3_cl", |b| {
        b.iter(|| {
            let a = Atr::parse(black_box(CPS3_CL)).unwrap();
            let h = a.historical().unwrap();
            (atr::identify(a.as_bytes()), h.supports_chaining())
        })
    });
    // A 16-entry CDF (about 1 KiB).
    let mut cdf = Vec::new();
    for i in 0..16u8 {
        cdf.extend(pkcs15::build::object(
            "Certificat de Signature CPS",
            Some(&[i]),
            &[0x3F, 0x00, 0xC0, i],
        ));
    }
    c.bench_function("pkcs15_cdf_16_entries", |b| {
        b.iter(|| {
            pkcs15::parse_directory(black_box(&cdf), "CDF")
                .unwrap()
                .len()
        })
    });
    let mut big = Vec::new();
    for i in 0..200u32 {
        encode(Tag(0x5F00 | (i % 0x60 + 0x1F)), &[0xAB; 40], &mut big);
    }
    c.bench_function("ber_iterate_200_objects_9k", |b| {
        b.iter(|| {
            BerReader::new(black_box(&big))
                .unwrap()
                .filter_map(Result::ok)
                .count()
        })
    });
    c.bench_function("t0_get_response_2k_in_256_parts", |b| {
        b.iter(|| {
            let mut left = 2048usize;
            let mut first = true;
            let t = MemoryTransport::new(vec![0x3B, 0x00], Protocol::T0, move |_c: &[u8]| {
                if first {
                    first = false;
                    return Ok(vec![0x61, 0x00]);
                }
                let take = left.min(256);
                left -= take;
                let mut out = vec![0xEE; take];
                out.extend(if left == 0 {
                    [0x90, 0x00]
                } else {
                    [0x61, 0x00]
                });
                Ok(out)
            });
            let mut s = Session::new(t);
            s.transmit(&Command::new(0, 0xCA, 0, 0).with_data([1]).with_le(256))
                .unwrap()
                .data()
                .len()
        })
    });
    let msg = vec![0x61u8; 4096];
    c.bench_function("sha256_partial_4k", |b| {
        b.iter(|| segur_cps_card::cps::sha256_partial(black_box(&msg)).1)
    });
}

criterion_group!(g, benches);
criterion_main!(g);
