//! `segur dmp` against a local mutual-TLS server (hyper 1 over tokio-rustls, the DMP TLS policy)
//! that replays the official TD0.2 and TD3.1 responses, or answers a SOAP fault: the exit
//! codes (0 success, 1 refusal by the DMP, 2 any other error) and the JSON of `status` and
//! `find`. The test PKI is RSA (the DMP suites are ECDHE-RSA), made by openssl.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use segur_net::tls::{ClientIdentity, TlsPolicy, TrustAnchors};

fn shared() -> PathBuf {
    PathBuf::from(std::env::var("SEGUR_SHARED").expect("export SEGUR_SHARED=../shared"))
}

fn segur(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const FAULT: &str = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:DMPAccessDenied</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">Acc&#xE8;s refus&#xE9;&#x202E;cba</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>"#;

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let _ = req.into_body().collect().await;
    let (status, body) = if path.ends_with("/patients") {
        (
            200,
            std::fs::read(shared().join("dmp/examples/TD0.2_Test-dexistence_response.xml"))
                .unwrap(),
        )
    } else if path.ends_with("/registry") {
        (
            200,
            std::fs::read(shared().join("dmp/examples/TD3.1_Recherche-de-document_response.xml"))
                .unwrap(),
        )
    } else {
        (500, FAULT.as_bytes().to_vec())
    };
    Ok(Response::builder()
        .status(status)
        .header("Content-Type", "application/soap+xml; charset=UTF-8")
        .body(Full::new(Bytes::from(body)))
        .unwrap())
}

fn openssl(dir: &Path, args: &[&str]) {
    segur_test_support::openssl(dir, args);
}

/// An RSA CA, an RSA server certificate for localhost and RSA client and signing certificates,
/// then `dmp.toml` for a server on `port`.
fn pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/C=FR/O=TEST/CN=TEST AC IGC-SANTE",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, ext, cn) in [
        ("server", "server.ext", "localhost"),
        ("client", "client.ext", "ORG_AUTH_CLI"),
        ("sign", "client.ext", "ORG_SIGN"),
    ] {
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}-key.pem"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/C=FR/O=PHARMACIE DU CENTRE/CN={cn}"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext,
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
}

fn config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("dmp.toml");
    std::fs::write(
        &path,
        format!(
            r#"endpoint = "https://localhost:{port}/si-dmp-server/v2/services"
mode = "indirecte"
ins_oid = "1.2.250.1.213.1.4.10"

[tls]
ca = "ca.pem"
client_certificate = "client.pem"
client_key = "client-key.pem"

[signing]
certificate = "sign.pem"
key = "sign-key.pem"

[professional]
national_id = "810100000001"
family_name = "PHARMACIEN"
given_name = "PAUL"
profession = "21"
pharmacist_section = "A"

[structure]
national_id = "3123456789012345"
name = "PHARMACIE DU CENTRE"
activity_sector = "SA33"

[software]
name = "segur"
version = "0.1.0"
homologation = "HOMOLOGATION-SECRET-77"
"#
        ),
    )
    .unwrap();
    path
}

fn serve(dir: &Path) -> (u16, tokio::runtime::Runtime) {
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let identity = ClientIdentity::from_pem(&read("server.pem"), &read("server-key.pem")).unwrap();
    let anchors = TrustAnchors::from_pem(&read("ca.pem")).unwrap();
    let config: Arc<rustls::ServerConfig> = TlsPolicy::dmp()
        .server_config(&identity, Some(&anchors))
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), hyper::service::service_fn(handle))
                    .await;
            });
        }
    });
    (port, rt)
}

#[test]
fn status_find_and_refusal_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    pki(dir.path());
    let (port, _rt) = serve(dir.path());
    let cfg = config(dir.path(), port);
    let cfg = cfg.to_str().unwrap();

    let (code, out, err) = segur(&[
        "dmp",
        "--config",
        cfg,
        "status",
        "--ins",
        "207058575627097",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "active");
    assert_eq!(v["authorization"], "VALIDE");
    assert_eq!(v["treating_doctor"], true);

    let (code, out, err) = segur(&[
        "dmp",
        "--config",
        cfg,
        "find",
        "--ins",
        "207058575627097",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 21);
    for key in [
        "unique_id",
        "entry_uuid",
        "type_code",
        "status",
        "hash",
        "size",
        "creation_time",
    ] {
        assert!(!entries[0][key].is_null(), "{key}");
    }
    assert_eq!(
        entries[0]["entry_uuid"],
        "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    );
    assert_eq!(entries[0]["status"], "approved");

    // The repository answers a SOAP fault: a refusal, exit 1, named by its codes; the server's
    // reason text (here with a bidirectional override) is not echoed to the terminal.
    let (code, out, err) = segur(&[
        "dmp",
        "--config",
        cfg,
        "get",
        "--ins",
        "207058575627097",
        "--unique-id",
        "1.2.250.1.999.1.1.7898.1.995657292",
        "-o",
        dir.path().join("doc.xml").to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("DMPAccessDenied"), "{err}");
    assert!(!err.contains("cba") && !err.contains('\u{202e}'), "{err}");
    assert!(!err.contains("HOMOLOGATION-SECRET-77") && !err.contains("207058575627097"));

    // Any other error: exit 2 (bad matricule key, missing configuration, unknown page).
    let (code, _, err) = segur(&["dmp", "--config", cfg, "status", "--ins", "207058575627098"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = segur(&["dmp", "status", "--ins", "207058575627097"]);
    assert_eq!(code, 2);
    let (code, _, _) = segur(&["dmp", "web", "NoSuchPage"]);
    assert_eq!(code, 2);
}

#[test]
fn web_prints_the_context_url() {
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["dmp", "web", "DossierPatient", "--ins", "207058575627097"])
        .env("SEGUR_DMP_WEB_URL", "https://dmp.example")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "https://dmp.example/AccesDirect/DossierPatient/207058575627097\n"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["dmp", "web", "Parametrages", "--ins", "207058575627097"])
        .env("SEGUR_DMP_WEB_URL", "https://dmp.example")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_segur"))
        .args(["dmp", "web", "TableauDeBord"])
        .env("SEGUR_DMP_WEB_URL", "https://dmp.example")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "https://dmp.example/AccesDirect/TableauDeBord\n"
    );
}
