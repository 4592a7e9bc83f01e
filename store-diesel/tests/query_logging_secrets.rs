//! Query logging never shows a password or token hash: with `diesel` at debug, the statements
//! on dynlog's account and token tables log their binds as `<redacted>`, and so do the failed
//! ones at warn. On SQLite and PostgreSQL. In its own test binary, since it installs the global
//! logger.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Mutex, MutexGuard};

use dynlog_core::store::AccountStore;
use dynlog_diesel::{DieselStore, QUERY_TARGET, log_queries};
use log::{Level, Log, Metadata, Record};

/// Keeps every record, at every level.
struct Recorder(Mutex<Vec<(Level, String, String)>>);

impl Log for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        self.records().push((
            record.level(),
            record.target().to_string(),
            record.args().to_string(),
        ));
    }

    fn flush(&self) {}
}

impl Recorder {
    fn records(&self) -> MutexGuard<'_, Vec<(Level, String, String)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

static RECORDER: Recorder = Recorder(Mutex::new(Vec::new()));

const FIRST_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$first-salt$first-hash";
const SECOND_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$second-salt$second-hash";
const TOKEN_HASH: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Every account and token call; returns what was logged under the query target.
fn exercise(store: &DieselStore) -> Vec<(Level, String)> {
    RECORDER.records().clear();
    store.put_account("system", "admin", FIRST_HASH).unwrap();
    store.put_account("admin", "admin", SECOND_HASH).unwrap();
    store.account("admin").unwrap().unwrap();
    store.accounts().unwrap();
    store.end_sessions("admin", "admin").unwrap();
    let token = store
        .create_token("admin", "ci", TOKEN_HASH, dynlog_core::store::Role::Admin)
        .unwrap();
    store.use_token(TOKEN_HASH).unwrap().unwrap();
    assert!(store.use_token("not-a-known-hash").unwrap().is_none());
    store.tokens().unwrap();
    // The same hash again breaks its unique index: a failed statement, logged at warn.
    store
        .create_token(
            "admin",
            "again",
            TOKEN_HASH,
            dynlog_core::store::Role::Admin,
        )
        .unwrap_err();
    store.delete_token("admin", token.id).unwrap();
    std::mem::take(&mut *RECORDER.records())
        .into_iter()
        .filter(|(_, target, _)| target == QUERY_TARGET)
        .map(|(level, _, message)| (level, message))
        .collect()
}

fn check(backend: &str, logged: &[(Level, String)]) {
    for secret in [
        FIRST_HASH,
        SECOND_HASH,
        TOKEN_HASH,
        "argon2",
        "first-hash",
        "0f1e2d3c",
    ] {
        let leaks: Vec<_> = logged.iter().filter(|(_, m)| m.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "{backend}: {secret:?} logged in {leaks:#?}"
        );
    }
    let on = |table: &str, level: Level| {
        logged
            .iter()
            .filter(|(l, m)| *l == level && m.contains(table))
            .collect::<Vec<_>>()
    };
    let accounts = on("dynlog_accounts", Level::Debug);
    assert!(
        accounts.iter().any(|(_, m)| m.contains("UPDATE")
            && m.contains("password_hash")
            && m.ends_with("-- binds: <redacted>")),
        "{backend}: the password change, logged without its binds: {logged:#?}"
    );
    assert!(
        on("dynlog_api_tokens", Level::Debug)
            .iter()
            .all(|(_, m)| m.ends_with("-- binds: <redacted>")),
        "{backend}: {logged:#?}"
    );
    let failed = on("dynlog_api_tokens", Level::Warn);
    assert!(
        matches!(&failed[..], [(_, m)] if m.starts_with("query failed") && m.contains("<redacted>")),
        "{backend}: the failed INSERT, at warn and redacted: {logged:#?}"
    );
    // The audit's statements keep their binds: they hold no hash.
    assert!(
        logged
            .iter()
            .any(|(_, m)| m.contains("dynlog_audit") && m.contains(r#""admin""#)),
        "{backend}: {logged:#?}"
    );
}

#[test]
fn account_and_token_statements_log_no_hash() {
    log::set_logger(&RECORDER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    log_queries().unwrap();

    let sqlite = common::sqlite().unwrap();
    check("sqlite", &exercise(&sqlite));
    if let Some(postgres) = common::postgres() {
        check("postgres", &exercise(&postgres));
    }
}
