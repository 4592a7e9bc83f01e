//! Test databases: a fresh SQLite file or a fresh PostgreSQL database per test.
#![allow(dead_code, clippy::unwrap_used)]

use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};
use dynlog_diesel::DieselStore;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on a fresh SQLite file, removed with the guard.
pub(crate) struct SqliteDb {
    store: Option<DieselStore>,
    dir: std::path::PathBuf,
}

impl SqliteDb {
    pub(crate) fn path(&self) -> String {
        self.dir
            .join("dynlog.sqlite3")
            .to_string_lossy()
            .into_owned()
    }
}

pub(crate) fn sqlite() -> Option<SqliteDb> {
    let dir = std::env::temp_dir().join(unique("dynlog_sqlite"));
    std::fs::create_dir_all(&dir).unwrap();
    let store = DieselStore::open(dir.join("dynlog.sqlite3").to_str().unwrap()).unwrap();
    Some(SqliteDb {
        store: Some(store),
        dir,
    })
}

impl Deref for SqliteDb {
    type Target = DieselStore;
    fn deref(&self) -> &DieselStore {
        self.store.as_ref().unwrap()
    }
}

impl Drop for SqliteDb {
    fn drop(&mut self) {
        self.store.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server's URL (`DATABASE_URL`, or the local server), if it answers. Under CI
/// (`DYNLOG_REQUIRE_SERVICES=1`) a server that does not answer fails the test.
pub(crate) fn postgres_server() -> Option<String> {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match PgConnection::establish(&url) {
        Ok(_) => Some(url),
        Err(e) if std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!(
                "PostgreSQL is required (DYNLOG_REQUIRE_SERVICES=1) but {url} does not answer: {e}"
            )
        }
        Err(e) => {
            eprintln!(
                "skipped: PostgreSQL at {url} does not answer ({e}); run scripts/test to start it"
            );
            None
        }
    }
}

/// A fresh, empty PostgreSQL database on the server, dropped with the guard.
pub(crate) struct PostgresDatabase {
    server: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// Creates `dynlog_test_<unique>` on the server, or `None` (skip) when there is no server.
pub(crate) fn postgres_database() -> Option<PostgresDatabase> {
    let server = postgres_server()?;
    let name = unique("dynlog_test");
    let mut admin = PgConnection::establish(&server).unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let base = &server[..server.rfind('/').unwrap()];
    let url = format!("{base}/{name}");
    Some(PostgresDatabase { server, name, url })
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// A store on a fresh PostgreSQL database, dropped with the guard.
pub(crate) struct PostgresDb {
    // Declared first: the store's connections close before the database is dropped.
    store: DieselStore,
    database: PostgresDatabase,
}

impl PostgresDb {
    pub(crate) fn url(&self) -> &str {
        self.database.url()
    }
}

pub(crate) fn postgres() -> Option<PostgresDb> {
    let database = postgres_database()?;
    let store = DieselStore::open(database.url()).unwrap();
    Some(PostgresDb { store, database })
}

impl Deref for PostgresDb {
    type Target = DieselStore;
    fn deref(&self) -> &DieselStore {
        &self.store
    }
}
