//! N controllers in this one process, sharing one PostgreSQL store and one broker, as a fleet of N
//! processes would: the time from a change's write to its apply in every controller, and the
//! database's work per change.
//!
//! ```sh
//! # a fresh database named by DATABASE_URL is made and dropped; Redis from REDIS_URL,
//! # RabbitMQ from AMQP_URL
//! cargo run --release -p dynlog-testapp --example fleet_latency -- redis 200
//! cargo run --release -p dynlog-testapp --example fleet_latency -- postgres 200
//! cargo run --release -p dynlog-testapp --example fleet_latency -- amqp 200
//! cargo run --release -p dynlog-testapp --example fleet_latency -- polling 50
//! # the same with doorbells only (every controller reads the store on each change):
//! cargo run --release -p dynlog-testapp --example fleet_latency -- redis 200 doorbell
//! ```
//!
//! Arguments: the propagator (`redis`, `postgres` for LISTEN/NOTIFY, `amqp`, `polling` every
//! second),
//! N (8 by default), and `doorbell` to turn off carrying the snapshot. The writer is one more
//! controller with a propagator of its own; it makes 100 changes, each once the last has
//! reached every controller. Reported: p50, p99 and max over every (change, controller) pair;
//! the store calls per change, counted by `dynlog_core::testing::CountingStore` around the shared store; and the database's
//! transactions per change, from `pg_stat_database` (`xact_commit + xact_rollback`).
//! Heartbeats and safety polls are set to 10 minutes, so that what is counted is the changes'.
//!
//! With `postgres`, the controllers of a process share one LISTEN connection (as
//! `PgNotifyPropagator` does); with `redis`, each has its own subscription; with `amqp`, each
//! its own connection and queue.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use dynlog_amqp::AmqpPropagator;
use dynlog_core::handler::NullHandler;
use dynlog_core::propagate::{PollingPropagator, Propagator};
use dynlog_core::store::Store;
use dynlog_core::testing::CountingStore;
use dynlog_core::{Controller, DynamicLogger, LoggingConfig, NewConfig, NewTrigger};
use dynlog_diesel::{DieselStore, PgNotifyPropagator};
use dynlog_redis::RedisPropagator;

const CHANGES: usize = 100;
const QUIET: Duration = Duration::from_secs(600);

fn body(n: usize) -> LoggingConfig {
    LoggingConfig::from_json(&format!(
        r#"{{"loggers": {{"bench::n{n}": {{"level": "debug"}}}}}}"#
    ))
    .unwrap()
}

#[derive(QueryableByName)]
struct Xacts {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The database's committed and rolled-back transactions so far, once the statistics are
/// flushed.
fn transactions(server: &str, database: &str) -> i64 {
    // Idle backends flush their statistics within 10 s (PostgreSQL 15 and later).
    std::thread::sleep(Duration::from_secs(11));
    let mut conn = PgConnection::establish(server).unwrap();
    diesel::sql_query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(format!(
        "SELECT (xact_commit + xact_rollback)::BIGINT AS n FROM pg_stat_database WHERE datname = '{database}'"
    ))
    .get_result::<Xacts>(&mut conn)
    .unwrap()
    .n
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map_or("redis", String::as_str).to_string();
    let n: usize = args.get(1).map_or(8, |n| n.parse().unwrap());
    let carry = args.get(2).map(String::as_str) != Some("doorbell");
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let amqp =
        std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/".into());
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("dynlog_fleet_bench_{}", std::process::id());
    let mut admin = PgConnection::establish(&server).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let url = format!("{}/{name}", &server[..server.rfind('/').unwrap()]);
    let channel = format!("dynlog_bench_{}", std::process::id());
    let propagator = |carry: bool| -> Arc<dyn Propagator> {
        match kind.as_str() {
            "redis" => Arc::new(
                RedisPropagator::new(&redis, &channel)
                    .unwrap()
                    .safety_poll(QUIET)
                    .carry_snapshots(carry),
            ),
            "postgres" => Arc::new(
                PgNotifyPropagator::new(&url, &channel)
                    .unwrap()
                    .safety_poll(QUIET)
                    .carry_snapshots(carry),
            ),
            "amqp" => Arc::new(
                AmqpPropagator::new(&amqp, &channel)
                    .unwrap()
                    .safety_poll(QUIET)
                    .carry_snapshots(carry),
            ),
            "polling" => Arc::new(PollingPropagator::new(Duration::from_secs(1))),
            other => panic!("unknown propagator {other:?}: redis, postgres, amqp or polling"),
        }
    };

    let store = Arc::new(CountingStore::new(Arc::new(
        DieselStore::open(&url).unwrap(),
    )));
    let config = store
        .create_config(
            "bench",
            &NewConfig {
                name: "bench".into(),
                body: body(0),
            },
        )
        .unwrap();
    store
        .create_trigger(
            "bench",
            &NewTrigger {
                name: "always".into(),
                config_id: config.value.id,
                start: None,
                end: None,
                is_active: true,
            },
        )
        .unwrap();

    let (tx, rx) = mpsc::channel::<(usize, Instant)>();
    let fleet: Vec<Controller> = (0..n)
        .map(|_| {
            let tx = tx.clone();
            let logger = DynamicLogger::builder()
                .handler("null", NullHandler)
                .hook(
                    "report",
                    move |config: &LoggingConfig, _: &DynamicLogger| {
                        if let Some(n) = config
                            .loggers
                            .keys()
                            .find_map(|k| k.strip_prefix("bench::n"))
                        {
                            let _ = tx.send((n.parse().unwrap(), Instant::now()));
                        }
                    },
                )
                .build()
                .unwrap();
            Controller::builder_arc(logger, store.clone())
                .propagator_arc(propagator(carry))
                .heartbeat(QUIET)
                .start()
                .unwrap()
        })
        .collect();
    let writer = Controller::builder_arc(
        DynamicLogger::builder()
            .handler("null", NullHandler)
            .build()
            .unwrap(),
        store.clone(),
    )
    .propagator_arc(propagator(carry))
    .heartbeat(QUIET)
    .start()
    .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    while rx.try_recv().is_ok() {}

    let calls_before = store.calls();
    let xacts_before = transactions(&server, &name);
    let mut latencies = Vec::with_capacity(CHANGES * n);
    let mut version = writer.store().config(config.value.id).unwrap().version;
    let began = Instant::now();
    for change in 1..=CHANGES {
        let started = Instant::now();
        version = writer
            .update_config(
                "bench",
                config.value.id,
                version,
                &NewConfig {
                    name: "bench".into(),
                    body: body(change),
                },
            )
            .unwrap()
            .version;
        let mut seen = 0;
        while seen < n {
            let (m, at) = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("a controller did not apply within 10 s");
            if m == change {
                latencies.push(at - started);
                seen += 1;
            }
        }
    }
    let took = began.elapsed();
    let calls = store.calls() - calls_before;
    let xacts = transactions(&server, &name) - xacts_before;
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies[((latencies.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{kind}{} N={n}: {CHANGES} changes in {:.1} s, write to applied p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; per change {:.2} store calls, {:.2} database transactions",
        if carry { "" } else { " (doorbell)" },
        took.as_secs_f64(),
        pick(0.5),
        pick(0.99),
        pick(1.0),
        calls as f64 / CHANGES as f64,
        xacts as f64 / CHANGES as f64,
    );
    for controller in fleet {
        controller.stop();
    }
    writer.stop();
    drop(store);
    std::thread::sleep(Duration::from_millis(200));
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin);
}
