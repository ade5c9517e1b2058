//! Every role × permission of the default policy against the table below (written from the
//! issue and the access-security notes, not from the policy file), and the checker's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure is a panic

use segur_access::policy::{DEFAULT_POLICY_TOML, Policy, PolicyError};

const PERMISSIONS: [&str; 10] = [
    "dmp.read",
    "dmp.feed",
    "mss.send",
    "ins.qualify",
    "dp.read",
    "dispense",
    "dispense.validate",
    "users.manage",
    "policy.manage",
    "audit.read",
];

/// One row per role, one column per entry of PERMISSIONS.
const TABLE: [(&str, [bool; 10]); 6] = [
    //              dmp.r  dmp.f  mss    ins    dp     disp   valid  users  policy audit
    (
        "titulaire",
        [true, true, true, true, true, true, true, true, true, true],
    ),
    (
        "adjoint",
        [
            true, true, true, true, true, true, true, false, false, false,
        ],
    ),
    (
        "preparateur",
        [
            true, false, false, true, false, true, false, false, false, false,
        ],
    ),
    (
        "etudiant",
        [
            false, false, false, true, false, true, false, false, false, false,
        ],
    ),
    ("rayonniste", [false; 10]),
    (
        "admin",
        [
            false, false, false, false, false, false, false, true, true, true,
        ],
    ),
];

#[test]
fn every_role_and_permission_of_the_default_policy() {
    let p = Policy::default_officine();
    assert_eq!(p.roles.len(), TABLE.len(), "roles");
    assert_eq!(p.permissions.len(), PERMISSIONS.len(), "permissions");
    let mut checked = 0;
    for (role, row) in TABLE {
        for (permission, expected) in PERMISSIONS.iter().zip(row) {
            assert_eq!(
                p.allows(role, permission).unwrap(),
                expected,
                "{role} × {permission}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 60);
}

#[test]
fn unknown_roles_and_permissions_are_errors_not_denials() {
    let p = Policy::default_officine();
    assert_eq!(
        p.allows("stagiaire", "dispense"),
        Err(PolicyError::UnknownRole("stagiaire".into()))
    );
    assert_eq!(
        p.allows("titulaire", "dmp.delete"),
        Err(PolicyError::UnknownPermission("dmp.delete".into()))
    );
    assert_eq!(
        p.allows("Titulaire", "dispense"),
        Err(PolicyError::UnknownRole("Titulaire".into()))
    );
}

#[test]
fn the_checker_refuses_bad_policies() {
    let with_unknown = DEFAULT_POLICY_TOML.replace(
        r#"permissions = ["dispense", "ins.qualify"]"#,
        r#"permissions = ["dispense", "ins.qualify", "dmp.delete"]"#,
    );
    assert_eq!(
        Policy::from_toml(&with_unknown),
        Err(PolicyError::RoleUsesUnknownPermission {
            role: "etudiant".into(),
            permission: "dmp.delete".into()
        })
    );
    let technical_with_health = DEFAULT_POLICY_TOML.replace(
        r#"permissions = ["users.manage", "policy.manage", "audit.read"]"#,
        r#"permissions = ["users.manage", "policy.manage", "audit.read", "dmp.read"]"#,
    );
    assert_eq!(
        Policy::from_toml(&technical_with_health),
        Err(PolicyError::TechnicalHealthData {
            role: "admin".into(),
            permission: "dmp.read".into()
        })
    );
    let unknown_key = format!(
        "{DEFAULT_POLICY_TOML}\n[roles.x]\nkind = \"business\"\ndescription = \"x\"\npermissions = []\nsuperuser = true\n"
    );
    match Policy::from_toml(&unknown_key) {
        Err(PolicyError::Syntax(m)) => assert!(m.contains("superuser"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Policy::from_toml("[roles"),
        Err(PolicyError::Syntax(_))
    ));
    let big = "#".repeat(2 << 20);
    assert_eq!(Policy::from_toml(&big), Err(PolicyError::TooLarge(2 << 20)));
}

#[test]
fn role_assignment_refuses_escalation() {
    let p = Policy::default_officine();
    // The technical admin creates pharmacy accounts (without their health-data rights).
    p.check_assignment("admin", false, "preparateur").unwrap();
    p.check_assignment("admin", false, "titulaire").unwrap();
    // A titulaire manages accounts too.
    p.check_assignment("titulaire", false, "adjoint").unwrap();
    // Nobody changes his own role.
    assert!(matches!(
        p.check_assignment("titulaire", true, "admin"),
        Err(PolicyError::Escalation(_))
    ));
    // Without users.manage, no assignment at all.
    assert!(matches!(
        p.check_assignment("adjoint", false, "preparateur"),
        Err(PolicyError::Denied { .. })
    ));
    // A role holding an administrative permission the actor lacks.
    let mut narrower = p.clone();
    let admin = narrower
        .roles
        .iter_mut()
        .find(|(n, _)| n.as_str() == "admin")
        .unwrap()
        .1;
    admin
        .permissions
        .retain(|perm| perm.as_str() != "audit.read");
    assert!(matches!(
        narrower.check_assignment("admin", false, "titulaire"),
        Err(PolicyError::Escalation(m)) if m.contains("audit.read")
    ));
}

#[test]
fn policy_changes_refuse_self_grants() {
    let p = Policy::default_officine();
    let grant_self = DEFAULT_POLICY_TOML.replace(
        r#"permissions = ["dmp.read", "dmp.feed", "mss.send", "ins.qualify", "dp.read", "dispense",
               "dispense.validate"]"#,
        r#"permissions = ["dmp.read", "dmp.feed", "mss.send", "ins.qualify", "dp.read", "dispense",
               "dispense.validate", "users.manage"]"#,
    );
    let new = Policy::from_toml(&grant_self).unwrap();
    // The titulaire may let adjoints manage accounts.
    p.check_change("titulaire", &new).unwrap();
    // An adjoint may not change the policy at all.
    assert!(matches!(
        p.check_change("adjoint", &new),
        Err(PolicyError::Denied { .. })
    ));
    // The admin may not give himself a permission he lacks, even administrative.
    let admin_more = DEFAULT_POLICY_TOML.replace(
        r#"[permissions."audit.read"]"#,
        "[permissions.\"backup.restore\"]\ndescription = \"x\"\nadministrative = true\n\n[permissions.\"audit.read\"]",
    )
    .replace(
        r#"permissions = ["users.manage", "policy.manage", "audit.read"]"#,
        r#"permissions = ["users.manage", "policy.manage", "audit.read", "backup.restore"]"#,
    );
    let new = Policy::from_toml(&admin_more).unwrap();
    assert!(matches!(
        p.check_change("admin", &new),
        Err(PolicyError::Escalation(m)) if m.contains("backup.restore")
    ));
}
