//! Base64 of a `nonXMLBody` (`representation="B64"`) decoded in chunks: the content is checked,
//! counted and handed out a few KiB at a time, never held whole. A 20 MB body costs a 4 KiB
//! buffer, not the 35 MB of a whitespace-free copy and its decoded bytes.
//!
//! What is accepted is exactly what the whole-buffer decode of [`decode_exact`] accepts (RFC
//! 4648 §4 standard alphabet, XML white space between symbols ignored, the §3.2 padding
//! required but its absence tolerated and reported), with the same bytes. The chunked path
//! only says "decoded" when that is certain; anything else (an error, a `=` that is not at the
//! end) gets [`Chunked::Uncertain`] and the caller runs [`decode_exact`], which gives the
//! error with its offset. The unit tests compare both on mutated inputs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Symbols decoded per chunk: a multiple of 4 (whole quanta).
const CHUNK: usize = 4096;

/// Standard base64 that accepts input without its `=` padding (and refuses anything else
/// the standard engine refuses, trailing bits included).
const UNPADDED: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
);

/// The outcome of [`decode_chunked`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Every byte was handed out; `missing_padding` `=` characters were missing at the end
    /// (0 when the padding is complete).
    Decoded {
        /// `=` characters missing (0, 1 or 2).
        missing_padding: usize,
    },
    /// The chunked path cannot vouch for the text: [`decode_exact`] decides.
    Uncertain,
}

/// Decodes `text` (base64 with XML white space anywhere) chunk by chunk, handing each decoded
/// chunk to `sink` in order. A sink error stops the decoding and is returned.
///
/// When the result is [`Chunked::Uncertain`], `sink` may have received part of the content:
/// a caller that must not act on a partial content checks the text first (as the reader does).
pub(crate) fn decode_chunked<E>(
    text: &[u8],
    mut sink: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<Chunked, E> {
    chunked(text, true, |piece| match piece {
        Piece::Decoded(bytes) => sink(bytes),
        Piece::Checked(_) => Ok(()),
    })
}

/// What [`check_chunked`] learnt of a base64 text without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked {
    /// Size of the decoded content.
    pub(crate) size: usize,
    /// Its first bytes (`head_len` of them): the file header of a PDF.
    pub(crate) head: [u8; 5],
    /// How many bytes of `head` are the content's.
    pub(crate) head_len: usize,
    /// The outcome, as [`decode_chunked`] gives it.
    pub(crate) outcome: Chunked,
}

/// Checks `text` as [`decode_chunked`] does and says the same (decoded or uncertain, the
/// padding), without decoding it: after the first chunk (decoded, for the content's first
/// bytes), each chunk but the last is only checked against the alphabet, a branch-free scan the
/// compiler vectorises. A chunk of whole quanta whose symbols are all in the alphabet decodes
/// (RFC 4648 §4: only the last quantum has padding or unused bits), so the verdict is the same.
pub(crate) fn check_chunked(text: &[u8]) -> Checked {
    let mut size = 0usize;
    let mut head = [0u8; 5];
    let mut head_len = 0usize;
    let outcome = chunked(text, false, |piece| {
        match piece {
            Piece::Decoded(bytes) => {
                for (slot, &b) in head.iter_mut().skip(head_len).zip(bytes) {
                    *slot = b;
                    head_len += 1;
                }
                size += bytes.len();
            }
            Piece::Checked(n) => size += n,
        }
        Ok::<(), std::convert::Infallible>(())
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(never) => match never {},
    };
    Checked {
        size,
        head,
        head_len,
        outcome,
    }
}

/// A part of the content handed out by [`chunked`].
enum Piece<'b> {
    /// Decoded bytes.
    Decoded(&'b [u8]),
    /// This many bytes, checked but not decoded.
    Checked(usize),
}

/// The chunk loop of [`decode_chunked`] and [`check_chunked`]: with `decode_all`, every chunk is
/// decoded; without, only the first and the last are, the others checked.
fn chunked<E>(
    text: &[u8],
    decode_all: bool,
    mut sink: impl FnMut(Piece<'_>) -> Result<(), E>,
) -> Result<Chunked, E> {
    let mut first = true;
    let mut symbols = [0u8; CHUNK];
    let mut decoded = [0u8; CHUNK / 4 * 3];
    let mut held = 0usize;
    let mut rest = text;
    while !rest.is_empty() {
        let room = CHUNK - held;
        let (part, tail) = rest.split_at(rest.len().min(room));
        rest = tail;
        let Some(free) = symbols.get_mut(held..) else {
            return Ok(Chunked::Uncertain);
        };
        if !has_space_or_control(part) {
            // The usual case (the SDK's builder writes one line): one copy, no per-byte test.
            let Some(dst) = free.get_mut(..part.len()) else {
                return Ok(Chunked::Uncertain);
            };
            dst.copy_from_slice(part);
            held += part.len();
        } else {
            for piece in part.split(u8::is_ascii_whitespace) {
                let Some(dst) = symbols.get_mut(held..held + piece.len()) else {
                    return Ok(Chunked::Uncertain);
                };
                dst.copy_from_slice(piece);
                held += piece.len();
            }
        }
        if held == CHUNK {
            // The last quantum is kept back: only the end of the text may hold `=`, and
            // only the final chunk is decoded as the end.
            let (body, last) = symbols.split_at(CHUNK - 4);
            if decode_all || first {
                if body.contains(&b'=') {
                    return Ok(Chunked::Uncertain);
                }
                let Ok(n) = STANDARD.decode_slice(body, &mut decoded) else {
                    return Ok(Chunked::Uncertain);
                };
                sink(Piece::Decoded(decoded.get(..n).unwrap_or_default()))?;
                first = false;
            } else {
                // `=` is not a symbol: a chunk holding one is uncertain, as above.
                if !all_symbols(body) {
                    return Ok(Chunked::Uncertain);
                }
                sink(Piece::Checked(body.len() / 4 * 3))?;
            }
            let mut quantum = [0u8; 4];
            quantum.copy_from_slice(last);
            if let Some(front) = symbols.get_mut(..4) {
                front.copy_from_slice(&quantum);
            }
            held = 4;
        }
    }
    let last = symbols.get(..held).unwrap_or_default();
    match STANDARD.decode_slice(last, &mut decoded) {
        Ok(n) => {
            sink(Piece::Decoded(decoded.get(..n).unwrap_or_default()))?;
            Ok(Chunked::Decoded { missing_padding: 0 })
        }
        // Every earlier chunk was whole quanta without `=`: the padding rule is decided by
        // this last chunk alone, as `decode_exact` decides it on the whole text.
        Err(base64::DecodeSliceError::DecodeError(base64::DecodeError::InvalidPadding)) => {
            let Some((data, missing)) = unpadded(last) else {
                return Ok(Chunked::Uncertain);
            };
            match UNPADDED.decode_slice(data, &mut decoded) {
                Ok(n) => {
                    sink(Piece::Decoded(decoded.get(..n).unwrap_or_default()))?;
                    Ok(Chunked::Decoded {
                        missing_padding: missing,
                    })
                }
                Err(_) => Ok(Chunked::Uncertain),
            }
        }
        Err(_) => Ok(Chunked::Uncertain),
    }
}

/// Whether `bytes` holds a byte ≤ 0x20 (XML white space, or a control character that no base64
/// has): a branch-free scan the compiler vectorises; only such a block is split.
#[inline]
fn has_space_or_control(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| found | (b <= b' '))
}

/// Whether every byte of `bytes` is a symbol of the standard alphabet (RFC 4648 §4, Table 1;
/// `=` is not one): range tests folded without a branch, which the compiler vectorises.
#[inline]
fn all_symbols(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| {
        ok & (b.is_ascii_alphanumeric() | (b == b'+') | (b == b'/'))
    })
}

/// The symbols of `clean` before its trailing `=`, and how many `=` are missing, when the
/// padding is short (RFC 4648 §3.2); `None` when it is complete or too long.
fn unpadded(clean: &[u8]) -> Option<(&[u8], usize)> {
    let data_len = clean.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let present = clean.len() - data_len;
    let needed = (4 - data_len % 4) % 4;
    if present >= needed {
        return None;
    }
    Some((clean.get(..data_len)?, needed - present))
}

/// The whole-buffer decode, the reference of [`decode_chunked`] and the source of its errors:
/// white space removed, standard base64 with padding; without its padding, the content is
/// decoded all the same and the missing `=` count returned (RFC 4648 §3.2 requires the padding,
/// but a producer that left it out lost nothing).
pub(crate) fn decode_exact(text: &[u8]) -> Result<(Vec<u8>, usize), base64::DecodeError> {
    let clean: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    match STANDARD.decode(&clean) {
        Ok(bytes) => Ok((bytes, 0)),
        Err(e @ base64::DecodeError::InvalidPadding) => {
            let (data, missing) = unpadded(&clean).ok_or(e)?;
            Ok((UNPADDED.decode(data)?, missing))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(text: &[u8]) -> Option<(Vec<u8>, usize)> {
        let mut out = Vec::new();
        let r = decode_chunked(text, |c| {
            out.extend_from_slice(c);
            Ok::<(), ()>(())
        })
        .unwrap();
        match r {
            Chunked::Decoded { missing_padding } => Some((out, missing_padding)),
            Chunked::Uncertain => None,
        }
    }

    /// xorshift64, so the cases are the same on every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Whenever the chunked path decodes, the whole-buffer decode gives the same bytes and the
    /// same padding verdict; on valid base64 (wrapped or not, any length across the chunk
    /// size) it always decodes.
    #[test]
    fn chunked_agrees_with_the_whole_buffer_decode() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        // Around the chunk of 4096 symbols (3072 bytes), one and two chunks, and a longer text.
        let lengths = [
            0usize, 1, 2, 3, 4, 5, 3069, 3071, 3072, 3073, 6141, 6144, 12_000,
        ];
        for &len in &lengths {
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let b64 = STANDARD.encode(&data);
            for wrap in [0usize, 3, 76, 4095] {
                let mut text = Vec::new();
                for (i, &c) in b64.as_bytes().iter().enumerate() {
                    if wrap > 0 && i > 0 && i % wrap == 0 {
                        text.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b" \t" });
                    }
                    text.push(c);
                }
                assert_eq!(
                    chunked(&text),
                    Some((data.clone(), 0)),
                    "len {len} wrap {wrap}"
                );
                assert_eq!(decode_exact(&text).ok(), Some((data.clone(), 0)));
                // Mutations: every verdict of the chunked path is the exact one's.
                for _ in 0..25 {
                    let mut m = text.clone();
                    match rng.below(5) {
                        0 if !m.is_empty() => {
                            let at = rng.below(m.len());
                            m[at] = b"=!A/+\n -\x00\xff"[rng.below(10)];
                        }
                        1 if !m.is_empty() => {
                            m.truncate(rng.below(m.len()));
                        }
                        2 => m.extend_from_slice(&b"===A\n"[..rng.below(5) + 1]),
                        3 => {
                            let at = rng.below(m.len() + 1);
                            m.insert(at, b'=');
                        }
                        _ => {
                            while m.last() == Some(&b'=') {
                                m.pop();
                            }
                        }
                    }
                    let got = chunked(&m);
                    if let Some(got) = &got {
                        assert_eq!(
                            Some(got),
                            decode_exact(&m).ok().as_ref(),
                            "len {len} wrap {wrap}"
                        );
                    }
                    // Checking without decoding says the same, with the size and first bytes.
                    let checked = check_chunked(&m);
                    match (&got, checked.outcome) {
                        (Some((bytes, missing)), Chunked::Decoded { missing_padding }) => {
                            assert_eq!(*missing, missing_padding);
                            assert_eq!(bytes.len(), checked.size);
                            assert_eq!(
                                &bytes[..checked.head_len],
                                &checked.head[..checked.head_len]
                            );
                            assert_eq!(checked.head_len, bytes.len().min(5));
                        }
                        (None, Chunked::Uncertain) => {}
                        other => panic!("len {len} wrap {wrap}: {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn missing_padding_is_decoded_and_counted() {
        for (text, missing) in [(&b"QUI"[..], 1), (b"QQ", 2), (b"QUJD", 0)] {
            let exact = decode_exact(text).unwrap();
            assert_eq!(exact.1, missing);
            assert_eq!(chunked(text), Some(exact));
        }
        // The same at the end of a text longer than a chunk.
        let long = STANDARD.encode(vec![7u8; 5000]);
        let cut = long.trim_end_matches('=');
        assert_eq!(chunked(cut.as_bytes()), decode_exact(cut.as_bytes()).ok());
        assert!(chunked(cut.as_bytes()).is_some_and(|(_, m)| m == 1));
    }

    #[test]
    fn padding_inside_the_text_is_never_decoded() {
        let mut text = STANDARD.encode(vec![1u8; 6000]).into_bytes();
        text[100] = b'=';
        assert_eq!(chunked(&text), None);
        assert!(decode_exact(&text).is_err());
        assert_eq!(chunked(b"QQ==QUJD"), None);
        assert!(decode_exact(b"QQ==QUJD").is_err());
    }
}
