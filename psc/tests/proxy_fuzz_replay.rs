//! Every seed and regression of the `psc_proxy_inputs` fuzz target (`fuzz/seeds/`,
//! `fuzz/regressions/`) replayed through the same calls and checks, on each test run and
//! without a nightly toolchain; and the seeds that must be accepted are.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use segur_psc::proxy::ProxyConfig;
use segur_psc::proxy::api::{ErrorBody, SessionResponse, TokenResponse, parse_connect};
use segur_psc::proxy::trace::Trace;
use segur_psc::view::WhoamiView;
use segur_test_support::fuzz_inputs;

fn replay(data: &[u8]) -> (bool, bool) {
    let connect = parse_connect(data).map(|(c, binding, channel)| {
        assert_eq!(binding.as_str().len(), 2);
        assert!(channel.as_str() == "CARD" || channel.as_str() == "MOBILE");
        assert!(!c.national_id.trim().is_empty());
    });
    let _ = serde_json::from_slice::<SessionResponse>(data);
    let _ = serde_json::from_slice::<WhoamiView>(data);
    let _ = serde_json::from_slice::<TokenResponse>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
    let trace = serde_json::from_slice::<Trace>(data).map(|t| {
        let back: Trace = serde_json::from_slice(&serde_json::to_vec(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    });
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = ProxyConfig::from_toml(s, std::path::Path::new("/nonexistent-segur-fuzz"));
    }
    (connect.is_ok(), trace.is_ok())
}

#[test]
fn seeds_and_regressions_replay() {
    for (name, data) in fuzz_inputs("psc_proxy_inputs", 5) {
        let (connect, trace) = replay(&data);
        if name.starts_with("seeds/connect") {
            assert!(connect, "{name} is a valid connection request");
        }
        if name.starts_with("seeds/trace") {
            assert!(trace, "{name} is a trace record");
        }
        // Its wrong structure reference is named before any (here missing) file is read.
        if name == "seeds/proxy_structures_refused.toml" {
            let e = ProxyConfig::from_toml(
                std::str::from_utf8(&data).unwrap(),
                std::path::Path::new("/nonexistent-segur-fuzz"),
            )
            .unwrap_err();
            assert!(e.to_string().contains("no [structures.pharmacie-z]"), "{e}");
        }
    }
}

#[test]
fn connection_requests_are_checked_field_by_field() {
    let ok =
        br#"{"nationalId":"899700218896","bindingMessage":"42","clientId":"a","channel":"CARD"}"#;
    assert!(parse_connect(ok).is_ok());
    let long = format!(
        r#"{{"nationalId":"{}","bindingMessage":"42","clientId":"a","channel":"CARD"}}"#,
        "é".repeat(65)
    );
    assert!(
        parse_connect(long.as_bytes())
            .unwrap_err()
            .contains("nationalId")
    );
    let control =
        br#"{"nationalId":"8997\u0007","bindingMessage":"42","clientId":"a","channel":"CARD"}"#;
    assert!(parse_connect(control).unwrap_err().contains("nationalId"));
    let e = parse_connect(br#"{"nationalId":"DUPONT"#).unwrap_err();
    assert!(e.contains("line 1") && !e.contains("DUPONT"), "{e}");
    let binding = br#"{"nationalId":"1","bindingMessage":"4a","clientId":"a","channel":"CARD"}"#;
    assert!(
        parse_connect(binding)
            .unwrap_err()
            .contains("bindingMessage")
    );
}
