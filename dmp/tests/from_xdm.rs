//! From MSSanté to the DMP: an IHE_XDM.ZIP packed by `segur_dmp_cda::xdm` (as `segur xdm pack`
//! does) from a VAC-NOTE of the simulator's test patient, read back, listed, its CDA fed to the
//! DMP simulator with the sender's metadata, found and retrieved byte for byte; and the
//! packages that must be refused before anything is sent: metadata patient other than the
//! CDA's, hash mismatch, size missing, uniqueId / typeCode / author disagreeing, identity that
//! is not a qualified INS (INS-C, local identifier), PDF alone, path traversal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Cursor, Write};

use segur_dmp::DmpError;
use segur_dmp::client::DmpClient;
use segur_dmp::config::DmpConfig;
use segur_dmp::from_xdm::{self, DocumentKind, ReceivedXdm, Selection, XdmFeedError};
use segur_dmp::simulator::{EntryStatus, Simulator, SimulatorOptions};
use segur_dmp::td31::{FindDocuments, StatusFilter};
use segur_dmp_cda::build::{DocumentInput, PreviousVersion, examples};
use segur_dmp_cda::ebrim;
use segur_dmp_cda::read::ReadLimits;
use segur_dmp_cda::xdm::{PackOptions, XdmError, XdmLimits, XdmSender, XdmWriter, pack_cda};
use segur_dmp_cda::xds::{
    DeriveOptions, DocumentEntry, PatientIdPolicy, Submission, SubmissionSet, XdsPatientId,
    sha1_hex,
};
use zip::write::SimpleFileOptions;

/// The matricule of the builder's example identity (INS-NIR de test, OID `.10`).
const MATRICULE: &str = "279035121518989";
/// Another valid matricule (key 25).
const OTHER_MATRICULE: &str = "185027512345625";
const OID_TEST_NIR: &str = "1.2.250.1.213.1.4.10";

fn vac_note_input() -> DocumentInput {
    serde_json::from_value(examples::example_json("vaccination-note").unwrap()).unwrap()
}

fn pack_options() -> PackOptions {
    PackOptions {
        source_id: "1.2.250.1.999.1.2.3".into(),
        sender: XdmSender {
            name: "Centre de vaccination".into(),
            organization: "Centre (FINESS 750000001)".into(),
            application: "LGO".into(),
            version: "1.0".into(),
            vendor: "Vendor".into(),
            contact: "centre@test.mssante.fr".into(),
        },
        ..PackOptions::default()
    }
}

fn entry_of(cda: &[u8], policy: PatientIdPolicy) -> DocumentEntry {
    let header = segur_dmp_cda::read_header(cda, &ReadLimits::default()).unwrap();
    DocumentEntry::derive(
        &header,
        cda,
        None,
        &DeriveOptions {
            patient_id: policy,
            ..DeriveOptions::default()
        },
    )
    .unwrap()
}

/// An XDM of `cda` described by `entry` (hash, size and URI set by the writer), with the
/// submission set's patient `set_patient` (the entry's when `None`).
fn xdm_with(cda: &[u8], entry: DocumentEntry, set_patient: Option<XdsPatientId>) -> Vec<u8> {
    let mut set = SubmissionSet::for_entry(&entry, "1.2.250.1.999.1.2.3", None);
    if let Some(p) = set_patient {
        set.patient_id = Some(p);
    }
    let mut w = XdmWriter::new(set, pack_options().sender);
    w.add(cda.to_vec(), entry, "XML");
    w.pack().unwrap()
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zw.start_file(*name, SimpleFileOptions::default()).unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

/// An XDM whose METADATA.XML is written from `entry` as given (no hash or size fixed up).
fn xdm_raw(cda: &[u8], mut entry: DocumentEntry) -> Vec<u8> {
    entry.uri = Some("DOC0001.XML".into());
    let set = SubmissionSet::for_entry(&entry, "1.2.250.1.999.1.2.3", None);
    let metadata = ebrim::write(&Submission::new(set, vec![entry]));
    zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", cda),
    ])
}

fn read(zip: &[u8]) -> Result<ReceivedXdm, XdmFeedError> {
    ReceivedXdm::read(zip, &XdmLimits::default())
}

struct Env {
    sim: Simulator,
    _dir: tempfile::TempDir,
    client: DmpClient,
}

fn start() -> Env {
    let sim = Simulator::start(SimulatorOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = DmpConfig::load(&sim.write_config(dir.path()).unwrap()).unwrap();
    let client = DmpClient::from_config(&config).unwrap();
    Env {
        sim,
        _dir: dir,
        client,
    }
}

/// Feeding `zip`'s document 0 is refused before anything is sent, and the refusal names no
/// patient data.
fn refused(env: &Env, zip: &[u8]) -> XdmFeedError {
    let xdm = read(zip).unwrap();
    let listed = xdm.documents();
    assert!(!listed[0].feedable, "{listed:?}");
    let err = match from_xdm::feed(&env.client, &xdm, &Selection::Documents(vec![0])) {
        Err(DmpError::Xdm(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(MATRICULE), "{text}");
        assert!(!text.contains(OTHER_MATRICULE), "{text}");
    }
    assert_eq!(listed[0].refusal.as_deref(), Some(err.to_string().as_str()));
    err
}

#[test]
fn a_received_vac_note_is_fed_found_and_read_back_identical() {
    let env = start();
    let cda = vac_note_input().build().unwrap();
    let pdf = b"%PDF-1.4\n% rendering of the note\n%%EOF\n";
    let (zip, submission) = pack_cda(cda.as_bytes(), Some(pdf), &pack_options()).unwrap();
    let xdm = read(&zip).unwrap();

    // The list the pharmacist chooses from.
    let listed = xdm.documents();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].kind, DocumentKind::Cda);
    assert!(listed[0].feedable, "{listed:?}");
    assert_eq!(listed[0].type_code.as_deref(), Some("87273-9"));
    assert_eq!(listed[0].size, cda.len());
    assert_eq!(listed[1].kind, DocumentKind::NotCda);
    assert!(!listed[1].feedable);
    assert!(
        listed[1]
            .refusal
            .as_deref()
            .unwrap()
            .contains("mimeType application/pdf"),
        "{listed:?}"
    );
    let json = serde_json::to_string(&listed).unwrap();
    assert!(!json.contains(MATRICULE), "{json}");

    // The PDF alone cannot be chosen.
    assert!(matches!(
        from_xdm::feed(&env.client, &xdm, &Selection::Documents(vec![1])),
        Err(DmpError::Xdm(XdmFeedError::NotCda { index: 1, .. }))
    ));
    assert!(matches!(
        from_xdm::feed(&env.client, &xdm, &Selection::Documents(vec![7])),
        Err(DmpError::Xdm(XdmFeedError::NoSuchDocument {
            index: 7,
            count: 2
        }))
    ));

    // --all: the CDA is fed, the PDF reported.
    let fed = from_xdm::feed(&env.client, &xdm, &Selection::All).unwrap();
    assert_eq!(fed.len(), 2, "{fed:?}");
    assert_eq!((fed[0].index, fed[0].outcome), (0, "fed"), "{fed:?}");
    assert_eq!((fed[1].index, fed[1].outcome), (1, "not_cda"));
    assert_eq!(fed[1].path, "IHE_XDM/SUBSET01/DOC0002.PDF");
    let unique_id = fed[0].unique_id.clone().unwrap();
    assert_eq!(unique_id, submission.documents[0].unique_id);
    assert_eq!(
        env.sim.entry_status(&unique_id),
        Some(EntryStatus::Approved)
    );

    // Found with the sender's metadata, and read back byte for byte.
    let checked = xdm.prepare(0).unwrap();
    let patient = *checked.document.patient();
    assert_eq!(patient.ins().matricule().expose(), MATRICULE);
    let found = env
        .client
        .find(
            &patient,
            &FindDocuments {
                status: StatusFilter::All,
                ..FindDocuments::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let sent = &submission.documents[0];
    assert_eq!(found[0].unique_id, unique_id);
    assert_eq!(
        found[0].hash.as_deref(),
        Some(sha1_hex(cda.as_bytes()).as_str())
    );
    assert_eq!(found[0].size, Some(cda.len() as u64));
    assert_eq!(
        found[0].class_code.as_deref(),
        sent.class_code.as_ref().map(|c| c.code.as_str())
    );
    assert_eq!(
        found[0].format_code.as_deref(),
        sent.format_code.as_ref().map(|c| c.code.as_str())
    );
    assert_ne!(found[0].entry_uuid, sent.entry_uuid, "a new entryUUID");
    let got = env.client.retrieve(&patient, &unique_id).unwrap();
    assert_eq!(got.bytes, cda.as_bytes());

    // Fed twice: the DMP refuses the duplicate uniqueId, reported per document.
    let again = from_xdm::feed(&env.client, &xdm, &Selection::Documents(vec![0, 0])).unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].outcome, "failed");
    assert!(again[0].refused_by_dmp, "{again:?}");

    // A received replacement (RPLC) replaces its parent in the DMP.
    let header = segur_dmp_cda::read_header(cda.as_bytes(), &ReadLimits::default()).unwrap();
    let mut input = vac_note_input();
    input
        .header_mut()
        .replace(PreviousVersion::of(&header).unwrap());
    let cda2 = input.build().unwrap();
    let (zip2, _) = pack_cda(cda2.as_bytes(), None, &pack_options()).unwrap();
    let fed2 = from_xdm::feed(&env.client, &read(&zip2).unwrap(), &Selection::All).unwrap();
    assert_eq!(fed2[0].outcome, "fed", "{fed2:?}");
    assert_eq!(fed2[0].replaces.as_deref(), Some(unique_id.as_str()));
    assert_eq!(
        env.sim.entry_status(&unique_id),
        Some(EntryStatus::Deprecated)
    );
    assert_eq!(
        env.sim.entry_status(fed2[0].unique_id.as_deref().unwrap()),
        Some(EntryStatus::Approved)
    );
}

#[test]
fn packages_that_disagree_with_their_cda_are_refused_before_sending() {
    let env = start();
    let cda = vac_note_input().build().unwrap();
    let cda = cda.as_bytes();
    let good = entry_of(cda, PatientIdPolicy::RequireIns);
    let other_patient = XdsPatientId::new(OID_TEST_NIR, OTHER_MATRICULE);

    // The metadata patient (entry and submission set) is another INS than the CDA's.
    let mut e = good.clone();
    e.patient_id = Some(other_patient.clone());
    assert!(matches!(
        refused(&env, &xdm_with(cda, e, None)),
        XdmFeedError::Mismatch {
            index: 0,
            field: "patientId"
        }
    ));
    // Only the submission set names another patient.
    assert!(matches!(
        refused(&env, &xdm_with(cda, good.clone(), Some(other_patient))),
        XdmFeedError::Mismatch {
            field: "SubmissionSet patientId",
            ..
        }
    ));
    // uniqueId, typeCode, author, creationTime.
    let mut e = good.clone();
    e.unique_id = "1.2.250.1.999.9.9^1".into();
    assert!(matches!(
        refused(&env, &xdm_with(cda, e, None)),
        XdmFeedError::Mismatch {
            field: "uniqueId",
            ..
        }
    ));
    let mut e = good.clone();
    e.type_code.as_mut().unwrap().code = "11488-4".into();
    assert!(matches!(
        refused(&env, &xdm_with(cda, e, None)),
        XdmFeedError::Mismatch {
            field: "typeCode",
            ..
        }
    ));
    let mut e = good.clone();
    let person = e.authors[0].person.clone().unwrap();
    e.authors[0].person = Some(format!(
        "899999999999^{}",
        person.split_once('^').unwrap().1
    ));
    assert!(matches!(
        refused(&env, &xdm_with(cda, e, None)),
        XdmFeedError::Mismatch {
            field: "authorPerson",
            ..
        }
    ));
    let mut e = good.clone();
    e.creation_time = Some("19990101000000".into());
    assert!(matches!(
        refused(&env, &xdm_with(cda, e, None)),
        XdmFeedError::Mismatch {
            field: "creationTime",
            ..
        }
    ));

    // Hash mismatch: the whole package is refused when read.
    let mut e = good.clone();
    e.hash = Some(sha1_hex(b"another document"));
    e.size = Some(cda.len() as u64);
    assert!(matches!(
        read(&xdm_raw(cda, e)),
        Err(XdmFeedError::Package(XdmError::HashMismatch { .. }))
    ));
    // No size: the bytes could not be checked.
    let mut e = good.clone();
    e.size = None;
    assert!(matches!(
        refused(&env, &xdm_raw(cda, e)),
        XdmFeedError::IntegrityNotChecked {
            missing: "size",
            ..
        }
    ));

    // Nothing reached the DMP.
    assert_eq!(env.sim.entry_status(&good.unique_id), None);
}

#[test]
fn identities_that_are_not_a_qualified_ins_are_refused() {
    let env = start();
    let cda = vac_note_input().build().unwrap();
    let ins_root = format!("root=\"{OID_TEST_NIR}\"");
    assert!(cda.contains(&ins_root));
    for (oid, reason) in [
        ("1.2.250.1.213.1.4.2", "legacy INS-C"),
        ("1.2.250.1.999.1.1", "local identifier"),
    ] {
        // Both the CDA and its metadata carry the non-INS identifier.
        let other = cda.replace(&ins_root, &format!("root=\"{oid}\""));
        let entry = entry_of(other.as_bytes(), PatientIdPolicy::LocalWhenNoIns);
        let err = refused(&env, &xdm_with(other.as_bytes(), entry.clone(), None));
        assert!(
            matches!(
                err,
                XdmFeedError::NotQualifiedIns {
                    place: "METADATA.XML patientId",
                    reason: r,
                    ..
                } if r == reason
            ),
            "{err:?}"
        );
        // The metadata says INS, the CDA does not.
        let mut e = entry;
        e.patient_id = Some(XdsPatientId::new(OID_TEST_NIR, MATRICULE));
        let err = refused(&env, &xdm_with(other.as_bytes(), e, None));
        assert!(
            matches!(
                err,
                XdmFeedError::NotQualifiedIns {
                    place: "CDA recordTarget",
                    reason: r,
                    ..
                } if r == reason
            ),
            "{err:?}"
        );
    }
    // An XML that is not a CDA.
    let mut e = entry_of(cda.as_bytes(), PatientIdPolicy::RequireIns);
    e.mime_type = "text/xml".into();
    let not_cda = b"<note xmlns=\"urn:example\">not a CDA</note>";
    assert!(matches!(
        refused(&env, &xdm_with(not_cda, e, None)),
        XdmFeedError::NotCda { index: 0, .. }
    ));
}

#[test]
fn hostile_archives_are_refused_when_read() {
    let cda = vac_note_input().build().unwrap();
    let (zip, _) = pack_cda(cda.as_bytes(), None, &pack_options()).unwrap();
    let metadata = segur_dmp_cda::xdm::XdmPackage::unpack(&zip, &XdmLimits::default())
        .unwrap()
        .subsets[0]
        .submission
        .clone();
    let metadata = ebrim::write(&metadata);
    for (name, expected) in [
        ("IHE_XDM/SUBSET01/../../evil.xml", "traversal"),
        ("/etc/evil.xml", "absolute"),
    ] {
        let hostile = zip_of(&[
            ("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes()),
            ("IHE_XDM/SUBSET01/DOC0001.XML", cda.as_bytes()),
            (name, b"x"),
        ]);
        let err = read(&hostile).unwrap_err();
        assert!(
            matches!(
                (&err, expected),
                (
                    XdmFeedError::Package(XdmError::PathTraversal { .. }),
                    "traversal"
                ) | (
                    XdmFeedError::Package(XdmError::AbsolutePath { .. }),
                    "absolute"
                )
            ),
            "{err:?}"
        );
    }
    // Not a zip at all, and a zip without METADATA.XML.
    assert!(matches!(
        read(cda.as_bytes()),
        Err(XdmFeedError::Package(XdmError::Zip(_)))
    ));
    assert!(matches!(
        read(&zip_of(&[("DOC0001.XML", cda.as_bytes())])),
        Err(XdmFeedError::Package(XdmError::NoMetadata))
    ));
}
