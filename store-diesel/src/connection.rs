//! One connection type for SQLite and PostgreSQL, its pool, and the migrations of each backend.

use std::time::Duration;

use diesel::Connection;
#[cfg(feature = "postgres")]
use diesel::PgConnection;
#[cfg(feature = "sqlite")]
use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use dynlog_core::redact::redact_url;
use dynlog_core::{Error, Result};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("dynlog-diesel needs a backend: enable its `sqlite` or `postgres` feature, or both");

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The advisory lock key that serializes migrations across processes ("dynlog" in ASCII).
#[cfg(feature = "postgres")]
const MIGRATION_LOCK: i64 = 0x64_79_6e_6c_6f_67;

/// A connection to any backend compiled in. With one, it is a multi-connection of one variant,
/// so the rest of the crate reads the same either way.
#[derive(diesel::MultiConnection)]
pub(crate) enum AnyConnection {
    #[cfg(feature = "postgres")]
    Postgresql(PgConnection),
    #[cfg(feature = "sqlite")]
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

    /// The crate feature that compiles the backend in.
    fn feature(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How a URL names its backend, for the error that says it is not compiled in.
fn scheme(url: &str) -> &str {
    match url.find("://") {
        Some(end) => &url[..end + 3],
        None if url.starts_with("file:") => "file:",
        None => "a SQLite path (no scheme)",
    }
}

/// SQLite connections wait for each other instead of failing with "database is locked", and
/// enforce foreign keys.
#[cfg(feature = "sqlite")]
#[derive(Debug)]
struct SqliteSetup;

#[cfg(feature = "sqlite")]
impl diesel::r2d2::CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut AnyConnection) -> std::result::Result<(), diesel::r2d2::Error> {
        // Irrefutable in a SQLite-only build.
        #[allow(irrefutable_let_patterns)]
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
    let connect_error = |e: diesel::ConnectionError| {
        // A TLS failure names the `sslmode` and `sslrootcert` that made it.
        #[cfg(feature = "postgres")]
        let hint = crate::tls::hint(url, &e.to_string());
        #[cfg(not(feature = "postgres"))]
        let hint = "";
        Error::store(format!("connecting to {shown}{hint}"), e)
    };
    match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => drop(PgConnection::establish(url).map_err(connect_error)?),
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(url).map_err(connect_error)?;
            // WAL lets readers go on while a writer writes; it is a property of the file.
            if url != ":memory:" {
                conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                    .map_err(|e| Error::store(format!("setting WAL on {shown}"), e))?;
            }
        }
        // A backend this build leaves out.
        #[allow(unreachable_patterns)]
        _ => {
            return Err(Error::Invalid {
                field: "database URL",
                value: shown,
                reason: format!(
                    "{} needs the \"{}\" feature of dynlog-diesel, which this build leaves out",
                    scheme(url),
                    backend.feature()
                ),
            });
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
    #[cfg(feature = "sqlite")]
    {
        builder = builder.connection_customizer(Box::new(SqliteSetup));
    }
    let pool = builder
        .build(ConnectionManager::<AnyConnection>::new(url))
        .map_err(|e| Error::store(format!("opening a pool on {shown}"), e))?;
    let mut conn = pool
        .get()
        .map_err(|e| Error::store(format!("connecting to {shown}"), e))?;
    let migrated = match &mut *conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => {
            // Processes that start together must not migrate at once: the second would try to
            // create what the first is creating. A session lock makes them take turns.
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| Error::store(format!("locking {shown} for migrations"), e))?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop);
            let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            result
        }
        #[cfg(feature = "sqlite")]
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
        cause: Some(e),
    })?;
    Ok((pool, backend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_as_errors_name_them() {
        assert_eq!(scheme("postgres://app@db/x"), "postgres://");
        assert_eq!(scheme("postgresql://app@db/x"), "postgresql://");
        assert_eq!(scheme("sqlite:///var/lib/app.db"), "sqlite://");
        assert_eq!(scheme("file:app.db?mode=rwc"), "file:");
        assert_eq!(scheme("/var/lib/app.db"), "a SQLite path (no scheme)");
    }

    /// A URL of a backend this build leaves out names its scheme and the feature, without the
    /// password.
    #[test]
    fn a_backend_left_out_is_named_with_its_feature() {
        let refused = |url: &str| match open_pool(url) {
            Err(e @ Error::Invalid { .. }) => e.to_string(),
            Err(other) => panic!("{url}: not the feature's error: {other}"),
            Ok(_) => panic!("{url}: opened"),
        };
        if !cfg!(feature = "postgres") {
            let message = refused("postgres://app:hunter2@127.0.0.1:1/nothing");
            assert!(
                message.contains("127.0.0.1:1/nothing")
                    && message.contains(
                        r#"postgres:// needs the "postgres" feature of dynlog-diesel, which this build leaves out"#
                    )
                    && !message.contains("hunter2"),
                "{message}"
            );
        }
        if !cfg!(feature = "sqlite") {
            let message = refused(":memory:");
            assert_eq!(
                message,
                r#"invalid database URL ":memory:": a SQLite path (no scheme) needs the "sqlite" feature of dynlog-diesel, which this build leaves out"#
            );
        }
    }
}
