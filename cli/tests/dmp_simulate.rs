//! `segur dmp simulate` started as a process, as other tools start it: the first line of its
//! output names the address, the folder it writes holds a `dmp.toml` that
//! `segur_dmp::config::DmpConfig::load` reads, and the simulator answers over mutual TLS with
//! the written material; `--record` keeps the request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use segur_net::http::{HttpClient, HttpLimits};
use segur_net::tls::{ClientIdentity, TlsPolicy, TlsSettings, TrustAnchors};

/// Kills the child when the test ends, passed or not.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn simulate_prints_the_address_first_and_writes_a_loadable_configuration() {
    let shared = std::env::var("SEGUR_SHARED")
        .expect("SEGUR_SHARED must name the shared facts folder (export SEGUR_SHARED=../shared)");
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    let record_dir = dir.path().join("record");
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_segur"))
            .args([
                "dmp",
                "simulate",
                "--listen",
                "127.0.0.1:0",
                "--write-config",
            ])
            .arg(&config_dir)
            .arg("--record")
            .arg(&record_dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .strip_prefix("listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    let port: u16 = addr.parse().unwrap();
    assert_ne!(port, 0);

    let config = segur_dmp::config::DmpConfig::load(&config_dir.join("dmp.toml")).unwrap();
    assert_eq!(
        config.endpoint,
        format!("https://127.0.0.1:{port}/si-dmp-server/v2/services")
    );
    for name in [
        "ca.pem",
        "client.pem",
        "client-key.pem",
        "sign.pem",
        "sign-key.pem",
    ] {
        assert!(config_dir.join(name).is_file(), "{name}");
    }

    let anchors = TrustAnchors::from_pem(&std::fs::read(&config.tls.ca).unwrap()).unwrap();
    let id = ClientIdentity::from_pem(
        &std::fs::read(&config.tls.client_certificate).unwrap(),
        &std::fs::read(&config.tls.client_key).unwrap(),
    )
    .unwrap();
    let tls = TlsSettings::with_policy(&TlsPolicy::dmp(), &anchors, Some(&id)).unwrap();
    let request = std::fs::read(
        std::path::Path::new(&shared).join("dmp/examples/TD0.2_Test-dexistence_request.xml"),
    )
    .unwrap();
    let resp = HttpClient::new(&tls, HttpLimits::default())
        .post(
            &format!("{}/patients", config.endpoint),
            "application/soap+xml; charset=UTF-8",
            &[],
            &request,
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(
        String::from_utf8_lossy(&resp.body).contains("<queryResponseCode code=\"OK\"/>"),
        "{}",
        String::from_utf8_lossy(&resp.body)
    );
    let recorded = std::fs::read(record_dir.join("0001.http")).unwrap();
    assert!(recorded.starts_with(b"POST /si-dmp-server/v2/services/patients HTTP/1.1\r\n"));
    assert!(recorded.ends_with(&request));
    // Still running: it runs until killed.
    assert!(child.0.try_wait().unwrap().is_none());
}
