//! `dynlog_audit`: one entry per change, appended in the change's transaction.

use diesel::prelude::*;
use dynlog_core::store::{AuditEntry, AuditQuery};
use serde::Serialize;

use super::TxResult;
use crate::connection::{AnyConnection, MultiBackend};
use crate::schema::dynlog_audit;
use crate::types::At;

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
    revision: Option<i64>,
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
    revision: i64,
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
            revision: row.revision,
            before: parse(row.before),
            after: parse(row.after),
        }
    }
}

/// The entity as the audit keeps it. Core's types leave their hashes out of their JSON.
fn json<T: Serialize>(value: Option<&T>) -> Option<String> {
    value.and_then(|v| serde_json::to_string(v).ok())
}

/// Appends one audit entry, with the revision its write bumped to (every write bumps first, in
/// the same transaction).
pub(super) fn append<T: Serialize>(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: i64,
    before: Option<&T>,
    after: Option<&T>,
) -> QueryResult<()> {
    let revision = super::read_revision(conn)?;
    diesel::insert_into(dynlog_audit::table)
        .values(NewAuditRow {
            at: At::now(),
            actor,
            action,
            entity,
            entity_id,
            before: json(before),
            after: json(after),
            revision,
        })
        .execute(conn)
        .map(drop)
}

/// The latest entries first, from `query.before` back.
pub(super) fn recent(conn: &mut AnyConnection, query: AuditQuery) -> TxResult<Vec<AuditEntry>> {
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
}
