//! How a target is handled, and what a config would change: what the admin shows and previews.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::compiled::{Compiled, CompiledHandler};
use super::dynamic::DynamicLogger;
use crate::error::Result;
use crate::level::{Level, LoggerLevel};
use crate::model::LoggingConfig;

/// How one logger handles records: what the admin shows for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggerView {
    /// The configured logger that decides (the target itself or its nearest configured
    /// ancestor; `""` is the root).
    pub logger: String,
    /// The effective level.
    pub level: Level,
    /// The level the deciding logger sets itself (`notset` included), if it sets one.
    pub configured_level: Option<LoggerLevel>,
    /// What decides the effective level of the target asked about.
    pub source: LevelSource,
    /// The filters records must pass: the deciding logger's, then each configured ancestor's.
    pub filters: Vec<String>,
    /// The handlers records go to, in order.
    pub handlers: Vec<String>,
}

/// Who set a level: the baseline declared in code, the config applied over it, or nobody.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelOrigin {
    /// The baseline declared in code.
    Baseline,
    /// The config laid over the baseline.
    Config,
    /// Nobody: the root's default, warn, as in Python.
    Default,
}

impl LevelOrigin {
    /// `baseline`, `config` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            LevelOrigin::Baseline => "baseline",
            LevelOrigin::Config => "config",
            LevelOrigin::Default => "default",
        }
    }
}

impl fmt::Display for LevelOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What decides a logger's effective level: its own level (set by the baseline or the config),
/// or, when it has none or is `notset`, the ancestor it inherits from.
///
/// Serialized with its kind in `by`: `{"by": "config"}`,
/// `{"by": "parent", "ancestor": "myapp", "set_by": "baseline"}` (the root is `""`).
///
/// ```
/// use dynlog_core::{DynamicLogger, LoggingConfig};
/// use dynlog_core::handler::NullHandler;
/// use dynlog_core::logger::{LevelOrigin, LevelSource};
///
/// let logger = DynamicLogger::builder()
///     .handler("null", NullHandler)
///     .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["null"]},
///                                     "myapp::db": {"level": "warn"}}}"#)?
///     .build()?;
/// logger.apply(&LoggingConfig::from_json(r#"{"loggers": {"myapp::db": {"level": "notset"}}}"#)?)?;
/// let view = logger.logger_view("myapp::db");
/// assert_eq!(view.level, dynlog_core::Level::Info);
/// assert_eq!(
///     view.source,
///     LevelSource::Parent { ancestor: String::new(), set_by: LevelOrigin::Baseline }
/// );
/// assert_eq!(view.source.to_string(), "inherited from root (baseline)");
/// # Ok::<(), dynlog_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum LevelSource {
    /// The logger's own level, from the baseline.
    Baseline,
    /// The logger's own level, from the config applied over the baseline.
    Config,
    /// The root sets no level: the default, warn, as in Python.
    Default,
    /// The logger has no level of its own (left out, or `notset`): it takes `ancestor`'s, the
    /// nearest logger above it with one (`""` is the root), which `set_by` set.
    Parent {
        /// The ancestor whose level it takes.
        ancestor: String,
        /// Who set the ancestor's level.
        set_by: LevelOrigin,
    },
}

impl fmt::Display for LevelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelSource::Baseline => f.write_str("baseline"),
            LevelSource::Config => f.write_str("config"),
            LevelSource::Default => f.write_str("default"),
            LevelSource::Parent { ancestor, set_by } if ancestor.is_empty() => {
                write!(f, "inherited from root ({set_by})")
            }
            LevelSource::Parent { ancestor, set_by } => {
                write!(f, "inherited from {ancestor} ({set_by})")
            }
        }
    }
}

/// A logger a config names that matches no target seen so far (see
/// [`DynamicLogger::unmatched_loggers`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmatched {
    /// The logger's name in the config.
    pub name: String,
    /// The closest name seen or declared, if one is close.
    pub closest: Option<String>,
}

impl fmt::Display for Unmatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no target seen so far falls under {:?}", self.name)?;
        match &self.closest {
            Some(closest) => write!(f, "; did you mean {closest:?}?"),
            None => f.write_str(" (it may not have logged yet)"),
        }
    }
}

/// A handler's level and filters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandlerView {
    /// Its level.
    pub level: Level,
    /// Its filters.
    pub filters: Vec<String>,
}

/// One logger whose handling a config changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggerChange {
    /// The logger.
    pub name: String,
    /// Before.
    pub before: LoggerView,
    /// After.
    pub after: LoggerView,
}

/// One handler whose level or filters a config changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandlerChange {
    /// The handler.
    pub name: String,
    /// Before.
    pub before: HandlerView,
    /// After.
    pub after: HandlerView,
}

/// What applying a config would change, logger by logger and handler by handler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// Loggers whose level, filters or handlers change.
    pub loggers: Vec<LoggerChange>,
    /// Handlers whose level or filters change.
    pub handlers: Vec<HandlerChange>,
}

impl Preview {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.loggers.is_empty() && self.handlers.is_empty()
    }
}

impl DynamicLogger {
    /// The change applying `overlay` would make to what runs now, without applying it.
    pub fn preview(&self, overlay: &LoggingConfig) -> Result<Preview> {
        overlay.validate(&self.shared.registry)?;
        let after = self.compile(overlay);
        Ok(self.diff(&self.shared.current.load(), &after))
    }

    /// The change applying `overlay` would make to the baseline.
    pub fn preview_from_baseline(&self, overlay: &LoggingConfig) -> Result<Preview> {
        overlay.validate(&self.shared.registry)?;
        let before = self.compile(&LoggingConfig::default());
        let after = self.compile(overlay);
        Ok(self.diff(&before, &after))
    }

    /// How a target is handled now: the logger that decides, its level, filters and handlers.
    pub fn logger_view(&self, target: &str) -> LoggerView {
        let compiled = self.shared.current.load();
        self.view(&compiled, target, compiled.find(target))
    }

    /// The loggers `config` names that no target seen at runtime falls under and the baseline
    /// does not declare, each with the closest such name: probably a typo, though a target may
    /// simply not have logged yet. The root always matches.
    pub fn unmatched_loggers(&self, config: &LoggingConfig) -> Vec<Unmatched> {
        let seen = self.seen_targets();
        let baseline = &self.shared.baseline.loggers;
        let covers = |name: &str| {
            name.is_empty()
                || baseline.contains_key(name)
                || seen.iter().any(|t| {
                    t.strip_prefix(name)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
                })
        };
        // Every seen target and each of its ancestors, and the baseline's loggers.
        let mut candidates: Vec<&str> = baseline.keys().map(String::as_str).collect();
        for target in &seen {
            candidates.push(target);
            candidates.extend(target.match_indices("::").map(|(i, _)| &target[..i]));
        }
        candidates.retain(|c| !c.is_empty());
        candidates.sort_unstable();
        candidates.dedup();
        config
            .loggers
            .keys()
            .filter(|name| !covers(name))
            .map(|name| Unmatched {
                name: name.clone(),
                closest: candidates
                    .iter()
                    .map(|c| (strsim::levenshtein(name, c), *c))
                    .filter(|(distance, _)| *distance <= name.len() / 3 + 1)
                    .min()
                    .map(|(_, c)| c.to_string()),
            })
            .collect()
    }

    /// How `target` is handled in `compiled`, where node `index` decides for it.
    pub(super) fn view(&self, compiled: &Compiled, target: &str, index: usize) -> LoggerView {
        let node = &compiled.nodes[index];
        let filter_names = &self.shared.filter_names;
        LoggerView {
            logger: compiled.name(index).to_string(),
            level: node.level,
            configured_level: node.spec.as_ref().and_then(|s| s.level),
            source: compiled.level_source(target, index),
            filters: compiled
                .filters(index)
                .iter()
                .map(|&f| filter_names[f as usize].clone())
                .collect(),
            handlers: compiled
                .chain(index)
                .iter()
                .map(|&h| self.shared.handlers[h as usize].name.clone())
                .collect(),
        }
    }

    pub(super) fn diff(&self, before: &Compiled, after: &Compiled) -> Preview {
        let configured =
            |c: &'_ Compiled| -> Vec<String> { c.configured().map(str::to_string).collect() };
        let (names_before, names_after) = (configured(before), configured(after));
        let names: BTreeSet<&str> = names_before
            .iter()
            .chain(&names_after)
            .map(String::as_str)
            .collect();
        let loggers = names
            .into_iter()
            .filter_map(|name| {
                let b = self.view(before, name, before.find(name));
                let a = self.view(after, name, after.find(name));
                let same = (b.level, &b.filters, &b.handlers) == (a.level, &a.filters, &a.handlers);
                (!same).then(|| LoggerChange {
                    name: name.to_string(),
                    before: b,
                    after: a,
                })
            })
            .collect();
        let filter_names: Vec<&String> = self.shared.filter_index.keys().collect();
        let handler_view = |c: &CompiledHandler| HandlerView {
            level: c.level,
            filters: c
                .filters
                .iter()
                .map(|&f| filter_names[f as usize].clone())
                .collect(),
        };
        let handlers = self
            .shared
            .handlers
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let (b, a) = (
                    handler_view(&before.handlers[i]),
                    handler_view(&after.handlers[i]),
                );
                (b != a).then(|| HandlerChange {
                    name: slot.name.clone(),
                    before: b,
                    after: a,
                })
            })
            .collect();
        Preview { loggers, handlers }
    }
}
