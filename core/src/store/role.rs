//! What an account or a token may do: `viewer`, `operator` or `admin`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What an account or an API token may do. Each role may do what the ones below it may.
///
/// - `viewer`: the pages, the API's reads, the live tail and the metrics.
/// - `operator`: that, and changing configs and triggers.
/// - `admin`: that, and managing accounts and tokens, and open-ended windows where a duration
///   is asked for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads: pages, API reads, the live tail, the metrics.
    #[default]
    Viewer,
    /// Reads, and changes of configs and triggers.
    Operator,
    /// Everything, accounts and tokens included.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// Its name: `viewer`, `operator` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// Reads a role by name (any case, surrounding spaces ignored); `field` names where it was
    /// given, for the error.
    pub fn parse_in(field: &'static str, value: &str) -> Result<Role> {
        match value.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::Invalid {
                field,
                value: value.chars().take(40).collect(),
                reason: "expected one of: viewer, operator, admin".into(),
            }),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        Role::parse_in("role", s)
    }
}

/// How the audit names who made a change with which role: `alice (operator)`,
/// `token:ci (admin)`. [`audit_actor_parts`] reads it back.
pub fn audit_actor(name: &str, role: Role) -> String {
    format!("{name} ({role})")
}

/// The name and role of an actor written by [`audit_actor`]; an actor without a role (`system`,
/// entries older than roles) is its whole text and `None`.
pub fn audit_actor_parts(actor: &str) -> (&str, Option<Role>) {
    actor
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once(" ("))
        .and_then(|(name, role)| Some((name, Role::parse_in("role", role).ok()?)))
        .map_or((actor, None), |(name, role)| (name, Some(role)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Admin.allows(Role::Operator));
        assert!(Role::Operator.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert_eq!("Operator".parse::<Role>().unwrap(), Role::Operator);
        let error = "root".parse::<Role>().unwrap_err().to_string();
        assert!(
            error.contains("role") && error.contains("\"root\""),
            "{error}"
        );
        assert_eq!(serde_json::to_string(&Role::Admin).unwrap(), "\"admin\"");
    }

    #[test]
    fn actors_carry_their_role() {
        let actor = audit_actor("token:ci", Role::Operator);
        assert_eq!(actor, "token:ci (operator)");
        assert_eq!(
            audit_actor_parts(&actor),
            ("token:ci", Some(Role::Operator))
        );
        assert_eq!(audit_actor_parts("system"), ("system", None));
        assert_eq!(audit_actor_parts("a (b)"), ("a (b)", None));
    }
}
