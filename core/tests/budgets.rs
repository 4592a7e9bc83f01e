//! Budgets: a handler override's `max_per_second` bounds what the handler writes; the rest is
//! dropped, counted in the handler's stats, and reported in one line a second.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use dynlog_core::{DynamicLogger, Error, LoggingConfig, MemoryHandler};
use log::Log;

fn logger(memory: &MemoryHandler) -> DynamicLogger {
    DynamicLogger::builder()
        .handler("memory", memory.clone())
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .unwrap()
        .build()
        .unwrap()
}

fn info(logger: &DynamicLogger, message: &str) {
    logger.log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("myapp")
            .args(format_args!("{message}"))
            .build(),
    );
}

/// The records written and the drops the report lines add up to.
fn written_and_reported(memory: &MemoryHandler) -> (u64, u64) {
    let (mut written, mut reported) = (0, 0);
    for message in memory.messages() {
        match message.strip_prefix("handler \"memory\" dropped ") {
            Some(rest) => reported += rest.split(' ').next().unwrap().parse::<u64>().unwrap(),
            None => written += 1,
        }
    }
    (written, reported)
}

#[test]
fn over_its_budget_a_handler_drops_counts_and_says_so_once_a_second() {
    let memory = MemoryHandler::new(10_000);
    let logger = logger(&memory);
    logger
        .apply(
            &LoggingConfig::from_json(r#"{"handlers": {"memory": {"max_per_second": 50}}}"#)
                .unwrap(),
        )
        .unwrap();
    for i in 0..500 {
        info(&logger, &format!("r{i}"));
    }
    // The burst may straddle the turn of a window: at most two windows' worth pass.
    let (written, _) = written_and_reported(&memory);
    assert!((50..=100).contains(&written), "{written}");
    let stats = &logger.handler_stats()[0];
    assert_eq!(stats.name, "memory");
    assert_eq!(stats.max_per_second, Some(50));
    assert_eq!(stats.dropped, 500 - written);
    std::thread::sleep(Duration::from_millis(1100));
    info(&logger, "after");
    let messages = memory.messages();
    let report = &messages[messages.len() - 2];
    assert!(
        report.starts_with("handler \"memory\" dropped ")
            && report.ends_with(" records over its budget of 50 a second"),
        "{report}"
    );
    assert_eq!(messages.last().unwrap(), "after");
    assert_eq!(
        memory.snapshot()[messages.len() - 2].target,
        "dynlog",
        "the report is the logger's own"
    );
    let (written, reported) = written_and_reported(&memory);
    assert_eq!(reported, stats.dropped, "every drop reported");
    assert_eq!(written, 501 - reported);
    // Without the budget nothing is dropped.
    logger.apply_baseline().unwrap();
    for i in 0..500 {
        info(&logger, &format!("free{i}"));
    }
    assert_eq!(logger.handler_stats()[0].dropped, stats.dropped);
    assert_eq!(logger.handler_stats()[0].max_per_second, None);
}

#[test]
fn a_flush_reports_the_drops_not_yet_reported() {
    let memory = MemoryHandler::new(10_000);
    let logger = logger(&memory);
    logger
        .apply(
            &LoggingConfig::from_json(r#"{"handlers": {"memory": {"max_per_second": 1}}}"#)
                .unwrap(),
        )
        .unwrap();
    for _ in 0..4 {
        info(&logger, "x");
    }
    logger.flush();
    let messages = memory.messages();
    assert!(
        messages
            .last()
            .unwrap()
            .ends_with(" over its budget of 1 a second"),
        "{messages:?}"
    );
    let (written, reported) = written_and_reported(&memory);
    assert_eq!(written + reported, 4);
    assert_eq!(reported, logger.handler_stats()[0].dropped);
    logger.flush();
    assert_eq!(memory.messages().len(), messages.len(), "reported once");
}

#[test]
fn four_threads_over_a_budget_never_pass_more_than_it() {
    let memory = MemoryHandler::new(100_000);
    let logger = logger(&memory);
    logger
        .apply(
            &LoggingConfig::from_json(r#"{"handlers": {"memory": {"max_per_second": 1000}}}"#)
                .unwrap(),
        )
        .unwrap();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..4 {
            let logger = &logger;
            s.spawn(move || {
                for i in 0..20_000 {
                    info(logger, &format!("t{t} r{i}"));
                }
            });
        }
    });
    // Every window passes at most 1000; the burst spans at most this many windows (plus the
    // one it started in).
    let windows = start.elapsed().as_secs() + 2;
    let (written, _) = written_and_reported(&memory);
    let dropped = logger.handler_stats()[0].dropped;
    assert!(written <= 1000 * windows, "{written} in {windows} windows");
    assert_eq!(written + dropped, 80_000, "every record passed or counted");
}

#[test]
fn a_bad_budget_is_a_field_error_and_nothing_is_applied() {
    let memory = MemoryHandler::new(10);
    let logger = logger(&memory);
    for bad in [
        "0", "-1", "1.5", "\"100\"", "10000001", "1e+30", "true", "[1]",
    ] {
        let json = format!(r#"{{"handlers": {{"memory": {{"max_per_second": {bad}}}}}}}"#);
        let err = LoggingConfig::from_json(&json).unwrap_err();
        assert!(matches!(err, Error::WrongType { .. }), "{bad}: {err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "handler \"memory\" field \"max_per_second\" must be a whole number of records \
                 a second from 1 to 10000000, not {bad}"
            )
        );
    }
    // Built in code, the same value is refused when applied, and the config stays.
    let mut config = LoggingConfig::default();
    config.handlers.insert(
        "memory".into(),
        dynlog_core::model::HandlerOverride {
            max_per_second: Some(0),
            ..Default::default()
        },
    );
    let generation = logger.generation();
    assert!(logger.apply(&config).is_err());
    assert_eq!(logger.generation(), generation);
    // From a form: blank is none, the rest as in JSON.
    use dynlog_core::model::HandlerOverride;
    assert_eq!(
        HandlerOverride::parse_max_per_second("memory", " ").unwrap(),
        None
    );
    assert_eq!(
        HandlerOverride::parse_max_per_second("memory", "25").unwrap(),
        Some(25)
    );
    let err = HandlerOverride::parse_max_per_second("memory", "lots").unwrap_err();
    assert!(err.to_string().ends_with("not \"lots\""), "{err}");
    assert_eq!(
        dynlog_core::model::MAX_PER_SECOND.to_string(),
        "10000000",
        "the message names the same maximum"
    );
}

#[test]
fn a_budget_round_trips_and_overlays() {
    let base =
        LoggingConfig::from_json(r#"{"handlers": {"memory": {"max_per_second": 10}}}"#).unwrap();
    let over = LoggingConfig::from_json(r#"{"handlers": {"memory": {"level": "warn"}}}"#).unwrap();
    let merged = base.overlay(&over);
    assert_eq!(merged.handlers["memory"].max_per_second, Some(10));
    let json = merged.to_json_pretty();
    assert!(json.contains("\"max_per_second\": 10"), "{json}");
    assert_eq!(LoggingConfig::from_json(&json).unwrap(), merged);
    let memory = MemoryHandler::new(10);
    let logger = logger(&memory);
    logger.apply(&merged).unwrap();
    assert_eq!(
        logger.current_config().handlers["memory"].max_per_second,
        Some(10)
    );
}
