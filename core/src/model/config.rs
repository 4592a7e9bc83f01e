//! A logging config, the registry it is checked against, and laying one config over another.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::scope::Scope;
use super::validate::{logger_field, validate_logger_name, validate_max_per_second};
use crate::error::{Error, Result};
use crate::level::{Level, LoggerLevel};

/// The name of a handler the application declares, such as `console`.
pub type HandlerName = String;
/// The name of a filter the application declares, such as `skip_static_requests`.
pub type FilterName = String;

/// How one logger is configured. Every field is optional: a field left out keeps the baseline's
/// value in an overlay, or the default (level inherited from the parent, no handlers, no filters,
/// propagate to the parent).
///
/// A level left out (`None`) and a level of `notset` differ: `{"level": "notset"}` makes the
/// logger take its parent's level even where the baseline gives it one of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoggerSpec {
    /// The logger's own level: `None` keeps the baseline's (or inherits, where the baseline sets
    /// none); [`LoggerLevel::Inherit`] takes the nearest ancestor's level whatever the baseline says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LoggerLevel>,
    /// The handlers records of this logger go to, before its parent's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handlers: Option<Vec<HandlerName>>,
    /// Filters every record of this logger's subtree must pass, whatever its descendants configure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<FilterName>>,
    /// Whether records go on to the parent's handlers; `true` by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate: Option<bool>,
}

/// What a config may change of a handler the application declares: its level, its filters and its
/// budget, and nothing else (no config can create a handler, point it at a file or run code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HandlerOverride {
    /// The handler's level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The handler's filters, replacing the declared ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<FilterName>>,
    /// The most records a second the handler writes, from 1 to
    /// [`MAX_PER_SECOND`](super::MAX_PER_SECOND); records over it are dropped and counted, and
    /// the handler says once a second how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_per_second: Option<u32>,
}

impl HandlerOverride {
    /// Reads a `max_per_second` as a form gives it: blank is none, anything else must be a whole
    /// number from 1 to [`MAX_PER_SECOND`](super::MAX_PER_SECOND), or the error names the
    /// handler's field and the value.
    pub fn parse_max_per_second(handler: &str, text: &str) -> Result<Option<u32>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let value = serde_json::from_str(text)
            .unwrap_or_else(|_| serde_json::Value::String(text.chars().take(100).collect()));
        validate_max_per_second(handler, &value).map(Some)
    }
}

/// A logging config: loggers by name (`""` is the root) and handler overrides by name.
///
/// Its JSON is the seed project's `config_json` shape:
///
/// ```
/// use dynlog_core::{Level, LoggingConfig};
///
/// let config = LoggingConfig::from_json(
///     r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["file"], "propagate": false}},
///         "handlers": {"console": {"level": "info"}}}"#,
/// )?;
/// assert_eq!(config.loggers["myapp::import"].level, Some(Level::Debug.into()));
/// # Ok::<(), dynlog_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoggingConfig {
    /// Which records it applies to; empty (the default) for every record. See [`Scope`].
    #[serde(skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    /// Loggers by name.
    pub loggers: BTreeMap<String, LoggerSpec>,
    /// Handler overrides by handler name.
    pub handlers: BTreeMap<HandlerName, HandlerOverride>,
}

/// The handler and filter names an application declares, against which configs are validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    handlers: BTreeSet<String>,
    filters: BTreeSet<String>,
}

impl Registry {
    /// A registry of these handler and filter names.
    pub fn new<H, F>(handlers: H, filters: F) -> Self
    where
        H: IntoIterator,
        H::Item: Into<String>,
        F: IntoIterator,
        F::Item: Into<String>,
    {
        Registry {
            handlers: handlers.into_iter().map(Into::into).collect(),
            filters: filters.into_iter().map(Into::into).collect(),
        }
    }

    /// The handler names, sorted.
    pub fn handlers(&self) -> impl Iterator<Item = &str> {
        self.handlers.iter().map(String::as_str)
    }

    /// The filter names, sorted.
    pub fn filters(&self) -> impl Iterator<Item = &str> {
        self.filters.iter().map(String::as_str)
    }

    /// Whether the application declares this handler.
    pub fn has_handler(&self, name: &str) -> bool {
        self.handlers.contains(name)
    }

    /// Whether the application declares this filter.
    pub fn has_filter(&self, name: &str) -> bool {
        self.filters.contains(name)
    }

    fn check_handler(&self, name: &str, field: impl FnOnce() -> String) -> Result<()> {
        if self.has_handler(name) {
            return Ok(());
        }
        Err(Error::UnknownHandler {
            field: field(),
            name: name.to_string(),
            known: self.handlers.iter().cloned().collect(),
        })
    }

    fn check_filters(&self, names: &[String], field: impl Fn() -> String) -> Result<()> {
        match names.iter().find(|name| !self.has_filter(name)) {
            None => Ok(()),
            Some(name) => Err(Error::UnknownFilter {
                field: field(),
                name: name.clone(),
                known: self.filters.iter().cloned().collect(),
            }),
        }
    }
}

impl LoggingConfig {
    /// Whether the config names no logger and no handler (applied, it leaves the baseline),
    /// whatever its scope.
    pub fn is_empty(&self) -> bool {
        self.loggers.is_empty() && self.handlers.is_empty()
    }

    /// Checks every name against the application's handlers and filters, and every logger name.
    pub fn validate(&self, registry: &Registry) -> Result<()> {
        for (name, spec) in &self.loggers {
            validate_logger_name(name)?;
            for handler in spec.handlers.iter().flatten() {
                registry.check_handler(handler, || logger_field(name))?;
            }
            if let Some(filters) = &spec.filters {
                registry.check_filters(filters, || logger_field(name))?;
            }
        }
        for (name, spec) in &self.handlers {
            registry.check_handler(name, || "\"handlers\"".to_string())?;
            if let Some(filters) = &spec.filters {
                registry.check_filters(filters, || format!("handler {name:?}"))?;
            }
            if let Some(budget) = spec.max_per_second {
                validate_max_per_second(name, &budget.into())?;
            }
        }
        Ok(())
    }

    /// This config with `over` laid on top: each logger `over` names takes `over`'s fields where
    /// it gives them and keeps this config's otherwise; each handler override likewise; loggers
    /// and handlers `over` does not name stay as they are. The scope stays this config's.
    pub fn overlay(&self, over: &LoggingConfig) -> LoggingConfig {
        let mut merged = self.clone();
        for (name, spec) in &over.loggers {
            let entry = merged.loggers.entry(name.clone()).or_default();
            merge(&mut entry.level, &spec.level);
            merge(&mut entry.handlers, &spec.handlers);
            merge(&mut entry.filters, &spec.filters);
            merge(&mut entry.propagate, &spec.propagate);
        }
        for (name, spec) in &over.handlers {
            let entry = merged.handlers.entry(name.clone()).or_default();
            merge(&mut entry.level, &spec.level);
            merge(&mut entry.filters, &spec.filters);
            merge(&mut entry.max_per_second, &spec.max_per_second);
        }
        merged
    }
}

fn merge<T: Clone>(base: &mut Option<T>, over: &Option<T>) {
    if over.is_some() {
        base.clone_from(over);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::new(
            ["console", "file", "null"],
            ["polite", "skip_static_requests"],
        )
    }

    fn parse(json: &str) -> Result<LoggingConfig> {
        LoggingConfig::from_json(json)
    }

    #[test]
    fn unknown_handler_names_logger_value_and_known() {
        let config = parse(r#"{"loggers": {"myapp::import": {"handlers": ["fil"]}}}"#).unwrap();
        let err = config.validate(&registry()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown handler "fil" in logger "myapp::import" (known: console, file, null)"#
        );
        let config = parse(r#"{"handlers": {"syslog": {"level": "info"}}}"#).unwrap();
        let err = config.validate(&registry()).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownHandler { name, .. } if name == "syslog"),
            "{err}"
        );
    }

    #[test]
    fn unknown_filter_in_logger_and_handler() {
        let config = parse(r#"{"loggers": {"a": {"filters": ["rude"]}}}"#).unwrap();
        let err = config.validate(&registry()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown filter "rude" in logger "a" (known: polite, skip_static_requests)"#
        );
        let config = parse(r#"{"handlers": {"file": {"filters": ["rude"]}}}"#).unwrap();
        let err = config.validate(&registry()).unwrap_err();
        assert!(err.to_string().contains(r#"in handler "file""#), "{err}");
    }

    #[test]
    fn overlay_is_field_by_field() {
        let baseline = parse(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]},
                            "myapp": {"level": "warn", "handlers": ["file"], "propagate": false},
                            "other": {"level": "error"}},
                "handlers": {"console": {"level": "warn", "filters": ["polite"]}}}"#,
        )
        .unwrap();
        let over = parse(
            r#"{"loggers": {"myapp": {"level": "debug"}, "myapp::import": {"level": "trace"}},
                "handlers": {"console": {"level": "debug"}}}"#,
        )
        .unwrap();
        let merged = baseline.overlay(&over);
        let myapp = &merged.loggers["myapp"];
        assert_eq!(myapp.level, Some(Level::Debug.into()));
        assert_eq!(myapp.handlers.as_deref(), Some(&["file".to_string()][..]));
        assert_eq!(myapp.propagate, Some(false));
        assert_eq!(
            merged.loggers["myapp::import"],
            LoggerSpec {
                level: Some(Level::Trace.into()),
                ..Default::default()
            }
        );
        assert_eq!(merged.loggers["other"], baseline.loggers["other"]);
        assert_eq!(merged.loggers[""], baseline.loggers[""]);
        assert_eq!(merged.handlers["console"].level, Some(Level::Debug));
        assert_eq!(
            merged.handlers["console"].filters.as_deref(),
            Some(&["polite".to_string()][..])
        );
        assert_eq!(baseline.overlay(&LoggingConfig::default()), baseline);
        // An explicit empty list replaces: the way to take a logger's handlers away.
        let none = parse(r#"{"loggers": {"myapp": {"handlers": []}}}"#).unwrap();
        assert_eq!(
            baseline.overlay(&none).loggers["myapp"].handlers,
            Some(vec![])
        );
    }
}
