//! `ClientIdentity::from_pem` reads the three PEM key encodings (PKCS#8, PKCS#1, SEC1), made by
//! the openssl CLI, and rustls accepts each as a client key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_net::tls::{ClientIdentity, TlsError, TlsSettings, TrustAnchors};
use std::path::Path;

use segur_test_support::openssl;

fn self_signed(dir: &Path, key: &str) -> Vec<u8> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            key,
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=INSI-AUTO",
        ],
    );
    std::fs::read(dir.join("cert.pem")).unwrap()
}

#[test]
fn pkcs8_pkcs1_and_sec1_keys_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(d, &["genrsa", "-traditional", "-out", "rsa1.pem", "2048"]);
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "sec1.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "sec1.pem", "-out", "p8.pem",
        ],
    );
    for (file, header) in [
        ("rsa1.pem", "BEGIN RSA PRIVATE KEY"),
        ("sec1.pem", "BEGIN EC PRIVATE KEY"),
        ("p8.pem", "BEGIN PRIVATE KEY"),
    ] {
        let key = std::fs::read(d.join(file)).unwrap();
        assert!(String::from_utf8_lossy(&key).contains(header), "{file}");
        let cert = self_signed(d, file);
        let id = ClientIdentity::from_pem(&cert, &key).unwrap();
        assert_eq!(id.chain().len(), 1);
        let anchors = TrustAnchors::from_pem(&cert).unwrap();
        let settings = TlsSettings::new(&anchors, Some(&id)).unwrap();
        assert!(settings.has_client_identity(), "{file}");
    }
    let cert = self_signed(d, "p8.pem");
    assert!(matches!(
        ClientIdentity::from_pem(
            &cert,
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        ),
        Err(TlsError::BadPem {
            what: "private key",
            ..
        })
    ));
}
