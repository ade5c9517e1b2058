//! The CDA header shared by every document ("structuration minimale" of the CI-SIS), correct by
//! construction: fixed parts are constants, coded parts come from the generated value sets, the
//! patient INS only from a qualified identity (ANS référentiel INS: only a qualified identity may
//! carry the matricule).

use segur_ins::{Identity, Rpps};
use serde::{Deserialize, Serialize};

use super::BuildError;
use super::xw::Xw;
use crate::jdv::{
    AdministrativeGender, AuthorSpecialty, Civilite, HealthcareFacilityType, PracticeSetting,
    Titre, ValueSet,
};
use crate::model::{Code, InstanceId};

/// OID of the HL7 France templateId (StrucMin: 1..1).
pub const TEMPLATE_HL7_FRANCE: &str = "2.16.840.1.113883.2.8.2.1";
/// OID of the CI-SIS templateId (StrucMin: 1..1).
pub const TEMPLATE_CISIS: &str = "1.2.250.1.213.1.1.1.1";

/// Confidentiality levels the DMP accepts (StrucMin: HL7 Confidentiality; DMP: N, R, V).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Confidentiality {
    /// N: normal.
    #[default]
    N,
    /// R: restreint.
    R,
    /// V: très restreint.
    V,
}

impl Confidentiality {
    /// The coded value (JDV_HL7_Confidentiality-CISIS).
    pub fn to_code(self) -> Code {
        use crate::jdv::Confidentiality as C;
        match self {
            Self::N => C::N,
            Self::R => C::R,
            Self::V => C::V,
        }
        .to_code()
    }
}

/// An HL7 TS with a time zone, to the second: `YYYYMMDDhhmmss±hhmm` (StrucMin: effectiveTime is
/// precise to the second with a zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(String);

impl Timestamp {
    /// Parses `YYYYMMDDhhmmss±hhmm`, checking every field's range.
    pub fn parse(s: &str) -> Result<Self, BuildError> {
        let bad = || BuildError::Invalid {
            field: "timestamp",
            reason: format!("{s:?} is not YYYYMMDDhhmmss+hhmm"),
        };
        let b = s.as_bytes();
        // Byte-wise, so a non-ASCII character is refused, never sliced through.
        let shape_ok = b.len() == 19
            && matches!(b.get(14), Some(b'+' | b'-'))
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 14 || c.is_ascii_digit());
        if !shape_ok {
            return Err(bad());
        }
        let n = |a: usize, z: usize| b.get(a..z).map_or(9999, crate::time::ascii_number);
        let (y, mo, d, h, mi, se, zh, zm) = (
            n(0, 4),
            n(4, 6),
            n(6, 8),
            n(8, 10),
            n(10, 12),
            n(12, 14),
            n(15, 17),
            n(17, 19),
        );
        if !crate::time::is_civil_date(y, mo, d)
            || h > 23
            || mi > 59
            || se > 59
            || zh > 14
            || zm > 59
        {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The date part `YYYYMMDD`.
    pub fn date(&self) -> &str {
        // The constructor checked 19 ASCII characters.
        self.0.get(..8).unwrap_or(&self.0)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = BuildError;
    fn try_from(s: String) -> Result<Self, BuildError> {
        Self::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.0
    }
}

/// A health professional (author, legal authenticator, performer), identified by RPPS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Professional {
    /// RPPS (11 digits, Luhn); rendered as IDNPS `8` + RPPS under 1.2.250.1.71.4.2.1.
    pub rpps: Rpps,
    /// Family name.
    pub family: String,
    /// Given name.
    pub given: String,
    /// Civilité (JDV_J245).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<Civilite>,
    /// Titre (JDV_J246).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<Titre>,
    /// Profession/specialty (JDV_J01): `G15_21/A` titulaire d'officine, `G15_21/DA` adjoint,
    /// `G15_39` préparateur...
    pub profession: AuthorSpecialty,
}

/// The structure identifier (Struct_IdNat under 1.2.250.1.71.4.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StructureId {
    /// FINESS (prefix `1`).
    Finess(segur_ins::Finess),
    /// SIRET (prefix `3`).
    Siret(segur_ins::Siret),
}

impl StructureId {
    pub(crate) fn national(&self) -> InstanceId {
        let n = match self {
            Self::Finess(f) => f.national_id(),
            Self::Siret(s) => s.national_id(),
        };
        InstanceId::new(n.root, n.extension)
    }
}

/// The pharmacy (author's organisation, custodian, encounter location).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organization {
    /// National structure identifier.
    pub id: StructureId,
    /// Name.
    pub name: String,
    /// Type of facility (JDV_J02): `SA33` pharmacie d'officine by default.
    #[serde(default = "default_facility")]
    pub facility_type: HealthcareFacilityType,
    /// Practice setting (JDV_J04): `AMBULATOIRE` by default (forced to `DEPISTAGE` for TROD).
    #[serde(default = "default_practice")]
    pub practice_setting: PracticeSetting,
}

fn default_facility() -> HealthcareFacilityType {
    HealthcareFacilityType::SA33
}

fn default_practice() -> PracticeSetting {
    PracticeSetting::AMBULATOIRE
}

/// The patient: an identity from `segur-ins` and, optionally, a local identifier (IPP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patient {
    /// The identity. Its INS is written only when it is qualified; the INS traits then all go
    /// in the header (StrucMin INS rule).
    pub identity: Identity,
    /// Local identifier (IPP), with the structure's OID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id: Option<InstanceId>,
}

/// The previous version of a document being replaced (DMP TD2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviousVersion {
    /// `ClinicalDocument/id` of the replaced version.
    pub id: InstanceId,
    /// Its `setId`.
    pub set_id: InstanceId,
    /// Its `versionNumber`.
    pub version: u32,
}

impl PreviousVersion {
    /// From a read header (its id, setId and versionNumber).
    pub fn of(header: &crate::model::CdaHeader) -> Result<Self, BuildError> {
        Ok(Self {
            id: header.id.clone(),
            set_id: header
                .set_id
                .clone()
                .ok_or(BuildError::Missing("previous setId"))?,
            version: header
                .version_number
                .ok_or(BuildError::Missing("previous versionNumber"))?,
        })
    }
}

/// Header input shared by every document type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// `ClinicalDocument/id`; a fresh `2.25` OID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<InstanceId>,
    /// `setId`; a fresh `2.25` OID when absent (or the previous version's when replacing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_id: Option<InstanceId>,
    /// Document date-time.
    pub effective_time: Timestamp,
    /// Confidentiality.
    #[serde(default)]
    pub confidentiality: Confidentiality,
    /// The patient.
    pub patient: Patient,
    /// The author (and, unless `legalAuthenticator` is given, the legal authenticator).
    pub author: Professional,
    /// The legal authenticator, when not the author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_authenticator: Option<Professional>,
    /// The pharmacy.
    pub organization: Organization,
    /// Replaced version (RPLC), when this document replaces one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<PreviousVersion>,
}

impl Header {
    /// Makes this header replace `previous`: same setId, version + 1, relatedDocument RPLC
    /// (CI-SIS StrucMin relatedDocument; DMP TD2.1). A new document id is needed.
    pub fn replace(&mut self, previous: PreviousVersion) {
        self.set_id = Some(previous.set_id.clone());
        self.id = None;
        self.replaces = Some(previous);
    }
}

/// What a document type contributes to the header.
#[derive(Clone)]
pub(crate) struct DocKind<'a> {
    pub templates: &'a [(&'a str, Option<&'a str>)],
    pub code: Code,
    pub title: &'a str,
    pub practice_setting: PracticeSetting,
    pub service_code: Code,
    pub service_start: &'a str,
}

pub(crate) fn professional(w: &mut Xw, p: &Professional) {
    let n = p.rpps.national_id();
    w.ii("id", &InstanceId::new(n.root, n.extension));
    w.vs("code", p.profession);
}

pub(crate) fn person(w: &mut Xw, tag: &str, p: &Professional) {
    w.open(tag, &[]);
    w.open("name", &[]);
    if let Some(c) = p.prefix {
        w.leaf("prefix", &[], c.code());
    }
    w.leaf("given", &[], &p.given);
    w.leaf("family", &[], &p.family);
    if let Some(t) = p.suffix {
        w.leaf("suffix", &[], t.code());
    }
    w.close("name");
    w.close(tag);
}

fn organization(w: &mut Xw, tag: &str, o: &Organization, practice: Option<PracticeSetting>) {
    w.open(tag, &[]);
    w.ii("id", &o.id.national());
    w.leaf("name", &[], &o.name);
    if let Some(p) = practice {
        w.vs("standardIndustryClassCode", p);
    }
    w.close(tag);
}

/// The resolved ids of a build.
pub(crate) struct Ids {
    pub id: InstanceId,
    pub set_id: InstanceId,
    pub version: u32,
}

pub(crate) fn resolve_ids(h: &Header) -> Ids {
    let id =
        h.id.clone()
            .unwrap_or_else(|| InstanceId::root_only(crate::xds::new_uuid_oid()));
    let (set_id, version) = match &h.replaces {
        Some(p) => (p.set_id.clone(), p.version.saturating_add(1)),
        None => (
            h.set_id
                .clone()
                .unwrap_or_else(|| InstanceId::root_only(crate::xds::new_uuid_oid())),
            1,
        ),
    };
    Ids {
        id,
        set_id,
        version,
    }
}

fn patient(w: &mut Xw, p: &Patient) -> Result<(), BuildError> {
    let traits = p.identity.traits();
    let qualified = p.identity.qualified();
    w.open("recordTarget", &[]);
    w.open("patientRole", &[]);
    let mut any_id = false;
    if let Some(q) = &qualified {
        let ins = q.ins();
        w.empty(
            "id",
            &[
                ("root", ins.authority().oid()),
                ("extension", ins.matricule().expose()),
            ],
        );
        any_id = true;
    }
    if let Some(l) = &p.local_id {
        if crate::model::INS_OIDS.contains(&l.root.as_str()) {
            return Err(BuildError::Invalid {
                field: "patient.localId",
                reason: "an INS root may only come from a qualified identity".into(),
            });
        }
        w.ii("id", l);
        any_id = true;
    }
    if !any_id {
        return Err(BuildError::Missing(
            "patient: a qualified identity (INS) or a localId",
        ));
    }
    w.open("patient", &[("classCode", "PSN")]);
    w.open("name", &[]);
    w.leaf(
        "family",
        &[("qualifier", "BR")],
        traits.birth_name().expose(),
    );
    w.leaf("given", &[], traits.given_names().expose());
    w.leaf(
        "given",
        &[("qualifier", "BR")],
        traits.first_given_name().expose(),
    );
    if let Some(u) = traits.used_name() {
        w.leaf("family", &[("qualifier", "CL")], u.expose());
    }
    if let Some(u) = traits.used_given_name() {
        w.leaf("given", &[("qualifier", "CL")], u.expose());
    }
    w.close("name");
    let gender = match traits.sex() {
        segur_ins::Sex::Male => AdministrativeGender::M,
        segur_ins::Sex::Female => AdministrativeGender::F,
    };
    w.vs("administrativeGenderCode", gender);
    w.empty("birthTime", &[("value", &traits.birth_date().to_hl7())]);
    match traits.birth_place() {
        Some(place) => {
            w.raw("<birthplace><place><addr><county>");
            w.text(place.code());
            w.raw("</county></addr></place></birthplace>");
        }
        None if qualified.is_some() => {
            return Err(BuildError::Missing(
                "patient birth place (INSEE COG): an INS trait",
            ));
        }
        None => {}
    }
    w.close("patient");
    w.close("patientRole");
    w.close("recordTarget");
    Ok(())
}

/// Writes everything from the XML declaration to the end of the header (before the body).
pub(crate) fn write_header(
    w: &mut Xw,
    h: &Header,
    kind: &DocKind<'_>,
    ids: &Ids,
) -> Result<(), BuildError> {
    let time = h.effective_time.as_str();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.raw("<ClinicalDocument xmlns=\"urn:hl7-org:v3\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">");
    w.empty("realmCode", &[("code", "FR")]);
    w.empty(
        "typeId",
        &[
            ("root", "2.16.840.1.113883.1.3"),
            ("extension", "POCD_HD000040"),
        ],
    );
    w.empty("templateId", &[("root", TEMPLATE_HL7_FRANCE)]);
    w.empty("templateId", &[("root", TEMPLATE_CISIS)]);
    for (root, ext) in kind.templates {
        match ext {
            Some(e) => w.empty("templateId", &[("root", root), ("extension", e)]),
            None => w.empty("templateId", &[("root", root)]),
        }
    }
    w.ii("id", &ids.id);
    w.cd("code", &[], &kind.code);
    w.leaf("title", &[], kind.title);
    w.empty("effectiveTime", &[("value", time)]);
    w.cd("confidentialityCode", &[], &h.confidentiality.to_code());
    w.empty("languageCode", &[("code", "fr-FR")]);
    w.ii("setId", &ids.set_id);
    w.empty("versionNumber", &[("value", &ids.version.to_string())]);
    patient(w, &h.patient)?;
    // author
    w.open("author", &[]);
    w.empty("time", &[("value", time)]);
    w.open("assignedAuthor", &[]);
    professional(w, &h.author);
    person(w, "assignedPerson", &h.author);
    organization(w, "representedOrganization", &h.organization, None);
    w.close("assignedAuthor");
    w.close("author");
    // custodian
    w.raw("<custodian><assignedCustodian>");
    organization(w, "representedCustodianOrganization", &h.organization, None);
    w.raw("</assignedCustodian></custodian>");
    // legalAuthenticator: signatureCode is always S (StrucMin).
    let la = h.legal_authenticator.as_ref().unwrap_or(&h.author);
    w.open("legalAuthenticator", &[]);
    w.empty("time", &[("value", time)]);
    w.empty("signatureCode", &[("code", "S")]);
    w.open("assignedEntity", &[]);
    professional(w, la);
    person(w, "assignedPerson", la);
    organization(
        w,
        "representedOrganization",
        &h.organization,
        Some(kind.practice_setting),
    );
    w.close("assignedEntity");
    w.close("legalAuthenticator");
    Ok(())
}

/// documentationOf/serviceEvent with its performer (StrucMin: 1 performer PRF, low 1..1,
/// practice setting mandatory: the XDS practiceSettingCode source).
pub(crate) fn write_service_event(w: &mut Xw, h: &Header, kind: &DocKind<'_>) {
    w.open("documentationOf", &[]);
    w.open("serviceEvent", &[("classCode", "ACT")]);
    w.cd("code", &[], &kind.service_code);
    w.raw("<effectiveTime>");
    w.empty("low", &[("value", kind.service_start)]);
    w.raw("</effectiveTime>");
    w.open("performer", &[("typeCode", "PRF")]);
    w.open("assignedEntity", &[]);
    professional(w, &h.author);
    person(w, "assignedPerson", &h.author);
    organization(
        w,
        "representedOrganization",
        &h.organization,
        Some(kind.practice_setting),
    );
    w.close("assignedEntity");
    w.close("performer");
    w.close("serviceEvent");
    w.close("documentationOf");
}

/// relatedDocument RPLC (when replacing) and componentOf/encompassingEncounter.
pub(crate) fn write_tail(w: &mut Xw, h: &Header) {
    if let Some(p) = &h.replaces {
        w.open("relatedDocument", &[("typeCode", "RPLC")]);
        // The structuration minimale's closed template CI-SISRelatedDocument allows only `id`
        // and `versionNumber` in parentDocument: the shared setId is the document's own.
        w.open("parentDocument", &[]);
        w.ii("id", &p.id);
        w.empty("versionNumber", &[("value", &p.version.to_string())]);
        w.close("parentDocument");
        w.close("relatedDocument");
    }
}

/// componentOf/encompassingEncounter: AMB at the pharmacy (JDV_J142, JDV_J02).
pub(crate) fn write_encounter(w: &mut Xw, h: &Header) {
    w.raw("<componentOf><encompassingEncounter>");
    w.vs("code", crate::jdv::EncounterType::AMB);
    w.raw("<effectiveTime>");
    w.empty("low", &[("value", h.effective_time.as_str())]);
    w.raw("</effectiveTime><location><healthCareFacility>");
    w.ii("id", &h.organization.id.national());
    w.vs("code", h.organization.facility_type);
    w.raw("</healthCareFacility></location></encompassingEncounter></componentOf>");
}
