//! `segur dmp simulate`: the local DMP of `segur_dmp::simulator`, for vendors' test benches.
//!
//! ```text
//! segur dmp simulate --listen 127.0.0.1:PORT --write-config DIR [--record RDIR] [--persist PDIR]
//! ```
//! The first line printed is `listening on 127.0.0.1:N` (flushed at once: other tools wait for
//! it); `DIR` receives `dmp.toml` and the test PKI as PEM; the server runs until the process is
//! killed.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use segur_dmp::simulator::{Simulator, SimulatorOptions};

/// Arguments of `segur dmp simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Address to listen on, `127.0.0.1:0` for any free port.
    #[arg(long)]
    listen: SocketAddr,
    /// Folder receiving dmp.toml, ca.pem, client.pem, client-key.pem, sign.pem, sign-key.pem.
    #[arg(long, value_name = "DIR")]
    write_config: PathBuf,
    /// Folder receiving every request as received (0001.http, 0002.http, ...).
    #[arg(long, value_name = "RDIR")]
    record: Option<PathBuf>,
    /// Folder the registry is kept in across runs (read at start, written after each change).
    #[arg(long, value_name = "PDIR")]
    persist: Option<PathBuf>,
}

/// Runs `segur dmp simulate` until the process is killed.
pub fn simulate(args: SimulateArgs) -> ExitCode {
    let options = SimulatorOptions {
        listen: args.listen,
        record_dir: args.record,
        persist_dir: args.persist,
        ..SimulatorOptions::default()
    };
    let sim = match Simulator::start(options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("segur dmp simulate: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match sim.write_config(&args.write_config) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("segur dmp simulate: cannot write the configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let printed = writeln!(out, "listening on {}", sim.local_addr())
        .and_then(|()| writeln!(out, "configuration: {}", config.display()))
        .and_then(|()| writeln!(out, "services: {}", sim.endpoint()))
        .and_then(|()| out.flush());
    drop(out);
    if let Err(e) = printed {
        crate::terminal::exit_if_broken_pipe(&e);
        eprintln!("segur dmp simulate: cannot write to standard output: {e}");
        return ExitCode::from(2);
    }
    loop {
        std::thread::park();
    }
}
