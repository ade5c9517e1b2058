//! The hardened XML reader never panics or hangs on any bytes, and its streaming and tree
//! forms agree on every input (same result, same error kind and position); a tree it accepts
//! is written back by the escaping writer into XML it accepts again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_net::xml::{
    Element, Node, Token, XmlError, XmlLimits, XmlReader, XmlStream, XmlWriter, parse_tree,
};

fn write(w: &mut XmlWriter, e: &Element<'_>, depth: usize) {
    // Names are written in no namespace with a local-only qualified name: the namespaces are
    // not the point here, escaping is.
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

fuzz_target!(|data: &[u8]| {
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
});
