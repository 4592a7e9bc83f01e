//! Reading a config from JSON: the seed's `config_json` shape, every error naming its field and
//! value.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::config::{HandlerOverride, LoggerSpec, LoggingConfig};
use super::validate::{MAX_BODY, logger_field, validate_logger_name};
use crate::error::{Error, Result};
use crate::level::{Level, LoggerLevel};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Registry;

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
}
