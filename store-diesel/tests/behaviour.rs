//! Concurrency, unreachable databases and a controller riding out a database that goes away.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use dynlog_core::store::{Store, StoreRead};
use dynlog_core::{
    Controller, DynamicLogger, Error, Level, LoggingConfig, MemoryHandler, NewConfig, NewTrigger,
    Trigger,
};
use dynlog_diesel::DieselStore;

fn config(name: &str) -> NewConfig {
    NewConfig {
        name: name.into(),
        body: LoggingConfig::from_json(r#"{"loggers": {"a": {"level": "debug"}}}"#).unwrap(),
    }
}

/// Two threads edit one config from the same version: exactly one wins.
fn one_edit_wins(store: Arc<dyn Store>) {
    let created = store.create_config("setup", &config("shared")).unwrap();
    for round in 0..5 {
        let version = store.config(created.value.id).unwrap().version;
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<_> = (0..2)
            .map(|t| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    store.update_config(
                        &format!("editor{t}"),
                        created.value.id,
                        version,
                        &config(&format!("shared {round} {t}")),
                    )
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let wins = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(Error::Conflict { .. })))
            .count();
        assert_eq!((wins, conflicts), (1, 1), "round {round}: {results:?}");
        assert_eq!(store.config(created.value.id).unwrap().version, version + 1);
    }
}

#[test]
fn concurrent_edits_sqlite() {
    let db = common::sqlite().unwrap();
    one_edit_wins(Arc::new(DieselStore::open(&db.path()).unwrap()));
}

#[test]
fn concurrent_edits_postgres() {
    let Some(db) = common::postgres() else { return };
    one_edit_wins(Arc::new(DieselStore::open(db.url()).unwrap()));
}

#[test]
fn an_unreachable_database_is_a_typed_error_with_the_drivers_message() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err =
        DieselStore::open(&format!("postgres://postgres@127.0.0.1:{port}/nothing")).unwrap_err();
    let message = err.to_string();
    let Error::Store { cause, .. } = &err else {
        panic!("expected a store error, got {message}")
    };
    assert!(cause.is_some(), "{message}");
    // Its text is in the message once, and not given again as a source.
    assert!(std::error::Error::source(&err).is_none());
    // libpq's own words, not the pool's "failed to connect".
    assert!(
        message.contains(&format!("port {port} failed")) && message.contains("refused"),
        "{message}"
    );
    let err = DieselStore::open("/nonexistent-dir-dynlog/x/store.sqlite3").unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
    assert!(
        err.to_string().contains("Unable to open the database file"),
        "{err}"
    );
}

#[test]
fn a_password_in_the_url_stays_out_of_messages() {
    for url in [
        "postgres://app:hunter2@127.0.0.1:1/nothing",
        "postgres://app@127.0.0.1:1/nothing?password=hunter2",
        "postgresql://app:hunter2@127.0.0.1:1/nothing?sslpassword=hunter2",
    ] {
        let err = DieselStore::open(url).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        // Still naming what it tried.
        assert!(
            err.contains("app") && err.contains("127.0.0.1:1/nothing"),
            "{err}"
        );
    }
}

/// The database goes away while the controller runs: typed errors, the last config keeps
/// running, and it recovers when the database returns.
#[test]
fn the_controller_rides_out_a_database_that_goes_away() {
    let Some(server) = common::postgres_server() else {
        return;
    };
    let db = common::postgres().unwrap();
    let store = Arc::new(DieselStore::open(db.url()).unwrap());
    let memory = MemoryHandler::new(10);
    let logger = DynamicLogger::builder()
        .handler("memory", memory)
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .unwrap()
        .build()
        .unwrap();
    let controller = Controller::builder_arc(logger, store.clone())
        .without_thread()
        .start()
        .unwrap();
    let created = controller.create_config("a", &config("debug a")).unwrap();
    controller
        .create_trigger(
            "a",
            &NewTrigger {
                name: "on".into(),
                config_id: created.id,
                start: None,
                end: None,
                is_active: true,
            },
        )
        .unwrap();
    assert_eq!(controller.logger().effective_level("a"), Level::Debug);

    // Take the database away: refuse new connections and end the pool's.
    let mut admin = PgConnection::establish(&server).unwrap();
    let name = db.url().rsplit('/').next().unwrap().to_string();
    let run = |admin: &mut PgConnection, statement: String| {
        diesel::sql_query(statement).execute(admin).unwrap();
    };
    run(
        &mut admin,
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    );
    run(
        &mut admin,
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    );
    let err = controller.reload().unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
    assert_eq!(
        controller.logger().effective_level("a"),
        Level::Debug,
        "the last config keeps running"
    );
    assert!(controller.status().last_error.is_some());

    run(
        &mut admin,
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while controller.reload().is_err() {
        assert!(std::time::Instant::now() < deadline, "never recovered");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(controller.status().last_error.is_none());
    assert_eq!(controller.logger().effective_level("a"), Level::Debug);
}

/// Processes of a fleet start together on a fresh database: every one of them opens it.
fn opened_together(url: &str) {
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (url.to_string(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                DieselStore::open(&url).map(drop)
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
}

#[test]
fn stores_opened_together_migrate_once_sqlite() {
    let dir = std::env::temp_dir().join(format!("dynlog-together-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    opened_together(dir.join("fresh.sqlite3").to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stores_opened_together_migrate_once_postgres() {
    let Some(database) = common::postgres_database() else {
        return;
    };
    opened_together(database.url());
}

fn a_trigger_ending_at(store: &DieselStore, end: DateTime<Utc>) -> Trigger {
    let config = store.create_config("a", &config("c")).unwrap();
    store
        .create_trigger(
            "a",
            &NewTrigger {
                name: "t".into(),
                config_id: config.value.id,
                start: None,
                end: Some(end),
                is_active: true,
            },
        )
        .unwrap()
        .value
}

/// 2023-11-14T22:13:20.123456Z, with every microsecond set.
fn an_instant() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap()
}

#[test]
fn sqlite_keeps_times_as_sortable_microseconds() {
    let db = common::sqlite().unwrap();
    let trigger = a_trigger_ending_at(&db, an_instant());
    assert_eq!(db.trigger(trigger.id).unwrap().end, Some(an_instant()));
    let mut conn = SqliteConnection::establish(&db.path()).unwrap();
    let (kind, micros) = diesel::select((
        sql::<Text>("(SELECT typeof(end_at) FROM dynlog_triggers)"),
        sql::<BigInt>("(SELECT end_at FROM dynlog_triggers)"),
    ))
    .get_result::<(String, i64)>(&mut conn)
    .unwrap();
    assert_eq!((kind.as_str(), micros), ("integer", 1_700_000_000_123_456));
}

#[test]
fn postgres_keeps_times_as_timestamptz() {
    let Some(db) = common::postgres() else { return };
    let trigger = a_trigger_ending_at(&db, an_instant());
    assert_eq!(db.trigger(trigger.id).unwrap().end, Some(an_instant()));
    let mut conn = PgConnection::establish(db.url()).unwrap();
    let (kind, text) = diesel::select((
        sql::<Text>(
            "(SELECT data_type::text FROM information_schema.columns \
              WHERE table_name = 'dynlog_triggers' AND column_name = 'end_at')",
        ),
        sql::<Text>("(SELECT (end_at AT TIME ZONE 'UTC')::text FROM dynlog_triggers)"),
    ))
    .get_result::<(String, String)>(&mut conn)
    .unwrap();
    assert_eq!(
        (kind.as_str(), text.as_str()),
        ("timestamp with time zone", "2023-11-14 22:13:20.123456")
    );
}

/// A database made by the first release, which kept times as BIGINT microseconds, is migrated
/// to TIMESTAMPTZ without losing a microsecond.
#[test]
fn postgres_bigint_times_are_converted_exactly() {
    let Some(database) = common::postgres_database() else {
        return;
    };
    let micros = 1_700_000_000_123_456i64;
    let mut conn = PgConnection::establish(database.url()).unwrap();
    conn.batch_execute(include_str!(
        "../migrations/postgres/2026-11-24-000000_init/up.sql"
    ))
    .unwrap();
    conn.batch_execute(&format!(
        "CREATE TABLE __diesel_schema_migrations (
             version VARCHAR(50) PRIMARY KEY NOT NULL,
             run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
         INSERT INTO __diesel_schema_migrations (version) VALUES ('20261124000000');
         INSERT INTO dynlog_configs (name, body, version, created_at, updated_at)
             VALUES ('old', '{{}}', 1, {micros}, {micros});
         INSERT INTO dynlog_triggers
             (name, is_active, start_at, end_at, config_id, version, created_at, updated_at)
             VALUES ('old', TRUE, NULL, {micros}, 1, 1, {micros}, {micros});"
    ))
    .unwrap();
    drop(conn);
    let store = DieselStore::open(database.url()).unwrap();
    let trigger = store.triggers().unwrap().remove(0);
    assert_eq!(
        (trigger.start, trigger.end, trigger.updated_at),
        (None, Some(an_instant()), an_instant())
    );
    assert_eq!(store.configs().unwrap()[0].updated_at, an_instant());
}
