//! Levels, with the seed project's Python names as aliases.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The level names accepted, for error messages.
pub(crate) const LEVEL_NAMES: &[&str] = &[
    "off",
    "error",
    "warn",
    "info",
    "debug",
    "trace",
    "notset (unset)",
];

/// How verbose a logger or handler is, from `Off` (nothing) to `Trace` (everything).
///
/// Ordered by verbosity: `Off < Error < Warn < Info < Debug < Trace`, as `log::LevelFilter` is.
/// Parsing is case-insensitive and takes Python's names too: `WARNING` is `Warn`, `CRITICAL` and
/// `FATAL` are `Error`; `NOTSET` means "no level of its own" and parses to `None` through
/// [`Level::parse_optional`].
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

    /// Parses a level name; `NOTSET` (or an empty string) gives `Ok(None)`.
    ///
    /// `field` names where the value came from, for the error message.
    pub fn parse_optional(value: &str, field: &str) -> Result<Option<Level>> {
        let level = match value.trim().to_ascii_lowercase().as_str() {
            "" | "notset" => return Ok(None),
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

    /// Parses a level name that must be a level (`NOTSET` is refused).
    pub fn parse(value: &str, field: &str) -> Result<Level> {
        Level::parse_optional(value, field)?.ok_or_else(|| Error::InvalidLevel {
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
            ("NOTSET", None),
            ("", None),
        ] {
            assert_eq!(
                Level::parse_optional(text, "level").unwrap(),
                want,
                "{text}"
            );
        }
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
