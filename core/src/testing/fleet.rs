//! A fleet simulated in one test process: each "process" a logger and a controller of its own on
//! a shared store, the configs and triggers the fleet tests of every propagator write, and the
//! waits they make.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::controller::Controller;
use crate::handler::MemoryHandler;
use crate::level::Level;
use crate::logger::DynamicLogger;
use crate::model::{ConfigId, LoggingConfig, NewConfig, NewTrigger};
use crate::propagate::Propagator;
use crate::store::Store;

/// One simulated process: a logger whose root is at info on a memory handler, and a controller
/// on `store` with `propagator`, reporting a heartbeat every 200 ms. Panics if it cannot start.
pub fn process(store: Arc<dyn Store>, propagator: impl Propagator) -> Controller {
    let logger = DynamicLogger::builder()
        .handler("memory", MemoryHandler::new(10))
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .and_then(|b| b.build())
        .expect("a simulated process's logger");
    Controller::builder_arc(logger, store)
        .propagator(propagator)
        .heartbeat(Duration::from_millis(200))
        .start()
        .expect("a simulated process's controller")
}

/// Waits until `done`, looking every 5 ms; panics naming `what` after `within`. Returns how long
/// it took.
pub fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < within,
            "timed out after {within:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    started.elapsed()
}

/// Whether every controller's logger has `target` at `level`.
pub fn all_at(controllers: &[Controller], target: &str, level: Level) -> bool {
    controllers
        .iter()
        .all(|c| c.logger().effective_level(target) == level)
}

/// A config named `name` that sets `target` at `level` (`"debug"`, `"warn"`...).
pub fn level_config(name: &str, target: &str, level: &str) -> NewConfig {
    NewConfig {
        name: name.into(),
        body: LoggingConfig::from_json(&format!(
            r#"{{"loggers": {{"{target}": {{"level": "{level}"}}}}}}"#
        ))
        .expect("a target and a level make a valid config"),
    }
}

/// A trigger named `name` whose window is always open.
pub fn always(name: &str, config_id: ConfigId) -> NewTrigger {
    NewTrigger {
        name: name.into(),
        config_id,
        start: None,
        end: None,
        is_active: true,
    }
}

/// The first process of `fleet` puts `a` at debug with a window open from now; every process
/// applies it within a second (checked until 2 s, so a slow one says how slow) and runs that
/// config.
pub fn a_change_reaches_every_process(fleet: &[Controller]) {
    let writer = &fleet[0];
    let config = writer
        .create_config("alice", &level_config("debug a", "a", "debug"))
        .expect("the config is written");
    writer
        .create_trigger("alice", &always("now", config.id))
        .expect("the trigger is written");
    let took = wait_until(Duration::from_secs(2), "every process to apply", || {
        all_at(fleet, "a", Level::Debug)
    });
    assert!(took < Duration::from_secs(1), "took {took:?}");
    for controller in fleet {
        let current = controller.status().current.map(|c| c.config.name);
        assert_eq!(current.as_deref(), Some("debug a"));
    }
}
