//! The dynlog admin for actix-web: HTML pages for people and a JSON API for scripts, as a scope
//! any application mounts.
//!
//! # Usage
//!
//! ```
//! use std::sync::Arc;
//!
//! use actix_web::App;
//! use dynlog_actix::Admin;
//! use dynlog_core::{Controller, DynamicLogger, MemoryStore};
//!
//! // One store for configs and for the admin's accounts (`DieselStore` in production).
//! let store = Arc::new(MemoryStore::new());
//! let controller = Controller::builder(DynamicLogger::builder().build()?, store.clone()).start()?;
//! // A token for scripts, registered once however often this runs; only its hash is stored.
//! // Changes made with it are audited as "token:ci".
//! dynlog_actix::ensure_token(&*store, "setup", "ci", "a-long-random-secret")?;
//! let admin = Admin::new(controller, store);
//! let app = App::new().service(admin.scope("/admin"));
//! # drop(app);
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! The API is under `<scope>/api/`: `configs` and `triggers` (list, get, create, update with the
//! version read, delete), `status`, `timeline?from=&to=`, `loggers`, `audit?before=&limit=`,
//! `preview` and `import` (a config as django-dynamic-logging saves it). Every route requires `Authorization: Bearer <token>`. Errors are JSON
//! (`{"error", "field"}`): 400 malformed, 401 unauthenticated, 404 missing, 409 stale version or
//! taken name, 413 too large, 422 invalid; nothing is stored on error.
//!
//! [`RequestTags`] is a middleware for the application's own routes: it sets each request's
//! context tags (headers mapped to keys, the user, a debug token), which scoped configs match.
//!
//! # Feature flags
//!
//! None.

mod api;
mod auth;
mod error;
mod input;
mod metrics;
mod pages;
mod routes;
mod svg;
mod sync;
mod tags;

use std::sync::Arc;
use std::time::Duration;

use actix_web::cookie::Key;
use actix_web::dev::HttpServiceFactory;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};
use dynlog_core::store::{AccountStore, ApiToken, Role};
use dynlog_core::{Controller, MemoryHandler, Result};
use sha2::{Digest, Sha256};

pub use auth::{
    Authenticator, Identity, JwtBearer, MAX_IDENTITY_NAME, MIN_PASSWORD, Refused, TrustedProxy,
    check_account, create_account, ensure_account, generate_password, hash_password, put_account,
};
pub use error::ApiError;
pub use pages::MAX_TAILS;
pub use routes::{Access, ROUTES, Route};
pub use tags::{
    DEBUG_HEADER, DEBUG_TOKEN_KEY, RequestTags, RequestTagsService, debug_token_tag,
    new_debug_token,
};

/// The Content-Security-Policy of every answer: scripts and styles from the admin's own static
/// files only (no inline script), no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// The fewest bytes a session secret may have.
pub const MIN_SESSION_SECRET: usize = 32;

/// The admin of one controller.
#[derive(Clone)]
pub struct Admin {
    controller: Controller,
    accounts: Arc<dyn AccountStore>,
    key: Key,
    secure_cookies: bool,
    session_ttl: Duration,
    stale_after: chrono::Duration,
    tail: Option<MemoryHandler>,
    /// Shared by every scope made from this admin (one per server worker), so failed logins
    /// count once whichever worker answers.
    throttle: Arc<auth::Throttle>,
    /// The open live tails of each session, shared by every scope like the throttle.
    tails: pages::TailCounts,
    /// The application's own identity, asked before the built-in login and tokens.
    authenticator: Option<Arc<dyn Authenticator>>,
    /// Where people who are not signed in go, instead of the built-in login form.
    login_url: Option<String>,
    /// The metrics, shared by every scope so that every worker counts into one registry.
    metrics: Arc<metrics::Metrics>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("secure_cookies", &self.secure_cookies)
            .field("session_ttl", &self.session_ttl)
            .field("tail", &self.tail.is_some())
            .finish_non_exhaustive()
    }
}

/// What the pages share, built by [`Admin::scope`].
pub(crate) struct AdminState {
    pub(crate) controller: Controller,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) base: String,
    pub(crate) cookies: auth::Cookies,
    pub(crate) throttle: Arc<auth::Throttle>,
    pub(crate) tails: pages::TailCounts,
    pub(crate) session_ttl: Duration,
    pub(crate) stale_after: chrono::Duration,
    pub(crate) tail: Option<MemoryHandler>,
    pub(crate) authenticator: Option<Arc<dyn Authenticator>>,
    pub(crate) login_url: Option<String>,
    /// The key sessions are signed with, for the CSRF tokens of application identities.
    pub(crate) key: Key,
    pub(crate) metrics: Arc<metrics::Metrics>,
}

impl AdminState {
    /// Where to send someone who is not signed in, to come back to `next` (a path under the
    /// admin, or empty).
    pub(crate) fn login_location(&self, next: &str) -> String {
        match &self.login_url {
            Some(url) => url.clone(),
            None => format!("{}/login?next={}", self.base, pages::encode(next)),
        }
    }
}

impl Admin {
    /// The admin of `controller`, with people's accounts and the API's tokens in `accounts`
    /// (usually the same store the controller runs on: `DieselStore` and `MemoryStore` keep
    /// both). Configs and triggers are read and written through the controller, so it works on
    /// any store.
    ///
    /// Sessions are signed with a key made at random here, so they end when the process does
    /// and are not shared by a fleet: give every process the same [`Admin::session_secret`] to
    /// keep people logged in across restarts and instances.
    ///
    /// Build one per controller and call [`Admin::scope`] for each worker. The controller tells
    /// one admin of it about the transitions it applies (for the metrics' lateness histogram):
    /// an admin built again for the same controller takes that over from the one before.
    pub fn new(controller: Controller, accounts: impl AccountStore) -> Self {
        Admin {
            metrics: Arc::new(metrics::Metrics::new(&controller)),
            controller,
            accounts: Arc::new(accounts),
            key: Key::generate(),
            secure_cookies: true,
            session_ttl: Duration::from_secs(8 * 3600),
            stale_after: chrono::Duration::seconds(90),
            tail: None,
            throttle: Arc::default(),
            tails: Arc::default(),
            authenticator: None,
            login_url: None,
        }
    }

    /// Takes people's identity from the application: its session, a trusted proxy's header
    /// ([`TrustedProxy`]), a bearer JWT ([`JwtBearer`]), or any [`Authenticator`]. It is asked
    /// first on every request; requests it does not recognise go on to the built-in login and
    /// API tokens.
    pub fn authenticator(mut self, authenticator: impl Authenticator) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Sends people who are not signed in to `url` (the application's own login) instead of
    /// the built-in login form.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = Some(url.into());
        self
    }

    /// Signs session cookies with a key derived from `secret` (at least [`MIN_SESSION_SECRET`]
    /// bytes).
    pub fn session_secret(mut self, secret: &[u8]) -> Result<Self> {
        if secret.len() < MIN_SESSION_SECRET {
            return Err(dynlog_core::Error::Invalid {
                field: "session secret",
                value: format!("({} bytes)", secret.len()),
                reason: format!("a session secret needs at least {MIN_SESSION_SECRET} bytes"),
            });
        }
        self.key = Key::derive_from(secret);
        Ok(self)
    }

    /// Whether cookies are marked `Secure` (sent over HTTPS only). On by default; turn it off
    /// only for an admin served over plain HTTP on a trusted network, such as a developer's
    /// machine.
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// How long a login lasts (8 hours by default).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// After how long without a heartbeat the dashboard marks an instance stale (90 s by
    /// default; keep it above the controller's heartbeat interval).
    pub fn stale_after(mut self, after: Duration) -> Self {
        self.stale_after = chrono::Duration::from_std(after).unwrap_or(self.stale_after);
        self
    }

    /// The in-memory handler whose records the live tail shows.
    pub fn tail(mut self, memory: MemoryHandler) -> Self {
        self.tail = Some(memory);
        self
    }

    /// The admin's routes under `path`, such as `/admin`: the pages, the JSON API under
    /// `<path>/api`, and the static files, every answer with the security headers.
    pub fn scope(&self, path: &str) -> impl HttpServiceFactory + 'static {
        let base = path.trim_end_matches('/').to_string();
        let state = AdminState {
            controller: self.controller.clone(),
            accounts: Arc::clone(&self.accounts),
            cookies: auth::Cookies::new(self.key.clone(), self.secure_cookies, &base),
            base: base.clone(),
            throttle: Arc::clone(&self.throttle),
            tails: Arc::clone(&self.tails),
            session_ttl: self.session_ttl,
            stale_after: self.stale_after,
            tail: self.tail.clone(),
            authenticator: self.authenticator.clone(),
            login_url: self.login_url.clone(),
            key: self.key.clone(),
            metrics: Arc::clone(&self.metrics),
        };
        web::scope(&base)
            .app_data(web::Data::new(self.controller.clone()))
            .app_data(web::Data::from(Arc::clone(&self.accounts)))
            .app_data(web::Data::new(state))
            // Bodies are checked against the config limit by the API itself, with a JSON answer.
            .app_data(web::PayloadConfig::new(4 * dynlog_core::model::MAX_BODY))
            .wrap(
                DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            .wrap(actix_web::middleware::from_fn(pages::forget_shown_flash))
            .service(
                web::scope("/api")
                    .wrap(actix_web::middleware::from_fn(api::json_errors))
                    .configure(api::configure)
                    .configure(routes::api),
            )
            .configure(routes::pages)
    }
}

/// The admin's stylesheet and script, compiled in.
pub(crate) async fn static_file(file: web::Path<String>) -> HttpResponse {
    let (body, kind) = match file.as_str() {
        "admin.css" => (
            include_str!("../static/admin.css"),
            "text/css; charset=utf-8",
        ),
        "admin.js" => (
            include_str!("../static/admin.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The hash under which a token is stored: SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    auth::hex(&Sha256::digest(token.as_bytes()))
}

/// Registers `token` for scripts under `name` with the admin role (its hash only is stored).
/// Each call makes another token; at startup, use [`ensure_token`].
pub fn register_token(
    accounts: &dyn AccountStore,
    actor: &str,
    name: &str,
    token: &str,
) -> Result<ApiToken> {
    register_token_with_role(accounts, actor, name, token, Role::Admin)
}

/// Registers `token` for scripts under `name`, allowed what `role` allows.
pub fn register_token_with_role(
    accounts: &dyn AccountStore,
    actor: &str,
    name: &str,
    token: &str,
    role: Role,
) -> Result<ApiToken> {
    accounts.create_token(actor, name, &token_hash(token), role)
}

/// Makes sure `token` is registered for scripts, with the admin role: registers it under
/// `name` unless a token with its hash already exists, so a service can call it at every
/// start. Returns whether it registered it.
pub fn ensure_token(
    accounts: &dyn AccountStore,
    actor: &str,
    name: &str,
    token: &str,
) -> Result<bool> {
    ensure_token_with_role(accounts, actor, name, token, Role::Admin)
}

/// [`ensure_token`] for a token allowed what `role` allows (a `viewer` one for a Prometheus
/// server scraping the metrics, say). A token already registered keeps the role it has.
pub fn ensure_token_with_role(
    accounts: &dyn AccountStore,
    actor: &str,
    name: &str,
    token: &str,
    role: Role,
) -> Result<bool> {
    let hash = token_hash(token);
    // Looked up without `use_token`, which would mark the token used at every start.
    let known =
        || Ok::<_, dynlog_core::Error>(accounts.tokens()?.iter().any(|t| t.token_hash == hash));
    if known()? {
        return Ok(false);
    }
    match accounts.create_token(actor, name, &hash, role) {
        Ok(_) => Ok(true),
        // Another instance of a fleet starting at the same moment may have registered it.
        Err(_) if known()? => Ok(false),
        Err(e) => Err(e),
    }
}
