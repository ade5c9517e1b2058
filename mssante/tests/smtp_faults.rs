//! SMTP failure cases that a real Postfix cannot be made to produce on demand: a server closing
//! the connection in the middle of DATA, an expired server certificate, a server without
//! STARTTLS, a recipient refused among accepted ones. A scripted rustls server plays them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use segur_test_support as support;

use support::mail_servers;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use segur_mssante::compose::{MessageBuilder, ProductReference, Subject};
use segur_mssante::discovery::Endpoint;
use segur_mssante::smtp::{SmtpSession, SmtpSettings};
use segur_mssante::tls::{TlsError, TlsSettings, TrustAnchors};
use segur_mssante::token::Authentication;
use segur_mssante::{MailAddress, MssError, Recipient, SmtpError};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq)]
enum Script {
    CloseMidData,
    NoStartTls,
    OneRecipientRefused,
}

struct Fixture {
    anchors: TrustAnchors,
    server: Arc<rustls::ServerConfig>,
    expired: Arc<rustls::ServerConfig>,
}

fn server_config(cert_pem: &str, key_pem: &str) -> Arc<rustls::ServerConfig> {
    let chain = vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    )
}

fn fixture() -> Fixture {
    let pki = mail_servers::Pki::generate();
    let (exp_cert, exp_key) = mail_servers::leaf(
        "localhost",
        &["localhost"],
        false,
        &pki.ca,
        &pki.ca_key,
        true,
    );
    Fixture {
        anchors: TrustAnchors::from_pem(pki.ca_pem.as_bytes()).unwrap(),
        server: server_config(&pki.server_cert_pem, &pki.server_key_pem),
        expired: server_config(&exp_cert, &exp_key),
    }
}

fn line<R: BufRead>(r: &mut R) -> String {
    let mut s = String::new();
    r.read_line(&mut s).unwrap();
    s
}

/// Serves one connection following `script`; returns the port.
fn serve(config: Arc<rustls::ServerConfig>, script: Script) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.write_all(b"220 fake ESMTP\r\n").unwrap();
        let mut r = BufReader::new(tcp.try_clone().unwrap());
        assert!(line(&mut r).starts_with("EHLO"));
        if script == Script::NoStartTls {
            tcp.write_all(b"250-fake\r\n250 SIZE 1000000\r\n").unwrap();
            let _ = line(&mut r);
            return;
        }
        tcp.write_all(b"250-fake\r\n250 STARTTLS\r\n").unwrap();
        assert!(line(&mut r).starts_with("STARTTLS"));
        tcp.write_all(b"220 go ahead\r\n").unwrap();
        let mut conn = rustls::ServerConnection::new(config).unwrap();
        let mut tcp2: TcpStream = tcp;
        while conn.is_handshaking() {
            if conn.complete_io(&mut tcp2).is_err() {
                return; // the client refused our certificate
            }
        }
        let mut tls = rustls::StreamOwned::new(conn, tcp2);
        let read_line = |tls: &mut rustls::StreamOwned<rustls::ServerConnection, TcpStream>| {
            let mut out = Vec::new();
            let mut b = [0u8; 1];
            while tls.read(&mut b).unwrap_or(0) == 1 {
                out.push(b[0]);
                if b[0] == b'\n' {
                    break;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        };
        assert!(read_line(&mut tls).starts_with("EHLO"));
        tls.write_all(b"250-fake\r\n250 8BITMIME\r\n").unwrap();
        assert!(read_line(&mut tls).starts_with("MAIL FROM:"));
        tls.write_all(b"250 ok\r\n").unwrap();
        let rcpt = read_line(&mut tls);
        assert!(rcpt.starts_with("RCPT TO:"));
        if script == Script::OneRecipientRefused {
            tls.write_all(b"550 5.1.1 <refused@test.mssante.fr>: unknown user\r\n")
                .unwrap();
            assert!(read_line(&mut tls).starts_with("RCPT TO:"));
        }
        tls.write_all(b"250 ok\r\n").unwrap();
        assert!(read_line(&mut tls).starts_with("DATA"));
        tls.write_all(b"354 go\r\n").unwrap();
        if script == Script::CloseMidData {
            let mut buf = [0u8; 2048];
            let _ = tls.read(&mut buf);
            tls.conn.send_close_notify();
            let _ = tls.flush();
            return; // drop: the connection closes in the middle of DATA
        }
        loop {
            let l = read_line(&mut tls);
            if l == ".\r\n" || l.is_empty() {
                break;
            }
        }
        tls.write_all(b"250 2.0.0 queued as FAKE1\r\n").unwrap();
        let _ = read_line(&mut tls);
        let _ = tls.write_all(b"221 bye\r\n");
    });
    (port, handle)
}

fn settings(f: &Fixture, port: u16) -> SmtpSettings {
    SmtpSettings {
        endpoint: Endpoint::new("localhost", port),
        tls: TlsSettings::new(&f.anchors, None).unwrap(),
        auth: Authentication::ClientCertificate,
        hello_name: "lgo.test".into(),
        timeout: Duration::from_secs(10),
    }
}

fn message(recipients: &[&str]) -> segur_mssante::OutgoingMessage {
    let mut b = MessageBuilder::new(
        MailAddress::parse("pharma@test.mssante.fr").unwrap(),
        ProductReference::new("NIL").unwrap(),
    )
    .subject(Subject::plain("s").unwrap())
    .text(&"ligne de texte\r\n".repeat(20_000));
    for r in recipients {
        b = b.to(Recipient::professional(MailAddress::parse(r).unwrap()).unwrap());
    }
    b.build().unwrap()
}

#[test]
fn connection_closed_mid_data_is_an_error_not_a_success() {
    let f = fixture();
    let (port, h) = serve(f.server.clone(), Script::CloseMidData);
    let mut s = SmtpSession::connect(&settings(&f, port)).unwrap();
    let err = s
        .send(&message(&["doc@test.mssante.fr"]), None)
        .expect_err("a message cut in DATA must not be reported sent");
    assert!(
        matches!(
            err,
            MssError::Smtp(SmtpError::ConnectionClosed { .. } | SmtpError::Io { .. })
        ),
        "{err:?}"
    );
    // The layer is a source of its own, and a cut connection may be retried.
    let MssError::Smtp(smtp) = &err else {
        unreachable!()
    };
    assert!(smtp.is_transient());
    assert!(std::error::Error::source(&err).is_some_and(|s| s.is::<SmtpError>()));
    h.join().unwrap();
}

#[test]
fn expired_server_certificate_is_refused() {
    let f = fixture();
    let (port, h) = serve(f.expired.clone(), Script::CloseMidData);
    let err = SmtpSession::connect(&settings(&f, port)).unwrap_err();
    match err {
        MssError::Tls(TlsError::Expired) => {}
        other => panic!("{other:?}"),
    }
    h.join().unwrap();
}

#[test]
fn server_without_starttls_is_refused() {
    let f = fixture();
    let (port, h) = serve(f.server.clone(), Script::NoStartTls);
    assert!(matches!(
        SmtpSession::connect(&settings(&f, port)),
        Err(MssError::Smtp(SmtpError::StartTlsUnavailable))
    ));
    h.join().unwrap();
}

#[test]
fn per_recipient_result() {
    let f = fixture();
    let (port, h) = serve(f.server.clone(), Script::OneRecipientRefused);
    let mut s = SmtpSession::connect(&settings(&f, port)).unwrap();
    let report = s
        .send(
            &message(&["refused@test.mssante.fr", "doc@test.mssante.fr"]),
            None,
        )
        .unwrap();
    let refused = report.recipients[0].result.as_ref().unwrap_err();
    assert_eq!(refused.code, 550);
    assert!(!refused.is_transient());
    assert!(report.recipients[1].result.is_ok());
    assert!(!report.all_accepted());
    s.quit().unwrap();
    h.join().unwrap();
}
