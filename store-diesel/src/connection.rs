//! One connection type for SQLite and PostgreSQL, its pool, and the migrations of each backend.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use dynlog_core::{Error, Result, redact_url};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The advisory lock key that serializes migrations across processes ("dynlog" in ASCII).
const MIGRATION_LOCK: i64 = 0x64_79_6e_6c_6f_67;

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub(crate) enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub(crate) type DbPool = Pool<ConnectionManager<AnyConnection>>;

/// Which backend a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub(crate) fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// SQLite connections wait for each other instead of failing with "database is locked", and
/// enforce foreign keys.
#[derive(Debug)]
struct SqliteSetup;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut AnyConnection) -> std::result::Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Connects once directly, so an unreachable database gives the driver's own message (the
/// multi-connection and the pool only say that connecting failed), then builds the pool and runs
/// the migrations.
pub(crate) fn open_pool(url: &str) -> Result<(DbPool, Backend)> {
    let backend = Backend::of(url);
    // Messages name the database without its password.
    let shown = redact_url(url);
    let connect_error =
        |e: diesel::ConnectionError| Error::store(format!("connecting to {shown}"), e);
    match backend {
        Backend::Postgres => drop(PgConnection::establish(url).map_err(connect_error)?),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(url).map_err(connect_error)?;
            // WAL lets readers go on while a writer writes; it is a property of the file.
            if url != ":memory:" {
                conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                    .map_err(|e| Error::store(format!("setting WAL on {shown}"), e))?;
            }
        }
    }
    let size = match (backend, url) {
        // Each connection to `:memory:` is a database of its own: one connection, one database.
        (Backend::Sqlite, ":memory:") => 1,
        (Backend::Sqlite, _) => 4,
        (Backend::Postgres, _) => 8,
    };
    let mut builder = Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5));
    if (backend, url) == (Backend::Sqlite, ":memory:") {
        // Closing the one connection would throw the database away: keep it for good.
        builder = builder.idle_timeout(None).max_lifetime(None);
    }
    let pool = builder
        .connection_customizer(Box::new(SqliteSetup))
        .build(ConnectionManager::<AnyConnection>::new(url))
        .map_err(|e| Error::store(format!("opening a pool on {shown}"), e))?;
    let mut conn = pool
        .get()
        .map_err(|e| Error::store(format!("connecting to {shown}"), e))?;
    let migrated = match &mut *conn {
        AnyConnection::Postgresql(c) => {
            // Processes that start together must not migrate at once: the second would try to
            // create what the first is creating. A session lock makes them take turns.
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| Error::store(format!("locking {shown} for migrations"), e))?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop);
            let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            result
        }
        AnyConnection::Sqlite(c) => {
            // SQLite has no such lock; a process that lost the race finds the migration applied
            // when it tries again.
            let mut attempt = 0;
            loop {
                match c.run_pending_migrations(SQLITE_MIGRATIONS) {
                    Err(_) if attempt < 5 => {
                        attempt += 1;
                        std::thread::sleep(Duration::from_millis(50 * attempt));
                    }
                    result => break result.map(drop),
                }
            }
        }
    };
    migrated.map_err(|e| Error::Store {
        message: format!("migrating {shown}: {e}"),
        source: Some(e),
    })?;
    Ok((pool, backend))
}
