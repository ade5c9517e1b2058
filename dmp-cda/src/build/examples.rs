//! Complete example inputs, one per document type (`segur cda example <type>`). They use the
//! public test identity of the ANS kit (INS-NIR de test) and test professional identifiers.

use base64::Engine as _;
use serde_json::{Value, json};

use super::DocumentInput;

/// The document types, by their JSON `type`.
pub const TYPES: &[&str] = &[
    "vaccination-note",
    "trod",
    "dispensation",
    "bpm",
    "entretien",
    "consultation",
    "prevention-plan",
    "screening-report",
];

/// A minimal one-page PDF (for examples and tests).
pub const MINIMAL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn header() -> Value {
    json!({
        "id": {"root": "1.2.250.1.999.1.1.2024.1"},
        "setId": {"root": "1.2.250.1.999.1.1.2024.2"},
        "effectiveTime": "20240301103000+0100",
        "confidentiality": "N",
        "patient": {
            "identity": {
                "traits": {
                    "birth_name": "PAT-TROIS",
                    "given_names": ["DOMINIQUE", "MARIE-LOUISE"],
                    "first_given_name": "DOMINIQUE",
                    "sex": "F",
                    "birth_date": "1979-03-28",
                    "birth_place": "51215",
                    "used_name": null,
                    "used_given_name": null
                },
                "state": {"Qualifiee": {
                    "ins": {"matricule": "279035121518989", "authority": "test-nir"},
                    "evidence": "NationalIdCard",
                    "homonyme": false
                }}
            },
            "localId": {"root": "1.2.250.1.999.1.2", "extension": "IPP000123"}
        },
        "author": {
            "rpps": "01234567897",
            "family": "DUPONT",
            "given": "Claire",
            "prefix": "MME",
            "suffix": "DR",
            "profession": "G15_21/A"
        },
        "organization": {
            "id": {"finess": "750712184"},
            "name": "Pharmacie du Centre",
            "facilityType": "SA33",
            "practiceSetting": "AMBULATOIRE"
        }
    })
}

/// The example input of a type, as JSON.
pub fn example_json(ty: &str) -> Option<Value> {
    let mut v = match ty {
        "vaccination-note" => json!({
            "vaccination": {
                "date": "20240301",
                "act": "BOOSTER",
                "vaccine": {
                    "cis": "68747507",
                    "label": "VACCIN TETANIQUE PASTEUR, suspension injectable en seringue préremplie",
                    "atc": "J07AM01",
                    "atcLabel": "anatoxine tétanique",
                    "cip13": "3400932857241",
                    "lot": "4456672"
                },
                "doseRank": 2,
                "route": "20035000",
                "site": "16217701000119102",
                "reactions": [{"cim10": "R50.2", "label": "Fièvre due à des médicaments"}],
                "comment": "Pas de réaction immédiate après 15 minutes de surveillance"
            }
        }),
        "trod" => json!({
            "screenings": [{
                "kind": "other",
                "disease": {"code": "J02.0", "codeSystem": "2.16.840.1.113883.6.3", "displayName": "Pharyngite à streptocoques"},
                "label": "Dépistage Angine (S. pyogenes)",
                "battery": {"code": "92894-5", "codeSystem": "2.16.840.1.113883.6.1", "displayName": "Sérologie bactérienne"},
                "time": "20240301103000+0100",
                "device": {
                    "udi": ["gs1", "(01)03612345678903(17)251231(10)B987654"],
                    "manufacturer": "Bionysex",
                    "reference": "8029",
                    "lot": "B987654",
                    "expiry": "31/12/2025"
                },
                "results": [{
                    "test": {"code": "78012-2", "codeSystem": "2.16.840.1.113883.6.1",
                             "displayName": "Streptococcus pyogenes Ag [Présence/Seuil] Gorge ; Qualitatif ; Immunoanalyse rapide"},
                    "result": "260385009",
                    "comment": "Score de Mac Isaac 3"
                }]
            }, {
                "kind": "cystite",
                "time": "20240301104500+0100",
                "device": {
                    "manufacturer": "AAZ-LMB",
                    "reference": "80-202",
                    "lot": "CYST987654",
                    "expiry": "30/06/2027"
                },
                "leucocyturie": {"result": "10828004", "comment": "Brûlures mictionnelles depuis 2 jours"},
                "nitriturie": {"result": "260385009"}
            }]
        }),
        "dispensation" => json!({
            "dispensedAt": "20240301100000+0100",
            "prescription": {"root": "1.2.250.1.999.1.1.2024.9"},
            "prescriber": {
                "person": {
                    "rpps": "10003456786",
                    "family": "PIOU",
                    "given": "Romain",
                    "prefix": "M",
                    "suffix": "DR",
                    "profession": "G15_10/SM26"
                },
                "organization": {"id": {"finess": "750712184"}, "name": "Cabinet du Dr PIOU"},
                "prescribedAt": "20240228093000+0100"
            },
            "items": [{
                "product": {"medicine": {
                    "cip13": "3400933516390",
                    "label": "PARACETAMOL VIATRIS 500 mg, comprimé plaquette(s) thermoformée(s) PVC-aluminium de 16 comprimé(s)",
                    "form": {"code": "10219000", "displayName": "Comprimé"},
                    "lot": "12345",
                    "expiry": "20321231",
                    "atc": ["N02BE01", "paracetamol"]
                }},
                "quantity": 2,
                "prescriptionItem": {"root": "1.2.250.1.999.1.1.2024.9.1"},
                "substitution": "G",
                "posology": {
                    "text": "1 à 2 comprimés toutes les 6 heures pendant 3 jours",
                    "start": "20240301",
                    "end": "20240303",
                    "every": {"value": 6, "unit": "h"},
                    "dose": {"low": "1", "high": "2", "unit": "{tablet}"},
                    "route": "20053000"
                },
                "patientInstructions": "A prendre au cours d'un repas",
                "dispenserNotes": "Patient averti de ne pas prendre un autre médicament contenant du paracétamol"
            }, {
                "product": {"magistral": {
                    "label": "Préparation magistrale",
                    "components": ["30 g de diprosone", "70 g de cérat frais de Galien"],
                    "form": {"code": "50015000", "displayName": "pommade pour application cutanée et nasale"}
                }},
                "quantity": 1,
                "unit": {"code": "30015500", "displayName": "Récipient"},
                "patientInstructions": "Appliquer une fois par jour en couche mince",
                "dispenserNotes": "Préparation remise dans un flacon"
            }]
        }),
        "bpm" | "entretien" | "consultation" | "prevention-plan" | "screening-report" => json!({
            "pdf": base64::engine::general_purpose::STANDARD.encode(MINIMAL_PDF)
        }),
        _ => return None,
    };
    let obj = v.as_object_mut()?;
    obj.insert("type".into(), Value::String(ty.into()));
    obj.insert("header".into(), header());
    Some(v)
}

/// The example input of a type as pretty-printed JSON text, each object's `type` or `kind` tag
/// written first: read that way, an error inside the document is reported at its real line and
/// column (a tag after the other members makes the reader buffer the object, see
/// [`DocumentInput`]).
pub fn example_text(ty: &str) -> Option<String> {
    let v = example_json(ty)?;
    serde_json::to_string_pretty(&TagsFirst(&v)).ok()
}

/// [`example_text`] on one line (no whitespace between tokens), as the C API gives it.
pub fn example_text_compact(ty: &str) -> Option<String> {
    let v = example_json(ty)?;
    serde_json::to_string(&TagsFirst(&v)).ok()
}

/// The JSON tags of [`DocumentInput`] and of its nested enums.
const TAGS: [&str; 2] = ["type", "kind"];

/// A JSON value serialised with the tag members of every object first.
struct TagsFirst<'a>(&'a Value);

impl serde::Serialize for TagsFirst<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut out = s.serialize_map(Some(map.len()))?;
                let tags = map.iter().filter(|(k, _)| TAGS.contains(&k.as_str()));
                let others = map.iter().filter(|(k, _)| !TAGS.contains(&k.as_str()));
                for (k, v) in tags.chain(others) {
                    out.serialize_entry(k, &TagsFirst(v))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    out.serialize_element(&TagsFirst(v))?;
                }
                out.end()
            }
            other => other.serialize(s),
        }
    }
}

/// The example input of a type.
pub fn example(ty: &str) -> Option<Result<DocumentInput, serde_json::Error>> {
    example_json(ty).map(serde_json::from_value)
}
