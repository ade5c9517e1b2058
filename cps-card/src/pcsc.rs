//! The PC/SC backend (pcsc-lite on Linux and macOS, WinSCard on Windows): readers, card
//! events, shared or exclusive connections, transactions and reset recovery.
//!
//! A pharmacy reader is often shared by several workstations: connect in shared mode and wrap
//! each card dialogue in [`PcscCard::transaction`] (`SCardBeginTransaction`), so another
//! workstation cannot interleave its APDUs; a reset by another application surfaces as
//! `SCARD_W_RESET_CARD` and is recovered by reconnecting (see [`crate::Transport::reconnect`]).
//!
//! The PC/SC library is not linked: it is loaded the first time a context is established, as
//! OpenSC does, from [`CANDIDATES`] (`libpcsclite.so.1` then `libpcsclite.so` on Linux,
//! `PCSC.framework` on macOS, `winscard.dll` from the system directory on Windows), or from the
//! path in the environment variable [`LIBRARY_ENV`] (`SEGUR_PCSC_LIBRARY`) when set. Without
//! it, [`ReaderContext::establish`] returns [`TransportError::LibraryMissing`], whose message
//! says what to install ([`crate::PCSC_INSTALL_HINT`]).

mod scard;

use crate::error::{Error, Result, TransportError};
use crate::transport::{Protocol, Transport};
use scard::{Api, Dword, Handle, ReaderState};
use std::ffi::CString;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use scard::{CANDIDATES, LIBRARY_ENV};

/// T=0 or T=1, whichever the card offers.
const PROTOCOLS: Dword = scard::PROTOCOL_T0 | scard::PROTOCOL_T1;

/// How to share the card with other applications and workstations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Shared; use transactions for exclusive sequences (recommended).
    Shared,
    /// Exclusive for the whole connection.
    Exclusive,
}

impl Share {
    fn mode(self) -> Dword {
        match self {
            Self::Shared => scard::SHARE_SHARED,
            Self::Exclusive => scard::SHARE_EXCLUSIVE,
        }
    }
}

/// One reader and its card, as seen by `SCardGetStatusChange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderInfo {
    /// Reader name.
    pub name: String,
    /// Whether a card is present.
    pub card_present: bool,
    /// Whether another application holds the card exclusively.
    pub exclusive: bool,
    /// ATR of the card, if present.
    pub atr: Option<Vec<u8>>,
}

/// Card events to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardEvent {
    /// A card is present.
    Inserted,
    /// No card is present.
    Removed,
}

/// An established context; released when the last context or card using it is dropped.
#[derive(Debug)]
struct Context {
    api: &'static Api,
    handle: Handle,
}

impl Drop for Context {
    fn drop(&mut self) {
        // Nothing to report to: a release failure leaves nothing to clean up.
        let _ = self.api.release_context(self.handle);
    }
}

/// A PC/SC context (`SCardEstablishContext`).
pub struct ReaderContext {
    ctx: Arc<Context>,
}

impl std::fmt::Debug for ReaderContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReaderContext")
    }
}

impl ReaderContext {
    /// Connects to the PC/SC service, loading the PC/SC library on first use.
    ///
    /// # Errors
    /// [`TransportError::LibraryMissing`] when no PC/SC library can be loaded (its message
    /// says what to install), [`TransportError::NoService`] when the service (pcscd, the
    /// Windows Smart Card service) is not running.
    pub fn establish() -> Result<Self> {
        let api = scard::api()?;
        let handle = api.establish_context().map_err(TransportError::from)?;
        Ok(Self {
            ctx: Arc::new(Context { api, handle }),
        })
    }

    fn api(&self) -> &'static Api {
        self.ctx.api
    }

    /// Names of the readers (empty when there is none).
    pub fn readers(&self) -> Result<Vec<String>> {
        Ok(self
            .api()
            .list_readers(self.ctx.handle)
            .map_err(TransportError::from)?)
    }

    /// Every reader with its card state.
    pub fn list(&self) -> Result<Vec<ReaderInfo>> {
        let names = self.readers()?;
        let mut states = Vec::with_capacity(names.len());
        for n in &names {
            states.push(ReaderState::new(cstring(n)?));
        }
        if states.is_empty() {
            return Ok(Vec::new());
        }
        self.api()
            .get_status_change(self.ctx.handle, 0, &mut states)
            .map_err(TransportError::from)?;
        Ok(names
            .into_iter()
            .zip(states.iter())
            .map(|(name, s)| {
                let ev = s.event_state();
                let present = ev & scard::STATE_PRESENT != 0;
                ReaderInfo {
                    name,
                    card_present: present,
                    exclusive: ev & scard::STATE_EXCLUSIVE != 0,
                    atr: present.then(|| s.atr()),
                }
            })
            .collect())
    }

    /// The reader whose name equals `wanted`, or else the only one containing it
    /// (case-insensitive).
    pub fn find(&self, wanted: &str) -> Result<String> {
        let names = self.readers()?;
        if let Some(n) = names.iter().find(|n| *n == wanted) {
            return Ok(n.clone());
        }
        let lw = wanted.to_lowercase();
        let hits: Vec<_> = names
            .into_iter()
            .filter(|n| n.to_lowercase().contains(&lw))
            .collect();
        match hits.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(Error::NoSuchReader(wanted.to_owned())),
        }
    }

    /// Waits until `event` holds on `reader`, at most `timeout`. Returns the ATR on insertion.
    pub fn wait(
        &self,
        reader: &str,
        event: CardEvent,
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>> {
        let deadline = Instant::now() + timeout;
        let mut states = [ReaderState::new(cstring(reader)?)];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .api()
                .get_status_change(self.ctx.handle, left.as_millis(), &mut states)
            {
                Ok(()) => {}
                Err(code) => return Err(TransportError::from(code).into()),
            }
            let [state] = &mut states;
            let ev = state.event_state();
            if ev & (scard::STATE_UNKNOWN | scard::STATE_UNAVAILABLE) != 0 {
                return Err(TransportError::ReaderUnavailable.into());
            }
            let present = ev & scard::STATE_PRESENT != 0 && ev & scard::STATE_MUTE == 0;
            match event {
                CardEvent::Inserted if present => return Ok(Some(state.atr())),
                CardEvent::Removed if ev & scard::STATE_EMPTY != 0 => return Ok(None),
                _ => {}
            }
            if left.is_zero() {
                return Err(TransportError::Timeout.into());
            }
            state.sync_current_state();
        }
    }

    /// Connects to the card in `reader` (T=0 or T=1, as the card offers).
    pub fn connect(&self, reader: &str, share: Share) -> Result<PcscCard> {
        let name = cstring(reader)?;
        let (handle, active) = self
            .api()
            .connect(self.ctx.handle, &name, share.mode(), PROTOCOLS)
            .map_err(TransportError::from)?;
        let mut out = PcscCard {
            ctx: Arc::clone(&self.ctx),
            handle,
            connected: true,
            share,
            reader: reader.to_owned(),
            atr: Vec::new(),
            active,
            protocol: Protocol::Other,
        };
        out.refresh()?;
        Ok(out)
    }
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::NoSuchReader(s.to_owned()))
}

/// A connected card. Dropping it disconnects with a reset (`SCARD_RESET_CARD`), so no verified
/// PIN outlives the connection.
pub struct PcscCard {
    /// Keeps the context alive as long as the card (a card handle dies with its context).
    ctx: Arc<Context>,
    handle: Handle,
    connected: bool,
    share: Share,
    reader: String,
    atr: Vec<u8>,
    /// The active protocol as PC/SC reports it (`SCARD_PROTOCOL_*`), for `SCardTransmit`.
    active: Dword,
    protocol: Protocol,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .field("atr", &crate::Hex(&self.atr))
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl Drop for PcscCard {
    fn drop(&mut self) {
        if self.connected {
            // Nothing to report to; the reset still happens if the card is there.
            let _ = self.ctx.api.disconnect(self.handle, scard::RESET_CARD);
        }
    }
}

fn protocol_of(active: Dword) -> Protocol {
    match active {
        scard::PROTOCOL_T0 => Protocol::T0,
        scard::PROTOCOL_T1 => Protocol::T1,
        _ => Protocol::Other,
    }
}

/// Whether the `dwState` of `SCardStatus` says a card is in the reader: a bit mask in
/// pcsc-lite and macOS (`SCARD_PRESENT` = 4), an ordinal on Windows (`SCARD_PRESENT` = 2 and
/// every state above it has a card).
fn card_in_reader(state: Dword) -> bool {
    if cfg!(windows) {
        state >= 2
    } else {
        state & 0x0004 != 0
    }
}

/// How long a transmit anomaly waits for the reader to report the card's removal.
const REMOVAL_PROBE: Duration = Duration::from_millis(2_000);

impl PcscCard {
    fn api(&self) -> &'static Api {
        self.ctx.api
    }

    fn refresh(&mut self) -> Result<(), TransportError> {
        let (_, active, atr) = self.api().status(self.handle)?;
        self.atr = atr;
        self.active = active;
        self.protocol = protocol_of(active);
        Ok(())
    }

    /// After an anomaly (communication error, response without status word), asks the reader
    /// whether the card is still there: a card pulled out mid-APDU must give
    /// [`TransportError::CardRemoved`], not a generic failure. pcscd refreshes card presence
    /// asynchronously, hence the short bounded poll.
    fn removed_since(&self) -> bool {
        let end = Instant::now() + REMOVAL_PROBE;
        loop {
            match self.api().status(self.handle) {
                Err(
                    scard::Code::REMOVED_CARD | scard::Code::NO_SMARTCARD | scard::Code::RESET_CARD,
                ) => return true,
                Ok((state, _, _)) if !card_in_reader(state) => return true,
                Err(_) => return false,
                Ok(_) => {}
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn transmit_raw(&self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; scard::MAX_BUFFER_SIZE_EXTENDED];
        match self
            .api()
            .transmit(self.handle, self.active, command, &mut buf)
        {
            // ISO/IEC 7816-4 §5.1: every response ends with SW1 SW2.
            Ok(n) if n >= 2 => {
                buf.truncate(n);
                Ok(buf)
            }
            Ok(_) => Err(if self.removed_since() {
                TransportError::CardRemoved
            } else {
                TransportError::Unresponsive
            }),
            Err(code) => {
                let mapped = TransportError::from(code);
                if matches!(
                    mapped,
                    TransportError::Other(_) | TransportError::Unresponsive
                ) && self.removed_since()
                {
                    return Err(TransportError::CardRemoved);
                }
                Err(mapped)
            }
        }
    }

    fn reconnect_raw(&mut self) -> Result<(), TransportError> {
        self.api()
            .reconnect(self.handle, self.share.mode(), PROTOCOLS, scard::LEAVE_CARD)?;
        self.refresh()
    }

    /// The reader name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Starts an exclusive transaction (`SCardBeginTransaction`); it ends when dropped
    /// (`SCardEndTransaction` leaving the card as it is).
    pub fn transaction(&mut self) -> Result<PcscTransaction<'_>> {
        self.api()
            .begin_transaction(self.handle)
            .map_err(TransportError::from)?;
        Ok(PcscTransaction { card: self })
    }

    /// Disconnects, resetting the card (so no verified PIN survives the session).
    pub fn disconnect_reset(mut self) -> Result<()> {
        self.connected = false;
        self.api()
            .disconnect(self.handle, scard::RESET_CARD)
            .map_err(|code| TransportError::from(code).into())
    }
}

impl Transport for PcscCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transmit_raw(command)
    }
    fn atr(&self) -> &[u8] {
        &self.atr
    }
    fn protocol(&self) -> Protocol {
        self.protocol
    }
    fn supports_extended_length(&self) -> bool {
        extended_from_atr(&self.atr)
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        self.reconnect_raw()
    }
}

fn extended_from_atr(atr: &[u8]) -> bool {
    crate::atr::Atr::parse(atr)
        .ok()
        .and_then(|a| a.historical().ok())
        .is_some_and(|h| h.supports_extended_length())
}

/// A card inside a PC/SC transaction; usable as a [`Transport`].
pub struct PcscTransaction<'c> {
    card: &'c mut PcscCard,
}

impl std::fmt::Debug for PcscTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransaction")
            .field("protocol", &self.card.protocol)
            .finish_non_exhaustive()
    }
}

impl Drop for PcscTransaction<'_> {
    fn drop(&mut self) {
        // A failure means the card or the context is gone, which ends the transaction too.
        let _ = self
            .card
            .api()
            .end_transaction(self.card.handle, scard::LEAVE_CARD);
    }
}

impl Transport for PcscTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.card.transmit_raw(command)
    }
    fn atr(&self) -> &[u8] {
        &self.card.atr
    }
    fn protocol(&self) -> Protocol {
        self.card.protocol
    }
    fn supports_extended_length(&self) -> bool {
        extended_from_atr(&self.card.atr)
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        self.card.reconnect_raw()
    }
}
