//! The portability export: round trip byte for byte, every lot an IHE_XDM the XDM reader and
//! `unzip -t` accept, MANIFEST.XML valid against the shipped XSD (`xmllint`), memory bounded
//! while exporting, hostile imports refused.
// A counting global allocator needs `unsafe impl GlobalAlloc`; it only forwards to `System`.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use segur_dmp_cda::portability::{
    self, Contact, DocumentOrigin, EditeurSortant, ExportInfo, ExportType, LotDocument, LotPatient,
    PatientLot, PortabilityError, PortabilityLimits,
};
use segur_dmp_cda::xdm::{XdmError, XdmLimits, XdmPackage};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, XdsPatientId};
use segur_ins::IdentityStatus;
use zip::write::SimpleFileOptions;

/// Live heap bytes and their peak, for the memory-bound test.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The tests of this binary run one at a time, so that the peak heap one measures is its own.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("SEGUR_SHARED=../shared"))
}

fn vac_note_sample() -> Vec<u8> {
    std::fs::read(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap()
}

/// An INS test matricule (OID .10) with its key.
fn ins(n: u64) -> XdsPatientId {
    let body = 1_850_615_458_001 + n;
    let key = 97 - body % 97;
    XdsPatientId::new("1.2.250.1.213.1.4.10", &format!("{body}{key:02}"))
}

fn info() -> ExportInfo {
    let mut i = ExportInfo::new(
        ExportType::Massif,
        EditeurSortant {
            denomination_eg: "Éditeur <LGO> & Cie".into(),
            num_siret: "73282932000074".into(),
            contact: Contact {
                nom: "Service portabilité".into(),
                email: "portabilite@example.org".into(),
                telephone: "+33100000000".into(),
            },
        },
        "segur-lgo 1.0",
        "1.2.250.1.999.1",
    );
    i.export_id = uuid::Uuid::parse_str("75249e6c-9779-4e57-bade-9978c2313ce9").unwrap();
    i.extract_time = "20261206201414".into();
    i.requester = "Pharmacie des Tests".into();
    i.perimeter = "documents Ségur de l'officine".into();
    i
}

/// Patient `p` with `docs` documents built on the fly: the N1 sample with a comment making
/// each one distinct (and `pad` more bytes).
fn lot(template: &[u8], entry: &DocumentEntry, p: u64, docs: usize, pad: usize) -> PatientLot {
    let status = match p % 4 {
        0 => IdentityStatus::Qualifiee,
        1 => IdentityStatus::Provisoire,
        2 => IdentityStatus::Recuperee,
        _ => IdentityStatus::Validee,
    };
    let documents = (0..docs)
        .map(|d| {
            let mut bytes = template.to_vec();
            bytes.extend_from_slice(format!("<!-- patient {p} document {d} -->\n").as_bytes());
            // Incompressible padding (small XML documents are deflated in a lot).
            let mut x = 0x9e37_79b9_7f4a_7c15 ^ (p << 20 | d as u64);
            bytes.extend_from_slice(b"<!-- ");
            bytes.extend((0..pad).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(x % 64) as usize]
            }));
            bytes.extend_from_slice(b" -->\n");
            let mut e = entry.clone();
            e.entry_uuid = format!("urn:uuid:00000000-0000-4000-8000-{:06}{:06}", p, d);
            e.title = Some(format!("Document <{d}> & \"{p}\""));
            e.hash = None;
            e.size = None;
            LotDocument {
                bytes,
                entry: e,
                origin: [
                    DocumentOrigin::Produced,
                    DocumentOrigin::ReceivedMssante,
                    DocumentOrigin::RetrievedDmp,
                ][d % 3],
            }
        })
        .collect();
    PatientLot {
        patient: LotPatient {
            local_id: XdsPatientId::new("1.2.250.1.999.1.2", &format!("IPP{p}")),
            ins: matches!(
                status,
                IdentityStatus::Qualifiee | IdentityStatus::Recuperee
            )
            .then(|| ins(p)),
            status,
        },
        documents,
    }
}

fn template() -> (Vec<u8>, DocumentEntry) {
    let cda = vac_note_sample();
    let header = segur_dmp_cda::read_header(&cda, &Default::default()).unwrap();
    let entry = DocumentEntry::derive(&header, &cda, None, &DeriveOptions::default()).unwrap();
    (cda, entry)
}

fn write_export(dir: &Path, name: &str, lots: &[PatientLot]) -> Vec<u8> {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    portability::export(
        std::io::BufWriter::new(file),
        info(),
        lots.iter().cloned().map(Ok::<_, std::io::Error>),
    )
    .unwrap();
    std::fs::read(&path).unwrap()
}

fn tool(name: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is required (scripts/install-deps installs it): {e}"))
}

fn entry_of(zip_bytes: &[u8], name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut out = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn round_trip_is_byte_for_byte_and_every_lot_is_an_xdm() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (cda, entry) = template();
    let lots: Vec<PatientLot> = (0..12)
        .map(|p| lot(&cda, &entry, p, 1 + p as usize % 3, 0))
        .collect();
    let first = write_export(dir.path(), "first.zip", &lots);

    let read = portability::read_bytes(&first, &PortabilityLimits::default()).unwrap();
    assert_eq!(read.lots.len(), 12);
    assert!(read.unplaced.is_empty(), "{:?}", read.unplaced);
    let manifest = read.manifest.as_ref().unwrap();
    assert_eq!(manifest.patient_archive_count(), 12);
    for (l, original) in read.lots.iter().zip(&lots) {
        assert_eq!(l.documents.len(), original.documents.len());
        for (d, o) in l.documents.iter().zip(&original.documents) {
            assert_eq!(d.bytes, o.bytes, "document bytes");
            assert_eq!(d.origin, o.origin);
        }
        // patientId: the INS only for a qualified identity.
        let pid = l.patient_id.as_ref().unwrap();
        assert_eq!(
            pid.is_ins(),
            original.patient.status == IdentityStatus::Qualifiee
        );
        assert_eq!(l.patient.as_ref().unwrap().status, original.patient.status);
    }
    // Lot by lot: the same lots, handed over one at a time.
    let mut each = Vec::new();
    let report = portability::read_each(
        std::fs::File::open(dir.path().join("first.zip")).unwrap(),
        &PortabilityLimits::default(),
        |lot| {
            each.push(lot);
            Ok(())
        },
    )
    .unwrap();
    assert!(each == read.lots && report.manifest == read.manifest);
    let again: Vec<PatientLot> = read
        .lots
        .iter()
        .map(|l| l.to_patient_lot().unwrap())
        .collect();
    let second = write_export(dir.path(), "second.zip", &again);
    if first != second {
        std::fs::write("/tmp/port-first.zip", &first).unwrap();
        std::fs::write("/tmp/port-second.zip", &second).unwrap();
    }
    assert!(first == second, "the second export differs from the first");

    // unzip -t on the export and on each lot; each lot through the XDM reader alone.
    let t = tool(
        "unzip",
        &["-tq", dir.path().join("first.zip").to_str().unwrap()],
    );
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stdout));
    for a in &manifest.archives {
        let lot_bytes = entry_of(&first, &format!("{}.ZIP", a.archive_id));
        let p = dir.path().join(format!("{}.ZIP", a.archive_id));
        std::fs::write(&p, &lot_bytes).unwrap();
        let t = tool("unzip", &["-tq", p.to_str().unwrap()]);
        assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stdout));
        let pkg = XdmPackage::unpack(
            &lot_bytes,
            &XdmLimits {
                require_hash_and_size: true,
                ..XdmLimits::default()
            },
        )
        .unwrap();
        assert!(pkg.documents().all(|d| d.integrity.complete()));
    }

    // MANIFEST.XML against the XSD the export ships, by xmllint.
    let xsd = dir.path().join("MANIFEST.XSD");
    std::fs::write(&xsd, entry_of(&first, "DOCUMENT/MANIFEST.XSD")).unwrap();
    let m = dir.path().join("MANIFEST.XML");
    std::fs::write(&m, entry_of(&first, "MANIFEST.XML")).unwrap();
    let v = tool(
        "xmllint",
        &[
            "--noout",
            "--schema",
            xsd.to_str().unwrap(),
            m.to_str().unwrap(),
        ],
    );
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));

    // README and INDEX: escaped, with what they must say.
    let index = String::from_utf8(entry_of(&first, "INDEX.HTM")).unwrap();
    assert!(index.contains("Éditeur &lt;LGO&gt; &amp; Cie"));
    assert!(index.contains("Document &lt;0&gt; &amp; &quot;0&quot;"));
    assert!(!index.contains("<LGO>"));
    let readme = String::from_utf8(entry_of(&first, "README.TXT")).unwrap();
    for s in [
        "Pharmacie des Tests",
        "documents Ségur",
        "2026-12-06T20:14:14Z",
        "segur-lgo 1.0",
        "73282932000074",
    ] {
        assert!(readme.contains(s), "README.TXT lacks {s}");
    }

    // A different export id gives a different file (the id is what differs).
    let mut other = info();
    other.export_id = uuid::Uuid::new_v4();
    let (out, _) = portability::export(
        Cursor::new(Vec::new()),
        other,
        lots.iter().cloned().map(Ok::<_, std::io::Error>),
    )
    .unwrap();
    assert_ne!(out.into_inner(), first);
}

#[test]
fn memory_is_bounded_by_one_lot_not_by_the_export() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (cda, entry) = template();
    // 40 lots of 2 documents of about 100 KiB, generated as the export asks for them: about
    // 8 MiB written.
    let pad = 76 << 10;
    let lot_bytes = 2 * (cda.len() + pad + 64);
    let lots = (0..40u64).map(|p| Ok::<_, std::io::Error>(lot(&cda, &entry, p, 2, pad)));
    let file = std::fs::File::create(dir.path().join("big.zip")).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let (file, manifest) =
        portability::export(std::io::BufWriter::new(file), info(), lots).unwrap();
    drop(file);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let written = std::fs::metadata(dir.path().join("big.zip")).unwrap().len();
    eprintln!("export of {written} bytes: peak heap {peak} bytes, lots of {lot_bytes} bytes");
    assert_eq!(manifest.archives.len(), 40);
    // Small XML documents are deflated in their lot (base64-like padding: 6 bits a byte).
    assert!(written as usize > 40 * lot_bytes * 2 / 3, "{written}");
    // One lot's documents, its zip and the writers' buffers: bounded by a few lots, not by the
    // 40 written.
    assert!(
        peak < 3 * lot_bytes + (1 << 20),
        "peak heap {peak} bytes for lots of {lot_bytes} bytes, {written} written"
    );
}

/// Rebuilds `export` with `edit` applied to each entry `(name, bytes)`.
fn rewrite(export: &[u8], edit: impl Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)>) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(Cursor::new(export)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if let Some((name, bytes)) = edit(&name, bytes) {
            w.start_file(
                name,
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
            )
            .unwrap();
            w.write_all(&bytes).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn small_export() -> Vec<u8> {
    let (cda, entry) = template();
    let lots: Vec<PatientLot> = (0..3).map(|p| lot(&cda, &entry, p, 1, 0)).collect();
    let (out, _) = portability::export(
        Cursor::new(Vec::new()),
        info(),
        lots.into_iter().map(Ok::<_, std::io::Error>),
    )
    .unwrap();
    out.into_inner()
}

fn refused(bytes: &[u8]) -> PortabilityError {
    portability::read_bytes(bytes, &PortabilityLimits::default()).expect_err("accepted")
}

fn replace_in_manifest(export: &[u8], from: &str, to: &str) -> Vec<u8> {
    rewrite(export, |n, b| {
        if n == "MANIFEST.XML" {
            let s = String::from_utf8(b).unwrap();
            assert!(s.contains(from), "{from}");
            Some((n.to_owned(), s.replacen(from, to, 1).into_bytes()))
        } else {
            Some((n.to_owned(), b))
        }
    })
}

#[test]
fn hostile_exports_are_refused_whole() {
    let _serial = serial();
    let good = small_export();
    let read = portability::read_bytes(&good, &PortabilityLimits::default()).unwrap();
    let m = read.manifest.unwrap();
    let hash = &m.archives[1].sha256;

    // A wrong hash.
    let mut wrong = hash.clone();
    wrong.replace_range(0..1, if hash.starts_with('0') { "1" } else { "0" });
    let e = refused(&replace_in_manifest(&good, hash, &wrong));
    assert!(
        matches!(&e, PortabilityError::LotHashMismatch { archive } if archive == "PAT00002"),
        "{e}"
    );

    // Lot by lot, nothing is placed before the whole archive is checked (PAT00001 is fine).
    let mut placed = 0;
    let e = portability::read_each(
        Cursor::new(replace_in_manifest(&good, hash, &wrong)),
        &PortabilityLimits::default(),
        |_| {
            placed += 1;
            Ok(())
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, PortabilityError::LotHashMismatch { .. }) && placed == 0,
        "{e}"
    );

    // A wrong size.
    let size = format!("<size>{}</size>", m.archives[0].size);
    let e = refused(&replace_in_manifest(
        &good,
        &size,
        &format!("<size>{}</size>", m.archives[0].size + 1),
    ));
    assert!(matches!(e, PortabilityError::LotSizeMismatch { .. }), "{e}");

    // A duplicate archive id.
    let e = refused(&replace_in_manifest(
        &good,
        "<archiveid>PAT00002</archiveid>",
        "<archiveid>PAT00001</archiveid>",
    ));
    assert!(
        matches!(e, PortabilityError::DuplicateArchiveId { .. }),
        "{e}"
    );

    // The draft's malformed <archiveid>PAT00002<archiveid>.
    let e = refused(&replace_in_manifest(
        &good,
        "<archiveid>PAT00002</archiveid>",
        "<archiveid>PAT00002<archiveid>",
    ));
    assert!(matches!(e, PortabilityError::ManifestXml(_)), "{e}");

    // A wrong count, a bad export type, a DTD.
    let e = refused(&replace_in_manifest(
        &good,
        "<PatientArchiveCount>3<",
        "<PatientArchiveCount>4<",
    ));
    assert!(matches!(e, PortabilityError::ArchiveCount { .. }), "{e}");
    let e = refused(&replace_in_manifest(&good, "MASSIF", "TOTAL"));
    assert!(
        matches!(&e, PortabilityError::Manifest { field, .. } if field == "exportType"),
        "{e}"
    );
    let e = refused(&replace_in_manifest(
        &good,
        "<Manifest>",
        "<!DOCTYPE Manifest [<!ENTITY x \"y\">]><Manifest>",
    ));
    assert!(matches!(e, PortabilityError::ManifestXml(_)), "{e}");

    // A lot missing, a lot not listed.
    let e = refused(&rewrite(&good, |n, b| {
        (n != "PAT00003.ZIP").then(|| (n.to_owned(), b))
    }));
    assert!(matches!(e, PortabilityError::LotMissing { .. }), "{e}");
    let e = refused(&rewrite(&good, |n, b| {
        Some((
            if n == "PAT00003.ZIP" {
                "PAT00009.ZIP".into()
            } else {
                n.to_owned()
            },
            b,
        ))
    }));
    assert!(
        matches!(e, PortabilityError::LotNotInManifest { .. }),
        "{e}"
    );

    // A traversal in the export, and inside a lot (its hash updated so only the lot is wrong).
    let e = refused(&rewrite(&good, |n, b| {
        Some((
            if n == "README.TXT" {
                "../README.TXT".into()
            } else {
                n.to_owned()
            },
            b,
        ))
    }));
    assert!(
        matches!(e, PortabilityError::Archive(XdmError::PathTraversal { .. })),
        "{e}"
    );
    let lot = entry_of(&good, "PAT00001.ZIP");
    let evil_lot = rewrite(&lot, |n, b| {
        Some((
            if n.ends_with("DOC0001.XML") {
                format!("../{n}")
            } else {
                n.to_owned()
            },
            b,
        ))
    });
    let e = refused(&with_lot(&good, &m, "PAT00001", &evil_lot));
    assert!(
        matches!(&e, PortabilityError::Lot { archive, source: XdmError::PathTraversal { .. } } if archive == "PAT00001"),
        "{e}"
    );

    // Not an export at all.
    let e = refused(&rewrite(&good, |n, b| {
        n.starts_with("DOCUMENT/").then(|| (n.to_owned(), b))
    }));
    assert!(matches!(e, PortabilityError::NotAnExport), "{e}");

    // Cut just after the first lot's own end record, or bytes before the first entry: the zip
    // reader would take what it finds for a plain IHE_XDM.ZIP (the first lot alone).
    let first_end = good.windows(4).position(|w| w == b"PK\x05\x06").unwrap();
    for bad in [
        good[..first_end + 22].to_vec(),
        [b"junk".as_slice(), &good].concat(),
    ] {
        let e = refused(&bad);
        assert!(
            matches!(&e, PortabilityError::Archive(XdmError::Zip(m)) if m.contains("before the first entry")),
            "{e}"
        );
    }
}

/// `export` with lot `id` replaced by `lot`, the manifest's size and hash updated to match.
fn with_lot(export: &[u8], m: &portability::Manifest, id: &str, lot: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let a = m.archives.iter().find(|a| a.archive_id == id).unwrap();
    let hash: String = sha2::Sha256::digest(lot)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = String::from_utf8(entry_of(export, "MANIFEST.XML"))
        .unwrap()
        .replace(&a.sha256, &hash)
        .replace(
            &format!("<size>{}</size>", a.size),
            &format!("<size>{}</size>", lot.len()),
        );
    rewrite(export, |n, b| {
        Some((
            n.to_owned(),
            if n == "MANIFEST.XML" {
                manifest.clone().into_bytes()
            } else if n == format!("{id}.ZIP") {
                lot.to_vec()
            } else {
                b
            },
        ))
    })
}

#[test]
fn xdm_read_inputs_get_the_xdm_readers_verdict_plain_and_as_a_lot() {
    let _serial = serial();
    let good = small_export();
    let m = portability::read_bytes(&good, &PortabilityLimits::default())
        .unwrap()
        .manifest
        .unwrap();
    let limits = PortabilityLimits::default();
    for (name, bytes) in segur_test_support::fuzz_inputs("xdm_read", 1) {
        let xdm = XdmPackage::unpack(&bytes, &limits.lot);
        // Plain: accepted exactly when the XDM reader accepts it (or refused as not an XDM).
        let plain = portability::read_bytes(&bytes, &limits);
        match xdm {
            Err(_) => assert!(plain.is_err(), "{name}: accepted plain"),
            Ok(xdm) => {
                let plain = plain.unwrap();
                assert!(plain.manifest.is_none());
                let docs: usize = plain.lots.iter().map(|l| l.documents.len()).sum::<usize>()
                    + plain.unplaced.len();
                assert_eq!(docs, xdm.documents().count(), "{name}");
            }
        }
        // As lot PAT00001 with a matching hash: refused when the XDM reader refuses it.
        let as_lot = portability::read_bytes(&with_lot(&good, &m, "PAT00001", &bytes), &limits);
        if XdmPackage::unpack(&bytes, &limits.lot).is_err() {
            assert!(
                matches!(as_lot, Err(PortabilityError::Lot { .. })),
                "{name}: {as_lot:?}"
            );
        }
    }
}

#[test]
fn exporting_refuses_what_it_cannot_write_faithfully() {
    let _serial = serial();
    let (cda, entry) = template();
    let mut l = lot(&cda, &entry, 0, 1, 0);
    // A stored hash that no longer matches the bytes.
    l.documents[0].entry.hash = Some("0".repeat(40));
    let e = portability::export(
        Cursor::new(Vec::new()),
        info(),
        [Ok::<_, std::io::Error>(l)],
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            PortabilityError::StoredDocumentAltered {
                lot: 1,
                document: 1,
                what: "hash"
            }
        ),
        "{e}"
    );
    // A qualified identity without INS, or with a wrong key.
    let mut l = lot(&cda, &entry, 0, 1, 0);
    l.patient.ins = None;
    let e = portability::export(
        Cursor::new(Vec::new()),
        info(),
        [Ok::<_, std::io::Error>(l)],
    )
    .unwrap_err();
    assert!(matches!(e, PortabilityError::Patient { lot: 1, .. }), "{e}");
    let mut l = lot(&cda, &entry, 0, 1, 0);
    l.patient.ins = Some(XdsPatientId::new("1.2.250.1.213.1.4.10", "185061545800100"));
    let e = portability::export(
        Cursor::new(Vec::new()),
        info(),
        [Ok::<_, std::io::Error>(l)],
    )
    .unwrap_err();
    assert!(matches!(e, PortabilityError::Patient { .. }), "{e}");
    // A CIBLE export without period, a README field with a line break.
    let mut i = info();
    i.export_type = ExportType::Cible;
    assert!(matches!(
        portability::export(
            Cursor::new(Vec::new()),
            i,
            std::iter::empty::<Result<PatientLot, std::io::Error>>()
        ),
        Err(PortabilityError::Info {
            field: "period",
            ..
        })
    ));
    let mut i = info();
    i.requester = "x\r\nPerimeter: forged".into();
    assert!(matches!(
        portability::export(
            Cursor::new(Vec::new()),
            i,
            std::iter::empty::<Result<PatientLot, std::io::Error>>()
        ),
        Err(PortabilityError::Info {
            field: "requester",
            ..
        })
    ));
    // Patient data stays out of Debug.
    let l = lot(&cda, &entry, 0, 1, 0);
    let dbg = format!("{l:?}");
    assert!(
        !dbg.contains("IPP0") && !dbg.contains("18506154580"),
        "{dbg}"
    );
}

/// Every stored lot brings its own end-of-central-directory signature: an export of many lots
/// reads with the default limits when it ends with its own end record (the zip reader takes
/// that one first), and the same bytes with one byte appended are counted as any archive is,
/// and refused.
#[test]
fn an_export_of_many_lots_reads_and_a_damaged_ending_is_still_counted() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (cda, entry) = template();
    let lots: Vec<PatientLot> = (0..40).map(|p| lot(&cda, &entry, p, 1, 0)).collect();
    let export = write_export(dir.path(), "many.zip", &lots);
    let limits = PortabilityLimits::default();
    assert!(limits.max_end_records < 40);
    let read = portability::read_bytes(&export, &limits).unwrap();
    assert_eq!(read.lots.len(), 40);

    let mut damaged = export.clone();
    damaged.push(0);
    match portability::read_bytes(&damaged, &limits) {
        Err(portability::PortabilityError::Archive(XdmError::TooManyEndRecords {
            count,
            limit,
        })) => assert!(count > limit && limit == 16, "{count} / {limit}"),
        other => panic!("expected too many end records, got {other:?}"),
    }
}

/// Pseudo-random bytes produced on demand: a document of any size that is never in memory.
struct Generated {
    left: u64,
    x: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for b in &mut buf[..n] {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 7;
            self.x ^= self.x << 17;
            *b = self.x as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A lot streamed document by document (`start_lot`): a 12 MiB document goes through a
/// temporary file with a heap that does not grow with it; a document shorter than announced
/// abandons its lot, which leaves nothing (no entry, no number used, no file in the temporary
/// directory).
#[test]
fn a_streamed_lot_keeps_memory_constant_and_an_abandoned_lot_leaves_nothing() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join("lots");
    std::fs::create_dir(&temp).unwrap();
    let (cda, entry) = template();
    let patient = lot(&cda, &entry, 1, 1, 0).patient;
    let mut pdf_entry = entry.clone();
    pdf_entry.mime_type = "application/pdf".into();
    pdf_entry.hash = None;
    pdf_entry.size = None;
    let size: u64 = 12 << 20;
    let path = dir.path().join("streamed.zip");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = portability::ExportWriter::new(std::io::BufWriter::new(file), info())
        .unwrap()
        .temp_dir(&temp);

    // Abandoned: the reader ends 1 byte early.
    let mut abandoned = w.start_lot(&patient).unwrap();
    abandoned
        .add_document(
            cda.as_slice(),
            cda.len() as u64,
            &entry,
            DocumentOrigin::Produced,
        )
        .unwrap();
    let e = abandoned
        .add_document(
            Generated { left: 999, x: 7 },
            1000,
            &pdf_entry,
            DocumentOrigin::Produced,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            PortabilityError::StoredDocumentAltered {
                lot: 1,
                document: 2,
                what: "size"
            }
        ),
        "{e}"
    );
    drop(abandoned);
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0);

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut l = w.start_lot(&patient).unwrap();
    assert_eq!(l.archive_id().to_string(), "PAT00001");
    l.add_document(
        cda.as_slice(),
        cda.len() as u64,
        &entry,
        DocumentOrigin::Produced,
    )
    .unwrap();
    l.add_document(
        Generated { left: size, x: 7 },
        size,
        &pdf_entry,
        DocumentOrigin::Imported,
    )
    .unwrap();
    assert_eq!(l.finish().unwrap().to_string(), "PAT00001");
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let (out, manifest) = w.finish().unwrap();
    drop(out);
    eprintln!("lot of {size} bytes streamed: peak heap {peak} bytes");
    assert!(
        peak < 2 << 20,
        "peak heap {peak} bytes for a {size}-byte document"
    );
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0);

    // The lot is what the manifest says, and its documents are those streamed.
    assert_eq!(manifest.archives.len(), 1);
    let export = std::fs::read(&path).unwrap();
    let lot_zip = entry_of(&export, "PAT00001.ZIP");
    assert_eq!(manifest.archives[0].size, lot_zip.len() as u64);
    use sha2::Digest as _;
    assert_eq!(
        manifest.archives[0].sha256,
        sha2::Sha256::digest(&lot_zip)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mut expected = Vec::new();
    Generated { left: size, x: 7 }
        .read_to_end(&mut expected)
        .unwrap();
    assert!(entry_of(&lot_zip, "IHE_XDM/SUBSET01/DOC0002.PDF") == expected);
    assert_eq!(entry_of(&lot_zip, "IHE_XDM/SUBSET01/DOC0001.XML"), cda);
    let read = portability::read_bytes(&export, &PortabilityLimits::default()).unwrap();
    assert_eq!(read.lots.len(), 1);
    assert_eq!(read.lots[0].documents.len(), 2);
}
