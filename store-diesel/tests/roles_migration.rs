//! The roles migration: accounts and tokens made before roles become admin, on SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use dynlog_core::store::{AccountStore, Role};
use dynlog_diesel::DieselStore;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

const ROLES: &str = "2026-11-27-000000_roles";

/// Runs the migrations before roles, one by one.
fn migrate_to_roles<C: MigrationHarness<B>, B: diesel::backend::Backend>(
    conn: &mut C,
    source: impl Fn() -> EmbeddedMigrations,
) {
    loop {
        let pending = conn.pending_migrations(source()).unwrap();
        let next = pending.first().expect("the roles migration is pending");
        if next.name().to_string() == ROLES {
            return;
        }
        conn.run_next_migration(source()).unwrap();
    }
}

const BEFORE_ROLES: &str = "INSERT INTO dynlog_accounts (username, password_hash, created_at) \
     VALUES ('old', '$argon2id$old', CURRENT_TIMESTAMP); \
     INSERT INTO dynlog_api_tokens (name, token_hash, created_at) \
     VALUES ('old-ci', 'old-hash', CURRENT_TIMESTAMP);";

fn check_admins(store: &DieselStore) {
    let account = store.account("old").unwrap().unwrap();
    assert_eq!(account.role, Role::Admin);
    let token = store.use_token("old-hash").unwrap().unwrap();
    assert_eq!(token.role, Role::Admin);
    let made = store
        .create_account("old (admin)", "vera", "$argon2id$v", Role::Viewer)
        .unwrap();
    assert_eq!(
        made.role,
        Role::Viewer,
        "new accounts get the role they are given"
    );
}

#[test]
fn sqlite_accounts_and_tokens_become_admin() {
    let dir = std::env::temp_dir().join(format!("dynlog_roles_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("roles.sqlite3");
    let _ = std::fs::remove_file(&path);
    let path = path.to_str().unwrap().to_string();
    {
        let mut conn = SqliteConnection::establish(&path).unwrap();
        migrate_to_roles(&mut conn, || SQLITE);
        diesel::connection::SimpleConnection::batch_execute(&mut conn, BEFORE_ROLES).unwrap();
    }
    let store = DieselStore::open(&path).unwrap();
    check_admins(&store);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn postgres_accounts_and_tokens_become_admin() {
    let Some(database) = common::postgres_database() else {
        return;
    };
    {
        let mut conn = PgConnection::establish(database.url()).unwrap();
        migrate_to_roles(&mut conn, || POSTGRES);
        diesel::connection::SimpleConnection::batch_execute(&mut conn, BEFORE_ROLES).unwrap();
    }
    let store = DieselStore::open(database.url()).unwrap();
    check_admins(&store);
    // Once migrated, a new row must say its role: no default grants admin.
    let mut conn = PgConnection::establish(database.url()).unwrap();
    let refused = diesel::sql_query(
        "INSERT INTO dynlog_api_tokens (name, token_hash, created_at) \
         VALUES ('x', 'x-hash', CURRENT_TIMESTAMP)",
    )
    .execute(&mut conn);
    assert!(refused.is_err(), "a token without a role was stored");
    drop(store);
}
