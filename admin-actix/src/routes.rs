//! Every route of the admin and who may use it, in one table: the table registers the routes,
//! and the pages and the API check the caller's role against it. A route cannot be served
//! without a row here, and a matched route missing from the table is refused to everyone.

use actix_web::web;
use dynlog_core::store::Role;

use crate::{api, metrics, pages, static_file};

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anybody: the login form, the static files.
    Public,
    /// A caller whose role allows this one.
    Role(Role),
}

/// One route: its method, its path under the admin's scope, and who may use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The path pattern under the admin's scope, such as `/api/configs/{id}`.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
}

impl Route {
    /// Whether the route is answered by the JSON API (401/403 as JSON, never the login form).
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

const VIEWER: Access = Access::Role(Role::Viewer);
const OPERATOR: Access = Access::Role(Role::Operator);
const ADMIN: Access = Access::Role(Role::Admin);
const PUBLIC: Access = Access::Public;

/// The table: the routes, their access and their handlers; [`ROUTES`] and the registration
/// come out of the same rows.
macro_rules! table {
    ($($method:ident $path:literal $access:ident => $handler:path;)*) => {
        /// Every route of the admin, in the order they are registered.
        pub const ROUTES: &[Route] = &[$(Route {
            method: method_name(stringify!($method)),
            path: $path,
            access: $access,
        }),*];

        /// Registers the routes outside `/api`.
        pub(crate) fn pages(cfg: &mut web::ServiceConfig) {
            $(if !$path.starts_with("/api/") {
                cfg.route($path, web::$method().to($handler));
            })*
        }

        /// Registers the routes under `/api`, for the API's scope.
        pub(crate) fn api(cfg: &mut web::ServiceConfig) {
            $(if let Some(path) = $path.strip_prefix("/api") && path.starts_with('/') {
                cfg.route(path, web::$method().to($handler));
            })*
        }
    };
}

const fn method_name(ident: &'static str) -> &'static str {
    match ident.as_bytes() {
        b"get" => "GET",
        b"post" => "POST",
        b"put" => "PUT",
        b"delete" => "DELETE",
        _ => panic!("a method the table does not know"),
    }
}

table! {
    get "/" VIEWER => pages::dashboard::dashboard;
    get "" VIEWER => pages::dashboard::dashboard;
    get "/login" PUBLIC => pages::login::login_form;
    post "/login" PUBLIC => pages::login::login;
    post "/logout" VIEWER => pages::login::logout;
    get "/static/{file}" PUBLIC => static_file;
    get "/metrics" VIEWER => metrics::scrape;
    get "/configs" VIEWER => pages::configs::configs;
    get "/configs/new" OPERATOR => pages::configs::new_config;
    post "/configs/new" OPERATOR => pages::configs::save_new_config;
    get "/configs/import" OPERATOR => pages::import::import_form;
    post "/configs/import" OPERATOR => pages::import::import;
    get "/configs/{id}" VIEWER => pages::configs::edit_config;
    post "/configs/{id}" OPERATOR => pages::configs::save_config;
    post "/configs/{id}/delete" OPERATOR => pages::configs::delete_config;
    get "/configs/{id}/export" VIEWER => pages::configs::export_config;
    get "/triggers" VIEWER => pages::triggers::triggers;
    get "/triggers/new" OPERATOR => pages::triggers::new_trigger;
    post "/triggers/new" OPERATOR => pages::triggers::save_new_trigger;
    get "/triggers/{id}" VIEWER => pages::triggers::edit_trigger;
    post "/triggers/{id}" OPERATOR => pages::triggers::save_trigger;
    post "/triggers/{id}/toggle" OPERATOR => pages::triggers::toggle_trigger;
    post "/triggers/{id}/delete" OPERATOR => pages::triggers::delete_trigger;
    post "/triggers/{id}/stop" OPERATOR => pages::triggers::stop_trigger;
    post "/triggers/{id}/extend" OPERATOR => pages::triggers::extend_trigger;
    get "/loggers" VIEWER => pages::loggers::loggers;
    post "/loggers/debug" OPERATOR => pages::loggers::debug_for_a_while;
    get "/audit" VIEWER => pages::audit::audit;
    get "/account" VIEWER => pages::account::account;
    post "/account/password" VIEWER => pages::account::change_password;
    post "/account/tokens" ADMIN => pages::account::new_token;
    post "/account/tokens/{id}/delete" ADMIN => pages::account::revoke_token;
    post "/account/accounts" ADMIN => pages::account::new_account;
    post "/account/accounts/role" ADMIN => pages::account::set_role;
    get "/tail" VIEWER => pages::tail::tail;
    get "/tail/events" VIEWER => pages::tail::tail_events;
    get "/api/configs" VIEWER => api::list_configs;
    post "/api/configs" OPERATOR => api::create_config;
    get "/api/configs/{id}" VIEWER => api::get_config;
    put "/api/configs/{id}" OPERATOR => api::update_config;
    delete "/api/configs/{id}" OPERATOR => api::delete_config;
    get "/api/triggers" VIEWER => api::list_triggers;
    post "/api/triggers" OPERATOR => api::create_trigger;
    get "/api/triggers/{id}" VIEWER => api::get_trigger;
    put "/api/triggers/{id}" OPERATOR => api::update_trigger;
    delete "/api/triggers/{id}" OPERATOR => api::delete_trigger;
    post "/api/triggers/{id}/active" OPERATOR => api::set_trigger_active;
    post "/api/triggers/{id}/stop" OPERATOR => api::stop_trigger;
    post "/api/triggers/{id}/extend" OPERATOR => api::extend_trigger;
    post "/api/debug" OPERATOR => api::debug_target;
    get "/api/status" VIEWER => api::status;
    get "/api/timeline" VIEWER => api::timeline;
    get "/api/loggers" VIEWER => api::spring::loggers;
    get "/api/loggers/{name}" VIEWER => api::spring::logger;
    post "/api/loggers/{name}" OPERATOR => api::spring::set_logger;
    get "/api/audit" VIEWER => api::audit;
    post "/api/preview" VIEWER => api::preview;
    post "/api/import" OPERATOR => api::import;
}

/// Who may use the route `method` `pattern` (the pattern as actix matched it, under the admin's
/// scope `base`); `None` for a route the table lacks, which is refused.
pub(crate) fn access(base: &str, method: &str, pattern: Option<&str>) -> Option<Access> {
    let path = pattern?.strip_prefix(base)?;
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map(|r| r.access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_once_in_the_table() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(
                !ROUTES[..i]
                    .iter()
                    .any(|b| a.method == b.method && a.path == b.path),
                "{} {} twice",
                a.method,
                a.path
            );
        }
        assert_eq!(
            access("/admin", "POST", Some("/admin/api/configs")),
            Some(OPERATOR)
        );
        assert_eq!(access("/admin", "GET", Some("/admin/nowhere")), None);
        assert_eq!(access("/admin", "GET", None), None);
    }
}
