//! The transport layer: moves raw APDU bytes to a card and back, independent of card logic
//! (the design of openpgp-card's `card-backend`).
//!
//! Backends: [`crate::pcsc::PcscCard`] (feature `pcsc`), [`MemoryTransport`] (a card simulated by
//! a function) and [`ScriptedTransport`] (a recorded APDU trace replayed exactly).

use crate::error::TransportError;

/// The transmission protocol negotiated with the card (ISO/IEC 7816-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Character protocol: the host must send GET RESPONSE itself (ISO/IEC 7816-3 §10.3.4).
    T0,
    /// Block protocol.
    T1,
    /// Raw or contactless (ISO 14443-4 via PC/SC part 3).
    Other,
}

/// Moves APDU bytes; implementations do not interpret them.
pub trait Transport {
    /// Sends one command APDU and returns the response APDU (data ‖ SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// The ATR of the card.
    fn atr(&self) -> &[u8];

    /// The active protocol.
    fn protocol(&self) -> Protocol;

    /// Whether the reader path accepts extended-length APDUs.
    fn supports_extended_length(&self) -> bool {
        false
    }

    /// Reconnects after a reset by another application (`SCARD_W_RESET_CARD`); the card state
    /// (selected files, verified PIN) is lost. The default cannot recover.
    fn reconnect(&mut self) -> Result<(), TransportError> {
        Err(TransportError::CardReset)
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn protocol(&self) -> Protocol {
        (**self).protocol()
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        (**self).reconnect()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn atr(&self) -> &[u8] {
        (**self).atr()
    }
    fn protocol(&self) -> Protocol {
        (**self).protocol()
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        (**self).reconnect()
    }
}

/// A card answered by a function, in memory (simulators, tests, replay of captured sessions).
pub struct MemoryTransport<F> {
    atr: Vec<u8>,
    protocol: Protocol,
    card: F,
}

impl<F> std::fmt::Debug for MemoryTransport<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTransport")
            .field("atr", &crate::Hex(&self.atr))
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl<F> MemoryTransport<F>
where
    F: FnMut(&[u8]) -> Result<Vec<u8>, TransportError>,
{
    /// A transport whose card is `card`.
    pub fn new(atr: impl Into<Vec<u8>>, protocol: Protocol, card: F) -> Self {
        Self {
            atr: atr.into(),
            protocol,
            card,
        }
    }
}

impl<F> Transport for MemoryTransport<F>
where
    F: FnMut(&[u8]) -> Result<Vec<u8>, TransportError>,
{
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (self.card)(command)
    }
    fn atr(&self) -> &[u8] {
        &self.atr
    }
    fn protocol(&self) -> Protocol {
        self.protocol
    }
}

/// One exchange of a recorded trace.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The exact command bytes expected.
    pub command: Vec<u8>,
    /// The response bytes, or a transport failure to inject.
    pub response: Result<Vec<u8>, TransportError>,
}

/// Replays a recorded APDU trace and fails on the first command that differs from it.
#[derive(Debug)]
pub struct ScriptedTransport {
    atr: Vec<u8>,
    protocol: Protocol,
    trace: Vec<Exchange>,
    next: usize,
}

impl ScriptedTransport {
    /// A transport replaying `trace`.
    pub fn new(atr: impl Into<Vec<u8>>, protocol: Protocol, trace: Vec<Exchange>) -> Self {
        Self {
            atr: atr.into(),
            protocol,
            trace,
            next: 0,
        }
    }

    /// Parses a trace written as lines `> HEX` (command) and `< HEX` (response), `< !removed`
    /// or `< !reset` for transport failures; `#` starts a comment. Returns `None` on a
    /// malformed line.
    pub fn parse_trace(text: &str) -> Option<Vec<Exchange>> {
        let mut out = Vec::new();
        let mut pending: Option<Vec<u8>> = None;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            // `split_at_checked`, not `split_at`: a line starting with a multibyte character
            // (`é 00 A4`) is a malformed line, not a panic.
            let (dir, rest) = line.split_at_checked(1)?;
            let rest = rest.trim();
            match dir {
                ">" => {
                    if pending.is_some() {
                        return None;
                    }
                    pending = Some(crate::hex_decode(rest)?);
                }
                "<" => {
                    let command = pending.take()?;
                    let response = match rest {
                        "!removed" => Err(TransportError::CardRemoved),
                        "!reset" => Err(TransportError::CardReset),
                        hex => Ok(crate::hex_decode(hex)?),
                    };
                    out.push(Exchange { command, response });
                }
                _ => return None,
            }
        }
        if pending.is_some() {
            return None;
        }
        Some(out)
    }

    /// Whether every recorded exchange was consumed.
    pub fn is_finished(&self) -> bool {
        self.next == self.trace.len()
    }
}

impl Transport for ScriptedTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let index = self.next;
        let ex = self
            .trace
            .get(index)
            .ok_or(TransportError::UnexpectedCommand { index })?;
        if ex.command != command {
            return Err(TransportError::UnexpectedCommand { index });
        }
        self.next += 1;
        ex.response.clone()
    }
    fn atr(&self) -> &[u8] {
        &self.atr
    }
    fn protocol(&self) -> Protocol {
        self.protocol
    }
}
