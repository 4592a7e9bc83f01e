//! The model: logging configs, stored configs and triggers, and their validation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::level::{Level, LoggerLevel};

/// The name of a handler the application declares, such as `console`.
pub type HandlerName = String;
/// The name of a filter the application declares, such as `skip_static_requests`.
pub type FilterName = String;

/// The most bytes a logger name may have.
pub const MAX_LOGGER_NAME: usize = 200;
/// The most bytes a config or trigger name may have.
pub const MAX_NAME: usize = 255;
/// The most bytes a config body may have, as JSON.
pub const MAX_BODY: usize = 256 * 1024;

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

/// What a config may change of a handler the application declares: its level and its filters,
/// and nothing else (no config can create a handler, point it at a file or run code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HandlerOverride {
    /// The handler's level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The handler's filters, replacing the declared ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<FilterName>>,
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

/// How a logger is named in messages: `the root logger` or `logger "a::b"`.
pub(crate) fn logger_field(name: &str) -> String {
    if name.is_empty() {
        "the root logger".to_string()
    } else {
        format!("logger {name:?}")
    }
}

/// Checks a logger name: `""` (the root), or `::`-separated segments of letters, digits, `_` and
/// `-`, at most [`MAX_LOGGER_NAME`] bytes.
pub fn validate_logger_name(name: &str) -> Result<()> {
    let refuse = |reason| {
        Err(Error::InvalidLoggerName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return Ok(());
    }
    if name.len() > MAX_LOGGER_NAME {
        return refuse("longer than 200 bytes");
    }
    if is_plain_ascii_name(name.as_bytes()) {
        return Ok(());
    }
    for segment in name.split("::") {
        if segment.is_empty() {
            return refuse("empty segment (names are `::`-separated, as `myapp::db`)");
        }
        if segment.chars().any(char::is_whitespace) {
            return refuse("contains white space");
        }
        if segment.chars().any(char::is_control) {
            return refuse("contains a control character");
        }
        if !segment
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return refuse("segments may hold only letters, digits, `_` and `-`");
        }
    }
    Ok(())
}

/// The common case in one pass over bytes, with no substring searcher: ASCII segments of
/// `[A-Za-z0-9_-]`, none empty, separated by exactly `::`.
fn is_plain_ascii_name(bytes: &[u8]) -> bool {
    let mut segment = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b':' => {
                if segment == 0 || bytes.get(i + 1) != Some(&b':') {
                    return false;
                }
                segment = 0;
                i += 2;
                continue;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => segment += 1,
            _ => return false,
        }
        i += 1;
    }
    segment > 0
}

/// Checks a config or trigger name: not empty (after trimming) and at most [`MAX_NAME`] bytes.
///
/// Control characters (NUL, CR, LF, ...) and the invisible marks that reorder text (bidi
/// controls such as U+202E) are refused, so a name shows as what it is.
pub fn validate_name(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.len() > MAX_NAME {
        return Err(Error::InvalidName {
            field,
            value: value.chars().take(MAX_NAME).collect(),
            max: MAX_NAME,
        });
    }
    if let Some(c) = value.chars().find(|&c| is_hidden_char(c)) {
        return Err(Error::Invalid {
            field,
            value: value.escape_default().to_string(),
            reason: format!(
                "contains the invisible character U+{:04X}: names may not hold control or \
                 text-direction characters",
                u32::from(c)
            ),
        });
    }
    Ok(())
}

/// Whether `c` is a control character or a bidi control (marks, embeddings, overrides and
/// isolates), which would hide or reorder what a name shows.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The earliest and latest instants a trigger may name: years 1 to 9999 in UTC, the times
/// that RFC 3339 and the admin's forms can write back.
pub fn validate_time(field: &'static str, t: DateTime<Utc>) -> Result<()> {
    use chrono::Datelike;
    if (1..=9999).contains(&t.year()) {
        return Ok(());
    }
    Err(Error::Invalid {
        field,
        value: t.to_rfc3339(),
        reason: "times must fall in the years 1 to 9999 (UTC)".into(),
    })
}

impl LoggingConfig {
    /// Parses a config from JSON, refusing bodies over [`MAX_BODY`], malformed JSON (with line and
    /// column), unknown fields, bad levels and bad logger names. Handler and filter names are
    /// checked against the application's [`Registry`] by [`LoggingConfig::validate`].
    pub fn from_json(text: &str) -> Result<LoggingConfig> {
        LoggingConfig::from_value(&parse_body(text)?)
    }

    /// Reads a config from a JSON value, with the checks of [`LoggingConfig::from_json`] but the size.
    pub fn from_value(value: &Value) -> Result<LoggingConfig> {
        let root = as_object(value, || "the config".to_string())?;
        check_fields(root, &["loggers", "handlers"], || "the config".to_string())?;
        let mut config = LoggingConfig::default();
        if let Some(loggers) = root.get("loggers").filter(|v| !v.is_null()) {
            for (name, spec) in as_object(loggers, || "\"loggers\"".to_string())? {
                validate_logger_name(name)?;
                config
                    .loggers
                    .insert(name.clone(), logger_from_value(name, spec)?);
            }
        }
        if let Some(handlers) = root.get("handlers").filter(|v| !v.is_null()) {
            for (name, spec) in as_object(handlers, || "\"handlers\"".to_string())? {
                config
                    .handlers
                    .insert(name.clone(), handler_from_value(name, spec)?);
            }
        }
        Ok(config)
    }

    /// The config as pretty JSON, in the seed's `config_json` shape.
    pub fn to_json_pretty(&self) -> String {
        // Serializing maps of strings and plain structs cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Whether the config names no logger and no handler (applied, it leaves the baseline).
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
        }
        Ok(())
    }

    /// This config with `over` laid on top: each logger `over` names takes `over`'s fields where
    /// it gives them and keeps this config's otherwise; each handler override likewise; loggers
    /// and handlers `over` does not name stay as they are.
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
        }
        merged
    }
}

fn merge<T: Clone>(base: &mut Option<T>, over: &Option<T>) {
    if over.is_some() {
        base.clone_from(over);
    }
}

impl<'de> Deserialize<'de> for LoggingConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        LoggingConfig::from_value(&value).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for LoggingConfig {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        LoggingConfig::from_json(s)
    }
}

/// A config body's JSON, refused when over [`MAX_BODY`] or malformed (with line and column).
pub(crate) fn parse_body(text: &str) -> Result<Value> {
    if text.len() > MAX_BODY {
        return Err(Error::TooLarge {
            field: "config body",
            size: text.len(),
            max: MAX_BODY,
        });
    }
    serde_json::from_str(text).map_err(|e| Error::MalformedJson {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })
}

/// serde_json appends " at line L column C"; the error carries those as fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

pub(crate) const LOGGER_FIELDS: &[&str] = &["level", "handlers", "filters", "propagate"];
pub(crate) const HANDLER_FIELDS: &[&str] = &["level", "filters"];

fn logger_from_value(name: &str, value: &Value) -> Result<LoggerSpec> {
    let field = || logger_field(name);
    let object = as_object(value, field)?;
    check_fields(object, LOGGER_FIELDS, field)?;
    Ok(LoggerSpec {
        level: match object.get("level") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => LoggerLevel::parse_optional(s, &field())?,
            Some(other) => return Err(invalid_level(&field(), other)),
        },
        handlers: names_field(object, "handlers", &field())?,
        filters: names_field(object, "filters", &field())?,
        propagate: match object.get("propagate") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => return Err(wrong_type(&field(), "propagate", "true or false", other)),
        },
    })
}

fn handler_from_value(name: &str, value: &Value) -> Result<HandlerOverride> {
    let field = || format!("handler {name:?}");
    let object = as_object(value, field)?;
    check_fields(object, HANDLER_FIELDS, field)?;
    Ok(HandlerOverride {
        level: level_field(object, &field())?,
        filters: names_field(object, "filters", &field())?,
    })
}

pub(crate) fn as_object(
    value: &Value,
    field: impl FnOnce() -> String,
) -> Result<&Map<String, Value>> {
    value.as_object().ok_or_else(|| Error::WrongType {
        field: field(),
        expected: "an object",
        found: short_json(value),
    })
}

fn check_fields(
    object: &Map<String, Value>,
    expected: &[&'static str],
    field: impl FnOnce() -> String,
) -> Result<()> {
    match object.keys().find(|key| !expected.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(Error::UnknownField {
            field: field(),
            name: key.clone(),
            expected: expected.to_vec(),
        }),
    }
}

fn level_field(object: &Map<String, Value>, field: &str) -> Result<Option<Level>> {
    match object.get("level") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Level::parse_optional(s, field),
        Some(other) => Err(invalid_level(field, other)),
    }
}

pub(crate) fn invalid_level(field: &str, found: &Value) -> Error {
    Error::InvalidLevel {
        field: field.to_string(),
        value: short_json(found),
    }
}

fn names_field(object: &Map<String, Value>, key: &str, field: &str) -> Result<Option<Vec<String>>> {
    let items = match object.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(wrong_type(field, key, "a list of names", other)),
    };
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) if !names.contains(s) => names.push(s.clone()),
            // A name listed twice would mean nothing more; keep the first.
            Value::String(_) => {}
            other => return Err(wrong_type(field, key, "a list of names", other)),
        }
    }
    Ok(Some(names))
}

fn wrong_type(field: &str, key: &str, expected: &'static str, found: &Value) -> Error {
    Error::WrongType {
        field: format!("{field} field {key:?}"),
        expected,
        found: short_json(found),
    }
}

fn short_json(value: &Value) -> String {
    let mut text = value.to_string();
    if text.len() > 80 {
        let mut cut = 77;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// The id of a stored config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigId(pub i64);

/// The id of a stored trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TriggerId(pub i64);

impl fmt::Display for ConfigId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for TriggerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A stored, named logging config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Its id.
    pub id: ConfigId,
    /// Its unique name.
    pub name: String,
    /// The logging it lays over the baseline.
    pub body: LoggingConfig,
    /// Bumped by every write; an update must carry the version it read.
    #[serde(default)]
    pub version: i64,
    /// When it was last written.
    #[serde(default)]
    pub updated_at: DateTime<Utc>,
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
    fn seed_shape_parses() {
        let config = parse(
            r#"{"loggers": {"myapp::import": {"level": "DEBUG", "handlers": ["file"], "propagate": false,
                 "filters": ["polite"]}, "": {"level": "WARNING"}},
                "handlers": {"console": {"level": "info", "filters": []}}}"#,
        )
        .unwrap();
        let spec = &config.loggers["myapp::import"];
        assert_eq!(spec.level, Some(Level::Debug.into()));
        assert_eq!(spec.handlers.as_deref(), Some(&["file".to_string()][..]));
        assert_eq!(spec.filters.as_deref(), Some(&["polite".to_string()][..]));
        assert_eq!(spec.propagate, Some(false));
        assert_eq!(config.loggers[""].level, Some(Level::Warn.into()));
        assert_eq!(config.handlers["console"].level, Some(Level::Info));
        config.validate(&registry()).unwrap();
    }

    #[test]
    fn json_round_trips() {
        let config = parse(
            r#"{"loggers": {"a::b": {"level": "debug", "handlers": ["file"], "propagate": false}},
                "handlers": {"console": {"level": "info"}}}"#,
        )
        .unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(
            json,
            r#"{"loggers":{"a::b":{"level":"debug","handlers":["file"],"propagate":false}},"handlers":{"console":{"level":"info"}}}"#
        );
        assert_eq!(parse(&json).unwrap(), config);
        let via_serde: LoggingConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(via_serde, config);
    }

    #[test]
    fn empty_and_null_sections() {
        assert!(parse("{}").unwrap().is_empty());
        assert!(
            parse(r#"{"loggers": null, "handlers": {}}"#)
                .unwrap()
                .is_empty()
        );
        let notset = parse(r#"{"loggers": {"a": {"level": "NOTSET"}}}"#).unwrap();
        assert_eq!(notset.loggers["a"].level, Some(LoggerLevel::Inherit));
        let blank = parse(r#"{"loggers": {"a": {"level": ""}}}"#).unwrap();
        assert_eq!(blank.loggers["a"].level, None);
    }

    #[test]
    fn notset_and_left_out_stay_apart_through_json_and_overlay() {
        let text = r#"{"loggers":{"":{"level":"notset"},"a":{"handlers":["file"]},"a::b":{"level":"notset","propagate":false},"c":{"level":"debug"}},"handlers":{"console":{"level":"warn"}}}"#;
        let config = parse(text).unwrap();
        assert_eq!(config.loggers["a"].level, None);
        assert_eq!(config.loggers["a::b"].level, Some(LoggerLevel::Inherit));
        assert_eq!(serde_json::to_string(&config).unwrap(), text);
        // `inherit` is read as `notset`, and written back as such.
        let alias = parse(r#"{"loggers": {"a::b": {"level": "Inherit"}}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&alias).unwrap(),
            r#"{"loggers":{"a::b":{"level":"notset"}},"handlers":{}}"#
        );
        let baseline =
            parse(r#"{"loggers": {"a::b": {"level": "warn"}, "a": {"level": "error"}}}"#).unwrap();
        let merged = baseline.overlay(&config);
        assert_eq!(merged.loggers["a::b"].level, Some(LoggerLevel::Inherit));
        assert_eq!(merged.loggers["a"].level, Some(Level::Error.into()));
        // A handler has no parent: at `notset` it has no threshold, as in Python.
        let handler = parse(r#"{"handlers": {"console": {"level": "NOTSET"}}}"#).unwrap();
        assert_eq!(handler.handlers["console"].level, Some(Level::Trace));
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
    fn bad_level_names_field_and_value() {
        let err = parse(r#"{"loggers": {"a::b": {"level": "loud"}}}"#).unwrap_err();
        assert!(matches!(&err, Error::InvalidLevel { value, .. } if value == "loud"));
        assert!(
            err.to_string()
                .starts_with(r#"invalid level "loud" in logger "a::b""#),
            "{err}"
        );
        let err = parse(r#"{"handlers": {"file": {"level": 10}}}"#).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidLevel { value, .. } if value == "10"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_refused_at_each_depth() {
        let err = parse(r#"{"loggers": {}, "formatters": {}}"#).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownField { name, .. } if name == "formatters"),
            "{err}"
        );
        let err = parse(r#"{"loggers": {"a": {"level": "info", "lvl": "x"}}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown field "lvl" in logger "a" (expected: level, handlers, filters, propagate)"#
        );
        let err = parse(r#"{"handlers": {"file": {"class": "FileHandler"}}}"#).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownField { name, .. } if name == "class"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_are_named() {
        let err = parse(r#"{"loggers": {"a": {"handlers": "file"}}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"logger "a" field "handlers" must be a list of names, not "file""#
        );
        let err = parse(r#"{"loggers": {"a": {"propagate": "no"}}}"#).unwrap_err();
        assert!(matches!(err, Error::WrongType { .. }));
        let err = parse(r#"{"loggers": []}"#).unwrap_err();
        assert!(matches!(err, Error::WrongType { .. }));
        let err = parse(r#"[1]"#).unwrap_err();
        assert!(matches!(err, Error::WrongType { .. }));
    }

    #[test]
    fn malformed_json_has_line_and_column() {
        let err = parse("{\n  \"loggers\": {\n    \"a\": {\"level\": \"info\",}\n}}").unwrap_err();
        match err {
            Error::MalformedJson { line, column, .. } => {
                assert_eq!(line, 3);
                assert!(column > 20, "column {column}");
            }
            other => panic!("expected malformed JSON, got {other}"),
        }
        assert!(
            parse("")
                .unwrap_err()
                .to_string()
                .starts_with("malformed JSON at line 1")
        );
    }

    #[test]
    fn logger_names() {
        for good in [
            "",
            "a",
            "myapp::import",
            "actix_web::middleware::logger",
            "my-app::x1",
            "ünï",
        ] {
            validate_logger_name(good).unwrap();
        }
        for bad in [
            "::", "a::", "::a", "a:::b", "a b", "a\tb", "a::b\n", "a.b", "a/b", "<script>",
        ] {
            let err = validate_logger_name(bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidLoggerName { name, .. } if name == bad),
                "{bad}"
            );
        }
        let long = "a".repeat(MAX_LOGGER_NAME + 1);
        assert!(validate_logger_name(&long).is_err());
        validate_logger_name(&"a".repeat(MAX_LOGGER_NAME)).unwrap();
        let err = parse(r#"{"loggers": {"a b": {}}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid logger name "a b": contains white space"#
        );
    }

    #[test]
    fn body_size_limit() {
        let mut loggers = Vec::new();
        let mut i = 0;
        while loggers.iter().map(String::len).sum::<usize>() <= MAX_BODY {
            loggers.push(format!(r#""logger{i}": {{"level": "debug"}}"#));
            i += 1;
        }
        let text = format!(r#"{{"loggers": {{{}}}}}"#, loggers.join(","));
        let err = parse(&text).unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { max: MAX_BODY, .. }),
            "{err}"
        );
    }

    #[test]
    fn names_empty_or_too_long() {
        assert!(validate_name("config name", "x").is_ok());
        let err = validate_name("config name", "").unwrap_err();
        assert_eq!(err.to_string(), r#"config name "" is empty"#);
        assert!(validate_name("config name", "   ").is_err());
        let long = "é".repeat(128);
        let err = validate_name("trigger name", &long).unwrap_err();
        assert!(
            err.to_string().contains("256 bytes long (at most 255)"),
            "{err}"
        );
        validate_name("trigger name", &"x".repeat(MAX_NAME)).unwrap();
    }

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
