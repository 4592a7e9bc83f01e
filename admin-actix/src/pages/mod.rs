//! The HTML pages: dashboard, configs, triggers, loggers, audit and live tail, behind a login.
//! One module per page; [`frame`] holds what they share.

mod account;
mod audit;
mod config_form;
mod configs;
mod conflict;
mod dashboard;
mod frame;
mod import;
mod loggers;
mod login;
mod tail;
mod triggers;

use actix_web::{HttpResponse, web};

pub(crate) use config_form::decided_by;
pub(crate) use frame::{PageError, forget_shown_flash};
pub use tail::MAX_TAILS;
pub(crate) use tail::TailCounts;

type Page = Result<HttpResponse, PageError>;

/// The level names offered in selects, most verbose last.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard::dashboard))
        .route("", web::get().to(dashboard::dashboard))
        .route("/login", web::get().to(login::login_form))
        .route("/login", web::post().to(login::login))
        .route("/logout", web::post().to(login::logout))
        .route("/configs", web::get().to(configs::configs))
        .route("/configs/new", web::get().to(configs::new_config))
        .route("/configs/new", web::post().to(configs::save_new_config))
        .route("/configs/import", web::get().to(import::import_form))
        .route("/configs/import", web::post().to(import::import))
        .route("/configs/{id}", web::get().to(configs::edit_config))
        .route("/configs/{id}", web::post().to(configs::save_config))
        .route(
            "/configs/{id}/delete",
            web::post().to(configs::delete_config),
        )
        .route(
            "/configs/{id}/export",
            web::get().to(configs::export_config),
        )
        .route("/triggers", web::get().to(triggers::triggers))
        .route("/triggers/new", web::get().to(triggers::new_trigger))
        .route("/triggers/new", web::post().to(triggers::save_new_trigger))
        .route("/triggers/{id}", web::get().to(triggers::edit_trigger))
        .route("/triggers/{id}", web::post().to(triggers::save_trigger))
        .route(
            "/triggers/{id}/toggle",
            web::post().to(triggers::toggle_trigger),
        )
        .route(
            "/triggers/{id}/delete",
            web::post().to(triggers::delete_trigger),
        )
        .route(
            "/triggers/{id}/stop",
            web::post().to(triggers::stop_trigger),
        )
        .route(
            "/triggers/{id}/extend",
            web::post().to(triggers::extend_trigger),
        )
        .route("/loggers", web::get().to(loggers::loggers))
        .route("/loggers/debug", web::post().to(loggers::debug_for_a_while))
        .route("/audit", web::get().to(audit::audit))
        .route("/account", web::get().to(account::account))
        .route(
            "/account/password",
            web::post().to(account::change_password),
        )
        .route("/account/tokens", web::post().to(account::new_token))
        .route(
            "/account/tokens/{id}/delete",
            web::post().to(account::revoke_token),
        )
        .route("/tail", web::get().to(tail::tail))
        .route("/tail/events", web::get().to(tail::tail_events));
}
