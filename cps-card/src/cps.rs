//! CPS cards (CPS3 IAS-ECC, CPS3 contactless, CPS4 ChipDoc): detection, serial number, PIN,
//! certificates, signature and business data.
//!
//! Facts come from the ANS Cryptolib CPS sources and OpenSC (see the `cards` spec). Values that
//! are not public are in [`CpsConfig`], each marked **TO VERIFY** with its origin; PIN formats
//! are read from the card's PKCS#15 AODF when it has one.

use crate::apdu::{Command, Status, status_error};
use crate::asn1::Node;
use crate::atr::{self, CardKind};
use crate::error::{Error, Result, TransportError};
use crate::pin::Pin;
use crate::pkcs15::{self, DirectoryKind, Object, OdfEntry};
use crate::session::{Session, TraceEvent};
use crate::signer::{CardSigner, HashAlgorithm, SignatureAlgorithm};
use crate::tlv::{BerReader, Tag, find_recursive};
use crate::transport::Transport;
use sha2::Digest;

/// ANS issuer number, first bytes of EF.SN.ICC and of every CPS AID (cards spec §1.2).
pub const ANS_ISSUER_ID: [u8; 5] = [0x80, 0x25, 0x00, 0x00, 0x01];
/// PKCS#15 application of CPS3 contact (and CPS4), cards spec §1.3.
pub const AID_CPX_IAS: [u8; 13] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10,
];
/// PKCS#15 application of CPS3 contactless.
pub const AID_CPX_IAS_CL: [u8; 13] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x20,
];
/// CPS4 ChipDoc applet, selected on logical channel 1.
pub const AID_CPS4_CHIPDOC: [u8; 8] = [0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00];
/// CPS4 CPS2ter applet, selected on the basic channel.
pub const AID_CPS4_CPS2TER: [u8; 8] = [0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x02];
/// GlobalPlatform issuer security domain, part of ANS's CPS4 recovery sequence.
pub const AID_GP_ISD: [u8; 7] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00];
/// EF.SN.ICC (12 bytes, tag `5A`).
pub const PATH_SN_ICC: [u8; 4] = [0x3F, 0x00, 0xD0, 0x03];
/// EF_ACTUA (template `EC`, dates of the last update of the situations).
pub const PATH_ACTUA: [u8; 4] = [0x3F, 0x00, 0xD0, 0x10];

/// Labels of the business data objects (ANS PKCS#11 external specification, cards spec §1.5).
pub const BUSINESS_LABELS: &[&str] = &[
    "CPS_ID_CARD",
    "CPS_NAME_PS",
    "CPS_LANG_PS",
    "CPS_INFO_PS",
    "CPS_DATA",
    "CPS_SIT_FACT",
];

/// The keys of a CPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// Authentication key (`CPS_PRIV_AUT`; INSi, DMP, Pro Santé Connect).
    Authentication,
    /// Signature key (`CPS_PRIV_SIG`).
    Signature,
    /// Technical authentication key (`CPS_PRIV_TECH_AUT`, CPS3 only, no PIN).
    Technical,
}

impl KeyRole {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authentication => "authentication",
            Self::Signature => "signature",
            Self::Technical => "technical",
        }
    }
}

/// Card parameters that are not public. Every default is documented with its source; those
/// marked TO VERIFY must be checked against an ANS test card.
#[derive(Debug, Clone)]
pub struct CpsConfig {
    /// Largest READ BINARY answer: ANS uses 231 (`E7`) for CPS3 (`max_recv_size`).
    pub max_response_chunk: usize,
    /// PIN reference (VERIFY P2) when the AODF does not give one. **TO VERIFY** (no public
    /// AODF dump): CPS3 `0x01`, CPS4 `0x01`.
    pub pin_reference: u8,
    /// Stored PIN length when the AODF does not give it. **TO VERIFY**: 8.
    pub pin_stored_length: u8,
    /// PIN pad character when the AODF does not give it. **TO VERIFY**: `FF`.
    pub pin_pad_char: u8,
    /// Maximum PIN tries on CPS4 (hard-coded to 3 by ANS's driver).
    pub cps4_max_tries: u8,
    /// CPS3 key reference of the authentication key (`0x82`, decoded PrKDF, OpenSC #2267).
    pub cps3_auth_key_ref: u8,
    /// CPS3 key reference of the signature key. **TO VERIFY**: `0x84`.
    pub cps3_sign_key_ref: u8,
    /// CPS3 MSE algorithm reference for RSA PKCS#1 v1.5 with SHA-256 computed on card
    /// (PrKDFs lack it, OpenSC hot-patches it). **TO VERIFY**: `0x42`.
    pub cps3_alg_sign_sha256: u8,
    /// CPS3 MSE algorithm reference for INTERNAL AUTHENTICATE with a host-built DigestInfo.
    /// **TO VERIFY**: `0x02`.
    pub cps3_alg_auth_pkcs1: u8,
    /// CPS4 key id of the authentication key (`0x20`, ANS test sources).
    pub cps4_auth_key_id: u8,
    /// CPS4 key id of the signature key (`0x10`, ANS test sources).
    pub cps4_sign_key_id: u8,
    /// Certificate labels in the CDF (ANS test sources): authentication, signature, technical.
    pub certificate_labels: [String; 3],
}

impl Default for CpsConfig {
    fn default() -> Self {
        Self {
            max_response_chunk: 231,
            pin_reference: 0x01,
            pin_stored_length: 8,
            pin_pad_char: 0xFF,
            cps4_max_tries: 3,
            cps3_auth_key_ref: 0x82,
            cps3_sign_key_ref: 0x84,
            cps3_alg_sign_sha256: 0x42,
            cps3_alg_auth_pkcs1: 0x02,
            cps4_auth_key_id: 0x20,
            cps4_sign_key_id: 0x10,
            certificate_labels: [
                "Certificat d'Authentification CPS".into(),
                "Certificat de Signature CPS".into(),
                "Certificat Technique CPS".into(),
            ],
        }
    }
}

/// The card serial number from EF.SN.ICC, without the ANS issuer prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialNumber(Vec<u8>);

impl SerialNumber {
    /// Parses EF.SN.ICC: `5A 0A` then `80 25 00 00 01` then the serial (cards spec §1.2).
    pub fn parse(ef: &[u8]) -> Result<Self> {
        let bad = |reason| Error::Data {
            object: "EF.SN.ICC",
            reason,
        };
        let pan = BerReader::new(ef)?
            .skip_padding()
            .find_tag(Tag(0x5A))?
            .ok_or(bad("no tag 5A"))?;
        if pan.value.len() <= ANS_ISSUER_ID.len() {
            return Err(bad("too short"));
        }
        let Some(serial) = pan.value.strip_prefix(&ANS_ISSUER_ID[..]) else {
            return Err(Error::WrongCard {
                expected: "CPS",
                reason: "issuer number is not 80 25 00 00 01",
            });
        };
        Ok(Self(serial.to_vec()))
    }

    /// The raw serial bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::Hex(&self.0).fmt(f)
    }
}

/// PIN counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinStatus {
    /// Tries left before blocking.
    pub tries_left: u8,
    /// Maximum tries, when known.
    pub max_tries: Option<u8>,
    /// Whether the PIN is blocked.
    pub blocked: bool,
    /// Whether the PIN is currently verified (CPS4 only; `None` when the card does not say).
    pub verified: Option<bool>,
}

/// A certificate read from the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardCertificate {
    /// Which key it certifies.
    pub role: KeyRole,
    /// DER encoding.
    pub der: Vec<u8>,
    /// Subject DN (RFC 4514 string).
    pub subject: String,
    /// Issuer DN (RFC 4514 string).
    pub issuer: String,
    /// Serial number (hex).
    pub serial: String,
    /// Validity end (RFC 3339 / X.509 time as printed by `x509-cert`).
    pub not_after: String,
}

impl CardCertificate {
    /// Parses a DER certificate (RFC 5280).
    pub fn parse(role: KeyRole, der: Vec<u8>) -> Result<Self> {
        use x509_cert::der::Decode;
        let cert = x509_cert::Certificate::from_der(&der).map_err(|_| Error::Data {
            object: "certificate",
            reason: "not a DER X.509 certificate",
        })?;
        let tbs = &cert.tbs_certificate;
        Ok(Self {
            role,
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            serial: crate::Hex(tbs.serial_number.as_bytes()).to_string(),
            not_after: tbs.validity.not_after.to_string(),
            der,
        })
    }
}

/// A business data object (`CPS_*`), returned as read: its layout is not public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessObject {
    /// DODF label.
    pub label: String,
    /// Raw content (ASN.1 as stored on the card, zero padding included).
    pub der: Vec<u8>,
}

impl BusinessObject {
    /// A generic ASN.1 tree of the content (trailing zero padding ignored).
    pub fn tree(&self) -> Result<Vec<Node<'_>>> {
        let end = self.der.iter().rposition(|b| *b != 0).map_or(0, |p| p + 1);
        Node::parse(self.der.get(..end).unwrap_or_default())
    }
}

/// EF_ACTUA: dates of the last update of the situations (BCD `YYYYMMDDhhmmss`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actua {
    /// Tag `81`: start of the last update.
    pub start: String,
    /// Tag `82`: end of the last update.
    pub end: String,
}

impl Actua {
    /// Parses template `EC` (cards spec §1.4).
    pub fn parse(ef: &[u8]) -> Result<Self> {
        let bad = |reason| Error::Data {
            object: "EF_ACTUA",
            reason,
        };
        let ec = BerReader::new(ef)?
            .skip_padding()
            .find_tag(Tag(0xEC))?
            .ok_or(bad("no template EC"))?;
        let bcd = |tag| -> Result<String> {
            let v = ec.child(Tag(tag))?.ok_or(bad("missing date"))?;
            let mut s = String::with_capacity(v.value.len() * 2);
            for b in v.value {
                for n in [b >> 4, b & 0x0F] {
                    if n > 9 {
                        return Err(bad("date is not BCD"));
                    }
                    s.push(char::from(b'0' + n));
                }
            }
            Ok(s)
        };
        Ok(Self {
            start: bcd(0x81)?,
            end: bcd(0x82)?,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct PinParams {
    reference: u8,
    stored_length: u8,
    pad: u8,
}

/// An open CPS card.
#[derive(Debug)]
pub struct CpsCard<T> {
    session: Session<T>,
    kind: CardKind,
    config: CpsConfig,
    serial: SerialNumber,
    app_selected: bool,
    odf: Option<Vec<OdfEntry>>,
    pin: Option<PinParams>,
}

impl<T: Transport> CpsCard<T> {
    /// Opens a CPS: checks the ATR against the known CPS ATRs, then EF.SN.ICC's issuer number.
    pub fn open(transport: T, config: CpsConfig) -> Result<Self> {
        let kind = atr::identify(transport.atr());
        if !kind.is_cps() {
            return Err(Error::WrongCard {
                expected: "CPS",
                reason: "ATR is not a known CPS ATR",
            });
        }
        let mut session = Session::new(transport);
        session.set_max_response_chunk(config.max_response_chunk);
        let mut card = Self {
            session,
            kind,
            config,
            serial: SerialNumber(Vec::new()),
            app_selected: false,
            odf: None,
            pin: None,
        };
        card.serial = card.recovering(|c| {
            let ef = c.read_ef(&PATH_SN_ICC)?;
            SerialNumber::parse(&ef)
        })?;
        Ok(card)
    }

    /// Installs an APDU trace hook (PIN data masked).
    pub fn set_trace(&mut self, hook: impl FnMut(&TraceEvent) + Send + 'static) {
        self.session.set_trace(hook);
    }

    /// CPS3, CPS3 contactless or CPS4.
    pub fn kind(&self) -> CardKind {
        self.kind
    }

    /// The serial number (EF.SN.ICC without the issuer prefix).
    pub fn serial(&self) -> &SerialNumber {
        &self.serial
    }

    /// The APDU session (for commands this API does not cover).
    pub fn session_mut(&mut self) -> &mut Session<T> {
        &mut self.session
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.session.into_transport()
    }

    fn channel(&self) -> u8 {
        if self.kind == CardKind::Cps4 { 1 } else { 0 }
    }

    fn cla(&self) -> u8 {
        self.channel()
    }

    /// Runs `op`; after a reset by another application, reconnects, forgets the card state and
    /// runs it once more (PC/SC `SCARD_W_RESET_CARD`, as openpgp-card's backend does).
    fn recovering<R>(&mut self, mut op: impl FnMut(&mut Self) -> Result<R>) -> Result<R> {
        match op(self) {
            Err(Error::Transport(TransportError::CardReset)) => {
                self.session.transport_mut().reconnect()?;
                self.app_selected = false;
                op(self)
            }
            other => other,
        }
    }

    fn select_app(&mut self) -> Result<()> {
        if self.app_selected {
            return Ok(());
        }
        match self.kind {
            CardKind::Cps4 => {
                if let Err(first) = self.session.select_aid(&AID_CPS4_CHIPDOC, 1) {
                    if !matches!(first, Error::Status { .. }) {
                        return Err(first);
                    }
                    // ANS card-cps4.c recovery: ISD on channel 1, CPS2ter on the basic channel,
                    // then ChipDoc again.
                    self.session.select_aid(&AID_GP_ISD, 1)?;
                    self.session.select_aid(&AID_CPS4_CPS2TER, 0)?;
                    self.session.select_aid(&AID_CPS4_CHIPDOC, 1)?;
                }
            }
            CardKind::Cps3Contactless => self.session.select_aid(&AID_CPX_IAS_CL, 0)?,
            _ => self.session.select_aid(&AID_CPX_IAS, 0)?,
        }
        self.app_selected = true;
        Ok(())
    }

    /// Selects `path` and reads the whole EF. Paths from `3F00` are absolute; others are
    /// relative to the PKCS#15 application. On CPS4 the leading `3F00` is dropped and the path
    /// is selected on channel 1 from the ChipDoc applet (ANS `card-cps4.c`; **TO VERIFY**).
    pub fn read_ef(&mut self, path: &[u8]) -> Result<Vec<u8>> {
        let absolute = path.starts_with(&[0x3F, 0x00]);
        if self.kind == CardKind::Cps4 {
            self.select_app()?;
            let rel = if absolute {
                path.get(2..).unwrap_or_default()
            } else {
                path
            };
            self.session.select_path(rel, 1)?;
        } else if absolute {
            self.app_selected = false;
            self.session.select_path(path, 0)?;
        } else {
            self.select_app()?;
            self.session.select_path(path, 0)?;
        }
        let cla = self.cla();
        self.session.read_binary(cla, None)
    }

    fn odf(&mut self) -> Result<Vec<OdfEntry>> {
        if let Some(o) = &self.odf {
            return Ok(o.clone());
        }
        let data = self.read_ef(&pkcs15::ODF_FID)?;
        let odf = pkcs15::parse_odf(&data)?;
        self.odf = Some(odf.clone());
        Ok(odf)
    }

    fn directory(&mut self, kind: DirectoryKind, name: &'static str) -> Result<Vec<Object>> {
        let mut out = Vec::new();
        for e in self.odf()?.into_iter().filter(|e| e.kind == kind) {
            let data = self.read_ef(&e.path)?;
            out.extend(pkcs15::parse_directory(&data, name)?);
        }
        Ok(out)
    }

    fn pin_params(&mut self) -> Result<PinParams> {
        if let Some(p) = self.pin {
            return Ok(p);
        }
        let aodf = match self.directory(DirectoryKind::AuthObjects, "AODF") {
            Ok(a) => a,
            Err(Error::Status { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let attrs = aodf.iter().find_map(|o| o.pin);
        let p = PinParams {
            reference: attrs
                .and_then(|a| a.reference)
                .unwrap_or(self.config.pin_reference),
            stored_length: attrs
                .map(|a| a.stored_length)
                .filter(|l| *l > 0)
                .unwrap_or(self.config.pin_stored_length),
            pad: attrs
                .and_then(|a| a.pad_char)
                .unwrap_or(self.config.pin_pad_char),
        };
        self.pin = Some(p);
        Ok(p)
    }

    /// PIN counters: CPS3 reads the CHV SDO with GET DATA (`9A` max, `9B` left, `9D` usage
    /// counter); CPS4 sends VERIFY without data (`63Cx`, `6983`), cards spec §1.7.
    pub fn pin_status(&mut self) -> Result<PinStatus> {
        self.recovering(|c| c.pin_status_once())
    }

    fn pin_status_once(&mut self) -> Result<PinStatus> {
        let p = self.pin_params()?;
        if self.kind == CardKind::Cps4 {
            self.select_app()?;
            let r = self
                .session
                .transmit(&Command::new(0x01, 0x20, 0x00, p.reference))?;
            let max = Some(self.config.cps4_max_tries);
            return match r.sw().status() {
                Status::Success => Ok(PinStatus {
                    tries_left: self.config.cps4_max_tries,
                    max_tries: max,
                    blocked: false,
                    verified: Some(true),
                }),
                Status::VerificationFailed(n) => Ok(PinStatus {
                    tries_left: n,
                    max_tries: max,
                    blocked: n == 0,
                    verified: Some(false),
                }),
                Status::AuthenticationBlocked => Ok(PinStatus {
                    tries_left: 0,
                    max_tries: max,
                    blocked: true,
                    verified: Some(false),
                }),
                _ => Err(status_error("PIN status", r.sw())),
            };
        }
        self.app_selected = false;
        self.session.select_path(&[0x3F, 0x00], 0)?;
        let sdo = [
            0x4D,
            0x08,
            0x70,
            0x06,
            0xBF,
            0x81,
            p.reference & 0x7F,
            0x02,
            0xA0,
            0x80,
        ];
        let cmd = Command::new(0x00, 0xCB, 0x3F, 0xFF)
            .with_data(sdo)
            .with_le(256);
        let data = self.session.call(&cmd, "GET DATA (PIN SDO)")?;
        let byte = |tag| -> Result<Option<u8>> {
            Ok(find_recursive(&data, Tag(tag))?.and_then(|t| t.value.last().copied()))
        };
        let tries_left = byte(0x9B)?.ok_or(Error::Data {
            object: "PIN SDO",
            reason: "no tries-left counter (9B)",
        })?;
        let usage_exhausted = find_recursive(&data, Tag(0x9D))?
            .is_some_and(|t| !t.value.is_empty() && t.value.iter().all(|b| *b == 0));
        Ok(PinStatus {
            tries_left,
            max_tries: byte(0x9A)?,
            blocked: tries_left == 0 || usage_exhausted,
            verified: None,
        })
    }

    /// Verifies the PIN (ISO/IEC 7816-4 VERIFY). A wrong PIN gives [`Error::WrongPin`] with the
    /// tries left; a blocked one [`Error::PinBlocked`]. The PIN is never logged or traced.
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<()> {
        self.recovering(|c| {
            let p = c.pin_params()?;
            let block = pin.block(usize::from(p.stored_length), p.pad)?;
            c.select_app()?;
            let cmd = Command::new(c.cla(), 0x20, 0x00, p.reference)
                .with_data(block.as_slice())
                .sensitive();
            let r = c.session.transmit(&cmd)?;
            if r.sw().is_success() {
                Ok(())
            } else {
                Err(status_error("VERIFY", r.sw()))
            }
        })
    }

    /// Reads the certificate of `role`, found by its label in the PKCS#15 CDF.
    pub fn certificate(&mut self, role: KeyRole) -> Result<CardCertificate> {
        // One label per KeyRole variant (an array of exactly three): `get` cannot miss.
        let label = self
            .config
            .certificate_labels
            .get(role as usize)
            .cloned()
            .unwrap_or_default();
        self.recovering(|c| {
            let cdf = c.directory(DirectoryKind::Certificates, "CDF")?;
            let obj = cdf.iter().find(|o| o.label == label).ok_or(Error::Data {
                object: "CDF",
                reason: "no certificate with the expected label",
            })?;
            let path = obj.path.clone().ok_or(Error::Data {
                object: "CDF",
                reason: "certificate entry without a path",
            })?;
            let mut der = c.read_ef(&path)?;
            // Files are often larger than the certificate: keep the DER object only.
            if let Some(Ok(first)) = BerReader::new(&der)?.next() {
                let end = first.value_offset + first.value.len();
                der.truncate(end);
            }
            CardCertificate::parse(role, der)
        })
    }

    /// Labels of the data objects listed in the DODF.
    pub fn business_labels(&mut self) -> Result<Vec<String>> {
        self.recovering(|c| {
            Ok(c.directory(DirectoryKind::DataObjects, "DODF")?
                .into_iter()
                .map(|o| o.label)
                .collect())
        })
    }

    /// Reads a business data object by its DODF label (e.g. `CPS_NAME_PS`), as raw DER.
    /// PIN-protected objects (`CPS_ACTIVITY_xx_PS`, `CPS_SIT_FACT`) give [`Error::PinRequired`]
    /// until the PIN is verified.
    pub fn business_object(&mut self, label: &str) -> Result<BusinessObject> {
        self.recovering(|c| {
            let dodf = c.directory(DirectoryKind::DataObjects, "DODF")?;
            let path = dodf
                .iter()
                .find(|o| o.label == label)
                .and_then(|o| o.path.clone())
                .ok_or(Error::Data {
                    object: "DODF",
                    reason: "no data object with this label",
                })?;
            Ok(BusinessObject {
                label: label.to_owned(),
                der: c.read_ef(&path)?,
            })
        })
    }

    /// EF_ACTUA, or `None` when the situations were never updated (file absent).
    pub fn actua(&mut self) -> Result<Option<Actua>> {
        if self.kind == CardKind::Cps3Contactless {
            return Ok(None);
        }
        self.recovering(|c| match c.read_ef(&PATH_ACTUA) {
            Ok(ef) => Actua::parse(&ef).map(Some),
            Err(Error::Status { sw, .. }) if sw.status() == Status::FileNotFound => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Algorithms the key `role` supports on this card.
    pub fn algorithms(&self, role: KeyRole) -> &'static [SignatureAlgorithm] {
        match (self.kind, role) {
            (CardKind::Cps4, KeyRole::Authentication | KeyRole::Signature) => &[
                SignatureAlgorithm::RsaPssSha256,
                SignatureAlgorithm::RsaPkcs1Sha256,
                SignatureAlgorithm::RsaPssSha1,
                SignatureAlgorithm::RsaPkcs1Sha1,
            ],
            (CardKind::Cps3, KeyRole::Authentication | KeyRole::Signature) => {
                &[SignatureAlgorithm::RsaPkcs1Sha256]
            }
            _ => &[],
        }
    }

    /// Signs `message` with key `role` (PIN verified first).
    ///
    /// * CPS3: MSE SET, then PSO HASH with the intermediate SHA-256 state and the last block
    ///   (IAS-ECC requires the last hashing round on the card), then PSO COMPUTE DIGITAL
    ///   SIGNATURE. The `90` value is state ‖ 64-bit count of bits hashed (**TO VERIFY**).
    /// * CPS4: the SDK hashes, then MSE SET (`91 02 alg key`) and PSO CDS with the digest on
    ///   channel 1; RSA-PSS is computed by the card.
    pub fn sign_message(
        &mut self,
        role: KeyRole,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>> {
        self.check_alg(role, alg)?;
        if self.kind == CardKind::Cps4 {
            let digest = hash(alg.hash(), message);
            return self.sign_digest(role, alg, &digest);
        }
        if role == KeyRole::Authentication {
            let digest = hash(alg.hash(), message);
            return self.sign_digest(role, alg, &digest);
        }
        let (state, bits, last) = sha256_partial(message);
        let mut hash_data = Vec::with_capacity(44 + last.len());
        let mut inter = Vec::with_capacity(40);
        inter.extend_from_slice(&state);
        inter.extend_from_slice(&bits.to_be_bytes());
        crate::tlv::encode(Tag(0x90), &inter, &mut hash_data);
        crate::tlv::encode(Tag(0x80), last, &mut hash_data);
        let key = self.config.cps3_sign_key_ref;
        let alg_ref = self.config.cps3_alg_sign_sha256;
        self.recovering(|c| {
            c.select_app()?;
            c.session.call(
                &Command::new(0x00, 0x22, 0x41, 0xB6)
                    .with_data([0x80, 0x01, alg_ref, 0x84, 0x01, key]),
                "MSE SET (signature)",
            )?;
            c.session.call(
                &Command::new(0x00, 0x2A, 0x90, 0xA0).with_data(hash_data.clone()),
                "PSO HASH",
            )?;
            c.session.call(
                &Command::new(0x00, 0x2A, 0x9E, 0x9A).with_le(256),
                "PSO COMPUTE DIGITAL SIGNATURE",
            )
        })
    }

    /// Signs a precomputed digest. CPS4: PSO CDS (PKCS#1 v1.5 or PSS). CPS3: authentication key
    /// only, through INTERNAL AUTHENTICATE with the DigestInfo (the CPS3 signature key needs the
    /// message, see [`CpsCard::sign_message`]).
    pub fn sign_digest(
        &mut self,
        role: KeyRole,
        alg: SignatureAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>> {
        self.check_alg(role, alg)?;
        if digest.len() != alg.hash().output_len() {
            return Err(Error::Command {
                reason: "digest length does not match the hash algorithm",
            });
        }
        match (self.kind, role) {
            (CardKind::Cps4, _) => {
                let alg_ref = match alg {
                    SignatureAlgorithm::RsaPkcs1Sha1 => 0x0A,
                    SignatureAlgorithm::RsaPkcs1Sha256 => 0x28,
                    SignatureAlgorithm::RsaPssSha1 => 0x15,
                    SignatureAlgorithm::RsaPssSha256 => 0x2C,
                    // CPS keys are RSA only; `check_alg` has already refused it.
                    SignatureAlgorithm::EcdsaP256Sha256 => {
                        return Err(Error::Unsupported {
                            what: "ECDSA with a CPS key",
                        });
                    }
                };
                let key = 0x80
                    | if role == KeyRole::Signature {
                        self.config.cps4_sign_key_id
                    } else {
                        self.config.cps4_auth_key_id
                    };
                self.recovering(|c| {
                    c.select_app()?;
                    c.session.call(
                        &Command::new(0x01, 0x22, 0x81, 0xB6).with_data([0x91, 0x02, alg_ref, key]),
                        "MSE SET (signature)",
                    )?;
                    c.session.call(
                        &Command::new(0x01, 0x2A, 0x9E, 0x9A)
                            .with_data(digest)
                            .with_le(256),
                        "PSO COMPUTE DIGITAL SIGNATURE",
                    )
                })
            }
            (CardKind::Cps3, KeyRole::Authentication) => {
                let mut di = alg.hash().digest_info_prefix().to_vec();
                di.extend_from_slice(digest);
                let key = self.config.cps3_auth_key_ref;
                let alg_ref = self.config.cps3_alg_auth_pkcs1;
                self.recovering(|c| {
                    c.select_app()?;
                    c.session.call(
                        &Command::new(0x00, 0x22, 0x41, 0xA4)
                            .with_data([0x80, 0x01, alg_ref, 0x84, 0x01, key]),
                        "MSE SET (authentication)",
                    )?;
                    c.session.call(
                        &Command::new(0x00, 0x88, 0x00, 0x00)
                            .with_data(di.clone())
                            .with_le(256),
                        "INTERNAL AUTHENTICATE",
                    )
                })
            }
            _ => Err(Error::Unsupported {
                what: "the CPS3 signature key hashes on card: use sign_message",
            }),
        }
    }

    fn check_alg(&self, role: KeyRole, alg: SignatureAlgorithm) -> Result<()> {
        if self.kind == CardKind::Cps3Contactless {
            return Err(Error::Unsupported {
                what: "signature through the contactless interface of a CPS3",
            });
        }
        if !self.algorithms(role).contains(&alg) {
            return Err(Error::Unsupported {
                what: "this algorithm with this key on this card",
            });
        }
        Ok(())
    }

    /// A [`CardSigner`] for key `role` (reads its certificate).
    pub fn signer(&mut self, role: KeyRole) -> Result<CpsSigner<'_, T>> {
        let cert = self.certificate(role)?;
        Ok(CpsSigner {
            card: self,
            role,
            certificate: cert.der,
        })
    }
}

/// A key of a CPS as a [`CardSigner`].
#[derive(Debug)]
pub struct CpsSigner<'c, T> {
    card: &'c mut CpsCard<T>,
    role: KeyRole,
    certificate: Vec<u8>,
}

impl<T: Transport> CardSigner for CpsSigner<'_, T> {
    fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    fn algorithms(&self) -> &[SignatureAlgorithm] {
        self.card.algorithms(self.role)
    }

    fn sign_message(&mut self, alg: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        self.card.sign_message(self.role, alg, message)
    }

    fn sign_digest(&mut self, alg: SignatureAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        self.card.sign_digest(self.role, alg, digest)
    }
}

/// The card key through the SDK-wide signature interface (`&dyn segur_net::sign::Signer`).
impl<T: Transport> segur_net::sign::Signer for CpsSigner<'_, T> {
    fn certificate_chain(&self) -> Vec<Vec<u8>> {
        vec![self.certificate.clone()]
    }

    fn algorithms(&self) -> &[SignatureAlgorithm] {
        self.card.algorithms(self.role)
    }

    fn sign_message(
        &mut self,
        alg: SignatureAlgorithm,
        message: &[u8],
    ) -> std::result::Result<Vec<u8>, segur_net::sign::SignError> {
        self.card
            .sign_message(self.role, alg, message)
            .map_err(crate::signer::sign_error)
    }

    fn sign_digest(
        &mut self,
        alg: SignatureAlgorithm,
        digest: &[u8],
    ) -> std::result::Result<Vec<u8>, segur_net::sign::SignError> {
        self.card
            .sign_digest(self.role, alg, digest)
            .map_err(crate::signer::sign_error)
    }
}

fn hash(alg: HashAlgorithm, message: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => sha2::Sha256::digest(message).to_vec(),
        HashAlgorithm::Sha1 => sha1_digest(message),
    }
}

fn sha1_digest(message: &[u8]) -> Vec<u8> {
    sha1::Sha1::digest(message).to_vec()
}

/// SHA-256 of all complete 64-byte blocks but the last (FIPS 180-4 §6.2): returns the
/// intermediate state (big-endian words), the number of bits hashed, and the remaining
/// 0..=64 bytes the card hashes in the last round.
pub fn sha256_partial(message: &[u8]) -> ([u8; 32], u64, &[u8]) {
    use sha2::digest::generic_array::GenericArray;
    let mut state: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let blocks = message.len().saturating_sub(1) / 64;
    let (head, last) = message.split_at(blocks * 64);
    for b in head.chunks_exact(64) {
        sha2::compress256(&mut state, &[*GenericArray::from_slice(b)]);
    }
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    (out, (head.len() as u64) * 8, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sn_icc_and_actua() {
        let ef = [
            0x5A, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, 0x90,
        ];
        assert_eq!(SerialNumber::parse(&ef).unwrap().to_string(), "1234567890");
        let mut other = ef;
        other[3] = 0x26;
        assert!(matches!(
            SerialNumber::parse(&other),
            Err(Error::WrongCard { .. })
        ));
        let actua = [
            0xEC, 0x12, 0x81, 0x07, 0x20, 0x24, 0x01, 0x31, 0x12, 0x00, 0x00, 0x82, 0x07, 0x20,
            0x24, 0x02, 0x01, 0x08, 0x30, 0x59, 0, 0,
        ];
        let a = Actua::parse(&actua).unwrap();
        assert_eq!(a.start, "20240131120000");
        assert_eq!(a.end, "20240201083059");
    }

    #[test]
    fn sha1_matches_known_vectors() {
        assert_eq!(
            crate::Hex(&sha1_digest(b"abc")).to_string(),
            "A9993E364706816ABA3E25717850C26C9CD0D89D"
        );
        assert_eq!(
            crate::Hex(&sha1_digest(b"")).to_string(),
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"
        );
    }

    #[test]
    fn partial_hash_splits_on_block_boundaries() {
        for len in [0usize, 1, 63, 64, 65, 128, 129, 1000] {
            let msg = vec![0x61; len];
            let (_, bits, last) = sha256_partial(&msg);
            assert_eq!(bits as usize / 8 + last.len(), len);
            assert!(last.len() <= 64);
            assert!(len == 0 || !last.is_empty());
        }
    }
}
