//! The error type of the crate.
//!
//! Every variant names the reason and, where the input is text, the byte position of the
//! offending character. No variant carries patient data: values read from a code are never
//! copied into an error.

/// Everything that can go wrong in `segur-eprescription`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is longer than the limit of the parser that received it.
    #[error("input too long: {len} bytes, limit {max}")]
    TooLong {
        /// Length received.
        len: usize,
        /// Limit of the parser.
        max: usize,
    },
    /// Keyboard-wedge scanner text could not be normalised.
    #[error("scanner input rejected at byte {position}: {reason}")]
    ScannerInput {
        /// Why.
        reason: &'static str,
        /// Byte offset in the raw input.
        position: usize,
    },
    /// A prescription number was rejected by the validator.
    #[error("prescription number rejected at byte {position}: {reason}")]
    PrescriptionId {
        /// Why.
        reason: &'static str,
        /// Byte offset in the candidate.
        position: usize,
    },
    /// A dispensation record is not complete or not consistent.
    #[error("dispensation rejected (line {line:?}): {reason}")]
    Dispensation {
        /// Why.
        reason: &'static str,
        /// Index of the offending line, when one line is at fault.
        line: Option<usize>,
    },
    /// The Assurance Maladie service (or its local replacement) failed.
    #[error("prescription service error: {0}")]
    Service(String),
    /// A 2D-Doc header is malformed.
    #[error("2D-Doc header invalid at byte {position}: {reason}")]
    TwoDDocHeader {
        /// Why.
        reason: &'static str,
        /// Byte offset in the code.
        position: usize,
    },
    /// The 2D-Doc version is not one this crate reads.
    #[error("2D-Doc version {0:02} not supported (02, 03 and 04 are)")]
    TwoDDocVersion(u8),
    /// A 2D-Doc message zone is malformed.
    #[error("2D-Doc message invalid at byte {position}: {reason}")]
    TwoDDocMessage {
        /// Why.
        reason: &'static str,
        /// Byte offset in the code.
        position: usize,
    },
    /// The 2D-Doc signature zone is malformed.
    #[error("2D-Doc signature zone invalid: {0}")]
    TwoDDocSignatureFormat(&'static str),
    /// No certificate of the trust store matches the code's authority and certificate ids.
    #[error("no trusted certificate for authority {ca_id} certificate {cert_id}")]
    UnknownCertificate {
        /// Certificate authority id from the header.
        ca_id: String,
        /// Certificate id from the header.
        cert_id: String,
    },
    /// A certificate given to the trust store is unusable.
    #[error("certificate rejected: {0}")]
    Certificate(&'static str),
    /// The certificate was not valid at the signature date of the header.
    #[error("certificate not valid at the signature date of the code")]
    CertificateNotValidAtSignatureDate,
    /// The signature does not verify.
    #[error("2D-Doc signature does not verify")]
    BadSignature,
    /// An INS Data Matrix payload is malformed or a field is invalid.
    #[error("INS Data Matrix invalid at byte {position}: {reason}")]
    InsDatamatrix {
        /// Why.
        reason: &'static str,
        /// Byte offset in the payload (0 when building).
        position: usize,
    },
    /// An image could not be read.
    #[error("image unreadable: {0}")]
    Image(String),
    /// The image is larger than the configured pixel limit.
    #[error("image {width}x{height} exceeds the limit of {max_pixels} pixels")]
    ImageTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Configured limit.
        max_pixels: u64,
    },
    /// A code could not be rendered (payload too long for the symbology, ...).
    #[error("code could not be rendered: {0}")]
    Render(String),
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;
