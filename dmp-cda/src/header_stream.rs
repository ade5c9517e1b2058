//! Streaming extraction of the CDA header: one pass of the quick-xml tokenizer, no tree, stopping
//! at the `component` (body) of the `ClinicalDocument`.
//!
//! It gives exactly what the tree reader gives (the same "first child by name" and "all
//! children" semantics, checked against the 94 official samples by `tests/read_samples.rs`),
//! with the same hostile-input rules as [`crate::xml`]: a DTD is refused, no entity other than
//! the predefined ones and character references is expanded, every attribute of every element
//! is checked and decoded, size, depth and node count are bounded, and every refusal is a typed
//! [`XmlError`] or [`CdaError`].

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::model::{Code, InstanceId, PatientId, PatientText};
use crate::read::{
    Author, CdaError, CdaHeader, Encounter, LegalAuthenticator, Organization, Patient, PersonName,
    RelatedDocument, ServiceEvent,
};
use crate::xml::{self, XmlError, XmlLimits};

/// Deepest header path the extractor reads, below `ClinicalDocument`.
const MAX_PATH: usize = 8;

struct Frame<'a> {
    name: &'a str,
    first: bool,
    /// Where this element's children's names start in the shared `seen` list (one list for
    /// the whole stack: no allocation per element).
    seen_start: usize,
}

/// Attributes of one start tag, checked and decoded.
type Attrs<'a> = Vec<(&'a str, Cow<'a, str>)>;

fn attr<'x>(a: &'x Attrs<'_>, name: &str) -> Option<&'x str> {
    a.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_ref())
}

fn ii(a: &Attrs<'_>) -> Option<InstanceId> {
    if attr(a, "nullFlavor").is_some() && attr(a, "root").is_none() {
        return None;
    }
    Some(InstanceId {
        root: attr(a, "root")?.to_owned(),
        extension: attr(a, "extension").map(str::to_owned),
    })
}

fn cd(a: &Attrs<'_>) -> Option<Code> {
    Some(Code {
        code: attr(a, "code")?.to_owned(),
        code_system: attr(a, "codeSystem").unwrap_or_default().to_owned(),
        display_name: attr(a, "displayName").map(str::to_owned),
    })
}

fn owned(a: &Attrs<'_>, name: &str) -> Option<String> {
    attr(a, name).map(str::to_owned)
}

/// Where captured text goes when its element ends.
#[derive(Clone, Copy)]
enum Owner {
    Author,
    Legal,
    Custodian,
}

#[derive(Clone, Copy)]
enum Part {
    Prefix,
    Family,
    Given,
    Suffix,
}

enum Target {
    Title,
    PatientPart { family: bool, qualifier: Option<Q> },
    County,
    OrgName(Owner),
    PersonPart(Owner, Part),
    Software,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Q {
    Br,
    Cl,
    Other,
}

#[derive(Default)]
struct State {
    realm: Option<String>,
    template_ids: Vec<InstanceId>,
    id: Option<InstanceId>,
    type_code: Option<Code>,
    title: Option<String>,
    effective_time: Option<String>,
    confidentiality: Option<Code>,
    language_code: Option<String>,
    set_id: Option<InstanceId>,
    version: Option<String>,
    patient: Patient,
    authors: Vec<Author>,
    custodian: Option<Organization>,
    legal: Option<LegalAuthenticator>,
    service_events: Vec<ServiceEvent>,
    encounter: Option<Encounter>,
    related: Vec<(RelatedDocument, Option<String>)>,
}

fn org(st: &mut State, o: Owner) -> Option<&mut Organization> {
    match o {
        Owner::Author => st.authors.last_mut()?.organization.as_mut(),
        Owner::Legal => st.legal.as_mut()?.organization.as_mut(),
        Owner::Custodian => st.custodian.as_mut(),
    }
}

fn person(st: &mut State, o: Owner) -> Option<&mut PersonName> {
    match o {
        Owner::Author => st.authors.last_mut()?.person.as_mut(),
        Owner::Legal => st.legal.as_mut()?.person.as_mut(),
        Owner::Custodian => None,
    }
}

fn join(slot: &mut Option<String>, t: String) {
    if t.is_empty() {
        return;
    }
    match slot {
        Some(s) => {
            s.push(' ');
            s.push_str(&t);
        }
        None => *slot = Some(t),
    }
}

fn pt(s: String) -> Option<PatientText> {
    if s.is_empty() {
        None
    } else {
        Some(PatientText::new(s))
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// What to do with an element of the header.
enum Action {
    /// Nothing more (its descendants may still matter).
    Descend,
    /// Capture its text (all descendants' character data, trimmed).
    Capture(Target),
    /// Its subtree holds nothing the header reads.
    Skip,
}

/// Handles the start of a header element: `p` is its path below `ClinicalDocument` (names
/// and whether each step is the first sibling of that name).
fn on_start(st: &mut State, p: &[(&str, bool)], a: &Attrs<'_>) -> Action {
    use Action::{Capture, Descend, Skip};
    match p {
        [("realmCode", true)] => st.realm = owned(a, "code"),
        [("templateId", _)] => st.template_ids.extend(ii(a)),
        [("id", true)] => st.id = ii(a),
        [("code", true)] => st.type_code = cd(a),
        [("title", true)] => return Capture(Target::Title),
        [("effectiveTime", true)] => st.effective_time = owned(a, "value"),
        [("confidentialityCode", true)] => st.confidentiality = cd(a),
        [("languageCode", true)] => st.language_code = owned(a, "code"),
        [("setId", true)] => st.set_id = ii(a),
        [("versionNumber", true)] => st.version = owned(a, "value"),
        [("recordTarget", true)] | [("recordTarget", true), ("patientRole", true)] => {}
        [("recordTarget", true), ("patientRole", true), rest @ ..] => match rest {
            [("id", _)] => {
                if let (Some(root), Some(ext)) = (attr(a, "root"), attr(a, "extension")) {
                    st.patient.ids.push(PatientId {
                        root: root.to_owned(),
                        extension: PatientText::new(ext),
                    });
                }
            }
            [("patient", true)] | [("patient", true), ("name", _)] => {}
            [("patient", true), ("name", _), (part, _)] => {
                let q = attr(a, "qualifier").map(|q| match q {
                    "BR" => Q::Br,
                    "CL" => Q::Cl,
                    _ => Q::Other,
                });
                return match *part {
                    "family" => Capture(Target::PatientPart {
                        family: true,
                        qualifier: q,
                    }),
                    "given" => Capture(Target::PatientPart {
                        family: false,
                        qualifier: q,
                    }),
                    _ => Skip,
                };
            }
            [("patient", true), ("birthTime", true)] => {
                st.patient.birth_time = attr(a, "value").map(PatientText::new);
            }
            [("patient", true), ("administrativeGenderCode", true)] => {
                st.patient.gender = attr(a, "code").map(PatientText::new);
            }
            [("patient", true), ("birthplace", true)]
            | [("patient", true), ("birthplace", true), ("place", true)]
            | [
                ("patient", true),
                ("birthplace", true),
                ("place", true),
                ("addr", true),
            ] => {}
            [
                ("patient", true),
                ("birthplace", true),
                ("place", true),
                ("addr", true),
                ("county", true),
            ] => return Capture(Target::County),
            _ => return Skip,
        },
        [("author", _)] => st.authors.push(Author::default()),
        [("author", _), rest @ ..] => {
            let Some(au) = st.authors.last_mut() else {
                return Skip;
            };
            match rest {
                [("time", true)] => au.time = owned(a, "value"),
                [("functionCode", true)] => au.function_code = cd(a),
                [("assignedAuthor", true)] => {}
                [("assignedAuthor", true), ("id", _)] => {
                    if au.id.is_none() {
                        au.id = ii(a);
                    }
                }
                [("assignedAuthor", true), ("code", true)] => au.code = cd(a),
                [("assignedAuthor", true), ("assignedPerson", true)] => {}
                [
                    ("assignedAuthor", true),
                    ("assignedPerson", true),
                    ("name", true),
                ] => {
                    au.person = Some(PersonName::default());
                }
                [
                    ("assignedAuthor", true),
                    ("assignedPerson", true),
                    ("name", true),
                    (part, _),
                ] => return person_part(Owner::Author, part),
                [("assignedAuthor", true), ("assignedAuthoringDevice", true)] => {}
                [
                    ("assignedAuthor", true),
                    ("assignedAuthoringDevice", true),
                    ("softwareName", true),
                ] => return Capture(Target::Software),
                [("assignedAuthor", true), ("representedOrganization", true)] => {
                    au.organization = Some(Organization::default());
                }
                [
                    ("assignedAuthor", true),
                    ("representedOrganization", true),
                    rest @ ..,
                ] => return org_part(st, Owner::Author, rest, a),
                _ => return Skip,
            }
        }
        [("custodian", true)] | [("custodian", true), ("assignedCustodian", true)] => {}
        [
            ("custodian", true),
            ("assignedCustodian", true),
            ("representedCustodianOrganization", true),
        ] => st.custodian = Some(Organization::default()),
        [
            ("custodian", true),
            ("assignedCustodian", true),
            ("representedCustodianOrganization", true),
            rest @ ..,
        ] => return org_part(st, Owner::Custodian, rest, a),
        [("legalAuthenticator", true)] => st.legal = Some(LegalAuthenticator::default()),
        [("legalAuthenticator", true), rest @ ..] => {
            let Some(la) = st.legal.as_mut() else {
                return Skip;
            };
            match rest {
                [("time", true)] => la.time = owned(a, "value"),
                [("signatureCode", true)] => la.signature_code = owned(a, "code"),
                [("assignedEntity", true)] => {}
                [("assignedEntity", true), ("id", _)] => {
                    if la.id.is_none() {
                        la.id = ii(a);
                    }
                }
                [("assignedEntity", true), ("assignedPerson", true)] => {}
                [
                    ("assignedEntity", true),
                    ("assignedPerson", true),
                    ("name", true),
                ] => {
                    la.person = Some(PersonName::default());
                }
                [
                    ("assignedEntity", true),
                    ("assignedPerson", true),
                    ("name", true),
                    (part, _),
                ] => return person_part(Owner::Legal, part),
                [("assignedEntity", true), ("representedOrganization", true)] => {
                    la.organization = Some(Organization::default());
                }
                [
                    ("assignedEntity", true),
                    ("representedOrganization", true),
                    rest @ ..,
                ] => return org_part(st, Owner::Legal, rest, a),
                _ => return Skip,
            }
        }
        [("documentationOf", _)] => {}
        [("documentationOf", _), ("serviceEvent", true)] => {
            st.service_events.push(ServiceEvent::default());
        }
        [("documentationOf", _), ("serviceEvent", true), rest @ ..] => {
            let Some(se) = st.service_events.last_mut() else {
                return Skip;
            };
            match rest {
                [("code", true)] => se.code = cd(a),
                [("effectiveTime", true)] => se.low = owned(a, "value"),
                [("effectiveTime", true), ("low", true)] => {
                    if se.low.is_none() {
                        se.low = owned(a, "value");
                    }
                }
                [("effectiveTime", true), ("high", true)] => se.high = owned(a, "value"),
                [("performer", true)]
                | [("performer", true), ("assignedEntity", true)]
                | [
                    ("performer", true),
                    ("assignedEntity", true),
                    ("representedOrganization", true),
                ] => {}
                [("performer", true), ("assignedEntity", true), ("id", _)] => {
                    if se.performer_id.is_none() {
                        se.performer_id = ii(a);
                    }
                }
                [
                    ("performer", true),
                    ("assignedEntity", true),
                    ("representedOrganization", true),
                    ("standardIndustryClassCode", true),
                ] => se.practice_setting = cd(a),
                _ => return Skip,
            }
        }
        [("componentOf", true)] => {}
        [("componentOf", true), ("encompassingEncounter", true)] => {
            st.encounter = Some(Encounter::default());
        }
        [
            ("componentOf", true),
            ("encompassingEncounter", true),
            rest @ ..,
        ] => {
            let Some(en) = st.encounter.as_mut() else {
                return Skip;
            };
            match rest {
                [("code", true)] => en.code = cd(a),
                [("effectiveTime", true)] => en.low = owned(a, "value"),
                [("effectiveTime", true), ("low", true)] => {
                    if en.low.is_none() {
                        en.low = owned(a, "value");
                    }
                }
                [("effectiveTime", true), ("high", true)] => en.high = owned(a, "value"),
                [("location", true)] | [("location", true), ("healthCareFacility", true)] => {}
                [
                    ("location", true),
                    ("healthCareFacility", true),
                    ("code", true),
                ] => en.facility_type = cd(a),
                _ => return Skip,
            }
        }
        [("relatedDocument", _)] => st.related.push((
            RelatedDocument {
                type_code: attr(a, "typeCode").unwrap_or_default().to_owned(),
                ..RelatedDocument::default()
            },
            None,
        )),
        [("relatedDocument", _), rest @ ..] => {
            let Some((r, version)) = st.related.last_mut() else {
                return Skip;
            };
            match rest {
                [("parentDocument", true)] => {}
                [("parentDocument", true), ("id", _)] => {
                    if r.parent_id.is_none() {
                        r.parent_id = ii(a);
                    }
                }
                [("parentDocument", true), ("setId", true)] => r.parent_set_id = ii(a),
                [("parentDocument", true), ("versionNumber", true)] => {
                    *version = owned(a, "value");
                }
                _ => return Skip,
            }
        }
        _ => return Skip,
    }
    Descend
}

fn person_part(o: Owner, part: &str) -> Action {
    let p = match part {
        "prefix" => Part::Prefix,
        "family" => Part::Family,
        "given" => Part::Given,
        "suffix" => Part::Suffix,
        _ => return Action::Skip,
    };
    Action::Capture(Target::PersonPart(o, p))
}

fn org_part(st: &mut State, o: Owner, rest: &[(&str, bool)], a: &Attrs<'_>) -> Action {
    let Some(org) = org(st, o) else {
        return Action::Skip;
    };
    match rest {
        [("id", _)] => {
            if org.id.is_none() {
                org.id = ii(a);
            }
            Action::Descend
        }
        [("name", true)] => Action::Capture(Target::OrgName(o)),
        [("standardIndustryClassCode", true)] => {
            org.practice_setting = cd(a);
            Action::Descend
        }
        _ => Action::Skip,
    }
}

fn on_text(st: &mut State, target: Target, text: String) {
    match target {
        Target::Title => st.title = Some(text),
        Target::County => st.patient.birthplace_cog = pt(text),
        Target::Software => {
            if let Some(au) = st.authors.last_mut() {
                au.software = non_empty(text);
            }
        }
        Target::OrgName(o) => {
            if let Some(org) = org(st, o) {
                org.name = non_empty(text);
            }
        }
        Target::PersonPart(o, part) => {
            if let Some(n) = person(st, o) {
                let slot = match part {
                    Part::Prefix => &mut n.prefix,
                    Part::Family => &mut n.family,
                    Part::Given => &mut n.given,
                    Part::Suffix => &mut n.suffix,
                };
                join(slot, text);
            }
        }
        Target::PatientPart { family, qualifier } => {
            let p = &mut st.patient;
            let slot = match (family, qualifier) {
                (true, Some(Q::Br)) => &mut p.birth_name,
                (true, None) if p.birth_name.is_none() => &mut p.birth_name,
                (true, Some(Q::Cl)) => &mut p.used_name,
                (false, Some(Q::Br)) => &mut p.first_given_name,
                (false, None) if p.given_names.is_none() => &mut p.given_names,
                (false, Some(Q::Cl)) => &mut p.used_given_name,
                _ => return,
            };
            if slot.is_none() {
                *slot = pt(text);
            }
        }
    }
}

/// Checks (and drops) every attribute of an element the header does not read: the same
/// well-formedness and entity rules as the tree reader.
fn check_attrs(s: &BytesStart<'_>, pos: usize) -> Result<(), XmlError> {
    for a in s.attributes().with_checks(true) {
        let a = a.map_err(|e| xml::malformed(pos as u64, e))?;
        a.unescape_value().map_err(|e| xml::value_error(&e, pos))?;
    }
    Ok(())
}

fn parse_version(v: Option<String>, path: &'static str) -> Result<Option<u32>, CdaError> {
    match v {
        Some(v) => Ok(Some(v.trim().parse::<u32>().map_err(|e| {
            CdaError::Invalid {
                path,
                reason: e.to_string(),
            }
        })?)),
        None => Ok(None),
    }
}

/// Reads the header of a CDA (or of the `ClinicalDocument` embedded in an auto-presentable
/// CDA) in one streaming pass.
pub(crate) fn read_header(input: &[u8], limits: &XmlLimits) -> Result<CdaHeader, CdaError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        }
        .into());
    }
    let src = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    let mut reader = Reader::from_reader(src);
    reader.config_mut().check_end_names = true;
    let mut st = State::default();
    // Open elements, root first.
    let mut stack: Vec<Frame<'_>> = Vec::with_capacity(32);
    let mut seen: Vec<&str> = Vec::with_capacity(64);
    let mut nodes = 0usize;
    let mut root_done = false;
    let mut root_name: Option<String> = None;
    // Depth (stack length) of the ClinicalDocument once found, and whether it has ended.
    let mut cd_depth: Option<usize> = None;
    let mut cd_done = false;
    // Subtree skipped below this depth; text captured below this depth.
    let mut skip_below: Option<usize> = None;
    let mut capture: Option<(usize, Target, String)> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| xml::malformed(reader.buffer_position(), e))?;
        let (s, empty) = match ev {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            Event::End(_) => {
                let depth = stack.len();
                let frame = stack.pop().ok_or_else(|| {
                    xml::malformed(reader.buffer_position(), "unbalanced end tag")
                })?;
                seen.truncate(frame.seen_start);
                if capture.as_ref().is_some_and(|(d, _, _)| *d == depth)
                    && let Some((_, target, text)) = capture.take()
                {
                    on_text(&mut st, target, text.trim().to_owned());
                }
                if skip_below == Some(depth) {
                    skip_below = None;
                }
                if cd_depth == Some(depth) {
                    cd_done = true;
                }
                if stack.is_empty() {
                    root_done = true;
                }
                continue;
            }
            Event::Text(t) => {
                if stack.is_empty() {
                    if !t.iter().all(u8::is_ascii_whitespace) {
                        return Err(xml::malformed(
                            reader.buffer_position(),
                            "text outside the root element",
                        )
                        .into());
                    }
                    continue;
                }
                // Indentation (whitespace bytes only: no reference to decode) is dropped as the
                // tree reader drops it.
                if t.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let pos = xml::position(&reader);
                let text = t.unescape().map_err(|e| xml::value_error(&e, pos))?;
                if !text.trim_ascii().is_empty() {
                    nodes += 1;
                    if nodes > limits.max_nodes {
                        return Err(XmlError::TooManyNodes {
                            limit: limits.max_nodes,
                        }
                        .into());
                    }
                    if let Some((_, _, buf)) = capture.as_mut() {
                        buf.push_str(&text);
                    }
                }
                continue;
            }
            Event::CData(c) => {
                if !stack.is_empty() {
                    let text = std::str::from_utf8(c.as_ref()).map_err(|_| XmlError::NotUtf8 {
                        position: xml::position(&reader),
                    })?;
                    nodes += 1;
                    if nodes > limits.max_nodes {
                        return Err(XmlError::TooManyNodes {
                            limit: limits.max_nodes,
                        }
                        .into());
                    }
                    if let Some((_, _, buf)) = capture.as_mut() {
                        buf.push_str(text);
                    }
                }
                continue;
            }
            Event::DocType(_) => {
                return Err(XmlError::Dtd {
                    position: xml::position(&reader),
                }
                .into());
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
        };
        // A start or empty tag.
        if root_done {
            return Err(
                xml::malformed(reader.buffer_position(), "content after the root element").into(),
            );
        }
        nodes += 1;
        if nodes > limits.max_nodes {
            return Err(XmlError::TooManyNodes {
                limit: limits.max_nodes,
            }
            .into());
        }
        if !empty && stack.len() >= limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: limits.max_depth,
                position: xml::position(&reader),
            }
            .into());
        }
        let pos = xml::position(&reader);
        let name = xml::as_str(src, xml::local_span(&s))?;
        let first = match stack.last() {
            Some(parent) if skip_below.is_none() && capture.is_none() => {
                let f = !seen[parent.seen_start..].contains(&name);
                if f {
                    seen.push(name);
                }
                f
            }
            _ => true,
        };
        let depth = stack.len() + 1;
        let relevant = skip_below.is_none() && capture.is_none() && !cd_done;
        let mut action = Action::Skip;
        if !relevant {
            check_attrs(&s, pos)?;
        } else if let Some(cdd) = cd_depth {
            let rel = depth - cdd;
            if rel == 1 && name == "component" {
                // The body starts: the header is complete.
                return finish(st);
            }
            if rel > MAX_PATH {
                check_attrs(&s, pos)?;
            } else {
                let el = xml::start(&s, src, &reader)?;
                let mut path: [(&str, bool); MAX_PATH] = [("", false); MAX_PATH];
                for (slot, f) in path.iter_mut().zip(&stack[cdd..]) {
                    *slot = (f.name, f.first);
                }
                path[rel - 1] = (name, first);
                action = on_start(&mut st, &path[..rel], &el.attrs);
            }
        } else {
            check_attrs(&s, pos)?;
            match depth {
                1 => {
                    root_name = Some(name.chars().take(64).collect());
                    if name == "ClinicalDocument" {
                        cd_depth = Some(1);
                        action = Action::Descend;
                    } else if matches!(name, "stylesheet" | "transform") {
                        action = Action::Descend;
                    } else {
                        return Err(CdaError::NotCda(name.chars().take(64).collect()));
                    }
                }
                2 => action = Action::Descend,
                3 if name == "ClinicalDocument" => {
                    cd_depth = Some(3);
                    action = Action::Descend;
                }
                _ => {}
            }
        }
        if empty {
            // An empty element has no text: a capture gives the empty string.
            if let Action::Capture(target) = action {
                on_text(&mut st, target, String::new());
            }
            if depth == 1 {
                root_done = true;
            }
            if cd_depth == Some(depth) {
                cd_done = true;
            }
            continue;
        }
        match action {
            Action::Descend => {}
            Action::Capture(t) => capture = Some((depth, t, String::new())),
            Action::Skip => {
                if skip_below.is_none() && capture.is_none() {
                    skip_below = Some(depth);
                }
            }
        }
        stack.push(Frame {
            name,
            first,
            seen_start: seen.len(),
        });
    }
    if !stack.is_empty() {
        return Err(xml::malformed(reader.buffer_position(), "unexpected end of input").into());
    }
    match (cd_depth, root_name) {
        (Some(_), _) => finish(st),
        (None, Some(r)) => Err(CdaError::NotCda(r)),
        (None, None) => Err(XmlError::Empty.into()),
    }
}

fn finish(st: State) -> Result<CdaHeader, CdaError> {
    let id = st.id.ok_or(CdaError::Missing("ClinicalDocument/id"))?;
    let type_code = st
        .type_code
        .ok_or(CdaError::Missing("ClinicalDocument/code/@code"))?;
    let version_number = parse_version(st.version, "ClinicalDocument/versionNumber/@value")?;
    let related_documents = st
        .related
        .into_iter()
        .map(|(mut r, v)| {
            r.parent_version =
                parse_version(v, "relatedDocument/parentDocument/versionNumber/@value")?;
            Ok(r)
        })
        .collect::<Result<_, CdaError>>()?;
    Ok(CdaHeader {
        realm: st.realm,
        template_ids: st.template_ids,
        id,
        type_code,
        title: st.title,
        effective_time: st.effective_time,
        confidentiality: st.confidentiality,
        language_code: st.language_code,
        set_id: st.set_id,
        version_number,
        patient: st.patient,
        authors: st.authors,
        custodian: st.custodian,
        legal_authenticator: st.legal,
        service_events: st.service_events,
        encounter: st.encounter,
        related_documents,
    })
}
