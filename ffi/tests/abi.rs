//! ABI guards: result codes never reused, every capability of every crate has a documented C
//! entry point, the header matches the exports and the Cargo version.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur::segur_result;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn ffi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

/// `segur_*` functions declared in segur.h, with whether a doc comment precedes them.
fn header_functions() -> BTreeMap<String, bool> {
    let header = read(ffi_dir().join("include/segur.h"));
    let lines: Vec<&str> = header.lines().collect();
    let mut out = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim_start();
        if l.starts_with('*') || l.starts_with("/*") || l.starts_with('#') {
            continue;
        }
        if l.starts_with("typedef") {
            continue;
        }
        // The declared name: the first `segur_*` identifier directly followed by `(`.
        let declared = l.match_indices("segur_").find_map(|(pos, _)| {
            let rest = &l[pos..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest[name.len()..].starts_with('(').then_some(name)
        });
        let Some(name) = declared else { continue };
        let documented = i > 0 && lines[i - 1].trim_end().ends_with("*/");
        out.insert(name, documented);
    }
    out
}

/// `(section, capability) -> functions` from capabilities.toml (a flat subset of TOML:
/// `[section]` headers and `key = ["fn", ...]` arrays, possibly on several lines).
fn capabilities() -> BTreeMap<(String, String), Vec<String>> {
    let text = read(ffi_dir().join("capabilities.toml"));
    let mut out = BTreeMap::new();
    let mut section = String::new();
    let mut current: Option<(String, String)> = None;
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && current.is_none() {
            section = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            continue;
        }
        if section.ends_with(".rust_only") {
            continue;
        }
        let body = if let Some((k, v)) = line.split_once('=').filter(|_| current.is_none()) {
            current = Some((section.clone(), k.trim().to_owned()));
            v
        } else {
            line
        };
        let key = current.clone().expect("value outside a key");
        let entry: &mut Vec<String> = out.entry(key).or_default();
        entry.extend(
            body.split(',')
                .map(|s| s.trim().trim_matches(|c| c == '[' || c == ']' || c == '"'))
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        if body.trim_end().ends_with(']') {
            current = None;
        }
    }
    out
}

/// `(crate section, module) -> reason` from the `[<crate>.rust_only]` tables of
/// capabilities.toml (`module = "reason"`, one a line).
fn rust_only() -> BTreeMap<(String, String), String> {
    let text = read(ffi_dir().join("capabilities.toml"));
    let mut out = BTreeMap::new();
    let mut section = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_owned();
            continue;
        }
        let Some(krate) = section.strip_suffix(".rust_only") else {
            continue;
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (module, reason) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("[{section}]: `module = \"reason\"` expected: {line}"));
        let reason = reason.trim().trim_matches('"').trim().to_owned();
        assert!(
            out.insert((krate.to_owned(), module.trim().to_owned()), reason)
                .is_none(),
            "[{section}] {line}: listed twice"
        );
    }
    out
}

/// The `pub mod` names declared in `<crate>/src/lib.rs`.
fn public_modules(crate_dir: &str) -> Vec<String> {
    read(ffi_dir().join("..").join(crate_dir).join("src/lib.rs"))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// The crates of the workspace whose capabilities the C API covers, by directory.
const CRATES: [&str; 8] = [
    "ins",
    "dmp-cda",
    "mssante",
    "dmp",
    "eprescription",
    "cps-card",
    "access",
    "store",
];

/// Functions exported by the Rust sources (`#[unsafe(no_mangle)]` followed by `pub extern "C" fn`).
fn exported_functions() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![ffi_dir().join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let src = read(&p);
            let mut marked = false;
            for line in src.lines() {
                let l = line.trim();
                if l == "#[unsafe(no_mangle)]" {
                    marked = true;
                } else if marked && l.starts_with("pub extern \"C\" fn ") {
                    let name: String = l["pub extern \"C\" fn ".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    out.insert(name);
                    marked = false;
                }
            }
        }
    }
    out
}

#[test]
fn result_codes_match_the_checked_in_list_and_are_never_reused() {
    let text = read(ffi_dir().join("result-codes.txt"));
    let mut listed = BTreeMap::new();
    let mut retired = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (is_retired, rest) = match line.strip_prefix("retired ") {
            Some(r) => (true, r),
            None => (false, line),
        };
        let (code, name) = rest.split_once(' ').expect("`<code> <Variant>`");
        let code: u32 = code.parse().expect("numeric code");
        assert!(
            listed.insert(code, name.to_owned()).is_none(),
            "code {code} listed twice"
        );
        if is_retired {
            retired.insert(code);
        }
    }
    let mut seen = BTreeSet::new();
    for r in segur_result::ALL {
        let code = *r as u32;
        assert!(seen.insert(code), "code {code} used twice");
        assert!(
            !retired.contains(&code),
            "code {code} was retired and must not be reused"
        );
        assert_eq!(
            listed.get(&code).map(String::as_str),
            Some(r.name()),
            "code {code} ({}) differs from result-codes.txt: codes are never renumbered",
            r.name()
        );
        assert_eq!(segur_result::from_u32(code), Some(*r));
    }
    for (code, name) in &listed {
        assert!(
            retired.contains(code) || seen.contains(code),
            "{code} {name} is listed but gone from the enum: mark it `retired`, never delete it"
        );
    }
    assert_eq!(segur_result::from_u32(1), None);
}

/// The `# range <first>-<last> <owner>` lines of result-codes.txt, in file order.
fn result_code_ranges() -> Vec<(u32, u32, String)> {
    read(ffi_dir().join("result-codes.txt"))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# range "))
        .map(|rest| {
            let (span, owner) = rest
                .split_once(' ')
                .expect("`# range <first>-<last> <owner>`");
            let (first, last) = span.split_once('-').expect("`<first>-<last>`");
            (
                first.parse().expect("numeric first code"),
                last.parse().expect("numeric last code"),
                owner.to_owned(),
            )
        })
        .collect()
}

#[test]
fn result_code_ranges_are_ordered_disjoint_and_include_the_coming_crates() {
    let ranges = result_code_ranges();
    for pair in ranges.windows(2) {
        let ((_, last, a), (first, _, b)) = (&pair[0], &pair[1]);
        assert!(
            last < first,
            "ranges {a} and {b} overlap or are out of order"
        );
    }
    for (first, last, owner) in &ranges {
        assert!(first <= last, "range {owner} is empty");
    }
    for coming in ["segur-dmp ", "segur-psc ", "segur-access "] {
        assert!(
            ranges.iter().any(|(_, _, o)| o.contains(coming)),
            "no range decided for {coming}"
        );
    }
}

#[test]
fn every_code_has_a_range_and_a_message_without_placeholders() {
    let ranges = result_code_ranges();
    for r in segur_result::ALL {
        let code = *r as u32;
        let owner = ranges.iter().find(|(f, l, _)| (*f..=*l).contains(&code));
        assert!(code == 0 || owner.is_some(), "{code} is in no range");
        if let Some((_, _, owner)) = owner {
            assert!(
                !owner.starts_with("reserved "),
                "{code} is in range {owner}: drop `reserved` when its crate gets codes"
            );
        }
        assert!(!r.message().is_empty() && !r.message().contains('{'));
    }
}

#[test]
fn every_capability_has_a_documented_c_entry_point() {
    let header = header_functions();
    let caps = capabilities();
    let mut listed = BTreeSet::new();
    for ((section, cap), fns) in &caps {
        assert!(!fns.is_empty(), "[{section}] {cap} lists no function");
        for f in fns {
            match header.get(f) {
                None => panic!("[{section}] {cap}: {f} is not declared in include/segur.h"),
                Some(false) => panic!("[{section}] {cap}: {f} has no doc comment in segur.h"),
                Some(true) => {}
            }
            assert!(listed.insert(f.clone()), "{f} listed twice");
        }
    }
    for f in header.keys() {
        assert!(
            listed.contains(f),
            "{f} is in segur.h but not in capabilities.toml"
        );
    }
    for f in exported_functions() {
        assert!(
            header.contains_key(&f),
            "{f} is exported but missing from segur.h: regenerate it with cbindgen"
        );
    }
}

#[test]
fn every_crate_with_a_public_api_has_a_capability_section() {
    let caps = capabilities();
    let sections: BTreeSet<&str> = caps.keys().map(|(s, _)| s.as_str()).collect();
    let root = ffi_dir().join("..");
    for dir in CRATES {
        let src = root.join(dir).join("src");
        let mut has_api = false;
        let mut stack = vec![src];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    has_api |= read(&p)
                        .lines()
                        .any(|l| l.trim_start().starts_with("pub fn "));
                }
            }
        }
        let section = dir.replace('-', "_");
        assert!(
            !has_api || sections.contains(section.as_str()),
            "crate {dir} has a public API but capabilities.toml has no [{section}] section: \
             add its C entry points"
        );
    }
}

/// Every public module of every crate is a capability with a C entry point (a key of its
/// `[<crate>]` section named after the module, or `<module>_<what>`), or is listed in
/// `[<crate>.rust_only]` with the reason it has none; a `rust_only` entry names a module that
/// exists and gives a reason.
#[test]
fn every_public_module_has_a_c_entry_point_or_a_reason() {
    let caps = capabilities();
    let rust_only = rust_only();
    let mut missing = Vec::new();
    for dir in CRATES {
        let section = dir.replace('-', "_");
        let modules = public_modules(dir);
        assert!(!modules.is_empty(), "{dir}/src/lib.rs declares no pub mod");
        for m in &modules {
            let covered = caps.keys().any(|(s, key)| {
                *s == section
                    && (key == m
                        || key
                            .strip_prefix(m.as_str())
                            .is_some_and(|rest| rest.starts_with('_')))
            });
            let reason = rust_only.get(&(section.clone(), m.clone()));
            if let Some(r) = reason {
                assert!(!r.is_empty(), "[{section}.rust_only] {m} gives no reason");
                assert!(
                    !covered,
                    "{dir}::{m} has C entry points and a [{section}.rust_only] entry: keep one"
                );
            }
            if !covered && reason.is_none() {
                missing.push(format!("{dir}::{m}"));
            }
        }
        for (s, m) in rust_only.keys() {
            assert!(
                *s != section || modules.contains(m),
                "[{section}.rust_only] {m}: {dir} has no such public module"
            );
        }
    }
    assert!(
        missing.is_empty(),
        "public modules with neither a C entry point in capabilities.toml nor a \
         [<crate>.rust_only] reason: {missing:?}"
    );
}

#[test]
fn header_version_macros_match_cargo() {
    let header = read(ffi_dir().join("include/segur.h"));
    let get = |name: &str| -> String {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} missing"))
            .trim()
            .to_owned()
    };
    assert_eq!(get("SEGUR_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(get("SEGUR_VERSION_MINOR"), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(get("SEGUR_VERSION_PATCH"), env!("CARGO_PKG_VERSION_PATCH"));
}

#[test]
fn every_export_runs_inside_the_panic_boundary() {
    // Walks the module tree: topics such as `src/ins/` are directories.
    let mut stack = vec![ffi_dir().join("src")];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    for p in files {
        let text = read(&p);
        let parts: Vec<&str> = text.split("pub extern \"C\" fn ").collect();
        for part in parts.iter().skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // The body is the text up to the end of the function: the first line that is `}`.
            let body = part.split("\n}\n").next().unwrap_or(part);
            assert!(
                body.contains("ffi_boundary!"),
                "{name} ({}) does not run inside ffi_boundary!",
                p.display()
            );
        }
    }
}
