//! Every seed and every regression of the segur-dmp-cda fuzz targets (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) replayed through the same calls and checks as the target, on
//! each test run and without a nightly toolchain: a crash that `scripts/fuzz-campaign` stores
//! under `fuzz/regressions/` is a failing test here until it is fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_dmp_cda::build::DocumentInput;
use segur_dmp_cda::xdm::{XdmLimits, XdmPackage};
use segur_dmp_cda::xml::XmlLimits;
use segur_dmp_cda::{PackOptions, pack_cda};

use segur_test_support::fuzz_inputs as inputs;

/// `fuzz_targets/cda_build.rs`; whether a document was built.
fn cda_build(data: &[u8]) -> bool {
    if data.len() > 1 << 16 {
        return false;
    }
    let Ok(input) = serde_json::from_slice::<DocumentInput>(data) else {
        return false;
    };
    let Ok(xml) = input.build() else {
        return false;
    };
    let limits = XmlLimits {
        max_bytes: 1 << 22,
        max_depth: 128,
        max_nodes: 1_000_000,
        ..XmlLimits::default()
    };
    if let Err(e) = segur_dmp_cda::read::read_header(xml.as_bytes(), &limits) {
        panic!("a built document does not read back: {e}");
    }
    true
}

/// `fuzz_targets/cda_read.rs`; whether the document read.
fn cda_read(data: &[u8]) -> bool {
    let limits = XmlLimits {
        max_bytes: 1 << 20,
        max_depth: 128,
        max_nodes: 100_000,
        ..XmlLimits::default()
    };
    let read = segur_dmp_cda::read::read_with(data, &limits).is_ok();
    let _ = segur_dmp_cda::read::read_header(data, &limits);
    read
}

/// `fuzz_targets/cda_validate.rs`; whether the document was read and checked.
fn cda_validate(data: &[u8]) -> bool {
    let Ok(findings) = segur_dmp_cda::validate::validate(data) else {
        return false;
    };
    for f in &findings {
        assert!(!f.rule.is_empty() && !f.message.is_empty(), "{f:?}");
    }
    true
}

/// `fuzz_targets/xdm_read.rs`; whether the package unpacked.
fn xdm_read(data: &[u8]) -> bool {
    let limits = XdmLimits {
        max_archive_bytes: 4 << 20,
        max_entries: 64,
        max_entry_bytes: 4 << 20,
        max_total_bytes: 16 << 20,
        ..XdmLimits::default()
    };
    let ok = XdmPackage::unpack(data, &limits).is_ok();
    let _ = segur_dmp_cda::ebrim::read(data, &limits.xml);
    ok
}

/// `fuzz_targets/portability_read.rs`; whether the archive was read.
fn portability_read(data: &[u8]) -> bool {
    use segur_dmp_cda::portability::{self, PortabilityLimits};
    let limits = PortabilityLimits {
        lot: XdmLimits {
            max_archive_bytes: 4 << 20,
            max_entries: 64,
            max_entry_bytes: 4 << 20,
            max_total_bytes: 16 << 20,
            ..XdmLimits::default()
        },
        max_lots: 64,
        max_entries: 256,
        max_file_bytes: 1 << 20,
        max_total_bytes: 16 << 20,
        ..PortabilityLimits::default()
    };
    let Ok(read) = portability::read_bytes(data, &limits) else {
        return false;
    };
    for d in read.lots.iter().flat_map(|l| &l.documents) {
        if let Some(size) = d.entry.size {
            assert_eq!(size, d.bytes.len() as u64, "size not checked");
        }
        if let Some(hash) = &d.entry.hash {
            assert!(
                hash.eq_ignore_ascii_case(&segur_dmp_cda::xds::sha1_hex(&d.bytes)),
                "hash not checked"
            );
        }
    }
    true
}

/// `fuzz_targets/xdm_pack.rs`; whether the CDA was packed.
fn xdm_pack(data: &[u8]) -> bool {
    let opts = PackOptions {
        source_id: "1.2.250.1.999.1".to_owned(),
        sender: segur_dmp_cda::XdmSender {
            organization: "Pharmacie du Centre".to_owned(),
            contact: "01 23 45 67 89".to_owned(),
            ..Default::default()
        },
        ..PackOptions::default()
    };
    let Ok((zip, _submission)) = pack_cda(data, None, &opts) else {
        return false;
    };
    let package = XdmPackage::unpack(&zip, &XdmLimits::default())
        .unwrap_or_else(|e| panic!("a packed CDA does not unpack: {e}"));
    let cdas: Vec<_> = package.cda_documents().collect();
    assert_eq!(cdas.len(), 1, "one CDA packed, {} unpacked", cdas.len());
    assert!(
        cdas.iter().all(|d| d.bytes == data),
        "the CDA's bytes changed"
    );
    true
}

/// `fuzz_targets/xdm_metadata.rs`; whether the metadata read.
fn xdm_metadata(data: &[u8]) -> bool {
    let limits = XmlLimits {
        max_bytes: 1 << 20,
        max_depth: 64,
        max_nodes: 100_000,
        ..XmlLimits::default()
    };
    segur_dmp_cda::ebrim::read(data, &limits).is_ok()
}

/// The entries of an `xdm_paths` input: `(name, content)`, split at each line starting with
/// `@@@ ` (as `fuzz_targets/xdm_paths.rs` does).
fn entries(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut rest = data.strip_prefix(b"@@@ ").unwrap_or(data);
    loop {
        let end = rest.windows(5).position(|w| w == b"\n@@@ ");
        let (chunk, next) = match end {
            Some(i) => (&rest[..i], Some(&rest[i + 5..])),
            None => (rest, None),
        };
        let (name, content) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], &chunk[i + 1..]),
            None => (chunk, &[][..]),
        };
        out.push((name, content));
        match next {
            Some(n) if out.len() < 64 => rest = n,
            _ => return out,
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A stored zip with the names as given (as `fuzz_targets/xdm_paths.rs` writes it).
fn zip(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in entries {
        let flags: u16 = if std::str::from_utf8(name).is_ok() {
            0x0800
        } else {
            0
        };
        let offset = out.len() as u32;
        let crc = crc32(content);
        let size = content.len() as u32;
        let n = name.len() as u16;
        out.extend_from_slice(b"PK\x03\x04\x14\x00");
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 0x21, 0]);
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name);
        out.extend_from_slice(content);
        central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
        central.extend_from_slice(&flags.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0, 0x21, 0]);
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&n.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let count = entries.len() as u16;
    let (cd_offset, cd_size) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// `fuzz_targets/xdm_paths.rs`; the unpacking result.
fn xdm_paths(data: &[u8]) -> Result<XdmPackage, String> {
    if data.len() > 1 << 20 {
        return Err("input over 1 MiB".into());
    }
    let entries = entries(data);
    let limits = XdmLimits {
        max_entries: 64,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        ..XdmLimits::default()
    };
    let package = XdmPackage::unpack(&zip(&entries), &limits).map_err(|e| e.to_string())?;
    let mut used = vec![false; entries.len()];
    for doc in package.documents() {
        assert!(
            !doc.path.starts_with('/') && !doc.path.split(['/', '\\']).any(|c| c == ".."),
            "a path with traversal was accepted"
        );
        let slot = entries
            .iter()
            .zip(used.iter_mut())
            .find(|((_, content), used)| !**used && *content == doc.bytes.as_slice());
        match slot {
            Some((_, used)) => *used = true,
            None => panic!("a document's bytes match no unused entry of the archive"),
        }
    }
    Ok(package)
}

#[test]
fn cda_build_inputs() {
    let mut built = 0;
    for (name, data) in inputs("cda_build", 3) {
        eprintln!("{name}");
        built += usize::from(cda_build(&data));
    }
    assert!(built >= 3, "{built} documents built");
}

#[test]
fn cda_read_inputs() {
    let mut read = 0;
    for (name, data) in inputs("cda_read", 3) {
        eprintln!("{name}");
        read += usize::from(cda_read(&data));
    }
    assert!(read >= 3, "{read} documents read");
}

#[test]
fn cda_validate_inputs() {
    let mut checked = 0;
    for (name, data) in inputs("cda_validate", 5) {
        eprintln!("{name}");
        checked += usize::from(cda_validate(&data));
    }
    assert!(checked >= 3, "{checked} documents checked");
}

#[test]
fn xdm_read_inputs() {
    let mut read = 0;
    for (name, data) in inputs("xdm_read", 2) {
        eprintln!("{name}");
        read += usize::from(xdm_read(&data));
    }
    assert!(read >= 2, "{read} packages read");
}

#[test]
fn portability_read_inputs() {
    let mut read = 0;
    for (name, data) in inputs("portability_read", 3) {
        let ok = portability_read(&data);
        eprintln!("{name}: {ok}");
        read += usize::from(ok);
        // The seeds written for a refusal are refused.
        if name.contains("refused") {
            assert!(!ok, "{name}");
        }
    }
    assert!(read >= 2, "{read} archives read");
}

#[test]
fn xdm_pack_inputs() {
    let mut packed = 0;
    for (name, data) in inputs("xdm_pack", 5) {
        eprintln!("{name}");
        packed += usize::from(xdm_pack(&data));
    }
    assert!(packed >= 2, "{packed} CDAs packed");
}

#[test]
fn xdm_metadata_inputs() {
    let mut read = 0;
    for (name, data) in inputs("xdm_metadata", 3) {
        eprintln!("{name}");
        read += usize::from(xdm_metadata(&data));
    }
    assert!(read >= 2, "{read} metadata read");
}

#[test]
fn xdm_paths_inputs() {
    let mut read = 0;
    for (name, data) in inputs("xdm_paths", 5) {
        let result = xdm_paths(&data);
        eprintln!(
            "{name}: {}",
            result.as_ref().map_or_else(|e| e.clone(), |_| "ok".into())
        );
        read += usize::from(result.is_ok());
        // The seeds written for a refusal are refused.
        if name.contains("traversal") || name.contains("absolute") {
            assert!(result.is_err(), "{name}");
        }
    }
    assert!(read >= 2, "{read} packages read");
}
