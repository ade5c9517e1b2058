//! Test keys and certificates, generated at test time with the openssl CLI (fast RSA-2048
//! key generation) and loaded with the `rsa` crate for the virtual cards.

use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use std::process::Command;
use std::sync::OnceLock;

/// A key pair and its self-signed certificate.
pub struct TestKey {
    pub key: RsaPrivateKey,
    pub cert_der: Vec<u8>,
}

/// The keys of one virtual CPS.
pub struct CardKeys {
    pub auth: TestKey,
    pub sign: TestKey,
}

fn generate(subject: &str) -> TestKey {
    let dir = std::env::temp_dir().join(format!(
        "segur-cps-keys-{}-{}",
        std::process::id(),
        subject.len() ^ subject.bytes().map(usize::from).sum::<usize>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key.pem");
    let cert = dir.join("cert.der");
    let st = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-outform", "DER",
            "-utf8",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .arg("-subj")
        .arg(subject)
        .output()
        .expect("openssl is installed (scripts/install-deps)");
    assert!(
        st.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let pem = std::fs::read_to_string(&key).unwrap();
    let out = TestKey {
        key: RsaPrivateKey::from_pkcs8_pem(&pem).unwrap(),
        cert_der: std::fs::read(&cert).unwrap(),
    };
    std::fs::remove_dir_all(&dir).ok();
    out
}

/// Keys of the virtual CPS3 (generated once per test process).
pub fn cps3() -> &'static CardKeys {
    static K: OnceLock<CardKeys> = OnceLock::new();
    K.get_or_init(|| CardKeys {
        auth: generate(
            "/C=FR/O=TEST SEGUR/OU=CPS3/CN=899700000001 AUTH TEST/SN=PHARMACIEN/GN=TEST",
        ),
        sign: generate(
            "/C=FR/O=TEST SEGUR/OU=CPS3/CN=899700000001 SIGN TEST/SN=PHARMACIEN/GN=TEST",
        ),
    })
}

/// Keys of a virtual CPS3 whose holder (certificate SN and GN) is `surname` `given_name`,
/// written as UTF-8 whatever it holds (control or bidirectional characters included), as a
/// card could carry them. Generated at each call.
pub fn cps3_holder(surname: &str, given_name: &str) -> CardKeys {
    let subject = |role: &str| {
        format!(
            "/C=FR/O=TEST SEGUR/OU=CPS3/CN=899700000001 {role} TEST/SN={surname}/GN={given_name}"
        )
    };
    CardKeys {
        auth: generate(&subject("AUTH")),
        sign: generate(&subject("SIGN")),
    }
}

/// Keys of the virtual CPS4.
pub fn cps4() -> &'static CardKeys {
    static K: OnceLock<CardKeys> = OnceLock::new();
    K.get_or_init(|| CardKeys {
        auth: generate("/C=FR/O=TEST SEGUR/OU=CPS4/CN=899700000002 AUTH TEST"),
        sign: generate("/C=FR/O=TEST SEGUR/OU=CPS4/CN=899700000002 SIGN TEST"),
    })
}
