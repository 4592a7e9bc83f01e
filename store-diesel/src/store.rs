//! `DieselStore`: the `Store` contract on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::result::DatabaseErrorKind;
use dynlog_core::{
    Account, ApiToken, AuditEntry, AuditQuery, Config, ConfigId, Error, LoggingConfig, NewConfig,
    NewTrigger, Result, Snapshot, Store, Trigger, TriggerId, check_version, validate_name,
};
use serde::Serialize;

use crate::connection::{AnyConnection, Backend, DbPool, open_pool, redact};
use crate::schema::{
    dynlog_accounts, dynlog_api_tokens, dynlog_audit, dynlog_configs, dynlog_revision,
    dynlog_triggers,
};

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
    /// Nothing to write: roll back the revision bump and succeed.
    Nothing,
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

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn now() -> i64 {
    micros(Utc::now())
}

type ConfigRow = (i64, String, String, i64, i64);
type TriggerRow = (i64, String, bool, Option<i64>, Option<i64>, i64, i64, i64);
type AuditRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
);
type TokenRow = (i64, String, String, i64, Option<i64>);

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
        updated_at: time(updated_at),
    })
}

fn trigger_of(row: TriggerRow) -> Trigger {
    let (id, name, is_active, start, end, config_id, version, updated_at) = row;
    Trigger {
        id: TriggerId(id),
        name,
        is_active,
        start: start.map(time),
        end: end.map(time),
        config_id: ConfigId(config_id),
        version,
        updated_at: time(updated_at),
    }
}

fn token_of(row: TokenRow) -> ApiToken {
    let (id, name, token_hash, created_at, last_used_at) = row;
    ApiToken {
        id,
        name,
        token_hash,
        created_at: time(created_at),
        last_used_at: last_used_at.map(time),
    }
}

fn json<T: Serialize>(value: Option<&T>) -> Option<String> {
    value.and_then(|v| serde_json::to_string(v).ok())
}

/// Bumps the revision: the first statement of every write, so it also takes the write lock.
fn bump(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::update(dynlog_revision::table.find(1))
        .set(dynlog_revision::value.eq(dynlog_revision::value + 1))
        .execute(conn)
        .map(drop)
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
            dynlog_audit::at.eq(now()),
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
            url: redact(url),
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

    fn db(&self, what: &str, e: diesel::result::Error) -> Error {
        Error::store(format!("{what} on {}", self.url), e)
    }

    fn read<T>(&self, what: &str, f: impl FnOnce(&mut AnyConnection) -> TxResult<T>) -> Result<T> {
        let mut conn = self.conn()?;
        f(&mut conn).map_err(|e| self.tx_error(what, e))
    }

    fn write<T: Default>(
        &self,
        what: &str,
        f: impl FnOnce(&mut AnyConnection) -> TxResult<T>,
    ) -> Result<T> {
        let mut conn = self.conn()?;
        match conn.transaction(|conn| {
            bump(conn)?;
            f(conn)
        }) {
            Ok(value) => Ok(value),
            Err(TxError::Nothing) => Ok(T::default()),
            Err(e) => Err(self.tx_error(what, e)),
        }
    }

    fn tx_error(&self, what: &str, e: TxError) -> Error {
        match e {
            TxError::Core(e) => e,
            TxError::Db(e) => self.db(what, e),
            TxError::Nothing => Error::Store {
                message: format!("{what}: nothing to do"),
                source: None,
            },
        }
    }

    /// `write` for values without a `Default`.
    fn write_one<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut AnyConnection) -> TxResult<T>,
    ) -> Result<T> {
        self.write(what, |conn| f(conn).map(Some))
            .and_then(|value| {
                value.ok_or_else(|| Error::Store {
                    message: format!("{what}: nothing written"),
                    source: None,
                })
            })
    }
}

impl Store for DieselStore {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        self.read("reading the snapshot", |conn| {
            // The revision first: a write that lands between these reads makes the snapshot
            // look older than its data, so the next check reloads, never the other way round.
            let revision = dynlog_revision::table
                .find(1)
                .select(dynlog_revision::value)
                .first::<i64>(conn)?;
            let now = micros(now);
            let triggers: Vec<Trigger> = dynlog_triggers::table
                .filter(dynlog_triggers::is_active.eq(true))
                .filter(
                    dynlog_triggers::end_at
                        .is_null()
                        .or(dynlog_triggers::end_at.gt(now)),
                )
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?
                .into_iter()
                .map(trigger_of)
                .filter(Trigger::has_window)
                .collect();
            let mut ids: Vec<i64> = triggers.iter().map(|t| t.config_id.0).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut configs = BTreeMap::new();
            for chunk in ids.chunks(500) {
                let rows = dynlog_configs::table
                    .filter(dynlog_configs::id.eq_any(chunk))
                    .select(CONFIG_COLUMNS)
                    .load::<ConfigRow>(conn)?;
                for row in rows {
                    let config = config_of(row)?;
                    configs.insert(config.id, config);
                }
            }
            Ok(Snapshot {
                revision,
                triggers,
                configs,
            })
        })
    }

    fn revision(&self) -> Result<i64> {
        self.read("reading the revision", |conn| {
            Ok(dynlog_revision::table
                .find(1)
                .select(dynlog_revision::value)
                .first::<i64>(conn)?)
        })
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
        self.write_one("creating a config", |conn| {
            let at = now();
            let id = diesel::insert_into(dynlog_configs::table)
                .values((
                    dynlog_configs::name.eq(&new.name),
                    dynlog_configs::body.eq(&body),
                    dynlog_configs::version.eq(1),
                    dynlog_configs::created_at.eq(at),
                    dynlog_configs::updated_at.eq(at),
                ))
                .returning(dynlog_configs::id)
                .get_result::<i64>(conn)
                .map_err(unique_name(&new.name))?;
            let config = find_config(conn, ConfigId(id))?;
            audit(conn, actor, "create", "config", id, None, Some(&config))?;
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
        self.write_one("updating a config", |conn| {
            let before = find_config(conn, id)?;
            check_version("config", id.0, version, before.version)?;
            let changed = diesel::update(
                dynlog_configs::table
                    .filter(dynlog_configs::id.eq(id.0))
                    .filter(dynlog_configs::version.eq(version)),
            )
            .set((
                dynlog_configs::name.eq(&new.name),
                dynlog_configs::body.eq(&body),
                dynlog_configs::version.eq(version + 1),
                dynlog_configs::updated_at.eq(now()),
            ))
            .execute(conn)
            .map_err(unique_name(&new.name))?;
            if changed == 0 {
                let stored = find_config(conn, id)?;
                check_version("config", id.0, version, stored.version)?;
            }
            let after = find_config(conn, id)?;
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
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?;
            for trigger in triggers.into_iter().map(trigger_of) {
                diesel::delete(dynlog_triggers::table.find(trigger.id.0)).execute(conn)?;
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
        self.write_one("creating a trigger", |conn| {
            check_trigger(conn, new)?;
            let at = now();
            let id = diesel::insert_into(dynlog_triggers::table)
                .values((
                    dynlog_triggers::name.eq(&new.name),
                    dynlog_triggers::is_active.eq(new.is_active),
                    dynlog_triggers::start_at.eq(new.start.map(micros)),
                    dynlog_triggers::end_at.eq(new.end.map(micros)),
                    dynlog_triggers::config_id.eq(new.config_id.0),
                    dynlog_triggers::version.eq(1),
                    dynlog_triggers::created_at.eq(at),
                    dynlog_triggers::updated_at.eq(at),
                ))
                .returning(dynlog_triggers::id)
                .get_result::<i64>(conn)?;
            let trigger = find_trigger(conn, TriggerId(id))?;
            audit(conn, actor, "create", "trigger", id, None, Some(&trigger))?;
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
        self.write_one("updating a trigger", |conn| {
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
                dynlog_triggers::start_at.eq(new.start.map(micros)),
                dynlog_triggers::end_at.eq(new.end.map(micros)),
                dynlog_triggers::config_id.eq(new.config_id.0),
                dynlog_triggers::version.eq(version + 1),
                dynlog_triggers::updated_at.eq(now()),
            ))
            .execute(conn)?;
            if changed == 0 {
                let stored = find_trigger(conn, id)?;
                check_version("trigger", id.0, version, stored.version)?;
            }
            let after = find_trigger(conn, id)?;
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
        self.write("pruning triggers", |conn| {
            let doomed = dynlog_triggers::table
                .filter(dynlog_triggers::end_at.lt(micros(ended_before)))
                .select(TRIGGER_COLUMNS)
                .load::<TriggerRow>(conn)?;
            if doomed.is_empty() {
                return Err(TxError::Nothing);
            }
            for trigger in doomed.iter().cloned().map(trigger_of) {
                diesel::delete(dynlog_triggers::table.find(trigger.id.0)).execute(conn)?;
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
                .limit(query.limit as i64)
                .into_boxed();
            if let Some(before) = query.before {
                select = select.filter(dynlog_audit::id.lt(before));
            }
            let rows = select
                .select((
                    dynlog_audit::id,
                    dynlog_audit::at,
                    dynlog_audit::actor,
                    dynlog_audit::action,
                    dynlog_audit::entity,
                    dynlog_audit::entity_id,
                    dynlog_audit::before,
                    dynlog_audit::after,
                ))
                .load::<AuditRow>(conn)?;
            let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
            Ok(rows
                .into_iter()
                .map(
                    |(id, at, actor, action, entity, entity_id, before, after)| AuditEntry {
                        id,
                        at: time(at),
                        actor,
                        action,
                        entity,
                        entity_id,
                        before: parse(before),
                        after: parse(after),
                    },
                )
                .collect())
        })
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.read("listing accounts", |conn| {
            let rows = dynlog_accounts::table
                .order(dynlog_accounts::username.asc())
                .select((
                    dynlog_accounts::username,
                    dynlog_accounts::password_hash,
                    dynlog_accounts::created_at,
                ))
                .load::<(String, String, i64)>(conn)?;
            Ok(rows
                .into_iter()
                .map(|(username, password_hash, created_at)| Account {
                    username,
                    password_hash,
                    created_at: time(created_at),
                })
                .collect())
        })
    }

    fn account(&self, username: &str) -> Result<Option<Account>> {
        self.read("reading an account", |conn| {
            let row = dynlog_accounts::table
                .find(username)
                .select((
                    dynlog_accounts::username,
                    dynlog_accounts::password_hash,
                    dynlog_accounts::created_at,
                ))
                .first::<(String, String, i64)>(conn)
                .optional()?;
            Ok(row.map(|(username, password_hash, created_at)| Account {
                username,
                password_hash,
                created_at: time(created_at),
            }))
        })
    }

    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account> {
        validate_name("username", username)?;
        let before = self.account(username)?;
        self.write_one("writing an account", |conn| {
            let account = Account {
                username: username.to_string(),
                password_hash: password_hash.to_string(),
                created_at: before.as_ref().map_or_else(Utc::now, |a| a.created_at),
            };
            let changed = diesel::update(dynlog_accounts::table.find(username))
                .set(dynlog_accounts::password_hash.eq(password_hash))
                .execute(conn)?;
            if changed == 0 {
                diesel::insert_into(dynlog_accounts::table)
                    .values((
                        dynlog_accounts::username.eq(username),
                        dynlog_accounts::password_hash.eq(password_hash),
                        dynlog_accounts::created_at.eq(micros(account.created_at)),
                    ))
                    .execute(conn)?;
            }
            let action = if changed == 0 { "create" } else { "update" };
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

    fn create_token(&self, actor: &str, name: &str, token_hash: &str) -> Result<ApiToken> {
        validate_name("token name", name)?;
        self.write_one("creating a token", |conn| {
            let id = diesel::insert_into(dynlog_api_tokens::table)
                .values((
                    dynlog_api_tokens::name.eq(name),
                    dynlog_api_tokens::token_hash.eq(token_hash),
                    dynlog_api_tokens::created_at.eq(now()),
                ))
                .returning(dynlog_api_tokens::id)
                .get_result::<i64>(conn)?;
            let token = token_of(
                dynlog_api_tokens::table
                    .find(id)
                    .select(TOKEN_COLUMNS)
                    .first::<TokenRow>(conn)?,
            );
            audit(conn, actor, "create", "token", id, None, Some(&token))?;
            Ok(token)
        })
    }

    fn use_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        // Marking a token used is bookkeeping, not a change: no revision, no audit entry.
        self.read("using a token", |conn| {
            let changed = diesel::update(
                dynlog_api_tokens::table.filter(dynlog_api_tokens::token_hash.eq(token_hash)),
            )
            .set(dynlog_api_tokens::last_used_at.eq(Some(now())))
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
