//! `dynlog_api_tokens`: the admin's API tokens, kept as hashes.

use diesel::prelude::*;
use dynlog_core::Error;
use dynlog_core::store::{ApiToken, Role};

use super::{TxResult, audit};
use crate::connection::{AnyConnection, MultiBackend};
use crate::schema::dynlog_api_tokens;
use crate::types::At;

/// A row of `dynlog_api_tokens` as it is read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dynlog_api_tokens, check_for_backend(MultiBackend))]
struct TokenRow {
    id: i64,
    name: String,
    token_hash: String,
    created_at: At,
    last_used_at: Option<At>,
    role: String,
}

/// A new row of `dynlog_api_tokens`.
#[derive(Insertable)]
#[diesel(table_name = dynlog_api_tokens)]
struct NewTokenRow<'a> {
    name: &'a str,
    token_hash: &'a str,
    created_at: At,
    role: &'a str,
}

impl From<TokenRow> for ApiToken {
    fn from(row: TokenRow) -> ApiToken {
        ApiToken {
            id: row.id,
            name: row.name,
            token_hash: row.token_hash,
            created_at: row.created_at.0,
            last_used_at: row.last_used_at.map(|at| at.0),
            role: super::accounts::role_of(&row.role),
        }
    }
}

/// The token with this hash, if there is one.
fn by_hash(conn: &mut AnyConnection, token_hash: &str) -> TxResult<Option<ApiToken>> {
    let row = dynlog_api_tokens::table
        .filter(dynlog_api_tokens::token_hash.eq(token_hash))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(ApiToken::from))
}

pub(super) fn create(
    conn: &mut AnyConnection,
    actor: &str,
    name: &str,
    token_hash: &str,
    role: Role,
) -> TxResult<ApiToken> {
    diesel::insert_into(dynlog_api_tokens::table)
        .values(NewTokenRow {
            name,
            token_hash,
            created_at: At::now(),
            role: role.as_str(),
        })
        .execute(conn)?;
    let token = ApiToken::from(
        dynlog_api_tokens::table
            .filter(dynlog_api_tokens::token_hash.eq(token_hash))
            .select(TokenRow::as_select())
            .first(conn)?,
    );
    audit::append(conn, actor, "create", "token", token.id, None, Some(&token))?;
    Ok(token)
}

/// Marks the token with this hash used now, and returns it.
pub(super) fn use_hash(conn: &mut AnyConnection, token_hash: &str) -> TxResult<Option<ApiToken>> {
    let changed = diesel::update(
        dynlog_api_tokens::table.filter(dynlog_api_tokens::token_hash.eq(token_hash)),
    )
    .set(dynlog_api_tokens::last_used_at.eq(Some(At::now())))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    by_hash(conn, token_hash)
}

/// Every token, newest first.
pub(super) fn all(conn: &mut AnyConnection) -> TxResult<Vec<ApiToken>> {
    let rows = dynlog_api_tokens::table
        .order(dynlog_api_tokens::id.desc())
        .select(TokenRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(ApiToken::from).collect())
}

pub(super) fn delete(conn: &mut AnyConnection, actor: &str, id: i64) -> TxResult<()> {
    let row = dynlog_api_tokens::table
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?;
    let before = ApiToken::from(row.ok_or(Error::TokenNotFound(id))?);
    diesel::delete(dynlog_api_tokens::table.find(id)).execute(conn)?;
    audit::append(conn, actor, "delete", "token", id, Some(&before), None)?;
    Ok(())
}
