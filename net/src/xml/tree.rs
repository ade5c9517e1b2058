//! A small tree over the streaming reader, for SOAP-sized documents read by path.

use std::borrow::Cow;

use super::reader::{Attribute, Name, XmlEvent, XmlReader};
use super::{XmlError, XmlErrorKind, XmlLimits};

/// An element of a tree built by [`parse_tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element<'a> {
    /// Resolved name.
    pub name: Name<'a>,
    /// Attributes in document order (namespace declarations excluded).
    pub attributes: Vec<Attribute<'a>>,
    /// Child nodes in document order. Whitespace-only text is dropped.
    pub children: Vec<Node<'a>>,
    /// Byte offset of the start tag.
    pub position: u64,
}

/// A child node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    /// A child element.
    Element(Element<'a>),
    /// Character data (references decoded, CDATA included).
    Text(Cow<'a, str>),
}

impl<'a> Element<'a> {
    /// The value of the attribute `local` in no namespace (an unprefixed attribute).
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.is_unqualified(local))
            .map(|a| a.value.as_ref())
    }

    /// The value of the attribute `{namespace}local`.
    pub fn attribute_ns(&self, namespace: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.is(namespace, local))
            .map(|a| a.value.as_ref())
    }

    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element<'a>> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements named `{namespace}local`.
    pub fn children_named<'s>(
        &'s self,
        namespace: &'s str,
        local: &'s str,
    ) -> impl Iterator<Item = &'s Element<'a>> + 's {
        self.elements().filter(move |e| e.name.is(namespace, local))
    }

    /// The first child element named `{namespace}local`.
    pub fn child(&self, namespace: &str, local: &str) -> Option<&Element<'a>> {
        self.elements().find(|e| e.name.is(namespace, local))
    }

    /// The concatenated text children of this element (not of its descendants), trimmed of
    /// XML whitespace.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                out.push_str(t);
            }
        }
        out.trim_matches([' ', '\t', '\n', '\r']).to_owned()
    }

    /// Depth-first search for the first descendant (or self) named `{namespace}local`.
    pub fn find(&self, namespace: &str, local: &str) -> Option<&Element<'a>> {
        // Iterative: the tree depth is bounded by the limits, but no recursion is needed.
        let mut todo: Vec<&Element<'a>> = vec![self];
        while let Some(e) = todo.pop() {
            if e.name.is(namespace, local) {
                return Some(e);
            }
            let before = todo.len();
            todo.extend(e.elements());
            todo.get_mut(before..).map(<[_]>::reverse);
        }
        None
    }
}

/// Parses a whole document into its root element, with the hardened reader's rules and
/// `limits`. Whitespace-only text nodes are dropped (indentation).
pub fn parse_tree<'a>(input: &'a [u8], limits: XmlLimits) -> Result<Element<'a>, XmlError> {
    let reader = XmlReader::new(input, limits)?;
    let mut stack: Vec<Element<'a>> = Vec::new();
    let mut root = None;
    for ev in reader {
        match ev? {
            XmlEvent::Start {
                name,
                attributes,
                position,
            } => stack.push(Element {
                name,
                attributes,
                children: Vec::new(),
                position,
            }),
            XmlEvent::End { position, .. } => {
                let done = stack
                    .pop()
                    .ok_or(XmlError::new(XmlErrorKind::MismatchedEndTag, position))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => root = Some(done),
                }
            }
            XmlEvent::Text { text, .. } => {
                if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
                    continue;
                }
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::Text(text));
                }
            }
        }
    }
    root.ok_or(XmlError::new(XmlErrorKind::NoRoot, 0))
}
