//! The INS field readers fed from outside (INSi answers, Vitale and CPS cards, user input):
//! professional identifiers (RPPS, ADELI, FINESS, SIREN, SIRET), birth date, place and sex,
//! INS authority OIDs and matricule with OID, RNIV status codes. Never panic; what parses is
//! stable when parsed again from its text form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_ins::status::IdentityStatus;
use segur_ins::traits::{BirthDate, BirthPlace};
use segur_ins::{Adeli, Finess, Ins, InsAuthority, Rpps, Sex, Siren, Siret};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = Rpps::parse(s) {
        assert_eq!(Rpps::parse(v.as_str()).ok(), Some(v));
        let _ = v.national_id();
    }
    if let Ok(v) = Adeli::parse(s) {
        assert_eq!(Adeli::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = Finess::parse(s) {
        assert_eq!(Finess::parse(v.as_str()).ok(), Some(v));
        let _ = v.key_checked();
    }
    if let Ok(v) = Siren::parse(s) {
        assert_eq!(Siren::parse(v.as_str()).ok(), Some(v));
    }
    if let Ok(v) = Siret::parse(s) {
        assert_eq!(Siret::parse(v.as_str()).ok(), Some(v));
        let _ = v.siren();
    }
    if let Ok(d) = BirthDate::parse(s) {
        let _ = (d.to_hl7(), d.to_datamatrix(), d.require_calendar());
        if let BirthDate::Lunar(l) = &d {
            let _ = l.completed();
        }
    }
    if let Ok(p) = BirthPlace::parse(s) {
        assert_eq!(BirthPlace::parse(p.code()).ok(), Some(p));
        let _ = (p.is_abroad(), p.is_unknown_marker());
    }
    let _ = Sex::parse(s);
    let _ = IdentityStatus::from_code(s);
    if let Ok(a) = InsAuthority::from_oid(s) {
        // Surrounding white space (as in an XML attribute) is accepted; nothing else is.
        assert_eq!(a.oid(), s.trim());
    }
    // `matricule` then `|` then the OID, as `Ins::from_parts` takes them.
    if let Some((m, oid)) = s.split_once('|') {
        if let Ok(ins) = Ins::from_parts(m, oid) {
            let _ = (ins.to_xds_cx(), ins.to_hl7v2_cx());
        }
    }
});
