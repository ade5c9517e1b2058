//! Privileges as data: permissions, the roles that hold them, deny by default.
//!
//! The policy is a TOML file (the default, [`DEFAULT_POLICY_TOML`], documents each choice with
//! its source). Loading it checks that every role names known permissions and that a technical
//! role holds no health-data permission (privileged accounts separate from business accounts:
//! SC.SSI/IAM.92 as read in the access-security notes). At run time, an unknown role or
//! permission is an error, never an "allowed"; role assignments and policy changes are refused
//! when they would give someone more than the actor may hand out.

use std::collections::{BTreeMap, BTreeSet};

/// The default officine policy (source of truth for [`Policy::default_officine`]).
pub const DEFAULT_POLICY_TOML: &str = include_str!("default-policy.toml");

/// Largest policy file read (1 MiB).
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// The permission every account administration action needs.
pub const USERS_MANAGE: &str = "users.manage";
/// The permission a policy change needs.
pub const POLICY_MANAGE: &str = "policy.manage";

/// Why a policy, a role or a permission was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file is larger than [`MAX_POLICY_BYTES`].
    #[error("the policy file has {0} bytes, more than the 1 MiB limit")]
    TooLarge(usize),
    /// The file is not valid TOML or has an unknown key (the text names line and column).
    #[error("policy file: {0}")]
    Syntax(String),
    /// A permission name is malformed.
    #[error("permission name {0:?}: lowercase ASCII words separated by dots, 1 to 64 characters")]
    PermissionName(String),
    /// A role name is malformed.
    #[error("role name {0:?}: lowercase ASCII letters, digits, '_' or '-', 1 to 64 characters")]
    RoleName(String),
    /// A role lists a permission the policy does not define.
    #[error("role {role} lists the unknown permission {permission}")]
    RoleUsesUnknownPermission {
        /// The role.
        role: String,
        /// The permission.
        permission: String,
    },
    /// A permission is both health data and administrative.
    #[error("permission {0} cannot be both health data and administrative")]
    PermissionKinds(String),
    /// A technical role holds a health-data permission.
    #[error("technical role {role} may not hold the health-data permission {permission}")]
    TechnicalHealthData {
        /// The role.
        role: String,
        /// The permission.
        permission: String,
    },
    /// The role is not in the policy.
    #[error("unknown role {0}")]
    UnknownRole(String),
    /// The permission is not in the policy.
    #[error("unknown permission {0}")]
    UnknownPermission(String),
    /// The actor's role does not hold the permission the action needs.
    #[error("role {role} does not hold {permission}")]
    Denied {
        /// The actor's role.
        role: String,
        /// The permission needed.
        permission: String,
    },
    /// The change would give someone more than the actor may hand out.
    #[error("privilege escalation refused: {0}")]
    Escalation(String),
}

/// A permission name: lowercase ASCII words separated by dots (`dispense.validate`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Permission(String);

impl Permission {
    /// Checks the form of a permission name (not whether a policy defines it).
    pub fn new(name: &str) -> Result<Self, PolicyError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.split('.').all(|word| {
                word.starts_with(|c: char| c.is_ascii_lowercase())
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(PolicyError::PermissionName(name.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A role name (`titulaire`, `preparateur`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RoleName(String);

impl RoleName {
    /// Checks the form of a role name (not whether a policy defines it).
    pub fn new(name: &str) -> Result<Self, PolicyError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(PolicyError::RoleName(name.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RoleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RoleName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// Business (pharmacy staff) or technical (administration without health data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleKind {
    /// A pharmacy role.
    Business,
    /// A technical administrator.
    Technical,
}

/// A permission of the policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionDef {
    /// What it allows.
    pub description: String,
    /// Reads or writes personal health data.
    #[serde(default)]
    pub health_data: bool,
    /// Changes who may do what.
    #[serde(default)]
    pub administrative: bool,
}

/// A role of the policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Business or technical.
    pub kind: RoleKind,
    /// Who holds it.
    pub description: String,
    /// What it may do; anything else is refused.
    pub permissions: BTreeSet<Permission>,
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Every permission.
    pub permissions: BTreeMap<Permission, PermissionDef>,
    /// Every role.
    pub roles: BTreeMap<RoleName, RoleDef>,
}

impl Policy {
    /// The default officine policy ([`DEFAULT_POLICY_TOML`]).
    pub fn default_officine() -> Self {
        // The embedded file is checked by a unit test; an empty policy (deny everything) is the
        // safe fallback should it ever fail.
        Self::from_toml(DEFAULT_POLICY_TOML).unwrap_or_else(|_| Self {
            permissions: BTreeMap::new(),
            roles: BTreeMap::new(),
        })
    }

    /// Reads and checks a policy file.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge(text.len()));
        }
        let policy: Self = toml::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as TOML (without the comments of the default file).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks the rules a loaded policy must follow.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for (name, def) in &self.permissions {
            if def.health_data && def.administrative {
                return Err(PolicyError::PermissionKinds(name.to_string()));
            }
        }
        for (role, def) in &self.roles {
            for permission in &def.permissions {
                let Some(pdef) = self.permissions.get(permission) else {
                    return Err(PolicyError::RoleUsesUnknownPermission {
                        role: role.to_string(),
                        permission: permission.to_string(),
                    });
                };
                if def.kind == RoleKind::Technical && pdef.health_data {
                    return Err(PolicyError::TechnicalHealthData {
                        role: role.to_string(),
                        permission: permission.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The definition of a role; unknown roles are an error.
    pub fn role(&self, name: &str) -> Result<&RoleDef, PolicyError> {
        RoleName::new(name)
            .ok()
            .and_then(|r| self.roles.get(&r))
            .ok_or_else(|| PolicyError::UnknownRole(name.to_owned()))
    }

    /// The definition of a permission; unknown permissions are an error.
    pub fn permission(&self, name: &str) -> Result<&PermissionDef, PolicyError> {
        Permission::new(name)
            .ok()
            .and_then(|p| self.permissions.get(&p))
            .ok_or_else(|| PolicyError::UnknownPermission(name.to_owned()))
    }

    /// Whether `role` holds `permission`. An unknown role or permission is an error; a known
    /// permission the role does not list is `Ok(false)` (deny by default).
    pub fn allows(&self, role: &str, permission: &str) -> Result<bool, PolicyError> {
        let def = self.role(role)?;
        self.permission(permission)?;
        Ok(def.permissions.iter().any(|p| p.as_str() == permission))
    }

    /// [`allows`](Self::allows) as a `Result`: `Err(Denied)` when the role does not hold it.
    pub fn require(&self, role: &str, permission: &str) -> Result<(), PolicyError> {
        if self.allows(role, permission)? {
            Ok(())
        } else {
            Err(PolicyError::Denied {
                role: role.to_owned(),
                permission: permission.to_owned(),
            })
        }
    }

    /// Checks that an actor may give `target_role` to an account: the actor's role holds
    /// `users.manage`, the account is not the actor's own (no self-promotion), and the target
    /// role holds no administrative permission the actor's role lacks (no escalation). A
    /// technical administrator may create pharmacy accounts without gaining their health-data
    /// permissions himself.
    pub fn check_assignment(
        &self,
        actor_role: &str,
        actor_is_target: bool,
        target_role: &str,
    ) -> Result<(), PolicyError> {
        self.require(actor_role, USERS_MANAGE)?;
        let target = self.role(target_role)?;
        if actor_is_target {
            return Err(PolicyError::Escalation(
                "an account cannot change its own role".into(),
            ));
        }
        let actor = self.role(actor_role)?;
        for permission in &target.permissions {
            let administrative = self
                .permissions
                .get(permission)
                .is_some_and(|d| d.administrative);
            if administrative && !actor.permissions.contains(permission) {
                return Err(PolicyError::Escalation(format!(
                    "role {target_role} holds {permission}, which role {actor_role} does not"
                )));
            }
        }
        Ok(())
    }

    /// Checks that an actor may replace this policy by `new`: the actor's role holds
    /// `policy.manage` here, `new` is valid, the actor's own role gains nothing, and no role
    /// gains an administrative permission the actor's role lacks.
    pub fn check_change(&self, actor_role: &str, new: &Policy) -> Result<(), PolicyError> {
        self.require(actor_role, POLICY_MANAGE)?;
        new.validate()?;
        let actor = self.role(actor_role)?;
        for (role, def) in &new.roles {
            let before = self.roles.get(role).map(|d| &d.permissions);
            for permission in &def.permissions {
                if before.is_some_and(|b| b.contains(permission)) {
                    continue;
                }
                if role.as_str() == actor_role {
                    return Err(PolicyError::Escalation(format!(
                        "role {actor_role} cannot give itself {permission}"
                    )));
                }
                let administrative = new
                    .permissions
                    .get(permission)
                    .is_some_and(|d| d.administrative);
                if administrative && !actor.permissions.contains(permission) {
                    return Err(PolicyError::Escalation(format!(
                        "role {role} would gain {permission}, which role {actor_role} does not hold"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_policy_loads() {
        let p = Policy::from_toml(DEFAULT_POLICY_TOML).unwrap();
        assert_eq!(p.roles.len(), 6);
        assert_eq!(p, Policy::default_officine());
        // Serialised and read back, it is the same policy (what the database stores).
        assert_eq!(Policy::from_toml(&p.to_toml()).unwrap(), p);
    }
}
