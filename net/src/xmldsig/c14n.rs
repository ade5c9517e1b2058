//! Canonical XML 1.0 (W3C REC-xml-c14n-20010315) and Exclusive XML Canonicalization 1.0 (W3C
//! REC-xml-exc-c14n-20020718), with and without comments, over a whole document or the subtree
//! of one element, optionally without one excluded subtree (the enveloped-signature transform,
//! XML-DSig 1.1 §6.6.4).

use std::collections::HashMap;

use super::tree::{Document, NodeData, NodeId};
use crate::xml::XML_NAMESPACE;

/// The four canonicalisation algorithms of XML-DSig 1.1 §6.5, by their identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum C14nAlgorithm {
    /// Canonical XML 1.0 without comments (`http://www.w3.org/TR/2001/REC-xml-c14n-20010315`).
    Inclusive,
    /// Canonical XML 1.0 with comments (`…REC-xml-c14n-20010315#WithComments`); the XAdES
    /// signature of the DMP submission set uses it (DMP note §5.3).
    InclusiveWithComments,
    /// Exclusive C14N 1.0 without comments (`http://www.w3.org/2001/10/xml-exc-c14n#`); the
    /// VIHF signature uses it (DMP note §2.4).
    Exclusive,
    /// Exclusive C14N 1.0 with comments (`http://www.w3.org/2001/10/xml-exc-c14n#WithComments`).
    ExclusiveWithComments,
}

impl C14nAlgorithm {
    /// The algorithm identifier (XML-DSig 1.1 §6.5).
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Inclusive => "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            Self::InclusiveWithComments => {
                "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
            }
            Self::Exclusive => "http://www.w3.org/2001/10/xml-exc-c14n#",
            Self::ExclusiveWithComments => "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        }
    }

    /// The algorithm named by `uri`, if it is one of the four.
    pub fn from_uri(uri: &str) -> Option<Self> {
        [
            Self::Inclusive,
            Self::InclusiveWithComments,
            Self::Exclusive,
            Self::ExclusiveWithComments,
        ]
        .into_iter()
        .find(|a| a.uri() == uri)
    }

    /// Whether comments are kept.
    pub const fn with_comments(self) -> bool {
        matches!(
            self,
            Self::InclusiveWithComments | Self::ExclusiveWithComments
        )
    }

    /// Whether this is exclusive canonicalisation.
    pub const fn is_exclusive(self) -> bool {
        matches!(self, Self::Exclusive | Self::ExclusiveWithComments)
    }
}

/// An algorithm and, for exclusive canonicalisation, the `InclusiveNamespaces PrefixList`
/// (Exclusive C14N §3: prefixes treated as in Canonical XML; `#default` is the default
/// namespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct C14nMode {
    algorithm: C14nAlgorithm,
    inclusive_prefixes: Vec<String>,
}

impl C14nMode {
    /// `algorithm` with an empty prefix list.
    pub fn new(algorithm: C14nAlgorithm) -> Self {
        Self {
            algorithm,
            inclusive_prefixes: Vec::new(),
        }
    }

    /// Exclusive canonicalisation (`comments` or not) with the `InclusiveNamespaces PrefixList`
    /// `prefixes` (`#default` for the default namespace).
    pub fn exclusive_with_prefixes<I, S>(comments: bool, prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut inclusive_prefixes: Vec<String> = prefixes.into_iter().map(Into::into).collect();
        inclusive_prefixes.sort();
        inclusive_prefixes.dedup();
        Self {
            algorithm: if comments {
                C14nAlgorithm::ExclusiveWithComments
            } else {
                C14nAlgorithm::Exclusive
            },
            inclusive_prefixes,
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> C14nAlgorithm {
        self.algorithm
    }

    /// The same mode without comments (same-document references drop comments, XML-DSig 1.1
    /// §4.4.3.3).
    pub fn without_comments(&self) -> Self {
        let algorithm = match self.algorithm {
            C14nAlgorithm::InclusiveWithComments => C14nAlgorithm::Inclusive,
            C14nAlgorithm::ExclusiveWithComments => C14nAlgorithm::Exclusive,
            a => a,
        };
        Self {
            algorithm,
            inclusive_prefixes: self.inclusive_prefixes.clone(),
        }
    }

    /// The `InclusiveNamespaces PrefixList` (sorted; empty for inclusive canonicalisation).
    pub fn inclusive_prefixes(&self) -> &[String] {
        if self.algorithm.is_exclusive() {
            &self.inclusive_prefixes
        } else {
            &[]
        }
    }
}

impl From<C14nAlgorithm> for C14nMode {
    fn from(algorithm: C14nAlgorithm) -> Self {
        Self::new(algorithm)
    }
}

/// Namespace bindings as a scoped map: prefix → stack of URIs ("" = no namespace), with an undo
/// log so each element pops what it pushed. Lookups are O(1).
#[derive(Default)]
struct Scope<'d> {
    map: HashMap<&'d str, Vec<&'d str>>,
    log: Vec<&'d str>,
}

impl<'d> Scope<'d> {
    fn get(&self, prefix: &str) -> &'d str {
        self.map
            .get(prefix)
            .and_then(|v| v.last().copied())
            .unwrap_or("")
    }
    fn mark(&self) -> usize {
        self.log.len()
    }
    fn set(&mut self, prefix: &'d str, uri: &'d str) {
        self.map.entry(prefix).or_default().push(uri);
        self.log.push(prefix);
    }
    fn reset(&mut self, mark: usize) {
        while self.log.len() > mark {
            if let Some(p) = self.log.pop()
                && let Some(v) = self.map.get_mut(p)
            {
                v.pop();
            }
        }
    }
    fn prefixes(&self) -> impl Iterator<Item = (&'d str, &'d str)> + '_ {
        self.map
            .iter()
            .filter_map(|(p, v)| v.last().map(|u| (*p, *u)))
    }
}

struct Canon<'d, 'a> {
    doc: &'d Document<'a>,
    exclusive: bool,
    comments: bool,
    inclusive_prefixes: Vec<&'d str>,
    excluded: Option<NodeId>,
    out: Vec<u8>,
    /// In-scope namespaces of the element being rendered.
    inscope: Scope<'d>,
    /// Namespaces rendered by output ancestors.
    rendered: Scope<'d>,
}

fn escape_text(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    // Most text (base64 content above all) has nothing to escape: vectorised searches first.
    if memchr::memchr3(b'&', b'<', b'>', b).is_none() && memchr::memchr(b'\r', b).is_none() {
        out.extend_from_slice(b);
        return;
    }
    let mut from = 0;
    for (i, c) in b.iter().enumerate() {
        let rep: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(b.get(from..i).unwrap_or_default());
        out.extend_from_slice(rep);
        from = i + 1;
    }
    out.extend_from_slice(b.get(from..).unwrap_or_default());
}

fn escape_attr(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if memchr::memchr3(b'&', b'<', b'"', b).is_none()
        && memchr::memchr3(b'\t', b'\n', b'\r', b).is_none()
    {
        out.extend_from_slice(b);
        return;
    }
    let mut from = 0;
    for (i, c) in b.iter().enumerate() {
        let rep: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(b.get(from..i).unwrap_or_default());
        out.extend_from_slice(rep);
        from = i + 1;
    }
    out.extend_from_slice(b.get(from..).unwrap_or_default());
}

impl<'d, 'a> Canon<'d, 'a> {
    fn comment(&mut self, c: &str) {
        self.out.extend_from_slice(b"<!--");
        self.out.extend_from_slice(c.as_bytes());
        self.out.extend_from_slice(b"-->");
    }

    fn pi(&mut self, target: &str, data: &str) {
        self.out.extend_from_slice(b"<?");
        self.out.extend_from_slice(target.as_bytes());
        if !data.is_empty() {
            self.out.push(b' ');
            self.out.extend_from_slice(data.as_bytes());
        }
        self.out.extend_from_slice(b"?>");
    }

    /// Renders element `id` and its subtree; `apex` when its parent is not in the node set.
    fn element(&mut self, id: NodeId, apex: bool) {
        if Some(id) == self.excluded {
            return;
        }
        let doc = self.doc;
        let Some(e) = doc.elem(id) else { return };
        let in_mark = self.inscope.mark();
        let out_mark = self.rendered.mark();
        for (p, u) in &e.decls {
            // The `xml` binding is implicit and never rendered.
            if *p != "xml" {
                self.inscope.set(p, u.as_ref());
            }
        }
        // Namespace nodes to render: (prefix, uri).
        let mut ns: Vec<(&'d str, &'d str)> = Vec::new();
        if self.exclusive {
            // Exclusive C14N §3: visibly utilised prefixes, plus the InclusiveNamespaces ones.
            let mut wanted: Vec<&'d str> = Vec::with_capacity(2 + e.attrs.len());
            wanted.push(e.prefix.unwrap_or(""));
            for a in &e.attrs {
                if let Some(p) = a.prefix
                    && p != "xml"
                {
                    wanted.push(p);
                }
            }
            for p in &self.inclusive_prefixes {
                let p: &'d str = if *p == "#default" { "" } else { p };
                // Only namespace nodes of the element: a declared (or inherited) binding.
                if p.is_empty() || self.inscope.map.get(p).is_some_and(|v| !v.is_empty()) {
                    wanted.push(p);
                }
            }
            wanted.sort_unstable();
            wanted.dedup();
            for p in wanted {
                let uri = self.inscope.get(p);
                if self.rendered.get(p) != uri {
                    ns.push((p, uri));
                }
            }
        } else if apex {
            // Canonical XML §2.3: every namespace node of the apex (inherited ones included).
            for (p, uri) in self.inscope.prefixes() {
                if self.rendered.get(p) != uri {
                    ns.push((p, uri));
                }
            }
            ns.sort_unstable();
        } else {
            // The parent was rendered with every binding it had in scope: only this element's
            // own declarations can differ.
            for (p, u) in e.decls.iter().filter(|(p, _)| *p != "xml") {
                let uri = self.inscope.get(p);
                if *u == uri && self.rendered.get(p) != uri {
                    ns.push((p, uri));
                }
            }
            ns.sort_unstable();
            ns.dedup();
        }
        self.out.push(b'<');
        self.out.extend_from_slice(e.qname.as_bytes());
        for (p, uri) in &ns {
            self.rendered.set(p, uri);
            if p.is_empty() {
                self.out.extend_from_slice(b" xmlns=\"");
            } else {
                self.out.extend_from_slice(b" xmlns:");
                self.out.extend_from_slice(p.as_bytes());
                self.out.extend_from_slice(b"=\"");
            }
            escape_attr(&mut self.out, uri);
            self.out.push(b'"');
        }
        // Attributes sorted by (namespace URI, local name), no namespace first (C14N §2.2).
        let mut attrs: Vec<(&'d str, &'d str, &'d str, &'d str)> = e
            .attrs
            .iter()
            .map(|a| {
                (
                    a.namespace.as_deref().unwrap_or(""),
                    a.local,
                    a.qname,
                    a.value.as_ref(),
                )
            })
            .collect();
        if apex && !self.exclusive {
            // Canonical XML 1.0 §2.4: xml:* attributes of ancestors outside the node set are
            // inherited by the apex unless it has its own.
            let mut at = e.parent;
            while let Some(pid) = at {
                let Some(pe) = doc.elem(pid) else { break };
                for a in &pe.attrs {
                    if a.namespace.as_deref() == Some(XML_NAMESPACE)
                        && !attrs.iter().any(|x| x.0 == XML_NAMESPACE && x.1 == a.local)
                    {
                        attrs.push((XML_NAMESPACE, a.local, a.qname, a.value.as_ref()));
                    }
                }
                at = pe.parent;
            }
        }
        attrs.sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        for (_, _, qname, value) in attrs {
            self.out.push(b' ');
            self.out.extend_from_slice(qname.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape_attr(&mut self.out, value);
            self.out.push(b'"');
        }
        self.out.push(b'>');
        for c in &e.children {
            match doc.nodes.get(c.0) {
                Some(NodeData::Element(_)) => self.element(*c, false),
                Some(NodeData::Text(t)) => escape_text(&mut self.out, t),
                Some(NodeData::Comment(t)) if self.comments => self.comment(t),
                Some(NodeData::Pi { target, data }) => self.pi(target, data),
                _ => {}
            }
        }
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(e.qname.as_bytes());
        self.out.push(b'>');
        self.inscope.reset(in_mark);
        self.rendered.reset(out_mark);
    }
}

impl<'a> Document<'a> {
    /// The canonical form of the whole document (C14N 1.0 §2, Exclusive C14N §3): comments and
    /// processing instructions around the root on their own lines, no XML declaration, no
    /// document type, sorted namespaces and attributes, empty elements as start-end pairs,
    /// line ends and attribute whitespace normalised, characters escaped as §2.3 lists.
    pub fn canonicalize(&self, mode: &C14nMode) -> Vec<u8> {
        self.canonicalize_subset(None, None, mode)
    }

    /// The canonical form of the whole document without the subtree of `excluded`.
    pub(crate) fn canonicalize_excluding(
        &self,
        excluded: Option<NodeId>,
        mode: &C14nMode,
    ) -> Vec<u8> {
        self.canonicalize_subset(None, excluded, mode)
    }

    /// The canonical form of the subtree of `element` (its apex rendered with every namespace
    /// in scope for inclusive canonicalisation, C14N 1.0 §2.4), without the subtree of
    /// `excluded` (the enveloped-signature transform, XML-DSig 1.1 §6.6.4).
    pub fn canonicalize_element(
        &self,
        element: NodeId,
        excluded: Option<NodeId>,
        mode: &C14nMode,
    ) -> Vec<u8> {
        self.canonicalize_subset(Some(element), excluded, mode)
    }

    fn canonicalize_subset(
        &self,
        element: Option<NodeId>,
        excluded: Option<NodeId>,
        mode: &C14nMode,
    ) -> Vec<u8> {
        let algorithm = mode.algorithm();
        let mut c = Canon {
            doc: self,
            exclusive: algorithm.is_exclusive(),
            comments: algorithm.with_comments(),
            inclusive_prefixes: mode
                .inclusive_prefixes()
                .iter()
                .map(String::as_str)
                .collect(),
            excluded,
            out: Vec::new(),
            inscope: Scope::default(),
            rendered: Scope::default(),
        };
        match element {
            Some(id) => {
                // Bindings of the ancestors, outermost first.
                let mut chain = Vec::new();
                let mut at = self.parent(id);
                while let Some(p) = at {
                    chain.push(p);
                    at = self.parent(p);
                }
                for p in chain.iter().rev() {
                    if let Some(e) = self.elem(*p) {
                        for (prefix, uri) in e.decls.iter().filter(|(p, _)| *p != "xml") {
                            c.inscope.set(prefix, uri.as_ref());
                        }
                    }
                }
                c.element(id, true);
            }
            None => {
                let mut after_root = false;
                for id in &self.top {
                    match self.nodes.get(id.0) {
                        Some(NodeData::Element(_)) => {
                            c.element(*id, true);
                            after_root = true;
                        }
                        Some(NodeData::Comment(t)) if c.comments => {
                            if after_root {
                                c.out.push(b'\n');
                            }
                            c.comment(t);
                            if !after_root {
                                c.out.push(b'\n');
                            }
                        }
                        Some(NodeData::Pi { target, data }) => {
                            if after_root {
                                c.out.push(b'\n');
                            }
                            c.pi(target, data);
                            if !after_root {
                                c.out.push(b'\n');
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        c.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::XmlLimits;

    fn subtree(xml: &str, mode: C14nMode) -> String {
        let doc = Document::parse(xml.as_bytes(), XmlLimits::default()).unwrap();
        let target = doc.elements_by_id("t")[0];
        String::from_utf8(doc.canonicalize_element(target, None, &mode)).unwrap()
    }

    const NESTED: &str = r#"<r xmlns="urn:d" xmlns:a="urn:a" xmlns:u="urn:unused" xml:lang="fr" xml:space="preserve"><s xml:lang="en"><a:t Id="t" b="1"><c/><a:d xmlns=""/></a:t></s></r>"#;

    #[test]
    fn inclusive_subtree_takes_every_namespace_in_scope_and_xml_attributes() {
        // C14N 1.0 §2.4: namespaces of ancestors and the nearest xml:* attributes move to
        // the apex.
        assert_eq!(
            subtree(NESTED, C14nMode::new(C14nAlgorithm::Inclusive)),
            r#"<a:t xmlns="urn:d" xmlns:a="urn:a" xmlns:u="urn:unused" Id="t" b="1" xml:lang="en" xml:space="preserve"><c></c><a:d xmlns=""></a:d></a:t>"#
        );
    }

    #[test]
    fn exclusive_subtree_takes_only_visibly_used_namespaces() {
        // Exclusive C14N §3: `a` is used by the apex, the default namespace by `c`; `u` is
        // never used; xml:* attributes are not inherited.
        assert_eq!(
            subtree(NESTED, C14nMode::new(C14nAlgorithm::Exclusive)),
            r#"<a:t xmlns:a="urn:a" Id="t" b="1"><c xmlns="urn:d"></c><a:d></a:d></a:t>"#
        );
        // With `u` in the PrefixList it is rendered at the apex like inclusive C14N.
        assert_eq!(
            subtree(NESTED, C14nMode::exclusive_with_prefixes(false, ["u"])),
            r#"<a:t xmlns:a="urn:a" xmlns:u="urn:unused" Id="t" b="1"><c xmlns="urn:d"></c><a:d></a:d></a:t>"#
        );
    }

    #[test]
    fn whole_document_rules() {
        let xml = "<?xml version=\"1.0\"?>\r\n<!--a--><?p  x ?><r b='&#9;\r\n&lt;' a=\"&quot;\">t\r\n&#13;<![CDATA[<&>]]><e/></r><!--z-->";
        let doc = Document::parse(xml.as_bytes(), XmlLimits::default()).unwrap();
        assert_eq!(
            String::from_utf8(doc.canonicalize(&C14nAlgorithm::InclusiveWithComments.into()))
                .unwrap(),
            "<!--a-->\n<?p x ?>\n<r a=\"&quot;\" b=\"&#x9; &lt;\">t\n&#xD;&lt;&amp;&gt;<e></e></r>\n<!--z-->"
        );
        assert_eq!(
            String::from_utf8(doc.canonicalize(&C14nAlgorithm::Inclusive.into())).unwrap(),
            "<?p x ?>\n<r a=\"&quot;\" b=\"&#x9; &lt;\">t\n&#xD;&lt;&amp;&gt;<e></e></r>"
        );
    }

    #[test]
    fn algorithm_identifiers_round_trip() {
        for a in [
            C14nAlgorithm::Inclusive,
            C14nAlgorithm::InclusiveWithComments,
            C14nAlgorithm::Exclusive,
            C14nAlgorithm::ExclusiveWithComments,
        ] {
            assert_eq!(C14nAlgorithm::from_uri(a.uri()), Some(a));
        }
        assert_eq!(
            C14nAlgorithm::from_uri("http://www.w3.org/2006/12/xml-c14n11"),
            None
        );
    }
}
