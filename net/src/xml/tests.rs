//! Hostile-input tests of the reader and the writer: each asserts the exact kind and position.

use super::*;

fn err(input: &[u8]) -> XmlError {
    err_with(input, XmlLimits::default())
}

fn err_with(input: &[u8], limits: XmlLimits) -> XmlError {
    match XmlReader::new(input, limits).and_then(XmlReader::check) {
        Err(e) => e,
        Ok(()) => panic!("accepted: {}", String::from_utf8_lossy(input)),
    }
}

fn at(input: &str, needle: &str) -> u64 {
    input.find(needle).expect("needle in input") as u64
}

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n<lolz>&lol3;</lolz>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::Doctype, at(xml, "<!DOCTYPE"))
    );
}

#[test]
fn external_entity_is_refused_at_the_doctype() {
    let xml = "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>";
    assert_eq!(err(xml.as_bytes()), XmlError::new(XmlErrorKind::Doctype, 0));
}

#[test]
fn plain_doctype_is_refused() {
    let xml = "<?xml version=\"1.0\"?><!DOCTYPE html><html/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::Doctype, at(xml, "<!DOCTYPE"))
    );
}

#[test]
fn undeclared_entity_is_refused_not_expanded() {
    let xml = "<r>a &amp; b &xxe; c</r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::Entity, at(xml, "&xxe;"))
    );
    let xml = "<r a=\"x &nbsp;\"/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::Entity, at(xml, "&nbsp;"))
    );
}

#[test]
fn predefined_entities_and_char_refs_are_decoded() {
    let xml = "<r a=\"&lt;&#x41;&#66;\">&amp;&apos;&quot;&gt;&#233;</r>";
    let root = parse_tree(xml.as_bytes(), XmlLimits::default()).expect("parses");
    assert_eq!(root.attribute("a"), Some("<AB"));
    assert_eq!(root.text(), "&'\">é");
}

#[test]
fn char_ref_to_a_forbidden_char_is_refused() {
    let xml = "<r>x&#1;</r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(
            XmlErrorKind::ForbiddenChar { code_point: 1 },
            at(xml, "&#1;")
        )
    );
    let xml = "<r>&#0;</r>";
    assert_eq!(err(xml.as_bytes()), XmlError::new(XmlErrorKind::CharRef, 3));
}

/// A bad character reference is named where it is written, whether the tokenizer skips the
/// white space that starts the text or not (found by the `net_xml_parse` fuzz target: the
/// position used to be the start of the text, 16 bytes apart between the two modes).
#[test]
fn char_ref_errors_name_the_reference_in_both_white_space_modes() {
    for (xml, kind, reference) in [
        (
            "<r>\n   ab &amp; &#x110000;</r>",
            XmlErrorKind::CharRef,
            "&#x110000;",
        ),
        (
            "<r>\n   &#65;&#xZZ;&#0;</r>",
            XmlErrorKind::CharRef,
            "&#xZZ;",
        ),
        (
            "<r>\n  &#65; &#x1F;</r>",
            XmlErrorKind::ForbiddenChar { code_point: 0x1F },
            "&#x1F;",
        ),
    ] {
        for skip in [false, true] {
            let mut stream = XmlStream::new(xml.as_bytes(), XmlLimits::default()).unwrap();
            stream.skip_leading_space(skip);
            let error = loop {
                match stream.next_token().unwrap() {
                    Token::Text(t) => break t.decode().unwrap_err(),
                    Token::Eof => panic!("no text in {xml:?}"),
                    _ => {}
                }
            };
            assert_eq!(
                error,
                XmlError::new(kind, at(xml, reference)),
                "{xml:?} skip={skip}"
            );
        }
    }
}

#[test]
fn raw_control_char_is_refused() {
    let xml = "<r>ab\u{1}</r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::ForbiddenChar { code_point: 1 }, 5)
    );
    let xml = "<r>\u{FFFE}</r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::ForbiddenChar { code_point: 0xFFFE }, 3)
    );
}

#[test]
fn depth_bomb_is_refused_at_the_first_element_too_deep() {
    let limits = XmlLimits::default();
    let xml = "<a>".repeat(100_000);
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(
            XmlErrorKind::TooDeep {
                limit: limits.max_depth
            },
            3 * limits.max_depth as u64
        )
    );
}

#[test]
fn attribute_flood_is_refused_at_the_first_attribute_over_the_limit() {
    let limits = XmlLimits::default();
    let mut xml = String::from("<r");
    for i in 0..100_000 {
        xml.push_str(&format!(" a{i}=\"\""));
    }
    xml.push_str("/>");
    let n = limits.max_attributes;
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(
            XmlErrorKind::TooManyAttributes { limit: n },
            at(&xml, &format!(" a{n}=")) + 1
        )
    );
}

#[test]
fn duplicate_attributes_are_refused_by_qname_and_by_expanded_name() {
    let xml = "<r a=\"1\" b=\"2\" a=\"3\"/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::DuplicateAttribute, at(xml, "a=\"3"))
    );
    let xml = "<r xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:a=\"1\" q:a=\"2\"/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::DuplicateAttribute, at(xml, "q:a"))
    );
}

#[test]
fn node_text_and_value_limits() {
    let limits = XmlLimits {
        max_nodes: 3,
        ..XmlLimits::default()
    };
    let xml = "<r><a/><b/><c/></r>";
    assert_eq!(
        err_with(xml.as_bytes(), limits),
        XmlError::new(XmlErrorKind::TooManyNodes { limit: 3 }, at(xml, "<c"))
    );
    let limits = XmlLimits {
        max_text_len: 4,
        ..XmlLimits::default()
    };
    assert_eq!(
        err_with(b"<r>12345</r>", limits),
        XmlError::new(XmlErrorKind::TextTooLong { limit: 4 }, 3)
    );
    let limits = XmlLimits {
        max_attribute_len: 4,
        ..XmlLimits::default()
    };
    assert_eq!(
        err_with(b"<r a=\"12345\"/>", limits),
        XmlError::new(XmlErrorKind::AttributeTooLong { limit: 4 }, 3)
    );
    let limits = XmlLimits {
        max_bytes: 8,
        ..XmlLimits::default()
    };
    assert_eq!(
        err_with(b"<r>12345</r>", limits),
        XmlError::new(XmlErrorKind::TooLarge { size: 12, limit: 8 }, 8)
    );
}

#[test]
fn unbound_prefix_is_refused() {
    let xml = "<r xmlns:a=\"urn:a\"><a:x/><b:y/></r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::UnboundPrefix, at(xml, "<b:y"))
    );
    let xml = "<r><x b:at=\"1\"/></r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::UnboundPrefix, at(xml, "b:at"))
    );
    // A prefix goes out of scope with its element.
    let xml = "<r><a:x xmlns:a=\"urn:a\"/><a:y/></r>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::UnboundPrefix, at(xml, "<a:y"))
    );
}

#[test]
fn bad_namespace_declarations_are_refused() {
    let xml = "<r xmlns:p=\"\"/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::BadNamespaceDeclaration, 3)
    );
    let xml = "<r xmlns:xml=\"urn:other\"/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::BadNamespaceDeclaration, 3)
    );
}

#[test]
fn names_are_resolved() {
    let xml = r#"<s:E xmlns:s="urn:s" xmlns="urn:d"><B xml:lang="fr" s:a="1" b="2"><C xmlns=""/></B></s:E>"#;
    let root = parse_tree(xml.as_bytes(), XmlLimits::default()).expect("parses");
    assert!(root.name.is("urn:s", "E"));
    let b = root
        .child("urn:d", "B")
        .expect("B in the default namespace");
    assert_eq!(b.attribute_ns(XML_NAMESPACE, "lang"), Some("fr"));
    assert_eq!(b.attribute_ns("urn:s", "a"), Some("1"));
    assert_eq!(b.attribute("b"), Some("2"));
    assert_eq!(b.attribute("a"), None);
    let c = b.elements().next().expect("C");
    assert_eq!(c.name.namespace, None);
    assert_eq!(c.name.local, "C");
}

#[test]
fn truncated_input_is_reported_at_its_end() {
    for xml in [
        "<r><a>text</a>",
        "<r><a",
        "<r><!-- never closed",
        "<r><![CDATA[x",
    ] {
        let e = err(xml.as_bytes());
        assert_eq!(e.kind, XmlErrorKind::Truncated, "{xml}");
        assert!(e.position <= xml.len() as u64, "{xml}");
    }
    let xml = "<r><a>text</a>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::Truncated, xml.len() as u64)
    );
    assert_eq!(err(b""), XmlError::new(XmlErrorKind::NoRoot, 0));
    assert_eq!(err(b"  \n"), XmlError::new(XmlErrorKind::NoRoot, 3));
}

#[test]
fn structure_errors() {
    let xml = "<r><a></b></r>";
    assert_eq!(err(xml.as_bytes()).kind, XmlErrorKind::MismatchedEndTag);
    let xml = "<r/><s/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::ContentAfterRoot, 4)
    );
    let xml = "<r/>x";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::ContentAfterRoot, 4)
    );
    let xml = "x<r/>";
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::TextBeforeRoot, 0)
    );
}

#[test]
fn non_utf8_is_refused_at_the_first_bad_byte() {
    let xml = b"<r>Acc\xE8s</r>";
    assert_eq!(err(xml), XmlError::new(XmlErrorKind::NotUtf8, 6));
    // After a byte order mark, positions still count from the start of the input.
    let xml = b"\xEF\xBB\xBF<r>\xFF</r>";
    assert_eq!(err(xml), XmlError::new(XmlErrorKind::NotUtf8, 6));
}

#[test]
fn error_text_never_carries_document_text() {
    let xml = "<r>DUPONT &secret;</r>";
    let e = err(xml.as_bytes());
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains("DUPONT") && !shown.contains("secret"),
        "{shown}"
    );
}

#[test]
fn events_stream_with_positions() {
    let xml = "<a><b x=\"1\">t</b><![CDATA[<c>]]></a>";
    let evs: Vec<_> = XmlReader::new(xml.as_bytes(), XmlLimits::default())
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("events");
    assert_eq!(evs.len(), 6);
    assert!(
        matches!(&evs[1], XmlEvent::Start { name, attributes, position: 3 }
        if name.local == "b" && attributes.len() == 1)
    );
    assert!(matches!(&evs[2], XmlEvent::Text { text, position: 12 } if text == "t"));
    assert!(matches!(&evs[4], XmlEvent::Text { text, .. } if text == "<c>"));
}

#[test]
fn reading_is_linear_on_a_large_flat_document() {
    // 50 000 siblings, each with 20 attributes: finishes quickly (no pairwise checks).
    let mut xml = String::from("<r xmlns:p=\"urn:p\">");
    let attrs: String = (0..20).map(|i| format!(" p:a{i}=\"v\"")).collect();
    for _ in 0..50_000 {
        xml.push_str("<e");
        xml.push_str(&attrs);
        xml.push_str("/>");
    }
    xml.push_str("</r>");
    let start = std::time::Instant::now();
    XmlReader::new(xml.as_bytes(), XmlLimits::default())
        .and_then(XmlReader::check)
        .expect("reads");
    // A hang guard, not a speed figure (those are in BENCHMARKS.md): a pass that is quadratic in
    // the number of siblings would take hours here; a loaded debug build takes seconds.
    assert!(start.elapsed() < std::time::Duration::from_secs(120));
}

#[test]
fn writer_escapes_and_refuses_forbidden_chars() {
    let mut w = XmlWriter::with_declaration();
    w.start("s:E", &[("xmlns:s", "urn:s"), ("q", "a\"b'c\n<&>")])
        .expect("start");
    w.element("s:T", &[], "x < y & z\r").expect("element");
    w.fragment("<k xmlns=\"urn:k\"><v>1</v></k>")
        .expect("fragment");
    w.end().expect("end");
    let out = w.finish().expect("finish");
    assert_eq!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><s:E xmlns:s=\"urn:s\" q=\"a&quot;b&apos;c&#xA;&lt;&amp;&gt;\"><s:T>x &lt; y &amp; z&#xD;</s:T><k xmlns=\"urn:k\"><v>1</v></k></s:E>"
    );
    let root = parse_tree(out.as_bytes(), XmlLimits::default()).expect("reads back");
    assert_eq!(root.attribute("q"), Some("a\"b'c\n<&>"));
    assert_eq!(
        root.child("urn:s", "T").map(Element::text).as_deref(),
        Some("x < y & z")
    );

    assert_eq!(
        escape_text("ok\u{0}"),
        Err(XmlWriteError::ForbiddenChar {
            code_point: 0,
            offset: 2
        })
    );
    assert_eq!(
        escape_attribute("\u{FFFF}"),
        Err(XmlWriteError::ForbiddenChar {
            code_point: 0xFFFF,
            offset: 0
        })
    );
    let mut w = XmlWriter::new();
    assert_eq!(w.start("1bad", &[]), Err(XmlWriteError::InvalidName));
    assert_eq!(w.start("a b", &[]), Err(XmlWriteError::InvalidName));
    assert_eq!(w.end(), Err(XmlWriteError::NothingToClose));
    w.start("a", &[]).expect("start");
    assert_eq!(
        w.fragment("<b><p:c/></b>"),
        Err(XmlWriteError::Fragment(XmlError::new(
            XmlErrorKind::UnboundPrefix,
            3
        )))
    );
    assert_eq!(
        w.clone().finish(),
        Err(XmlWriteError::Unbalanced { open: 1 })
    );
}

#[test]
fn many_attributes_and_declarations_use_the_hashed_paths() {
    // A duplicate after more than 16 attributes (the hash set path).
    let mut xml = String::from("<r");
    for i in 0..20 {
        xml.push_str(&format!(" a{i}=\"\""));
    }
    xml.push_str(" a3=\"\"/>");
    assert_eq!(
        err(xml.as_bytes()),
        XmlError::new(XmlErrorKind::DuplicateAttribute, at(&xml, " a3=\"\"/") + 1)
    );
    // More than 16 declarations in scope (the map path), shadowing and scope ends.
    let mut xml = String::from("<r xmlns:p=\"urn:outer\">");
    for i in 0..20 {
        xml.push_str(&format!("<e xmlns:q{i}=\"urn:{i}\">"));
    }
    xml.push_str("<p:x xmlns:p=\"urn:inner\" q0:a=\"1\"/><p:y/>");
    for _ in 0..20 {
        xml.push_str("</e>");
    }
    xml.push_str("<p:z/><q0:w/></r>");
    let evs: Vec<_> = XmlReader::new(xml.as_bytes(), XmlLimits::default())
        .expect("reader")
        .collect();
    let starts: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Ok(XmlEvent::Start { name, .. }) if name.prefix == Some("p") => {
                Some((name.local, name.namespace.as_deref().map(str::to_owned)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        starts,
        [
            ("x", Some("urn:inner".to_owned())),
            ("y", Some("urn:outer".to_owned())),
            ("z", Some("urn:outer".to_owned()))
        ]
    );
    assert_eq!(
        evs.last(),
        Some(&Err(XmlError::new(
            XmlErrorKind::UnboundPrefix,
            at(&xml, "<q0:w")
        )))
    );
}

#[test]
fn forbidden_chars_are_found_at_every_offset() {
    for len in 0..40 {
        for bad in ["\u{0}", "\u{1F}", "\u{FFFE}", "\u{FFFF}"] {
            let s = format!("{}{bad}\té\n", "a".repeat(len));
            let code = bad.chars().next().map(u32::from);
            assert_eq!(first_forbidden(&s), code.map(|c| (len, c)), "{len} {bad:?}");
            let s = format!("é{}{bad}", "\t".repeat(len));
            assert_eq!(
                first_forbidden(&s),
                code.map(|c| (len + 2, c)),
                "{len} {bad:?}"
            );
        }
        let fine = format!("{}\u{FFFD}\u{EFFF}\u{E000}\r\n\t", "é".repeat(len));
        assert_eq!(first_forbidden(&fine), None);
    }
}

#[test]
fn the_word_filter_is_exact() {
    let word = |b: [u8; 8]| super::suspicious(u64::from_le_bytes(b));
    assert!(!word(*b"\t\t\n\r  ab"));
    assert!(!word([0xC3, 0xA9, 0x20, 0x7F, 0x80, 0xFF, 0xEE, 0xF0]));
    for bad in [0u8, 1, 8, 0x0B, 0x0C, 0x0E, 0x1F, 0xEF] {
        for at in 0..8 {
            let mut b = *b"\t\n\rabcde";
            if let Some(slot) = b.get_mut(at) {
                *slot = bad;
            }
            assert!(word(b), "{bad:#x} at {at}");
        }
    }
}

/// Every token of `xml` through the stream, attributes read, with `skip` leading white space.
fn stream_tokens(xml: &[u8], skip: bool) -> Result<Vec<String>, XmlError> {
    let mut s = XmlStream::new(xml, XmlLimits::default())?;
    s.skip_leading_space(skip);
    let mut out = Vec::new();
    loop {
        match s.next_token()? {
            Token::Start(tag) => {
                let mut attrs = Vec::new();
                s.read_attributes(&tag, |a| attrs.push(format!("{}={}", a.qname, a.value)))?;
                let ns = s.resolve_element(&tag)?;
                out.push(format!(
                    "<{}@{} {{{}}} {} {}",
                    tag.local_name()?,
                    tag.position(),
                    ns.unwrap_or_default(),
                    attrs.join(","),
                    tag.is_empty()
                ));
            }
            Token::End { position } => out.push(format!("</@{position}")),
            Token::Text(t) => out.push(format!("{:?}@{}", t.decode()?, t.position())),
            Token::Eof => return Ok(out),
        }
    }
}

#[test]
fn stream_positions_are_the_same_with_leading_space_skipped() {
    let xml = "<?xml version=\"1.0\"?>\n<r xmlns=\"urn:r\">\n  <a x=\"1\">\n    t</a>\n  <b/>\n  <![CDATA[c]]>\n</r>";
    let kept = stream_tokens(xml.as_bytes(), false).expect("reads");
    let skipped = stream_tokens(xml.as_bytes(), true).expect("reads");
    // Kept: five white-space texts and the text of `a` with its indentation.
    assert_eq!(kept.len(), 11, "{kept:?}");
    assert_eq!(skipped.len(), 7, "{skipped:?}");
    let marks = |v: &[String]| -> Vec<String> {
        v.iter().filter(|t| t.starts_with('<')).cloned().collect()
    };
    assert_eq!(marks(&kept), marks(&skipped));
    assert!(skipped.contains(&format!("<a@{} {{urn:r}} x=1 false", at(xml, "<a"))));
    assert!(skipped.contains(&format!("<b@{} {{urn:r}}  true", at(xml, "<b"))));
    assert!(skipped.contains(&format!("</@{}", at(xml, "</a"))));
    assert!(skipped.contains(&format!("\"t\"@{}", at(xml, "t<"))));
    assert!(skipped.contains(&format!("\"c\"@{}", at(xml, "<![CDATA"))));
    // Errors name the markup, not the white space before it.
    for skip in [false, true] {
        let xml = "<r>\n  <!DOCTYPE x>\n</r>";
        assert_eq!(
            stream_tokens(xml.as_bytes(), skip),
            Err(XmlError::new(XmlErrorKind::Doctype, at(xml, "<!DOCTYPE")))
        );
        let xml = "\n<?xml version=\"1.0\"?><r/>";
        assert_eq!(
            stream_tokens(xml.as_bytes(), skip),
            Err(XmlError::new(XmlErrorKind::Malformed, 1))
        );
        let xml = "<r>\n  <![CDATA[\u{e9}]]>\n</r>";
        let mut bad = xml.as_bytes().to_vec();
        let cdata = at(xml, "<![CDATA") as usize;
        bad[cdata + 9] = 0xFF;
        bad.remove(cdata + 10);
        assert_eq!(
            stream_tokens(&bad, skip),
            Err(XmlError::new(XmlErrorKind::NotUtf8, cdata as u64 + 9))
        );
    }
}

#[test]
fn stream_scopes_declarations_of_empty_elements_and_refuses_other_encodings() {
    let xml = "<r><p:a xmlns:p=\"urn:p\"/><p:b/></r>";
    assert_eq!(
        stream_tokens(xml.as_bytes(), true),
        Err(XmlError::new(XmlErrorKind::UnboundPrefix, at(xml, "<p:b")))
    );
    for (bytes, name) in [
        (&b"\xFF\xFE<\0r\0/\0>\0"[..], "UTF-16LE"),
        (b"\xFE\xFF\0<\0r\0/\0>", "UTF-16BE"),
        (b"<\0\0\0", "UTF-32LE"),
    ] {
        assert_eq!(
            XmlStream::new(bytes, XmlLimits::default()).map(|_| ()),
            Err(XmlError::new(
                XmlErrorKind::UnsupportedEncoding { encoding: name },
                0
            ))
        );
    }
    // Whitespace-only text is not a node; other text, comments and elements are.
    let limits = XmlLimits {
        max_nodes: 3,
        ..XmlLimits::default()
    };
    assert!(parse_tree(b"<r>\n <a/>\n <b/>\n</r>", limits).is_ok());
    assert_eq!(
        parse_tree(b"<r><a/><!--c--><b/></r>", limits).map(|_| ()),
        Err(XmlError::new(XmlErrorKind::TooManyNodes { limit: 3 }, 15))
    );
}
