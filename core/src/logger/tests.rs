// Over 600 lines: the logger's behaviour tests share one world of handlers and filters.
//! The logger's behaviour through its public face: routing, propagation, filters, applies,
//! hooks, previews and views.

use std::sync::{Arc, Mutex};

use log::{LevelFilter, Log, Record};

use super::*;
use crate::error::Error;
use crate::handler::MemoryHandler;
use crate::level::{Level, LoggerLevel};
use crate::model::LoggerSpec;

fn emit(logger: &DynamicLogger, level: log::Level, target: &str, message: &str) {
    logger.log(
        &Record::builder()
            .level(level)
            .target(target)
            .args(format_args!("{message}"))
            .build(),
    );
}

struct World {
    logger: DynamicLogger,
    console: MemoryHandler,
    file: MemoryHandler,
    mail: MemoryHandler,
}

/// The seed's test baseline: root on console at info, `myapp` on file at warn.
fn world(baseline: &str) -> World {
    let (console, file, mail) = (
        MemoryHandler::new(1000),
        MemoryHandler::new(1000),
        MemoryHandler::new(1000),
    );
    let logger = DynamicLogger::builder()
        .handler("console", console.clone())
        .handler("file", file.clone())
        .handler("mail", mail.clone())
        .filter("polite", |r: &Record<'_>| {
            !r.args().to_string().contains("damn")
        })
        .filter("no_static", |r: &Record<'_>| {
            !r.args().to_string().starts_with("GET /static")
        })
        .baseline_json(baseline)
        .unwrap()
        .build()
        .unwrap();
    World {
        logger,
        console,
        file,
        mail,
    }
}

const BASELINE: &str = r#"{"loggers": {"": {"level": "info", "handlers": ["console"]},
                                        "myapp": {"level": "warn", "handlers": ["file"]}}}"#;

fn config(json: &str) -> LoggingConfig {
    LoggingConfig::from_json(json).unwrap()
}

#[test]
fn baseline_routes_by_nearest_logger() {
    let w = world(BASELINE);
    emit(&w.logger, log::Level::Info, "other::thing", "root info");
    emit(&w.logger, log::Level::Debug, "other", "root debug");
    emit(&w.logger, log::Level::Info, "myapp::db", "myapp info");
    emit(&w.logger, log::Level::Warn, "myapp::db", "myapp warn");
    emit(&w.logger, log::Level::Warn, "myappx", "not a child");
    assert_eq!(
        w.console.messages(),
        ["root info", "myapp warn", "not a child"]
    );
    assert_eq!(w.file.messages(), ["myapp warn"]);
}

#[test]
fn config_loggers_get_exactly_their_handlers() {
    let w = world(BASELINE);
    w.logger
        .apply(&config(r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["mail"], "propagate": false}}}"#))
        .unwrap();
    emit(
        &w.logger,
        log::Level::Debug,
        "myapp::import::csv",
        "imported",
    );
    assert_eq!(w.mail.messages(), ["imported"]);
    assert!(w.file.messages().is_empty() && w.console.messages().is_empty());
}

#[test]
fn propagation_goes_up_until_propagate_false_and_never_twice() {
    let w = world(BASELINE);
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["mail", "file"]}}}"#,
        ))
        .unwrap();
    emit(&w.logger, log::Level::Debug, "myapp::import", "once each");
    assert_eq!(w.mail.messages(), ["once each"]);
    assert_eq!(
        w.file.messages(),
        ["once each"],
        "file is on the logger and its parent: one write"
    );
    assert_eq!(
        w.console.messages(),
        ["once each"],
        "myapp propagates to the root"
    );
    w.logger
        .apply(&config(r#"{"loggers": {"myapp": {"propagate": false}}}"#))
        .unwrap();
    emit(&w.logger, log::Level::Error, "myapp::x", "stops at myapp");
    assert_eq!(w.file.messages().last().unwrap(), "stops at myapp");
    assert_eq!(w.console.messages().len(), 1);
}

#[test]
fn handler_gets_a_record_only_when_logger_and_handler_levels_allow() {
    let w = world(BASELINE);
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp": {"level": "debug"}}, "handlers": {"console": {"level": "warn"}}}"#,
        ))
        .unwrap();
    emit(&w.logger, log::Level::Debug, "myapp", "debug");
    emit(&w.logger, log::Level::Warn, "myapp", "warn");
    emit(&w.logger, log::Level::Trace, "myapp", "trace");
    assert_eq!(w.file.messages(), ["debug", "warn"]);
    assert_eq!(w.console.messages(), ["warn"]);
}

#[test]
fn logger_and_handler_filters_apply() {
    let w = world(BASELINE);
    w.logger
        .apply(&config(
            r#"{"loggers": {"web": {"level": "info", "filters": ["polite"]}},
                "handlers": {"console": {"filters": ["no_static"]}}}"#,
        ))
        .unwrap();
    emit(&w.logger, log::Level::Info, "web::req", "damn it");
    emit(
        &w.logger,
        log::Level::Info,
        "web::req",
        "GET /static/app.css",
    );
    emit(&w.logger, log::Level::Info, "web::req", "GET /api");
    emit(&w.logger, log::Level::Info, "other", "damn fine");
    assert_eq!(w.console.messages(), ["GET /api", "damn fine"]);
}

#[test]
fn applying_the_baseline_again_reverses_a_config_and_empty_leaves_it() {
    let w = world(BASELINE);
    let before = w.logger.current_config();
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp": {"level": "trace", "handlers": ["mail"]}}}"#,
        ))
        .unwrap();
    assert_eq!(w.logger.effective_level("myapp::db"), Level::Trace);
    w.logger.apply_baseline().unwrap();
    assert_eq!(w.logger.current_config(), before);
    assert_eq!(w.logger.effective_level("myapp::db"), Level::Warn);
    w.logger.apply(&LoggingConfig::default()).unwrap();
    assert_eq!(w.logger.current_config(), before);
    emit(&w.logger, log::Level::Trace, "myapp", "quiet");
    assert!(w.mail.messages().is_empty() && w.file.messages().is_empty());
}

#[test]
fn levels_inherit_from_the_nearest_configured_ancestor() {
    let w = world(BASELINE);
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp::db::pool": {"handlers": ["mail"]}}}"#,
        ))
        .unwrap();
    assert_eq!(
        w.logger.effective_level("myapp::db::pool::conn"),
        Level::Warn
    );
    assert_eq!(w.logger.effective_level(""), Level::Info);
    assert_eq!(w.logger.effective_level("zzz"), Level::Info);
    let view = w.logger.logger_view("myapp::db::pool::conn");
    assert_eq!(view.logger, "myapp::db::pool");
    assert_eq!(view.handlers, ["mail", "file", "console"]);
    assert_eq!(view.configured_level, None);
    // Without a root level, the root is at warn, as in Python.
    let bare = world("{}");
    assert_eq!(bare.logger.effective_level("x"), Level::Warn);
}

#[test]
fn invalid_configs_are_refused_and_nothing_changes() {
    let w = world(BASELINE);
    let before = w.logger.current_config();
    let generation = w.logger.generation();
    let err = w
        .logger
        .apply(&config(r#"{"loggers": {"a": {"handlers": ["fil"]}}}"#))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unknown handler "fil" in logger "a" (known: console, file, mail)"#
    );
    assert_eq!(w.logger.current_config(), before);
    assert_eq!(w.logger.generation(), generation);
    let err = DynamicLogger::builder()
        .baseline_spec("info")
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "baseline spec",
                ..
            }
        ),
        "the spec's root uses console: {err}"
    );
}

#[test]
fn max_level_is_the_loudest_anything_can_emit() {
    let w = world(BASELINE);
    assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Info);
    w.logger
        .apply(&config(r#"{"loggers": {"myapp::x": {"level": "trace"}}}"#))
        .unwrap();
    assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Trace);
    // A verbose logger whose handlers are all quieter cannot emit at its level.
    w.logger.apply(&config(r#"{"handlers": {"console": {"level": "error"}, "file": {"level": "warn"}}, "loggers": {"myapp::x": {"level": "trace"}}}"#)).unwrap();
    assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Warn);
    w.logger
        .apply(&config(
            r#"{"loggers": {"": {"handlers": []}, "myapp": {"handlers": []}}}"#,
        ))
        .unwrap();
    assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Off);
}

#[test]
fn a_spec_over_a_baseline_keeps_the_roots_handlers() {
    let w = world(BASELINE);
    let logger = DynamicLogger::builder()
        .handler("console", w.console.clone())
        .handler("file", w.file.clone())
        .baseline_json(BASELINE)
        .unwrap()
        .baseline_spec("warn,myapp=debug")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        logger.baseline().loggers[""].handlers.as_deref(),
        Some(&["console".to_string()][..])
    );
    assert_eq!(
        logger.baseline().loggers[""].level,
        Some(Level::Warn.into())
    );
    assert_eq!(logger.effective_level("myapp"), Level::Debug);
}

#[test]
fn hooks_run_after_each_apply_and_unknown_names_fail() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let logger = DynamicLogger::builder()
        .handler("console", MemoryHandler::new(10))
        .hook(
            "db_debug",
            move |config: &LoggingConfig, logger: &DynamicLogger| {
                let on = logger.effective_level("diesel") >= Level::Debug;
                record.lock().unwrap().push((config.loggers.len(), on));
            },
        )
        .hook("never", |_: &LoggingConfig, _: &DynamicLogger| {
            panic!("not enabled")
        })
        .enable_hooks(["db_debug"])
        .build()
        .unwrap();
    logger
        .apply(&config(r#"{"loggers": {"diesel": {"level": "debug"}}}"#))
        .unwrap();
    logger.apply_baseline().unwrap();
    assert_eq!(*seen.lock().unwrap(), [(0, false), (1, true), (0, false)]);
    let err = DynamicLogger::builder()
        .hook("db_debug", |_: &LoggingConfig, _: &DynamicLogger| {})
        .enable_hooks(["db_debgu"])
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unknown hook "db_debgu" (known: db_debug)"#
    );
}

#[test]
fn preview_shows_changes_without_applying() {
    let w = world(BASELINE);
    let generation = w.logger.generation();
    let preview = w
        .logger
        .preview(&config(r#"{"loggers": {"myapp": {"level": "debug"}}, "handlers": {"console": {"level": "error"}}}"#))
        .unwrap();
    assert_eq!(w.logger.generation(), generation);
    assert_eq!(preview.loggers.len(), 1);
    assert_eq!(preview.loggers[0].name, "myapp");
    assert_eq!(
        (
            preview.loggers[0].before.level,
            preview.loggers[0].after.level
        ),
        (Level::Warn, Level::Debug)
    );
    assert_eq!(preview.handlers.len(), 1);
    assert_eq!(
        (
            preview.handlers[0].before.level,
            preview.handlers[0].after.level
        ),
        (Level::Trace, Level::Error)
    );
    assert!(
        w.logger
            .preview(&LoggingConfig::default())
            .unwrap()
            .is_empty()
    );
    assert!(
        w.logger
            .preview(&config(r#"{"loggers": {"a": {"filters": ["rude"]}}}"#))
            .is_err()
    );
}

#[test]
fn seen_targets_are_remembered_and_bounded() {
    let w = world(BASELINE);
    for target in ["b::x", "a", "b::x", "c"] {
        emit(&w.logger, log::Level::Trace, target, "m");
    }
    assert_eq!(w.logger.seen_targets(), ["a", "b::x", "c"]);
    let small = DynamicLogger::builder()
        .remember_targets(2)
        .build()
        .unwrap();
    for target in ["a", "b", "c"] {
        emit(&small, log::Level::Error, target, "m");
    }
    assert_eq!(small.seen_targets().len(), 2);
}

#[test]
fn loggers_no_target_falls_under_are_named_with_the_closest_seen_name() {
    let w = world(BASELINE);
    for target in ["dynlog_testapp::jobs::import", "myapp::db"] {
        emit(&w.logger, log::Level::Error, target, "m");
    }
    let body = config(
        r#"{"loggers": {"": {"level": "info"}, "dynlog_testapp::jobs": {"level": "debug"},
            "dynlog_testap::jobs": {"level": "debug"}, "myapp::db::pool": {"level": "debug"},
            "myapp::d": {"level": "debug"}, "zzz::qqq": {"level": "debug"}}}"#,
    );
    let unmatched = w.logger.unmatched_loggers(&body);
    let found: Vec<(&str, Option<&str>)> = unmatched
        .iter()
        .map(|u| (u.name.as_str(), u.closest.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("dynlog_testap::jobs", Some("dynlog_testapp::jobs")),
            ("myapp::d", Some("myapp::db")),
            ("myapp::db::pool", Some("myapp::db")),
            ("zzz::qqq", None),
        ]
    );
    assert!(
        unmatched[0]
            .to_string()
            .contains("did you mean \"dynlog_testapp::jobs\"")
    );
}

#[test]
fn cache_stays_right_across_applies() {
    let w = world(BASELINE);
    for _ in 0..3 {
        emit(&w.logger, log::Level::Debug, "myapp::db", "hidden");
    }
    w.logger
        .apply(&config(r#"{"loggers": {"myapp::db": {"level": "debug"}}}"#))
        .unwrap();
    emit(&w.logger, log::Level::Debug, "myapp::db", "shown");
    assert_eq!(w.file.messages(), ["shown"]);
}

#[test]
fn known_targets_are_the_seen_and_the_configured_once_each() {
    let w = world(
        r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}, "myapp": {"level": "warn"}}}"#,
    );
    w.logger
        .apply(&config(r#"{"loggers": {"other::db": {"level": "debug"}}}"#))
        .unwrap();
    for target in ["myapp", "zeta::x", "myapp"] {
        log::Log::log(
            &w.logger,
            &Record::builder()
                .level(log::Level::Error)
                .target(target)
                .args(format_args!("x"))
                .build(),
        );
    }
    assert_eq!(
        w.logger.known_targets(),
        ["", "myapp", "other::db", "zeta::x"]
    );
}

#[test]
fn current_config_is_the_baseline_with_the_overlay() {
    let w = world(
        r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}, "myapp": {"handlers": ["file"], "filters": []}},
            "handlers": {"mail": {"level": "error", "filters": ["polite"]}}}"#,
    );
    let over = config(
        r#"{"loggers": {"myapp": {"level": "debug", "propagate": false}, "web::req": {"filters": ["polite", "no_static"]}},
            "handlers": {"console": {"level": "warn"}, "mail": {"filters": []}}}"#,
    );
    w.logger.apply(&over).unwrap();
    assert_eq!(
        w.logger.current_config(),
        w.logger.baseline().overlay(&over)
    );
    w.logger.apply_baseline().unwrap();
    assert_eq!(&w.logger.current_config(), w.logger.baseline());
}

#[test]
fn notset_takes_the_parents_level_even_where_the_baseline_sets_one() {
    let w = world(BASELINE);
    w.logger
        .apply(&config(r#"{"loggers": {"myapp": {"level": "NOTSET"}}}"#))
        .unwrap();
    assert_eq!(w.logger.effective_level("myapp"), Level::Info);
    assert_eq!(w.logger.effective_level("myapp::db"), Level::Info);
    emit(
        &w.logger,
        log::Level::Info,
        "myapp::db",
        "now at the root's info",
    );
    assert_eq!(w.file.messages(), ["now at the root's info"]);
    // The handlers the baseline gives `myapp` stay: only its level was named.
    assert_eq!(
        w.logger.current_config().loggers["myapp"],
        LoggerSpec {
            level: Some(LoggerLevel::Inherit),
            handlers: Some(vec!["file".into()]),
            ..LoggerSpec::default()
        }
    );
    // A level left out keeps the baseline's.
    w.logger
        .apply(&config(r#"{"loggers": {"myapp": {"handlers": ["mail"]}}}"#))
        .unwrap();
    assert_eq!(w.logger.effective_level("myapp::db"), Level::Warn);
    // `inherit` under a `notset` logger goes on up to the nearest level.
    w.logger
        .apply(&config(
            r#"{"loggers": {"": {"level": "error"}, "myapp": {"level": "inherit"}, "myapp::db": {"level": "notset"}}}"#,
        ))
        .unwrap();
    assert_eq!(w.logger.effective_level("myapp::db::pool"), Level::Error);
    // The root has no parent: at `notset` it lets everything through, as Python's does.
    w.logger
        .apply(&config(r#"{"loggers": {"": {"level": "notset"}}}"#))
        .unwrap();
    assert_eq!(w.logger.effective_level("other"), Level::Trace);
    assert_eq!(w.logger.effective_level("myapp"), Level::Warn);
}

#[test]
fn level_source_names_baseline_config_or_the_ancestor() {
    let w = world(
        r#"{"loggers": {"": {"level": "info", "handlers": ["console"]},
                        "myapp": {"level": "warn", "handlers": ["file"]},
                        "myapp::db": {"handlers": ["mail"]}}}"#,
    );
    let source = |target: &str| w.logger.logger_view(target).source;
    assert_eq!(source(""), LevelSource::Baseline);
    assert_eq!(source("myapp"), LevelSource::Baseline);
    let from_myapp = LevelSource::Parent {
        ancestor: "myapp".into(),
        set_by: LevelOrigin::Baseline,
    };
    assert_eq!(source("myapp::db"), from_myapp, "configured, with no level");
    assert_eq!(source("myapp::db::pool"), from_myapp, "not configured");
    assert_eq!(source("myapp::web"), from_myapp);
    assert_eq!(
        source("other"),
        LevelSource::Parent {
            ancestor: String::new(),
            set_by: LevelOrigin::Baseline
        }
    );
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp": {"level": "notset"}, "myapp::db": {"level": "debug"}, "": {"level": "error"}}}"#,
        ))
        .unwrap();
    assert_eq!(source("myapp::db"), LevelSource::Config);
    assert_eq!(
        source("myapp::db::pool"),
        LevelSource::Parent {
            ancestor: "myapp::db".into(),
            set_by: LevelOrigin::Config
        }
    );
    let view = w.logger.logger_view("myapp");
    assert_eq!(view.configured_level, Some(LoggerLevel::Inherit));
    assert_eq!(view.level, Level::Error);
    assert_eq!(
        view.source,
        LevelSource::Parent {
            ancestor: String::new(),
            set_by: LevelOrigin::Config
        }
    );
    assert_eq!(view.source.to_string(), "inherited from root (config)");
    assert_eq!(
        serde_json::to_value(&view.source).unwrap(),
        serde_json::json!({"by": "parent", "ancestor": "", "set_by": "config"})
    );
    // The preview says where the level came from before and after.
    let preview = w
        .logger
        .preview_from_baseline(&config(r#"{"loggers": {"myapp::db": {"level": "trace"}}}"#))
        .unwrap();
    let change = &preview.loggers[0];
    assert_eq!(change.name, "myapp::db");
    assert_eq!(change.before.source, from_myapp);
    assert_eq!(change.after.source, LevelSource::Config);
    // No root level anywhere: Python's default.
    let bare = world(r#"{"loggers": {"": {"handlers": ["console"]}}}"#);
    assert_eq!(bare.logger.logger_view("").source, LevelSource::Default);
    assert_eq!(
        bare.logger.logger_view("x").source,
        LevelSource::Parent {
            ancestor: String::new(),
            set_by: LevelOrigin::Default
        }
    );
}

#[test]
fn a_root_filter_keeps_dropping_a_childs_records_while_a_config_raises_the_child() {
    let w = world(
        r#"{"loggers": {"": {"level": "info", "handlers": ["console"], "filters": ["polite"]},
                        "myapp": {"level": "warn", "handlers": ["file"], "filters": ["no_static"]}}}"#,
    );
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp::work": {"level": "debug", "handlers": ["mail"], "filters": []}}}"#,
        ))
        .unwrap();
    for message in ["damn secret", "GET /static/x", "fine"] {
        emit(&w.logger, log::Level::Debug, "myapp::work::job", message);
    }
    assert_eq!(w.mail.messages(), ["fine"]);
    assert_eq!(w.file.messages(), ["fine"]);
    assert_eq!(w.console.messages(), ["fine"]);
    let view = w.logger.logger_view("myapp::work::job");
    assert_eq!(view.filters, ["no_static", "polite"]);
    // The config's own list stays its own: an empty list, not its ancestors'.
    assert_eq!(
        w.logger.current_config().loggers["myapp::work"].filters,
        Some(vec![])
    );
    // A logger that does not propagate still passes its ancestors' filters.
    w.logger
        .apply(&config(
            r#"{"loggers": {"myapp::work": {"level": "debug", "handlers": ["mail"], "propagate": false}}}"#,
        ))
        .unwrap();
    emit(&w.logger, log::Level::Info, "myapp::work", "damn again");
    emit(&w.logger, log::Level::Info, "myapp::work", "fine again");
    assert_eq!(w.mail.messages(), ["fine", "fine again"]);
}

#[test]
fn ancestor_filters_are_listed_once_and_previewed() {
    let w = world(
        r#"{"loggers": {"": {"level": "info", "handlers": ["console"], "filters": ["polite"]},
                        "web": {"filters": ["no_static", "polite"]}}}"#,
    );
    assert_eq!(
        w.logger.logger_view("web::req").filters,
        ["no_static", "polite"]
    );
    let preview = w
        .logger
        .preview(&config(r#"{"loggers": {"": {"filters": []}}}"#))
        .unwrap();
    let changed: Vec<_> = preview.loggers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(changed, [""]);
    assert_eq!(preview.loggers[0].after.filters, Vec::<String>::new());
    emit(&w.logger, log::Level::Info, "web::req", "damn");
    emit(&w.logger, log::Level::Info, "web::req", "GET /api");
    assert_eq!(w.console.messages(), ["GET /api"]);
}
