//! `segur qr`: decode QR codes and Data Matrix symbols from images, repair scanner input.

use segur_eprescription::decode::{self, DecodeOptions};
use segur_eprescription::scanner::{self, LayoutRepair, ScannerConfig};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `segur qr`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Print every code found: one line per code, `<symbology> <payload>`; exit 1 when none.
    Decode {
        /// Images (PNG, JPEG, TIFF).
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// JSON lines: {"file","symbology","payload","points"}.
        #[arg(long)]
        json: bool,
        /// Run every preprocessing pass instead of stopping at the first that finds a code.
        #[arg(long)]
        exhaustive: bool,
    },
    /// Repair text typed by a keyboard-wedge scanner (argument, or standard input).
    Scanner {
        /// The typed text; read from standard input when absent.
        text: Option<String>,
        /// Layout repair: auto, none, qwerty-on-azerty, azerty-on-qwerty.
        #[arg(long, default_value = "auto")]
        layout: String,
        /// Prefix configured on the scanner (repeatable).
        #[arg(long)]
        prefix: Vec<String>,
        /// Suffix configured on the scanner (repeatable).
        #[arg(long)]
        suffix: Vec<String>,
    },
}

/// Shows control characters the way the 2D-Doc specification writes them (`<GS>`, `<RS>`,
/// `<US>`, `\xNN`); non-ASCII UTF-8 text is shown as is only when it holds nothing
/// [`crate::terminal::is_unsafe`] (bidirectional controls included), else byte by byte.
pub fn printable(payload: &[u8]) -> String {
    let mut out = String::with_capacity(payload.len());
    for &b in payload {
        match b {
            0x1D => out.push_str("<GS>"),
            0x1E => out.push_str("<RS>"),
            0x1F => out.push_str("<US>"),
            0x20..=0x7E => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02X}")),
        }
    }
    if let Ok(text) = std::str::from_utf8(payload)
        && !text.is_ascii()
        && !text.chars().any(crate::terminal::is_unsafe)
    {
        return text.to_owned();
    }
    out
}

/// Runs `segur qr`.
pub fn run(args: &Args) -> ExitCode {
    match &args.command {
        Command::Decode {
            images,
            json,
            exhaustive,
        } => {
            let options = DecodeOptions {
                exhaustive: *exhaustive,
                ..DecodeOptions::default()
            };
            let mut found = 0usize;
            let mut failed = false;
            for path in images {
                match decode::decode_file(path, &options) {
                    Ok(codes) => {
                        for code in codes {
                            found += 1;
                            if *json {
                                let line = serde_json::json!({
                                    "file": path.display().to_string(),
                                    "symbology": code.symbology,
                                    "payload": printable(&code.payload),
                                    "points": code.points,
                                });
                                println!("{}", crate::terminal::json(&line.to_string()));
                            } else {
                                println!("{} {}", code.symbology, printable(&code.payload));
                            }
                        }
                    }
                    Err(e) => {
                        eprintln!(
                            "segur qr decode: {}",
                            crate::terminal::safe(&format!("{}: {e}", path.display()))
                        );
                        failed = true;
                    }
                }
            }
            if failed {
                ExitCode::from(2)
            } else if found == 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Scanner {
            text,
            layout,
            prefix,
            suffix,
        } => {
            let layout = match layout.as_str() {
                "auto" => LayoutRepair::Auto,
                "none" => LayoutRepair::None,
                "qwerty-on-azerty" => LayoutRepair::QwertyScannerOnAzertyHost,
                "azerty-on-qwerty" => LayoutRepair::AzertyScannerOnQwertyHost,
                other => {
                    eprintln!("segur qr scanner: unknown layout {other:?}");
                    return ExitCode::from(2);
                }
            };
            let raw = match text {
                Some(t) => t.clone(),
                None => {
                    let mut s = String::new();
                    if std::io::stdin().read_to_string(&mut s).is_err() {
                        eprintln!("segur qr scanner: standard input is not UTF-8");
                        return ExitCode::from(2);
                    }
                    s
                }
            };
            let config = ScannerConfig {
                layout,
                prefixes: prefix.clone(),
                suffixes: suffix.clone(),
                ..ScannerConfig::default()
            };
            match scanner::normalise(&raw, &config) {
                Ok(out) => {
                    println!("{}", printable(out.expose().as_bytes()));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "segur qr scanner: {}",
                        crate::terminal::safe(&e.to_string())
                    );
                    ExitCode::from(2)
                }
            }
        }
    }
}
