//! The VIHF checks of the simulator (`shared/specs/dmp.md` §2, §11.1 items 2 and 3).
//!
//! The assertion is read from `soap:Header/wsse:Security/saml2:Assertion`. Checked:
//! - `Version="2.0"`, an `ID`, a parseable `IssueInstant`, `Issuer` with the
//!   `X509SubjectName` format, a non-empty `Subject/NameID` (§2.1);
//! - `Conditions/@NotBefore` and `@NotOnOrAfter` when present (SAML 2.0 Core §2.5.1.2);
//! - every required attribute (§11.1 item 2): `Identifiant_Structure`, `Secteur_Activite`,
//!   the role (two values for professions 10 and 21, the second one TRE_G05 for a pharmacist,
//!   §2.6), `VIHF_Version`, `Authentification_mode`, `resource-id`, `Ressource_URN`
//!   (`urn:dmp`), `purposeofuse` (TRE_R248), `LPS_Nom`, `LPS_Version`,
//!   `LPS_ID_HOMOLOGATION_DMP`, and `subject-id` outside DIRECTE;
//! - role and purpose of use are `CE` elements in `urn:hl7-org:v3`;
//! - the `ds:Signature` sits immediately after `Issuer` (§2.1) and is present in INDIRECTE
//!   and INDIRECTE_RENFORCEE (and in DIRECTE when [`super::Rules::require_directe_signature`]).
//!
//! Refusals name the attribute at fault, never its value.

use segur_net::xml::Element;

use super::Rules;
use super::refusal::Refusal;
use super::registry::PatientKey;

/// `wsse:` (OASIS WSS 1.0 SOAP Message Security).
pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// `saml2:` (SAML 2.0 Core).
pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// `ds:` (XML-DSig).
pub const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// HL7 v3.
pub const HL7_NS: &str = "urn:hl7-org:v3";
/// `xsi:`.
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

const X509_SUBJECT_NAME: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName";
const ROLE: &str = "urn:oasis:names:tc:xacml:2.0:subject:role";
const SUBJECT_ID: &str = "urn:oasis:names:tc:xspa:1.0:subject:subject-id";
const RESOURCE_ID: &str = "urn:oasis:names:tc:xacml:2.0:resource:resource-id";
const PURPOSE_OF_USE: &str = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse";
/// TRE_G15 (professions) and TRE_G16 (students), the first role's code systems (§2.2).
const PROFESSION_SYSTEMS: [&str; 2] = ["1.2.250.1.71.1.2.7", "1.2.250.1.71.1.2.8"];
/// TRE_G05, the pharmacist's second role (§2.6).
const CNOP_SECTION_SYSTEM: &str = "1.2.250.1.71.4.2.6";
/// TRE_R248, the purpose of use (§2.2).
const PURPOSE_SYSTEM: &str = "1.2.250.1.213.1.1.4.248";

/// The VIHF authentication mode (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// DIRECTE (CPS card).
    Directe,
    /// INDIRECTE (structure certificate).
    Indirecte,
    /// INDIRECTE_RENFORCEE (AIR).
    IndirecteRenforcee,
}

/// What the simulator keeps of a valid VIHF. `Debug` shows the mode and profession only (the
/// Issuer DN of a CPS card names the professional; the patient is patient data).
#[derive(Clone)]
pub struct Vihf {
    /// `Subject/NameID`: the professional's national identifier.
    pub professional: String,
    /// `Identifiant_Structure`.
    pub structure: String,
    /// `Authentification_mode`.
    pub mode: Mode,
    /// The first role's code (TRE_G15 profession).
    pub profession: String,
    /// `resource-id`: the patient.
    pub patient: PatientKey,
    /// The `ds:Signature` element's position in the assertion (for verification), when signed.
    pub signed: bool,
    /// `Issuer` text (the signing certificate's DN, §2.1).
    pub issuer: String,
}

impl std::fmt::Debug for Vihf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vihf")
            .field("mode", &self.mode)
            .field("profession", &self.profession)
            .field("signed", &self.signed)
            .finish_non_exhaustive()
    }
}

/// The assertion of a request header, or a refusal.
pub fn find_assertion<'e, 'a>(header: Option<&'e Element<'a>>) -> Result<&'e Element<'a>, Refusal> {
    let security = header
        .and_then(|h| h.child(WSSE_NS, "Security"))
        .ok_or_else(|| Refusal::vihf("no wsse:Security header"))?;
    let mut assertions = security.children_named(SAML_NS, "Assertion");
    let assertion = assertions
        .next()
        .ok_or_else(|| Refusal::vihf("no saml2:Assertion in wsse:Security"))?;
    if assertions.next().is_some() {
        return Err(Refusal::vihf("more than one saml2:Assertion"));
    }
    Ok(assertion)
}

/// The values of the attribute `name` (element or text values).
fn attribute<'e, 'a>(
    statement: &'e Element<'a>,
    name: &str,
    any_case: bool,
) -> Vec<&'e Element<'a>> {
    statement
        .children_named(SAML_NS, "Attribute")
        .filter(|a| {
            a.attribute("Name").is_some_and(|n| {
                if any_case {
                    n.eq_ignore_ascii_case(name)
                } else {
                    n == name
                }
            })
        })
        .flat_map(|a| a.children_named(SAML_NS, "AttributeValue"))
        .collect()
}

fn required_text(statement: &Element<'_>, name: &str, any_case: bool) -> Result<String, Refusal> {
    let values = attribute(statement, name, any_case);
    let v = values
        .first()
        .map(|v| v.text())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Refusal::vihf(format!("VIHF attribute {name} is missing or empty")))?;
    if values.len() > 1 {
        return Err(Refusal::vihf(format!(
            "VIHF attribute {name} has more than one value"
        )));
    }
    Ok(v)
}

/// The `CE` element inside an AttributeValue: `{urn:hl7-org:v3}local` with `xsi:type` CE.
fn ce<'e, 'a>(value: &'e Element<'a>, local: &str, what: &str) -> Result<&'e Element<'a>, Refusal> {
    let e = value
        .child(HL7_NS, local)
        .ok_or_else(|| Refusal::vihf(format!("{what}: no hl7:{local} element")))?;
    let ty = e.attribute_ns(XSI_NS, "type").unwrap_or_default();
    if ty.rsplit(':').next() != Some("CE") {
        return Err(Refusal::vihf(format!("{what}: xsi:type is not CE")));
    }
    if e.attribute("code").is_none_or(str::is_empty)
        || e.attribute("codeSystem").is_none_or(str::is_empty)
    {
        return Err(Refusal::vihf(format!("{what}: code or codeSystem missing")));
    }
    Ok(e)
}

/// Checks the VIHF of a request (`now`: seconds since the Unix epoch).
pub fn check(header: Option<&Element<'_>>, rules: &Rules, now: i64) -> Result<Vihf, Refusal> {
    let a = find_assertion(header)?;
    if a.attribute("Version") != Some("2.0") {
        return Err(Refusal::vihf("saml2:Assertion Version is not 2.0"));
    }
    if a.attribute("ID").is_none_or(str::is_empty) {
        return Err(Refusal::vihf("saml2:Assertion has no ID"));
    }
    a.attribute("IssueInstant")
        .and_then(parse_xs_datetime)
        .ok_or_else(|| Refusal::vihf("saml2:Assertion IssueInstant is missing or invalid"))?;
    let children: Vec<&Element<'_>> = a.elements().collect();
    let issuer = children
        .first()
        .filter(|e| e.name.is(SAML_NS, "Issuer"))
        .ok_or_else(|| Refusal::vihf("saml2:Issuer is not the first child of the assertion"))?;
    if issuer.attribute("Format") != Some(X509_SUBJECT_NAME) {
        return Err(Refusal::vihf("saml2:Issuer Format is not X509SubjectName"));
    }
    let signature_at = children.iter().position(|e| e.name.is(DS_NS, "Signature"));
    let signed = match signature_at {
        Some(1) => true,
        Some(_) => {
            return Err(Refusal::vihf(
                "ds:Signature is not immediately after saml2:Issuer",
            ));
        }
        None => false,
    };
    let professional = a
        .child(SAML_NS, "Subject")
        .and_then(|s| s.child(SAML_NS, "NameID"))
        .map(Element::text)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Refusal::vihf("saml2:Subject/NameID is missing or empty"))?;
    if let Some(c) = a.child(SAML_NS, "Conditions") {
        if let Some(nb) = c.attribute("NotBefore") {
            let t = parse_xs_datetime(nb)
                .ok_or_else(|| Refusal::vihf("Conditions NotBefore is invalid"))?;
            if t > now + 300 {
                return Err(Refusal::vihf("the assertion is not yet valid (NotBefore)"));
            }
        }
        if let Some(na) = c.attribute("NotOnOrAfter") {
            let t = parse_xs_datetime(na)
                .ok_or_else(|| Refusal::vihf("Conditions NotOnOrAfter is invalid"))?;
            if t <= now {
                return Err(Refusal::vihf("the assertion has expired (NotOnOrAfter)"));
            }
        }
    }
    let st = a
        .child(SAML_NS, "AttributeStatement")
        .ok_or_else(|| Refusal::vihf("no saml2:AttributeStatement"))?;
    let structure = required_text(st, "Identifiant_Structure", false)?;
    required_text(st, "Secteur_Activite", false)?;
    let version = required_text(st, "VIHF_Version", false)?;
    if version != "3.0" && version != "4.0" {
        return Err(Refusal::vihf("VIHF_Version is neither 3.0 nor 4.0"));
    }
    let mode =
        match required_text(st, "Authentification_mode", rules.mode_attribute_any_case)?.as_str() {
            "DIRECTE" => Mode::Directe,
            "INDIRECTE" => Mode::Indirecte,
            "INDIRECTE_RENFORCEE" => Mode::IndirecteRenforcee,
            _ => {
                return Err(Refusal::vihf(
                    "Authentification_mode is not DIRECTE, INDIRECTE or INDIRECTE_RENFORCEE",
                ));
            }
        };
    let resource = required_text(st, RESOURCE_ID, false)?;
    let patient = PatientKey::from_cx(&resource)
        .ok_or_else(|| Refusal::vihf("resource-id is not a CX id^^^&OID&ISO^NH"))?;
    if required_text(st, "Ressource_URN", false)? != "urn:dmp" {
        return Err(Refusal::vihf("Ressource_URN is not urn:dmp"));
    }
    for name in ["LPS_Nom", "LPS_Version", "LPS_ID_HOMOLOGATION_DMP"] {
        required_text(st, name, false)?;
    }
    if mode != Mode::Directe {
        required_text(st, SUBJECT_ID, false)?;
    }
    // Role: the profession first, then (professions 10 and 21) the specialty or section.
    let roles = attribute(st, ROLE, false);
    let first = roles
        .first()
        .ok_or_else(|| Refusal::vihf("VIHF attribute role is missing"))?;
    let profession_role = ce(first, "Role", "role")?;
    if !PROFESSION_SYSTEMS.contains(&profession_role.attribute("codeSystem").unwrap_or_default()) {
        return Err(Refusal::vihf(
            "role: the first value is not a TRE_G15 / TRE_G16 profession",
        ));
    }
    let profession = profession_role
        .attribute("code")
        .unwrap_or_default()
        .to_owned();
    if profession == "10" || profession == "21" {
        let second = roles.get(1).ok_or_else(|| {
            Refusal::vihf("role: professions 10 and 21 need a second value (specialty, §2.6)")
        })?;
        let r2 = ce(second, "Role", "role")?;
        if profession == "21" && r2.attribute("codeSystem") != Some(CNOP_SECTION_SYSTEM) {
            return Err(Refusal::vihf(
                "role: a pharmacist's second value is not a TRE_G05 CNOP section",
            ));
        }
    }
    let purposes = attribute(st, PURPOSE_OF_USE, false);
    let purpose = purposes
        .first()
        .ok_or_else(|| Refusal::vihf("VIHF attribute purposeofuse is missing"))?;
    let p = ce(purpose, "PurposeOfUse", "purposeofuse")?;
    if p.attribute("codeSystem") != Some(PURPOSE_SYSTEM)
        || !matches!(
            p.attribute("code"),
            Some("normal" | "bris_de_glace" | "centre_15")
        )
    {
        return Err(Refusal::vihf("purposeofuse is not a TRE_R248 code"));
    }
    if !signed && (mode != Mode::Directe || rules.require_directe_signature) {
        return Err(Refusal::vihf("the VIHF is not signed"));
    }
    Ok(Vihf {
        professional,
        structure,
        mode,
        profession,
        patient,
        signed,
        issuer: issuer.text(),
    })
}

/// What the signature check of a signed VIHF needs besides the assertion.
pub struct SignatureContext<'c> {
    /// The SOAP envelope bytes as received (the root part of an MTOM package).
    pub envelope: &'c [u8],
    /// The TLS client certificate (DER), when one was presented.
    pub tls_certificate: Option<&'c [u8]>,
    /// The signing certificates the simulator trusts (DER): its ORG_SIGN certificate.
    pub trusted: &'c [Vec<u8>],
}

/// An RFC 2253 name compared without the spaces some writers put after `,` and around `=`.
fn dn_key(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| rdn.split('=').map(str::trim).collect::<Vec<_>>().join("="))
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_uppercase()
}

/// Verifies the enveloped signature of a signed VIHF (§11.1 item 3): core validation with
/// exclusive C14N through [`segur_net::xmldsig::verify_enveloped`] (the reference `#ID` must be
/// the assertion, with the enveloped-signature transform; wrapping is refused); the KeyInfo
/// certificate is a trusted signing certificate and not the TLS authentication certificate
/// (DH: "Not a valid signature certificate"); the `Issuer` is its subject DN; in indirect
/// modes the TLS certificate has the same subject DN (PSC README).
pub fn verify_signature(vihf: &Vihf, ctx: &SignatureContext<'_>) -> Result<(), Refusal> {
    use segur_net::soap::SOAP12_NS;
    use segur_net::xmldsig::cert::parse_certificate;
    let bad =
        |reason: String| Refusal::fault(super::refusal::codes::INVALID_VIHF_SIGNATURE, reason);
    let path = [
        (SOAP12_NS, "Envelope"),
        (SOAP12_NS, "Header"),
        (WSSE_NS, "Security"),
        (SAML_NS, "Assertion"),
    ];
    let verified = segur_net::xmldsig::verify_enveloped(
        ctx.envelope,
        &path,
        segur_net::xml::XmlLimits::default(),
    )
    .map_err(|e| bad(format!("the VIHF signature does not verify: {e}")))?;
    let cert = &verified.verified.certificate;
    if ctx.tls_certificate == Some(cert.as_slice()) {
        return Err(bad(
            "the VIHF is signed with the TLS authentication certificate, not a signing certificate"
                .into(),
        ));
    }
    if !ctx.trusted.contains(cert) {
        return Err(bad(
            "the VIHF signing certificate is not a trusted signing certificate".into(),
        ));
    }
    let subject = &verified.verified.certificate_info.subject_rfc2253;
    if dn_key(&vihf.issuer) != dn_key(subject) {
        return Err(Refusal::vihf(
            "saml2:Issuer is not the subject DN of the signing certificate",
        ));
    }
    if vihf.mode != Mode::Directe {
        let tls_subject = ctx
            .tls_certificate
            .and_then(parse_certificate)
            .map(|c| c.subject_rfc2253);
        if tls_subject.as_deref().map(dn_key) != Some(dn_key(subject)) {
            return Err(bad(
                "in indirect mode the TLS certificate and the signing certificate must name the same subject"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Parses an `xs:dateTime` in UTC or with an offset (`2019-06-26T08:08:55.469Z`,
/// `...+02:00`) into seconds since the Unix epoch. Fractions are ignored.
pub fn parse_xs_datetime(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (y, mo, d, h, mi, se) = (
        num(0, 4)?,
        num(5, 2)?,
        num(8, 2)?,
        num(11, 2)?,
        num(14, 2)?,
        num(17, 2)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let digits = b
            .get(i..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        i += digits;
    }
    let offset = match b.get(i..)? {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let v = num(i + 1, 2)? * 3600 + num(i + 4, 2)? * 60;
            if *sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible
/// low-level date algorithms").
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xs_datetime() {
        assert_eq!(parse_xs_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_xs_datetime("2019-06-26T08:08:55.469Z"),
            Some(1_561_536_535)
        );
        assert_eq!(
            parse_xs_datetime("2019-06-26T10:08:55+02:00"),
            Some(1_561_536_535)
        );
        for bad in [
            "2019-06-26",
            "2019-13-26T08:08:55Z",
            "2019-06-26T08:08:55",
            "é",
        ] {
            assert_eq!(parse_xs_datetime(bad), None, "{bad}");
        }
    }
}
