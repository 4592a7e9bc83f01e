//! The fleet view from the store's heartbeats: processes on a propagator that carries no
//! heartbeats of its own (polling) see each other, marked behind until they report again.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dynlog_core::propagate::PollingPropagator;
use dynlog_core::store::StoreRead;
use dynlog_core::{Controller, DynamicLogger, Level, MemoryStore, NewConfig, NewTrigger};

fn process(store: &Arc<MemoryStore>) -> Controller {
    Controller::builder_arc(DynamicLogger::builder().build().unwrap(), store.clone())
        .propagator(PollingPropagator::new(Duration::from_millis(50)))
        .heartbeat(Duration::from_millis(100))
        .start()
        .unwrap()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn polling_processes_see_each_other_through_the_store() {
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3).map(|_| process(&store)).collect();
    wait_until("three heartbeats", || store.instances().unwrap().len() == 3);
    let ids: Vec<String> = fleet.iter().map(|c| c.status().instance_id).collect();
    let seen = fleet[1].fleet().unwrap();
    assert_eq!(seen[0].instance_id, ids[1], "itself first");
    for id in &ids {
        assert!(
            seen.iter().any(|i| &i.instance_id == id),
            "{id} in {seen:?}"
        );
    }

    // A change: the others apply it by polling, and report the revision at their next heartbeat.
    let config = fleet[0]
        .create_config("alice", &NewConfig::raising("debug a", "a", Level::Debug))
        .unwrap();
    fleet[0]
        .create_trigger(
            "alice",
            &NewTrigger {
                name: "now".into(),
                config_id: config.id,
                start: None,
                end: None,
                is_active: true,
            },
        )
        .unwrap();
    let revision = fleet[0].status().revision;
    wait_until("every heartbeat at the new revision", || {
        fleet[0]
            .fleet()
            .unwrap()
            .iter()
            .all(|i| i.revision == revision)
    });

    // A stopped process leaves the view at once.
    fleet[2].stop();
    let fleet_view = fleet[0].fleet().unwrap();
    assert_eq!(fleet_view.len(), 2, "{fleet_view:?}");
    assert!(fleet_view.iter().all(|i| i.instance_id != ids[2]));
    assert_eq!(store.instances().unwrap().len(), 2);
}

#[test]
fn a_failing_store_leaves_the_view_to_the_process_itself() {
    let store = Arc::new(MemoryStore::new());
    let controller = process(&store);
    wait_until("the heartbeat", || store.instances().unwrap().len() == 1);
    store.set_failing(true);
    // The propagator (polling) has no fleet of its own, so this instance still shows itself.
    let view = controller.fleet().unwrap();
    assert_eq!(view.len(), 1);
    store.set_failing(false);
}
