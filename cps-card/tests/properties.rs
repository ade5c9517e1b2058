//! Property tests of the parsers and encoders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use segur_cps_card::apdu::{Command, LengthForm, Response};
use segur_cps_card::atr::Atr;
use segur_cps_card::session::Session;
use segur_cps_card::tlv::{BerReader, Tag, encode};
use segur_cps_card::transport::{MemoryTransport, Protocol};

/// Decodes a command APDU (ISO/IEC 7816-4 §5.1) as a card would: (cla, ins, p1, p2, data, le).
#[allow(clippy::type_complexity)]
fn decode(b: &[u8]) -> (u8, u8, u8, u8, Vec<u8>, Option<usize>) {
    let h = (b[0], b[1], b[2], b[3]);
    let body = &b[4..];
    let (data, le) = match body.len() {
        0 => (vec![], None),
        1 => (
            vec![],
            Some(if body[0] == 0 { 256 } else { body[0] as usize }),
        ),
        3 if body[0] == 0 => {
            let l = u16::from_be_bytes([body[1], body[2]]) as usize;
            (vec![], Some(if l == 0 { 65536 } else { l }))
        }
        _ if body[0] == 0 => {
            let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
            let data = body[3..3 + lc].to_vec();
            let rest = &body[3 + lc..];
            let le = (rest.len() == 2).then(|| {
                let l = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                if l == 0 { 65536 } else { l }
            });
            (data, le)
        }
        _ => {
            let lc = body[0] as usize;
            let data = body[1..1 + lc].to_vec();
            let le = body
                .get(1 + lc)
                .map(|l| if *l == 0 { 256 } else { *l as usize });
            (data, le)
        }
    };
    (h.0, h.1, h.2, h.3, data, le)
}

fn tag_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0x01u32..0x1F).prop_filter("not 00", |t| *t != 0),
        (0x1Fu32..0x7F).prop_map(|b| 0x5F00 | b),
        (0x1Fu32..0x7F).prop_map(|b| 0xBF8100 | b),
    ]
}

proptest! {
    #[test]
    fn command_encoding_round_trips(
        cla in 0u8..0x80, ins in prop::sample::select(vec![0xA4u8, 0xB0, 0x20, 0x2A, 0x88, 0xCB]),
        p1: u8, p2: u8,
        data in prop::collection::vec(any::<u8>(), 0..600),
        le in prop::option::of(1usize..=65536),
    ) {
        let mut cmd = Command::new(cla, ins, p1, p2).with_data(data.clone());
        if let Some(le) = le { cmd = cmd.with_le(le); }
        for form in [LengthForm::Short, LengthForm::Extended] {
            match cmd.encode(form) {
                Ok(bytes) => {
                    let d = decode(&bytes);
                    prop_assert_eq!((d.0, d.1, d.2, d.3), (cla, ins, p1, p2));
                    prop_assert_eq!(&d.4, &data);
                    prop_assert_eq!(d.5, le);
                }
                Err(_) => prop_assert!(form == LengthForm::Short && cmd.required_form() == LengthForm::Extended),
            }
        }
        // Chaining keeps the data and puts Le on the last part only.
        let parts = cmd.chain(255).unwrap();
        let joined: Vec<u8> = parts.iter().flat_map(|p| p.data().to_vec()).collect();
        prop_assert_eq!(joined, data);
        prop_assert_eq!(parts.last().unwrap().le(), le);
        prop_assert!(parts[..parts.len() - 1].iter().all(|p| p.cla() & 0x10 != 0 && p.le().is_none()));
    }

    #[test]
    fn ber_round_trips(items in prop::collection::vec((tag_strategy(), prop::collection::vec(any::<u8>(), 0..400)), 0..8)) {
        let mut buf = Vec::new();
        for (t, v) in &items { encode(Tag(*t), v, &mut buf); }
        let parsed: Vec<_> = BerReader::new(&buf).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(parsed.len(), items.len());
        for (p, (t, v)) in parsed.iter().zip(&items) {
            prop_assert_eq!(p.tag, Tag(*t));
            prop_assert_eq!(p.value, v.as_slice());
        }
    }

    #[test]
    fn atr_parser_never_panics(data in prop::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(a) = Atr::parse(&data) {
            prop_assert!(a.as_bytes().len() <= 33);
            let _ = a.historical();
        }
    }

    #[test]
    fn t0_reassembles_any_split(payload in prop::collection::vec(any::<u8>(), 1..1200), chunk in 1usize..=256) {
        // A card returning `payload` in GET RESPONSE parts of at most `chunk` bytes.
        let mut pending = payload.clone();
        let mut first = true;
        let t = MemoryTransport::new(vec![0x3B, 0x00], Protocol::T0, move |cmd: &[u8]| {
            let n = pending.len();
            let sw = |n: usize| vec![0x61, if n >= 256 { 0 } else { n as u8 }];
            if first {
                first = false;
                return Ok(sw(n));
            }
            assert_eq!(&cmd[..4], &[0x00, 0xC0, 0x00, 0x00]);
            let le = if cmd[4] == 0 { 256 } else { cmd[4] as usize };
            let take = le.min(chunk).min(n);
            let mut out: Vec<u8> = pending.drain(..take).collect();
            out.extend(if pending.is_empty() { vec![0x90, 0x00] } else { sw(pending.len()) });
            Ok(out)
        });
        let mut s = Session::new(t);
        let r = s.transmit(&Command::new(0, 0xCA, 0, 0).with_data([1]).with_le(256)).unwrap();
        prop_assert!(r.sw().is_success());
        prop_assert_eq!(r.data(), payload.as_slice());
    }

    #[test]
    fn response_split(data in prop::collection::vec(any::<u8>(), 2..300)) {
        let r = Response::from_bytes(data.clone()).unwrap();
        prop_assert_eq!(r.data(), &data[..data.len() - 2]);
        prop_assert_eq!(r.sw().0, u16::from_be_bytes([data[data.len() - 2], data[data.len() - 1]]));
    }
}
