//! `segur xdm` end to end through the real binary: packing other producers' CDAs, overrides,
//! non-qualified identities, replacements, honest integrity reporting, terminal-safe output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use segur_dmp_cda::ebrim;
use segur_dmp_cda::xds::{DeriveOptions, DocumentEntry, Submission, SubmissionSet};

fn segur() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segur"))
}

fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

fn sample(name: &str) -> PathBuf {
    shared().join("ans-kit/ExemplesCDA").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn pack(dir: &Path, cda: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let out = dir.join("IHE_XDM.ZIP");
    let mut args = vec![
        "xdm",
        "pack",
        "--cda",
        s(cda),
        "-o",
        s(&out),
        "--organization",
        "Pharmacie du Centre (FINESS 750000001)",
        "--contact",
        "pharmacie.centre@test.mssante.fr",
    ];
    args.extend_from_slice(extra);
    (segur().args(&args).output().unwrap(), out)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn inspect(zip: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["xdm", "inspect", s(zip)];
    args.extend_from_slice(extra);
    segur().args(&args).output().unwrap()
}

#[test]
fn lab_report_of_another_producer_packs_and_says_what_was_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (o, zip) = pack(dir.path(), &sample("BIO-CR-BIO_2024.01_TSH_1.xml"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = inspect(&zip, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("type 11502-2 format urn:ihe:lab:xd-lab:2008 (hash and size verified)"),
        "{text}"
    );
    assert!(text.contains("patientId: INS"), "{text}");
    let o = inspect(&zip, &["--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"][0]["integrity"]["hash"], "verified");
    assert_eq!(v["documents"][0]["integrity"]["size"], "verified");
    assert_eq!(v["documents"][0]["entry"]["classCode"]["code"], "10", "{v}");
    // README.TXT names the organisation and the contact.
    let unpacked = dir.path().join("out");
    let o = segur()
        .args(["xdm", "unpack", s(&zip), "-o", s(&unpacked)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("DOC0001.XML (hash and size verified)"));
}

#[test]
fn overrides_and_required_sender_contact() {
    let dir = tempfile::tempdir().unwrap();
    let (o, zip) = pack(
        dir.path(),
        &sample("VAC-NOTE_2023.01.xml"),
        &[
            "--format-code",
            "urn:x-vendor:note^Vendor note^1.2.250.1.999.5",
            "--class-code",
            "11^Synthèse^1.2.250.1.213.1.1.4.1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&inspect(&zip, &["--json"]).stdout).unwrap();
    let e = &v["documents"][0]["entry"];
    assert_eq!(e["formatCode"]["code"], "urn:x-vendor:note");
    assert_eq!(e["formatCode"]["codeSystem"], "1.2.250.1.999.5");
    assert_eq!(e["classCode"]["code"], "11");
    // A malformed override is refused, naming the flag.
    let (o, _) = pack(
        dir.path(),
        &sample("VAC-NOTE_2023.01.xml"),
        &["--format-code", "urn:x"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--format-code is code^display^system"));
    // README.TXT's organisation and contact are required.
    let o = segur()
        .args([
            "xdm",
            "pack",
            "--cda",
            s(&sample("VAC-NOTE_2023.01.xml")),
            "-o",
        ])
        .arg(dir.path().join("x.zip"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--organization"), "{}", stderr(&o));
}

#[test]
fn non_qualified_identity_and_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let cda = std::fs::read_to_string(sample("VAC-NOTE_2023.01.xml"))
        .unwrap()
        .replace(
            r#"<id extension="279035121518989" root="1.2.250.1.213.1.4.10"/>"#,
            "",
        );
    let path = dir.path().join("no-ins.xml");
    std::fs::write(&path, cda).unwrap();
    let (o, _) = pack(dir.path(), &path, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("LocalWhenNoIns"), "{}", stderr(&o));
    let (o, zip) = pack(dir.path(), &path, &["--local-patient-id"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("X-MSS-INS will be N"));
    assert!(stdout(&inspect(&zip, &[])).contains("patientId: local identifier (not an INS)"));
    // Replacement: RPLC toward a real RFC 4122 URN; anything else is refused.
    let old = "urn:uuid:7f3c6f8a-1d2e-4b5c-9a8b-0c1d2e3f4a5b";
    let (o, zip) = pack(
        dir.path(),
        &sample("VAC-NOTE_2023.01.xml"),
        &["--replaces-entry-uuid", old],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&inspect(&zip, &["--json"]).stdout).unwrap();
    let assoc = v["subsets"][0]["submission"]["associations"]
        .as_array()
        .unwrap();
    assert!(
        assoc
            .iter()
            .any(|a| a["kind"] == "Replace" && a["target"] == old),
        "{assoc:?}"
    );
    let (o, _) = pack(
        dir.path(),
        &sample("VAC-NOTE_2023.01.xml"),
        &["--replaces-entry-uuid", "urn:uuid:abc-author0"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not an RFC 4122 urn:uuid"));
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zw.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

/// Another sender's archive without hash and size: said, not claimed; refused on request.
/// Entry names carrying an ESC sequence and U+202E reach the terminal escaped.
#[test]
fn missing_hash_and_size_and_hostile_names() {
    let dir = tempfile::tempdir().unwrap();
    let cda = std::fs::read(sample("VAC-NOTE_2023.01.xml")).unwrap();
    let doc = segur_dmp_cda::read(&cda).unwrap();
    let mut e = DocumentEntry::derive(&doc.header, &cda, None, &DeriveOptions::default()).unwrap();
    let name = "DOC\u{1b}[2J\u{202e}LMX.XML";
    e.uri = Some(name.into());
    e.hash = None;
    e.size = None;
    let set = SubmissionSet::for_entry(&e, "1.2.3", None);
    let meta = ebrim::write(&Submission::new(set, vec![e]));
    let member = format!("IHE_XDM/SUBSET01/{name}");
    let z = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", meta.as_bytes()),
        (member.as_str(), &cda),
    ]);
    let zip = dir.path().join("other.zip");
    std::fs::write(&zip, z).unwrap();
    let o = inspect(&zip, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("(NOT checked: metadata gives no hash and size)"),
        "{text}"
    );
    assert!(!text.contains("hash and size verified"), "{text}");
    assert!(text.contains("DOC\\u{1b}[2J\\u{202e}LMX.XML"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    // JSON: the same value, with the controls escaped.
    let o = inspect(&zip, &["--json"]);
    let raw = stdout(&o);
    assert!(!raw.contains('\u{1b}') && !raw.contains('\u{202e}'));
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["documents"][0]["path"], member.as_str());
    assert_eq!(v["documents"][0]["integrity"]["hash"], "not-in-metadata");
    // Required: refused with the reason and the (escaped) document path.
    let o = inspect(&zip, &["--require-hash-size"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("metadata gives no hash and size: integrity cannot be checked"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{202e}'),
        "{err:?}"
    );
    let o = segur()
        .args(["xdm", "unpack", s(&zip), "--require-hash-size", "-o"])
        .arg(dir.path().join("u"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = segur()
        .args(["xdm", "unpack", s(&zip), "-o"])
        .arg(dir.path().join("u"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("NOT checked: metadata gives no hash and size"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

/// README.TXT names the sender's organisation and contact (IHE ITI TF-1 §16): a blank value
/// is refused by `xdm pack`, and `mss eml --cda` asks for the organisation and takes the
/// From address as the contact unless `--contact` is given.
#[test]
fn packing_without_sender_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cda = sample("VAC-NOTE_2023.01.xml");
    for (flag, args) in [
        (
            "organization",
            ["--organization", " ", "--contact", "c@test.mssante.fr"],
        ),
        ("contact", ["--organization", "Pharmacie", "--contact", ""]),
    ] {
        let out = dir.path().join("blank.zip");
        let o = segur()
            .args(["xdm", "pack", "--cda", s(&cda), "-o", s(&out)])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("sender {flag} missing")) && e.contains("README.TXT"),
            "{e}"
        );
        assert!(!out.exists(), "{flag}: an archive was written");
    }

    let eml = dir.path().join("note.eml");
    let mss = |extra: &[&str]| {
        segur()
            .args([
                "mss",
                "eml",
                "--from",
                "pharmacie.centre@pharma.mssante.fr",
                "--to",
                "dr.martin@medecin.mssante.fr",
                "--subject",
                "Note de vaccination",
                "--nil",
                "REF-1",
                "--cda",
                s(&cda),
                "--out",
                s(&eml),
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = mss(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--cda needs --organization"),
        "{}",
        stderr(&o)
    );
    assert!(!eml.exists());
    let readme = |o: Output| {
        assert!(o.status.success(), "{}", stderr(&o));
        let m = segur_mssante::read::ReceivedMessage::parse(&std::fs::read(&eml).unwrap()).unwrap();
        let zip = &m.xdm().unwrap().data;
        let pkg = segur_dmp_cda::XdmPackage::unpack(zip, &Default::default()).unwrap();
        pkg.readme.unwrap()
    };
    let r = readme(mss(&[
        "--organization",
        "Pharmacie du Centre (FINESS 750000001)",
    ]));
    assert!(
        r.contains("Organisation: Pharmacie du Centre (FINESS 750000001)\r\n"),
        "{r}"
    );
    assert!(
        r.contains("Contact: pharmacie.centre@pharma.mssante.fr\r\n"),
        "{r}"
    );
    let r = readme(mss(&[
        "--organization",
        "Pharmacie du Centre",
        "--contact",
        "01 23 45 67 89",
    ]));
    assert!(r.contains("Contact: 01 23 45 67 89\r\n"), "{r}");
}
