//! Concurrency, unreachable databases and a controller riding out a database that goes away.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Barrier};

use dynlog_core::{
    Controller, DynamicLogger, Error, Level, LoggingConfig, MemoryHandler, NewConfig, NewTrigger,
    Store,
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
        let version = store.config(created.id).unwrap().version;
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<_> = (0..2)
            .map(|t| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    store.update_config(
                        &format!("editor{t}"),
                        created.id,
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
        assert_eq!(store.config(created.id).unwrap().version, version + 1);
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
    // Nothing listens on port 1.
    let err = DieselStore::open("postgres://postgres@127.0.0.1:1/nothing").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Store { .. }), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(
        message.to_lowercase().contains("connect"),
        "the driver's own words: {message}"
    );
    let err = DieselStore::open("/nonexistent-dir-dynlog/x/store.sqlite3").unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
}

#[test]
fn a_password_in_the_url_stays_out_of_messages() {
    let err = DieselStore::open("postgres://app:hunter2@127.0.0.1:1/nothing").unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
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
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(&server).unwrap();
    let name = db.url().rsplit('/').next().unwrap().to_string();
    let run = |admin: &mut diesel::PgConnection, sql: String| {
        diesel::RunQueryDsl::execute(diesel::sql_query(sql), admin).unwrap();
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
    let Some(server) = common::postgres_server() else {
        return;
    };
    let name = format!("dynlog_together_{}", std::process::id());
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(&server).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("CREATE DATABASE {name}")),
        &mut admin,
    )
    .unwrap();
    let url = format!("{}/{name}", &server[..server.rfind('/').unwrap()]);
    opened_together(&url);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")),
        &mut admin,
    )
    .unwrap();
}
