//! The controller on a real `MemoryStore`: schedules, reloads, failures, concurrency.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use dynlog_core::propagate::{NoopPropagator, PollingPropagator};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::testing::ManualClock;
use dynlog_core::testing::fleet::always;
use dynlog_core::{
    Controller, DynamicLogger, Level, LoggingConfig, MemoryHandler, MemoryStore, NewConfig,
    NewTrigger,
};
use log::{Log, Record};

fn emit(logger: &DynamicLogger, level: log::Level, target: &str, message: &str) {
    logger.log(
        &Record::builder()
            .level(level)
            .target(target)
            .args(format_args!("{message}"))
            .build(),
    );
}

fn logger(memory: &MemoryHandler) -> DynamicLogger {
    DynamicLogger::builder()
        .handler("memory", memory.clone())
        .handler("null", dynlog_core::handler::NullHandler)
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .unwrap()
        .build()
        .unwrap()
}

fn debug_import() -> NewConfig {
    NewConfig {
        name: "debug import".into(),
        body: LoggingConfig::from_json(r#"{"loggers": {"myapp::import": {"level": "debug"}}}"#)
            .unwrap(),
    }
}

fn hour(h: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(h)
}

#[test]
fn a_window_starts_and_rolls_back_on_its_own() {
    let memory = MemoryHandler::new(100);
    let clock = Arc::new(ManualClock::new(hour(0)));
    let controller = Controller::builder(logger(&memory), MemoryStore::new())
        .clock(clock.clone())
        .without_thread()
        .start()
        .unwrap();
    let config = controller.create_config("alice", &debug_import()).unwrap();
    let trigger = controller
        .create_trigger(
            "alice",
            &NewTrigger {
                name: "tonight".into(),
                config_id: config.id,
                start: Some(hour(22)),
                end: Some(hour(30)),
                is_active: true,
            },
        )
        .unwrap();
    let status = controller.status();
    assert!(status.current.is_none());
    let next = status.next.unwrap();
    assert_eq!(next.at, hour(22));
    assert_eq!(next.running.unwrap().trigger.id, trigger.id);
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Info
    );

    clock.set(hour(21));
    controller.tick().unwrap();
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Info
    );

    clock.set(hour(22));
    controller.tick().unwrap();
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Debug
    );
    let status = controller.status();
    assert_eq!(status.current.as_ref().unwrap().trigger.id, trigger.id);
    assert_eq!(status.current.unwrap().config.name, "debug import");
    assert_eq!(status.next.as_ref().unwrap().at, hour(30));
    assert!(status.next.unwrap().running.is_none());
    emit(
        controller.logger(),
        log::Level::Debug,
        "myapp::import",
        "nightly import row 1",
    );
    assert_eq!(memory.messages(), ["nightly import row 1"]);

    clock.set(hour(30));
    controller.tick().unwrap();
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Info
    );
    assert!(controller.status().current.is_none());
    assert!(controller.status().next.is_none());
}

#[test]
fn unchanged_configs_are_not_reapplied() {
    let memory = MemoryHandler::new(10);
    let controller = Controller::builder(logger(&memory), MemoryStore::new())
        .without_thread()
        .start()
        .unwrap();
    let generation = controller.logger().generation();
    controller.reload().unwrap();
    controller.reload().unwrap();
    assert_eq!(controller.logger().generation(), generation);
    let config = controller.create_config("a", &debug_import()).unwrap();
    assert_eq!(
        controller.logger().generation(),
        generation,
        "a config no trigger runs changes nothing"
    );
    controller
        .create_trigger("a", &always("now", config.id))
        .unwrap();
    assert_eq!(controller.logger().generation(), generation + 1);
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Debug
    );
}

#[test]
fn invalid_input_is_refused_before_the_store() {
    let memory = MemoryHandler::new(10);
    let store = Arc::new(MemoryStore::new());
    let controller = Controller::builder_arc(logger(&memory), store.clone())
        .without_thread()
        .start()
        .unwrap();
    let bad = NewConfig {
        name: "bad".into(),
        body: LoggingConfig::from_json(r#"{"loggers": {"a": {"handlers": ["fil"]}}}"#).unwrap(),
    };
    let err = controller.create_config("a", &bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"unknown handler "fil" in logger "a" (known: memory, null)"#
    );
    assert!(store.configs().unwrap().is_empty());
    assert_eq!(store.revision().unwrap(), 0);
}

#[test]
fn a_failing_store_keeps_the_config_and_recovers() {
    let memory = MemoryHandler::new(10);
    let store = Arc::new(MemoryStore::new());
    let controller = Controller::builder_arc(logger(&memory), store.clone())
        .without_thread()
        .start()
        .unwrap();
    let config = controller.create_config("a", &debug_import()).unwrap();
    controller
        .create_trigger("a", &always("on", config.id))
        .unwrap();
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Debug
    );

    store.set_failing(true);
    let err = controller.reload().unwrap_err();
    assert!(
        err.to_string().contains("memory store set to fail"),
        "{err}"
    );
    assert_eq!(
        controller.logger().effective_level("myapp::import"),
        Level::Debug,
        "last config kept"
    );
    let status = controller.status();
    assert!(
        status
            .last_error
            .unwrap()
            .contains("memory store set to fail")
    );
    assert!(status.current.is_some());

    store.set_failing(false);
    // The retry is due after the first backoff step.
    std::thread::sleep(Duration::from_millis(600));
    controller.tick().unwrap();
    assert!(controller.status().last_error.is_none());
}

#[test]
fn a_store_down_at_startup_runs_the_baseline() {
    let memory = MemoryHandler::new(10);
    let store = Arc::new(MemoryStore::new());
    store.set_failing(true);
    let controller = Controller::builder_arc(logger(&memory), store.clone())
        .without_thread()
        .start()
        .unwrap();
    assert_eq!(controller.logger().effective_level("x"), Level::Info);
    assert!(controller.status().last_error.is_some());
}

#[test]
fn a_config_this_build_cannot_run_falls_back_to_the_baseline() {
    let memory = MemoryHandler::new(10);
    let store = Arc::new(MemoryStore::new());
    // Written by a build that had a `mail` handler.
    let config = store
        .create_config(
            "old build",
            &NewConfig {
                name: "mail".into(),
                body: LoggingConfig::from_json(
                    r#"{"loggers": {"a": {"level": "debug", "handlers": ["mail"]}}}"#,
                )
                .unwrap(),
            },
        )
        .unwrap();
    store
        .create_trigger("old build", &always("t", config.value.id))
        .unwrap();
    let controller = Controller::builder_arc(logger(&memory), store)
        .without_thread()
        .start()
        .unwrap();
    assert_eq!(controller.logger().effective_level("a"), Level::Info);
    let status = controller.status();
    assert!(
        status
            .last_error
            .unwrap()
            .contains(r#"unknown handler "mail""#)
    );
    assert!(status.current.is_none());
}

#[test]
fn the_noop_propagator_does_not_reload_on_change_and_polling_does() {
    let memory = MemoryHandler::new(10);
    let store = Arc::new(MemoryStore::new());
    let frozen = Controller::builder_arc(logger(&memory), store.clone())
        .propagator(NoopPropagator)
        .without_thread()
        .start()
        .unwrap();
    let polling = Controller::builder_arc(logger(&memory), store.clone())
        .propagator(PollingPropagator::new(Duration::from_millis(50)))
        .start()
        .unwrap();
    let config = frozen.create_config("a", &debug_import()).unwrap();
    frozen.create_trigger("a", &always("t", config.id)).unwrap();
    assert_eq!(
        frozen.logger().effective_level("myapp::import"),
        Level::Info
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while polling.logger().effective_level("myapp::import") != Level::Debug {
        assert!(
            Instant::now() < deadline,
            "the polling controller never saw the change"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(polling.status().revision, store.revision().unwrap());
    polling.stop();
}

#[test]
fn a_real_window_within_a_second() {
    let memory = MemoryHandler::new(100);
    let store = Arc::new(MemoryStore::new());
    let controller = Controller::builder_arc(logger(&memory), store.clone())
        .start()
        .unwrap();
    let config = controller.create_config("a", &debug_import()).unwrap();
    // Let the scheduler fall asleep on its heartbeat deadline first: the trigger made on this
    // thread must wake it to re-arm for the window.
    std::thread::sleep(Duration::from_millis(100));
    let before = controller.status().applied_at;
    let start = Utc::now() + chrono::Duration::milliseconds(300);
    let end = start + chrono::Duration::milliseconds(400);
    controller
        .create_trigger(
            "a",
            &NewTrigger {
                name: "blink".into(),
                config_id: config.id,
                start: Some(start),
                end: Some(end),
                is_active: true,
            },
        )
        .unwrap();
    // Each transition is waited for (the level flips), then judged by when the controller
    // applied it: never before its instant, and soon after. The target is within 10 ms; the
    // bound leaves room for a loaded CI box without letting a missed wake-up (the next
    // heartbeat, seconds later) pass.
    let applied_once = |before: Option<chrono::DateTime<Utc>>,
                        level: Level,
                        instant: chrono::DateTime<Utc>,
                        what: &str| {
        // The status records the apply just after the logger takes it: wait for both.
        let deadline = Instant::now() + Duration::from_secs(5);
        let applied = loop {
            let applied = controller.status().applied_at;
            if applied != before && controller.logger().effective_level("myapp::import") == level {
                break applied.unwrap();
            }
            assert!(Instant::now() < deadline, "the {what} was never applied");
            std::thread::sleep(Duration::from_millis(1));
        };
        assert!(
            applied >= instant && applied < instant + chrono::Duration::milliseconds(250),
            "the {what} was applied at {applied}, its instant is {instant}"
        );
        applied
    };
    // Before the window the baseline runs (read only while the start is surely ahead: a
    // descheduled test thread may wake up past it).
    let level = controller.logger().effective_level("myapp::import");
    if Utc::now() < start - chrono::Duration::milliseconds(20) {
        assert_eq!(level, Level::Info);
    }
    let started = applied_once(before, Level::Debug, start, "start");
    applied_once(Some(started), Level::Info, end, "end");
    controller.stop();
}

/// Two threads log numbered records while a third swaps between two configs that route the
/// target to different pairs of handlers: every record must land in exactly one pair, whole.
#[test]
fn no_record_is_lost_duplicated_or_torn_during_applies() {
    let pair_a = (MemoryHandler::new(100_000), MemoryHandler::new(100_000));
    let pair_b = (MemoryHandler::new(100_000), MemoryHandler::new(100_000));
    let logger = DynamicLogger::builder()
        .handler("a1", pair_a.0.clone())
        .handler("a2", pair_a.1.clone())
        .handler("b1", pair_b.0.clone())
        .handler("b2", pair_b.1.clone())
        .baseline_json(r#"{"loggers": {"work": {"level": "info", "handlers": ["a1", "a2"], "propagate": false}}}"#)
        .unwrap()
        .build()
        .unwrap();
    let to_b =
        LoggingConfig::from_json(r#"{"loggers": {"work": {"handlers": ["b1", "b2"]}}}"#).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let applier = {
        let (logger, done, to_b) = (logger.clone(), done.clone(), to_b.clone());
        std::thread::spawn(move || {
            let mut applies = 0;
            while !done.load(Ordering::Relaxed) {
                if applies % 2 == 0 {
                    logger.apply(&to_b)
                } else {
                    logger.apply_baseline()
                }
                .unwrap();
                applies += 1;
            }
            applies
        })
    };
    const PER_THREAD: usize = 20_000;
    let writers: Vec<_> = (0..2)
        .map(|t| {
            let logger = logger.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    emit(&logger, log::Level::Info, "work::job", &format!("{t}-{i}"));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let applies = applier.join().unwrap();
    assert!(applies > 10, "only {applies} applies raced the writers");

    let set = |h: &MemoryHandler| {
        h.messages()
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (a1, a2, b1, b2) = (
        set(&pair_a.0),
        set(&pair_a.1),
        set(&pair_b.0),
        set(&pair_b.1),
    );
    assert_eq!(a1, a2, "a record went to one handler of pair a only");
    assert_eq!(b1, b2, "a record went to one handler of pair b only");
    assert!(a1.is_disjoint(&b1), "a record went to both pairs");
    assert_eq!(a1.len() + b1.len(), 2 * PER_THREAD, "records were lost");
    let total: usize = [&pair_a.0, &pair_a.1, &pair_b.0, &pair_b.1]
        .iter()
        .map(|h| h.messages().len())
        .sum();
    assert_eq!(total, 4 * PER_THREAD, "records were duplicated");
    assert!(
        !a1.is_empty() && !b1.is_empty(),
        "the applies never overlapped the writers"
    );
}

/// A scoped window beside the running config: each applies to its own records, transitions at
/// every bound of either.
#[test]
fn scoped_windows_run_beside_the_winner() {
    use dynlog_core::context::{self, Tags};
    let memory = MemoryHandler::new(100);
    let clock = Arc::new(ManualClock::new(hour(0)));
    let controller = Controller::builder(logger(&memory), MemoryStore::new())
        .clock(clock.clone())
        .without_thread()
        .start()
        .unwrap();
    let running = controller
        .create_config(
            "alice",
            &NewConfig {
                name: "import to file".into(),
                body: LoggingConfig::from_json(
                    r#"{"loggers": {"myapp::import": {"level": "warn", "handlers": ["null"], "propagate": false}}}"#,
                )
                .unwrap(),
            },
        )
        .unwrap();
    let scoped = |name: &str, tenant: &str| {
        NewConfig {
        name: name.into(),
        body: LoggingConfig::from_json(&format!(
            r#"{{"scope": {{"tenant": ["{tenant}"]}}, "loggers": {{"myapp::import": {{"level": "debug"}}}}}}"#
        ))
        .unwrap(),
    }
    };
    let acme = controller
        .create_config("alice", &scoped("acme", "acme"))
        .unwrap();
    let globex = controller
        .create_config("alice", &scoped("globex", "globex"))
        .unwrap();
    let window = |name: &str, config_id, start, end| NewTrigger {
        name: name.into(),
        config_id,
        start: Some(hour(start)),
        end: Some(hour(end)),
        is_active: true,
    };
    controller
        .create_trigger("alice", &window("run", running.id, 0, 2))
        .unwrap();
    let acme_window = controller
        .create_trigger("alice", &window("acme", acme.id, 1, 3))
        .unwrap();
    let globex_window = controller
        .create_trigger("alice", &window("globex", globex.id, 1, 4))
        .unwrap();
    let status = controller.status();
    assert_eq!(status.current.unwrap().config.id, running.id);
    assert!(status.scoped.is_empty());
    assert_eq!(status.next.as_ref().unwrap().at, hour(1));
    let in_tenant = |tenant: &str, message: &str| {
        context::with(Tags::new([("tenant", tenant)]), || {
            emit(
                controller.logger(),
                log::Level::Debug,
                "myapp::import",
                message,
            )
        })
    };
    let mut changes = Vec::new();
    for h in 1..=4 {
        clock.set(hour(h));
        controller.tick().unwrap();
        let status = controller.status();
        changes.push((
            status.current.map(|r| r.config.name),
            status
                .scoped
                .iter()
                .map(|r| r.trigger.id)
                .collect::<Vec<_>>(),
        ));
        in_tenant("acme", &format!("acme at {h}"));
        in_tenant("globex", &format!("globex at {h}"));
        in_tenant("initech", &format!("initech at {h}"));
    }
    assert_eq!(
        changes,
        [
            (
                Some("import to file".to_string()),
                // Equal starts: the higher id first.
                vec![globex_window.id, acme_window.id]
            ),
            (None, vec![globex_window.id, acme_window.id]),
            (None, vec![globex_window.id]),
            (None, vec![]),
        ]
    );
    // At 1 the scoped config is laid over the running one: myapp::import at debug, its
    // handlers those of the running config (null), so nothing reaches memory.
    assert_eq!(
        memory.messages(),
        ["acme at 2", "globex at 2", "globex at 3"]
    );
    assert_eq!(controller.status().next, None);
}

#[test]
fn transition_observers_are_kept_by_key() {
    use dynlog_core::controller::{TransitionApplied, TransitionKind};
    use std::sync::Mutex;

    let memory = MemoryHandler::new(100);
    let clock = Arc::new(ManualClock::new(hour(0)));
    let controller = Controller::builder(logger(&memory), MemoryStore::new())
        .clock(clock.clone())
        .without_thread()
        .start()
        .unwrap();
    type Seen = Vec<(&'static str, TransitionKind, f64)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let observer = |name: &'static str| {
        let seen = Arc::clone(&seen);
        move |t: &TransitionApplied| seen.lock().unwrap().push((name, t.kind, t.late_seconds()))
    };
    // Registered again under its key (an admin built anew), an observer replaces the first.
    controller.on_transition("metrics", observer("first metrics"));
    controller.on_transition("other", observer("other"));
    controller.on_transition("metrics", observer("second metrics"));
    let config = controller.create_config("alice", &debug_import()).unwrap();
    controller
        .create_trigger(
            "alice",
            &NewTrigger {
                name: "tonight".into(),
                config_id: config.id,
                start: Some(hour(22)),
                end: Some(hour(23)),
                is_active: true,
            },
        )
        .unwrap();
    clock.set(hour(22) + chrono::Duration::milliseconds(1500));
    controller.tick().unwrap();
    clock.set(hour(23));
    controller.tick().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("second metrics", TransitionKind::Start, 1.5),
            ("other", TransitionKind::Start, 1.5),
            ("second metrics", TransitionKind::End, 0.0),
            ("other", TransitionKind::End, 0.0),
        ],
        "in the order first registered, the replaced one never called"
    );
}
