//! The demo: endpoints that log at chosen levels and targets, and a background job that logs at
//! every level, so a debug window shows something at once.

use std::thread;
use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use dynlog_core::Level;
use dynlog_core::model::validate_logger_name;

/// The job's target: a trigger that puts it at debug shows its debug records at once.
pub(crate) const JOB_TARGET: &str = "dynlog_testapp::jobs::import";
/// The orders view's target.
pub(crate) const ORDERS_TARGET: &str = "dynlog_testapp::orders";
/// The tenants the import job's rows belong to, in turn.
const TENANTS: [&str; 2] = ["acme", "globex"];

/// The demo routes, under `/testapp`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/testapp")
            .service(ok)
            .service(error401)
            .service(error500)
            .service(orders)
            .service(log_at)
            .service(crate::tracing_demo::tracing_at),
    );
}

#[get("/ok")]
async fn ok() -> HttpResponse {
    log::info!("ok view served");
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

#[get("/error401")]
async fn error401() -> HttpResponse {
    log::warn!("unauthorized view served");
    HttpResponse::Unauthorized()
        .content_type("text/plain")
        .body("unauthorized\n")
}

/// A failing view: logs an error and answers 500, as a broken page of the application would.
#[get("/error500")]
async fn error500() -> HttpResponse {
    log::error!("server error view served: the demo fails on purpose");
    HttpResponse::InternalServerError()
        .content_type("text/plain")
        .body("internal server error\n")
}

/// A tenant's orders: logs at info and at debug under `dynlog_testapp::orders`, with the tenant
/// as a key-value, so a scoped window on the tenant shows its debug records only.
#[get("/orders/{tenant}")]
async fn orders(tenant: web::Path<String>) -> HttpResponse {
    let tenant = tenant.into_inner();
    let valid = !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        let shown: String = tenant.chars().take(64).collect();
        return HttpResponse::BadRequest()
            .content_type("text/plain")
            .body(format!(
                "invalid tenant {shown:?} (1 to 64 letters, digits, - and _)\n"
            ));
    }
    let tenant = tenant.as_str();
    log::info!(target: ORDERS_TARGET, tenant; "orders listed for {tenant}");
    log::debug!(target: ORDERS_TARGET, tenant; "orders of {tenant}: 3 found, cache hit");
    HttpResponse::Ok()
        .content_type("text/plain")
        .body(format!("3 orders for {tenant}\n"))
}

/// Logs "message from view" at `level` to `target`.
#[get("/log/{level}/{target}")]
async fn log_at(path: web::Path<(String, String)>) -> HttpResponse {
    let (level, target) = path.into_inner();
    let level =
        match Level::parse(&level, "path segment \"level\"") {
            Ok(Level::Off) | Err(_) => {
                return HttpResponse::BadRequest().content_type("text/plain").body(format!(
                "invalid level {level:?} (expected one of: error, warn, info, debug, trace)\n"
            ));
            }
            Ok(level) => level,
        };
    if let Err(e) = validate_logger_name(&target) {
        return HttpResponse::BadRequest()
            .content_type("text/plain")
            .body(format!("{e}\n"));
    }
    let level = match level {
        Level::Error => log::Level::Error,
        Level::Warn => log::Level::Warn,
        Level::Info => log::Level::Info,
        Level::Debug => log::Level::Debug,
        _ => log::Level::Trace,
    };
    log::log!(target: &target, level, "message from view");
    HttpResponse::Ok()
        .content_type("text/plain")
        .body(format!("logged at {level} to {target}\n"))
}

/// Starts the import job: every `every`, one record at each level.
pub(crate) fn start_job(every: Duration) {
    let spawned = thread::Builder::new()
        .name("import-job".into())
        .spawn(move || {
            let mut row = 0u64;
            loop {
                row += 1;
                // Rows of two tenants in turn, each record with its tenant as a key-value.
                let tenant = TENANTS[(row % 2) as usize];
                // Each record with its tenant and row as key-values (`tenant=acme row=7`).
                let customer = 40 + row % 5;
                log::trace!(target: JOB_TARGET, tenant, row; "row {row}: raw fields parsed");
                log::debug!(target: JOB_TARGET, tenant, row; "row {row}: 12 columns mapped, 0 defaults used");
                log::info!(target: JOB_TARGET, tenant, row, customer; "row {row} imported");
                log::warn!(target: JOB_TARGET, tenant, row; "row {row}: price missing, kept the previous one");
                log::error!(target: JOB_TARGET, tenant, row, customer; "row {row}: customer {customer} not found, row skipped");
                thread::sleep(every);
            }
        });
    if let Err(e) = spawned {
        log::error!("could not start the import job: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test};

    #[actix_web::test]
    async fn log_endpoint_refuses_bad_levels_and_targets() {
        let app = test::init_service(App::new().configure(routes)).await;
        for (uri, status) in [
            ("/testapp/log/debug/myapp::import", 200),
            ("/testapp/log/WARNING/myapp", 200),
            ("/testapp/log/loud/myapp", 400),
            ("/testapp/log/off/myapp", 400),
            ("/testapp/log/info/a%20b", 400),
            ("/testapp/ok", 200),
            ("/testapp/orders/acme", 200),
            ("/testapp/orders/a%20b", 400),
            ("/testapp/error401", 401),
            ("/testapp/error500", 500),
            ("/testapp/tracing/debug/myapp::traced", 200),
            ("/testapp/tracing/loud/myapp", 400),
            ("/testapp/tracing/off/myapp", 400),
            ("/testapp/tracing/info/a%20b", 400),
        ] {
            let response =
                test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status().as_u16(), status, "{uri}");
        }
        let response = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/testapp/log/loud/myapp")
                .to_request(),
        )
        .await;
        let body = test::read_body(response).await;
        assert!(String::from_utf8_lossy(&body).contains(r#"invalid level "loud""#));
        let response = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/testapp/tracing/info/myapp")
                .insert_header(("X-Tenant", "a b"))
                .to_request(),
        )
        .await;
        assert_eq!(response.status().as_u16(), 400);
        let body = test::read_body(response).await;
        assert!(String::from_utf8_lossy(&body).contains(r#"invalid header X-Tenant "a b""#));
    }
}
