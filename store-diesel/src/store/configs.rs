//! `dynlog_configs`: its rows and the statements on it.

use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use dynlog_core::model::{ConfigId, ConfigKind};
use dynlog_core::store::check_version;
use dynlog_core::{Config, Error, LoggingConfig, NewConfig, Result};

use super::triggers::TriggerRow;
use super::{TxError, TxResult, audit};
use crate::connection::{AnyConnection, MultiBackend};
use crate::schema::{dynlog_configs, dynlog_triggers};
use crate::types::At;

/// A row of `dynlog_configs` as it is read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dynlog_configs, check_for_backend(MultiBackend))]
pub(super) struct ConfigRow {
    id: i64,
    name: String,
    body: String,
    version: i64,
    updated_at: At,
    kind: String,
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
    kind: &'a str,
}

impl TryFrom<ConfigRow> for Config {
    type Error = Error;

    fn try_from(row: ConfigRow) -> Result<Config> {
        let body = LoggingConfig::from_json(&row.body).map_err(|e| Error::Store {
            message: format!("config {} has a body this version cannot read: {e}", row.id),
            cause: Some(Box::new(e)),
        })?;
        Ok(Config {
            id: ConfigId(row.id),
            name: row.name,
            body,
            kind: ConfigKind::from_stored(&row.kind),
            version: row.version,
            updated_at: row.updated_at.0,
        })
    }
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

/// The body as it is stored.
pub(super) fn body_json(new: &NewConfig) -> String {
    serde_json::to_string(&new.body).unwrap_or_default()
}

pub(super) fn find(conn: &mut AnyConnection, id: ConfigId) -> TxResult<Config> {
    let row = dynlog_configs::table
        .find(id.0)
        .select(ConfigRow::as_select())
        .first(conn)
        .optional()?;
    Ok(Config::try_from(row.ok_or(Error::ConfigNotFound(id))?)?)
}

/// Every config, by name.
pub(super) fn all(conn: &mut AnyConnection) -> TxResult<Vec<Config>> {
    let rows = dynlog_configs::table
        .order(dynlog_configs::name.asc())
        .select(ConfigRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(Config::try_from)
        .collect::<Result<Vec<_>>>()?)
}

pub(super) fn create(
    conn: &mut AnyConnection,
    actor: &str,
    new: &NewConfig,
    body: &str,
    kind: ConfigKind,
) -> TxResult<Config> {
    let at = At::now();
    let change = ConfigChange {
        name: &new.name,
        body,
        version: 1,
        updated_at: at,
    };
    diesel::insert_into(dynlog_configs::table)
        .values(NewConfigRow {
            change,
            created_at: at,
            kind: kind.as_str(),
        })
        .execute(conn)
        .map_err(unique_name(&new.name))?;
    let config = Config::try_from(
        dynlog_configs::table
            .filter(dynlog_configs::name.eq(&new.name))
            .select(ConfigRow::as_select())
            .first(conn)?,
    )?;
    audit::append(
        conn,
        actor,
        "create",
        "config",
        config.id.0,
        None,
        Some(&config),
    )?;
    Ok(config)
}

pub(super) fn update(
    conn: &mut AnyConnection,
    actor: &str,
    id: ConfigId,
    version: i64,
    new: &NewConfig,
    body: &str,
) -> TxResult<Config> {
    let before = find(conn, id)?;
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
        body,
        version: version + 1,
        updated_at: At::now(),
    })
    .execute(conn)
    .map_err(unique_name(&new.name))?;
    let after = find(conn, id)?;
    if changed == 0 {
        check_version("config", id.0, version, after.version)?;
    }
    audit::append(
        conn,
        actor,
        "update",
        "config",
        id.0,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Deletes the config and its triggers, each with its audit entry.
pub(super) fn delete(conn: &mut AnyConnection, actor: &str, id: ConfigId) -> TxResult<()> {
    let before = find(conn, id)?;
    let triggers = dynlog_triggers::table
        .filter(dynlog_triggers::config_id.eq(id.0))
        .order(dynlog_triggers::id.asc())
        .select(TriggerRow::as_select())
        .load(conn)?;
    for trigger in triggers.into_iter().map(dynlog_core::Trigger::from) {
        audit::append(
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
    audit::append(conn, actor, "delete", "config", id.0, Some(&before), None)?;
    Ok(())
}
