//! Files and standard input read under the library's size limits, applied while reading: a
//! 3 GB file given by mistake is refused after the limit, never loaded whole.

use std::io::Read;
use std::path::Path;

/// The most bytes a CDA (or a JSON document input) may have: the CDA reader's own limit
/// (`segur_dmp_cda::xml::XmlLimits::default().max_bytes`).
pub fn cda_limit() -> usize {
    segur_dmp_cda::xml::XmlLimits::default().max_bytes
}

/// The most bytes an IHE_XDM.ZIP may have (`XdmLimits::default().max_archive_bytes`).
pub fn xdm_limit() -> usize {
    segur_dmp_cda::xdm::XdmLimits::default().max_archive_bytes
}

/// Reads `path` (`-`: standard input) up to `limit` bytes; more is an error naming the limit.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    let name = path.display();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(cap).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() > limit {
        return Err(format!("{name}: larger than the {limit}-byte limit"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'x'; 1000]).unwrap();
        assert_eq!(read_limited(&p, 1000).unwrap().len(), 1000);
        let e = read_limited(&p, 999).unwrap_err();
        assert!(e.ends_with("larger than the 999-byte limit"), "{e}");
    }
}
