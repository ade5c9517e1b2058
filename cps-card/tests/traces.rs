//! Recorded APDU traces replayed byte for byte: the SDK must send exactly these commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_cps_card::cps::{CpsCard, CpsConfig};
use segur_cps_card::pin::Pin;
use segur_cps_card::transport::{Protocol, ScriptedTransport};
use segur_cps_card::{Error, TransportError};

const CPS3_ATR: &str = "3BAC00402A001225006480000310009000";

fn card(trace: &str) -> Result<CpsCard<ScriptedTransport>, Error> {
    let atr = segur_cps_card::hex_decode(CPS3_ATR).unwrap();
    let t = ScriptedTransport::new(
        atr,
        Protocol::T0,
        ScriptedTransport::parse_trace(trace).unwrap(),
    );
    CpsCard::open(t, CpsConfig::default())
}

/// Opening a CPS3: EF.SN.ICC selected from the MF, read with the 231-byte limit, 6Cxx answered.
const OPEN: &str = "
# SELECT 3F00/D003 from the MF, no FCI
> 00 A4 08 0C 02 D0 03
< 90 00
# READ BINARY, Le = E7 (ANS max_recv_size); the T=0 card gives the exact length
> 00 B0 00 00 E7
< 6C 0C
> 00 B0 00 00 0C
< 5A 0A 80 25 00 00 01 11 22 33 44 55 90 00
";

#[test]
fn open_cps3_trace() {
    let c = card(OPEN).unwrap();
    assert_eq!(c.serial().to_string(), "1122334455");
    assert!(c.into_transport().is_finished());
}

#[test]
fn pin_status_and_wrong_pin_trace() {
    let trace = format!(
        "{OPEN}
# AODF lookup: application, ODF without an AODF entry
> 00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10
< 90 00
> 00 A4 09 0C 02 50 31
< 90 00
> 00 B0 00 00 E7
< 6C 08
> 00 B0 00 00 08
< A4 06 30 04 04 02 44 04 90 00
# PIN counters: MF, then GET DATA of the CHV SDO sent as case 3 (T=0), GET RESPONSE
> 00 A4 00 0C 02 3F 00
< 90 00
> 00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80
< 61 12
> 00 C0 00 00 12
< 70 10 BF 81 01 0C A0 0A 9A 01 03 9B 01 02 9D 02 00 05 90 00
# VERIFY with the configured PIN block (4 digits padded with FF to 8), after re-selecting
> 00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10
< 90 00
> 00 20 00 01 08 39 39 39 39 FF FF FF FF
< 63 C1
"
    );
    let mut c = card(&trace).unwrap();
    let st = c.pin_status().unwrap();
    assert_eq!(
        (st.tries_left, st.max_tries, st.blocked),
        (2, Some(3), false)
    );
    let err = c
        .verify_pin(&Pin::from_str_checked("9999").unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::WrongPin { tries_left: 1 }), "{err:?}");
    assert!(c.into_transport().is_finished());
}

#[test]
fn blocked_pin_trace() {
    let trace = format!(
        "{OPEN}
> 00 A4 04 0C 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10
< 90 00
> 00 A4 09 0C 02 50 31
< 6A 82
# No ODF: configured PIN parameters; the application stays selected
> 00 20 00 01 08 31 32 33 34 FF FF FF FF
< 69 83
"
    );
    let mut c = card(&trace).unwrap();
    let err = c
        .verify_pin(&Pin::from_str_checked("1234").unwrap())
        .unwrap_err();
    assert!(matches!(err, Error::PinBlocked), "{err:?}");
}

#[test]
fn removal_while_opening_trace() {
    let trace = "
> 00 A4 08 0C 02 D0 03
< 90 00
> 00 B0 00 00 E7
< !removed
";
    let err = card(trace).unwrap_err();
    assert!(matches!(err, Error::Transport(TransportError::CardRemoved)));
}

#[test]
fn reset_without_recovery_support_is_typed() {
    // The scripted transport cannot reconnect: the reset is reported, never retried blindly.
    let trace = "
> 00 A4 08 0C 02 D0 03
< !reset
";
    let err = card(trace).unwrap_err();
    assert!(matches!(err, Error::Transport(TransportError::CardReset)));
}

#[test]
fn cps4_chipdoc_recovery_sequence_trace() {
    // ChipDoc selection fails once: ISD on channel 1, CPS2ter on channel 0, ChipDoc again.
    let trace = "
> 01 A4 04 0C 08 80 25 00 00 01 FF 01 00
< 6A 82
> 01 A4 04 0C 07 A0 00 00 01 51 00 00
< 90 00
> 00 A4 04 0C 08 80 25 00 00 01 FF 00 02
< 90 00
> 01 A4 04 0C 08 80 25 00 00 01 FF 01 00
< 90 00
> 01 A4 09 0C 02 D0 03
< 90 00
> 01 B0 00 00 E7
< 5A 0A 80 25 00 00 01 99 88 77 66 55 62 82
";
    let atr = segur_cps_card::hex_decode("3B9B188001001225006480040100009044").unwrap();
    let t = ScriptedTransport::new(
        atr,
        Protocol::T1,
        ScriptedTransport::parse_trace(trace).unwrap(),
    );
    let c = CpsCard::open(t, CpsConfig::default()).unwrap();
    assert_eq!(c.serial().to_string(), "9988776655");
    assert!(c.into_transport().is_finished());
}
