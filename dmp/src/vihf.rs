//! VIHF: the SAML 2.0 assertion that authenticates every DMP request (`shared/specs/dmp.md` §2).
//!
//! [`VihfBuilder`] writes the assertion exactly as the official examples do (EX `vihf/*.xml`):
//! `saml2:Assertion` with `ID="_<uuid>"` (a bare UUID may start with a digit, not a valid
//! `xs:ID`, §2.1), `IssueInstant` in UTC with milliseconds, `Version="2.0"`; `Issuer` with the
//! X509SubjectName format and the signing certificate's subject DN (RFC 2253, [`issuer_dn`]);
//! `Subject/NameID`; `AuthnStatement`; then the attributes in the EX order of §2.2. The
//! enveloped signature goes right after `Issuer` (§2.4): [`Vihf::signature_offset`] is that
//! place.
//!
//! What the builder guarantees (each check names the rule):
//! - the patient comes only from a [`DmpPatient`] (RNIV: qualified identities only);
//! - the first role is the profession (TRE_G15); a pharmacist (21) or doctor (10) always has
//!   the second role (TRE_G05 CNOP sub-section for pharmacists, IGV / PSC `VihfBuilder`);
//! - `subject-id` is present outside DIRECTE (EX INDIRECTE and AIR; §2.3);
//! - the homologation number is a [`Homologation`], never shown by `Debug` nor in errors.
//!
//! TO VERIFY items are configurable ([`AttributeNames`], [`VihfBuilder::vihf_version`],
//! [`VihfBuilder::authn_context`]).

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use segur_net::xml::{XmlWriteError, XmlWriter};
use zeroize::Zeroizing;

use crate::config::AuthMode;
use crate::patient::DmpPatient;

/// SAML 2.0 assertion namespace.
pub const NS_SAML2: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// XML Schema instance namespace (`xsi:type`).
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema namespace (`xs:string`).
pub const NS_XS: &str = "http://www.w3.org/2001/XMLSchema";
/// HL7 v3 namespace (Role and PurposeOfUse values).
pub const NS_HL7: &str = "urn:hl7-org:v3";
/// Issuer format: X.509 subject name (SAML 2.0 core §8.3.3).
pub const ISSUER_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName";
/// The AuthnContextClassRef of every EX mode (§2.1); accepted values are TO VERIFY.
pub const AUTHN_SMARTCARD_PKI: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI";
/// The AuthnContextClassRef of ANS's PSC VIHF generator (`shared/specs/dmp.md` §2.1, source
/// PSC): a professional authenticated through Pro Santé Connect. Whether the DMP accepts it is TO
/// VERIFY; `dmp.toml` `authn_context` selects it.
pub const AUTHN_PSC_MOBILE_TWO_FACTOR: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered";
/// TRE_G15 (professions) code system.
pub const OID_TRE_G15: &str = "1.2.250.1.71.1.2.7";
/// TRE_G05 (CNOP sub-sections of pharmacists) code system.
pub const OID_TRE_G05: &str = "1.2.250.1.71.4.2.6";
/// TRE_R02 (activity sectors) code system.
pub const OID_TRE_R02: &str = "1.2.250.1.71.4.2.4";
/// TRE_R248 (VIHF access modes) code system.
pub const OID_TRE_R248: &str = "1.2.250.1.213.1.1.4.248";

/// Why a VIHF could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VihfError {
    /// A required value is empty.
    #[error("VIHF: {0} is empty")]
    Empty(&'static str),
    /// Profession 10 or 21 without its second role (IGV "Mapping VIHF"; PSC `VihfBuilder`;
    /// `shared/specs/dmp.md` §2.6).
    #[error("VIHF: profession {0} needs its second role (TRE_G05 section for pharmacists)")]
    MissingSecondRole(String),
    /// `subject-id` is required in INDIRECTE and INDIRECTE_RENFORCEE (EX; §2.3).
    #[error("VIHF: subject-id (the user's name) is required outside DIRECTE")]
    MissingSubjectId,
    /// A value that is not a code (letters, digits, `.`, `_`, `-`).
    #[error("VIHF: {0} is not a code")]
    NotACode(&'static str),
    /// The signing certificate does not parse as X.509 (RFC 5280).
    #[error("VIHF: the signing certificate does not parse: {0}")]
    Certificate(String),
    /// A value XML cannot carry.
    #[error("VIHF: {0}")]
    Xml(#[from] XmlWriteError),
}

/// TRE_R248 purpose of use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PurposeOfUse {
    /// `normal`: normal access.
    #[default]
    Normal,
    /// `bris_de_glace`: emergency access.
    BrisDeGlace,
    /// `centre_15`: SAMU regulation.
    Centre15,
}

impl PurposeOfUse {
    /// TRE_R248 code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::BrisDeGlace => "bris_de_glace",
            Self::Centre15 => "centre_15",
        }
    }
    /// TRE_R248 display name.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Normal => "Accès normal",
            Self::BrisDeGlace => "Accès en mode bris de glace",
            Self::Centre15 => "Accès en mode centre de régulation",
        }
    }
}

/// An HL7 CE role of the `subject:role` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Code.
    pub code: String,
    /// Code system OID.
    pub code_system: String,
    /// Display name.
    pub display_name: Option<String>,
}

impl Role {
    /// A profession of TRE_G15 (`21` pharmacien, `10` médecin).
    pub fn profession(code: &str) -> Self {
        let display = match code {
            "21" => Some("Pharmacien"),
            "10" => Some("Médecin"),
            _ => None,
        };
        Self {
            code: code.to_owned(),
            code_system: OID_TRE_G15.to_owned(),
            display_name: display.map(str::to_owned),
        }
    }

    /// A CNOP sub-section of TRE_G05 (`A` titulaire d'officine, `D` adjoint, ...; §2.6).
    pub fn pharmacist_section(code: &str) -> Self {
        let display = match code {
            "A" => Some("Pharmacien titulaire d'officine"),
            "D" => Some("Pharmacien adjoint, remplaçant ou gérant"),
            "DA" => Some("Pharmacien adjoint d'officine"),
            "G" => Some("Pharmacien biologiste"),
            "H" => Some("Pharmacien d'établissement de santé"),
            "M" => Some("Pharmacien militaire"),
            _ => None,
        };
        Self {
            code: code.to_owned(),
            code_system: OID_TRE_G05.to_owned(),
            display_name: display.map(str::to_owned),
        }
    }
}

/// The homologation number of the software (`LPS_ID_HOMOLOGATION_DMP`): secret per EX_GEN-1490
/// (`shared/specs/cda.md` §3.2), zeroized, never in `Debug`, logs or errors.
#[derive(Clone)]
pub struct Homologation(Zeroizing<String>);

impl Homologation {
    /// Wraps the number.
    pub fn new(number: impl Into<String>) -> Self {
        Self(Zeroizing::new(number.into()))
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Homologation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Homologation(<redacted>)")
    }
}

/// Attribute names whose spelling differs between sources (`shared/specs/dmp.md` §2.2, TO
/// VERIFY). The defaults follow the official examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeNames {
    /// `Authentification_mode` in EX and PSC; `Authentification_Mode` in CS, DB and IGV.
    pub authentication_mode: String,
}

impl Default for AttributeNames {
    fn default() -> Self {
        Self {
            authentication_mode: "Authentification_mode".to_owned(),
        }
    }
}

/// The software identification (`LPS_*` attributes).
#[derive(Debug, Clone)]
pub struct Software {
    /// `LPS_Nom`.
    pub name: String,
    /// `LPS_Version`.
    pub version: String,
    /// `LPS_ID` (optional, IGV).
    pub id: Option<String>,
    /// `LPS_ID_HOMOLOGATION_DMP`.
    pub homologation: Homologation,
}

/// Builder of a VIHF. Every field has a typed setter; [`VihfBuilder::build`] checks the rules
/// listed in the module documentation.
#[derive(Debug, Clone)]
pub struct VihfBuilder {
    mode: AuthMode,
    issuer: String,
    name_id: String,
    subject_id: Option<String>,
    structure_id: String,
    activity_sector: String,
    profession: Role,
    second_role: Option<Role>,
    purpose: PurposeOfUse,
    software: Software,
    names: AttributeNames,
    vihf_version: String,
    authn_context: String,
    instant: Option<DateTime<Utc>>,
    id: Option<String>,
}

/// A built (unsigned) assertion.
#[derive(Clone)]
pub struct Vihf {
    xml: String,
    id: String,
    signature_offset: usize,
}

impl fmt::Debug for Vihf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The XML holds the INS and the homologation number.
        f.debug_struct("Vihf")
            .field("id", &self.id)
            .field("bytes", &self.xml.len())
            .finish()
    }
}

impl Vihf {
    /// The assertion's `ID` (`_<uuid>`), the signature's Reference URI without `#`.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The assertion as XML (no declaration).
    pub fn xml(&self) -> &str {
        &self.xml
    }
    /// Byte offset right after `</saml2:Issuer>`, where the enveloped `ds:Signature` goes
    /// (SAML 2.0 core §2.3.3 schema order; `shared/specs/dmp.md` §2.4).
    pub fn signature_offset(&self) -> usize {
        self.signature_offset
    }
    /// The assertion with a pre-serialised `Signature` element inserted after `Issuer`.
    pub fn with_signature(&self, signature: &str) -> String {
        let (head, tail) = self.xml.split_at(self.signature_offset);
        let mut out = String::with_capacity(self.xml.len() + signature.len());
        out.push_str(head);
        out.push_str(signature);
        out.push_str(tail);
        out
    }
    /// The `wsse:Security` header block holding `assertion` (§2.1: no Timestamp, no
    /// BinarySecurityToken).
    pub fn security_header(assertion: &str) -> String {
        format!("<wsse:Security xmlns:wsse=\"{NS_WSSE}\">{assertion}</wsse:Security>")
    }
}

/// WS-Security 1.0 namespace.
pub const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl VihfBuilder {
    /// A builder for `mode`, issued by `issuer` (the signing certificate's subject DN, see
    /// [`issuer_dn`]), for the user `name_id` (national id, e.g. `8` + RPPS), in structure
    /// `structure_id` (Struct_IdNat) of activity sector `activity_sector` (TRE_R02 code),
    /// with profession `profession` (TRE_G15 code) and the software `software`.
    pub fn new(
        mode: AuthMode,
        issuer: impl Into<String>,
        name_id: impl Into<String>,
        structure_id: impl Into<String>,
        activity_sector: impl Into<String>,
        profession: &str,
        software: Software,
    ) -> Self {
        Self {
            mode,
            issuer: issuer.into(),
            name_id: name_id.into(),
            subject_id: None,
            structure_id: structure_id.into(),
            activity_sector: activity_sector.into(),
            profession: Role::profession(profession),
            second_role: None,
            purpose: PurposeOfUse::Normal,
            software,
            names: AttributeNames::default(),
            vihf_version: "3.0".to_owned(),
            authn_context: AUTHN_SMARTCARD_PKI.to_owned(),
            instant: None,
            id: None,
        }
    }

    /// The user's name and first name (`subject-id`); required outside DIRECTE.
    pub fn subject_id(mut self, name: impl Into<String>) -> Self {
        self.subject_id = Some(name.into());
        self
    }
    /// The pharmacist's CNOP sub-section (TRE_G05), the second role.
    pub fn pharmacist_section(mut self, code: &str) -> Self {
        self.second_role = Some(Role::pharmacist_section(code));
        self
    }
    /// Any second role (TRE_R01 savoir-faire for doctors).
    pub fn second_role(mut self, role: Role) -> Self {
        self.second_role = Some(role);
        self
    }
    /// The purpose of use (TRE_R248; default `normal`).
    pub fn purpose(mut self, purpose: PurposeOfUse) -> Self {
        self.purpose = purpose;
        self
    }
    /// Attribute-name spellings (TO VERIFY, §2.2).
    pub fn attribute_names(mut self, names: AttributeNames) -> Self {
        self.names = names;
        self
    }
    /// `VIHF_Version` (default `3.0`, as EX, CS, DB and PSC; the IGV table says 4.0: TO VERIFY).
    pub fn vihf_version(mut self, version: impl Into<String>) -> Self {
        self.vihf_version = version.into();
        self
    }
    /// The AuthnContextClassRef (default SmartcardPKI, as EX; accepted values TO VERIFY).
    pub fn authn_context(mut self, class_ref: impl Into<String>) -> Self {
        self.authn_context = class_ref.into();
        self
    }
    /// Fixes IssueInstant (default: now).
    pub fn issue_instant(mut self, instant: DateTime<Utc>) -> Self {
        self.instant = Some(instant);
        self
    }
    /// Fixes the assertion ID (default `_<random uuid>`); must start with `_` or a letter.
    pub fn assertion_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    fn check(&self) -> Result<(), VihfError> {
        for (value, what) in [
            (&self.issuer, "Issuer"),
            (&self.name_id, "NameID"),
            (&self.structure_id, "Identifiant_Structure"),
            (&self.software.name, "LPS_Nom"),
            (&self.software.version, "LPS_Version"),
            (&self.vihf_version, "VIHF_Version"),
            (&self.authn_context, "AuthnContextClassRef"),
            (
                &self.names.authentication_mode,
                "the Authentification_mode name",
            ),
        ] {
            if value.trim().is_empty() {
                return Err(VihfError::Empty(what));
            }
        }
        if self.software.homologation.expose().trim().is_empty() {
            return Err(VihfError::Empty("LPS_ID_HOMOLOGATION_DMP"));
        }
        if !is_code(&self.activity_sector) {
            return Err(VihfError::NotACode("Secteur_Activite"));
        }
        if !is_code(&self.profession.code) {
            return Err(VihfError::NotACode("the profession"));
        }
        if let Some(r) = &self.second_role
            && !is_code(&r.code)
        {
            return Err(VihfError::NotACode("the second role"));
        }
        if matches!(self.profession.code.as_str(), "10" | "21") && self.second_role.is_none() {
            return Err(VihfError::MissingSecondRole(self.profession.code.clone()));
        }
        if self.mode != AuthMode::Directe
            && self
                .subject_id
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
        {
            return Err(VihfError::MissingSubjectId);
        }
        if let Some(id) = &self.id
            && !id.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        {
            return Err(VihfError::NotACode("the assertion ID"));
        }
        Ok(())
    }

    /// Writes the assertion for `patient`.
    pub fn build(&self, patient: &DmpPatient) -> Result<Vihf, VihfError> {
        self.check()?;
        let id = self
            .id
            .clone()
            .unwrap_or_else(|| format!("_{}", uuid::Uuid::new_v4()));
        let instant = self
            .instant
            .unwrap_or_else(Utc::now)
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut w = XmlWriter::new();
        w.start(
            "saml2:Assertion",
            &[
                ("xmlns:saml2", NS_SAML2),
                ("xmlns:xsi", NS_XSI),
                ("ID", &id),
                ("IssueInstant", &instant),
                ("Version", "2.0"),
            ],
        )?;
        w.element("saml2:Issuer", &[("Format", ISSUER_FORMAT)], &self.issuer)?;
        // The signature offset is found on the finished text: the Issuer end tag occurs once
        // (its text is escaped, so it cannot hold '<').
        w.start("saml2:Subject", &[])?;
        w.element("saml2:NameID", &[], &self.name_id)?;
        w.end()?;
        w.start("saml2:AuthnStatement", &[("AuthnInstant", &instant)])?;
        w.start("saml2:AuthnContext", &[])?;
        w.element("saml2:AuthnContextClassRef", &[], &self.authn_context)?;
        if self.mode == AuthMode::IndirecteRenforcee {
            // EX AIR: AuthnContextDecl holding the same URN as text (§2.1).
            w.element("saml2:AuthnContextDecl", &[], &self.authn_context)?;
        }
        w.end()?;
        w.end()?;
        w.start("saml2:AttributeStatement", &[])?;
        let string_attr = |w: &mut XmlWriter, name: &str, value: &str| {
            w.start("saml2:Attribute", &[("Name", name)])?;
            w.element(
                "saml2:AttributeValue",
                &[("xmlns:xs", NS_XS), ("xsi:type", "xs:string")],
                value,
            )?;
            w.end()
        };
        string_attr(&mut w, "Identifiant_Structure", &self.structure_id)?;
        string_attr(
            &mut w,
            "Secteur_Activite",
            &format!("{}^{OID_TRE_R02}", self.activity_sector),
        )?;
        if let Some(s) = &self.subject_id {
            string_attr(&mut w, "urn:oasis:names:tc:xspa:1.0:subject:subject-id", s)?;
        }
        w.start(
            "saml2:Attribute",
            &[("Name", "urn:oasis:names:tc:xacml:2.0:subject:role")],
        )?;
        for role in std::iter::once(&self.profession).chain(self.second_role.as_ref()) {
            w.start("saml2:AttributeValue", &[])?;
            let mut attrs = vec![
                ("xmlns", NS_HL7),
                ("code", role.code.as_str()),
                ("codeSystem", role.code_system.as_str()),
            ];
            if let Some(d) = &role.display_name {
                attrs.push(("displayName", d.as_str()));
            }
            attrs.push(("xsi:type", "CE"));
            w.empty("Role", &attrs)?;
            w.end()?;
        }
        w.end()?;
        string_attr(&mut w, "VIHF_Version", &self.vihf_version)?;
        string_attr(
            &mut w,
            &self.names.authentication_mode,
            self.mode.vihf_value(),
        )?;
        string_attr(
            &mut w,
            "urn:oasis:names:tc:xacml:2.0:resource:resource-id",
            &patient.cx(),
        )?;
        string_attr(&mut w, "Ressource_URN", "urn:dmp")?;
        w.start(
            "saml2:Attribute",
            &[("Name", "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse")],
        )?;
        w.start("saml2:AttributeValue", &[])?;
        w.empty(
            "PurposeOfUse",
            &[
                ("xmlns", NS_HL7),
                ("code", self.purpose.code()),
                ("codeSystem", OID_TRE_R248),
                ("codeSystemName", "mode acces VIHF 2.0"),
                ("displayName", self.purpose.display_name()),
                ("xsi:type", "CE"),
            ],
        )?;
        w.end()?;
        w.end()?;
        if let Some(lps_id) = &self.software.id {
            string_attr(&mut w, "LPS_ID", lps_id)?;
        }
        string_attr(&mut w, "LPS_Nom", &self.software.name)?;
        string_attr(&mut w, "LPS_Version", &self.software.version)?;
        string_attr(
            &mut w,
            "LPS_ID_HOMOLOGATION_DMP",
            self.software.homologation.expose(),
        )?;
        w.end()?;
        w.end()?;
        let xml = w.finish()?;
        let end_tag = "</saml2:Issuer>";
        let signature_offset = xml
            .find(end_tag)
            .map(|p| p + end_tag.len())
            .ok_or(VihfError::Empty("Issuer"))?;
        Ok(Vihf {
            xml,
            id,
            signature_offset,
        })
    }
}

impl AuthMode {
    /// The `Authentification_mode` value (§2.3).
    pub const fn vihf_value(self) -> &'static str {
        match self {
            Self::Directe => "DIRECTE",
            Self::Indirecte => "INDIRECTE",
            Self::IndirecteRenforcee => "INDIRECTE_RENFORCEE",
        }
    }
}

/// The subject DN of a DER certificate as RFC 2253 text (most specific RDN first, `,` without
/// space): the VIHF `Issuer` value (`shared/specs/dmp.md` §2.1, "the signing certificate's
/// subject DN"; CS writes RFC 2253). Read by `segur_net::xmldsig::cert`, which XAdES uses for
/// `X509IssuerName` too.
pub fn issuer_dn(certificate_der: &[u8]) -> Result<String, VihfError> {
    segur_net::xmldsig::cert::parse_certificate(certificate_der)
        .map(|c| c.subject_rfc2253)
        .ok_or_else(|| VihfError::Certificate("not an X.509 certificate".into()))
}
