//! Fan-out, carried snapshots and their fallbacks, the broker killed and started again, changes
//! made while it is away, garbage on the exchange and the fleet view, against real RabbitMQ: the
//! shared one, or a node of the test's own where the test stops it.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Broker, counted_process, propagator, shared_broker, unique};
use dynlog_amqp::{AmqpPropagator, MAX_CARRIED, OnError};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::testing::CountingStore;
use dynlog_core::testing::fleet::{
    a_change_reaches_every_process, all_at, always, level_config, process, wait_until,
};
use dynlog_core::{Controller, Level, LoggingConfig, MemoryStore, NewConfig};

/// A config whose body alone is larger than an announcement may carry.
fn oversized_config(name: &str) -> NewConfig {
    let loggers: Vec<String> = (0..400)
        .map(|i| format!(r#""big::{}{i}": {{"level": "debug"}}"#, "x".repeat(150)))
        .collect();
    let body = format!(
        r#"{{"loggers": {{"a": {{"level": "warn"}}, {}}}}}"#,
        loggers.join(", ")
    );
    assert!(body.len() > MAX_CARRIED, "{} bytes", body.len());
    NewConfig {
        name: name.into(),
        body: LoggingConfig::from_json(&body).unwrap(),
    }
}

/// Waits until every controller runs the store's revision.
fn converged(store: &MemoryStore, fleet: &[&Controller]) {
    let revision = store.revision().unwrap();
    wait_until(Duration::from_secs(5), "every revision to match", || {
        fleet.iter().all(|c| c.status().revision == revision)
    });
}

/// Waits until `counted` has read no snapshot for 300 ms (the reloads of a start are over);
/// returns how many it read.
fn settled(counted: &CountingStore) -> u64 {
    let mut last = counted.snapshots();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = counted.snapshots();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// A writer and a follower, each with its own propagator made by `make`, following a first
/// change; then the writer changes the config to `change`. Returns how many snapshots the
/// follower read from the store to apply that change.
fn follower_reads(make: impl Fn() -> AmqpPropagator, change: NewConfig) -> u64 {
    let store = Arc::new(MemoryStore::new());
    let (writer, _) = counted_process(&store, make());
    let (follower, reads) = counted_process(&store, make());
    let config = writer
        .create_config("alice", &level_config("c", "a", "debug"))
        .unwrap();
    writer
        .create_trigger("alice", &always("now", config.id))
        .unwrap();
    converged(&store, &[&writer, &follower]);
    let before = settled(&reads);
    writer
        .update_config("alice", config.id, config.version, &change)
        .unwrap();
    converged(&store, &[&writer, &follower]);
    assert_eq!(follower.logger().effective_level("a"), Level::Warn);
    settled(&reads) - before
}

#[test]
fn a_carried_snapshot_is_applied_without_reading_the_store() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-carried");
    let reads = follower_reads(
        || propagator(&url, &exchange),
        level_config("c", "a", "warn"),
    );
    assert_eq!(reads, 0, "the follower read the store");
}

#[test]
fn a_snapshot_too_large_to_carry_rings_the_doorbell() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-oversized");
    let reads = follower_reads(|| propagator(&url, &exchange), oversized_config("c"));
    assert_eq!(reads, 1, "the follower should read the store once");
}

#[test]
fn with_carrying_off_every_change_is_read_from_the_store() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-doorbell");
    let reads = follower_reads(
        || propagator(&url, &exchange).carry_snapshots(false),
        level_config("c", "a", "warn"),
    );
    assert_eq!(reads, 1, "the follower should read the store once");
}

#[test]
fn a_change_fans_out_to_every_subscriber() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-fanout");
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&url, &exchange)))
        .collect();
    a_change_reaches_every_process(&fleet);
}

#[test]
fn every_instance_converges_after_the_broker_is_killed_and_comes_back() {
    let Some(mut broker) = Broker::start() else {
        return;
    };
    let exchange = unique("dynlog-restart");
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&broker.url(), &exchange)))
        .collect();
    broker.kill();
    // Three changes while the broker is away: the announcements are lost.
    let config = fleet[0]
        .create_config("alice", &level_config("c1", "a", "debug"))
        .unwrap();
    fleet[0]
        .create_trigger("alice", &always("t1", config.id))
        .unwrap();
    fleet[0]
        .create_config("alice", &level_config("c2", "b", "trace"))
        .unwrap();
    assert_eq!(
        fleet[0].logger().effective_level("a"),
        Level::Debug,
        "the writer reloads itself"
    );
    assert_eq!(fleet[1].logger().effective_level("a"), Level::Info);
    broker.restart();
    // The listeners retry with a backoff of at most 5 s, then reload.
    let took = wait_until(Duration::from_secs(15), "all three to converge", || {
        all_at(&fleet, "a", Level::Debug)
    });
    assert!(
        took < Duration::from_secs(7),
        "converged {took:?} after the restart"
    );
    let revision = store.revision().unwrap();
    wait_until(Duration::from_secs(2), "every revision to match", || {
        fleet.iter().all(|c| c.status().revision == revision)
    });
    // And a change made now reaches everyone: by the doorbell, or, for an instance that has
    // converged from the store before its queue was back, by the reload its reconnect makes
    // (backoff at most 5 s).
    fleet[2]
        .create_config("bob", &level_config("c3", "z", "warn"))
        .unwrap();
    let revision = store.revision().unwrap();
    wait_until(
        Duration::from_secs(12),
        "the change after the restart",
        || fleet.iter().all(|c| c.status().revision == revision),
    );
}

#[test]
fn garbage_on_the_exchange_is_ignored() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-garbage");
    let store = Arc::new(MemoryStore::new());
    let (listener, reads) = counted_process(&store, propagator(&url, &exchange));
    let generation = listener.logger().generation();
    let before = settled(&reads);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use amqprs::channel::BasicPublishArguments;
        use amqprs::connection::{Connection, OpenConnectionArguments};
        let connection = Connection::open(&OpenConnectionArguments::new(
            "127.0.0.1",
            5672,
            "guest",
            "guest",
        ))
        .await
        .unwrap();
        let channel = connection.open_channel(None).await.unwrap();
        for garbage in [
            b"not json".to_vec(),
            br#"{"revision": "x", "origin": "o", "at": "2026-01-01T00:00:00Z"}"#.to_vec(),
            br#"{"type": "status", "status": 3}"#.to_vec(),
            Vec::new(),
            vec![0, 1, 255],
            // Too large to be read: taken as a doorbell, so one reload.
            vec![b'x'; MAX_CARRIED + 1],
        ] {
            channel
                .basic_publish(
                    amqprs::BasicProperties::default(),
                    garbage,
                    BasicPublishArguments::new(&exchange, ""),
                )
                .await
                .unwrap();
        }
        connection.close().await.unwrap();
    });
    assert_eq!(
        settled(&reads) - before,
        1,
        "one reload, for the oversized one"
    );
    assert_eq!(listener.logger().generation(), generation);
    // Still listening: a real announcement from another process works.
    let writer = process(store.clone(), propagator(&url, &exchange));
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
fn the_fleet_view_lists_every_instance_from_the_store() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-fleet-view");
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&url, &exchange)))
        .collect();
    let ids = |c: &Controller| -> Vec<String> {
        let mut ids: Vec<String> = c
            .fleet()
            .unwrap()
            .into_iter()
            .map(|s| s.instance_id)
            .collect();
        ids.sort();
        ids
    };
    let mut everyone: Vec<String> = fleet.iter().map(|c| c.status().instance_id).collect();
    everyone.sort();
    wait_until(
        Duration::from_secs(2),
        "every instance in every view",
        || fleet.iter().all(|c| ids(c) == everyone),
    );
    // The view shows what each runs: after a change, every instance at the new revision, once
    // its next heartbeat is in.
    fleet[0]
        .create_config("alice", &level_config("c", "a", "debug"))
        .unwrap();
    let revision = store.revision().unwrap();
    wait_until(
        Duration::from_secs(3),
        "the heartbeats of the change",
        || {
            fleet[2]
                .fleet()
                .unwrap()
                .iter()
                .all(|s| s.revision == revision)
        },
    );
    // One that stops leaves the view at once.
    let gone = fleet[1].status().instance_id;
    fleet[1].stop();
    assert!(!ids(&fleet[0]).contains(&gone));
    assert_eq!(ids(&fleet[2]).len(), 2);
}

#[test]
fn nothing_but_announcements_travels_on_the_exchange() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-quiet");
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), propagator(&url, &exchange)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A queue of our own on the exchange, for a second: five heartbeat periods of each of the
    // three, and one change.
    let heard = runtime.block_on(async {
        use amqprs::channel::{BasicGetArguments, QueueBindArguments, QueueDeclareArguments};
        use amqprs::connection::{Connection, OpenConnectionArguments};
        let connection = Connection::open(&OpenConnectionArguments::new(
            "127.0.0.1",
            5672,
            "guest",
            "guest",
        ))
        .await
        .unwrap();
        let channel = connection.open_channel(None).await.unwrap();
        let (queue, _, _) = channel
            .queue_declare(QueueDeclareArguments::exclusive_server_named())
            .await
            .unwrap()
            .unwrap();
        channel
            .queue_bind(QueueBindArguments::new(&queue, &exchange, ""))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        fleet[0]
            .create_config("alice", &level_config("c", "a", "debug"))
            .unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let mut heard = Vec::new();
        while let Some((_, _, body)) = channel
            .basic_get(BasicGetArguments::new(&queue).no_ack(true).finish())
            .await
            .unwrap()
        {
            heard.push(String::from_utf8_lossy(&body).into_owned());
        }
        connection.close().await.unwrap();
        heard
    });
    assert_eq!(heard.len(), 1, "{heard:?}");
    let announcement: dynlog_amqp::Announcement = serde_json::from_str(&heard[0]).unwrap();
    assert_eq!(announcement.revision, store.revision().unwrap());
    assert!(announcement.snapshot.is_some(), "carried");
}

#[test]
fn broker_down_at_startup_continues_or_fails_as_asked() {
    // Ports chosen, nothing started yet.
    let mut broker = Broker::new();
    let url = broker.url();
    let exchange = unique("dynlog-late");
    let store = Arc::new(MemoryStore::new());
    let failing = dynlog_core::Controller::builder_arc(
        dynlog_core::DynamicLogger::builder().build().unwrap(),
        store.clone(),
    )
    .propagator(
        AmqpPropagator::new(&url, &exchange)
            .unwrap()
            .on_error(OnError::Fail),
    )
    .start();
    assert!(
        matches!(failing, Err(dynlog_core::Error::Propagation { .. })),
        "{failing:?}"
    );

    let patient = process(store.clone(), AmqpPropagator::new(&url, &exchange).unwrap());
    let config = store
        .create_config("elsewhere", &level_config("c", "a", "debug"))
        .unwrap();
    store
        .create_trigger("elsewhere", &always("t", config.value.id))
        .unwrap();
    match broker.spawn() {
        Ok(()) => {}
        Err(e) if std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("rabbitmq-server is required (DYNLOG_REQUIRE_SERVICES=1): {e}")
        }
        Err(e) => {
            eprintln!("skipped: rabbitmq-server could not start ({e})");
            return;
        }
    }
    wait_until(
        Duration::from_secs(20),
        "catching up once the broker is up",
        || patient.logger().effective_level("a") == Level::Debug,
    );
    assert_eq!(patient.fleet().unwrap().len(), 1);
}
