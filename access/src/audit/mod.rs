//! The audit trail: every authentication event and every privileged or health-data action,
//! appended to a hash-chained log.
//!
//! Each entry's hash is `SHA-256(previous hash ‖ canonical(entry))` (the first entry chains to 32
//! zero bytes), so editing, deleting, inserting or reordering an entry breaks every later link;
//! [`verify`](verify::verify) walks the chain and names the first bad entry. Signed checkpoints
//! ([`AuditLog::checkpoint`], through [`segur_net::sign::Signer`]) anchor the head so that a
//! deleted tail, or a chain rewritten without the key, is detected too.
//!
//! Traces follow the functional-trace fields of SC.MSS/CONF.18 (authenticated author, local
//! timestamp, action, outcome) and the PGSSI-S imputability rule (each action linked to its
//! author). Patients appear only as keyed pseudonyms ([`crate::keys::PatientRef`]); the
//! `detail` text is for reasons and never for patient data or message content.
//!
//! Storage is a trait, [`AuditStore`], so a vendor can keep the trail in its own database;
//! [`sqlite::SqliteAuditStore`] is the embedded default.

pub mod chain;
pub mod sqlite;
pub mod verify;

use crate::clock::{Clock, UnixTime};
use crate::keys::PatientRef;
pub use chain::{AuditEntry, ChainHead, Hash32};
use std::sync::Arc;

/// Longest `detail` text kept (longer text is refused, never cut).
pub const MAX_DETAIL_CHARS: usize = 1024;
/// Longest actor, workstation, subject or permission name kept.
pub const MAX_NAME_CHARS: usize = 256;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The trail was created.
    TrailCreated,
    /// A login (password and second factor) succeeded.
    LoginSucceeded,
    /// A login failed (the outcome and detail say why).
    LoginFailed,
    /// The periodic strong re-authentication succeeded.
    Reauthenticated,
    /// A strong re-authentication failed.
    ReauthenticationFailed,
    /// A session was locked (idle, user switch or explicit).
    SessionLocked,
    /// A locked session was unlocked.
    SessionUnlocked,
    /// A session was closed.
    LoggedOut,
    /// An account was created.
    AccountCreated,
    /// An account's role changed.
    RoleChanged,
    /// An account was unlocked after a lockout.
    AccountUnlocked,
    /// An account was locked after repeated failures.
    AccountLockedOut,
    /// A TOTP secret was enrolled.
    TotpEnrolled,
    /// Recovery codes were issued.
    RecoveryCodesIssued,
    /// A recovery code was used.
    RecoveryCodeUsed,
    /// The policy changed.
    PolicyChanged,
    /// A permission check (the outcome says allowed or denied).
    AccessChecked,
    /// The trail was exported.
    TrailExported,
    /// A signed checkpoint was added.
    CheckpointSigned,
    /// A stored document was deleted: the store keeps a tombstone, the trail says who and why.
    DocumentDeleted,
    /// A document waiting for review was attached to a patient by a user.
    DocumentAttached,
    /// A document waiting for review was rejected by a user.
    DocumentRejected,
    /// A document was retrieved from the DMP and kept in the store (who consulted it, and
    /// which stored document it became).
    DocumentRetrieved,
}

impl EventKind {
    /// Every kind.
    pub const ALL: &'static [EventKind] = &[
        Self::TrailCreated,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Reauthenticated,
        Self::ReauthenticationFailed,
        Self::SessionLocked,
        Self::SessionUnlocked,
        Self::LoggedOut,
        Self::AccountCreated,
        Self::RoleChanged,
        Self::AccountUnlocked,
        Self::AccountLockedOut,
        Self::TotpEnrolled,
        Self::RecoveryCodesIssued,
        Self::RecoveryCodeUsed,
        Self::PolicyChanged,
        Self::AccessChecked,
        Self::TrailExported,
        Self::CheckpointSigned,
        Self::DocumentDeleted,
        Self::DocumentAttached,
        Self::DocumentRejected,
        Self::DocumentRetrieved,
    ];

    /// The stored name (`login_succeeded`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrailCreated => "trail_created",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::Reauthenticated => "reauthenticated",
            Self::ReauthenticationFailed => "reauthentication_failed",
            Self::SessionLocked => "session_locked",
            Self::SessionUnlocked => "session_unlocked",
            Self::LoggedOut => "logged_out",
            Self::AccountCreated => "account_created",
            Self::RoleChanged => "role_changed",
            Self::AccountUnlocked => "account_unlocked",
            Self::AccountLockedOut => "account_locked_out",
            Self::TotpEnrolled => "totp_enrolled",
            Self::RecoveryCodesIssued => "recovery_codes_issued",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::PolicyChanged => "policy_changed",
            Self::AccessChecked => "access_checked",
            Self::TrailExported => "trail_exported",
            Self::CheckpointSigned => "checkpoint_signed",
            Self::DocumentDeleted => "document_deleted",
            Self::DocumentAttached => "document_attached",
            Self::DocumentRejected => "document_rejected",
            Self::DocumentRetrieved => "document_retrieved",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done or allowed.
    Success,
    /// Tried and failed (wrong factor, error).
    Failure,
    /// Refused by the policy or a rule.
    Denied,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Success, Self::Failure, Self::Denied]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// One event to append (the log adds the sequence number, time and hashes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// What happened.
    pub kind: EventKind,
    /// How it ended.
    pub outcome: Outcome,
    /// The authenticated (or claimed) user.
    pub actor: Option<String>,
    /// The workstation.
    pub workstation: Option<String>,
    /// The account acted upon (account administration).
    pub subject: Option<String>,
    /// The permission used or refused.
    pub permission: Option<String>,
    /// The patient, as a keyed pseudonym.
    pub patient: Option<PatientRef>,
    /// Why (a reason, never patient data).
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event with only a kind and an outcome.
    pub fn new(kind: EventKind, outcome: Outcome) -> Self {
        Self {
            kind,
            outcome,
            actor: None,
            workstation: None,
            subject: None,
            permission: None,
            patient: None,
            detail: None,
        }
    }

    /// Sets the actor.
    pub fn actor(mut self, actor: &str) -> Self {
        self.actor = Some(actor.to_owned());
        self
    }

    /// Sets the workstation.
    pub fn workstation(mut self, workstation: &str) -> Self {
        self.workstation = Some(workstation.to_owned());
        self
    }

    /// Sets the account acted upon.
    pub fn subject(mut self, subject: &str) -> Self {
        self.subject = Some(subject.to_owned());
        self
    }

    /// Sets the permission.
    pub fn permission(mut self, permission: &str) -> Self {
        self.permission = Some(permission.to_owned());
        self
    }

    /// Sets the patient pseudonym.
    pub fn patient(mut self, patient: PatientRef) -> Self {
        self.patient = Some(patient);
        self
    }

    /// Sets the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    fn check(&self) -> Result<(), AuditError> {
        for (field, value) in [
            ("actor", &self.actor),
            ("workstation", &self.workstation),
            ("subject", &self.subject),
            ("permission", &self.permission),
        ] {
            if let Some(v) = value {
                if v.chars().count() > MAX_NAME_CHARS {
                    return Err(AuditError::FieldTooLong { field });
                }
                if let Some(position) = v.chars().position(char::is_control) {
                    return Err(AuditError::ControlCharacter {
                        field,
                        position: position + 1,
                    });
                }
            }
        }
        if let Some(d) = &self.detail
            && d.chars().count() > MAX_DETAIL_CHARS
        {
            return Err(AuditError::FieldTooLong { field: "detail" });
        }
        Ok(())
    }
}

/// Why the trail could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The storage failed (SQLite error, I/O, a damaged file).
    #[error("audit storage: {0}")]
    Storage(String),
    /// A stored value cannot be read back (the entry's sequence number is given).
    #[error("audit entry {seq}: stored {field} is malformed")]
    Malformed {
        /// The entry.
        seq: u64,
        /// The column.
        field: &'static str,
    },
    /// A field is longer than its limit.
    #[error("audit event field {field} is too long")]
    FieldTooLong {
        /// The field.
        field: &'static str,
    },
    /// A name field holds a control character.
    #[error("audit event field {field}: character {position} is a control character")]
    ControlCharacter {
        /// The field.
        field: &'static str,
        /// 1-based position.
        position: usize,
    },
    /// The signer failed.
    #[error("checkpoint signature: {0}")]
    Sign(#[from] segur_net::sign::SignError),
    /// The signer offers no algorithm this crate can verify.
    #[error("checkpoint: the signer offers no RSA SHA-256 algorithm")]
    CheckpointAlgorithm,
    /// The trail is empty: nothing to checkpoint.
    #[error("checkpoint: the trail is empty")]
    Empty,
}

impl From<rusqlite::Error> for AuditError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// A signed statement that the trail had `hash` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Sequence number of the entry anchored.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash32,
    /// When it was signed.
    pub time: UnixTime,
    /// The signature scheme.
    pub algorithm: CheckpointAlgorithm,
    /// The signature over [`Checkpoint::message`].
    pub signature: Vec<u8>,
    /// The signer's certificate (DER).
    pub certificate: Vec<u8>,
}

/// Signature schemes of checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
    RsaPkcs1Sha256,
    /// RSASSA-PSS with SHA-256 (RFC 8017 §8.1).
    RsaPssSha256,
}

impl CheckpointAlgorithm {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Self::RsaPssSha256 => "rsa-pss-sha256",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::RsaPkcs1Sha256, Self::RsaPssSha256]
            .into_iter()
            .find(|a| a.as_str() == name)
    }

    fn signature_algorithm(self) -> segur_net::sign::SignatureAlgorithm {
        match self {
            Self::RsaPkcs1Sha256 => segur_net::sign::SignatureAlgorithm::RsaPkcs1Sha256,
            Self::RsaPssSha256 => segur_net::sign::SignatureAlgorithm::RsaPssSha256,
        }
    }
}

impl Checkpoint {
    /// The signed bytes: a domain label, the sequence number and the hash.
    pub fn message(seq: u64, hash: &Hash32) -> Vec<u8> {
        format!(
            "segur-access audit checkpoint v1\nseq={seq}\nhash={}\n",
            crate::keys::hex(&hash.0)
        )
        .into_bytes()
    }
}

/// Where entries are kept. Implementations append atomically: `link` receives the current
/// head and returns the entries to add after it; they are all stored, or none, and no other
/// writer (thread or process) may append between reading the head and storing them.
pub trait AuditStore: Send {
    /// Appends the entries `link` builds on the current head, atomically.
    fn append(
        &mut self,
        link: &mut dyn FnMut(Option<&ChainHead>) -> Vec<AuditEntry>,
    ) -> Result<Vec<AuditEntry>, AuditError>;

    /// Visits the entries from sequence number `from` on, in stored order.
    fn scan(
        &self,
        from: u64,
        visit: &mut dyn FnMut(AuditEntry) -> Result<(), AuditError>,
    ) -> Result<(), AuditError>;

    /// The last entry's sequence number and hash; `None` for an empty trail.
    fn head(&self) -> Result<Option<ChainHead>, AuditError>;

    /// Checks the storage itself before a verification (a damaged or truncated file); the
    /// default does nothing.
    fn check_storage(&self) -> Result<(), AuditError> {
        Ok(())
    }

    /// Stores a checkpoint.
    fn add_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), AuditError>;

    /// Every checkpoint, by sequence number.
    fn checkpoints(&self) -> Result<Vec<Checkpoint>, AuditError>;
}

/// The audit log: stamps events with the clock and chains them into a store.
pub struct AuditLog {
    store: Box<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

impl AuditLog {
    /// A log over `store`, with times from `clock`.
    pub fn new(store: Box<dyn AuditStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Appends one event; returns the stored entry.
    pub fn append(&mut self, event: AuditEvent) -> Result<AuditEntry, AuditError> {
        let mut entries = self.append_batch(std::slice::from_ref(&event))?;
        entries
            .pop()
            .ok_or_else(|| AuditError::Storage("the store appended nothing".into()))
    }

    /// Appends events in one atomic, durable commit (the fast path for bulk traces).
    pub fn append_batch(&mut self, events: &[AuditEvent]) -> Result<Vec<AuditEntry>, AuditError> {
        for e in events {
            e.check()?;
        }
        let time = self.clock.now();
        self.store
            .append(&mut |head| chain::link_all(head, time, events))
    }

    /// Visits the entries from `from` on.
    pub fn scan(
        &self,
        from: u64,
        visit: &mut dyn FnMut(AuditEntry) -> Result<(), AuditError>,
    ) -> Result<(), AuditError> {
        self.store.scan(from, visit)
    }

    /// Verifies the chain and checkpoints (see [`verify::verify`]).
    pub fn verify(
        &self,
        options: &verify::VerifyOptions,
    ) -> Result<verify::VerifyReport, verify::VerifyError> {
        verify::verify(self.store.as_ref(), options)
    }

    /// Writes every entry as one JSON object per line (JSON Lines) to `out`.
    pub fn export_json_lines(&self, out: &mut dyn std::io::Write) -> Result<u64, AuditError> {
        let mut count = 0u64;
        self.store.scan(1, &mut |entry| {
            let line = serde_json::to_string(&entry.view())
                .map_err(|e| AuditError::Storage(e.to_string()))?;
            writeln!(out, "{line}").map_err(|e| AuditError::Storage(e.to_string()))?;
            count += 1;
            Ok(())
        })?;
        Ok(count)
    }

    /// Signs the current head with `signer` (RSA SHA-256, PKCS#1 v1.5 preferred) and stores the
    /// checkpoint, then appends a `checkpoint_signed` entry.
    pub fn checkpoint(
        &mut self,
        signer: &mut dyn segur_net::sign::Signer,
    ) -> Result<Checkpoint, AuditError> {
        use segur_net::sign::SignatureAlgorithm as A;
        let algorithm = if signer.algorithms().contains(&A::RsaPkcs1Sha256) {
            CheckpointAlgorithm::RsaPkcs1Sha256
        } else if signer.algorithms().contains(&A::RsaPssSha256) {
            CheckpointAlgorithm::RsaPssSha256
        } else {
            return Err(AuditError::CheckpointAlgorithm);
        };
        let head = self.store.head()?.ok_or(AuditError::Empty)?;
        let message = Checkpoint::message(head.seq, &head.hash);
        let signature = signer.sign_message(algorithm.signature_algorithm(), &message)?;
        let certificate = signer
            .certificate_chain()
            .into_iter()
            .next()
            .ok_or_else(|| segur_net::sign::SignError::Key("no certificate".into()))?;
        let checkpoint = Checkpoint {
            seq: head.seq,
            hash: head.hash,
            time: self.clock.now(),
            algorithm,
            signature,
            certificate,
        };
        self.store.add_checkpoint(&checkpoint)?;
        self.append(
            AuditEvent::new(EventKind::CheckpointSigned, Outcome::Success)
                .detail(format!("checkpoint at entry {}", head.seq)),
        )?;
        Ok(checkpoint)
    }
}
