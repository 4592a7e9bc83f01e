//! Fan-out, Redis going away and coming back, killed subscriptions, garbage and heartbeats,
//! against real `redis-server` processes.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{RedisServer, propagator};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::testing::fleet::{
    a_change_reaches_every_process, all_at, always, level_config, process, wait_until,
};
use dynlog_core::{Level, MemoryStore};
use dynlog_redis::{OnError, RedisPropagator};

#[test]
fn a_change_fans_out_to_every_subscriber() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&server)))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    a_change_reaches_every_process(&fleet);
}

#[test]
fn subscribers_converge_within_a_second_of_redis_coming_back() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&server)))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    server.kill();
    // Three changes while Redis is away: the announcements are lost.
    let config = fleet[0]
        .create_config("alice", &level_config("c1", "a", "debug"))
        .unwrap();
    fleet[0]
        .create_trigger("alice", &always("t1", config.id))
        .unwrap();
    let config2 = fleet[0]
        .create_config("alice", &level_config("c2", "b", "trace"))
        .unwrap();
    assert_eq!(
        fleet[0].logger().effective_level("a"),
        Level::Debug,
        "the writer reloads itself"
    );
    server.restart();
    let _ = config2;
    let took = wait_until(Duration::from_secs(3), "all three to converge", || {
        all_at(&fleet, "a", Level::Debug)
    });
    assert!(
        took < Duration::from_secs(1),
        "converged {took:?} after the restart"
    );
    let revision = store.revision().unwrap();
    wait_until(Duration::from_secs(1), "every revision to match", || {
        fleet.iter().all(|c| c.status().revision == revision)
    });
}

#[test]
fn a_killed_subscription_resubscribes_and_resyncs() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let listener = process(store.clone(), propagator(&server));
    std::thread::sleep(Duration::from_millis(200));
    // A change written to the store without an announcement: only a resync can find it.
    let config = store
        .create_config("elsewhere", &level_config("quiet", "a", "debug"))
        .unwrap();
    store
        .create_trigger("elsewhere", &always("t", config.value.id))
        .unwrap();
    assert_eq!(listener.logger().effective_level("a"), Level::Info);
    server.command(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    wait_until(Duration::from_secs(2), "the resync", || {
        listener.logger().effective_level("a") == Level::Debug
    });
}

#[test]
fn garbage_on_the_channel_is_ignored() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let listener = process(store.clone(), propagator(&server));
    std::thread::sleep(Duration::from_millis(200));
    let generation = listener.logger().generation();
    for garbage in ["not json", "{\"revision\": \"x\"}", "", "\u{0}\u{1}"] {
        server.command(&["PUBLISH", "dynlog-test", garbage]);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(listener.logger().generation(), generation);
    // Still listening: a real announcement from another process works.
    let writer = process(store.clone(), propagator(&server));
    let config = writer
        .create_config("bob", &level_config("c", "a", "warn"))
        .unwrap();
    writer
        .create_trigger("bob", &always("t", config.id))
        .unwrap();
    wait_until(Duration::from_secs(2), "the real change", || {
        listener.logger().effective_level("a") == Level::Warn
    });
}

#[test]
fn heartbeats_list_the_live_fleet_and_expire() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&server)))
        .collect();
    wait_until(Duration::from_secs(2), "three heartbeats", || {
        fleet[0].fleet().unwrap().len() == 3
    });
    assert!(
        fleet[0]
            .fleet()
            .unwrap()
            .iter()
            .all(|s| s.pid == std::process::id())
    );

    // A graceful stop removes the heartbeat at once.
    let stopped = fleet[2].status().instance_id;
    fleet[2].stop();
    assert!(
        fleet[0]
            .fleet()
            .unwrap()
            .iter()
            .all(|s| s.instance_id != stopped)
    );

    // A process that dies cannot say goodbye: its last heartbeat expires on its own.
    let crashed = propagator(&server).heartbeat_ttl(Duration::from_millis(300));
    let mut last_words = fleet[1].instance_status();
    last_words.instance_id = "crashed-instance".into();
    dynlog_core::propagate::Propagator::report(&crashed, &last_words).unwrap();
    assert!(
        fleet[0]
            .fleet()
            .unwrap()
            .iter()
            .any(|s| s.instance_id == "crashed-instance")
    );
    wait_until(
        Duration::from_secs(2),
        "the crashed instance to expire",
        || {
            fleet[0]
                .fleet()
                .unwrap()
                .iter()
                .all(|s| s.instance_id != "crashed-instance")
        },
    );
    assert_eq!(fleet[0].fleet().unwrap().len(), 2);
}

#[test]
fn redis_down_at_startup_continues_or_fails_as_asked() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    server.kill();
    let store = Arc::new(MemoryStore::new());
    let failing = dynlog_core::Controller::builder_arc(
        dynlog_core::DynamicLogger::builder().build().unwrap(),
        store.clone(),
    )
    .propagator(
        RedisPropagator::new(&url, "dynlog-test")
            .unwrap()
            .on_error(OnError::Fail),
    )
    .start();
    assert!(
        matches!(failing, Err(dynlog_core::Error::Propagation { .. })),
        "{failing:?}"
    );

    let patient = process(
        store.clone(),
        RedisPropagator::new(&url, "dynlog-test").unwrap(),
    );
    let config = store
        .create_config("elsewhere", &level_config("c", "a", "debug"))
        .unwrap();
    store
        .create_trigger("elsewhere", &always("t", config.value.id))
        .unwrap();
    server.restart();
    wait_until(
        Duration::from_secs(7),
        "catching up once Redis is back",
        || patient.logger().effective_level("a") == Level::Debug,
    );
}
