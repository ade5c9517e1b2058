//! The path mapping of `XdmPackage::unpack` (METADATA.XML URIs to archive entries, subsets,
//! README.TXT, hash fallback), reached through an archive written from the input, so that
//! every case is a valid zip: the input is a list of entries, each `@@@ NAME\n` followed by its
//! content (see `fuzz/README.md`). Never panics; a package it reads holds only paths without
//! traversal, and every document's bytes are exactly those of one entry (nothing lost, mixed or
//! overwritten).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp_cda::xdm::{XdmLimits, XdmPackage};

/// The entries of the input: `(name, content)`, split at each line starting with `@@@ `.
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

/// A stored (uncompressed) zip with the names as given, byte for byte (APPNOTE 6.3.10 §4.3);
/// bit 11 marks names that are UTF-8.
fn zip(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in entries {
        let flags: u16 = if std::str::from_utf8(name).is_ok() { 0x0800 } else { 0 };
        let offset = out.len() as u32;
        let crc = crc32(content);
        let size = content.len() as u32;
        let n = name.len() as u16;
        out.extend_from_slice(b"PK\x03\x04\x14\x00");
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 0x21, 0]); // stored; 1980-01-01 00:00
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
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
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

fuzz_target!(|data: &[u8]| {
    if data.len() > 1 << 20 {
        return;
    }
    let entries = entries(data);
    let limits = XdmLimits {
        max_entries: 64,
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        ..XdmLimits::default()
    };
    let Ok(package) = XdmPackage::unpack(&zip(&entries), &limits) else {
        return;
    };
    let mut used = vec![false; entries.len()];
    for doc in package.documents() {
        assert!(
            !doc.path.starts_with('/') && !doc.path.split(['/', '\\']).any(|c| c == ".."),
            "a path with traversal was accepted"
        );
        // Every document is one entry's content, and no entry is handed out twice.
        let slot = entries
            .iter()
            .zip(used.iter_mut())
            .find(|((_, content), used)| !**used && *content == doc.bytes.as_slice());
        match slot {
            Some((_, used)) => *used = true,
            None => panic!("a document's bytes match no unused entry of the archive"),
        }
    }
});
