//! Tampering with the SQLite file behind the trail: an edited, deleted, inserted or reordered
//! entry, a truncated file, a deleted tail or a rewritten chain under a signed checkpoint: the
//! verifier names the first bad entry every time. Checkpoint signatures are made with a
//! PKCS#12 key from openssl and checked by openssl too.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use rusqlite::Connection;
use segur_access::audit::chain::entry_hash;
use segur_access::audit::sqlite::SqliteAuditStore;
use segur_access::audit::verify::{BadEntry, VerifyError, VerifyOptions};
use segur_access::audit::{AuditEvent, AuditLog, Checkpoint, EventKind, Outcome};
use segur_access::clock::{ManualClock, UnixTime};
use segur_access::keys::MasterKey;
use segur_net::sign::SoftwareSigner;
use segur_test_support::openssl;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn log_at(path: &Path) -> AuditLog {
    AuditLog::new(
        Box::new(SqliteAuditStore::open(path).unwrap()),
        Arc::new(ManualClock::new(UnixTime(1_700_000_000))),
    )
}

/// A trail of 10 entries, one with a patient pseudonym.
fn trail() -> (tempfile::TempDir, PathBuf) {
    trail_of(10)
}

fn trail_of(n: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.db");
    let mut log = log_at(&path);
    let pseudonyms = MasterKey::from_bytes([1; 32]).pseudonymizer();
    let mut batch = Vec::new();
    for i in 1..=n {
        let mut e = AuditEvent::new(EventKind::AccessChecked, Outcome::Success)
            .actor(&format!("user{i}"))
            .workstation("comptoir-1")
            .permission("dmp.read");
        if i == 4 {
            e = e.patient(pseudonyms.pseudonym("1 84 12 75 123 456 78"));
        }
        if n <= 10 {
            log.append(e).unwrap();
        } else {
            batch.push(e);
        }
    }
    log.append_batch(&batch).unwrap();
    assert_eq!(log.verify(&VerifyOptions::default()).unwrap().entries, n);
    (dir, path)
}

/// An attacker's raw connection: the append-only triggers dropped first.
fn attacker(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
         DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;",
    )
    .unwrap();
    c
}

fn verify(path: &Path) -> Result<u64, VerifyError> {
    log_at(path)
        .verify(&VerifyOptions::default())
        .map(|r| r.entries)
}

#[test]
fn the_triggers_refuse_updates_and_deletes() {
    let (_dir, path) = trail();
    let c = Connection::open(&path).unwrap();
    let e = c
        .execute("UPDATE audit SET actor = 'x' WHERE seq = 2", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(c.execute("DELETE FROM audit WHERE seq = 2", []).is_err());
    assert_eq!(verify(&path).unwrap(), 10);
}

#[test]
fn an_edited_entry_is_named() {
    let (_dir, path) = trail();
    attacker(&path)
        .execute("UPDATE audit SET actor = 'mallory' WHERE seq = 5", [])
        .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 5,
            reason: BadEntry::Hash
        })
    );
}

#[test]
fn an_edited_outcome_or_time_is_named() {
    let (_dir, path) = trail();
    attacker(&path)
        .execute("UPDATE audit SET time = time + 1 WHERE seq = 7", [])
        .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 7,
            reason: BadEntry::Hash
        })
    );
    let (_dir, path) = trail();
    attacker(&path)
        .execute("UPDATE audit SET outcome = 'denied' WHERE seq = 2", [])
        .unwrap();
    assert_eq!(
        verify(&path).unwrap_err().to_string(),
        "entry 2: content does not match its hash (edited)"
    );
}

#[test]
fn a_deleted_entry_is_named() {
    let (_dir, path) = trail();
    attacker(&path)
        .execute("DELETE FROM audit WHERE seq = 5", [])
        .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 6,
            reason: BadEntry::Sequence {
                expected: 5,
                found: 6
            }
        })
    );
}

#[test]
fn a_deleted_first_entry_is_named() {
    let (_dir, path) = trail();
    attacker(&path)
        .execute("DELETE FROM audit WHERE seq = 1", [])
        .unwrap();
    assert!(matches!(
        verify(&path),
        Err(VerifyError::BadEntry { seq: 2, .. })
    ));
}

#[test]
fn an_inserted_entry_with_a_correct_hash_is_named() {
    let (_dir, path) = trail();
    let c = attacker(&path);
    // Renumber 5..10 to 6..11 (from the end, to keep the key unique), then forge entry 5
    // chained to entry 4 with a hash computed exactly as the library does.
    for seq in (5..=10).rev() {
        c.execute("UPDATE audit SET seq = seq + 1 WHERE seq = ?1", [seq])
            .unwrap();
    }
    let prev: Vec<u8> = c
        .query_row("SELECT hash FROM audit WHERE seq = 4", [], |r| r.get(0))
        .unwrap();
    let prev = segur_access::audit::Hash32::from_slice(&prev).unwrap();
    let forged = AuditEvent::new(EventKind::LoginSucceeded, Outcome::Success).actor("mallory");
    let hash = entry_hash(&prev, 5, UnixTime(1_700_000_000), &forged);
    c.execute(
        "INSERT INTO audit (seq, time, kind, outcome, actor, prev_hash, hash) \
         VALUES (5, 1700000000, 'login_succeeded', 'success', 'mallory', ?1, ?2)",
        rusqlite::params![&prev.0[..], &hash.0[..]],
    )
    .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 6,
            reason: BadEntry::PrevHash
        })
    );
}

#[test]
fn an_entry_appended_with_a_wrong_hash_is_named() {
    let (_dir, path) = trail();
    attacker(&path)
        .execute(
            "INSERT INTO audit (seq, time, kind, outcome, prev_hash, hash) \
             SELECT 11, time, kind, outcome, hash, hash FROM audit WHERE seq = 10",
            [],
        )
        .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 11,
            reason: BadEntry::Hash
        })
    );
}

#[test]
fn reordered_entries_are_named() {
    let (_dir, path) = trail();
    let c = attacker(&path);
    c.execute_batch(
        "UPDATE audit SET seq = -1 WHERE seq = 3;
         UPDATE audit SET seq = 3 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = -1;",
    )
    .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 3,
            reason: BadEntry::PrevHash
        })
    );
}

#[test]
fn a_malformed_value_is_named() {
    let (_dir, path) = trail();
    attacker(&path)
        .execute("UPDATE audit SET kind = 'party' WHERE seq = 8", [])
        .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 8,
            reason: BadEntry::Malformed("kind")
        })
    );
    let (_dir, path) = trail();
    attacker(&path)
        .execute(
            "UPDATE audit SET patient = '1841275123456' WHERE seq = 4",
            [],
        )
        .unwrap();
    assert_eq!(
        verify(&path),
        Err(VerifyError::BadEntry {
            seq: 4,
            reason: BadEntry::Malformed("patient")
        })
    );
}

#[test]
fn a_truncated_file_is_detected() {
    for (entries, keep) in [
        (10, 0.0),
        (10, 0.9),
        (10, 0.5),
        (500, 0.5),
        (500, 0.95),
        (500, 0.999),
    ] {
        let (_dir, path) = trail_of(entries);
        // The connections are closed: SQLite has moved the WAL into the file.
        assert!(
            !path.with_extension("db-wal").exists()
                || std::fs::metadata(path.with_extension("db-wal"))
                    .unwrap()
                    .len()
                    == 0
        );
        let len = std::fs::metadata(&path).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len((len as f64 * keep) as u64).unwrap();
        drop(f);
        let result = SqliteAuditStore::open_existing(&path)
            .map_err(|e| VerifyError::Storage(e.to_string()))
            .and_then(|s| {
                AuditLog::new(Box::new(s), Arc::new(ManualClock::new(UnixTime(0))))
                    .verify(&VerifyOptions::default())
            });
        assert!(
            matches!(result, Err(VerifyError::Storage(_))),
            "{entries} entries truncated to {keep}: {result:?}"
        );
    }
}

struct Signer {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    signer: SoftwareSigner,
}

fn signer() -> Signer {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    openssl(
        &d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Pharmacie du Port audit",
        ],
    );
    openssl(
        &d,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "key.pem",
            "-in",
            "cert.pem",
            "-out",
            "id.p12",
            "-passout",
            "pass:audit",
        ],
    );
    openssl(
        &d,
        &[
            "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
        ],
    );
    let p12 = std::fs::read(d.join("id.p12")).unwrap();
    Signer {
        _dir: dir,
        dir: d,
        signer: SoftwareSigner::from_pkcs12(&p12, "audit").unwrap(),
    }
}

#[test]
fn signed_checkpoints_verify_with_openssl_and_catch_a_deleted_tail() {
    let (_dir, path) = trail();
    let mut s = signer();
    let mut log = log_at(&path);
    let cp: Checkpoint = log.checkpoint(&mut s.signer).unwrap();
    assert_eq!(cp.seq, 10);
    // openssl agrees with the signature.
    std::fs::write(s.dir.join("msg"), Checkpoint::message(cp.seq, &cp.hash)).unwrap();
    std::fs::write(s.dir.join("sig"), &cp.signature).unwrap();
    let out = openssl(
        &s.dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "sig",
            "msg",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
    let trusted = VerifyOptions {
        trusted_certificates: vec![cp.certificate.clone()],
    };
    let report = log.verify(&trusted).unwrap();
    assert_eq!((report.entries, report.checkpoints), (11, 1));
    drop(log);

    // Deleting the last entries (the checkpoint_signed one and entry 10): the chain alone
    // still links, the checkpoint does not.
    attacker(&path)
        .execute("DELETE FROM audit WHERE seq >= 10", [])
        .unwrap();
    assert_eq!(
        log_at(&path).verify(&trusted),
        Err(VerifyError::BadEntry {
            seq: 10,
            reason: BadEntry::MissingAfterCheckpoint
        })
    );
}

#[test]
fn a_rewritten_chain_under_a_checkpoint_is_named() {
    let (_dir, path) = trail();
    let mut s = signer();
    let mut log = log_at(&path);
    let cp = log.checkpoint(&mut s.signer).unwrap();
    let mut entries = Vec::new();
    log.scan(1, &mut |e| {
        entries.push(e);
        Ok(())
    })
    .unwrap();
    drop(log);
    // The attacker edits entry 3 and recomputes every later hash, as anyone can without a key.
    let c = attacker(&path);
    c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3", [])
        .unwrap();
    entries[2].event.actor = Some("mallory".into());
    let mut prev = segur_access::audit::Hash32::ZERO;
    let mut rewritten = Vec::new();
    for e in &entries {
        let hash = entry_hash(&prev, e.seq, e.time, &e.event);
        c.execute(
            "UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![&prev.0[..], &hash.0[..], e.seq as i64],
        )
        .unwrap();
        prev = hash;
        rewritten.push(hash);
    }
    let trusted = VerifyOptions {
        trusted_certificates: vec![cp.certificate.clone()],
    };
    assert_eq!(
        log_at(&path).verify(&trusted),
        Err(VerifyError::BadEntry {
            seq: 10,
            reason: BadEntry::Checkpoint
        })
    );
    // Forging the checkpoint too needs the key: a re-signed checkpoint by another key is
    // refused when the signer is pinned, and a tampered signature never verifies.
    attacker(&path)
        .execute(
            "UPDATE audit_checkpoints SET hash = ?1",
            [&rewritten[9].0[..]],
        )
        .unwrap();
    assert!(matches!(
        log_at(&path).verify(&trusted),
        Err(VerifyError::BadEntry {
            seq: 10,
            reason: BadEntry::CheckpointSignature
        })
    ));
    let other = signer();
    let pinned_other = VerifyOptions {
        trusted_certificates: vec![other.signer_cert()],
    };
    assert!(matches!(
        log_at(&path).verify(&pinned_other),
        Err(VerifyError::BadEntry {
            reason: BadEntry::UntrustedSigner,
            ..
        })
    ));
}

impl Signer {
    fn signer_cert(&self) -> Vec<u8> {
        use segur_net::sign::Signer as _;
        self.signer.certificate_chain()[0].clone()
    }
}

#[test]
fn export_is_json_lines_without_patient_identifiers() {
    let (_dir, path) = trail();
    let log = log_at(&path);
    let mut out = Vec::new();
    assert_eq!(log.export_json_lines(&mut out).unwrap(), 10);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["kind"], "access_checked");
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    let patient = lines[3]["patient"].as_str().unwrap();
    assert_eq!(patient.len(), 64);
    assert!(!text.contains("1841275123456") && !text.contains("1 84 12"));
    // Same key, same patient, same pseudonym; another key, another one.
    let k1 = MasterKey::from_bytes([1; 32]).pseudonymizer();
    assert_eq!(k1.pseudonym(" 1 84 12 75 123 456 78 ").as_str(), patient);
    let k2 = MasterKey::from_bytes([2; 32]).pseudonymizer();
    assert_ne!(k2.pseudonym("1 84 12 75 123 456 78").as_str(), patient);
}
