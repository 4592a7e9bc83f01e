//! Fan-out, the broker killed and started again, changes made while it is away, garbage on the
//! exchange and heartbeats, against real RabbitMQ: the shared one, or a node of the test's own
//! where the test stops it.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Broker, all_at, process, propagator, shared_broker, unique, wait_until};
use dynlog_amqp::{AmqpPropagator, OnError};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{Level, LoggingConfig, MemoryStore, NewConfig, NewTrigger};

fn level_config(name: &str, target: &str, level: &str) -> NewConfig {
    NewConfig {
        name: name.into(),
        body: LoggingConfig::from_json(&format!(
            r#"{{"loggers": {{"{target}": {{"level": "{level}"}}}}}}"#
        ))
        .unwrap(),
    }
}

fn always(name: &str, config_id: dynlog_core::model::ConfigId) -> NewTrigger {
    NewTrigger {
        name: name.into(),
        config_id,
        start: None,
        end: None,
        is_active: true,
    }
}

#[test]
fn a_change_fans_out_to_every_subscriber() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-fanout");
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(&store, propagator(&url, &exchange)))
        .collect();
    let config = fleet[0]
        .create_config("alice", &level_config("debug a", "a", "debug"))
        .unwrap();
    fleet[0]
        .create_trigger("alice", &always("now", config.id))
        .unwrap();
    let took = wait_until(Duration::from_secs(2), "all three to apply", || {
        all_at(&fleet, "a", Level::Debug)
    });
    assert!(took < Duration::from_secs(1), "took {took:?}");
    for controller in &fleet {
        assert_eq!(controller.status().current.unwrap().config.name, "debug a");
    }
}

#[test]
fn every_instance_converges_after_the_broker_is_killed_and_comes_back() {
    let Some(mut broker) = Broker::start() else {
        return;
    };
    let exchange = unique("dynlog-restart");
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(&store, propagator(&broker.url(), &exchange)))
        .collect();
    wait_until(Duration::from_secs(5), "three heartbeats", || {
        fleet[0].fleet().map(|f| f.len() == 3).unwrap_or(false)
    });
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
    wait_until(Duration::from_secs(5), "three heartbeats again", || {
        fleet[0].fleet().map(|f| f.len() == 3).unwrap_or(false)
    });
}

#[test]
fn garbage_on_the_exchange_is_ignored() {
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-garbage");
    let store = Arc::new(MemoryStore::new());
    let listener = process(&store, propagator(&url, &exchange));
    let generation = listener.logger().generation();
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
        let big = vec![b'x'; 100 * 1024];
        for garbage in [
            b"not json".to_vec(),
            br#"{"type": "change", "revision": "x"}"#.to_vec(),
            br#"{"type": "status", "status": 3}"#.to_vec(),
            Vec::new(),
            vec![0, 1, 255],
            big,
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
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(listener.logger().generation(), generation);
    // Still listening: a real announcement from another process works.
    let writer = process(&store, propagator(&url, &exchange));
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
    use dynlog_core::propagate::Propagator;
    let Some(url) = shared_broker() else {
        return;
    };
    let exchange = unique("dynlog-heartbeats");
    let store = Arc::new(MemoryStore::new());
    let controller = process(&store, propagator(&url, &exchange));
    let started = |id: &str| {
        let p = propagator(&url, &exchange);
        let (reloader, _probe) = dynlog_core::testing::propagator::reloader(id);
        p.start(reloader).unwrap();
        p
    };
    let (a, b) = (started("instance-a"), started("instance-b"));
    let status = |id: &str| {
        let mut status = controller.instance_status();
        status.instance_id = id.into();
        status
    };
    a.report(&status("instance-a")).unwrap();
    b.report(&status("instance-b")).unwrap();
    let ids = |p: &AmqpPropagator| -> Vec<String> {
        p.fleet()
            .unwrap()
            .into_iter()
            .map(|s| s.instance_id)
            .collect()
    };
    wait_until(
        Duration::from_secs(2),
        "the three heartbeats on the exchange",
        || {
            let seen = ids(&a);
            seen.len() == 3 && seen.contains(&"instance-b".to_string())
        },
    );

    // A graceful stop says goodbye: gone at once, well before its heartbeat would expire.
    b.stop();
    wait_until(Duration::from_millis(500), "the goodbye", || {
        !ids(&a).contains(&"instance-b".to_string())
    });

    // A process that dies cannot say goodbye: its last heartbeat expires on its own (800 ms
    // here) while the live ones renew theirs.
    let crashed = started("crashed-instance");
    crashed.report(&status("crashed-instance")).unwrap();
    wait_until(
        Duration::from_secs(2),
        "the crashed instance's heartbeat",
        || ids(&a).contains(&"crashed-instance".to_string()),
    );
    for _ in 0..3 {
        a.report(&status("instance-a")).unwrap();
        std::thread::sleep(Duration::from_millis(400));
    }
    let seen = ids(&a);
    assert!(!seen.contains(&"crashed-instance".to_string()), "{seen:?}");
    assert!(seen.contains(&"instance-a".to_string()), "{seen:?}");
    for p in [a, crashed] {
        p.stop();
    }
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

    let patient = process(&store, AmqpPropagator::new(&url, &exchange).unwrap());
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
    wait_until(Duration::from_secs(3), "its heartbeat", || {
        patient.fleet().map(|f| f.len() == 1).unwrap_or(false)
    });
}
