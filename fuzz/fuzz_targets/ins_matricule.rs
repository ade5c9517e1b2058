//! Matricule parsing never panics; whatever parses round-trips through both text forms and has a
//! key that matches its body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_ins::Matricule;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(m) = Matricule::parse(s) {
        assert_eq!(Matricule::parse(m.expose()), Ok(m));
        assert_eq!(Matricule::parse(&m.grouped().to_string()), Ok(m));
        assert_eq!(Matricule::compute_key(m.body()), Ok(m.key()));
        let _ = m.decode();
    }
    let _ = Matricule::compute_key(s);
});
