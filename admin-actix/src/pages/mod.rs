//! The HTML pages: dashboard, configs, triggers, loggers, audit and live tail, behind a login.
//! One module per page; [`frame`] holds what they share.

pub(crate) mod account;
pub(crate) mod audit;
mod config_form;
pub(crate) mod configs;
mod conflict;
pub(crate) mod dashboard;
mod frame;
pub(crate) mod import;
pub(crate) mod loggers;
pub(crate) mod login;
pub(crate) mod tail;
pub(crate) mod triggers;

use actix_web::HttpResponse;

pub(crate) use config_form::decided_by;
pub(crate) use frame::{PageError, encode, forget_shown_flash, session_caller};
pub use tail::MAX_TAILS;
pub(crate) use tail::TailCounts;

type Page = Result<HttpResponse, PageError>;

/// The level names offered in selects, most verbose last.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
