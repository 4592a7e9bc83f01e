//! Loggers: the targets seen, what decides each one's level, a search, and "debug this for a
//! while" at the level and for the time picked, with "stop now" and "extend" on the rows it
//! runs for.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use chrono::Duration;
use dynlog_core::Level;

use super::Page;
use super::config_form::decided_by;
use super::frame::{Ctx, Form, FormError, Frame, Invalid, encode, html, quoted, when};
use crate::AdminState;
use crate::input::{config_name, form_name};

/// The durations offered, in minutes, and their labels.
const DURATIONS: [(i64, &str); 3] = [(15, "15 min"), (60, "1 h"), (240, "4 h")];

/// The levels offered.
const DEBUG_LEVELS: [&str; 2] = ["debug", "trace"];

/// The running trigger, for a row it runs for: its "stop now" and "extend 1 h".
#[derive(Clone)]
struct RunningTrigger {
    trigger_id: i64,
    trigger: String,
    trigger_version: i64,
    has_end: bool,
}

struct TargetRow {
    target: String,
    configured: String,
    effective: &'static str,
    decided_by: String,
    handlers: String,
    /// The running trigger, when its config sets this logger.
    running: Option<RunningTrigger>,
    /// The scoped windows open on this logger: what each says, and its "stop now" and
    /// "extend 1 h".
    scoped: Vec<(String, RunningTrigger)>,
}

#[derive(Template)]
#[template(path = "loggers.html")]
struct LoggersPage {
    page: Frame,
    rows: Vec<TargetRow>,
    targets: Vec<String>,
    q: String,
    durations: Vec<(i64, &'static str)>,
    levels: Vec<&'static str>,
    /// Where "stop now" and "extend" come back to: `loggers`, or `loggers?q=<search>` to the
    /// same search.
    back: String,
    /// The debug form as it was sent, when it comes back with an error.
    typed: Typed,
    error: Option<FormError>,
}

/// The debug form's fields, as typed (or their defaults).
struct Typed {
    target: String,
    level: String,
    minutes: String,
    only_for: String,
    only_value: String,
}

impl Default for Typed {
    fn default() -> Self {
        Typed {
            target: String::new(),
            level: "debug".into(),
            minutes: "60".into(),
            only_for: String::new(),
            only_value: String::new(),
        }
    }
}

impl Typed {
    /// What `form` sent, each field cut to what the form allows.
    fn from_form(form: &Form) -> Typed {
        let cut = |name: &str, max: usize| form.text(name).chars().take(max).collect::<String>();
        Typed {
            target: cut("target", 256),
            level: cut("level", 16),
            minutes: cut("minutes", 8),
            only_for: cut("only_for", 16),
            only_value: cut("only_value", 256),
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct Search {
    q: Option<String>,
}

pub(crate) async fn loggers(
    req: HttpRequest,
    state: web::Data<AdminState>,
    search: web::Query<Search>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let q = search.into_inner().q.unwrap_or_default().trim().to_string();
    render(&ctx, &state, q, Typed::default(), None)
}

/// The page, with the debug form as typed and its error (answered 422) if there is one.
fn render(
    ctx: &Ctx,
    state: &web::Data<AdminState>,
    q: String,
    typed: Typed,
    error: Option<FormError>,
) -> Page {
    let needle = q.to_lowercase();
    let logger = state.controller.logger();
    let status = state.controller.status();
    let current = status.current;
    let running_name = current.as_ref().map(|r| r.config.name.clone());
    let running = current.as_ref().map(|r| RunningTrigger {
        trigger_id: r.trigger.id.0,
        trigger: r.trigger.name.clone(),
        trigger_version: r.trigger.version,
        has_end: r.trigger.end.is_some(),
    });
    // Scoped windows run beside the winner, each for the records its scope matches.
    let scoped = status.scoped;
    // The loggers scoped windows set are shown too, seen yet or not.
    let mut targets = logger.known_targets();
    targets.extend(
        scoped
            .iter()
            .flat_map(|r| r.config.body.loggers.keys().cloned()),
    );
    targets.sort_unstable();
    targets.dedup();
    let rows = targets
        .iter()
        .filter(|target| needle.is_empty() || target.to_lowercase().contains(&needle))
        .map(|target| {
            let view = logger.logger_view(target);
            let runs_for = current
                .as_ref()
                .is_some_and(|r| heads(&r.config.body, target));
            TargetRow {
                configured: match view.configured_level {
                    Some(level) if view.logger == *target => level.as_str().to_string(),
                    _ if view.logger == *target => "as the baseline".into(),
                    _ => "not configured".into(),
                },
                effective: view.level.as_str(),
                decided_by: decided_by(&view.source, running_name.as_deref()),
                handlers: view.handlers.join(", "),
                running: running.clone().filter(|_| runs_for),
                scoped: scoped
                    .iter()
                    .filter(|r| heads(&r.config.body, target))
                    .filter_map(|r| {
                        let spec = r.config.body.loggers.get(target.as_str())?;
                        let level = match spec.level {
                            Some(dynlog_core::model::LoggerLevel::Set(level)) => level.as_str(),
                            _ => "as the baseline",
                        };
                        let until = r
                            .trigger
                            .end
                            .map(|end| format!(", until {} UTC", when(end)))
                            .unwrap_or_default();
                        let said = format!(
                            "{level} only for {}{until}: trigger {}",
                            r.config.body.scope.describe(),
                            quoted(&r.trigger.name)
                        );
                        Some((
                            said,
                            RunningTrigger {
                                trigger_id: r.trigger.id.0,
                                trigger: r.trigger.name.clone(),
                                trigger_version: r.trigger.version,
                                has_end: r.trigger.end.is_some(),
                            },
                        ))
                    })
                    .collect(),
                target: target.clone(),
            }
        })
        .collect();
    let back = if q.is_empty() {
        "loggers".to_string()
    } else {
        format!("loggers?q={q}")
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &LoggersPage {
            page: ctx.frame("loggers"),
            rows,
            targets,
            q,
            durations: DURATIONS.to_vec(),
            levels: DEBUG_LEVELS.to_vec(),
            back,
            typed,
            error,
        },
    ))
}

/// Whether a window's actions belong on `target`'s row: its config sets `target` and none of
/// its ancestors. A debug window sets its target and the loggers below it the baseline sets
/// quieter: its Stop now goes on its target's row, not on each of theirs.
fn heads(config: &dynlog_core::LoggingConfig, target: &str) -> bool {
    if !config.loggers.contains_key(target) {
        return false;
    }
    let mut name = target;
    while !name.is_empty() {
        name = name.rsplit_once("::").map_or("", |(parent, _)| parent);
        if config.loggers.contains_key(name) {
            return false;
        }
    }
    true
}

/// "Debug": a config putting the target at the level picked (debug or trace), and each
/// handler its records reach that is above it lowered to it, run by a trigger from now for the
/// time picked (an hour when not said). Back to the Loggers page, which says what it made.
pub(crate) async fn debug_for_a_while(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    // A mistake comes back on the Loggers page, the form as typed, the message on its field.
    let again = |message: String, field: Option<&str>| {
        let error = FormError::new(message, field.map(str::to_string));
        render(
            &ctx,
            &state,
            form.text("q"),
            Typed::from_form(&form),
            Some(error),
        )
    };
    let typed = Typed::from_form(&form);
    let target = match typed.target.as_str() {
        // "Debug my requests" debugs everything the requests log.
        t if t.is_empty() && typed.only_for == "token" => String::new(),
        t => config_name(t).to_string(),
    };
    let level = match typed.level.as_str() {
        "debug" | "" => Level::Debug,
        "trace" => Level::Trace,
        other => {
            return again(
                format!("invalid level {}: debug or trace", quoted(other)),
                Some("level"),
            );
        }
    };
    let minutes = match typed.minutes.as_str() {
        "" => "60",
        m => m,
    };
    let Some(&(minutes, length)) = DURATIONS.iter().find(|(m, _)| m.to_string() == minutes) else {
        return again(
            format!(
                "invalid duration {} minutes: 15, 60 or 240",
                quoted(minutes)
            ),
            Some("minutes"),
        );
    };
    // "Only for": everyone, a tenant, a user, or the requests that send a new debug token.
    let value = typed.only_value.clone();
    let mut token = None;
    let scope = match typed.only_for.as_str() {
        // A value typed for nobody: saying so rather than debugging everyone without it.
        "" if !value.trim().is_empty() => {
            return again(
                format!(
                    "{} was typed under “Tenant or user” but “Only for” is everyone: \
                     choose a tenant or a user, or clear it to debug everyone",
                    quoted(&value)
                ),
                Some("only-value"),
            );
        }
        "" => Vec::new(),
        key @ ("tenant" | "user") if value.trim().is_empty() => {
            return again(
                format!("“Only for” is a {key}: type the {key} under “Tenant or user”"),
                Some("only-value"),
            );
        }
        key @ ("tenant" | "user") => vec![(key.to_string(), vec![value])],
        "token" => {
            let new = crate::tags::new_debug_token();
            let hash = crate::tags::debug_token_tag(&new);
            token = Some(new);
            vec![(crate::tags::DEBUG_TOKEN_KEY.to_string(), vec![hash])]
        }
        other => {
            return again(
                format!(
                    "invalid “only for” {}: everyone, tenant, user or token",
                    quoted(other)
                ),
                Some("only-for"),
            );
        }
    };
    let scope = match dynlog_core::model::Scope::new(scope) {
        Ok(scope) => scope,
        Err(e) => return again(e.to_string(), Some("only-value")),
    };
    let actor = ctx.actor();
    let message_target = target.clone();
    let for_whom = if scope.is_empty() {
        String::new()
    } else {
        format!(" only for {}", scope.describe())
    };
    let made = ctx
        .submit(move |c| {
            c.debug_scoped_at(&actor, &target, level, Duration::minutes(minutes), &scope)
        })
        .await?;
    let (config, trigger) = match made {
        Ok(made) => made,
        Err(e) => {
            let field = match e.field_name().as_deref() {
                Some("target") => Some("target"),
                Some("level") => Some("level"),
                Some("duration") => Some("minutes"),
                _ => None,
            };
            return again(e.to_string(), field);
        }
    };
    // The root is everything the application logs.
    let what = if message_target.is_empty() {
        "everything".to_string()
    } else {
        quoted(form_name(&message_target))
    };
    let until = trigger
        .end
        .map(|end| format!("{} UTC", when(end)))
        .unwrap_or_default();
    let made = format!(
        "config {} and trigger {}",
        quoted(&config.name),
        quoted(&trigger.name)
    );
    let message = match token {
        // Shown this once: the config keeps only its hash.
        Some(token) => format!(
            "Debugging {what} at {level} for {length}, until {until}, in the requests that \
             send this header (shown this once): {}: {token} (made {made})",
            crate::tags::DEBUG_HEADER
        ),
        None => {
            format!("Debugging {what} at {level}{for_whom} for {length}, until {until}: {made}")
        }
    };
    let back = match form.text("q") {
        q if q.is_empty() => "/loggers".to_string(),
        q => format!("/loggers?q={}", encode(&q)),
    };
    Ok(ctx.redirect_with(&back, &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_windows_actions_go_on_the_top_logger_it_sets() {
        let config = dynlog_core::LoggingConfig::from_json(
            r#"{"loggers": {"app": {"level": "debug"}, "app::db": {"level": "debug"},
                            "app::db::pool": {"level": "debug"}, "other::x": {"level": "debug"}}}"#,
        )
        .unwrap();
        let on = |target| heads(&config, target);
        assert!(on("app") && on("other::x"));
        assert!(!on("app::db") && !on("app::db::pool"), "below app");
        assert!(!on("other") && !on("") && !on("appx"), "not set");
        let root = dynlog_core::LoggingConfig::from_json(
            r#"{"loggers": {"": {"level": "debug"}, "diesel": {"level": "debug"}}}"#,
        )
        .unwrap();
        assert!(heads(&root, "") && !heads(&root, "diesel"));
    }
}
