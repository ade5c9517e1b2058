//! Every seed and every regression of the `identity_json` fuzz target (the identity JSON of
//! `segur 2ddoc ins-datamatrix` and `segur mss eml --patient-identity`) replayed through the
//! same calls and checks as the target, on each test run and without a nightly toolchain: a
//! crash that `scripts/fuzz-campaign` stores under `fuzz/regressions/identity_json/` is a
//! failing test here until it is fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers: a failure is a test failure.

use segur_eprescription::ins_datamatrix::{InsDatamatrix, Sex as DmSex};
use segur_ins::{Identity, QualifiedIdentity, Sex};
use segur_mssante::{MailAddress, PatientAddress};

use segur_test_support::fuzz_inputs as inputs;

/// `fuzz_targets/identity_json.rs`; whether a qualified identity was read.
fn identity_json(data: &[u8]) -> bool {
    if data.len() > 1 << 16 {
        return false;
    }
    if let Ok(id) = serde_json::from_slice::<Identity>(data) {
        let json = serde_json::to_string(&id).expect("an identity serialises");
        let back: Identity = serde_json::from_str(&json).expect("an identity reads back");
        // The serde form holds the normalised traits only (the text as entered, which `==`
        // also compares, is not serialised): what is written reads back to the same values.
        assert_eq!(
            serde_json::to_string(&back).expect("an identity serialises"),
            json
        );
        let _ = (
            id.status().code(),
            id.can_transmit_matricule(),
            id.may_call_insi(),
        );
    }
    let Ok(q) = serde_json::from_slice::<QualifiedIdentity>(data) else {
        return false;
    };
    let traits = q.traits();
    let _ = segur_ins::coherence::check(q.ins().matricule(), traits);
    let sex = match traits.sex() {
        Sex::Male => DmSex::Male,
        Sex::Female => DmSex::Female,
    };
    if let Ok(dm) = InsDatamatrix::new(
        q.ins().matricule().expose(),
        q.ins().authority().oid(),
        traits.given_names().expose(),
        traits.birth_name().expose(),
        sex,
        &traits.birth_date().to_datamatrix(),
        traits.birth_place().map(|p| p.code()),
    ) {
        let payload = dm.to_payload();
        assert_eq!(InsDatamatrix::parse(payload.as_bytes()).ok(), Some(dm));
    }
    let address = PatientAddress::of(&q);
    assert!(MailAddress::parse(address.address().as_str()).is_ok());
    assert!(address.address().is_patient());
    true
}

#[test]
fn identity_json_inputs() {
    let mut qualified = 0;
    for (name, data) in inputs("identity_json", 10) {
        eprintln!("{name}");
        let ok = identity_json(&data);
        qualified += usize::from(ok);
        // Another status or a matricule given as a number is never read as qualified.
        if ["provisoire", "recuperee", "validee", "matricule-as-number"]
            .iter()
            .any(|n| name.contains(n))
        {
            assert!(!ok, "{name}");
        }
    }
    assert!(qualified >= 5, "{qualified} qualified identities read");
}
