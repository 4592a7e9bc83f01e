//! Importing django-dynamic-logging's `config_json`, as its editor saves it.

use dynlog_core::model::{LoggerLevel, Registry};
use dynlog_core::{Error, Level, LoggingConfig};

/// A config as the seed's admin editor saves it: every handler of the Django settings, with its
/// `class`, `formatter` and the like, merged with the level and filters the operator chose; dotted
/// logger names; Python's level names and numbers.
const SEED_EDITOR: &str = r#"{
  "handlers": {
    "console": {"class": "logging.StreamHandler", "formatter": "colored", "level": "INFO"},
    "devnull": {"class": "logging.FileHandler", "filename": "/dev/null", "level": "INFO"},
    "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "filters": ["require_debug_false"], "level": "ERROR"},
    "null": {"class": "logging.NullHandler", "formatter": "simple", "level": "DEBUG"},
    "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
  },
  "loggers": {
    "django.db.backends": {"handlers": ["console"], "level": "DEBUG", "propagate": false},
    "django.request": {"filters": ["polite"], "handlers": ["null"], "level": "WARNING", "propagate": true},
    "testproject.testapp": {"handlers": ["devnull", "null"], "level": 20, "propagate": false},
    "dynamic_logging": {"handlers": [], "level": "NOTSET", "propagate": true}
  }
}"#;

#[test]
fn a_config_as_the_seeds_editor_saves_it() {
    let (config, warnings) = LoggingConfig::from_seed_json(SEED_EDITOR).unwrap();
    let names: Vec<&str> = config.loggers.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "django::db::backends",
            "django::request",
            "dynamic_logging",
            "testproject::testapp"
        ]
    );
    let db = &config.loggers["django::db::backends"];
    assert_eq!(db.level, Some(Level::Debug.into()));
    assert_eq!(db.handlers.as_deref(), Some(&["console".to_string()][..]));
    assert_eq!(db.propagate, Some(false));
    assert_eq!(
        config.loggers["django::request"].level,
        Some(Level::Warn.into())
    );
    assert_eq!(
        config.loggers["testproject::testapp"].level,
        Some(Level::Info.into())
    );
    assert_eq!(
        config.loggers["dynamic_logging"].level,
        Some(LoggerLevel::Inherit)
    );
    assert_eq!(config.handlers["console"].level, Some(Level::Info));
    assert_eq!(
        config.handlers["mail_admins"].filters.as_deref(),
        Some(&["require_debug_false".to_string()][..])
    );
    // Left with nothing once its `class` and `stream` are dropped, `stderr` changes nothing.
    assert!(!config.handlers.contains_key("stderr"));
    assert_eq!(
        warnings,
        [
            r#"handler "console": dropped "class" (a config sets only a handler's level and filters)"#,
            r#"handler "console": dropped "formatter" (a config sets only a handler's level and filters)"#,
            r#"handler "devnull": dropped "class" (a config sets only a handler's level and filters)"#,
            r#"handler "devnull": dropped "filename" (a config sets only a handler's level and filters)"#,
            r#"handler "mail_admins": dropped "class" (a config sets only a handler's level and filters)"#,
            r#"handler "null": dropped "class" (a config sets only a handler's level and filters)"#,
            r#"handler "null": dropped "formatter" (a config sets only a handler's level and filters)"#,
            r#"handler "stderr": dropped "class" (a config sets only a handler's level and filters)"#,
            r#"handler "stderr": dropped "stream" (a config sets only a handler's level and filters)"#,
        ]
    );
    // What is kept validates like any config: the application's names decide.
    let registry = Registry::new(
        ["console", "devnull", "mail_admins", "null"],
        ["polite", "require_debug_false"],
    );
    config.validate(&registry).unwrap();
    let err = config
        .validate(&Registry::new(["console", "devnull", "null"], ["polite"]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownHandler { name, .. } if name == "mail_admins"),
        "{err}"
    );
}

#[test]
fn plain_dynlog_json_is_accepted_unchanged() {
    for text in [
        r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["file"], "propagate": false}}, "handlers": {"console": {"level": "info"}}}"#,
        r#"{"loggers": {"": {"level": "warn", "filters": ["polite"]}, "a::b": {"level": "notset"}, "c": {}}}"#,
        r#"{"loggers": {}, "handlers": {"file": {"filters": []}}}"#,
        "{}",
    ] {
        let (config, warnings) = LoggingConfig::from_seed_json(text).unwrap();
        assert_eq!(config, LoggingConfig::from_json(text).unwrap(), "{text}");
        assert!(warnings.is_empty(), "{text}: {warnings:?}");
    }
}

#[test]
fn other_keys_are_dropped_with_a_warning_each() {
    let (config, warnings) = LoggingConfig::from_seed_json(
        r#"{"version": 1, "formatters": {"simple": {}}, "root": {"level": "INFO"},
            "loggers": {"root": {"level": "WARNING", "ignored": "lol"}, "myapp.jobs": {"level": "CRITICAL"}}}"#,
    )
    .unwrap();
    assert_eq!(config.loggers[""].level, Some(Level::Warn.into()));
    assert_eq!(
        config.loggers["myapp::jobs"].level,
        Some(Level::Error.into())
    );
    assert_eq!(
        warnings,
        [
            // In the order of the keys, sorted.
            r#"dropped "formatters" (a config holds only loggers and handlers)"#,
            r#"logger "myapp::jobs": CRITICAL is error (Rust's `log` has no critical level), so error records pass too"#,
            r#"the root logger: dropped "ignored" (a logger takes level, handlers, filters, propagate)"#,
            r#"dropped "root" (a config holds only loggers and handlers)"#,
            r#"dropped "version" (a config holds only loggers and handlers)"#,
        ]
    );
    let (empty, warnings) = LoggingConfig::from_seed_json("  ").unwrap();
    assert!(empty.is_empty() && warnings.is_empty());
}

#[test]
fn what_cannot_be_mapped_is_refused_with_the_field_and_value() {
    let refuse = |text: &str| LoggingConfig::from_seed_json(text).unwrap_err();
    let err = refuse(r#"{"loggers": {"django.db": {"level": 15}}}"#);
    assert_eq!(
        err.to_string(),
        r#"invalid level "15" in logger "django::db" (expected one of: off, error, warn, info, debug, trace, notset (inherit))"#
    );
    let err = refuse(r#"{"handlers": {"console": {"level": "LOUD", "class": "x"}}}"#);
    assert!(
        matches!(&err, Error::InvalidLevel { field, value } if field == r#"handler "console""# && value == "LOUD"),
        "{err}"
    );
    let err = refuse(r#"{"loggers": {"my app.jobs": {"level": "INFO"}}}"#);
    assert!(
        matches!(&err, Error::InvalidLoggerName { name, .. } if name == "my app.jobs"),
        "{err}"
    );
    let err = refuse(r#"{"loggers": {"a.b": {"level": "INFO"}, "a::b": {"level": "DEBUG"}}}"#);
    assert_eq!(
        err.to_string(),
        r#"invalid logger name "a::b": names the same logger as "a.b" (logger "a::b")"#
    );
    let err = refuse(r#"{"loggers": {"a": {"handlers": "console"}}}"#);
    assert!(matches!(err, Error::WrongType { .. }), "{err}");
    let err = refuse(r#"{"loggers": {"a": {"propagate": "yes"}}}"#);
    assert!(matches!(err, Error::WrongType { .. }), "{err}");
    let err = refuse(r#"{"loggers": ["a"]}"#);
    assert!(matches!(err, Error::WrongType { .. }), "{err}");
    let err = refuse(r#"{"loggers": {"a": {"level": "INFO",}}}"#);
    assert!(matches!(err, Error::MalformedJson { line: 1, .. }), "{err}");
}
