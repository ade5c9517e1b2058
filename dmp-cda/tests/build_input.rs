//! Hostile and implausible builder input is refused with a typed error naming the field (and,
//! for text, the character position), never built into XML that is not well-formed and never
//! echoed: characters XML 1.0 forbids, a birth in the future or centuries ago, a matricule that
//! contradicts the identity, a CIP 13 with a wrong check digit, an ATC code that cannot exist, a
//! VAC-NOTE with an array of vaccinations. Replacements and VAC-NOTE entry authors are written
//! as the kit accepts them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_dmp_cda::build::examples::{TYPES, example, example_json};
use segur_dmp_cda::build::{BuildError, DocumentInput, INPUT_HINT, PreviousVersion};
use serde_json::{Value, json};

fn set(base: &Value, pointer: &str, value: Value) -> Value {
    let mut v = base.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let p = v.pointer_mut(parent).unwrap();
    match p {
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
        _ => p[key] = value,
    }
    v
}

fn build(v: Value) -> Result<String, BuildError> {
    serde_json::from_value::<DocumentInput>(v).unwrap().build()
}

#[test]
fn forbidden_xml_characters_are_refused_with_field_and_position() {
    // Fields of every builder that are free text (the INS traits go through segur_ins's own
    // normaliser, which refuses them before any builder).
    let cases = [
        (
            "vaccination-note",
            "/vaccination/vaccine/label",
            "vaccination.vaccine.label",
        ),
        (
            "vaccination-note",
            "/vaccination/comment",
            "vaccination.comment",
        ),
        (
            "vaccination-note",
            "/header/author/family",
            "header.author.family",
        ),
        (
            "vaccination-note",
            "/header/organization/name",
            "header.organization.name",
        ),
        (
            "trod",
            "/screenings/0/device/manufacturer",
            "screenings.0.device.manufacturer",
        ),
        (
            "dispensation",
            "/items/0/product/medicine/label",
            "items.0.product.medicine.label",
        ),
        ("bpm", "/title", "title"),
    ];
    for (ty, pointer, field) in cases {
        let base = example_json(ty).unwrap();
        for (c, code_point) in [
            ('\0', 0u32),
            ('\u{1B}', 0x1B),
            ('\u{8}', 8),
            ('\u{FFFF}', 0xFFFF),
        ] {
            let v = set(&base, pointer, json!(format!("ab{c}[31m")));
            let e = build(v).unwrap_err();
            assert_eq!(
                e,
                BuildError::ForbiddenCharacter {
                    field: field.to_owned(),
                    position: 3,
                    code_point,
                },
                "{ty} {pointer}"
            );
            // The message names the field and position, never the value.
            let text = e.to_string();
            assert!(
                text.contains(field) && text.contains("position 3"),
                "{text}"
            );
            assert!(!text.contains("[31m"), "{text}");
        }
        // TAB, LF and CR are XML characters: accepted.
        let v = set(&base, pointer, json!("a\tb\nc"));
        let xml = build(v).unwrap();
        segur_dmp_cda::read(xml.as_bytes()).unwrap();
    }
}

#[test]
fn birth_dates_after_the_document_or_implausibly_old_are_refused() {
    for ty in TYPES {
        let base = example_json(ty).unwrap();
        for birth in ["2999-01-01", "2024-03-02", "1850-06-15"] {
            let v = set(
                &base,
                "/header/patient/identity/traits/birth_date",
                json!(birth),
            );
            // The NIR encodes the birth year: use a provisional identity, so the refusal is the
            // date's own.
            let v = set(
                &v,
                "/header/patient/identity/state",
                json!({"Provisoire": {"attributes": "None"}}),
            );
            match build(v) {
                Err(BuildError::Invalid { field, .. }) => {
                    assert_eq!(
                        field, "header.patient.identity.traits.birth_date",
                        "{ty} {birth}"
                    )
                }
                other => panic!("{ty} {birth}: {other:?}"),
            }
        }
        // The document day itself and 130 years before are accepted.
        for birth in ["2024-03-01", "1894-03-01"] {
            let v = set(
                &base,
                "/header/patient/identity/traits/birth_date",
                json!(birth),
            );
            let v = set(
                &v,
                "/header/patient/identity/state",
                json!({"Provisoire": {"attributes": "None"}}),
            );
            build(v).unwrap_or_else(|e| panic!("{ty} {birth}: {e}"));
        }
    }
}

#[test]
fn vaccination_outside_the_life_of_the_patient_or_after_the_note_is_refused() {
    let base = example_json("vaccination-note").unwrap();
    for (date, why) in [("19700101", "before"), ("20240302", "after")] {
        let v = set(&base, "/vaccination/date", json!(date));
        match build(v) {
            Err(BuildError::Invalid { field, reason }) => {
                assert_eq!(field, "vaccination.date");
                assert!(reason.contains(why), "{reason}");
            }
            other => panic!("{date}: {other:?}"),
        }
    }
}

#[test]
fn a_matricule_contradicting_the_identity_is_refused() {
    // 279035121518989: a woman (2) born in March (03) 1979 (79).
    let base = example_json("vaccination-note").unwrap();
    let traits = "/header/patient/identity/traits";
    for (pointer, value, what) in [
        ("sex", json!("M"), "sex"),
        ("birth_date", json!("1978-03-28"), "birth year"),
        ("birth_date", json!("1979-04-28"), "birth month"),
    ] {
        let v = set(&base, &format!("{traits}/{pointer}"), value);
        match build(v) {
            Err(BuildError::Invalid { field, reason }) => {
                assert_eq!(field, "header.patient.identity.state.ins.matricule");
                assert!(reason.contains(what), "{reason}");
                assert!(!reason.contains("279035"), "{reason}");
            }
            other => panic!("{pointer}: {other:?}"),
        }
    }
}

#[test]
fn cip13_check_digits_and_atc_shapes_are_checked() {
    let vac = example_json("vaccination-note").unwrap();
    let disp = example_json("dispensation").unwrap();
    for (base, pointer, field) in [
        (
            &vac,
            "/vaccination/vaccine/cip13",
            "vaccination.vaccine.cip13",
        ),
        (
            &disp,
            "/items/0/product/medicine/cip13",
            "item.product.cip13",
        ),
    ] {
        for bad in [
            "3400932857242",
            "3400932857240",
            "340093285724",
            "34009328572411",
        ] {
            match build(set(base, pointer, json!(bad))) {
                Err(BuildError::Invalid { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
    for bad in [
        "E07AM01", "J7AM01", "J07A01", "J07AM1", "j07am01", "J07AM01X",
    ] {
        match build(set(&vac, "/vaccination/vaccine/atc", json!(bad))) {
            Err(BuildError::Invalid { field, .. }) => assert_eq!(field, "vaccination.vaccine.atc"),
            other => panic!("{bad}: {other:?}"),
        }
        match build(set(&disp, "/items/0/product/medicine/atc/0", json!(bad))) {
            Err(BuildError::Invalid { field, .. }) => assert_eq!(field, "item.product.atc code"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    build(set(&vac, "/vaccination/vaccine/atc", json!("J07BB02"))).unwrap();
}

#[test]
fn an_array_of_vaccinations_is_refused_with_the_field_and_a_hint() {
    let base = example_json("vaccination-note").unwrap();
    let one = base["vaccination"].clone();
    let v = set(&base, "/vaccination", json!([one.clone(), one]));
    let e = serde_json::from_value::<DocumentInput>(v.clone()).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with(INPUT_HINT), "{text}");
    assert!(
        text.contains("`vaccination`") && text.contains("one document per"),
        "{text}"
    );
    // Through the text parser too (what the CLI and the C API use).
    let e = serde_json::from_str::<DocumentInput>(&v.to_string()).unwrap_err();
    assert!(e.to_string().starts_with(INPUT_HINT), "{e}");
    // The hint carries no input value.
    assert!(!text.contains("4456672"), "{text}");
}

#[test]
fn a_replacement_has_no_parent_set_id_and_the_vac_note_entry_author_is_typed() {
    let input = example("vaccination-note").unwrap().unwrap();
    let first = input.build().unwrap();
    let prev = segur_dmp_cda::read(first.as_bytes()).unwrap();
    let mut second = input.clone();
    second
        .header_mut()
        .replace(PreviousVersion::of(&prev.header).unwrap());
    let xml = second.build().unwrap();
    let start = xml.find("<parentDocument>").unwrap();
    let end = xml.find("</parentDocument>").unwrap();
    let parent = &xml[start..end];
    // CI-SISRelatedDocument (closed): id and versionNumber only.
    assert!(
        parent.contains("<id ") && parent.contains("<versionNumber "),
        "{parent}"
    );
    assert!(!parent.contains("setId"), "{parent}");
    // The document keeps the shared setId.
    let doc = segur_dmp_cda::read(xml.as_bytes()).unwrap();
    assert_eq!(doc.header.set_id, prev.header.set_id);
    // E_vaccination (generic content models): the entry author is AUT / OP.
    let entry = &first[first.find("<substanceAdministration").unwrap()..];
    assert!(
        entry.contains("<author typeCode=\"AUT\" contextControlCode=\"OP\">"),
        "{entry}"
    );
}
