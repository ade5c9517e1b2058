//! Reads one XML file N times with the hardened reader (`tree`: `parse_tree`, `check`:
//! `XmlReader::check`): the program BENCHMARKS.md runs under `valgrind --tool=callgrind`
//! (N = 100 minus N = 0 gives instructions per read, a figure the load of a shared machine does
//! not move).
//!
//! `cargo run --release -p segur-net --example xml_read_loop -- FILE tree|check N`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_net::xml::{XmlLimits, XmlReader, parse_tree};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: xml_read_loop FILE tree|check N");
    let mode = args.next().expect("mode: tree or check");
    let count: usize = args
        .next()
        .expect("count")
        .parse()
        .expect("count is a number");
    let bytes = std::fs::read(path).expect("readable file");
    let mut elements = 0usize;
    for _ in 0..count {
        let input = std::hint::black_box(&bytes);
        match mode.as_str() {
            "tree" => {
                let root = parse_tree(input, XmlLimits::default()).expect("readable XML");
                elements += root.children.len();
            }
            "check" => {
                XmlReader::new(input, XmlLimits::default())
                    .and_then(XmlReader::check)
                    .expect("readable XML");
                elements += 1;
            }
            other => panic!("unknown mode {other}"),
        }
    }
    println!("{elements}");
}
