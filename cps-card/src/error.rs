//! The error type of the crate: every failure is typed and names its reason and position.

use crate::apdu::StatusWord;

/// Failures of the transport layer (PC/SC or in-memory), mapped from `SCARD_*` codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The card was pulled out of the reader (`SCARD_W_REMOVED_CARD`).
    #[error("the card was removed from the reader")]
    CardRemoved,
    /// Another application reset the card (`SCARD_W_RESET_CARD`): its state (selected file,
    /// verified PIN) is lost and the session must reconnect.
    #[error("the card was reset by another application")]
    CardReset,
    /// No card is in the reader (`SCARD_E_NO_SMARTCARD`).
    #[error("no card in the reader")]
    NoCard,
    /// The card does not answer (`SCARD_W_UNRESPONSIVE_CARD`, `SCARD_W_UNPOWERED_CARD`).
    #[error("the card does not respond")]
    Unresponsive,
    /// The reader is gone (`SCARD_E_READER_UNAVAILABLE`, `SCARD_E_UNKNOWN_READER`).
    #[error("the reader is not available")]
    ReaderUnavailable,
    /// Another workstation or application holds the card exclusively (`SCARD_E_SHARING_VIOLATION`).
    #[error("the card is in use by another application")]
    SharingViolation,
    /// The PC/SC service is not running or went away (`SCARD_E_NO_SERVICE`, `SCARD_E_SERVICE_STOPPED`).
    #[error("the PC/SC service is not available")]
    NoService,
    /// A wait for a card event ran out of time (`SCARD_E_TIMEOUT`).
    #[error("timed out waiting for the reader")]
    Timeout,
    /// The in-memory transport received a command that does not match its recorded trace.
    #[error("command {index} does not match the recorded trace")]
    UnexpectedCommand {
        /// Index (0-based) of the exchange in the trace.
        index: usize,
    },
    /// The PC/SC library could not be loaded (it is loaded at run time, not linked): `tried`
    /// says which libraries were tried and why each failed. The message says what to install
    /// ([`PCSC_INSTALL_HINT`]).
    #[error("the PC/SC library could not be loaded ({tried}); {hint}", hint = PCSC_INSTALL_HINT)]
    LibraryMissing {
        /// Each library tried and the loader's reason, separated by `; `.
        tried: String,
    },
    /// Any other PC/SC failure, with its description.
    #[error("PC/SC error: {0}")]
    Other(String),
}

/// What to install when the PC/SC library is missing, for the platform the SDK was built for.
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub const PCSC_INSTALL_HINT: &str = "PC/SC is part of macOS (PCSC.framework): check that /System/Library/Frameworks/PCSC.framework is intact";
/// What to install when the PC/SC library is missing, for the platform the SDK was built for.
#[cfg(windows)]
pub const PCSC_INSTALL_HINT: &str = "PC/SC is part of Windows (winscard.dll in the system directory): check that the Smart Card service is installed";
/// What to install when the PC/SC library is missing, for the platform the SDK was built for.
#[cfg(not(any(target_os = "macos", target_os = "ios", windows)))]
pub const PCSC_INSTALL_HINT: &str = "install pcsc-lite: Debian/Ubuntu `apt install libpcsclite1 pcscd`, Fedora `dnf install pcsc-lite-libs pcsc-lite`";

/// Every error of `segur-cps-card`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Transport failure (card removed, reset, reader gone...).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Malformed TLV data.
    #[error("malformed TLV at offset {offset}: {reason}")]
    Tlv {
        /// Byte offset of the faulty object in the input.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Malformed ATR (ISO/IEC 7816-3 §8).
    #[error("malformed ATR at byte {offset}: {reason}")]
    Atr {
        /// Byte offset in the ATR.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A command APDU that cannot be encoded (ISO/IEC 7816-4 §5.1).
    #[error("invalid command APDU: {reason}")]
    Command {
        /// What is wrong.
        reason: &'static str,
    },
    /// A response APDU shorter than its two status bytes.
    #[error("response APDU of {len} bytes has no status word")]
    ResponseTooShort {
        /// Length received.
        len: usize,
    },
    /// The card answered an unexpected status word.
    #[error("{operation} failed with status {sw}")]
    Status {
        /// What the SDK was doing.
        operation: &'static str,
        /// The status word returned.
        sw: StatusWord,
    },
    /// A response larger than the limit the SDK accepts.
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// Wrong PIN; the counter was decremented (`63Cx`, ISO/IEC 7816-4 §5.6).
    #[error("wrong PIN, {tries_left} tries left")]
    WrongPin {
        /// Remaining tries.
        tries_left: u8,
    },
    /// The PIN is blocked (`6983` or a zero counter).
    #[error("the PIN is blocked")]
    PinBlocked,
    /// The operation needs a verified PIN (`6982`).
    #[error("the PIN must be verified first")]
    PinRequired,
    /// The PIN does not fit the card's PIN format.
    #[error("invalid PIN: {reason}")]
    InvalidPin {
        /// What is wrong (never the PIN itself).
        reason: &'static str,
    },
    /// The card is not the kind the caller asked for.
    #[error("not a {expected}: {reason}")]
    WrongCard {
        /// The expected card kind.
        expected: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A data object has an unexpected structure.
    #[error("unexpected {object} content: {reason}")]
    Data {
        /// The object (file or data object) being decoded.
        object: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The card or its configuration does not support this operation.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported.
        what: &'static str,
    },
    /// No reader matches the requested name.
    #[error("no reader matches {0:?}")]
    NoSuchReader(String),
}

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
