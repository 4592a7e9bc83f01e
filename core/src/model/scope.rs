//! [`Scope`]: which records a scoped config applies to, by their context tags.

use std::collections::BTreeMap;

use serde::Serialize;

use super::validate::is_hidden_char;
use crate::context::{MAX_TAG_LEN, Tags};
use crate::error::{Error, Result};

/// The most keys a scope may list.
pub const MAX_SCOPE_KEYS: usize = 8;
/// The most values a scope may list for one key.
pub const MAX_SCOPE_VALUES: usize = 100;
/// The most bytes of a scope key or value (the bound [`Tags`] keeps).
pub const MAX_SCOPE_LEN: usize = MAX_TAG_LEN;

/// Which records a config applies to: those whose context tags have every key listed, each
/// with one of its values. `{"tenant": ["acme"], "user": ["42", "43"]}` is tenant acme and user
/// 42 or 43. An empty scope is no scope: the config applies to every record.
///
/// ```
/// use dynlog_core::LoggingConfig;
/// use dynlog_core::context::Tags;
///
/// let config = LoggingConfig::from_json(
///     r#"{"scope": {"tenant": ["acme"]}, "loggers": {"myapp": {"level": "debug"}}}"#,
/// )?;
/// assert!(config.scope.matches(|key| Tags::new([("tenant", "acme")]).get(key).map(str::to_string)));
/// assert!(!config.scope.matches(|_| None));
/// # Ok::<(), dynlog_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Scope(BTreeMap<String, Vec<String>>);

impl Scope {
    /// A scope of these keys and values, checked: keys and values non-empty, at most
    /// [`MAX_SCOPE_LEN`] bytes, printable, without white space at either end; at most
    /// [`MAX_SCOPE_KEYS`] keys and [`MAX_SCOPE_VALUES`] values a key, each key with one at
    /// least. A value listed twice is kept once.
    pub fn new<K, V, I>(keys: impl IntoIterator<Item = (K, I)>) -> Result<Scope>
    where
        K: Into<String>,
        V: Into<String>,
        I: IntoIterator<Item = V>,
    {
        let mut scope = BTreeMap::new();
        for (key, values) in keys {
            let key = key.into();
            check_part("scope key", &key, &key)?;
            let mut kept: Vec<String> = Vec::new();
            for value in values {
                let value = value.into();
                check_part(&format!("scope key {key:?} value"), &value, &value)?;
                if !kept.contains(&value) {
                    kept.push(value);
                }
                if kept.len() > MAX_SCOPE_VALUES {
                    return Err(Error::InvalidScope {
                        field: "scope key".into(),
                        value: key,
                        reason: format!("more than {MAX_SCOPE_VALUES} values"),
                    });
                }
            }
            if kept.is_empty() {
                return Err(Error::InvalidScope {
                    field: "scope key".into(),
                    value: key,
                    reason: "no value (list one at least: a key with none matches nothing)".into(),
                });
            }
            if scope.len() == MAX_SCOPE_KEYS && !scope.contains_key(&key) {
                return Err(Error::InvalidScope {
                    field: "scope key".into(),
                    value: key,
                    reason: format!("one key too many (at most {MAX_SCOPE_KEYS})"),
                });
            }
            scope.insert(key, kept);
        }
        Ok(Scope(scope))
    }

    /// Whether it lists no key: the config applies to every record.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys and their values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Whether a record whose tags `get` gives matches: every key listed, with one of its values.
    /// An empty scope matches every record.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0
            .iter()
            .all(|(key, values)| get(key).is_some_and(|v| values.contains(&v)))
    }

    /// Whether these tags match.
    pub fn matches_tags(&self, tags: &Tags) -> bool {
        self.0
            .iter()
            .all(|(key, values)| tags.get(key).is_some_and(|v| values.iter().any(|x| x == v)))
    }

    /// How people read it: `tenant=acme, user=42|43`; `every record` when empty. A debug
    /// token's key reads `a debug token`: its value is the token's hash, nobody's business.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "every record".into();
        }
        self.0
            .iter()
            .map(|(k, v)| {
                if k == crate::context::DEBUG_TOKEN_KEY {
                    "a debug token".to_string()
                } else {
                    format!("{k}={}", v.join("|"))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn check_part(field: &str, value: &str, shown: &str) -> Result<()> {
    let refuse = |reason: String| {
        Err(Error::InvalidScope {
            field: field.to_string(),
            value: shown.chars().take(MAX_SCOPE_LEN).collect::<String>(),
            reason,
        })
    };
    if value.is_empty() {
        return refuse("empty".into());
    }
    if value.len() > MAX_SCOPE_LEN {
        return refuse(format!(
            "{} bytes long (at most {MAX_SCOPE_LEN})",
            value.len()
        ));
    }
    if value.trim() != value {
        return refuse("white space at either end".into());
    }
    if let Some(c) = value.chars().find(|&c| is_hidden_char(c)) {
        return refuse(format!(
            "contains the invisible character U+{:04X}",
            u32::from(c)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoggingConfig;

    #[test]
    fn bad_keys_and_values_name_the_field_and_value() {
        let cases = [
            (
                r#"{"scope": {"": ["a"]}}"#,
                r#"invalid scope key "": empty"#,
            ),
            (
                r#"{"scope": {"tenant": [""]}}"#,
                r#"invalid scope key "tenant" value "": empty"#,
            ),
            (
                r#"{"scope": {"tenant": []}}"#,
                r#"invalid scope key "tenant": no value (list one at least: a key with none matches nothing)"#,
            ),
            (
                r#"{"scope": {"tenant": ["ac\u0000me"]}}"#,
                r#"invalid scope key "tenant" value "ac\0me": contains the invisible character U+0000"#,
            ),
            (
                r#"{"scope": {"tenant": [" acme"]}}"#,
                r#"invalid scope key "tenant" value " acme": white space at either end"#,
            ),
            (
                r#"{"scope": {"tenant": "acme"}}"#,
                r#"scope key "tenant" must be a list of strings, not "acme""#,
            ),
            (
                r#"{"scope": ["tenant"]}"#,
                r#""scope" must be an object of lists, not ["tenant"]"#,
            ),
        ];
        for (text, want) in cases {
            let err = LoggingConfig::from_json(text).unwrap_err();
            assert_eq!(err.to_string(), want, "{text}");
        }
        let long = "x".repeat(MAX_SCOPE_LEN + 1);
        let err = Scope::new([("tenant", [long.as_str()])]).unwrap_err();
        assert!(
            err.to_string().contains("257 bytes long (at most 256)"),
            "{err}"
        );
        let many = (0..=MAX_SCOPE_KEYS).map(|k| (format!("k{k}"), ["v"]));
        assert!(
            Scope::new(many)
                .unwrap_err()
                .to_string()
                .contains("(at most 8)")
        );
        let values: Vec<String> = (0..=MAX_SCOPE_VALUES).map(|v| v.to_string()).collect();
        assert!(Scope::new([("user", values)]).is_err());
    }

    #[test]
    fn every_key_any_value() {
        let scope =
            Scope::new([("tenant", vec!["acme"]), ("user", vec!["42", "43", "42"])]).unwrap();
        assert_eq!(scope.describe(), "tenant=acme, user=42|43");
        let token = Scope::new([(
            crate::context::DEBUG_TOKEN_KEY.to_string(),
            vec!["0123456789abcdef0123456789abcdef".to_string()],
        )])
        .unwrap();
        assert_eq!(token.describe(), "a debug token");
        let tags = |pairs: &[(&str, &str)]| Tags::new(pairs.iter().copied());
        assert!(scope.matches_tags(&tags(&[("tenant", "acme"), ("user", "43")])));
        assert!(!scope.matches_tags(&tags(&[("tenant", "acme")])));
        assert!(!scope.matches_tags(&tags(&[("tenant", "globex"), ("user", "42")])));
        assert!(Scope::default().matches_tags(&tags(&[])));
        let json =
            r#"{"scope":{"tenant":["acme"]},"loggers":{"a":{"level":"debug"}},"handlers":{}}"#;
        let config = LoggingConfig::from_json(json).unwrap();
        assert_eq!(serde_json::to_string(&config).unwrap(), json);
        assert!(
            LoggingConfig::from_json(r#"{"scope": {}}"#)
                .unwrap()
                .scope
                .is_empty()
        );
        assert!(
            LoggingConfig::from_json(r#"{"scope": null}"#)
                .unwrap()
                .is_empty()
        );
    }
}
