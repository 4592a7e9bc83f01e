//! Login and logout.

use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, Utc};

use super::Page;
use super::frame::{Ctx, Form, Frame, PageError, UNAVAILABLE, current_session, html};
use crate::AdminState;
use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE, Session};
use crate::sync;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Frame,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(serde::Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Where to go after logging in: a path under the admin made of printable ASCII without spaces,
/// `//` or `\\`, never another site (browsers drop tabs and newlines from a location, so
/// `/<TAB>/evil.example` would leave the site); anything else goes to the dashboard.
fn safe_next(base: &str, next: &str) -> String {
    let inside = next.starts_with(&format!("{base}/")) || (next == base && !base.is_empty());
    let plain = next.bytes().all(|b| b.is_ascii_graphic());
    if inside && plain && !next.contains("//") && !next.contains('\\') && !next.contains("/login") {
        next.to_string()
    } else {
        format!("{base}/")
    }
}

pub(crate) async fn login_form(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<Next>,
) -> Page {
    let next = safe_next(&state.base, q.next.as_deref().unwrap_or(""));
    if current_session(&req, &state).await.ok().flatten().is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .finish());
    }
    let (token, cookie) = match state.cookies.read(&req, LOGIN_COOKIE) {
        Some(token) => (token, None),
        None => {
            let token = auth::random_token();
            let cookie =
                state
                    .cookies
                    .make(LOGIN_COOKIE, token.clone(), StdDuration::from_secs(3600));
            (token, Some(cookie))
        }
    };
    let page = LoginPage {
        page: Frame {
            base: state.base.clone(),
            user: None,
            csrf: token,
            section: "login",
            notice: None,
        },
        error: None,
        username: String::new(),
        next,
    };
    let mut response = html(StatusCode::OK, &page);
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(|e| PageError::Shown {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            base: state.base.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(response)
}

pub(crate) async fn login(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let form = Form::parse(&body);
    let username = form.text("username");
    let username = if username.len() > auth::MAX_USERNAME {
        // Kept to a bounded size for the form, the log and the counts; never an account.
        format!("{}\u{fffd}", auth::capped(&username))
    } else {
        username
    };
    let next = safe_next(&state.base, &form.text("next"));
    let token = state.cookies.read(&req, LOGIN_COOKIE);
    let again = |status: StatusCode, error: String, csrf: String| {
        html(
            status,
            &LoginPage {
                page: Frame {
                    base: state.base.clone(),
                    user: None,
                    csrf,
                    section: "login",
                    notice: None,
                },
                error: Some(error),
                username: username.clone(),
                next: next.clone(),
            },
        )
    };
    let Some(token) = token.filter(|t| form.get("csrf").is_some_and(|f| auth::same(f, t))) else {
        // A fresh login cookie, so that reloading the form works.
        let token = auth::random_token();
        let cookie = state
            .cookies
            .make(LOGIN_COOKIE, token.clone(), StdDuration::from_secs(3600));
        let mut response = again(
            StatusCode::FORBIDDEN,
            "The form expired or did not come from this site: try again.".into(),
            token,
        );
        let _ = response.add_cookie(&cookie);
        return Ok(response);
    };
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    // Counted before the password is checked, so concurrent guesses cannot all get through.
    if let Err(wait) = state.throttle.attempt(&username, &peer) {
        return Ok(again(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed logins: wait {} s before trying again.",
                wait.as_secs().max(1)
            ),
            token,
        ));
    }
    let password = form.get("password").unwrap_or("").to_string();
    // No account has a longer name: such a name is neither looked up nor kept whole.
    let account = if username.len() > auth::MAX_USERNAME {
        Ok(None)
    } else {
        let who = username.clone();
        sync::accounts(&state.accounts, move |a| a.account(&who)).await
    };
    let epoch = account
        .as_ref()
        .ok()
        .and_then(Option::as_ref)
        .map_or(0, |a| a.session_epoch);
    let verified = match account {
        Ok(account) => auth::authenticate(account, password).await,
        Err(e) => Err(e),
    };
    match verified {
        Ok(true) => {
            state.throttle.succeeded(&username, &peer);
            let session = Session {
                username: username.clone(),
                csrf: auth::random_token(),
                expires: Utc::now()
                    + Duration::from_std(state.session_ttl).unwrap_or(Duration::hours(8)),
                epoch,
                // Read from the account with every request; the cookie does not carry it.
                role: dynlog_core::store::Role::Viewer,
                from_app: false,
            };
            log::info!(target: "dynlog::admin", "{username} logged in from {peer}");
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(state.cookies.session_cookie(&session, state.session_ttl))
                .cookie(state.cookies.removal(LOGIN_COOKIE))
                .finish())
        }
        Ok(false) => {
            let shown = auth::capped(&username);
            let cut = if shown.len() < username.len() {
                "..."
            } else {
                ""
            };
            log::warn!(target: "dynlog::admin", "failed login for {shown:?}{cut} from {peer}");
            Ok(again(
                StatusCode::UNAUTHORIZED,
                "Wrong username or password.".into(),
                token,
            ))
        }
        Err(e) => {
            // Anonymous visitors learn nothing of the store; the details go to the log.
            log::error!(target: "dynlog::admin", "login unavailable: {e}");
            Ok(again(e.status(), UNAVAILABLE.into(), token))
        }
    }
}

/// Logs out everywhere: sessions are signed cookies, so ending this one means moving the
/// account's session epoch, which ends every copy of every session of the account (a stolen
/// cookie too), on every instance.
pub(crate) async fn logout(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, _) = Ctx::posted(&req, &state, &body).await?;
    if ctx.session.from_app {
        // The application signed this person in; its own logout ends that.
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, state.login_location("")))
            .finish());
    }
    let (actor, username) = (ctx.actor(), ctx.session.username.clone());
    sync::accounts(&state.accounts, move |a| a.end_sessions(&actor, &username))
        .await
        .map_err(|e| ctx.page_error(e))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{}/login", state.base)))
        .cookie(state.cookies.removal(SESSION_COOKIE))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_inside_the_admin() {
        assert_eq!(
            safe_next("/admin", "/admin/configs?x=1"),
            "/admin/configs?x=1"
        );
        assert_eq!(safe_next("/admin", "https://evil.example/"), "/admin/");
        assert_eq!(safe_next("/admin", "//evil.example/admin/"), "/admin/");
        assert_eq!(safe_next("/admin", "/administrator"), "/admin/");
        assert_eq!(safe_next("/admin", "/admin/login"), "/admin/");
    }
}
