//! The card entry points on a machine without PC/SC: the library is loaded at run time, and
//! when it cannot be found every card call returns `SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING`
//! with a detail naming what to install. The library is made unfindable for one child process
//! (this test binary run again) through `SEGUR_PCSC_LIBRARY`, since the library is loaded once
//! per process.
#![allow(unsafe_code)] // reading the buffers the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur::cards::*;
use segur::vitale::*;
use segur::*;
use std::ffi::c_char;
use std::process::Command;
use std::ptr;

/// Set in the child: the checks run there, with the library made unfindable.
const CHILD: &str = "SEGUR_TEST_NO_PCSC_CHILD";
const UNFINDABLE: &str = "/nonexistent/segur-test/libpcsclite.so.1";

fn detail() -> String {
    let mut buf = [0 as c_char; 1024];
    let mut n = 0;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr(), buf.len(), &mut n),
        segur_result::Ok
    );
    String::from_utf8(buf[..n].iter().map(|c| *c as u8).collect()).unwrap()
}

fn assert_names_what_to_install(call: &str) {
    let d = detail();
    assert!(d.contains(UNFINDABLE), "{call}: {d}");
    assert!(
        d.contains("apt install libpcsclite1 pcscd") && d.contains("pcsc-lite-libs"),
        "{call}: {d}"
    );
}

#[test]
fn card_calls_without_the_pcsc_library_say_what_to_install() {
    if std::env::var_os(CHILD).is_none() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "card_calls_without_the_pcsc_library_say_what_to_install",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("SEGUR_PCSC_LIBRARY", UNFINDABLE)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        // The child ran the checks (and did not filter the test out).
        assert!(text.contains("1 passed"), "{text}");
        return;
    }

    let mut json = ptr::null_mut();
    assert_eq!(
        segur_card_list(&mut json),
        segur_result::CardPcscLibraryMissing
    );
    assert!(json.is_null());
    assert_names_what_to_install("segur_card_list");
    assert!(segur_result_is_card_error(
        segur_result::CardPcscLibraryMissing as u32
    ));

    let reader = b"Virtual PCD 00 00";
    let mut card = ptr::null_mut();
    assert_eq!(
        segur_cps_card_open(reader.as_ptr().cast(), reader.len(), &mut card),
        segur_result::CardPcscLibraryMissing
    );
    assert!(card.is_null());
    assert_names_what_to_install("segur_cps_card_open");

    let mut vitale = ptr::null_mut();
    assert_eq!(
        segur_vitale_card_open(reader.as_ptr().cast(), reader.len(), &mut vitale),
        segur_result::CardPcscLibraryMissing
    );
    assert!(vitale.is_null());
    assert_names_what_to_install("segur_vitale_card_open");
}
