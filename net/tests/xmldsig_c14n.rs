//! Canonical forms byte for byte against libxml2, the reference implementation, on every ANS
//! sample (`ans-kit/**/*.xml`) and every DMP example (`dmp/examples/**/*.xml`):
//! - `xmllint --c14n` and `xmllint --exc-c14n` (both keep comments) for the two "with comments"
//!   algorithms;
//! - lxml (libxml2's C14N through Python, Debian `python3-lxml`) for all four algorithms,
//!   since xmllint has no option to drop comments, on the whole document, on the subtree of
//!   the root's last child element (exclusive algorithms), and for exclusive C14N with the
//!   InclusiveNamespaces PrefixList `xsi ns1` (`#default` is checked through xmlsec1 in
//!   xmldsig_signatures.rs: lxml does not translate it).
//!
//! Inputs the hardened reader refuses (not UTF-8, DTD, not XML at all) must give the typed
//! error listed below, never a panic nor a different canonical form.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use segur_net::xml::{XmlErrorKind, XmlLimits};
use segur_net::xmldsig::{C14nAlgorithm, C14nError, C14nMode, Document, Selection, canonicalize};

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("set SEGUR_SHARED=../shared"))
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "xml") {
            out.push(p);
        }
    }
}

/// A Python with lxml: `python3` first, then Debian's `/usr/bin/python3`.
fn python_with_lxml() -> &'static str {
    for py in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(py)
            .args(["-c", "import lxml.etree"])
            // The probe's ImportError is expected on the first candidate: not worth a log line.
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return py;
        }
    }
    panic!(
        "python3 with lxml is required (Debian package python3-lxml, installed by scripts/install-deps)"
    );
}

fn xmllint(flag: &str, file: &Path) -> Option<Vec<u8>> {
    let out = Command::new("xmllint")
        .args([flag, "--nonet"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint is required (Debian libxml2-utils, scripts/install-deps): {e}")
        });
    out.status.success().then_some(out.stdout)
}

/// Files the hardened reader refuses, with the reason.
fn expected_refusal(rel: &str) -> Option<XmlErrorKind> {
    match rel {
        // The official VIHF examples carry a Latin-1 0xE8 in "Accès" (DMP README, "Warnings").
        "dmp/examples/vihf/VIHF_DIRECTE_non-signed.xml"
        | "dmp/examples/vihf/VIHF_DIRECTE_signed.xml" => Some(XmlErrorKind::NotUtf8),
        // A MIME multipart message, not XML: text before the root.
        "dmp/examples/TD2.1_Alimentation_request.xml" => Some(XmlErrorKind::TextBeforeRoot),
        // Empty files in the ANS kit.
        "ans-kit/jeuxDeValeurs/ActPharmacySupplyType.xml"
        | "ans-kit/jeuxDeValeurs/CoverageRoleType.xml"
        | "ans-kit/jeuxDeValeurs/MediaType.xml" => Some(XmlErrorKind::NoRoot),
        _ => None,
    }
}

#[test]
fn canonical_forms_equal_libxml2_on_every_sample() {
    let root = shared();
    let mut files = Vec::new();
    xml_files(&root.join("ans-kit"), &mut files);
    xml_files(&root.join("dmp/examples"), &mut files);
    assert!(
        files.len() > 600,
        "expected the ANS kit and DMP examples, got {}",
        files.len()
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let list = tmp.path().join("files.txt");
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    std::fs::write(&list, names.join("\n") + "\n").expect("write list");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xmldsig/lxml_c14n.py");
    let status = Command::new(python_with_lxml())
        .arg(&script)
        .arg(tmp.path())
        .arg(&list)
        .status()
        .expect("run lxml");
    assert!(status.success(), "lxml script failed");

    let modes = [
        ("c14n", C14nAlgorithm::Inclusive, None),
        (
            "c14nc",
            C14nAlgorithm::InclusiveWithComments,
            Some("--c14n"),
        ),
        ("exc", C14nAlgorithm::Exclusive, None),
        (
            "excc",
            C14nAlgorithm::ExclusiveWithComments,
            Some("--exc-c14n"),
        ),
    ];
    let mut compared = 0usize;
    let mut xmllint_compared = 0usize;
    let mut refused = Vec::new();
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let rel = file
            .strip_prefix(&root)
            .expect("under shared")
            .display()
            .to_string();
        let input = std::fs::read(file).expect("read sample");
        let lxml_failed = tmp.path().join(format!("{i}.err")).exists();
        for (ext, algorithm, lint_flag) in modes {
            let ours = canonicalize(
                &input,
                &C14nMode::new(algorithm),
                Selection::Document,
                XmlLimits::default(),
            );
            match (ours, expected_refusal(&rel)) {
                (Err(C14nError::Xml(e)), Some(kind)) => {
                    assert_eq!(e.kind, kind, "{rel}: refused for another reason: {e}");
                    if ext == "c14n" {
                        refused.push(rel.clone());
                    }
                }
                (Err(e), _) => failures.push(format!("{rel}: unexpected refusal {e}")),
                (Ok(_), Some(kind)) => failures.push(format!("{rel}: accepted, {kind:?} expected")),
                (Ok(ours), None) => {
                    assert!(!lxml_failed, "{rel}: libxml2 refuses a file we accept");
                    let theirs =
                        std::fs::read(tmp.path().join(format!("{i}.{ext}"))).expect("lxml output");
                    if ours != theirs {
                        failures.push(format!("{rel}: {ext} differs from lxml"));
                    }
                    compared += 1;
                    // The subtree of the root's last child element, exclusive algorithms
                    // only: lxml renders an inclusive subtree through a copy of the apex that
                    // adds `xmlns=""` to its children (a known lxml artefact), so inclusive
                    // subtrees are checked by xmlsec1 instead (xmldsig_signatures.rs: the XAdES
                    // Manifest and SignedProperties references are inclusive subtrees).
                    let doc = Document::parse(&input, XmlLimits::default()).expect("parsed above");
                    let last = doc
                        .child_elements(doc.root())
                        .last()
                        .filter(|_| algorithm.is_exclusive());
                    if let Some(last) = last {
                        let ours = doc.canonicalize_element(last, None, &C14nMode::new(algorithm));
                        let theirs = std::fs::read(tmp.path().join(format!("{i}.sub.{ext}")))
                            .expect("lxml subtree output");
                        if ours != theirs {
                            failures.push(format!("{rel}: subtree {ext} differs from lxml"));
                        }
                        compared += 1;
                    }
                    if ext == "exc" {
                        let mode = C14nMode::exclusive_with_prefixes(false, ["xsi", "ns1"]);
                        let theirs = std::fs::read(tmp.path().join(format!("{i}.excp")))
                            .expect("lxml PrefixList output");
                        if doc.canonicalize(&mode) != theirs {
                            failures.push(format!("{rel}: exc with PrefixList differs from lxml"));
                        }
                        compared += 1;
                    }
                    if let Some(flag) = lint_flag {
                        match xmllint(flag, file) {
                            Some(lint) if lint == ours => xmllint_compared += 1,
                            Some(_) => {
                                failures.push(format!("{rel}: {ext} differs from xmllint {flag}"))
                            }
                            None => failures.push(format!("{rel}: xmllint {flag} failed")),
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(refused.len(), 6, "refused: {refused:?}");
    eprintln!(
        "{} files, {compared} canonical forms equal to lxml, {xmllint_compared} equal to xmllint",
        files.len()
    );
}
