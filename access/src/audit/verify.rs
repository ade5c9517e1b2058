//! The verifier: walks the trail once, in order, and names the first bad entry.
//!
//! An entry is bad when its sequence number is not the next one (an entry deleted, or one
//! inserted by renumbering), when it does not chain to the previous hash (reordered or
//! inserted), when its hash does not match its content (edited), or when a stored value
//! cannot be read back. Checkpoints add: the anchored entry's hash must equal the signed one, no
//! checkpoint may point past the end (a deleted tail), and each signature must verify with its
//! certificate; with [`VerifyOptions::trusted_certificates`], that certificate must be one of
//! them (otherwise a forger with his own key could re-sign a rewritten chain).

use super::{AuditError, AuditStore, ChainHead, Checkpoint, CheckpointAlgorithm, Hash32};
use std::collections::BTreeMap;

/// What the verifier accepts.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// DER certificates allowed to sign checkpoints; empty: any certificate stored with the
    /// checkpoint (its signature is still checked).
    pub trusted_certificates: Vec<Vec<u8>>,
}

/// A verified trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of entries.
    pub entries: u64,
    /// The last entry, if any.
    pub head: Option<ChainHead>,
    /// Number of checkpoints checked.
    pub checkpoints: usize,
}

/// What is wrong with the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadEntry {
    /// Not the next sequence number.
    #[error(
        "sequence number {found} where {expected} was expected (an entry was deleted or inserted)"
    )]
    Sequence {
        /// The expected number.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// Does not chain to the previous entry.
    #[error(
        "does not chain to the previous entry (inserted, reordered or its predecessor removed)"
    )]
    PrevHash,
    /// The content does not match the hash.
    #[error("content does not match its hash (edited)")]
    Hash,
    /// A stored value cannot be read.
    #[error("stored {0} is malformed")]
    Malformed(&'static str),
    /// The signed checkpoint names another hash for this entry.
    #[error("differs from the signed checkpoint")]
    Checkpoint,
    /// A checkpoint anchors an entry that is no longer there.
    #[error("anchored by a signed checkpoint but missing (the end of the trail was deleted)")]
    MissingAfterCheckpoint,
    /// The checkpoint signature does not verify.
    #[error("the checkpoint signature does not verify")]
    CheckpointSignature,
    /// The checkpoint is signed by a certificate that is not trusted.
    #[error("the checkpoint is signed by an untrusted certificate")]
    UntrustedSigner,
}

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The first bad entry and what is wrong with it.
    #[error("entry {seq}: {reason}")]
    BadEntry {
        /// Its sequence number.
        seq: u64,
        /// What is wrong.
        reason: BadEntry,
    },
    /// The store cannot be read (a truncated or damaged file).
    #[error("the audit trail cannot be read: {0}")]
    Storage(String),
}

fn storage(e: AuditError) -> VerifyError {
    match e {
        AuditError::Malformed { seq, field } => VerifyError::BadEntry {
            seq,
            reason: BadEntry::Malformed(field),
        },
        other => VerifyError::Storage(other.to_string()),
    }
}

fn check_signature(c: &Checkpoint, options: &VerifyOptions) -> Result<(), BadEntry> {
    if !options.trusted_certificates.is_empty()
        && !options.trusted_certificates.contains(&c.certificate)
    {
        return Err(BadEntry::UntrustedSigner);
    }
    let der = rustls_pki_types::CertificateDer::from(c.certificate.as_slice());
    let cert = webpki::EndEntityCert::try_from(&der).map_err(|_| BadEntry::CheckpointSignature)?;
    let alg: &dyn rustls_pki_types::SignatureVerificationAlgorithm = match c.algorithm {
        CheckpointAlgorithm::RsaPkcs1Sha256 => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        CheckpointAlgorithm::RsaPssSha256 => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    };
    cert.verify_signature(alg, &Checkpoint::message(c.seq, &c.hash), &c.signature)
        .map_err(|_| BadEntry::CheckpointSignature)
}

/// Verifies the whole trail in `store` (linear time, constant memory besides checkpoints).
pub fn verify(
    store: &dyn AuditStore,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    store.check_storage().map_err(storage)?;
    let checkpoints: BTreeMap<u64, Checkpoint> = store
        .checkpoints()
        .map_err(storage)?
        .into_iter()
        .map(|c| (c.seq, c))
        .collect();
    for c in checkpoints.values() {
        check_signature(c, options)
            .map_err(|reason| VerifyError::BadEntry { seq: c.seq, reason })?;
    }
    let mut expected = 1u64;
    let mut prev = Hash32::ZERO;
    let mut head = None;
    let mut bad: Option<VerifyError> = None;
    let result = store.scan(1, &mut |entry| {
        let fail = |reason| {
            Err(AuditError::Storage(
                VerifyError::BadEntry {
                    seq: entry.seq,
                    reason,
                }
                .to_string(),
            ))
        };
        let reason = if entry.seq != expected {
            Some(BadEntry::Sequence {
                expected,
                found: entry.seq,
            })
        } else if entry.prev_hash != prev {
            Some(BadEntry::PrevHash)
        } else if entry.expected_hash() != entry.hash {
            Some(BadEntry::Hash)
        } else if checkpoints
            .get(&entry.seq)
            .is_some_and(|c| c.hash != entry.hash)
        {
            Some(BadEntry::Checkpoint)
        } else {
            None
        };
        if let Some(reason) = reason {
            bad = Some(VerifyError::BadEntry {
                seq: entry.seq,
                reason: reason.clone(),
            });
            return fail(reason);
        }
        prev = entry.hash;
        head = Some(entry.head());
        expected += 1;
        Ok(())
    });
    if let Some(bad) = bad {
        return Err(bad);
    }
    result.map_err(storage)?;
    let last = head.map_or(0, |h| h.seq);
    if let Some((&seq, _)) = checkpoints.range(last + 1..).next() {
        return Err(VerifyError::BadEntry {
            seq,
            reason: BadEntry::MissingAfterCheckpoint,
        });
    }
    Ok(VerifyReport {
        entries: last,
        head,
        checkpoints: checkpoints.len(),
    })
}
