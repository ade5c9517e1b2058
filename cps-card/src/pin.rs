//! PIN values: zeroized on drop, never shown by `Debug`, never logged.

use crate::error::{Error, Result};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A PIN ("code porteur"). Its bytes are wiped when dropped; `Debug` prints `Pin(***)`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pin(Vec<u8>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

impl Pin {
    /// A PIN of 4 to 16 ASCII digits or letters (the CPS PIN is 4 digits; other lengths are
    /// accepted for configurable cards).
    pub fn new(pin: impl Into<Vec<u8>>) -> Result<Self> {
        let pin = Pin(pin.into());
        if pin.0.len() < 4 || pin.0.len() > 16 {
            return Err(Error::InvalidPin {
                reason: "length must be 4 to 16 characters",
            });
        }
        if !pin.0.iter().all(u8::is_ascii_alphanumeric) {
            return Err(Error::InvalidPin {
                reason: "only ASCII digits and letters are allowed",
            });
        }
        Ok(pin)
    }

    /// Takes a PIN from a string, wiping nothing of the caller's copy: prefer [`Pin::new`] with
    /// an owned buffer.
    pub fn from_str_checked(s: &str) -> Result<Self> {
        Self::new(s.as_bytes().to_vec())
    }

    /// The PIN block sent in VERIFY: ASCII padded with `pad` to `stored_length` bytes
    /// (`stored_length` = 0 sends the PIN unpadded), as the PKCS#15 pinAttributes describe.
    pub fn block(&self, stored_length: usize, pad: u8) -> Result<Zeroizing<Vec<u8>>> {
        if stored_length != 0 && self.0.len() > stored_length {
            return Err(Error::InvalidPin {
                reason: "longer than the card's stored length",
            });
        }
        let mut out = Zeroizing::new(Vec::with_capacity(stored_length.max(self.0.len())));
        out.extend_from_slice(&self.0);
        out.resize(stored_length.max(self.0.len()), pad);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_is_checked_padded_and_hidden() {
        let pin = Pin::from_str_checked("1234").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(***)");
        assert_eq!(&*pin.block(8, 0xFF).unwrap(), b"1234\xFF\xFF\xFF\xFF");
        assert_eq!(&*pin.block(0, 0xFF).unwrap(), b"1234");
        assert!(pin.block(3, 0).is_err());
        assert!(Pin::from_str_checked("12").is_err());
        assert!(Pin::from_str_checked("12 4").is_err());
    }
}
