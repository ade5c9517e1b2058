//! Shared test support: virtual cards, test keys, and a real pcscd with the vpcd driver.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod keys;
pub mod vcard;

use segur_cps_card::transport::{MemoryTransport, Protocol};
use segur_cps_card::{Transport, TransportError};
use std::fs::File;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vcard::{Kind, VirtualCard};

/// A virtual card in memory (same behaviour as through vpcd).
pub fn memory_card(kind: Kind) -> (Arc<Mutex<VirtualCard>>, impl Transport) {
    let card = Arc::new(Mutex::new(VirtualCard::new(kind)));
    let atr = card.lock().unwrap().atr();
    let protocol = if kind == Kind::Cps4 {
        Protocol::T1
    } else {
        Protocol::T0
    };
    let c = card.clone();
    let t = MemoryTransport::new(atr, protocol, move |apdu: &[u8]| {
        let mut c = c.lock().unwrap();
        let r = c.execute(apdu);
        if c.vanished {
            return Err(TransportError::CardRemoved);
        }
        Ok(r)
    });
    (card, t)
}

/// Reader names exposed by vpcd.
pub const READER0: &str = "Virtual PCD 00 00";
pub const READER1: &str = "Virtual PCD 00 01";

fn pcscd_binary() -> &'static str {
    if std::path::Path::new("/usr/sbin/pcscd").exists() {
        "/usr/sbin/pcscd"
    } else {
        "pcscd"
    }
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

fn is_pcscd(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim() == "pcscd")
        .unwrap_or(false)
}

fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let end = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    if alive(pid) {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(pid.to_string())
            .status();
    }
}

/// A pcscd with vpcd for the duration of one test. Tests serialise on a lock file (pcscd is a
/// system-wide singleton); the daemon this harness starts is stopped on drop, and a leftover
/// from an interrupted run (recorded in a pid file) is stopped first. A pcscd that this
/// harness did not start is reused, never stopped.
pub struct Pcscd {
    child: Option<Child>,
    _lock: File,
    pidfile: PathBuf,
    pub log: PathBuf,
}

impl Pcscd {
    pub fn start() -> Self {
        let tmp = std::env::temp_dir();
        let lock = File::create(tmp.join("segur-cps-card-pcscd.lock")).unwrap();
        lock.lock().unwrap();
        let pidfile = tmp.join("segur-cps-card-pcscd.pid");
        if let Ok(s) = std::fs::read_to_string(&pidfile) {
            if let Ok(pid) = s.trim().parse::<u32>()
                && alive(pid)
                && is_pcscd(pid)
            {
                terminate(pid);
            }
            let _ = std::fs::remove_file(&pidfile);
        }
        let log = tmp.join("segur-cps-card-pcscd.log");
        let running = std::fs::read_to_string("/run/pcscd/pcscd.pid")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .is_some_and(|pid| alive(pid) && is_pcscd(pid));
        let child = if running {
            None
        } else {
            let out = File::create(&log).unwrap();
            let child = Command::new(pcscd_binary())
                .arg("--foreground")
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("pcscd is installed (scripts/install-deps) and the tests run as root");
            let mut f = File::create(&pidfile).unwrap();
            writeln!(f, "{}", child.id()).unwrap();
            Some(child)
        };
        let me = Self {
            child,
            _lock: lock,
            pidfile,
            log,
        };
        me.wait_for_readers();
        me
    }

    fn wait_for_readers(&self) {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(ctx) = segur_cps_card::pcsc::ReaderContext::establish()
                && let Ok(r) = ctx.readers()
                && r.iter().any(|n| n == READER0)
            {
                return;
            }
            assert!(
                Instant::now() < end,
                "pcscd did not expose the vpcd readers; log: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(child.id());
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&self.pidfile);
        }
    }
}

/// A virtual card plugged into a vpcd slot (port 35963 = reader 0, 35964 = reader 1).
pub struct PluggedCard {
    pub card: Arc<Mutex<VirtualCard>>,
    stream: TcpStream,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Adapter {
    card: Arc<Mutex<VirtualCard>>,
    stream: TcpStream,
}

impl vpicc::VSmartCard for Adapter {
    fn atr(&self) -> &[u8] {
        self.card.lock().unwrap().atr()
    }
    fn execute(&mut self, msg: &[u8]) -> Vec<u8> {
        let mut c = self.card.lock().unwrap();
        let r = c.execute(msg);
        if c.vanished {
            // Pulled out mid-command: the reader loses the card without an answer.
            let _ = self.stream.shutdown(Shutdown::Both);
        }
        r
    }
    fn power_off(&mut self) {
        self.card.lock().unwrap().reset();
    }
    fn reset(&mut self) {
        self.card.lock().unwrap().reset();
    }
}

impl PluggedCard {
    pub fn insert(kind: Kind, port: u16) -> Self {
        Self::insert_card(VirtualCard::new(kind), port)
    }

    pub fn insert_card(card: VirtualCard, port: u16) -> Self {
        let card = Arc::new(Mutex::new(card));
        let end = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) => {
                    assert!(Instant::now() < end, "vpcd port {port}: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        let ctl = stream.try_clone().unwrap();
        let mut adapter = Adapter {
            card: card.clone(),
            stream: stream.try_clone().unwrap(),
        };
        let thread = std::thread::spawn(move || {
            let mut conn = vpicc::Connection::from(stream);
            while conn.poll(&mut adapter).is_ok() {}
        });
        Self {
            card,
            stream: ctl,
            thread: Some(thread),
        }
    }

    /// Pulls the card out.
    pub fn remove(mut self) {
        self.unplug();
    }

    fn unplug(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PluggedCard {
    fn drop(&mut self) {
        self.unplug();
    }
}

/// Runs `f` on a thread and fails the test if it takes longer than `limit` (no hang).
pub fn within<R: Send + 'static>(limit: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("operation did not finish within {limit:?}"))
}
