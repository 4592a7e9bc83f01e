//! `snapshot` with 1,000 configs and 10,000 triggers of which 9,000 have ended (the target is
//! under 20 ms), on SQLite and PostgreSQL, with `MemoryStore` on the same data as the floor:
//!
//! ```sh
//! cargo bench -p dynlog-diesel --bench snapshot
//! ```
//!
//! PostgreSQL is the local server (`DATABASE_URL` overrides it); without one, it is skipped.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{LoggingConfig, MemoryStore, NewConfig, NewTrigger};
use dynlog_diesel::DieselStore;

#[path = "../tests/common/mod.rs"]
mod common;

const CONFIGS: i64 = 1_000;
const TRIGGERS: i64 = 10_000;
const ENDED: i64 = 9_000;

fn body(c: i64) -> String {
    format!(r#"{{"loggers":{{"app{c}::module":{{"level":"debug","handlers":["console"]}}}}}}"#)
}

/// Trigger `t`'s config and window: the first 9,000 ended yesterday, the rest are to come.
fn trigger(t: i64, now: DateTime<Utc>) -> (i64, DateTime<Utc>, DateTime<Utc>) {
    let (start, end) = if t <= ENDED {
        (
            now - Duration::hours(48) + Duration::seconds(t),
            now - Duration::hours(24) + Duration::seconds(t),
        )
    } else {
        (now + Duration::hours(t), now + Duration::hours(t + 2))
    };
    (t % CONFIGS + 1, start, end)
}

/// The rows as one SQL script (through the store they would take a transaction each), with
/// times as the backend keeps them.
fn rows(now: DateTime<Utc>, time: impl Fn(DateTime<Utc>) -> String) -> String {
    let at = time(now);
    let mut sql = String::from("BEGIN;\n");
    for c in 1..=CONFIGS {
        sql.push_str(&format!(
            "INSERT INTO dynlog_configs (id, name, body, version, created_at, updated_at) \
             VALUES ({c}, 'config {c}', '{}', 1, {at}, {at});\n",
            body(c)
        ));
    }
    for t in 1..=TRIGGERS {
        let (config, start, end) = trigger(t, now);
        sql.push_str(&format!(
            "INSERT INTO dynlog_triggers \
             (id, name, is_active, start_at, end_at, config_id, version, created_at, updated_at) \
             VALUES ({t}, 'trigger {t}', TRUE, {}, {}, {config}, 1, {at}, {at});\n",
            time(start),
            time(end),
        ));
    }
    sql.push_str("COMMIT;\n");
    sql
}

fn memory(now: DateTime<Utc>) -> MemoryStore {
    let store = MemoryStore::new();
    let ids: Vec<_> = (1..=CONFIGS)
        .map(|c| {
            let body = LoggingConfig::from_json(&body(c)).unwrap();
            let new = NewConfig {
                name: format!("config {c}"),
                body,
            };
            store.create_config("bench", &new).unwrap().value.id
        })
        .collect();
    for t in 1..=TRIGGERS {
        let (config, start, end) = trigger(t, now);
        let new = NewTrigger {
            name: format!("trigger {t}"),
            config_id: ids[(config - 1) as usize],
            start: Some(start),
            end: Some(end),
            is_active: true,
        };
        store.create_trigger("bench", &new).unwrap();
    }
    store
}

fn check(store: &dyn Store) {
    let snapshot = store.snapshot(Utc::now()).unwrap();
    assert_eq!(snapshot.triggers.len() as i64, TRIGGERS - ENDED);
    assert_eq!(snapshot.configs.len() as i64, CONFIGS);
}

fn snapshot(c: &mut Criterion) {
    let now = Utc::now();
    let mut group = c.benchmark_group("snapshot/1000 configs, 10000 triggers, 9000 ended");

    let store = memory(now);
    check(&store);
    group.bench_function("memory", |b| {
        b.iter(|| store.snapshot(black_box(Utc::now())))
    });

    let dir = tempdir("dynlog-snapshot-bench");
    let path = dir.join("bench.sqlite3");
    let path = path.to_str().unwrap();
    let store = DieselStore::open(path).unwrap();
    SqliteConnection::establish(path)
        .unwrap()
        .batch_execute(&rows(now, |at| at.timestamp_micros().to_string()))
        .unwrap();
    check(&store);
    group.bench_function("sqlite", |b| {
        b.iter(|| store.snapshot(black_box(Utc::now())))
    });
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();

    if let Some(database) = common::postgres_database() {
        let url = database.url();
        let store = DieselStore::open(url).unwrap();
        PgConnection::establish(url)
            .unwrap()
            .batch_execute(&rows(now, |at| format!("'{}'", at.to_rfc3339())))
            .unwrap();
        // Statistics, as autovacuum would gather them on a live database.
        PgConnection::establish(url)
            .unwrap()
            .batch_execute("ANALYZE")
            .unwrap();
        check(&store);
        group.bench_function("postgres", |b| {
            b.iter(|| store.snapshot(black_box(Utc::now())))
        });
        drop(store);
    }
    group.finish();
}

fn tempdir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
