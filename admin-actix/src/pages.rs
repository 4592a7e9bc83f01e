//! The HTML pages: dashboard, configs, triggers, loggers, audit and live tail, behind a login.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, Utc};
use dynlog_core::{
    AuditQuery, Config, ConfigId, Controller, Error, HandlerOverride, Level, LoggerSpec,
    LoggingConfig, MemoryHandler, NewConfig, NewTrigger, Preview, Trigger, TriggerId,
};

use crate::AdminState;
use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE, Session};
use crate::svg;

type Page = Result<HttpResponse, PageError>;

/// The level names offered in selects, most verbose last.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard))
        .route("", web::get().to(dashboard))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/configs", web::get().to(configs))
        .route("/configs/new", web::get().to(new_config))
        .route("/configs/new", web::post().to(save_new_config))
        .route("/configs/import", web::get().to(import_form))
        .route("/configs/import", web::post().to(import))
        .route("/configs/{id}", web::get().to(edit_config))
        .route("/configs/{id}", web::post().to(save_config))
        .route("/configs/{id}/delete", web::post().to(delete_config))
        .route("/configs/{id}/export", web::get().to(export_config))
        .route("/triggers", web::get().to(triggers))
        .route("/triggers/new", web::get().to(new_trigger))
        .route("/triggers/new", web::post().to(save_new_trigger))
        .route("/triggers/{id}", web::get().to(edit_trigger))
        .route("/triggers/{id}", web::post().to(save_trigger))
        .route("/triggers/{id}/toggle", web::post().to(toggle_trigger))
        .route("/triggers/{id}/delete", web::post().to(delete_trigger))
        .route("/loggers", web::get().to(loggers))
        .route("/loggers/debug", web::post().to(debug_for_an_hour))
        .route("/audit", web::get().to(audit))
        .route("/account", web::get().to(account))
        .route("/account/password", web::post().to(change_password))
        .route("/account/tokens", web::post().to(new_token))
        .route("/account/tokens/{id}/delete", web::post().to(revoke_token))
        .route("/tail", web::get().to(tail))
        .route("/tail/events", web::get().to(tail_events));
}

// ---------------------------------------------------------------------------------------------
// Errors and the common frame

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
struct ErrorPage {
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
                message.clone(),
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

/// What every page's frame shows.
pub(crate) struct Frame {
    pub(crate) base: String,
    pub(crate) user: Option<String>,
    pub(crate) csrf: String,
    pub(crate) section: &'static str,
    pub(crate) notice: Option<String>,
}

fn html(status: StatusCode, template: &impl Template) -> HttpResponse {
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
struct Ctx {
    state: web::Data<AdminState>,
    session: Session,
}

impl Ctx {
    /// The request's session, or a redirect to the login form.
    async fn new(req: &HttpRequest, state: &web::Data<AdminState>) -> Result<Ctx, PageError> {
        match current_session(req, state).await? {
            Some(session) => Ok(Ctx {
                state: state.clone(),
                session,
            }),
            None => {
                let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
                let next = if req.method() == actix_web::http::Method::GET {
                    next
                } else {
                    ""
                };
                Err(PageError::Login {
                    login: format!("{}/login?next={}", state.base, encode(next)),
                })
            }
        }
    }

    /// The session and the posted form, after checking that the form carries the session's
    /// CSRF token.
    async fn posted(
        req: &HttpRequest,
        state: &web::Data<AdminState>,
        body: &[u8],
    ) -> Result<(Ctx, Form), PageError> {
        let ctx = Ctx::new(req, state).await?;
        let form = Form::parse(body);
        match form.get("csrf") {
            Some(token) if auth::same(token, &ctx.session.csrf) => Ok((ctx, form)),
            _ => Err(PageError::Csrf {
                base: state.base.clone(),
                user: ctx.session.username.clone(),
            }),
        }
    }

    fn frame(&self, section: &'static str) -> Frame {
        Frame {
            base: self.state.base.clone(),
            user: Some(self.session.username.clone()),
            csrf: self.session.csrf.clone(),
            section,
            notice: None,
        }
    }

    fn controller(&self) -> Controller {
        self.state.controller.clone()
    }

    fn error(&self, status: StatusCode, message: impl Into<String>) -> PageError {
        PageError::Shown {
            status,
            base: self.state.base.clone(),
            message: message.into(),
        }
    }

    /// Runs store work off the async workers; every error becomes an error page (store errors
    /// 503, missing entities 404).
    async fn block<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Controller) -> dynlog_core::Result<T> + Send + 'static,
    ) -> Result<T, PageError> {
        self.submit(f).await?.map_err(|e| self.core_error(&e))
    }

    /// Runs a change off the async workers: an input error comes back, for the form to show
    /// again; any other error becomes an error page.
    async fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Controller) -> dynlog_core::Result<T> + Send + 'static,
    ) -> Result<Result<T, Error>, PageError> {
        let controller = self.controller();
        match web::block(move || f(&controller)).await {
            Ok(Ok(value)) => Ok(Ok(value)),
            Ok(Err(e)) if e.is_input_error() => Ok(Err(e)),
            Ok(Err(e)) => Err(self.core_error(&e)),
            Err(e) => Err(self.error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
        }
    }

    fn core_error(&self, error: &Error) -> PageError {
        let status = status_of(error);
        if status.is_server_error() {
            log::error!(target: "dynlog::admin", "{error}");
        }
        self.error(status, error.to_string())
    }

    /// A 303 to `path` under the admin.
    fn redirect(&self, path: &str) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{}{path}", self.state.base)))
            .finish()
    }

    fn actor(&self) -> String {
        self.session.username.clone()
    }
}

/// The session the request carries, if its cookie is genuine and unexpired and its account
/// still admits it (the account exists and its session epoch has not moved).
async fn current_session(
    req: &HttpRequest,
    state: &web::Data<AdminState>,
) -> Result<Option<Session>, PageError> {
    let Some(session) = state.cookies.session(req) else {
        return Ok(None);
    };
    match admitted(state.controller.clone(), session).await {
        Ok(session) => Ok(session),
        Err(e) => {
            log::error!(target: "dynlog::admin", "checking a session: {e}");
            Err(PageError::Shown {
                status: StatusCode::SERVICE_UNAVAILABLE,
                base: state.base.clone(),
                message: UNAVAILABLE.into(),
            })
        }
    }
}

/// `session`, if the store's account still admits it.
async fn admitted(controller: Controller, session: Session) -> Result<Option<Session>, Error> {
    let username = session.username.clone();
    let account = web::block(move || controller.store().account(&username))
        .await
        .unwrap_or_else(|e| Err(Error::store("looking up an account", e)))?;
    Ok(session.admitted_by(account.as_ref()).then_some(session))
}

/// The status a page answers a core error with.
fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::ConfigNotFound(_)
        | Error::TriggerNotFound(_)
        | Error::TokenNotFound(_)
        | Error::AccountNotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } | Error::DuplicateName(_) => StatusCode::CONFLICT,
        e if e.is_input_error() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// An update posted without the version its form was read at.
fn missing_version() -> Error {
    Error::Invalid {
        field: "version",
        value: String::new(),
        reason: "the form carries no version: reload it".into(),
    }
}

/// `application/x-www-form-urlencoded` pairs, in order, keys repeated for multiple selects.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    fn parse(bytes: &[u8]) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value as typed, spaces kept (for passwords).
    fn text_raw(&self, key: &str) -> String {
        self.get(key).unwrap_or("").to_string()
    }

    fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or("").trim().to_string()
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn checked(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn when_opt(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map(when).unwrap_or_else(|| none.to_string())
}

/// When `to` is, seen from `from`: "in 2 h 5 min", "3 min ago", "now".
fn in_words(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
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

/// Parses a time typed in UTC: `2026-11-24 10:00`, with a `T`, with seconds, or RFC 3339.
fn parse_time(field: &'static str, value: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        let t = t.with_timezone(&Utc);
        return dynlog_core::validate_time(field, t).map(|()| Some(t));
    }
    let normalized = value.replacen('T', " ", 1);
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&normalized, format) {
            let t = t.and_utc();
            return dynlog_core::validate_time(field, t).map(|()| Some(t));
        }
    }
    Err(Error::Invalid {
        field,
        value: value.chars().take(64).collect(),
        reason: "expected a UTC time such as 2026-11-24 14:30".into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Frame,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(serde::Deserialize)]
struct Next {
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

async fn login_form(req: HttpRequest, state: web::Data<AdminState>, q: web::Query<Next>) -> Page {
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

async fn login(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
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
        let controller = state.controller.clone();
        let who = username.clone();
        web::block(move || controller.store().account(&who))
            .await
            .unwrap_or_else(|e| Err(Error::store("looking up an account", e)))
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
            Ok(again(
                StatusCode::SERVICE_UNAVAILABLE,
                UNAVAILABLE.into(),
                token,
            ))
        }
    }
}

/// What anonymous visitors are told when the store fails.
const UNAVAILABLE: &str = "The service is unavailable: try again in a moment.";

/// Logs out everywhere: sessions are signed cookies, so ending this one means moving the
/// account's session epoch, which ends every copy of every session of the account (a stolen
/// cookie too), on every instance.
async fn logout(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, _) = Ctx::posted(&req, &state, &body).await?;
    let actor = ctx.actor();
    ctx.block(move |c| c.store().end_sessions(&actor, &actor))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{}/login", state.base)))
        .cookie(state.cookies.removal(SESSION_COOKIE))
        .finish())
}

// ---------------------------------------------------------------------------------------------
// Dashboard

struct PanelView {
    name: String,
    level: String,
    propagate: bool,
    handlers: Vec<String>,
    filters: Vec<String>,
}

struct RunView {
    trigger: String,
    trigger_id: i64,
    config: String,
    config_id: i64,
    since: String,
    until: String,
    panels: Vec<PanelView>,
    handlers: Vec<(String, String)>,
}

struct NextView {
    at: String,
    in_words: String,
    run: Option<RunView>,
}

struct FleetRow {
    instance: String,
    this: bool,
    app: String,
    host: String,
    pid: u32,
    revision: i64,
    config: String,
    applied: String,
    age: String,
    state: String,
    class: &'static str,
}

/// An active trigger without an end whose config makes some logging more verbose than the
/// baseline: it runs until someone deletes it.
struct OpenEndedView {
    trigger: String,
    trigger_id: i64,
    config: String,
    config_id: i64,
    /// What it raises, as `myapp::import: info to debug`.
    raises: Vec<String>,
}

/// Each active, open-ended trigger whose config raises a logger's or a handler's level above
/// the baseline, with what it raises.
fn open_ended(
    logger: &dynlog_core::DynamicLogger,
    triggers: &[Trigger],
    configs: &[Config],
) -> Vec<OpenEndedView> {
    triggers
        .iter()
        .filter(|t| t.is_active && t.end.is_none())
        .filter_map(|t| {
            let config = configs.iter().find(|c| c.id == t.config_id)?;
            // A config the application no longer accepts cannot run: nothing to warn about.
            let preview = logger.preview_from_baseline(&config.body).ok()?;
            let loggers = preview
                .loggers
                .iter()
                .filter(|c| c.after.level > c.before.level)
                .map(|c| {
                    (
                        form_name(&c.name).to_string(),
                        c.before.level,
                        c.after.level,
                    )
                });
            let handlers = preview
                .handlers
                .iter()
                .filter(|c| c.after.level > c.before.level)
                .map(|c| (format!("handler {}", c.name), c.before.level, c.after.level));
            let raises: Vec<String> = loggers
                .chain(handlers)
                .map(|(name, before, after)| format!("{name}: {before} to {after}"))
                .collect();
            (!raises.is_empty()).then(|| OpenEndedView {
                trigger: t.name.clone(),
                trigger_id: t.id.0,
                config: config.name.clone(),
                config_id: config.id.0,
                raises,
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    page: Frame,
    open_ended: Vec<OpenEndedView>,
    current: Option<RunView>,
    next: Option<NextView>,
    timeline_svg: String,
    timeline_range: String,
    revision: i64,
    fleet: Vec<FleetRow>,
    fleet_error: Option<String>,
    handler_errors: Vec<dynlog_core::HandlerStats>,
}

/// Panels for the loggers a config sets, each with what it resolves to in `effective`.
fn panels(
    body: &LoggingConfig,
    effective: &LoggingConfig,
) -> (Vec<PanelView>, Vec<(String, String)>) {
    let handler_level = |name: &str| {
        effective
            .handlers
            .get(name)
            .and_then(|h| h.level)
            .map_or_else(|| "as declared".to_string(), |l| l.as_str().to_uppercase())
    };
    let loggers = body
        .loggers
        .iter()
        .map(|(name, spec)| {
            let resolved = effective.loggers.get(name).unwrap_or(spec);
            PanelView {
                name: name.clone(),
                level: resolved
                    .level
                    .map_or("inherited".into(), |l| l.as_str().to_uppercase()),
                propagate: resolved.propagate.unwrap_or(true),
                handlers: resolved
                    .handlers
                    .iter()
                    .flatten()
                    .map(|h| format!("{h}: [{}]", handler_level(h)))
                    .collect(),
                filters: resolved.filters.clone().unwrap_or_default(),
            }
        })
        .collect();
    let handlers = body
        .handlers
        .iter()
        .map(|(name, o)| {
            let mut text = o
                .level
                .map_or_else(|| "level as declared".into(), |l| format!("level {l}"));
            if let Some(filters) = &o.filters {
                text.push_str(&format!(", filters: {}", filters.join(", ")));
            }
            (name.clone(), text)
        })
        .collect();
    (loggers, handlers)
}

async fn dashboard(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let stale_after = state.stale_after;
    let (status, triggers, configs, fleet) = ctx
        .block(|c| {
            let triggers = c.store().triggers()?;
            let configs = c.store().configs()?;
            Ok((c.status(), triggers, configs, c.fleet()))
        })
        .await?;
    let now = ctx.controller().now();
    let logger = ctx.controller().logger().clone();
    let baseline = logger.baseline().clone();
    let run_view = |run: &dynlog_core::Running, since: String, until: String| {
        let effective = baseline.overlay(&run.config.body);
        let (panels, handlers) = panels(&run.config.body, &effective);
        RunView {
            trigger: run.trigger.name.clone(),
            trigger_id: run.trigger.id.0,
            config: run.config.name.clone(),
            config_id: run.config.id.0,
            since,
            until,
            panels,
            handlers,
        }
    };
    let until = status
        .next
        .as_ref()
        .map_or_else(|| "further notice".to_string(), |n| when(n.at));
    let current = status
        .current
        .as_ref()
        .map(|run| run_view(run, when_opt(run.trigger.start, "always"), until.clone()));
    let next = status.next.as_ref().map(|up| NextView {
        at: when(up.at),
        in_words: in_words(now, up.at),
        run: up.running.as_ref().map(|run| {
            run_view(
                run,
                when_opt(run.trigger.start, "always"),
                when_opt(run.trigger.end, "further notice"),
            )
        }),
    });
    let names: BTreeMap<ConfigId, String> =
        configs.iter().map(|c| (c.id, c.name.clone())).collect();
    let from = now - Duration::hours(3);
    let to = now + Duration::hours(45);
    let timeline_svg = svg::timeline(&triggers, &names, from, to, now);
    let (fleet, fleet_error) = match fleet {
        Ok(fleet) => (fleet, None),
        Err(e) => (
            vec![ctx.controller().instance_status()],
            Some(format!("the fleet could not be read: {e}")),
        ),
    };
    let fleet = fleet
        .into_iter()
        .map(|i| {
            let age = now - i.reported_at;
            let stale = age > stale_after;
            let behind = i.revision < status.revision;
            let (state, class) = if let Some(error) = &i.last_error {
                (format!("failing: {error}"), "failing")
            } else if stale {
                ("stale (no heartbeat)".to_string(), "stale")
            } else if behind {
                ("behind".to_string(), "stale")
            } else {
                ("ok".to_string(), "ok")
            };
            FleetRow {
                this: i.instance_id == status.instance_id,
                instance: i.instance_id,
                app: i.app,
                host: i.host,
                pid: i.pid,
                revision: i.revision,
                config: i.config_id.map_or_else(
                    || "baseline".into(),
                    |id| {
                        names
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| format!("#{}", id.0))
                    },
                ),
                applied: when_opt(i.applied_at, "-"),
                age: in_words(now, i.reported_at),
                state,
                class,
            }
        })
        .collect();
    let page = DashboardPage {
        page: ctx.frame("dashboard"),
        open_ended: open_ended(&logger, &triggers, &configs),
        current,
        next,
        timeline_svg,
        timeline_range: format!("{} to {}", when(from), when(to)),
        revision: status.revision,
        fleet,
        fleet_error,
        handler_errors: logger
            .handler_stats()
            .into_iter()
            .filter(|h| h.errors > 0)
            .collect(),
    };
    Ok(html(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// Configs

struct ConfigRow {
    id: i64,
    name: String,
    running: bool,
    triggers: usize,
    updated: String,
}

#[derive(Template)]
#[template(path = "configs.html")]
struct ConfigsPage {
    page: Frame,
    rows: Vec<ConfigRow>,
}

async fn configs(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let (configs, triggers, status) = ctx
        .block(|c| Ok((c.store().configs()?, c.store().triggers()?, c.status())))
        .await?;
    let running = status.current.map(|r| r.config.id);
    let rows = configs
        .into_iter()
        .map(|c| ConfigRow {
            id: c.id.0,
            running: running == Some(c.id),
            triggers: triggers.iter().filter(|t| t.config_id == c.id).count(),
            updated: when(c.updated_at),
            name: c.name,
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &ConfigsPage {
            page: ctx.frame("configs"),
            rows,
        },
    ))
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The option of a list meaning "an empty list", as opposed to "not set".
const NONE: &str = "!none";

/// One logger row of the config form: what the config sets ("" where it leaves the field
/// out), and the baseline's value of each field as a hint.
struct LoggerRow {
    index: usize,
    name: String,
    /// `""` (as the baseline), `notset` (inherit from the parent) or a level.
    level: String,
    /// `""` (as the baseline), `yes` or `no`.
    propagate: String,
    handlers: Vec<Choice>,
    filters: Vec<Choice>,
    is_root: bool,
    hint: BaselineHint,
}

/// What the baseline declares of one logger, in words, for the form's "as the baseline".
#[derive(Default)]
struct BaselineHint {
    level: String,
    propagate: String,
    handlers: String,
    filters: String,
}

impl BaselineHint {
    fn of(baseline: &LoggingConfig, name: &str) -> Self {
        let spec = baseline.loggers.get(name);
        let list = |l: Option<&Vec<String>>| match l {
            Some(l) if l.is_empty() => "none".to_string(),
            Some(l) => l.join(", "),
            None => "none".to_string(),
        };
        BaselineHint {
            level: match spec.and_then(|s| s.level) {
                Some(level) => level.as_str().to_string(),
                None if name.is_empty() => "warn, the default".into(),
                None => "inherited".into(),
            },
            propagate: if spec.and_then(|s| s.propagate).unwrap_or(true) {
                "yes".into()
            } else {
                "no".into()
            },
            handlers: list(spec.and_then(|s| s.handlers.as_ref())),
            filters: list(spec.and_then(|s| s.filters.as_ref())),
        }
    }
}

/// A logger the baseline declares, as the read-only table beside the form shows it.
struct BaselineRow {
    name: String,
    hint: BaselineHint,
}

struct HandlerRow {
    name: String,
    declared: String,
    level: String,
    filters: Vec<Choice>,
}

struct ChangeRow {
    kind: &'static str,
    name: String,
    before: String,
    after: String,
}

struct PreviewView {
    against_running: Vec<ChangeRow>,
    against_baseline: Vec<ChangeRow>,
}

#[derive(Template)]
#[template(path = "config_form.html")]
struct ConfigPage {
    page: Frame,
    id: Option<i64>,
    version: Option<i64>,
    name: String,
    levels: &'static [&'static str],
    handlers: Vec<HandlerRow>,
    loggers: Vec<LoggerRow>,
    blank: LoggerRow,
    suggestions: Vec<String>,
    error: Option<String>,
    preview: Option<PreviewView>,
    /// The loggers the baseline declares, shown read-only.
    baseline: Vec<BaselineRow>,
    /// Loggers of this config that no target seen so far falls under, with a suggestion.
    unmatched: Vec<String>,
}

/// The options of a list select: "(none)" (an empty list), then the selected names in the
/// config's order (a browser submits them in the order they appear, so the list comes back as
/// it was), then the others. Nothing selected leaves the list unset, so the baseline's (or the
/// declared one) holds.
fn choices(all: &[String], selected: Option<&[String]>) -> Vec<Choice> {
    let chosen = selected.unwrap_or_default();
    let choice = |v: &String, selected: bool| Choice {
        value: v.clone(),
        label: v.clone(),
        selected,
    };
    std::iter::once(Choice {
        value: NONE.into(),
        label: "(none)".into(),
        selected: selected.is_some_and(<[String]>::is_empty),
    })
    .chain(chosen.iter().map(|v| choice(v, true)))
    .chain(
        all.iter()
            .filter(|v| !chosen.contains(v))
            .map(|v| choice(v, false)),
    )
    .collect()
}

/// A list as a select submitted it: unset when nothing is selected, empty for "(none)".
fn listed(form: &Form, key: &str) -> Option<Vec<String>> {
    let all = form.all(key);
    if all.iter().any(|v| v == NONE) {
        Some(Vec::new())
    } else {
        (!all.is_empty()).then_some(all)
    }
}

/// The root logger is `""` in configs and `root` in the form.
fn form_name(name: &str) -> &str {
    if name.is_empty() { "root" } else { name }
}

fn config_name(name: &str) -> &str {
    if name == "root" { "" } else { name }
}

impl ConfigPage {
    fn new(
        ctx: &Ctx,
        id: Option<i64>,
        version: Option<i64>,
        name: String,
        body: &LoggingConfig,
    ) -> Self {
        let logger = ctx.state.controller.logger();
        let registry = logger.registry();
        let handler_names: Vec<String> = registry.handlers().map(str::to_string).collect();
        let filter_names: Vec<String> = registry.filters().map(str::to_string).collect();
        let baseline = logger.baseline();
        let row = |index: usize, name: &str, spec: &LoggerSpec| LoggerRow {
            index,
            name: form_name(name).to_string(),
            level: spec
                .level
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            propagate: match spec.propagate {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            },
            handlers: choices(&handler_names, spec.handlers.as_deref()),
            filters: choices(&filter_names, spec.filters.as_deref()),
            is_root: name.is_empty(),
            hint: BaselineHint::of(baseline, name),
        };
        let mut loggers: Vec<LoggerRow> = body
            .loggers
            .iter()
            .enumerate()
            .map(|(i, (name, spec))| row(i, name, spec))
            .collect();
        let blank_spec = LoggerSpec::default();
        // Rows not yet named: no hint but the generic one.
        let unnamed = |index: usize| LoggerRow {
            name: String::new(),
            is_root: false,
            hint: BaselineHint::default(),
            ..row(index, "", &blank_spec)
        };
        let blank = unnamed(9999);
        loggers.push(unnamed(loggers.len()));
        let handlers = handler_names
            .iter()
            .map(|h| {
                let set = body.handlers.get(h);
                let declared = baseline.handlers.get(h).and_then(|o| o.level);
                HandlerRow {
                    name: h.clone(),
                    declared: declared.map(|l| l.as_str().to_string()).unwrap_or_default(),
                    level: set
                        .and_then(|o| o.level)
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default(),
                    filters: choices(&filter_names, set.and_then(|o| o.filters.as_deref())),
                }
            })
            .collect();
        let mut suggestions = logger.known_targets();
        suggestions.retain(|t| !t.is_empty());
        let baseline_rows = baseline
            .loggers
            .keys()
            .map(|name| BaselineRow {
                name: form_name(name).to_string(),
                hint: BaselineHint::of(baseline, name),
            })
            .collect();
        let unmatched = logger
            .unmatched_loggers(body)
            .iter()
            .map(ToString::to_string)
            .collect();
        ConfigPage {
            page: ctx.frame("configs"),
            id,
            version,
            name,
            levels: &LEVELS,
            handlers,
            loggers,
            blank,
            suggestions,
            error: None,
            preview: None,
            baseline: baseline_rows,
            unmatched,
        }
    }
}

/// The most logger rows a config form may post (row indices are below it).
const MAX_ROWS: usize = 100_000;

/// The config a submitted form describes. Rows with no name and nothing set are skipped, as are
/// rows marked for removal.
fn config_from_form(form: &Form, registry: &dynlog_core::Registry) -> Result<LoggingConfig, Error> {
    let mut config = LoggingConfig::default();
    for handler in registry.handlers() {
        let field = format!("handler.{handler}.level");
        let level = Level::parse_optional(form.get(&field).unwrap_or(""), &field)?;
        let filters = listed(form, &format!("handler.{handler}.filters"));
        if level.is_some() || filters.is_some() {
            config
                .handlers
                .insert(handler.to_string(), HandlerOverride { level, filters });
        }
    }
    let mut rows = BTreeSet::new();
    for (key, _) in &form.0 {
        let Some(index) = key
            .strip_prefix("logger.")
            .and_then(|k| k.split('.').next())
        else {
            continue;
        };
        match index.parse::<usize>() {
            Ok(i) if i < MAX_ROWS => rows.insert(i),
            _ => {
                return Err(Error::Invalid {
                    field: "logger row",
                    value: key.chars().take(64).collect(),
                    reason: format!("rows are numbered 0 to {}", MAX_ROWS - 1),
                });
            }
        };
    }
    for i in rows {
        let key = |f: &str| format!("logger.{i}.{f}");
        if form.checked(&key("remove")) {
            continue;
        }
        let name = form.text(&key("name"));
        let level = dynlog_core::LoggerLevel::parse_optional(
            form.get(&key("level")).unwrap_or(""),
            &format!("level of logger {name:?}"),
        )?;
        let handlers = listed(form, &key("handlers"));
        let filters = listed(form, &key("filters"));
        if name.is_empty() {
            if level.is_some() || handlers.is_some() || filters.is_some() {
                return Err(Error::Invalid {
                    field: "logger name",
                    value: String::new(),
                    reason: format!(
                        "row {} sets a level, handlers or filters but has no name (use \"root\" for the root logger)",
                        i.saturating_add(1)
                    ),
                });
            }
            continue;
        }
        let name = config_name(&name).to_string();
        if config.loggers.contains_key(&name) {
            return Err(Error::Invalid {
                field: "logger name",
                value: name,
                reason: "appears in two rows".into(),
            });
        }
        let propagate = match form.text(&key("propagate")).as_str() {
            "" => None,
            "yes" | "on" | "true" => Some(true),
            "no" | "false" => Some(false),
            other => {
                return Err(Error::Invalid {
                    field: "propagate",
                    value: other.chars().take(16).collect(),
                    reason: format!("propagate of logger {name:?} is yes, no or as the baseline"),
                });
            }
        };
        config.loggers.insert(
            name,
            LoggerSpec {
                level,
                handlers,
                filters,
                propagate,
            },
        );
    }
    Ok(config)
}

/// What decides a level, in words: the baseline, a config (named when known), the default, or
/// the parent it is inherited from.
pub(crate) fn decided_by(source: &dynlog_core::LevelSource, config: Option<&str>) -> String {
    use dynlog_core::{LevelOrigin, LevelSource};
    let config = || match config {
        Some(name) => format!("config {name:?}"),
        None => "the config".to_string(),
    };
    let origin = |origin: &LevelOrigin| match origin {
        LevelOrigin::Baseline => "the baseline".to_string(),
        LevelOrigin::Config => config(),
        LevelOrigin::Default => "the default".to_string(),
    };
    match source {
        LevelSource::Baseline => "the baseline".into(),
        LevelSource::Config => config(),
        LevelSource::Default => "the default (warn)".into(),
        LevelSource::Parent { ancestor, set_by } => format!(
            "inherited from {} (set by {})",
            form_name(ancestor),
            origin(set_by)
        ),
    }
}

/// The rows of a preview; `before` and `after` name the configs on each side (`None`: the
/// baseline alone, or unknown).
fn change_rows(preview: &Preview, before: Option<&str>, after: Option<&str>) -> Vec<ChangeRow> {
    let view = |v: &dynlog_core::LoggerView, config: Option<&str>| {
        let mut text = format!("{} ({})", v.level.as_str(), decided_by(&v.source, config));
        if !v.handlers.is_empty() {
            text.push_str(&format!(" → {}", v.handlers.join(", ")));
        }
        if !v.filters.is_empty() {
            text.push_str(&format!(" [{}]", v.filters.join(", ")));
        }
        text
    };
    let handler = |v: &dynlog_core::HandlerView| {
        let mut text = v.level.as_str().to_string();
        if !v.filters.is_empty() {
            text.push_str(&format!(" [{}]", v.filters.join(", ")));
        }
        text
    };
    preview
        .loggers
        .iter()
        .map(|c| ChangeRow {
            kind: "logger",
            name: form_name(&c.name).to_string(),
            before: view(&c.before, before),
            after: view(&c.after, after),
        })
        .chain(preview.handlers.iter().map(|c| ChangeRow {
            kind: "handler",
            name: c.name.clone(),
            before: handler(&c.before),
            after: handler(&c.after),
        }))
        .collect()
}

async fn new_config(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    // A new config starts empty: it changes only what the operator sets, and the baseline is
    // shown beside it as hints.
    Ok(html(
        StatusCode::OK,
        &ConfigPage::new(&ctx, None, None, String::new(), &LoggingConfig::default()),
    ))
}

async fn edit_config(req: HttpRequest, state: web::Data<AdminState>, id: web::Path<i64>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let id = ConfigId(id.into_inner());
    let config = ctx.block(move |c| c.store().config(id)).await?;
    Ok(html(
        StatusCode::OK,
        &ConfigPage::new(
            &ctx,
            Some(id.0),
            Some(config.version),
            config.name,
            &config.body,
        ),
    ))
}

async fn save_new_config(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    submit_config(req, state, None, body).await
}

async fn save_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    submit_config(req, state, Some(ConfigId(id.into_inner())), body).await
}

/// Saves or previews a config form; on bad input, the form again with the message.
async fn submit_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: Option<ConfigId>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let name = form.text("name");
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let logger = state.controller.logger().clone();
    let parsed = config_from_form(&form, logger.registry());
    let body = parsed.as_ref().ok().cloned().unwrap_or_default();
    let again = |error: Option<String>, preview: Option<PreviewView>, body: &LoggingConfig| {
        let mut page = ConfigPage::new(&ctx, id.map(|i| i.0), version, name.clone(), body);
        page.error = error;
        page.preview = preview;
        page
    };
    let config = match parsed {
        Ok(config) => config,
        Err(e) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(Some(e.to_string()), None, &body),
            ));
        }
    };
    if form.get("action") == Some("preview") {
        let running_name = ctx.controller().status().current.map(|r| r.config.name);
        let this_name = if name.trim().is_empty() {
            "this config".to_string()
        } else {
            name.clone()
        };
        let previews = logger
            .preview(&config)
            .and_then(|running| Ok((running, logger.preview_from_baseline(&config)?)));
        return Ok(match previews {
            Ok((running, baseline)) => html(
                StatusCode::OK,
                &again(
                    None,
                    Some(PreviewView {
                        against_running: change_rows(
                            &running,
                            running_name.as_deref(),
                            Some(this_name.as_str()),
                        ),
                        against_baseline: change_rows(&baseline, None, Some(this_name.as_str())),
                    }),
                    &config,
                ),
            ),
            Err(e) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(Some(e.to_string()), None, &config),
            ),
        });
    }
    let new = NewConfig {
        name: name.clone(),
        body: config.clone(),
    };
    let actor = ctx.actor();
    let saved = ctx
        .submit(move |c| match id {
            None => c.create_config(&actor, &new),
            Some(id) => c.update_config(&actor, id, version.ok_or_else(missing_version)?, &new),
        })
        .await?;
    Ok(match saved {
        Ok(saved) => ctx.redirect(&format!("/configs/{}?saved=1", saved.id.0)),
        Err(e) => html(status_of(&e), &again(Some(e.to_string()), None, &config)),
    })
}

async fn delete_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = ConfigId(id.into_inner());
    delete(req, state, body, "/configs", move |c, actor| {
        c.delete_config(actor, id)
    })
    .await
}

/// A delete posted from a page: checked, done, and back to the list.
async fn delete(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
    list: &str,
    f: impl FnOnce(&Controller, &str) -> dynlog_core::Result<()> + Send + 'static,
) -> Page {
    let (ctx, _) = Ctx::posted(&req, &state, &body).await?;
    let actor = ctx.actor();
    ctx.block(move |c| f(c, &actor)).await?;
    Ok(ctx.redirect(list))
}

async fn export_config(req: HttpRequest, state: web::Data<AdminState>, id: web::Path<i64>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let id = ConfigId(id.into_inner());
    let config = ctx.block(move |c| c.store().config(id)).await?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "name": config.name,
        "body": config.body,
    }))
    .unwrap_or_default();
    let file: String = config
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"dynlog-config-{file}.json\""),
        ))
        .body(json))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    page: Frame,
    name: String,
    json: String,
    error: Option<String>,
    /// The config just imported, `(id, name)`, shown with the conversion's warnings.
    imported: Option<(i64, String)>,
    warnings: Vec<String>,
}

async fn import_form(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    Ok(html(
        StatusCode::OK,
        &ImportPage {
            page: ctx.frame("configs"),
            name: String::new(),
            json: String::new(),
            error: None,
            imported: None,
            warnings: Vec::new(),
        },
    ))
}

/// The name and body an import describes, with the conversion's warnings: `{"name", "body"}` as
/// exported, `{"name", "config_json"}` as the API takes it, or a bare body, dynlog's or as
/// django-dynamic-logging's editor saves it.
fn parse_import(name: &str, json: &str) -> Result<(NewConfig, Vec<String>), Error> {
    let wrapper = match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(object))
            if object.contains_key("body") || object.contains_key("config_json") =>
        {
            Some(object)
        }
        // Anything else is a bare body, whose errors from_seed_json reports.
        _ => None,
    };
    let (exported_name, (body, warnings)) = match &wrapper {
        Some(object) => {
            let key = if object.contains_key("body") {
                "body"
            } else {
                "config_json"
            };
            let body = object.get(key).unwrap_or(&serde_json::Value::Null);
            (
                object.get("name").and_then(|n| n.as_str()),
                crate::api::seed_config(key, body)?,
            )
        }
        None => (None, LoggingConfig::from_seed_json(json)?),
    };
    let name = if name.is_empty() {
        exported_name.unwrap_or_default().to_string()
    } else {
        name.to_string()
    };
    Ok((NewConfig { name, body }, warnings))
}

async fn import(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let name = form.text("name");
    let json = form.get("json").unwrap_or("").to_string();
    let again = |e: &Error| {
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage {
                page: ctx.frame("configs"),
                name: name.clone(),
                json: json.clone(),
                error: Some(e.to_string()),
                imported: None,
                warnings: Vec::new(),
            },
        )
    };
    let (new, warnings) = match parse_import(&name, &json) {
        Ok(parsed) => parsed,
        Err(e) => return Ok(again(&e)),
    };
    let actor = ctx.actor();
    let saved = ctx.submit(move |c| c.create_config(&actor, &new)).await?;
    Ok(match saved {
        Ok(config) if warnings.is_empty() => ctx.redirect(&format!("/configs/{}", config.id.0)),
        // What was dropped is said once, here: the config's page cannot tell.
        Ok(config) => html(
            StatusCode::OK,
            &ImportPage {
                page: ctx.frame("configs"),
                name: String::new(),
                json: String::new(),
                error: None,
                imported: Some((config.id.0, config.name)),
                warnings,
            },
        ),
        Err(e) => again(&e),
    })
}

// ---------------------------------------------------------------------------------------------
// Triggers

struct Opt {
    value: i64,
    label: String,
    selected: bool,
}

struct TriggerRow {
    id: i64,
    name: String,
    config: String,
    config_id: i64,
    start: String,
    start_iso: String,
    end: String,
    end_iso: String,
    window: &'static str,
    running: bool,
    active: bool,
    version: i64,
}

#[derive(Template)]
#[template(path = "triggers.html")]
struct TriggersPage {
    page: Frame,
    rows: Vec<TriggerRow>,
    configs: Vec<Opt>,
    active: String,
    filtered: bool,
}

#[derive(serde::Deserialize)]
struct TriggerFilter {
    active: Option<String>,
    config: Option<String>,
}

fn config_options(configs: &[Config], selected: Option<ConfigId>) -> Vec<Opt> {
    configs
        .iter()
        .map(|c| Opt {
            value: c.id.0,
            label: c.name.clone(),
            selected: Some(c.id) == selected,
        })
        .collect()
}

fn iso(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

async fn triggers(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TriggerFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let (triggers, configs) = ctx
        .block(|c| Ok((c.store().triggers()?, c.store().configs()?)))
        .await?;
    let now = ctx.controller().now();
    let winner = dynlog_core::schedule::winner_at(&triggers, now).map(|t| t.id);
    let active = q.active.clone().unwrap_or_default();
    let config = q
        .config
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok())
        .map(ConfigId);
    let names: BTreeMap<ConfigId, String> =
        configs.iter().map(|c| (c.id, c.name.clone())).collect();
    let rows = triggers
        .iter()
        .filter(|t| match active.as_str() {
            "yes" => t.is_active,
            "no" => !t.is_active,
            _ => true,
        })
        .filter(|t| config.is_none_or(|c| t.config_id == c))
        .map(|t| TriggerRow {
            id: t.id.0,
            name: t.name.clone(),
            config: names.get(&t.config_id).cloned().unwrap_or_default(),
            config_id: t.config_id.0,
            start: when_opt(t.start, "always"),
            start_iso: iso(t.start),
            end: when_opt(t.end, "never"),
            end_iso: iso(t.end),
            window: if t.end.is_some_and(|e| e <= now) {
                "ended"
            } else if t.start.is_some_and(|s| s > now) {
                "to come"
            } else {
                "open"
            },
            running: winner == Some(t.id),
            active: t.is_active,
            version: t.version,
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &TriggersPage {
            page: ctx.frame("triggers"),
            rows,
            configs: config_options(&configs, config),
            filtered: !active.is_empty() || config.is_some(),
            active,
        },
    ))
}

#[derive(Template)]
#[template(path = "trigger_form.html")]
struct TriggerPage {
    page: Frame,
    id: Option<i64>,
    version: Option<i64>,
    name: String,
    configs: Vec<Opt>,
    start: String,
    end: String,
    is_active: bool,
    now: String,
    error: Option<String>,
    /// A new form nobody has typed in yet: only there does the end follow the start.
    fresh: bool,
    /// The window's length in words, next to the end.
    duration: String,
}

/// How long the window typed in `start` and `end` is, in words ("2 h 0 min"); empty when either
/// is missing or unreadable.
fn duration_of(start: &str, end: &str) -> String {
    match (parse_time("start", start), parse_time("end", end)) {
        (Ok(Some(start)), Ok(Some(end))) if end > start => {
            in_words(start, end).trim_start_matches("in ").to_string()
        }
        (Ok(Some(_)), Ok(Some(_))) => "ends before it starts".into(),
        (_, Ok(None)) => "until deleted".into(),
        _ => String::new(),
    }
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

#[derive(serde::Deserialize)]
struct ForConfig {
    config: Option<i64>,
}

async fn new_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<ForConfig>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let configs = ctx.block(|c| c.store().configs()).await?;
    let now = ctx.controller().now();
    let selected = q.config.map(ConfigId);
    let name = selected
        .and_then(|id| configs.iter().find(|c| c.id == id))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    // As in the seed: the window starts now and ends two hours later.
    let start = now.with_timezone(&Utc);
    Ok(html(
        StatusCode::OK,
        &TriggerPage {
            page: ctx.frame("triggers"),
            id: None,
            version: None,
            name,
            configs: config_options(&configs, selected),
            start: minute(start),
            end: minute(start + Duration::hours(2)),
            is_active: true,
            now: minute(now),
            error: None,
            fresh: true,
            duration: "2 h 0 min".into(),
        },
    ))
}

async fn edit_trigger(req: HttpRequest, state: web::Data<AdminState>, id: web::Path<i64>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let id = TriggerId(id.into_inner());
    let (trigger, configs) = ctx
        .block(move |c| Ok((c.store().trigger(id)?, c.store().configs()?)))
        .await?;
    Ok(html(
        StatusCode::OK,
        &trigger_page(&ctx, &trigger, &configs),
    ))
}

fn trigger_page(ctx: &Ctx, t: &Trigger, configs: &[Config]) -> TriggerPage {
    TriggerPage {
        page: ctx.frame("triggers"),
        id: Some(t.id.0),
        version: Some(t.version),
        name: t.name.clone(),
        configs: config_options(configs, Some(t.config_id)),
        start: t.start.map(when).unwrap_or_default(),
        end: t.end.map(when).unwrap_or_default(),
        is_active: t.is_active,
        now: minute(ctx.state.controller.now()),
        error: None,
        fresh: false,
        duration: duration_of(
            &t.start.map(when).unwrap_or_default(),
            &t.end.map(when).unwrap_or_default(),
        ),
    }
}

async fn save_new_trigger(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    submit_trigger(req, state, None, body).await
}

async fn save_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    submit_trigger(req, state, Some(TriggerId(id.into_inner())), body).await
}

fn trigger_from_form(form: &Form, now: DateTime<Utc>) -> Result<NewTrigger, Error> {
    let config = form.text("config");
    let config_id = config.parse::<i64>().map_err(|_| Error::Invalid {
        field: "config",
        value: config.clone(),
        reason: "choose a config (make one first if there is none)".into(),
    })?;
    let (start, end) = match form.get("quick").filter(|q| !q.is_empty()) {
        Some(hours) => {
            let hours: i64 = hours
                .parse()
                .ok()
                .filter(|h| (1..=24 * 7).contains(h))
                .ok_or_else(|| Error::Invalid {
                    field: "quick",
                    value: hours.to_string(),
                    reason: "a quick window is 1 to 168 hours".into(),
                })?;
            (Some(now), Some(now + Duration::hours(hours)))
        }
        None => (
            parse_time("start", form.get("start").unwrap_or(""))?,
            parse_time("end", form.get("end").unwrap_or(""))?,
        ),
    };
    Ok(NewTrigger {
        name: form.text("name"),
        config_id: ConfigId(config_id),
        start,
        end,
        // A quick window is for running now.
        is_active: form.checked("is_active") || form.get("quick").is_some(),
    })
}

async fn submit_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: Option<TriggerId>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let now = ctx.controller().now();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let parsed = match (id, form.get("quick").filter(|q| !q.is_empty())) {
        // A quick window replaces the window with one from now: never silently on an existing
        // trigger, whose edit page offers none.
        (Some(_), Some(quick)) => Err(Error::Invalid {
            field: "quick",
            value: quick.chars().take(8).collect(),
            reason: "quick windows make new triggers: use Add trigger, or edit start and end"
                .into(),
        }),
        _ => trigger_from_form(&form, now),
    };
    let actor = ctx.actor();
    let saved = ctx
        .submit(move |c| {
            let new = parsed?;
            match id {
                None => c.create_trigger(&actor, &new),
                Some(id) => {
                    c.update_trigger(&actor, id, version.ok_or_else(missing_version)?, &new)
                }
            }
        })
        .await?;
    match saved {
        Ok(trigger) => Ok(ctx.redirect(&format!("/triggers?saved={}", trigger.id.0))),
        Err(e) => {
            let configs = ctx.block(|c| c.store().configs()).await?;
            // A missing config is a bad choice in the form, not a missing page.
            let status = match e {
                Error::ConfigNotFound(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => status_of(&e),
            };
            let selected = form.text("config").parse::<i64>().ok().map(ConfigId);
            let page = TriggerPage {
                page: ctx.frame("triggers"),
                id: id.map(|i| i.0),
                version,
                name: form.text("name"),
                configs: config_options(&configs, selected),
                start: form.text("start"),
                end: form.text("end"),
                is_active: form.checked("is_active"),
                now: minute(now),
                error: Some(e.to_string()),
                fresh: false,
                duration: duration_of(&form.text("start"), &form.text("end")),
            };
            Ok(html(status, &page))
        }
    }
}

async fn toggle_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let id = TriggerId(id.into_inner());
    let actor = ctx.actor();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    ctx.block(move |c| {
        let version = version.ok_or_else(missing_version)?;
        let t = c.store().trigger(id)?;
        let new = NewTrigger {
            name: t.name,
            config_id: t.config_id,
            start: t.start,
            end: t.end,
            is_active: !t.is_active,
        };
        c.update_trigger(&actor, id, version, &new)
    })
    .await?;
    Ok(ctx.redirect("/triggers"))
}

async fn delete_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = TriggerId(id.into_inner());
    delete(req, state, body, "/triggers", move |c, actor| {
        c.delete_trigger(actor, id)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Loggers

struct TargetRow {
    target: String,
    configured: String,
    effective: &'static str,
    decided_by: String,
    handlers: String,
}

#[derive(Template)]
#[template(path = "loggers.html")]
struct LoggersPage {
    page: Frame,
    rows: Vec<TargetRow>,
}

async fn loggers(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let logger = state.controller.logger();
    let running = state.controller.status().current.map(|r| r.config.name);
    let rows = logger
        .known_targets()
        .into_iter()
        .map(|target| {
            let view = logger.logger_view(&target);
            TargetRow {
                configured: match view.configured_level {
                    Some(level) if view.logger == target => level.as_str().to_string(),
                    _ if view.logger == target => "as the baseline".into(),
                    _ => "not configured".into(),
                },
                effective: view.level.as_str(),
                decided_by: decided_by(&view.source, running.as_deref()),
                handlers: view.handlers.join(", "),
                target,
            }
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &LoggersPage {
            page: ctx.frame("loggers"),
            rows,
        },
    ))
}

/// The config "debug this logger for an hour" makes: the logger at debug, and each handler it
/// reaches that is above debug lowered to debug (other loggers still emit no debug records, so
/// they are unchanged).
fn debug_config(controller: &Controller, target: &str) -> LoggingConfig {
    let logger = controller.logger();
    let view = logger.logger_view(target);
    let current = logger.current_config();
    let mut config = LoggingConfig::default();
    config.loggers.insert(
        target.to_string(),
        LoggerSpec {
            level: Some(Level::Debug.into()),
            ..LoggerSpec::default()
        },
    );
    for handler in view.handlers {
        let level = current.handlers.get(&handler).and_then(|h| h.level);
        if level.is_some_and(|l| l < Level::Debug) {
            config.handlers.insert(
                handler,
                HandlerOverride {
                    level: Some(Level::Debug),
                    filters: None,
                },
            );
        }
    }
    config
}

async fn debug_for_an_hour(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let target = config_name(&form.text("target")).to_string();
    if let Err(e) = dynlog_core::validate_logger_name(&target) {
        return Err(ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()));
    }
    let actor = ctx.actor();
    let trigger = ctx
        .block(move |c| {
            let now = c.now();
            let name = format!(
                "debug {} for 1 h ({actor}, {})",
                form_name(&target),
                minute(now)
            );
            let config = c.create_config(
                &actor,
                &NewConfig {
                    name: name.clone(),
                    body: debug_config(c, &target),
                },
            )?;
            c.create_trigger(
                &actor,
                &NewTrigger {
                    name,
                    config_id: config.id,
                    start: Some(now),
                    end: Some(now + Duration::hours(1)),
                    is_active: true,
                },
            )
        })
        .await?;
    Ok(ctx.redirect(&format!("/triggers?saved={}", trigger.id.0)))
}

// ---------------------------------------------------------------------------------------------
// Audit

struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: i64,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Frame,
    rows: Vec<AuditRow>,
    older: Option<i64>,
    paged: bool,
}

#[derive(serde::Deserialize)]
struct Before {
    before: Option<i64>,
}

const AUDIT_PAGE: usize = 50;

async fn audit(req: HttpRequest, state: web::Data<AdminState>, q: web::Query<Before>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let query = AuditQuery {
        before: q.before,
        limit: AUDIT_PAGE,
    };
    let entries = ctx.block(move |c| c.store().audit(query)).await?;
    let pretty = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
    };
    let older = (entries.len() == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let rows = entries
        .iter()
        .map(|e| AuditRow {
            id: e.id,
            at: when(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id,
            before: pretty(&e.before),
            after: pretty(&e.after),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &AuditPage {
            page: ctx.frame("audit"),
            rows,
            older,
            paged: q.before.is_some(),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Account: the signed-in person's password, and API tokens

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: Frame,
    username: String,
    min_password: usize,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    error: Option<String>,
}

/// The account page, with an error or a token just made.
async fn account_page(
    ctx: &Ctx,
    status: StatusCode,
    error: Option<String>,
    new_token: Option<String>,
    notice: Option<String>,
) -> Page {
    let tokens = ctx
        .block(|c| c.store().tokens())
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            created: when(t.created_at),
            last_used: when_opt(t.last_used_at, "never"),
        })
        .collect();
    let mut page = ctx.frame("account");
    page.notice = notice;
    Ok(html(
        status,
        &AccountPage {
            page,
            username: ctx.session.username.clone(),
            min_password: crate::MIN_PASSWORD,
            tokens,
            new_token,
            error,
        },
    ))
}

async fn account(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    account_page(&ctx, StatusCode::OK, None, None, None).await
}

async fn change_password(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let (current, new) = (form.text_raw("current"), form.text_raw("new"));
    let error = |message: String| {
        account_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
            None,
            None,
        )
    };
    if new != form.text_raw("confirm") {
        return error("The two new passwords differ: nothing was changed.".into()).await;
    }
    let username = ctx.actor();
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
        return account_page(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            Some(message),
            None,
            None,
        )
        .await;
    }
    let who = username.clone();
    let changed = ctx
        .submit(move |c| {
            if !auth::check_password(c, &who, &current)? {
                return Ok(None);
            }
            auth::put_account(c, &who, &who, &new).map(|a| Some(a.session_epoch))
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
        Ok(None) => error("The current password is wrong: nothing was changed.".into()).await,
        Err(e) => error(e.to_string()).await,
    }
}

async fn new_token(req: HttpRequest, state: web::Data<AdminState>, body: Bytes) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let name = form.text("name");
    let token = auth::random_token();
    let (actor, secret) = (ctx.actor(), token.clone());
    let made = ctx
        .submit(move |c| {
            dynlog_core::validate_name("token name", &name)?;
            crate::register_token(c, &actor, &name, &secret)
        })
        .await?;
    match made {
        // Shown once, in this answer; only its hash is kept.
        Ok(_) => account_page(&ctx, StatusCode::OK, None, Some(token), None).await,
        Err(e) => account_page(&ctx, status_of(&e), Some(e.to_string()), None, None).await,
    }
}

async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = id.into_inner();
    delete(req, state, body, "/account", move |c, actor| {
        c.store().delete_token(actor, id)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Live tail

struct TailRow {
    seq: u64,
    at: String,
    level: &'static str,
    target: String,
    message: String,
}

#[derive(Template)]
#[template(path = "tail.html")]
struct TailPage {
    page: Frame,
    available: bool,
    levels: &'static [&'static str],
    level: String,
    target: String,
    rows: Vec<TailRow>,
    last_seq: u64,
}

#[derive(serde::Deserialize)]
struct TailFilter {
    level: Option<String>,
    target: Option<String>,
    after: Option<u64>,
}

/// Which records a tail shows: at `level` or more severe, under a target prefix.
#[derive(Clone)]
struct TailSelect {
    level: Level,
    target: String,
}

impl TailSelect {
    fn new(q: &TailFilter) -> Result<TailSelect, Error> {
        let level = Level::parse_optional(q.level.as_deref().unwrap_or(""), "level")?
            .unwrap_or(Level::Trace);
        Ok(TailSelect {
            level,
            target: q.target.clone().unwrap_or_default().trim().to_string(),
        })
    }

    fn keeps(&self, r: &dynlog_core::CapturedRecord) -> bool {
        r.level <= self.level && r.level != Level::Off && r.target.starts_with(&self.target)
    }
}

const TAIL_ROWS: usize = 200;

async fn tail(req: HttpRequest, state: web::Data<AdminState>, q: web::Query<TailFilter>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let select = TailSelect::new(&q)
        .map_err(|e| ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let records = state
        .tail
        .as_ref()
        .map(MemoryHandler::snapshot)
        .unwrap_or_default();
    let last_seq = records.last().map_or(0, |r| r.seq);
    let mut rows: Vec<TailRow> = records
        .iter()
        .rev()
        .filter(|r| select.keeps(r))
        .take(TAIL_ROWS)
        .map(|r| TailRow {
            seq: r.seq,
            at: r.at.format("%H:%M:%S%.3f").to_string(),
            level: r.level.as_str(),
            target: r.target.clone(),
            message: r.message.clone(),
        })
        .collect();
    rows.reverse();
    Ok(html(
        StatusCode::OK,
        &TailPage {
            page: ctx.frame("tail"),
            available: state.tail.is_some(),
            levels: &LEVELS[1..],
            level: select.level.as_str().to_string(),
            target: select.target,
            rows,
            last_seq,
        },
    ))
}

/// Server-sent events: each record after `after` that the filter keeps, as JSON, as it arrives
/// (the ring is read every 200 ms; a comment every 15 s keeps proxies from closing the stream).
/// The most live tail streams one session may hold open at once.
pub const MAX_TAILS: usize = 3;
/// How often a live tail checks that its session still holds.
const TAIL_RECHECK: StdDuration = StdDuration::from_secs(5);

/// The open live tail streams of each session, by the session's CSRF token (one per login).
pub(crate) type TailCounts =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>;

/// One open live tail stream, counted while it lives.
struct TailGuard {
    counts: TailCounts,
    session: String,
}

impl TailGuard {
    /// Counts a stream for `session`, unless it already has [`MAX_TAILS`]; the check and the
    /// count happen under one lock.
    fn open(counts: &TailCounts, session: &str) -> Option<TailGuard> {
        let mut open = counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(session.to_string()).or_default();
        if *n >= MAX_TAILS {
            return None;
        }
        *n += 1;
        Some(TailGuard {
            counts: counts.clone(),
            session: session.to_string(),
        })
    }
}

impl Drop for TailGuard {
    fn drop(&mut self) {
        let mut open = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.session) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.session);
            }
        }
    }
}

/// What a live tail stream carries from one poll to the next.
struct Follow {
    memory: MemoryHandler,
    seq: u64,
    select: TailSelect,
    idle: u32,
    _guard: TailGuard,
    controller: Controller,
    session: Session,
    checked: std::time::Instant,
}

async fn tail_events(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TailFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let select = TailSelect::new(&q)
        .map_err(|e| ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let Some(memory) = state.tail.clone() else {
        return Err(ctx.error(
            StatusCode::NOT_FOUND,
            "this instance keeps no records in memory",
        ));
    };
    let after = q
        .after
        .unwrap_or_else(|| memory.snapshot().last().map_or(0, |r| r.seq));
    let Some(guard) = TailGuard::open(&state.tails, &ctx.session.csrf) else {
        return Err(ctx.error(
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {MAX_TAILS} live tails per session: close one first"),
        ));
    };
    let follow = Follow {
        memory,
        seq: after,
        select,
        idle: 0,
        _guard: guard,
        controller: ctx.controller(),
        session: ctx.session.clone(),
        checked: std::time::Instant::now(),
    };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        loop {
            // The session is checked again every few seconds: the stream ends with it.
            if f.checked.elapsed() >= TAIL_RECHECK {
                f.checked = std::time::Instant::now();
                match admitted(f.controller.clone(), f.session.clone()).await {
                    Ok(Some(_)) => {}
                    _ => return None,
                }
            }
            let fresh = f.memory.since(f.seq);
            if let Some(last) = fresh.last() {
                f.seq = last.seq;
            }
            let mut out = String::new();
            for r in fresh.iter().filter(|r| f.select.keeps(r)) {
                let data = serde_json::json!({
                    "seq": r.seq,
                    "at": r.at.format("%H:%M:%S%.3f").to_string(),
                    "level": r.level.as_str(),
                    "target": r.target,
                    "message": r.message,
                });
                out.push_str(&format!("id: {}\ndata: {data}\n\n", r.seq));
            }
            if out.is_empty() && f.idle >= 75 {
                out.push_str(": keep-alive\n\n");
            }
            if !out.is_empty() {
                f.idle = 0;
                return Some((Ok::<_, actix_web::Error>(Bytes::from(out)), f));
            }
            f.idle += 1;
            actix_web::rt::time::sleep(StdDuration::from_millis(200)).await;
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_the_forms_people_type() {
        let t = |s| parse_time("start", s).unwrap().map(|t| t.to_rfc3339());
        assert_eq!(
            t("2026-11-24 14:30"),
            Some("2026-11-24T14:30:00+00:00".into())
        );
        assert_eq!(
            t("2026-11-24T14:30:05"),
            Some("2026-11-24T14:30:05+00:00".into())
        );
        assert_eq!(
            t("2026-11-24T15:30:00+01:00"),
            Some("2026-11-24T14:30:00+00:00".into())
        );
        assert_eq!(t("  "), None);
        let e = parse_time("end", "tomorrow").unwrap_err().to_string();
        assert!(e.contains("end") && e.contains("tomorrow"), "{e}");
    }

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

    #[test]
    fn durations_read_as_words() {
        let now = Utc::now();
        assert_eq!(in_words(now, now + Duration::minutes(90)), "in 1 h 30 min");
        assert_eq!(in_words(now, now - Duration::seconds(5)), "5 s ago");
        assert_eq!(in_words(now, now), "now");
    }
}
