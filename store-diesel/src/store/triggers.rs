//! `dynlog_triggers`: its rows and the statements on it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use dynlog_core::model::TriggerId;
use dynlog_core::store::check_version;
use dynlog_core::{NewTrigger, Trigger};

use super::{TxResult, audit, configs};
use crate::connection::{AnyConnection, MultiBackend};
use crate::schema::dynlog_triggers;
use crate::types::At;

/// A row of `dynlog_triggers` as it is read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dynlog_triggers, check_for_backend(MultiBackend))]
pub(super) struct TriggerRow {
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

impl From<TriggerRow> for Trigger {
    fn from(row: TriggerRow) -> Trigger {
        Trigger {
            id: TriggerId(row.id),
            name: row.name,
            is_active: row.is_active,
            start: row.start_at.map(|at| at.0),
            end: row.end_at.map(|at| at.0),
            config_id: dynlog_core::model::ConfigId(row.config_id),
            version: row.version,
            updated_at: row.updated_at.0,
        }
    }
}

/// A trigger whose config exists (the controller validated the rest).
fn check(conn: &mut AnyConnection, new: &NewTrigger) -> TxResult<()> {
    configs::find(conn, new.config_id)?;
    Ok(())
}

pub(super) fn find(conn: &mut AnyConnection, id: TriggerId) -> TxResult<Trigger> {
    let row = dynlog_triggers::table
        .find(id.0)
        .select(TriggerRow::as_select())
        .first(conn)
        .optional()?;
    Ok(Trigger::from(
        row.ok_or(dynlog_core::Error::TriggerNotFound(id))?,
    ))
}

/// Every trigger, latest start first.
pub(super) fn all(conn: &mut AnyConnection) -> TxResult<Vec<Trigger>> {
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
}

pub(super) fn create(conn: &mut AnyConnection, actor: &str, new: &NewTrigger) -> TxResult<Trigger> {
    check(conn, new)?;
    let change = TriggerChange::of(new, 1);
    let row = diesel::insert_into(dynlog_triggers::table)
        .values(NewTriggerRow {
            created_at: change.updated_at,
            change,
        })
        // The columns themselves: the multi-connection passes a RETURNING clause on to the
        // backend's own query builder, which knows no `SelectBy` of the multi-backend.
        .returning(<TriggerRow as Selectable<MultiBackend>>::construct_selection())
        .get_result::<TriggerRow>(conn)?;
    let trigger = Trigger::from(row);
    audit::append(
        conn,
        actor,
        "create",
        "trigger",
        trigger.id.0,
        None,
        Some(&trigger),
    )?;
    Ok(trigger)
}

pub(super) fn update(
    conn: &mut AnyConnection,
    actor: &str,
    id: TriggerId,
    version: i64,
    new: &NewTrigger,
) -> TxResult<Trigger> {
    let before = find(conn, id)?;
    check_version("trigger", id.0, version, before.version)?;
    check(conn, new)?;
    let changed = diesel::update(
        dynlog_triggers::table
            .filter(dynlog_triggers::id.eq(id.0))
            .filter(dynlog_triggers::version.eq(version)),
    )
    .set(TriggerChange::of(new, version + 1))
    .execute(conn)?;
    let after = find(conn, id)?;
    if changed == 0 {
        check_version("trigger", id.0, version, after.version)?;
    }
    audit::append(
        conn,
        actor,
        "update",
        "trigger",
        id.0,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

pub(super) fn delete(conn: &mut AnyConnection, actor: &str, id: TriggerId) -> TxResult<()> {
    let before = find(conn, id)?;
    diesel::delete(dynlog_triggers::table.find(id.0)).execute(conn)?;
    audit::append(conn, actor, "delete", "trigger", id.0, Some(&before), None)?;
    Ok(())
}

/// How many triggers ended before `ended_before`.
pub(super) fn count_ended(conn: &mut AnyConnection, ended_before: DateTime<Utc>) -> TxResult<i64> {
    Ok(dynlog_triggers::table
        .filter(dynlog_triggers::end_at.lt(At(ended_before)))
        .count()
        .get_result::<i64>(conn)?)
}

/// Deletes the triggers that ended before `ended_before`, each with its audit entry.
pub(super) fn prune(
    conn: &mut AnyConnection,
    actor: &str,
    ended_before: DateTime<Utc>,
) -> TxResult<usize> {
    let ended = dynlog_triggers::end_at.lt(At(ended_before));
    let doomed = dynlog_triggers::table
        .filter(ended)
        .order(dynlog_triggers::id.asc())
        .select(TriggerRow::as_select())
        .load(conn)?;
    // Writers queue on the revision, so these are the rows the DELETE removes.
    diesel::delete(dynlog_triggers::table.filter(ended)).execute(conn)?;
    let count = doomed.len();
    for trigger in doomed.into_iter().map(Trigger::from) {
        audit::append(
            conn,
            actor,
            "prune",
            "trigger",
            trigger.id.0,
            Some(&trigger),
            None,
        )?;
    }
    Ok(count)
}
