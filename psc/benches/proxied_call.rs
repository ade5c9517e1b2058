//! The cost of the proxy e-Santé on one business call: a desktop `GET` relayed by the proxy to
//! a mutual-TLS backend (session lookup, trace written and synced, exchanged token added, the
//! backend reached over its certificate), beside the same `GET` sent straight to the backend
//! with the SDK's HTTPS client (what a desktop would do if PSC allowed it, psc.md §0).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use segur_net::http::{HttpClient, HttpLimits};
use segur_net::tls::{ClientIdentity, TlsSettings, TrustAnchors};
use segur_psc::proxy::upstream::Channel;

fn proxied_call(c: &mut Criterion) {
    let s = common::setup(1800);
    let desktop = s.desktop(&s.desktop_a, "lgo-a");
    desktop
        .login(common::NATIONAL_ID, Channel::Card, &mut |_| {})
        .unwrap();
    let anchors = TrustAnchors::from_pem(s.backend_ca_pem.as_bytes()).unwrap();
    let id = ClientIdentity::from_pem(
        s.backend_client.cert_pem.as_bytes(),
        s.backend_client.key_pem.as_bytes(),
    )
    .unwrap();
    let direct = HttpClient::new(
        &TlsSettings::new(&anchors, Some(&id)).unwrap(),
        HttpLimits::default(),
    );
    let direct_url = format!("https://localhost:{}/api/records", s.backend.port);
    let mut g = c.benchmark_group("psc_proxy");
    g.bench_function("GET through the proxy (trace synced)", |b| {
        b.iter(|| desktop.send("GET", "dmp", "records", None, None).unwrap())
    });
    g.bench_function("GET straight to the backend", |b| {
        b.iter(|| {
            direct
                .get_with_headers(&direct_url, "*/*", &[("Authorization", "Bearer x")])
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, proxied_call);
criterion_main!(benches);
