//! Configs and triggers as stored: their ids, versions and windows, and what creating one takes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::{LoggingConfig, Registry};
use super::validate::{MAX_BODY, validate_name, validate_time};
use crate::error::{Error, Result};
use crate::id::{ConfigId, TriggerId};

/// A stored, named logging config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Its id.
    pub id: ConfigId,
    /// Its unique name.
    pub name: String,
    /// The logging it lays over the baseline.
    pub body: LoggingConfig,
    /// How it came to be: lists set apart the configs debug actions make.
    #[serde(default)]
    pub kind: ConfigKind,
    /// Bumped by every write; an update must carry the version it read.
    #[serde(default)]
    pub version: i64,
    /// When it was last written.
    #[serde(default)]
    pub updated_at: DateTime<Utc>,
}

/// How a config came to be, so that lists can set apart the many short-lived configs that
/// debug actions make from the ones operators write and keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigKind {
    /// Written by an operator: the config form, the API, an import.
    #[default]
    Manual,
    /// Made together with the one trigger that runs it by a debug action ("debug for an
    /// hour"): every config [`Store::create_config_with_trigger`](crate::store::Store::create_config_with_trigger) writes.
    Debug,
}

impl ConfigKind {
    /// Its name as stored: `manual` or `debug`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigKind::Manual => "manual",
            ConfigKind::Debug => "debug",
        }
    }

    /// The kind a stored name stands for; anything unknown reads as [`ConfigKind::Manual`], so
    /// that a newer version's kinds still list.
    pub fn from_stored(name: &str) -> ConfigKind {
        match name {
            "debug" => ConfigKind::Debug,
            _ => ConfigKind::Manual,
        }
    }
}

/// A stored trigger: the config to run in a time window `[start, end)`.
///
/// A missing start means since forever, a missing end never.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// Its id.
    pub id: TriggerId,
    /// Its name.
    pub name: String,
    /// Inactive triggers never win.
    #[serde(default = "yes")]
    pub is_active: bool,
    /// When the window opens; `None` is since forever.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// When the window closes (excluded); `None` is never.
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// The config it runs.
    pub config_id: ConfigId,
    /// Bumped by every write; an update must carry the version it read.
    #[serde(default)]
    pub version: i64,
    /// When it was last written.
    #[serde(default)]
    pub updated_at: DateTime<Utc>,
}

fn yes() -> bool {
    true
}

impl Trigger {
    /// Whether its window holds at least one instant.
    pub fn has_window(&self) -> bool {
        match (self.start, self.end) {
            (Some(start), Some(end)) => start < end,
            _ => true,
        }
    }

    /// Whether it is active and its window holds `at`.
    #[inline]
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.is_active
            && self.start.is_none_or(|start| start <= at)
            && self.end.is_none_or(|end| at < end)
    }

    /// Whether it can win at some instant at or after `at`.
    pub fn can_win_after(&self, at: DateTime<Utc>) -> bool {
        self.is_active && self.has_window() && self.end.is_none_or(|end| at < end)
    }
}

/// A config to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConfig {
    /// Its unique name.
    pub name: String,
    /// The logging it lays over the baseline.
    #[serde(default)]
    pub body: LoggingConfig,
}

impl NewConfig {
    /// A config named `name` putting one logger (`""` is the root) at `level`, leaving
    /// everything else as the baseline has it: the most common config there is.
    ///
    /// ```
    /// use dynlog_core::{Level, NewConfig};
    /// let config = NewConfig::raising("import at debug", "myapp::import", Level::Debug);
    /// assert_eq!(
    ///     serde_json::to_string(&config.body)?,
    ///     r#"{"loggers":{"myapp::import":{"level":"debug"}},"handlers":{}}"#
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn raising(name: &str, target: &str, level: crate::level::Level) -> NewConfig {
        let mut body = LoggingConfig::default();
        body.loggers.insert(
            target.to_string(),
            super::LoggerSpec {
                level: Some(level.into()),
                ..Default::default()
            },
        );
        NewConfig {
            name: name.to_string(),
            body,
        }
    }

    /// Checks the name and the body against the application's handlers and filters.
    ///
    /// The body, written as JSON, must fit in [`MAX_BODY`] bytes, so that what is stored can be
    /// read back.
    pub fn validate(&self, registry: &Registry) -> Result<()> {
        validate_name("config name", &self.name)?;
        let size = serde_json::to_string(&self.body).map_or(0, |json| json.len());
        if size > MAX_BODY {
            return Err(Error::TooLarge {
                field: "config body",
                size,
                max: MAX_BODY,
            });
        }
        self.body.validate(registry)
    }
}

/// A trigger to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTrigger {
    /// Its name.
    pub name: String,
    /// The config it runs.
    pub config_id: ConfigId,
    /// When the window opens; `None` is since forever.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// When the window closes (excluded); `None` is never.
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// Inactive triggers never win.
    #[serde(default = "yes")]
    pub is_active: bool,
}

impl NewTrigger {
    /// An active trigger named `name` running `config_id` from `start` until `end`.
    pub fn window(
        name: &str,
        config_id: ConfigId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> NewTrigger {
        NewTrigger {
            name: name.to_string(),
            config_id,
            start: Some(start),
            end: Some(end),
            is_active: true,
        }
    }

    /// An active trigger named `name` running `config_id` from `start` for `length`.
    pub fn lasting(
        name: &str,
        config_id: ConfigId,
        start: DateTime<Utc>,
        length: chrono::Duration,
    ) -> NewTrigger {
        NewTrigger::window(name, config_id, start, start + length)
    }

    /// The trigger these fields make, with its id, version and time of writing.
    pub fn to_trigger(&self, id: TriggerId, version: i64, updated_at: DateTime<Utc>) -> Trigger {
        Trigger {
            id,
            name: self.name.clone(),
            is_active: self.is_active,
            start: self.start,
            end: self.end,
            config_id: self.config_id,
            version,
            updated_at,
        }
    }

    /// Checks the name and that the window ends after it starts. Whether the config exists is
    /// the store's to check.
    pub fn validate(&self) -> Result<()> {
        validate_name("trigger name", &self.name)?;
        if let Some(start) = self.start {
            validate_time("start", start)?;
        }
        if let Some(end) = self.end {
            validate_time("end", end)?;
        }
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end <= start
        {
            return Err(Error::EmptyWindow {
                name: self.name.clone(),
                start,
                end,
            });
        }
        Ok(())
    }
}

/// A stored trigger's fields, to write it back changed.
impl From<&Trigger> for NewTrigger {
    fn from(t: &Trigger) -> NewTrigger {
        NewTrigger {
            name: t.name.clone(),
            config_id: t.config_id,
            start: t.start,
            end: t.end,
            is_active: t.is_active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Level;

    #[test]
    fn trigger_window_must_not_be_empty() {
        let start = "2030-01-01T00:00:00Z".parse().unwrap();
        let new = |end| NewTrigger {
            name: "t".into(),
            config_id: ConfigId(1),
            start: Some(start),
            end,
            is_active: true,
        };
        new(None).validate().unwrap();
        new(Some(start + chrono::Duration::seconds(1)))
            .validate()
            .unwrap();
        let err = new(Some(start)).validate().unwrap_err();
        assert!(matches!(err, Error::EmptyWindow { .. }));
        assert!(err.to_string().contains("is not after start"), "{err}");
        let err = new(Some(start - chrono::Duration::hours(1)))
            .validate()
            .unwrap_err();
        assert!(matches!(err, Error::EmptyWindow { .. }));
    }

    #[test]
    fn trigger_json_with_defaults() {
        let trigger: Trigger = serde_json::from_str(
            r#"{"id":1,"name":"n","start":"2017-01-11T00:00:00Z","end":null,"config_id":1}"#,
        )
        .unwrap();
        assert_eq!(trigger.id, TriggerId(1));
        assert!(trigger.is_active);
        assert_eq!(trigger.end, None);
        assert_eq!(trigger.config_id, ConfigId(1));
        let json = serde_json::to_value(&trigger).unwrap();
        assert_eq!(json["id"], 1);
        assert_eq!(json["config_id"], 1);
        assert_eq!(json["start"], "2017-01-11T00:00:00Z");
    }

    #[test]
    fn config_json() {
        let config: Config = serde_json::from_str(
            r#"{"id": 3, "name": "debug import", "body": {"loggers": {"myapp::import": {"level": "debug"}}}}"#,
        )
        .unwrap();
        assert_eq!(config.id, ConfigId(3));
        assert_eq!(
            config.body.loggers["myapp::import"].level,
            Some(Level::Debug.into())
        );
        let err = serde_json::from_str::<Config>(
            r#"{"id": 3, "name": "x", "body": {"loggers": {"a": {"level": "loud"}}}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains(r#"invalid level "loud""#), "{err}");
    }
}
