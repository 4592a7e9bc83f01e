//! Time from a store write to the config applied in each of N subscriber processes, over Redis
//! or AMQP (RabbitMQ) on loopback, sharing one SQLite store (or PostgreSQL, given its URL as
//! DATABASE_URL):
//!
//! ```sh
//! cargo run --release -p dynlog-testapp --example fanout_latency            # Redis, 8 subscribers
//! cargo run --release -p dynlog-testapp --example fanout_latency -- amqp 3  # AMQP, 3 subscribers
//! ```
//!
//! Arguments: the propagator (`redis`, the default, at REDIS_URL; or `amqp`, at AMQP_URL or
//! guest on 127.0.0.1:5672) and the number of subscribers (8 by default). Each subscriber is a
//! process of this same binary with a hook that prints the instant each config is applied; the
//! parent writes 200 changes and reports p50 and p99 over every (change, subscriber) pair.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use dynlog_core::handler::NullHandler;
use dynlog_core::propagate::Propagator;
use dynlog_core::store::Store;
use dynlog_core::{Controller, DynamicLogger, LoggingConfig, NewConfig, NewTrigger};
use dynlog_diesel::DieselStore;
use dynlog_redis::RedisPropagator;

const CHANGES: usize = 200;

/// The propagator `kind` (`redis` or `amqp`) on the broker at `url`.
fn propagator(kind: &str, url: &str) -> Arc<dyn Propagator> {
    match kind {
        "amqp" => Arc::new(dynlog_amqp::AmqpPropagator::new(url, "dynlog-bench").unwrap()),
        _ => Arc::new(RedisPropagator::new(url, "dynlog-bench").unwrap()),
    }
}

fn body(n: usize) -> LoggingConfig {
    LoggingConfig::from_json(&format!(
        r#"{{"loggers": {{"bench::n{n}": {{"level": "debug"}}}}}}"#
    ))
    .unwrap()
}

fn child(database: &str, kind: &str, broker: &str) {
    let logger = DynamicLogger::builder()
        .handler("null", NullHandler)
        .hook("report", |config: &LoggingConfig, _: &DynamicLogger| {
            if let Some(n) = config
                .loggers
                .keys()
                .find_map(|k| k.strip_prefix("bench::n"))
            {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{n} {}", Utc::now().timestamp_micros());
                let _ = out.flush();
            }
        })
        .build()
        .unwrap();
    let store = DieselStore::open(database).unwrap();
    let _controller = Controller::builder(logger, store)
        .propagator_arc(propagator(kind, broker))
        .start()
        .unwrap();
    println!("ready");
    // Until the parent closes our stdin.
    let _ = std::io::stdin().read_line(&mut String::new());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "child" {
        return child(&args[2], &args[3], &args[4]);
    }
    let kind = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("redis")
        .to_string();
    let subscribers: usize = args.get(2).map(|n| n.parse().unwrap()).unwrap_or(8);
    let broker = match kind.as_str() {
        "amqp" => std::env::var("AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/".into()),
        "redis" => std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into()),
        other => panic!("unknown propagator {other:?}: expected redis or amqp"),
    };
    let dir = std::env::temp_dir().join(format!("dynlog-fanout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| dir.join("bench.sqlite3").to_string_lossy().into());
    let store = Arc::new(DieselStore::open(&database).unwrap());
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

    let (tx, rx) = mpsc::channel::<(usize, i64)>();
    let mut children = Vec::new();
    for _ in 0..subscribers {
        let mut child = Command::new(&args[0])
            .args(["child", &database, &kind, &broker])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while lines.next().unwrap().unwrap() != "ready" {}
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let (n, at) = line.split_once(' ').unwrap();
                let _ = tx.send((n.parse().unwrap(), at.parse().unwrap()));
            }
        });
        children.push(child);
    }
    // The writer is a process of its own too: it announces through its own propagator.
    let writer = Controller::builder_arc(
        DynamicLogger::builder()
            .handler("null", NullHandler)
            .build()
            .unwrap(),
        store.clone(),
    )
    .propagator_arc(propagator(&kind, &broker))
    .start()
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    while rx.try_recv().is_ok() {}

    let mut latencies = Vec::new();
    let mut version = writer.store().config(config.value.id).unwrap().version;
    for n in 1..=CHANGES {
        let started = Utc::now().timestamp_micros();
        let updated = writer
            .update_config(
                "bench",
                config.value.id,
                version,
                &NewConfig {
                    name: "bench".into(),
                    body: body(n),
                },
            )
            .unwrap();
        version = updated.version;
        let mut seen = 0;
        while seen < subscribers {
            let (m, at) = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("a subscriber did not apply within 10 s");
            if m == n {
                latencies.push(at - started);
                seen += 1;
            }
        }
    }
    latencies.sort_unstable();
    let pick =
        |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    println!(
        "{kind}: {subscribers} subscriber processes, {CHANGES} changes, {} samples, store {}: write to applied p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        writer
            .store()
            .revision()
            .map(|_| if database.starts_with("postgres") {
                "postgres"
            } else {
                "sqlite"
            })
            .unwrap(),
        pick(0.5),
        pick(0.99),
        pick(1.0),
    );
    for mut child in children {
        drop(child.stdin.take());
        let _ = child.wait();
    }
    writer.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
