//! Reading a RUST_LOG-style spec, `info,myapp::db=debug`, as a config.

use super::config::LoggingConfig;
use super::validate::{logger_field, validate_logger_name};
use crate::error::{Error, Result};
use crate::level::Level;

impl LoggingConfig {
    /// Parses a RUST_LOG-style spec into a config: bare levels set the root (on `console`),
    /// `target=level` sets a logger, and a bare target (`RUST_LOG=myapp`) sets it at trace.
    ///
    /// ```
    /// use dynlog_core::{Level, LoggingConfig};
    ///
    /// let config = LoggingConfig::from_spec("info,myapp::db=debug")?;
    /// assert_eq!(config.loggers[""].level, Some(Level::Info.into()));
    /// assert_eq!(config.loggers["myapp::db"].level, Some(Level::Debug.into()));
    /// # Ok::<(), dynlog_core::Error>(())
    /// ```
    pub fn from_spec(spec: &str) -> Result<LoggingConfig> {
        let invalid = |reason: String| Error::InvalidSpec {
            spec: spec.to_string(),
            reason,
        };
        let mut config = LoggingConfig::default();
        for item in spec
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let (name, level) = match item.split_once('=') {
                Some((name, level)) => (name.trim(), level.trim()),
                None if Level::parse_optional(item, "").is_ok() => ("", item),
                // `RUST_LOG=myapp` means everything of myapp.
                None => (item, "trace"),
            };
            validate_logger_name(name).map_err(|e| invalid(e.to_string()))?;
            let level =
                Level::parse(level, &logger_field(name)).map_err(|e| invalid(e.to_string()))?;
            let entry = config.loggers.entry(name.to_string()).or_default();
            entry.level = Some(level.into());
            if name.is_empty() {
                entry.handlers = Some(vec!["console".to_string()]);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing() {
        let spec = LoggingConfig::from_spec("info, myapp::db=debug,hyper=WARNING,quiet").unwrap();
        assert_eq!(spec.loggers[""].level, Some(Level::Info.into()));
        assert_eq!(
            spec.loggers[""].handlers.as_deref(),
            Some(&["console".to_string()][..])
        );
        assert_eq!(spec.loggers["myapp::db"].level, Some(Level::Debug.into()));
        assert_eq!(spec.loggers["hyper"].level, Some(Level::Warn.into()));
        assert_eq!(spec.loggers["quiet"].level, Some(Level::Trace.into()));
        let err = LoggingConfig::from_spec("info,a=loud").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"invalid logging spec "info,a=loud": invalid level "loud""#),
            "{err}"
        );
        assert!(LoggingConfig::from_spec("a b=info").is_err());
        assert!(LoggingConfig::from_spec("").unwrap().is_empty());
    }
}
