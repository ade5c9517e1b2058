//! The INSi authentication modes against the local INSi server
//! (`test-support/src/insi_server.rs`), which enforces the mode of its endpoint: CPx (the
//! "assertion PS" present, valid against the official `WSSE/Security.xsd`, its signature
//! verified by `xmlsec1` against the card CA, the validity window current), PSC (an unsigned
//! assertion with `NameQualifier="PSC"` and the three attributes, the bearer token) and mutual
//! TLS (no assertion). The CPx signer is a software RSA key whose certificate is issued by a
//! test card CA at test time, through the same `Signer` trait a CPS card implements.

#![cfg(feature = "insi-client")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use segur_ins::insi::{
    AssertionOptions, ClientIdentity, CpxAuthentication, InsiAuthentication, InsiClient, InsiError,
    InsiTls, ProfessionalIdentity, PscAuthentication, RequestIds, ResponseError, SoftwareIdentity,
    TraitsQuery, TrustAnchors,
};
use segur_ins::{BirthDate, Sex};
use segur_net::http::{HttpClient, HttpLimits};
use segur_net::sign::{SignError, SignatureAlgorithm, Signer, SoftwareSigner};
use segur_net::tls::TlsSettings;
use segur_net::token::{AccessToken, TokenError, TokenProvider};
use segur_test_support::insi_server::{
    self, Ca, Leaf, Mode, Seen, ca, card_signature_leaf, fragment, leaf, xmllint,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

struct Pki {
    org_ca: Ca,
    card_ca: Ca,
    client: Leaf,
    card: Leaf,
}

fn pki() -> &'static Pki {
    static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        let org_ca = ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS");
        let card_ca = ca("TEST AC IGC-SANTE ELEMENTAIRE PERSONNES");
        let client = leaf(&org_ca, "INSI-AUTO", &[], true, false);
        let card = card_signature_leaf(&card_ca, "PHARMACIE DU CENTRE", "899700123456", false);
        Pki {
            org_ca,
            card_ca,
            client,
            card,
        }
    })
}

struct Endpoint {
    port: u16,
    seen: Arc<Mutex<Seen>>,
}

fn endpoint(mode: Mode) -> Endpoint {
    let p = pki();
    let server_leaf = leaf(
        &p.org_ca,
        "qualiflps.services-ps.test",
        &["localhost"],
        false,
        false,
    );
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = insi_server::server_with_mode(&server_leaf, &p.org_ca, seen.clone(), mode);
    Endpoint { port, seen }
}

fn cpx_endpoint() -> Endpoint {
    endpoint(Mode::Cpx {
        card_ca_pem: pki().card_ca.pem(),
    })
}

const TOKEN: &str = "psc-access-token.eyJzdWIiOiJ0ZXN0In0";

fn psc_endpoint() -> Endpoint {
    endpoint(Mode::Psc {
        bearer: Some(TOKEN.to_owned()),
    })
}

fn software() -> SoftwareIdentity {
    SoftwareIdentity {
        idam: "TEST-IDAM".into(),
        version: "1.0".into(),
        name: "segur-tests".into(),
        instance: "b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11".into(),
        emitter: "officine-test".into(),
    }
}

fn professional() -> ProfessionalIdentity {
    ProfessionalIdentity {
        national_id: "899700123456".into(),
        billing_id: "2A1234567".into(),
        amo_specialty: "50".into(),
        activity_sector: "SA33".into(),
    }
}

fn tls() -> InsiTls {
    let p = pki();
    InsiTls::from_pem(
        p.org_ca.pem().as_bytes(),
        p.client.cert_pem.as_bytes(),
        p.client.key_pem.as_bytes(),
    )
    .unwrap()
}

fn client(e: &Endpoint, auth: InsiAuthentication) -> InsiClient {
    InsiClient::new(
        &format!("https://localhost:{}/lps", e.port),
        tls(),
        software(),
    )
    .unwrap()
    .with_authentication(auth)
}

fn card_signer(card: &Leaf) -> SoftwareSigner {
    SoftwareSigner::from_pem(card.key_pem.as_bytes(), vec![card.cert_der()]).unwrap()
}

fn cpx() -> InsiAuthentication {
    InsiAuthentication::Cpx(CpxAuthentication::new(
        Box::new(card_signer(&pki().card)),
        professional(),
    ))
}

struct FixedToken(Result<AccessToken, TokenError>);
impl TokenProvider for FixedToken {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        self.0.clone()
    }
}

fn psc_with(token: &str, expires_at: SystemTime) -> InsiAuthentication {
    InsiAuthentication::Psc(PscAuthentication::new(
        professional(),
        Box::new(FixedToken(AccessToken::new(token.into(), expires_at))),
    ))
}

fn psc() -> InsiAuthentication {
    psc_with(TOKEN, SystemTime::now() + Duration::from_secs(300))
}

fn query() -> TraitsQuery {
    TraitsQuery {
        birth_name: "ECETINSI".into(),
        given_names: vec!["PIERRE-ALAIN".into()],
        sex: Sex::Male,
        birth_date: BirthDate::parse("2009-07-14").unwrap(),
        birth_place: None,
    }
}

fn fault_code(r: Result<segur_ins::insi::Exchange, InsiError>) -> String {
    match r {
        Err(InsiError::Response(ResponseError::Fault(f))) => f.code,
        other => panic!("expected a SOAP fault, got {other:?}"),
    }
}

/// Posts `body` as an INSi request with the client's TLS identity (a request the SDK would
/// never write: tampered or stripped).
fn post_raw(e: &Endpoint, body: &str) -> (u16, String) {
    let p = pki();
    let anchors = TrustAnchors::from_pem(p.org_ca.pem().as_bytes()).unwrap();
    let identity =
        ClientIdentity::from_pem(p.client.cert_pem.as_bytes(), p.client.key_pem.as_bytes())
            .unwrap();
    let settings = TlsSettings::with_policy(&InsiTls::policy(), &anchors, Some(&identity)).unwrap();
    let http = HttpClient::new(
        &settings,
        HttpLimits {
            connect_timeout: Duration::from_secs(10),
            exchange_timeout: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
        },
    );
    let ct = "application/soap+xml; charset=utf-8; action=\"urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite\"";
    let headers = [("Authorization", &*format!("Bearer {TOKEN}"))];
    match http.post(
        &format!("https://localhost:{}/lps", e.port),
        ct,
        &headers,
        body.as_bytes(),
    ) {
        Ok(r) => (r.status, String::from_utf8_lossy(&r.body).into_owned()),
        Err(segur_net::http::HttpError::Status { code, response }) => {
            (code, String::from_utf8_lossy(&response.body).into_owned())
        }
        Err(other) => panic!("{other:?}"),
    }
}

fn last_request(e: &Endpoint) -> String {
    e.seen.lock().unwrap().requests.last().unwrap().clone()
}

#[test]
fn cpx_assertion_is_accepted_and_valid_against_the_official_schemas() {
    let e = cpx_endpoint();
    let c = client(&e, cpx());
    let exchange = c.search(&query()).unwrap();
    assert_eq!(exchange.response.code, "00");
    let req = last_request(&e);
    let security = fragment(req.as_bytes(), b"Security").unwrap();
    xmllint(&security, "WSSE/Security.xsd").unwrap();
    // Issuer is the card certificate's DN; the signature sits right after it.
    let text = String::from_utf8(security).unwrap();
    let issuer_end = text.find("</saml:Issuer>").unwrap();
    assert!(text[issuer_end..].starts_with("</saml:Issuer><Signature xmlns="));
    assert!(text.contains("CN=899700123456,O=PHARMACIE DU CENTRE,C=FR"));
    assert!(
        !text.contains("NameQualifier"),
        "CPx qualifier is TO VERIFY: not written"
    );
}

#[test]
fn tampered_cpx_assertion_is_refused() {
    let e = cpx_endpoint();
    client(&e, cpx()).search(&query()).unwrap();
    let signed = last_request(&e);
    // The attribute value is changed after signing: the digest no longer matches.
    let tampered = signed.replace(">2A1234567<", ">2A7654321<");
    assert_ne!(tampered, signed);
    let (status, body) = post_raw(&e, &tampered);
    assert_eq!(status, 500);
    assert!(body.contains("wsse:FailedCheck"), "{body}");
    // The signed request itself still passes (the refusal is the tampering, not the replay).
    let (status, _) = post_raw(&e, &signed);
    assert_eq!(status, 200);
}

/// A signer that corrupts its signature value (a card returning garbage).
struct CorruptSigner(SoftwareSigner);
impl Signer for CorruptSigner {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        self.0.certificate_chain()
    }
    fn algorithms(&self) -> &[SignatureAlgorithm] {
        self.0.algorithms()
    }
    fn sign_message(&mut self, a: SignatureAlgorithm, m: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut s = self.0.sign_message(a, m)?;
        s[10] ^= 0x40;
        Ok(s)
    }
    fn sign_digest(&mut self, a: SignatureAlgorithm, d: &[u8]) -> Result<Vec<u8>, SignError> {
        self.0.sign_digest(a, d)
    }
}

#[test]
fn bad_signature_value_and_untrusted_card_are_refused() {
    let e = cpx_endpoint();
    let corrupt = InsiAuthentication::Cpx(CpxAuthentication::new(
        Box::new(CorruptSigner(card_signer(&pki().card))),
        professional(),
    ));
    assert_eq!(
        fault_code(client(&e, corrupt).search(&query())),
        "FailedCheck"
    );
    // A card from another CA: the signature is sound, its certificate is not trusted.
    let rogue_ca = ca("ROGUE CARD CA");
    let rogue = card_signature_leaf(&rogue_ca, "PHARMACIE DU CENTRE", "899700123456", false);
    let auth = InsiAuthentication::Cpx(CpxAuthentication::new(
        Box::new(card_signer(&rogue)),
        professional(),
    ));
    assert_eq!(fault_code(client(&e, auth).search(&query())), "FailedCheck");
}

fn ids_at(time: &str) -> RequestIds {
    RequestIds {
        message_id: "0b6b1c9e-1111-4000-8000-000000000000".into(),
        context_id: "1c6b1c9e-1111-4000-8000-000000000000".into(),
        time: time.into(),
    }
}

#[test]
fn expired_assertions_are_refused() {
    let an_hour_ago = (SystemTime::now() - Duration::from_secs(3600))
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Formatted by hand: the test must not trust the client's own formatting.
    let time = format_utc(an_hour_ago);
    let e = cpx_endpoint();
    let r = client(&e, cpx()).search_with_ids(&query(), &ids_at(&time));
    assert_eq!(fault_code(r), "InvalidSecurityToken");
    // The same window is fine when it is long enough (the lifetime is a setting).
    let long = InsiAuthentication::Cpx(
        CpxAuthentication::new(Box::new(card_signer(&pki().card)), professional()).options(
            AssertionOptions {
                lifetime: Duration::from_secs(7200),
                ..AssertionOptions::default()
            },
        ),
    );
    assert_eq!(
        client(&e, long)
            .search_with_ids(&query(), &ids_at(&time))
            .unwrap()
            .response
            .code,
        "00"
    );
    let p = psc_endpoint();
    let r = client(&p, psc()).search_with_ids(&query(), &ids_at(&time));
    assert_eq!(fault_code(r), "InvalidSecurityToken");
}

fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn psc_assertion_is_accepted_with_its_token() {
    let e = psc_endpoint();
    let exchange = client(&e, psc()).search(&query()).unwrap();
    assert_eq!(exchange.response.code, "00");
    let seen = e.seen.lock().unwrap();
    assert_eq!(
        seen.authorizations.last().unwrap().as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    let req = seen.requests.last().unwrap();
    let security = fragment(req.as_bytes(), b"Security").unwrap();
    xmllint(&security, "WSSE/Security.xsd").unwrap();
    let text = String::from_utf8(security).unwrap();
    assert!(text.contains(r#"<saml:NameID NameQualifier="PSC">899700123456</saml:NameID>"#));
    assert!(text.contains("<saml:Issuer>urn:lps:segur-tests:1.0</saml:Issuer>"));
    assert!(!text.contains("Signature"));
    // The token never shows in the client's Debug.
    drop(seen);
    assert!(!format!("{:?}", client(&e, psc())).contains(TOKEN));
}

#[test]
fn psc_assertion_without_a_required_attribute_is_refused() {
    let e = psc_endpoint();
    client(&e, psc()).search(&query()).unwrap();
    let full = last_request(&e);
    for name in [
        "identifiantFacturation",
        "codeSpecialiteAMO",
        "secteurActivite",
    ] {
        let start = full
            .find(&format!(r#"<saml:Attribute Name="{name}">"#))
            .unwrap();
        let end = start + full[start..].find("</saml:Attribute>").unwrap() + 17;
        let stripped = format!("{}{}", &full[..start], &full[end..]);
        let (status, body) = post_raw(&e, &stripped);
        assert_eq!(status, 500, "{name}");
        assert!(body.contains("wsse:InvalidSecurityToken"), "{name}: {body}");
        assert!(body.contains(name), "{body}");
    }
    // And a token that is missing from the request.
    let e2 = endpoint(Mode::Psc {
        bearer: Some("another-token".into()),
    });
    assert_eq!(
        fault_code(client(&e2, psc()).search(&query())),
        "FailedAuthentication"
    );
}

#[test]
fn an_expired_psc_token_is_refused_before_sending() {
    let e = psc_endpoint();
    let auth = psc_with(TOKEN, SystemTime::now() - Duration::from_secs(1));
    let r = client(&e, auth).search(&query());
    assert!(
        matches!(r, Err(InsiError::Token(TokenError::Expired))),
        "{r:?}"
    );
    assert!(e.seen.lock().unwrap().requests.is_empty());
}

#[test]
fn wrong_mode_gets_the_security_fault() {
    // mTLS request at the CPx endpoint: no assertion.
    let e = cpx_endpoint();
    assert_eq!(
        fault_code(client(&e, InsiAuthentication::MutualTls).search(&query())),
        "InvalidSecurity"
    );
    // PSC assertion at the CPx endpoint: unsigned.
    assert_eq!(
        fault_code(client(&e, psc()).search(&query())),
        "FailedCheck"
    );
    // CPx assertion at the PSC endpoint: signed, no PSC qualifier.
    let p = psc_endpoint();
    assert_eq!(
        fault_code(client(&p, cpx()).search(&query())),
        "InvalidSecurityToken"
    );
    // An assertion at the mutual-TLS endpoint.
    let m = endpoint(Mode::MutualTls);
    assert_eq!(
        fault_code(client(&m, cpx()).search(&query())),
        "InvalidSecurity"
    );
    assert_eq!(
        client(&m, InsiAuthentication::MutualTls)
            .search(&query())
            .unwrap()
            .response
            .code,
        "00"
    );
}

#[test]
fn the_schema_check_of_the_security_header_is_not_vacuous() {
    let e = psc_endpoint();
    client(&e, psc()).search(&query()).unwrap();
    let req = last_request(&e);
    let security = String::from_utf8(fragment(req.as_bytes(), b"Security").unwrap()).unwrap();
    xmllint(security.as_bytes(), "WSSE/Security.xsd").unwrap();
    // An element the SAML schema does not define, well formed: refused by the schema alone.
    let moved = security
        .replace("<saml:Subject>", "<saml:Foo>")
        .replace("</saml:Subject>", "</saml:Foo>");
    segur_net::xml::XmlReader::new(moved.as_bytes(), segur_net::xml::XmlLimits::default())
        .and_then(segur_net::xml::XmlReader::check)
        .unwrap();
    assert!(xmllint(moved.as_bytes(), "WSSE/Security.xsd").is_err());
    let no_assertion = r#"<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/>"#;
    assert!(xmllint(no_assertion.as_bytes(), "WSSE/Security.xsd").is_err());
}

/// A card that offers no algorithm the assertion can use (a CPS4 key on SHA-1 only, say).
struct NoAlgorithm(SoftwareSigner);
impl Signer for NoAlgorithm {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        self.0.certificate_chain()
    }
    fn algorithms(&self) -> &[SignatureAlgorithm] {
        &[SignatureAlgorithm::RsaPssSha1]
    }
    fn sign_message(&mut self, a: SignatureAlgorithm, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::UnsupportedAlgorithm(a))
    }
    fn sign_digest(&mut self, a: SignatureAlgorithm, _: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::UnsupportedAlgorithm(a))
    }
}

#[test]
fn nothing_is_sent_when_the_assertion_cannot_be_made() {
    use segur_ins::insi::AssertionError;
    let e = cpx_endpoint();
    let auth = InsiAuthentication::Cpx(CpxAuthentication::new(
        Box::new(NoAlgorithm(card_signer(&pki().card))),
        professional(),
    ));
    let r = client(&e, auth).search(&query());
    assert!(
        matches!(r, Err(InsiError::Assertion(AssertionError::Signature(_)))),
        "{r:?}"
    );
    let r = client(&e, cpx()).search_with_ids(&query(), &ids_at("yesterday"));
    assert!(
        matches!(r, Err(InsiError::Assertion(AssertionError::RequestTime))),
        "{r:?}"
    );
    let mut p = professional();
    p.activity_sector = "SA 33".into();
    let auth = InsiAuthentication::Cpx(CpxAuthentication::new(
        Box::new(card_signer(&pki().card)),
        p,
    ));
    let r = client(&e, auth).search(&query());
    assert!(
        matches!(
            r,
            Err(InsiError::Assertion(AssertionError::NotACode(
                "secteurActivite"
            )))
        ),
        "{r:?}"
    );
    assert!(e.seen.lock().unwrap().requests.is_empty());
}
