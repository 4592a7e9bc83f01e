//! Levels, with the seed project's Python names as aliases.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// How verbose a logger or handler is, from `Off` (nothing) to `Trace` (everything).
///
/// Ordered by verbosity: `Off < Error < Warn < Info < Debug < Trace`, as `log::LevelFilter` is.
/// Parsing is case-insensitive and takes Python's names too: `WARNING` is `Warn`, `CRITICAL` and
/// `FATAL` are `Error`. `NOTSET` (alias `inherit`) is not a level: a logger set to it takes its
/// parent's, which [`LoggerLevel::Inherit`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Nothing passes.
    Off,
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Information and above.
    Info,
    /// Debugging records and above.
    Debug,
    /// Everything.
    Trace,
}

impl Level {
    /// Every level, least verbose first.
    pub const ALL: [Level; 6] = [
        Level::Off,
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The lowercase name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }

    /// Parses a handler's level: an empty string gives `Ok(None)` (left out: "as the baseline").
    /// `NOTSET` (or `inherit`) gives `Trace`: a handler has no parent to inherit from, and one
    /// with no level of its own handles every record its loggers pass, as in Python. A logger's
    /// level is a [`LoggerLevel`], which keeps `NOTSET` apart.
    ///
    /// `field` names where the value came from, for the error message.
    pub fn parse_optional(value: &str, field: &str) -> Result<Option<Level>> {
        Ok(LoggerLevel::parse_optional(value, field)?.map(LoggerLevel::or_trace))
    }

    /// Parses a level name that is not `NOTSET`: `Ok(None)` for a `NOTSET` or `inherit`.
    fn parse_set(value: &str, field: &str) -> Result<Option<Level>> {
        let level = match value.trim().to_ascii_lowercase().as_str() {
            "notset" | "inherit" => return Ok(None),
            "off" | "none" => Level::Off,
            "error" | "critical" | "fatal" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => {
                return Err(Error::InvalidLevel {
                    field: field.to_string(),
                    value: value.to_string(),
                });
            }
        };
        Ok(Some(level))
    }

    /// Parses a level name that must be a level (`NOTSET` and `""` are refused).
    pub fn parse(value: &str, field: &str) -> Result<Level> {
        Level::parse_set(value, field)?.ok_or_else(|| Error::InvalidLevel {
            field: field.to_string(),
            value: value.to_string(),
        })
    }

    /// The `log` crate's filter of the same verbosity.
    pub fn to_filter(self) -> log::LevelFilter {
        match self {
            Level::Off => log::LevelFilter::Off,
            Level::Error => log::LevelFilter::Error,
            Level::Warn => log::LevelFilter::Warn,
            Level::Info => log::LevelFilter::Info,
            Level::Debug => log::LevelFilter::Debug,
            Level::Trace => log::LevelFilter::Trace,
        }
    }

    /// Whether a record at `level` passes this threshold.
    #[inline]
    pub fn allows(self, level: log::Level) -> bool {
        level <= self.to_filter()
    }
}

impl From<log::Level> for Level {
    fn from(level: log::Level) -> Self {
        match level {
            log::Level::Error => Level::Error,
            log::Level::Warn => Level::Warn,
            log::Level::Info => Level::Info,
            log::Level::Debug => Level::Debug,
            log::Level::Trace => Level::Trace,
        }
    }
}

impl From<log::LevelFilter> for Level {
    fn from(level: log::LevelFilter) -> Self {
        match level {
            log::LevelFilter::Off => Level::Off,
            log::LevelFilter::Error => Level::Error,
            log::LevelFilter::Warn => Level::Warn,
            log::LevelFilter::Info => Level::Info,
            log::LevelFilter::Debug => Level::Debug,
            log::LevelFilter::Trace => Level::Trace,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Level::parse(s, "level")
    }
}

/// A logger's own level as a config sets it: a level, or `NOTSET` ("inherit from the parent").
///
/// In a [`LoggerSpec`](crate::model::LoggerSpec) it sits in an `Option`: `None` leaves the field
/// out (the baseline's level stays), `Some(LoggerLevel::Inherit)` takes the parent's level even
/// where the baseline sets one, `Some(LoggerLevel::Set(level))` sets one. It serializes as the
/// level's name, or `"notset"`; parsing also takes `inherit` and Python's names.
///
/// ```
/// use dynlog_core::Level;
/// use dynlog_core::model::LoggerLevel;
///
/// assert_eq!("NOTSET".parse::<LoggerLevel>()?, LoggerLevel::Inherit);
/// assert_eq!("inherit".parse::<LoggerLevel>()?, LoggerLevel::Inherit);
/// assert_eq!("WARNING".parse::<LoggerLevel>()?, LoggerLevel::Set(Level::Warn));
/// assert_eq!(LoggerLevel::Inherit.to_string(), "notset");
/// # Ok::<(), dynlog_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoggerLevel {
    /// No level of its own: the logger takes its parent's (`NOTSET`, `inherit`). The root, which
    /// has no parent, then lets everything through, as Python's root at `NOTSET` does.
    Inherit,
    /// This level.
    Set(Level),
}

impl LoggerLevel {
    /// The name as serialized: the level's, or `notset`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoggerLevel::Inherit => "notset",
            LoggerLevel::Set(level) => level.as_str(),
        }
    }

    /// The level it sets, if it sets one.
    pub fn level(self) -> Option<Level> {
        match self {
            LoggerLevel::Inherit => None,
            LoggerLevel::Set(level) => Some(level),
        }
    }

    /// The level it sets, with `Trace` for `Inherit` (what "no level of its own" means where
    /// there is nothing to inherit from: a handler, the root).
    pub fn or_trace(self) -> Level {
        self.level().unwrap_or(Level::Trace)
    }

    /// Parses a logger's level; an empty string gives `Ok(None)` (left out: "as the baseline").
    ///
    /// `field` names where the value came from, for the error message.
    pub fn parse_optional(value: &str, field: &str) -> Result<Option<LoggerLevel>> {
        if value.trim().is_empty() {
            return Ok(None);
        }
        LoggerLevel::parse(value, field).map(Some)
    }

    /// Parses a logger's level: a level name, or `NOTSET` / `inherit`.
    pub fn parse(value: &str, field: &str) -> Result<LoggerLevel> {
        Ok(match Level::parse_set(value, field)? {
            Some(level) => LoggerLevel::Set(level),
            None => LoggerLevel::Inherit,
        })
    }
}

impl From<Level> for LoggerLevel {
    fn from(level: Level) -> Self {
        LoggerLevel::Set(level)
    }
}

impl fmt::Display for LoggerLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for LoggerLevel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        LoggerLevel::parse(s, "level")
    }
}

impl Serialize for LoggerLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LoggerLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        LoggerLevel::parse(&s, "level").map_err(serde::de::Error::custom)
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Level::parse(&s, "level").map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_with_python_aliases() {
        for (text, want) in [
            ("debug", Some(Level::Debug)),
            ("DEBUG", Some(Level::Debug)),
            ("Warning", Some(Level::Warn)),
            ("WARN", Some(Level::Warn)),
            ("CRITICAL", Some(Level::Error)),
            ("fatal", Some(Level::Error)),
            ("off", Some(Level::Off)),
            ("trace", Some(Level::Trace)),
            ("NOTSET", Some(Level::Trace)),
            ("inherit", Some(Level::Trace)),
            ("", None),
            ("  ", None),
        ] {
            assert_eq!(
                Level::parse_optional(text, "level").unwrap(),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn logger_levels_keep_notset_apart_from_left_out() {
        for (text, want) in [
            ("NOTSET", Some(LoggerLevel::Inherit)),
            ("notset", Some(LoggerLevel::Inherit)),
            ("Inherit", Some(LoggerLevel::Inherit)),
            ("CRITICAL", Some(LoggerLevel::Set(Level::Error))),
            ("debug", Some(LoggerLevel::Set(Level::Debug))),
            ("", None),
        ] {
            assert_eq!(
                LoggerLevel::parse_optional(text, "level").unwrap(),
                want,
                "{text}"
            );
        }
        assert!(LoggerLevel::parse("", "level").is_err());
        let err = LoggerLevel::parse("loud", "logger \"a\"").unwrap_err();
        assert!(err.to_string().contains("notset (inherit)"), "{err}");
        for level in [LoggerLevel::Inherit, LoggerLevel::Set(Level::Off)]
            .into_iter()
            .chain(Level::ALL.map(LoggerLevel::from))
        {
            let json = serde_json::to_string(&level).unwrap();
            assert_eq!(serde_json::from_str::<LoggerLevel>(&json).unwrap(), level);
            assert_eq!(json, format!("\"{level}\""));
        }
        assert_eq!(LoggerLevel::Inherit.level(), None);
        assert_eq!(LoggerLevel::Inherit.or_trace(), Level::Trace);
        assert_eq!(LoggerLevel::Set(Level::Info).or_trace(), Level::Info);
    }

    #[test]
    fn unknown_level_names_field_and_value() {
        let err = Level::parse_optional("verbose", "logger \"a\"").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"verbose\""), "{msg}");
        assert!(msg.contains("logger \"a\""), "{msg}");
        assert!(msg.contains("debug"), "{msg}");
        assert!(Level::parse("notset", "level").is_err());
    }

    #[test]
    fn the_error_lists_the_names_parsing_takes() {
        let listed: Vec<&str> = crate::error::LEVEL_NAMES
            .iter()
            .map(|name| name.split(' ').next().unwrap_or(name))
            .collect();
        for level in Level::ALL
            .map(LoggerLevel::from)
            .into_iter()
            .chain([LoggerLevel::Inherit])
        {
            assert!(listed.contains(&level.as_str()), "{level} is not listed");
        }
        for name in listed {
            LoggerLevel::parse(name, "level").unwrap();
        }
    }

    #[test]
    fn order_matches_log_and_allows_works() {
        assert!(Level::Off < Level::Error && Level::Debug < Level::Trace);
        assert!(Level::Info.allows(log::Level::Warn));
        assert!(!Level::Info.allows(log::Level::Debug));
        assert!(!Level::Off.allows(log::Level::Error));
        for l in Level::ALL {
            assert_eq!(Level::from(l.to_filter()), l);
        }
    }

    #[test]
    fn serde_round_trip() {
        let json = serde_json::to_string(&Level::Warn).unwrap();
        assert_eq!(json, "\"warn\"");
        let back: Level = serde_json::from_str("\"WARNING\"").unwrap();
        assert_eq!(back, Level::Warn);
    }
}
