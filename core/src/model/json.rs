//! Reading a config from JSON: the seed's `config_json` shape, every error naming its field and
//! value.
//!
//! serde reads the shape (log4rs's `config/raw.rs` way: structs that `deny_unknown_fields`), and
//! `serde_path_to_error` says where it stopped, which [`error_at`] says in the model's words;
//! turning the raw structs into the model then parses levels and checks logger names.

use std::collections::BTreeMap;

use serde::de::Visitor;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use serde_path_to_error::{Path, Segment};

use super::config::{HandlerOverride, LoggerSpec, LoggingConfig};
use super::scope::Scope;
use super::validate::{MAX_BODY, logger_field, validate_logger_name, validate_max_per_second};
use crate::error::{Error, Result};
use crate::level::{Level, LoggerLevel};

impl LoggingConfig {
    /// Parses a config from JSON, refusing bodies over [`MAX_BODY`], malformed JSON (with line and
    /// column), unknown fields, bad levels and bad logger names. Handler and filter names are
    /// checked against the application's [`Registry`](super::Registry) by
    /// [`LoggingConfig::validate`].
    pub fn from_json(text: &str) -> Result<LoggingConfig> {
        // A body serde takes is read in one pass (a config is read on every apply of every
        // process); one it refuses is read again as a value, for an error naming the field and
        // the value found there.
        let body = check_size(text)?;
        match serde_json::from_str::<Object<RawConfig>>(body) {
            Ok(Object(raw)) => LoggingConfig::from_raw(raw),
            Err(_) => LoggingConfig::from_value(&parse_body(text)?),
        }
    }

    /// Reads a config from a JSON value, with the checks of [`LoggingConfig::from_json`] but the size.
    pub fn from_value(value: &Value) -> Result<LoggingConfig> {
        let Object(raw) = serde_path_to_error::deserialize::<_, Object<RawConfig>>(value)
            .map_err(|e| error_at(e.path(), value))?;
        LoggingConfig::from_raw(raw)
    }

    /// The model of a config serde has read: levels parsed, logger names checked.
    fn from_raw(raw: RawConfig) -> Result<LoggingConfig> {
        let mut config = LoggingConfig {
            scope: Scope::new(raw.scope.into_iter().flatten())?,
            ..LoggingConfig::default()
        };
        for (name, Object(spec)) in raw.loggers.into_iter().flatten() {
            validate_logger_name(&name)?;
            let field = logger_field(&name);
            let level = match spec.level {
                Some(level) => LoggerLevel::parse_optional(&level, &field)?,
                None => None,
            };
            let spec = LoggerSpec {
                level,
                handlers: spec.handlers.map(first_of_each),
                filters: spec.filters.map(first_of_each),
                propagate: spec.propagate,
            };
            config.loggers.insert(name, spec);
        }
        for (name, Object(spec)) in raw.handlers.into_iter().flatten() {
            let level = match spec.level {
                Some(level) => Level::parse_optional(&level, &format!("handler {name:?}"))?,
                None => None,
            };
            let max_per_second = match &spec.max_per_second {
                None | Some(Value::Null) => None,
                Some(value) => Some(validate_max_per_second(&name, value)?),
            };
            let spec = HandlerOverride {
                level,
                filters: spec.filters.map(first_of_each),
                max_per_second,
            };
            config.handlers.insert(name, spec);
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
    serde_json::from_str(check_size(text)?).map_err(|e| Error::MalformedJson {
        message: strip_position(&e.to_string()),
        line: e.line(),
        column: e.column(),
    })
}

/// A config body, refused when over [`MAX_BODY`].
fn check_size(text: &str) -> Result<&str> {
    if text.len() > MAX_BODY {
        return Err(Error::TooLarge {
            field: "config body",
            size: text.len(),
            max: MAX_BODY,
        });
    }
    Ok(text)
}

/// serde_json appends " at line L column C"; the error carries those as fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// The fields of a config, of a logger and of a handler, as [`RawConfig`], [`RawLogger`] and
/// [`RawHandler`] name them (a test keeps them in step).
pub(crate) const CONFIG_FIELDS: &[&str] = &["scope", "loggers", "handlers"];
pub(crate) const LOGGER_FIELDS: &[&str] = &["level", "handlers", "filters", "propagate"];
pub(crate) const HANDLER_FIELDS: &[&str] = &["level", "filters", "max_per_second"];

/// A config as JSON writes it. `null` is as good as left out, everywhere.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    scope: Option<BTreeMap<String, Vec<String>>>,
    loggers: Option<BTreeMap<String, Object<RawLogger>>>,
    handlers: Option<BTreeMap<String, Object<RawHandler>>>,
}

/// A logger as JSON writes it; its level is parsed once its name is known, for the message.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogger {
    level: Option<String>,
    handlers: Option<Vec<String>>,
    filters: Option<Vec<String>>,
    propagate: Option<bool>,
}

/// A handler override as JSON writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHandler {
    level: Option<String>,
    filters: Option<Vec<String>>,
    /// Read as any value, so a bad one is refused with the handler's name.
    max_per_second: Option<Value>,
}

/// A JSON object read as `T`. A derived struct also reads a JSON array, field by field, which no
/// config means (`["debug"]` is not a logger at debug): this one takes only objects.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(MapOnly(deserializer)).map(Object)
    }
}

/// A deserializer that reads whatever is asked of it as a map.
struct MapOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// A name listed twice would mean nothing more; keep the first.
fn first_of_each(names: Vec<String>) -> Vec<String> {
    let mut kept = Vec::with_capacity(names.len());
    for name in names {
        if !kept.contains(&name) {
            kept.push(name);
        }
    }
    kept
}

/// Where serde stopped reading `root`, said in the model's words: the field (`logger "a" field
/// "handlers"`) and the value found there. serde stops at the first key the shape does not
/// have, or at the first value of the wrong type.
fn error_at(path: &Path, root: &Value) -> Error {
    let mut keys: Vec<&str> = Vec::new();
    let mut found = root;
    for segment in path {
        found = match segment {
            Segment::Map { key } => {
                keys.push(key);
                found.get(key.as_str())
            }
            Segment::Seq { index } => found.get(*index),
            Segment::Enum { .. } | Segment::Unknown => Some(found),
        }
        .unwrap_or(&Value::Null);
    }
    let entry = |section: &str, name: &str| match section {
        "loggers" => logger_field(name),
        _ => format!("handler {name:?}"),
    };
    let wrong_type = |field: String, expected| Error::WrongType {
        field,
        expected,
        found: short_json(found),
    };
    let unknown = |field: String, name: &str, expected: &[&'static str]| Error::UnknownField {
        field,
        name: name.to_string(),
        expected: expected.to_vec(),
    };
    match keys[..] {
        [] => wrong_type("the config".to_string(), "an object"),
        [key] if !CONFIG_FIELDS.contains(&key) => {
            unknown("the config".to_string(), key, CONFIG_FIELDS)
        }
        ["scope"] => wrong_type("\"scope\"".to_string(), "an object of lists"),
        ["scope", key] => wrong_type(format!("scope key {key:?}"), "a list of strings"),
        [section] => wrong_type(format!("{section:?}"), "an object"),
        [section, name] => wrong_type(entry(section, name), "an object"),
        [section, name, key] => {
            let (field, fields) = match section {
                "loggers" => (entry(section, name), LOGGER_FIELDS),
                _ => (entry(section, name), HANDLER_FIELDS),
            };
            match key {
                _ if !fields.contains(&key) => unknown(field, key, fields),
                "level" => invalid_level(&field, found),
                "propagate" => wrong_type(format!("{field} field {key:?}"), "true or false"),
                _ => wrong_type(format!("{field} field {key:?}"), "a list of names"),
            }
        }
        // The shape is three objects deep: serde cannot stop below that.
        _ => wrong_type(path.to_string(), "what the config takes"),
    }
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

pub(crate) fn invalid_level(field: &str, found: &Value) -> Error {
    Error::InvalidLevel {
        field: field.to_string(),
        value: short_json(found),
    }
}

pub(crate) fn short_json(value: &Value) -> String {
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

    /// `from_json` reads a body in one pass and falls back to the value for errors: both ways
    /// give the same config, or the same error, for every body.
    #[test]
    fn one_pass_and_value_read_alike() {
        let bodies = [
            r#"{}"#,
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}}}"#,
            r#"{"loggers": {"a::b": {"level": "DEBUG", "handlers": ["file", "file"], "filters": ["polite"], "propagate": false}},
                "handlers": {"file": {"level": "warn", "max_per_second": 100}}, "scope": {"tenant": ["acme"]}}"#,
            r#"{"loggers": null, "handlers": null, "scope": null}"#,
            r#"{"loggers": {"a": {"level": null, "handlers": null}}}"#,
            r#"{"loggers": {"a": {"level": "loud"}}}"#,
            r#"{"loggers": {"a b": {"level": "info"}}}"#,
            r#"{"loggers": {"a": {"levels": "info"}}}"#,
            r#"{"loggers": {"a": ["debug"]}}"#,
            r#"{"loggers": {"a": {"propagate": "yes"}}}"#,
            r#"{"handlers": {"file": {"max_per_second": 0}}}"#,
            r#"{"handlers": {"file": {"max_per_second": "ten"}}}"#,
            r#"{"scope": {"tenant": []}}"#,
            r#"{"loggers": {"a": {"level": "info"}}, "loggers": {"b": {"level": "warn"}}}"#,
            r#"[]"#,
            r#"{"unknown": 1}"#,
        ];
        for body in bodies {
            let value = serde_json::from_str::<Value>(body).unwrap();
            let by_value = LoggingConfig::from_value(&value).map_err(|e| e.to_string());
            let one_pass = LoggingConfig::from_json(body).map_err(|e| e.to_string());
            assert_eq!(one_pass, by_value, "{body}");
        }
    }

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

    #[test]
    fn field_lists_are_the_raw_structs_fields() {
        let all = |fields: &[&str]| {
            let object: Map<String, Value> = fields
                .iter()
                .map(|f| (f.to_string(), Value::Null))
                .collect();
            Value::Object(object)
        };
        serde_json::from_value::<RawConfig>(all(CONFIG_FIELDS)).unwrap();
        serde_json::from_value::<RawLogger>(all(LOGGER_FIELDS)).unwrap();
        serde_json::from_value::<RawHandler>(all(HANDLER_FIELDS)).unwrap();
    }

    #[test]
    fn arrays_are_not_objects_and_names_are_kept_once() {
        for (text, want) in [
            (r#"[]"#, "the config must be an object, not []"),
            (
                r#"{"loggers": {"a": ["debug"]}}"#,
                r#"logger "a" must be an object, not ["debug"]"#,
            ),
            (
                r#"{"handlers": {"file": []}}"#,
                r#"handler "file" must be an object, not []"#,
            ),
            (
                r#"{"loggers": {"": {"handlers": ["a", 1]}}}"#,
                r#"the root logger field "handlers" must be a list of names, not 1"#,
            ),
            (
                r#"{"handlers": {"file": {"filters": {"a": 1}}}}"#,
                r#"handler "file" field "filters" must be a list of names, not {"a":1}"#,
            ),
            (
                r#"{"handlers": []}"#,
                r#""handlers" must be an object, not []"#,
            ),
        ] {
            assert_eq!(parse(text).unwrap_err().to_string(), want, "{text}");
        }
        let config =
            parse(r#"{"loggers": {"a": {"handlers": ["file", "console", "file"]}}}"#).unwrap();
        assert_eq!(
            config.loggers["a"].handlers.as_deref(),
            Some(&["file".to_string(), "console".to_string()][..])
        );
    }
}
