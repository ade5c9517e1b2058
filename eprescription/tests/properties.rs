//! Property tests: scanner repair, INS Data Matrix round trip, parsers on arbitrary input.

use proptest::prelude::*;
use segur_eprescription::ins_datamatrix::{INS_OIDS, InsDatamatrix, Sex};
use segur_eprescription::scanner::{LayoutRepair, ScannerConfig, normalise, qwerty_to_azerty};

proptest! {
    #[test]
    fn forced_repair_undoes_qwerty_on_azerty(s in "[A-Za-z0-9 /.-]{0,60}") {
        let typed: String = s.chars().map(qwerty_to_azerty).collect();
        let cfg = ScannerConfig { layout: LayoutRepair::QwertyScannerOnAzertyHost, ..ScannerConfig::default() };
        prop_assert_eq!(normalise(&typed, &cfg).unwrap().into_string(), s.clone());
    }

    #[test]
    fn auto_repair_recovers_codes_with_digits(s in "[A-Z0-9]{0,30}[0-9][A-Z0-9]{0,30}") {
        let typed: String = s.chars().map(qwerty_to_azerty).collect();
        let out = normalise(&format!("{typed}\r\n"), &ScannerConfig::default()).unwrap();
        prop_assert_eq!(out.expose(), s.as_str());
        // Clean input is never changed.
        prop_assert_eq!(normalise(&s, &ScannerConfig::default()).unwrap().into_string(), s.clone());
    }

    #[test]
    fn ins_datamatrix_round_trips(
        body in (1u64..=2).prop_flat_map(|sex| (Just(sex), 0u64..1_000_000_000_000)),
        oid in 0usize..4,
        given in "[A-Z]{1,20}( [A-Z]{1,12}){0,3}",
        name in "[A-Z]{1,30}(-[A-Z]{1,20})?",
        female in any::<bool>(),
        (d, m, y) in (1u32..=31, 1u32..=12, 1900u32..=2025),
        place in proptest::option::of("[0-9]{5}"),
    ) {
        let n = body.0 * 1_000_000_000_000 + body.1;
        let matricule = format!("{n:013}{:02}", 97 - n % 97);
        let sex = if female { Sex::Female } else { Sex::Male };
        let date = format!("{d:02}-{m:02}-{y:04}");
        let v = InsDatamatrix::new(&matricule, INS_OIDS[oid], &given, &name, sex, &date, place.as_deref()).unwrap();
        prop_assert_eq!(InsDatamatrix::parse(v.to_payload().as_bytes()).unwrap(), v);
    }

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = segur_eprescription::twoddoc::parse(&bytes);
        let mut dc = b"DC04FR000001125E125B0126FR".to_vec();
        dc.extend_from_slice(&bytes);
        let _ = segur_eprescription::twoddoc::parse(&dc);
        let mut is = segur_eprescription::ins_datamatrix::HEADER.as_bytes().to_vec();
        is.extend_from_slice(&bytes);
        let _ = InsDatamatrix::parse(&is);
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = normalise(s, &ScannerConfig::default());
        }
    }
}
