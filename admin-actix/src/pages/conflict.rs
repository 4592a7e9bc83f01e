//! A version conflict is never a dead end: the form comes back with the operator's edits, who
//! changed the entity meanwhile and when, their version against the edits as a diff, and a
//! "reapply my edits" that saves over the version now stored.

use dynlog_core::Controller;
use dynlog_core::store::AuditQuery;
use serde::Serialize;

use super::audit::{DiffLine, diff};
use super::frame::when;

/// How far back the audit is searched for who made a change.
const SEARCH: usize = 500;

/// What a form shows when what it edited changed since it was loaded.
pub(super) struct ConflictView {
    /// Who changed it and when: "bob at 2026-11-26 16:40:02 UTC", or "someone" if the audit
    /// no longer says.
    pub(super) by: String,
    /// Their version against the edits: lines marked `-` are theirs, `+` the form's.
    pub(super) diff: Vec<DiffLine>,
    /// Where "discard my edits" goes: the entity as stored.
    pub(super) discard: String,
}

/// Who last changed `entity` `id`, from the audit's newest entries.
pub(super) fn last_change(c: &Controller, entity: &str, id: i64) -> String {
    let entries = c
        .store()
        .audit(AuditQuery {
            before: None,
            limit: SEARCH,
        })
        .unwrap_or_default();
    entries
        .iter()
        .find(|e| e.entity == entity && e.entity_id == id)
        .map(|e| format!("{} at {} UTC", e.actor, when(e.at)))
        .unwrap_or_else(|| "someone".into())
}

/// The conflict view of `entity` `id`: `theirs` (as stored) against `mine` (as the form has it).
pub(super) fn view<T: Serialize>(
    c: &Controller,
    entity: &str,
    id: i64,
    theirs: &T,
    mine: &T,
    discard: String,
) -> ConflictView {
    let pretty = |v: &T| serde_json::to_string_pretty(v).unwrap_or_default();
    ConflictView {
        by: last_change(c, entity, id),
        diff: diff(&pretty(theirs), &pretty(mine)),
        discard,
    }
}
