//! `DieselStore`: the `Store` contract on SQLite and PostgreSQL.
//!
//! This module holds the store and how each call runs (a plain read, one view of the data, or a
//! write that bumps the revision); the statements live with their tables in the modules below.

mod accounts;
mod audit;
mod configs;
mod instances;
mod snapshot;
mod tokens;
mod triggers;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
#[cfg(feature = "postgres")]
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use dynlog_core::model::{ConfigId, ConfigKind, TriggerId, validate_name};
use dynlog_core::propagate::InstanceStatus;
use dynlog_core::store::{
    Account, AccountStore, ApiToken, AuditEntry, AuditQuery, Role, Snapshot, Store, StoreRead,
    Written,
};
use dynlog_core::{Config, Error, NewConfig, NewTrigger, Result, Trigger};

use crate::connection::{AnyConnection, Backend, DbPool, open_pool};
use crate::schema::dynlog_revision;

/// The store on SQLite (a file, or `:memory:`) or PostgreSQL (a `postgres://` URL), through one
/// Diesel connection type and an r2d2 pool. Migrations run on open.
///
/// Every write runs in one transaction that first bumps the revision (which also takes the write
/// lock, so SQLite writers queue instead of failing), then changes the rows and appends to the
/// audit. A failed write rolls back whole. Clones share one connection pool.
///
/// [`DieselStore::open_later`] starts without the database: it connects and migrates in the
/// background, and every call fails with a store error saying so until it has.
#[derive(Clone)]
pub struct DieselStore {
    pool: Arc<OnceLock<DbPool>>,
    /// Set while the store is still connecting in the background.
    pending: Option<Arc<Pending>>,
    backend: Backend,
    url: String,
}

/// A store connecting in the background: why it is not there yet, and a way to wait for it.
struct Pending {
    last_error: Mutex<String>,
    ready: Condvar,
}

/// The longest wait between two attempts of a store connecting in the background.
const MAX_OPEN_BACKOFF: Duration = Duration::from_secs(5);

/// A store error's message without its `store error:` prefix, to quote in another.
fn reason(error: &Error) -> String {
    match error {
        Error::Store { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A message replaced whole; a panic cannot leave it half-written.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a transaction ended early.
enum TxError {
    Db(diesel::result::Error),
    Core(Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Core(e)
    }
}

type Conn = PooledConnection<ConnectionManager<AnyConnection>>;
type TxResult<T> = std::result::Result<T, TxError>;

/// Bumps the revision and returns the new one: the first statement of every write, so it also
/// takes the write lock (SQLite's database lock, PostgreSQL's row lock) and writers queue
/// instead of interleaving.
fn bump(conn: &mut AnyConnection) -> QueryResult<i64> {
    diesel::update(dynlog_revision::table.find(1))
        .set(dynlog_revision::value.eq(dynlog_revision::value + 1))
        .returning(dynlog_revision::value)
        .get_result(conn)
}

pub(super) fn read_revision(conn: &mut AnyConnection) -> QueryResult<i64> {
    dynlog_revision::table
        .find(1)
        .select(dynlog_revision::value)
        .first::<i64>(conn)
}

impl DieselStore {
    /// Opens the store at `url`: a SQLite file path (created if missing), `:memory:`, or a
    /// `postgres://` URL; runs the migrations. An unreachable database is an
    /// [`Error::Store`] with the driver's message; a URL of a backend whose feature this build
    /// leaves out is an [`Error::Invalid`] naming the scheme and the feature.
    pub fn open(url: &str) -> Result<DieselStore> {
        let (pool, backend) = open_pool(url)?;
        Ok(DieselStore {
            pool: Arc::new(OnceLock::from(pool)),
            pending: None,
            backend,
            url: dynlog_core::redact::redact_url(url),
        })
    }

    /// Opens the store at `url` like [`DieselStore::open`] if the database answers now;
    /// otherwise returns at once a store that keeps connecting in the background, with backoff
    /// (100 ms doubling up to 5 s), and runs the migrations when the database comes back. Until
    /// then every call fails with an [`Error::Store`] that says the store is not available yet
    /// and why; the controller keeps the baseline running and retries. So an application can
    /// start during a database outage. A URL this build cannot open (a backend left out) is
    /// still an [`Error::Invalid`] at once.
    ///
    /// [`DieselStore::wait_ready`] tells when it has connected: call the controller's
    /// `reload` then to apply the schedule at once rather than at its next retry.
    pub fn open_later(url: &str) -> Result<DieselStore> {
        let first = match open_pool(url) {
            Ok((pool, backend)) => {
                return Ok(DieselStore {
                    pool: Arc::new(OnceLock::from(pool)),
                    pending: None,
                    backend,
                    url: dynlog_core::redact::redact_url(url),
                });
            }
            Err(e @ Error::Invalid { .. }) => return Err(e),
            Err(e) => e,
        };
        let shown = dynlog_core::redact::redact_url(url);
        log::warn!(target: "dynlog", "the store is not available ({first}); starting without it and connecting in the background");
        let store = DieselStore {
            pool: Arc::new(OnceLock::new()),
            pending: Some(Arc::new(Pending {
                last_error: Mutex::new(reason(&first)),
                ready: Condvar::new(),
            })),
            backend: Backend::of(url),
            url: shown.clone(),
        };
        let (pool, pending, url) = (
            Arc::clone(&store.pool),
            store.pending.clone(),
            url.to_string(),
        );
        std::thread::Builder::new()
            .name("dynlog-store-connect".into())
            .spawn(move || {
                let Some(pending) = pending else { return };
                let mut backoff = Duration::from_millis(100);
                loop {
                    // Only while a store made by `open_later` is still held somewhere.
                    if Arc::strong_count(&pool) == 1 {
                        return;
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_OPEN_BACKOFF);
                    match open_pool(&url) {
                        Ok((opened, _)) => {
                            let _ = pool.set(opened);
                            let _guard = lock(&pending.last_error);
                            pending.ready.notify_all();
                            log::info!(target: "dynlog", "the store at {shown} is available: connected and migrated");
                            return;
                        }
                        Err(e) => *lock(&pending.last_error) = reason(&e),
                    }
                }
            })
            .map_err(|cause| Error::Io {
                context: "starting the store's connecting thread".into(),
                cause,
            })?;
        Ok(store)
    }

    /// Whether the store has connected (always, for one made by [`DieselStore::open`]).
    pub fn is_ready(&self) -> bool {
        self.pool.get().is_some()
    }

    /// Waits until the store has connected and migrated, at most `timeout` (`None`: for as
    /// long as it takes); returns whether it has.
    pub fn wait_ready(&self, timeout: Option<Duration>) -> bool {
        let Some(pending) = &self.pending else {
            return true;
        };
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut guard = lock(&pending.last_error);
        while !self.is_ready() {
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(std::time::Instant::now()),
                None => Duration::from_secs(1),
            };
            if left.is_zero() {
                return false;
            }
            guard = pending
                .ready
                .wait_timeout(guard, left.min(Duration::from_secs(1)))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn conn(&self) -> Result<Conn> {
        let Some(pool) = self.pool.get() else {
            let why = self
                .pending
                .as_ref()
                .map(|p| lock(&p.last_error).clone())
                .unwrap_or_default();
            return Err(Error::Store {
                message: format!(
                    "the store at {} is not available yet (connecting in the background): {why}",
                    self.url
                ),
                cause: None,
            });
        };
        pool.get()
            .map_err(|e| Error::store(format!("connecting to {}", self.url), e))
    }

    /// Runs reads that need no common view of the data.
    fn read<T>(&self, what: &str, f: impl FnOnce(&mut AnyConnection) -> TxResult<T>) -> Result<T> {
        let mut conn = self.conn()?;
        f(&mut conn).map_err(|e| self.tx_error(what, e))
    }

    /// Runs reads in one transaction with one view of the data.
    fn read_one_view<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut AnyConnection) -> TxResult<T>,
    ) -> Result<T> {
        let mut pooled = self.conn()?;
        let conn: &mut AnyConnection = &mut pooled;
        conn.transaction(|conn| {
            // SQLite's transactions are snapshots already; PostgreSQL's default lets each
            // statement see what was committed since the last.
            #[cfg(feature = "postgres")]
            #[allow(irrefutable_let_patterns)] // in a PostgreSQL-only build
            if let AnyConnection::Postgresql(pg) = conn {
                pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            f(conn)
        })
        .map_err(|e| self.tx_error(what, e))
    }

    /// Runs a write in one transaction that bumps the revision first; any error rolls all of it
    /// back.
    ///
    /// Statements that can break a constraint run with `execute` and the row is read back, not
    /// with `RETURNING`: Diesel's SQLite driver reports a failed `RETURNING` statement to the
    /// instrumentation as a success, so [`log_queries`](crate::log_queries) would miss it.
    fn write<T>(&self, what: &str, f: impl FnOnce(&mut AnyConnection) -> TxResult<T>) -> Result<T> {
        self.written(what, f).map(|w| w.value)
    }

    /// [`DieselStore::write`], returning the revision the write committed too.
    fn written<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut AnyConnection) -> TxResult<T>,
    ) -> Result<Written<T>> {
        let mut conn = self.conn()?;
        conn.transaction(|conn| {
            let revision = bump(conn)?;
            let value = f(conn)?;
            Ok(Written { value, revision })
        })
        .map_err(|e| self.tx_error(what, e))
    }

    fn tx_error(&self, what: &str, e: TxError) -> Error {
        match e {
            TxError::Core(e) => e,
            TxError::Db(e) => Error::store(format!("{what} on {}", self.url), e),
        }
    }
}

impl StoreRead for DieselStore {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        self.read_one_view("reading the snapshot", |conn| snapshot::read(conn, now))
    }

    fn revision(&self) -> Result<i64> {
        self.read("reading the revision", |conn| Ok(read_revision(conn)?))
    }

    fn configs(&self) -> Result<Vec<Config>> {
        self.read("listing configs", configs::all)
    }

    fn config(&self, id: ConfigId) -> Result<Config> {
        self.read("reading a config", |conn| configs::find(conn, id))
    }

    fn triggers(&self) -> Result<Vec<Trigger>> {
        self.read("listing triggers", triggers::all)
    }

    fn trigger(&self, id: TriggerId) -> Result<Trigger> {
        self.read("reading a trigger", |conn| triggers::find(conn, id))
    }

    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read("reading the audit", |conn| audit::recent(conn, query))
    }

    fn instances(&self) -> Result<Vec<InstanceStatus>> {
        self.read("reading the fleet's heartbeats", instances::all)
    }
}

impl Store for DieselStore {
    fn report_instance(&self, status: &InstanceStatus) -> Result<()> {
        // Bookkeeping, not a change: no revision, no audit entry.
        let status = status.bounded(Utc::now())?;
        let what = "writing a heartbeat";
        if self.read(what, |conn| instances::refresh(conn, &status))? {
            return Ok(());
        }
        let mut conn = self.conn()?;
        conn.transaction(|conn| instances::register(conn, &status))
            .map_err(|e| self.tx_error(what, e))
    }

    fn remove_instance(&self, instance_id: &str) -> Result<()> {
        self.read("removing a heartbeat", |conn| {
            instances::remove(conn, instance_id)
        })
    }

    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Written<Config>> {
        let body = configs::body_json(new);
        self.written("creating a config", |conn| {
            configs::create(conn, actor, new, &body, ConfigKind::Manual)
        })
    }

    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Written<Config>> {
        let body = configs::body_json(new);
        self.written("updating a config", |conn| {
            configs::update(conn, actor, id, version, new, &body)
        })
    }

    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<Written<()>> {
        self.written("deleting a config", |conn| configs::delete(conn, actor, id))
    }

    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Written<Trigger>> {
        self.written("creating a trigger", |conn| {
            triggers::create(conn, actor, new)
        })
    }

    fn create_config_with_trigger(
        &self,
        actor: &str,
        config: &NewConfig,
        trigger: &NewTrigger,
    ) -> Result<Written<(Config, Trigger)>> {
        let body = configs::body_json(config);
        self.written("creating a config and its trigger", |conn| {
            let config = configs::create(conn, actor, config, &body, ConfigKind::Debug)?;
            let trigger = NewTrigger {
                config_id: config.id,
                ..trigger.clone()
            };
            let trigger = triggers::create(conn, actor, &trigger)?;
            Ok((config, trigger))
        })
    }

    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Written<Trigger>> {
        self.written("updating a trigger", |conn| {
            triggers::update(conn, actor, id, version, new)
        })
    }

    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> Result<Written<Vec<Trigger>>> {
        if updates.is_empty() {
            // No update is no change: no revision bump.
            let revision = self.read("reading the revision", |conn| Ok(read_revision(conn)?))?;
            return Ok(Written {
                value: Vec::new(),
                revision,
            });
        }
        // One transaction: a stale version or a missing row rolls every update back.
        self.written("updating triggers", |conn| {
            updates
                .iter()
                .map(|(id, version, new)| triggers::update(conn, actor, *id, *version, new))
                .collect()
        })
    }

    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<Written<()>> {
        self.written("deleting a trigger", |conn| {
            triggers::delete(conn, actor, id)
        })
    }

    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<Written<usize>> {
        // Nothing to prune is no change: no revision bump, no audit entry.
        let (count, revision) = self.read("pruning triggers", |conn| {
            Ok((
                triggers::count_ended(conn, ended_before)?,
                read_revision(conn)?,
            ))
        })?;
        if count == 0 {
            return Ok(Written { value: 0, revision });
        }
        self.written("pruning triggers", |conn| {
            triggers::prune(conn, actor, ended_before)
        })
    }
}

impl AccountStore for DieselStore {
    fn accounts(&self) -> Result<Vec<Account>> {
        self.read("listing accounts", accounts::all)
    }

    fn account(&self, username: &str) -> Result<Option<Account>> {
        self.read("reading an account", |conn| accounts::find(conn, username))
    }

    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account> {
        validate_name("username", username)?;
        self.write("writing an account", |conn| {
            accounts::put(conn, actor, username, password_hash)
        })
    }

    fn create_account(
        &self,
        actor: &str,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Account> {
        validate_name("username", username)?;
        self.write("creating an account", |conn| {
            accounts::create(conn, actor, username, password_hash, role)
        })
    }

    fn set_role(&self, actor: &str, username: &str, role: Role) -> Result<Account> {
        self.write("setting an account's role", |conn| {
            accounts::set_role(conn, actor, username, role)
        })
    }

    fn end_sessions(&self, actor: &str, username: &str) -> Result<i64> {
        self.write("ending an account's sessions", |conn| {
            accounts::end_sessions(conn, actor, username)
        })
    }

    fn create_token(
        &self,
        actor: &str,
        name: &str,
        token_hash: &str,
        role: Role,
    ) -> Result<ApiToken> {
        validate_name("token name", name)?;
        self.write("creating a token", |conn| {
            tokens::create(conn, actor, name, token_hash, role)
        })
    }

    fn use_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        // Marking a token used is bookkeeping, not a change: no revision, no audit entry.
        self.read("using a token", |conn| tokens::use_hash(conn, token_hash))
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        self.read("listing tokens", tokens::all)
    }

    fn delete_token(&self, actor: &str, id: i64) -> Result<()> {
        self.write("deleting a token", |conn| tokens::delete(conn, actor, id))
    }
}
