//! A config survives JSON -> model -> JSON exactly, `notset` and left-out levels included.

use std::collections::BTreeSet;

use dynlog_core::model::{HandlerOverride, LoggerLevel, LoggerSpec};
use dynlog_core::{Level, LoggingConfig};
use proptest::prelude::*;

fn level() -> impl Strategy<Value = Level> {
    proptest::sample::select(Level::ALL.to_vec())
}

fn logger_level() -> impl Strategy<Value = Option<LoggerLevel>> {
    prop_oneof![
        Just(None),
        Just(Some(LoggerLevel::Inherit)),
        level().prop_map(|l| Some(LoggerLevel::Set(l))),
    ]
}

fn names(from: &'static [&'static str]) -> impl Strategy<Value = Option<Vec<String>>> {
    proptest::option::of(
        proptest::sample::subsequence(from.to_vec(), 0..=from.len())
            .prop_map(|v| v.into_iter().map(String::from).collect()),
    )
}

fn config() -> impl Strategy<Value = LoggingConfig> {
    let spec = (
        logger_level(),
        names(&["console", "file", "null"]),
        names(&["polite", "no_static"]),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(level, handlers, filters, propagate)| LoggerSpec {
            level,
            handlers,
            filters,
            propagate,
        });
    let handler = (
        proptest::option::of(level()),
        names(&["polite", "no_static"]),
        proptest::option::of(1..=dynlog_core::model::MAX_PER_SECOND),
    )
        .prop_map(|(level, filters, max_per_second)| HandlerOverride {
            level,
            filters,
            max_per_second,
        });
    let logger_names = ["", "myapp", "myapp::db", "myapp::db::pool", "other"];
    (
        proptest::collection::btree_map(
            proptest::sample::select(logger_names.to_vec()),
            spec,
            0..5,
        ),
        proptest::collection::btree_map(
            proptest::sample::select(vec!["console", "file"]),
            handler,
            0..3,
        ),
    )
        .prop_map(|(loggers, handlers)| LoggingConfig {
            loggers: loggers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            handlers: handlers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ..Default::default()
        })
}

proptest! {
    #[test]
    fn json_model_json_is_identical(config in config()) {
        let json = serde_json::to_string(&config).unwrap();
        let back = LoggingConfig::from_json(&json).unwrap();
        prop_assert_eq!(&back, &config);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json.clone());
        // The seed importer takes dynlog JSON as it is, with nothing to warn about.
        let (imported, warnings) = LoggingConfig::from_seed_json(&json).unwrap();
        prop_assert_eq!(imported, config);
        prop_assert!(warnings.is_empty());
    }

    #[test]
    fn notset_is_never_confused_with_left_out(config in config()) {
        let json: serde_json::Value = serde_json::to_value(&config).unwrap();
        for (name, spec) in &config.loggers {
            let written = json["loggers"][name].get("level");
            match spec.level {
                None => prop_assert!(written.is_none()),
                Some(level) => prop_assert_eq!(written.and_then(|v| v.as_str()), Some(level.as_str())),
            }
        }
        let inherit: BTreeSet<&String> = config
            .loggers
            .iter()
            .filter(|(_, s)| s.level == Some(LoggerLevel::Inherit))
            .map(|(n, _)| n)
            .collect();
        let back = LoggingConfig::from_json(&json.to_string()).unwrap();
        let inherit_back: BTreeSet<&String> = back
            .loggers
            .iter()
            .filter(|(_, s)| s.level == Some(LoggerLevel::Inherit))
            .map(|(n, _)| n)
            .collect();
        prop_assert_eq!(inherit, inherit_back);
    }
}
