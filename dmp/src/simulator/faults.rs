//! Fault injection: per transaction, what the simulator does instead of answering normally.
//!
//! Set in process with [`super::Simulator::set_fault`], or from outside through the admin
//! endpoint `POST /simulator/faults` (same mutual-TLS listener) with a TOML body mapping a
//! transaction name to a fault name; an empty value clears it:
//!
//! ```toml
//! "TD2.1" = "timeout"
//! "TD3.1" = "soap_fault"
//! "TD0.2" = ""
//! ```
//!
//! Names: [`Fault::name`] and [`super::Transaction::name`].

use std::collections::HashMap;
use std::time::Duration;

use super::Transaction;

/// What to do instead of answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// Read the request, then answer nothing for [`Fault::TIMEOUT_HOLD`] (the client's time
    /// limit fires first).
    Timeout,
    /// HTTP 500 with a plain-text body, no SOAP envelope (a failing front end).
    Http500,
    /// HTTP 500 with a SOAP 1.2 fault `soap:Receiver` (the DMP's fault channel, §9).
    SoapFault,
    /// A normal answer cut in the middle: the announced `Content-Length` is the whole body's,
    /// half of it is sent, then the connection is closed.
    TruncatedBody,
    /// The patient's DMP is answered as closed (TD0.2: `statusCode terminated`; other
    /// transactions: refused).
    DmpClosed,
    /// The professional is answered as not authorised on the patient's DMP.
    NoAuthorisation,
}

impl Fault {
    /// How long a [`Fault::Timeout`] holds the request.
    pub const TIMEOUT_HOLD: Duration = Duration::from_secs(300);

    /// Every fault.
    pub const ALL: [Fault; 6] = [
        Self::Timeout,
        Self::Http500,
        Self::SoapFault,
        Self::TruncatedBody,
        Self::DmpClosed,
        Self::NoAuthorisation,
    ];

    /// The name used by the admin endpoint.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Http500 => "http_500",
            Self::SoapFault => "soap_fault",
            Self::TruncatedBody => "truncated_body",
            Self::DmpClosed => "dmp_closed",
            Self::NoAuthorisation => "no_authorisation",
        }
    }

    /// The fault named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The faults in force, per transaction.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    faults: HashMap<Transaction, Fault>,
}

/// Why an admin request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultPlanError {
    /// The body is not a TOML table of strings.
    #[error("the body is not a TOML table of strings: {0}")]
    Toml(String),
    /// An unknown transaction name.
    #[error("unknown transaction {0:?} (TD0.2, TD0.3, TD2.1, TD3.1, TD3.2, TD3.3)")]
    Transaction(String),
    /// An unknown fault name.
    #[error(
        "unknown fault {0:?} (timeout, http_500, soap_fault, truncated_body, dmp_closed, no_authorisation, or empty)"
    )]
    Fault(String),
}

impl FaultPlan {
    /// The fault of `t`, if any.
    pub fn get(&self, t: Transaction) -> Option<Fault> {
        self.faults.get(&t).copied()
    }

    /// Sets (or clears) the fault of `t`.
    pub fn set(&mut self, t: Transaction, fault: Option<Fault>) {
        match fault {
            Some(f) => self.faults.insert(t, f),
            None => self.faults.remove(&t),
        };
    }

    /// Applies an admin request body (see the module documentation). Nothing is changed
    /// when any line is invalid.
    pub fn apply_toml(&mut self, body: &str) -> Result<(), FaultPlanError> {
        let table: HashMap<String, String> =
            toml::from_str(body).map_err(|e| FaultPlanError::Toml(e.message().to_owned()))?;
        let mut changes = Vec::with_capacity(table.len());
        for (t, f) in &table {
            let transaction = Transaction::from_name(t)
                .ok_or_else(|| FaultPlanError::Transaction(t.chars().take(16).collect()))?;
            let fault = if f.is_empty() {
                None
            } else {
                Some(
                    Fault::from_name(f)
                        .ok_or_else(|| FaultPlanError::Fault(f.chars().take(32).collect()))?,
                )
            };
            changes.push((transaction, fault));
        }
        for (t, f) in changes {
            self.set(t, f);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_body_sets_and_clears_faults() {
        let mut plan = FaultPlan::default();
        plan.apply_toml("\"TD2.1\" = \"timeout\"\n\"TD3.1\" = \"soap_fault\"")
            .unwrap();
        assert_eq!(plan.get(Transaction::Td21), Some(Fault::Timeout));
        assert_eq!(plan.get(Transaction::Td31), Some(Fault::SoapFault));
        plan.apply_toml("\"TD2.1\" = \"\"").unwrap();
        assert_eq!(plan.get(Transaction::Td21), None);
        assert_eq!(plan.get(Transaction::Td31), Some(Fault::SoapFault));
    }

    #[test]
    fn an_invalid_line_changes_nothing() {
        let mut plan = FaultPlan::default();
        let e = plan
            .apply_toml("\"TD2.1\" = \"timeout\"\n\"TD9.9\" = \"http_500\"")
            .unwrap_err();
        assert_eq!(e, FaultPlanError::Transaction("TD9.9".into()));
        assert_eq!(plan.get(Transaction::Td21), None);
        assert!(matches!(
            plan.apply_toml("\"TD2.1\" = \"slow\""),
            Err(FaultPlanError::Fault(_))
        ));
        assert!(matches!(
            plan.apply_toml("not toml ="),
            Err(FaultPlanError::Toml(_))
        ));
    }
}
