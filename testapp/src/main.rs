//! The dynlog reference application: a web app whose logging is driven by dynlog, with demo
//! endpoints that log at chosen levels and a background job that logs at every level.
//!
//! `cargo run -p dynlog-testapp` starts it on 127.0.0.1:8000 on a SQLite file in the working
//! directory; see `settings.rs` for the environment variables.

mod baseline;
mod demo;
mod settings;
mod tracing_demo;

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, get, web};
use dynlog_core::propagate::{LocalPropagator, NoopPropagator, PollingPropagator, Propagator};
use dynlog_core::redact::redact_url;
use dynlog_core::store::AccountStore;
use dynlog_core::{Controller, MemoryHandler};
use dynlog_diesel::DieselStore;

use crate::settings::{PropagatorKind, Settings};

fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("dynlog-testapp: {e}");
            return ExitCode::from(2);
        }
    };
    match run(settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dynlog-testapp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let memory = MemoryHandler::new(2000);
    let file = baseline::FileOutput {
        path: &settings.log_file,
        format: settings.log_format,
        rotate: settings.log_rotate.clone(),
    };
    let logger = baseline::logger(file, &memory, settings.baseline.as_deref())?;
    logger.install()?;
    // tracing events go to the same logger, with a span's `tenant` field as a context tag.
    tracing::subscriber::set_global_default(tracing_subscriber::layer::SubscriberExt::with(
        tracing_subscriber::registry(),
        dynlog_tracing::DynlogLayer::new(&logger).span_tags(["tenant"]),
    ))?;
    dynlog_diesel::log_queries()?;
    // Logging is no hard dependency: by default the application starts on its baseline while
    // the store connects in the background; DYNLOG_STORE_REQUIRED=1 fails the start instead.
    let store = if settings.store_required {
        DieselStore::open(&settings.database_url)?
    } else {
        DieselStore::open_later(&settings.database_url)?
    };
    let backend = store.backend();
    let propagator: Arc<dyn Propagator> = match settings.propagator {
        PropagatorKind::Local => Arc::new(LocalPropagator),
        PropagatorKind::None => Arc::new(NoopPropagator),
        PropagatorKind::Polling => Arc::new(PollingPropagator::new(settings.poll)),
        PropagatorKind::Redis => {
            let url = settings.redis_url.as_deref().unwrap_or_default();
            let mut redis = dynlog_redis::RedisPropagator::new(url, &settings.channel)?;
            if let Some(ca) = &settings.redis_ca_file {
                redis = redis.ca_file(ca)?;
            }
            Arc::new(redis)
        }
        PropagatorKind::Amqp => {
            let url = settings.amqp_url.as_deref().unwrap_or_default();
            Arc::new(dynlog_amqp::AmqpPropagator::new(url, &settings.channel)?)
        }
        PropagatorKind::Postgres => Arc::new(dynlog_diesel::PgNotifyPropagator::new(
            &settings.database_url,
            &settings.channel,
        )?),
    };
    // One store for configs and for the admin's accounts; clones share its pool.
    let controller = Controller::builder(logger, store.clone())
        .propagator_arc(propagator)
        .app_name(settings.app_name.clone())
        .start()?;
    if store.is_ready() {
        store_ready(&settings, &store)?;
    } else {
        // Once the store is back: the token and the account, then the schedule at once.
        let (settings, store, controller) = (settings.clone(), store.clone(), controller.clone());
        std::thread::spawn(move || {
            store.wait_ready(None);
            if let Err(e) = store_ready(&settings, &store) {
                log::error!("setting up the admin once the store was back failed: {e}");
            }
            let _ = controller.reload();
        });
    }
    // URLs are logged without their passwords: this line reaches stderr and the live tail.
    let redis = match (settings.propagator, &settings.redis_url) {
        (PropagatorKind::Redis, Some(url)) => format!(" at {}", redact_url(url)),
        (PropagatorKind::Amqp, _) => match &settings.amqp_url {
            Some(url) => format!(" at {}", redact_url(url)),
            None => String::new(),
        },
        _ => String::new(),
    };
    log::info!(
        "dynlog-testapp on http://{} ({} store at {}, {} propagator{redis})",
        settings.bind,
        backend,
        redact_url(&settings.database_url),
        controller.propagator().name()
    );
    demo::start_job(settings.job_every);
    let end = controller.clone();
    // actix-web stops gracefully on SIGTERM and ctrl-c (SIGINT); then every handler is flushed,
    // so the file loses nothing buffered.
    let served = actix_web::rt::System::new().block_on(serve(settings, controller, store, memory));
    log::info!("dynlog-testapp stopped");
    end.shutdown();
    served?;
    Ok(())
}

/// What needs the store at start: the API token and the admin account.
fn store_ready(settings: &Settings, store: &DieselStore) -> dynlog_core::Result<()> {
    if let Some(token) = &settings.api_token {
        dynlog_actix::ensure_token(store, "DYNLOG_API_TOKEN", "env", token)?;
    }
    first_account(settings, store)
}

/// The admin account: the one from DYNLOG_ADMIN_USER and DYNLOG_ADMIN_PASSWORD, or on a first
/// start without them, `admin` with a random password printed once.
fn first_account(settings: &Settings, accounts: &DieselStore) -> dynlog_core::Result<()> {
    match &settings.admin {
        Some((user, password)) => {
            let changed =
                dynlog_actix::ensure_account(accounts, "DYNLOG_ADMIN_USER", user, password)?;
            if changed {
                log::info!("admin account {user:?} set from DYNLOG_ADMIN_USER");
            }
        }
        None if accounts.accounts()?.is_empty() => {
            let password = dynlog_actix::generate_password();
            dynlog_actix::put_account(accounts, "first start", "admin", &password)?;
            // On stderr rather than through the logger, so that it reaches no log file.
            eprintln!(
                "dynlog-testapp: made the admin account \"admin\" with password {password}\n\
                 (shown this once; set DYNLOG_ADMIN_USER and DYNLOG_ADMIN_PASSWORD to choose your own)"
            );
        }
        None => {}
    }
    Ok(())
}

async fn serve(
    settings: Settings,
    controller: Controller,
    accounts: DieselStore,
    memory: MemoryHandler,
) -> std::io::Result<()> {
    let state = web::Data::new(controller.clone());
    let mut admin = dynlog_actix::Admin::new(controller, accounts)
        .secure_cookies(settings.secure_cookies)
        .tail(memory);
    if let Some(secret) = &settings.session_secret {
        admin = admin
            .session_secret(secret.as_bytes())
            .map_err(std::io::Error::other)?;
    }
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(admin.scope("/admin"))
            .wrap(actix_web::middleware::Logger::default())
            // Outermost, so the access log's lines carry the request's tags too.
            .wrap(
                dynlog_actix::RequestTags::new()
                    .header("X-Tenant", "tenant")
                    .debug_token(),
            )
            .service(index)
            .service(status)
            .configure(demo::routes)
    })
    .bind(settings.bind)?
    .run()
    .await
}

#[get("/")]
async fn index() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body(
        "dynlog-testapp\n\n\
         GET /testapp/ok\n\
         GET /testapp/error401\n\
         GET /testapp/error500               logs an error and answers 500\n\
         GET /testapp/log/{level}/{target}   logs \"message from view\" at that level to that target\n\
         GET /testapp/orders/{tenant}        logs at info and debug with the tenant (headers: X-Tenant, X-Dynlog-Debug)\n\
         GET /testapp/tracing/{level}/{target} a tracing event at that level to that target (in a span with X-Tenant's tenant)\n\
         GET /testapp/status                 what dynlog runs now, as JSON\n\
         /admin/                             the admin (log in as the account made at first start)\n\
         /admin/api/...                      the admin's JSON API (Authorization: Bearer $DYNLOG_API_TOKEN)\n",
    )
}

/// What the controller runs now, for scripts and the end-to-end tests.
#[get("/testapp/status")]
async fn status(controller: web::Data<Controller>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "status": controller.status(),
        "fleet": controller.fleet().unwrap_or_default(),
        "seen_targets": controller.logger().seen_targets(),
    }))
}
