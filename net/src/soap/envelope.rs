//! Envelopes: building and parsing, WS-Addressing headers.

use super::{SoapError, SoapFault, SoapVersion, WSA_NS};
use crate::xml::{Element, Node, XmlLimits, XmlWriter, parse_tree};

/// WS-Addressing 1.0 message addressing properties carried as SOAP headers (W3C WS-Addressing
/// 1.0 Core §3, SOAP Binding §2). The DMP requires `Action`, `MessageID`, `To` and `ReplyTo` on
/// requests and answers with `RelatesTo` (`specs/dmp.md` §1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    /// `wsa:Action` (written with `mustUnderstand`, WS-Addressing 1.0 SOAP Binding §2.4).
    pub action: Option<String>,
    /// `wsa:MessageID`, e.g. `urn:uuid:…`.
    pub message_id: Option<String>,
    /// `wsa:To`: the endpoint address.
    pub to: Option<String>,
    /// `wsa:RelatesTo`: the `MessageID` of the request a response answers.
    pub relates_to: Option<String>,
    /// `wsa:ReplyTo/wsa:Address` (usually [`super::WSA_ANONYMOUS`]).
    pub reply_to: Option<String>,
}

impl Addressing {
    fn read(header: &Element<'_>) -> Self {
        let text = |local: &str| header.child(WSA_NS, local).map(Element::text);
        Self {
            action: text("Action"),
            message_id: text("MessageID"),
            to: text("To"),
            relates_to: text("RelatesTo"),
            reply_to: header
                .child(WSA_NS, "ReplyTo")
                .and_then(|r| r.child(WSA_NS, "Address"))
                .map(Element::text),
        }
    }

    fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    fn write(&self, w: &mut XmlWriter, version: SoapVersion) -> Result<(), SoapError> {
        let must = match version {
            SoapVersion::Soap11 => "1",
            SoapVersion::Soap12 => "true",
        };
        let ns = [("xmlns:wsa", WSA_NS)];
        if let Some(v) = &self.action {
            w.element(
                "wsa:Action",
                &[("xmlns:wsa", WSA_NS), ("soap:mustUnderstand", must)],
                v,
            )?;
        }
        if let Some(v) = &self.message_id {
            w.element("wsa:MessageID", &ns, v)?;
        }
        if let Some(v) = &self.to {
            w.element("wsa:To", &ns, v)?;
        }
        if let Some(v) = &self.relates_to {
            w.element("wsa:RelatesTo", &ns, v)?;
        }
        if let Some(v) = &self.reply_to {
            w.start("wsa:ReplyTo", &ns)?;
            w.element("wsa:Address", &[], v)?;
            w.end()?;
        }
        Ok(())
    }
}

/// A parsed envelope. Borrows the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The version, from the envelope namespace.
    pub version: SoapVersion,
    /// WS-Addressing headers found in the `Header`.
    pub addressing: Addressing,
    /// The `Header` element, if any.
    pub header: Option<Element<'a>>,
    /// The `Body` element.
    pub body: Element<'a>,
}

impl<'a> Envelope<'a> {
    /// The first element of the body (the payload or the fault).
    pub fn body_content(&self) -> Option<&Element<'a>> {
        self.body.elements().next()
    }

    /// The fault carried by the body, if the body holds one (SOAP 1.2 Part 1 §5.4: a fault is
    /// the only child of the body).
    pub fn fault(&self) -> Option<SoapFault> {
        self.body
            .child(self.version.namespace(), "Fault")
            .map(|f| SoapFault::from_element(self.version, f))
    }

    /// The header blocks (children of `Header`).
    pub fn header_blocks(&self) -> impl Iterator<Item = &Element<'a>> {
        self.header.iter().flat_map(Element::elements)
    }
}

/// Parses a SOAP 1.1 or 1.2 envelope with the hardened reader and `limits`.
pub fn parse_envelope(xml: &[u8], limits: XmlLimits) -> Result<Envelope<'_>, SoapError> {
    let root = parse_tree(xml, limits)?;
    let version = root
        .name
        .namespace
        .as_deref()
        .and_then(SoapVersion::from_namespace)
        .filter(|_| root.name.local == "Envelope")
        .ok_or(SoapError::NotAnEnvelope {
            position: root.position,
        })?;
    let ns = version.namespace();
    let envelope_position = root.position;
    let mut header = None;
    let mut body: Option<Element<'_>> = None;
    for node in root.children {
        let Node::Element(e) = node else {
            // Text in the envelope: SOAP 1.2 Part 1 §5.1 allows only element children.
            return Err(SoapError::Structure {
                position: envelope_position,
            });
        };
        let bad = SoapError::Structure {
            position: e.position,
        };
        if e.name.is(ns, "Header") && header.is_none() && body.is_none() {
            header = Some(e);
        } else if e.name.is(ns, "Body") && body.is_none() {
            body = Some(e);
        } else if version == SoapVersion::Soap11 && body.is_some() && e.name.namespace.is_some() {
            // SOAP 1.1 §4.1.1: qualified elements may follow the Body; they are ignored.
        } else {
            return Err(bad);
        }
    }
    let body = body.ok_or(SoapError::Structure {
        position: envelope_position,
    })?;
    let addressing = header.as_ref().map(Addressing::read).unwrap_or_default();
    Ok(Envelope {
        version,
        addressing,
        header,
        body,
    })
}

fn write_envelope(
    version: SoapVersion,
    addressing: &Addressing,
    header_blocks: &[&str],
    body: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
) -> Result<String, SoapError> {
    let mut w = XmlWriter::with_declaration();
    w.start("soap:Envelope", &[("xmlns:soap", version.namespace())])?;
    if !addressing.is_empty() || !header_blocks.is_empty() {
        w.start("soap:Header", &[])?;
        addressing.write(&mut w, version)?;
        for block in header_blocks {
            w.fragment(block)?;
        }
        w.end()?;
    }
    w.start("soap:Body", &[])?;
    body(&mut w)?;
    w.end()?;
    w.end()?;
    Ok(w.finish()?)
}

/// Writes an envelope (prefix `soap`) with the WS-Addressing headers, then the pre-serialised
/// `header_blocks` (each one well-formed element declaring its namespaces, e.g. a signed
/// `wsse:Security`), and the pre-serialised `body` element (empty string: an empty body).
/// Every fragment is checked by the hardened reader before it is copied.
pub fn build_envelope(
    version: SoapVersion,
    addressing: &Addressing,
    header_blocks: &[&str],
    body: &str,
) -> Result<String, SoapError> {
    write_envelope(version, addressing, header_blocks, |w| {
        if !body.is_empty() {
            w.fragment(body)?;
        }
        Ok(())
    })
}

impl SoapFault {
    /// Writes an envelope of the fault's version whose body is this fault.
    pub fn to_envelope(&self, addressing: &Addressing) -> Result<String, SoapError> {
        write_envelope(self.version, addressing, &[], |w| Ok(self.write(w)?))
    }
}
