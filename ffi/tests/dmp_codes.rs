//! The DMP result codes of the C entry points for what the C test cannot provoke from C: the
//! simulator's injected faults (time-out, HTTP 500, SOAP fault, truncated answer), a server
//! certificate from a CA the caller does not trust (RFC 5280 §6), a DMP that cannot be
//! reached, an absent DMP, a professional the patient blocked, and configurations that do not
//! load. Each code comes with a detail that names the reason, never the patient's matricule.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur::dmp::*;
use segur::*;
use segur_dmp::simulator::{
    DmpState, Fault, Simulator, SimulatorOptions, TEST_INS_OID, Transaction,
};
use std::ffi::c_char;
use std::path::Path;
use std::ptr;

mod support;

const PATIENT: &str = "279035121518989";

fn detail() -> String {
    let mut buf = [0 as c_char; 1024];
    let mut n = 0;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr(), buf.len(), &mut n),
        segur_result::Ok
    );
    String::from_utf8(buf[..n].iter().map(|c| *c as u8).collect()).unwrap()
}

/// A client of `config`, freed on drop.
struct Client(*mut segur_dmp_client);

impl Client {
    fn new(config: &Path, timeout_ms: u32) -> Result<Self, (segur_result, String)> {
        let path = config.to_str().unwrap();
        let mut c = ptr::null_mut();
        match segur_dmp_client_new(path.as_ptr().cast(), path.len(), timeout_ms, &mut c) {
            segur_result::Ok => Ok(Self(c)),
            r => {
                assert!(c.is_null());
                Err((r, detail()))
            }
        }
    }

    /// TD0.2 of `ins`: the JSON, or the code and its detail.
    fn status(&self, ins: &str) -> Result<serde_json::Value, (segur_result, String)> {
        let mut out = ptr::null_mut();
        match segur_dmp_client_status(self.0, ins.as_ptr().cast(), ins.len(), &mut out) {
            segur_result::Ok => Ok(support::take_json(out)),
            r => {
                assert!(out.is_null());
                let d = detail();
                assert!(!d.contains(ins), "{d}");
                Err((r, d))
            }
        }
    }

    /// TD3.1 (all statuses) of `ins`: the code.
    fn find(&self, ins: &str) -> segur_result {
        let mut out = ptr::null_mut();
        let r = segur_dmp_client_find(
            self.0,
            ins.as_ptr().cast(),
            ins.len(),
            ptr::null(),
            0,
            segur_dmp_status_filter::All as u32,
            &mut out,
        );
        if r == segur_result::Ok {
            support::take_json(out);
        } else {
            assert!(!detail().contains(ins));
        }
        r
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        segur_dmp_client_free(self.0);
    }
}

fn simulator(dir: &Path) -> (Simulator, std::path::PathBuf) {
    let sim = Simulator::start(SimulatorOptions::default()).unwrap();
    let config = sim.write_config(dir).unwrap();
    (sim, config)
}

#[test]
fn injected_faults_get_the_code_of_their_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, config) = simulator(dir.path());
    let client = Client::new(&config, 1500).unwrap();
    for (fault, expected) in [
        (Fault::Timeout, segur_result::DmpTimeout),
        (Fault::Http500, segur_result::DmpHttpStatus),
        (Fault::SoapFault, segur_result::DmpSoapFault),
        (Fault::TruncatedBody, segur_result::DmpConnectionLost),
    ] {
        sim.set_fault(Transaction::Td31, Some(fault));
        assert_eq!(client.find(PATIENT), expected, "{fault:?}: {}", detail());
        assert_eq!(
            segur_result_is_dmp_refusal(expected as u32),
            fault == Fault::SoapFault,
            "{fault:?}"
        );
    }
    for (fault, expected) in [
        (Fault::DmpClosed, segur_result::DmpClosed),
        (Fault::NoAuthorisation, segur_result::DmpNoAuthorisation),
    ] {
        sim.set_fault(Transaction::Td31, Some(fault));
        assert_eq!(client.find(PATIENT), expected, "{fault:?}: {}", detail());
        assert!(segur_result_is_dmp_refusal(expected as u32));
    }
    sim.set_fault(Transaction::Td31, None);
    assert_eq!(client.find(PATIENT), segur_result::Ok);
}

#[test]
fn an_absent_dmp_and_a_blocked_professional_are_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, config) = simulator(dir.path());
    let client = Client::new(&config, 0).unwrap();
    let absent = "180057512345627";
    sim.set_patient_state(absent, TEST_INS_OID, DmpState::Absent);
    assert_eq!(client.status(absent).unwrap()["state"], "absent");
    assert_eq!(client.find(absent), segur_result::DmpNoDmp);
    assert!(detail().contains("XDSUnknownPatientId"), "{}", detail());
    sim.block_professional(PATIENT, TEST_INS_OID, "810100000001");
    let (code, d) = client.status(PATIENT).unwrap_err();
    assert_eq!(code, segur_result::DmpNoAuthorisation, "{d}");
    assert_eq!(client.find(PATIENT), segur_result::DmpNoAuthorisation);
}

#[test]
fn an_untrusted_server_and_an_unreachable_one_are_transport_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, config) = simulator(dir.path());
    // The caller trusts another CA than the one that issued the simulator's certificate.
    let trusted = dir.path().join("ca.pem");
    let original = std::fs::read(&trusted).unwrap();
    std::fs::write(&trusted, segur_test_support::pki::ca("Another CA").pem()).unwrap();
    let client = Client::new(&config, 5000).unwrap();
    let (code, d) = client.status(PATIENT).unwrap_err();
    assert_eq!(code, segur_result::DmpTlsUnknownCa, "{d}");
    assert!(!segur_result_is_dmp_refusal(code as u32));
    drop(client);
    std::fs::write(&trusted, original).unwrap();
    let client = Client::new(&config, 5000).unwrap();
    assert_eq!(client.status(PATIENT).unwrap()["state"], "active");
    // Nobody listens any more on the configured port.
    drop(sim);
    let (code, d) = client.status(PATIENT).unwrap_err();
    assert_eq!(code, segur_result::DmpNetwork, "{d}");
}

#[test]
fn configurations_that_do_not_load_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, config) = simulator(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    // A missing field: serde names the key, never a value.
    let no_endpoint: String = text
        .lines()
        .filter(|l| !l.starts_with("endpoint"))
        .map(|l| format!("{l}\n"))
        .collect();
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, no_endpoint).unwrap();
    let (code, d) = Client::new(&broken, 0).err().unwrap();
    assert_eq!(code, segur_result::DmpConfig);
    assert!(d.contains("endpoint"), "{d}");
    // A certificate file that is not there.
    std::fs::write(&broken, text.replace("client.pem", "absent.pem")).unwrap();
    let (code, d) = Client::new(&broken, 0).err().unwrap();
    assert_eq!(code, segur_result::DmpConfig);
    assert!(d.contains("TLS client certificate"), "{d}");
    // Trust anchors that are not PEM.
    std::fs::write(dir.path().join("ca.pem"), "not a certificate").unwrap();
    let (code, d) = Client::new(&config, 0).err().unwrap();
    assert_eq!(code, segur_result::DmpTlsConfig, "{d}");
}

#[test]
fn a_server_certificate_for_another_name_is_a_name_mismatch() {
    // The simulator's certificate names localhost and 127.0.0.1 (RFC 6125 §6); it listens on
    // another loopback address here, which the written endpoint then names.
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 2], 0)),
        ..SimulatorOptions::default()
    })
    .unwrap();
    let config = sim.write_config(dir.path()).unwrap();
    assert!(sim.endpoint().starts_with("https://127.0.0.2:"));
    let client = Client::new(&config, 5000).unwrap();
    let (code, d) = client.status(PATIENT).unwrap_err();
    assert_eq!(code, segur_result::DmpTlsNameMismatch, "{d}");
}

#[test]
fn one_client_serves_several_threads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, config) = simulator(dir.path());
    let client = Client::new(&config, 0).unwrap();
    // The handle is shared as C shares it: the same pointer, from several threads.
    let shared = client.0 as usize;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..3 {
                    let mut out = ptr::null_mut();
                    let r = segur_dmp_client_status(
                        shared as *const segur_dmp_client,
                        PATIENT.as_ptr().cast(),
                        PATIENT.len(),
                        &mut out,
                    );
                    assert_eq!(r, segur_result::Ok);
                    assert_eq!(support::take_json(out)["state"], "active");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
