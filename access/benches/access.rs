//! Audit appends per second (batched durable commits, one durable commit per entry, and plain
//! SQLite inserts without the chain as the baseline a vendor would write), and the TOTP check
//! against RustCrypto's HMAC-SHA-1 (the stack of the usual `totp-rs` crate) computing one code.
#![allow(clippy::unwrap_used, missing_docs)] // bench setup; criterion_group! makes undocumented items

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hmac::Mac;
use segur_access::audit::sqlite::{SqliteAuditStore, open_connection};
use segur_access::audit::{AuditEvent, AuditLog, EventKind, Outcome};
use segur_access::clock::{SystemClock, UnixTime};
use segur_access::keys::MasterKey;
use segur_access::totp::{Totp, TotpParams, TotpSecret};
use std::hint::black_box;
use std::sync::Arc;

const BATCH: usize = 1000;

fn events(n: usize) -> Vec<AuditEvent> {
    let patient = MasterKey::from_bytes([3; 32])
        .pseudonymizer()
        .pseudonym("1 84 12 75 123 456 78");
    (0..n)
        .map(|i| {
            AuditEvent::new(EventKind::AccessChecked, Outcome::Success)
                .actor("marie.dupont")
                .workstation("comptoir-1")
                .permission("dmp.read")
                .patient(patient.clone())
                .detail(format!("role titulaire {i}"))
        })
        .collect()
}

fn audit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("audit_append");
    g.sample_size(10);

    let path = dir.path().join("batched.db");
    let mut log = AuditLog::new(
        Box::new(SqliteAuditStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    );
    let batch = events(BATCH);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("batched_1000_per_durable_commit", |b| {
        b.iter(|| log.append_batch(black_box(&batch)).unwrap())
    });

    // The same rows through plain prepared INSERTs in one transaction, no hashing: what a
    // vendor writing traces straight to SQLite would do.
    let plain = open_connection(&dir.path().join("plain.db")).unwrap();
    plain
        .execute_batch(
            "CREATE TABLE t (seq INTEGER PRIMARY KEY, time INTEGER, kind TEXT, outcome TEXT, \
             actor TEXT, workstation TEXT, permission TEXT, patient TEXT, detail TEXT)",
        )
        .unwrap();
    let mut plain = plain;
    g.bench_function("baseline_plain_sqlite_1000_per_commit", |b| {
        b.iter(|| {
            let tx = plain.transaction().unwrap();
            {
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO t (time, kind, outcome, actor, workstation, permission, \
                         patient, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )
                    .unwrap();
                for e in &batch {
                    st.execute(rusqlite::params![
                        0i64,
                        e.kind.as_str(),
                        e.outcome.as_str(),
                        e.actor,
                        e.workstation,
                        e.permission,
                        e.patient.as_ref().map(|p| p.as_str()),
                        e.detail
                    ])
                    .unwrap();
                }
            }
            tx.commit().unwrap();
        })
    });

    let path = dir.path().join("each.db");
    let mut log = AuditLog::new(
        Box::new(SqliteAuditStore::open(&path).unwrap()),
        Arc::new(SystemClock),
    );
    let one = events(1).pop().unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_durable_commit_per_entry", |b| {
        b.iter(|| log.append(black_box(one.clone())).unwrap())
    });
    g.finish();
}

fn totp(c: &mut Criterion) {
    let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
    let totp = Totp::new(secret, TotpParams::default()).unwrap();
    let now = UnixTime(1_700_000_010);
    let mut g = c.benchmark_group("totp");
    g.bench_function("verify_window_pm1", |b| {
        // A fresh code each time, checked against the three steps of the window.
        b.iter_batched(
            || totp.code_at(now),
            |code| totp.verify(black_box(&code), now, None).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("reference_rustcrypto_one_code", |b| {
        b.iter(|| {
            let mut mac =
                hmac::Hmac::<sha1::Sha1>::new_from_slice(b"12345678901234567890").unwrap();
            mac.update(&black_box(56_666_667u64).to_be_bytes());
            let tag = mac.finalize().into_bytes();
            let offset = usize::from(tag[19] & 0x0f);
            let word = u32::from_be_bytes(tag[offset..offset + 4].try_into().unwrap());
            black_box((word & 0x7fff_ffff) % 1_000_000)
        })
    });
    g.finish();
}

criterion_group!(benches, audit, totp);
criterion_main!(benches);
