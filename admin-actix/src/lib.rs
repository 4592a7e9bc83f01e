//! The dynlog admin for actix-web: a JSON API (the HTML pages land next), as a scope any
//! application mounts.
//!
//! # Usage
//!
//! ```
//! use actix_web::App;
//! use dynlog_actix::Admin;
//! use dynlog_core::{Controller, DynamicLogger, MemoryStore};
//!
//! let controller = Controller::builder(DynamicLogger::builder().build()?, MemoryStore::new()).start()?;
//! // A token for scripts; only its hash is stored. Changes made with it are audited as "token:ci".
//! dynlog_actix::register_token(&controller, "setup", "ci", "a-long-random-secret")?;
//! let admin = Admin::new(controller);
//! let app = App::new().service(admin.scope("/admin"));
//! # drop(app);
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! The API is under `<scope>/api/`: `configs` and `triggers` (list, get, create, update with the
//! version read, delete), `status`, `timeline?from=&to=`, `loggers`, `audit?before=&limit=` and
//! `preview`. Every route requires `Authorization: Bearer <token>`. Errors are JSON
//! (`{"error", "field"}`): 400 malformed, 401 unauthenticated, 404 missing, 409 stale version or
//! taken name, 413 too large, 422 invalid; nothing is stored on error.
//!
//! # Feature flags
//!
//! None.

mod api;
mod error;

use actix_web::web;
use dynlog_core::{ApiToken, Controller, Result};
use sha2::{Digest, Sha256};

pub use error::ApiError;

/// The admin of one controller.
#[derive(Clone, Debug)]
pub struct Admin {
    controller: Controller,
}

impl Admin {
    /// The admin of `controller`: it reads and writes through it, so it works on any store.
    pub fn new(controller: Controller) -> Self {
        Admin { controller }
    }

    /// The admin's routes under `path`, such as `/admin`.
    pub fn scope(&self, path: &str) -> actix_web::Scope {
        web::scope(path)
            .app_data(web::Data::new(self.controller.clone()))
            // Bodies are checked against the config limit by the API itself, with a JSON answer.
            .app_data(web::PayloadConfig::new(4 * dynlog_core::MAX_BODY))
            .service(web::scope("/api").configure(api::routes))
    }
}

/// The hash under which a token is stored: SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Registers `token` for scripts under `name` (its hash only is stored).
pub fn register_token(
    controller: &Controller,
    actor: &str,
    name: &str,
    token: &str,
) -> Result<ApiToken> {
    controller
        .store()
        .create_token(actor, name, &token_hash(token))
}
