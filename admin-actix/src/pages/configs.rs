//! Configs: the list, new and edit (the form is in [`super::config_form`]), preview, delete and
//! export.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use dynlog_core::model::{ConfigId, ConfigKind};
use dynlog_core::{Error, LoggingConfig, NewConfig};

use super::config_form::{ConfigPage, PreviewView, Spot, change_rows, config_from_form, spot_of};
use super::frame::{Ctx, Frame, delete, html, missing_version, quoted, running_now, when};
use super::{Page, conflict};
use crate::AdminState;
use crate::error::Error as AdminError;

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
    /// The configs operators wrote.
    rows: Vec<ConfigRow>,
    /// The configs debug actions made, listed apart, folded unless one runs.
    debug_rows: Vec<ConfigRow>,
    debug_running: bool,
}

pub(crate) async fn configs(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let (configs, triggers, status) = ctx
        .block(|c| Ok((c.store().configs()?, c.store().triggers()?, c.status())))
        .await?;
    let running = status.current.map(|r| r.config.id);
    let (debug, manual): (Vec<_>, Vec<_>) = configs
        .into_iter()
        .partition(|c| c.kind == ConfigKind::Debug);
    let rows = |configs: Vec<dynlog_core::Config>| -> Vec<ConfigRow> {
        configs
            .into_iter()
            .map(|c| ConfigRow {
                id: c.id.0,
                running: running == Some(c.id),
                triggers: triggers.iter().filter(|t| t.config_id == c.id).count(),
                updated: when(c.updated_at),
                name: c.name,
            })
            .collect()
    };
    let debug_rows = rows(debug);
    Ok(html(
        StatusCode::OK,
        &ConfigsPage {
            page: ctx.frame("configs"),
            rows: rows(manual),
            debug_running: debug_rows.iter().any(|r| r.running),
            debug_rows,
        },
    ))
}

pub(crate) async fn new_config(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    // A new config starts empty: it changes only what the operator sets, and the baseline is
    // shown beside it as hints.
    Ok(html(
        StatusCode::OK,
        &ConfigPage::new(&ctx, None, None, String::new(), &LoggingConfig::default()),
    ))
}

pub(crate) async fn edit_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
) -> Page {
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

pub(crate) async fn save_new_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    submit_config(req, state, None, body).await
}

pub(crate) async fn save_config(
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
    // The form comes back as posted, each row where it was; an error is shown on its control.
    let again = |error: Option<(String, Option<Spot>)>,
                 preview: Option<PreviewView>,
                 body: &LoggingConfig| {
        let id = id.map(|i| i.0);
        let mut page = ConfigPage::posted(&ctx, id, version, name.clone(), &form, body, error);
        page.preview = preview;
        page
    };
    let config = match parsed {
        Ok(config) => config,
        Err(refused) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(
                    Some((refused.error.to_string(), refused.spot)),
                    None,
                    &LoggingConfig::default(),
                ),
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
                        applies_to: super::config_form::applies_to(&config.scope),
                    }),
                    &config,
                ),
            ),
            Err(e) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(Some((e.to_string(), spot_of(&form, &e))), None, &config),
            ),
        });
    }
    let new = NewConfig {
        name: name.clone(),
        body: config.clone(),
    };
    let actor = ctx.actor();
    let saved = ctx
        .submit(move |c| {
            let saved = match id {
                None => c.create_config(&actor, &new)?,
                Some(id) => {
                    c.update_config(&actor, id, version.ok_or_else(missing_version)?, &new)?
                }
            };
            let runs = c.status().current.is_some_and(|r| r.config.id == saved.id);
            Ok::<_, dynlog_core::Error>((saved, runs))
        })
        .await?;
    Ok(match saved {
        Ok((saved, runs)) => {
            let mut message = format!("Saved config {}", quoted(&saved.name));
            if runs {
                message.push_str(": it runs now, so the change is in force");
            }
            ctx.redirect_with(&format!("/configs/{}?saved=1", saved.id.0), &message)
        }
        Err(e) => {
            let spot = match &e {
                AdminError::Core(core) => spot_of(&form, core),
                _ => None,
            };
            let mut page = again(Some((e.to_string(), spot)), None, &config);
            if let (AdminError::Core(Error::Conflict { .. }), Some(id)) = (&e, id) {
                // Their version against the edits, and the form at their version: saving it
                // again ("reapply my edits") writes the edits over theirs.
                let mine = NewConfig {
                    name: name.clone(),
                    body: config.clone(),
                };
                let discard = format!("{}/configs/{}", state.base, id.0);
                let (version, view) = ctx
                    .block(move |c| {
                        let stored = c.store().config(id)?;
                        let theirs = NewConfig {
                            name: stored.name,
                            body: stored.body,
                        };
                        let view = conflict::view(c, "config", id.0, &theirs, &mine, discard);
                        Ok((stored.version, view))
                    })
                    .await?;
                page.version = Some(version);
                page.conflict = Some(view);
            }
            html(e.status(), &page)
        }
    })
}

pub(crate) async fn delete_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = ConfigId(id.into_inner());
    delete(req, state, body, "/configs", move |c, actor| {
        let name = c.store().config(id)?.name;
        let triggers = c
            .store()
            .triggers()?
            .iter()
            .filter(|t| t.config_id == id)
            .count();
        c.delete_config(actor, id)?;
        let what = match triggers {
            0 => String::new(),
            1 => " and its trigger".into(),
            n => format!(" and its {n} triggers"),
        };
        Ok(format!(
            "Deleted config {}{what}: {}",
            quoted(&name),
            running_now(c)
        ))
    })
    .await
}

pub(crate) async fn export_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
) -> Page {
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
