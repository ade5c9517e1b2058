//! The precise MSSanté result codes of the TLS and token layers, from the C entry points,
//! against the real Postfix (submission STARTTLS) and Dovecot (IMAP STARTTLS) of the
//! segur-mssante tests (`test-support/src/mail_servers.rs`): a server certificate from a
//! CA the caller does not trust gives `SEGUR_RESULT_MSS_TLS_UNKNOWN_CA` (RFC 5280 §6), a host
//! name the certificate does not name `SEGUR_RESULT_MSS_TLS_NAME_MISMATCH` (RFC 6125 §6), and
//! a token that is not a bearer token `SEGUR_RESULT_MSS_TOKEN_MALFORMED` (RFC 6750 §2.1); the
//! name and the detail of each code say the same. The SMTP (5070-5077) and IMAP (5080-5088)
//! transport codes are provoked the same way: refused authentication and an unknown folder
//! against the real servers, refusals a real server cannot be made to send (`421`, `554`,
//! `* BYE`, a cut connection, a garbled greeting) from a TCP peer speaking the protocol.
#![allow(unsafe_code)] // reading the strings the library returns
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_test_support::mail_servers;
mod support;

use mail_servers::{DOMAIN, MailServers, jwt};
use segur::mss_credentials::*;
use segur::mss_mailbox::*;
use segur::mssante::*;
use segur::*;
use std::ffi::CStr;
use std::ptr;

/// A `segur_mss_credentials` handle with `roots` and `token`, freed on drop; `Err` with the
/// code `segur_mss_credentials_set_token` returned when it refuses the token.
struct Creds(*mut segur_mss_credentials);

impl Creds {
    fn new(roots: &str, token: &str) -> Result<Self, segur_result> {
        let mut c = ptr::null_mut();
        assert_eq!(segur_mss_credentials_new(&mut c), segur_result::Ok);
        let c = Self(c);
        assert_eq!(
            segur_mss_credentials_set_roots_pem(c.0, roots.as_ptr(), roots.len()),
            segur_result::Ok
        );
        match segur_mss_credentials_set_token(c.0, token.as_ptr().cast(), token.len()) {
            segur_result::Ok => Ok(c),
            r => Err(r),
        }
    }
}

impl Drop for Creds {
    fn drop(&mut self) {
        segur_mss_credentials_free(self.0);
    }
}

fn send(host: &str, port: u16, roots: &str, token: &str) -> segur_result {
    let creds = match Creds::new(roots, token) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let conn = format!(r#"{{"host":"{host}","port":{port},"timeout_secs":20}}"#);
    let options = serde_json::json!({
        "from": format!("pharma@{DOMAIN}"),
        "nil": "SEGUR-TEST-NIL-1",
        "to": [format!("doc@{DOMAIN}")],
        "subject": "Test",
        "text": "Test.",
    })
    .to_string();
    let mut out = ptr::null_mut();
    let r = segur_mss_send(
        conn.as_ptr().cast(),
        conn.len(),
        creds.0,
        options.as_ptr().cast(),
        options.len(),
        ptr::null(),
        0,
        &mut out,
    );
    assert!(out.is_null(), "outputs are written only on success");
    r
}

fn open(host: &str, port: u16, roots: &str, user: &str, token: &str) -> segur_result {
    open_folder(host, port, roots, user, token, "INBOX")
}

fn open_folder(
    host: &str,
    port: u16,
    roots: &str,
    user: &str,
    token: &str,
    folder: &str,
) -> segur_result {
    let creds = match Creds::new(roots, token) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let conn = format!(
        r#"{{"host":"{host}","port":{port},"user":"{user}","mailbox":"{folder}","timeout_secs":20}}"#
    );
    let mut mb = ptr::null_mut();
    let r = segur_mss_mailbox_new(conn.as_ptr().cast(), conn.len(), creds.0, &mut mb);
    if r == segur_result::Ok {
        segur_mss_mailbox_free(mb);
    } else {
        assert!(mb.is_null(), "outputs are written only on success");
    }
    r
}

fn name(r: segur_result) -> String {
    // SAFETY: segur_result_name returns a static NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(segur_result_name(r as u32)) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn detail() -> String {
    let mut buf = vec![0u8; 1024];
    let mut len = 0usize;
    assert_eq!(
        segur_last_error_detail(buf.as_mut_ptr().cast(), buf.len(), &mut len),
        segur_result::Ok
    );
    buf.truncate(len);
    String::from_utf8(buf).unwrap()
}

#[test]
fn tls_and_token_failures_have_precise_codes_for_smtp_and_imap() {
    let servers = MailServers::start(1_000_000);
    let roots = servers.pki.ca_pem.clone();
    let rogue = servers.pki.rogue_ca_pem.clone();
    let pharma = format!("pharma@{DOMAIN}");
    let doc = format!("doc@{DOMAIN}");
    let (smtp, imap) = (servers.submission_port, servers.imap_port);

    // The control: the same calls succeed with the right CA and host name.
    assert_eq!(
        open("localhost", imap, &roots, &doc, &jwt(&doc, 300)),
        segur_result::Ok
    );

    // A CA the caller does not trust.
    let r = send("localhost", smtp, &rogue, &jwt(&pharma, 300));
    assert_eq!(r, segur_result::MssTlsUnknownCa);
    assert_eq!(name(r), "MSS_TLS_UNKNOWN_CA");
    assert!(detail().contains("unknown CA"), "{}", detail());
    assert_eq!(
        open("localhost", imap, &rogue, &doc, &jwt(&doc, 300)),
        segur_result::MssTlsUnknownCa
    );

    // The certificate names "localhost", not 127.0.0.1.
    let r = send("127.0.0.1", smtp, &roots, &jwt(&pharma, 300));
    assert_eq!(r, segur_result::MssTlsNameMismatch);
    assert_eq!(name(r), "MSS_TLS_NAME_MISMATCH");
    assert!(detail().contains("host name"), "{}", detail());
    assert_eq!(
        open("127.0.0.1", imap, &roots, &doc, &jwt(&doc, 300)),
        segur_result::MssTlsNameMismatch
    );

    // A token with a space is not a bearer token: refused when set on the credentials, before
    // any connection, its text never in the detail.
    let r = send("localhost", smtp, &roots, "not a token");
    assert_eq!(r, segur_result::MssTokenMalformed);
    assert_eq!(name(r), "MSS_TOKEN_MALFORMED");
    assert!(!detail().contains("not a token"), "{}", detail());
    assert!(detail().contains("RFC 6750"), "{}", detail());

    // Each new code has its own message.
    for code in [
        segur_result::MssTlsUnknownCa,
        segur_result::MssTlsNameMismatch,
        segur_result::MssTlsCertificateExpired,
        segur_result::MssTlsClientCertificateRefused,
        segur_result::MssTokenMalformed,
    ] {
        assert_ne!(code.message(), segur_result::MssTls.message());
    }
}

/// A TCP peer on loopback that sends `greeting` (nothing when empty) and closes: enough to
/// provoke the refusals of the greeting stage. Returns its port.
fn one_shot_peer(greeting: &'static [u8]) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.write_all(greeting);
        let _ = s.flush();
        // Closing with unread data would reset the connection: read until the client closes.
        let _ = s.shutdown(std::net::Shutdown::Write);
        let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
    });
    (port, h)
}

#[test]
fn smtp_and_imap_failures_have_precise_codes() {
    let servers = MailServers::start(1_000_000);
    let roots = servers.pki.ca_pem.clone();
    let pharma = format!("pharma@{DOMAIN}");
    let doc = format!("doc@{DOMAIN}");
    let (smtp, imap) = (servers.submission_port, servers.imap_port);

    // Real Postfix and Dovecot: an expired token is refused by each server (RFC 4954 §6,
    // RFC 3501 §6.2.2), a folder that does not exist is a `NO` to SELECT (§6.3.1).
    let r = send("localhost", smtp, &roots, &jwt(&pharma, -60));
    assert_eq!(r, segur_result::MssSmtpAuthenticationFailed);
    assert_eq!(name(r), "MSS_SMTP_AUTHENTICATION_FAILED");
    assert!(
        detail().starts_with("SMTP: authentication refused"),
        "{}",
        detail()
    );
    let r = open("localhost", imap, &roots, &doc, &jwt(&doc, -60));
    assert_eq!(r, segur_result::MssImapAuthenticationFailed);
    assert!(
        detail().starts_with("IMAP: authentication refused"),
        "{}",
        detail()
    );
    let r = open_folder(
        "localhost",
        imap,
        &roots,
        &doc,
        &jwt(&doc, 300),
        "NoSuchFolder",
    );
    assert_eq!(r, segur_result::MssImapRefusedNo);
    assert!(
        detail().starts_with("IMAP: SELECT refused: NO"),
        "{}",
        detail()
    );

    // Refusals from a peer speaking the protocol: RFC 5321 §4.2.1 reply classes at the greeting.
    for (greeting, code, text) in [
        (
            &b"421 4.3.2 busy, try later\r\n"[..],
            segur_result::MssSmtpRefusedTransient,
            "SMTP: greeting refused: 421",
        ),
        (
            b"554 5.3.2 no service\r\n",
            segur_result::MssSmtpRefusedPermanent,
            "SMTP: greeting refused: 554",
        ),
        (
            b"hello\r\n",
            segur_result::MssSmtpProtocol,
            "SMTP: protocol violation",
        ),
        (
            b"",
            segur_result::MssSmtpConnectionClosed,
            "SMTP: connection closed by the server during greeting",
        ),
    ] {
        let (port, h) = one_shot_peer(greeting);
        assert_eq!(send("localhost", port, &roots, &jwt(&pharma, 300)), code);
        assert!(detail().starts_with(text), "{}", detail());
        h.join().unwrap();
    }
    // And RFC 3501 §7.1.5 / §7.1 at the IMAP greeting.
    for (greeting, code, text) in [
        (
            &b"* BYE overloaded\r\n"[..],
            segur_result::MssImapBye,
            "IMAP: greeting refused: BYE",
        ),
        (
            b"hello\r\n",
            segur_result::MssImapProtocol,
            "IMAP: protocol violation",
        ),
        (
            b"",
            segur_result::MssImapConnectionClosed,
            "IMAP: connection closed by the server during greeting",
        ),
    ] {
        let (port, h) = one_shot_peer(greeting);
        assert_eq!(open("localhost", port, &roots, &doc, &jwt(&doc, 300)), code);
        assert!(detail().starts_with(text), "{}", detail());
        h.join().unwrap();
    }

    // Nothing listens on a closed port: a network failure of the protocol that was asked.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    assert_eq!(
        send("127.0.0.1", closed, &roots, &jwt(&pharma, 300)),
        segur_result::MssSmtpNetwork
    );
    assert_eq!(
        open("127.0.0.1", closed, &roots, &doc, &jwt(&doc, 300)),
        segur_result::MssImapNetwork
    );

    // Every transport code has its own name and message.
    let codes = [
        segur_result::MssSmtpNetwork,
        segur_result::MssSmtpConnectionClosed,
        segur_result::MssSmtpStartTlsUnavailable,
        segur_result::MssSmtpRefusedTransient,
        segur_result::MssSmtpRefusedPermanent,
        segur_result::MssSmtpProtocol,
        segur_result::MssSmtpAuthenticationFailed,
        segur_result::MssSmtpNoUsableMechanism,
        segur_result::MssImapNetwork,
        segur_result::MssImapConnectionClosed,
        segur_result::MssImapStartTlsUnavailable,
        segur_result::MssImapRefusedNo,
        segur_result::MssImapRefusedBad,
        segur_result::MssImapBye,
        segur_result::MssImapProtocol,
        segur_result::MssImapAuthenticationFailed,
        segur_result::MssImapNoUsableMechanism,
    ];
    let messages: std::collections::BTreeSet<_> = codes.iter().map(|c| c.message()).collect();
    let names: std::collections::BTreeSet<_> = codes.iter().map(|&c| name(c)).collect();
    assert_eq!(messages.len(), codes.len());
    assert_eq!(names.len(), codes.len());
}
