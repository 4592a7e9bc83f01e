//! What every page shares: the error page, the frame, a signed-in request ([`Ctx`]), the
//! posted form and the words for times.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use dynlog_core::{Controller, Error};

use super::Page;
use crate::AdminState;
use crate::auth::{self, Session};
use crate::error::Error as AdminError;
use crate::sync;

/// Why a page is not shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// Not signed in: to the login form, then back to `next`.
    Login { login: String },
    /// A state change without the session's CSRF token.
    Csrf { base: String, user: String },
    /// Anything else, shown on an error page with its status.
    Shown {
        status: StatusCode,
        base: String,
        message: String,
    },
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Login { .. } => f.write_str("login required"),
            PageError::Csrf { .. } => f.write_str("missing or wrong CSRF token"),
            PageError::Shown { message, .. } => f.write_str(message),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage {
    page: Frame,
    heading: String,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login { .. } => StatusCode::SEE_OTHER,
            PageError::Csrf { .. } => StatusCode::FORBIDDEN,
            PageError::Shown { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (base, heading, message) = match self {
            PageError::Login { login } => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, login.as_str()))
                    .finish();
            }
            PageError::Csrf { base, .. } => (
                base,
                "Refused".to_string(),
                "The form's CSRF token is missing or wrong (the page may be from an earlier \
                 session): reload the page and try again. Nothing was changed."
                    .to_string(),
            ),
            PageError::Shown {
                status,
                base,
                message,
            } => (
                base,
                status.canonical_reason().unwrap_or("Error").to_string(),
                sentence(message),
            ),
        };
        let user = match self {
            PageError::Csrf { user, .. } => Some(user.clone()),
            _ => None,
        };
        let page = ErrorPage {
            page: Frame {
                base: base.clone(),
                user,
                csrf: String::new(),
                section: "",
                notice: None,
            },
            heading,
            message,
        };
        html(self.status_code(), &page)
    }
}

/// An error a form is shown again with: its message at the top of the page (announced, with a
/// link to its field), and the control it is about, by id, marked invalid and described by it.
pub(crate) struct FormError {
    pub(crate) message: String,
    /// The id of the control it is about, if one.
    pub(crate) field: Option<String>,
}

impl FormError {
    pub(crate) fn new(message: impl Into<String>, field: Option<String>) -> Self {
        FormError {
            message: message.into(),
            field,
        }
    }

    /// An error about no one control.
    pub(crate) fn general(message: impl Into<String>) -> Self {
        FormError::new(message, None)
    }
}

/// What a form's template asks of its error: the attributes of a control.
pub(crate) trait Invalid {
    /// `aria-invalid` and `aria-describedby` naming the message at the top, on the control
    /// `id` when the error is about it; nothing otherwise. Text the template writes unescaped.
    fn on(&self, id: &str) -> &'static str;
}

impl Invalid for Option<FormError> {
    fn on(&self, id: &str) -> &'static str {
        match self {
            Some(FormError { field: Some(f), .. }) if f == id => {
                r#" aria-invalid="true" aria-describedby="error-message""#
            }
            _ => "",
        }
    }
}

/// What every page's frame shows.
pub(crate) struct Frame {
    pub(crate) base: String,
    pub(crate) user: Option<String>,
    pub(crate) csrf: String,
    pub(crate) section: &'static str,
    pub(crate) notice: Option<String>,
}

pub(super) fn html(status: StatusCode, template: &impl Template) -> HttpResponse {
    match template.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(body),
        Err(e) => {
            log::error!(target: "dynlog::admin", "rendering a page: {e}");
            HttpResponse::InternalServerError().body("the page could not be rendered")
        }
    }
}

/// A signed-in request: the state, the session, and the frame its page shows.
pub(super) struct Ctx {
    pub(super) state: web::Data<AdminState>,
    pub(super) session: Session,
    /// The request, to mark a flash as shown (see [`forget_shown_flash`]).
    req: HttpRequest,
    /// What the last action said happened, carried across its redirect ([`FLASH_COOKIE`]).
    flash: Option<String>,
}

/// The cookie carrying a secret made by an action (a new API token) to the page its redirect
/// lands on, for that session only: encrypted, a minute long, removed once shown.
const SECRET_COOKIE: &str = "dynlog_secret";

/// The cookie carrying what an action did to the page its redirect lands on: signed, short-lived,
/// removed once a page has shown it. The text never goes in the address.
pub(crate) const FLASH_COOKIE: &str = "dynlog_flash";

/// How long a flash waits for its page.
const FLASH_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The most characters of a name a flash quotes: a cookie holds about 4 kB.
const FLASH_NAME: usize = 120;

/// The most bytes of a flash's encoded text.
const FLASH_BYTES: usize = 3000;

/// What ties a flash to the session that did the action: part of its CSRF token.
fn flash_tag(session: &Session) -> &str {
    session.csrf.get(..16).unwrap_or(&session.csrf)
}

/// Marks a request whose page showed the flash: its cookie is removed with the answer.
struct FlashShown(actix_web::cookie::Cookie<'static>);

/// `name` in quotes for a message, cut to [`FLASH_NAME`] characters.
pub(super) fn quoted(name: &str) -> String {
    let mut chars = name.chars();
    let short: String = chars.by_ref().take(FLASH_NAME).collect();
    if chars.next().is_some() {
        format!("\u{201c}{short}…\u{201d}")
    } else {
        format!("\u{201c}{short}\u{201d}")
    }
}

/// What runs now, in words: "config “x” runs now" or "the baseline runs now".
pub(super) fn running_now(controller: &Controller) -> String {
    match controller.status().current {
        Some(run) => format!("config {} runs now", quoted(&run.config.name)),
        None => "the baseline runs now".into(),
    }
}

/// Removes the flash cookie from the answer of a page that showed it, unless the answer sets a
/// new one.
pub(crate) async fn forget_shown_flash(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let removal = res
        .request()
        .extensions_mut()
        .remove::<FlashShown>()
        .map(|shown| shown.0);
    if let Some(removal) = removal {
        let sets_new = res.response().cookies().any(|c| c.name() == FLASH_COOKIE);
        if !sets_new {
            res.response_mut().add_cookie(&removal)?;
        }
    }
    Ok(res)
}

impl Ctx {
    /// The request's caller (the application's identity, or the built-in session), once its
    /// role is checked against the route table; or a redirect to the login form.
    pub(super) async fn new(
        req: &HttpRequest,
        state: &web::Data<AdminState>,
    ) -> Result<Ctx, PageError> {
        let session = match from_application(req, state)? {
            Some(session) => Some(session),
            None => current_session(req, state).await?,
        };
        match session {
            Some(session) => {
                check_role(req, state, &session)?;
                Ok(Ctx {
                    state: state.clone(),
                    req: req.clone(),
                    flash: state
                        .cookies
                        .read(req, FLASH_COOKIE)
                        .and_then(|v| {
                            let (tag, text) = v.split_once('|')?;
                            // Only the session that did the action is told.
                            auth::same(tag, flash_tag(&session))
                                .then(|| URL_SAFE_NO_PAD.decode(text).ok())?
                                .and_then(|bytes| String::from_utf8(bytes).ok())
                        })
                        .filter(|text| !text.is_empty()),
                    session,
                })
            }
            None => {
                let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
                let next = if req.method() == actix_web::http::Method::GET {
                    next
                } else {
                    ""
                };
                Err(PageError::Login {
                    login: state.login_location(next),
                })
            }
        }
    }

    /// The session and the posted form, after checking that the form carries the session's
    /// CSRF token.
    pub(super) async fn posted(
        req: &HttpRequest,
        state: &web::Data<AdminState>,
        body: &[u8],
    ) -> Result<(Ctx, Form), PageError> {
        let ctx = Ctx::new(req, state).await?;
        let form = Form::parse(body);
        let session = &ctx.session;
        let accepted = |token: &str| {
            if session.from_app {
                // Derived, with a lifetime of its own: the page may be from the period before.
                auth::app_csrf_accepts(
                    &state.key,
                    &session.username,
                    session.role,
                    token,
                    Utc::now(),
                )
            } else {
                auth::same(token, &session.csrf)
            }
        };
        match form.get("csrf") {
            Some(token) if accepted(token) => Ok((ctx, form)),
            _ => Err(PageError::Csrf {
                base: state.base.clone(),
                user: ctx.session.username.clone(),
            }),
        }
    }

    /// The frame of the page, with the flash if there is one (then marked shown).
    pub(super) fn frame(&self, section: &'static str) -> Frame {
        if self.flash.is_some() {
            self.req
                .extensions_mut()
                .insert(FlashShown(self.state.cookies.removal(FLASH_COOKIE)));
        }
        Frame {
            base: self.state.base.clone(),
            user: Some(self.session.username.clone()),
            csrf: self.session.csrf.clone(),
            section,
            notice: self.flash.clone(),
        }
    }

    pub(super) fn controller(&self) -> Controller {
        self.state.controller.clone()
    }

    pub(super) fn error(&self, status: StatusCode, message: impl Into<String>) -> PageError {
        PageError::Shown {
            status,
            base: self.state.base.clone(),
            message: message.into(),
        }
    }

    /// Runs store work off the async workers; every error becomes an error page with its
    /// status.
    pub(super) async fn block<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Controller) -> dynlog_core::Result<T> + Send + 'static,
    ) -> Result<T, PageError> {
        sync::run(&self.state.controller, f)
            .await
            .map_err(|e| self.page_error(e))
    }

    /// Runs a change off the async workers: an input error comes back, for the form to show
    /// again; any other error becomes an error page.
    pub(super) async fn submit<T, E>(
        &self,
        f: impl FnOnce(&Controller) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, AdminError>, PageError>
    where
        T: Send + 'static,
        E: Into<AdminError> + Send + 'static,
    {
        match sync::run(&self.state.controller, f).await {
            Ok(value) => Ok(Ok(value)),
            Err(e) if e.is_input_error() => Ok(Err(e)),
            Err(e) => Err(self.page_error(e)),
        }
    }

    /// The error page of `error`, with its status; what failed on the server is logged.
    pub(super) fn page_error(&self, error: impl Into<AdminError>) -> PageError {
        let error = error.into();
        let status = error.status();
        if status.is_server_error() {
            log::error!(target: "dynlog::admin", "{error}");
        }
        self.error(status, error.to_string())
    }

    /// A 303 to `path` under the admin.
    pub(super) fn redirect(&self, path: &str) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{}{path}", self.state.base)))
            .finish()
    }

    /// A 303 to `path` under the admin, whose page can show `secret` once
    /// ([`Ctx::take_secret`]): refreshing that page shows it no more and makes nothing again,
    /// as refreshing the answer to the form's POST would.
    pub(super) fn redirect_with_secret(&self, path: &str, secret: &str) -> HttpResponse {
        let mut response = self.redirect(path);
        let value = format!("{}|{secret}", flash_tag(&self.session));
        let cookie = self.state.cookies.make_private(
            SECRET_COOKIE,
            value,
            std::time::Duration::from_secs(60),
        );
        if let Err(e) = response.add_cookie(&cookie) {
            log::warn!(target: "dynlog::admin", "setting a secret's cookie: {e}");
        }
        response
    }

    /// The secret [`Ctx::redirect_with_secret`] carried to this page for this session, and the
    /// cookie removing it, for the answer that shows it.
    pub(super) fn take_secret(&self) -> Option<(String, actix_web::cookie::Cookie<'static>)> {
        let value = self.state.cookies.read_private(&self.req, SECRET_COOKIE)?;
        let (tag, secret) = value.split_once('|')?;
        auth::same(tag, flash_tag(&self.session)).then(|| {
            (
                secret.to_string(),
                self.state.cookies.removal(SECRET_COOKIE),
            )
        })
    }

    /// A 303 to `path` under the admin, whose page says `message` (in a flash cookie).
    pub(super) fn redirect_with(&self, path: &str, message: &str) -> HttpResponse {
        let mut response = self.redirect(path);
        // Cut to what a cookie holds once encoded (at most 9 bytes a character).
        let mut budget = FLASH_BYTES;
        let message: String = message
            .chars()
            .take_while(|c| {
                budget = budget.saturating_sub(c.len_utf8() * 3);
                budget > 0
            })
            .collect();
        // Base64url: a browser sends a cookie's `%` escapes back decoded, which would break
        // its signature.
        let value = format!(
            "{}|{}",
            flash_tag(&self.session),
            URL_SAFE_NO_PAD.encode(message.as_bytes())
        );
        let cookie = self.state.cookies.make(FLASH_COOKIE, value, FLASH_TTL);
        if let Err(e) = response.add_cookie(&cookie) {
            log::warn!(target: "dynlog::admin", "setting a flash: {e}");
        }
        response
    }

    /// Who made a change, for the audit: the name and the role.
    pub(super) fn actor(&self) -> String {
        self.session.actor()
    }
}

/// The person the application's authenticator vouches for, as a session of its own (its CSRF
/// token derived from the name and role); a credential it refuses is a 403 page.
fn from_application(
    req: &HttpRequest,
    state: &web::Data<AdminState>,
) -> Result<Option<Session>, PageError> {
    let refused = |message: String| PageError::Shown {
        status: StatusCode::FORBIDDEN,
        base: state.base.clone(),
        message,
    };
    let caller = crate::api::from_application(req, state).map_err(|e| refused(e.to_string()))?;
    Ok(caller.map(|caller| Session {
        csrf: auth::app_csrf(&state.key, &caller.name, caller.role, Utc::now()),
        username: caller.name,
        expires: Utc::now() + chrono::Duration::hours(1),
        epoch: 0,
        role: caller.role,
        from_app: true,
    }))
}

/// Whether the session's role may use the request's route (the route table says); a 403 page
/// naming both if not.
fn check_role(
    req: &HttpRequest,
    state: &web::Data<AdminState>,
    session: &Session,
) -> Result<(), PageError> {
    let shown = |error: AdminError| PageError::Shown {
        status: error.status(),
        base: state.base.clone(),
        message: error.to_string(),
    };
    let needed = crate::api::required_role(req, state).map_err(|_| shown(AdminError::Unrouted))?;
    let caller = auth::Caller {
        name: session.username.clone(),
        role: session.role,
    };
    crate::api::allowed(&caller, needed).map_err(shown)
}

/// The session the request carries, if its cookie is genuine and unexpired and its account
/// still admits it (the account exists and its session epoch has not moved).
pub(super) async fn current_session(
    req: &HttpRequest,
    state: &web::Data<AdminState>,
) -> Result<Option<Session>, PageError> {
    let Some(session) = state.cookies.session(req) else {
        return Ok(None);
    };
    match admitted(&state.accounts, session).await {
        Ok(session) => Ok(session),
        Err(e) => {
            log::error!(target: "dynlog::admin", "checking a session: {e}");
            Err(PageError::Shown {
                status: e.status(),
                base: state.base.clone(),
                message: UNAVAILABLE.into(),
            })
        }
    }
}

/// The built-in session's caller, for a route outside the pages (the metrics): `None` without a
/// session cookie, or with one the store no longer admits.
pub(crate) async fn session_caller(
    req: &HttpRequest,
    state: &web::Data<AdminState>,
) -> Result<Option<auth::Caller>, AdminError> {
    let Some(session) = state.cookies.session(req) else {
        return Ok(None);
    };
    Ok(admitted(&state.accounts, session)
        .await?
        .map(|s| auth::Caller {
            name: s.username,
            role: s.role,
        }))
}

/// `session`, if the store's account still admits it.
pub(super) async fn admitted(
    accounts: &std::sync::Arc<dyn dynlog_core::store::AccountStore>,
    session: Session,
) -> Result<Option<Session>, AdminError> {
    let username = session.username.clone();
    let account = sync::accounts(accounts, move |a| a.account(&username)).await?;
    let role = account.as_ref().map(|a| a.role);
    Ok(session.admitted_by(account.as_ref()).then_some(Session {
        role: role.unwrap_or_default(),
        ..session
    }))
}

/// An update posted without the version its form was read at.
pub(super) fn missing_version() -> Error {
    Error::Invalid {
        field: "version",
        value: String::new(),
        reason: "the form carries no version: reload it".into(),
    }
}

/// `application/x-www-form-urlencoded` pairs, in order, keys repeated for multiple selects.
pub(crate) struct Form(pub(super) Vec<(String, String)>);

impl Form {
    pub(super) fn parse(bytes: &[u8]) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value as typed, spaces kept (for passwords).
    pub(super) fn text_raw(&self, key: &str) -> String {
        self.get(key).unwrap_or("").to_string()
    }

    pub(super) fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or("").trim().to_string()
    }

    pub(super) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub(super) fn checked(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

pub(crate) fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `message` as a page shows it alone: a sentence, starting with a capital (core's messages
/// start in lower case, to be quoted inside others).
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub(super) fn when_opt(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map(when).unwrap_or_else(|| none.to_string())
}

/// When `to` is, seen from `from`: "in 2 h 5 min", "3 min ago", "now".
pub(super) fn in_words(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let seconds = (to - from).num_seconds();
    if seconds == 0 {
        return "now".into();
    }
    let s = seconds.unsigned_abs();
    let text = if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s < 48 * 3600 {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    } else {
        format!("{} days", s / 86400)
    };
    if seconds > 0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// What anonymous visitors are told when the store fails.
pub(super) const UNAVAILABLE: &str = "The store is unavailable: try again in a moment.";

pub(super) fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A delete posted from a page: checked, done, and back to the list, which says what `f` says
/// it did.
pub(super) async fn delete(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
    list: &str,
    f: impl FnOnce(&Controller, &str) -> dynlog_core::Result<String> + Send + 'static,
) -> Page {
    let (ctx, _) = Ctx::posted(&req, &state, &body).await?;
    let actor = ctx.actor();
    let message = ctx.block(move |c| f(c, &actor)).await?;
    Ok(ctx.redirect_with(list, &message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn durations_read_as_words() {
        let now = Utc::now();
        assert_eq!(in_words(now, now + Duration::minutes(90)), "in 1 h 30 min");
        assert_eq!(in_words(now, now - Duration::seconds(5)), "5 s ago");
        assert_eq!(in_words(now, now), "now");
    }
}
