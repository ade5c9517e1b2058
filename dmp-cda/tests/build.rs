//! Builders: every example builds, reads back equal to its input, and is refused when invalid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::build::examples::{TYPES, example};
use segur_dmp_cda::build::{BuildError, DocumentInput, PreviousVersion, Product};
use segur_dmp_cda::read::CdaBody;

#[test]
fn examples_build_and_read_back() {
    for ty in TYPES {
        let input = example(ty).unwrap().unwrap();
        let xml = input.build().unwrap();
        if let Ok(dir) = std::env::var("SEGUR_CDA_OUT") {
            std::fs::write(format!("{dir}/{ty}.xml"), &xml).unwrap();
            let json = serde_json::to_string_pretty(&input).unwrap();
            std::fs::write(format!("{dir}/{ty}.json"), json).unwrap();
        }
        let doc = segur_dmp_cda::read(xml.as_bytes()).unwrap();
        let h = &doc.header;
        let ih = input.header();
        assert_eq!(Some(&h.id), ih.id.as_ref());
        assert_eq!(h.set_id.as_ref(), ih.set_id.as_ref());
        assert_eq!(h.version_number, Some(1));
        assert_eq!(
            h.effective_time.as_deref(),
            Some(ih.effective_time.as_str())
        );
        let ins = h.patient.ins_ids().next().unwrap();
        assert_eq!(ins.root, "1.2.250.1.213.1.4.10");
        assert_eq!(ins.extension.expose(), "279035121518989");
        let traits = ih.patient.identity.traits();
        assert_eq!(
            h.patient.birth_name.as_ref().unwrap().expose(),
            traits.birth_name().expose()
        );
        assert_eq!(
            h.patient.given_names.as_ref().unwrap().expose(),
            traits.given_names().expose()
        );
        assert_eq!(h.patient.birthplace_cog.as_ref().unwrap().expose(), "51215");
        assert_eq!(
            h.authors[0].id.as_ref().unwrap().extension.as_deref(),
            Some("801234567897")
        );
        assert_eq!(h.authors[0].code.as_ref().unwrap().code, "G15_21/A");
        assert_eq!(
            h.legal_authenticator
                .as_ref()
                .unwrap()
                .signature_code
                .as_deref(),
            Some("S")
        );
        assert_eq!(
            h.encounter
                .as_ref()
                .unwrap()
                .facility_type
                .as_ref()
                .unwrap()
                .code,
            "SA33"
        );
        let practice = if *ty == "trod" {
            "DEPISTAGE"
        } else {
            "AMBULATOIRE"
        };
        assert_eq!(
            h.service_events[0].practice_setting.as_ref().unwrap().code,
            practice
        );
        match (&input, &doc.body) {
            (DocumentInput::VaccinationNote(_), CdaBody::Structured { sections }) => {
                assert_eq!(sections.len(), 1);
                assert_eq!(sections[0].entries, 1);
                assert!(sections[0].text.expose().contains("4456672"));
            }
            (DocumentInput::Trod(t), CdaBody::Structured { sections }) => {
                assert_eq!(sections.len(), t.screenings.len());
                assert_eq!(h.service_events.len(), t.screenings.len());
                assert_eq!(h.service_events[0].code.as_ref().unwrap().code, "J02.0");
                assert!(sections[0].text.expose().contains("négatif"));
                // The cystite screening: N30, Biochimie, both strip tests with their results.
                assert_eq!(h.service_events[1].code.as_ref().unwrap().code, "N30");
                assert_eq!(sections[1].code.as_ref().unwrap().code, "18719-5");
                let text = sections[1].text.expose();
                assert!(text.contains("Leucocyte estérase"));
                assert!(text.contains("Nitrites"));
                assert!(text.contains("positif") && text.contains("négatif"));
            }
            (DocumentInput::Dispensation(d), CdaBody::Structured { sections }) => {
                assert_eq!(sections.len(), 1);
                let s = &sections[0];
                assert_eq!(s.code.as_ref().unwrap().code, "60590-7");
                assert_eq!(s.entries, d.items.len());
                for it in &d.items {
                    let label = match &it.product {
                        Product::Medicine(p) => &p.label,
                        Product::Magistral(m) => &m.label,
                    };
                    assert!(s.text.expose().contains(label.as_str()));
                }
                let text = s.text.expose();
                assert!(text.contains("2 boîtes"));
                assert!(text.contains("1 × Récipient"));
                assert!(text.contains("70 g de cérat frais de Galien"));
                assert!(text.contains("du 01/03/2024 au 03/03/2024"));
                assert!(text.contains("toutes les 6 heures"));
                assert!(text.contains("1 à 2 {tablet}"));
                assert!(text.contains("Voie orale"));
                assert!(text.contains("1 à 2 comprimés toutes les 6 heures pendant 3 jours"));
                let p = d.prescriber.as_ref().unwrap();
                assert_eq!(p.person.family, "PIOU");
                assert!(s.text.expose().contains("31/12/2032"));
                assert!(s.text.expose().contains("Substitution autorisée"));
                assert_eq!(h.type_code.code, "60593-1");
                assert_eq!(h.service_events[0].code.as_ref().unwrap().code, "60593-1");
                assert!(
                    h.template_ids
                        .iter()
                        .any(|t| t.root == "1.2.250.1.213.1.1.1.54"
                            && t.extension.as_deref() == Some("2024.01"))
                );
            }
            (
                DocumentInput::Bpm(d)
                | DocumentInput::Entretien(d)
                | DocumentInput::Consultation(d)
                | DocumentInput::PreventionPlan(d)
                | DocumentInput::ScreeningReport(d),
                CdaBody::NonXml(b),
            ) => {
                assert_eq!(b.decode().unwrap(), d.pdf.bytes());
                assert_eq!(b.size(), d.pdf.bytes().len());
                assert_eq!(b.media_type, "application/pdf");
                assert_eq!(h.template_ids.len(), 3);
            }
            _ => panic!("{ty}: unexpected body"),
        }
        // JSON round trip of the input.
        let json = serde_json::to_string(&input).unwrap();
        let back: DocumentInput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, input);
    }
}

#[test]
fn replace_produces_rplc_and_new_version() {
    let input = example("vaccination-note").unwrap().unwrap();
    let first = input.build().unwrap();
    let prev = segur_dmp_cda::read(first.as_bytes()).unwrap();
    let mut second = input.clone();
    second
        .header_mut()
        .replace(PreviousVersion::of(&prev.header).unwrap());
    let second_xml = second.build().unwrap();
    let doc = segur_dmp_cda::read(second_xml.as_bytes()).unwrap();
    assert_eq!(doc.header.version_number, Some(2));
    assert_eq!(doc.header.set_id, prev.header.set_id);
    assert_ne!(doc.header.id, prev.header.id);
    let r = &doc.header.related_documents[0];
    assert_eq!(r.type_code, "RPLC");
    assert_eq!(r.parent_id.as_ref(), Some(&prev.header.id));
    assert_eq!(r.parent_version, Some(1));
}

#[test]
fn invalid_inputs_are_refused() {
    let base = segur_dmp_cda::build::examples::example_json("vaccination-note").unwrap();
    let mutate = |path: &[&str], v: serde_json::Value| {
        let mut j = base.clone();
        let mut cur = &mut j;
        for p in &path[..path.len() - 1] {
            cur = cur.get_mut(*p).unwrap();
        }
        cur[path[path.len() - 1]] = v;
        j
    };
    // Value-set members only.
    for (path, v) in [
        (&["vaccination", "route"][..], serde_json::json!("99999")),
        (&["vaccination", "act"][..], serde_json::json!("OTHER")),
        (
            &["header", "author", "profession"][..],
            serde_json::json!("G15_99"),
        ),
        (&["header", "confidentiality"][..], serde_json::json!("Z")),
        (
            &["vaccination", "date"][..],
            serde_json::json!("2024-03-01"),
        ),
        (
            &["header", "effectiveTime"][..],
            serde_json::json!("20240301"),
        ),
        (
            &["header", "author", "rpps"][..],
            serde_json::json!("10001234567"),
        ),
    ] {
        let r: Result<DocumentInput, _> = serde_json::from_value(mutate(path, v));
        assert!(r.is_err(), "{path:?} accepted");
    }
    // Empty lot, bad CIS.
    let j = mutate(&["vaccination", "vaccine", "lot"], serde_json::json!(" "));
    let d: DocumentInput = serde_json::from_value(j).unwrap();
    assert_eq!(
        d.build(),
        Err(BuildError::Missing("vaccination.vaccine.lot"))
    );
    let j = mutate(&["vaccination", "vaccine", "cis"], serde_json::json!("123"));
    let d: DocumentInput = serde_json::from_value(j).unwrap();
    assert!(matches!(d.build(), Err(BuildError::Invalid { .. })));
    // A non-qualified identity carries no INS; without a local id there is no patient id.
    let mut j = base.clone();
    j["header"]["patient"]["identity"]["state"] =
        serde_json::json!({"Provisoire": {"attributes": "None"}});
    let d: DocumentInput = serde_json::from_value(j.clone()).unwrap();
    let xml = d.build().unwrap();
    assert!(
        !xml.contains("279035121518989"),
        "matricule of a non-qualified identity written"
    );
    j["header"]["patient"]
        .as_object_mut()
        .unwrap()
        .remove("localId");
    let d: DocumentInput = serde_json::from_value(j).unwrap();
    assert!(matches!(d.build(), Err(BuildError::Missing(_))));
    // An INS root cannot be smuggled in as a local id.
    let j = mutate(
        &["header", "patient", "localId"],
        serde_json::json!({"root": "1.2.250.1.213.1.4.8", "extension": "1"}),
    );
    let d: DocumentInput = serde_json::from_value(j).unwrap();
    assert!(matches!(d.build(), Err(BuildError::Invalid { .. })));
}

#[test]
fn invalid_dispensations_are_refused() {
    let base = segur_dmp_cda::build::examples::example_json("dispensation").unwrap();
    for (path, value, field) in [
        ("/items/0/quantity", serde_json::json!(0), "item.quantity"),
        (
            "/items/0/product/medicine/cip13",
            serde_json::json!("340093351639"),
            "item.product.cip13",
        ),
        (
            "/items/1/substitution",
            serde_json::json!("G"),
            "item.substitution",
        ),
        (
            "/items/0/posology/end",
            serde_json::json!("20240229"),
            "posology.end",
        ),
        (
            "/items/0/product/medicine/expiry",
            serde_json::json!("20321331"),
            "item.product.expiry",
        ),
    ] {
        let input: DocumentInput = serde_json::from_value(set(&base, path, value)).unwrap();
        match input.build() {
            Err(BuildError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{path}: {other:?}"),
        }
    }
    // Missing parts.
    for (path, value, missing) in [
        (
            "/items/1/product/magistral/components",
            serde_json::json!([]),
            "item.product.magistral.components (1..*)",
        ),
        (
            "/items/1/product/magistral/components",
            serde_json::json!(["30 g de diprosone", " "]),
            "item.product.magistral.component",
        ),
        (
            "/items/0/posology/text",
            serde_json::json!(""),
            "posology.text",
        ),
        (
            "/prescriber/organization/name",
            serde_json::json!(" "),
            "prescriber.organization.name",
        ),
    ] {
        let input: DocumentInput = serde_json::from_value(set(&base, path, value)).unwrap();
        assert_eq!(input.build(), Err(BuildError::Missing(missing)), "{path}");
    }
    // Refused when read: EDQM codes of 8 digits with a label, one product kind per line, a
    // route from JDV_RouteofAdministration-CISIS, a J01 prescriber profession, positive doses.
    for (path, value) in [
        (
            "/items/0/product/medicine/form",
            serde_json::json!({"code": "1021900", "displayName": "Comprimé"}),
        ),
        (
            "/items/1/unit",
            serde_json::json!({"code": "30015500", "displayName": ""}),
        ),
        (
            "/items/1/unit",
            serde_json::json!({"code": "30015500", "displayName": "Récipient", "x": 1}),
        ),
        (
            "/items/0/product",
            serde_json::json!({"medicine": {"cip13": "3400933516390", "label": "X"},
                               "magistral": {"label": "X", "components": ["Y"]}}),
        ),
        ("/items/0/posology/route", serde_json::json!("99999999")),
        (
            "/items/0/posology/dose",
            serde_json::json!({"low": "0", "unit": "mg"}),
        ),
        ("/prescriber/person/profession", serde_json::json!("G15_99")),
        ("/items/0/boxes", serde_json::json!(2)),
    ] {
        assert!(
            serde_json::from_value::<DocumentInput>(set(&base, path, value)).is_err(),
            "{path} accepted"
        );
    }
    let mut v = base.clone();
    v["items"] = serde_json::json!([]);
    let input: DocumentInput = serde_json::from_value(v).unwrap();
    assert_eq!(input.build(), Err(BuildError::Missing("items (1..*)")));
    let mut v = base;
    v["items"][0]["substitution"] = serde_json::json!("X");
    assert!(serde_json::from_value::<DocumentInput>(v).is_err());
}

/// `base` with the JSON pointer `path` set to `value` (the parent must exist).
fn set(base: &serde_json::Value, path: &str, value: serde_json::Value) -> serde_json::Value {
    let mut v = base.clone();
    let (parent, key) = path.rsplit_once('/').unwrap();
    let p = v.pointer_mut(parent).unwrap();
    match p {
        serde_json::Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
        _ => p[key] = value,
    }
    v
}

#[test]
fn trod_screenings_are_typed_by_disease() {
    let base = segur_dmp_cda::build::examples::example_json("trod").unwrap();
    // The cystite screening writes N30, the two strip tests and their results.
    let input: DocumentInput = serde_json::from_value(base.clone()).unwrap();
    let xml = input.build().unwrap();
    for part in [
        "code=\"N30\" displayName=\"Cystite\"",
        "code=\"5799-2\"",
        "code=\"5802-4\"",
        "code=\"18729-4\"",
        "Dépistage Angine (S. pyogenes), Dépistage Cystite",
    ] {
        assert!(xml.contains(part), "{part}");
    }
    // An angine (other) screening cannot carry a cystite strip test, nor any test the kit binds
    // to its own value set; the cystite disease is screened with kind "cystite" only.
    for (path, value, field) in [
        (
            "/screenings/0/results/0/test/code",
            serde_json::json!("5799-2"),
            "result.test",
        ),
        (
            "/screenings/0/results/0/test/code",
            serde_json::json!("5802-4"),
            "result.test",
        ),
        (
            "/screenings/0/results/0/test/code",
            serde_json::json!("41653-7"),
            "result.test",
        ),
        (
            "/screenings/0/disease/code",
            serde_json::json!("N30"),
            "screening.disease",
        ),
        (
            "/screenings/0/disease/code",
            serde_json::json!("N30.0"),
            "screening.disease",
        ),
    ] {
        let input: DocumentInput = serde_json::from_value(set(&base, path, value)).unwrap();
        match input.build() {
            Err(BuildError::Invalid { field: f, .. }) => assert_eq!(f, field, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
    // A cystite screening cannot carry an angine result or test, nor a graded strip value
    // (JDV_ResultatDepistageLeucocyturie: bound to another serviceEvent by the kit).
    for (path, value) in [
        (
            "/screenings/1/results",
            serde_json::json!([{"test": {"code": "78012-2", "codeSystem": "2.16.840.1.113883.6.1"}, "result": "10828004"}]),
        ),
        (
            "/screenings/1/disease",
            serde_json::json!({"code": "J02.0", "codeSystem": "2.16.840.1.113883.6.3"}),
        ),
        (
            "/screenings/1/leucocyturie/result",
            serde_json::json!("441614007"),
        ),
        (
            "/screenings/1/nitriturie/result",
            serde_json::json!("260405006"),
        ),
        ("/screenings/1/kind", serde_json::json!("angine")),
    ] {
        assert!(
            serde_json::from_value::<DocumentInput>(set(&base, path, value)).is_err(),
            "{path} accepted"
        );
    }
    let mut v = base.clone();
    v["screenings"][1]
        .as_object_mut()
        .unwrap()
        .remove("nitriturie");
    assert!(serde_json::from_value::<DocumentInput>(v).is_err());
    let input: DocumentInput = serde_json::from_value(set(
        &base,
        "/screenings/1/leucocyturie/comment",
        serde_json::json!(" "),
    ))
    .unwrap();
    assert_eq!(
        input.build(),
        Err(BuildError::Missing("leucocyturie.comment"))
    );
}

/// Dates the calendar does not have are refused by every date type of the builders (they used to
/// pass a 1..=31 day check), and so are non-ASCII characters where digits go.
#[test]
fn impossible_and_non_ascii_dates_are_refused() {
    use segur_dmp_cda::build::header::Timestamp;
    use segur_dmp_cda::build::{Date, VaccinationDate};
    for bad in [
        "20230229",
        "20240230",
        "20240431",
        "20241301",
        "2024010é",
        "20240100",
    ] {
        assert!(Date::parse(bad).is_err(), "Date {bad:?}");
        assert!(
            VaccinationDate::parse(bad).is_err(),
            "VaccinationDate {bad:?}"
        );
    }
    for good in ["20240229", "20000229", "20241231"] {
        assert!(Date::parse(good).is_ok(), "Date {good:?}");
        assert!(
            VaccinationDate::parse(good).is_ok(),
            "VaccinationDate {good:?}"
        );
    }
    for bad in [
        "20230229120000+0100",
        "2024010112000é+0100",
        "20240101120000+01é",
        "20240101120000é0100",
    ] {
        assert!(Timestamp::parse(bad).is_err(), "Timestamp {bad:?}");
    }
    assert!(Timestamp::parse("20240229120000+0100").is_ok());
}
