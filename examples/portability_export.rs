//! A portability export written from generated patient lots, then read back and checked: the
//! format API of `segur_dmp_cda::portability` a store (or a vendor's own database) calls.
//! Lots are produced one at a time by an iterator, as a store would read them, so the export
//! is written to its file without ever being held whole.
//!
//! Run: `cargo run -p segur-examples --example portability_export -- [OUT.ZIP] [LOTS]`
//! (default: `segur-portability.zip` in the temporary folder, 3 lots).

use std::io::BufWriter;

use segur_dmp_cda::build::{DocumentInput, examples};
use segur_dmp_cda::portability::{
    self, Contact, DocumentOrigin, EditeurSortant, ExportInfo, ExportType, LotDocument, LotPatient,
    PatientLot, PortabilityLimits,
};
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, XdsPatientId};
use segur_ins::IdentityStatus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("segur-portability.zip"));
    let lots: u32 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(3);

    // One VAC-NOTE from the builder's example input (a qualified test identity).
    let input: DocumentInput = serde_json::from_value(
        examples::example_json("vaccination-note").ok_or("no VAC-NOTE example input")?,
    )?;
    let cda = input.build()?.into_bytes();
    let header = segur_dmp_cda::read_header(&cda, &Default::default())?;
    let entry = DocumentEntry::derive(&header, &cda, None, &DeriveOptions::default())?;
    let ins = entry.patient_id.clone().ok_or("no patientId")?;

    let info = ExportInfo {
        requester: "Pharmacie (demande du titulaire)".into(),
        perimeter: "documents Ségur de l'officine: notes de vaccination".into(),
        ..ExportInfo::new(
            ExportType::Massif,
            EditeurSortant {
                denomination_eg: "Éditeur LGO exemple".into(),
                num_siret: "73282932000074".into(),
                contact: Contact {
                    nom: "Contact portabilité".into(),
                    email: "portabilite@example.org".into(),
                    telephone: "+33100000000".into(),
                },
            },
            "segur example LGO",
            "1.2.250.1.999.1",
        )
    };

    // The lot source: patient 1 has the CDA's qualified INS, the others a local id only
    // (provisional identities: their lot carries the local identifier and its status).
    let source = (1..=lots).map(|n| {
        let qualified = n == 1;
        let mut e = entry.clone();
        e.entry_uuid = segur_dmp_cda::xds::new_entry_uuid();
        Ok::<_, std::io::Error>(PatientLot {
            patient: LotPatient {
                local_id: XdsPatientId::new("1.2.250.1.999.1.2", &format!("IPP{n:06}")),
                ins: qualified.then(|| ins.clone()),
                status: if qualified {
                    IdentityStatus::Qualifiee
                } else {
                    IdentityStatus::Provisoire
                },
            },
            documents: vec![LotDocument {
                bytes: cda.clone(),
                entry: e,
                origin: DocumentOrigin::Produced,
            }],
        })
    });

    let file = BufWriter::new(std::fs::File::create(&out)?);
    let (file, manifest) = portability::export(file, info, source)?;
    drop(file);
    let size = std::fs::metadata(&out)?.len();
    println!(
        "{}: {size} bytes, export {}, {} patient lot(s)",
        out.display(),
        manifest.export_id,
        manifest.patient_archive_count()
    );

    // Read back: every lot's size and SHA-256 against MANIFEST.XML, every lot through the
    // XDM reader, every document's SHA-1 and size against its METADATA.XML.
    let read = portability::read(std::fs::File::open(&out)?, &PortabilityLimits::default())?;
    for lot in &read.lots {
        let status = lot.patient.as_ref().map_or("-", |p| p.status.code());
        let ins = lot.patient_id.as_ref().is_some_and(XdsPatientId::is_ins);
        println!(
            "{}: {} document(s), identity {status}, patientId {}",
            lot.archive_id,
            lot.documents.len(),
            if ins { "INS" } else { "local" }
        );
    }
    println!("not placed: {}", read.unplaced.len());
    Ok(())
}
