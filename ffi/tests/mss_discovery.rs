//! `segur_mss_discover` against the local DNS server of the segur-mssante tests
//! (`test-support/src/dns_server.rs`): SRV records in RFC 2782 order, "." as no service,
//! a silent resolver as a typed error after the timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_test_support::dns_server;
mod support;

use segur::mss_discovery::segur_mss_discover;
use segur::segur_result;
use std::ptr;
use support::take_json;

fn discover(
    domain: &str,
    resolver: Option<&str>,
    timeout_ms: u32,
) -> Result<serde_json::Value, segur_result> {
    let (r, rl) = resolver.map_or((ptr::null(), 0), |r| (r.as_ptr().cast(), r.len()));
    let mut out = ptr::null_mut();
    match segur_mss_discover(
        domain.as_ptr().cast(),
        domain.len(),
        r,
        rl,
        timeout_ms,
        &mut out,
    ) {
        segur_result::Ok => Ok(take_json(out)),
        e => {
            assert!(out.is_null(), "outputs are written only on success");
            Err(e)
        }
    }
}

#[test]
fn srv_records_in_order_and_no_service() {
    let resolver = dns_server::dns_server().to_string();
    let v = discover("example.fr", Some(&resolver), 5000).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "submission": [
                {"host": "smtp-a.example.fr", "port": 587},
                {"host": "smtp-b.example.fr", "port": 587},
                {"host": "backup.example.fr", "port": 587},
            ],
            "imap": [],
        })
    );
}

#[test]
fn silent_resolver_bad_arguments_are_result_codes() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    assert_eq!(
        discover("example.fr", Some(&addr), 300),
        Err(segur_result::MssDiscoveryNoAnswer)
    );
    assert_eq!(
        discover("example.fr", Some("not an address"), 300),
        Err(segur_result::InvalidParameter)
    );
    assert_eq!(
        discover("example.fr", Some(&addr), 0),
        Err(segur_result::InvalidParameter)
    );
    let mut out = ptr::null_mut();
    assert_eq!(
        segur_mss_discover(ptr::null(), 0, ptr::null(), 0, 100, &mut out),
        segur_result::NullParameter
    );
}
