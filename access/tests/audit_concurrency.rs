//! Concurrent appends: 8 threads and 2 processes writing to one trail at once lose no entry and
//! fork no chain; a process killed (SIGKILL) in the middle of appending leaves a trail that
//! verifies. The child processes are this test binary, re-run in "child" mode.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_access::audit::sqlite::SqliteAuditStore;
use segur_access::audit::verify::VerifyOptions;
use segur_access::audit::{AuditEvent, AuditLog, EventKind, Outcome};
use segur_access::clock::SystemClock;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

// 500 durable commits racing from 10 writers: each one fsyncs, so more only adds time.
const PER_WRITER: usize = 50;
const CHILD_DB: &str = "SEGUR_ACCESS_TEST_CHILD_DB";
const CHILD_NAME: &str = "SEGUR_ACCESS_TEST_CHILD_NAME";
const CHILD_COUNT: &str = "SEGUR_ACCESS_TEST_CHILD_COUNT";

fn log_at(path: &Path) -> AuditLog {
    AuditLog::new(
        Box::new(SqliteAuditStore::open(path).unwrap()),
        Arc::new(SystemClock),
    )
}

fn event(writer: &str, i: usize) -> AuditEvent {
    AuditEvent::new(EventKind::AccessChecked, Outcome::Success)
        .actor(writer)
        .detail(format!("{i}"))
}

/// Child mode: append CHILD_COUNT entries (0 = forever, in batches) as CHILD_NAME.
#[test]
fn child_appender() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let name = std::env::var(CHILD_NAME).unwrap();
    let count: usize = std::env::var(CHILD_COUNT).unwrap().parse().unwrap();
    let mut log = log_at(Path::new(&db));
    if count == 0 {
        let mut i = 0;
        loop {
            let batch: Vec<_> = (0..25).map(|k| event(&name, i + k)).collect();
            log.append_batch(&batch).unwrap();
            log.append(event(&name, i + 25)).unwrap();
            i += 26;
        }
    }
    for i in 0..count {
        log.append(event(&name, i)).unwrap();
    }
}

/// A child process killed when dropped, so a failing test leaves no writer behind.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(db: &Path, name: &str, count: usize) -> Writer {
    Writer(spawn_raw(db, name, count))
}

fn spawn_raw(db: &Path, name: &str, count: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_appender",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, db)
        .env(CHILD_NAME, name)
        .env(CHILD_COUNT, count.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Every (writer, index) pair of the trail, checking none is there twice.
fn pairs(path: &Path) -> BTreeSet<(String, usize)> {
    let log = log_at(path);
    let mut set = BTreeSet::new();
    log.scan(1, &mut |e| {
        let key = (
            e.event.actor.clone().unwrap(),
            e.event.detail.clone().unwrap().parse().unwrap(),
        );
        assert!(set.insert(key), "entry {} duplicated", e.seq);
        Ok(())
    })
    .unwrap();
    set
}

#[test]
fn eight_threads_and_two_processes_lose_no_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trail.db");
    log_at(&db); // create the tables before the writers race
    let children: Vec<Writer> = (0..2)
        .map(|p| spawn_child(&db, &format!("process{p}"), PER_WRITER))
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut log = log_at(&db);
                for i in 0..PER_WRITER {
                    log.append(event(&format!("thread{t}"), i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for mut c in children {
        assert!(c.0.wait().unwrap().success());
    }
    let report = log_at(&db).verify(&VerifyOptions::default()).unwrap();
    assert_eq!(report.entries, (10 * PER_WRITER) as u64);
    let all = pairs(&db);
    assert_eq!(all.len(), 10 * PER_WRITER);
    for writer in (0..8)
        .map(|t| format!("thread{t}"))
        .chain((0..2).map(|p| format!("process{p}")))
    {
        for i in 0..PER_WRITER {
            assert!(all.contains(&(writer.clone(), i)), "{writer} {i} lost");
        }
    }
}

#[test]
fn a_process_killed_while_appending_leaves_a_trail_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trail.db");
    log_at(&db);
    let mut previous = 0;
    for round in 0..5u64 {
        let mut child = spawn_child(&db, &format!("killed{round}"), 0);
        // Let it append a while, then SIGKILL it, at a different moment each round.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            std::thread::sleep(Duration::from_millis(20 + 7 * round));
            let n = log_at(&db)
                .verify(&VerifyOptions::default())
                .unwrap()
                .entries;
            if n > previous + 100 || Instant::now() > deadline {
                break;
            }
        }
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        let report = log_at(&db).verify(&VerifyOptions::default()).unwrap();
        assert!(report.entries > previous, "round {round}: nothing appended");
        previous = report.entries;
        // The child's own entries are contiguous from 0: nothing half-written survived.
        let mine: Vec<usize> = pairs(&db)
            .into_iter()
            .filter(|(w, _)| *w == format!("killed{round}"))
            .map(|(_, i)| i)
            .collect();
        assert_eq!(mine, (0..mine.len()).collect::<Vec<_>>(), "round {round}");
    }
    // And the trail goes on.
    log_at(&db).append(event("after", 0)).unwrap();
    assert_eq!(
        log_at(&db)
            .verify(&VerifyOptions::default())
            .unwrap()
            .entries,
        previous + 1
    );
}
