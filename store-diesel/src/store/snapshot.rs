//! The snapshot: the revision, the triggers that can still win and their configs, in one view.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use dynlog_core::store::Snapshot;
use dynlog_core::{Config, Result, Trigger};

use super::configs::ConfigRow;
use super::triggers::TriggerRow;
use super::{TxResult, read_revision};
use crate::connection::AnyConnection;
use crate::schema::{dynlog_configs, dynlog_triggers};
use crate::types::At;

/// Reads the snapshot; the caller runs it in a transaction with one view of the data.
pub(super) fn read(conn: &mut AnyConnection, now: DateTime<Utc>) -> TxResult<Snapshot> {
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
}
