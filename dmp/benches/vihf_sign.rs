//! Building and signing a VIHF (SAML 2.0 assertion, `shared/specs/dmp.md` §2): the typed
//! builder, then the enveloped RSA-SHA256 signature with exclusive C14N made by the ORG_SIGN
//! key of the client configuration (the simulator's test PKI, RSA 2048), as the client does
//! for every request (`DmpClient::assertion`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use segur_dmp::DmpPatient;
use segur_dmp::client::DmpClient;
use segur_dmp::config::DmpConfig;
use segur_dmp::simulator::{Simulator, SimulatorOptions};
use segur_ins::Ins;

fn vihf(c: &mut Criterion) {
    let sim = Simulator::start(SimulatorOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = DmpConfig::load(&sim.write_config(dir.path()).unwrap()).unwrap();
    let client = DmpClient::from_config(&config).unwrap();
    let patient = DmpPatient::attested_qualified(
        Ins::from_parts("279035121518989", "1.2.250.1.213.1.4.10").unwrap(),
    );
    let signed = client.assertion(&patient).unwrap();
    assert!(signed.contains("SignatureValue"));

    let mut g = c.benchmark_group("dmp_vihf");
    g.sample_size(50);
    g.bench_function("build_and_sign_rsa2048", |b| {
        b.iter(|| client.assertion(&patient).unwrap())
    });
    g.finish();
}

criterion_group!(benches, vihf);
criterion_main!(benches);
