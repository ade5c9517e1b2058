//! The VIHF we build compared with the official examples (`shared/dmp/examples/vihf`):
//! structure, attribute names, order and values (`shared/specs/dmp.md` §2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use segur_dmp::DmpPatient;
use segur_dmp::config::AuthMode;
use segur_dmp::vihf::{AttributeNames, Homologation, NS_SAML2, Software, VihfBuilder, VihfError};
use segur_ins::Ins;
use segur_net::xml::{Element, XmlLimits, parse_tree};

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("export SEGUR_SHARED=../shared"))
}

/// The example, with the stray Latin-1 byte of the DIRECTE files (§11.2) transcoded: the
/// hardened reader accepts UTF-8 only.
fn example(name: &str) -> String {
    let bytes = std::fs::read(shared().join("dmp/examples/vihf").join(name)).unwrap();
    match String::from_utf8(bytes.clone()) {
        Ok(s) => s,
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn patient() -> DmpPatient {
    DmpPatient::attested_qualified(
        Ins::from_parts("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
    )
}

fn builder(mode: AuthMode, issuer: &str, structure: &str) -> VihfBuilder {
    VihfBuilder::new(
        mode,
        issuer,
        "899900063480",
        structure,
        "SA07",
        "10",
        Software {
            name: "LPS GIE-SV".into(),
            version: "1".into(),
            id: Some("01.01.01.01".into()),
            homologation: Homologation::new("NumAutorisation"),
        },
    )
    .second_role(segur_dmp::vihf::Role {
        code: "SM26".into(),
        code_system: "1.2.250.1.71.4.2.5".into(),
        display_name: None,
    })
}

/// (Name, values) of every Attribute in order; a CE value is written `code@codeSystem`.
fn attributes(root: &Element<'_>) -> Vec<(String, Vec<String>)> {
    let stmt = root.child(NS_SAML2, "AttributeStatement").unwrap();
    stmt.children_named(NS_SAML2, "Attribute")
        .map(|a| {
            let values = a
                .children_named(NS_SAML2, "AttributeValue")
                .map(|v| match v.elements().next() {
                    Some(ce) => format!(
                        "{}:{}@{}",
                        ce.name.local,
                        ce.attribute("code").unwrap(),
                        ce.attribute("codeSystem").unwrap()
                    ),
                    None => v.text(),
                })
                .collect();
            (a.attribute("Name").unwrap().to_owned(), values)
        })
        .collect()
}

fn skeleton(root: &Element<'_>) -> Vec<String> {
    root.elements()
        .map(|e| e.name.local.to_string())
        .filter(|n| n != "Signature")
        .collect()
}

fn compare(file: &str, mode: AuthMode) {
    let ex = example(file);
    let ex_root = parse_tree(ex.as_bytes(), XmlLimits::default()).unwrap();
    let issuer = ex_root.child(NS_SAML2, "Issuer").unwrap().text();
    let structure = attributes(&ex_root)[0].1[0].clone();
    let mut b = builder(mode, &issuer, &structure);
    if mode != AuthMode::Directe {
        b = b.subject_id("MAX LIBRE");
    }
    let ours = b.build(&patient()).unwrap();
    let root = parse_tree(ours.xml().as_bytes(), XmlLimits::default()).unwrap();
    assert!(root.name.is(NS_SAML2, "Assertion"));
    assert_eq!(root.attribute("Version"), Some("2.0"));
    assert!(
        ours.id().starts_with('_') && ours.id().len() == 37,
        "{}",
        ours.id()
    );
    assert_eq!(root.attribute("ID"), Some(ours.id()));
    let instant = root.attribute("IssueInstant").unwrap();
    assert_eq!(instant.len(), "2019-06-26T08:08:55.469Z".len(), "{instant}");
    assert!(instant.ends_with('Z') && instant.as_bytes()[19] == b'.');
    assert_eq!(skeleton(&root), skeleton(&ex_root), "{file}");
    assert_eq!(
        root.child(NS_SAML2, "Issuer").unwrap().attribute("Format"),
        ex_root
            .child(NS_SAML2, "Issuer")
            .unwrap()
            .attribute("Format")
    );
    assert_eq!(root.child(NS_SAML2, "Issuer").unwrap().text(), issuer);
    let authn = |r: &Element<'_>| {
        let ctx = r
            .child(NS_SAML2, "AuthnStatement")
            .unwrap()
            .child(NS_SAML2, "AuthnContext")
            .unwrap();
        ctx.elements()
            .map(|e| (e.name.local.to_string(), e.text()))
            .collect::<Vec<_>>()
    };
    assert_eq!(authn(&root), authn(&ex_root), "{file}");
    assert_eq!(attributes(&root), attributes(&ex_root), "{file}");
    // The signature goes right after Issuer.
    let signed = ours.with_signature("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/>");
    let sroot = parse_tree(signed.as_bytes(), XmlLimits::default()).unwrap();
    let order: Vec<_> = sroot.elements().map(|e| e.name.local.to_string()).collect();
    assert_eq!(order[..3], ["Issuer", "Signature", "Subject"]);
}

#[test]
fn directe_matches_the_example() {
    compare("VIHF_DIRECTE_non-signed.xml", AuthMode::Directe);
}

#[test]
fn indirecte_matches_the_example() {
    compare("VIHF_INDIRECTE_signed.xml", AuthMode::Indirecte);
}

#[test]
fn indirecte_renforcee_matches_the_example() {
    compare(
        "VIHF_INDIRECTE_RENFORCEE_signed.xml",
        AuthMode::IndirecteRenforcee,
    );
}

#[test]
fn pharmacist_roles_and_rules() {
    let software = || Software {
        name: "segur".into(),
        version: "0.1.0".into(),
        id: None,
        homologation: Homologation::new("SECRET-HOMOLOGATION-42"),
    };
    let base = || {
        VihfBuilder::new(
            AuthMode::Indirecte,
            "CN=x",
            "810100000001",
            "3123456789012345",
            "SA33",
            "21",
            software(),
        )
    };
    // A pharmacist needs the TRE_G05 section; outside DIRECTE the subject-id.
    assert_eq!(
        base()
            .subject_id("PAUL PHARMACIEN")
            .build(&patient())
            .unwrap_err(),
        VihfError::MissingSecondRole("21".into())
    );
    assert_eq!(
        base()
            .pharmacist_section("A")
            .build(&patient())
            .unwrap_err(),
        VihfError::MissingSubjectId
    );
    let b = base().pharmacist_section("A").subject_id("PAUL PHARMACIEN");
    let v = b.build(&patient()).unwrap();
    let root = parse_tree(v.xml().as_bytes(), XmlLimits::default()).unwrap();
    let attrs = attributes(&root);
    let roles = &attrs
        .iter()
        .find(|(n, _)| n.ends_with("subject:role"))
        .unwrap()
        .1;
    assert_eq!(
        roles,
        &["Role:21@1.2.250.1.71.1.2.7", "Role:A@1.2.250.1.71.4.2.6"]
    );
    assert!(
        attrs
            .iter()
            .any(|(n, v)| n == "Secteur_Activite" && v == &["SA33^1.2.250.1.71.4.2.4"])
    );
    assert!(!attrs.iter().any(|(n, _)| n == "LPS_ID"));
    // The homologation number is in the assertion but never in Debug.
    assert!(v.xml().contains("SECRET-HOMOLOGATION-42"));
    assert!(!format!("{b:?} {v:?}").contains("SECRET-HOMOLOGATION-42"));
    assert!(!format!("{v:?}").contains("207058575627097"));
    // The attribute-name spelling is configurable (TO VERIFY, §2.2).
    let v = base()
        .pharmacist_section("A")
        .subject_id("P")
        .attribute_names(AttributeNames {
            authentication_mode: "Authentification_Mode".into(),
        })
        .build(&patient())
        .unwrap();
    assert!(v.xml().contains("Name=\"Authentification_Mode\""));
    // Markup in a value is escaped, never interpreted.
    let v = base()
        .pharmacist_section("A")
        .subject_id("A<B&C")
        .build(&patient())
        .unwrap();
    assert!(v.xml().contains("A&lt;B&amp;C"));
    // A control character is refused, not stripped.
    assert!(matches!(
        base()
            .pharmacist_section("A")
            .subject_id("A\u{1}B")
            .build(&patient()),
        Err(VihfError::Xml(_))
    ));
}

#[test]
fn issuer_is_the_certificate_dn_in_rfc_4514_order() {
    // The EX INDIRECTE signing certificate: its Issuer is the DN of that certificate.
    let ex = example("VIHF_INDIRECTE_signed.xml");
    let root = parse_tree(ex.as_bytes(), XmlLimits::default()).unwrap();
    let cert_b64: String = root
        .find("http://www.w3.org/2000/09/xmldsig#", "X509Certificate")
        .unwrap()
        .text()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(cert_b64)
        .unwrap();
    assert_eq!(
        segur_dmp::vihf::issuer_dn(&der).unwrap(),
        "CN=serviceps.sesam-vitale.fr,OU=339172288100052,O=GIE SESAM VITALE,ST=Sarthe (72),C=FR"
    );
    assert!(segur_dmp::vihf::issuer_dn(b"not a certificate").is_err());
}

#[test]
fn resource_id_comes_from_a_qualified_identity() {
    use segur_ins::status::ProvisionalAttributes;
    use segur_ins::{HighTrustDocument, Identity, Traits, TraitsData};
    let traits = Traits::from_data(&TraitsData {
        birth_name: "ECETINSI".into(),
        given_names: vec!["PIERRE-ALAIN".into()],
        sex: "M".into(),
        birth_date: "2009-07-14".into(),
        birth_place: Some("63220".into()),
        ..TraitsData::default()
    })
    .unwrap();
    let ins = Ins::from_parts("109076322083489", segur_ins::OID_INS_NIR).unwrap();
    let mut identity = Identity::provisional(traits.clone(), ProvisionalAttributes::None);
    // Not qualified yet: no QualifiedIdentity, hence no DmpPatient by `of`.
    assert!(identity.qualified().is_none());
    identity.record_insi_retrieval(ins, traits).unwrap();
    assert!(identity.qualified().is_none());
    identity
        .record_document_check(HighTrustDocument::NationalIdCard)
        .unwrap();
    let patient = DmpPatient::of(&identity.qualified().unwrap());
    let v = VihfBuilder::new(
        AuthMode::Indirecte,
        "CN=x",
        "810100000001",
        "3123456789012345",
        "SA33",
        "21",
        Software {
            name: "segur".into(),
            version: "0.1.0".into(),
            id: None,
            homologation: Homologation::new("H"),
        },
    )
    .pharmacist_section("A")
    .subject_id("PAUL PHARMACIEN")
    .build(&patient)
    .unwrap();
    let root = parse_tree(v.xml().as_bytes(), XmlLimits::default()).unwrap();
    let attrs = attributes(&root);
    let resource = attrs
        .iter()
        .find(|(n, _)| n == "urn:oasis:names:tc:xacml:2.0:resource:resource-id")
        .unwrap();
    assert_eq!(
        resource.1,
        ["109076322083489^^^&1.2.250.1.213.1.4.8&ISO^NH"]
    );
    assert!(!format!("{patient:?}").contains("109076322083489"));
}
