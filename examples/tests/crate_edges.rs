//! The dependency edges between the workspace crates, read from `cargo metadata`, against the
//! list of allowed edges (README.md, "Crate edges"). A new edge fails this test, naming it.
//!
//! - Normal and build dependencies must be in [`ALLOWED`].
//! - Dev-dependencies must be in [`ALLOWED`] too (a crate's tests use only what the crate itself
//!   may use), with one addition: any crate may dev-depend on `test-support`.
//! - `test-support` is never a normal or build dependency of anything, and depends on no
//!   workspace crate itself, so that dev-dependencies on it cannot form a cycle.
//! - The graph of all edges (normal, build and dev) has no cycle.
//!
//! A workspace crate missing from [`ALLOWED`] fails the test: its place must be decided first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Crates (package names without `segur-`) that may use any other crate except `test-support`.
const TOP: &[&str] = &["ffi", "cli", "examples"];

/// Allowed edges of the library crates: crate → the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("net", &[]),
    ("eprescription", &[]),
    ("ins", &["net"]),
    ("cps-card", &["net"]),
    ("dmp-cda", &["ins", "net"]),
    ("mssante", &["dmp-cda", "ins", "net"]),
    ("dmp", &["dmp-cda", "ins", "net"]),
    ("psc", &["net"]),
    ("access", &["net"]),
    ("store", &["mssante", "dmp-cda", "ins", "net", "access"]),
    ("test-support", &[]),
];

const TEST_SUPPORT: &str = "test-support";

/// One dependency edge between two workspace crates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    /// `normal`, `build` or `dev`, as Cargo.toml declares it.
    kind: String,
}

fn short(package: &str) -> String {
    package.strip_prefix("segur-").unwrap_or(package).to_owned()
}

/// The workspace crates (short names) and the edges between them, from `cargo metadata`.
fn workspace_edges() -> (BTreeSet<String>, Vec<Edge>) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata could not be run");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let members: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let mut edges = Vec::new();
    for package in packages {
        let from = package["name"].as_str().unwrap();
        for dependency in package["dependencies"].as_array().unwrap() {
            let to = dependency["name"].as_str().unwrap();
            if !members.contains(to) {
                continue;
            }
            let kind = dependency["kind"].as_str().unwrap_or("normal").to_owned();
            edges.push(Edge {
                from: short(from),
                to: short(to),
                kind,
            });
        }
    }
    edges.sort();
    edges.dedup();
    (members.iter().map(|m| short(m)).collect(), edges)
}

/// Why `edge` is not allowed, or `None` when it is.
fn violation(edge: &Edge) -> Option<String> {
    let Edge { from, to, kind } = edge;
    let name = format!("{from} → {to} ({kind})");
    if to == TEST_SUPPORT {
        return (kind != "dev")
            .then(|| format!("{name}: test-support may only be a dev-dependency"));
    }
    if TOP.contains(&from.as_str()) {
        return None;
    }
    match ALLOWED.iter().find(|(crate_, _)| crate_ == from) {
        None => Some(format!(
            "{name}: {from} is not in the list of allowed crate edges (README.md, Crate edges)"
        )),
        Some((_, targets)) if targets.contains(&to.as_str()) => None,
        Some((_, targets)) => Some(format!(
            "{name}: {from} may depend only on [{}]",
            targets.join(", ")
        )),
    }
}

#[test]
fn workspace_edges_are_the_allowed_ones() {
    let (members, edges) = workspace_edges();
    for member in &members {
        assert!(
            TOP.contains(&member.as_str()) || ALLOWED.iter().any(|(c, _)| c == member),
            "workspace crate {member} has no entry in the allowed crate edges"
        );
    }
    let violations: Vec<String> = edges.iter().filter_map(violation).collect();
    assert!(
        violations.is_empty(),
        "crate edges outside the allowed list:\n{}",
        violations.join("\n")
    );
}

#[test]
fn workspace_edges_have_no_cycle() {
    let (members, edges) = workspace_edges();
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in &edges {
        graph
            .entry(e.from.as_str())
            .or_default()
            .push(e.to.as_str());
    }
    // Depth-first search; `path` is the current chain, so a back edge names the whole cycle.
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) {
        if let Some(start) = path.iter().position(|n| *n == node) {
            let mut cycle = path.split_off(start);
            cycle.push(node);
            panic!("crate dependency cycle: {}", cycle.join(" → "));
        }
        if !done.insert(node) {
            return;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, done, path);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for member in &members {
        visit(member, &graph, &mut done, &mut Vec::new());
    }
}

/// The checker itself: forbidden edges are named, allowed ones pass.
#[test]
fn violations_name_the_offending_edge() {
    let edge = |from: &str, to: &str, kind: &str| Edge {
        from: from.into(),
        to: to.into(),
        kind: kind.into(),
    };
    assert_eq!(violation(&edge("ins", "net", "normal")), None);
    assert_eq!(violation(&edge("mssante", "dmp-cda", "build")), None);
    assert_eq!(violation(&edge("cli", "mssante", "normal")), None);
    assert_eq!(violation(&edge("ins", TEST_SUPPORT, "dev")), None);
    let net_up = violation(&edge("net", "ins", "normal")).unwrap();
    assert!(net_up.starts_with("net → ins (normal)"), "{net_up}");
    let dev_up = violation(&edge("ins", "mssante", "dev")).unwrap();
    assert!(dev_up.starts_with("ins → mssante (dev)"), "{dev_up}");
    let support = violation(&edge("cli", TEST_SUPPORT, "normal")).unwrap();
    assert!(support.contains("only be a dev-dependency"), "{support}");
    let unknown = violation(&edge("newcrate", "net", "normal")).unwrap();
    assert!(unknown.contains("not in the list"), "{unknown}");
}
