//! Builders: every example builds, reads back equal to its input, and is refused when invalid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::build::examples::{TYPES, example};
use segur_dmp_cda::build::{BuildError, DocumentInput, PreviousVersion};
use segur_dmp_cda::read::CdaBody;

#[test]
fn examples_build_and_read_back() {
    for ty in TYPES {
        let input = example(ty).unwrap().unwrap();
        let xml = input.build().unwrap();
        if let Ok(dir) = std::env::var("SEGUR_CDA_OUT") {
            std::fs::write(format!("{dir}/{ty}.xml"), &xml).unwrap();
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
            }
            (
                DocumentInput::Bpm(d)
                | DocumentInput::Entretien(d)
                | DocumentInput::Consultation(d)
                | DocumentInput::PreventionPlan(d)
                | DocumentInput::ScreeningReport(d),
                CdaBody::NonXml(b),
            ) => {
                assert_eq!(b.bytes, d.pdf.bytes());
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
    let doc = segur_dmp_cda::read(second.build().unwrap().as_bytes()).unwrap();
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
