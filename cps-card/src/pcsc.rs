//! The PC/SC backend (pcsc-lite on Linux and macOS, WinSCard on Windows): readers, card
//! events, shared or exclusive connections, transactions and reset recovery.
//!
//! A pharmacy reader is often shared by several workstations: connect in shared mode and wrap
//! each card dialogue in [`PcscCard::transaction`] (`SCardBeginTransaction`), so another
//! workstation cannot interleave its APDUs; a reset by another application surfaces as
//! `SCARD_W_RESET_CARD` and is recovered by reconnecting (see [`crate::Transport::reconnect`]).

use crate::error::{Error, Result, TransportError};
use crate::transport::{Protocol, Transport};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use std::ffi::CString;
use std::time::{Duration, Instant};

fn map_err(e: pcsc::Error) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::RemovedCard => TransportError::CardRemoved,
        E::ResetCard => TransportError::CardReset,
        E::NoSmartcard => TransportError::NoCard,
        E::UnresponsiveCard | E::UnpoweredCard => TransportError::Unresponsive,
        E::ReaderUnavailable | E::UnknownReader => TransportError::ReaderUnavailable,
        E::SharingViolation => TransportError::SharingViolation,
        E::NoService | E::ServiceStopped => TransportError::NoService,
        E::Timeout => TransportError::Timeout,
        other => TransportError::Other(other.to_string()),
    }
}

/// How to share the card with other applications and workstations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Shared; use transactions for exclusive sequences (recommended).
    Shared,
    /// Exclusive for the whole connection.
    Exclusive,
}

impl Share {
    fn mode(self) -> ShareMode {
        match self {
            Self::Shared => ShareMode::Shared,
            Self::Exclusive => ShareMode::Exclusive,
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

/// A PC/SC context (`SCardEstablishContext`).
pub struct ReaderContext {
    ctx: Context,
}

impl std::fmt::Debug for ReaderContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReaderContext")
    }
}

impl ReaderContext {
    /// Connects to the PC/SC service.
    pub fn establish() -> Result<Self> {
        let ctx = Context::establish(Scope::User).map_err(map_err)?;
        Ok(Self { ctx })
    }

    /// Names of the readers (empty when there is none).
    pub fn readers(&self) -> Result<Vec<String>> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(map_err(e).into()),
        }
    }

    /// Every reader with its card state.
    pub fn list(&self) -> Result<Vec<ReaderInfo>> {
        let names = self.readers()?;
        let mut states = Vec::with_capacity(names.len());
        for n in &names {
            states.push(ReaderState::new(cstring(n)?, State::UNAWARE));
        }
        if states.is_empty() {
            return Ok(Vec::new());
        }
        self.ctx
            .get_status_change(Duration::ZERO, &mut states)
            .map_err(map_err)?;
        Ok(names
            .into_iter()
            .zip(states.iter())
            .map(|(name, s)| {
                let ev = s.event_state();
                let present = ev.contains(State::PRESENT);
                ReaderInfo {
                    name,
                    card_present: present,
                    exclusive: ev.contains(State::EXCLUSIVE),
                    atr: present.then(|| s.atr().to_vec()),
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
        let mut states = [ReaderState::new(cstring(reader)?, State::UNAWARE)];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ctx.get_status_change(left, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => return Err(TransportError::Timeout.into()),
                Err(e) => return Err(map_err(e).into()),
            }
            let ev = states[0].event_state();
            if ev.contains(State::UNKNOWN) || ev.contains(State::UNAVAILABLE) {
                return Err(TransportError::ReaderUnavailable.into());
            }
            let present = ev.contains(State::PRESENT) && !ev.contains(State::MUTE);
            match event {
                CardEvent::Inserted if present => return Ok(Some(states[0].atr().to_vec())),
                CardEvent::Removed if ev.contains(State::EMPTY) => return Ok(None),
                _ => {}
            }
            if left.is_zero() {
                return Err(TransportError::Timeout.into());
            }
            states[0].sync_current_state();
        }
    }

    /// Connects to the card in `reader` (T=0 or T=1, as the card offers).
    pub fn connect(&self, reader: &str, share: Share) -> Result<PcscCard> {
        let name = cstring(reader)?;
        let card = self
            .ctx
            .connect(&name, share.mode(), Protocols::T0 | Protocols::T1)
            .map_err(map_err)?;
        let mut out = PcscCard {
            card,
            share,
            reader: reader.to_owned(),
            atr: Vec::new(),
            protocol: Protocol::Other,
        };
        out.refresh()?;
        Ok(out)
    }
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::NoSuchReader(s.to_owned()))
}

/// A connected card.
pub struct PcscCard {
    card: pcsc::Card,
    share: Share,
    reader: String,
    atr: Vec<u8>,
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

fn protocol_of(card: &pcsc::Card) -> Result<(Vec<u8>, Protocol), TransportError> {
    let st = card.status2_owned().map_err(map_err)?;
    let protocol = match st.protocol2() {
        Some(pcsc::Protocol::T0) => Protocol::T0,
        Some(pcsc::Protocol::T1) => Protocol::T1,
        _ => Protocol::Other,
    };
    Ok((st.atr().to_vec(), protocol))
}

/// How long a transmit anomaly waits for the reader to report the card's removal.
const REMOVAL_PROBE: Duration = Duration::from_millis(2_000);

/// After an anomaly (communication error, response without status word), asks the reader
/// whether the card is still there: a card pulled out mid-APDU must give
/// [`TransportError::CardRemoved`], not a generic failure. pcscd refreshes card presence
/// asynchronously, hence the short bounded poll.
fn removed_since(card: &pcsc::Card) -> bool {
    let end = Instant::now() + REMOVAL_PROBE;
    loop {
        match card.status2_owned() {
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::ResetCard) => {
                return true;
            }
            Ok(st) if !st.status().contains(pcsc::Status::PRESENT) => return true,
            Err(_) => return false,
            Ok(_) => {}
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn transmit(card: &pcsc::Card, command: &[u8]) -> Result<Vec<u8>, TransportError> {
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    match card.transmit(command, &mut buf) {
        // ISO/IEC 7816-4 §5.1: every response ends with SW1 SW2.
        Ok(r) if r.len() >= 2 => Ok(r.to_vec()),
        Ok(_) => Err(if removed_since(card) {
            TransportError::CardRemoved
        } else {
            TransportError::Unresponsive
        }),
        Err(e) => {
            let mapped = map_err(e);
            if matches!(
                mapped,
                TransportError::Other(_) | TransportError::Unresponsive
            ) && removed_since(card)
            {
                return Err(TransportError::CardRemoved);
            }
            Err(mapped)
        }
    }
}

impl PcscCard {
    fn refresh(&mut self) -> Result<(), TransportError> {
        let (atr, protocol) = protocol_of(&self.card)?;
        self.atr = atr;
        self.protocol = protocol;
        Ok(())
    }

    /// The reader name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Starts an exclusive transaction (`SCardBeginTransaction`); it ends when dropped.
    pub fn transaction(&mut self) -> Result<PcscTransaction<'_>> {
        let Self {
            card,
            share,
            atr,
            protocol,
            ..
        } = self;
        let tx = card.transaction().map_err(map_err)?;
        Ok(PcscTransaction {
            tx,
            share: *share,
            atr: atr.clone(),
            protocol: *protocol,
        })
    }

    /// Disconnects, resetting the card (so no verified PIN survives the session).
    pub fn disconnect_reset(self) -> Result<()> {
        self.card
            .disconnect(Disposition::ResetCard)
            .map_err(|(_, e)| map_err(e).into())
    }
}

impl Transport for PcscCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        transmit(&self.card, command)
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
        self.card
            .reconnect(
                self.share.mode(),
                Protocols::T0 | Protocols::T1,
                Disposition::LeaveCard,
            )
            .map_err(map_err)?;
        self.refresh()
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
    tx: pcsc::Transaction<'c>,
    share: Share,
    atr: Vec<u8>,
    protocol: Protocol,
}

impl std::fmt::Debug for PcscTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransaction")
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl Transport for PcscTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        transmit(&self.tx, command)
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
        self.tx
            .reconnect(
                self.share.mode(),
                Protocols::T0 | Protocols::T1,
                Disposition::LeaveCard,
            )
            .map_err(map_err)?;
        let (atr, protocol) = protocol_of(&self.tx)?;
        self.atr = atr;
        self.protocol = protocol;
        Ok(())
    }
}
