//! Throughput of sending 1,000 messages through the local Postfix, compared with Python's
//! smtplib sending the same messages to the same server in the same run. A measurement, not an
//! assertion: `cargo test -p segur-mssante --release --test throughput -- --ignored --nocapture`.
//! Writes the numbers to `target/mss-throughput.txt`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_test_support as support;

use segur_mssante::compose::{MessageBuilder, ProductReference, Subject};
use segur_mssante::discovery::Endpoint;
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::tls::{TlsSettings, TrustAnchors};
use segur_mssante::token::{AccessToken, Authentication, OAuthMechanism, TokenProvider};
use segur_mssante::{MailAddress, Recipient};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use support::mail_servers::{self, DOMAIN, MailServers, jwt};

const N: usize = 1000;

struct Jwt;
impl TokenProvider for Jwt {
    fn access_token(&self) -> Result<AccessToken, segur_mssante::token::TokenError> {
        AccessToken::new(
            jwt(&format!("pharma@{DOMAIN}"), 600),
            SystemTime::now() + Duration::from_secs(600),
        )
    }
}

const PY: &str = r#"
import smtplib, ssl, sys, os, time, base64
port, ca, token, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
files = sorted(os.listdir(folder))
msgs = [open(os.path.join(folder, f), 'rb').read() for f in files]
start = time.perf_counter()
s = smtplib.SMTP('localhost', port, local_hostname='lgo.test')
s.starttls(context=ssl.create_default_context(cafile=ca))
s.ehlo()
user = 'pharma@test.mssante.fr'
code, _ = s.docmd('AUTH', 'XOAUTH2 ' + base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode())
assert code == 235, code
for m in msgs:
    s.sendmail(user, ['doc@test.mssante.fr'], m)
s.quit()
print(time.perf_counter() - start)
"#;

#[test]
#[ignore = "measurement: run explicitly"]
fn throughput_1000_messages_vs_python_smtplib() {
    let servers = MailServers::start(50_000_000);
    let ca = servers.path().join("ca.pem");
    let anchors = TrustAnchors::from_pem(servers.pki.ca_pem.as_bytes()).unwrap();
    let tls = TlsSettings::new(&anchors, None).unwrap();
    let cda =
        std::fs::read(mail_servers::shared().join("ans-kit/ExemplesCDA/VAC-NOTE_2023.01.xml"))
            .unwrap();
    let (xdm, _) = segur_dmp_cda::pack_cda(
        &cda,
        None,
        &segur_dmp_cda::PackOptions {
            source_id: "1.2.250.1.213.4.1.1.1".into(),
            sender: segur_dmp_cda::XdmSender {
                organization: "Pharmacie du Centre (FINESS 750000001)".into(),
                contact: "pharma@test.mssante.fr".into(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let from = MailAddress::parse("pharma@test.mssante.fr").unwrap();
    let to = Recipient::professional(MailAddress::parse("doc@test.mssante.fr").unwrap()).unwrap();
    let nil = ProductReference::new("LGO-BENCH").unwrap();
    let messages: Vec<_> = (0..N)
        .map(|i| {
            MessageBuilder::new(from.clone(), nil.clone())
                .to(to.clone())
                .subject(Subject::xdm(&format!("VAC-NOTE {i}")).unwrap())
                .text("Note de vaccination")
                .xdm(xdm.clone())
                .build()
                .unwrap()
        })
        .collect();
    let folder = servers.path().join("py-messages");
    std::fs::create_dir_all(&folder).unwrap();
    for (i, m) in messages.iter().enumerate() {
        std::fs::write(folder.join(format!("{i:05}.eml")), m.bytes()).unwrap();
    }
    let bytes: usize = messages.iter().map(|m| m.bytes().len()).sum();

    let settings = SmtpSettings {
        endpoint: Endpoint::new("localhost", servers.submission_port),
        tls,
        auth: Authentication::OAuth {
            user: from.clone(),
            provider: Arc::new(Jwt),
            mechanism: OAuthMechanism::XOAuth2,
        },
        hello_name: "lgo.test".into(),
        timeout: Duration::from_secs(60),
    };
    let start = Instant::now();
    let mut session = SmtpSession::connect(&settings).unwrap();
    for m in &messages {
        assert!(session.send(m, None).unwrap().all_accepted());
    }
    session.quit().unwrap();
    let rust = start.elapsed().as_secs_f64();

    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(PY)
        .arg(servers.submission_port.to_string())
        .arg(&ca)
        .arg(jwt(&format!("pharma@{DOMAIN}"), 600))
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let python: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let report = format!(
        "messages: {N} ({} KiB each)\nsegur-mssante: {rust:.3} s ({:.0} msg/s)\npython smtplib: {python:.3} s ({:.0} msg/s)\nratio (python time / segur time): {:.2}x\n",
        bytes / N / 1024,
        N as f64 / rust,
        N as f64 / python,
        python / rust
    );
    println!("{report}");
    let target =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/mss-throughput.txt");
    std::fs::write(target, &report).unwrap();
}
