//! The hash chain: `hash_n = SHA-256(hash_{n-1} ‖ canonical(entry_n))`, with 32 zero bytes
//! before the first entry.
//!
//! The canonical form is binary and unambiguous: a version label, the sequence number and the
//! time as 8-byte big-endian integers, then each field as a presence byte followed, when
//! present, by a 4-byte big-endian length and the UTF-8 bytes. It is independent of the store
//! and of the JSON export, and cheap enough to verify a million entries in about a second.

use super::{AuditEvent, EventKind, Outcome};
use crate::clock::UnixTime;
use crate::keys::PatientRef;

/// A SHA-256 value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash32(pub [u8; 32]);

impl std::fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash32({})", crate::keys::hex(&self.0))
    }
}

impl Hash32 {
    /// The value before the first entry.
    pub const ZERO: Self = Self([0; 32]);

    /// From stored bytes; `None` unless exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// Lowercase hexadecimal.
    pub fn to_hex(&self) -> String {
        crate::keys::hex(&self.0)
    }
}

/// The last link of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence number of the last entry (the first entry is 1).
    pub seq: u64,
    /// Its hash.
    pub hash: Hash32,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// When it was appended (the workstation's clock).
    pub time: UnixTime,
    /// The event.
    pub event: AuditEvent,
    /// The previous entry's hash.
    pub prev_hash: Hash32,
    /// This entry's hash.
    pub hash: Hash32,
}

/// The JSON Lines form of an entry (`segur access audit export`, `segur_access_audit_export`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntryView<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Unix time in seconds.
    pub time: i64,
    /// Event kind (`login_succeeded`...).
    pub kind: EventKind,
    /// `success`, `failure` or `denied`.
    pub outcome: Outcome,
    /// The user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<&'a str>,
    /// The workstation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workstation: Option<&'a str>,
    /// The account acted upon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    /// The permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<&'a str>,
    /// The patient pseudonym (HMAC-SHA-256, hexadecimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<&'a str>,
    /// The reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    /// Previous hash, hexadecimal.
    pub prev_hash: String,
    /// This entry's hash, hexadecimal.
    pub hash: String,
}

impl AuditEntry {
    /// The head this entry makes.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            seq: self.seq,
            hash: self.hash,
        }
    }

    /// The export view.
    pub fn view(&self) -> AuditEntryView<'_> {
        let e = &self.event;
        AuditEntryView {
            seq: self.seq,
            time: self.time.0,
            kind: e.kind,
            outcome: e.outcome,
            actor: e.actor.as_deref(),
            workstation: e.workstation.as_deref(),
            subject: e.subject.as_deref(),
            permission: e.permission.as_deref(),
            patient: e.patient.as_ref().map(PatientRef::as_str),
            detail: e.detail.as_deref(),
            prev_hash: self.prev_hash.to_hex(),
            hash: self.hash.to_hex(),
        }
    }

    /// The hash this entry should have, from its content and `prev_hash`.
    pub fn expected_hash(&self) -> Hash32 {
        entry_hash(&self.prev_hash, self.seq, self.time, &self.event)
    }
}

fn field(ctx: &mut ring::digest::Context, value: Option<&str>) {
    match value {
        None => ctx.update(&[0]),
        Some(v) => {
            ctx.update(&[1]);
            let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
            ctx.update(&len.to_be_bytes());
            ctx.update(v.as_bytes());
        }
    }
}

/// `SHA-256(prev ‖ canonical(seq, time, event))`.
pub fn entry_hash(prev: &Hash32, seq: u64, time: UnixTime, event: &AuditEvent) -> Hash32 {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(&prev.0);
    ctx.update(b"segur-access-audit-v1");
    ctx.update(&seq.to_be_bytes());
    ctx.update(&time.0.to_be_bytes());
    field(&mut ctx, Some(event.kind.as_str()));
    field(&mut ctx, Some(event.outcome.as_str()));
    field(&mut ctx, event.actor.as_deref());
    field(&mut ctx, event.workstation.as_deref());
    field(&mut ctx, event.subject.as_deref());
    field(&mut ctx, event.permission.as_deref());
    field(&mut ctx, event.patient.as_ref().map(PatientRef::as_str));
    field(&mut ctx, event.detail.as_deref());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Hash32(out)
}

/// Chains `events`, all stamped `time`, after `head`.
pub fn link_all(
    head: Option<&ChainHead>,
    time: UnixTime,
    events: &[AuditEvent],
) -> Vec<AuditEntry> {
    let (mut seq, mut prev) = head.map_or((0, Hash32::ZERO), |h| (h.seq, h.hash));
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        seq += 1;
        let hash = entry_hash(&prev, seq, time, event);
        out.push(AuditEntry {
            seq,
            time,
            event: event.clone(),
            prev_hash: prev,
            hash,
        });
        prev = hash;
    }
    out
}
