//! [`Access`]: the access service of one officine over one SQLite file. It ties the factors,
//! the throttling, the sessions, the policy and the audit trail together: every authentication
//! and every permission check is traced, and every rule reads the injected clock.
//!
//! The database holds the accounts (Argon2id hashes), the TOTP secrets sealed with the master
//! key, recovery-code hashes, throttling state, sessions (by the SHA-256 of their identifier),
//! the policy and the audit trail. The master key lives outside it ([`crate::keys`]).

use crate::audit::sqlite::{SqliteAuditStore, open_connection};
use crate::audit::{AuditError, AuditEvent, AuditLog, AuditStore, EventKind, Outcome};
use crate::clock::{Clock, UnixTime};
use crate::keys::{KeyError, MasterKey, Pseudonymizer, SecretBox};
use crate::password::{Argon2Params, Password, PasswordError, PasswordHasher, PasswordRules};
use crate::policy::{Policy, PolicyError};
use crate::recovery::{RecoveryCode, RecoveryError};
use crate::session::{SessionId, SessionRecord, SessionRules, SessionStatus};
use crate::strong::StrongAuthEvent;
use crate::throttle::{Refusal, ThrottleRules, ThrottleState};
use crate::totp::{Digits, Totp, TotpAlgorithm, TotpError, TotpParams, TotpSecret};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The actor recorded for changes made by whoever holds the database and key files (the
/// installation, the command line) rather than by a logged-in account.
pub const LOCAL_ADMINISTRATOR: &str = "local-administrator";

/// How old a strong authentication event may be when handed to a login (5 minutes).
pub const STRONG_EVENT_MAX_AGE_SECS: i64 = 300;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS totp (
    user TEXT PRIMARY KEY REFERENCES users(name),
    sealed BLOB NOT NULL,
    algorithm TEXT NOT NULL,
    digits INTEGER NOT NULL,
    period INTEGER NOT NULL,
    last_step INTEGER
);
CREATE TABLE IF NOT EXISTS recovery_codes (
    user TEXT NOT NULL REFERENCES users(name),
    hash BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user, hash)
);
CREATE TABLE IF NOT EXISTS throttle (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure INTEGER,
    locked INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash BLOB PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    workstation TEXT NOT NULL,
    created INTEGER NOT NULL,
    strong_at INTEGER NOT NULL,
    last_activity INTEGER NOT NULL,
    locked INTEGER NOT NULL,
    closed INTEGER NOT NULL
);
";

/// Tunable rules; every default is documented where it is defined.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// The issuer shown by authenticator apps (`otpauth://` `issuer`).
    pub issuer: String,
    /// TOTP parameters of new enrolments.
    pub totp: TotpParams,
    /// Argon2id cost of new hashes (older hashes are upgraded at login).
    pub argon2: Argon2Params,
    /// Strength of new passwords.
    pub password_rules: PasswordRules,
    /// Strong re-authentication and idle lock.
    pub sessions: SessionRules,
    /// Back-off and lockout per user.
    pub user_throttle: ThrottleRules,
    /// Back-off per workstation.
    pub workstation_throttle: ThrottleRules,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            issuer: "segur".into(),
            totp: TotpParams::default(),
            argon2: Argon2Params::default(),
            password_rules: PasswordRules::default(),
            sessions: SessionRules::default(),
            user_throttle: ThrottleRules::default(),
            workstation_throttle: ThrottleRules::workstation_default(),
        }
    }
}

/// Why an access operation failed. Texts never hold a password, a code, a secret or a patient
/// identifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The database failed.
    #[error("access database: {0}")]
    Storage(String),
    /// The database was not made by `init`.
    #[error("the access database is not initialised (run init first)")]
    NotInitialised,
    /// `init` on a database that already exists.
    #[error("the access database is already initialised")]
    AlreadyInitialised,
    /// A key problem.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The policy refused.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A password rule or hash problem.
    #[error(transparent)]
    Password(PasswordError),
    /// A TOTP problem.
    #[error(transparent)]
    Totp(TotpError),
    /// A malformed recovery code.
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    /// The audit trail failed: the action was not done.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The user name is malformed.
    #[error("user name: {0}")]
    UserName(&'static str),
    /// The account exists already.
    #[error("the account {0} exists already")]
    UserExists(String),
    /// No such account (administration only; a login says [`AccessError::BadCredentials`]).
    #[error("no account {0}")]
    NoSuchUser(String),
    /// Unknown user or wrong password (the two are not told apart).
    #[error("wrong user name or password")]
    BadCredentials,
    /// The account has no second factor enrolled.
    #[error("no second factor is enrolled for this account")]
    NoSecondFactor,
    /// The second factor was refused.
    #[error("second factor refused: {0}")]
    SecondFactor(String),
    /// Too many failures.
    #[error("{scope}: {refusal}")]
    Throttled {
        /// `user` or `workstation`.
        scope: &'static str,
        /// Why.
        refusal: Refusal,
    },
    /// No live session has this identifier.
    #[error("unknown session")]
    UnknownSession,
    /// The session is not usable now.
    #[error("the session is not active ({0:?})")]
    SessionNotActive(SessionStatus),
    /// The permission is refused to the session's role.
    #[error("permission {permission} refused to role {role}")]
    Denied {
        /// The role.
        role: String,
        /// The permission.
        permission: String,
    },
}

impl From<rusqlite::Error> for AccessError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// The second factor of a login or a strong re-authentication.
#[derive(Debug)]
pub enum SecondFactor<'a> {
    /// A TOTP code.
    Totp(&'a str),
    /// A single-use recovery code.
    Recovery(&'a str),
    /// A CPS or e-CPS authentication made by the caller (alone, it is already two factors).
    Strong(StrongAuthEvent),
}

/// A login that succeeded.
#[derive(Debug)]
pub struct OpenedSession {
    /// Hand this to the user's later calls.
    pub id: SessionId,
    /// The account.
    pub user: String,
    /// Its role.
    pub role: String,
}

/// The enrolment of a TOTP secret: show the URI once (as text or QR code).
pub struct TotpEnrolment {
    /// The `otpauth://` URI, holding the secret.
    pub uri: Zeroizing<String>,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(..)")
    }
}

/// Checks a user name: 1 to 64 characters, no control character, no surrounding space.
pub fn check_user_name(name: &str) -> Result<(), AccessError> {
    if name.is_empty() {
        return Err(AccessError::UserName("empty"));
    }
    if name.chars().count() > 64 {
        return Err(AccessError::UserName("longer than 64 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(AccessError::UserName("control character"));
    }
    if name.trim() != name {
        return Err(AccessError::UserName("leading or trailing space"));
    }
    Ok(())
}

/// The access service.
pub struct Access {
    conn: Connection,
    audit: AuditLog,
    policy: Policy,
    config: AccessConfig,
    hasher: PasswordHasher,
    secrets: SecretBox,
    pseudonyms: Pseudonymizer,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").finish_non_exhaustive()
    }
}

fn password_err(e: PasswordError) -> AccessError {
    AccessError::Password(e)
}

impl Access {
    /// Creates the tables of a new database at `path` with `policy`, and opens it.
    pub fn init(
        path: &Path,
        key: &MasterKey,
        policy: &Policy,
        config: AccessConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AccessError> {
        policy.validate()?;
        let mut conn = open_connection(path)?;
        {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(SCHEMA)?;
            let exists: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            if exists.is_some() {
                return Err(AccessError::AlreadyInitialised);
            }
            tx.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')", [])?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('policy', ?1)",
                [policy.to_toml()],
            )?;
            tx.commit()?;
        }
        let mut access = Self::from_parts(conn, path, key, policy.clone(), config, clock)?;
        access.trace(
            AuditEvent::new(EventKind::TrailCreated, Outcome::Success).actor(LOCAL_ADMINISTRATOR),
        )?;
        Ok(access)
    }

    /// Opens a database made by [`init`](Self::init).
    pub fn open(
        path: &Path,
        key: &MasterKey,
        config: AccessConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AccessError> {
        if !path.exists() {
            return Err(AccessError::NotInitialised);
        }
        let conn = open_connection(path)?;
        let policy_text: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'policy'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|_| AccessError::NotInitialised)?;
        let policy = Policy::from_toml(&policy_text.ok_or(AccessError::NotInitialised)?)?;
        Self::from_parts(conn, path, key, policy, config, clock)
    }

    fn from_parts(
        conn: Connection,
        path: &Path,
        key: &MasterKey,
        policy: Policy,
        config: AccessConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AccessError> {
        let store: Box<dyn AuditStore> = Box::new(SqliteAuditStore::open(path)?);
        Ok(Self {
            conn,
            audit: AuditLog::new(store, clock.clone()),
            hasher: PasswordHasher::new(config.argon2).map_err(password_err)?,
            secrets: key.secret_box(),
            pseudonyms: key.pseudonymizer(),
            policy,
            config,
            clock,
        })
    }

    /// Replaces the audit store (the vendor's own database); the rest stays in SQLite.
    pub fn with_audit_store(mut self, store: Box<dyn AuditStore>) -> Self {
        self.audit = AuditLog::new(store, self.clock.clone());
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The configuration.
    pub fn config(&self) -> &AccessConfig {
        &self.config
    }

    /// The audit log.
    pub fn audit(&mut self) -> &mut AuditLog {
        &mut self.audit
    }

    /// The patient pseudonymizer of this database's key.
    pub fn pseudonymizer(&self) -> &Pseudonymizer {
        &self.pseudonyms
    }

    fn now(&self) -> UnixTime {
        self.clock.now()
    }

    fn trace(&mut self, event: AuditEvent) -> Result<(), AccessError> {
        self.audit.append(event)?;
        Ok(())
    }

    fn user_role(&self, name: &str) -> Result<Option<(String, String)>, AccessError> {
        Ok(self
            .conn
            .query_row(
                "SELECT role, password_hash FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    // ----- accounts --------------------------------------------------------------------------

    /// Creates an account as the holder of the database and key files (installation, command
    /// line), traced as [`LOCAL_ADMINISTRATOR`]. The role must exist; the password must pass the
    /// strength rules.
    pub fn add_user_local(
        &mut self,
        name: &str,
        role: &str,
        password: &Password,
    ) -> Result<(), AccessError> {
        self.policy.role(role)?;
        self.create_user(LOCAL_ADMINISTRATOR, name, role, password)
    }

    /// Creates an account on behalf of a logged-in administrator: the session must be active
    /// and its role may hand out `role` ([`Policy::check_assignment`]).
    pub fn add_user(
        &mut self,
        actor: &SessionId,
        name: &str,
        role: &str,
        password: &Password,
    ) -> Result<(), AccessError> {
        let (actor_name, actor_role) = self.active_session(actor)?;
        if let Err(e) = self
            .policy
            .check_assignment(&actor_role, actor_name == name, role)
        {
            self.trace(
                AuditEvent::new(EventKind::AccountCreated, Outcome::Denied)
                    .actor(&actor_name)
                    .subject(name)
                    .detail(e.to_string()),
            )?;
            return Err(e.into());
        }
        self.create_user(&actor_name, name, role, password)
    }

    fn create_user(
        &mut self,
        actor: &str,
        name: &str,
        role: &str,
        password: &Password,
    ) -> Result<(), AccessError> {
        check_user_name(name)?;
        self.config
            .password_rules
            .check(password)
            .map_err(password_err)?;
        if self.user_role(name)?.is_some() {
            return Err(AccessError::UserExists(name.to_owned()));
        }
        let hash = self.hasher.hash(password).map_err(password_err)?;
        self.conn.execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?1, ?2, ?3, ?4)",
            params![name, role, hash, self.now().0],
        )?;
        self.trace(
            AuditEvent::new(EventKind::AccountCreated, Outcome::Success)
                .actor(actor)
                .subject(name)
                .detail(format!("role {role}")),
        )
    }

    /// Changes an account's role on behalf of a logged-in administrator (no self-promotion,
    /// no escalation: [`Policy::check_assignment`]).
    pub fn change_role(
        &mut self,
        actor: &SessionId,
        name: &str,
        role: &str,
    ) -> Result<(), AccessError> {
        let (actor_name, actor_role) = self.active_session(actor)?;
        if let Err(e) = self
            .policy
            .check_assignment(&actor_role, actor_name == name, role)
        {
            self.trace(
                AuditEvent::new(EventKind::RoleChanged, Outcome::Denied)
                    .actor(&actor_name)
                    .subject(name)
                    .detail(e.to_string()),
            )?;
            return Err(e.into());
        }
        let n = self
            .conn
            .execute("UPDATE users SET role = ?1 WHERE name = ?2", [role, name])?;
        if n == 0 {
            return Err(AccessError::NoSuchUser(name.to_owned()));
        }
        self.trace(
            AuditEvent::new(EventKind::RoleChanged, Outcome::Success)
                .actor(&actor_name)
                .subject(name)
                .detail(format!("role {role}")),
        )
    }

    /// Unlocks an account locked out after repeated failures (needs `users.manage`).
    pub fn unlock_account(&mut self, actor: &SessionId, name: &str) -> Result<(), AccessError> {
        let (actor_name, actor_role) = self.active_session(actor)?;
        self.policy
            .require(&actor_role, crate::policy::USERS_MANAGE)?;
        self.conn.execute(
            "DELETE FROM throttle WHERE scope = 'user' AND key = ?1",
            [name],
        )?;
        self.trace(
            AuditEvent::new(EventKind::AccountUnlocked, Outcome::Success)
                .actor(&actor_name)
                .subject(name),
        )
    }

    /// Replaces the policy on behalf of a logged-in actor ([`Policy::check_change`]).
    pub fn change_policy(&mut self, actor: &SessionId, new: Policy) -> Result<(), AccessError> {
        let (actor_name, actor_role) = self.active_session(actor)?;
        if let Err(e) = self.policy.check_change(&actor_role, &new) {
            self.trace(
                AuditEvent::new(EventKind::PolicyChanged, Outcome::Denied)
                    .actor(&actor_name)
                    .detail(e.to_string()),
            )?;
            return Err(e.into());
        }
        self.conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'policy'",
            [new.to_toml()],
        )?;
        self.policy = new;
        self.trace(AuditEvent::new(EventKind::PolicyChanged, Outcome::Success).actor(&actor_name))
    }

    // ----- second factors --------------------------------------------------------------------

    /// Enrols a new TOTP secret for `name` with the configured parameters (SHA-1, 6 digits,
    /// 30 s by default), replacing any earlier one. The secret is sealed at rest with the
    /// user name bound to it; the URI is the only copy handed out.
    pub fn enroll_totp(&mut self, name: &str) -> Result<TotpEnrolment, AccessError> {
        if self.user_role(name)?.is_none() {
            return Err(AccessError::NoSuchUser(name.to_owned()));
        }
        let params = self.config.totp;
        let secret = TotpSecret::generate().map_err(AccessError::Totp)?;
        let sealed = self.secrets.seal(&totp_context(name), secret.expose())?;
        let totp = Totp::new(secret, params).map_err(AccessError::Totp)?;
        self.conn.execute(
            "INSERT OR REPLACE INTO totp (user, sealed, algorithm, digits, period, last_step) \
             VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
            params![
                name,
                sealed,
                params.algorithm.uri_name(),
                params.digits.get(),
                params.period
            ],
        )?;
        self.trace(
            AuditEvent::new(EventKind::TotpEnrolled, Outcome::Success)
                .actor(LOCAL_ADMINISTRATOR)
                .subject(name)
                .detail(format!(
                    "{} {} digits {} s",
                    params.algorithm.uri_name(),
                    params.digits.get(),
                    params.period
                )),
        )?;
        Ok(TotpEnrolment {
            uri: totp.otpauth_uri(&self.config.issuer, name),
        })
    }

    /// Issues new recovery codes for `name` (the old ones stop working).
    pub fn issue_recovery_codes(&mut self, name: &str) -> Result<Vec<RecoveryCode>, AccessError> {
        if self.user_role(name)?.is_none() {
            return Err(AccessError::NoSuchUser(name.to_owned()));
        }
        let codes = crate::recovery::generate()?;
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM recovery_codes WHERE user = ?1", [name])?;
        for (_, hash) in &codes {
            tx.execute(
                "INSERT INTO recovery_codes (user, hash, used_at) VALUES (?1, ?2, NULL)",
                params![name, &hash[..]],
            )?;
        }
        tx.commit()?;
        self.trace(
            AuditEvent::new(EventKind::RecoveryCodesIssued, Outcome::Success)
                .actor(LOCAL_ADMINISTRATOR)
                .subject(name),
        )?;
        Ok(codes.into_iter().map(|(c, _)| c).collect())
    }

    fn load_totp(&self, name: &str) -> Result<Option<(Totp, Option<u64>)>, AccessError> {
        let row: Option<StoredTotp> = self
            .conn
            .query_row(
                "SELECT sealed, algorithm, digits, period, last_step FROM totp WHERE user = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((sealed, algorithm, digits, period, last)) = row else {
            return Ok(None);
        };
        let secret = self.secrets.open(&totp_context(name), &sealed)?;
        let params = TotpParams {
            algorithm: TotpAlgorithm::parse(&algorithm)
                .ok_or_else(|| AccessError::Storage("stored TOTP algorithm".into()))?,
            digits: Digits::new(digits)
                .ok_or_else(|| AccessError::Storage("stored TOTP digits".into()))?,
            period,
            window: self.config.totp.window,
        };
        let totp = Totp::new(
            TotpSecret::from_bytes(&secret).map_err(AccessError::Totp)?,
            params,
        )
        .map_err(AccessError::Totp)?;
        Ok(Some((totp, last.and_then(|l| u64::try_from(l).ok()))))
    }

    /// Checks a second factor; on success consumes it (TOTP step, recovery code).
    fn check_second_factor(
        &mut self,
        name: &str,
        factor: &SecondFactor<'_>,
    ) -> Result<(), AccessError> {
        let now = self.now();
        match factor {
            SecondFactor::Totp(code) => {
                let (totp, last) = self.load_totp(name)?.ok_or(AccessError::NoSecondFactor)?;
                let step = totp
                    .verify(code, now, last)
                    .map_err(|e| AccessError::SecondFactor(e.to_string()))?;
                let step = i64::try_from(step).unwrap_or(i64::MAX);
                // Compare-and-set: of two processes given the same code, one wins.
                let n = self.conn.execute(
                    "UPDATE totp SET last_step = ?1 WHERE user = ?2 \
                     AND (last_step IS NULL OR last_step < ?1)",
                    params![step, name],
                )?;
                if n == 0 {
                    return Err(AccessError::SecondFactor(TotpError::Replayed.to_string()));
                }
                Ok(())
            }
            SecondFactor::Recovery(code) => {
                let hash = crate::recovery::hash_typed(code)?;
                let n = self.conn.execute(
                    "UPDATE recovery_codes SET used_at = ?1 WHERE user = ?2 AND hash = ?3 \
                     AND used_at IS NULL",
                    params![now.0, name, &hash[..]],
                )?;
                if n == 0 {
                    return Err(AccessError::SecondFactor(
                        "unknown or already used recovery code".into(),
                    ));
                }
                self.trace(
                    AuditEvent::new(EventKind::RecoveryCodeUsed, Outcome::Success).actor(name),
                )
            }
            SecondFactor::Strong(event) => {
                if event.user != name {
                    return Err(AccessError::SecondFactor(
                        "the strong authentication names another account".into(),
                    ));
                }
                if !event.is_multi_factor() {
                    return Err(AccessError::SecondFactor(
                        "the strong authentication combined fewer than two kinds of factor".into(),
                    ));
                }
                let age = now.since(event.at);
                if !(0..=STRONG_EVENT_MAX_AGE_SECS).contains(&age) {
                    return Err(AccessError::SecondFactor(
                        "the strong authentication is not recent".into(),
                    ));
                }
                Ok(())
            }
        }
    }

    // ----- throttling ------------------------------------------------------------------------

    fn throttle_state(&self, scope: &str, key: &str) -> Result<ThrottleState, AccessError> {
        let row: Option<(u32, Option<i64>, bool)> = self
            .conn
            .query_row(
                "SELECT failures, last_failure, locked FROM throttle WHERE scope = ?1 AND key = ?2",
                [scope, key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(
            row.map_or_else(ThrottleState::default, |(failures, last, locked)| {
                ThrottleState {
                    failures,
                    last_failure: last.map(UnixTime),
                    locked,
                }
            }),
        )
    }

    fn save_throttle(
        &self,
        scope: &str,
        key: &str,
        state: &ThrottleState,
    ) -> Result<(), AccessError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO throttle (scope, key, failures, last_failure, locked) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                scope,
                key,
                state.failures,
                state.last_failure.map(|t| t.0),
                state.locked
            ],
        )?;
        Ok(())
    }

    fn check_throttles(&self, name: &str, workstation: &str) -> Result<(), AccessError> {
        let now = self.now();
        let user = self.throttle_state("user", name)?;
        self.config
            .user_throttle
            .check(&user, now)
            .map_err(|refusal| AccessError::Throttled {
                scope: "user",
                refusal,
            })?;
        let ws = self.throttle_state("workstation", workstation)?;
        self.config
            .workstation_throttle
            .check(&ws, now)
            .map_err(|refusal| AccessError::Throttled {
                scope: "workstation",
                refusal,
            })
    }

    fn record_failure(&mut self, name: &str, workstation: &str) -> Result<(), AccessError> {
        let now = self.now();
        let mut user = self.throttle_state("user", name)?;
        let was_locked = user.locked;
        self.config.user_throttle.record_failure(&mut user, now);
        self.save_throttle("user", name, &user)?;
        let mut ws = self.throttle_state("workstation", workstation)?;
        self.config
            .workstation_throttle
            .record_failure(&mut ws, now);
        self.save_throttle("workstation", workstation, &ws)?;
        if user.locked && !was_locked {
            self.trace(
                AuditEvent::new(EventKind::AccountLockedOut, Outcome::Denied)
                    .subject(name)
                    .workstation(workstation)
                    .detail(format!("{} consecutive failures", user.failures)),
            )?;
        }
        Ok(())
    }

    fn clear_throttles(&self, name: &str, workstation: &str) -> Result<(), AccessError> {
        self.conn.execute(
            "DELETE FROM throttle WHERE (scope = 'user' AND key = ?1) \
             OR (scope = 'workstation' AND key = ?2)",
            [name, workstation],
        )?;
        Ok(())
    }

    /// Checks the password and second factor of `name` with throttling; traces the failure.
    fn authenticate(
        &mut self,
        kind_failed: EventKind,
        name: &str,
        password: &Password,
        second: &SecondFactor<'_>,
        workstation: &str,
    ) -> Result<String, AccessError> {
        check_user_name(name).map_err(|_| AccessError::BadCredentials)?;
        if let Err(e) = self.check_throttles(name, workstation) {
            self.trace(
                AuditEvent::new(kind_failed, Outcome::Denied)
                    .actor(name)
                    .workstation(workstation)
                    .detail(e.to_string()),
            )?;
            return Err(e);
        }
        let result = self.check_factors(name, password, second);
        match result {
            Ok(role) => {
                self.clear_throttles(name, workstation)?;
                Ok(role)
            }
            Err(e) => {
                self.record_failure(name, workstation)?;
                self.trace(
                    AuditEvent::new(kind_failed, Outcome::Failure)
                        .actor(name)
                        .workstation(workstation)
                        .detail(e.to_string()),
                )?;
                Err(e)
            }
        }
    }

    fn check_factors(
        &mut self,
        name: &str,
        password: &Password,
        second: &SecondFactor<'_>,
    ) -> Result<String, AccessError> {
        let Some((role, stored)) = self.user_role(name)? else {
            // Same work as a real check, so timing does not reveal which accounts exist.
            let _ = self.hasher.hash(password);
            return Err(AccessError::BadCredentials);
        };
        let verified = self.hasher.verify(password, &stored).map_err(|e| match e {
            PasswordError::Mismatch => AccessError::BadCredentials,
            other => AccessError::Password(other),
        })?;
        self.check_second_factor(name, second)?;
        if let Some(new_hash) = verified.rehash {
            self.conn.execute(
                "UPDATE users SET password_hash = ?1 WHERE name = ?2",
                [new_hash.as_str(), name],
            )?;
        }
        Ok(role)
    }

    // ----- sessions --------------------------------------------------------------------------

    /// Logs in with the password and a second factor on `workstation`; opens a session whose
    /// strong window starts now.
    pub fn login(
        &mut self,
        name: &str,
        password: &Password,
        second: SecondFactor<'_>,
        workstation: &str,
    ) -> Result<OpenedSession, AccessError> {
        let role =
            self.authenticate(EventKind::LoginFailed, name, password, &second, workstation)?;
        let id = SessionId::generate()
            .ok_or_else(|| AccessError::Storage("the system random source failed".into()))?;
        let now = self.now();
        self.conn.execute(
            "INSERT INTO sessions (id_hash, user, workstation, created, strong_at, \
             last_activity, locked, closed) VALUES (?1, ?2, ?3, ?4, ?4, ?4, 0, 0)",
            params![&id.storage_hash()[..], name, workstation, now.0],
        )?;
        self.trace(
            AuditEvent::new(EventKind::LoginSucceeded, Outcome::Success)
                .actor(name)
                .workstation(workstation)
                .detail(factor_name(&second)),
        )?;
        Ok(OpenedSession {
            id,
            user: name.to_owned(),
            role,
        })
    }

    fn load_session(&self, id: &SessionId) -> Result<SessionRecord, AccessError> {
        self.conn
            .query_row(
                "SELECT user, workstation, created, strong_at, last_activity, locked, closed \
                 FROM sessions WHERE id_hash = ?1",
                [&id.storage_hash()[..]],
                |r| {
                    Ok(SessionRecord {
                        user: r.get(0)?,
                        workstation: r.get(1)?,
                        created: UnixTime(r.get(2)?),
                        strong_at: UnixTime(r.get(3)?),
                        last_activity: UnixTime(r.get(4)?),
                        locked: r.get(5)?,
                        closed: r.get(6)?,
                    })
                },
            )
            .optional()?
            .ok_or(AccessError::UnknownSession)
    }

    /// The status of a session now.
    pub fn session_status(&self, id: &SessionId) -> Result<SessionStatus, AccessError> {
        let record = self.load_session(id)?;
        Ok(self.config.sessions.status(&record, self.now()))
    }

    /// The user and role of an active session (no activity recorded).
    fn active_session(&mut self, id: &SessionId) -> Result<(String, String), AccessError> {
        let record = self.load_session(id)?;
        let status = self.config.sessions.status(&record, self.now());
        if status != SessionStatus::Active {
            return Err(AccessError::SessionNotActive(status));
        }
        let (role, _) = self
            .user_role(&record.user)?
            .ok_or(AccessError::UnknownSession)?;
        Ok((record.user, role))
    }

    fn set_session(&self, id: &SessionId, sql: &str, now: UnixTime) -> Result<(), AccessError> {
        self.conn
            .execute(sql, params![now.0, &id.storage_hash()[..]])?;
        Ok(())
    }

    /// Checks that the session may use `permission` now; records the activity and traces the
    /// decision. `patient` (an INS or local identifier) is traced as a keyed pseudonym. An
    /// unknown permission is refused like a denied one.
    pub fn check(
        &mut self,
        id: &SessionId,
        permission: &str,
        patient: Option<&str>,
    ) -> Result<(), AccessError> {
        let now = self.now();
        let mut event = AuditEvent::new(EventKind::AccessChecked, Outcome::Denied);
        if crate::policy::Permission::new(permission).is_ok() {
            event = event.permission(permission);
        }
        if let Some(p) = patient {
            event = event.patient(self.pseudonyms.pseudonym(p));
        }
        let record = match self.load_session(id) {
            Ok(r) => r,
            Err(e) => {
                self.trace(event.detail(e.to_string()))?;
                return Err(e);
            }
        };
        let event = event.actor(&record.user).workstation(&record.workstation);
        let status = self.config.sessions.status(&record, now);
        if status != SessionStatus::Active {
            let e = AccessError::SessionNotActive(status);
            self.trace(event.detail(e.to_string()))?;
            return Err(e);
        }
        let role = match self.user_role(&record.user)? {
            Some((role, _)) => role,
            None => {
                self.trace(event.detail("the account no longer exists"))?;
                return Err(AccessError::UnknownSession);
            }
        };
        let decision = match self.policy.allows(&role, permission) {
            Ok(true) => Ok(()),
            Ok(false) => Err(AccessError::Denied {
                role: role.clone(),
                permission: permission.to_owned(),
            }),
            Err(e) => Err(AccessError::Policy(e)),
        };
        self.set_session(
            id,
            "UPDATE sessions SET last_activity = ?1 WHERE id_hash = ?2",
            now,
        )?;
        match decision {
            Ok(()) => {
                let mut event = event.detail(format!("role {role}"));
                event.outcome = Outcome::Success;
                self.trace(event)?;
                Ok(())
            }
            Err(e) => {
                self.trace(event.detail(e.to_string()))?;
                Err(e)
            }
        }
    }

    /// Locks a session (the user steps away, or another user takes the counter). Its times are
    /// kept as they are.
    pub fn lock(&mut self, id: &SessionId) -> Result<(), AccessError> {
        let record = self.load_session(id)?;
        self.set_session(
            id,
            "UPDATE sessions SET locked = 1 WHERE id_hash = ?2 AND ?1 = ?1",
            self.now(),
        )?;
        self.trace(
            AuditEvent::new(EventKind::SessionLocked, Outcome::Success)
                .actor(&record.user)
                .workstation(&record.workstation),
        )
    }

    /// Unlocks a locked or idle session with the password alone, inside the strong window
    /// (one-factor re-authentication, which the RIE allows for a duration the owner sets).
    /// Past the window, [`reauthenticate`](Self::reauthenticate) is needed.
    pub fn unlock(&mut self, id: &SessionId, password: &Password) -> Result<(), AccessError> {
        let record = self.load_session(id)?;
        let now = self.now();
        let status = self.config.sessions.status(&record, now);
        if matches!(
            status,
            SessionStatus::StrongReauthRequired | SessionStatus::Closed
        ) {
            return Err(AccessError::SessionNotActive(status));
        }
        let user = record.user.clone();
        let workstation = record.workstation.clone();
        self.check_throttles(&user, &workstation)?;
        let stored = self.user_role(&user)?.ok_or(AccessError::UnknownSession)?.1;
        match self.hasher.verify(password, &stored) {
            Ok(_) => {
                self.clear_throttles(&user, &workstation)?;
                self.set_session(
                    id,
                    "UPDATE sessions SET locked = 0, last_activity = ?1 WHERE id_hash = ?2",
                    now,
                )?;
                self.trace(
                    AuditEvent::new(EventKind::SessionUnlocked, Outcome::Success)
                        .actor(&user)
                        .workstation(&workstation),
                )
            }
            Err(_) => {
                self.record_failure(&user, &workstation)?;
                self.trace(
                    AuditEvent::new(EventKind::SessionUnlocked, Outcome::Failure)
                        .actor(&user)
                        .workstation(&workstation)
                        .detail("wrong password"),
                )?;
                Err(AccessError::BadCredentials)
            }
        }
    }

    /// The periodic strong re-authentication: password and second factor again; the session's
    /// strong window restarts now, and only this session's.
    pub fn reauthenticate(
        &mut self,
        id: &SessionId,
        password: &Password,
        second: SecondFactor<'_>,
    ) -> Result<(), AccessError> {
        let record = self.load_session(id)?;
        if record.closed {
            return Err(AccessError::SessionNotActive(SessionStatus::Closed));
        }
        self.authenticate(
            EventKind::ReauthenticationFailed,
            &record.user,
            password,
            &second,
            &record.workstation,
        )?;
        self.set_session(
            id,
            "UPDATE sessions SET strong_at = ?1, last_activity = ?1, locked = 0 WHERE id_hash = ?2",
            self.now(),
        )?;
        self.trace(
            AuditEvent::new(EventKind::Reauthenticated, Outcome::Success)
                .actor(&record.user)
                .workstation(&record.workstation)
                .detail(factor_name(&second)),
        )
    }

    /// Closes a session (explicit logout, SC.SSI/IE.38).
    pub fn logout(&mut self, id: &SessionId) -> Result<(), AccessError> {
        let record = self.load_session(id)?;
        self.set_session(
            id,
            "UPDATE sessions SET closed = 1 WHERE id_hash = ?2 AND ?1 = ?1",
            self.now(),
        )?;
        self.trace(
            AuditEvent::new(EventKind::LoggedOut, Outcome::Success)
                .actor(&record.user)
                .workstation(&record.workstation),
        )
    }
}

/// A row of the `totp` table: sealed secret, algorithm, digits, period, last accepted step.
type StoredTotp = (Vec<u8>, String, u8, u32, Option<i64>);

fn totp_context(name: &str) -> Vec<u8> {
    let mut c = b"segur-access totp\0".to_vec();
    c.extend_from_slice(name.as_bytes());
    c
}

fn factor_name(f: &SecondFactor<'_>) -> &'static str {
    match f {
        SecondFactor::Totp(_) => "password and TOTP",
        SecondFactor::Recovery(_) => "password and recovery code",
        SecondFactor::Strong(_) => "password and strong authentication",
    }
}
