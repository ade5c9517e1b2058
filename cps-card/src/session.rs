//! An APDU session over a [`Transport`]: encodes commands, applies the T=0 rules that PC/SC
//! leaves to the application, and offers READ BINARY / SELECT helpers.
//!
//! pcsc-lite and libccid never send GET RESPONSE themselves (L. Rousseau, MUSCLE list, 2008), so
//! this layer does, as ISO/IEC 7816-3 §10.3.4 / ISO/IEC 7816-4 §5.3.4 describe:
//! * on T=0 a case-4 command is sent as case 3 (Le dropped);
//! * `61xx` (and `9Fxx` for CPS2ter's class `A0`) is followed by GET RESPONSE with Le = xx,
//!   concatenating the parts while the card keeps answering `61xx`;
//! * `6Cxx` makes the same command be sent again once, with Le = xx.

use crate::apdu::{Command, LengthForm, Response, Status, StatusWord, status_error};
use crate::error::{Error, Result, TransportError};
use crate::transport::{Protocol, Transport};

/// Largest response the session assembles from GET RESPONSE parts.
pub const MAX_RESPONSE: usize = 65_536;

/// Largest EF the session reads with READ BINARY.
pub const MAX_FILE: usize = 32_768;

/// One line of the APDU trace: commands whose data is sensitive (PIN) are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEvent {
    /// A command sent (hex, with the data field masked when sensitive).
    Sent(String),
    /// A status word received, and the length of the data.
    Received {
        /// Status word.
        sw: StatusWord,
        /// Length of the response data (the data itself is never traced).
        len: usize,
    },
}

type TraceHook = Box<dyn FnMut(&TraceEvent) + Send>;

/// An APDU session on one card.
pub struct Session<T> {
    transport: T,
    max_response_chunk: usize,
    extended: bool,
    trace: Option<TraceHook>,
}

impl<T> std::fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("max_response_chunk", &self.max_response_chunk)
            .field("extended", &self.extended)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Session<T> {
    /// A session on `transport`, reading at most 256 bytes per READ BINARY.
    pub fn new(transport: T) -> Self {
        let extended = transport.supports_extended_length();
        Self {
            transport,
            max_response_chunk: 256,
            extended,
            trace: None,
        }
    }

    /// Limits each READ BINARY to `n` bytes (ANS uses 231 = `E7` for CPS3).
    pub fn set_max_response_chunk(&mut self, n: usize) {
        self.max_response_chunk = n.clamp(1, MAX_LE_SHORT);
    }

    /// Installs a hook receiving every APDU (PIN data masked, response data never included).
    pub fn set_trace(&mut self, hook: impl FnMut(&TraceEvent) + Send + 'static) {
        self.trace = Some(Box::new(hook));
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    fn raw(&mut self, cmd: &Command) -> Result<Response> {
        let form = if self.extended {
            cmd.required_form()
        } else {
            LengthForm::Short
        };
        let bytes = cmd.encode(form)?;
        if let Some(hook) = self.trace.as_mut() {
            let shown = if cmd.is_sensitive() {
                let header_len = bytes.len().saturating_sub(cmd.data().len());
                let header = bytes.get(..header_len.min(5)).unwrap_or_default();
                let mut s = crate::Hex(header).to_string();
                s.push_str(&"**".repeat(cmd.data().len()));
                s
            } else {
                crate::Hex(&bytes).to_string()
            };
            hook(&TraceEvent::Sent(shown));
        }
        let mut bytes = bytes;
        let out = self.transport.transmit(&bytes);
        if cmd.is_sensitive() {
            zeroize::Zeroize::zeroize(&mut bytes);
        }
        let resp = Response::from_bytes(out?)?;
        if let Some(hook) = self.trace.as_mut() {
            hook(&TraceEvent::Received {
                sw: resp.sw(),
                len: resp.data().len(),
            });
        }
        Ok(resp)
    }

    /// Sends `cmd`, applying command chaining when the data exceeds a short APDU on a reader
    /// without extended length, and the T=0 rules. Returns the final response, whatever its SW.
    pub fn transmit(&mut self, cmd: &Command) -> Result<Response> {
        if !self.extended && cmd.data().len() > 255 {
            let parts = cmd.chain(255)?;
            if let Some((last, first)) = parts.split_last() {
                for part in first {
                    let r = self.transmit_one(part)?;
                    if !r.sw().is_success() {
                        return Ok(r);
                    }
                }
                return self.transmit_one(last);
            }
        }
        self.transmit_one(cmd)
    }

    fn transmit_one(&mut self, cmd: &Command) -> Result<Response> {
        let t0 = self.transport.protocol() == Protocol::T0;
        let first = if t0 && cmd.case() == crate::apdu::Case::Four {
            // ISO/IEC 7816-3 §12.2.5: case 4 is transported as case 3, data comes via GET RESPONSE.
            self.raw(&cmd.with_le_replaced(None))?
        } else {
            self.raw(cmd)?
        };
        let first = match first.sw().status() {
            // ISO/IEC 7816-3 §12.2.3: resend the same command with the exact Le, once.
            Status::WrongLe(n) if cmd.le().is_some() || cmd.case() == crate::apdu::Case::Two => {
                self.raw(&cmd.with_le_replaced(Some(usize::from(n))))?
            }
            _ => first,
        };
        self.collect(cmd, first)
    }

    fn collect(&mut self, cmd: &Command, mut resp: Response) -> Result<Response> {
        let mut data = Vec::new();
        let mut rounds = 0usize;
        // Every round adds at least one byte (checked below), so MAX_RESPONSE bounds the loop.
        loop {
            let (n, cla) = match resp.sw().status() {
                Status::BytesAvailable(n) => (n, get_response_class(cmd.cla())),
                // CPS2ter / GSM: GET RESPONSE in class A0.
                Status::ProprietaryBytesAvailable(n) => (n, cmd.cla()),
                _ => {
                    if data.is_empty() {
                        return Ok(resp);
                    }
                    data.extend_from_slice(resp.data());
                    return Ok(Response::new(data, resp.sw()));
                }
            };
            if rounds > 0 && resp.data().is_empty() {
                // A GET RESPONSE that returns nothing but announces more would loop forever.
                return Err(Error::Data {
                    object: "GET RESPONSE",
                    reason: "the card announced bytes but returned none",
                });
            }
            data.extend_from_slice(resp.data());
            rounds += 1;
            if data.len() > MAX_RESPONSE {
                return Err(Error::TooLarge {
                    what: "response assembled from GET RESPONSE",
                    limit: MAX_RESPONSE,
                });
            }
            let get = Command::new(cla, 0xC0, 0x00, 0x00).with_le(usize::from(n));
            resp = self.raw(&get)?;
            if let Status::WrongLe(exact) = resp.sw().status() {
                resp = self.raw(&get.with_le_replaced(Some(usize::from(exact))))?;
            }
        }
    }

    /// Sends `cmd` and returns its data when the status is `9000` (typed error otherwise).
    pub fn call(&mut self, cmd: &Command, operation: &'static str) -> Result<Vec<u8>> {
        self.transmit(cmd)?.into_success(operation)
    }

    /// Reads a whole transparent EF (the current one, or `sfi`) with READ BINARY (`B0`,
    /// ISO/IEC 7816-4 §11.3.3), `max_response_chunk` bytes at a time, until a short answer,
    /// `6282` or `6B00`; at most [`MAX_FILE`] bytes.
    pub fn read_binary(&mut self, cla: u8, sfi: Option<u8>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let off = out.len();
            let (p1, p2) = match sfi {
                // ISO/IEC 7816-4 §11.3.3: P1 b8 = 1 selects the EF by SFI; it is then current.
                Some(s) if off == 0 => (0x80 | (s & 0x1F), 0),
                _ if off > 0x7FFF => {
                    return Err(Error::TooLarge {
                        what: "EF",
                        limit: 0x7FFF,
                    });
                }
                _ => ((off >> 8) as u8, off as u8),
            };
            let want = self.max_response_chunk;
            let cmd = Command::new(cla, 0xB0, p1, p2).with_le(want);
            let r = self.transmit(&cmd)?;
            match r.sw().status() {
                Status::Success => {
                    let got = r.data().len();
                    out.extend_from_slice(r.data());
                    if got < want || got == 0 {
                        return Ok(out);
                    }
                }
                Status::EndOfFile => {
                    out.extend_from_slice(r.data());
                    return Ok(out);
                }
                Status::WrongP1P2 | Status::IncorrectP1P2 if off > 0 => return Ok(out),
                _ => return Err(status_error("READ BINARY", r.sw())),
            }
            if out.len() > MAX_FILE {
                return Err(Error::TooLarge {
                    what: "EF",
                    limit: MAX_FILE,
                });
            }
        }
    }

    /// SELECT by AID (`A4 04 0C`, no FCI), on channel `channel`.
    pub fn select_aid(&mut self, aid: &[u8], channel: u8) -> Result<()> {
        let cmd = Command::new(0x00, 0xA4, 0x04, 0x0C)
            .with_data(aid)
            .on_channel(channel)?;
        self.call(&cmd, "SELECT AID").map(|_| ())
    }

    /// SELECT by path (ISO/IEC 7816-4 §11.2.2): from the MF (`P1=08`, leading `3F00` dropped)
    /// when the path starts with `3F00`, else from the current DF (`P1=09`); no FCI (`P2=0C`).
    pub fn select_path(&mut self, path: &[u8], channel: u8) -> Result<()> {
        if !path.len().is_multiple_of(2) || path.is_empty() {
            return Err(Error::Command {
                reason: "a path is a non-empty sequence of 2-byte file identifiers",
            });
        }
        let cmd = if path.starts_with(&[0x3F, 0x00]) {
            if path.len() == 2 {
                Command::new(0x00, 0xA4, 0x00, 0x0C).with_data([0x3F, 0x00])
            } else {
                Command::new(0x00, 0xA4, 0x08, 0x0C).with_data(path.get(2..).unwrap_or_default())
            }
        } else {
            Command::new(0x00, 0xA4, 0x09, 0x0C).with_data(path)
        };
        self.call(&cmd.on_channel(channel)?, "SELECT path")
            .map(|_| ())
    }

    /// Opens a logical channel with MANAGE CHANNEL (`00 70 00 00`, Le = 1, ISO/IEC 7816-4
    /// §11.1.2) and returns the number the card assigned.
    pub fn open_channel(&mut self) -> Result<u8> {
        let data = self.call(
            &Command::new(0x00, 0x70, 0x00, 0x00).with_le(1),
            "MANAGE CHANNEL (open)",
        )?;
        match data.as_slice() {
            [n @ 1..=19] => Ok(*n),
            _ => Err(Error::Data {
                object: "MANAGE CHANNEL",
                reason: "no channel number in the answer",
            }),
        }
    }

    /// Closes logical channel `channel` (`70 80 <channel>`, sent on the basic channel).
    pub fn close_channel(&mut self, channel: u8) -> Result<()> {
        if channel == 0 || channel > 19 {
            return Err(Error::Command {
                reason: "only channels 1 to 19 can be closed",
            });
        }
        self.call(
            &Command::new(0x00, 0x70, 0x80, channel),
            "MANAGE CHANNEL (close)",
        )
        .map(|_| ())
    }

    /// Runs `op`; if the card was reset by another application, reconnects once, runs `recover`
    /// (re-select the application) and retries `op`.
    pub fn with_reset_recovery<R>(
        &mut self,
        mut op: impl FnMut(&mut Self) -> Result<R>,
        mut recover: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<R> {
        match op(self) {
            Err(Error::Transport(TransportError::CardReset)) => {
                self.transport.reconnect()?;
                recover(self)?;
                op(self)
            }
            other => other,
        }
    }
}

const MAX_LE_SHORT: usize = 256;

/// GET RESPONSE keeps the logical channel of the command (interindustry classes) or the
/// proprietary class itself (e.g. `A0`).
fn get_response_class(cla: u8) -> u8 {
    if cla & 0x80 != 0 {
        cla
    } else if cla & 0x40 != 0 {
        0x40 | (cla & 0x0F)
    } else {
        cla & 0x03
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ScriptedTransport;

    fn scripted(protocol: Protocol, trace: &str) -> Session<ScriptedTransport> {
        let trace = ScriptedTransport::parse_trace(trace).unwrap();
        Session::new(ScriptedTransport::new(vec![0x3B, 0x00], protocol, trace))
    }

    #[test]
    fn t0_case4_becomes_case3_plus_get_response() {
        let mut s = scripted(
            Protocol::T0,
            "> 00CB3FFF0A4D087006BF810102A080\n< 6110\n\
             > 00C0000010\n< 700EBF8101 0AA008 9A0103 9B0103 9D01 05 6104\n\
             > 00C0000004\n< 01020304 9000",
        );
        let cmd = Command::new(0x00, 0xCB, 0x3F, 0xFF)
            .with_data([0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, 0x01, 0x02, 0xA0, 0x80])
            .with_le(256);
        let r = s.transmit(&cmd).unwrap();
        assert!(r.sw().is_success());
        assert_eq!(r.data().len(), 17 + 4);
        assert!(s.transport().is_finished());
    }

    #[test]
    fn t1_keeps_le_and_6cxx_is_retried_once() {
        let mut s = scripted(
            Protocol::T1,
            "> 00B0820000\n< 6C05\n> 00B0820005\n< 0102030405 9000",
        );
        let r = s
            .transmit(&Command::new(0, 0xB0, 0x82, 0).with_le(256))
            .unwrap();
        assert_eq!(r.data(), &[1, 2, 3, 4, 5]);
    }

    #[test]
    fn cps2ter_9fxx_uses_class_a0() {
        let mut s = scripted(
            Protocol::T0,
            "> A0A40000023F00\n< 9F16\n> A0C0000016\n< 00000000000000000000000000000000000000000001 9000",
        );
        let r = s
            .transmit(&Command::new(0xA0, 0xA4, 0, 0).with_data([0x3F, 0x00]))
            .unwrap();
        assert_eq!(r.data().len(), 0x16);
    }

    #[test]
    fn read_binary_loops_in_chunks() {
        let mut s = scripted(
            Protocol::T0,
            "> 00B0000004\n< 01020304 9000\n> 00B0000404\n< 0506 6282",
        );
        s.set_max_response_chunk(4);
        assert_eq!(s.read_binary(0x00, None).unwrap(), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn manage_channel() {
        let mut s = scripted(
            Protocol::T1,
            "> 0070000001\n< 01 9000\n> 00708001\n< 9000\n> 0070000001\n< 6881",
        );
        assert_eq!(s.open_channel().unwrap(), 1);
        s.close_channel(1).unwrap();
        assert!(matches!(s.open_channel(), Err(Error::Status { .. })));
        assert!(s.close_channel(0).is_err());
    }

    #[test]
    fn card_removed_is_a_typed_error() {
        let mut s = scripted(Protocol::T0, "> 00A4000C023F00\n< !removed");
        let err = s.select_path(&[0x3F, 0x00], 0).unwrap_err();
        assert!(matches!(err, Error::Transport(TransportError::CardRemoved)));
    }

    #[test]
    fn trace_masks_pins() {
        let mut s = scripted(Protocol::T1, "> 0020000104313233 34\n< 9000");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        s.set_trace(move |e| sink.lock().unwrap().push(e.clone()));
        s.call(
            &Command::new(0, 0x20, 0, 1).with_data(*b"1234").sensitive(),
            "VERIFY",
        )
        .unwrap();
        let lines = lines.lock().unwrap();
        assert_eq!(lines[0], TraceEvent::Sent("0020000104********".into()));
    }
}
