//! The fuzz seeds of the e-prescription targets (`fuzz/seeds/{image_decode,scanner_text,
//! twoddoc_parse}`) run here through the same calls and checks as the fuzz targets, on every
//! test run and without a nightly toolchain, with the outcome each seed was written for. A
//! crash found by fuzzing is added there as a seed, and so becomes a regression test here.

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

/// `fuzz_targets/image_decode.rs`, and what each seed is for.
#[test]
fn image_seeds() {
    let options = DecodeOptions {
        max_pixels: 1 << 20,
        ..DecodeOptions::default()
    };
    for (name, bytes) in seeds("image_decode") {
        let result = decode_image_bytes(&bytes, &options);
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
        for layout in [
            LayoutRepair::Auto,
            LayoutRepair::None,
            LayoutRepair::QwertyScannerOnAzertyHost,
            LayoutRepair::AzertyScannerOnQwertyHost,
        ] {
            let config = ScannerConfig {
                layout,
                prefixes: vec!["]".into()],
                ..ScannerConfig::default()
            };
            let result = normalise(text, &config);
            if let Ok(out) = &result {
                assert!(out.expose().len() <= 4 * text.len() + 4, "{name}");
            }
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
        let doc = twoddoc::parse(&data);
        if let Ok(doc) = &doc {
            assert!(doc.signed_data().len() <= data.len());
            let _ = twoddoc::verify::verify(doc, &TrustStore::new());
        }
        let ins = InsDatamatrix::parse(&data);
        if let Ok(ins) = &ins {
            assert_eq!(
                InsDatamatrix::parse(ins.to_payload().as_bytes()).as_ref(),
                Ok(ins)
            );
        }
        let whole = matches!(name.as_str(), "dc02.txt" | "dc04.txt" | "binary-v04.bin");
        if name.starts_with("ins") {
            assert_eq!(ins.is_ok(), name == "ins.txt", "{name}: {ins:?}");
        } else {
            assert_eq!(doc.is_ok(), whole, "{name}: {doc:?}");
        }
    }
}

/// Every dictionary line is a comment, blank, or `name="value"` with only `\\`, `\"` and
/// `\xNN` escapes (the libFuzzer dictionary format, as AFL's).
#[test]
fn dictionaries_are_well_formed() {
    for target in ["image_decode", "scanner_text", "twoddoc_parse"] {
        let path = fuzz_dir().join("dicts").join(format!("{target}.dict"));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut entries = 0;
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once('=').expect("name=\"value\"");
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
