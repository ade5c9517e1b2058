//! The DMP simulator's request handling (MTOM and SOAP reading, routing, VIHF checks, the
//! ebRIM reading of TD2.1, TD3.1, TD3.2 and TD3.3, the TD0.2 and TD0.3 bodies) never panics or
//! hangs on any bytes and always answers with an HTTP status.
//!
//! Input: the first byte picks the service path, the next line is the Content-Type, the rest
//! is the body (seeds: the official example requests).
#![no_main]

use libfuzzer_sys::fuzz_target;
use segur_dmp::simulator::server::Responder;
use segur_dmp::simulator::Rules;

const SERVICES: [&str; 4] = ["patients", "habilitations", "repository", "registry"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let service = SERVICES[usize::from(selector) % SERVICES.len()];
    let split = rest.iter().position(|b| *b == b'\n');
    let (content_type, body) = match split.and_then(|i| Some((rest.get(..i)?, rest.get(i + 1..)?))) {
        Some((line, body)) => (std::str::from_utf8(line).ok(), body),
        None => (None, rest),
    };
    // One responder per input: the registry starts empty, so runs are independent.
    let responder = Responder::new(Rules::default(), Vec::new());
    let reply = responder.respond(service, content_type, body, None);
    assert!((200..600).contains(&reply.status));
});
