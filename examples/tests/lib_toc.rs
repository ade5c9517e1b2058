//! Every public module of a library crate is listed in the table of contents of its `lib.rs`
//! (the crate doc comment) as an intra-doc link: `[`X`]`, `[X]`, `](X)`, `](X::…)` or
//! `](crate::X…)`. The test reads the sources, so it holds as the crates grow.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

/// The library crates whose `lib.rs` carries a table of contents.
const CRATES: &[&str] = &[
    "net",
    "ins",
    "dmp-cda",
    "mssante",
    "eprescription",
    "cps-card",
    "psc",
    "ffi",
];

/// The names of the top-level `pub mod` declarations of a `lib.rs`.
fn public_modules(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|rest| {
            rest.trim_end_matches(['{', ' ', ';'])
                .trim()
                .trim_start_matches("r#")
                .to_owned()
        })
        .collect()
}

/// The crate doc comment (`//!` lines) of a `lib.rs`.
fn crate_doc(source: &str) -> String {
    source
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn links_to(doc: &str, module: &str) -> bool {
    [
        format!("[`{module}`]"),
        format!("[{module}]"),
        format!("]({module})"),
        format!("]({module}::"),
        format!("](crate::{module})"),
        format!("](crate::{module}::"),
    ]
    .iter()
    .any(|form| doc.contains(form.as_str()))
}

/// The modules of `source` missing from its table of contents.
fn unlisted(source: &str) -> Vec<String> {
    let doc = crate_doc(source);
    public_modules(source)
        .into_iter()
        .filter(|m| !links_to(&doc, m))
        .collect()
}

#[test]
fn every_public_module_is_in_the_crate_table_of_contents() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut missing = Vec::new();
    for krate in CRATES {
        let path = format!("{root}/{krate}/src/lib.rs");
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            !public_modules(&source).is_empty(),
            "{krate}/src/lib.rs: no `pub mod` found; is the parser still right?"
        );
        for module in unlisted(&source) {
            missing.push(format!(
                "{krate}/src/lib.rs: `pub mod {module}` has no intra-doc link in the crate doc"
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The checker itself: a listed module passes, an unlisted one is named.
#[test]
fn unlisted_modules_are_named() {
    let source = "//! - [`tls`]: TLS;\n//! - [the client](http::Client).\n\n\
                  pub mod http;\npub mod tls;\npub mod xml;\nmod private;\n";
    assert_eq!(public_modules(source), ["http", "tls", "xml"]);
    assert_eq!(unlisted(source), ["xml"]);
}
