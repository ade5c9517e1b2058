//! What several command-line tests share: `segur dmp simulate` run as a process, as other tools
//! run it (its first line names the port; it runs until killed).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Kills the simulator when the test ends, passed or not. Holds the reading end of its
/// output, whose closing would end it.
pub struct Simulator(
    std::process::Child,
    Option<BufReader<std::process::ChildStdout>>,
);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `segur dmp simulate --listen 127.0.0.1:0 --write-config CONFIG_DIR` and waits for its
/// first line, `listening on 127.0.0.1:N`.
pub fn simulate(config_dir: &Path) -> Simulator {
    start(config_dir, None)
}

/// [`simulate`] with `--record RECORD_DIR`: every request received written there as
/// `0001.http`, `0002.http`, ...
pub fn simulate_recording(config_dir: &Path, record_dir: &Path) -> Simulator {
    start(config_dir, Some(record_dir))
}

fn start(config_dir: &Path, record_dir: Option<&Path>) -> Simulator {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segur"));
    command
        .args([
            "dmp",
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--write-config",
        ])
        .arg(config_dir);
    if let Some(dir) = record_dir {
        command.arg("--record").arg(dir);
    }
    let mut child = Simulator(
        command
            .stdout(Stdio::piped())
            .spawn()
            .expect("segur dmp simulate starts"),
        None,
    );
    let mut out = BufReader::new(child.0.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("first line");
    let first = first.trim_end();
    assert!(
        first.starts_with("listening on 127.0.0.1:"),
        "first line: {first:?}"
    );
    child.1 = Some(out);
    child
}
