//! Query logging: the seed's `db_debug`, on `log` targets.

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};

/// The target queries are logged under.
pub const QUERY_TARGET: &str = "diesel::query";

/// The tables of dynlog's accounts, sessions and API tokens: their statements bind password and
/// token hashes, so their binds are never logged.
const SECRET_TABLES: [&str; 2] = ["dynlog_accounts", "dynlog_api_tokens"];

/// What Diesel puts between a statement and its binds when it shows a query.
const BINDS: &str = " -- binds: ";

/// Logs every query with its binds at debug under `diesel::query` while that target is enabled,
/// and failed queries at warn. The binds of statements on dynlog's account and token tables
/// are shown as `<redacted>`, at both levels.
#[derive(Debug, Default)]
pub struct QueryLogger;

impl Instrumentation for QueryLogger {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { query, error, .. } = event {
            match error {
                Some(error) => {
                    let query = shown(&query.to_string());
                    log::warn!(target: QUERY_TARGET, "query failed: {query}: {error}")
                }
                // Checked per query: a config that puts `diesel` at debug turns this on at once,
                // and the end of its window turns it off.
                None if log::log_enabled!(target: QUERY_TARGET, log::Level::Debug) => {
                    let query = shown(&query.to_string());
                    log::debug!(target: QUERY_TARGET, "{query}")
                }
                None => {}
            }
        }
    }
}

/// A query as Diesel shows it (`SQL -- binds: [...]`), with `<redacted>` for the binds when
/// the statement names a table of secrets.
fn shown(query: &str) -> String {
    let (sql, binds) = query.split_at(query.find(BINDS).unwrap_or(query.len()));
    if binds.is_empty() || !SECRET_TABLES.iter().any(|table| sql.contains(table)) {
        return query.to_string();
    }
    format!("{sql}{BINDS}<redacted>")
}

/// Installs [`QueryLogger`] on every Diesel connection established from now on (so call it
/// before opening stores). Costs one level check per query while the target is off.
///
/// Fails only if Diesel's global instrumentation lock was poisoned by a panic.
pub fn log_queries() -> dynlog_core::Result<()> {
    set_default_instrumentation(|| Some(Box::new(QueryLogger)))
        .map_err(|e| dynlog_core::Error::store("installing the query logger", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_of_secret_tables_are_redacted() {
        assert_eq!(
            shown(r#"UPDATE "dynlog_accounts" SET "password_hash" = $1 -- binds: ["$argon2id$x"]"#),
            r#"UPDATE "dynlog_accounts" SET "password_hash" = $1 -- binds: <redacted>"#
        );
        let config = r#"INSERT INTO `dynlog_configs` (`name`) VALUES (?) -- binds: ["x"]"#;
        assert_eq!(shown(config), config);
        // A config named after the table is not a statement on it.
        let named =
            r#"INSERT INTO `dynlog_configs` (`name`) VALUES (?) -- binds: ["dynlog_accounts"]"#;
        assert_eq!(shown(named), named);
        assert_eq!(shown("SELECT 1"), "SELECT 1");
    }
}
