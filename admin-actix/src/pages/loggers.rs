//! Loggers: the targets seen, what decides each one's level, and "debug this for an hour".

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use chrono::Duration;

use super::Page;
use super::config_form::decided_by;
use super::frame::{Ctx, Frame, html, quoted};
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

pub(super) async fn debug_for_an_hour(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let target = config_name(&form.text("target")).to_string();
    if let Err(e) = dynlog_core::model::validate_logger_name(&target) {
        return Err(ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()));
    }
    let actor = ctx.actor();
    let message_target = target.clone();
    let (config, trigger) = ctx
        .block(move |c| c.debug_target(&actor, &target, Duration::hours(1)))
        .await?;
    let message = format!(
        "Debugging {} for 1 h: config {} and trigger {}",
        quoted(form_name(&message_target)),
        quoted(&config.name),
        quoted(&trigger.name)
    );
    Ok(ctx.redirect_with(&format!("/triggers?saved={}", trigger.id.0), &message))
}
