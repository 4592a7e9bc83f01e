//! The account page: the signed-in person's password; for admins, the accounts and API tokens
//! with their roles.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use chrono::Utc;

use super::Page;
use super::frame::{Ctx, FormError, Frame, Invalid, html, when, when_opt};
use crate::AdminState;
use crate::auth::{self, Session};
use crate::sync;
use dynlog_core::store::Role;

struct TokenRow {
    id: i64,
    name: String,
    role: Role,
    created: String,
    last_used: String,
}

struct AccountRow {
    username: String,
    role: Role,
    created: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: Frame,
    username: String,
    role: Role,
    /// Whether the application signed this person in (no password here).
    from_app: bool,
    /// Whether the page shows the accounts and tokens (admins only).
    manages: bool,
    roles: [Role; 3],
    min_password: usize,
    accounts: Vec<AccountRow>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    error: Option<FormError>,
}

/// The account page again with `message` above its forms, answered with `status`.
async fn refused(ctx: &Ctx, status: StatusCode, message: String) -> Page {
    account_page(ctx, status, Some(FormError::general(message)), None, None).await
}

/// The account page, with an error or a token just made.
async fn account_page(
    ctx: &Ctx,
    status: StatusCode,
    error: Option<FormError>,
    new_token: Option<String>,
    notice: Option<String>,
) -> Page {
    let manages = ctx.session.role.allows(Role::Admin);
    let (accounts, tokens) = if manages {
        sync::accounts(&ctx.state.accounts, |a| {
            Ok::<_, dynlog_core::Error>((a.accounts()?, a.tokens()?))
        })
        .await
        .map_err(|e| ctx.page_error(e))?
    } else {
        (Vec::new(), Vec::new())
    };
    let accounts = accounts
        .into_iter()
        .map(|a| AccountRow {
            username: a.username,
            role: a.role,
            created: when(a.created_at),
        })
        .collect();
    let tokens = tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            role: t.role,
            created: when(t.created_at),
            last_used: when_opt(t.last_used_at, "never"),
        })
        .collect();
    let mut page = ctx.frame("account");
    if notice.is_some() {
        page.notice = notice;
    }
    Ok(html(
        status,
        &AccountPage {
            page,
            username: ctx.session.username.clone(),
            role: ctx.session.role,
            from_app: ctx.session.from_app,
            manages,
            roles: Role::ALL,
            min_password: crate::MIN_PASSWORD,
            accounts,
            tokens,
            new_token,
            error,
        },
    ))
}

pub(crate) async fn account(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    // A token just made: shown in this answer, which removes it from the browser.
    let secret = ctx.take_secret();
    let token = secret.as_ref().map(|(token, _)| token.clone());
    let mut response = account_page(&ctx, StatusCode::OK, None, token, None).await?;
    if let Some((_, removal)) = secret
        && let Err(e) = response.add_cookie(&removal)
    {
        log::warn!(target: "dynlog::admin", "removing a secret's cookie: {e}");
    }
    Ok(response)
}

pub(crate) async fn change_password(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let (current, new) = (form.text_raw("current"), form.text_raw("new"));
    // The message, on the field with the id `field`.
    let error = |message: String, field: &str| {
        account_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(FormError::new(message, Some(field.to_string()))),
            None,
            None,
        )
    };
    if new != form.text_raw("confirm") {
        return error(
            "The two new passwords differ: nothing was changed.".into(),
            "account-confirm",
        )
        .await;
    }
    if ctx.session.from_app {
        return error(
            "The application signed you in: change your password there.".into(),
            "account-current",
        )
        .await;
    }
    let (username, actor) = (ctx.session.username.clone(), ctx.actor());
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    // Guessing the current password from a stolen session is throttled as logins are.
    if let Err(wait) = state.throttle.attempt(&username, &peer) {
        let message = format!(
            "Too many wrong passwords: wait {} s before trying again.",
            wait.as_secs().max(1)
        );
        return refused(&ctx, StatusCode::TOO_MANY_REQUESTS, message).await;
    }
    let who = username.clone();
    let accounts = state.accounts.clone();
    let changed = ctx
        .submit(move |_| {
            if !auth::check_password(&*accounts, &who, &current)? {
                return Ok(None);
            }
            auth::set_password(&*accounts, &actor, &who, &new).map(|a| Some(a.session_epoch))
        })
        .await?;
    if matches!(changed, Ok(Some(_))) {
        state.throttle.succeeded(&username, &peer);
    }
    match changed {
        Ok(Some(epoch)) => {
            // The change moved the account's epoch, ending every session; this one goes on.
            let session = Session {
                epoch,
                ..ctx.session.clone()
            };
            let ttl = (session.expires - Utc::now()).to_std().unwrap_or_default();
            let notice = Some("Your password was changed; your other sessions ended.".to_string());
            let mut page = account_page(&ctx, StatusCode::OK, None, None, notice).await?;
            page.add_cookie(&state.cookies.session_cookie(&session, ttl))
                .map_err(|e| ctx.error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            Ok(page)
        }
        Ok(None) => {
            error(
                "The current password is wrong: nothing was changed.".into(),
                "account-current",
            )
            .await
        }
        // What the store refuses of the new password (too short, too long).
        Err(e) => error(e.to_string(), "account-new").await,
    }
}

pub(crate) async fn new_token(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let name = form.text("name");
    let role = form.text("role");
    let token = auth::random_token();
    let (actor, secret) = (ctx.actor(), token.clone());
    let accounts = state.accounts.clone();
    let made = ctx
        .submit(move |_| {
            dynlog_core::model::validate_name("token name", &name)?;
            let role = Role::parse_in("role", &role)?;
            crate::register_token_with_role(&*accounts, &actor, &name, &secret, role)
        })
        .await?;
    match made {
        // Shown once, on the page this redirects to; only its hash is kept.
        Ok(_) => Ok(ctx.redirect_with_secret("/account", &token)),
        Err(e) => {
            let error = FormError::new(e.to_string(), Some("token-name".into()));
            account_page(&ctx, e.status(), Some(error), None, None).await
        }
    }
}

pub(crate) async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = id.into_inner();
    let (ctx, _) = Ctx::posted(&req, &state, &body).await?;
    let actor = ctx.actor();
    sync::accounts(&state.accounts, move |a| a.delete_token(&actor, id))
        .await
        .map_err(|e| ctx.page_error(e))?;
    Ok(ctx.redirect("/account"))
}

/// An admin makes an account with a role.
pub(crate) async fn new_account(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let (username, password, role) = (
        form.text("username"),
        form.text_raw("password"),
        form.text("role"),
    );
    let actor = ctx.actor();
    let accounts = state.accounts.clone();
    let shown = super::frame::quoted(&username);
    let made = ctx
        .submit(move |_| {
            let role = Role::parse_in("role", &role)?;
            auth::new_account(&*accounts, &actor, &username, &password, role)
        })
        .await?;
    match made {
        Ok(account) => Ok(ctx.redirect_with(
            "/account",
            &format!("Created account {shown} with the {} role.", account.role),
        )),
        Err(e) => refused(&ctx, e.status(), e.to_string()).await,
    }
}

/// An admin gives an account another role (its sessions end).
pub(crate) async fn set_role(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let (username, role) = (form.text("username"), form.text("role"));
    if username == ctx.session.username && !ctx.session.from_app {
        let message = "You cannot change your own role: ask another admin.".to_string();
        return refused(&ctx, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let actor = ctx.actor();
    let accounts = state.accounts.clone();
    let shown = super::frame::quoted(&username);
    let changed = ctx
        .submit(move |_| {
            let role = Role::parse_in("role", &role)?;
            Ok::<_, crate::error::Error>(accounts.set_role(&actor, &username, role)?)
        })
        .await?;
    match changed {
        Ok(account) => Ok(ctx.redirect_with(
            "/account",
            &format!(
                "Account {shown} has the {} role now; its sessions ended.",
                account.role
            ),
        )),
        Err(e) => refused(&ctx, e.status(), e.to_string()).await,
    }
}
