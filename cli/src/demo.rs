//! `segur demo`: the pharmacy-counter flow on embedded defaults.

use std::process::ExitCode;

/// Options of `segur demo`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the demo flow and prints each step.
pub fn run(_args: &Args) -> ExitCode {
    println!(
        "segur {} — pharmacy-counter demo",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::SUCCESS
}
