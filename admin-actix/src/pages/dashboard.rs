//! The dashboard: what runs now and next, the timeline, the fleet.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use chrono::Duration;
use dynlog_core::model::ConfigId;
use dynlog_core::{Config, LoggingConfig, Trigger, schedule};

use super::Page;
use super::frame::{Ctx, Frame, html, in_words, when, when_opt};
use crate::AdminState;
use crate::input::form_name;
use crate::svg;

struct PanelView {
    name: String,
    level: String,
    propagate: bool,
    handlers: Vec<String>,
    filters: Vec<String>,
}

struct RunView {
    trigger: String,
    trigger_id: i64,
    /// The version its "stop now" and "extend" act on.
    trigger_version: i64,
    /// Whether it has an end to extend.
    has_end: bool,
    config: String,
    config_id: i64,
    since: String,
    until: String,
    panels: Vec<PanelView>,
    handlers: Vec<(String, String)>,
}

/// An active scoped window: it runs beside the winner, for the records its scope matches.
struct ScopedView {
    trigger: String,
    trigger_id: i64,
    config: String,
    config_id: i64,
    scope: String,
    until: String,
}

/// The next change of what runs (the unscoped winner).
struct NextView {
    at: String,
    in_words: String,
    run: Option<RunView>,
}

/// A scoped window opening or closing before what runs changes (or while nothing changes it).
struct ScopedChangeView {
    trigger: String,
    trigger_id: i64,
    /// `opens` or `ends`.
    verb: &'static str,
    at: String,
    in_words: String,
}

struct FleetRow {
    instance: String,
    this: bool,
    app: String,
    host: String,
    pid: u32,
    revision: i64,
    config: String,
    applied: String,
    age: String,
    state: String,
    class: &'static str,
}

/// An active trigger without an end whose config makes some logging more verbose than the
/// baseline: it runs until someone deletes it.
struct OpenEndedView {
    trigger: String,
    trigger_id: i64,
    config: String,
    config_id: i64,
    /// What it raises, as `myapp::import: info to debug`.
    raises: Vec<String>,
}

/// Each active, open-ended trigger whose config raises a logger's or a handler's level above
/// the baseline, with what it raises.
fn open_ended(
    logger: &dynlog_core::DynamicLogger,
    triggers: &[Trigger],
    configs: &[Config],
) -> Vec<OpenEndedView> {
    triggers
        .iter()
        .filter(|t| t.is_active && t.end.is_none())
        .filter_map(|t| {
            let config = configs.iter().find(|c| c.id == t.config_id)?;
            // A config the application no longer accepts cannot run: nothing to warn about.
            let preview = logger.preview_from_baseline(&config.body).ok()?;
            let loggers = preview
                .loggers
                .iter()
                .filter(|c| c.after.level > c.before.level)
                .map(|c| {
                    (
                        form_name(&c.name).to_string(),
                        c.before.level,
                        c.after.level,
                    )
                });
            let handlers = preview
                .handlers
                .iter()
                .filter(|c| c.after.level > c.before.level)
                .map(|c| (format!("handler {}", c.name), c.before.level, c.after.level));
            let raises: Vec<String> = loggers
                .chain(handlers)
                .map(|(name, before, after)| format!("{name}: {before} to {after}"))
                .collect();
            (!raises.is_empty()).then(|| OpenEndedView {
                trigger: t.name.clone(),
                trigger_id: t.id.0,
                config: config.name.clone(),
                config_id: config.id.0,
                raises,
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    page: Frame,
    open_ended: Vec<OpenEndedView>,
    current: Option<RunView>,
    next: Option<NextView>,
    /// The scoped windows' next openings and ends, at the first such instant, when it comes
    /// before the next change of what runs.
    scoped_next: Vec<ScopedChangeView>,
    /// The active scoped windows, in precedence order.
    scoped: Vec<ScopedView>,
    timeline_svg: svg::Timeline,
    timeline_range: String,
    /// The ranges offered (hours and their name) and the one shown.
    ranges: Vec<(i64, &'static str)>,
    hours: i64,
    revision: i64,
    fleet: Vec<FleetRow>,
    fleet_error: Option<String>,
    /// Every handler with its errors, drops and budget.
    handlers: Vec<dynlog_core::handler::HandlerStats>,
    /// Where the Running card's "stop now" and "extend" come back to.
    back: &'static str,
}

/// Panels for the loggers a config sets, each with what it resolves to in `effective`.
fn panels(
    body: &LoggingConfig,
    effective: &LoggingConfig,
) -> (Vec<PanelView>, Vec<(String, String)>) {
    let handler_level = |name: &str| {
        effective
            .handlers
            .get(name)
            .and_then(|h| h.level)
            .map_or_else(|| "as declared".to_string(), |l| l.as_str().to_uppercase())
    };
    let loggers = body
        .loggers
        .iter()
        .map(|(name, spec)| {
            let resolved = effective.loggers.get(name).unwrap_or(spec);
            PanelView {
                name: name.clone(),
                level: resolved
                    .level
                    .map_or("inherited".into(), |l| l.as_str().to_uppercase()),
                propagate: resolved.propagate.unwrap_or(true),
                handlers: resolved
                    .handlers
                    .iter()
                    .flatten()
                    .map(|h| format!("{h}: [{}]", handler_level(h)))
                    .collect(),
                filters: resolved.filters.clone().unwrap_or_default(),
            }
        })
        .collect();
    let handlers = body
        .handlers
        .iter()
        .map(|(name, o)| {
            let mut text = o
                .level
                .map_or_else(|| "level as declared".into(), |l| format!("level {l}"));
            if let Some(filters) = &o.filters {
                text.push_str(&format!(", filters: {}", filters.join(", ")));
            }
            (name.clone(), text)
        })
        .collect();
    (loggers, handlers)
}

pub(crate) async fn dashboard(req: HttpRequest, state: web::Data<AdminState>) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let stale_after = state.stale_after;
    let (status, triggers, configs, fleet) = ctx
        .block(|c| {
            let triggers = c.store().triggers()?;
            let configs = c.store().configs()?;
            Ok((c.status(), triggers, configs, c.fleet()))
        })
        .await?;
    let now = ctx.controller().now();
    let logger = ctx.controller().logger().clone();
    let baseline = logger.baseline().clone();
    let run_view = |run: &dynlog_core::controller::Running, since: String, until: String| {
        let effective = baseline.overlay(&run.config.body);
        let (panels, handlers) = panels(&run.config.body, &effective);
        RunView {
            trigger: run.trigger.name.clone(),
            trigger_id: run.trigger.id.0,
            trigger_version: run.trigger.version,
            has_end: run.trigger.end.is_some(),
            config: run.config.name.clone(),
            config_id: run.config.id.0,
            since,
            until,
            panels,
            handlers,
        }
    };
    // The controller's next transition counts scoped windows opening and closing too; what runs
    // (the unscoped winner) changes only at the next transition among the unscoped triggers.
    let is_scoped = |t: &Trigger| {
        configs
            .iter()
            .any(|c| c.id == t.config_id && !c.body.scope.is_empty())
    };
    let (scoped_triggers, unscoped): (Vec<Trigger>, Vec<Trigger>) =
        triggers.iter().cloned().partition(|t| is_scoped(t));
    let running_of = |t: &Trigger| {
        configs
            .iter()
            .find(|c| c.id == t.config_id)
            .map(|c| dynlog_core::controller::Running {
                trigger: t.clone(),
                config: c.clone(),
            })
    };
    let upcoming = schedule::next_transition(&unscoped, now);
    let until = upcoming
        .as_ref()
        .map_or_else(|| "further notice".to_string(), |n| when(n.at));
    let current = status
        .current
        .as_ref()
        .map(|run| run_view(run, when_opt(run.trigger.start, "always"), until.clone()));
    let next = upcoming.as_ref().map(|up| NextView {
        at: when(up.at),
        in_words: in_words(now, up.at),
        run: up
            .winner
            .and_then(|id| unscoped.iter().find(|t| t.id == id))
            .and_then(running_of)
            .map(|run| {
                run_view(
                    &run,
                    when_opt(run.trigger.start, "always"),
                    when_opt(run.trigger.end, "further notice"),
                )
            }),
    });
    let scoped_next = schedule::next_change(&scoped_triggers, now)
        .filter(|at| upcoming.as_ref().is_none_or(|up| *at < up.at))
        .map(|at| {
            scoped_triggers
                .iter()
                .filter(|t| t.is_active && t.has_window())
                .filter_map(|t| {
                    let verb = if t.start == Some(at) {
                        "opens"
                    } else if t.end == Some(at) && t.covers(now) {
                        "ends"
                    } else {
                        return None;
                    };
                    Some(ScopedChangeView {
                        trigger: t.name.clone(),
                        trigger_id: t.id.0,
                        verb,
                        at: when(at),
                        in_words: in_words(now, at),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let names: BTreeMap<ConfigId, String> =
        configs.iter().map(|c| (c.id, c.name.clone())).collect();
    // `?hours=` picks the range, bounded to those offered; a sixteenth of it lies behind.
    let asked = web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("hours").cloned());
    let hours = svg::range_hours(asked.as_deref());
    let from = now - Duration::hours((hours / 16).max(1));
    let to = from + Duration::hours(hours);
    let scopes: BTreeMap<ConfigId, String> = configs
        .iter()
        .filter(|c| !c.body.scope.is_empty())
        .map(|c| (c.id, c.body.scope.describe()))
        .collect();
    let timeline_svg = svg::timeline(&triggers, &names, &scopes, &state.base, from, to, now);
    let scoped = status
        .scoped
        .iter()
        .map(|run| ScopedView {
            trigger: run.trigger.name.clone(),
            trigger_id: run.trigger.id.0,
            config: run.config.name.clone(),
            config_id: run.config.id.0,
            scope: run.config.body.scope.describe(),
            until: when_opt(run.trigger.end, "further notice"),
        })
        .collect();
    let (fleet, fleet_error) = match fleet {
        Ok(fleet) => (fleet, None),
        Err(e) => (
            vec![ctx.controller().instance_status()],
            Some(format!("the fleet could not be read: {e}")),
        ),
    };
    let fleet = fleet
        .into_iter()
        .map(|i| {
            let age = now - i.reported_at;
            let stale = age > stale_after;
            let behind = i.revision < status.revision;
            let (state, class) = if let Some(error) = &i.last_error {
                (format!("failing: {error}"), "failing")
            } else if stale {
                ("stale (no heartbeat)".to_string(), "stale")
            } else if behind {
                ("behind".to_string(), "stale")
            } else {
                ("ok".to_string(), "ok")
            };
            FleetRow {
                this: i.instance_id == status.instance_id,
                instance: i.instance_id,
                app: i.app,
                host: i.host,
                pid: i.pid,
                revision: i.revision,
                config: i.config_id.map_or_else(
                    || "baseline".into(),
                    |id| {
                        names
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| format!("#{}", id.0))
                    },
                ),
                applied: when_opt(i.applied_at, "-"),
                age: in_words(now, i.reported_at),
                state,
                class,
            }
        })
        .collect();
    let page = DashboardPage {
        page: ctx.frame("dashboard"),
        open_ended: open_ended(&logger, &triggers, &configs),
        current,
        next,
        scoped_next,
        scoped,
        timeline_svg,
        timeline_range: format!("{} to {}", when(from), when(to)),
        ranges: svg::RANGES
            .into_iter()
            .map(|h| {
                let name = match h {
                    6 => "6 h",
                    24 => "24 h",
                    48 => "48 h",
                    _ => "7 days",
                };
                (h, name)
            })
            .collect(),
        hours,
        revision: status.revision,
        fleet,
        fleet_error,
        handlers: logger.handler_stats(),
        back: "dashboard",
    };
    Ok(html(StatusCode::OK, &page))
}
