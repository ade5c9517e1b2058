//! The software signer: PKCS#12 made by openssl, signatures checked by openssl.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_net::sign::{SignError, SignatureAlgorithm, Signer, SoftwareSigner};

use segur_test_support::openssl;

#[test]
fn software_signatures_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=segur test signer",
        ],
    );
    openssl(
        d,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "key.pem",
            "-in",
            "cert.pem",
            "-out",
            "id.p12",
            "-passout",
            "pass:s3cret",
        ],
    );
    openssl(
        d,
        &[
            "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
        ],
    );
    let p12 = std::fs::read(d.join("id.p12")).unwrap();
    assert!(matches!(
        SoftwareSigner::from_pkcs12(&p12, "wrong"),
        Err(SignError::Key(_))
    ));
    let mut signer = SoftwareSigner::from_pkcs12(&p12, "s3cret").unwrap();
    assert!(!format!("{signer:?}").contains("s3cret"));
    let cert_der = openssl(d, &["x509", "-in", "cert.pem", "-outform", "DER"]).stdout;
    assert_eq!(signer.certificate_chain()[0], cert_der);
    let msg = b"<ds:SignedInfo>software</ds:SignedInfo>";
    std::fs::write(d.join("msg"), msg).unwrap();
    let dynsig: &mut dyn Signer = &mut signer;
    for (alg, args) in [
        (SignatureAlgorithm::RsaPkcs1Sha256, vec!["-sha256"]),
        (
            SignatureAlgorithm::RsaPssSha256,
            vec![
                "-sha256",
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:32",
            ],
        ),
    ] {
        let sig = dynsig.sign_message(alg, msg).unwrap();
        std::fs::write(d.join("sig"), &sig).unwrap();
        let mut a = vec!["dgst"];
        a.extend(args);
        a.extend(["-verify", "pub.pem", "-signature", "sig", "msg"]);
        let out = openssl(d, &a);
        assert!(out.stdout.starts_with(b"Verified OK"), "{alg:?}");
    }
    assert!(matches!(
        dynsig.sign_message(SignatureAlgorithm::EcdsaP256Sha256, msg),
        Err(SignError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        dynsig.sign_message(SignatureAlgorithm::RsaPkcs1Sha1, msg),
        Err(SignError::UnsupportedAlgorithm(_))
    ));
}
