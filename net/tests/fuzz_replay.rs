//! Every seed and every regression of the segur-net fuzz targets (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) replayed through the same calls and checks as the target, on
//! each test run and without a nightly toolchain: a crash that `scripts/fuzz-campaign` stores
//! under `fuzz/regressions/` is a failing test here until it is fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_net::soap::mtom::{MtomLimits, read_mtom};
use segur_net::soap::parse_envelope;
use segur_net::xml::{
    Element, Node, Token, XmlError, XmlLimits, XmlReader, XmlStream, XmlWriter, parse_tree,
};

use segur_test_support::fuzz_inputs as inputs;

/// Every token of the hardened tokenizer under `data`, attributes read and names resolved,
/// with leading white space of text skipped or not: how many start tags, or the first error.
fn stream_tokens(data: &[u8], limits: XmlLimits, skip: bool) -> Result<usize, XmlError> {
    let mut stream = XmlStream::new(data, limits)?;
    stream.skip_leading_space(skip);
    let mut starts = 0;
    loop {
        match stream.next_token()? {
            Token::Start(tag) => {
                starts += 1;
                let mut attributes = Vec::new();
                stream.read_attributes(&tag, |a| attributes.push((a.qname, a.position)))?;
                stream.resolve_element(&tag)?;
                for (qname, position) in attributes {
                    stream.resolve_attribute(qname, position)?;
                }
            }
            Token::Text(t) => {
                t.decode()?;
            }
            Token::End { .. } => {}
            Token::Eof => return Ok(starts),
        }
    }
}

/// `fuzz_targets/net_xml_parse.rs`.
fn net_xml_parse(data: &[u8]) {
    fn write(w: &mut XmlWriter, e: &Element<'_>, depth: usize) {
        let attrs: Vec<(String, String)> = e
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("a{i}"), a.value.to_string()))
            .collect();
        let attrs: Vec<(&str, &str)> = attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        w.start("e", &attrs)
            .expect("writer accepts what the reader accepted");
        for c in &e.children {
            match c {
                Node::Text(t) => w.text(t).expect("writer accepts text the reader accepted"),
                Node::Element(child) if depth < 64 => write(w, child, depth + 1),
                Node::Element(_) => {}
            }
        }
        w.end().expect("balanced");
    }
    for limits in [
        XmlLimits::default(),
        XmlLimits {
            max_depth: 8,
            max_nodes: 64,
            max_attributes: 4,
            max_attribute_len: 32,
            max_text_len: 64,
            ..XmlLimits::default()
        },
    ] {
        // The tokenizer gives the same elements and the same first error whether it skips
        // the white space that starts a text or not (positions never depend on it).
        assert_eq!(
            stream_tokens(data, limits, false),
            stream_tokens(data, limits, true)
        );
        let streamed = XmlReader::new(data, limits).and_then(XmlReader::check);
        let tree = parse_tree(data, limits);
        match (&streamed, &tree) {
            (Ok(()), Ok(root)) => {
                let mut w = XmlWriter::new();
                write(&mut w, root, 0);
                let out = w.finish().expect("finished");
                parse_tree(
                    out.as_bytes(),
                    XmlLimits {
                        max_bytes: usize::MAX,
                        ..XmlLimits::default()
                    },
                )
                .expect("written XML reads back");
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!(
                "stream and tree disagree: {streamed:?} / {:?}",
                tree.as_ref().map(|_| ())
            ),
        }
    }
}

/// `fuzz_targets/net_soap_mtom.rs`.
fn net_soap_mtom(data: &[u8]) {
    if let Ok(env) = parse_envelope(data, XmlLimits::default()) {
        let _ = env.fault();
    }
    let split = data.iter().position(|b| *b == b'\n');
    let (ct, body) = match split.and_then(|i| Some((data.get(..i)?, data.get(i + 1..)?))) {
        Some((line, rest)) => (std::str::from_utf8(line).ok(), rest),
        None => (None, data),
    };
    let limits = MtomLimits {
        max_parts: 8,
        max_header_bytes: 512,
        ..MtomLimits::default()
    };
    for (ct, body) in [(ct, body), (None, data)] {
        if let Ok(pkg) = read_mtom(ct, body, limits) {
            let _ = pkg.declared_version();
            if let Some(root) = pkg.root()
                && let Ok(env) = parse_envelope(&root.body, XmlLimits::default())
            {
                let _ = pkg.resolve_includes(&env.body);
            }
            let _ = pkg.envelope(XmlLimits::default());
        }
    }
}

#[test]
fn net_xml_parse_inputs() {
    for (name, data) in inputs("net_xml_parse", 4) {
        eprintln!("{name}");
        net_xml_parse(&data);
    }
}

#[test]
fn net_soap_mtom_inputs() {
    for (name, data) in inputs("net_soap_mtom", 2) {
        eprintln!("{name}");
        net_soap_mtom(&data);
    }
}
