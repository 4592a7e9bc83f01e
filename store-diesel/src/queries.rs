//! Query logging: the seed's `db_debug`, on `log` targets.

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};

/// The target queries are logged under.
pub const QUERY_TARGET: &str = "diesel::query";

/// Logs every query with its binds at debug under `diesel::query` while that target is enabled,
/// and failed queries at warn.
#[derive(Debug, Default)]
pub struct QueryLogger;

impl Instrumentation for QueryLogger {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { query, error, .. } = event {
            match error {
                Some(error) => log::warn!(target: QUERY_TARGET, "query failed: {query}: {error}"),
                // Checked per query: a config that puts `diesel` at debug turns this on at once,
                // and the end of its window turns it off.
                None if log::log_enabled!(target: QUERY_TARGET, log::Level::Debug) => {
                    log::debug!(target: QUERY_TARGET, "{query}")
                }
                None => {}
            }
        }
    }
}

/// Installs [`QueryLogger`] on every Diesel connection established from now on (so call it
/// before opening stores). Costs one level check per query while the target is off.
///
/// Fails only if Diesel's global instrumentation lock was poisoned by a panic.
pub fn log_queries() -> dynlog_core::Result<()> {
    set_default_instrumentation(|| Some(Box::new(QueryLogger)))
        .map_err(|e| dynlog_core::Error::store("installing the query logger", e))
}
