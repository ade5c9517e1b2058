//! The JSON identity given to `segur 2ddoc ins-datamatrix` and `segur mss eml
//! --patient-identity` (the serde form of `segur_ins::Identity`, read as a `QualifiedIdentity`;
//! the readers of those commands live in the `segur` binary, so this target runs the library
//! code under them): never panics; an identity that reads serialises back to itself, gives an
//! INS Data Matrix that reads back to the same value (the bridge of `segur 2ddoc
//! ins-datamatrix`), a patient MSSanté address that parses, and coherence warnings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_eprescription::ins_datamatrix::{InsDatamatrix, Sex as DmSex};
use segur_ins::{Identity, QualifiedIdentity, Sex};
use segur_mssante::{MailAddress, PatientAddress};

fuzz_target!(|data: &[u8]| {
    if data.len() > 1 << 16 {
        return;
    }
    if let Ok(id) = serde_json::from_slice::<Identity>(data) {
        let json = serde_json::to_string(&id).expect("an identity serialises");
        let back: Identity = serde_json::from_str(&json).expect("an identity reads back");
        // The serde form holds the normalised traits only (the text as entered, which `==`
        // also compares, is not serialised): what is written reads back to the same values.
        assert_eq!(serde_json::to_string(&back).expect("an identity serialises"), json);
        let _ = (id.status().code(), id.can_transmit_matricule(), id.may_call_insi());
    }
    let Ok(q) = serde_json::from_slice::<QualifiedIdentity>(data) else {
        return;
    };
    let traits = q.traits();
    let _ = segur_ins::coherence::check(q.ins().matricule(), traits);
    let sex = match traits.sex() {
        Sex::Male => DmSex::Male,
        Sex::Female => DmSex::Female,
    };
    // The bridge of `segur 2ddoc ins-datamatrix` (cli/src/twoddoc.rs).
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
});
