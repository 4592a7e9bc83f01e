//! Time from a store write to the config applied in each of 8 subscriber processes, over Redis
//! on loopback, sharing one SQLite store (or PostgreSQL, given its URL as DATABASE_URL):
//!
//! ```sh
//! cargo run --release -p dynlog-testapp --example fanout_latency
//! ```
//!
//! Each subscriber is a process of this same binary with a hook that prints the instant each
//! config is applied; the parent writes 200 changes and reports p50 and p99 over every
//! (change, subscriber) pair.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use dynlog_core::handler::NullHandler;
use dynlog_core::store::Store;
use dynlog_core::{Controller, DynamicLogger, LoggingConfig, NewConfig, NewTrigger};
use dynlog_diesel::DieselStore;
use dynlog_redis::RedisPropagator;

const SUBSCRIBERS: usize = 8;
const CHANGES: usize = 200;

fn body(n: usize) -> LoggingConfig {
    LoggingConfig::from_json(&format!(
        r#"{{"loggers": {{"bench::n{n}": {{"level": "debug"}}}}}}"#
    ))
    .unwrap()
}

fn child(database: &str, redis: &str) {
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
    let propagator = RedisPropagator::new(redis, "dynlog-bench").unwrap();
    let _controller = Controller::builder(logger, store)
        .propagator(propagator)
        .start()
        .unwrap();
    println!("ready");
    // Until the parent closes our stdin.
    let _ = std::io::stdin().read_line(&mut String::new());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "child" {
        return child(&args[2], &args[3]);
    }
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
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
    for _ in 0..SUBSCRIBERS {
        let mut child = Command::new(&args[0])
            .args(["child", &database, &redis])
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
    .propagator(RedisPropagator::new(&redis, "dynlog-bench").unwrap())
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
        while seen < SUBSCRIBERS {
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
        "{SUBSCRIBERS} subscriber processes, {CHANGES} changes, {} samples, store {}: write to applied p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
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
