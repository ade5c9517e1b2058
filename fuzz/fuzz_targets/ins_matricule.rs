//! Matricule parsing never panics; whatever parses round-trips through both text forms and has a
//! key that matches its body; parsing the bytes gives what parsing the text gives, and any
//! bytes (UTF-8 or not) parse without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_ins::Matricule;

fuzz_target!(|data: &[u8]| {
    let from_bytes = Matricule::parse_bytes(data);
    let Ok(s) = std::str::from_utf8(data) else {
        assert!(from_bytes.is_err(), "non-UTF-8 bytes never parse");
        return;
    };
    assert_eq!(from_bytes, Matricule::parse(s));
    if let Ok(m) = Matricule::parse(s) {
        assert_eq!(Matricule::parse(m.expose()), Ok(m));
        assert_eq!(Matricule::parse(&m.grouped().to_string()), Ok(m));
        assert_eq!(Matricule::compute_key(m.body()), Ok(m.key()));
        let _ = m.decode();
    }
    let _ = Matricule::compute_key(s);
});
