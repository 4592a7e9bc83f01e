//! Importing configs from django-dynamic-logging, the Python project dynlog succeeds.

use serde_json::{Map, Value};

use super::config::LoggingConfig;
use super::json::{HANDLER_FIELDS, LOGGER_FIELDS, as_object, invalid_level, parse_body};
use super::validate::{logger_field, validate_logger_name};
use crate::error::{Error, Result};
use crate::level::{Level, LoggerLevel};

impl LoggingConfig {
    /// Reads a config as django-dynamic-logging's editor saves its `config_json`, or a dynlog
    /// config (which it returns as [`LoggingConfig::from_json`] does, with no warnings), and the
    /// warnings of the conversion, one a line, for the operator to read.
    ///
    /// - Dotted logger names become `::` targets (`django.db` is `django::db`); `root` is the root
    ///   logger, `""`.
    /// - Levels take Python's names (`WARNING`, `CRITICAL` is `error`, with a warning) and its
    ///   numbers: 0 (`notset`), 10, 20, 30, 40 and 50. Other numbers have no level to map to and
    ///   are refused.
    /// - A handler keeps its `level` and `filters`; every other key (`class`, `formatter`,
    ///   `filename`, `stream`...) is dropped with a warning each, as the seed ignored them too. An
    ///   entry the drops leave empty is dropped. Unknown keys of a logger, and top-level keys other
    ///   than `loggers` and `handlers` (`version`, `formatters`...), are dropped likewise.
    ///
    /// What cannot be mapped is refused with the error [`LoggingConfig::from_json`] gives, naming
    /// the field and the value. Handler and filter names are kept as they are: check them with
    /// [`LoggingConfig::validate`].
    ///
    /// ```
    /// use dynlog_core::{Level, LoggingConfig};
    ///
    /// let (config, warnings) = LoggingConfig::from_seed_json(
    ///     r#"{"loggers": {"django.db.backends": {"level": "DEBUG", "handlers": ["console"], "propagate": false}},
    ///         "handlers": {"console": {"level": "INFO", "class": "logging.StreamHandler", "formatter": "colored"}}}"#,
    /// )?;
    /// assert_eq!(config.loggers["django::db::backends"].level, Some(Level::Debug.into()));
    /// assert_eq!(config.handlers["console"].level, Some(Level::Info));
    /// assert_eq!(warnings.len(), 2);
    /// assert_eq!(
    ///     warnings[0],
    ///     r#"handler "console": dropped "class" (a config sets only a handler's level and filters)"#
    /// );
    /// # Ok::<(), dynlog_core::Error>(())
    /// ```
    pub fn from_seed_json(text: &str) -> Result<(LoggingConfig, Vec<String>)> {
        // The seed reads an empty `config_json` as an empty config.
        if text.trim().is_empty() {
            return Ok((LoggingConfig::default(), Vec::new()));
        }
        let value = parse_body(text)?;
        let root = as_object(&value, || "the config".to_string())?;
        let mut warnings = Vec::new();
        let mut out = Map::new();
        for (key, section) in root {
            match key.as_str() {
                "loggers" => {
                    out.insert(key.clone(), loggers(section, &mut warnings)?);
                }
                "handlers" => {
                    out.insert(key.clone(), handlers(section, &mut warnings)?);
                }
                _ => warnings.push(format!(
                    "dropped {key:?} (a config holds only loggers and handlers)"
                )),
            }
        }
        let config = LoggingConfig::from_value(&Value::Object(out))?;
        Ok((config, warnings))
    }
}

fn loggers(section: &Value, warnings: &mut Vec<String>) -> Result<Value> {
    if section.is_null() {
        return Ok(Value::Null);
    }
    let mut out = Map::new();
    // The dynlog name of each logger, with the name it was given, to name both if two meet.
    let mut given: Vec<(String, &str)> = Vec::new();
    for (name, spec) in as_object(section, || "\"loggers\"".to_string())? {
        let target = target_of(name);
        validate_logger_name(&target).map_err(|e| match e {
            Error::InvalidLoggerName { reason, .. } => Error::InvalidLoggerName {
                name: name.clone(),
                reason,
            },
            other => other,
        })?;
        if let Some((_, first)) = given.iter().find(|(t, _)| *t == target) {
            return Err(Error::Invalid {
                field: "logger name",
                value: name.clone(),
                reason: format!(
                    "names the same logger as {first:?} ({})",
                    logger_field(&target)
                ),
            });
        }
        let field = logger_field(&target);
        let object = as_object(spec, || field.clone())?;
        let mut kept = Map::new();
        for (key, value) in object {
            if !LOGGER_FIELDS.contains(&key.as_str()) {
                warnings.push(format!(
                    "{field}: dropped {key:?} (a logger takes {})",
                    LOGGER_FIELDS.join(", ")
                ));
            } else if key == "level" {
                kept.insert(key.clone(), level(value, &field, true, warnings)?);
            } else {
                kept.insert(key.clone(), value.clone());
            }
        }
        given.push((target.clone(), name));
        out.insert(target, Value::Object(kept));
    }
    Ok(Value::Object(out))
}

fn handlers(section: &Value, warnings: &mut Vec<String>) -> Result<Value> {
    if section.is_null() {
        return Ok(Value::Null);
    }
    let mut out = Map::new();
    for (name, spec) in as_object(section, || "\"handlers\"".to_string())? {
        let field = format!("handler {name:?}");
        let object = as_object(spec, || field.clone())?;
        let mut kept = Map::new();
        for (key, value) in object {
            if !HANDLER_FIELDS.contains(&key.as_str()) {
                warnings.push(format!(
                    "{field}: dropped {key:?} (a config sets only a handler's level and filters)"
                ));
            } else if key == "level" {
                kept.insert(key.clone(), level(value, &field, false, warnings)?);
            } else {
                kept.insert(key.clone(), value.clone());
            }
        }
        // An entry emptied by the drops changes nothing, and may name a handler only the Python
        // application had. One given empty stays, as dynlog JSON has it.
        if !kept.is_empty() || object.is_empty() {
            out.insert(name.clone(), Value::Object(kept));
        }
    }
    Ok(Value::Object(out))
}

/// A logger's dynlog name: dots become `::`, and `root` is the root logger.
fn target_of(name: &str) -> String {
    if name == "root" {
        return String::new();
    }
    name.split('.').collect::<Vec<_>>().join("::")
}

/// A level as dynlog JSON writes it, from a Python name or number. `logger` tells whether
/// `notset` (0) may stay (a logger inherits) or means "no threshold" (a handler: `trace`).
fn level(value: &Value, field: &str, logger: bool, warnings: &mut Vec<String>) -> Result<Value> {
    let parsed = match value {
        Value::Null => return Ok(Value::Null),
        Value::String(name) => LoggerLevel::parse(name, field)?,
        Value::Number(n) => match n.as_u64() {
            Some(0) => LoggerLevel::Inherit,
            Some(10) => Level::Debug.into(),
            Some(20) => Level::Info.into(),
            Some(30) => Level::Warn.into(),
            Some(40 | 50) => Level::Error.into(),
            _ => return Err(invalid_level(field, value)),
        },
        other => return Err(invalid_level(field, other)),
    };
    let critical = match value {
        Value::String(name) => {
            ["critical", "fatal"].contains(&name.trim().to_ascii_lowercase().as_str())
        }
        _ => value.as_u64() == Some(50),
    };
    if critical {
        warnings.push(format!(
            "{field}: CRITICAL is error (Rust's `log` has no critical level), so error records pass too"
        ));
    }
    let parsed = if logger {
        parsed
    } else {
        LoggerLevel::Set(parsed.or_trace())
    };
    Ok(Value::String(parsed.as_str().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_targets() {
        assert_eq!(target_of("django.db.backends"), "django::db::backends");
        assert_eq!(target_of("myapp"), "myapp");
        assert_eq!(target_of("myapp::db"), "myapp::db");
        assert_eq!(target_of("root"), "");
        assert_eq!(target_of(""), "");
    }

    #[test]
    fn python_numbers_and_names() {
        let mut warnings = Vec::new();
        let level_of = |v: Value, logger, w: &mut Vec<String>| level(&v, "logger \"a\"", logger, w);
        for (given, want) in [
            (Value::from(0), "notset"),
            (Value::from(10), "debug"),
            (Value::from(20), "info"),
            (Value::from(30), "warn"),
            (Value::from(40), "error"),
            (Value::from("WARNING"), "warn"),
            (Value::from("NOTSET"), "notset"),
        ] {
            assert_eq!(
                level_of(given.clone(), true, &mut warnings).unwrap(),
                want,
                "{given}"
            );
        }
        assert_eq!(
            level_of(Value::from(0), false, &mut warnings).unwrap(),
            "trace"
        );
        assert_eq!(
            level_of(Value::from("NOTSET"), false, &mut warnings).unwrap(),
            "trace"
        );
        for bad in [
            Value::from(15),
            Value::from(-10),
            Value::from(10.5),
            Value::from("10"),
            Value::from(true),
        ] {
            let err = level_of(bad.clone(), true, &mut warnings).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidLevel { field, value } if field == "logger \"a\"" && *value == bad.as_str().map_or_else(|| bad.to_string(), str::to_string)),
                "{bad}: {err}"
            );
        }
        assert!(warnings.is_empty(), "{warnings:?}");
        level_of(Value::from(50), true, &mut warnings).unwrap();
        level_of(Value::from("CRITICAL"), true, &mut warnings).unwrap();
        assert_eq!(warnings.len(), 2);
    }
}
