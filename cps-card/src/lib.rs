//! CPS (Carte de Professionnel de Santé) and Vitale cards over PC/SC.
//!
//! Layers, from the wire up (transport independent of card logic, as in openpgp-card):
//! * [`transport`]: the [`Transport`] trait, with a PC/SC backend ([`pcsc`], feature `pcsc`,
//!   default; the system's PC/SC library is loaded at run time, so building needs nothing
//!   PC/SC and a machine without it gets [`TransportError::LibraryMissing`]) and in-memory
//!   backends;
//! * [`apdu`] and [`session`]: command APDUs (cases 1-4, short/extended, chaining, logical
//!   channels), typed status words, and the T=0 rules (GET RESPONSE on `61xx`/`9Fxx`, resend on
//!   `6Cxx`) that PC/SC leaves to the application;
//! * [`atr`] and [`tlv`]: ATR parsing (ISO/IEC 7816-3) with a table of known cards, and
//!   zero-copy BER-TLV, SIMPLE-TLV and COMPACT-TLV parsers; [`asn1`]: a generic ASN.1 tree;
//! * [`cps`]: CPS3 / CPS4 cards: detection, serial number, PIN, certificates, signature
//!   (through the [`signer::CardSigner`] trait), business data as raw DER;
//! * [`vitale`] (feature `vitale`): the Vitale 2 public identity zone, read-only and redacted.
//!
//! Card facts that are not public (exact PIN formats, CPS3 algorithm references, key references
//! of the signature key, business data layout) are **TO VERIFY** on a real card and are
//! configurable through [`cps::CpsConfig`]; each default says where it comes from.
//!
//! ```
//! use segur_cps_card::apdu::Command;
//! use segur_cps_card::session::Session;
//! use segur_cps_card::transport::{MemoryTransport, Protocol};
//!
//! // A T=0 card that answers a case-4 command with `61 02`, then the data on GET RESPONSE.
//! let card = |apdu: &[u8]| -> Result<Vec<u8>, segur_cps_card::TransportError> {
//!     Ok(match apdu {
//!         [0x00, 0xCB, 0x3F, 0xFF, 0x01, 0x5C] => vec![0x61, 0x02],
//!         [0x00, 0xC0, 0x00, 0x00, 0x02] => vec![0xCA, 0xFE, 0x90, 0x00],
//!         _ => vec![0x6D, 0x00],
//!     })
//! };
//! let mut session = Session::new(MemoryTransport::new(vec![0x3B, 0x00], Protocol::T0, card));
//! let data = session.call(
//!     &Command::new(0x00, 0xCB, 0x3F, 0xFF).with_data([0x5C]).with_le(256),
//!     "GET DATA",
//! )?;
//! assert_eq!(data, [0xCA, 0xFE]);
//! # Ok::<(), segur_cps_card::Error>(())
//! ```
//!
//! Further modules: [`pin`], [`pkcs15`], [`signer`], [`view`] (the JSON views shared by the CLI
//! and the C API).

// Card answers are hostile input: nothing is indexed or sliced unchecked, a short answer is a
// typed error naming its offset, never a panic.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod apdu;
pub mod asn1;
pub mod atr;
pub mod cps;
mod error;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod pin;
pub mod pkcs15;
pub mod session;
pub mod signer;
pub mod tlv;
pub mod transport;
pub mod view;
#[cfg(feature = "vitale")]
pub mod vitale;

pub use error::{Error, PCSC_INSTALL_HINT, Result, TransportError};
pub use transport::{Protocol, Transport};

/// Hex display of bytes (uppercase, no separator).
#[derive(Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Decodes hex, ignoring ASCII whitespace; `None` on any other non-hex character or odd length.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| match p {
            [h, l] => {
                let h = char::from(*h).to_digit(16)?;
                let l = char::from(*l).to_digit(16)?;
                u8::try_from(h * 16 + l).ok()
            }
            _ => None,
        })
        .collect()
}

/// The usage snippet of README.md, compiled and run as a doctest so the crate page never shows
/// code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
