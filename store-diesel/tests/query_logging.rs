//! Query logging, seen by a plain `log::Log` that records what it is given: queries at debug
//! under `diesel::query` only while that target is enabled, failed queries at warn always.
//! In its own test binary, since it installs the global logger.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{LoggingConfig, NewConfig};
use dynlog_diesel::{DieselStore, QUERY_TARGET, log_queries};
use log::{Level, Log, Metadata, Record};

/// Keeps every record it lets through; `diesel` targets pass at debug only while `debug` is on.
struct Recorder {
    debug: AtomicBool,
    records: Mutex<Vec<(Level, String, String)>>,
}

impl Log for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Relaxed: the test flips it between queries on one thread.
        metadata.level() <= Level::Warn
            || (metadata.target().starts_with("diesel") && self.debug.load(Ordering::Relaxed))
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            self.records().push((
                record.level(),
                record.target().to_string(),
                record.args().to_string(),
            ));
        }
    }

    fn flush(&self) {}
}

impl Recorder {
    fn records(&self) -> MutexGuard<'_, Vec<(Level, String, String)>> {
        self.records.lock().unwrap()
    }

    /// Takes the records under the query target.
    fn take_queries(&self) -> Vec<(Level, String)> {
        std::mem::take(&mut *self.records())
            .into_iter()
            .filter(|(_, target, _)| target == QUERY_TARGET)
            .map(|(level, _, message)| (level, message))
            .collect()
    }
}

static RECORDER: Recorder = Recorder {
    debug: AtomicBool::new(false),
    records: Mutex::new(Vec::new()),
};

fn config(name: &str) -> NewConfig {
    NewConfig {
        name: name.into(),
        body: LoggingConfig::from_json(r#"{"loggers": {"a": {"level": "debug"}}}"#).unwrap(),
    }
}

#[test]
fn queries_are_logged_at_debug_only_while_the_target_is_enabled() {
    log::set_logger(&RECORDER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    log_queries().unwrap();
    let store = DieselStore::open(":memory:").unwrap();
    RECORDER.take_queries();

    store.configs().unwrap();
    assert_eq!(RECORDER.take_queries(), [], "the target is off");

    RECORDER.debug.store(true, Ordering::Relaxed);
    let created = store.create_config("alice", &config("x")).unwrap();
    let logged = RECORDER.take_queries();
    assert!(
        logged.iter().all(|(level, _)| *level == Level::Debug),
        "{logged:?}"
    );
    let insert = logged
        .iter()
        .map(|(_, message)| message)
        .find(|message| message.contains("INSERT INTO `dynlog_configs`"))
        .unwrap_or_else(|| panic!("no INSERT among {logged:?}"));
    // With its binds: the name and the actor as they were given.
    assert!(
        insert.contains("binds") && insert.contains(r#""x""#),
        "{insert}"
    );
    assert!(
        logged.iter().any(|(_, m)| m.contains(r#""alice""#)),
        "{logged:?}"
    );

    RECORDER.debug.store(false, Ordering::Relaxed);
    store.config(created.value.id).unwrap();
    assert_eq!(RECORDER.take_queries(), [], "off again");

    // A failed query is a warning even with the target off: a duplicate name.
    store.create_config("alice", &config("y")).unwrap();
    RECORDER.take_queries();
    store
        .update_config("alice", created.value.id, 1, &config("y"))
        .unwrap_err();
    let failed = RECORDER.take_queries();
    assert!(
        matches!(&failed[..], [(Level::Warn, message)]
            if message.contains("query failed") && message.contains("UNIQUE")),
        "{failed:?}"
    );
}
