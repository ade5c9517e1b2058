//! Mail addresses: professional addresses and patient addresses `<INS>@patient.mssante.fr`.

use crate::MssError;
use std::fmt;

/// Domain of MSSanté patient mailboxes (Mon espace santé), spec §1.4.
pub const PATIENT_DOMAIN: &str = "patient.mssante.fr";

/// An RFC 5321 §4.1.2 mailbox `local@domain`, ASCII only: dot-atom local part (≤ 64 bytes),
/// LDH domain labels (≤ 63 bytes each, at least two labels), total ≤ 254 bytes. Anything that
/// could inject a header or an SMTP parameter (space, `<`, `>`, CR, LF, quotes) is refused.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct MailAddress(String);

const LOCAL_SPECIALS: &[u8] = b"!#$%&'*+/=?^_`{|}~-.";

impl MailAddress {
    /// Parses and validates an address (case of the local part is kept, domain lower-cased).
    pub fn parse(input: &str) -> Result<Self, MssError> {
        let bad = |position, reason| MssError::InvalidAddress { position, reason };
        if input.len() > 254 {
            return Err(bad(254, "longer than 254 bytes"));
        }
        let at = input.rfind('@').ok_or(bad(0, "no '@'"))?;
        // `rfind` returned a char boundary; '@' is one byte, so the domain starts right after.
        let (local, domain) = input.split_at(at);
        let domain = domain.strip_prefix('@').unwrap_or(domain);
        if local.is_empty() || local.len() > 64 {
            return Err(bad(0, "local part empty or longer than 64 bytes"));
        }
        let mut prev_dot = true;
        for (i, b) in local.bytes().enumerate() {
            if !(b.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(&b)) {
                return Err(bad(i, "character not allowed in a local part"));
            }
            if b == b'.' && prev_dot {
                return Err(bad(i, "misplaced '.' in the local part"));
            }
            prev_dot = b == b'.';
        }
        if prev_dot {
            return Err(bad(at - 1, "local part ends with '.'"));
        }
        if domain.is_empty() || !domain.contains('.') {
            return Err(bad(at + 1, "domain needs at least two labels"));
        }
        let mut offset = at + 1;
        for label in domain.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err(bad(offset, "empty or over-long domain label"));
            }
            for (i, b) in label.bytes().enumerate() {
                if !(b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(bad(offset + i, "character not allowed in a domain"));
                }
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(bad(offset, "domain label starts or ends with '-'"));
            }
            offset += label.len() + 1;
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The address as text. For a patient address this is the INS: see [`Recipient`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    /// Whether this is a Mon espace santé patient mailbox.
    pub fn is_patient(&self) -> bool {
        self.domain() == PATIENT_DOMAIN
    }
}

impl From<MailAddress> for String {
    fn from(a: MailAddress) -> String {
        a.0
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_patient() {
            write!(f, "[patient]@{PATIENT_DOMAIN}")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl fmt::Debug for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailAddress({self})")
    }
}

impl std::str::FromStr for MailAddress {
    type Err = MssError;
    fn from_str(s: &str) -> Result<Self, MssError> {
        Self::parse(s)
    }
}

/// A patient mailbox `<matricule INS>@patient.mssante.fr` (spec §1.4). It can only be built from
/// a [`segur_ins::QualifiedIdentity`]: the matricule of an identity that is not qualified is
/// never transmitted. Redacted in `Debug`/`Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PatientAddress {
    address: MailAddress,
    ins: segur_ins::Ins,
}

impl PatientAddress {
    /// The patient address of a qualified identity.
    pub fn of(identity: &segur_ins::QualifiedIdentity) -> Self {
        let ins = *identity.ins();
        let address = MailAddress(format!("{}@{PATIENT_DOMAIN}", ins.matricule().expose()));
        Self { address, ins }
    }
    /// The INS the address was built from.
    pub fn ins(&self) -> &segur_ins::Ins {
        &self.ins
    }
    /// The address (its `Display` stays redacted; `as_str()` exposes the INS).
    pub fn address(&self) -> &MailAddress {
        &self.address
    }
}

impl fmt::Debug for PatientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PatientAddress([patient]@{PATIENT_DOMAIN})")
    }
}

/// A recipient: a professional (or organisation, applicative) mailbox, or a patient.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// A professional, organisational or applicative mailbox. A `@patient.mssante.fr` address
    /// is refused here: patient addresses come from a qualified identity only.
    Professional(MailAddress),
    /// A patient's Mon espace santé mailbox.
    Patient(PatientAddress),
}

impl Recipient {
    /// A professional recipient; refuses patient-domain addresses.
    pub fn professional(address: MailAddress) -> Result<Self, MssError> {
        if address.is_patient() {
            return Err(MssError::Compose(
                "a patient address must be built from a qualified identity (PatientAddress::of)",
            ));
        }
        Ok(Self::Professional(address))
    }
    /// The mail address.
    pub fn address(&self) -> &MailAddress {
        match self {
            Self::Professional(a) => a,
            Self::Patient(p) => &p.address,
        }
    }
    /// Whether the recipient is a patient.
    pub fn is_patient(&self) -> bool {
        matches!(self, Self::Patient(_))
    }
}

impl From<PatientAddress> for Recipient {
    fn from(p: PatientAddress) -> Self {
        Self::Patient(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses() {
        let a = MailAddress::parse("jean.dupont@Pharmacie.MSSante.fr").unwrap();
        assert_eq!(a.as_str(), "jean.dupont@pharmacie.mssante.fr");
        assert_eq!(a.domain(), "pharmacie.mssante.fr");
        assert!(MailAddress::parse("a+b_c@x-y.fr").is_ok());
    }

    #[test]
    fn injections_and_malformed_are_refused_with_position() {
        for (input, pos) in [
            ("a b@x.fr", 1),
            ("a@x.fr>\r\nRCPT TO:<b@y.fr", 1),
            ("a..b@x.fr", 2),
            (".a@x.fr", 0),
            ("a@x", 2),
            ("a@-x.fr", 2),
            ("<a@x.fr>", 0),
        ] {
            match MailAddress::parse(input) {
                Err(MssError::InvalidAddress { position, .. }) => {
                    assert_eq!(position, pos, "{input:?}")
                }
                other => panic!("{input:?}: {other:?}"),
            }
        }
        assert!(MailAddress::parse(&format!("{}@x.fr", "a".repeat(65))).is_err());
    }

    #[test]
    fn patient_domain_is_refused_as_professional_and_redacted() {
        let a = MailAddress::parse("279035121518989@patient.mssante.fr").unwrap();
        assert!(a.is_patient());
        assert!(!a.to_string().contains("2790351"));
        assert!(!format!("{a:?}").contains("2790351"));
        assert!(Recipient::professional(a).is_err());
    }
}
