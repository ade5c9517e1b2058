//! Measurement, ignored by default (`cargo test --release -p segur-access --test
//! measure_million -- --ignored --nocapture`): builds a 1,000,000-entry trail in batches of
//! 10,000 durable commits and times its full verification. Figures go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_access::audit::sqlite::SqliteAuditStore;
use segur_access::audit::verify::VerifyOptions;
use segur_access::audit::{AuditEvent, AuditLog, EventKind, Outcome};
use segur_access::clock::SystemClock;
use segur_access::keys::MasterKey;
use std::sync::Arc;
use std::time::Instant;

#[test]
#[ignore = "a measurement (about a minute), not a test: run with --ignored --release"]
fn verify_a_million_entry_trail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.db");
    let mut log = AuditLog::new(
        Box::new(SqliteAuditStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    );
    let patient = MasterKey::from_bytes([3; 32])
        .pseudonymizer()
        .pseudonym("1 84 12 75 123 456 78");
    let batch: Vec<AuditEvent> = (0..10_000)
        .map(|i| {
            AuditEvent::new(EventKind::AccessChecked, Outcome::Success)
                .actor("marie.dupont")
                .workstation("comptoir-1")
                .permission("dmp.read")
                .patient(patient.clone())
                .detail(format!("role titulaire {i}"))
        })
        .collect();
    let start = Instant::now();
    for _ in 0..100 {
        log.append_batch(&batch).unwrap();
    }
    let build = start.elapsed();
    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len());
    let start = Instant::now();
    let report = log.verify(&VerifyOptions::default()).unwrap();
    let verify = start.elapsed();
    assert_eq!(report.entries, 1_000_000);
    println!(
        "append 1,000,000 in batches of 10,000: {:.2} s ({:.0}/s); file {} MB; verify: {:.2} s ({:.0} entries/s)",
        build.as_secs_f64(),
        1e6 / build.as_secs_f64(),
        size / 1_000_000,
        verify.as_secs_f64(),
        1e6 / verify.as_secs_f64()
    );
}
