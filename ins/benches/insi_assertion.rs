//! The INSi assertions of one request (`segur_ins::insi::assertion`): the CPx "assertion PS"
//! built and signed (enveloped RSA-SHA256, exclusive C14N) with an RSA 2048 software key standing
//! for the card's signature key, and the unsigned PSC assertion. The CPx case also writes its
//! signature template and key to `$TMPDIR/segur-insi-assertion/` for
//! `scripts/bench/insi-assertion-vs-xmlsec1`, which times `xmlsec1 --sign` on the same
//! assertion.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use segur_ins::insi::ProfessionalIdentity;
use segur_ins::insi::assertion::{AssertionOptions, AssertionStamp, cpx_assertion, psc_assertion};
use segur_net::sign::SoftwareSigner;
use segur_test_support::pki;

fn professional() -> ProfessionalIdentity {
    ProfessionalIdentity {
        national_id: "899700123456".into(),
        billing_id: "2A1234567".into(),
        amo_specialty: "50".into(),
        activity_sector: "SA33".into(),
    }
}

fn stamp() -> AssertionStamp {
    AssertionStamp {
        id: "_0b6b1c9e-0000-4000-8000-000000000000".into(),
        issued: Utc::now(),
    }
}

fn assertions(c: &mut Criterion) {
    let ca = pki::ca("TEST AC IGC-SANTE ELEMENTAIRE PERSONNES");
    let card = pki::card_signature_leaf(&ca, "PHARMACIE DU CENTRE", "899700123456", false);
    let mut signer =
        SoftwareSigner::from_pem(card.key_pem.as_bytes(), vec![card.cert_der()]).unwrap();
    let options = AssertionOptions::default();
    let p = professional();

    // The same assertion as an xmlsec1 template: digest and signature values emptied.
    let signed = cpx_assertion(&p, &options, &stamp(), &mut signer).unwrap();
    let blank = |s: &str, tag: &str| {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let a = s.find(&open).unwrap() + open.len();
        let b = s.find(&close).unwrap();
        format!("{}{}", &s[..a], &s[b..])
    };
    let template = blank(&blank(&signed, "DigestValue"), "SignatureValue");
    let dir = std::env::temp_dir().join("segur-insi-assertion");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("template.xml"), template).unwrap();
    std::fs::write(dir.join("key.pem"), &card.key_pem).unwrap();
    std::fs::write(dir.join("cert.pem"), &card.cert_pem).unwrap();

    let mut g = c.benchmark_group("insi_assertion");
    g.sample_size(50);
    g.bench_function("cpx_build_and_sign_rsa2048", |b| {
        b.iter(|| cpx_assertion(&p, &options, &stamp(), &mut signer).unwrap())
    });
    g.bench_function("psc_build", |b| {
        b.iter(|| psc_assertion(&p, &options, &stamp(), "urn:lps:segur:1.0").unwrap())
    });
    g.finish();
}

criterion_group!(benches, assertions);
criterion_main!(benches);
