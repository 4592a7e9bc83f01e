//! `dynlog_accounts`: the admin's accounts, their password hashes and session epochs.

use diesel::prelude::*;
use dynlog_core::Error;
use dynlog_core::store::{Account, Role};

use super::{TxResult, audit};
use crate::connection::{AnyConnection, MultiBackend};
use crate::schema::dynlog_accounts;
use crate::types::At;

/// A row of `dynlog_accounts`, as it is read and as it is created.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = dynlog_accounts, check_for_backend(MultiBackend))]
struct AccountRow {
    username: String,
    password_hash: String,
    created_at: At,
    session_epoch: i64,
    role: String,
}

/// A stored role; a value the CHECK constraint would have refused reads as the least one.
pub(super) fn role_of(stored: &str) -> Role {
    stored.parse().unwrap_or(Role::Viewer)
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Account {
        Account {
            username: row.username,
            password_hash: row.password_hash,
            created_at: row.created_at.0,
            session_epoch: row.session_epoch,
            role: role_of(&row.role),
        }
    }
}

/// Every account, by username.
pub(super) fn all(conn: &mut AnyConnection) -> TxResult<Vec<Account>> {
    let rows = dynlog_accounts::table
        .order(dynlog_accounts::username.asc())
        .select(AccountRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Account::from).collect())
}

pub(super) fn find(conn: &mut AnyConnection, username: &str) -> TxResult<Option<Account>> {
    let row = dynlog_accounts::table
        .find(username)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Account::from))
}

/// Creates the account, or sets its password hash and ends its sessions.
pub(super) fn put(
    conn: &mut AnyConnection,
    actor: &str,
    username: &str,
    password_hash: &str,
) -> TxResult<Account> {
    let before = find(conn, username)?;
    let account = Account {
        username: username.to_string(),
        password_hash: password_hash.to_string(),
        created_at: before
            .as_ref()
            .map_or_else(|| At::now().0, |a| a.created_at),
        session_epoch: before.as_ref().map_or(0, |a| a.session_epoch + 1),
        role: before.as_ref().map_or(Role::Admin, |a| a.role),
    };
    if before.is_some() {
        // A new password ends the account's sessions.
        diesel::update(dynlog_accounts::table.find(username))
            .set((
                dynlog_accounts::password_hash.eq(password_hash),
                dynlog_accounts::session_epoch.eq(account.session_epoch),
            ))
            .execute(conn)?;
    } else {
        insert(conn, &account)?;
    }
    let action = if before.is_some() { "update" } else { "create" };
    audit::append(
        conn,
        actor,
        action,
        "account",
        0,
        before.as_ref(),
        Some(&account),
    )?;
    Ok(account)
}

fn insert(conn: &mut AnyConnection, account: &Account) -> TxResult<()> {
    diesel::insert_into(dynlog_accounts::table)
        .values(AccountRow {
            username: account.username.clone(),
            password_hash: account.password_hash.clone(),
            created_at: At(account.created_at),
            session_epoch: account.session_epoch,
            role: account.role.as_str().to_string(),
        })
        .execute(conn)?;
    Ok(())
}

/// Creates an account with `role`; a taken username is refused.
pub(super) fn create(
    conn: &mut AnyConnection,
    actor: &str,
    username: &str,
    password_hash: &str,
    role: Role,
) -> TxResult<Account> {
    // Writers queue on the revision bumped first, so the name cannot be taken in between.
    if find(conn, username)?.is_some() {
        return Err(Error::AccountExists(username.to_string()).into());
    }
    let account = Account {
        username: username.to_string(),
        password_hash: password_hash.to_string(),
        created_at: At::now().0,
        session_epoch: 0,
        role,
    };
    insert(conn, &account)?;
    audit::append(conn, actor, "create", "account", 0, None, Some(&account))?;
    Ok(account)
}

/// Gives the account `role` and ends its sessions.
pub(super) fn set_role(
    conn: &mut AnyConnection,
    actor: &str,
    username: &str,
    role: Role,
) -> TxResult<Account> {
    let before =
        find(conn, username)?.ok_or_else(|| Error::AccountNotFound(username.to_string()))?;
    let after = Account {
        role,
        session_epoch: before.session_epoch + 1,
        ..before.clone()
    };
    diesel::update(dynlog_accounts::table.find(username))
        .set((
            dynlog_accounts::role.eq(role.as_str()),
            dynlog_accounts::session_epoch.eq(after.session_epoch),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        actor,
        "update",
        "account",
        0,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Moves the account's session epoch on; returns the new one.
pub(super) fn end_sessions(conn: &mut AnyConnection, actor: &str, username: &str) -> TxResult<i64> {
    let before =
        find(conn, username)?.ok_or_else(|| Error::AccountNotFound(username.to_string()))?;
    let after = Account {
        session_epoch: before.session_epoch + 1,
        ..before.clone()
    };
    // Writers queue on the revision bumped first, so `before` is still what is stored.
    diesel::update(dynlog_accounts::table.find(username))
        .set(dynlog_accounts::session_epoch.eq(after.session_epoch))
        .execute(conn)?;
    audit::append(
        conn,
        actor,
        "update",
        "account",
        0,
        Some(&before),
        Some(&after),
    )?;
    Ok(after.session_epoch)
}
