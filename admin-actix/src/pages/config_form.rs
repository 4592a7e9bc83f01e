//! The config form: its view (a handlers grid, a loggers table, the baseline beside it), reading
//! it back, and a preview's rows.

use std::collections::BTreeSet;

use askama::Template;
use dynlog_core::logger::Preview;
use dynlog_core::model::{HandlerOverride, LoggerSpec};
use dynlog_core::{Error, Level, LoggingConfig};

use super::LEVELS;
use super::frame::{Ctx, Form, FormError, Frame, Invalid};
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
    /// The row's place in the table, from 0: its fields are `logger.{index}.*`, its controls'
    /// ids `logger-{index}-*`.
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
    /// Marked for removal (a form sent back keeps the mark).
    remove: bool,
    /// The error this row has, shown in it, and the column of the control it is about.
    error: Option<(String, &'static str)>,
}

impl LoggerRow {
    /// Whether the row's error is about its control `column`.
    fn on(&self, column: &str) -> bool {
        self.error.as_ref().is_some_and(|(_, c)| *c == column)
    }
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
    /// Its place in the grid, from 0: its controls' ids are `handler-{index}-*`.
    index: usize,
    name: String,
    declared: String,
    level: String,
    filters: Vec<Choice>,
    /// The budget the config sets, blank for none.
    max_per_second: String,
    /// The control (`level`, `filters` or `max_per_second`) the form's error is about, if this
    /// handler's.
    invalid: Option<&'static str>,
}

impl HandlerRow {
    /// Whether the form's error is about this handler's control `column`.
    fn on(&self, column: &str) -> bool {
        self.invalid == Some(column)
    }
}

/// Where in the config form an error is.
#[derive(Debug, PartialEq)]
pub(super) enum Spot {
    /// The config's name.
    Name,
    /// The scope's text area.
    Scope,
    /// A handler's control (`level`, `filters` or `max_per_second`), by the handler's name.
    Handler(String, &'static str),
    /// A logger row's control (`name`, `level`, `propagate`, `handlers`, `filters`), by the
    /// row's number in the form as posted.
    Row(usize, &'static str),
}

/// A config form refused: the error, and where in the form it is when known.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) error: Error,
    pub(super) spot: Option<Spot>,
}

/// What a form's row or handler sets, as strings: from a config, or as posted.
struct Draft {
    /// As typed (`root` for the root logger).
    name: String,
    level: String,
    propagate: String,
    handlers: Option<Vec<String>>,
    filters: Option<Vec<String>>,
    remove: bool,
}

struct HandlerDraft {
    level: String,
    filters: Option<Vec<String>>,
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
    pub(super) error: Option<FormError>,
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
    /// The form of `body`, as stored.
    pub(super) fn new(
        ctx: &Ctx,
        id: Option<i64>,
        version: Option<i64>,
        name: String,
        body: &LoggingConfig,
    ) -> Self {
        let drafts = body
            .loggers
            .iter()
            .map(|(name, spec)| Draft {
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
                handlers: spec.handlers.clone(),
                filters: spec.filters.clone(),
                remove: false,
            })
            .collect();
        let handlers = |h: &str| {
            let set = body.handlers.get(h);
            HandlerDraft {
                level: set
                    .and_then(|o| o.level)
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default(),
                filters: set.and_then(|o| o.filters.clone()),
                max_per_second: set
                    .and_then(|o| o.max_per_second)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            }
        };
        Self::build(ctx, id, version, name, drafts, handlers, body)
    }

    /// The form as posted, sent back: every row where it was, as typed (blank rows dropped, one
    /// blank row at the end), with `error` shown at the top and on its control (its row is
    /// marked). `body` is what the form describes, for the warnings about logger names.
    pub(super) fn posted(
        ctx: &Ctx,
        id: Option<i64>,
        version: Option<i64>,
        name: String,
        form: &Form,
        body: &LoggingConfig,
        error: Option<(String, Option<Spot>)>,
    ) -> Self {
        let mut drafts = Vec::new();
        let mut error_row = None;
        for i in row_numbers(form) {
            let key = |f: &str| format!("logger.{i}.{f}");
            let draft = Draft {
                name: form.text(&key("name")),
                level: form.text(&key("level")),
                propagate: form.text(&key("propagate")),
                handlers: listed(form, &key("handlers")),
                filters: listed(form, &key("filters")),
                remove: form.checked(&key("remove")),
            };
            let blank = draft.name.is_empty()
                && draft.level.is_empty()
                && draft.propagate.is_empty()
                && draft.handlers.is_none()
                && draft.filters.is_none()
                && !draft.remove;
            let here = matches!(&error, Some((_, Some(Spot::Row(r, _)))) if *r == i);
            if here {
                error_row = Some(drafts.len());
            }
            if !blank || here {
                drafts.push(draft);
            }
        }
        let handlers = |h: &str| HandlerDraft {
            level: form.text(&format!("handler.{h}.level")),
            filters: listed(form, &format!("handler.{h}.filters")),
            max_per_second: form.text(&format!("handler.{h}.max_per_second")),
        };
        let mut page = Self::build(ctx, id, version, name, drafts, handlers, body);
        page.scope = form.get("scope").unwrap_or("").to_string();
        let Some((message, spot)) = error else {
            return page;
        };
        let field = match spot {
            Some(Spot::Name) => Some("name".to_string()),
            Some(Spot::Scope) => Some("scope".to_string()),
            Some(Spot::Handler(handler, column)) => page
                .handlers
                .iter_mut()
                .find(|h| h.name == handler)
                .map(|h| {
                    h.invalid = Some(column);
                    format!("handler-{}-{column}", h.index)
                }),
            Some(Spot::Row(_, column)) => {
                error_row.and_then(|r| page.loggers.get_mut(r)).map(|row| {
                    row.error = Some((message.clone(), column));
                    format!("logger-{}-{column}", row.index)
                })
            }
            None => None,
        };
        page.error = Some(FormError::new(message, field));
        page
    }

    fn build(
        ctx: &Ctx,
        id: Option<i64>,
        version: Option<i64>,
        name: String,
        drafts: Vec<Draft>,
        handler_draft: impl Fn(&str) -> HandlerDraft,
        body: &LoggingConfig,
    ) -> Self {
        let logger = ctx.state.controller.logger();
        let registry = logger.registry();
        let handler_names: Vec<String> = registry.handlers().map(str::to_string).collect();
        let filter_names: Vec<String> = registry.filters().map(str::to_string).collect();
        let baseline = logger.baseline();
        let row = |index: usize, d: Draft| {
            let named = !d.name.is_empty();
            let config = config_name(&d.name).to_string();
            LoggerRow {
                index,
                level: d.level,
                propagate: d.propagate,
                handlers: choices(&handler_names, d.handlers.as_deref()),
                filters: choices(&filter_names, d.filters.as_deref()),
                is_root: named && config.is_empty(),
                // Rows not yet named: no hint but the generic one.
                hint: if named {
                    BaselineHint::of(baseline, &config)
                } else {
                    BaselineHint::default()
                },
                name: d.name,
                remove: d.remove,
                error: None,
            }
        };
        let blank = || Draft {
            name: String::new(),
            level: String::new(),
            propagate: String::new(),
            handlers: None,
            filters: None,
            remove: false,
        };
        let mut loggers: Vec<LoggerRow> = drafts
            .into_iter()
            .enumerate()
            .map(|(i, d)| row(i, d))
            .collect();
        loggers.push(row(loggers.len(), blank()));
        let blank = row(9999, blank());
        let handlers = handler_names
            .iter()
            .enumerate()
            .map(|(index, h)| {
                let set = handler_draft(h);
                let declared = baseline.handlers.get(h).and_then(|o| o.level);
                HandlerRow {
                    index,
                    name: h.clone(),
                    declared: declared.map(|l| l.as_str().to_string()).unwrap_or_default(),
                    level: set.level,
                    filters: choices(&filter_names, set.filters.as_deref()),
                    invalid: None,
                    max_per_second: set.max_per_second,
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
) -> Result<LoggingConfig, Refused> {
    let at = |spot: Spot| {
        move |error: Error| Refused {
            error,
            spot: Some(spot),
        }
    };
    let mut config = LoggingConfig {
        scope: scope_from_text(form.get("scope").unwrap_or("")).map_err(at(Spot::Scope))?,
        ..LoggingConfig::default()
    };
    for handler in registry.handlers() {
        let field = format!("handler.{handler}.level");
        let level = Level::parse_optional(form.get(&field).unwrap_or(""), &field)
            .map_err(at(Spot::Handler(handler.to_string(), "level")))?;
        let filters = listed(form, &format!("handler.{handler}.filters"));
        let max_per_second = HandlerOverride::parse_max_per_second(
            handler,
            form.get(&format!("handler.{handler}.max_per_second"))
                .unwrap_or(""),
        )
        .map_err(at(Spot::Handler(handler.to_string(), "max_per_second")))?;
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
    for (key, _) in &form.0 {
        let Some(index) = key
            .strip_prefix("logger.")
            .and_then(|k| k.split('.').next())
        else {
            continue;
        };
        if !index.parse::<usize>().is_ok_and(|i| i < MAX_ROWS) {
            return Err(Refused {
                error: Error::Invalid {
                    field: "logger row",
                    value: key.chars().take(64).collect(),
                    reason: format!("rows are numbered 0 to {}", MAX_ROWS - 1),
                },
                spot: None,
            });
        }
    }
    for i in row_numbers(form) {
        let key = |f: &str| format!("logger.{i}.{f}");
        if form.checked(&key("remove")) {
            continue;
        }
        let name = form.text(&key("name"));
        let level = dynlog_core::model::LoggerLevel::parse_optional(
            form.get(&key("level")).unwrap_or(""),
            &format!("level of logger {name:?}"),
        )
        .map_err(at(Spot::Row(i, "level")))?;
        let handlers = listed(form, &key("handlers"));
        let filters = listed(form, &key("filters"));
        if name.is_empty() {
            if level.is_some() || handlers.is_some() || filters.is_some() {
                return Err(at(Spot::Row(i, "name"))(Error::Invalid {
                    field: "logger name",
                    value: String::new(),
                    reason: "this row sets a level, handlers or filters but has no name (use \"root\" for the root logger)".into(),
                }));
            }
            continue;
        }
        let name = config_name(&name).to_string();
        if config.loggers.contains_key(&name) {
            return Err(at(Spot::Row(i, "name"))(Error::Invalid {
                field: "logger name",
                value: name,
                reason: "appears in two rows".into(),
            }));
        }
        let propagate = match form.text(&key("propagate")).as_str() {
            "" => None,
            "yes" | "on" | "true" => Some(true),
            "no" | "false" => Some(false),
            other => {
                return Err(at(Spot::Row(i, "propagate"))(Error::Invalid {
                    field: "propagate",
                    value: other.chars().take(16).collect(),
                    reason: format!("propagate of logger {name:?} is yes, no or as the baseline"),
                }));
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

/// The numbers of the logger rows a form posts (`logger.{n}.*`), in order; keys that are not
/// a row number below [`MAX_ROWS`] are left out.
fn row_numbers(form: &Form) -> BTreeSet<usize> {
    form.0
        .iter()
        .filter_map(|(key, _)| key.strip_prefix("logger.")?.split('.').next()?.parse().ok())
        .filter(|&i| i < MAX_ROWS)
        .collect()
}

/// Where in the form `error`, from core about the config a form describes, is: the row of the
/// logger it names, the handler, or the name.
pub(super) fn spot_of(form: &Form, error: &Error) -> Option<Spot> {
    // `logger "a::b"` or `the root logger`, as core names a logger in its errors.
    let logger = |field: &str| -> Option<String> {
        if field == "the root logger" {
            return Some(String::new());
        }
        serde_json::from_str::<String>(field.strip_prefix("logger ")?).ok()
    };
    let row = |name: &str, column: &'static str| {
        row_numbers(form)
            .into_iter()
            .find(|&i| {
                let typed = form.text(&format!("logger.{i}.name"));
                !typed.is_empty()
                    && config_name(&typed) == name
                    && !form.checked(&format!("logger.{i}.remove"))
            })
            .map(|i| Spot::Row(i, column))
    };
    match error {
        Error::InvalidName { .. } | Error::DuplicateName(_) => Some(Spot::Name),
        Error::InvalidLoggerName { name, .. } => row(name, "name"),
        Error::UnknownHandler { field, .. } => row(&logger(field)?, "handlers"),
        Error::UnknownFilter { field, .. } => match logger(field) {
            Some(name) => row(&name, "filters"),
            None => {
                let handler =
                    serde_json::from_str::<String>(field.strip_prefix("handler ")?).ok()?;
                Some(Spot::Handler(handler, "filters"))
            }
        },
        Error::InvalidLevel { field, .. } => row(&logger(field)?, "level"),
        _ => None,
    }
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
