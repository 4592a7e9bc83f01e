//! Configs: the list, the form with its handlers grid and loggers table, preview, delete and
//! export.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use dynlog_core::{
    ConfigId, Error, HandlerOverride, Level, LoggerSpec, LoggingConfig, NewConfig, Preview,
};

use super::frame::{Ctx, Form, Frame, delete, html, missing_version, when};
use super::{LEVELS, Page};
use crate::AdminState;
use crate::input::{config_name, form_name};

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
    rows: Vec<ConfigRow>,
}

pub(super) async fn configs(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let (configs, triggers, status) = ctx
        .block(|c| Ok((c.store().configs()?, c.store().triggers()?, c.status())))
        .await?;
    let running = status.current.map(|r| r.config.id);
    let rows = configs
        .into_iter()
        .map(|c| ConfigRow {
            id: c.id.0,
            running: running == Some(c.id),
            triggers: triggers.iter().filter(|t| t.config_id == c.id).count(),
            updated: when(c.updated_at),
            name: c.name,
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &ConfigsPage {
            page: ctx.frame("configs"),
            rows,
        },
    ))
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The option of a list meaning "an empty list", as opposed to "not set".
const NONE: &str = "!none";

/// One logger row of the config form: what the config sets ("" where it leaves the field
/// out), and the baseline's value of each field as a hint.
struct LoggerRow {
    index: usize,
    name: String,
    /// `""` (as the baseline), `notset` (inherit from the parent) or a level.
    level: String,
    /// `""` (as the baseline), `yes` or `no`.
    propagate: String,
    handlers: Vec<Choice>,
    filters: Vec<Choice>,
    is_root: bool,
    hint: BaselineHint,
}

/// What the baseline declares of one logger, in words, for the form's "as the baseline".
#[derive(Default)]
struct BaselineHint {
    level: String,
    propagate: String,
    handlers: String,
    filters: String,
}

impl BaselineHint {
    fn of(baseline: &LoggingConfig, name: &str) -> Self {
        let spec = baseline.loggers.get(name);
        let list = |l: Option<&Vec<String>>| match l {
            Some(l) if l.is_empty() => "none".to_string(),
            Some(l) => l.join(", "),
            None => "none".to_string(),
        };
        BaselineHint {
            level: match spec.and_then(|s| s.level) {
                Some(level) => level.as_str().to_string(),
                None if name.is_empty() => "warn, the default".into(),
                None => "inherited".into(),
            },
            propagate: if spec.and_then(|s| s.propagate).unwrap_or(true) {
                "yes".into()
            } else {
                "no".into()
            },
            handlers: list(spec.and_then(|s| s.handlers.as_ref())),
            filters: list(spec.and_then(|s| s.filters.as_ref())),
        }
    }
}

/// A logger the baseline declares, as the read-only table beside the form shows it.
struct BaselineRow {
    name: String,
    hint: BaselineHint,
}

struct HandlerRow {
    name: String,
    declared: String,
    level: String,
    filters: Vec<Choice>,
}

struct ChangeRow {
    kind: &'static str,
    name: String,
    before: String,
    after: String,
}

struct PreviewView {
    against_running: Vec<ChangeRow>,
    against_baseline: Vec<ChangeRow>,
}

#[derive(Template)]
#[template(path = "config_form.html")]
struct ConfigPage {
    page: Frame,
    id: Option<i64>,
    version: Option<i64>,
    name: String,
    levels: &'static [&'static str],
    handlers: Vec<HandlerRow>,
    loggers: Vec<LoggerRow>,
    blank: LoggerRow,
    suggestions: Vec<String>,
    error: Option<String>,
    preview: Option<PreviewView>,
    /// The loggers the baseline declares, shown read-only.
    baseline: Vec<BaselineRow>,
    /// Loggers of this config that no target seen so far falls under, with a suggestion.
    unmatched: Vec<String>,
}

/// The options of a list select: "(none)" (an empty list), then the selected names in the
/// config's order (a browser submits them in the order they appear, so the list comes back as
/// it was), then the others. Nothing selected leaves the list unset, so the baseline's (or the
/// declared one) holds.
fn choices(all: &[String], selected: Option<&[String]>) -> Vec<Choice> {
    let chosen = selected.unwrap_or_default();
    let choice = |v: &String, selected: bool| Choice {
        value: v.clone(),
        label: v.clone(),
        selected,
    };
    std::iter::once(Choice {
        value: NONE.into(),
        label: "(none)".into(),
        selected: selected.is_some_and(<[String]>::is_empty),
    })
    .chain(chosen.iter().map(|v| choice(v, true)))
    .chain(
        all.iter()
            .filter(|v| !chosen.contains(v))
            .map(|v| choice(v, false)),
    )
    .collect()
}

/// A list as a select submitted it: unset when nothing is selected, empty for "(none)".
fn listed(form: &Form, key: &str) -> Option<Vec<String>> {
    let all = form.all(key);
    if all.iter().any(|v| v == NONE) {
        Some(Vec::new())
    } else {
        (!all.is_empty()).then_some(all)
    }
}

impl ConfigPage {
    fn new(
        ctx: &Ctx,
        id: Option<i64>,
        version: Option<i64>,
        name: String,
        body: &LoggingConfig,
    ) -> Self {
        let logger = ctx.state.controller.logger();
        let registry = logger.registry();
        let handler_names: Vec<String> = registry.handlers().map(str::to_string).collect();
        let filter_names: Vec<String> = registry.filters().map(str::to_string).collect();
        let baseline = logger.baseline();
        let row = |index: usize, name: &str, spec: &LoggerSpec| LoggerRow {
            index,
            name: form_name(name).to_string(),
            level: spec
                .level
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            propagate: match spec.propagate {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            },
            handlers: choices(&handler_names, spec.handlers.as_deref()),
            filters: choices(&filter_names, spec.filters.as_deref()),
            is_root: name.is_empty(),
            hint: BaselineHint::of(baseline, name),
        };
        let mut loggers: Vec<LoggerRow> = body
            .loggers
            .iter()
            .enumerate()
            .map(|(i, (name, spec))| row(i, name, spec))
            .collect();
        let blank_spec = LoggerSpec::default();
        // Rows not yet named: no hint but the generic one.
        let unnamed = |index: usize| LoggerRow {
            name: String::new(),
            is_root: false,
            hint: BaselineHint::default(),
            ..row(index, "", &blank_spec)
        };
        let blank = unnamed(9999);
        loggers.push(unnamed(loggers.len()));
        let handlers = handler_names
            .iter()
            .map(|h| {
                let set = body.handlers.get(h);
                let declared = baseline.handlers.get(h).and_then(|o| o.level);
                HandlerRow {
                    name: h.clone(),
                    declared: declared.map(|l| l.as_str().to_string()).unwrap_or_default(),
                    level: set
                        .and_then(|o| o.level)
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default(),
                    filters: choices(&filter_names, set.and_then(|o| o.filters.as_deref())),
                }
            })
            .collect();
        let mut suggestions = logger.known_targets();
        suggestions.retain(|t| !t.is_empty());
        let baseline_rows = baseline
            .loggers
            .keys()
            .map(|name| BaselineRow {
                name: form_name(name).to_string(),
                hint: BaselineHint::of(baseline, name),
            })
            .collect();
        let unmatched = logger
            .unmatched_loggers(body)
            .iter()
            .map(ToString::to_string)
            .collect();
        ConfigPage {
            page: ctx.frame("configs"),
            id,
            version,
            name,
            levels: &LEVELS,
            handlers,
            loggers,
            blank,
            suggestions,
            error: None,
            preview: None,
            baseline: baseline_rows,
            unmatched,
        }
    }
}

/// The most logger rows a config form may post (row indices are below it).
const MAX_ROWS: usize = 100_000;

/// The config a submitted form describes. Rows with no name and nothing set are skipped, as are
/// rows marked for removal.
fn config_from_form(form: &Form, registry: &dynlog_core::Registry) -> Result<LoggingConfig, Error> {
    let mut config = LoggingConfig::default();
    for handler in registry.handlers() {
        let field = format!("handler.{handler}.level");
        let level = Level::parse_optional(form.get(&field).unwrap_or(""), &field)?;
        let filters = listed(form, &format!("handler.{handler}.filters"));
        if level.is_some() || filters.is_some() {
            config
                .handlers
                .insert(handler.to_string(), HandlerOverride { level, filters });
        }
    }
    let mut rows = BTreeSet::new();
    for (key, _) in &form.0 {
        let Some(index) = key
            .strip_prefix("logger.")
            .and_then(|k| k.split('.').next())
        else {
            continue;
        };
        match index.parse::<usize>() {
            Ok(i) if i < MAX_ROWS => rows.insert(i),
            _ => {
                return Err(Error::Invalid {
                    field: "logger row",
                    value: key.chars().take(64).collect(),
                    reason: format!("rows are numbered 0 to {}", MAX_ROWS - 1),
                });
            }
        };
    }
    for i in rows {
        let key = |f: &str| format!("logger.{i}.{f}");
        if form.checked(&key("remove")) {
            continue;
        }
        let name = form.text(&key("name"));
        let level = dynlog_core::LoggerLevel::parse_optional(
            form.get(&key("level")).unwrap_or(""),
            &format!("level of logger {name:?}"),
        )?;
        let handlers = listed(form, &key("handlers"));
        let filters = listed(form, &key("filters"));
        if name.is_empty() {
            if level.is_some() || handlers.is_some() || filters.is_some() {
                return Err(Error::Invalid {
                    field: "logger name",
                    value: String::new(),
                    reason: format!(
                        "row {} sets a level, handlers or filters but has no name (use \"root\" for the root logger)",
                        i.saturating_add(1)
                    ),
                });
            }
            continue;
        }
        let name = config_name(&name).to_string();
        if config.loggers.contains_key(&name) {
            return Err(Error::Invalid {
                field: "logger name",
                value: name,
                reason: "appears in two rows".into(),
            });
        }
        let propagate = match form.text(&key("propagate")).as_str() {
            "" => None,
            "yes" | "on" | "true" => Some(true),
            "no" | "false" => Some(false),
            other => {
                return Err(Error::Invalid {
                    field: "propagate",
                    value: other.chars().take(16).collect(),
                    reason: format!("propagate of logger {name:?} is yes, no or as the baseline"),
                });
            }
        };
        config.loggers.insert(
            name,
            LoggerSpec {
                level,
                handlers,
                filters,
                propagate,
            },
        );
    }
    Ok(config)
}

/// What decides a level, in words: the baseline, a config (named when known), the default, or
/// the parent it is inherited from.
pub(crate) fn decided_by(source: &dynlog_core::LevelSource, config: Option<&str>) -> String {
    use dynlog_core::{LevelOrigin, LevelSource};
    let config = || match config {
        Some(name) => format!("config {name:?}"),
        None => "the config".to_string(),
    };
    let origin = |origin: &LevelOrigin| match origin {
        LevelOrigin::Baseline => "the baseline".to_string(),
        LevelOrigin::Config => config(),
        LevelOrigin::Default => "the default".to_string(),
    };
    match source {
        LevelSource::Baseline => "the baseline".into(),
        LevelSource::Config => config(),
        LevelSource::Default => "the default (warn)".into(),
        LevelSource::Parent { ancestor, set_by } => format!(
            "inherited from {} (set by {})",
            form_name(ancestor),
            origin(set_by)
        ),
    }
}

/// The rows of a preview; `before` and `after` name the configs on each side (`None`: the
/// baseline alone, or unknown).
fn change_rows(preview: &Preview, before: Option<&str>, after: Option<&str>) -> Vec<ChangeRow> {
    let view = |v: &dynlog_core::LoggerView, config: Option<&str>| {
        let mut text = format!("{} ({})", v.level.as_str(), decided_by(&v.source, config));
        if !v.handlers.is_empty() {
            text.push_str(&format!(" → {}", v.handlers.join(", ")));
        }
        if !v.filters.is_empty() {
            text.push_str(&format!(" [{}]", v.filters.join(", ")));
        }
        text
    };
    let handler = |v: &dynlog_core::HandlerView| {
        let mut text = v.level.as_str().to_string();
        if !v.filters.is_empty() {
            text.push_str(&format!(" [{}]", v.filters.join(", ")));
        }
        text
    };
    preview
        .loggers
        .iter()
        .map(|c| ChangeRow {
            kind: "logger",
            name: form_name(&c.name).to_string(),
            before: view(&c.before, before),
            after: view(&c.after, after),
        })
        .chain(preview.handlers.iter().map(|c| ChangeRow {
            kind: "handler",
            name: c.name.clone(),
            before: handler(&c.before),
            after: handler(&c.after),
        }))
        .collect()
}

pub(super) async fn new_config(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    // A new config starts empty: it changes only what the operator sets, and the baseline is
    // shown beside it as hints.
    Ok(html(
        StatusCode::OK,
        &ConfigPage::new(&ctx, None, None, String::new(), &LoggingConfig::default()),
    ))
}

pub(super) async fn edit_config(
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

pub(super) async fn save_new_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    submit_config(req, state, None, body).await
}

pub(super) async fn save_config(
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
    let body = parsed.as_ref().ok().cloned().unwrap_or_default();
    let again = |error: Option<String>, preview: Option<PreviewView>, body: &LoggingConfig| {
        let mut page = ConfigPage::new(&ctx, id.map(|i| i.0), version, name.clone(), body);
        page.error = error;
        page.preview = preview;
        page
    };
    let config = match parsed {
        Ok(config) => config,
        Err(e) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(Some(e.to_string()), None, &body),
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
                    }),
                    &config,
                ),
            ),
            Err(e) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(Some(e.to_string()), None, &config),
            ),
        });
    }
    let new = NewConfig {
        name: name.clone(),
        body: config.clone(),
    };
    let actor = ctx.actor();
    let saved = ctx
        .submit(move |c| match id {
            None => c.create_config(&actor, &new),
            Some(id) => c.update_config(&actor, id, version.ok_or_else(missing_version)?, &new),
        })
        .await?;
    Ok(match saved {
        Ok(saved) => ctx.redirect(&format!("/configs/{}?saved=1", saved.id.0)),
        Err(e) => html(e.status(), &again(Some(e.to_string()), None, &config)),
    })
}

pub(super) async fn delete_config(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = ConfigId(id.into_inner());
    delete(req, state, body, "/configs", move |c, actor| {
        c.delete_config(actor, id)
    })
    .await
}

pub(super) async fn export_config(
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
