//! The PC/SC library, loaded when first needed rather than linked (as OpenSC does): building
//! the SDK needs no PC/SC development package and no `pkg-config`, and a machine without
//! PC/SC gets a typed error saying what to install instead of a program that does not start.
//!
//! Libraries tried, in order ([`CANDIDATES`]): `libpcsclite.so.1` then `libpcsclite.so`
//! (pcsc-lite, Linux and BSD), `/System/Library/Frameworks/PCSC.framework/PCSC` (macOS),
//! `winscard.dll` from the system directory only (Windows). The environment variable
//! `SEGUR_PCSC_LIBRARY` replaces the list by one path (a pcsc-lite installed outside the
//! linker's paths; an unfindable path shows the error a machine without PC/SC gets).
//!
//! Only the functions the SDK calls are declared, with the types of each platform's headers:
//! pcsc-lite's `DWORD` and `LONG` are C `unsigned long` and `long` (64 bits on 64-bit Linux),
//! macOS's and Windows's are 32 bits; `SCARDCONTEXT`/`SCARDHANDLE` are `LONG` in pcsc-lite and
//! macOS, `ULONG_PTR` on Windows; macOS packs its structures (`#pragma pack(1)`); Windows
//! exports the ANSI variants under an `A` suffix (`SCardConnectA`...). References:
//! pcsc-lite `winscard.h`, `pcsclite.h`, `wintypes.h` (<https://pcsclite.apdu.fr/api/>),
//! Microsoft `winscard.h` (<https://learn.microsoft.com/windows/win32/api/winscard/>).

// Calling a C library is `unsafe`: every call is wrapped here, once, behind a safe method
// whose buffers and lengths are checked before and after the call.
#![allow(unsafe_code)]

use crate::error::TransportError;
use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::OnceLock;

// ---- ABI types (per platform headers) ----

/// `DWORD`.
#[cfg(any(target_os = "macos", target_os = "ios", windows))]
pub(crate) type Dword = u32;
/// `DWORD` (pcsc-lite: `unsigned long`).
#[cfg(not(any(target_os = "macos", target_os = "ios", windows)))]
pub(crate) type Dword = std::ffi::c_ulong;

/// `LONG`, the return code type.
#[cfg(any(target_os = "macos", target_os = "ios", windows))]
type Long = i32;
/// `LONG` (pcsc-lite: `long`).
#[cfg(not(any(target_os = "macos", target_os = "ios", windows)))]
type Long = std::ffi::c_long;

/// `SCARDCONTEXT` and `SCARDHANDLE`.
#[cfg(windows)]
pub(crate) type Handle = usize;
/// `SCARDCONTEXT` and `SCARDHANDLE` (pcsc-lite and macOS: `LONG`).
#[cfg(not(windows))]
pub(crate) type Handle = Long;

/// `SCARD_IO_REQUEST`: the protocol control information of `SCardTransmit`.
#[cfg_attr(not(any(target_os = "macos", target_os = "ios")), repr(C))]
#[cfg_attr(any(target_os = "macos", target_os = "ios"), repr(C, packed))]
struct IoRequest {
    protocol: Dword,
    pci_length: Dword,
}

/// Size of `rgbAtr` in `SCARD_READERSTATE`: `MAX_ATR_SIZE` (33) in pcsc-lite and macOS, 36 in
/// Windows (`SCARD_READERSTATEA`).
#[cfg(windows)]
const ATR_BUFFER: usize = 36;
#[cfg(not(windows))]
const ATR_BUFFER: usize = 33;

/// `SCARD_READERSTATE` (`SCARD_READERSTATEA` on Windows).
#[cfg_attr(not(any(target_os = "macos", target_os = "ios")), repr(C))]
#[cfg_attr(any(target_os = "macos", target_os = "ios"), repr(C, packed))]
struct RawReaderState {
    reader: *const c_char,
    user_data: *mut c_void,
    current_state: Dword,
    event_state: Dword,
    atr_len: Dword,
    atr: [u8; ATR_BUFFER],
}

// ---- Constants (identical values on every platform unless noted) ----

pub(crate) const SCOPE_USER: Dword = 0;
pub(crate) const SHARE_EXCLUSIVE: Dword = 1;
pub(crate) const SHARE_SHARED: Dword = 2;
pub(crate) const PROTOCOL_T0: Dword = 1;
pub(crate) const PROTOCOL_T1: Dword = 2;
pub(crate) const LEAVE_CARD: Dword = 0;
pub(crate) const RESET_CARD: Dword = 1;
/// `INFINITE`: `SCardGetStatusChange` time-outs stay below it.
const INFINITE: Dword = 0xFFFF_FFFF;

pub(crate) const STATE_UNAWARE: Dword = 0x0000;
pub(crate) const STATE_CHANGED: Dword = 0x0002;
pub(crate) const STATE_UNKNOWN: Dword = 0x0004;
pub(crate) const STATE_UNAVAILABLE: Dword = 0x0008;
pub(crate) const STATE_EMPTY: Dword = 0x0010;
pub(crate) const STATE_PRESENT: Dword = 0x0020;
pub(crate) const STATE_EXCLUSIVE: Dword = 0x0080;
pub(crate) const STATE_MUTE: Dword = 0x0200;

/// Largest response of `SCardTransmit`: an extended APDU (65,536 data bytes and headers).
pub(crate) const MAX_BUFFER_SIZE_EXTENDED: usize = 4 + 3 + (1 << 16) + 3 + 2;
/// Upper bound on the reader list: pcsc-lite allows 16 readers of 128 bytes per name;
/// anything longer is refused rather than allocated.
const MAX_READER_LIST: usize = 64 * 1024;

/// A PC/SC return code (`SCARD_E_*`, `SCARD_W_*`, `SCARD_F_*`), as the 32 bits every platform
/// defines it with (pcsc-lite's 64-bit `LONG` holds the same value, unsigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code(pub(crate) u32);

impl Code {
    pub(crate) const INSUFFICIENT_BUFFER: Self = Self(0x8010_0008);
    pub(crate) const UNKNOWN_READER: Self = Self(0x8010_0009);
    pub(crate) const TIMEOUT: Self = Self(0x8010_000A);
    pub(crate) const SHARING_VIOLATION: Self = Self(0x8010_000B);
    pub(crate) const NO_SMARTCARD: Self = Self(0x8010_000C);
    pub(crate) const READER_UNAVAILABLE: Self = Self(0x8010_0017);
    pub(crate) const NO_SERVICE: Self = Self(0x8010_001D);
    pub(crate) const SERVICE_STOPPED: Self = Self(0x8010_001E);
    pub(crate) const NO_READERS_AVAILABLE: Self = Self(0x8010_002E);
    pub(crate) const UNRESPONSIVE_CARD: Self = Self(0x8010_0066);
    pub(crate) const UNPOWERED_CARD: Self = Self(0x8010_0067);
    pub(crate) const RESET_CARD: Self = Self(0x8010_0068);
    pub(crate) const REMOVED_CARD: Self = Self(0x8010_0069);

    fn of(rv: Long) -> Result<(), Self> {
        // The low 32 bits are the code on every platform (`LONG` is 64-bit on Linux).
        let code = rv as u32;
        if code == 0 { Ok(()) } else { Err(Self(code)) }
    }

    /// The name of the code (pcsc-lite `pcsc_stringify_error`, Microsoft "Smart Card Return
    /// Values"), for the error text of codes without a typed variant.
    pub(crate) fn name(self) -> &'static str {
        match self.0 {
            0x8010_0001 => "SCARD_F_INTERNAL_ERROR",
            0x8010_0002 => "SCARD_E_CANCELLED",
            0x8010_0003 => "SCARD_E_INVALID_HANDLE",
            0x8010_0004 => "SCARD_E_INVALID_PARAMETER",
            0x8010_0005 => "SCARD_E_INVALID_TARGET",
            0x8010_0006 => "SCARD_E_NO_MEMORY",
            0x8010_0008 => "SCARD_E_INSUFFICIENT_BUFFER",
            0x8010_000D => "SCARD_E_UNKNOWN_CARD",
            0x8010_000E => "SCARD_E_CANT_DISPOSE",
            0x8010_000F => "SCARD_E_PROTO_MISMATCH",
            0x8010_0010 => "SCARD_E_NOT_READY",
            0x8010_0011 => "SCARD_E_INVALID_VALUE",
            0x8010_0012 => "SCARD_E_SYSTEM_CANCELLED",
            0x8010_0013 => "SCARD_F_COMM_ERROR",
            0x8010_0014 => "SCARD_F_UNKNOWN_ERROR",
            0x8010_0015 => "SCARD_E_INVALID_ATR",
            0x8010_0016 => "SCARD_E_NOT_TRANSACTED",
            0x8010_0018 => "SCARD_P_SHUTDOWN",
            0x8010_0019 => "SCARD_E_PCI_TOO_SMALL",
            0x8010_001A => "SCARD_E_READER_UNSUPPORTED",
            0x8010_001B => "SCARD_E_DUPLICATE_READER",
            0x8010_001C => "SCARD_E_CARD_UNSUPPORTED",
            // pcsc-lite reuses SCARD_E_UNEXPECTED's value for SCARD_E_UNSUPPORTED_FEATURE.
            0x8010_001F if cfg!(windows) => "SCARD_E_UNEXPECTED",
            0x8010_001F => "SCARD_E_UNSUPPORTED_FEATURE",
            0x8010_0022 => "SCARD_E_UNSUPPORTED_FEATURE",
            0x8010_002E => "SCARD_E_NO_READERS_AVAILABLE",
            0x8010_002F => "SCARD_E_COMM_DATA_LOST",
            0x8010_0065 => "SCARD_W_UNSUPPORTED_CARD",
            0x8010_006A => "SCARD_W_SECURITY_VIOLATION",
            _ => "unknown PC/SC code",
        }
    }
}

impl From<Code> for TransportError {
    /// The typed failures of PC/SC (pcsc-lite `pcsclite.h`, Microsoft "Smart Card Return
    /// Values"); any other code keeps its name and value.
    fn from(code: Code) -> Self {
        match code {
            Code::REMOVED_CARD => Self::CardRemoved,
            Code::RESET_CARD => Self::CardReset,
            Code::NO_SMARTCARD => Self::NoCard,
            Code::UNRESPONSIVE_CARD | Code::UNPOWERED_CARD => Self::Unresponsive,
            Code::READER_UNAVAILABLE | Code::UNKNOWN_READER => Self::ReaderUnavailable,
            Code::SHARING_VIOLATION => Self::SharingViolation,
            Code::NO_SERVICE | Code::SERVICE_STOPPED => Self::NoService,
            Code::TIMEOUT => Self::Timeout,
            other => Self::Other(format!("{} (0x{:08X})", other.name(), other.0)),
        }
    }
}

// ---- The functions ----

type EstablishContext =
    unsafe extern "system" fn(Dword, *const c_void, *const c_void, *mut Handle) -> Long;
type ReleaseContext = unsafe extern "system" fn(Handle) -> Long;
type ListReaders =
    unsafe extern "system" fn(Handle, *const c_char, *mut c_char, *mut Dword) -> Long;
type GetStatusChange = unsafe extern "system" fn(Handle, Dword, *mut RawReaderState, Dword) -> Long;
type Connect =
    unsafe extern "system" fn(Handle, *const c_char, Dword, Dword, *mut Handle, *mut Dword) -> Long;
type Reconnect = unsafe extern "system" fn(Handle, Dword, Dword, Dword, *mut Dword) -> Long;
type Disconnect = unsafe extern "system" fn(Handle, Dword) -> Long;
type BeginTransaction = unsafe extern "system" fn(Handle) -> Long;
type EndTransaction = unsafe extern "system" fn(Handle, Dword) -> Long;
type Status = unsafe extern "system" fn(
    Handle,
    *mut c_char,
    *mut Dword,
    *mut Dword,
    *mut Dword,
    *mut u8,
    *mut Dword,
) -> Long;
type Transmit = unsafe extern "system" fn(
    Handle,
    *const IoRequest,
    *const u8,
    Dword,
    *mut IoRequest,
    *mut u8,
    *mut Dword,
) -> Long;

/// Exported names: Windows exports the ANSI variant of the functions that take strings under an
/// `A` suffix.
#[cfg(windows)]
mod names {
    pub(super) const LIST_READERS: &str = "SCardListReadersA";
    pub(super) const GET_STATUS_CHANGE: &str = "SCardGetStatusChangeA";
    pub(super) const CONNECT: &str = "SCardConnectA";
    pub(super) const STATUS: &str = "SCardStatusA";
}
#[cfg(not(windows))]
mod names {
    pub(super) const LIST_READERS: &str = "SCardListReaders";
    pub(super) const GET_STATUS_CHANGE: &str = "SCardGetStatusChange";
    pub(super) const CONNECT: &str = "SCardConnect";
    pub(super) const STATUS: &str = "SCardStatus";
}

/// The libraries tried when `SEGUR_PCSC_LIBRARY` is not set, in order.
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub const CANDIDATES: &[&str] = &["/System/Library/Frameworks/PCSC.framework/PCSC"];
/// The libraries tried when `SEGUR_PCSC_LIBRARY` is not set, in order.
#[cfg(windows)]
pub const CANDIDATES: &[&str] = &["winscard.dll"];
/// The libraries tried when `SEGUR_PCSC_LIBRARY` is not set, in order: the run-time soname of
/// pcsc-lite (package `libpcsclite1` on Debian, `pcsc-lite-libs` on Fedora), then the
/// development link a source installation may leave alone.
#[cfg(not(any(target_os = "macos", target_os = "ios", windows)))]
pub const CANDIDATES: &[&str] = &["libpcsclite.so.1", "libpcsclite.so"];

/// The environment variable that replaces [`CANDIDATES`] by one library path.
pub const LIBRARY_ENV: &str = "SEGUR_PCSC_LIBRARY";

/// The loaded PC/SC library and the functions the SDK calls.
pub(crate) struct Api {
    establish_context: EstablishContext,
    release_context: ReleaseContext,
    list_readers: ListReaders,
    get_status_change: GetStatusChange,
    connect: Connect,
    reconnect: Reconnect,
    disconnect: Disconnect,
    begin_transaction: BeginTransaction,
    end_transaction: EndTransaction,
    status: Status,
    transmit: Transmit,
    /// Kept loaded: the function pointers above point into it. `Api` lives in a static, so
    /// the library is never unloaded while a context or card may still call it.
    _library: libloading::Library,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Api")
    }
}

/// The PC/SC library of this process, loaded on first use. A failure is remembered: the
/// library does not appear while the process runs.
pub(crate) fn api() -> Result<&'static Api, TransportError> {
    static API: OnceLock<Result<Api, TransportError>> = OnceLock::new();
    API.get_or_init(|| match std::env::var_os(LIBRARY_ENV) {
        Some(path) if !path.is_empty() => load_first(&[path]),
        _ => load_first(CANDIDATES),
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Loads the first library of `candidates` that opens; its failure names every attempt.
pub(crate) fn load_first<S: AsRef<std::ffi::OsStr>>(
    candidates: &[S],
) -> Result<Api, TransportError> {
    let mut tried = Vec::new();
    for name in candidates {
        let name = name.as_ref();
        match open(name) {
            Ok(library) => return Api::resolve(library, name),
            Err(e) => tried.push(open_failure(name, &e)),
        }
    }
    Err(TransportError::LibraryMissing {
        tried: tried.join("; "),
    })
}

/// `name: reason`, the reason being the loader's own (`dlerror`, `GetLastError`), which
/// libloading keeps as the source of its error.
fn open_failure(name: &std::ffi::OsStr, e: &libloading::Error) -> String {
    use std::error::Error as _;
    let reason = e
        .source()
        .map_or_else(|| e.to_string(), ToString::to_string);
    let name = name.to_string_lossy();
    if reason.starts_with(name.as_ref()) {
        reason
    } else {
        format!("{name}: {reason}")
    }
}

#[cfg(windows)]
fn open(name: &std::ffi::OsStr) -> Result<libloading::Library, libloading::Error> {
    use libloading::os::windows::{LOAD_LIBRARY_SEARCH_SYSTEM32, Library};
    // A bare name is looked up in the system directory only, never in the application or the
    // current directory (DLL planting); an explicit path is loaded as given.
    let flags = if std::path::Path::new(name).components().count() > 1 {
        0
    } else {
        LOAD_LIBRARY_SEARCH_SYSTEM32
    };
    // SAFETY: loading the system's PC/SC library runs its initialisers, which have no
    // precondition on the caller.
    unsafe { Library::load_with_flags(name, flags) }.map(Into::into)
}

#[cfg(not(windows))]
fn open(name: &std::ffi::OsStr) -> Result<libloading::Library, libloading::Error> {
    // SAFETY: loading the system's PC/SC library runs its initialisers, which have no
    // precondition on the caller.
    unsafe { libloading::Library::new(name) }
}

impl Api {
    fn resolve(
        library: libloading::Library,
        name: &std::ffi::OsStr,
    ) -> Result<Self, TransportError> {
        /// Copies the function pointer of `symbol` out of the library.
        ///
        /// SAFETY (of the calls below): each type is the platform's declaration of the
        /// function in `winscard.h` (module documentation).
        fn get<T: Copy>(
            library: &libloading::Library,
            name: &std::ffi::OsStr,
            symbol: &str,
        ) -> Result<T, TransportError> {
            // SAFETY: `T` is the function's C signature (see above); the pointer is only called
            // while the library stays loaded (it is kept in the same `Api`).
            unsafe { library.get::<T>(symbol) }
                .map(|s| *s)
                .map_err(|_| TransportError::LibraryMissing {
                    tried: format!(
                        "{} does not export {symbol}: not a PC/SC library",
                        name.to_string_lossy()
                    ),
                })
        }
        Ok(Self {
            establish_context: get(&library, name, "SCardEstablishContext")?,
            release_context: get(&library, name, "SCardReleaseContext")?,
            list_readers: get(&library, name, names::LIST_READERS)?,
            get_status_change: get(&library, name, names::GET_STATUS_CHANGE)?,
            connect: get(&library, name, names::CONNECT)?,
            reconnect: get(&library, name, "SCardReconnect")?,
            disconnect: get(&library, name, "SCardDisconnect")?,
            begin_transaction: get(&library, name, "SCardBeginTransaction")?,
            end_transaction: get(&library, name, "SCardEndTransaction")?,
            status: get(&library, name, names::STATUS)?,
            transmit: get(&library, name, "SCardTransmit")?,
            _library: library,
        })
    }

    /// `SCardEstablishContext(SCARD_SCOPE_USER)`.
    pub(crate) fn establish_context(&self) -> Result<Handle, Code> {
        let mut ctx: Handle = 0;
        // SAFETY: reserved pointers are null as documented; `ctx` is a valid out pointer.
        Code::of(unsafe {
            (self.establish_context)(SCOPE_USER, std::ptr::null(), std::ptr::null(), &mut ctx)
        })?;
        Ok(ctx)
    }

    /// `SCardReleaseContext`.
    pub(crate) fn release_context(&self, ctx: Handle) -> Result<(), Code> {
        // SAFETY: plain value argument.
        Code::of(unsafe { (self.release_context)(ctx) })
    }

    /// `SCardListReaders`: the reader names (an empty list when there is none).
    pub(crate) fn list_readers(&self, ctx: Handle) -> Result<Vec<String>, Code> {
        // A reader may appear between the length query and the copy: retry a few times.
        for _ in 0..4 {
            let mut len: Dword = 0;
            // SAFETY: a null buffer asks for the length only (both APIs document it).
            let first = Code::of(unsafe {
                (self.list_readers)(ctx, std::ptr::null(), std::ptr::null_mut(), &mut len)
            });
            match first {
                Ok(()) => {}
                Err(Code::NO_READERS_AVAILABLE) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            }
            let size = usize::try_from(len).unwrap_or(usize::MAX);
            if size > MAX_READER_LIST {
                return Err(Code::INSUFFICIENT_BUFFER);
            }
            let mut buf = vec![0u8; size.max(1)];
            let mut len = Dword::try_from(buf.len()).map_err(|_| Code::INSUFFICIENT_BUFFER)?;
            // SAFETY: `buf` holds `len` writable bytes.
            let second = Code::of(unsafe {
                (self.list_readers)(ctx, std::ptr::null(), buf.as_mut_ptr().cast(), &mut len)
            });
            match second {
                Ok(()) => {
                    let used = usize::try_from(len).unwrap_or(usize::MAX).min(buf.len());
                    buf.truncate(used);
                    return Ok(split_multi_string(&buf));
                }
                Err(Code::NO_READERS_AVAILABLE) => return Ok(Vec::new()),
                Err(Code::INSUFFICIENT_BUFFER) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Code::INSUFFICIENT_BUFFER)
    }

    /// `SCardGetStatusChange`, waiting at most `timeout_ms` (clamped below `INFINITE`).
    pub(crate) fn get_status_change(
        &self,
        ctx: Handle,
        timeout_ms: u128,
        states: &mut [ReaderState],
    ) -> Result<(), Code> {
        let timeout = Dword::try_from(timeout_ms)
            .unwrap_or(INFINITE - 1)
            .min(INFINITE - 1);
        let count = Dword::try_from(states.len()).map_err(|_| Code::INSUFFICIENT_BUFFER)?;
        // SAFETY: `ReaderState` is `repr(transparent)` over `SCARD_READERSTATE`, so the slice
        // is the array the function expects; every `reader` points to a live C string.
        Code::of(unsafe {
            (self.get_status_change)(ctx, timeout, states.as_mut_ptr().cast(), count)
        })
    }

    /// `SCardConnect`: the card handle and the active protocol.
    pub(crate) fn connect(
        &self,
        ctx: Handle,
        reader: &CStr,
        share: Dword,
        protocols: Dword,
    ) -> Result<(Handle, Dword), Code> {
        let mut card: Handle = 0;
        let mut active: Dword = 0;
        // SAFETY: `reader` is NUL-terminated; both out pointers are valid.
        Code::of(unsafe {
            (self.connect)(
                ctx,
                reader.as_ptr(),
                share,
                protocols,
                &mut card,
                &mut active,
            )
        })?;
        Ok((card, active))
    }

    /// `SCardReconnect`: the active protocol.
    pub(crate) fn reconnect(
        &self,
        card: Handle,
        share: Dword,
        protocols: Dword,
        initialization: Dword,
    ) -> Result<Dword, Code> {
        let mut active: Dword = 0;
        // SAFETY: value arguments and one valid out pointer.
        Code::of(unsafe { (self.reconnect)(card, share, protocols, initialization, &mut active) })?;
        Ok(active)
    }

    /// `SCardDisconnect`.
    pub(crate) fn disconnect(&self, card: Handle, disposition: Dword) -> Result<(), Code> {
        // SAFETY: value arguments.
        Code::of(unsafe { (self.disconnect)(card, disposition) })
    }

    /// `SCardBeginTransaction`.
    pub(crate) fn begin_transaction(&self, card: Handle) -> Result<(), Code> {
        // SAFETY: value argument.
        Code::of(unsafe { (self.begin_transaction)(card) })
    }

    /// `SCardEndTransaction`.
    pub(crate) fn end_transaction(&self, card: Handle, disposition: Dword) -> Result<(), Code> {
        // SAFETY: value arguments.
        Code::of(unsafe { (self.end_transaction)(card, disposition) })
    }

    /// `SCardStatus`: the state, the active protocol and the ATR of the card.
    pub(crate) fn status(&self, card: Handle) -> Result<(Dword, Dword, Vec<u8>), Code> {
        // Reader names are at most 128 bytes in pcsc-lite (`MAX_READERNAME`) and 256 in
        // Windows' SCardStatusA examples; the ATR at most 33 (36 in Windows' structures).
        let mut name = [0u8; 1024];
        let mut name_len = Dword::try_from(name.len()).map_err(|_| Code::INSUFFICIENT_BUFFER)?;
        let mut atr = [0u8; 64];
        let mut atr_len = Dword::try_from(atr.len()).map_err(|_| Code::INSUFFICIENT_BUFFER)?;
        let mut state: Dword = 0;
        let mut protocol: Dword = 0;
        // SAFETY: each buffer is passed with its true length; the out pointers are valid.
        Code::of(unsafe {
            (self.status)(
                card,
                name.as_mut_ptr().cast(),
                &mut name_len,
                &mut state,
                &mut protocol,
                atr.as_mut_ptr(),
                &mut atr_len,
            )
        })?;
        let used = usize::try_from(atr_len)
            .unwrap_or(usize::MAX)
            .min(atr.len());
        Ok((
            state,
            protocol,
            atr.get(..used).unwrap_or_default().to_vec(),
        ))
    }

    /// `SCardTransmit` with the protocol control information of `protocol`; returns the length
    /// of the response written into `response`.
    pub(crate) fn transmit(
        &self,
        card: Handle,
        protocol: Dword,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, Code> {
        let pci = IoRequest {
            protocol,
            pci_length: Dword::try_from(std::mem::size_of::<IoRequest>())
                .map_err(|_| Code::INSUFFICIENT_BUFFER)?,
        };
        let command_len = Dword::try_from(command.len()).map_err(|_| Code::INSUFFICIENT_BUFFER)?;
        let mut response_len =
            Dword::try_from(response.len()).map_err(|_| Code::INSUFFICIENT_BUFFER)?;
        // SAFETY: the command and response buffers are passed with their true lengths; a null
        // receive PCI is allowed by both APIs.
        Code::of(unsafe {
            (self.transmit)(
                card,
                &pci,
                command.as_ptr(),
                command_len,
                std::ptr::null_mut(),
                response.as_mut_ptr(),
                &mut response_len,
            )
        })?;
        Ok(usize::try_from(response_len)
            .unwrap_or(usize::MAX)
            .min(response.len()))
    }
}

/// Splits a PC/SC multi-string (`name\0name\0\0`) into names; a name that is not UTF-8 keeps
/// its valid parts (replacement characters), the list ends at the first empty name.
pub(crate) fn split_multi_string(buf: &[u8]) -> Vec<String> {
    buf.split(|b| *b == 0)
        .take_while(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect()
}

/// One entry of `SCardGetStatusChange`: a reader name and its states.
#[repr(transparent)]
pub(crate) struct ReaderState {
    raw: RawReaderState,
}

impl ReaderState {
    /// An entry for `reader`, whose current state is `SCARD_STATE_UNAWARE`.
    pub(crate) fn new(reader: CString) -> Self {
        Self {
            raw: RawReaderState {
                reader: reader.into_raw(),
                user_data: std::ptr::null_mut(),
                current_state: STATE_UNAWARE,
                event_state: 0,
                atr_len: 0,
                atr: [0; ATR_BUFFER],
            },
        }
    }

    /// The state reported by the last call (`dwEventState`).
    pub(crate) fn event_state(&self) -> Dword {
        self.raw.event_state
    }

    /// The ATR reported by the last call.
    pub(crate) fn atr(&self) -> Vec<u8> {
        let atr = self.raw.atr;
        let len = usize::try_from(self.raw.atr_len)
            .unwrap_or(usize::MAX)
            .min(atr.len());
        atr.get(..len).unwrap_or_default().to_vec()
    }

    /// Makes the reported state the known one, so the next call waits for a change.
    pub(crate) fn sync_current_state(&mut self) {
        self.raw.current_state = self.raw.event_state & !STATE_CHANGED;
    }
}

impl Drop for ReaderState {
    fn drop(&mut self) {
        // SAFETY: `reader` came from `CString::into_raw` in `new` and is reclaimed once.
        drop(unsafe { CString::from_raw(self.raw.reader.cast_mut()) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_string_stops_at_the_empty_name() {
        assert_eq!(
            split_multi_string(b"Reader A\0Reader B\0\0garbage\0"),
            ["Reader A", "Reader B"]
        );
        assert!(split_multi_string(b"\0").is_empty());
        assert!(split_multi_string(b"").is_empty());
        // Without the final terminator the last name still counts.
        assert_eq!(split_multi_string(b"R\0S"), ["R", "S"]);
        assert_eq!(split_multi_string(b"\xFFR\0\0"), ["\u{FFFD}R"]);
    }

    proptest::proptest! {
        /// Whatever the library writes, the split is total, keeps no NUL and reads no further
        /// than the first empty name.
        #[test]
        fn multi_string_split_is_total(buf in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let names = split_multi_string(&buf);
            proptest::prop_assert!(names.iter().all(|n| !n.is_empty() && !n.contains('\0')));
            let nuls = buf.iter().filter(|b| **b == 0).count();
            proptest::prop_assert!(names.len() <= nuls + 1);
        }
    }

    #[test]
    fn codes_map_to_typed_errors() {
        assert_eq!(
            TransportError::from(Code::REMOVED_CARD),
            TransportError::CardRemoved
        );
        assert_eq!(
            TransportError::from(Code::NO_SERVICE),
            TransportError::NoService
        );
        assert_eq!(
            TransportError::from(Code(0x8010_0013)),
            TransportError::Other("SCARD_F_COMM_ERROR (0x80100013)".into())
        );
        // pcsc-lite's 64-bit LONG carries the code unsigned; 32-bit platforms negative.
        assert_eq!(Code::of(0), Ok(()));
        assert_eq!(Code::of(0x8010_0069_u32 as Long), Err(Code::REMOVED_CARD));
    }

    #[test]
    fn an_unfindable_library_names_every_attempt() {
        let err = load_first(&[
            "/nonexistent/libpcsclite.so.1",
            "libsegur-no-such-pcsc.so.1",
        ])
        .unwrap_err();
        let TransportError::LibraryMissing { tried } = &err else {
            panic!("{err:?}");
        };
        assert!(tried.contains("/nonexistent/libpcsclite.so.1"), "{tried}");
        assert!(tried.contains("libsegur-no-such-pcsc.so.1"), "{tried}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_library_without_the_pc_sc_functions_is_refused() {
        // libc is loaded in every process and exports no SCard* function.
        let err = load_first(&["libc.so.6"]).unwrap_err();
        let TransportError::LibraryMissing { tried } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(
            tried,
            "libc.so.6 does not export SCardEstablishContext: not a PC/SC library"
        );
    }

    #[test]
    fn the_reader_state_has_the_platform_layout() {
        let pointers = 2 * std::mem::size_of::<usize>();
        let dwords = 3 * std::mem::size_of::<Dword>();
        let packed = pointers + dwords + ATR_BUFFER;
        let size = std::mem::size_of::<ReaderState>();
        if cfg!(any(target_os = "macos", target_os = "ios")) {
            assert_eq!(size, packed);
        } else {
            // C layout: padded to the alignment of the largest field.
            assert_eq!(size, packed.next_multiple_of(std::mem::align_of::<usize>()));
        }
        #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
        assert_eq!(size, 8 + 8 + 3 * 8 + 33 + 7, "pcsc-lite x86_64 layout");
    }
}
