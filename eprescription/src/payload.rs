//! Telling what a decoded payload is from its first bytes (2D-Doc specification notes §5).

/// The kind of a decoded payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadKind {
    /// `DC` + 2 digits: 2D-Doc in C40.
    TwoDDocC40,
    /// Byte `0xDC`: binary 2D-Doc v04.
    TwoDDocBinary,
    /// `IS01`: ANS INS Data Matrix.
    InsDatamatrix,
    /// Anything else (for a QR code on a prescription: the prescription number).
    Other,
}

/// Classifies a payload.
pub fn classify(payload: &[u8]) -> PayloadKind {
    match payload {
        [b'D', b'C', a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            PayloadKind::TwoDDocC40
        }
        [0xDC, ..] => PayloadKind::TwoDDocBinary,
        [b'I', b'S', b'0', b'1', ..] => PayloadKind::InsDatamatrix,
        _ => PayloadKind::Other,
    }
}
