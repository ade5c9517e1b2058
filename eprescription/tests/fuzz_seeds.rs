//! The fuzz seeds of the e-prescription targets (`fuzz/seeds/{image_decode,scanner_text,
//! twoddoc_parse}`) run here through the same calls and checks as the fuzz targets, on every
//! test run and without a nightly toolchain, with the outcome each seed was written for; so do
//! their regressions (`fuzz/regressions/<target>/`, where `scripts/fuzz-campaign` stores every
//! crash it finds), which must no longer crash. The dictionaries and seed directories of every
//! fuzz target of the workspace are checked here too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_eprescription::Error;
use segur_eprescription::decode::{DecodeOptions, decode_image_bytes};
use segur_eprescription::ins_datamatrix::InsDatamatrix;
use segur_eprescription::scanner::{LayoutRepair, ScannerConfig, normalise};
use segur_eprescription::twoddoc::{self, verify::TrustStore};
use std::path::PathBuf;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("seeds").join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "{target}: {} seeds", out.len());
    out
}

/// The regressions of `target` (none until a campaign finds a crash).
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// `fuzz_targets/image_decode.rs`.
fn image_decode(
    bytes: &[u8],
) -> segur_eprescription::Result<Vec<segur_eprescription::decode::DecodedCode>> {
    let options = DecodeOptions {
        max_pixels: 1 << 20,
        ..DecodeOptions::default()
    };
    decode_image_bytes(bytes, &options)
}

/// `fuzz_targets/scanner_text.rs`, layout by layout.
fn scanner_text(
    text: &str,
) -> Vec<segur_eprescription::Result<segur_eprescription::scanner::ScannedText>> {
    [
        LayoutRepair::Auto,
        LayoutRepair::None,
        LayoutRepair::QwertyScannerOnAzertyHost,
        LayoutRepair::AzertyScannerOnQwertyHost,
    ]
    .into_iter()
    .map(|layout| {
        let config = ScannerConfig {
            layout,
            prefixes: vec!["]".into()],
            ..ScannerConfig::default()
        };
        let result = normalise(text, &config);
        if let Ok(out) = &result {
            assert!(out.expose().len() <= 4 * text.len() + 4);
        }
        result
    })
    .collect()
}

/// `fuzz_targets/twoddoc_parse.rs`: whether it read as a 2D-Doc, as an INS Data Matrix.
fn twoddoc_parse(data: &[u8]) -> (bool, bool) {
    let doc = twoddoc::parse(data);
    if let Ok(doc) = &doc {
        assert!(doc.signed_data().len() <= data.len());
        let _ = twoddoc::verify::verify(doc, &TrustStore::new());
    }
    let ins = InsDatamatrix::parse(data);
    if let Ok(ins) = &ins {
        assert_eq!(
            InsDatamatrix::parse(ins.to_payload().as_bytes()).as_ref(),
            Ok(ins)
        );
    }
    (doc.is_ok(), ins.is_ok())
}

/// The crashes stored by `scripts/fuzz-campaign` no longer crash.
#[test]
fn regressions_replay() {
    for (name, bytes) in regressions("image_decode") {
        eprintln!("image_decode/{name}");
        let _ = image_decode(&bytes);
    }
    for (name, bytes) in regressions("scanner_text") {
        eprintln!("scanner_text/{name}");
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = scanner_text(text);
        }
    }
    for (name, bytes) in regressions("twoddoc_parse") {
        eprintln!("twoddoc_parse/{name}");
        let _ = twoddoc_parse(&bytes);
    }
}

/// `fuzz_targets/image_decode.rs`, and what each seed is for.
#[test]
fn image_seeds() {
    for (name, bytes) in seeds("image_decode") {
        let result = image_decode(&bytes);
        match name.as_str() {
            "qr.png" | "qr.jpg" => assert!(matches!(&result, Ok(v) if !v.is_empty()), "{name}"),
            n if n.starts_with("thin-") || n.starts_with("grey-") || n.starts_with("small-") => {
                assert_eq!(result, Ok(Vec::new()), "{name}")
            }
            n if n.starts_with("huge-") => assert!(
                matches!(
                    &result,
                    Err(Error::ImageTooLarge { .. }) | Err(Error::Image(_))
                ),
                "{name}: {result:?}"
            ),
            // Cut inside the JPEG entropy-coded data: the rows read so far (uniform grey,
            // no code), or an error.
            "truncated-in-scan.jpg" | "qr-truncated.jpg" => assert!(
                matches!(&result, Err(Error::Image(_))) || result == Ok(Vec::new()),
                "{name}: {result:?}"
            ),
            n if n.starts_with("truncated-") || n.starts_with("zero-") || n == "empty" => {
                assert!(
                    matches!(
                        &result,
                        Err(Error::Image(_)) | Err(Error::ImageTooLarge { .. })
                    ),
                    "{name}: {result:?}"
                )
            }
            _ => {}
        }
    }
}

/// `fuzz_targets/scanner_text.rs`, and the refusals the seeds were written for.
#[test]
fn scanner_seeds() {
    for (name, bytes) in seeds("scanner_text") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        for result in scanner_text(text) {
            let refused = match name.as_str() {
                "two-scans.txt" | "cr-inside.txt" | "line-separator.txt" => {
                    Some("line break inside the scan")
                }
                "tab-inside.txt" => Some("tab inside the scan"),
                "bidi.txt" => Some("bidirectional control character"),
                "invisible.txt" => Some("invisible format character"),
                "controls.txt" => Some("control character"),
                _ => None,
            };
            match refused {
                Some(reason) => assert!(
                    matches!(&result, Err(Error::ScannerInput { reason: r, .. }) if *r == reason),
                    "{name}: {result:?}"
                ),
                None => assert!(result.is_ok(), "{name}: {result:?}"),
            }
        }
    }
}

/// `fuzz_targets/twoddoc_parse.rs`, and the refusals the seeds were written for.
#[test]
fn twoddoc_seeds() {
    for (name, data) in seeds("twoddoc_parse") {
        let (doc, ins) = twoddoc_parse(&data);
        let whole = matches!(name.as_str(), "dc02.txt" | "dc04.txt" | "binary-v04.bin");
        if name.starts_with("ins") {
            assert_eq!(ins, name == "ins.txt", "{name}");
        } else {
            assert_eq!(doc, whole, "{name}");
        }
    }
}

/// The fuzz targets of the workspace (`fuzz/fuzz_targets/*.rs`).
fn targets() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 20, "{} fuzz targets", out.len());
    out
}

/// Every fuzz target has checked-in seeds, each under 64 KiB (larger ones are generated from
/// `$SEGUR_SHARED` by `fuzz/shared-seeds`), and all seeds together stay under 8 MiB.
#[test]
fn every_target_has_small_seeds() {
    let mut total = 0;
    for target in targets() {
        let dir = fuzz_dir().join("seeds").join(&target);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(files.len() >= 2, "{target}: {} seeds", files.len());
        for f in files {
            let len = std::fs::metadata(&f).unwrap().len();
            assert!(len < 64 << 10, "{}: {len} bytes", f.display());
            total += len;
        }
    }
    assert!(total < 8 << 20, "{total} bytes of seeds");
}

/// Every fuzz target has a dictionary; every dictionary line is a comment, blank, or
/// `name="value"` or `"value"` (the name is optional) with only `\\`, `\"` and `\xNN` escapes
/// (the libFuzzer dictionary format, as AFL's).
#[test]
fn dictionaries_are_well_formed() {
    for target in targets() {
        let path = fuzz_dir().join("dicts").join(format!("{target}.dict"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut entries = 0;
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = if line.starts_with('"') {
                ("", line)
            } else {
                line.split_once('=').expect("name=\"value\"")
            };
            assert!(
                name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{target}:{}",
                i + 1
            );
            let inner = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{target}:{}: value not quoted", i + 1));
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                assert!(
                    c != '"' && c.is_ascii() && !c.is_ascii_control(),
                    "{target}:{}",
                    i + 1
                );
                if c == '\\' {
                    match chars.next() {
                        Some('\\') | Some('"') => {}
                        Some('x') => {
                            let hex: String = chars.by_ref().take(2).collect();
                            assert!(
                                hex.len() == 2 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                                "{target}:{}",
                                i + 1
                            );
                        }
                        other => panic!("{target}:{}: escape {other:?}", i + 1),
                    }
                }
            }
            entries += 1;
        }
        assert!(entries >= 20, "{target}: {entries} entries");
    }
}
