//! 2D-Doc against the ANTS reference codes (specification v3.2.6 §16.2, signed with the
//! published test certificate FR00/0001, §16.1) and against codes signed here with test keys.

#![allow(clippy::unwrap_used)] // Test helpers: a failure is a test failure.

use segur_eprescription::Error;
use segur_eprescription::twoddoc::{self, verify::TrustStore};

/// Specification §16.1: test certificate (AC FR00, certificate 0001, P-256).
const TEST_CERT_B64: &str = "MIICVzCCAT8CCQCpMEvcR9M4RTANBgkqhkiG9w0BAQUFADBPMQswCQYDVQQGEwJGUjETMBEGA1UECgwKQUMgREUgVEVTVDEcMBoGA1UECwwTMDAwMiAwMDAwMDAwMDAwMDAwMDENMAsGA1UEAwwERlIwMDAeFw0xMjExMDExMzQ3NDZaFw0xNTExMDExMzQ3NDZaMFcxCzAJBgNVBAYTAkZSMRswGQYDVQQKDBJDRVJUSUZJQ0FUIERFIFRFU1QxHDAaBgNVBAsMEzAwMDIgMDAwMDAwMDAwMDAwMDAxDTALBgNVBAMMBDAwMDEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASpjw18zWKAiJO+xNQ2550YNKHW4AHXDxxM3M2dni/iKfckBRTo3cDKmNDHRAycxJKEmg+9pz/DkvTaCuB/hMI8MA0GCSqGSIb3DQEBBQUAA4IBAQA6HN+w/bzIdg0ZQF+ELrocplehP7r5JuRJNBAgmoqoER7IonCvKSNUgUVbJ/MB4UKQ6CgzK7AOlCpiViAnBv+i6fg8Dh9evoUcHBiDvbl19+4iREaOoyVZ8RAlkp7VJKrC3s6dJEmI8/19obLbTvdHfY+TZfduqpVl63RSxwLG0Fjl0SAQz9a+KJSKZnEvT9I0iUUgCSnqFt77RSppziQTZ+rkWcfd+BSorWr8BHqOkLtj7EiVamIh+g3A8JtwV7nm+NUbBlhh2UPSI0eevsRjQRghtTiEn0wflVBX7xFP9zXpViHqIj+R9WiXzWGFYyKuAFK1pQ2QH8BxCbvdNdff";
/// Specification §16.1: the matching private key (SEC1 DER; the scalar is bytes 7..39).
const TEST_KEY_B64: &str = "MHcCAQEEINbI/xP+yGOgp79v7qibvYs03x+cSIaiKzpOhJsScwDDoAoGCCqGSM49AwEHoUQDQgAEqY8NfM1igIiTvsTUNuedGDSh1uAB1w8cTNzNnZ4v4in3JAUU6N3AypjQx0QMnMSShJoPvac/w5L02grgf4TCPA==";

const REFERENCE_CODES: &[&str] = &[
    "DC04FR000001198519D31201FR90MAITRE/SPECIMEN/NATACHA<GS>92RAISON SOCIALE DE TEST<GS>94SAISIE CONSERVATOIRE DE CREANCES<GS>962111201791MME/BERTHIER/CORINNE<GS>93RAISON SOCIALE DU TIERS CONCERNE<GS>951896547853AB<GS>0CNB2WS43TNFSXELLKOVZXI2LDMUXGM4RPGE4DSNRVGQ3TQNJTIFBA<GS><US>OOXND3NRRGDZKBYZ6VDMHSM7WHJ323ICLGTSEELJ74OW3E4GGFYI3GX6IXCN4HF45JWYZKHHU7GXTBMCSHOSU5GOUHJYN4PIH6VAA2Q",
    "DC04FR0000011A5E1A5EB101FRBK18-ROSWFTHR-35B0CORINNE/NATACHA<GS>B2BERTHIER<GS>B3<GS>B712071973BB9654321785T<GS><US>ZXH2BBDCISCPWX72YIFSMANO662O2IS6PPPIIUMGVO3ECEML7RU6QIE5CKZK3A5X6SFT3HBPICLUE6RKLYA4M7ATOXSG2HIF5CE35UA",
    "DC04FR00000113371337B201FRF0CORRINE<GS>F1BERTHIER<GS>F206121965F3FF4000<GS>F5XF6200620131200<US>WZR5Y3AIRAFBIMKWLHSYX4BXNMELEVA3AXVL5IKZDX444F3A44VWXY2FKEWS4JUEOWLTSZ2MSMVW3NZ3LWO5FZKNLKVOMQT37LHV4II",
    "DC04FR000001125E125B1701FR60JEAN/MARTIN<GS>69251219696GDUPONT<GS>6HM<GS>6QABC4567890G307092022G40<GS>G5DIRECTION TERRITORIALE DE CLERMONT FERRAND<US>JEW7ZPEPOE5CK4BZ4PE36L2HUBFKKDPCWYSTBUBZ5CJXAWQYFIURJUXN7K5UBFDXVB3XK3HI7ZKQXOSPSO3ELT7UQ4QFFBIPWCORVMA",
    "DC04FR000001FFFF1FB60401FR432,75<GS>44227801234567845202146RETI PATRICK<GS>4A310720224163198<GS>47300112345678948RETI SOPHIE<GS>490701987765432<US>QHA4A6QOV6AZJEBTIUNR7QOBXINNTMZTD5COQH6VN24NCZTXA7MYXB6SNSNTWAQRYK3ZFP4ZWBGLTJ6SDSPMURF7YFILKQFIAJY7NTI",
    "DC03FR000001123F1636000126FR245700010MLLE/SAMPLE/ANGELA<GS>20<GS>21BAT 2 ETG 3<GS>227 PLACE DES SPECIMENS<GS>23<GS>25METZ<GS><US>3HJIYP3OAJ4LIZNQXCTZMNQPTT5C2XICTEF4UGJ3NDE2CWM7HJOEEK4ACIY4CZOO5ZOFG35APDZMZQFEAEBWRZTW4CBPG35JE2FJ4EY",
    "DC03FR000001092D163608016FP FRASPECIMEN  NATACHA                      07CD123044FRA7307122F1603062              04<GS><US>TYXD5GHXKAQ52NCB4IZGXJFYIYTX7UR5SIG7DPDJOS3KOW67ESGECFXFTZFE3MO263SYM7KY2GTNOR4Z5RROT7XDCOCTW3I7OREONIY",
    "DC03FR000001122016A2B001B1NATACHA<GS>B2SPECIMEN<GS>B6FB712071973B9FRBD7BGMABHSCIENCES TECHNOLOGIES SANTE<GS>BIINFORMATIQUE<GS>BJINFORMATIQUE DU LOGICIEL<GS>B8TOULON<GS>BB0600010040B<GS>BC9840328<GS>BF7DF<US>FDRZFG3UCKGNVMMH3FHTVPDC74DVXSQLE4TQXRMTEHEPUD4RE5P5PFPDT2ZGL7G5RMZKLMGTQIUQRQPXO7ES6JH6JR4KDQSTTQEHX4Q",
    "DC03FR000001FFFF180EA301AJEVTC123456789AK0000001A1AA-555-AA<GS><US>VLBRF7PWKEX5BCCMTKS23PVETBPCOWBFLWPR4ONNMY6UBMMUXZFBKVOR3XHDNKW7F5IABD5QTZY2FTUBW5JNAJ5LSQHJDPTRGWPTTWQ",
    "DC02FR000001125E125B0126FR247500010MME/SPECIMEN/NATACHA<GS>22145 AVENUE DES SPECIMENS<GS><US>54LDD5F7JD4JEFPR6WZYVZVB2JZXPZB73SP7WUTN5N44P3GESXW75JZUZD5FM3G4URAJ6IKDSSUB66Y3OWQIEH22G46QOAGWH7YHJWQ",
    "DC02FR000001FFFF125E0330M EXEMPLE HENRY ET MME SPECIMEN NATACHA<GS>31FR7030002005500000157845Z02<GS>32CRLYFRPP<GS><US>Q2GMHTISR6UVVYAN5HT4KERASWGSCUVCJIDTAXLJQQ6XNC4OTMXDNXYTTRVPY3CMQDZEKFXOLUQAKVUYGTA3IPZGT5ZHU5OTB4QMQFA",
    "DC04FR0000011E581E58B201FRF0DEPOTHPRIM<GS>F1NEG<GS>F201011955F3FF4945006<GS>F5NF6070420211010<US>MRZICP23SZTCLV2APC5P2AQVZDKHDKRG5KOIYGBKDXUA7N5O75QLWMKJBFSL3WJZYG2HHF4Z3K5E6E2GJFOVSV7E2W2XVHEXXVDXYNY",
];

fn bytes(code: &str) -> Vec<u8> {
    code.replace("<GS>", "\u{1d}")
        .replace("<RS>", "\u{1e}")
        .replace("<US>", "\u{1f}")
        .into_bytes()
}

fn test_store() -> TrustStore {
    let der = data_encoding::BASE64
        .decode(TEST_CERT_B64.as_bytes())
        .unwrap();
    let mut store = TrustStore::new();
    assert_eq!(
        store.add_certificate_der(&der).unwrap(),
        ("FR00".to_owned(), "0001".to_owned())
    );
    store
}

#[test]
fn every_reference_code_parses_fully_and_verifies() {
    let mut store = test_store();
    store.skip_validity_period_check();
    for code in REFERENCE_CODES {
        let raw = bytes(code);
        let doc = twoddoc::parse(&raw).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(doc.unparsed, None, "{code}");
        assert!(!doc.fields.is_empty());
        twoddoc::verify::verify(&doc, &store).unwrap_or_else(|e| panic!("{code}: {e}"));
    }
}

#[test]
fn reference_fields_and_dates() {
    let raw = bytes(REFERENCE_CODES[1]);
    let doc = twoddoc::parse(&raw).unwrap();
    let h = &doc.header;
    assert_eq!(
        (h.version, h.ca_id.as_str(), h.cert_id.as_str()),
        (4, "FR00", "0001")
    );
    assert_eq!(h.issue_date, chrono::NaiveDate::from_ymd_opt(2018, 6, 25));
    assert_eq!(
        (
            h.doc_type.as_str(),
            h.perimeter.as_str(),
            h.country.as_deref()
        ),
        ("B1", "01", Some("FR"))
    );
    let got: Vec<(String, String)> = doc
        .fields
        .iter()
        .map(|f| (f.id.clone(), f.text().into_owned()))
        .collect();
    let want = [
        ("BK", "18-ROSWFTHR-35"),
        ("B0", "CORINNE/NATACHA"),
        ("B2", "BERTHIER"),
        ("B3", ""),
        ("B7", "12071973"),
        ("BB", "9654321785T"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    let sig = data_encoding::HEXUPPER.encode(&doc.signature);
    assert_eq!(
        sig,
        "CDCFA084624484FB5FFAC20B2601AEF7B4ED225E7BDE845186ABB641118BFC69E8209D12B2AD83B7F48B3D9C2F4097427A2A5E01C67C1375E46D1D05E889BED0"
    );

    let raw = bytes(REFERENCE_CODES[0]);
    let doc = twoddoc::parse(&raw).unwrap();
    assert_eq!(doc.field("96").unwrap().text(), "21112017");
    let url = data_encoding::BASE32_NOPAD
        .decode(doc.field("0C").unwrap().value)
        .unwrap();
    assert_eq!(url, b"huissier-justice.fr/1896547853AB");

    let raw = bytes(REFERENCE_CODES[4]);
    let doc = twoddoc::parse(&raw).unwrap();
    assert_eq!(doc.header.issue_date, None); // FFFF
    assert_eq!(doc.field("43").unwrap().text(), "2,75");
    assert_eq!(doc.field("49").unwrap().text(), "0701987765432");
}

#[test]
fn validity_period_and_tampering_are_enforced() {
    let store = test_store();
    let raw = bytes(REFERENCE_CODES[1]);
    let doc = twoddoc::parse(&raw).unwrap();
    // Signed 2018, certificate valid 2012-2015.
    assert_eq!(
        twoddoc::verify::verify(&doc, &store),
        Err(Error::CertificateNotValidAtSignatureDate)
    );
    let raw = bytes(REFERENCE_CODES[9]); // DC02, signed 2012-11-12: inside the validity period.
    let doc = twoddoc::parse(&raw).unwrap();
    twoddoc::verify::verify(&doc, &store).unwrap();
    let mut tampered = raw.clone();
    let at = tampered.iter().position(|&b| b == b'N').unwrap();
    tampered[at] = b'M';
    let doc = twoddoc::parse(&tampered).unwrap();
    assert_eq!(
        twoddoc::verify::verify(&doc, &store),
        Err(Error::BadSignature)
    );
    // Another authority: no certificate.
    let other = String::from_utf8(raw).unwrap().replacen("FR00", "FR03", 1);
    let other = other.into_bytes();
    let doc = twoddoc::parse(&other).unwrap();
    assert!(matches!(
        twoddoc::verify::verify(&doc, &store),
        Err(Error::UnknownCertificate { .. })
    ));
}

/// Signs `data` with the specification's test key and returns the full C40 code.
pub fn sign_with_test_key(data: &str) -> String {
    use p256::ecdsa::signature::Signer;
    let der = data_encoding::BASE64
        .decode(TEST_KEY_B64.as_bytes())
        .unwrap();
    let key = p256::ecdsa::SigningKey::from_slice(&der[7..39]).unwrap();
    let sig: p256::ecdsa::Signature = key.sign(data.as_bytes());
    format!(
        "{data}\u{1f}{}",
        data_encoding::BASE32_NOPAD.encode(&sig.to_bytes())
    )
}

#[test]
fn code_signed_here_with_the_test_key_verifies() {
    // Type B2 (virology test), signed 2013-06-20 (1337), within the certificate's validity.
    let data = "DC04FR00000113371337B201FRF0JEAN PIERRE\u{1d}F1DUPONT\u{1d}F201021980F3MF4945006\u{1d}F5NF6200620131200";
    let code = sign_with_test_key(data);
    let doc = twoddoc::parse(code.as_bytes()).unwrap();
    twoddoc::verify::verify(&doc, &test_store()).unwrap();
    assert_eq!(doc.field("F1").unwrap().text(), "DUPONT");
}

#[test]
fn p384_certificate_from_openssl_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => o.stdout,
            Ok(o) => panic!("openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("openssl could not be run ({e}): scripts/install-deps installs it"),
        }
    };
    run(&[
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-noout",
        "-out",
        "key.pem",
    ]);
    run(&[
        "req",
        "-new",
        "-x509",
        "-key",
        "key.pem",
        "-subj",
        "/C=FR/O=TEST/CN=0384",
        "-days",
        "3650",
        "-set_serial",
        "1",
        "-outform",
        "DER",
        "-out",
        "cert.der",
    ]);
    let today = chrono::Utc::now().date_naive();
    let days = (today - chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()).num_days();
    let data = format!("DC04FR000384{days:04X}{days:04X}B201FRF0JEAN\u{1d}F1DUPONT");
    std::fs::write(dir.path().join("data"), &data).unwrap();
    run(&[
        "dgst", "-sha384", "-sign", "key.pem", "-out", "sig.der", "data",
    ]);
    let sig_der = std::fs::read(dir.path().join("sig.der")).unwrap();
    let sig = p384::ecdsa::Signature::from_der(&sig_der).unwrap();
    let code = format!(
        "{data}\u{1f}{}",
        data_encoding::BASE32_NOPAD.encode(&sig.to_bytes())
    );
    let doc = twoddoc::parse(code.as_bytes()).unwrap();
    assert_eq!(doc.signature.len(), 96);
    let mut store = TrustStore::new();
    // Self-signed: the issuer CN is the certificate id, so the authority is given explicitly.
    store
        .add_certificate_der_as(
            "FR00",
            "0384",
            &std::fs::read(dir.path().join("cert.der")).unwrap(),
        )
        .unwrap();
    twoddoc::verify::verify(&doc, &store).unwrap();
    let mut bad = code.into_bytes();
    bad[30] ^= 1;
    let doc = twoddoc::parse(&bad).unwrap();
    assert_eq!(
        twoddoc::verify::verify(&doc, &store),
        Err(Error::BadSignature)
    );
}
