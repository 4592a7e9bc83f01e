//! The controller is the one way in for changes: its business actions write in one
//! transaction, validate once, and announce the revision they committed.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Duration;
use dynlog_core::propagate::{Propagator, Reloader};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{
    Controller, DynamicLogger, Error, Level, MemoryHandler, MemoryStore, NewConfig, NewTrigger,
};

/// Remembers the last revision announced.
#[derive(Clone, Default)]
struct Announced(Arc<AtomicI64>);

impl Propagator for Announced {
    fn name(&self) -> &'static str {
        "test"
    }
    fn start(&self, _reloader: Reloader) -> dynlog_core::Result<()> {
        Ok(())
    }
    fn announce(&self, revision: i64) -> dynlog_core::Result<()> {
        self.0.store(revision, Ordering::SeqCst);
        Ok(())
    }
}

fn controller(store: &Arc<MemoryStore>, announced: &Announced) -> Controller {
    let logger = DynamicLogger::builder()
        .handler("console", MemoryHandler::new(10))
        .baseline_json(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}},
                "handlers": {"console": {"level": "info"}}}"#,
        )
        .unwrap()
        .build()
        .unwrap();
    Controller::builder(logger, Arc::clone(store))
        .propagator(announced.clone())
        .without_thread()
        .start()
        .unwrap()
}

#[test]
fn debugging_a_target_writes_its_config_and_trigger_together_and_applies_them() {
    let store = Arc::new(MemoryStore::new());
    let announced = Announced::default();
    let c = controller(&store, &announced);
    let (config, trigger) = c
        .debug_target("alice", "myapp::db", Duration::minutes(30))
        .unwrap();
    assert_eq!(trigger.config_id, config.id);
    assert_eq!(
        trigger.end.unwrap() - trigger.start.unwrap(),
        Duration::minutes(30)
    );
    assert!(
        config
            .name
            .starts_with("debug myapp::db for 30 min (alice, "),
        "{}",
        config.name
    );
    // The handler above debug is lowered with it, so the records reach it.
    assert_eq!(config.body.handlers["console"].level, Some(Level::Debug));
    assert_eq!(c.logger().effective_level("myapp::db::pool"), Level::Debug);
    assert_eq!(
        announced.0.load(Ordering::SeqCst),
        store.revision().unwrap(),
        "the revision the write committed was announced"
    );

    // A second one within the same second has the same name: refused whole, no orphan config.
    let configs = store.configs().unwrap().len();
    let revision = store.revision().unwrap();
    let err = c
        .debug_target("alice", "myapp::db", Duration::minutes(30))
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateName(_)), "{err}");
    assert_eq!(store.configs().unwrap().len(), configs);
    assert_eq!(store.triggers().unwrap().len(), 1);
    assert_eq!(store.revision().unwrap(), revision);

    for (target, minutes) in [("my app", 30), ("myapp", 0), ("myapp", 25 * 60)] {
        let err = c
            .debug_target("alice", target, Duration::minutes(minutes))
            .unwrap_err();
        assert!(err.is_input_error(), "{err}");
    }
    assert_eq!(
        store.revision().unwrap(),
        revision,
        "nothing invalid is written"
    );
}

#[test]
fn activating_a_trigger_needs_its_version_and_keeps_its_window() {
    let store = Arc::new(MemoryStore::new());
    let c = controller(&store, &Announced::default());
    let config = c
        .create_config("alice", &NewConfig::raising("c", "a", Level::Debug))
        .unwrap();
    let start = c.now();
    let t = c
        .create_trigger(
            "alice",
            &NewTrigger::lasting("t", config.id, start, Duration::hours(2)),
        )
        .unwrap();
    assert_eq!(c.logger().effective_level("a"), Level::Debug);
    let off = c
        .set_trigger_active("alice", t.id, t.version, false)
        .unwrap();
    assert!(!off.is_active);
    assert_eq!((off.start, off.end), (t.start, t.end));
    assert_eq!(c.logger().effective_level("a"), Level::Info);
    let stale = c
        .set_trigger_active("alice", t.id, t.version, true)
        .unwrap_err();
    assert!(matches!(stale, Error::Conflict { .. }), "{stale}");
    c.set_trigger_active("alice", t.id, off.version, true)
        .unwrap();
    assert_eq!(c.logger().effective_level("a"), Level::Debug);
}

#[test]
fn others_read_through_the_controller_and_writes_return_their_revision() {
    // What others get from the controller reads; the writes are not there to call.
    let store = Arc::new(MemoryStore::new());
    let c = controller(&store, &Announced::default());
    let view: &dyn StoreRead = c.store();
    assert!(view.configs().unwrap().is_empty());
    // The store itself still writes (for the controller), returning its revision.
    let written = store
        .create_config("setup", &NewConfig::raising("x", "a", Level::Warn))
        .unwrap();
    assert_eq!(written.revision, store.revision().unwrap());
}
