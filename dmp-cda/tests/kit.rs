//! Conformance with the official ANS kit: every builder output and `SEGUR_KIT_CASES` (default
//! 100) proptest-generated valid inputs per document type pass XSD + structuration minimale +
//! volet schematrons + the generic content-model profile (CI-SIS_ModelesDeContenusCDA) with zero
//! errors (tests/kit/validate_batch.py, same verdicts as
//! shared/tools/cda-validate). One kit error fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use segur_dmp_cda::build::examples::{TYPES, example_json};
use segur_dmp_cda::build::{DocumentInput, Header};
use segur_dmp_cda::jdv::{
    AuthorSpecialty, HealthcareFacilityType, ImmunizationActCode, ImmunizationRoute,
    ImmunizationSite, ValueSet,
};
use segur_dmp_cda::jdv::{RouteOfAdministration, ScreeningResult, SubstitutionCode};
use serde_json::{Value, json};

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// A NIR of test: sex, year, month, department, commune, order, and its key (97 - n mod 97).
fn nir() -> impl Strategy<Value = (String, String, String)> {
    (
        1u64..=2,
        0u64..=99,
        1u64..=12,
        1u64..=95,
        1u64..=999,
        1u64..=999,
    )
        .prop_filter_map("Corsica uses 2A/2B", |(s, y, m, d, c, o)| {
            if d == 20 {
                return None;
            }
            let body = format!("{s}{y:02}{m:02}{d:02}{c:03}{o:03}");
            let key = 97 - body.parse::<u64>().ok()? % 97;
            let year = if y <= 24 { 2000 + y } else { 1900 + y };
            Some((
                format!("{body}{key:02}"),
                if s == 1 { "M".into() } else { "F".into() },
                format!("{year}-{m:02}-15"),
            ))
        })
}

fn rpps() -> impl Strategy<Value = String> {
    "[0-9]{10}".prop_map(|b| {
        // Luhn check digit.
        let digits: Vec<u32> = b.bytes().map(|c| u32::from(c - b'0')).collect();
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                if i % 2 == 0 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    d
                }
            })
            .sum();
        format!("{b}{}", (10 - sum % 10) % 10)
    })
}

/// A CIP 13 (`3400` + 8 digits) and its EAN-13 check digit.
fn cip13() -> impl Strategy<Value = String> {
    "3400[0-9]{8}".prop_map(|b| {
        let sum: u32 = b
            .bytes()
            .enumerate()
            .map(|(i, c)| u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 3 })
            .sum();
        format!("{b}{}", (10 - sum % 10) % 10)
    })
}

fn name() -> impl Strategy<Value = String> {
    "[A-Z]{2,12}(-[A-Z]{2,8})?( [A-Z]{2,8})?"
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9éèàçôÉ &<>'\"/.,;:()-]{1,60}".prop_filter("not blank", |s| !s.trim().is_empty())
}

fn pick<T: ValueSet>(filter: fn(&T) -> bool) -> impl Strategy<Value = &'static str> {
    let members: Vec<&'static str> = T::all()
        .iter()
        .filter(|m| filter(m))
        .map(|m| m.code())
        .collect();
    proptest::sample::select(members)
}

fn header_strategy() -> impl Strategy<Value = Value> {
    (
        nir(),
        name(),
        proptest::collection::vec("[A-Z]{2,10}", 1..4),
        "[0-9]{5}",
        proptest::option::of(name()),
        rpps(),
        pick::<AuthorSpecialty>(|m| {
            let c = m.code();
            c.starts_with("G15_21") || c == "G15_39" || c == "G16_21"
        }),
        pick::<HealthcareFacilityType>(|m| ["SA33", "SA38", "SA39", "SA56", "SA65"].contains(&m.code())),
        prop_oneof![Just("N"), Just("R"), Just("V")],
        // After every generated birth date (the builders refuse a birth after the document).
        (2025u32..2031, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60, prop_oneof![Just("+0100"), Just("+0200"), Just("-0300")]),
        text(),
        (name(), "[A-Za-z]{2,12}", proptest::option::of(prop_oneof![Just("M"), Just("MME")])),
    )
        .prop_map(|((mat, sex, birth), family, givens, cog, used, rpps, prof, facility, conf, t, org, author)| {
            json!({
                "effectiveTime": format!("{:04}{:02}{:02}{:02}{:02}00{}", t.0, t.1, t.2, t.3, t.4, t.5),
                "confidentiality": conf,
                "patient": {
                    "identity": {
                        "traits": {
                            "birth_name": family,
                            "given_names": givens,
                            "sex": sex,
                            "birth_date": birth,
                            "birth_place": cog,
                            "used_name": used,
                            "used_given_name": null
                        },
                        "state": {"Qualifiee": {"ins": {"matricule": mat, "authority": "test-nir"}, "evidence": "Passport", "homonyme": false}}
                    }
                },
                "author": {"rpps": rpps, "family": author.0, "given": author.1, "prefix": author.2, "profession": prof},
                "organization": {"id": {"finess": "750712184"}, "name": org, "facilityType": facility, "practiceSetting": "AMBULATOIRE"}
            })
        })
}

fn vaccination_strategy() -> impl Strategy<Value = Value> {
    (
        (1990u32..2030, 1u32..=12, 1u32..=28),
        pick::<ImmunizationActCode>(|_| true),
        ("[0-9]{8}", text(), "J07[A-Z]{2}[0-9]{2}", text(), proptest::option::of(cip13()), "[A-Z0-9]{3,10}"),
        proptest::option::of(1u32..10),
        proptest::option::of(pick::<ImmunizationRoute>(|_| true)),
        proptest::option::of(pick::<ImmunizationSite>(|_| true)),
        proptest::collection::vec(("[A-Z][0-9]{2}\\.[0-9]", text()), 0..3),
        proptest::option::of(text()),
    )
        .prop_map(|(d, act, v, rank, route, site, reactions, comment)| {
            json!({
                "date": format!("{:04}{:02}{:02}", d.0, d.1, d.2),
                "act": act,
                "vaccine": {"cis": v.0, "label": v.1, "atc": v.2, "atcLabel": v.3, "cip13": v.4, "lot": v.5},
                "doseRank": rank,
                "route": route,
                "site": site,
                "reactions": reactions.into_iter().map(|(c, l)| json!({"cim10": c, "label": l})).collect::<Vec<_>>(),
                "comment": comment
            })
        })
}

fn device() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(("[0-9]{14}", "[A-Z0-9]{3,8}")),
        (text(), "[A-Z0-9]{2,8}", "[A-Z0-9]{3,8}"),
    )
        .prop_map(|(udi, dev)| {
            json!({
                "udi": udi.map(|(gtin, lot)| json!(["gs1", format!("(01){gtin}(10){lot}")])),
                "manufacturer": dev.0, "reference": dev.1, "lot": dev.2, "expiry": "31/12/2027"
            })
        })
}

fn trod_strategy() -> impl Strategy<Value = Value> {
    let other = (
        proptest::sample::select(vec![
            ("J02.0", "Pharyngite à streptocoques", "Dépistage Angine", "92894-5", "Sérologie bactérienne", "78012-2", "Streptococcus pyogenes Ag [Présence/Seuil] Gorge ; Qualitatif ; Immunoanalyse rapide"),
            ("U07.1", "COVID-19, virus identifié", "Dépistage COVID-19", "92893-7", "Sérologie virale", "94558-4", "SARS-CoV-2 Ag [Présence/Seuil] Voies respiratoires ; Qualitatif ; Immunoanalyse rapide"),
            ("J10", "Grippe, à virus de la grippe saisonnière identifié", "Dépistage Grippe A", "92893-7", "Sérologie virale", "80382-5", "Influenza virus A Ag [Présence/Seuil] Voies respiratoires ; Qualitatif ; Immunoanalyse rapide"),
        ]),
        (2020u32..2030, 1u32..=12, 1u32..=28),
        device(),
        proptest::collection::vec((pick::<ScreeningResult>(|_| true), proptest::option::of(text())), 1..3),
    )
        .prop_map(|(k, t, device, results)| {
            json!({
                "kind": "other",
                "disease": {"code": k.0, "codeSystem": "2.16.840.1.113883.6.3", "displayName": k.1},
                "label": k.2,
                "battery": {"code": k.3, "codeSystem": "2.16.840.1.113883.6.1", "displayName": k.4},
                "time": format!("{:04}{:02}{:02}101500+0100", t.0, t.1, t.2),
                "device": device,
                "results": results.into_iter().map(|(r, c)| json!({
                    "test": {"code": k.5, "codeSystem": "2.16.840.1.113883.6.1", "displayName": k.6},
                    "result": r, "comment": c
                })).collect::<Vec<_>>()
            })
        });
    let cystitis = (
        (2020u32..2030, 1u32..=12, 1u32..=28),
        device(),
        (
            pick::<ScreeningResult>(|_| true),
            proptest::option::of(text()),
        ),
        (
            pick::<ScreeningResult>(|_| true),
            proptest::option::of(text()),
        ),
    )
        .prop_map(|(t, device, leu, nit)| {
            json!({
                "kind": "cystite",
                "time": format!("{:04}{:02}{:02}111500+0100", t.0, t.1, t.2),
                "device": device,
                "leucocyturie": {"result": leu.0, "comment": leu.1},
                "nitriturie": {"result": nit.0, "comment": nit.1}
            })
        });
    // Cystite alone, or with other screenings in the same document.
    let screening = prop_oneof![other, cystitis];
    proptest::collection::vec(screening, 1..4).prop_map(Value::from)
}

fn edqm() -> impl Strategy<Value = Value> {
    // EDQM terms of the official sample (the kit ships no EDQM value set).
    proptest::sample::select(vec![
        ("10219000", "Comprimé"),
        ("50015000", "pommade pour application cutanée et nasale"),
    ])
    .prop_map(|(c, d)| json!({"code": c, "displayName": d}))
}

fn posology() -> impl Strategy<Value = Value> {
    (
        text(),
        (2024u32..2030, 1u32..=12, 1u32..=28, 0u32..60),
        (
            1u32..48,
            proptest::sample::select(vec!["h", "d", "wk", "mo"]),
        ),
        proptest::option::of((
            "[1-9][0-9]{0,2}(\\.[0-9]{1,3})?",
            proptest::option::of(0u32..5),
            proptest::sample::select(vec!["{tablet}", "mg", "mL", "g", "{sachet}"]),
        )),
        proptest::option::of(pick::<RouteOfAdministration>(|_| true)),
    )
        .prop_map(|(text, (y, m, d, len), every, dose, route)| {
            let end_day = (d + len).min(28);
            json!({
                "text": text,
                "start": format!("{y:04}{m:02}{d:02}"),
                "end": format!("{y:04}{m:02}{end_day:02}"),
                "every": {"value": every.0, "unit": every.1},
                "dose": dose.map(|(low, extra, unit)| json!({
                    "low": low.clone(),
                    // high = low + extra (integers only, to stay >= low).
                    "high": extra.map(|e| {
                        let l: f64 = low.parse().unwrap();
                        format!("{}", l.ceil() as u32 + e)
                    }),
                    "unit": unit
                })),
                "route": route
            })
        })
}

fn dispensation_strategy() -> impl Strategy<Value = Value> {
    let medicine = (
        (cip13(), text(), proptest::option::of("[A-Z0-9]{3,10}")),
        proptest::option::of((2024u32..2040, 1u32..=12, 1u32..=28)),
        // ATC first-level groups only (A B C D G H J L M N P R S V).
        proptest::option::of(("[ABCDGHJLMNPRSV][0-9]{2}[A-Z]{2}[0-9]{2}", text())),
        proptest::option::of(edqm()),
        proptest::option::of(pick::<SubstitutionCode>(|_| true)),
    )
        .prop_map(|(p, expiry, atc, form, subst)| {
            (
                json!({"medicine": {
                    "cip13": p.0, "label": p.1, "lot": p.2,
                    "expiry": expiry.map(|(y, m, d)| format!("{y:04}{m:02}{d:02}")),
                    "atc": atc,
                    "form": form
                }}),
                subst,
            )
        });
    let magistral = (
        text(),
        proptest::collection::vec(text(), 1..4),
        proptest::option::of(edqm()),
    )
        .prop_map(|(label, components, form)| {
            (
                json!({"magistral": {"label": label, "components": components, "form": form}}),
                None,
            )
        });
    let item = (
        prop_oneof![3 => medicine, 1 => magistral],
        1u32..10,
        proptest::option::of(proptest::sample::select(vec![
            ("30009000", "Boîte"),
            ("30015500", "Récipient"),
        ])),
        proptest::option::of("[0-9]{1,6}"),
        proptest::option::of(posology()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|((product, subst), quantity, unit, line, posology, instr, notes)| {
            json!({
                "product": product,
                "quantity": quantity,
                "unit": unit.map(|(c, d)| json!({"code": c, "displayName": d})),
                "prescriptionItem": line.map(|l| json!({"root": "1.2.250.1.999.1.1.2024.9", "extension": l})),
                "substitution": subst,
                "posology": posology,
                "patientInstructions": instr,
                "dispenserNotes": notes
            })
        });
    let prescriber = (
        rpps(),
        name(),
        "[A-Za-z]{2,12}",
        proptest::option::of(prop_oneof![Just("M"), Just("MME")]),
        proptest::option::of(Just("DR")),
        pick::<AuthorSpecialty>(|m| {
            let c = m.code();
            c == "G15_10" || c.starts_with("G15_10/SM") || c == "G15_40" || c == "G15_60"
        }),
        text(),
        (2020u32..2030, 1u32..=12, 1u32..=28),
    )
        .prop_map(
            |(rpps, family, given, prefix, suffix, profession, org, t)| {
                json!({
                    "person": {"rpps": rpps, "family": family, "given": given, "prefix": prefix,
                               "suffix": suffix, "profession": profession},
                    "organization": {"id": {"finess": "750712184"}, "name": org},
                    "prescribedAt": format!("{:04}{:02}{:02}093000+0100", t.0, t.1, t.2)
                })
            },
        );
    (
        (2020u32..2030, 1u32..=12, 1u32..=28, 0u32..24),
        proptest::option::of("[0-9]{1,8}"),
        proptest::option::of(prescriber),
        proptest::collection::vec(item, 1..4),
    )
        .prop_map(|(t, pres, prescriber, items)| {
            json!({
                "dispensedAt": format!("{:04}{:02}{:02}{:02}3000+0100", t.0, t.1, t.2, t.3),
                "prescription": pres.map(|p| json!({"root": "1.2.250.1.999.1.1.2024.8", "extension": p})),
                "prescriber": prescriber,
                "items": items
            })
        })
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn generate(ty: &str, n: usize, runner: &mut TestRunner) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let header = header_strategy();
    let vacc = vaccination_strategy();
    let trod = trod_strategy();
    let disp = dispensation_strategy();
    let pdf_pad = proptest::collection::vec(any::<u8>(), 0..2048);
    let title = proptest::option::of(text());
    while out.len() < n {
        let mut input = example_json(ty).unwrap();
        input["header"] = header.new_tree(runner).unwrap().current();
        if ty == "vaccination-note" {
            input["vaccination"] = vacc.new_tree(runner).unwrap().current();
            // Between the birth and the document date, as the builder requires: the document
            // date itself.
            let date = input["header"]["effectiveTime"].as_str().unwrap()[..8].to_owned();
            input["vaccination"]["date"] = json!(date);
        } else if ty == "trod" {
            input["screenings"] = trod.new_tree(runner).unwrap().current();
        } else if ty == "dispensation" {
            let d = disp.new_tree(runner).unwrap().current();
            for k in ["dispensedAt", "prescription", "prescriber", "items"] {
                input[k] = d[k].clone();
            }
        } else {
            let mut pdf = segur_dmp_cda::build::examples::MINIMAL_PDF.to_vec();
            pdf.extend(pdf_pad.new_tree(runner).unwrap().current());
            use base64::Engine as _;
            input["pdf"] = json!(base64::engine::general_purpose::STANDARD.encode(pdf));
            input["title"] = json!(title.new_tree(runner).unwrap().current());
        }
        strip_nulls(&mut input);
        // Generated traits refused by the INS normaliser are not valid inputs; anything else
        // generated must be accepted (no generated body is skipped silently).
        if serde_json::from_value::<Header>(input["header"].clone()).is_err() {
            continue;
        }
        let doc: DocumentInput = serde_json::from_value(input.clone())
            .unwrap_or_else(|e| panic!("{ty}: generated input refused: {e}\n{input:#}"));
        out.push(doc.build().unwrap());
    }
    out
}

#[test]
fn builder_outputs_pass_the_official_kit() {
    let n: usize = std::env::var("SEGUR_KIT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("segur-cda-kit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut runner = TestRunner::new(Config {
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..Config::default()
    });
    for ty in TYPES {
        // The example itself, then n generated inputs.
        let example: DocumentInput = serde_json::from_value(example_json(ty).unwrap()).unwrap();
        let mut docs = vec![example.build().unwrap()];
        docs.extend(generate(ty, n, &mut runner));
        for (i, xml) in docs.iter().enumerate() {
            let p = dir.join(format!("{ty}-{i:04}.xml"));
            std::fs::write(&p, xml).unwrap();
            files.push(p);
        }
    }
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/kit/validate_batch.py"
    ));
    // Warm-up, sequential: one document of each type, so the kit copy and every compiled
    // schematron exist before the two parallel batches start (they would otherwise race on the
    // validator's cache files).
    let firsts: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("-0000.xml"))
        .collect();
    let warm = Command::new("python3")
        .arg(&script)
        .arg("--content-models")
        .arg(shared().join("ans-kit"))
        .args(&firsts)
        .env("SEGUR_SHARED", shared())
        .output()
        .expect("python3 (scripts/install-deps installs saxonche and xmllint)");
    assert!(
        warm.status.success(),
        "kit warm-up failed:\n{}\n{}",
        String::from_utf8_lossy(&warm.stdout),
        String::from_utf8_lossy(&warm.stderr)
    );
    // Two batches in parallel (the schematron engine is single-threaded).
    let half = files.len().div_ceil(2);
    let children: Vec<_> = files
        .chunks(half)
        .map(|chunk| {
            Command::new("python3")
                .arg(&script)
                .arg("--content-models")
                .arg(shared().join("ans-kit"))
                .args(chunk)
                .env("SEGUR_SHARED", shared())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("python3 (scripts/install-deps installs saxonche and xmllint)")
        })
        .collect();
    let mut passed = 0;
    let mut report = String::new();
    let mut ok = true;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        ok &= out.status.success();
        passed += stdout.lines().filter(|l| l.starts_with("PASS")).count();
        report.push_str(
            &stdout
                .lines()
                .filter(|l| !l.starts_with("PASS"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        report.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        ok,
        "kit failures (documents kept in {}):\n{report}",
        dir.display()
    );
    assert_eq!(passed, files.len(), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The batch runner gives the same verdicts as `shared/tools/cda-validate` on a conformant
/// document, a schematron failure (no lot number) and an XSD failure (unknown element).
/// Ignored by default: cda-validate recompiles the schematrons per document (minutes); run with
/// `cargo test -p segur-dmp-cda --test kit -- --ignored`.
#[test]
#[ignore = "slow: runs the reference validator, which recompiles every schematron per document"]
fn batch_runner_agrees_with_cda_validate() {
    let dir = std::env::temp_dir().join(format!("segur-cda-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good: DocumentInput =
        serde_json::from_value(example_json("vaccination-note").unwrap()).unwrap();
    let good = good.build().unwrap();
    let no_lot = regex_free_remove(&good, "<lotNumberText>", "</lotNumberText>");
    let bad_xsd = good.replacen("<languageCode", "<unknownElement/><languageCode", 1);
    let mut files = Vec::new();
    for (name, xml) in [
        ("good.xml", &good),
        ("no-lot.xml", &no_lot),
        ("bad-xsd.xml", &bad_xsd),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, xml).unwrap();
        files.push(p);
    }
    let verdicts = |out: &std::process::Output| -> Vec<String> {
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect();
        v.sort();
        v
    };
    let batch = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/kit/validate_batch.py"
        ))
        .arg(shared().join("ans-kit"))
        .args(&files)
        .env("SEGUR_SHARED", shared())
        .output()
        .unwrap();
    let reference = Command::new("python3")
        .arg(shared().join("tools/cda-validate"))
        .arg(shared().join("ans-kit"))
        .args(&files)
        .output()
        .unwrap();
    let b = verdicts(&batch);
    assert_eq!(
        b,
        vec!["FAIL bad-xsd.xml", "FAIL no-lot.xml", "PASS good.xml"],
        "{}",
        String::from_utf8_lossy(&batch.stdout)
    );
    assert_eq!(
        b,
        verdicts(&reference),
        "{}",
        String::from_utf8_lossy(&reference.stdout)
    );
    assert!(!batch.status.success() && !reference.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

fn regex_free_remove(s: &str, open: &str, close: &str) -> String {
    let a = s.find(open).unwrap();
    let b = s[a..].find(close).unwrap() + a + close.len();
    format!("{}{}", &s[..a], &s[b..])
}

/// A replacement (TD2.1: `relatedDocument RPLC`) passes the structuration minimale, the volet
/// and the generic content models with no error and no closed-template warning: the closed
/// template CI-SISRelatedDocument allows only `id` and `versionNumber` in `parentDocument`
/// (cda-validate counts errors only, so the warning is checked here).
#[test]
fn replacements_raise_no_closed_template_warning() {
    let dir = std::env::temp_dir().join(format!("segur-cda-rplc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for ty in ["vaccination-note", "bpm"] {
        let input: DocumentInput = serde_json::from_value(example_json(ty).unwrap()).unwrap();
        let first = input.build().unwrap();
        let prev = segur_dmp_cda::read(first.as_bytes()).unwrap();
        let mut second = input.clone();
        second
            .header_mut()
            .replace(segur_dmp_cda::build::PreviousVersion::of(&prev.header).unwrap());
        let p = dir.join(format!("{ty}-rplc.xml"));
        std::fs::write(&p, second.build().unwrap()).unwrap();
        files.push(p);
    }
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/kit/failed_asserts.py"
        ))
        .arg(shared().join("ans-kit"))
        .arg(
            "profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch,\
             profils/CI-SIS_ModelesDeContenusCDA.sch,CI-SIS_VAC-NOTE_2023.01.sch",
        )
        .args(&files)
        .env("SEGUR_SHARED", shared())
        .output()
        .expect("python3 with saxonche (scripts/install-deps installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.contains("\"done\": 2")),
        "the kit did not report both documents:\n{stdout}"
    );
    let bad: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let role = v["role"].as_str().unwrap_or("");
            let text = v["text"].as_str().unwrap_or("");
            role == "error" || role == "fatal" || text.contains("is not defined")
        })
        .collect();
    assert!(
        bad.is_empty(),
        "kit findings on replacements:\n{}",
        bad.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
