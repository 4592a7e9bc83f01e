//! Query logging under dynlog's own logger follows the config: on when a config puts `diesel` at
//! debug, off when it is replaced by the baseline. In its own test binary, since it installs the
//! global logger.
#![allow(clippy::unwrap_used)]

use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{DynamicLogger, Level, LoggingConfig, MemoryHandler, NewConfig};
use dynlog_diesel::{DieselStore, QUERY_TARGET, log_queries};

#[test]
fn queries_are_logged_only_while_diesel_is_at_debug() {
    let memory = MemoryHandler::new(1000);
    let logger = DynamicLogger::builder()
        .handler("memory", memory.clone())
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}, "diesel": {"level": "warn"}}}"#)
        .unwrap()
        .build()
        .unwrap();
    logger.install().unwrap();
    log_queries().unwrap();
    let store = DieselStore::open(":memory:").unwrap();
    let queries = || {
        memory
            .snapshot()
            .into_iter()
            .filter(|r| r.target == QUERY_TARGET)
            .collect::<Vec<_>>()
    };

    store.configs().unwrap();
    assert!(queries().is_empty(), "diesel at warn logs no queries");

    logger
        .apply(&LoggingConfig::from_json(r#"{"loggers": {"diesel": {"level": "debug"}}}"#).unwrap())
        .unwrap();
    let body = LoggingConfig::from_json(r#"{"loggers": {"a": {"level": "debug"}}}"#).unwrap();
    store
        .create_config(
            "alice",
            &NewConfig {
                name: "x".into(),
                body: body.clone(),
            },
        )
        .unwrap();
    let logged = queries();
    assert!(
        logged
            .iter()
            .any(|r| r.message.contains("INSERT INTO") && r.message.contains("binds")),
        "{logged:?}"
    );
    assert!(logged.iter().all(|r| r.level == Level::Debug));

    logger.apply_baseline().unwrap();
    memory.clear();
    store.configs().unwrap();
    assert!(queries().is_empty(), "the end of the window turns it off");

    // A failed query is a warning whatever the level.
    let y = store
        .create_config(
            "alice",
            &NewConfig {
                name: "y".into(),
                body: body.clone(),
            },
        )
        .unwrap();
    store
        .update_config(
            "alice",
            y.value.id,
            y.value.version,
            &NewConfig {
                name: "x".into(),
                body,
            },
        )
        .unwrap_err();
    let failed = queries();
    assert!(
        failed
            .iter()
            .any(|r| r.level == Level::Warn && r.message.contains("query failed")),
        "{failed:?}"
    );
}
