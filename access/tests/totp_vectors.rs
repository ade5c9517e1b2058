//! RFC 4226 Appendix D and RFC 6238 Appendix B test vectors, the ±1 step window, single use,
//! and the otpauth:// URI.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_access::clock::UnixTime;
use segur_access::totp::{Digits, Totp, TotpAlgorithm, TotpError, TotpParams, TotpSecret, hotp};

const SHA1_KEY: &[u8] = b"12345678901234567890";
const SHA256_KEY: &[u8] = b"12345678901234567890123456789012";
const SHA512_KEY: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

#[test]
fn rfc4226_appendix_d() {
    let secret = TotpSecret::from_bytes(SHA1_KEY).unwrap();
    let expected = [
        755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
    ];
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(
            hotp(&secret, counter as u64, TotpAlgorithm::Sha1, Digits::SIX),
            *code,
            "counter {counter}"
        );
    }
}

#[test]
fn rfc6238_appendix_b() {
    let table: [(i64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];
    let make = |key: &[u8], algorithm| {
        Totp::new(
            TotpSecret::from_bytes(key).unwrap(),
            TotpParams {
                algorithm,
                digits: Digits::new(8).unwrap(),
                period: 30,
                window: 1,
            },
        )
        .unwrap()
    };
    let sha1 = make(SHA1_KEY, TotpAlgorithm::Sha1);
    let sha256 = make(SHA256_KEY, TotpAlgorithm::Sha256);
    let sha512 = make(SHA512_KEY, TotpAlgorithm::Sha512);
    for (t, c1, c256, c512) in table {
        let t = UnixTime(t);
        assert_eq!(sha1.code_at(t).as_str(), c1, "SHA-1 at {t:?}");
        assert_eq!(sha256.code_at(t).as_str(), c256, "SHA-256 at {t:?}");
        assert_eq!(sha512.code_at(t).as_str(), c512, "SHA-512 at {t:?}");
        // And each verifies once at that time.
        assert!(sha512.verify(c512, t, None).is_ok());
    }
}

#[test]
fn seven_digits_and_out_of_range_digits() {
    assert!(Digits::new(5).is_none());
    assert!(Digits::new(9).is_none());
    let totp = Totp::new(
        TotpSecret::from_bytes(SHA1_KEY).unwrap(),
        TotpParams {
            digits: Digits::new(7).unwrap(),
            ..TotpParams::default()
        },
    )
    .unwrap();
    // 7 digits: the 8-digit value of RFC 6238 at t=59 (94287082) modulo 10^7.
    assert_eq!(totp.code_at(UnixTime(59)).as_str(), "4287082");
}

#[test]
fn window_is_one_step_each_side_and_a_code_is_accepted_once() {
    let totp = Totp::new(
        TotpSecret::from_bytes(SHA1_KEY).unwrap(),
        TotpParams::default(),
    )
    .unwrap();
    let now = UnixTime(1_700_000_010);
    let step = totp.step(now);
    let previous = totp.code_for_step(step - 1);
    let next = totp.code_for_step(step + 1);
    let two_back = totp.code_for_step(step - 2);
    assert_eq!(totp.verify(&previous, now, None), Ok(step - 1));
    assert_eq!(totp.verify(&next, now, None), Ok(step + 1));
    assert_eq!(totp.verify(&two_back, now, None), Err(TotpError::Mismatch));
    let current = totp.code_at(now);
    let accepted = totp.verify(&current, now, None).unwrap();
    assert_eq!(
        totp.verify(&current, now, Some(accepted)),
        Err(TotpError::Replayed)
    );
    // The previous step's code after the current one was accepted: also refused.
    assert_eq!(
        totp.verify(&previous, now, Some(accepted)),
        Err(TotpError::Replayed)
    );
}

#[test]
fn short_secrets_are_refused() {
    assert_eq!(
        TotpSecret::from_bytes(&[1; 15]).unwrap_err(),
        TotpError::SecretLength(15)
    );
    assert!(TotpSecret::from_bytes(&[1; 129]).is_err());
    let generated = TotpSecret::generate().unwrap();
    assert_eq!(generated.expose().len(), 20);
    assert_eq!(format!("{generated:?}"), "TotpSecret(..)");
}

#[test]
fn otpauth_uri_has_the_key_uri_format() {
    let totp = Totp::new(
        TotpSecret::from_bytes(SHA1_KEY).unwrap(),
        TotpParams::default(),
    )
    .unwrap();
    let uri = totp.otpauth_uri("Pharmacie du Port", "marie.d@officine");
    assert_eq!(
        uri.as_str(),
        "otpauth://totp/Pharmacie%20du%20Port:marie.d%40officine?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Pharmacie%20du%20Port&algorithm=SHA1&digits=6&period=30"
    );
}
