//! Decoding generated codes from synthetic, degraded A4 pages, against zbarimg on the same
//! files.

mod common;

use common::*;
use segur_eprescription::decode::{DecodeOptions, Symbology, decode_image_bytes};
use segur_eprescription::ins_datamatrix::{InsDatamatrix, Sex};
use segur_eprescription::twoddoc;

fn found(
    codes: &[segur_eprescription::decode::DecodedCode],
    sym: Symbology,
    payload: &str,
) -> bool {
    codes
        .iter()
        .any(|c| c.symbology == sym && c.payload == payload.as_bytes())
}

/// The decode rate must be at least zbar's on the same degraded pages (rate, not time: time is
/// measured by `benches/decode.rs`, see BENCHMARKS.md).
#[test]
fn degraded_qr_pages_decode_at_least_as_well_as_zbar() {
    let dir = tempfile::tempdir().unwrap();
    let cases = qr_corpus(150, 7);
    if let Some(keep) = std::env::var_os("SEGUR_CORPUS_DIR") {
        std::fs::create_dir_all(&keep).unwrap();
        for case in &cases {
            write_case(std::path::Path::new(&keep), case);
        }
    }
    let (mut ours, mut zbar) = (0, 0);
    for case in &cases {
        let (sym, payload) = &case.expected[0];
        let codes = decode_image_bytes(&case.file, &DecodeOptions::default()).unwrap();
        let ok = found(&codes, *sym, payload);
        ours += usize::from(ok);
        let path = write_case(dir.path(), case);
        // The comparison is the point of this test: without zbarimg it fails, never passes alone.
        let lines = zbarimg(&path).unwrap_or_else(|| {
            panic!("zbarimg (zbar-tools) is missing: scripts/install-deps installs it")
        });
        let z_ok = lines.iter().any(|l| l == payload);
        zbar += usize::from(z_ok);
        eprintln!("{:<28} ours {:<5} zbar {}", case.name, ok, z_ok);
    }
    eprintln!("decoded: ours {ours}/{n}, zbar {zbar}/{n}", n = cases.len());
    assert!(ours >= zbar, "ours {ours} < zbar {zbar}");
    assert!(
        ours >= cases.len() - 1,
        "only {ours}/{} decoded",
        cases.len()
    );
}

#[test]
fn several_codes_on_one_page_with_positions() {
    let mut rng = Rng::new(42);
    let mut img = page(150, &mut rng);
    let mut placed = Vec::new();
    let specs = [
        (Symbology::QrCode, 0.0f32, 100u32, 150u32),
        (Symbology::QrCode, 33.0, 800, 200),
        (Symbology::QrCode, 150.0, 150, 1300),
        (Symbology::DataMatrix, 0.0, 700, 900),
        (Symbology::DataMatrix, 20.0, 300, 700),
    ];
    for (i, &(sym, angle, x, y)) in specs.iter().enumerate() {
        let payload = format!("CODE{i}{}", rng.alnum(12));
        let patch = code_patch(sym, &payload, 0.5, 150, angle, 0.0);
        paste(&mut img, &patch, x, y);
        placed.push((sym, payload, x + patch.width() / 2, y + patch.height() / 2));
    }
    noise(&mut img, 20, &mut rng);
    let codes = decode_image_bytes(&png(&img), &DecodeOptions::default()).unwrap();
    for (sym, payload, cx, cy) in &placed {
        let code = codes
            .iter()
            .find(|c| c.symbology == *sym && c.payload == payload.as_bytes())
            .unwrap_or_else(|| panic!("{sym} {payload} not found among {}", codes.len()));
        let c = code.center();
        let d = ((c.x - *cx as f32).powi(2) + (c.y - *cy as f32).powi(2)).sqrt();
        assert!(
            d < 40.0,
            "{sym} reported at ({}, {}), placed at ({cx}, {cy})",
            c.x,
            c.y
        );
    }
    assert_eq!(codes.len(), placed.len());
}

const SIGNED_2DDOC: &str = "DC02FR000001125E125B0126FR247500010MME/SPECIMEN/NATACHA\u{1d}22145 AVENUE DES SPECIMENS\u{1d}\u{1f}54LDD5F7JD4JEFPR6WZYVZVB2JZXPZB73SP7WUTN5N44P3GESXW75JZUZD5FM3G4URAJ6IKDSSUB66Y3OWQIEH22G46QOAGWH7YHJWQ";

#[test]
fn two_d_doc_and_ins_data_matrix_from_a_scanned_page() {
    let ins = InsDatamatrix::new(
        "277010115400329",
        "1.2.250.1.213.1.4.10",
        "SARAH-LOU ANNA",
        "GARCIA-HAMMADI",
        Sex::Female,
        "21-01-1977",
        Some("01154"),
    )
    .unwrap();
    let mut rng = Rng::new(3);
    let mut img = page(300, &mut rng);
    let a = code_patch(Symbology::DataMatrix, SIGNED_2DDOC, 0.4, 300, 7.0, 0.0);
    let b = code_patch(
        Symbology::DataMatrix,
        &ins.to_payload(),
        0.4,
        300,
        -12.0,
        0.05,
    );
    paste(&mut img, &a, 1600, 300);
    paste(&mut img, &b, 300, 2800);
    blur(&mut img, 1);
    noise(&mut img, 25, &mut rng);
    let codes = decode_image_bytes(&jpeg(&img, 50), &DecodeOptions::default()).unwrap();
    assert!(
        found(&codes, Symbology::DataMatrix, SIGNED_2DDOC),
        "2D-Doc not found"
    );
    let read = codes
        .iter()
        .find(|c| c.payload.starts_with(b"IS01"))
        .expect("INS Data Matrix");
    assert_eq!(InsDatamatrix::parse(&read.payload).unwrap(), ins);
    let doc = twoddoc::parse(SIGNED_2DDOC.as_bytes()).unwrap();
    assert_eq!(doc.field("10").unwrap().text(), "MME/SPECIMEN/NATACHA");
}

#[test]
fn rejects_garbage_and_empty_pages() {
    assert!(decode_image_bytes(b"not an image", &DecodeOptions::default()).is_err());
    let mut rng = Rng::new(1);
    let img = page(100, &mut rng);
    assert!(
        decode_image_bytes(&png(&img), &DecodeOptions::default())
            .unwrap()
            .is_empty()
    );
}
