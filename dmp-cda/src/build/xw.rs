//! Minimal XML text writer for the builders: escaped text and attributes, nothing else.

use super::BuildError;
use super::input::is_xml_char;
use crate::model::{Code, InstanceId};
use crate::xml::escape;

/// An XML string under construction.
pub(crate) struct Xw {
    pub(crate) s: String,
    /// A character XML 1.0 forbids was written: the output would not be well-formed.
    forbidden: bool,
}

impl Xw {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            s: String::with_capacity(capacity),
            forbidden: false,
        }
    }

    /// The document; refused when any text or attribute held a character XML 1.0 forbids
    /// (the last guard: `input::check_text` names the field before this is reached).
    pub(crate) fn finish(self) -> Result<String, BuildError> {
        if self.forbidden {
            return Err(BuildError::Invalid {
                field: "output",
                reason: "a character XML 1.0 forbids".into(),
            });
        }
        Ok(self.s)
    }

    fn guard(&mut self, t: &str) {
        if !t.chars().all(is_xml_char) {
            self.forbidden = true;
        }
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            self.guard(v);
            self.s.push(' ');
            self.s.push_str(k);
            self.s.push_str("=\"");
            self.s.push_str(&escape(v));
            self.s.push('"');
        }
    }

    pub(crate) fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.s.push('<');
        self.s.push_str(tag);
        self.attrs(attrs);
        self.s.push('>');
    }

    pub(crate) fn close(&mut self, tag: &str) {
        self.s.push_str("</");
        self.s.push_str(tag);
        self.s.push('>');
    }

    pub(crate) fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.s.push('<');
        self.s.push_str(tag);
        self.attrs(attrs);
        self.s.push_str("/>");
    }

    pub(crate) fn text(&mut self, t: &str) {
        self.guard(t);
        self.s.push_str(&escape(t));
    }

    pub(crate) fn leaf(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(tag, attrs);
        self.text(text);
        self.close(tag);
    }

    pub(crate) fn raw(&mut self, r: &str) {
        self.s.push_str(r);
    }

    pub(crate) fn ii(&mut self, tag: &str, id: &InstanceId) {
        match &id.extension {
            Some(e) => self.empty(tag, &[("root", &id.root), ("extension", e)]),
            None => self.empty(tag, &[("root", &id.root)]),
        }
    }

    /// A coded element; `extra` attributes come first (e.g. `xsi:type`).
    pub(crate) fn cd(&mut self, tag: &str, extra: &[(&str, &str)], c: &Code) {
        self.open_cd(tag, extra, c);
        self.s.truncate(self.s.len() - 1);
        self.s.push_str("/>");
    }

    pub(crate) fn open_cd(&mut self, tag: &str, extra: &[(&str, &str)], c: &Code) {
        self.open_cd3(
            tag,
            extra,
            (&c.code, &c.code_system, c.display_name.as_deref()),
        );
    }

    /// A coded element from a value-set member (no allocation).
    pub(crate) fn vs<T: crate::jdv::ValueSet>(&mut self, tag: &str, m: T) {
        let (c, s, d) = m.triplet();
        self.open_cd3(tag, &[], (c, s, Some(d)));
        self.s.truncate(self.s.len() - 1);
        self.s.push_str("/>");
    }

    pub(crate) fn open_vs<T: crate::jdv::ValueSet>(&mut self, tag: &str, m: T) {
        let (c, s, d) = m.triplet();
        self.open_cd3(tag, &[], (c, s, Some(d)));
    }

    fn open_cd3(
        &mut self,
        tag: &str,
        extra: &[(&str, &str)],
        (code, system, display): (&str, &str, Option<&str>),
    ) {
        self.s.push('<');
        self.s.push_str(tag);
        self.attrs(extra);
        self.attrs(&[("code", code)]);
        if let Some(d) = display {
            self.attrs(&[("displayName", d)]);
        }
        self.attrs(&[("codeSystem", system)]);
        self.s.push('>');
    }
}
