//! [`Upstream`] over this crate's PSC client: what `segur psc proxy` runs.
//!
//! CIBA runs in [`PscClient::ciba_login`] (which honours `interval`, `slow_down` and expiry,
//! psc.md §4) on a thread of its own per request; [`Upstream::poll`] reads its outcome without
//! blocking and [`Upstream::cancel`] stops it through its [`CancelHandle`]. The session's
//! tokens stay in the client's [`crate::PscSession`] (zeroized, refreshed before expiry); the
//! exchange goes through its [`Exchanger`], over the PSC client's certificate, which the
//! authorisation server binds the issued token to (`cnf.x5t#S256`, RFC 8705 §3): a backend's
//! `cert` in the proxy configuration must be that same certificate (the structure's ORG
//! AUTH_CLI, psc.md §7).

use super::upstream::{
    CibaPoll, CibaRequest, ExchangeTarget, PendingAuth, Professional, PscSession, Upstream,
    UpstreamError,
};
use crate::ciba::{BindingMessage, CancelHandle, Channel};
use crate::error::{CibaError, PscError};
use crate::exchange::{self, Exchanger};
use crate::{NationalId, PscClient};
use segur_net::token::AccessToken;
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the proxy looks at a running CIBA request (the client itself polls PSC at PSC's
/// interval).
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// Longest wait for a CIBA request; the client stops earlier at PSC's `expires_in`.
const CIBA_LIMIT: Duration = Duration::from_secs(600);

struct Running {
    cancel: CancelHandle,
    outcome: Receiver<Result<crate::PscSession, PscError>>,
}

/// The client's session and its exchanged tokens, kept in [`PscSession::state`].
struct CoreState {
    session: Arc<crate::PscSession>,
    exchanger: Exchanger,
    /// The [`PscUpstream`] that made it ([`PscUpstream::id`]).
    owner: u64,
}

/// Distinct ids of the upstreams of a process (one per structure's PSC client).
static NEXT_UPSTREAM_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// [`Upstream`] over a [`PscClient`].
pub struct PscUpstream {
    client: PscClient,
    running: Mutex<HashMap<String, Running>>,
    /// Sessions carry it: another upstream (another structure's PSC client) refuses them.
    id: u64,
}

impl std::fmt::Debug for PscUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PscUpstream").finish_non_exhaustive()
    }
}

impl PscUpstream {
    /// The proxy's door to PSC through `client`.
    pub fn new(client: PscClient) -> Self {
        Self {
            client,
            running: Mutex::new(HashMap::new()),
            id: NEXT_UPSTREAM_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The upstream of a proxy configuration's `[psc]` section: the client's credentials are
    /// loaded (files, environment variables) and the client built.
    pub fn from_settings(settings: &super::config::PscSettings) -> Result<Self, PscError> {
        let credentials = settings.config.load_credentials()?;
        let client = PscClient::new(settings.config.clone(), &settings.anchors, credentials)?;
        Ok(Self::new(client))
    }

    /// One upstream per structure of `config`, each over its own PSC client (`[psc]`, or
    /// `[structures.<name>.psc]`), for [`super::ProxyServer::start_structures`]. A structure
    /// without its PSC section is refused, named.
    pub fn for_structures(
        config: &super::ProxyConfig,
    ) -> Result<std::collections::BTreeMap<String, Arc<dyn Upstream>>, StructureError> {
        let mut out = std::collections::BTreeMap::new();
        for (name, structure) in &config.structures {
            let Some(settings) = &structure.psc else {
                return Err(StructureError::NoPsc(name.clone()));
            };
            let upstream = Self::from_settings(settings).map_err(|source| StructureError::Psc {
                structure: name.clone(),
                source,
            })?;
            out.insert(name.clone(), Arc::new(upstream) as Arc<dyn Upstream>);
        }
        Ok(out)
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        match self.running.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// Why the PSC client of a structure could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StructureError {
    /// The structure has no PSC section (`[psc]` without structures, else
    /// `[structures.<name>.psc]`).
    #[error("{}", no_psc(.0))]
    NoPsc(String),
    /// Its PSC client could not be built (credentials, anchors).
    #[error("structure {structure}: Pro Santé Connect client: {source}")]
    Psc {
        /// The structure.
        structure: String,
        /// Why.
        #[source]
        source: PscError,
    },
}

fn no_psc(structure: &str) -> String {
    let section = if structure == super::config::IMPLICIT_STRUCTURE {
        "[psc]".to_owned()
    } else {
        format!("[structures.{structure}.psc]")
    };
    format!("no {section} section (the PSC client configuration and its CA)")
}

fn upstream_err(e: PscError) -> UpstreamError {
    match e {
        PscError::Ciba(CibaError::Denied) => UpstreamError::Denied,
        PscError::Ciba(CibaError::Expired | CibaError::Cancelled) => UpstreamError::Expired,
        PscError::Http(e) => UpstreamError::Unavailable(e.to_string()),
        other => UpstreamError::Refused(other.to_string()),
    }
}

impl PscUpstream {
    /// The session's state, when this upstream made it: a session of another PSC client (of
    /// another structure) is refused, never refreshed, exchanged or logged out with this
    /// client's credentials.
    fn core<'a>(&self, session: &'a PscSession) -> Result<&'a CoreState, UpstreamError> {
        session
            .state
            .downcast_ref::<CoreState>()
            .filter(|c| c.owner == self.id)
            .ok_or_else(|| {
                UpstreamError::Refused("a session of another PSC client (structure)".into())
            })
    }
}

impl Upstream for PscUpstream {
    fn start_ciba(&self, request: &CibaRequest<'_>) -> Result<PendingAuth, UpstreamError> {
        let national_id = NationalId::new(request.national_id)
            .map_err(|e| UpstreamError::Refused(format!("nationalId: {e}")))?;
        let binding_message = BindingMessage::new(request.binding_message.as_str())
            .ok_or_else(|| UpstreamError::Refused("bindingMessage".into()))?;
        let channel = match request.channel {
            super::upstream::Channel::Card => Channel::Card,
            super::upstream::Channel::Mobile => Channel::Mobile,
        };
        let core_request = crate::CibaRequest {
            national_id,
            binding_message,
            channel: Some(channel),
        };
        // A random key for this request in the proxy's table (never sent anywhere).
        let id = super::session::AppToken::generate()
            .map_err(|_| UpstreamError::Unavailable("no random source".into()))?
            .expose()
            .to_owned();
        let cancel = CancelHandle::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let client = self.client.clone();
        let thread_cancel = cancel.clone();
        std::thread::Builder::new()
            .name("psc-ciba".into())
            .spawn(move || {
                let outcome = client.ciba_login(&core_request, &thread_cancel, &mut |_| {});
                let _ = tx.send(outcome);
            })
            .map_err(|e| UpstreamError::Unavailable(format!("CIBA thread: {e}")))?;
        self.table().insert(
            id.clone(),
            Running {
                cancel,
                outcome: rx,
            },
        );
        Ok(PendingAuth::new(id, LOOK_EVERY, CIBA_LIMIT))
    }

    fn poll(&self, pending: &PendingAuth) -> Result<CibaPoll, UpstreamError> {
        let mut table = self.table();
        let Some(running) = table.get(pending.auth_req_id()) else {
            return Err(UpstreamError::Expired);
        };
        let outcome = match running.outcome.try_recv() {
            Err(TryRecvError::Empty) => return Ok(CibaPoll::Pending),
            Err(TryRecvError::Disconnected) => {
                Err(UpstreamError::Unavailable("the CIBA thread ended".into()))
            }
            Ok(r) => r.map_err(upstream_err),
        };
        table.remove(pending.auth_req_id());
        let session = Arc::new(outcome?);
        let p = session.professional();
        let professional = Professional {
            national_id: p.national_id.as_str().to_owned(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
        };
        Ok(CibaPoll::Approved(Box::new(PscSession {
            session_state: session.session_state().unwrap_or_default().to_owned(),
            professional,
            state: Box::new(CoreState {
                exchanger: Exchanger::new(session.clone()),
                session,
                owner: self.id,
            }),
        })))
    }

    fn cancel(&self, pending: &PendingAuth) {
        if let Some(running) = self.table().remove(pending.auth_req_id()) {
            running.cancel.cancel();
        }
    }

    fn exchange(
        &self,
        session: &PscSession,
        target: &ExchangeTarget<'_>,
    ) -> Result<AccessToken, UpstreamError> {
        let core = self.core(session)?;
        core.exchanger
            .token_for(&exchange::ExchangeTarget {
                token_endpoint: target.token_endpoint.to_owned(),
                audience: target.audience.map(str::to_owned),
                scope: target.scope.map(str::to_owned),
                subject_issuer: None,
                client_id: None,
            })
            .map(|t| t.token)
            .map_err(upstream_err)
    }

    fn access_token(&self, session: &PscSession) -> Result<AccessToken, UpstreamError> {
        self.core(session)?
            .session
            .access_token()
            .map_err(upstream_err)
    }

    fn logout(&self, session: &PscSession) -> Result<(), UpstreamError> {
        self.core(session)?.session.logout().map_err(upstream_err)
    }
}
