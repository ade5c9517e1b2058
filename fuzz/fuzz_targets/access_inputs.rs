//! The parsers of segur-access never panic: the policy file (TOML, checked), and the typed
//! inputs of a login (TOTP code, recovery code, session id); a policy that loads serialises
//! back to an equal policy, and every role it accepts answers for every permission it defines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_access::clock::UnixTime;
use segur_access::policy::Policy;
use segur_access::recovery::hash_typed;
use segur_access::session::SessionId;
use segur_access::totp::{Totp, TotpParams, TotpSecret};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Policy::from_toml(s) {
        let back = Policy::from_toml(&p.to_toml()).expect("a loaded policy reloads");
        assert_eq!(back, p);
        for role in p.roles.keys() {
            for permission in p.permissions.keys() {
                p.allows(role.as_str(), permission.as_str()).expect("known role and permission");
            }
        }
    }
    let _ = hash_typed(s);
    if let Some(id) = SessionId::parse(s) {
        assert_eq!(id.expose().len(), 64);
    }
    let totp = Totp::new(
        TotpSecret::from_bytes(b"12345678901234567890").expect("20-byte key"),
        TotpParams::default(),
    )
    .expect("default parameters");
    let _ = totp.verify(s, UnixTime(1_111_111_111), None);
});
