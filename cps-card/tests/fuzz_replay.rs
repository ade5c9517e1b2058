//! Every seed and every regression of the segur-cps-card fuzz targets (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) replayed through the same calls and checks as the target, on
//! each test run and without a nightly toolchain: a crash that `scripts/fuzz-campaign` stores
//! under `fuzz/regressions/` is a failing test here until it is fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_cps_card::apdu::{Command, Response};
use segur_cps_card::atr::{self, Atr};
use segur_cps_card::pin::Pin;
use segur_cps_card::session::Session;
use segur_cps_card::tlv::{BerReader, CompactReader, SimpleReader, Tag, find_recursive};
use segur_cps_card::transport::{MemoryTransport, Protocol, ScriptedTransport};
use segur_cps_card::{TransportError, asn1, cps, pkcs15};

use segur_test_support::fuzz_inputs as inputs;

/// Splits the input into responses: each is prefixed by one length byte.
fn responses(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let n = usize::from(data[i]);
        i += 1;
        let end = (i + n).min(data.len());
        out.push(data[i..end].to_vec());
        i = end;
    }
    out
}

fn transport(
    atr: &'static [u8],
    protocol: Protocol,
    data: &[u8],
) -> MemoryTransport<impl FnMut(&[u8]) -> Result<Vec<u8>, TransportError>> {
    let mut rs = responses(data).into_iter();
    MemoryTransport::new(atr, protocol, move |_cmd: &[u8]| {
        rs.next().ok_or(TransportError::CardRemoved)
    })
}

const CPS3: &[u8] = &[
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
const VITALE2: &[u8] = &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00];

/// `fuzz_targets/apdu_response.rs`.
fn apdu_response(data: &[u8]) {
    if let Ok(r) = Response::from_bytes(data.to_vec()) {
        let _ = r.sw().status().description();
    }
    let protocol = if data.first().is_some_and(|b| b & 1 == 1) {
        Protocol::T0
    } else {
        Protocol::T1
    };
    let mut s = Session::new(transport(CPS3, protocol, data));
    let _ = s.transmit(
        &Command::new(0x00, 0xCB, 0x3F, 0xFF)
            .with_data([0x4D, 0x00])
            .with_le(256),
    );
    let _ = s.read_binary(0x00, Some(2));
    if let Ok(mut c) = cps::CpsCard::open(
        transport(CPS3, Protocol::T0, data),
        cps::CpsConfig::default(),
    ) {
        let _ = c.pin_status();
        let _ = c.certificate(cps::KeyRole::Authentication);
    }
    if let Ok(mut v) =
        segur_cps_card::vitale::VitaleCard::open(transport(VITALE2, Protocol::T0, data))
    {
        let _ = v.read_identity();
    }
}

/// `fuzz_targets/atr_parse.rs`.
fn atr_parse(data: &[u8]) {
    let _ = atr::identify(data);
    if let Ok(a) = Atr::parse(data) {
        assert!(a.historical_bytes().len() <= 15);
        let _ = a.protocols().count();
        if let Ok(h) = a.historical() {
            let _ = (h.supports_chaining(), h.supports_extended_length());
        }
    }
}

/// `fuzz_targets/tlv_parse.rs`.
fn tlv_parse(data: &[u8]) {
    if let Ok(r) = BerReader::new(data) {
        for t in r.skip_padding() {
            match t {
                Ok(t) => assert!(t.value_offset + t.value.len() <= data.len()),
                Err(_) => break,
            }
        }
    }
    if let Ok(r) = SimpleReader::new(data) {
        for _ in r {}
    }
    for _ in CompactReader::new(data, 0) {}
    let _ = find_recursive(data, Tag(0x9B));
    let _ = asn1::Node::parse(data).map(|t| t.iter().map(|n| n.to_string().len()).sum::<usize>());
    let _ = pkcs15::parse_odf(data);
    let _ = pkcs15::parse_directory(data, "CDF");
    let _ = pkcs15::parse_directory(data, "AODF");
    let _ = cps::SerialNumber::parse(data);
    let _ = cps::Actua::parse(data);
    let _ = segur_cps_card::vitale::parse_identity_file(data);
    let _ = segur_cps_card::vitale::parse_nir_file(data);
}

/// `fuzz_targets/cps_trace.rs`.
fn cps_trace(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Pin::from_str_checked(text);
    let Some(trace) = ScriptedTransport::parse_trace(text) else {
        return;
    };
    let n = trace.len();
    let mut s = Session::new(ScriptedTransport::new(
        vec![0x3B, 0x00],
        Protocol::T0,
        trace,
    ));
    for _ in 0..n.min(16) {
        let _ = s.transmit(&Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256));
    }
}

#[test]
fn apdu_response_inputs() {
    for (name, data) in inputs("apdu_response", 5) {
        eprintln!("{name}");
        apdu_response(&data);
    }
}

#[test]
fn atr_parse_inputs() {
    for (name, data) in inputs("atr_parse", 5) {
        eprintln!("{name}");
        atr_parse(&data);
    }
}

#[test]
fn tlv_parse_inputs() {
    for (name, data) in inputs("tlv_parse", 5) {
        eprintln!("{name}");
        tlv_parse(&data);
    }
}

#[test]
fn cps_trace_inputs() {
    let mut read = 0;
    for (name, data) in inputs("cps_trace", 5) {
        eprintln!("{name}");
        cps_trace(&data);
        if name.starts_with("seeds/") {
            read += usize::from(
                ScriptedTransport::parse_trace(std::str::from_utf8(&data).unwrap()).is_some(),
            );
        }
    }
    // The recorded traces of tests/traces.rs read: the seeds exercise the replay, not only
    // the refusals.
    assert!(read >= 4, "{read} traces read");
}
