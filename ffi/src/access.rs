//! Access security (`segur-access`): the access database of an officine (accounts, TOTP
//! second factor, sessions with the 4-hour strong window, permission checks) and its
//! hash-chained audit trail.
//!
//! One `segur_access` handle per database file; it serialises its calls internally, so one
//! handle may be shared by several threads. Several processes may open the same database. The
//! master key is a 32-byte file readable by its owner only (mode 0600), created by
//! `segur_access_init`. Session ids and enrolment URIs are secrets: free them with
//! `segur_access_secret_free`, which wipes them first.

use crate::boundary::{handle_ref, out_arg, str_arg, write_handle, write_json, write_string};
use crate::detail::fail;
use crate::result::segur_result;
use crate::try_ffi;
use ::segur_access::audit::AuditLog;
use ::segur_access::audit::sqlite::SqliteAuditStore;
use ::segur_access::audit::verify::{VerifyError, VerifyOptions};
use ::segur_access::clock::SystemClock;
use ::segur_access::keys::MasterKey;
use ::segur_access::password::Password;
use ::segur_access::policy::{Policy, PolicyError};
use ::segur_access::session::{SessionId, SessionStatus};
use ::segur_access::throttle::Refusal;
use ::segur_access::{Access, AccessConfig, AccessError, SecondFactor};
use std::ffi::{CString, c_char};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// An open access database. Thread-safe: calls on one handle are serialised.
pub struct segur_access {
    inner: Mutex<Access>,
}

fn access_err(e: AccessError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        AccessError::Storage(_) => R::AccessStorage,
        AccessError::NotInitialised => R::AccessNotInitialised,
        AccessError::AlreadyInitialised => R::AccessAlreadyInitialised,
        AccessError::Key(_) => R::AccessKey,
        AccessError::Policy(p) => return policy_err(p.clone()),
        AccessError::Password(_) => R::AccessPasswordRule,
        AccessError::UserName(_) => R::AccessUserName,
        AccessError::UserExists(_) => R::AccessUserExists,
        AccessError::NoSuchUser(_) => R::AccessNoSuchUser,
        AccessError::BadCredentials => R::AccessBadCredentials,
        AccessError::NoSecondFactor => R::AccessNoSecondFactor,
        AccessError::SecondFactor(_) | AccessError::Totp(_) | AccessError::Recovery(_) => {
            R::AccessSecondFactor
        }
        AccessError::Throttled {
            refusal: Refusal::Locked,
            ..
        } => R::AccessLockedOut,
        AccessError::Throttled { .. } => R::AccessThrottled,
        AccessError::UnknownSession => R::AccessUnknownSession,
        AccessError::SessionNotActive(SessionStatus::StrongReauthRequired) => {
            R::AccessStrongReauthRequired
        }
        AccessError::SessionNotActive(SessionStatus::Closed) => R::AccessSessionClosed,
        AccessError::SessionNotActive(_) => R::AccessSessionLocked,
        AccessError::Denied { .. } => R::AccessDenied,
        AccessError::Audit(_) => R::AccessAudit,
        _ => R::AccessOther,
    };
    fail(code, e)
}

fn policy_err(e: PolicyError) -> segur_result {
    use segur_result as R;
    let code = match &e {
        PolicyError::UnknownRole(_) => R::AccessUnknownRole,
        PolicyError::UnknownPermission(_) => R::AccessUnknownPermission,
        PolicyError::Denied { .. } => R::AccessDenied,
        PolicyError::Escalation(_) => R::AccessEscalation,
        _ => R::AccessPolicy,
    };
    fail(code, e)
}

fn with<T>(
    access: *const segur_access,
    f: impl FnOnce(&mut Access) -> Result<T, AccessError>,
) -> Result<T, segur_result> {
    // SAFETY: header contract: NULL or a live handle.
    let handle = unsafe { handle_ref(access) }?;
    // A panic inside an earlier call poisons the lock; the database itself is transactional,
    // so the handle stays usable.
    let mut guard = handle.inner.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut guard).map_err(access_err)
}

/// Reads the optional configuration JSON (NULL: the defaults).
fn config_arg(ptr: *const c_char, len: usize) -> Result<AccessConfig, segur_result> {
    if ptr.is_null() {
        return Ok(AccessConfig::default());
    }
    // SAFETY: header contract: non-NULL, followed by its readable length.
    unsafe { crate::boundary::json_arg(ptr, len) }
}

fn load_key(key_path: &str) -> Result<MasterKey, segur_result> {
    MasterKey::load(Path::new(key_path)).map_err(|e| fail(segur_result::AccessKey, e))
}

/// Creates a new access database at `db_path`, a new master key file at `key_path` (mode
/// 0600; an existing file is never overwritten) and the audit trail, with the policy
/// `policy_toml` (TOML text; NULL: the default officine policy), and opens it into
/// `*out_access` (free with `segur_access_free`) with the rules of `config_json` (as in
/// `segur_access_open`). Paths are UTF-8.
///
/// Errors: `SEGUR_RESULT_ACCESS_ALREADY_INITIALISED`, `SEGUR_RESULT_ACCESS_KEY` (key file
/// exists or cannot be written), `SEGUR_RESULT_ACCESS_POLICY` (invalid policy: the detail names
/// the line or the rule), `SEGUR_RESULT_ACCESS_STORAGE`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_init(
    db_path: *const c_char,
    db_path_len: usize,
    key_path: *const c_char,
    key_path_len: usize,
    policy_toml: *const c_char,
    policy_toml_len: usize,
    config_json: *const c_char,
    config_json_len: usize,
    out_access: *mut *mut segur_access,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY (this and the reads below): header contract, each pointer is followed by its
        // readable length.
        let db = try_ffi!(unsafe { str_arg(db_path, db_path_len) });
        // SAFETY: as above.
        let key_path = try_ffi!(unsafe { str_arg(key_path, key_path_len) });
        let policy = if policy_toml.is_null() {
            Policy::default_officine()
        } else {
            // SAFETY: as above.
            let text = try_ffi!(unsafe { str_arg(policy_toml, policy_toml_len) });
            try_ffi!(Policy::from_toml(text).map_err(policy_err))
        };
        let config = try_ffi!(config_arg(config_json, config_json_len));
        try_ffi!(out_arg(out_access));
        if Path::new(db).exists() {
            return access_err(AccessError::AlreadyInitialised);
        }
        let key = try_ffi!(MasterKey::generate().map_err(|e| fail(segur_result::AccessKey, e)));
        try_ffi!(
            key.create_file(Path::new(key_path))
                .map_err(|e| fail(segur_result::AccessKey, e))
        );
        let access = try_ffi!(
            Access::init(Path::new(db), &key, &policy, config, Arc::new(SystemClock),)
                .map_err(access_err)
        );
        write_handle(
            out_access,
            segur_access {
                inner: Mutex::new(access),
            },
        )
    })
}

/// Opens the access database at `db_path` with the master key file at `key_path` (32 bytes,
/// mode 0600) into `*out_access` (free with `segur_access_free`). `config_json` (NULL: the
/// defaults) sets any of the rules, for example `{"sessions":{"strong_reauth_secs":14400,
/// "idle_lock_secs":7200},"argon2":{"memory_kib":65536,"iterations":3,"parallelism":4},
/// "user_throttle":{"free_failures":3,"base_delay_secs":2,"max_delay_secs":900,
/// "lock_after":10},"totp":{"algorithm":"SHA1","digits":6,"period":30,"window":1},
/// "issuer":"segur"}`; the defaults are those shown.
///
/// Errors: `SEGUR_RESULT_INVALID_JSON`, `SEGUR_RESULT_ACCESS_NOT_INITIALISED`, `SEGUR_RESULT_ACCESS_KEY` (missing, wrong
/// length, readable by others), `SEGUR_RESULT_ACCESS_STORAGE`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_open(
    db_path: *const c_char,
    db_path_len: usize,
    key_path: *const c_char,
    key_path_len: usize,
    config_json: *const c_char,
    config_json_len: usize,
    out_access: *mut *mut segur_access,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY (this and the next read): header contract.
        let db = try_ffi!(unsafe { str_arg(db_path, db_path_len) });
        // SAFETY: as above.
        let key_path = try_ffi!(unsafe { str_arg(key_path, key_path_len) });
        let config = try_ffi!(config_arg(config_json, config_json_len));
        try_ffi!(out_arg(out_access));
        let key = try_ffi!(load_key(key_path));
        let access = try_ffi!(
            Access::open(Path::new(db), &key, config, Arc::new(SystemClock),).map_err(access_err)
        );
        write_handle(
            out_access,
            segur_access {
                inner: Mutex::new(access),
            },
        )
    })
}

/// Closes an access database handle. NULL is a no-op. Not concurrently with other calls on it.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_free(access: *mut segur_access) {
    crate::ffi_boundary!(default: (), {
        // SAFETY: header contract: NULL or a live handle freed exactly once.
        unsafe { crate::boundary::free_handle(access) }
    })
}

/// Wipes and frees a secret string returned by `segur_access_login` or
/// `segur_access_totp_enroll`. NULL is a no-op. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_secret_free(secret: *mut c_char) {
    crate::ffi_boundary!(default: (), {
        if !secret.is_null() {
            // SAFETY: per the contract, made by CString::into_raw in write_string and freed
            // exactly once.
            let s = unsafe { CString::from_raw(secret) };
            let mut bytes = s.into_bytes_with_nul();
            zeroize::Zeroize::zeroize(&mut bytes);
        }
    })
}

/// Creates the account `name` with `role` and `password` (UTF-8, checked against the strength
/// rules: at least 12 characters and about 80 bits), as the holder of the database and key
/// (traced as `local-administrator`).
///
/// Errors: `SEGUR_RESULT_ACCESS_UNKNOWN_ROLE`, `SEGUR_RESULT_ACCESS_PASSWORD_RULE`,
/// `SEGUR_RESULT_ACCESS_USER_NAME`, `SEGUR_RESULT_ACCESS_USER_EXISTS`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_user_add(
    access: *const segur_access,
    name: *const c_char,
    name_len: usize,
    role: *const c_char,
    role_len: usize,
    password: *const c_char,
    password_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY (this and the reads below): header contract.
        let name = try_ffi!(unsafe { str_arg(name, name_len) });
        // SAFETY: as above.
        let role = try_ffi!(unsafe { str_arg(role, role_len) });
        // SAFETY: as above.
        let password = Password::new(try_ffi!(unsafe { str_arg(password, password_len) }));
        try_ffi!(with(access, |a| a.add_user_local(name, role, &password)));
        segur_result::Ok
    })
}

/// Enrols a new TOTP secret for `name` (SHA-1, 6 digits, 30 s) and writes the
/// `otpauth://totp/...` enrolment URI to `*out_uri` (show it once, as text or QR code; free it
/// with `segur_access_secret_free`: it holds the secret). Replaces an earlier secret.
///
/// Errors: `SEGUR_RESULT_ACCESS_NO_SUCH_USER`, `SEGUR_RESULT_ACCESS_KEY`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_totp_enroll(
    access: *const segur_access,
    name: *const c_char,
    name_len: usize,
    out_uri: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY: header contract.
        let name = try_ffi!(unsafe { str_arg(name, name_len) });
        try_ffi!(out_arg(out_uri));
        let enrolment = try_ffi!(with(access, |a| a.enroll_totp(name)));
        write_string(out_uri, enrolment.uri.as_str().to_owned())
    })
}

/// Logs `name` in with `password` and the TOTP `totp_code` on `workstation` and writes the new
/// session id (64 hexadecimal digits) to `*out_session` (free with `segur_access_secret_free`).
/// A code is accepted once only.
///
/// Errors: `SEGUR_RESULT_ACCESS_BAD_CREDENTIALS` (unknown user or wrong password, not told
/// apart), `SEGUR_RESULT_ACCESS_SECOND_FACTOR` (wrong, expired or replayed code),
/// `SEGUR_RESULT_ACCESS_NO_SECOND_FACTOR`, `SEGUR_RESULT_ACCESS_THROTTLED` (retry later: the
/// detail gives the seconds), `SEGUR_RESULT_ACCESS_LOCKED_OUT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_login(
    access: *const segur_access,
    name: *const c_char,
    name_len: usize,
    password: *const c_char,
    password_len: usize,
    totp_code: *const c_char,
    totp_code_len: usize,
    workstation: *const c_char,
    workstation_len: usize,
    out_session: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        // SAFETY (this and the reads below): header contract.
        let name = try_ffi!(unsafe { str_arg(name, name_len) });
        // SAFETY: as above.
        let password = Password::new(try_ffi!(unsafe { str_arg(password, password_len) }));
        // SAFETY: as above.
        let code = try_ffi!(unsafe { str_arg(totp_code, totp_code_len) });
        // SAFETY: as above.
        let workstation = try_ffi!(unsafe { str_arg(workstation, workstation_len) });
        try_ffi!(out_arg(out_session));
        let session = try_ffi!(with(access, |a| a.login(
            name,
            &password,
            SecondFactor::Totp(code),
            workstation
        )));
        write_string(out_session, session.id.expose().to_owned())
    })
}

fn session_arg(ptr: *const c_char, len: usize) -> Result<SessionId, segur_result> {
    // SAFETY: header contract.
    let text = unsafe { str_arg(ptr, len) }?;
    SessionId::parse(text).ok_or_else(|| {
        fail(
            segur_result::AccessUnknownSession,
            "the session id is not 64 hexadecimal digits",
        )
    })
}

/// Checks that `session` may use `permission` now (`SEGUR_RESULT_OK`: allowed). Records the
/// activity and traces the decision.
///
/// Errors: `SEGUR_RESULT_ACCESS_DENIED`, `SEGUR_RESULT_ACCESS_UNKNOWN_PERMISSION`,
/// `SEGUR_RESULT_ACCESS_UNKNOWN_SESSION`, `SEGUR_RESULT_ACCESS_SESSION_LOCKED` (idle or
/// locked: `segur_access_unlock`), `SEGUR_RESULT_ACCESS_STRONG_REAUTH_REQUIRED` (4 hours
/// since the last two-factor authentication: `segur_access_reauthenticate`),
/// `SEGUR_RESULT_ACCESS_SESSION_CLOSED`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_check(
    access: *const segur_access,
    session: *const c_char,
    session_len: usize,
    permission: *const c_char,
    permission_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        let id = try_ffi!(session_arg(session, session_len));
        // SAFETY: header contract.
        let permission = try_ffi!(unsafe { str_arg(permission, permission_len) });
        try_ffi!(with(access, |a| a.check(&id, permission, None)));
        segur_result::Ok
    })
}

/// Locks `session` (the user steps away or another takes the counter); its times are kept.
///
/// Errors: `SEGUR_RESULT_ACCESS_UNKNOWN_SESSION`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_lock(
    access: *const segur_access,
    session: *const c_char,
    session_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        let id = try_ffi!(session_arg(session, session_len));
        try_ffi!(with(access, |a| a.lock(&id)));
        segur_result::Ok
    })
}

/// Unlocks a locked or idle `session` with the `password` alone, inside the 4-hour strong
/// window (the quick user switch of a shared counter).
///
/// Errors: `SEGUR_RESULT_ACCESS_BAD_CREDENTIALS`, `SEGUR_RESULT_ACCESS_STRONG_REAUTH_REQUIRED`,
/// `SEGUR_RESULT_ACCESS_THROTTLED`, `SEGUR_RESULT_ACCESS_UNKNOWN_SESSION`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_unlock(
    access: *const segur_access,
    session: *const c_char,
    session_len: usize,
    password: *const c_char,
    password_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        let id = try_ffi!(session_arg(session, session_len));
        // SAFETY: header contract.
        let password = Password::new(try_ffi!(unsafe { str_arg(password, password_len) }));
        try_ffi!(with(access, |a| a.unlock(&id, &password)));
        segur_result::Ok
    })
}

/// The periodic strong re-authentication of `session`: `password` and a TOTP code again; the
/// session's 4-hour window restarts (only this session's).
///
/// Errors: as `segur_access_login`, and `SEGUR_RESULT_ACCESS_UNKNOWN_SESSION`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_reauthenticate(
    access: *const segur_access,
    session: *const c_char,
    session_len: usize,
    password: *const c_char,
    password_len: usize,
    totp_code: *const c_char,
    totp_code_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        let id = try_ffi!(session_arg(session, session_len));
        // SAFETY (this and the next read): header contract.
        let password = Password::new(try_ffi!(unsafe { str_arg(password, password_len) }));
        // SAFETY: as above.
        let code = try_ffi!(unsafe { str_arg(totp_code, totp_code_len) });
        try_ffi!(with(access, |a| a.reauthenticate(
            &id,
            &password,
            SecondFactor::Totp(code)
        )));
        segur_result::Ok
    })
}

/// Closes `session` (explicit logout).
///
/// Errors: `SEGUR_RESULT_ACCESS_UNKNOWN_SESSION`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_logout(
    access: *const segur_access,
    session: *const c_char,
    session_len: usize,
) -> segur_result {
    crate::ffi_boundary!({
        let id = try_ffi!(session_arg(session, session_len));
        try_ffi!(with(access, |a| a.logout(&id)));
        segur_result::Ok
    })
}

fn open_trail(db_path: *const c_char, db_path_len: usize) -> Result<AuditLog, segur_result> {
    // SAFETY: header contract.
    let db = unsafe { str_arg(db_path, db_path_len) }?;
    let store = SqliteAuditStore::open_existing(Path::new(db))
        .map_err(|e| fail(segur_result::AccessAudit, e))?;
    Ok(AuditLog::new(Box::new(store), Arc::new(SystemClock)))
}

/// The report of `segur_access_audit_verify`.
#[derive(serde::Serialize)]
struct VerifyView {
    entries: u64,
    checkpoints: usize,
    head: Option<String>,
}

/// Verifies the audit trail of the database at `db_path` (no key needed) and writes
/// `{"entries":N,"checkpoints":N,"head":"<hex hash>"}` to `*out_json` (free with
/// `segur_string_free`).
///
/// Errors: `SEGUR_RESULT_ACCESS_AUDIT_TAMPERED` with the first bad entry in the detail
/// (`"entry 17: content does not match its hash (edited)"`), `SEGUR_RESULT_ACCESS_AUDIT`
/// (unreadable, damaged or truncated file). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_audit_verify(
    db_path: *const c_char,
    db_path_len: usize,
    out_json: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_json));
        let log = try_ffi!(open_trail(db_path, db_path_len));
        let report = try_ffi!(log.verify(&VerifyOptions::default()).map_err(|e| match e {
            VerifyError::BadEntry { .. } => fail(segur_result::AccessAuditTampered, e),
            other => fail(segur_result::AccessAudit, other),
        }));
        write_json(
            out_json,
            &VerifyView {
                entries: report.entries,
                checkpoints: report.checkpoints,
                head: report.head.map(|h| h.hash.to_hex()),
            },
        )
    })
}

/// Writes every entry of the audit trail of the database at `db_path` as JSON Lines (one
/// object per line: seq, time, kind, outcome, actor, workstation, subject, permission,
/// patient pseudonym, detail, prev_hash, hash) to `*out_jsonl` (free with
/// `segur_string_free`). No key needed; patients appear as keyed pseudonyms only.
///
/// Errors: `SEGUR_RESULT_ACCESS_AUDIT`. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn segur_access_audit_export(
    db_path: *const c_char,
    db_path_len: usize,
    out_jsonl: *mut *mut c_char,
) -> segur_result {
    crate::ffi_boundary!({
        try_ffi!(out_arg(out_jsonl));
        let log = try_ffi!(open_trail(db_path, db_path_len));
        let mut out = Vec::new();
        try_ffi!(
            log.export_json_lines(&mut out)
                .map_err(|e| fail(segur_result::AccessAudit, e))
        );
        let text = try_ffi!(String::from_utf8(out).map_err(|_| segur_result::InvalidUtf8));
        write_string(out_jsonl, text)
    })
}
