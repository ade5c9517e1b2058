//! The desktop side: [`ProxyTokenProvider`] signs the professional in through the vendor's
//! proxy e-Santé (CIBA on the card or the e-CPS) and holds only the proxy's application token
//! (IG `principes_securisation.md`; psc.md §0). Requests to PSC-protected HTTP APIs go through
//! the proxy ([`ProxyTokenProvider::send`], the `/send` route of the ANS API); protocols the
//! proxy cannot relay (MSSanté SASL over SMTP and IMAP) get the backend's token from the proxy
//! through [`segur_net::token::TokenProvider`], when the proxy's configuration releases it.
//!
//! Every call is blocking, over the SDK's one HTTPS client with mutual TLS (the desktop's
//! certificate is what the proxy binds the session to).

use crate::proxy::api::{ConnectRequest, ErrorBody, SessionResponse, TokenResponse};
use crate::proxy::upstream::{BindingMessage, Channel};
use crate::view::WhoamiView;
use segur_net::http::{HttpClient, HttpError, HttpLimits, HttpResponse};
use segur_net::tls::TlsSettings;
use segur_net::token::{AccessToken, TokenError, TokenProvider};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use zeroize::Zeroizing;

/// How long a login may wait for the professional (CIBA requests of PSC live a few minutes;
/// the proxy gives up on its own at their expiry).
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(330);

/// How often [`LoginProgress::Waiting`] is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Why a desktop call failed. The text never holds a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DesktopError {
    /// The proxy could not be reached, or TLS failed (unknown CA, name, expiry, certificate).
    #[error("proxy e-Santé: {0}")]
    Http(#[from] HttpError),
    /// The proxy answered with an error (its `code`: `access_denied`, `expired_token`,
    /// `unknown_client`, `session_expired`, `foreign_token`, …).
    #[error("proxy e-Santé refused ({status} {code}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The proxy's error code.
        code: String,
        /// The proxy's message (control characters removed).
        message: String,
    },
    /// The proxy's answer is not the JSON of its API.
    #[error("proxy e-Santé: unexpected answer: {0}")]
    BadAnswer(String),
    /// No session: log in first.
    #[error("not signed in to the proxy e-Santé")]
    NotSignedIn,
    /// An argument that cannot be sent (empty national id, bad channel, bad URL).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which argument.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// What a blocking login reports while it runs, on the caller's thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginProgress<'a> {
    /// The request is sent: show this code; the professional finds it on the card reader's
    /// or the phone's prompt (CIBA `binding_message`).
    Started {
        /// The two digits to show.
        binding_message: &'a str,
    },
    /// Still waiting for the professional (reported every half second).
    Waiting {
        /// Time since the start.
        elapsed: Duration,
    },
    /// Signed in.
    Connected,
}

/// Where the proxy is and who the desktop is.
#[derive(Clone, Debug)]
pub struct ProxySettings {
    /// The proxy's base URL (`https://proxy.example:8443`).
    pub url: String,
    /// TLS: the proxy's trust anchors and the desktop's certificate (required by the proxy).
    pub tls: TlsSettings,
    /// The desktop software's client id, as configured in the proxy.
    pub client_id: String,
}

struct Shared {
    http: HttpClient,
    login_http: HttpClient,
    base: String,
    client_id: String,
    token: Mutex<Option<Zeroizing<String>>>,
}

/// A [`TokenProvider`] backed by the proxy e-Santé, and the desktop's handle on its session.
/// Clones share the session; [`Self::for_backend`] selects the backend whose token
/// [`TokenProvider::access_token`] asks for.
#[derive(Clone)]
pub struct ProxyTokenProvider {
    shared: Arc<Shared>,
    backend: Option<String>,
}

impl fmt::Debug for ProxyTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyTokenProvider")
            .field("proxy", &self.shared.base)
            .field("client_id", &self.shared.client_id)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn lock(
    m: &Mutex<Option<Zeroizing<String>>>,
) -> std::sync::MutexGuard<'_, Option<Zeroizing<String>>> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The proxy's error object, from an HTTP status error.
fn refused(e: HttpError) -> DesktopError {
    match e {
        HttpError::Status { code, response } => {
            let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
            let clean = |s: String| s.chars().filter(|c| !c.is_control()).take(300).collect();
            match body {
                Some(b) => DesktopError::Refused {
                    status: code,
                    code: clean(b.code),
                    message: clean(b.message),
                },
                None => DesktopError::Refused {
                    status: code,
                    code: "http".into(),
                    message: format!("HTTP status {code}"),
                },
            }
        }
        other => DesktopError::Http(other),
    }
}

fn json<T: serde::de::DeserializeOwned>(r: &HttpResponse) -> Result<T, DesktopError> {
    serde_json::from_slice(&r.body).map_err(|e| DesktopError::BadAnswer(e.to_string()))
}

/// A path segment the proxy routes on: letters, digits, `-`, `_`, `.`.
fn check_name(what: &'static str, name: &str) -> Result<(), DesktopError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(DesktopError::Invalid {
            what,
            reason: "1 to 64 letters, digits, '-', '_' or '.'",
        })
    }
}

impl ProxyTokenProvider {
    /// A provider for the proxy of `settings`, not signed in yet.
    pub fn new(settings: ProxySettings) -> Result<Self, DesktopError> {
        if !settings.url.starts_with("https://") {
            return Err(DesktopError::Invalid {
                what: "proxy URL",
                reason: "an https:// URL is required",
            });
        }
        check_name("client id", &settings.client_id)?;
        let config = settings.tls.client_config();
        let login_limits = HttpLimits {
            exchange_timeout: LOGIN_TIMEOUT,
            max_body_bytes: 64 * 1024,
            ..HttpLimits::default()
        };
        Ok(Self {
            shared: Arc::new(Shared {
                http: HttpClient::with_config(config.clone(), HttpLimits::default()),
                login_http: HttpClient::with_config(config, login_limits),
                base: settings.url.trim_end_matches('/').to_owned(),
                client_id: settings.client_id,
                token: Mutex::new(None),
            }),
            backend: None,
        })
    }

    /// The same session, giving the token of `backend` as [`TokenProvider`].
    pub fn for_backend(&self, backend: &str) -> Result<Self, DesktopError> {
        check_name("backend", backend)?;
        Ok(Self {
            shared: self.shared.clone(),
            backend: Some(backend.to_owned()),
        })
    }

    /// Resumes a session whose application token the caller kept (in memory) from an earlier
    /// login of the same desktop.
    pub fn resume(&self, application_token: &str) -> Result<(), DesktopError> {
        AccessToken::new(application_token.to_owned(), SystemTime::now()).map_err(|_| {
            DesktopError::Invalid {
                what: "application token",
                reason: "not a bearer token (RFC 6750 §2.1)",
            }
        })?;
        *lock(&self.shared.token) = Some(Zeroizing::new(application_token.to_owned()));
        Ok(())
    }

    /// The application token, to keep for [`Self::resume`] (the only secret the desktop has).
    pub fn application_token(&self) -> Option<Zeroizing<String>> {
        lock(&self.shared.token).clone()
    }

    fn bearer(&self) -> Result<Zeroizing<String>, DesktopError> {
        lock(&self.shared.token)
            .as_ref()
            .map(|t| Zeroizing::new(format!("Bearer {}", t.as_str())))
            .ok_or(DesktopError::NotSignedIn)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shared.base)
    }

    /// Signs `national_id` in by CIBA on `channel`, blocking until the professional approves,
    /// refuses, or the request expires; `progress` is called on this thread (the binding
    /// message first, then every half second). A session this provider already holds for the
    /// same professional is replayed by the proxy without a new CIBA.
    pub fn login(
        &self,
        national_id: &str,
        channel: Channel,
        progress: &mut dyn FnMut(LoginProgress<'_>),
    ) -> Result<WhoamiView, DesktopError> {
        let id = national_id.trim();
        if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
            return Err(DesktopError::Invalid {
                what: "national id",
                reason: "1 to 64 characters without control characters",
            });
        }
        let binding = BindingMessage::random();
        let body = serde_json::to_vec(&ConnectRequest {
            national_id: id.to_owned(),
            binding_message: binding.as_str().to_owned(),
            client_id: self.shared.client_id.clone(),
            channel: channel.as_str().to_owned(),
        })
        .map_err(|e| DesktopError::BadAnswer(e.to_string()))?;
        let previous = self.bearer().ok();
        progress(LoginProgress::Started {
            binding_message: binding.as_str(),
        });
        let start = Instant::now();
        let url = self.url("/connect");
        let (tx, rx) = std::sync::mpsc::channel();
        let result = std::thread::scope(|scope| {
            let http = &self.shared.login_http;
            let (url, body, previous) = (&url, &body, &previous);
            scope.spawn(move || {
                let headers: Vec<(&str, &str)> = previous
                    .as_ref()
                    .map(|b| vec![("Authorization", b.as_str())])
                    .unwrap_or_default();
                let _ = tx.send(http.post(url, "application/json", &headers, body));
            });
            loop {
                match rx.recv_timeout(PROGRESS_EVERY) {
                    Ok(r) => break r,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        progress(LoginProgress::Waiting {
                            elapsed: start.elapsed(),
                        });
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        break Err(HttpError::Protocol("login thread ended".into()));
                    }
                }
            }
        });
        let response = result.map_err(refused)?;
        let session: SessionResponse = json(&response)?;
        *lock(&self.shared.token) = Some(Zeroizing::new(session.proxy_session_id));
        progress(LoginProgress::Connected);
        self.whoami()
    }

    /// Who is signed in (claims, never tokens).
    pub fn whoami(&self) -> Result<WhoamiView, DesktopError> {
        let bearer = self.bearer()?;
        let r = self
            .shared
            .http
            .get_with_headers(
                &self.url("/session"),
                "application/json",
                &[("Authorization", &bearer)],
            )
            .map_err(refused)?;
        json(&r)
    }

    /// Closes the session: the proxy removes it and logs out of PSC (SC.SSI/IE.38). The
    /// application token is forgotten even when the proxy cannot be reached.
    pub fn logout(&self) -> Result<(), DesktopError> {
        let bearer = self.bearer()?;
        let taken = lock(&self.shared.token).take();
        drop(taken);
        self.shared
            .http
            .send(
                "DELETE",
                &self.url("/disconnect"),
                &[("Authorization", &bearer)],
                None,
            )
            .map_err(refused)?;
        Ok(())
    }

    /// Sends a request to `backend` through the proxy (`/send/<backend>/<path>`): the proxy
    /// adds the backend's token and the backend certificate. The backend's answer comes back
    /// as it is; a non-2xx answer is [`DesktopError::Http`] with [`HttpError::Status`].
    pub fn send(
        &self,
        method: &str,
        backend: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<HttpResponse, DesktopError> {
        check_name("backend", backend)?;
        let bearer = self.bearer()?;
        let mut headers = vec![("Authorization", bearer.as_str())];
        if let Some(ct) = content_type {
            headers.push(("Content-Type", ct));
        }
        let url = self.url(&format!("/send/{backend}/{}", path.trim_start_matches('/')));
        Ok(self.shared.http.send(method, &url, &headers, body)?)
    }
}

impl TokenProvider for ProxyTokenProvider {
    /// The token of the selected backend ([`Self::for_backend`]), from the proxy's
    /// `GET /token/<backend>`: exchanged, or the PSC access token, as the backend's `token`
    /// setting in the proxy says.
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        let backend = self
            .backend
            .as_deref()
            .ok_or_else(|| TokenError::Provider("no backend selected (for_backend)".into()))?;
        let bearer = self
            .bearer()
            .map_err(|e| TokenError::Provider(e.to_string()))?;
        let r = self
            .shared
            .http
            .get_with_headers(
                &self.url(&format!("/token/{backend}")),
                "application/json",
                &[("Authorization", &bearer)],
            )
            .map_err(|e| TokenError::Provider(refused(e).to_string()))?;
        let t: TokenResponse = json(&r).map_err(|e| TokenError::Provider(e.to_string()))?;
        AccessToken::new(
            t.access_token,
            SystemTime::now() + Duration::from_secs(t.expires_in),
        )
    }
}
