//! The config form: its view (a handlers grid, a loggers table, the baseline beside it), reading
//! it back, and a preview's rows.

use std::collections::BTreeSet;

use askama::Template;
use dynlog_core::logger::Preview;
use dynlog_core::model::{HandlerOverride, LoggerSpec};
use dynlog_core::{Error, Level, LoggingConfig};

use super::LEVELS;
use super::frame::{Ctx, Form, Frame};
use crate::input::{config_name, form_name};

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
    /// The budget the config sets, blank for none.
    max_per_second: String,
}

pub(super) struct ChangeRow {
    kind: &'static str,
    name: String,
    before: String,
    after: String,
}

pub(super) struct PreviewView {
    pub(super) against_running: Vec<ChangeRow>,
    pub(super) against_baseline: Vec<ChangeRow>,
    /// Which records the config applies to, in words.
    pub(super) applies_to: String,
}

/// Which records a config applies to, in words, for the preview.
pub(super) fn applies_to(scope: &dynlog_core::model::Scope) -> String {
    if scope.is_empty() {
        return "every record (no scope): the changes below apply to all of them.".into();
    }
    format!(
        "only records whose context tags match {} (every key listed, with one of its values): \
         for them, this config is laid over what runs; other records are not changed, and the \
         changes below are theirs alone.",
        scope.describe()
    )
}

/// A scope as the form's text area shows it: `key = value, value` a line.
fn scope_text(scope: &dynlog_core::model::Scope) -> String {
    scope
        .iter()
        .map(|(key, values)| format!("{key} = {}", values.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most bytes of the scope text area.
const MAX_SCOPE_TEXT: usize = 16 * 1024;

/// The scope the form's text area describes: `key = value, value` a line, blank lines skipped.
pub(super) fn scope_from_text(text: &str) -> Result<dynlog_core::model::Scope, Error> {
    if text.len() > MAX_SCOPE_TEXT {
        return Err(Error::TooLarge {
            field: "scope",
            size: text.len(),
            max: MAX_SCOPE_TEXT,
        });
    }
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, values)) = line.split_once('=') else {
            return Err(Error::Invalid {
                field: "scope",
                value: line.chars().take(64).collect(),
                reason: "write one key a line, as tenant = acme, globex".into(),
            });
        };
        let values = values.split(',').map(|v| v.trim().to_string());
        let key = key.trim().to_string();
        match keys.iter_mut().find(|(k, _)| *k == key) {
            Some((_, all)) => all.extend(values),
            None => keys.push((key, values.collect())),
        }
    }
    dynlog_core::model::Scope::new(keys)
}

#[derive(Template)]
#[template(path = "config_form.html")]
pub(super) struct ConfigPage {
    page: Frame,
    id: Option<i64>,
    pub(super) version: Option<i64>,
    name: String,
    /// The scope, `key = value, value` a line.
    scope: String,
    levels: &'static [&'static str],
    handlers: Vec<HandlerRow>,
    loggers: Vec<LoggerRow>,
    blank: LoggerRow,
    suggestions: Vec<String>,
    pub(super) error: Option<String>,
    pub(super) preview: Option<PreviewView>,
    /// The loggers the baseline declares, shown read-only.
    baseline: Vec<BaselineRow>,
    /// Loggers of this config that no target seen so far falls under, with a suggestion.
    unmatched: Vec<String>,
    /// Set when what was edited changed meanwhile.
    pub(super) conflict: Option<super::conflict::ConflictView>,
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
    pub(super) fn new(
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
                    max_per_second: set
                        .and_then(|o| o.max_per_second)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
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
            scope: scope_text(&body.scope),
            levels: &LEVELS,
            handlers,
            loggers,
            blank,
            suggestions,
            error: None,
            preview: None,
            baseline: baseline_rows,
            unmatched,
            conflict: None,
        }
    }
}

/// The most logger rows a config form may post (row indices are below it).
const MAX_ROWS: usize = 100_000;

/// The config a submitted form describes. Rows with no name and nothing set are skipped, as are
/// rows marked for removal.
pub(super) fn config_from_form(
    form: &Form,
    registry: &dynlog_core::model::Registry,
) -> Result<LoggingConfig, Error> {
    let mut config = LoggingConfig {
        scope: scope_from_text(form.get("scope").unwrap_or(""))?,
        ..LoggingConfig::default()
    };
    for handler in registry.handlers() {
        let field = format!("handler.{handler}.level");
        let level = Level::parse_optional(form.get(&field).unwrap_or(""), &field)?;
        let filters = listed(form, &format!("handler.{handler}.filters"));
        let max_per_second = HandlerOverride::parse_max_per_second(
            handler,
            form.get(&format!("handler.{handler}.max_per_second"))
                .unwrap_or(""),
        )?;
        if level.is_some() || filters.is_some() || max_per_second.is_some() {
            config.handlers.insert(
                handler.to_string(),
                HandlerOverride {
                    level,
                    filters,
                    max_per_second,
                },
            );
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
        let level = dynlog_core::model::LoggerLevel::parse_optional(
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
pub(crate) fn decided_by(
    source: &dynlog_core::logger::LevelSource,
    config: Option<&str>,
) -> String {
    use dynlog_core::logger::{LevelOrigin, LevelSource};
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
pub(super) fn change_rows(
    preview: &Preview,
    before: Option<&str>,
    after: Option<&str>,
) -> Vec<ChangeRow> {
    let view = |v: &dynlog_core::logger::LoggerView, config: Option<&str>| {
        let mut text = format!("{} ({})", v.level.as_str(), decided_by(&v.source, config));
        if !v.handlers.is_empty() {
            text.push_str(&format!(" → {}", v.handlers.join(", ")));
        }
        if !v.filters.is_empty() {
            text.push_str(&format!(" [{}]", v.filters.join(", ")));
        }
        text
    };
    let handler = |v: &dynlog_core::logger::HandlerView| {
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
