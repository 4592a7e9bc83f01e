//! `DieselStore`: the `Store` contract on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::result::DatabaseErrorKind;
use dynlog_core::{
    Account, ApiToken, AuditEntry, AuditQuery, Config, ConfigId, Error, LoggingConfig, NewConfig,
    NewTrigger, Result, Snapshot, Store, Trigger, TriggerId, check_version, validate_name,
};
use serde::Serialize;

use crate::connection::{AnyConnection, Backend, DbPool, open_pool};
use crate::schema::{
    dynlog_accounts, dynlog_api_tokens, dynlog_audit, dynlog_configs, dynlog_revision,
    dynlog_triggers,
};
use crate::types::At;

/// The store on SQLite (a file, or `:memory:`) or PostgreSQL (a `postgres://` URL), through one
/// Diesel connection type and an r2d2 pool. Migrations run on open.
///
/// Every write runs in one transaction that first bumps the revision (which also takes the write
/// lock, so SQLite writers queue instead of failing), then changes the rows and appends to the
/// audit. A failed write rolls back whole.
pub struct DieselStore {
    pool: DbPool,
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a write transaction ended early.
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

type ConfigRow = (i64, String, String, i64, At);
type TriggerRow = (i64, String, bool, Option<At>, Option<At>, i64, i64, At);
type AuditRow = (
    i64,
    At,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
);
type TokenRow = (i64, String, String, At, Option<At>);
type AccountRow = (String, String, At, i64);

const CONFIG_COLUMNS: (
    dynlog_configs::id,
    dynlog_configs::name,
    dynlog_configs::body,
    dynlog_configs::version,
    dynlog_configs::updated_at,
) = (
    dynlog_configs::id,
    dynlog_configs::name,
    dynlog_configs::body,
    dynlog_configs::version,
    dynlog_configs::updated_at,
);

const TRIGGER_COLUMNS: (
    dynlog_triggers::id,
    dynlog_triggers::name,
    dynlog_triggers::is_active,
    dynlog_triggers::start_at,
    dynlog_triggers::end_at,
    dynlog_triggers::config_id,
    dynlog_triggers::version,
    dynlog_triggers::updated_at,
) = (
    dynlog_triggers::id,
    dynlog_triggers::name,
    dynlog_triggers::is_active,
    dynlog_triggers::start_at,
    dynlog_triggers::end_at,
    dynlog_triggers::config_id,
    dynlog_triggers::version,
    dynlog_triggers::updated_at,
);

const TOKEN_COLUMNS: (
    dynlog_api_tokens::id,
    dynlog_api_tokens::name,
    dynlog_api_tokens::token_hash,
    dynlog_api_tokens::created_at,
    dynlog_api_tokens::last_used_at,
) = (
    dynlog_api_tokens::id,
    dynlog_api_tokens::name,
    dynlog_api_tokens::token_hash,
    dynlog_api_tokens::created_at,
    dynlog_api_tokens::last_used_at,
);

const ACCOUNT_COLUMNS: (
    dynlog_accounts::username,
    dynlog_accounts::password_hash,
    dynlog_accounts::created_at,
    dynlog_accounts::session_epoch,
) = (
    dynlog_accounts::username,
    dynlog_accounts::password_hash,
    dynlog_accounts::created_at,
    dynlog_accounts::session_epoch,
);

const AUDIT_COLUMNS: (
    dynlog_audit::id,
    dynlog_audit::at,
    dynlog_audit::actor,
    dynlog_audit::action,
    dynlog_audit::entity,
    dynlog_audit::entity_id,
    dynlog_audit::before,
    dynlog_audit::after,
) = (
    dynlog_audit::id,
    dynlog_audit::at,
    dynlog_audit::actor,
    dynlog_audit::action,
    dynlog_audit::entity,
    dynlog_audit::entity_id,
    dynlog_audit::before,
    dynlog_audit::after,
);

fn config_of(row: ConfigRow) -> Result<Config> {
    let (id, name, body, version, updated_at) = row;
    let body = LoggingConfig::from_json(&body).map_err(|e| Error::Store {
        message: format!("config {id} has a body this version cannot read: {e}"),
        source: Some(Box::new(e)),
    })?;
    Ok(Config {
        id: ConfigId(id),
        name,
        body,
        version,
        updated_at: updated_at.0,
    })
}

fn trigger_of(row: TriggerRow) -> Trigger {
    let (id, name, is_active, start, end, config_id, version, updated_at) = row;
    Trigger {
        id: TriggerId(id),
        name,
        is_active,
        start: start.map(|at| at.0),
        end: end.map(|at| at.0),
        config_id: ConfigId(config_id),
        version,
        updated_at: updated_at.0,
    }
}

fn token_of(row: TokenRow) -> ApiToken {
    let (id, name, token_hash, created_at, last_used_at) = row;
    ApiToken {
        id,
        name,
        token_hash,
        created_at: created_at.0,
        last_used_at: last_used_at.map(|at| at.0),
    }
}

fn account_of(row: AccountRow) -> Account {
    let (username, password_hash, created_at, session_epoch) = row;
    Account {
        username,
        password_hash,
        created_at: created_at.0,
        session_epoch,
    }
}

fn audit_of(row: AuditRow) -> AuditEntry {
    let (id, at, actor, action, entity, entity_id, before, after) = row;
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    AuditEntry {
        id,
        at: at.0,
        actor,
        action,
        entity,
        entity_id,
        before: parse(before),
        after: parse(after),
    }
}

/// The entity as the audit keeps it. Core's types leave their hashes out of their JSON.
fn json<T: Serialize>(value: Option<&T>) -> Option<String> {
    value.and_then(|v| serde_json::to_string(v).ok())
}

/// Bumps the revision: the first statement of every write, so it also takes the write lock
/// (SQLite's database lock, PostgreSQL's row lock) and writers queue instead of interleaving.
fn bump(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::update(dynlog_revision::table.find(1))
        .set(dynlog_revision::value.eq(dynlog_revision::value + 1))
        .execute(conn)
        .map(drop)
}

fn read_revision(conn: &mut AnyConnection) -> QueryResult<i64> {
    dynlog_revision::table
        .find(1)
        .select(dynlog_revision::value)
        .first::<i64>(conn)
}

/// Appends one audit entry.
fn audit<T: Serialize>(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: i64,
    before: Option<&T>,
    after: Option<&T>,
) -> QueryResult<()> {
    diesel::insert_into(dynlog_audit::table)
        .values((
            dynlog_audit::at.eq(At::now()),
            dynlog_audit::actor.eq(actor),
            dynlog_audit::action.eq(action),
            dynlog_audit::entity.eq(entity),
            dynlog_audit::entity_id.eq(entity_id),
            dynlog_audit::before.eq(json(before)),
            dynlog_audit::after.eq(json(after)),
        ))
        .execute(conn)
        .map(drop)
}

fn find_config(conn: &mut AnyConnection, id: ConfigId) -> TxResult<Config> {
    let row = dynlog_configs::table
        .find(id.0)
        .select(CONFIG_COLUMNS)
        .first::<ConfigRow>(conn)
        .optional()?;
    Ok(config_of(row.ok_or(Error::ConfigNotFound(id))?)?)
}

fn find_trigger(conn: &mut AnyConnection, id: TriggerId) -> TxResult<Trigger> {
    let row = dynlog_triggers::table
        .find(id.0)
        .select(TRIGGER_COLUMNS)
        .first::<TriggerRow>(conn)
        .optional()?;
    Ok(trigger_of(row.ok_or(Error::TriggerNotFound(id))?))
}

/// A unique-name violation as the typed error; anything else as it is.
fn unique_name(name: &str) -> impl FnOnce(diesel::result::Error) -> TxError + '_ {
    move |e| match e {
        diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            TxError::Core(Error::DuplicateName(name.to_string()))
        }
        other => TxError::Db(other),
    }
}

fn check_trigger(conn: &mut AnyConnection, new: &NewTrigger) -> TxResult<()> {
    new.validate()?;
    find_config(conn, new.config_id)?;
    Ok(())
}

impl DieselStore {
    /// Opens the store at `url`: a SQLite file path (created if missing), `:memory:`, or a
    /// `postgres://` URL; runs the migrations. An unreachable database is an
    /// [`Error::Store`] with the driver's message.
    pub fn open(url: &str) -> Result<DieselStore> {
        let (pool, backend) = open_pool(url)?;
        Ok(DieselStore {
            pool,
            backend,
            url: dynlog_core::redact_url(url),
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn conn(&self) -> Result<Conn> {
        self.pool
            .get()
            .map_err(|e| Error::store(format!("connecting to {}", self.url), e))
    }

    /// Runs reads that need no common view of the data.
    fn read<T>(&self, what: &str, f: impl FnOnce(&mut AnyConnection) -> TxResult<T>) -> Result<T> {
        let mut conn = self.conn()?;
        f(&mut conn).map_err(|e| self.tx_error(what, e))
    }

    /// Runs a write in one transaction that bumps the revision first; any error rolls all of it
    /// back.
    ///
    /// Statements that can break a constraint run with `execute` and the row is read back, not
    /// with `RETURNING`: Diesel's SQLite driver reports a failed `RETURNING` statement to the
    /// instrumentation as a success, so [`log_queries`](crate::log_queries) would miss it.
    fn write<T>(&self, what: &str, f: impl FnOnce(&mut AnyConnection) -> TxResult<T>) -> Result<T> {
        let mut conn = self.conn()?;
        conn.transaction(|conn| {
            bump(conn)?;
            f(conn)
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

impl Store for DieselStore {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        let mut pooled = self.conn()?;
        let conn: &mut AnyConnection = &mut pooled;
        conn.transaction(|conn| {
            // One view for the three reads. SQLite's transactions are snapshots already;
            // PostgreSQL's default lets each statement see what was committed since the last.
            if let AnyConnection::Postgresql(pg) = conn {
                pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            let revision = read_revision(conn)?;
            let now = At(now);
            // Active, a non-empty window, not ended: what `Trigger::can_win_after` says, where
            // the index `dynlog_triggers_can_win` serves it.
            let can_win = || {
                dynlog_triggers::is_active
                    .eq(true)
                    .and(
                        dynlog_triggers::end_at
                            .is_null()
                            .or(dynlog_triggers::end_at.gt(now)),
                    )
                    .and(
                        dynlog_triggers::start_at
                            .is_null()
                            .or(dynlog_triggers::end_at.is_null())
                            .or(dynlog_triggers::start_at.lt(dynlog_triggers::end_at)),
                    )
            };
            let triggers = dynlog_triggers::table
                .filter(can_win())
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?
                .into_iter()
                .map(trigger_of)
                .collect();
            let configs = dynlog_configs::table
                .filter(
                    dynlog_configs::id.eq_any(
                        dynlog_triggers::table
                            .filter(can_win())
                            .select(dynlog_triggers::config_id),
                    ),
                )
                .select(CONFIG_COLUMNS)
                .load::<ConfigRow>(conn)?
                .into_iter()
                .map(|row| config_of(row).map(|config| (config.id, config)))
                .collect::<Result<BTreeMap<_, _>>>()?;
            Ok(Snapshot {
                revision,
                triggers,
                configs,
            })
        })
        .map_err(|e| self.tx_error("reading the snapshot", e))
    }

    fn revision(&self) -> Result<i64> {
        self.read("reading the revision", |conn| Ok(read_revision(conn)?))
    }

    fn configs(&self) -> Result<Vec<Config>> {
        self.read("listing configs", |conn| {
            let rows = dynlog_configs::table
                .order(dynlog_configs::name.asc())
                .select(CONFIG_COLUMNS)
                .load::<ConfigRow>(conn)?;
            Ok(rows
                .into_iter()
                .map(config_of)
                .collect::<Result<Vec<_>>>()?)
        })
    }

    fn config(&self, id: ConfigId) -> Result<Config> {
        self.read("reading a config", |conn| find_config(conn, id))
    }

    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Config> {
        validate_name("config name", &new.name)?;
        let body = serde_json::to_string(&new.body).unwrap_or_default();
        self.write("creating a config", |conn| {
            let at = At::now();
            diesel::insert_into(dynlog_configs::table)
                .values((
                    dynlog_configs::name.eq(&new.name),
                    dynlog_configs::body.eq(&body),
                    dynlog_configs::version.eq(1),
                    dynlog_configs::created_at.eq(at),
                    dynlog_configs::updated_at.eq(at),
                ))
                .execute(conn)
                .map_err(unique_name(&new.name))?;
            let config = config_of(
                dynlog_configs::table
                    .filter(dynlog_configs::name.eq(&new.name))
                    .select(CONFIG_COLUMNS)
                    .first::<ConfigRow>(conn)?,
            )?;
            audit(
                conn,
                actor,
                "create",
                "config",
                config.id.0,
                None,
                Some(&config),
            )?;
            Ok(config)
        })
    }

    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Config> {
        validate_name("config name", &new.name)?;
        let body = serde_json::to_string(&new.body).unwrap_or_default();
        self.write("updating a config", |conn| {
            let before = find_config(conn, id)?;
            check_version("config", id.0, version, before.version)?;
            // The version in the filter too: the revision bump already serializes writers, and
            // this keeps the rule true for anyone writing to the table without it.
            let changed = diesel::update(
                dynlog_configs::table
                    .filter(dynlog_configs::id.eq(id.0))
                    .filter(dynlog_configs::version.eq(version)),
            )
            .set((
                dynlog_configs::name.eq(&new.name),
                dynlog_configs::body.eq(&body),
                dynlog_configs::version.eq(version + 1),
                dynlog_configs::updated_at.eq(At::now()),
            ))
            .execute(conn)
            .map_err(unique_name(&new.name))?;
            let after = find_config(conn, id)?;
            if changed == 0 {
                check_version("config", id.0, version, after.version)?;
            }
            audit(
                conn,
                actor,
                "update",
                "config",
                id.0,
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<()> {
        self.write("deleting a config", |conn| {
            let before = find_config(conn, id)?;
            let triggers = dynlog_triggers::table
                .filter(dynlog_triggers::config_id.eq(id.0))
                .order(dynlog_triggers::id.asc())
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?;
            for trigger in triggers.into_iter().map(trigger_of) {
                audit(
                    conn,
                    actor,
                    "delete",
                    "trigger",
                    trigger.id.0,
                    Some(&trigger),
                    None,
                )?;
            }
            // The foreign key cascades too; deleting them here does not depend on SQLite's
            // `foreign_keys` pragma being on.
            diesel::delete(dynlog_triggers::table.filter(dynlog_triggers::config_id.eq(id.0)))
                .execute(conn)?;
            diesel::delete(dynlog_configs::table.find(id.0)).execute(conn)?;
            audit(conn, actor, "delete", "config", id.0, Some(&before), None)?;
            Ok(())
        })
    }

    fn triggers(&self) -> Result<Vec<Trigger>> {
        self.read("listing triggers", |conn| {
            let mut triggers: Vec<Trigger> = dynlog_triggers::table
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?
                .into_iter()
                .map(trigger_of)
                .collect();
            // Latest start first, a missing start being the earliest; NULL ordering differs
            // between the backends, so sort here.
            triggers.sort_by_key(|t| std::cmp::Reverse((t.start, t.id)));
            Ok(triggers)
        })
    }

    fn trigger(&self, id: TriggerId) -> Result<Trigger> {
        self.read("reading a trigger", |conn| find_trigger(conn, id))
    }

    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Trigger> {
        self.write("creating a trigger", |conn| {
            check_trigger(conn, new)?;
            let at = At::now();
            let row = diesel::insert_into(dynlog_triggers::table)
                .values((
                    dynlog_triggers::name.eq(&new.name),
                    dynlog_triggers::is_active.eq(new.is_active),
                    dynlog_triggers::start_at.eq(new.start.map(At)),
                    dynlog_triggers::end_at.eq(new.end.map(At)),
                    dynlog_triggers::config_id.eq(new.config_id.0),
                    dynlog_triggers::version.eq(1),
                    dynlog_triggers::created_at.eq(at),
                    dynlog_triggers::updated_at.eq(at),
                ))
                .returning(TRIGGER_COLUMNS)
                .get_result::<TriggerRow>(conn)?;
            let trigger = trigger_of(row);
            audit(
                conn,
                actor,
                "create",
                "trigger",
                trigger.id.0,
                None,
                Some(&trigger),
            )?;
            Ok(trigger)
        })
    }

    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Trigger> {
        self.write("updating a trigger", |conn| {
            let before = find_trigger(conn, id)?;
            check_version("trigger", id.0, version, before.version)?;
            check_trigger(conn, new)?;
            let changed = diesel::update(
                dynlog_triggers::table
                    .filter(dynlog_triggers::id.eq(id.0))
                    .filter(dynlog_triggers::version.eq(version)),
            )
            .set((
                dynlog_triggers::name.eq(&new.name),
                dynlog_triggers::is_active.eq(new.is_active),
                dynlog_triggers::start_at.eq(new.start.map(At)),
                dynlog_triggers::end_at.eq(new.end.map(At)),
                dynlog_triggers::config_id.eq(new.config_id.0),
                dynlog_triggers::version.eq(version + 1),
                dynlog_triggers::updated_at.eq(At::now()),
            ))
            .execute(conn)?;
            let after = find_trigger(conn, id)?;
            if changed == 0 {
                check_version("trigger", id.0, version, after.version)?;
            }
            audit(
                conn,
                actor,
                "update",
                "trigger",
                id.0,
                Some(&before),
                Some(&after),
            )?;
            Ok(after)
        })
    }

    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<()> {
        self.write("deleting a trigger", |conn| {
            let before = find_trigger(conn, id)?;
            diesel::delete(dynlog_triggers::table.find(id.0)).execute(conn)?;
            audit(conn, actor, "delete", "trigger", id.0, Some(&before), None)?;
            Ok(())
        })
    }

    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<usize> {
        let ended = dynlog_triggers::end_at.lt(At(ended_before));
        // Nothing to prune is no change: no revision bump, no audit entry.
        let count = self.read("pruning triggers", |conn| {
            Ok(dynlog_triggers::table
                .filter(ended)
                .count()
                .get_result::<i64>(conn)?)
        })?;
        if count == 0 {
            return Ok(0);
        }
        self.write("pruning triggers", |conn| {
            let doomed = dynlog_triggers::table
                .filter(ended)
                .order(dynlog_triggers::id.asc())
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?;
            // Writers queue on the revision, so these are the rows the DELETE removes.
            diesel::delete(dynlog_triggers::table.filter(ended)).execute(conn)?;
            for trigger in doomed.iter().cloned().map(trigger_of) {
                audit(
                    conn,
                    actor,
                    "prune",
                    "trigger",
                    trigger.id.0,
                    Some(&trigger),
                    None,
                )?;
            }
            Ok(doomed.len())
        })
    }

    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read("reading the audit", |conn| {
            let mut select = dynlog_audit::table
                .order(dynlog_audit::id.desc())
                .limit(i64::try_from(query.limit).unwrap_or(i64::MAX))
                .select(AUDIT_COLUMNS)
                .into_boxed();
            if let Some(before) = query.before {
                select = select.filter(dynlog_audit::id.lt(before));
            }
            let rows = select.load::<AuditRow>(conn)?;
            Ok(rows.into_iter().map(audit_of).collect())
        })
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.read("listing accounts", |conn| {
            let rows = dynlog_accounts::table
                .order(dynlog_accounts::username.asc())
                .select(ACCOUNT_COLUMNS)
                .load::<AccountRow>(conn)?;
            Ok(rows.into_iter().map(account_of).collect())
        })
    }

    fn account(&self, username: &str) -> Result<Option<Account>> {
        self.read("reading an account", |conn| {
            let row = dynlog_accounts::table
                .find(username)
                .select(ACCOUNT_COLUMNS)
                .first::<AccountRow>(conn)
                .optional()?;
            Ok(row.map(account_of))
        })
    }

    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account> {
        validate_name("username", username)?;
        self.write("writing an account", |conn| {
            let before = dynlog_accounts::table
                .find(username)
                .select(ACCOUNT_COLUMNS)
                .first::<AccountRow>(conn)
                .optional()?
                .map(account_of);
            let account = Account {
                username: username.to_string(),
                password_hash: password_hash.to_string(),
                created_at: before
                    .as_ref()
                    .map_or_else(|| At::now().0, |a| a.created_at),
                session_epoch: before.as_ref().map_or(0, |a| a.session_epoch + 1),
            };
            if before.is_some() {
                // A new password ends the account's sessions.
                diesel::update(dynlog_accounts::table.find(username))
                    .set((
                        dynlog_accounts::password_hash.eq(password_hash),
                        dynlog_accounts::session_epoch.eq(account.session_epoch),
                    ))
                    .execute(conn)?;
            } else {
                diesel::insert_into(dynlog_accounts::table)
                    .values((
                        dynlog_accounts::username.eq(username),
                        dynlog_accounts::password_hash.eq(password_hash),
                        dynlog_accounts::created_at.eq(At(account.created_at)),
                        dynlog_accounts::session_epoch.eq(account.session_epoch),
                    ))
                    .execute(conn)?;
            }
            let action = if before.is_some() { "update" } else { "create" };
            audit(
                conn,
                actor,
                action,
                "account",
                0,
                before.as_ref(),
                Some(&account),
            )?;
            Ok(account)
        })
    }

    fn end_sessions(&self, actor: &str, username: &str) -> Result<i64> {
        self.write("ending an account's sessions", |conn| {
            let before = dynlog_accounts::table
                .find(username)
                .select(ACCOUNT_COLUMNS)
                .first::<AccountRow>(conn)
                .optional()?
                .map(account_of)
                .ok_or_else(|| Error::AccountNotFound(username.to_string()))?;
            let after = Account {
                session_epoch: before.session_epoch + 1,
                ..before.clone()
            };
            // Writers queue on the revision bumped first, so `before` is still what is stored.
            diesel::update(dynlog_accounts::table.find(username))
                .set(dynlog_accounts::session_epoch.eq(after.session_epoch))
                .execute(conn)?;
            audit(
                conn,
                actor,
                "update",
                "account",
                0,
                Some(&before),
                Some(&after),
            )?;
            Ok(after.session_epoch)
        })
    }

    fn create_token(&self, actor: &str, name: &str, token_hash: &str) -> Result<ApiToken> {
        validate_name("token name", name)?;
        self.write("creating a token", |conn| {
            diesel::insert_into(dynlog_api_tokens::table)
                .values((
                    dynlog_api_tokens::name.eq(name),
                    dynlog_api_tokens::token_hash.eq(token_hash),
                    dynlog_api_tokens::created_at.eq(At::now()),
                ))
                .execute(conn)?;
            let token = token_of(
                dynlog_api_tokens::table
                    .filter(dynlog_api_tokens::token_hash.eq(token_hash))
                    .select(TOKEN_COLUMNS)
                    .first::<TokenRow>(conn)?,
            );
            audit(conn, actor, "create", "token", token.id, None, Some(&token))?;
            Ok(token)
        })
    }

    fn use_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        // Marking a token used is bookkeeping, not a change: no revision, no audit entry.
        self.read("using a token", |conn| {
            let changed = diesel::update(
                dynlog_api_tokens::table.filter(dynlog_api_tokens::token_hash.eq(token_hash)),
            )
            .set(dynlog_api_tokens::last_used_at.eq(Some(At::now())))
            .execute(conn)?;
            if changed == 0 {
                return Ok(None);
            }
            let row = dynlog_api_tokens::table
                .filter(dynlog_api_tokens::token_hash.eq(token_hash))
                .select(TOKEN_COLUMNS)
                .first::<TokenRow>(conn)
                .optional()?;
            Ok(row.map(token_of))
        })
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        self.read("listing tokens", |conn| {
            let rows = dynlog_api_tokens::table
                .order(dynlog_api_tokens::id.desc())
                .select(TOKEN_COLUMNS)
                .load::<TokenRow>(conn)?;
            Ok(rows.into_iter().map(token_of).collect())
        })
    }

    fn delete_token(&self, actor: &str, id: i64) -> Result<()> {
        self.write("deleting a token", |conn| {
            let row = dynlog_api_tokens::table
                .find(id)
                .select(TOKEN_COLUMNS)
                .first::<TokenRow>(conn)
                .optional()?;
            let before = token_of(row.ok_or(Error::TokenNotFound(id))?);
            diesel::delete(dynlog_api_tokens::table.find(id)).execute(conn)?;
            audit(conn, actor, "delete", "token", id, Some(&before), None)?;
            Ok(())
        })
    }
}
