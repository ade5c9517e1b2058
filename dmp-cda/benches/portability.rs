//! Portability export throughput (MB/s of documents) against `zip -0` storing the same files,
//! and a 10,000-document / 2,000-patient round trip (export, read back, export again) timed
//! once: too slow for the debug test suite, measured here.
//!
//! Run: `SEGUR_SHARED=../shared cargo bench -p segur-dmp-cda --bench portability`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput};
use segur_dmp_cda::portability::{
    self, Contact, DocumentOrigin, EditeurSortant, ExportInfo, ExportType, LotDocument, LotPatient,
    PatientLot, PortabilityLimits,
};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, XdsPatientId};
use segur_ins::IdentityStatus;

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn template() -> (Vec<u8>, DocumentEntry) {
    let cda = std::fs::read(shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml")).unwrap();
    let header = segur_dmp_cda::read_header(&cda, &Default::default()).unwrap();
    let entry = DocumentEntry::derive(&header, &cda, None, &DeriveOptions::default()).unwrap();
    (cda, entry)
}

fn info() -> ExportInfo {
    ExportInfo::new(
        ExportType::Massif,
        EditeurSortant {
            denomination_eg: "Éditeur".into(),
            num_siret: "73282932000074".into(),
            contact: Contact {
                nom: "Contact".into(),
                ..Contact::default()
            },
        },
        "bench",
        "1.2.250.1.999.1",
    )
}

/// Document `d` of patient `p`: the VAC-NOTE and `pad` incompressible bytes in a comment.
fn document(cda: &[u8], entry: &DocumentEntry, p: u64, d: u64, pad: usize) -> LotDocument {
    let mut bytes = cda.to_vec();
    let mut x = 0x9e37_79b9_7f4a_7c15 ^ (p << 20 | d);
    bytes.extend_from_slice(b"<!-- ");
    bytes.extend((0..pad).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x % 64) as usize]
    }));
    bytes.extend_from_slice(format!(" {p} {d} -->\n").as_bytes());
    let mut e = entry.clone();
    e.entry_uuid = format!("urn:uuid:00000000-0000-4000-8000-{p:06}{d:06}");
    e.hash = None;
    e.size = None;
    LotDocument {
        bytes,
        entry: e,
        origin: DocumentOrigin::Produced,
    }
}

fn lots(patients: u64, docs: u64, pad: usize) -> Vec<PatientLot> {
    let (cda, entry) = template();
    (0..patients)
        .map(|p| PatientLot {
            patient: LotPatient {
                local_id: XdsPatientId::new("1.2.250.1.999.1.2", &format!("IPP{p}")),
                ins: None,
                status: IdentityStatus::Provisoire,
            },
            documents: (0..docs)
                .map(|d| document(&cda, &entry, p, d, pad))
                .collect(),
        })
        .collect()
}

/// The default limits: an export ending with its own end record reads whatever its number of
/// lots (the lots' own end records are not counted then).
fn limits() -> PortabilityLimits {
    PortabilityLimits::default()
}

fn export_to(path: &Path, lots: &[PatientLot]) {
    let file = BufWriter::new(std::fs::File::create(path).unwrap());
    portability::export(
        file,
        info(),
        lots.iter().cloned().map(Ok::<_, std::io::Error>),
    )
    .unwrap();
}

fn bench_export(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    // 100 patients x 1 document of 300 KB (stored, as large documents are): 30 MB.
    let lots = lots(100, 1, 300 << 10);
    let bytes: usize = lots
        .iter()
        .flat_map(|l| &l.documents)
        .map(|d| d.bytes.len())
        .sum();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    for (i, d) in lots.iter().flat_map(|l| &l.documents).enumerate() {
        std::fs::write(files.join(format!("DOC{i:05}.XML")), &d.bytes).unwrap();
    }
    let mut g = c.benchmark_group("portability");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("export 100 lots x 300 KB, stored", |b| {
        b.iter(|| export_to(&dir.path().join("export.zip"), &lots));
    });
    g.bench_function("zip -0 of the same 100 files", |b| {
        b.iter(|| {
            let out = dir.path().join("zip0.zip");
            let _ = std::fs::remove_file(&out);
            let s = std::process::Command::new("zip")
                .args(["-0", "-q", "-r"])
                .arg(&out)
                .arg(&files)
                .status()
                .expect("zip is required (scripts/install-deps installs it)");
            assert!(s.success());
        });
    });
    g.bench_function("read back 100 lots x 300 KB", |b| {
        export_to(&dir.path().join("export.zip"), &lots);
        b.iter(|| {
            let f = std::fs::File::open(dir.path().join("export.zip")).unwrap();
            portability::read(f, &limits()).unwrap()
        });
    });
    g.finish();
}

/// 10,000 documents for 2,000 patients: export, read back, export again, once.
fn round_trip_10k() {
    let dir = tempfile::tempdir().unwrap();
    let lots = lots(2000, 5, 0);
    let bytes: usize = lots
        .iter()
        .flat_map(|l| &l.documents)
        .map(|d| d.bytes.len())
        .sum();
    let t = Instant::now();
    let mut info1 = info();
    info1.export_id = uuid::Uuid::nil();
    let first = dir.path().join("first.zip");
    let file = BufWriter::new(std::fs::File::create(&first).unwrap());
    portability::export(
        file,
        info1.clone(),
        lots.into_iter().map(Ok::<_, std::io::Error>),
    )
    .unwrap();
    let export = t.elapsed();
    let t = Instant::now();
    let read = portability::read(std::fs::File::open(&first).unwrap(), &limits()).unwrap();
    let read_time = t.elapsed();
    let docs: usize = read.lots.iter().map(|l| l.documents.len()).sum();
    let second = dir.path().join("second.zip");
    let file = BufWriter::new(std::fs::File::create(&second).unwrap());
    portability::export(
        file,
        info1,
        read.lots
            .iter()
            .map(|l| Ok::<_, std::io::Error>(l.to_patient_lot().unwrap())),
    )
    .unwrap();
    let same = std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap();
    println!(
        "round trip: {docs} documents ({:.1} MB), {} lots; export {:.2} s, read {:.2} s, \
         export file {:.1} MB, second export identical: {same}",
        bytes as f64 / 1e6,
        read.lots.len(),
        export.as_secs_f64(),
        read_time.as_secs_f64(),
        std::fs::metadata(&first).unwrap().len() as f64 / 1e6,
    );
    assert!(same && docs == 10_000);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_export(&mut c);
    round_trip_10k();
    c.final_summary();
}
