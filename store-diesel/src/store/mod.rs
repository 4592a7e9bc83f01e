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

use crate::connection::{AnyConnection, Backend, DbPool, MultiBackend, open_pool};
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

/// A row of `dynlog_configs` as it is read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dynlog_configs, check_for_backend(MultiBackend))]
struct ConfigRow {
    id: i64,
    name: String,
    body: String,
    version: i64,
    updated_at: At,
}

/// What a config's create or update writes to `dynlog_configs`.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = dynlog_configs)]
struct ConfigChange<'a> {
    name: &'a str,
    body: &'a str,
    version: i64,
    updated_at: At,
}

/// A new row of `dynlog_configs`.
#[derive(Insertable)]
#[diesel(table_name = dynlog_configs)]
struct NewConfigRow<'a> {
    #[diesel(embed)]
    change: ConfigChange<'a>,
    created_at: At,
}

/// A row of `dynlog_triggers` as it is read.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = dynlog_triggers, check_for_backend(MultiBackend))]
struct TriggerRow {
    id: i64,
    name: String,
    is_active: bool,
    start_at: Option<At>,
    end_at: Option<At>,
    config_id: i64,
    version: i64,
    updated_at: At,
}

/// What a trigger's create or update writes to `dynlog_triggers`. A missing bound is written as
/// NULL, in an update too.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = dynlog_triggers)]
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
struct TriggerChange<'a> {
    name: &'a str,
    is_active: bool,
    start_at: Option<At>,
    end_at: Option<At>,
    config_id: i64,
    version: i64,
    updated_at: At,
}

impl<'a> TriggerChange<'a> {
    fn of(new: &'a NewTrigger, version: i64) -> Self {
        TriggerChange {
            name: &new.name,
            is_active: new.is_active,
            start_at: new.start.map(At),
            end_at: new.end.map(At),
            config_id: new.config_id.0,
            version,
            updated_at: At::now(),
        }
    }
}

/// A new row of `dynlog_triggers`.
#[derive(Insertable)]
#[diesel(table_name = dynlog_triggers)]
struct NewTriggerRow<'a> {
    #[diesel(embed)]
    change: TriggerChange<'a>,
    created_at: At,
}

/// A row of `dynlog_audit` as it is read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dynlog_audit, check_for_backend(MultiBackend))]
struct AuditRow {
    id: i64,
    at: At,
    actor: String,
    action: String,
    entity: String,
    entity_id: i64,
    before: Option<String>,
    after: Option<String>,
}

/// A new row of `dynlog_audit`.
#[derive(Insertable)]
#[diesel(table_name = dynlog_audit, treat_none_as_default_value = false)]
struct NewAuditRow<'a> {
    at: At,
    actor: &'a str,
    action: &'a str,
    entity: &'a str,
    entity_id: i64,
    before: Option<String>,
    after: Option<String>,
}

/// A row of `dynlog_api_tokens` as it is read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dynlog_api_tokens, check_for_backend(MultiBackend))]
struct TokenRow {
    id: i64,
    name: String,
    token_hash: String,
    created_at: At,
    last_used_at: Option<At>,
}

/// A new row of `dynlog_api_tokens`.
#[derive(Insertable)]
#[diesel(table_name = dynlog_api_tokens)]
struct NewTokenRow<'a> {
    name: &'a str,
    token_hash: &'a str,
    created_at: At,
}

/// A row of `dynlog_accounts`, as it is read and as it is created.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = dynlog_accounts, check_for_backend(MultiBackend))]
struct AccountRow {
    username: String,
    password_hash: String,
    created_at: At,
    session_epoch: i64,
}

impl TryFrom<ConfigRow> for Config {
    type Error = Error;

    fn try_from(row: ConfigRow) -> Result<Config> {
        let body = LoggingConfig::from_json(&row.body).map_err(|e| Error::Store {
            message: format!("config {} has a body this version cannot read: {e}", row.id),
            source: Some(Box::new(e)),
        })?;
        Ok(Config {
            id: ConfigId(row.id),
            name: row.name,
            body,
            version: row.version,
            updated_at: row.updated_at.0,
        })
    }
}

impl From<TriggerRow> for Trigger {
    fn from(row: TriggerRow) -> Trigger {
        Trigger {
            id: TriggerId(row.id),
            name: row.name,
            is_active: row.is_active,
            start: row.start_at.map(|at| at.0),
            end: row.end_at.map(|at| at.0),
            config_id: ConfigId(row.config_id),
            version: row.version,
            updated_at: row.updated_at.0,
        }
    }
}

impl From<TokenRow> for ApiToken {
    fn from(row: TokenRow) -> ApiToken {
        ApiToken {
            id: row.id,
            name: row.name,
            token_hash: row.token_hash,
            created_at: row.created_at.0,
            last_used_at: row.last_used_at.map(|at| at.0),
        }
    }
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Account {
        Account {
            username: row.username,
            password_hash: row.password_hash,
            created_at: row.created_at.0,
            session_epoch: row.session_epoch,
        }
    }
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> AuditEntry {
        let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        AuditEntry {
            id: row.id,
            at: row.at.0,
            actor: row.actor,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: parse(row.before),
            after: parse(row.after),
        }
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
        .values(NewAuditRow {
            at: At::now(),
            actor,
            action,
            entity,
            entity_id,
            before: json(before),
            after: json(after),
        })
        .execute(conn)
        .map(drop)
}

fn find_config(conn: &mut AnyConnection, id: ConfigId) -> TxResult<Config> {
    let row = dynlog_configs::table
        .find(id.0)
        .select(ConfigRow::as_select())
        .first(conn)
        .optional()?;
    Ok(Config::try_from(row.ok_or(Error::ConfigNotFound(id))?)?)
}

fn find_trigger(conn: &mut AnyConnection, id: TriggerId) -> TxResult<Trigger> {
    let row = dynlog_triggers::table
        .find(id.0)
        .select(TriggerRow::as_select())
        .first(conn)
        .optional()?;
    Ok(Trigger::from(row.ok_or(Error::TriggerNotFound(id))?))
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
                .select(TriggerRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Trigger::from)
                .collect();
            let configs = dynlog_configs::table
                .filter(
                    dynlog_configs::id.eq_any(
                        dynlog_triggers::table
                            .filter(can_win())
                            .select(dynlog_triggers::config_id),
                    ),
                )
                .select(ConfigRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|row| Config::try_from(row).map(|config| (config.id, config)))
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
                .select(ConfigRow::as_select())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(Config::try_from)
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
            let change = ConfigChange {
                name: &new.name,
                body: &body,
                version: 1,
                updated_at: at,
            };
            diesel::insert_into(dynlog_configs::table)
                .values(NewConfigRow {
                    change,
                    created_at: at,
                })
                .execute(conn)
                .map_err(unique_name(&new.name))?;
            let config = Config::try_from(
                dynlog_configs::table
                    .filter(dynlog_configs::name.eq(&new.name))
                    .select(ConfigRow::as_select())
                    .first(conn)?,
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
            .set(ConfigChange {
                name: &new.name,
                body: &body,
                version: version + 1,
                updated_at: At::now(),
            })
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
                .select(TriggerRow::as_select())
                .load(conn)?;
            for trigger in triggers.into_iter().map(Trigger::from) {
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
                .select(TriggerRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Trigger::from)
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
            let change = TriggerChange::of(new, 1);
            let row = diesel::insert_into(dynlog_triggers::table)
                .values(NewTriggerRow {
                    created_at: change.updated_at,
                    change,
                })
                // The columns themselves: the multi-connection passes a RETURNING clause on to
                // the backend's own query builder, which knows no `SelectBy` of the multi-backend.
                .returning(<TriggerRow as Selectable<MultiBackend>>::construct_selection())
                .get_result::<TriggerRow>(conn)?;
            let trigger = Trigger::from(row);
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
            .set(TriggerChange::of(new, version + 1))
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
                .select(TriggerRow::as_select())
                .load(conn)?;
            // Writers queue on the revision, so these are the rows the DELETE removes.
            diesel::delete(dynlog_triggers::table.filter(ended)).execute(conn)?;
            for trigger in doomed.iter().cloned().map(Trigger::from) {
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
                .select(AuditRow::as_select())
                .into_boxed();
            if let Some(before) = query.before {
                select = select.filter(dynlog_audit::id.lt(before));
            }
            let rows = select.load(conn)?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        })
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.read("listing accounts", |conn| {
            let rows = dynlog_accounts::table
                .order(dynlog_accounts::username.asc())
                .select(AccountRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Account::from).collect())
        })
    }

    fn account(&self, username: &str) -> Result<Option<Account>> {
        self.read("reading an account", |conn| {
            let row = dynlog_accounts::table
                .find(username)
                .select(AccountRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(Account::from))
        })
    }

    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account> {
        validate_name("username", username)?;
        self.write("writing an account", |conn| {
            let before = dynlog_accounts::table
                .find(username)
                .select(AccountRow::as_select())
                .first(conn)
                .optional()?
                .map(Account::from);
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
                    .values(AccountRow {
                        username: account.username.clone(),
                        password_hash: account.password_hash.clone(),
                        created_at: At(account.created_at),
                        session_epoch: account.session_epoch,
                    })
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
                .select(AccountRow::as_select())
                .first(conn)
                .optional()?
                .map(Account::from)
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
                .values(NewTokenRow {
                    name,
                    token_hash,
                    created_at: At::now(),
                })
                .execute(conn)?;
            let token = ApiToken::from(
                dynlog_api_tokens::table
                    .filter(dynlog_api_tokens::token_hash.eq(token_hash))
                    .select(TokenRow::as_select())
                    .first(conn)?,
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
                .select(TokenRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(ApiToken::from))
        })
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        self.read("listing tokens", |conn| {
            let rows = dynlog_api_tokens::table
                .order(dynlog_api_tokens::id.desc())
                .select(TokenRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(ApiToken::from).collect())
        })
    }

    fn delete_token(&self, actor: &str, id: i64) -> Result<()> {
        self.write("deleting a token", |conn| {
            let row = dynlog_api_tokens::table
                .find(id)
                .select(TokenRow::as_select())
                .first(conn)
                .optional()?;
            let before = ApiToken::from(row.ok_or(Error::TokenNotFound(id))?);
            diesel::delete(dynlog_api_tokens::table.find(id)).execute(conn)?;
            audit(conn, actor, "delete", "token", id, Some(&before), None)?;
            Ok(())
        })
    }
}
