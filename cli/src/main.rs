//! `segur`: the command-line tool of the segur SDK.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// `println!` for the whole CLI: defined before the modules, this shadows the standard
/// library's in every one of them, so a reader closing the pipe early (`segur ... | head -1`)
/// ends any command quietly with status 141 instead of a panic
/// ([`terminal::write_or_exit`]).
macro_rules! println {
    () => {
        $crate::terminal::write_or_exit(false, format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::terminal::write_or_exit(false, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that ends the command quietly on a closed pipe (see [`println!`]).
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::terminal::write_or_exit(false, format_args!($($arg)*))
    };
}

/// `eprintln!` that ends the command quietly on a closed pipe (`segur ... 2>&1 | head -1`).
macro_rules! eprintln {
    () => {
        $crate::terminal::write_or_exit(true, format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::terminal::write_or_exit(true, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that ends the command quietly on a closed pipe.
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::terminal::write_or_exit(true, format_args!($($arg)*))
    };
}

mod access;
mod card;
mod cda;
mod cda_batch;
mod demo;
mod dmp;
mod dmp_simulate;
mod inbox;
mod input;
mod ins;
mod ins_search;
mod json_input;
mod mss;
mod portability;
mod psc;
mod psc_settings;
mod qr;
mod terminal;
mod twoddoc;
mod xdm;

/// Ségur SDK for pharmacy software: INS, CDA documents, XDM packages, MSSanté, 2D codes, cards.
#[derive(Parser)]
#[command(name = "segur", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The pharmacy-counter flow on embedded defaults (no server, no card needed).
    Demo(demo::Args),
    /// CPS and Vitale cards over PC/SC: readers, ATR, card information.
    #[command(subcommand)]
    Card(card::Command),
    /// Patient INS: matricule checks, name normalisation, decoding.
    #[command(subcommand)]
    Ins(ins::Command),
    /// CDA R2 documents: examples, build, inspect, validate.
    #[command(subcommand)]
    Cda(cda::Command),
    /// IHE_XDM.ZIP packages: pack, unpack, inspect.
    #[command(subcommand)]
    Xdm(xdm::Command),
    /// MSSanté secure messaging: compose, send, fetch.
    #[command(subcommand)]
    Mss(mss::Command),
    /// The MSSanté inbox filed into the document store: sync, review, attach, reject.
    #[command(subcommand)]
    Inbox(inbox::Command),
    /// Portability export of the document store: one ZIP (MANIFEST.XML, a lot per patient).
    Export(portability::ExportArgs),
    /// Import a portability export or a plain IHE_XDM.ZIP into the document store, whole or
    /// not at all.
    Import(portability::ImportArgs),
    /// DMP (Mon espace santé): existence test, feed, search, retrieve, updates, web button.
    Dmp(dmp::Args),
    /// QR codes and Data Matrix: decode images, repair scanner input.
    Qr(qr::Args),
    /// 2D-Doc and INS Data Matrix: parse and verify.
    #[command(name = "2ddoc")]
    TwoDDoc(twoddoc::Args),
    /// Pro Santé Connect through the proxy e-Santé: login, whoami, logout.
    #[command(subcommand)]
    Psc(psc::Command),
    /// Access security: accounts, TOTP, login, permission checks, audit trail.
    Access(access::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Card(cmd) => card::run(cmd),
        Command::Ins(cmd) => ins::run(cmd),
        Command::Cda(cmd) => cda::run(cmd),
        Command::Xdm(cmd) => xdm::run(cmd),
        Command::Mss(cmd) => mss::run(cmd),
        Command::Inbox(cmd) => inbox::run(cmd),
        Command::Export(args) => portability::run_export(&args),
        Command::Import(args) => portability::run_import(&args),
        Command::Dmp(args) => dmp::run(args),
        Command::Qr(args) => qr::run(&args),
        Command::TwoDDoc(args) => twoddoc::run(&args),
        Command::Access(args) => access::run(&args),
        Command::Psc(cmd) => psc::run(cmd),
    }
}
