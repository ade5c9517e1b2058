//! Response APDUs from a hostile card: the session's T=0 loops (61xx, 6Cxx, 9Fxx), READ BINARY
//! and the CPS and Vitale decoders must end with a value or a typed error, never panic or loop.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_cps_card::apdu::{Command, Response};
use segur_cps_card::session::Session;
use segur_cps_card::transport::{MemoryTransport, Protocol};
use segur_cps_card::{TransportError, cps};

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
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00,
    0x90, 0x00,
];
const VITALE2: &[u8] = &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00];

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Response::from_bytes(data.to_vec()) {
        let _ = r.sw().status().description();
    }
    let protocol = if data.first().is_some_and(|b| b & 1 == 1) { Protocol::T0 } else { Protocol::T1 };
    let mut s = Session::new(transport(CPS3, protocol, data));
    let _ = s.transmit(&Command::new(0x00, 0xCB, 0x3F, 0xFF).with_data([0x4D, 0x00]).with_le(256));
    let _ = s.read_binary(0x00, Some(2));
    if let Ok(mut c) = cps::CpsCard::open(transport(CPS3, Protocol::T0, data), cps::CpsConfig::default()) {
        let _ = c.pin_status();
        let _ = c.certificate(cps::KeyRole::Authentication);
    }
    if let Ok(mut v) = segur_cps_card::vitale::VitaleCard::open(transport(VITALE2, Protocol::T0, data)) {
        let _ = v.read_identity();
    }
});
