//! Real Postfix (submission, STARTTLS, SASL through Dovecot, LMTP delivery) and Dovecot (IMAP
//! STARTTLS, oauth2 passdb for XOAUTH2/OAUTHBEARER, TLS client certificate login with EXTERNAL)
//! in a temporary folder on loopback ports, with a test CA generated at test time.
//!
//! The oauth2 passdb checks bearer tokens one of two ways ([`TokenCheck`]): locally, against
//! an HS256 key of the harness (fast, no network: the MSSanté client tests), or as an MSSanté
//! operator would, by RFC 7662 introspection at an OpenID provider over verified TLS (the
//! end-to-end Pro Santé Connect tests, with [`crate::oidc_provider`]).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use rcgen::KeyPair;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const DOMAIN: &str = "test.mssante.fr";
pub const HMAC_KEY: &[u8] = b"segur-test-hmac-key-0123456789abcdef";

pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// A CA the servers do not know, with a client certificate it issued.
    pub rogue_ca_pem: String,
    pub rogue_client_cert_pem: String,
    pub rogue_client_key_pem: String,
    pub ca: rcgen::Certificate,
    pub ca_key: KeyPair,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let c = crate::pki::ca(name);
    (c.cert, c.key)
}

/// A leaf of the test PKI as (certificate PEM, key PEM): see [`crate::pki::leaf_signed_by`].
pub fn leaf(
    cn: &str,
    sans: &[&str],
    client: bool,
    issuer: &rcgen::Certificate,
    issuer_key: &KeyPair,
    expired: bool,
) -> (String, String) {
    let l = crate::pki::leaf_signed_by(issuer, issuer_key, cn, sans, client, expired);
    (l.cert_pem, l.key_pem)
}

impl Pki {
    pub fn generate() -> Self {
        let (ca, ca_key) = ca("Segur Test IGC Sante Root");
        let (server_cert_pem, server_key_pem) =
            leaf("localhost", &["localhost"], false, &ca, &ca_key, false);
        let (client_cert_pem, client_key_pem) =
            leaf("app@test.mssante.fr", &[], true, &ca, &ca_key, false);
        let (rogue, rogue_key) = ca_pair_named("Rogue CA");
        let (rogue_client_cert_pem, rogue_client_key_pem) =
            leaf("app@test.mssante.fr", &[], true, &rogue, &rogue_key, false);
        Self {
            ca_pem: ca.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
            rogue_ca_pem: rogue.pem(),
            rogue_client_cert_pem,
            rogue_client_key_pem,
            ca,
            ca_key,
        }
    }
}

fn ca_pair_named(name: &str) -> (rcgen::Certificate, KeyPair) {
    ca(name)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HS256 JWT accepted by the Dovecot oauth2 passdb (local validation).
pub fn jwt(sub: &str, exp_offset_secs: i64) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(format!(
        r#"{{"sub":"{sub}","exp":{},"iat":{}}}"#,
        now + exp_offset_secs,
        now - 5
    )
    .as_bytes());
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, HMAC_KEY);
    let sig = ring::hmac::sign(&key, format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", b64(sig.as_ref()))
}

/// How Dovecot's oauth2 passdb validates the token of an XOAUTH2 or OAUTHBEARER login.
#[derive(Clone, Debug)]
pub enum TokenCheck {
    /// `introspection_mode = local` with the harness's HS256 key: tokens made by [`jwt`], the
    /// mailbox in `sub`.
    LocalHs256,
    /// `introspection_mode = post` (RFC 7662 §2.1: `token=` in a form body, the caller
    /// authenticated with HTTP Basic), refused unless the answer has `active: true`. The TLS
    /// connection to the provider is verified against `ca_pem` (`tls_ca_cert_file`).
    ///
    /// The mailbox is matched through `username_attribute` with `username_format = %Ln`: the
    /// local part of the SASL user must equal the (lower-cased) local part of that attribute
    /// of the introspection answer. With `SubjectNameID` (what PSC's introspection returns for
    /// an access token, psc.md §5.2) the professional's mailbox is `<national id>@domain`; an
    /// operator whose mailbox names differ maps them in its own passdb.
    Introspection {
        /// The introspection endpoint (`https://host:port/...`).
        endpoint: String,
        /// The resource server's client id at the provider (letters, digits, `-`, `_`, `.`).
        client_id: String,
        /// Its secret (same characters: it is written into the URL as is).
        client_secret: String,
        /// The CA of the provider's server certificate (PEM).
        ca_pem: String,
        /// The member of the answer that names the mailbox.
        username_attribute: String,
    },
}

impl TokenCheck {
    /// Lines of dovecot.conf this check adds. Introspection tests refuse several tokens in a
    /// row from 127.0.0.1: Dovecot's failure delay (`auth_failure_delay`, 2 s) and its
    /// per-address penalty (2, 4, 8 then 15 s more for each failure, counted by anvil; off
    /// when the auth process cannot reach anvil's `anvil-auth-penalty` socket) would make
    /// each refusal slower than the last. Both are brute-force brakes, not part of the token
    /// check. The HS256 mode keeps Dovecot's defaults.
    fn dovecot_conf(&self) -> &'static str {
        match self {
            Self::LocalHs256 => "",
            Self::Introspection { .. } => {
                "auth_failure_delay = 0\nservice anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
            }
        }
    }

    /// The oauth2 passdb settings (dovecot-oauth2.conf.ext of Dovecot 2.3) for this check;
    /// writes the files it needs into `root`.
    fn oauth2_conf(&self, root: &Path) -> String {
        match self {
            Self::LocalHs256 => format!(
                "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={}/keys/\nusername_attribute = sub\n",
                root.display()
            ),
            Self::Introspection {
                endpoint,
                client_id,
                client_secret,
                ca_pem,
                username_attribute,
            } => {
                let plain = |t: &str| {
                    !t.is_empty()
                        && t.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                };
                assert!(
                    plain(client_id) && plain(client_secret),
                    "the resource server's credentials go into a URL unescaped"
                );
                let rest = endpoint
                    .strip_prefix("https://")
                    .expect("an https:// introspection endpoint");
                write(&root.join("idp-ca.pem"), ca_pem);
                format!(
                    "introspection_mode = post\n\
                     introspection_url = https://{client_id}:{client_secret}@{rest}\n\
                     tls_ca_cert_file = {}/idp-ca.pem\n\
                     username_attribute = {username_attribute}\n\
                     username_format = %Ln\n\
                     active_attribute = active\n\
                     active_value = true\n\
                     timeout_msecs = 10000\n",
                    root.display()
                )
            }
        }
    }
}

pub struct MailServers {
    pub dir: tempfile::TempDir,
    pub imap_port: u16,
    pub submission_port: u16,
    pub pki: Pki,
    postfix_conf: PathBuf,
    dovecot_conf: PathBuf,
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn wait_port(port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("port {port} did not open");
}

impl MailServers {
    /// Starts Dovecot then Postfix, Dovecot checking tokens with the harness's HS256 key.
    /// `message_size_limit` is Postfix's limit in bytes.
    pub fn start(message_size_limit: usize) -> Self {
        Self::start_with(message_size_limit, &TokenCheck::LocalHs256)
    }

    /// Starts Dovecot then Postfix, Dovecot checking tokens as `check` says.
    pub fn start_with(message_size_limit: usize, check: &TokenCheck) -> Self {
        let pki = Pki::generate();
        let dir = tempfile::Builder::new()
            .prefix("segur-mss")
            .tempdir()
            .unwrap();
        let d = dir.path().to_path_buf();
        let p = |s: &str| d.join(s);
        for sub in ["run", "mail", "keys/default/HS256", "pf", "pfq", "pfd"] {
            std::fs::create_dir_all(p(sub)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p("mail"), std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        write(&p("ca.pem"), &pki.ca_pem);
        write(&p("server.pem"), &pki.server_cert_pem);
        write(&p("server.key"), &pki.server_key_pem);
        write(
            &p("keys/default/HS256/default"),
            &base64::engine::general_purpose::STANDARD.encode(HMAC_KEY),
        );
        let root = d.display();
        let dovecot_conf = p("dovecot.conf");
        let mut attempt = 0;
        let (imap_port, lmtp_port, auth_port, submission_port) = loop {
            attempt += 1;
            let imap_port = free_port();
            let lmtp_port = free_port();
            let auth_port = free_port();
            let submission_port = free_port();
            write(&p("oauth2.conf"), &check.oauth2_conf(&d));
            let extra = check.dovecot_conf();
            write(
                &dovecot_conf,
                &format!(
                    r#"base_dir = {root}/run
state_dir = {root}/run/state
log_path = {root}/dovecot.log
instance_name = segur-{imap_port}
protocols = imap lmtp
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
ssl_ca = <{root}/ca.pem
ssl_min_protocol = TLSv1.2
ssl_verify_client_cert = yes
ssl_require_crl = no
auth_ssl_username_from_cert = yes
ssl_cert_username_field = commonName
disable_plaintext_auth = yes
auth_mechanisms = xoauth2 oauthbearer external
auth_verbose = yes
{extra}mail_location = maildir:{root}/mail/%u
first_valid_uid = 8
mail_uid = mail
mail_gid = mail
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf
}}
passdb {{
  driver = static
  mechanisms = external
  args = nopassword=y
}}
userdb {{
  driver = static
  args = allow_all_users=yes uid=mail gid=mail home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {auth_port}
  }}
}}
protocol lmtp {{
  auth_username_format = %Lu
}}
"#
                ),
            );
            let st = Command::new("dovecot")
                .arg("-c")
                .arg(&dovecot_conf)
                .status()
                .unwrap();
            if st.success() {
                break (imap_port, lmtp_port, auth_port, submission_port);
            }
            // A port free_port() picked can be bound by a concurrent test before Dovecot binds
            // it: start again on fresh ports.
            assert!(
                attempt < 3,
                "dovecot did not start (see {root}/dovecot.log)"
            );
        };
        wait_port(imap_port);

        std::os::unix::fs::chown(p("pfd"), Some(postfix_uid()), None).unwrap();
        write(
            &p("pf/main.cf"),
            &format!(
                r#"compatibility_level = 3.6
queue_directory = {root}/pfq
data_directory = {root}/pfd
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.{DOMAIN}
mydomain = {DOMAIN}
myorigin = {DOMAIN}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
virtual_mailbox_domains = {DOMAIN} patient.mssante.fr
virtual_transport = lmtp:inet:127.0.0.1:{lmtp_port}
smtpd_tls_cert_file = {root}/server.pem
smtpd_tls_key_file = {root}/server.key
smtpd_tls_CAfile = {root}/ca.pem
smtpd_tls_ask_ccert = yes
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{auth_port}
smtpd_tls_auth_only = yes
smtpd_relay_restrictions = permit_sasl_authenticated, permit_tls_all_clientcerts, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, permit_tls_all_clientcerts, reject
message_size_limit = {message_size_limit}
maillog_file = {root}/postfix.log
maillog_file_prefixes = {root}
alias_maps =
alias_database =
biff = no
"#
            ),
        );
        write(
            &p("pf/master.cf"),
            &format!(
                "127.0.0.1:{submission_port} inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n  -o smtpd_tls_security_level=encrypt\n{}",
                MASTER_TAIL
            ),
        );
        let out = Command::new("postfix")
            .arg("-c")
            .arg(p("pf"))
            .arg("start")
            .output()
            .unwrap();
        assert!(out.status.success(), "postfix did not start: {out:?}");
        wait_port(submission_port);
        Self {
            dir,
            imap_port,
            submission_port,
            pki,
            postfix_conf: p("pf"),
            dovecot_conf,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Dovecot's log (authentication outcomes with `auth_verbose`; never a token).
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Waits until `user` has at least `n` delivered messages in INBOX (Maildir new/ + cur/).
    pub fn wait_delivered(&self, user: &str, n: usize) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let count = ["new", "cur"]
                .iter()
                .map(|s| {
                    std::fs::read_dir(self.path().join("mail").join(user).join(s))
                        .map(|r| r.count())
                        .unwrap_or(0)
                })
                .sum::<usize>();
            if count >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

fn postfix_uid() -> u32 {
    let out = Command::new("id").args(["-u", "postfix"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

impl Drop for MailServers {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(&self.postfix_conf)
            .arg("stop")
            .output();
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.dovecot_conf)
            .arg("stop")
            .output();
        // Postfix's master exits asynchronously: give it a moment before the folder goes.
        std::thread::sleep(Duration::from_millis(300));
    }
}

const MASTER_TAIL: &str = "pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
";

pub fn shared() -> PathBuf {
    std::env::var_os("SEGUR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}
