//! The controller is the one way in for changes: its business actions write in one
//! transaction, validate once, and announce the revision they committed.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Duration;
use dynlog_core::propagate::{Propagator, Reloader};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::testing::ManualClock;
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
    // A brief name; who and when are in the audit and the window.
    assert_eq!(config.name, "debug myapp::db");
    assert_eq!(trigger.name, "debug myapp::db");
    // The handler above debug is lowered with it, so the records reach it.
    assert_eq!(config.body.handlers["console"].level, Some(Level::Debug));
    assert_eq!(c.logger().effective_level("myapp::db::pool"), Level::Debug);
    assert_eq!(
        announced.0.load(Ordering::SeqCst),
        store.revision().unwrap(),
        "the revision the write committed was announced"
    );

    // A second one has the name with a short suffix: names stay unique.
    let (second, _) = c
        .debug_target("alice", "myapp::db", Duration::minutes(30))
        .unwrap();
    assert_eq!(second.name, "debug myapp::db (2)");
    let revision = store.revision().unwrap();

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

/// A controller on a clock moved by hand, at 2030-01-01 12:00.
fn controller_at(store: &Arc<MemoryStore>) -> (Controller, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        "2030-01-01T12:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
    ));
    let logger = DynamicLogger::builder()
        .handler("console", MemoryHandler::new(10))
        .baseline_json(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}},
                "handlers": {"console": {"level": "info"}}}"#,
        )
        .unwrap()
        .build()
        .unwrap();
    let c = Controller::builder(logger, Arc::clone(store))
        .clock(clock.clone())
        .without_thread()
        .start()
        .unwrap();
    (c, clock)
}

#[test]
fn debugging_at_trace_lowers_the_handlers_to_trace_and_refuses_quieter_levels() {
    let store = Arc::new(MemoryStore::new());
    let (c, _) = controller_at(&store);
    let (config, trigger) = c
        .debug_target_at("alice", "myapp::db", Level::Trace, Duration::minutes(15))
        .unwrap();
    assert_eq!(config.name, "trace myapp::db");
    assert_eq!(
        trigger.end.unwrap() - trigger.start.unwrap(),
        Duration::minutes(15)
    );
    assert_eq!(config.body.handlers["console"].level, Some(Level::Trace));
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Trace);
    // The root is named "root".
    let (root, _) = c
        .debug_target_at("alice", "", Level::Debug, Duration::hours(4))
        .unwrap();
    assert_eq!(root.name, "debug root");

    let revision = store.revision().unwrap();
    for level in [Level::Info, Level::Warn, Level::Error, Level::Off] {
        let err = c
            .debug_target_at("alice", "myapp::db", level, Duration::hours(1))
            .unwrap_err();
        assert!(
            matches!(err, Error::Invalid { field: "level", .. }),
            "{level}: {err}"
        );
    }
    assert_eq!(store.revision().unwrap(), revision, "nothing written");
}

#[test]
fn a_name_taken_by_another_config_gets_the_next_suffix() {
    let store = Arc::new(MemoryStore::new());
    let (c, _) = controller_at(&store);
    for name in ["debug myapp::db", "debug myapp::db (2)"] {
        c.create_config("bob", &NewConfig::raising(name, "x", Level::Debug))
            .unwrap();
    }
    let (config, _) = c
        .debug_target("alice", "myapp::db", Duration::hours(1))
        .unwrap();
    assert_eq!(config.name, "debug myapp::db (3)");
}

#[test]
fn stopping_a_running_trigger_ends_its_window_now_and_the_baseline_runs() {
    let store = Arc::new(MemoryStore::new());
    let (c, clock) = controller_at(&store);
    let (_, t) = c
        .debug_target("alice", "myapp::db", Duration::hours(1))
        .unwrap();
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Debug);
    clock.advance(Duration::minutes(10));
    let now = c.now();

    // A stale version is refused, and changes nothing.
    let revision = store.revision().unwrap();
    let stale = c.end_trigger_now("alice", t.id, t.version + 1).unwrap_err();
    assert!(matches!(stale, Error::Conflict { .. }), "{stale}");
    assert_eq!(store.revision().unwrap(), revision);

    let stopped = c.end_trigger_now("bob", t.id, t.version).unwrap();
    assert_eq!(stopped.end, Some(now));
    assert_eq!(stopped.start, t.start, "the start stays");
    assert!(stopped.is_active);
    assert_eq!(stopped.version, t.version + 1);
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Info);
    assert!(c.status().current.is_none(), "the baseline runs");
    let audit = store
        .audit(dynlog_core::store::AuditQuery::default())
        .unwrap();
    assert_eq!(audit[0].actor, "bob");

    // It is not running any more: stopping it again is refused.
    let err = c
        .end_trigger_now("alice", t.id, stopped.version)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "trigger",
                ..
            }
        ),
        "{err}"
    );
    // Nor is one that has not started, nor an inactive one.
    let config = c
        .create_config("alice", &NewConfig::raising("later", "a", Level::Debug))
        .unwrap();
    let later = c
        .create_trigger(
            "alice",
            &NewTrigger::lasting(
                "later",
                config.id,
                now + Duration::hours(1),
                Duration::hours(1),
            ),
        )
        .unwrap();
    let err = c
        .end_trigger_now("alice", later.id, later.version)
        .unwrap_err();
    assert!(err.is_input_error(), "{err}");
    let off = c
        .create_trigger(
            "alice",
            &NewTrigger {
                is_active: false,
                ..NewTrigger::lasting("off", config.id, now, Duration::hours(1))
            },
        )
        .unwrap();
    let err = c.end_trigger_now("alice", off.id, off.version).unwrap_err();
    assert!(err.is_input_error(), "{err}");
    let missing = c
        .end_trigger_now("alice", dynlog_core::model::TriggerId(999), 1)
        .unwrap_err();
    assert!(matches!(missing, Error::TriggerNotFound(_)), "{missing}");
}

#[test]
fn stopping_a_trigger_in_the_instant_it_started_deactivates_it() {
    let store = Arc::new(MemoryStore::new());
    let (c, _) = controller_at(&store);
    let (_, t) = c
        .debug_target("alice", "myapp::db", Duration::hours(1))
        .unwrap();
    let stopped = c.end_trigger_now("alice", t.id, t.version).unwrap();
    assert!(!stopped.is_active);
    assert_eq!((stopped.start, stopped.end), (t.start, t.end));
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Info);
}

#[test]
fn extending_a_trigger_moves_its_end_later() {
    let store = Arc::new(MemoryStore::new());
    let (c, clock) = controller_at(&store);
    let (_, t) = c
        .debug_target("alice", "myapp::db", Duration::hours(1))
        .unwrap();
    let end = t.end.unwrap();
    let longer = c
        .extend_trigger("alice", t.id, t.version, Duration::hours(1))
        .unwrap();
    assert_eq!(longer.end, Some(end + Duration::hours(1)));
    assert_eq!(longer.start, t.start);
    // Past the old end it still runs.
    clock.advance(Duration::minutes(90));
    c.tick().unwrap();
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Debug);

    // A stale version, a bad length: refused, nothing written.
    let revision = store.revision().unwrap();
    let stale = c
        .extend_trigger("alice", t.id, t.version, Duration::hours(1))
        .unwrap_err();
    assert!(matches!(stale, Error::Conflict { .. }), "{stale}");
    for by in [
        Duration::zero(),
        Duration::minutes(-30),
        Duration::hours(25),
    ] {
        let err = c
            .extend_trigger("alice", t.id, longer.version, by)
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "by", .. }), "{err}");
    }
    assert_eq!(store.revision().unwrap(), revision);

    // A window without an end has nothing to extend; one that has ended is refused too.
    let config = c
        .create_config("alice", &NewConfig::raising("open", "a", Level::Debug))
        .unwrap();
    let open = c
        .create_trigger(
            "alice",
            &NewTrigger {
                end: None,
                ..NewTrigger::lasting("open", config.id, c.now(), Duration::hours(1))
            },
        )
        .unwrap();
    let err = c
        .extend_trigger("alice", open.id, open.version, Duration::hours(1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "trigger",
                ..
            }
        ),
        "{err}"
    );
    clock.advance(Duration::hours(1));
    let err = c
        .extend_trigger("alice", t.id, longer.version, Duration::hours(1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Invalid {
                field: "trigger",
                ..
            }
        ),
        "{err}"
    );
}

/// A logger's own level wins over its parent's: debugging a target (or the root, as "Debug my
/// requests" does) raises the loggers configured below it at a quieter level too, lowers the
/// handlers they reach, and leaves alone a logger turned off, loggers elsewhere, and the
/// Spring-style level window, which sets its logger alone.
#[test]
fn debugging_a_target_raises_the_loggers_configured_below_it() {
    let store = Arc::new(MemoryStore::new());
    let logger = DynamicLogger::builder()
        .handler("console", MemoryHandler::new(10))
        .handler("file", MemoryHandler::new(10))
        .baseline_json(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]},
                            "myapp::db": {"level": "warn", "handlers": ["file"]},
                            "myapp::db::pool": {"level": "off"},
                            "myappx": {"level": "warn"},
                            "other": {"level": "error"}},
                "handlers": {"file": {"level": "warn"}}}"#,
        )
        .unwrap()
        .build()
        .unwrap();
    let c = Controller::builder(logger, Arc::clone(&store))
        .without_thread()
        .start()
        .unwrap();
    let (config, _) = c
        .debug_target("alice", "myapp", Duration::hours(1))
        .unwrap();
    let mut raised: Vec<&str> = config.body.loggers.keys().map(String::as_str).collect();
    raised.sort_unstable();
    assert_eq!(raised, ["myapp", "myapp::db"], "not myappx, not an off one");
    assert_eq!(config.body.handlers["file"].level, Some(Level::Debug));
    for (target, level) in [
        ("myapp::x", Level::Debug),
        ("myapp::db", Level::Debug),
        ("myapp::db::query", Level::Debug),
        ("myapp::db::pool", Level::Off),
        ("myappx", Level::Warn),
        ("other", Level::Error),
    ] {
        assert_eq!(c.logger().effective_level(target), level, "{target}");
    }

    // The root: every logger configured quieter, wherever it is.
    let (root, _) = c.debug_target("alice", "", Duration::hours(1)).unwrap();
    let mut raised: Vec<&str> = root.body.loggers.keys().map(String::as_str).collect();
    raised.sort_unstable();
    assert_eq!(raised, ["", "myapp::db", "myappx", "other"]);

    // The loggers endpoint's window sets its logger alone, as Spring's does.
    let (window, _) = c
        .set_level_window("alice", "myapp", Level::Debug, Some(Duration::hours(1)))
        .unwrap();
    assert_eq!(window.body.loggers.keys().collect::<Vec<_>>(), ["myapp"]);
}
