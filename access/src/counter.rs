//! The quick user switch of a shared counter workstation: several staff keep a session open on
//! the same PC and take turns. Switching locks the current session (its times untouched) and
//! unlocks the next user's with the password alone while that user's own strong window lasts;
//! when it is over, the next user must log in again with both factors. One user's login or
//! re-authentication never extends another's window, since each session keeps its own times.

use crate::password::Password;
use crate::service::{Access, AccessError, OpenedSession, SecondFactor};
use crate::session::{SessionId, SessionStatus};
use std::collections::BTreeMap;

/// The sessions open on one workstation.
#[derive(Debug)]
pub struct Counter {
    workstation: String,
    sessions: BTreeMap<String, SessionId>,
    current: Option<String>,
}

impl Counter {
    /// An empty counter for `workstation`.
    pub fn new(workstation: &str) -> Self {
        Self {
            workstation: workstation.to_owned(),
            sessions: BTreeMap::new(),
            current: None,
        }
    }

    /// The workstation name.
    pub fn workstation(&self) -> &str {
        &self.workstation
    }

    /// The user at the counter now.
    pub fn current_user(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The current user's session.
    pub fn current_session(&self) -> Option<&SessionId> {
        self.current.as_ref().and_then(|u| self.sessions.get(u))
    }

    fn lock_current(&mut self, access: &mut Access) -> Result<(), AccessError> {
        if let Some(id) = self.current_session().cloned() {
            access.lock(&id)?;
        }
        self.current = None;
        Ok(())
    }

    /// Full login (password and second factor) of `name` at this counter, locking the current
    /// user's session first.
    pub fn login(
        &mut self,
        access: &mut Access,
        name: &str,
        password: &Password,
        second: SecondFactor<'_>,
    ) -> Result<(), AccessError> {
        self.lock_current(access)?;
        let OpenedSession { id, user, .. } =
            access.login(name, password, second, &self.workstation)?;
        if let Some(old) = self.sessions.insert(user.clone(), id) {
            access.logout(&old)?;
        }
        self.current = Some(user);
        Ok(())
    }

    /// Quick switch to `name`: locks the current session and unlocks `name`'s with the password
    /// alone. Fails with [`AccessError::SessionNotActive`]`(StrongReauthRequired)` when `name`'s
    /// strong window is over, and with [`AccessError::UnknownSession`] when `name` has no
    /// session here: use [`login`](Self::login) then.
    pub fn switch_to(
        &mut self,
        access: &mut Access,
        name: &str,
        password: &Password,
    ) -> Result<(), AccessError> {
        let id = self
            .sessions
            .get(name)
            .cloned()
            .ok_or(AccessError::UnknownSession)?;
        let status = access.session_status(&id)?;
        if matches!(
            status,
            SessionStatus::StrongReauthRequired | SessionStatus::Closed
        ) {
            return Err(AccessError::SessionNotActive(status));
        }
        self.lock_current(access)?;
        access.unlock(&id, password)?;
        self.current = Some(name.to_owned());
        Ok(())
    }

    /// Checks a permission for the user at the counter.
    pub fn check(
        &mut self,
        access: &mut Access,
        permission: &str,
        patient: Option<&str>,
    ) -> Result<(), AccessError> {
        let id = self
            .current_session()
            .cloned()
            .ok_or(AccessError::UnknownSession)?;
        access.check(&id, permission, patient)
    }

    /// Closes every session of this counter.
    pub fn close(&mut self, access: &mut Access) -> Result<(), AccessError> {
        for (_, id) in std::mem::take(&mut self.sessions) {
            access.logout(&id)?;
        }
        self.current = None;
        Ok(())
    }
}
