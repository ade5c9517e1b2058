//! The few X.509 fields signatures need (RFC 5280 §4.1), read leniently: the RSA public key,
//! the issuer name as RFC 2253 text and the serial number in decimal (XAdES `IssuerSerial`).
//!
//! A hand-written DER walk rather than a strict parser, because official CPS certificates carry
//! multi-valued RDNs that are not DER-sorted (DMP note §10, "ASN.1 strictness") and strict
//! parsers refuse them; only lengths and tags are trusted, every read is bounds-checked.

/// One DER element: tag, content and the whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads one element from the front of `input`; returns it and the rest.
fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    let (content, after) = rest.split_at_checked(len)?;
    let whole_len = input.len() - after.len();
    let whole = input.get(..whole_len)?;
    Some((
        Tlv {
            tag,
            content,
            whole,
        },
        after,
    ))
}

fn children(content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (t, r) = read(rest)?;
        out.push(t);
        rest = r;
    }
    Some(out)
}

/// The fields of a certificate that XML-DSig and XAdES use.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// PKCS#1 `RSAPublicKey` (the subjectPublicKey bit string content).
    pub(crate) rsa_public_key: Option<Vec<u8>>,
    /// Issuer distinguished name, RFC 2253 (most specific RDN first, `,` without space).
    pub issuer_rfc2253: String,
    /// Subject distinguished name, RFC 2253.
    pub subject_rfc2253: String,
    /// Serial number in decimal.
    pub serial_decimal: String,
}

impl std::fmt::Debug for CertificateInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names may hold a professional's name: not printed.
        f.debug_struct("CertificateInfo")
            .field("serial_decimal", &self.serial_decimal)
            .finish_non_exhaustive()
    }
}

const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// Reads `der` (an X.509 certificate); `None` when it is not one.
pub fn parse_certificate(der: &[u8]) -> Option<CertificateInfo> {
    let (cert, _) = read(der)?;
    if cert.tag != 0x30 {
        return None;
    }
    let parts = children(cert.content)?;
    let tbs = parts.first().filter(|t| t.tag == 0x30)?;
    let mut fields = children(tbs.content)?.into_iter();
    let mut serial = fields.next()?;
    if serial.tag == 0xA0 {
        serial = fields.next()?;
    }
    if serial.tag != 0x02 {
        return None;
    }
    let _signature = fields.next()?;
    let issuer = fields.next()?;
    let _validity = fields.next()?;
    let subject = fields.next()?;
    let spki = fields.next()?;
    let spki_parts = children(spki.content)?;
    let alg = spki_parts.first()?;
    let alg_oid = children(alg.content)?.into_iter().next()?;
    let key_bits = spki_parts.get(1).filter(|t| t.tag == 0x03)?;
    let rsa_public_key = (alg_oid.content == RSA_ENCRYPTION)
        .then(|| key_bits.content.get(1..).map(<[u8]>::to_vec))
        .flatten();
    Some(CertificateInfo {
        rsa_public_key,
        issuer_rfc2253: rfc2253(issuer.content)?,
        subject_rfc2253: rfc2253(subject.content)?,
        serial_decimal: decimal(serial.content),
    })
}

/// Short names of RFC 4514 §3 plus the ones IGC-Santé certificates carry.
fn attribute_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0A] => "O",
        [0x55, 0x04, 0x0B] => "OU",
        [0x55, 0x04, 0x09] => "STREET",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01] => "UID",
        _ => return None,
    })
}

/// Dotted form of an OID (X.690 §8.19).
fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut acc: u128 = 0;
    for b in oid {
        acc = (acc << 7) | u128::from(b & 0x7F);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let mut out = String::new();
    if let Some((first, rest)) = arcs.split_first() {
        let (a, b) = if *first < 80 {
            (first / 40, first % 40)
        } else {
            (2, first - 80)
        };
        out = format!("{a}.{b}");
        for r in rest {
            out.push_str(&format!(".{r}"));
        }
    }
    out
}

/// RFC 2253 §2: RDNs last to first, `+` between the values of one RDN, values escaped per
/// §2.4; values that are not strings are written `#` + hex of their DER.
fn rfc2253(name: &[u8]) -> Option<String> {
    let rdns = children(name)?;
    let mut parts = Vec::with_capacity(rdns.len());
    for rdn in rdns.iter().rev() {
        let mut avas = Vec::new();
        for ava in children(rdn.content)? {
            let fields = children(ava.content)?;
            let oid = fields.first()?;
            let value = fields.get(1)?;
            let Some(key) = attribute_name(oid.content) else {
                // RFC 2253 §2.3 / §2.4: dotted type, value as `#` + hex of its BER.
                avas.push(format!(
                    "{}={}",
                    dotted(oid.content),
                    hex_value(value.whole)
                ));
                continue;
            };
            let text = match value.tag {
                // UTF8String, PrintableString, IA5String, TeletexString (read as Latin-1).
                0x0C | 0x13 | 0x16 => match std::str::from_utf8(value.content) {
                    Ok(s) => escape_dn(s),
                    Err(_) => hex_value(value.whole),
                },
                0x14 => escape_dn(
                    &value
                        .content
                        .iter()
                        .map(|b| char::from(*b))
                        .collect::<String>(),
                ),
                // BMPString (UTF-16BE).
                0x1E => {
                    let units: Vec<u16> = value
                        .content
                        .chunks_exact(2)
                        .map(|c| {
                            u16::from_be_bytes([
                                c.first().copied().unwrap_or(0),
                                c.get(1).copied().unwrap_or(0),
                            ])
                        })
                        .collect();
                    escape_dn(&String::from_utf16_lossy(&units))
                }
                _ => hex_value(value.whole),
            };
            avas.push(format!("{key}={text}"));
        }
        parts.push(avas.join("+"));
    }
    Some(parts.join(","))
}

fn hex_value(der: &[u8]) -> String {
    let mut s = String::from("#");
    for b in der {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// RFC 2253 §2.4 escaping.
fn escape_dn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == ' ' || c == '#'))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The unsigned decimal value of a big-endian integer (a positive serial number).
fn decimal(be: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base-10 digits
    for byte in be {
        let mut carry = u32::from(*byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_of_big_serials() {
        assert_eq!(decimal(&[0x00]), "0");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(
            decimal(&[
                0x78, 0x1C, 0x73, 0xFA, 0x2A, 0x67, 0xBB, 0x14, 0x90, 0x65, 0x41, 0xC6, 0x49, 0x0A,
                0x33, 0xF7
            ]),
            u128::from_be_bytes([
                0x78, 0x1C, 0x73, 0xFA, 0x2A, 0x67, 0xBB, 0x14, 0x90, 0x65, 0x41, 0xC6, 0x49, 0x0A,
                0x33, 0xF7
            ])
            .to_string()
        );
    }

    #[test]
    fn dn_escaping() {
        assert_eq!(escape_dn("a,b"), "a\\,b");
        assert_eq!(escape_dn(" x "), "\\ x\\ ");
        assert_eq!(
            dotted(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01]),
            "1.2.840.113549.1.9.1"
        );
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_certificate(b"").is_none());
        assert!(parse_certificate(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        assert!(parse_certificate(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_none());
    }
}
