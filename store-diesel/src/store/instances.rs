//! `dynlog_instances`: each instance's last heartbeat, bounded in count.

use chrono::Utc;
use diesel::prelude::*;
use dynlog_core::propagate::InstanceStatus;
use dynlog_core::store::{INSTANCE_RETENTION, MAX_INSTANCES};

use super::TxResult;
use crate::connection::{AnyConnection, MultiBackend};
use crate::schema::dynlog_instances;
use crate::types::At;

/// The advisory lock that serializes registrations of new instances on PostgreSQL, so the
/// count is checked and the row inserted under one lock ("dynlogi" in ASCII).
#[cfg(feature = "postgres")]
const REGISTER_LOCK: i64 = 0x64_79_6e_6c_6f_67_69;

/// A row of `dynlog_instances`.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = dynlog_instances, check_for_backend(MultiBackend))]
struct InstanceRow {
    instance_id: String,
    reported_at: At,
    status: String,
}

impl InstanceRow {
    fn of(status: &InstanceStatus) -> InstanceRow {
        InstanceRow {
            instance_id: status.instance_id.clone(),
            reported_at: At(status.reported_at),
            status: serde_json::to_string(status).unwrap_or_default(),
        }
    }
}

fn update(conn: &mut AnyConnection, row: &InstanceRow) -> QueryResult<usize> {
    diesel::update(dynlog_instances::table.find(&row.instance_id))
        .set((
            dynlog_instances::reported_at.eq(row.reported_at),
            dynlog_instances::status.eq(&row.status),
        ))
        .execute(conn)
}

/// Replaces the heartbeat of a known instance: one statement, the usual case.
pub(super) fn refresh(conn: &mut AnyConnection, status: &InstanceStatus) -> TxResult<bool> {
    Ok(update(conn, &InstanceRow::of(status))? == 1)
}

/// Registers a new instance; the caller runs it in a transaction. Takes the registration lock
/// first, forgets the expired and, at the bound, the oldest, then inserts.
pub(super) fn register(conn: &mut AnyConnection, status: &InstanceStatus) -> TxResult<()> {
    let row = InstanceRow::of(status);
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(pg) => {
            use diesel::connection::SimpleConnection;
            pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({REGISTER_LOCK})"))?;
        }
        // SQLite: the delete below is the transaction's first write and takes the database's
        // write lock (busy_timeout makes others wait for it).
        #[allow(unreachable_patterns)]
        _ => {}
    }
    let expired = At(Utc::now() - INSTANCE_RETENTION);
    diesel::delete(dynlog_instances::table.filter(dynlog_instances::reported_at.lt(expired)))
        .execute(conn)?;
    // Registered meanwhile by a racing call of the same instance.
    if update(conn, &row)? == 1 {
        return Ok(());
    }
    let count: i64 = dynlog_instances::table.count().get_result(conn)?;
    let over = (count + 1).saturating_sub(MAX_INSTANCES as i64);
    if over > 0 {
        let oldest: Vec<String> = dynlog_instances::table
            .order((
                dynlog_instances::reported_at.asc(),
                dynlog_instances::instance_id.asc(),
            ))
            .limit(over)
            .select(dynlog_instances::instance_id)
            .load(conn)?;
        diesel::delete(
            dynlog_instances::table.filter(dynlog_instances::instance_id.eq_any(oldest)),
        )
        .execute(conn)?;
    }
    diesel::insert_into(dynlog_instances::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The instances heard from within the retention, by host, pid and id.
pub(super) fn all(conn: &mut AnyConnection) -> TxResult<Vec<InstanceStatus>> {
    let since = At(Utc::now() - INSTANCE_RETENTION);
    let rows = dynlog_instances::table
        .filter(dynlog_instances::reported_at.ge(since))
        .select(InstanceRow::as_select())
        .load(conn)?;
    let mut instances: Vec<InstanceStatus> = rows
        .into_iter()
        .filter_map(|row| {
            let mut status: InstanceStatus = serde_json::from_str(&row.status).ok()?;
            status.reported_at = row.reported_at.0;
            Some(status)
        })
        .collect();
    instances
        .sort_by(|a, b| (&a.host, a.pid, &a.instance_id).cmp(&(&b.host, b.pid, &b.instance_id)));
    Ok(instances)
}

pub(super) fn remove(conn: &mut AnyConnection, instance_id: &str) -> TxResult<()> {
    diesel::delete(dynlog_instances::table.find(instance_id)).execute(conn)?;
    Ok(())
}
