//! How long a snapshot takes with 1,000 configs and 10,000 triggers of which 9,000 have ended,
//! on SQLite and (given a server URL) PostgreSQL:
//!
//! ```sh
//! cargo run --release -p dynlog-diesel --example snapshot_bench -- [postgres://postgres@127.0.0.1:5432/postgres]
//! ```
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use dynlog_core::Store;
use dynlog_diesel::DieselStore;

const CONFIGS: i64 = 1_000;
const TRIGGERS: i64 = 10_000;
const ENDED: i64 = 9_000;

/// The rows, as one SQL script (the store's API would take a transaction per row).
fn rows() -> String {
    let now = Utc::now().timestamp_micros();
    let hour = 3_600_000_000i64;
    let mut sql = String::from("BEGIN;\n");
    for c in 1..=CONFIGS {
        sql.push_str(&format!(
            "INSERT INTO dynlog_configs (id, name, body, version, created_at, updated_at) VALUES ({c}, 'config {c}', \
             '{{\"loggers\":{{\"app{c}::module\":{{\"level\":\"debug\",\"handlers\":[\"console\"]}}}}}}', 1, {now}, {now});\n"
        ));
    }
    for t in 1..=TRIGGERS {
        let (start, end) = if t <= ENDED {
            (now - 48 * hour + t, now - 24 * hour + t)
        } else {
            (now + t * hour, now + (t + 2) * hour)
        };
        sql.push_str(&format!(
            "INSERT INTO dynlog_triggers (id, name, is_active, start_at, end_at, config_id, version, created_at, updated_at) \
             VALUES ({t}, 'trigger {t}', TRUE, {start}, {end}, {}, 1, {now}, {now});\n",
            t % CONFIGS + 1
        ));
    }
    sql.push_str("COMMIT;\n");
    sql
}

fn measure(label: &str, store: &DieselStore) {
    let snapshot = store.snapshot(Utc::now()).unwrap();
    assert_eq!(snapshot.triggers.len() as i64, TRIGGERS - ENDED);
    let mut times: Vec<Duration> = (0..50)
        .map(|_| {
            let started = Instant::now();
            store.snapshot(Utc::now()).unwrap();
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{label}: snapshot of {} triggers and {} configs: min {:.2} ms, median {:.2} ms, p99 {:.2} ms (50 runs)",
        snapshot.triggers.len(),
        snapshot.configs.len(),
        times[0].as_secs_f64() * 1e3,
        times[25].as_secs_f64() * 1e3,
        times[49].as_secs_f64() * 1e3,
    );
}

fn main() {
    let dir = std::env::temp_dir().join(format!("dynlog-snapshot-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.sqlite3");
    let store = DieselStore::open(path.to_str().unwrap()).unwrap();
    SqliteConnection::establish(path.to_str().unwrap())
        .unwrap()
        .batch_execute(&rows())
        .unwrap();
    measure("sqlite", &store);
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();

    if let Some(server) = std::env::args().nth(1) {
        let name = format!("dynlog_bench_{}", std::process::id());
        let mut admin = PgConnection::establish(&server).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        let url = format!("{}/{name}", &server[..server.rfind('/').unwrap()]);
        let store = DieselStore::open(&url).unwrap();
        PgConnection::establish(&url)
            .unwrap()
            .batch_execute(&rows())
            .unwrap();
        measure("postgres", &store);
        drop(store);
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
    }
}
