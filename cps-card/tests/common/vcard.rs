//! Virtual cards behaving as a CPS3 (T=0 quirks included), a CPS4 (ChipDoc on channel 1) and a
//! Vitale 2, implementing what the cards spec documents. The same `execute` serves the
//! in-memory transport and vpcd (through `vpicc`).

use super::keys::{self, CardKeys};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pss::Pss;
use segur_cps_card::pkcs15::build;
use segur_cps_card::tlv::{Tag, encode};
use sha2::Sha256;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Cps3,
    Cps4,
    Vitale2,
}

pub const CPS3_ATR: &[u8] = &[
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
pub const CPS4_ATR: &[u8] = &[
    0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00, 0x00, 0x90,
    0x44,
];
pub const VITALE2_ATR: &[u8] = &[0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00];

pub const PIN: &str = "1234";
pub const CPS3_SERIAL: [u8; 5] = [0x01, 0x23, 0x45, 0x67, 0x89];
pub const CPS4_SERIAL: [u8; 5] = [0x09, 0x87, 0x65, 0x43, 0x21];

const MF: u16 = 0x3F00;
const APP: u16 = 0x5000;
const VITALE_APP: u16 = 0x5100;
const AID_CPS3: [u8; 13] = segur_cps_card::cps::AID_CPX_IAS;
const AID_CPS4: [u8; 8] = segur_cps_card::cps::AID_CPS4_CHIPDOC;

struct File {
    parent: u16,
    data: Vec<u8>,
    needs_pin: bool,
}

/// The card's state.
pub struct VirtualCard {
    pub kind: Kind,
    files: HashMap<u16, File>,
    current_df: u16,
    current_ef: Option<u16>,
    app_selected: bool,
    pending: Vec<u8>,
    pin_block: Vec<u8>,
    pin_ref: u8,
    pub tries: u8,
    verified: bool,
    mse: Option<(u8, u8, u8)>, // (template, alg, key)
    hashed: Option<[u8; 32]>,
    keys: &'static CardKeys,
    /// INS at which the card "is pulled out" (tests of removal mid-transaction).
    pub vanish_on_ins: Option<u8>,
    pub vanished: bool,
    /// Number of resets seen.
    pub resets: u32,
    /// Log of every command received (hex), to assert the wire behaviour.
    pub log: Vec<String>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn tlv(tag: u32, v: &[u8]) -> Vec<u8> {
    let mut o = Vec::new();
    encode(Tag(tag), v, &mut o);
    o
}

/// Synthetic CPS business data: a SEQUENCE of strings (the real layout is not public).
fn business(name: &str) -> Vec<u8> {
    let mut inner = tlv(0x0C, name.as_bytes());
    inner.extend(tlv(0x02, &[0x01]));
    let mut v = tlv(0x30, &inner);
    v.extend([0u8; 6]);
    v
}

impl VirtualCard {
    pub fn new(kind: Kind) -> Self {
        let keys = match kind {
            Kind::Cps4 => keys::cps4(),
            _ => keys::cps3(),
        };
        Self::with_keys(kind, keys)
    }

    /// A card holding `keys` and their certificates (e.g. [`keys::cps3_holder`], leaked for
    /// the test's duration).
    pub fn with_keys(kind: Kind, keys: &'static CardKeys) -> Self {
        let mut c = VirtualCard {
            kind,
            files: HashMap::new(),
            current_df: MF,
            current_ef: None,
            app_selected: false,
            pending: Vec::new(),
            pin_block: b"1234\xFF\xFF\xFF\xFF".to_vec(),
            pin_ref: if kind == Kind::Cps4 { 0x01 } else { 0x81 },
            tries: 3,
            verified: false,
            mse: None,
            hashed: None,
            keys,
            vanish_on_ins: None,
            vanished: false,
            resets: 0,
            log: Vec::new(),
        };
        match kind {
            Kind::Cps3 | Kind::Cps4 => c.build_cps(),
            Kind::Vitale2 => c.build_vitale(),
        }
        c
    }

    /// Warm reset: volatile state (selection, verified PIN, security environment) is lost.
    pub fn reset(&mut self) {
        self.resets += 1;
        self.current_df = MF;
        self.current_ef = None;
        self.app_selected = false;
        self.verified = false;
        self.mse = None;
        self.hashed = None;
        self.pending.clear();
    }

    pub fn atr(&self) -> &'static [u8] {
        match self.kind {
            Kind::Cps3 => CPS3_ATR,
            Kind::Cps4 => CPS4_ATR,
            Kind::Vitale2 => VITALE2_ATR,
        }
    }

    fn add(&mut self, fid: u16, parent: u16, data: Vec<u8>, needs_pin: bool) {
        self.files.insert(
            fid,
            File {
                parent,
                data,
                needs_pin,
            },
        );
    }

    fn build_cps(&mut self) {
        let serial = if self.kind == Kind::Cps4 {
            CPS4_SERIAL
        } else {
            CPS3_SERIAL
        };
        let mut sn = vec![0x5A, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01];
        sn.extend(serial);
        // CPS4: the SDK selects paths relative to ChipDoc (leading 3F00 dropped), so the
        // virtual CPS4 keeps every file under its application DF.
        let top = if self.kind == Kind::Cps4 { APP } else { MF };
        self.add(0xD003, top, sn, false);
        self.add(
            0xD010,
            top,
            vec![
                0xEC, 0x12, 0x81, 0x07, 0x20, 0x25, 0x03, 0x14, 0x09, 0x30, 0x00, 0x82, 0x07, 0x20,
                0x25, 0x03, 0x14, 0x09, 0x31, 0x15,
            ],
            false,
        );
        let mut odf = build::odf_entry(0xA4, &[0x44, 0x04]);
        odf.extend(build::odf_entry(0xA7, &[0x44, 0x05]));
        if self.kind == Kind::Cps3 {
            odf.extend(build::odf_entry(0xA8, &[0x44, 0x01]));
        }
        odf.extend([0u8; 8]);
        self.add(0x5031, APP, odf, false);
        if self.kind == Kind::Cps3 {
            self.add(
                0x4401,
                APP,
                build::pin("Code porteur", &[0x01], 4, 8, 0x81, 0xFF),
                false,
            );
        }
        // Certificate paths: absolute on CPS3 (SELECT from MF), relative on CPS4.
        let (auth_path, sign_path): (Vec<u8>, Vec<u8>) = if self.kind == Kind::Cps3 {
            (
                vec![0x3F, 0x00, 0x50, 0x00, 0xC0, 0x01],
                vec![0x3F, 0x00, 0x50, 0x00, 0xC0, 0x02],
            )
        } else {
            (vec![0xC0, 0x01], vec![0xC0, 0x02])
        };
        let mut cdf = build::object(
            "Certificat d'Authentification CPS",
            Some(&[0x02]),
            &auth_path,
        );
        cdf.extend(build::object(
            "Certificat de Signature CPS",
            Some(&[0x03]),
            &sign_path,
        ));
        self.add(0x4404, APP, cdf, false);
        let mut auth = self.keys.auth.cert_der.clone();
        auth.extend([0u8; 37]); // files are larger than the certificate
        self.add(0xC001, APP, auth, false);
        self.add(0xC002, APP, self.keys.sign.cert_der.clone(), false);
        let mut dodf = build::object("CPS_NAME_PS", None, &[0xD1, 0x01]);
        dodf.extend(build::object("CPS_ACTIVITY_01_PS", None, &[0xD1, 0x02]));
        self.add(0x4405, APP, dodf, false);
        self.add(0xD101, APP, business("PHARMACIEN TEST"), false);
        self.add(0xD102, APP, business("SITUATION 1"), true);
        self.add(APP, MF, Vec::new(), false);
    }

    fn build_vitale(&mut self) {
        let mut ident = Vec::new();
        for (n, p, d) in [
            ("TESTNOM", "CAMILLE", "19800101"),
            ("TESTNOM", "ALEX", "20100615"),
        ] {
            let mut t = tlv(0x80, n.as_bytes());
            t.extend(tlv(0x81, p.as_bytes()));
            t.extend(tlv(0x82, d.as_bytes()));
            ident.extend(tlv(0x65, &t));
        }
        ident.extend([0u8; 30]);
        self.add(0x0002, MF, ident, false);
        let mut nirs = Vec::new();
        for nir in ["180017512345622", "210067512345633"] {
            nirs.extend(tlv(0x65, &tlv(0x93, nir.as_bytes())));
        }
        nirs.extend([0u8; 12]);
        self.add(0x0102, VITALE_APP, nirs, false);
        self.add(VITALE_APP, MF, Vec::new(), false);
    }

    fn t0(&self) -> bool {
        self.kind != Kind::Cps4
    }

    /// Answers data: on T=0 cards through `61xx` + GET RESPONSE when `case4` (the command was
    /// sent as case 3), directly otherwise.
    fn answer(&mut self, data: Vec<u8>, case4_on_t0: bool) -> Vec<u8> {
        if case4_on_t0 && self.t0() && !data.is_empty() {
            let n = data.len();
            self.pending = data;
            return vec![0x61, if n >= 256 { 0 } else { n as u8 }];
        }
        let mut d = data;
        d.extend([0x90, 0x00]);
        d
    }

    pub fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.log.push(hex(apdu));
        if apdu.len() < 4 {
            return vec![0x67, 0x00];
        }
        let (cla, ins, p1, p2) = (apdu[0], apdu[1], apdu[2], apdu[3]);
        if self.vanish_on_ins == Some(ins) {
            self.vanished = true;
            return Vec::new();
        }
        // Parse body (short APDUs only: the virtual cards do not announce extended length).
        let body = &apdu[4..];
        let (data, le): (&[u8], Option<usize>) = match body.len() {
            0 => (&[], None),
            1 => (
                &[],
                Some(if body[0] == 0 {
                    256
                } else {
                    usize::from(body[0])
                }),
            ),
            _ => {
                let lc = usize::from(body[0]);
                if body.len() == 1 + lc {
                    (&body[1..], None)
                } else if body.len() == 2 + lc {
                    if self.t0() {
                        // A T=0 card never sees a case-4 Le: the host broke the T=0 rule.
                        return vec![0x67, 0x00];
                    }
                    let l = body[1 + lc];
                    (
                        &body[1..1 + lc],
                        Some(if l == 0 { 256 } else { usize::from(l) }),
                    )
                } else {
                    return vec![0x67, 0x00];
                }
            }
        };
        if ins != 0xC0 {
            self.pending.clear();
        }
        // CPS4: the ChipDoc applet lives on channel 1 only.
        if self.kind == Kind::Cps4 && ins != 0xC0 && cla != 0x01 {
            return vec![0x68, 0x81];
        }
        if self.kind != Kind::Cps4 && cla & 0x03 != 0 {
            return vec![0x68, 0x81];
        }
        match ins {
            0xA4 => self.select(p1, p2, data),
            0xB0 => self.read_binary(p1, p2, le.unwrap_or(256)),
            0xC0 => {
                let le = le.unwrap_or(256);
                if self.pending.is_empty() {
                    return vec![0x69, 0x85];
                }
                if le > self.pending.len() {
                    return vec![0x6C, self.pending.len() as u8];
                }
                let part: Vec<u8> = self.pending.drain(..le).collect();
                let mut out = part;
                if self.pending.is_empty() {
                    out.extend([0x90, 0x00]);
                } else {
                    let n = self.pending.len();
                    out.extend([0x61, if n >= 256 { 0 } else { n as u8 }]);
                }
                out
            }
            0xCB => self.get_data(data),
            0x20 => self.verify(p2, data),
            0x22 => {
                // MSE SET: CPS3 `80 01 alg 84 01 key`, CPS4 `91 02 alg key`.
                let parsed = match data {
                    [0x80, 0x01, alg, 0x84, 0x01, key] => Some((*alg, *key)),
                    [0x91, 0x02, alg, key] => Some((*alg, *key)),
                    _ => None,
                };
                match parsed {
                    Some((alg, key)) => {
                        self.mse = Some((p2, alg, key));
                        vec![0x90, 0x00]
                    }
                    None => vec![0x6A, 0x80],
                }
            }
            0x2A if p1 == 0x90 && p2 == 0xA0 => self.pso_hash(data),
            0x2A if p1 == 0x9E && p2 == 0x9A => self.pso_cds(data),
            0x88 => self.internal_authenticate(data),
            _ => vec![0x6D, 0x00],
        }
    }

    fn select(&mut self, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
        let fci = p2 != 0x0C;
        let target = match p1 {
            0x04 => {
                let app = match self.kind {
                    Kind::Cps3 if data == AID_CPS3 => APP,
                    Kind::Cps4 if data == AID_CPS4 => APP,
                    Kind::Vitale2 if data == segur_cps_card::vitale::AID_VITALE => VITALE_APP,
                    _ => return vec![0x6A, 0x82],
                };
                self.app_selected = true;
                app
            }
            0x00 if data == [0x3F, 0x00] => {
                self.app_selected = false;
                MF
            }
            0x08 | 0x09 if data.len().is_multiple_of(2) && !data.is_empty() => {
                let fids: Vec<u16> = data
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                // Walk the path from the MF (08) or the current DF (09), checking parents.
                let mut df = if p1 == 0x08 { MF } else { self.current_df };
                let mut last = df;
                for f in &fids {
                    match self.files.get(f) {
                        Some(file) if file.parent == df => {
                            last = *f;
                            if self.files.values().any(|x| x.parent == *f) {
                                df = *f;
                            }
                        }
                        _ => return vec![0x6A, 0x82],
                    }
                }
                if p1 == 0x08 && fids.first() == Some(&APP) && self.kind == Kind::Cps3 {
                    self.app_selected = true;
                }
                last
            }
            _ => return vec![0x6A, 0x86],
        };
        let is_df = target == MF || self.files.values().any(|x| x.parent == target);
        if is_df {
            self.current_df = target;
            self.current_ef = None;
        } else {
            self.current_df = self.files[&target].parent;
            self.current_ef = Some(target);
        }
        if fci {
            // A small FCI, delivered the T=0 way.
            let fci = tlv(0x6F, &tlv(0x83, &target.to_be_bytes()));
            return self.answer(fci, true);
        }
        vec![0x90, 0x00]
    }

    fn read_binary(&mut self, p1: u8, p2: u8, le: usize) -> Vec<u8> {
        let (fid, off) = if p1 & 0x80 != 0 {
            let sfi = u16::from(p1 & 0x1F);
            let fid = if self.current_df == VITALE_APP {
                0x0100 | sfi
            } else {
                sfi
            };
            match self.files.get(&fid) {
                Some(f) if f.parent == self.current_df => {}
                _ => return vec![0x6A, 0x82],
            }
            self.current_ef = Some(fid);
            (fid, usize::from(p2))
        } else {
            match self.current_ef {
                Some(f) => (f, usize::from(u16::from_be_bytes([p1, p2]))),
                None => return vec![0x69, 0x86],
            }
        };
        let file = &self.files[&fid];
        let app_file = file.parent == APP;
        if app_file && !self.app_selected {
            return vec![0x69, 0x85];
        }
        if file.needs_pin && !self.verified {
            return vec![0x69, 0x82];
        }
        let total = file.data.len();
        if off > total {
            return vec![0x6B, 0x00];
        }
        let left = total - off;
        if le > left {
            if self.t0() {
                // T=0 cards answer the exact length with 6Cxx (ISO/IEC 7816-3 §10.3.3).
                if left == 0 {
                    return vec![0x6B, 0x00];
                }
                return vec![0x6C, left as u8];
            }
            let mut out = file.data[off..].to_vec();
            out.extend([0x62, 0x82]);
            return out;
        }
        let out = file.data[off..off + le].to_vec();
        self.answer(out, false)
    }

    fn get_data(&mut self, data: &[u8]) -> Vec<u8> {
        // IAS-ECC GET DATA of the CHV SDO, as ANS's CPS3 driver sends it.
        let expected = [
            0x4D,
            0x08,
            0x70,
            0x06,
            0xBF,
            0x81,
            self.pin_ref & 0x7F,
            0x02,
            0xA0,
            0x80,
        ];
        if self.kind != Kind::Cps3 || data != expected || self.current_df != MF {
            return vec![0x6A, 0x88];
        }
        let mut a0 = tlv(0x9A, &[3]);
        a0.extend(tlv(0x9B, &[self.tries]));
        a0.extend(tlv(0x9D, &[0x00, if self.tries == 0 { 0 } else { 0x10 }]));
        let sdo = tlv(0xBF8101, &tlv(0xA0, &a0));
        let resp = tlv(0x70, &sdo);
        self.answer(resp, true)
    }

    fn verify(&mut self, p2: u8, data: &[u8]) -> Vec<u8> {
        if p2 != self.pin_ref {
            return vec![0x6A, 0x88];
        }
        if !self.app_selected {
            return vec![0x69, 0x85];
        }
        if self.tries == 0 {
            return vec![0x69, 0x83];
        }
        if data.is_empty() {
            return if self.verified {
                vec![0x90, 0x00]
            } else {
                vec![0x63, 0xC0 | self.tries]
            };
        }
        if data == self.pin_block.as_slice() {
            self.tries = 3;
            self.verified = true;
            vec![0x90, 0x00]
        } else {
            self.tries -= 1;
            self.verified = false;
            vec![0x63, 0xC0 | self.tries]
        }
    }

    fn pso_hash(&mut self, data: &[u8]) -> Vec<u8> {
        // 90 28 <state 32 ‖ bit count 8> 80 <len> <last block>
        if data.len() < 44 || data[0] != 0x90 || data[1] != 0x28 || data[42] != 0x80 {
            return vec![0x6A, 0x80];
        }
        let last = &data[44..];
        if last.len() != usize::from(data[43]) || last.len() > 64 {
            return vec![0x6A, 0x80];
        }
        let mut state = [0u32; 8];
        for (i, c) in data[2..34].chunks(4).enumerate() {
            state[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        let bits = u64::from_be_bytes(data[34..42].try_into().unwrap());
        self.hashed = Some(finish_sha256(state, bits, last));
        vec![0x90, 0x00]
    }

    fn pso_cds(&mut self, data: &[u8]) -> Vec<u8> {
        if !self.verified {
            return vec![0x69, 0x82];
        }
        let Some((tpl, alg, key)) = self.mse else {
            return vec![0x69, 0x85];
        };
        match self.kind {
            Kind::Cps3 => {
                if tpl != 0xB6 || alg != 0x42 || key != 0x84 {
                    return vec![0x6A, 0x80];
                }
                let Some(h) = self.hashed.take() else {
                    return vec![0x69, 0x85];
                };
                let sig = self
                    .keys
                    .sign
                    .key
                    .sign(Pkcs1v15Sign::new::<Sha256>(), &h)
                    .unwrap();
                self.answer(sig, false)
            }
            _ => {
                let k = match key {
                    0x90 => &self.keys.sign.key,
                    0xA0 => &self.keys.auth.key,
                    _ => return vec![0x6A, 0x88],
                };
                let sig = match alg {
                    0x28 if data.len() == 32 => k.sign(Pkcs1v15Sign::new::<Sha256>(), data),
                    0x2C if data.len() == 32 => {
                        k.sign_with_rng(&mut rand_core::OsRng, Pss::new::<Sha256>(), data)
                    }
                    _ => return vec![0x6A, 0x80],
                };
                self.answer(sig.unwrap(), false)
            }
        }
    }

    fn internal_authenticate(&mut self, data: &[u8]) -> Vec<u8> {
        if !self.verified {
            return vec![0x69, 0x82];
        }
        if self.kind != Kind::Cps3 || self.mse != Some((0xA4, 0x02, 0x82)) {
            return vec![0x69, 0x85];
        }
        let sig = self
            .keys
            .auth
            .key
            .sign(Pkcs1v15Sign::new_unprefixed(), data)
            .unwrap();
        self.answer(sig, true)
    }
}

/// Finishes SHA-256 from an intermediate state (FIPS 180-4 §5.1.1 padding).
pub fn finish_sha256(mut state: [u32; 8], bits: u64, last: &[u8]) -> [u8; 32] {
    use sha2::digest::generic_array::GenericArray;
    let mut block = last.to_vec();
    let total = bits + (last.len() as u64) * 8;
    block.push(0x80);
    while block.len() % 64 != 56 {
        block.push(0);
    }
    block.extend(total.to_be_bytes());
    for b in block.chunks_exact(64) {
        sha2::compress256(&mut state, &[*GenericArray::from_slice(b)]);
    }
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}
