//! Reads one CDA file N times with `read` or `read_header`: the program that BENCHMARKS.md runs
//! under `valgrind --tool=callgrind` (N = 100 minus N = 0 gives instructions per call, a figure
//! the load of a shared machine does not move).
//!
//! `cargo run --release -p segur-dmp-cda --example read_loop -- FILE read|read_header N`
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: read_loop FILE read|read_header N");
    let mode = args.next().expect("mode: read or read_header");
    let count: usize = args
        .next()
        .expect("count")
        .parse()
        .expect("count is a number");
    let bytes = std::fs::read(path).expect("readable file");
    let mut fields = 0usize;
    for _ in 0..count {
        match mode.as_str() {
            "read" => {
                let doc = segur_dmp_cda::read(std::hint::black_box(&bytes)).expect("readable CDA");
                fields += doc.header.title.map_or(0, |t| t.len());
            }
            "read_header" => {
                let h =
                    segur_dmp_cda::read_header(std::hint::black_box(&bytes), &Default::default())
                        .expect("readable CDA header");
                fields += h.title.map_or(0, |t| t.len());
            }
            other => panic!("unknown mode {other}"),
        }
    }
    println!("{fields}");
}
