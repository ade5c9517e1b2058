//! Command and response APDUs (ISO/IEC 7816-4 §5): cases 1-4, short and extended lengths,
//! command chaining, logical channels, and typed status words with a raw fallback.

use crate::error::{Error, Result};

/// Largest Lc (extended form, ISO/IEC 7816-4 §5.1).
pub const MAX_LC: usize = 65_535;
/// Largest Le (extended form, `00 00` = 65 536).
pub const MAX_LE: usize = 65_536;

/// The four command cases (ISO/IEC 7816-3 §12.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Header only.
    One,
    /// Header + Le.
    Two,
    /// Header + Lc + data.
    Three,
    /// Header + Lc + data + Le.
    Four,
}

/// Length encoding of Lc/Le.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthForm {
    /// One-byte Lc (1..255) and Le (1..256).
    Short,
    /// Three-byte Lc / two- or three-byte Le (needs the card's "extended length" capability).
    Extended,
}

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    le: Option<usize>,
    sensitive: bool,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Command");
        d.field("cla", &format_args!("{:02X}", self.cla))
            .field("ins", &format_args!("{:02X}", self.ins))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2));
        if self.sensitive {
            d.field("data", &format_args!("<{} bytes masked>", self.data.len()));
        } else {
            d.field("data", &crate::Hex(&self.data));
        }
        d.field("le", &self.le).finish()
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        if self.sensitive {
            zeroize::Zeroize::zeroize(&mut self.data);
        }
    }
}

impl Command {
    /// A case-1 command.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            sensitive: false,
        }
    }

    /// Adds a data field (case 3, or case 4 with [`Command::with_le`]).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Expects up to `le` response bytes (1..=65 536; 256 is encoded `00` in short form).
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Marks the data field as secret (PIN): masked in `Debug` and traces, zeroized on drop.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Moves the command to logical channel `channel` (0..=19), ISO/IEC 7816-4 §5.4.1:
    /// channels 0-3 in CLA b2-b1 (first interindustry values), 4-19 in b4-b1 with b7 set.
    /// Proprietary classes (b8 = 1) are left unchanged.
    pub fn on_channel(mut self, channel: u8) -> Result<Self> {
        if self.cla & 0x80 != 0 {
            return Err(Error::Command {
                reason: "logical channels only apply to interindustry classes",
            });
        }
        let chaining = self.cla & 0x10;
        self.cla = match channel {
            0..=3 => (self.cla & 0x1C) | channel,
            4..=19 => 0x40 | chaining | (channel - 4),
            _ => {
                return Err(Error::Command {
                    reason: "logical channel above 19",
                });
            }
        };
        Ok(self)
    }

    /// CLA byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// INS byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// P1.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// P2.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// Data field.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Expected response length.
    pub fn le(&self) -> Option<usize> {
        self.le
    }
    /// Whether the data field is secret.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The same command with another Le (used for the `6Cxx` retry).
    pub fn with_le_replaced(&self, le: Option<usize>) -> Self {
        let mut c = self.clone();
        c.le = le;
        c
    }

    /// The logical channel encoded in CLA (interindustry classes only).
    pub fn channel(&self) -> u8 {
        if self.cla & 0x80 != 0 {
            0
        } else if self.cla & 0x40 != 0 {
            4 + (self.cla & 0x0F)
        } else {
            self.cla & 0x03
        }
    }

    /// The command case.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => Case::One,
            (true, true) => Case::Two,
            (false, false) => Case::Three,
            (false, true) => Case::Four,
        }
    }

    /// The shortest form able to carry this command.
    pub fn required_form(&self) -> LengthForm {
        if self.data.len() > 255 || self.le.is_some_and(|l| l > 256) {
            LengthForm::Extended
        } else {
            LengthForm::Short
        }
    }

    /// Encodes the command (ISO/IEC 7816-4 §5.1, table 1).
    pub fn encode(&self, form: LengthForm) -> Result<Vec<u8>> {
        if (self.ins & 0xF0) == 0x60 || (self.ins & 0xF0) == 0x90 {
            // ISO/IEC 7816-3 §10.3.2: INS 6X and 9X are invalid (procedure bytes under T=0).
            return Err(Error::Command {
                reason: "INS 6X/9X is invalid",
            });
        }
        if self.cla == 0xFF {
            return Err(Error::Command {
                reason: "CLA FF is reserved for PPS",
            });
        }
        let lc = self.data.len();
        if lc > MAX_LC {
            return Err(Error::Command {
                reason: "data field longer than 65 535 bytes",
            });
        }
        if let Some(le) = self.le
            && (le == 0 || le > MAX_LE)
        {
            return Err(Error::Command {
                reason: "Le out of 1..=65 536",
            });
        }
        if form == LengthForm::Short && self.required_form() == LengthForm::Extended {
            return Err(Error::Command {
                reason: "command needs extended length",
            });
        }
        let mut out = Vec::with_capacity(4 + 3 + lc + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        match form {
            LengthForm::Short => {
                if lc > 0 {
                    out.push(lc as u8);
                    out.extend_from_slice(&self.data);
                }
                if let Some(le) = self.le {
                    out.push(if le == 256 { 0 } else { le as u8 });
                }
            }
            LengthForm::Extended => {
                let le2 = |le: usize| -> [u8; 2] {
                    if le == MAX_LE {
                        [0, 0]
                    } else {
                        (le as u16).to_be_bytes()
                    }
                };
                if lc > 0 {
                    out.push(0);
                    out.extend_from_slice(&(lc as u16).to_be_bytes());
                    out.extend_from_slice(&self.data);
                    if let Some(le) = self.le {
                        out.extend_from_slice(&le2(le));
                    }
                } else if let Some(le) = self.le {
                    out.push(0);
                    out.extend_from_slice(&le2(le));
                }
            }
        }
        Ok(out)
    }

    /// Splits the command into a chain (ISO/IEC 7816-4 §5.3.3): CLA b5 set on every part but the
    /// last, each carrying at most `max_data` bytes; Le goes on the last part only.
    pub fn chain(&self, max_data: usize) -> Result<Vec<Command>> {
        if max_data == 0 {
            return Err(Error::Command {
                reason: "chaining with an empty block size",
            });
        }
        if self.data.len() <= max_data {
            return Ok(vec![self.clone()]);
        }
        if self.cla & 0x80 != 0 {
            return Err(Error::Command {
                reason: "command chaining only applies to interindustry classes",
            });
        }
        let parts: Vec<&[u8]> = self.data.chunks(max_data).collect();
        let n = parts.len();
        Ok(parts
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let last = i + 1 == n;
                Command {
                    cla: if last { self.cla } else { self.cla | 0x10 },
                    ins: self.ins,
                    p1: self.p1,
                    p2: self.p2,
                    data: chunk.to_vec(),
                    le: if last { self.le } else { None },
                    sensitive: self.sensitive,
                }
            })
            .collect())
    }
}

/// The two status bytes SW1 SW2.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl std::fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl std::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.status().description())
    }
}

/// Meaning of a status word (ISO/IEC 7816-4 §5.6, tables 5-6; CPS2ter/GSM `9Fxx`, `94xx`, `98xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// `9000`.
    Success,
    /// `61xx`: xx more bytes available (`00` = 256 or more).
    BytesAvailable(u16),
    /// `9Fxx`: CPS2ter/GSM "response of xx bytes available".
    ProprietaryBytesAvailable(u16),
    /// `6Cxx`: wrong Le, exact length is xx (`00` = 256).
    WrongLe(u16),
    /// `6281` returned data may be corrupted.
    DataMayBeCorrupted,
    /// `6282` end of file reached before Le bytes.
    EndOfFile,
    /// `6283` selected file deactivated.
    FileDeactivated,
    /// Other `62xx`/`63xx` warnings (raw SW).
    Warning(u16),
    /// `63Cx`: verification failed, x tries left.
    VerificationFailed(u8),
    /// `6581` memory failure.
    MemoryFailure,
    /// `6700` wrong length.
    WrongLength,
    /// `6881` logical channel not supported.
    LogicalChannelNotSupported,
    /// `6882` secure messaging not supported.
    SecureMessagingNotSupported,
    /// `6982` security status not satisfied.
    SecurityStatusNotSatisfied,
    /// `6983` authentication method blocked.
    AuthenticationBlocked,
    /// `6984` reference data not usable.
    ReferenceDataNotUsable,
    /// `6985` conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `6986` command not allowed (no current EF).
    CommandNotAllowed,
    /// `6A80` incorrect data field.
    IncorrectData,
    /// `6A81` function not supported.
    FunctionNotSupported,
    /// `6A82` file or application not found.
    FileNotFound,
    /// `6A83` record not found.
    RecordNotFound,
    /// `6A86` incorrect P1-P2.
    IncorrectP1P2,
    /// `6A88` referenced data not found.
    ReferenceDataNotFound,
    /// `6B00` wrong parameters (offset outside the EF).
    WrongP1P2,
    /// `6D00` INS not supported.
    InsNotSupported,
    /// `6E00` CLA not supported.
    ClaNotSupported,
    /// `6F00` no precise diagnosis.
    NoDiagnosis,
    /// `9404` CPS2ter file not found.
    Cps2terFileNotFound,
    /// `9804` CPS2ter PIN incorrect.
    Cps2terPinIncorrect,
    /// `9840` CPS2ter PIN blocked.
    Cps2terPinBlocked,
    /// Anything else (raw SW).
    Other(u16),
}

impl Status {
    /// A short English description.
    pub fn description(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::BytesAvailable(_) => "more bytes available",
            Self::ProprietaryBytesAvailable(_) => "response available",
            Self::WrongLe(_) => "wrong Le",
            Self::DataMayBeCorrupted => "data may be corrupted",
            Self::EndOfFile => "end of file before Le bytes",
            Self::FileDeactivated => "file deactivated",
            Self::Warning(_) => "warning",
            Self::VerificationFailed(_) => "verification failed",
            Self::MemoryFailure => "memory failure",
            Self::WrongLength => "wrong length",
            Self::LogicalChannelNotSupported => "logical channel not supported",
            Self::SecureMessagingNotSupported => "secure messaging not supported",
            Self::SecurityStatusNotSatisfied => "security status not satisfied",
            Self::AuthenticationBlocked => "authentication method blocked",
            Self::ReferenceDataNotUsable => "reference data not usable",
            Self::ConditionsNotSatisfied => "conditions of use not satisfied",
            Self::CommandNotAllowed => "command not allowed",
            Self::IncorrectData => "incorrect data field",
            Self::FunctionNotSupported => "function not supported",
            Self::FileNotFound => "file or application not found",
            Self::RecordNotFound => "record not found",
            Self::IncorrectP1P2 => "incorrect P1-P2",
            Self::ReferenceDataNotFound => "referenced data not found",
            Self::WrongP1P2 => "wrong parameters P1-P2",
            Self::InsNotSupported => "instruction not supported",
            Self::ClaNotSupported => "class not supported",
            Self::NoDiagnosis => "no precise diagnosis",
            Self::Cps2terFileNotFound => "file not found (CPS2ter)",
            Self::Cps2terPinIncorrect => "PIN incorrect (CPS2ter)",
            Self::Cps2terPinBlocked => "PIN blocked (CPS2ter)",
            Self::Other(_) => "unknown status",
        }
    }
}

impl StatusWord {
    /// `9000`.
    pub const SUCCESS: Self = Self(0x9000);

    /// From SW1 and SW2.
    pub fn new(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// Whether the command completed normally (`9000`, or `61xx` before GET RESPONSE).
    pub fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// Whether this is a warning (`62xx`, `63xx`): data, if any, is still returned.
    pub fn is_warning(self) -> bool {
        matches!(self.sw1(), 0x62 | 0x63)
    }

    /// The typed meaning.
    pub fn status(self) -> Status {
        let sw2 = self.sw2();
        let n = |b: u8| if b == 0 { 256 } else { u16::from(b) };
        match self.0 {
            0x9000 => Status::Success,
            0x6281 => Status::DataMayBeCorrupted,
            0x6282 => Status::EndOfFile,
            0x6283 => Status::FileDeactivated,
            0x6581 => Status::MemoryFailure,
            0x6700 => Status::WrongLength,
            0x6881 => Status::LogicalChannelNotSupported,
            0x6882 => Status::SecureMessagingNotSupported,
            0x6982 => Status::SecurityStatusNotSatisfied,
            0x6983 => Status::AuthenticationBlocked,
            0x6984 => Status::ReferenceDataNotUsable,
            0x6985 => Status::ConditionsNotSatisfied,
            0x6986 => Status::CommandNotAllowed,
            0x6A80 => Status::IncorrectData,
            0x6A81 => Status::FunctionNotSupported,
            0x6A82 => Status::FileNotFound,
            0x6A83 => Status::RecordNotFound,
            0x6A86 => Status::IncorrectP1P2,
            0x6A88 => Status::ReferenceDataNotFound,
            0x6B00 => Status::WrongP1P2,
            0x6D00 => Status::InsNotSupported,
            0x6E00 => Status::ClaNotSupported,
            0x6F00 => Status::NoDiagnosis,
            0x9404 => Status::Cps2terFileNotFound,
            0x9804 => Status::Cps2terPinIncorrect,
            0x9840 => Status::Cps2terPinBlocked,
            w if w & 0xFF00 == 0x6100 => Status::BytesAvailable(n(sw2)),
            w if w & 0xFF00 == 0x9F00 => Status::ProprietaryBytesAvailable(n(sw2)),
            w if w & 0xFF00 == 0x6C00 => Status::WrongLe(n(sw2)),
            w if w & 0xFFF0 == 0x63C0 => Status::VerificationFailed(sw2 & 0x0F),
            w if w & 0xFF00 == 0x6200 || w & 0xFF00 == 0x6300 => Status::Warning(w),
            w => Status::Other(w),
        }
    }
}

/// A response APDU: data and status word (ISO/IEC 7816-4 §5.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    data: Vec<u8>,
    sw: StatusWord,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Response data may hold personal data: only its length is shown.
        f.debug_struct("Response")
            .field("data_len", &self.data.len())
            .field("sw", &self.sw)
            .finish()
    }
}

impl Response {
    /// Splits raw response bytes into data and SW1 SW2.
    pub fn from_bytes(mut raw: Vec<u8>) -> Result<Self> {
        if raw.len() < 2 {
            return Err(Error::ResponseTooShort { len: raw.len() });
        }
        let sw2 = raw.pop().unwrap_or(0);
        let sw1 = raw.pop().unwrap_or(0);
        Ok(Self {
            data: raw,
            sw: StatusWord::new(sw1, sw2),
        })
    }

    /// From parts.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Self { data, sw }
    }

    /// The data field.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Takes the data field.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The status word.
    pub fn sw(&self) -> StatusWord {
        self.sw
    }

    /// The data if the status is `9000` (or a `62xx` warning with data), else a typed error.
    pub fn into_success(self, operation: &'static str) -> Result<Vec<u8>> {
        match self.sw.status() {
            Status::Success | Status::EndOfFile | Status::DataMayBeCorrupted => Ok(self.data),
            _ => Err(status_error(operation, self.sw)),
        }
    }
}

/// Maps a failure status word to the crate error (PIN states get their own variants).
pub fn status_error(operation: &'static str, sw: StatusWord) -> Error {
    match sw.status() {
        Status::VerificationFailed(0)
        | Status::AuthenticationBlocked
        | Status::Cps2terPinBlocked => Error::PinBlocked,
        Status::VerificationFailed(n) => Error::WrongPin { tries_left: n },
        Status::SecurityStatusNotSatisfied => Error::PinRequired,
        _ => Error::Status { operation, sw },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_short_encoding() {
        let c1 = Command::new(0x00, 0xA4, 0x00, 0x0C);
        assert_eq!(c1.case(), Case::One);
        assert_eq!(c1.encode(LengthForm::Short).unwrap(), [0, 0xA4, 0, 0x0C]);
        let c2 = Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256);
        assert_eq!(c2.encode(LengthForm::Short).unwrap(), [0, 0xB0, 0, 0, 0]);
        let c3 = Command::new(0x00, 0xA4, 0x00, 0x0C).with_data([0x3F, 0x00]);
        assert_eq!(
            c3.encode(LengthForm::Short).unwrap(),
            [0, 0xA4, 0, 0x0C, 2, 0x3F, 0]
        );
        let c4 = c3.clone().with_le(0x10);
        assert_eq!(c4.case(), Case::Four);
        assert_eq!(
            c4.encode(LengthForm::Short).unwrap(),
            [0, 0xA4, 0, 0x0C, 2, 0x3F, 0, 0x10]
        );
    }

    #[test]
    fn extended_encoding() {
        let c2 = Command::new(0, 0xB0, 0, 0).with_le(65_536);
        assert_eq!(
            c2.encode(LengthForm::Extended).unwrap(),
            [0, 0xB0, 0, 0, 0, 0, 0]
        );
        let c4 = Command::new(0, 0x2A, 0x80, 0x86)
            .with_data(vec![7; 300])
            .with_le(512);
        assert_eq!(c4.required_form(), LengthForm::Extended);
        let e = c4.encode(LengthForm::Extended).unwrap();
        assert_eq!(&e[4..7], &[0, 0x01, 0x2C]);
        assert_eq!(&e[e.len() - 2..], &[0x02, 0x00]);
        assert_eq!(e.len(), 4 + 3 + 300 + 2);
        assert!(c4.encode(LengthForm::Short).is_err());
    }

    #[test]
    fn chaining_and_channels() {
        let c = Command::new(0x00, 0x2A, 0x80, 0x86)
            .with_data(vec![1; 600])
            .with_le(256);
        let parts = c.chain(255).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].cla(), 0x10);
        assert_eq!(parts[0].le(), None);
        assert_eq!(parts[2].cla(), 0x00);
        assert_eq!(parts[2].data().len(), 90);
        assert_eq!(parts[2].le(), Some(256));
        let ch1 = Command::new(0x00, 0x22, 0x81, 0xB6).on_channel(1).unwrap();
        assert_eq!(ch1.cla(), 0x01);
        assert_eq!(ch1.channel(), 1);
        let ch7 = Command::new(0x00, 0xB0, 0, 0).on_channel(7).unwrap();
        assert_eq!(ch7.cla(), 0x43);
        assert_eq!(ch7.channel(), 7);
        assert!(Command::new(0xA0, 0xA4, 0, 0).on_channel(1).is_err());
    }

    #[test]
    fn invalid_commands_are_refused() {
        assert!(
            Command::new(0, 0x61, 0, 0)
                .encode(LengthForm::Short)
                .is_err()
        );
        assert!(
            Command::new(0xFF, 0xA4, 0, 0)
                .encode(LengthForm::Short)
                .is_err()
        );
        assert!(
            Command::new(0, 0xB0, 0, 0)
                .with_le(0)
                .encode(LengthForm::Short)
                .is_err()
        );
    }

    #[test]
    fn status_words() {
        assert_eq!(StatusWord(0x6110).status(), Status::BytesAvailable(16));
        assert_eq!(StatusWord(0x6100).status(), Status::BytesAvailable(256));
        assert_eq!(StatusWord(0x6C05).status(), Status::WrongLe(5));
        assert_eq!(
            StatusWord(0x9F20).status(),
            Status::ProprietaryBytesAvailable(32)
        );
        assert_eq!(StatusWord(0x63C2).status(), Status::VerificationFailed(2));
        assert_eq!(StatusWord(0x6A82).status(), Status::FileNotFound);
        assert_eq!(StatusWord(0x6401).status(), Status::Other(0x6401));
        assert!(matches!(
            status_error("x", StatusWord(0x63C0)),
            Error::PinBlocked
        ));
        assert!(matches!(
            status_error("x", StatusWord(0x63C1)),
            Error::WrongPin { tries_left: 1 }
        ));
        assert_eq!(
            StatusWord(0x6A82).to_string(),
            "6A82 (file or application not found)"
        );
    }

    #[test]
    fn masked_debug() {
        let c = Command::new(0, 0x20, 0, 1).with_data(*b"1234").sensitive();
        let s = format!("{c:?}");
        assert!(!s.contains("31"), "{s}");
        assert!(s.contains("masked"));
        assert!(Response::from_bytes(vec![0x90]).is_err());
    }
}
