//! `segur card ...`: readers, ATR decoding and card information, for support teams.

use crate::terminal::{say, say_err};
use clap::Subcommand;
use segur_cps_card::atr::{self, Atr, CardKind};
use segur_cps_card::cps::{CpsCard, CpsConfig};
use segur_cps_card::pcsc::{ReaderContext, Share};
use segur_cps_card::view::{CardDetails, CardInfoView, CpsInfoView, Part, ReaderView};
use segur_cps_card::{Error, Hex, Transport};
use serde_json::{Value, json};
use std::process::ExitCode;

/// `segur card` subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// List PC/SC readers, whether a card is present, and its kind.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Decode an ATR (ISO/IEC 7816-3): given in hex, or read from a reader.
    Atr {
        /// ATR in hex (spaces allowed); without it, the ATR of the card in the reader.
        hex: Option<String>,
        /// Reader name, or a unique part of it (default: the first reader holding a card).
        #[arg(long)]
        reader: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Card information: kind, serial, PIN counters, certificates (no PIN asked, no patient data).
    Info {
        /// Reader name, or a unique part of it (default: the first reader holding a card).
        #[arg(long)]
        reader: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `segur card` subcommand. Exit status: 0 success, 1 no reader/card, 2 other errors,
/// among them a missing PC/SC library (loaded at run time: the message says what to install).
pub fn run(cmd: Command) -> ExitCode {
    let (json, result) = match cmd {
        Command::List { json } => (json, list()),
        Command::Atr { hex, reader, json } => (json, atr_cmd(hex.as_deref(), reader.as_deref())),
        Command::Info { reader, json } => (json, info(reader.as_deref())),
    };
    match result {
        Ok(v) => {
            if json {
                println!("{}", crate::terminal::json(&v.to_string()));
            } else {
                print_text(&v, 0);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = match &e {
                Error::NoSuchReader(_)
                | Error::Transport(
                    segur_cps_card::TransportError::NoCard
                    | segur_cps_card::TransportError::ReaderUnavailable,
                ) => 1,
                _ => 2,
            };
            if json {
                let v = json!({ "error": e.to_string() });
                println!("{}", crate::terminal::json(&v.to_string()));
            } else {
                say_err!("segur card: {e}");
            }
            ExitCode::from(code)
        }
    }
}

fn print_text(v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::Object(_) | Value::Array(_) => {
                        say!("{pad}{k}:");
                        print_text(x, indent + 2);
                    }
                    Value::String(s) => say!("{pad}{k}: {s}"),
                    other => say!("{pad}{k}: {other}"),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                say!("{pad}[{i}]");
                print_text(x, indent + 2);
            }
        }
        Value::String(s) => say!("{pad}{s}"),
        other => say!("{pad}{other}"),
    }
}

/// A view as the JSON value printed (as JSON or as text); views serialise plain data.
fn value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn list() -> Result<Value, Error> {
    let ctx = ReaderContext::establish()?;
    Ok(value(&ReaderView::list(&ctx.list()?)))
}

fn pick_reader(ctx: &ReaderContext, wanted: Option<&str>) -> Result<String, Error> {
    match wanted {
        Some(w) => ctx.find(w),
        None => ctx
            .list()?
            .into_iter()
            .find(|r| r.card_present)
            .map(|r| r.name)
            .ok_or(Error::Transport(segur_cps_card::TransportError::NoCard)),
    }
}

fn decode_atr(raw: &[u8]) -> Value {
    let kind = atr::lookup(raw);
    let mut v = json!({
        "atr": Hex(raw).to_string(),
        "card": kind.map_or("unknown", |k| k.kind.as_str()),
        "description": kind.map(|k| k.description),
    });
    match Atr::parse(raw) {
        Ok(a) => {
            v["convention"] = json!(format!("{:?}", a.convention()).to_lowercase());
            v["protocols"] = json!(a.protocols().map(|t| format!("T={t}")).collect::<Vec<_>>());
            v["ta1"] = json!(a.ta1().map(|b| format!("{b:02X}")));
            v["wi"] = json!(a.wi().map(|b| format!("{b:02X}")));
            v["tck"] = json!(a.tck().map(|b| format!("{b:02X}")));
            v["historical_bytes"] = json!(Hex(a.historical_bytes()).to_string());
            v["historical"] = match a.historical() {
                Ok(h) => json!({
                    "category": format!("{:02X}", h.category),
                    "objects": h.objects.iter().map(|o| json!({
                        "tag": format!("{:X}", o.tag),
                        "value": Hex(o.value).to_string(),
                    })).collect::<Vec<_>>(),
                    "status": h.status.map(|s| Hex(s).to_string()),
                    "command_chaining": h.supports_chaining(),
                    "extended_length": h.supports_extended_length(),
                }),
                Err(e) => json!({ "error": e.to_string() }),
            };
        }
        Err(e) => v["error"] = json!(e.to_string()),
    }
    v
}

fn atr_cmd(hex: Option<&str>, reader: Option<&str>) -> Result<Value, Error> {
    if let Some(h) = hex {
        let raw = segur_cps_card::hex_decode(h).ok_or(Error::Atr {
            offset: 0,
            reason: "not hexadecimal",
        })?;
        // An ATR given on the command line must be well formed: a malformed one is an error.
        Atr::parse(&raw)?;
        return Ok(decode_atr(&raw));
    }
    let ctx = ReaderContext::establish()?;
    let name = pick_reader(&ctx, reader)?;
    let r = ctx
        .list()?
        .into_iter()
        .find(|r| r.name == name)
        .and_then(|r| r.atr)
        .ok_or(Error::Transport(segur_cps_card::TransportError::NoCard))?;
    let mut v = decode_atr(&r);
    v["reader"] = json!(name);
    Ok(v)
}

fn info(reader: Option<&str>) -> Result<Value, Error> {
    let ctx = ReaderContext::establish()?;
    let name = pick_reader(&ctx, reader)?;
    let mut conn = ctx.connect(&name, Share::Shared)?;
    let protocol = conn.protocol();
    let raw_atr = conn.atr().to_vec();
    let kind = atr::identify(&raw_atr);
    let tx = conn.transaction()?;
    let details = match kind {
        k if k.is_cps() => {
            let mut cps = CpsCard::open(tx, CpsConfig::default())?;
            CardDetails::Cps(Box::new(CpsInfoView::read(&mut cps)))
        }
        CardKind::Vitale2 => {
            let mut vit = segur_cps_card::vitale::VitaleCard::open(tx)?;
            // Patient data is never printed: only the number of beneficiaries.
            CardDetails::Vitale {
                card: kind.as_str(),
                beneficiaries: Part::of(vit.read_identity(), |id| id.beneficiaries.len()),
            }
        }
        CardKind::Vitale1 => CardDetails::Other {
            card: kind.as_str(),
            note: "Vitale 1: detection only",
        },
        _ => CardDetails::Other {
            card: kind.as_str(),
            note: "card not recognised",
        },
    };
    Ok(value(&CardInfoView::new(
        &name, &raw_atr, protocol, details,
    )))
}
