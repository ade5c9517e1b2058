//! The readers of segur-psc never panic on what a desktop or a proxy may send: the `POST
//! /connect` body (accepted only with a two-digit binding message, a known channel and a
//! bounded national id), the proxy's answers the desktop reads (session, whoami view, token,
//! error), a trace line, and the proxy's TOML configuration (which fails on its missing files
//! after parsing, never before with a panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_psc::proxy::api::{ErrorBody, SessionResponse, TokenResponse, parse_connect};
use segur_psc::proxy::trace::Trace;
use segur_psc::proxy::ProxyConfig;
use segur_psc::view::WhoamiView;

fuzz_target!(|data: &[u8]| {
    if let Ok((c, binding, channel)) = parse_connect(data) {
        assert_eq!(binding.as_str().len(), 2);
        assert!(binding.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert!(channel.as_str() == "CARD" || channel.as_str() == "MOBILE");
        let id = c.national_id.trim();
        assert!(!id.is_empty() && id.chars().count() <= 64);
    }
    let _ = serde_json::from_slice::<SessionResponse>(data);
    let _ = serde_json::from_slice::<WhoamiView>(data);
    let _ = serde_json::from_slice::<TokenResponse>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
    if let Ok(t) = serde_json::from_slice::<Trace>(data) {
        let back: Trace = serde_json::from_slice(&serde_json::to_vec(&t).expect("serialises"))
            .expect("a trace reads back");
        assert_eq!(back, t);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = ProxyConfig::from_toml(s, std::path::Path::new("/nonexistent-segur-fuzz"));
    }
});
