//! The JSON views of readers and cards, written once here and printed by both the CLI
//! (`segur card list`, `segur card info`) and the C API (`segur_card_list`,
//! `segur_cps_card_info`): one `serde::Serialize` type per JSON contract, so the two can never
//! drift apart.
//!
//! - [`ReaderView`]: one PC/SC reader and the card in it (`[ReaderView]` is the list);
//! - [`CpsInfoView`]: what a CPS says about itself without the PIN: kind, serial, PIN counters
//!   (ISO/IEC 7816-4 §11.5.6 status words), certificates, business objects;
//! - [`CardInfoView`]: the reader, ATR (ISO/IEC 7816-3) and protocol of `segur card info`
//!   around the [`CardDetails`] of the card found.
//!
//! A part the card refuses is `{"error":"..."}` in place of its value ([`Part`]). No view
//! holds patient data: a Vitale card shows its number of beneficiaries only.

use crate::cps::{CardCertificate, CpsCard, KeyRole, PinStatus};
use crate::{Hex, Transport};
use serde::Serialize;

/// A value read from the card, or the error the card gave for it: `{"error":"..."}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Part<T> {
    /// The value.
    Ok(T),
    /// Why it could not be read (the typed error's text: reason and position, no secret).
    Error {
        /// The error text.
        error: String,
    },
}

impl<T> Part<T> {
    /// `Ok` of `f(value)`, or the error's text.
    pub fn of<U>(r: crate::Result<U>, f: impl FnOnce(U) -> T) -> Self {
        match r {
            Ok(v) => Self::Ok(f(v)),
            Err(e) => Self::Error {
                error: e.to_string(),
            },
        }
    }
}

/// One PC/SC reader: `{"reader","card_present","exclusive","atr":"3B..."|null,
/// "card":"cps3"|"cps3-contactless"|"cps4"|"vitale2"|"vitale1"|"unknown"|null}`.
#[derive(Debug, Serialize)]
pub struct ReaderView {
    reader: String,
    card_present: bool,
    exclusive: bool,
    atr: Option<String>,
    card: Option<&'static str>,
}

#[cfg(feature = "pcsc")]
impl ReaderView {
    /// The view of `r`; the card kind is identified from its ATR ([`crate::atr::identify`]).
    pub fn of(r: &crate::pcsc::ReaderInfo) -> Self {
        Self {
            reader: r.name.clone(),
            card_present: r.card_present,
            exclusive: r.exclusive,
            atr: r.atr.as_deref().map(|a| Hex(a).to_string()),
            card: r.atr.as_deref().map(|a| crate::atr::identify(a).as_str()),
        }
    }

    /// The views of a reader list, in its order.
    pub fn list(readers: &[crate::pcsc::ReaderInfo]) -> Vec<Self> {
        readers.iter().map(Self::of).collect()
    }
}

/// PIN counters: `{"tries_left":3,"max_tries":3|null,"blocked":false}`.
#[derive(Debug, Serialize)]
pub struct PinView {
    tries_left: u8,
    max_tries: Option<u8>,
    blocked: bool,
}

impl From<PinStatus> for PinView {
    fn from(p: PinStatus) -> Self {
        Self {
            tries_left: p.tries_left,
            max_tries: p.max_tries,
            blocked: p.blocked,
        }
    }
}

/// A card certificate: `{"subject","issuer","serial","not_after"}` (RFC 5280 fields; DNs as
/// RFC 4514 strings).
#[derive(Debug, Serialize)]
pub struct CertificateView {
    subject: String,
    issuer: String,
    serial: String,
    not_after: String,
}

impl From<CardCertificate> for CertificateView {
    fn from(c: CardCertificate) -> Self {
        Self {
            subject: c.subject,
            issuer: c.issuer,
            serial: c.serial,
            not_after: c.not_after,
        }
    }
}

/// The certificates of the two PIN-protected keys: `{"authentication":...,"signature":...}`.
#[derive(Debug, Serialize)]
pub struct CertificatesView {
    authentication: Part<CertificateView>,
    signature: Part<CertificateView>,
}

/// What a CPS says about itself without the PIN: `{"card":"cps3"|"cps4"|...,"serial",
/// "pin":PinView,"certificates":CertificatesView,"business_objects":["CPS_NAME_PS",...]}`.
#[derive(Debug, Serialize)]
pub struct CpsInfoView {
    card: &'static str,
    serial: String,
    pin: Part<PinView>,
    certificates: CertificatesView,
    business_objects: Part<Vec<String>>,
}

impl CpsInfoView {
    /// Reads the view from `card` (PIN counters, both certificates, the business object
    /// labels); a part the card refuses is kept as its error.
    pub fn read<T: Transport>(card: &mut CpsCard<T>) -> Self {
        Self {
            card: card.kind().as_str(),
            serial: card.serial().to_string(),
            pin: Part::of(card.pin_status(), PinView::from),
            certificates: CertificatesView {
                authentication: Part::of(
                    card.certificate(KeyRole::Authentication),
                    CertificateView::from,
                ),
                signature: Part::of(card.certificate(KeyRole::Signature), CertificateView::from),
            },
            business_objects: Part::of(card.business_labels(), |l| l),
        }
    }
}

/// What `segur card info` tells of the card found: a CPS's [`CpsInfoView`], a Vitale 2's
/// number of beneficiaries (never their identity), or a note.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CardDetails {
    /// A CPS3 or CPS4.
    Cps(Box<CpsInfoView>),
    /// A Vitale 2: `{"card":"vitale2","beneficiaries":2}`.
    Vitale {
        /// The card kind.
        card: &'static str,
        /// How many beneficiaries the public identity zone lists.
        beneficiaries: Part<usize>,
    },
    /// Any other card: `{"card","note"}`.
    Other {
        /// The card kind.
        card: &'static str,
        /// What the SDK can say of it.
        note: &'static str,
    },
}

/// `segur card info`: `{"reader","atr","protocol","card",...}` followed by the fields of the
/// [`CardDetails`].
#[derive(Debug, Serialize)]
pub struct CardInfoView {
    reader: String,
    atr: String,
    protocol: String,
    #[serde(flatten)]
    details: CardDetails,
}

impl CardInfoView {
    /// The card in `reader`, with its ATR (hex), its protocol and its details.
    pub fn new(reader: &str, atr: &[u8], protocol: crate::Protocol, details: CardDetails) -> Self {
        Self {
            reader: reader.to_owned(),
            atr: Hex(atr).to_string(),
            protocol: format!("{protocol:?}"),
            details,
        }
    }
}
