//! Loggers: the targets seen, what decides each one's level, and "debug this for an hour".

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use chrono::Duration;
use dynlog_core::{
    Controller, HandlerOverride, Level, LoggerSpec, LoggingConfig, NewConfig, NewTrigger,
};

use super::Page;
use super::config_form::decided_by;
use super::frame::{Ctx, Frame, html, minute};
use crate::AdminState;
use crate::input::{config_name, form_name};

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

pub(super) async fn loggers(req: HttpRequest, state: web::Data<AdminState>) -> Page {
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

pub(super) async fn debug_for_an_hour(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
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
