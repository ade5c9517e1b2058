//! `segur 2ddoc`: parse and verify 2D-Doc codes and INS Data Matrix payloads.

use crate::terminal::{say, say_err};
use segur_eprescription::decode::{self, DecodeOptions, Symbology};
use segur_eprescription::ins_datamatrix::InsDatamatrix;
use segur_eprescription::payload::{self, PayloadKind};
use segur_eprescription::scanner::{self, ScannerConfig};
use segur_eprescription::twoddoc::{self, verify::TrustStore};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `segur 2ddoc`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Parse a 2D-Doc or INS Data Matrix given as text (`<GS>`/`<US>` accepted) or as an image.
    Parse {
        /// The code's text, or the path of an image holding it.
        input: String,
        /// DER leaf certificates to verify the signature with (repeatable).
        #[arg(long)]
        cert: Vec<PathBuf>,
        /// Do not check the certificate's validity period (only for the specification's test
        /// certificate FR00/0001).
        #[arg(long)]
        test_certificate: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build the INS Data Matrix of a qualified identity (the JSON form of
    /// `segur_ins::Identity`; any status other than qualified is refused).
    InsDatamatrix {
        /// The identity JSON file.
        identity: PathBuf,
        /// Also draw the symbol to this PNG file (6 pixels per module).
        #[arg(long)]
        png: Option<PathBuf>,
    },
}

/// The INS Data Matrix of a qualified identity. This bridge lives here, not in
/// `segur-eprescription`, because that crate does not depend on `segur-ins`.
pub fn ins_datamatrix_of(
    q: &segur_ins::QualifiedIdentity,
) -> Result<InsDatamatrix, segur_eprescription::Error> {
    let traits = q.traits();
    let sex = match traits.sex() {
        segur_ins::Sex::Male => segur_eprescription::ins_datamatrix::Sex::Male,
        segur_ins::Sex::Female => segur_eprescription::ins_datamatrix::Sex::Female,
    };
    InsDatamatrix::new(
        q.ins().matricule().expose(),
        q.ins().authority().oid(),
        traits.given_names().expose(),
        traits.birth_name().expose(),
        sex,
        &traits.birth_date().to_datamatrix(),
        traits.birth_place().map(|p| p.code()),
    )
}

fn run_ins_datamatrix(identity: &Path, png: Option<&Path>) -> ExitCode {
    let parsed = std::fs::read(identity)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            crate::json_input::parse::<segur_ins::QualifiedIdentity>(
                &bytes,
                "the qualified identity",
            )
        })
        .and_then(|q| ins_datamatrix_of(&q).map_err(|e| e.to_string()));
    let matrix = match parsed {
        Ok(m) => m,
        Err(e) => {
            eprintln!("segur 2ddoc ins-datamatrix: {e}");
            return ExitCode::from(2);
        }
    };
    let payload = matrix.to_payload();
    println!("{}", crate::qr::printable(payload.as_bytes()));
    if let Some(path) = png {
        let drawn = segur_eprescription::render::render(Symbology::DataMatrix, &payload, 6, 2)
            .map_err(|e| e.to_string())
            .and_then(|img| img.save(path).map_err(|e| e.to_string()));
        if let Err(e) = drawn {
            eprintln!("segur 2ddoc ins-datamatrix: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn payloads(input: &str) -> Result<Vec<Vec<u8>>, String> {
    let path = Path::new(input);
    if path.is_file() {
        let codes =
            decode::decode_file(path, &DecodeOptions::default()).map_err(|e| e.to_string())?;
        return Ok(codes
            .into_iter()
            .filter(|c| {
                c.symbology == Symbology::DataMatrix
                    || payload::classify(&c.payload) != PayloadKind::Other
            })
            .map(|c| c.payload)
            .collect());
    }
    let text = scanner::normalise(input, &ScannerConfig::default()).map_err(|e| e.to_string())?;
    Ok(vec![text.into_string().into_bytes()])
}

fn describe(raw: &[u8], store: Option<&TrustStore>) -> Result<serde_json::Value, String> {
    match payload::classify(raw) {
        PayloadKind::InsDatamatrix => {
            let ins = InsDatamatrix::parse(raw).map_err(|e| e.to_string())?;
            Ok(serde_json::json!({
                "kind": "ins_datamatrix",
                "signed": false,
                "matricule": ins.matricule(),
                "oid": ins.oid(),
                "given_names": ins.given_names(),
                "birth_name": ins.birth_name(),
                "sex": ins.sex(),
                "birth_date": ins.birth_date(),
                "birthplace": ins.birthplace(),
            }))
        }
        PayloadKind::TwoDDocC40 | PayloadKind::TwoDDocBinary => {
            let doc = twoddoc::parse(raw).map_err(|e| e.to_string())?;
            let fields: Vec<_> = doc
                .fields
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "id": f.id,
                        "label": f.definition.map(|d| d.label),
                        "value": crate::qr::printable(f.value),
                        "truncated": f.truncated,
                    })
                })
                .collect();
            let annex: Vec<_> = doc
                .annex
                .iter()
                .map(|f| serde_json::json!({"id": f.id, "value": crate::qr::printable(f.value)}))
                .collect();
            let signature = match store {
                None => "not checked".to_owned(),
                Some(s) => match twoddoc::verify::verify(&doc, s) {
                    Ok(()) => "valid".to_owned(),
                    Err(e) => format!("invalid: {e}"),
                },
            };
            Ok(serde_json::json!({
                "kind": "2d-doc",
                "header": doc.header,
                "fields": fields,
                "unparsed": doc.unparsed.map(|(at, rest)| serde_json::json!({"offset": at, "bytes": crate::qr::printable(rest)})),
                "annex_unsigned": annex,
                "signature": signature,
            }))
        }
        PayloadKind::Other => {
            Err("neither a 2D-Doc (DC..) nor an INS Data Matrix (IS01)".to_owned())
        }
    }
}

fn print_text(v: &serde_json::Value) {
    let s = |k: &str| match &v[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    if v["kind"] == "ins_datamatrix" {
        say!("INS Data Matrix (unsigned: never qualifies an identity on its own)");
        for k in [
            "matricule",
            "oid",
            "birth_name",
            "given_names",
            "sex",
            "birth_date",
            "birthplace",
        ] {
            say!("  {k}: {}", s(k));
        }
        return;
    }
    let h = &v["header"];
    say!(
        "2D-Doc v{} {} | CA {} cert {} | issued {} signed {} | type {} perimeter {} country {}",
        h["version"],
        h["encoding"],
        h["ca_id"],
        h["cert_id"],
        h["issue_date"],
        h["signature_date"],
        h["doc_type"],
        h["perimeter"],
        h["country"]
    );
    if let Some(fields) = v["fields"].as_array() {
        for f in fields {
            let label = f["label"].as_str().unwrap_or("");
            let trunc = if f["truncated"] == true {
                " (truncated)"
            } else {
                ""
            };
            say!(
                "  {} {} = {}{}",
                f["id"].as_str().unwrap_or(""),
                label,
                f["value"].as_str().unwrap_or(""),
                trunc
            );
        }
    }
    if !v["unparsed"].is_null() {
        say!(
            "  unparsed (unknown data identifier): {}",
            v["unparsed"]["bytes"]
        );
    }
    if let Some(annex) = v["annex_unsigned"].as_array() {
        for f in annex {
            say!(
                "  annex (NOT signed) {} = {}",
                f["id"].as_str().unwrap_or(""),
                f["value"].as_str().unwrap_or("")
            );
        }
    }
    say!("  signature: {}", v["signature"].as_str().unwrap_or(""));
}

/// Runs `segur 2ddoc`.
pub fn run(args: &Args) -> ExitCode {
    let (input, cert, test_certificate, json) = match &args.command {
        Command::Parse {
            input,
            cert,
            test_certificate,
            json,
        } => (input, cert, test_certificate, json),
        Command::InsDatamatrix { identity, png } => {
            return run_ins_datamatrix(identity, png.as_deref());
        }
    };
    let store = if cert.is_empty() {
        None
    } else {
        let mut store = TrustStore::new();
        if *test_certificate {
            store.skip_validity_period_check();
        }
        for path in cert {
            let loaded = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|der| {
                    store
                        .add_certificate_der(&der)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = loaded {
                say_err!("segur 2ddoc: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        Some(store)
    };
    let raws = match payloads(input) {
        Ok(r) if !r.is_empty() => r,
        Ok(_) => {
            say_err!("segur 2ddoc: no 2D-Doc or INS Data Matrix found");
            return ExitCode::from(1);
        }
        Err(e) => {
            say_err!("segur 2ddoc: {e}");
            return ExitCode::from(2);
        }
    };
    let mut status = ExitCode::SUCCESS;
    for raw in raws {
        match describe(&raw, store.as_ref()) {
            Ok(v) => {
                if *json {
                    say!("{}", crate::terminal::json(&v.to_string()));
                } else {
                    print_text(&v);
                }
                if v["signature"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("invalid"))
                {
                    status = ExitCode::from(3);
                }
            }
            Err(e) => {
                say_err!("segur 2ddoc: {e}");
                status = ExitCode::from(2);
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use segur_ins::status::{HighTrustDocument, ProvisionalAttributes};
    use segur_ins::{Identity, Ins, OID_INS_NIR, Traits, TraitsData};

    #[test]
    fn bridge_builds_the_data_matrix_of_a_qualified_identity_only() {
        let traits = Traits::from_data(&TraitsData {
            birth_name: "D'ARTAGNAN DE L'HERAULT".into(),
            given_names: vec!["PIERRE-ALAIN".into(), "MURIEL".into()],
            sex: "M".into(),
            birth_date: "2001-06-17".into(),
            birth_place: Some("63220".into()),
            ..TraitsData::default()
        })
        .unwrap();
        let mut id = Identity::provisional(traits.clone(), ProvisionalAttributes::None);
        assert!(id.qualified().is_none());
        id.record_insi_retrieval(
            Ins::from_parts("109076322083489", OID_INS_NIR).unwrap(),
            traits,
        )
        .unwrap();
        id.record_document_check(HighTrustDocument::NationalIdCard)
            .unwrap();
        let dm = super::ins_datamatrix_of(&id.qualified().unwrap()).unwrap();
        assert_eq!(
            dm.to_payload(),
            "IS010000000000000000000000S1109076322083489S21.2.250.1.213.1.4.8\u{1d}\
             S3PIERRE-ALAIN MURIEL\u{1d}S4D'ARTAGNAN DE L'HERAULT\u{1d}S5MS617-06-2001S763220"
        );
    }
}
