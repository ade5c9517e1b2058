//! The demo's cards: a CPS3 of a test pharmacist and a Vitale 2 of the fictitious test patient,
//! simulated in memory and reached through `segur_cps_card::transport::MemoryTransport`, so the
//! SDK's own card code (ATR table, T=0 rules, PKCS#15 directories, PIN counters, Vitale
//! identity zone) runs exactly as on a reader, without PC/SC.
//!
//! The simulation answers the ISO/IEC 7816-4 commands the SDK sends to these cards (SELECT,
//! READ BINARY, GET RESPONSE, GET DATA of the PIN SDO, VERIFY) with the T=0 behaviour of a CPS3
//! (`61xx` then GET RESPONSE, `6Cxx` exact length). It signs nothing: the certificates are
//! self-signed test certificates of "TEST SEGUR", embedded, with no private key.

use segur_cps_card::TransportError;
use segur_cps_card::pkcs15::build;
use segur_cps_card::tlv::{Tag, encode};
use segur_cps_card::transport::{MemoryTransport, Protocol};
use std::collections::HashMap;

/// The ATR of a CPS3 (T=0), as in the SDK's ATR table.
pub const CPS3_ATR: &[u8] = &[
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
/// The ATR of a Vitale 2 card.
pub const VITALE2_ATR: &[u8] = &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00];

/// The demo CPS's PIN (a test card: not a secret).
pub const DEMO_PIN: &str = "1234";

const MF: u16 = 0x3F00;
const APP: u16 = 0x5000;
const VITALE_APP: u16 = 0x5100;
const PIN_REF: u8 = 0x81;

const CPS_AUTH_CERT: &[u8] = include_bytes!("cps-auth.der");
const CPS_SIGN_CERT: &[u8] = include_bytes!("cps-sign.der");

/// Who the Vitale card names: the fictitious test patient of the demo.
pub struct VitaleHolder<'a> {
    /// Last name.
    pub last_name: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Birth date `YYYYMMDD`.
    pub birth_date: &'a str,
    /// NIR, 15 characters (13 + key).
    pub nir: &'a str,
}

struct File {
    parent: u16,
    data: Vec<u8>,
}

/// A card's file system and volatile state.
struct Card {
    files: HashMap<u16, File>,
    aid: Vec<u8>,
    app: u16,
    current_df: u16,
    current_ef: Option<u16>,
    pending: Vec<u8>,
    tries: u8,
}

fn sw(a: u8, b: u8) -> Vec<u8> {
    vec![a, b]
}

fn tlv(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode(Tag(tag), value, &mut out);
    out
}

impl Card {
    fn new(aid: &[u8], app: u16) -> Self {
        let mut card = Self {
            files: HashMap::new(),
            aid: aid.to_vec(),
            app,
            current_df: MF,
            current_ef: None,
            pending: Vec::new(),
            tries: 3,
        };
        card.add(app, MF, Vec::new());
        card
    }

    fn add(&mut self, fid: u16, parent: u16, data: Vec<u8>) {
        self.files.insert(fid, File { parent, data });
    }

    fn is_df(&self, fid: u16) -> bool {
        fid == MF || self.files.values().any(|f| f.parent == fid)
    }

    /// Data the T=0 way: `61xx`, the host fetches it with GET RESPONSE.
    fn deferred(&mut self, data: Vec<u8>) -> Vec<u8> {
        let n = data.len();
        self.pending = data;
        sw(0x61, u8::try_from(n).unwrap_or(0))
    }

    fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        let [cla, ins, p1, p2, body @ ..] = apdu else {
            return sw(0x67, 0x00);
        };
        // Short APDUs only: case 1 (no body), case 2 (Le), case 3 (Lc data). A T=0 card never
        // receives a case-4 Le.
        let (data, le): (&[u8], Option<usize>) = match body {
            [] => (&[], None),
            [le] => (&[], Some(if *le == 0 { 256 } else { usize::from(*le) })),
            [lc, rest @ ..] if rest.len() == usize::from(*lc) => (rest, None),
            _ => return sw(0x67, 0x00),
        };
        if *cla & 0x03 != 0 {
            return sw(0x68, 0x81);
        }
        if *ins != 0xC0 {
            self.pending.clear();
        }
        match ins {
            0xA4 => self.select(*p1, *p2, data),
            0xB0 => self.read_binary(*p1, *p2, le.unwrap_or(256)),
            0xC0 => self.get_response(le.unwrap_or(256)),
            0xCB => self.get_data(data),
            0x20 => self.verify(*p2, data),
            _ => sw(0x6D, 0x00),
        }
    }

    fn select(&mut self, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
        let target = match p1 {
            0x04 if data == self.aid.as_slice() => self.app,
            0x04 => return sw(0x6A, 0x82),
            0x00 if data == [0x3F, 0x00] => MF,
            0x08 | 0x09 if !data.is_empty() && data.len().is_multiple_of(2) => {
                let mut df = if p1 == 0x08 { MF } else { self.current_df };
                let mut last = df;
                for pair in data.chunks_exact(2) {
                    let fid = u16::from_be_bytes([
                        pair.first().copied().unwrap_or(0),
                        pair.get(1).copied().unwrap_or(0),
                    ]);
                    match self.files.get(&fid) {
                        Some(f) if f.parent == df => {
                            last = fid;
                            if self.is_df(fid) {
                                df = fid;
                            }
                        }
                        _ => return sw(0x6A, 0x82),
                    }
                }
                last
            }
            _ => return sw(0x6A, 0x86),
        };
        if self.is_df(target) {
            self.current_df = target;
            self.current_ef = None;
        } else {
            self.current_df = self.files.get(&target).map_or(MF, |f| f.parent);
            self.current_ef = Some(target);
        }
        if p2 == 0x0C {
            return sw(0x90, 0x00);
        }
        let fci = tlv(0x6F, &tlv(0x83, &target.to_be_bytes()));
        self.deferred(fci)
    }

    fn read_binary(&mut self, p1: u8, p2: u8, le: usize) -> Vec<u8> {
        let (fid, offset) = if p1 & 0x80 != 0 {
            // Short EF identifier: in the Vitale application, EF 01xx.
            let sfi = u16::from(p1 & 0x1F);
            let fid = if self.current_df == VITALE_APP {
                0x0100 | sfi
            } else {
                sfi
            };
            match self.files.get(&fid) {
                Some(f) if f.parent == self.current_df => {}
                _ => return sw(0x6A, 0x82),
            }
            self.current_ef = Some(fid);
            (fid, usize::from(p2))
        } else {
            match self.current_ef {
                Some(f) => (f, usize::from(u16::from_be_bytes([p1, p2]))),
                None => return sw(0x69, 0x86),
            }
        };
        let Some(file) = self.files.get(&fid) else {
            return sw(0x6A, 0x82);
        };
        let Some(left) = file.data.get(offset..) else {
            return sw(0x6B, 0x00);
        };
        if le > left.len() {
            // T=0: the card names the exact length (ISO/IEC 7816-3 §10.3.3).
            return match u8::try_from(left.len()) {
                Ok(0) => sw(0x6B, 0x00),
                Ok(n) => sw(0x6C, n),
                Err(_) => sw(0x6C, 0x00),
            };
        }
        let mut out = left.get(..le).unwrap_or_default().to_vec();
        out.extend([0x90, 0x00]);
        out
    }

    fn get_response(&mut self, le: usize) -> Vec<u8> {
        if self.pending.is_empty() {
            return sw(0x69, 0x85);
        }
        if le > self.pending.len() {
            return sw(0x6C, u8::try_from(self.pending.len()).unwrap_or(0));
        }
        let mut out: Vec<u8> = self.pending.drain(..le).collect();
        match u8::try_from(self.pending.len()) {
            Ok(0) => out.extend([0x90, 0x00]),
            Ok(n) => out.extend([0x61, n]),
            Err(_) => out.extend([0x61, 0x00]),
        }
        out
    }

    /// GET DATA of the CHV security data object (IAS-ECC), as the SDK reads the PIN counters.
    fn get_data(&mut self, data: &[u8]) -> Vec<u8> {
        let expected = [
            0x4D,
            0x08,
            0x70,
            0x06,
            0xBF,
            0x81,
            PIN_REF & 0x7F,
            0x02,
            0xA0,
            0x80,
        ];
        if data != expected || self.current_df != MF {
            return sw(0x6A, 0x88);
        }
        let mut a0 = tlv(0x9A, &[3]);
        a0.extend(tlv(0x9B, &[self.tries]));
        a0.extend(tlv(0x9D, &[0x00, 0x10]));
        let response = tlv(0x70, &tlv(0xBF8101, &tlv(0xA0, &a0)));
        self.deferred(response)
    }

    fn verify(&mut self, p2: u8, data: &[u8]) -> Vec<u8> {
        if p2 != PIN_REF {
            return sw(0x6A, 0x88);
        }
        if self.tries == 0 {
            return sw(0x69, 0x83);
        }
        // The PIN block: the digits padded with FF to 8 bytes (the AODF below says so).
        let mut block = DEMO_PIN.as_bytes().to_vec();
        block.resize(8, 0xFF);
        if data == block.as_slice() {
            self.tries = 3;
            sw(0x90, 0x00)
        } else {
            self.tries -= 1;
            sw(0x63, 0xC0 | self.tries)
        }
    }
}

/// The business data object's content: the layout of real cards is not public, so a
/// SEQUENCE { UTF8String, INTEGER } stands in.
fn business(name: &str) -> Vec<u8> {
    let mut inner = tlv(0x0C, name.as_bytes());
    inner.extend(tlv(0x02, &[0x01]));
    tlv(0x30, &inner)
}

/// A transport to the demo CPS3 of a test pharmacist.
pub fn cps3() -> impl segur_cps_card::Transport {
    let mut card = Card::new(&segur_cps_card::cps::AID_CPX_IAS, APP);
    // EF.SN.ICC: issuer 80 25 00 00 01 (ANS) then the serial number.
    card.add(
        0xD003,
        MF,
        vec![
            0x5A, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x26,
        ],
    );
    let mut odf = build::odf_entry(0xA4, &[0x44, 0x04]);
    odf.extend(build::odf_entry(0xA7, &[0x44, 0x05]));
    odf.extend(build::odf_entry(0xA8, &[0x44, 0x01]));
    card.add(0x5031, APP, odf);
    card.add(
        0x4401,
        APP,
        build::pin("Code porteur", &[0x01], 4, 8, PIN_REF, 0xFF),
    );
    let mut cdf = build::object(
        "Certificat d'Authentification CPS",
        Some(&[0x02]),
        &[0x3F, 0x00, 0x50, 0x00, 0xC0, 0x01],
    );
    cdf.extend(build::object(
        "Certificat de Signature CPS",
        Some(&[0x03]),
        &[0x3F, 0x00, 0x50, 0x00, 0xC0, 0x02],
    ));
    card.add(0x4404, APP, cdf);
    card.add(0xC001, APP, CPS_AUTH_CERT.to_vec());
    card.add(0xC002, APP, CPS_SIGN_CERT.to_vec());
    card.add(
        0x4405,
        APP,
        build::object("CPS_NAME_PS", None, &[0xD1, 0x01]),
    );
    card.add(0xD101, APP, business("PHARMACIEN TEST"));
    MemoryTransport::new(CPS3_ATR, Protocol::T0, move |apdu: &[u8]| {
        Ok::<_, TransportError>(card.execute(apdu))
    })
}

/// A transport to the demo Vitale 2 card of `holder`.
pub fn vitale2(holder: &VitaleHolder<'_>) -> impl segur_cps_card::Transport {
    let mut card = Card::new(&segur_cps_card::vitale::AID_VITALE, VITALE_APP);
    let mut fields = tlv(0x80, holder.last_name.as_bytes());
    fields.extend(tlv(0x81, holder.first_name.as_bytes()));
    fields.extend(tlv(0x82, holder.birth_date.as_bytes()));
    let mut identity = tlv(0x65, &fields);
    // Cards pad their files with zeros.
    identity.extend([0u8; 16]);
    card.add(0x0002, MF, identity);
    let mut nirs = tlv(0x65, &tlv(0x93, holder.nir.as_bytes()));
    nirs.extend([0u8; 8]);
    card.add(0x0102, VITALE_APP, nirs);
    MemoryTransport::new(VITALE2_ATR, Protocol::T0, move |apdu: &[u8]| {
        Ok::<_, TransportError>(card.execute(apdu))
    })
}
