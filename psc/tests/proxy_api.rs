//! The proxy e-Santé over real HTTPS with client certificates (test PKI made at test time), the
//! desktop provider talking to it, and a mutual-TLS backend (hyper over tokio-rustls) recording
//! what the proxy relays: the API of the ANS example (psc.md §6), the binding of application
//! tokens to one client, session expiry, and the trace file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{DENIED_ID, NATIONAL_ID, SLOW_ID, der_of, setup, sha256_hex};
use segur_net::http::{HttpClient, HttpError, HttpLimits};
use segur_net::token::TokenProvider;
use segur_psc::desktop::{DesktopError, LoginProgress};
use segur_psc::proxy::upstream::Channel;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn refused_code(e: &DesktopError) -> (u16, String) {
    match e {
        DesktopError::Refused { status, code, .. } => (*status, code.clone()),
        DesktopError::Http(HttpError::Status { code, response }) => {
            let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            (*code, v["code"].as_str().unwrap().to_owned())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn connect_send_traces_and_disconnect() {
    let s = setup(1800);
    let desktop = s.desktop(&s.desktop_a, "lgo-a");
    let mut events = Vec::new();
    let who = desktop
        .login(NATIONAL_ID, Channel::Card, &mut |p| {
            events.push(match p {
                LoginProgress::Started { binding_message } => format!("start {binding_message}"),
                LoginProgress::Waiting { .. } => "wait".into(),
                LoginProgress::Connected => "connected".into(),
            })
        })
        .unwrap();
    // The binding message shown to the user is the one PSC received.
    let started = s.psc.started.lock().unwrap().clone();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].0, NATIONAL_ID);
    assert_eq!(started[0].2, "CARD");
    assert_eq!(events.first().unwrap(), &format!("start {}", started[0].1));
    assert_eq!(events.last().unwrap(), "connected");
    assert!(
        s.psc.polls.load(Ordering::SeqCst) >= 3,
        "polled until approval"
    );
    assert_eq!(who.national_id, NATIONAL_ID);
    assert_eq!(who.client_id, "lgo-a");
    assert_eq!(who.family_name.as_deref(), Some("PHARMACIENNE"));
    assert_eq!(who.backends, ["dmp", "mss"]);
    assert!(
        who.expires_in > 1700 && who.expires_in <= 1800,
        "{}",
        who.expires_in
    );

    // One exchange per backend at the connection, each with the PSC access token and the
    // backend certificate.
    let org = sha256_hex(&der_of(&s.backend_client));
    let ex = s.psc.exchanges.lock().unwrap().clone();
    assert_eq!(ex.len(), 2);
    for (backend, subject, cert) in &ex {
        assert!(backend == "dmp" || backend == "mss");
        assert_eq!(subject, "psc-access-0");
        assert_eq!(cert.as_deref(), Some(org.as_str()));
    }
    let dmp_token = format!(
        "Bearer api-dmp-{}",
        ex.iter().position(|e| e.0 == "dmp").unwrap() + 1
    );

    // A relayed POST: the backend gets the exchanged token over the backend certificate; the
    // desktop gets the backend's answer.
    let r = desktop
        .send(
            "POST",
            "dmp",
            "/patients/search?_count=2",
            Some("application/fhir+json"),
            Some(b"{\"q\":1}"),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/fhir+json"));
    assert_eq!(r.body, b"{\"seen\":\"POST /api/patients/search?_count=2\"}");
    let seen = s.backend_seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization.as_deref(), Some(dmp_token.as_str()));
    assert_eq!(seen[0].client_cert_sha256, org);
    assert_eq!(seen[0].body, b"{\"q\":1}");
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/fhir+json")
    );
    // A backend error comes back with its status.
    let e = desktop
        .send("GET", "dmp", "status/503", None, None)
        .unwrap_err();
    assert!(
        matches!(&e, DesktopError::Http(HttpError::Status { code: 503, .. })),
        "{e:?}"
    );
    assert_eq!(s.backend_seen().len(), 2);
    // A path that would leave the backend's base path never reaches it (the desktop's URL
    // parser resolves the dot segments to another route; the proxy refuses any left).
    for path in ["../admin", "../../etc"] {
        let e = desktop.send("GET", "dmp", path, None, None).unwrap_err();
        assert!(
            matches!(
                &e,
                DesktopError::Http(HttpError::Status {
                    code: 400 | 404,
                    ..
                })
            ),
            "{path}: {e:?}"
        );
    }
    assert_eq!(s.backend_seen().len(), 2);

    // Traces: the ANS types and fields, in the file, and from GET /traces.
    let traces = s.traces();
    let kinds: Vec<&str> = traces.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["CONNECT_SUCCESS", "SEND", "SEND", "SEND_REFUSED"]);
    let send = &traces[1];
    assert_eq!(send["clientId"], "lgo-a");
    assert_eq!(send["IdRPPS"], NATIONAL_ID);
    assert_eq!(send["ipAddress"], "127.0.0.1");
    assert!(send["ports"].as_str().unwrap().parse::<u16>().unwrap() > 0);
    assert_eq!(send["proxy_id_session"], who.session_id);
    assert_eq!(send["session_state"], who.session_state);
    assert_eq!(send["dn"], "CN=poste-comptoir-1");
    assert_eq!(send["apiRequest"]["nomApiPsc"], "dmp");
    assert_eq!(send["apiRequest"]["methode"], "POST");
    assert_eq!(send["apiRequest"]["path"], "/patients/search");
    assert!(
        chrono_like(send["timestamp"].as_str().unwrap()),
        "{}",
        send["timestamp"]
    );
    // The application token is in no trace.
    let token = desktop.application_token().unwrap();
    let file = std::fs::read_to_string(s.dir.path().join("traces.jsonl")).unwrap();
    assert!(!file.contains(token.as_str()));
    assert!(!file.contains("psc-access") && !file.contains("api-dmp"));

    let http = HttpClient::new(&s.tls(Some(&s.desktop_a)), HttpLimits::default());
    let listed = http
        .get(
            &format!("{}/traces?start=2000-01-01T00:00:00Z", s.url()),
            "application/json",
        )
        .unwrap();
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(listed, traces);
    let none = http
        .get(
            &format!(
                "{}/traces?start=2000-01-01T00:00:00Z&end=2001-01-01T00:00:00%2B01:00",
                s.url()
            ),
            "application/json",
        )
        .unwrap();
    assert_eq!(none.body, b"[]");

    // A second connection from the same desktop for the same professional is a replay: no
    // new CIBA, the same session.
    let again = desktop
        .login(NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap();
    assert_eq!(again.session_id, who.session_id);
    assert_eq!(s.psc.started.lock().unwrap().len(), 1);
    assert_eq!(s.traces().last().unwrap()["type"], "CONNECT_REPLAY");

    // Another professional signs in on the same workstation: the first session ends (PSC
    // logout) and a new one starts with a new CIBA.
    let other = desktop
        .login("899700000039", Channel::Card, &mut |_| {})
        .unwrap();
    assert_ne!(other.session_id, who.session_id);
    assert_eq!(s.psc.logouts.load(Ordering::SeqCst), 1);
    assert_eq!(s.psc.started.lock().unwrap().len(), 2);
    let e = HttpClient::new(&s.tls(Some(&s.desktop_a)), HttpLimits::default())
        .get_with_headers(
            &format!("{}/session", s.url()),
            "application/json",
            &[("Authorization", &format!("Bearer {}", token.as_str()))],
        )
        .unwrap_err();
    assert!(matches!(e, HttpError::Status { code: 401, .. }), "{e:?}");
    let token = desktop.application_token().unwrap();

    // Disconnect: one PSC logout, a DISCONNECT trace, and the token is dead.
    desktop.logout().unwrap();
    assert_eq!(s.psc.logouts.load(Ordering::SeqCst), 2);
    assert_eq!(s.traces().last().unwrap()["type"], "DISCONNECT");
    desktop.resume(&token).unwrap();
    let e = desktop.send("GET", "dmp", "x", None, None).unwrap_err();
    assert!(
        matches!(&e, DesktopError::Http(HttpError::Status { code: 401, .. })),
        "{e:?}"
    );
    // A second disconnect: 401, and no second PSC logout (ANS proxy tests).
    let e = desktop.logout().unwrap_err();
    assert_eq!(refused_code(&e), (401, "unknown_session".to_owned()));
    assert_eq!(s.psc.logouts.load(Ordering::SeqCst), 2);
    assert_eq!(
        s.backend_seen().len(),
        2,
        "nothing relayed without a session"
    );
}

fn chrono_like(ts: &str) -> bool {
    // 2026-12-06T20:14:14.123Z
    ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T' && ts.as_bytes()[19] == b'.'
}

#[test]
fn an_application_token_replayed_from_another_client_is_refused() {
    let s = setup(1800);
    let a = s.desktop(&s.desktop_a, "lgo-a");
    a.login(NATIONAL_ID, Channel::Mobile, &mut |_| {}).unwrap();
    let stolen = a.application_token().unwrap();

    // Desktop B (another certificate from the same CA) presents A's token.
    let b = s.desktop(&s.desktop_b, "lgo-a");
    b.resume(&stolen).unwrap();
    let e = b.send("GET", "dmp", "records", None, None).unwrap_err();
    let DesktopError::Http(HttpError::Status {
        code: 401,
        response,
    }) = &e
    else {
        panic!("{e:?}");
    };
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["code"], "foreign_token");
    assert!(matches!(
        b.whoami().unwrap_err(),
        DesktopError::Refused { status: 401, .. }
    ));
    let e = b.for_backend("mss").unwrap().access_token().unwrap_err();
    assert!(e.to_string().contains("foreign_token"), "{e}");
    // Nor can B take the session over by reconnecting with it, nor close it.
    let e = b
        .login(NATIONAL_ID, Channel::Mobile, &mut |_| {})
        .unwrap_err();
    assert_eq!(refused_code(&e), (401, "foreign_token".to_owned()));
    b.resume(&stolen).unwrap();
    let e = b.logout().unwrap_err();
    assert_eq!(refused_code(&e), (401, "foreign_token".to_owned()));
    assert_eq!(s.psc.logouts.load(Ordering::SeqCst), 0);
    assert!(s.backend_seen().is_empty());

    // The refusals are traced with B's certificate, and A's session still works.
    let traces = s.traces();
    let refused: Vec<_> = traces
        .iter()
        .filter(|t| t["reason"] == "application token of another client")
        .collect();
    assert_eq!(refused.len(), 5, "{traces:#?}");
    assert!(refused.iter().all(|t| t["dn"] == "CN=poste-comptoir-2"));
    assert_eq!(
        a.send("GET", "dmp", "records", None, None).unwrap().status,
        200
    );
    assert_eq!(s.backend_seen().len(), 1);

    // A client pinned to A's certificate cannot connect with B's.
    let pinned_b = s.desktop(&s.desktop_b, "lgo-pinned");
    let e = pinned_b
        .login(NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap_err();
    assert_eq!(refused_code(&e), (403, "certificate_mismatch".to_owned()));
    let pinned_a = s.desktop(&s.desktop_a, "lgo-pinned");
    pinned_a
        .login(NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap();
    // A session of client id lgo-pinned is not one of lgo-a, even over the same certificate.
    let a_other_id = s.desktop(&s.desktop_a, "lgo-a");
    a_other_id
        .resume(&pinned_a.application_token().unwrap())
        .unwrap();
    let e = a_other_id
        .login(NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap_err();
    assert_eq!(refused_code(&e), (401, "foreign_token".to_owned()));
}

#[test]
fn an_expired_session_is_refused_and_logged_out() {
    let s = setup(1);
    let a = s.desktop(&s.desktop_a, "lgo-a");
    a.login(NATIONAL_ID, Channel::Card, &mut |_| {}).unwrap();
    assert_eq!(a.send("GET", "dmp", "x", None, None).unwrap().status, 200);
    std::thread::sleep(Duration::from_millis(1300));
    let e = a.send("GET", "dmp", "x", None, None).unwrap_err();
    let DesktopError::Http(HttpError::Status {
        code: 401,
        response,
    }) = &e
    else {
        panic!("{e:?}");
    };
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    // The purge (every second) or the request itself ended it: either way it is gone.
    assert!(
        body["code"] == "session_expired" || body["code"] == "unknown_session",
        "{body}"
    );
    let start = std::time::Instant::now();
    while s.psc.logouts.load(Ordering::SeqCst) == 0 && start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        s.psc.logouts.load(Ordering::SeqCst),
        1,
        "PSC logout of the ended session"
    );
    assert_eq!(s.backend_seen().len(), 1);
}

#[test]
fn connection_errors_follow_the_ans_api() {
    let s = setup(1800);
    let http = HttpClient::new(&s.tls(Some(&s.desktop_a)), HttpLimits::default());
    let post = |body: &str| match http.post(
        &format!("{}/connect", s.url()),
        "application/json",
        &[],
        body.as_bytes(),
    ) {
        Ok(r) => (r.status, serde_json::Value::Null),
        Err(HttpError::Status { code, response }) => {
            (code, serde_json::from_slice(&response.body).unwrap())
        }
        Err(e) => panic!("{e:?}"),
    };
    let body = |id: &str, bm: &str, client: &str, ch: &str| {
        format!(
            r#"{{"nationalId":"{id}","bindingMessage":"{bm}","clientId":"{client}","channel":"{ch}"}}"#
        )
    };
    let (st, b) = post(&body(NATIONAL_ID, "4", "lgo-a", "CARD"));
    assert_eq!((st, b["code"].as_str()), (400, Some("invalid_request")));
    assert!(b["message"].as_str().unwrap().contains("bindingMessage"));
    let (st, b) = post(&body(NATIONAL_ID, "42", "lgo-a", "FAX"));
    assert_eq!((st, b["code"].as_str()), (400, Some("invalid_request")));
    let (st, b) = post(&body("", "42", "lgo-a", "CARD"));
    assert_eq!((st, b["code"].as_str()), (400, Some("invalid_request")));
    let (st, _) = post("{\"nationalId\":");
    assert_eq!(st, 400);
    let (st, b) = post(&body(NATIONAL_ID, "42", "unknown-id", "CARD"));
    assert_eq!((st, b["code"].as_str()), (404, Some("unknown_client")));
    let (st, b) = post(&body(DENIED_ID, "42", "lgo-a", "MOBILE"));
    assert_eq!((st, b["code"].as_str()), (403, Some("access_denied")));
    let (st, _) = post(&"x".repeat(20_000));
    assert_eq!(st, 413);
    // slow_down is honoured: the next poll waits 5 s more (one slow_down, then approval).
    let start = std::time::Instant::now();
    let (st, _) = post(&body(SLOW_ID, "07", "lgo-a", "CARD"));
    assert_eq!(st, 200);
    assert!(
        start.elapsed() >= Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );

    let traces = s.traces();
    let kinds: Vec<&str> = traces.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "CONNECT_FAILURE",
            "CONNECT_FAILURE",
            "CONNECT_FAILURE",
            "CONNECT_FAILURE",
            "CONNECT_FAILURE",
            "CONNECT_FAILURE",
            "CONNECT_SUCCESS"
        ]
    );
    assert_eq!(traces[4]["clientId"], "unknown-id");
    assert_eq!(traces[4]["IdRPPS"], NATIONAL_ID);
    assert_eq!(traces[5]["reason"], "access_denied");

    // Without a client certificate, no TLS session at all.
    let anonymous = HttpClient::new(&s.tls(None), HttpLimits::default());
    let e = anonymous
        .post(
            &format!("{}/connect", s.url()),
            "application/json",
            &[],
            b"{}",
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            HttpError::Tls(_) | HttpError::Io(_) | HttpError::Protocol(_)
        ),
        "{e:?}"
    );
}

#[test]
fn tokens_reach_the_desktop_only_for_backends_that_release_them() {
    let s = setup(1800);
    let a = s.desktop(&s.desktop_a, "lgo-a");
    assert!(matches!(
        a.for_backend("mss").unwrap().access_token().unwrap_err(),
        segur_net::token::TokenError::Provider(_)
    ));
    a.login(NATIONAL_ID, Channel::Card, &mut |_| {}).unwrap();
    let mss = a.for_backend("mss").unwrap().access_token().unwrap();
    assert!(mss.expose().starts_with("api-mss-"), "exchanged token");
    assert!(!mss.expires_within(Duration::from_secs(3000)));
    let e = a.for_backend("dmp").unwrap().access_token().unwrap_err();
    assert!(e.to_string().contains("token_not_released"), "{e}");
    assert!(!e.to_string().contains("api-dmp"));
    assert!(!format!("{a:?}").contains(a.application_token().unwrap().as_str()));
    let kinds: Vec<String> = s
        .traces()
        .iter()
        .map(|t| t["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["CONNECT_SUCCESS", "TOKEN", "SEND_REFUSED"]);
}
