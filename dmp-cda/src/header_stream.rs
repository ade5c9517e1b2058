//! Streaming extraction of the CDA header: one pass of the SDK's hardened tokenizer
//! ([`segur_net::xml::XmlStream`]), no tree, stopping at the `component` (body) of the
//! `ClinicalDocument`.
//!
//! It gives exactly what the tree reader gives (the same "first child by name" and "all
//! children" semantics, checked against the 94 official samples by `tests/read_samples.rs`),
//! with the same hostile-input rules as [`crate::xml`]: a DTD is refused, no entity other than
//! the predefined ones and character references is expanded, every attribute of every element
//! is checked and decoded, size, depth and node count are bounded, and every refusal is a typed
//! [`XmlError`] or [`CdaError`].
//!
//! Speed: the body is never tokenized (the header is all the caller asked for, and a broken
//! body does not make a header unreadable). Inside the header, most of the work is on markup
//! the header does not keep, so that work is made cheap without being skipped: names are
//! compared as bytes and interned, the attributes and text of the plain, common shape (ASCII
//! names, UTF-8 values without a reference, no duplicate) are certified by one byte-class scan
//! ([`certify_attrs`], [`certified_text`]), and the tokenizer skips the indentation outside
//! captured text. Everything else takes the exact path of the tree reader, so the result and
//! the typed errors are the same either way (the tests compare both paths on mutated headers).

use std::borrow::Cow;

use segur_net::xml::stream::declared_prefix;
use segur_net::xml::{StartTag, Token, XmlStream};

use crate::error::CdaError;
use crate::model::{
    Author, CdaHeader, Code, Encounter, InstanceId, LegalAuthenticator, Organization, Patient,
    PatientId, PatientText, PersonName, RelatedDocument, ServiceEvent,
};
use crate::xml::{self, HL7_V3, XmlError, XmlLimits};

/// Most attributes the certified path takes on one element (CDA header elements carry fewer
/// than ten); beyond, the exact path reads the element under [`XmlLimits::max_attributes`].
const CERTIFIED_MAX_ATTRIBUTES: usize = 32;

/// Deepest header path the extractor reads, below `ClinicalDocument`.
const MAX_PATH: usize = 8;

/// An open element.
struct Frame {
    /// The interned name, for the elements of the header that are read.
    el: El,
    first: bool,
    /// Where this element's children's names start in the shared `seen` list (one list for
    /// the whole stack: no allocation per element).
    seen_start: usize,
}

/// Attributes of one start tag, all checked, looked up by local name (`xmlns` declarations
/// excluded, as the tree reader excludes them).
enum Attrs<'x> {
    /// Certified by [`certify_attrs`]: qualified names and raw values, each value valid UTF-8
    /// without a reference, so it is its own decoded form.
    Raw(&'x [(&'x [u8], &'x [u8])]),
    /// Decoded by the exact path ([`xml::start`], the tree reader's own decoding).
    Decoded(&'x [(&'x str, Cow<'x, str>)]),
}

fn attr<'x>(a: &Attrs<'x>, name: &str) -> Option<&'x str> {
    match a {
        Attrs::Raw(items) => items
            .iter()
            .find(|(k, _)| is_local_name(k, name.as_bytes()) && !is_xmlns(k))
            // Certified UTF-8: the conversion cannot fail.
            .and_then(|(_, v)| std::str::from_utf8(v).ok()),
        Attrs::Decoded(items) => items
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref()),
    }
}

/// Whether the local part of the qualified name `key` (after its last `:`) is `local`, which
/// has no `:` (the same test as `xml::local(key) == local`, without scanning the key).
fn is_local_name(key: &[u8], local: &[u8]) -> bool {
    key.len() >= local.len()
        && key.ends_with(local)
        && (key.len() == local.len()
            || key
                .len()
                .checked_sub(local.len() + 1)
                .and_then(|i| key.get(i))
                == Some(&b':'))
}

fn is_xmlns(key: &[u8]) -> bool {
    key == b"xmlns" || key.starts_with(b"xmlns:")
}

/// XML white space as quick-xml's attribute parser knows it (XML 1.0 §2.3 [3]).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A byte class of the certified path as a table: one lookup per byte.
struct ByteClass([bool; 256]);

impl ByteClass {
    /// Whether `b` is in the class.
    #[inline]
    fn has(&self, b: u8) -> bool {
        // A table of 256 entries indexed by a byte: `get` cannot miss, and compiles to the
        // same single load as indexing.
        self.0.get(usize::from(b)).copied().unwrap_or(false)
    }
}

macro_rules! byte_table {
    (|$b:ident| $accept:expr) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let $b = i as u8;
            table[i] = $accept;
            i += 1;
        }
        ByteClass(table)
    }};
}

/// The name bytes the certified path accepts in an attribute name: ASCII letters, digits and
/// `_ : - .` (a subset of XML 1.0 §2.3 [4] NameChar).
// Built at compile time: an index out of range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
static NAME_BYTE: ByteClass =
    byte_table!(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.'));

/// Bytes that need no second look in a value: ASCII other than `&` and the quotes.
// Built at compile time: an index out of range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
static PLAIN_VALUE_BYTE: ByteClass = byte_table!(|b| b.is_ascii()
    && !matches!(b, b'&' | b'"' | b'\'' | b'<')
    && (b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r')));

/// Bytes that need no second look in character data: ASCII other than `&`.
// Built at compile time: an index out of range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
static PLAIN_TEXT_BYTE: ByteClass = byte_table!(|b| b.is_ascii() && b != b'&');

/// The certified path for the attributes of a start tag: scans `tag` (the tag's content, name
/// first, as quick-xml hands it out) from `name_len` and fills `out` with each attribute's
/// qualified name and raw value. Returns true only for the plain shape
/// `(S+ Name="value" | S+ Name='value')* S*`, with ASCII names, no repeated name (XML 1.0
/// §3.1 WFC "Unique Att Spec") and values that are valid UTF-8 with no `&` (so there is no
/// reference to expand or refuse, and the raw value is the decoded one).
///
/// On that shape quick-xml's attribute iterator finds the same names and values and the exact
/// path ([`XmlStream::read_attributes`], [`xml::start`]) accepts every one of them, decoding each value to
/// its raw bytes. Anything else (other spacing, a reference, bad UTF-8, a duplicate, a syntax
/// error) returns false and the caller takes the exact path, which gives the same typed error
/// or the same values as before: this path changes speed, never the result (checked against
/// the exact path on mutated documents by the tests below).
///
/// Why: the exact path runs quick-xml's general attribute parser, validates each value's
/// UTF-8 and scans it for references through its decoder, and checks duplicates in a
/// heap-allocated key list, per element; on the ASCII attributes of a CDA header that was
/// most of the header read's cost above tokenizing.
fn certify_attrs<'a>(
    tag: &'a [u8],
    name_len: usize,
    limits: &XmlLimits,
    out: &mut Vec<(&'a [u8], &'a [u8])>,
    declares: &mut bool,
) -> bool {
    let max_attributes = limits.max_attributes;
    out.clear();
    *declares = false;
    let mut i = name_len;
    loop {
        let spaces = i;
        while tag.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        if i >= tag.len() {
            return true;
        }
        if i == spaces {
            return false;
        }
        let key_start = i;
        while tag.get(i).is_some_and(|&b| NAME_BYTE.has(b)) {
            i += 1;
        }
        let Some(key) = tag.get(key_start..i).filter(|k| !k.is_empty()) else {
            return false;
        };
        *declares |= key.starts_with(b"xmlns");
        let quote = match tag.get(i..i + 2) {
            Some(&[b'=', q @ (b'"' | b'\'')]) => q,
            _ => return false,
        };
        let value_start = i + 2;
        let mut end = value_start;
        while tag.get(end).is_some_and(|&b| PLAIN_VALUE_BYTE.has(b)) {
            end += 1;
        }
        let value = match tag.get(end) {
            // The common case: plain ASCII up to the closing quote.
            Some(&b) if b == quote => match tag.get(value_start..end) {
                Some(v) => v,
                None => return false,
            },
            // The other quote, or a non-ASCII byte: a second, general look.
            Some(b'"' | b'\'') | Some(0x80..) => {
                let Some(rest) = tag.get(value_start..) else {
                    return false;
                };
                let Some(len) = rest.iter().position(|&b| b == quote) else {
                    return false;
                };
                let Some(value) = rest.get(..len) else {
                    return false;
                };
                // `<`, a control other than TAB/LF/CR, U+FFFE or U+FFFF (XML 1.0 §2.2, §2.3):
                // the exact path gives the typed error.
                let not_plain = value
                    .iter()
                    .any(|&b| b == b'<' || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')))
                    || value
                        .windows(3)
                        .any(|w| matches!(w, [0xEF, 0xBF, 0xBE | 0xBF]));
                if not_plain || value.contains(&b'&') || std::str::from_utf8(value).is_err() {
                    return false;
                }
                end = value_start + len;
                value
            }
            // A reference (or the end of the tag): the exact path decides.
            _ => return false,
        };
        // The duplicate check compares with the attributes before: past a handful, the exact
        // path decides (and applies `XmlLimits::max_attributes`), so this stays linear. A value
        // over `XmlLimits::max_attribute_len` is the exact path's to refuse.
        if value.len() > limits.max_attribute_len
            || out.len() >= max_attributes.min(CERTIFIED_MAX_ATTRIBUTES)
            || out.iter().any(|(k, _)| *k == key)
        {
            return false;
        }
        out.push((key, value));
        i = end + 1;
    }
}

/// The local name of a start tag, as bytes. An ASCII name is valid UTF-8 as it stands; any
/// other goes through the tokenizer's check ([`StartTag::local_name`]), which refuses bad
/// UTF-8 with its position.
fn name_bytes<'a>(s: &StartTag<'a>) -> Result<&'a [u8], XmlError> {
    let local = s.local_bytes();
    if local.is_ascii() {
        return Ok(local);
    }
    Ok(s.local_name()?.as_bytes())
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

/// The element names the header reads, interned once per element so that the path of an
/// element is matched by small integers rather than by comparing strings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum El {
    Addr,
    AdministrativeGenderCode,
    AssignedAuthor,
    AssignedAuthoringDevice,
    AssignedCustodian,
    AssignedEntity,
    AssignedPerson,
    Author,
    BirthTime,
    Birthplace,
    Code,
    ComponentOf,
    ConfidentialityCode,
    County,
    Custodian,
    DocumentationOf,
    EffectiveTime,
    EncompassingEncounter,
    Family,
    FunctionCode,
    Given,
    HealthCareFacility,
    High,
    Id,
    LanguageCode,
    LegalAuthenticator,
    Location,
    Low,
    Name,
    ParentDocument,
    Patient,
    PatientRole,
    Performer,
    Place,
    Prefix,
    RealmCode,
    RecordTarget,
    RelatedDocument,
    RepresentedCustodianOrganization,
    RepresentedOrganization,
    ServiceEvent,
    SetId,
    SignatureCode,
    SoftwareName,
    StandardIndustryClassCode,
    Suffix,
    TemplateId,
    Time,
    Title,
    VersionNumber,
    /// Any name the header does not read.
    Other,
}

impl El {
    fn of(name: &[u8]) -> El {
        match name {
            b"addr" => El::Addr,
            b"administrativeGenderCode" => El::AdministrativeGenderCode,
            b"assignedAuthor" => El::AssignedAuthor,
            b"assignedAuthoringDevice" => El::AssignedAuthoringDevice,
            b"assignedCustodian" => El::AssignedCustodian,
            b"assignedEntity" => El::AssignedEntity,
            b"assignedPerson" => El::AssignedPerson,
            b"author" => El::Author,
            b"birthTime" => El::BirthTime,
            b"birthplace" => El::Birthplace,
            b"code" => El::Code,
            b"componentOf" => El::ComponentOf,
            b"confidentialityCode" => El::ConfidentialityCode,
            b"county" => El::County,
            b"custodian" => El::Custodian,
            b"documentationOf" => El::DocumentationOf,
            b"effectiveTime" => El::EffectiveTime,
            b"encompassingEncounter" => El::EncompassingEncounter,
            b"family" => El::Family,
            b"functionCode" => El::FunctionCode,
            b"given" => El::Given,
            b"healthCareFacility" => El::HealthCareFacility,
            b"high" => El::High,
            b"id" => El::Id,
            b"languageCode" => El::LanguageCode,
            b"legalAuthenticator" => El::LegalAuthenticator,
            b"location" => El::Location,
            b"low" => El::Low,
            b"name" => El::Name,
            b"parentDocument" => El::ParentDocument,
            b"patient" => El::Patient,
            b"patientRole" => El::PatientRole,
            b"performer" => El::Performer,
            b"place" => El::Place,
            b"prefix" => El::Prefix,
            b"realmCode" => El::RealmCode,
            b"recordTarget" => El::RecordTarget,
            b"relatedDocument" => El::RelatedDocument,
            b"representedCustodianOrganization" => El::RepresentedCustodianOrganization,
            b"representedOrganization" => El::RepresentedOrganization,
            b"serviceEvent" => El::ServiceEvent,
            b"setId" => El::SetId,
            b"signatureCode" => El::SignatureCode,
            b"softwareName" => El::SoftwareName,
            b"standardIndustryClassCode" => El::StandardIndustryClassCode,
            b"suffix" => El::Suffix,
            b"templateId" => El::TemplateId,
            b"time" => El::Time,
            b"title" => El::Title,
            b"versionNumber" => El::VersionNumber,
            _ => El::Other,
        }
    }
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
fn on_start(st: &mut State, p: &[(El, bool)], a: &Attrs<'_>) -> Action {
    use Action::{Capture, Descend, Skip};
    match p {
        [(El::RealmCode, true)] => st.realm = owned(a, "code"),
        [(El::TemplateId, _)] => st.template_ids.extend(ii(a)),
        [(El::Id, true)] => st.id = ii(a),
        [(El::Code, true)] => st.type_code = cd(a),
        [(El::Title, true)] => return Capture(Target::Title),
        [(El::EffectiveTime, true)] => st.effective_time = owned(a, "value"),
        [(El::ConfidentialityCode, true)] => st.confidentiality = cd(a),
        [(El::LanguageCode, true)] => st.language_code = owned(a, "code"),
        [(El::SetId, true)] => st.set_id = ii(a),
        [(El::VersionNumber, true)] => st.version = owned(a, "value"),
        [(El::RecordTarget, true)] | [(El::RecordTarget, true), (El::PatientRole, true)] => {}
        [(El::RecordTarget, true), (El::PatientRole, true), rest @ ..] => match rest {
            [(El::Id, _)] => {
                if let (Some(root), Some(ext)) = (attr(a, "root"), attr(a, "extension")) {
                    st.patient.ids.push(PatientId {
                        root: root.to_owned(),
                        extension: PatientText::new(ext),
                    });
                }
            }
            [(El::Patient, true)] | [(El::Patient, true), (El::Name, _)] => {}
            [(El::Patient, true), (El::Name, _), (part, _)] => {
                let q = attr(a, "qualifier").map(|q| match q {
                    "BR" => Q::Br,
                    "CL" => Q::Cl,
                    _ => Q::Other,
                });
                return match *part {
                    El::Family => Capture(Target::PatientPart {
                        family: true,
                        qualifier: q,
                    }),
                    El::Given => Capture(Target::PatientPart {
                        family: false,
                        qualifier: q,
                    }),
                    _ => Skip,
                };
            }
            [(El::Patient, true), (El::BirthTime, true)] => {
                st.patient.birth_time = attr(a, "value").map(PatientText::new);
            }
            [(El::Patient, true), (El::AdministrativeGenderCode, true)] => {
                st.patient.gender = attr(a, "code").map(PatientText::new);
            }
            [(El::Patient, true), (El::Birthplace, true)]
            | [
                (El::Patient, true),
                (El::Birthplace, true),
                (El::Place, true),
            ]
            | [
                (El::Patient, true),
                (El::Birthplace, true),
                (El::Place, true),
                (El::Addr, true),
            ] => {}
            [
                (El::Patient, true),
                (El::Birthplace, true),
                (El::Place, true),
                (El::Addr, true),
                (El::County, true),
            ] => return Capture(Target::County),
            _ => return Skip,
        },
        [(El::Author, _)] => st.authors.push(Author::default()),
        [(El::Author, _), rest @ ..] => {
            let Some(au) = st.authors.last_mut() else {
                return Skip;
            };
            match rest {
                [(El::Time, true)] => au.time = owned(a, "value"),
                [(El::FunctionCode, true)] => au.function_code = cd(a),
                [(El::AssignedAuthor, true)] => {}
                [(El::AssignedAuthor, true), (El::Id, _)] => {
                    if au.id.is_none() {
                        au.id = ii(a);
                    }
                }
                [(El::AssignedAuthor, true), (El::Code, true)] => au.code = cd(a),
                [(El::AssignedAuthor, true), (El::AssignedPerson, true)] => {}
                [
                    (El::AssignedAuthor, true),
                    (El::AssignedPerson, true),
                    (El::Name, true),
                ] => {
                    au.person = Some(PersonName::default());
                }
                [
                    (El::AssignedAuthor, true),
                    (El::AssignedPerson, true),
                    (El::Name, true),
                    (part, _),
                ] => return person_part(Owner::Author, *part),
                [
                    (El::AssignedAuthor, true),
                    (El::AssignedAuthoringDevice, true),
                ] => {}
                [
                    (El::AssignedAuthor, true),
                    (El::AssignedAuthoringDevice, true),
                    (El::SoftwareName, true),
                ] => return Capture(Target::Software),
                [
                    (El::AssignedAuthor, true),
                    (El::RepresentedOrganization, true),
                ] => {
                    au.organization = Some(Organization::default());
                }
                [
                    (El::AssignedAuthor, true),
                    (El::RepresentedOrganization, true),
                    rest @ ..,
                ] => return org_part(st, Owner::Author, rest, a),
                _ => return Skip,
            }
        }
        [(El::Custodian, true)] | [(El::Custodian, true), (El::AssignedCustodian, true)] => {}
        [
            (El::Custodian, true),
            (El::AssignedCustodian, true),
            (El::RepresentedCustodianOrganization, true),
        ] => st.custodian = Some(Organization::default()),
        [
            (El::Custodian, true),
            (El::AssignedCustodian, true),
            (El::RepresentedCustodianOrganization, true),
            rest @ ..,
        ] => return org_part(st, Owner::Custodian, rest, a),
        [(El::LegalAuthenticator, true)] => st.legal = Some(LegalAuthenticator::default()),
        [(El::LegalAuthenticator, true), rest @ ..] => {
            let Some(la) = st.legal.as_mut() else {
                return Skip;
            };
            match rest {
                [(El::Time, true)] => la.time = owned(a, "value"),
                [(El::SignatureCode, true)] => la.signature_code = owned(a, "code"),
                [(El::AssignedEntity, true)] => {}
                [(El::AssignedEntity, true), (El::Id, _)] => {
                    if la.id.is_none() {
                        la.id = ii(a);
                    }
                }
                [(El::AssignedEntity, true), (El::AssignedPerson, true)] => {}
                [
                    (El::AssignedEntity, true),
                    (El::AssignedPerson, true),
                    (El::Name, true),
                ] => {
                    la.person = Some(PersonName::default());
                }
                [
                    (El::AssignedEntity, true),
                    (El::AssignedPerson, true),
                    (El::Name, true),
                    (part, _),
                ] => return person_part(Owner::Legal, *part),
                [
                    (El::AssignedEntity, true),
                    (El::RepresentedOrganization, true),
                ] => {
                    la.organization = Some(Organization::default());
                }
                [
                    (El::AssignedEntity, true),
                    (El::RepresentedOrganization, true),
                    rest @ ..,
                ] => return org_part(st, Owner::Legal, rest, a),
                _ => return Skip,
            }
        }
        [(El::DocumentationOf, _)] => {}
        [(El::DocumentationOf, _), (El::ServiceEvent, true)] => {
            st.service_events.push(ServiceEvent::default());
        }
        [
            (El::DocumentationOf, _),
            (El::ServiceEvent, true),
            rest @ ..,
        ] => {
            let Some(se) = st.service_events.last_mut() else {
                return Skip;
            };
            match rest {
                [(El::Code, true)] => se.code = cd(a),
                [(El::EffectiveTime, true)] => se.low = owned(a, "value"),
                [(El::EffectiveTime, true), (El::Low, true)] => {
                    if se.low.is_none() {
                        se.low = owned(a, "value");
                    }
                }
                [(El::EffectiveTime, true), (El::High, true)] => se.high = owned(a, "value"),
                [(El::Performer, true)]
                | [(El::Performer, true), (El::AssignedEntity, true)]
                | [
                    (El::Performer, true),
                    (El::AssignedEntity, true),
                    (El::RepresentedOrganization, true),
                ] => {}
                [
                    (El::Performer, true),
                    (El::AssignedEntity, true),
                    (El::Id, _),
                ] => {
                    if se.performer_id.is_none() {
                        se.performer_id = ii(a);
                    }
                }
                [
                    (El::Performer, true),
                    (El::AssignedEntity, true),
                    (El::RepresentedOrganization, true),
                    (El::StandardIndustryClassCode, true),
                ] => se.practice_setting = cd(a),
                _ => return Skip,
            }
        }
        [(El::ComponentOf, true)] => {}
        [(El::ComponentOf, true), (El::EncompassingEncounter, true)] => {
            st.encounter = Some(Encounter::default());
        }
        [
            (El::ComponentOf, true),
            (El::EncompassingEncounter, true),
            rest @ ..,
        ] => {
            let Some(en) = st.encounter.as_mut() else {
                return Skip;
            };
            match rest {
                [(El::Code, true)] => en.code = cd(a),
                [(El::EffectiveTime, true)] => en.low = owned(a, "value"),
                [(El::EffectiveTime, true), (El::Low, true)] => {
                    if en.low.is_none() {
                        en.low = owned(a, "value");
                    }
                }
                [(El::EffectiveTime, true), (El::High, true)] => en.high = owned(a, "value"),
                [(El::Location, true)] | [(El::Location, true), (El::HealthCareFacility, true)] => {
                }
                [
                    (El::Location, true),
                    (El::HealthCareFacility, true),
                    (El::Code, true),
                ] => en.facility_type = cd(a),
                _ => return Skip,
            }
        }
        [(El::RelatedDocument, _)] => st.related.push((
            RelatedDocument {
                type_code: attr(a, "typeCode").unwrap_or_default().to_owned(),
                ..RelatedDocument::default()
            },
            None,
        )),
        [(El::RelatedDocument, _), rest @ ..] => {
            let Some((r, version)) = st.related.last_mut() else {
                return Skip;
            };
            match rest {
                [(El::ParentDocument, true)] => {}
                [(El::ParentDocument, true), (El::Id, _)] => {
                    if r.parent_id.is_none() {
                        r.parent_id = ii(a);
                    }
                }
                [(El::ParentDocument, true), (El::SetId, true)] => r.parent_set_id = ii(a),
                [(El::ParentDocument, true), (El::VersionNumber, true)] => {
                    *version = owned(a, "value");
                }
                _ => return Skip,
            }
        }
        _ => return Skip,
    }
    Descend
}

fn person_part(o: Owner, part: El) -> Action {
    let p = match part {
        El::Prefix => Part::Prefix,
        El::Family => Part::Family,
        El::Given => Part::Given,
        El::Suffix => Part::Suffix,
        _ => return Action::Skip,
    };
    Action::Capture(Target::PersonPart(o, p))
}

fn org_part(st: &mut State, o: Owner, rest: &[(El, bool)], a: &Attrs<'_>) -> Action {
    let Some(org) = org(st, o) else {
        return Action::Skip;
    };
    match rest {
        [(El::Id, _)] => {
            if org.id.is_none() {
                org.id = ii(a);
            }
            Action::Descend
        }
        [(El::Name, true)] => Action::Capture(Target::OrgName(o)),
        [(El::StandardIndustryClassCode, true)] => {
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

/// The certified path for character data: true when the raw bytes are valid UTF-8 with no
/// `&` (so no reference), i.e. when the exact path (`BytesText::unescape`) would accept them
/// and decode them to themselves. Anything else takes the exact path.
fn certified_text(t: &[u8]) -> bool {
    t.iter().all(|&b| PLAIN_TEXT_BYTE.has(b))
        || (!t.contains(&b'&') && std::str::from_utf8(t).is_ok())
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
    read_header_with::<true>(input, limits)
}

/// Reads the header and, for a `nonXMLBody` (CDA R2 N1), the `@mediaType` of its `text`
/// (`text/plain` when absent: the CDA R2 ED default). The stream stops at that start tag: the
/// content (a base64 PDF, megabytes) is never tokenized. `None` for a structured body or a
/// document without body.
pub(crate) fn read_header_and_media_type(
    input: &[u8],
    limits: &XmlLimits,
) -> Result<(CdaHeader, Option<String>), CdaError> {
    let mut media = None;
    let header = read_header_stream::<true>(input, limits, Some(&mut media))?;
    Ok((header, media))
}

/// After the body's `component` start tag: the media type of `nonXMLBody/text`, read from
/// that start tag alone.
fn body_media_type(stream: &mut XmlStream<'_>) -> Result<Option<String>, CdaError> {
    // Elements open below `component`, and whether the first of them is a nonXMLBody.
    let mut depth = 0usize;
    let mut non_xml = false;
    loop {
        match stream.next_token()? {
            Token::Start(s) => {
                let e = xml::start(stream, &s)?;
                let hl7 = e.namespace.as_deref() == Some(HL7_V3);
                if depth == 0 {
                    if hl7 && e.name == "structuredBody" {
                        return Ok(None);
                    }
                    non_xml = hl7 && e.name == "nonXMLBody";
                } else if depth == 1 && non_xml && hl7 && e.name == "text" {
                    return Ok(Some(e.attr("mediaType").unwrap_or("text/plain").to_owned()));
                }
                if !s.is_empty() {
                    depth += 1;
                }
            }
            Token::End { .. } => match depth.checked_sub(1) {
                // The component ends without a nonXMLBody/text.
                None => return Ok(None),
                Some(d) => depth = d,
            },
            Token::Text(_) => {}
            Token::Eof => return Ok(None),
        }
    }
}

/// The header read; `CERTIFIED` selects the certified fast path for attributes and text
/// ([`certify_attrs`], [`certified_text`]). Without it every attribute and text goes through
/// the exact path: the tests check both give the same result on hostile inputs.
fn read_header_with<const CERTIFIED: bool>(
    input: &[u8],
    limits: &XmlLimits,
) -> Result<CdaHeader, CdaError> {
    read_header_stream::<CERTIFIED>(input, limits, None)
}

/// The header read, and with `media` the body's media type ([`read_header_and_media_type`]).
fn read_header_stream<const CERTIFIED: bool>(
    input: &[u8],
    limits: &XmlLimits,
    media: Option<&mut Option<String>>,
) -> Result<CdaHeader, CdaError> {
    let mut stream = XmlStream::new(input, *limits)?;
    // Outside a captured element, text is only checked (UTF-8, references) and counted, and
    // leading XML white space changes neither: the tokenizer skips it, so the indentation
    // between tags produces no token at all. Inside a capture the text is kept as written
    // (switched off below), as the tree reader keeps it.
    stream.skip_leading_space(CERTIFIED);
    // A `--` inside a comment is not looked for: it changes nothing the header holds, and
    // looking costs about 2 % of a header read (the kit's samples open with long comments).
    stream.check_comments(false);
    let mut st = State::default();
    // Open elements, root first.
    let mut stack: Vec<Frame> = Vec::with_capacity(32);
    let mut seen: Vec<El> = Vec::with_capacity(64);
    let mut root_name: Option<String> = None;
    // Depth (stack length) of the ClinicalDocument once found, and whether it has ended.
    let mut cd_depth: Option<usize> = None;
    let mut cd_done = false;
    // Subtree skipped below this depth; text captured below this depth.
    let mut skip_below: Option<usize> = None;
    let mut capture: Option<(usize, Target, String)> = None;
    // Attributes of the current start tag, when certified (one buffer for the whole read).
    let mut attrs: Vec<(&[u8], &[u8])> = Vec::with_capacity(16);
    loop {
        let s = match stream.next_token()? {
            Token::Start(s) => s,
            Token::End { .. } => {
                let depth = stack.len();
                let frame = stack.pop().ok_or(XmlError::Empty)?;
                seen.truncate(frame.seen_start);
                if capture.as_ref().is_some_and(|(d, _, _)| *d == depth)
                    && let Some((_, target, text)) = capture.take()
                {
                    stream.skip_leading_space(CERTIFIED);
                    on_text(&mut st, target, trimmed(text));
                }
                if skip_below == Some(depth) {
                    skip_below = None;
                }
                if cd_depth == Some(depth) {
                    cd_done = true;
                }
                continue;
            }
            Token::Text(t) => {
                // Indentation (whitespace bytes only: no reference to decode) is dropped as the
                // tree reader drops it. The tokenizer has charged the text's length and node.
                if t.is_blank() {
                    continue;
                }
                if CERTIFIED && !t.is_cdata() && certified_text(t.raw()) {
                    // Certified UTF-8: the conversion cannot fail (only captured text is
                    // converted at all).
                    if let Some((_, _, buf)) = capture.as_mut()
                        && let Ok(text) = std::str::from_utf8(t.raw())
                    {
                        buf.push_str(text);
                    }
                    continue;
                }
                let text = t.decode()?;
                if let Some((_, _, buf)) = capture.as_mut()
                    && (t.is_cdata() || !text.trim_ascii().is_empty())
                {
                    buf.push_str(&text);
                }
                continue;
            }
            Token::Eof => break,
        };
        // A start or empty tag: its depth and node are charged by the tokenizer.
        let empty = s.is_empty();
        let relevant = skip_below.is_none() && capture.is_none() && !cd_done;
        let tag = s.raw();
        let qname_len = s.name_len();
        // Outside the elements read, a name is only checked: an ASCII qualified name needs
        // nothing more (its local part is valid UTF-8); anything else takes the exact check.
        let name: &[u8] = if CERTIFIED && !relevant && s.qname().is_ascii() {
            &[]
        } else {
            name_bytes(&s)?
        };
        let mut declares = false;
        let certified =
            CERTIFIED && certify_attrs(tag, qname_len, limits, &mut attrs, &mut declares);
        // Namespace declarations are applied (and checked) by the tokenizer for every element;
        // the elements read get their name resolved (an uncertified tag takes the exact path,
        // which checks, declares and resolves).
        let mut exact: Option<xml::Element<'_>> = None;
        let namespace = if certified {
            for &(k, v) in attrs.iter().filter(|_| declares) {
                if let Some(prefix) = declared_prefix(k) {
                    // Certified: UTF-8 without a reference, its own decoded form.
                    let uri = std::str::from_utf8(v).unwrap_or_default();
                    stream.declare(prefix, Cow::Borrowed(uri), s.position())?;
                }
            }
            if relevant {
                stream.resolve_element(&s)?
            } else {
                None
            }
        } else if relevant {
            let e = xml::start(&mut stream, &s)?;
            let ns = e.namespace.clone();
            exact = Some(e);
            ns
        } else {
            stream.check_attributes(&s)?;
            None
        };
        // CDA R2 elements are in the HL7 v3 namespace; an element of another namespace (an
        // extension such as `sdtc:`, or a foreign element) is never taken for the CDA element of
        // the same local name: it is not read.
        let hl7 = namespace.as_deref() == Some(HL7_V3);
        let el = if skip_below.is_none() && capture.is_none() && hl7 {
            El::of(name)
        } else {
            El::Other
        };
        // Whether this is the first child of its name: only the names the header reads have
        // paths that ask.
        let first = match stack.last() {
            Some(parent) if el != El::Other => {
                let f = !seen
                    .get(parent.seen_start..)
                    .is_some_and(|s| s.contains(&el));
                if f {
                    seen.push(el);
                }
                f
            }
            _ => true,
        };
        let depth = stack.len() + 1;
        let mut action = Action::Skip;
        if !relevant {
            // Checked above (certified, or by the tokenizer).
        } else if let Some(cdd) = cd_depth {
            let rel = depth - cdd;
            if !hl7 {
                // Not a CDA element: its subtree is skipped (attributes checked above).
            } else if rel == 1 && name == b"component" {
                // The body starts: the header is complete.
                if let Some(slot) = media
                    && !empty
                {
                    *slot = body_media_type(&mut stream)?;
                }
                return finish(st);
            } else if rel > MAX_PATH {
                // Checked above (certified, or by the exact path).
            } else {
                let mut path: [(El, bool); MAX_PATH] = [(El::Other, false); MAX_PATH];
                for (slot, f) in path.iter_mut().zip(stack.iter().skip(cdd)) {
                    *slot = (f.el, f.first);
                }
                // 1 <= rel <= MAX_PATH here (rel > MAX_PATH took the branch above).
                if let Some(slot) = rel.checked_sub(1).and_then(|i| path.get_mut(i)) {
                    *slot = (el, first);
                }
                let path = path.get(..rel).unwrap_or(&path);
                action = match &exact {
                    Some(e) => on_start(&mut st, path, &Attrs::Decoded(&e.attrs)),
                    None => on_start(&mut st, path, &Attrs::Raw(&attrs)),
                };
            }
        } else {
            match depth {
                1 => {
                    root_name = Some(name_string(name));
                    if name == b"ClinicalDocument" {
                        if !hl7 {
                            return Err(CdaError::namespace(namespace.as_deref()));
                        }
                        cd_depth = Some(1);
                        action = Action::Descend;
                    } else if matches!(name, b"stylesheet" | b"transform") {
                        action = Action::Descend;
                    } else {
                        return Err(CdaError::NotCda(name_string(name)));
                    }
                }
                2 => action = Action::Descend,
                3 if name == b"ClinicalDocument" => {
                    if !hl7 {
                        return Err(CdaError::namespace(namespace.as_deref()));
                    }
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
            if cd_depth == Some(depth) {
                cd_done = true;
            }
            continue;
        }
        match action {
            Action::Descend => {}
            Action::Capture(t) => {
                stream.skip_leading_space(false);
                capture = Some((depth, t, String::new()));
            }
            Action::Skip => {
                if skip_below.is_none() && capture.is_none() {
                    skip_below = Some(depth);
                }
            }
        }
        stack.push(Frame {
            el,
            first,
            seen_start: seen.len(),
        });
    }
    match (cd_depth, root_name) {
        (Some(_), _) => finish(st),
        (None, Some(r)) => Err(CdaError::NotCda(r)),
        (None, None) => Err(XmlError::Empty.into()),
    }
}

/// The first 64 characters of an element name, for [`CdaError::NotCda`] (the name was checked
/// as UTF-8 by [`name_bytes`]).
fn name_string(name: &[u8]) -> String {
    String::from_utf8_lossy(name).chars().take(64).collect()
}

/// `text` trimmed (Unicode white space, as the tree reader trims), reusing its buffer when
/// there is nothing to trim (the usual case: `<family>DIDOT</family>`).
fn trimmed(text: String) -> String {
    let t = text.trim();
    if t.len() == text.len() {
        text
    } else {
        t.to_owned()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let shared = std::env::var_os("SEGUR_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"))
            });
        std::fs::read(shared.join("ans-kit/ExemplesCDA").join(name)).unwrap()
    }

    const SAMPLES: [&str; 2] = [
        "VAC-NOTE_2023.01.xml",
        "BIO-TROD_2024.01_COVID-19_Grippe-A_Grippe-B.xml",
    ];

    /// Snippets that hit every branch of the certified path and of its way out to the exact
    /// path: references (predefined, numeric, undeclared, broken), UTF-8 (valid, invalid,
    /// truncated), attribute syntax (spacing, quotes, `=`, duplicates, names, namespaces),
    /// markup characters.
    const SNIPPETS: &[&[u8]] = &[
        b"&amp;",
        b"&#65;",
        b"&#x42;",
        b"&e;",
        b"&",
        b"&amp",
        "é".as_bytes(),
        b"\xff",
        b"\xc3",
        b"\xe2\x82",
        b" ",
        b"\t",
        b"\r\n",
        b"\x0c",
        b"=",
        b"\"",
        b"'",
        b" a=\"1\"",
        b" a='1'",
        b" a=\"1\" a=\"2\"",
        b" a = \"1\"",
        b" a=1",
        b" a",
        b"a=\"1\"",
        b" root=\"x\"",
        b" h:root=\"x\"",
        b" xmlns:q=\"&e;\"",
        b" xmlns=\"\xff\"",
        b" \xc3\xa9=\"1\"",
        b" a=\"<\"",
        b"<",
        b">",
        b"/",
        b"<x/>",
        b"</x>",
        b"<![CDATA[\xff]]>",
        b"<!-- c -->",
    ];

    /// One document of the kit with one snippet inserted at `at` (a fraction of the header).
    fn mutated(doc: &[u8], at: f64, snippet: &[u8]) -> Vec<u8> {
        let header_len = doc
            .windows(12)
            .position(|w| w == b"\n   <component" || w == b"<component>\n")
            .unwrap_or(doc.len());
        let at = ((header_len as f64) * at) as usize;
        let mut out = Vec::with_capacity(doc.len() + snippet.len());
        out.extend_from_slice(&doc[..at]);
        out.extend_from_slice(snippet);
        out.extend_from_slice(&doc[at..]);
        out
    }

    fn both(input: &[u8]) -> (Result<CdaHeader, CdaError>, Result<CdaHeader, CdaError>) {
        let limits = XmlLimits::default();
        (
            read_header_with::<true>(input, &limits),
            read_header_with::<false>(input, &limits),
        )
    }

    #[test]
    fn certified_path_reads_the_kit_samples_as_the_exact_path() {
        for name in SAMPLES {
            let (fast, exact) = both(&sample(name));
            assert!(exact.is_ok(), "{name}: {exact:?}");
            assert_eq!(fast, exact, "{name}");
        }
    }

    #[test]
    fn certified_path_matches_the_exact_path_at_every_tag_of_a_header() {
        // Every snippet right after the name of every start tag of the VAC-NOTE header: the
        // places where the attribute scanner decides.
        let doc = sample(SAMPLES[0]);
        let mut refused = 0;
        for (i, _) in doc
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'<' && doc.get(i + 1).is_some_and(u8::is_ascii_alphabetic))
        {
            let name_end = i + doc[i..]
                .iter()
                .position(|&b| is_space(b) || b == b'>' || b == b'/')
                .unwrap();
            for snippet in SNIPPETS {
                let mut input = doc[..name_end].to_vec();
                input.extend_from_slice(snippet);
                input.extend_from_slice(&doc[name_end..]);
                let (fast, exact) = both(&input);
                refused += usize::from(exact.is_err());
                assert_eq!(
                    fast,
                    exact,
                    "snippet {:?} after byte {name_end}",
                    String::from_utf8_lossy(snippet)
                );
            }
        }
        assert!(refused > 100, "only {refused} mutations refused");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn certified_path_matches_the_exact_path_on_mutated_headers(
            which in 0..SAMPLES.len(),
            at in 0.0..1.0f64,
            snippet in proptest::sample::select(SNIPPETS),
            at2 in 0.0..1.0f64,
            snippet2 in proptest::sample::select(SNIPPETS),
        ) {
            let doc = sample(SAMPLES[which]);
            let once = mutated(&doc, at, snippet);
            let (fast, exact) = both(&once);
            prop_assert_eq!(fast, exact);
            let twice = mutated(&once, at2, snippet2);
            let (fast, exact) = both(&twice);
            prop_assert_eq!(fast, exact);
        }
    }
}
