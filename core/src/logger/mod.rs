//! `DynamicLogger`: a `log::Log` whose config is swapped at runtime without a lock.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use arc_swap::cache::Cache;
use log::{LevelFilter, Metadata, Record};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::handler::{Handler, HandlerSlot, HandlerStats};
use crate::level::{Level, LoggerLevel};
use crate::model::{LoggerSpec, LoggingConfig, Registry, validate_logger_name};

/// A named predicate on records, such as "skip requests for static files".
///
/// Any `Fn(&Record) -> bool` is a filter.
pub trait Filter: Send + Sync + 'static {
    /// Whether the record passes.
    fn filter(&self, record: &Record<'_>) -> bool;
}

impl<F> Filter for F
where
    F: Fn(&Record<'_>) -> bool + Send + Sync + 'static,
{
    fn filter(&self, record: &Record<'_>) -> bool {
        self(record)
    }
}

/// Code run after each apply with the config now in force (the seed's "special cases"), such as
/// turning a library's own debug switch on when its logger is at debug.
pub type Hook = Box<dyn Fn(&LoggingConfig, &DynamicLogger) + Send + Sync>;

/// The level of the root logger when no config sets one, as in Python.
const DEFAULT_ROOT_LEVEL: Level = Level::Warn;

/// Builds a [`DynamicLogger`]: its handlers, filters, baseline loggers and hooks.
///
/// ```
/// use dynlog_core::{DynamicLogger, Level, MemoryHandler, NullHandler};
///
/// let memory = MemoryHandler::new(100);
/// let logger = DynamicLogger::builder()
///     .handler("memory", memory.clone())
///     .handler("null", NullHandler)
///     .filter("polite", |r: &log::Record| !r.args().to_string().contains("damn"))
///     .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)?
///     .build()?;
/// assert_eq!(logger.effective_level("myapp::db"), Level::Info);
/// # Ok::<(), dynlog_core::Error>(())
/// ```
pub struct Builder {
    handlers: Vec<(String, Box<dyn Handler>)>,
    filters: Vec<(String, Box<dyn Filter>)>,
    baseline: LoggingConfig,
    hooks: Vec<(String, Hook)>,
    enabled_hooks: Option<Vec<String>>,
    seen_capacity: usize,
}

impl Builder {
    /// Declares a handler under a name configs can use. A later one of the same name replaces it.
    pub fn handler(mut self, name: impl Into<String>, handler: impl Handler) -> Self {
        let name = name.into();
        self.handlers.retain(|(n, _)| *n != name);
        self.handlers.push((name, Box::new(handler)));
        self
    }

    /// Declares a filter under a name configs can use.
    pub fn filter(mut self, name: impl Into<String>, filter: impl Filter) -> Self {
        let name = name.into();
        self.filters.retain(|(n, _)| *n != name);
        self.filters.push((name, Box::new(filter)));
        self
    }

    /// Replaces the baseline: the logging that runs when no trigger wins.
    pub fn baseline(mut self, baseline: LoggingConfig) -> Self {
        self.baseline = baseline;
        self
    }

    /// Lays a JSON config (the `config_json` shape) over the baseline.
    pub fn baseline_json(mut self, json: &str) -> Result<Self> {
        self.baseline = self.baseline.overlay(&LoggingConfig::from_json(json)?);
        Ok(self)
    }

    /// Lays a RUST_LOG-style spec over the baseline: `info,myapp::db=debug` sets the root at
    /// info and `myapp::db` at debug. The root goes on the `console` handler unless the baseline
    /// already gives the root handlers, which the spec then leaves as they are.
    pub fn baseline_spec(mut self, spec: &str) -> Result<Self> {
        let mut over = parse_spec(spec)?;
        let root_has_handlers = self
            .baseline
            .loggers
            .get("")
            .is_some_and(|root| root.handlers.is_some());
        if let (true, Some(root)) = (root_has_handlers, over.loggers.get_mut("")) {
            root.handlers = None;
        }
        self.baseline = self.baseline.overlay(&over);
        Ok(self)
    }

    /// Sets one baseline logger, field by field over what the baseline has.
    pub fn logger(mut self, name: impl Into<String>, spec: LoggerSpec) -> Self {
        let mut over = LoggingConfig::default();
        over.loggers.insert(name.into(), spec);
        self.baseline = self.baseline.overlay(&over);
        self
    }

    /// Registers a hook run after each apply. Every registered hook is on unless
    /// [`Builder::enable_hooks`] lists which are.
    pub fn hook(
        mut self,
        name: impl Into<String>,
        hook: impl Fn(&LoggingConfig, &DynamicLogger) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.push((name.into(), Box::new(hook)));
        self
    }

    /// Turns on only these hooks (from the application's settings); an unknown name fails
    /// [`Builder::build`].
    pub fn enable_hooks<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.enabled_hooks = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// How many distinct targets to remember for suggestions (1,000 by default).
    pub fn remember_targets(mut self, capacity: usize) -> Self {
        self.seen_capacity = capacity;
        self
    }

    /// Checks the baseline against the handlers and filters, and builds the logger with the
    /// baseline applied.
    pub fn build(self) -> Result<DynamicLogger> {
        let mut hooks = self.hooks;
        if let Some(enabled) = &self.enabled_hooks {
            let known: Vec<String> = hooks.iter().map(|(n, _)| n.clone()).collect();
            if let Some(unknown) = enabled.iter().find(|n| !known.contains(n)) {
                return Err(Error::UnknownName {
                    kind: "hook",
                    name: unknown.clone(),
                    known,
                });
            }
            hooks.retain(|(n, _)| enabled.contains(n));
        }
        let mut handlers = self.handlers;
        handlers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut filters = self.filters;
        filters.sort_by(|a, b| a.0.cmp(&b.0));
        let registry = Registry::new(
            handlers.iter().map(|(n, _)| n.clone()),
            filters.iter().map(|(n, _)| n.clone()),
        );
        self.baseline.validate(&registry)?;
        let handler_index = handlers
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let filter_index = filters
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let filter_names = filters.iter().map(|(n, _)| n.clone()).collect();
        let shared = Shared {
            handlers: handlers
                .into_iter()
                .map(|(n, h)| HandlerSlot::new(n, h))
                .collect(),
            filters: filters.into_iter().map(|(_, f)| f).collect(),
            handler_index,
            filter_index,
            filter_names,
            registry,
            current: Arc::new(ArcSwap::from_pointee(Compiled::empty())),
            levels: LevelCache::new(),
            baseline: self.baseline,
            hooks,
            seen: SeenTargets::new(self.seen_capacity),
            apply_lock: Mutex::new(()),
            installed: AtomicBool::new(false),
        };
        let logger = DynamicLogger {
            shared: Arc::new(shared),
        };
        logger.apply_baseline()?;
        Ok(logger)
    }
}

/// Parses a RUST_LOG-style spec into a config: bare levels set the root (on `console`),
/// `target=level` sets a logger.
pub fn parse_spec(spec: &str) -> Result<LoggingConfig> {
    let invalid = |reason: String| Error::InvalidSpec {
        spec: spec.to_string(),
        reason,
    };
    let mut config = LoggingConfig::default();
    for item in spec
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let (name, level) = match item.split_once('=') {
            Some((name, level)) => (name.trim(), level.trim()),
            None if Level::parse_optional(item, "").is_ok() => ("", item),
            // `RUST_LOG=myapp` means everything of myapp.
            None => (item, "trace"),
        };
        validate_logger_name(name).map_err(|e| invalid(e.to_string()))?;
        let field = if name.is_empty() {
            "the root logger".to_string()
        } else {
            format!("logger {name:?}")
        };
        let level = Level::parse(level, &field).map_err(|e| invalid(e.to_string()))?;
        let entry = config.loggers.entry(name.to_string()).or_default();
        entry.level = Some(level.into());
        if name.is_empty() {
            entry.handlers = Some(vec!["console".to_string()]);
        }
    }
    Ok(config)
}

/// A logger whose config changes at runtime: Python logging semantics on `log` targets.
///
/// Cheap to clone; clones share everything. It works without being installed (tests call
/// [`log::Log::log`] on it directly); [`DynamicLogger::install`] makes it the global logger.
#[derive(Clone)]
pub struct DynamicLogger {
    shared: Arc<Shared>,
}

struct Shared {
    handlers: Vec<HandlerSlot>,
    filters: Vec<Box<dyn Filter>>,
    handler_index: BTreeMap<String, usize>,
    filter_index: BTreeMap<String, usize>,
    /// Filter names by index.
    filter_names: Vec<String>,
    registry: Registry,
    /// The config in force. Logging threads only `load` it (through a thread-local cache);
    /// applies `store` a new one.
    current: Arc<ArcSwap<Compiled>>,
    /// Each target's effective level, tagged with the generation it was computed for: lets a
    /// refused record return without touching `current`.
    levels: LevelCache,
    baseline: LoggingConfig,
    hooks: Vec<(String, Hook)>,
    seen: SeenTargets,
    /// Serializes applies, so the swap and `set_max_level` of one apply are not interleaved
    /// with another's. Never taken on the logging path.
    apply_lock: Mutex<()>,
    installed: AtomicBool,
}

impl DynamicLogger {
    /// A builder with no handlers, no filters and an empty baseline.
    pub fn builder() -> Builder {
        Builder {
            handlers: Vec::new(),
            filters: Vec::new(),
            baseline: LoggingConfig::default(),
            hooks: Vec::new(),
            enabled_hooks: None,
            seen_capacity: 1000,
        }
    }

    /// Makes this logger the global `log` logger and sets `log`'s max level from its config.
    pub fn install(&self) -> Result<()> {
        log::set_boxed_logger(Box::new(self.clone())).map_err(|_| Error::AlreadyInstalled)?;
        // SeqCst: pairs with the load in `publish`, so an apply racing with install either sees
        // the flag or has its max level overwritten by the one set below from the new config.
        self.shared.installed.store(true, Ordering::SeqCst);
        let _guard = self
            .shared
            .apply_lock
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        log::set_max_level(self.shared.current.load().max_level);
        Ok(())
    }

    /// The handler and filter names configs are validated against.
    pub fn registry(&self) -> &Registry {
        &self.shared.registry
    }

    /// The baseline declared in code.
    pub fn baseline(&self) -> &LoggingConfig {
        &self.shared.baseline
    }

    /// The config in force: the baseline with the applied config laid over it.
    pub fn current_config(&self) -> LoggingConfig {
        self.config_of(&self.shared.current.load())
    }

    /// How many applies have happened (the baseline at build is the first).
    pub fn generation(&self) -> u64 {
        self.shared.levels.generation.load(Ordering::Relaxed)
    }

    /// Validates `overlay` and applies it over the baseline.
    pub fn apply(&self, overlay: &LoggingConfig) -> Result<()> {
        overlay.validate(&self.shared.registry)?;
        let compiled = self.compile(overlay);
        self.publish(compiled);
        Ok(())
    }

    /// Applies the baseline alone.
    pub fn apply_baseline(&self) -> Result<()> {
        self.apply(&LoggingConfig::default())
    }

    fn publish(&self, mut compiled: Compiled) {
        let compiled = {
            let _guard = self
                .shared
                .apply_lock
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            compiled.generation = self.generation() + 1;
            let compiled = Arc::new(compiled);
            // The swap is the linearization point: a record checked before it is handled
            // entirely by the old config, one checked after by the new one.
            self.shared.current.store(Arc::clone(&compiled));
            self.shared.levels.advance(compiled.generation);
            // SeqCst pairs with `install`.
            if self.shared.installed.load(Ordering::SeqCst) {
                log::set_max_level(compiled.max_level);
            }
            compiled
        };
        if self.shared.hooks.is_empty() {
            return;
        }
        let config = self.config_of(&compiled);
        for (name, hook) in &self.shared.hooks {
            // A panicking hook must not take the scheduler down with it.
            let run = std::panic::AssertUnwindSafe(|| hook(&config, self));
            if std::panic::catch_unwind(run).is_err() {
                log::error!(target: "dynlog", "hook {name:?} panicked");
            }
        }
    }

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

    /// The effective level of a target now.
    pub fn effective_level(&self, target: &str) -> Level {
        let compiled = self.shared.current.load();
        compiled.nodes[compiled.find(target)].level
    }

    /// How a target is handled now: the logger that decides, its level, filters and handlers.
    pub fn logger_view(&self, target: &str) -> LoggerView {
        let compiled = self.shared.current.load();
        self.view(&compiled, target, compiled.find(target))
    }

    /// Targets seen at runtime, sorted (bounded; the first ones seen are kept).
    pub fn seen_targets(&self) -> Vec<String> {
        self.shared.seen.list()
    }

    /// The targets seen at runtime and the loggers the config in force sets (the root as
    /// `""`), sorted and once each: every name the admin can show or suggest.
    pub fn known_targets(&self) -> Vec<String> {
        let mut names = self.seen_targets();
        names.extend(self.shared.current.load().configured().map(str::to_string));
        names.sort_unstable();
        names.dedup();
        names
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

    /// How each handler has fared.
    pub fn handler_stats(&self) -> Vec<HandlerStats> {
        self.shared
            .handlers
            .iter()
            .map(HandlerSlot::stats)
            .collect()
    }

    /// Resolves the baseline with `overlay` laid over it, without building the merged config:
    /// every logger's effective level and handler chain, once, so the hot path is a lookup.
    fn compile(&self, overlay: &LoggingConfig) -> Compiled {
        let shared = &self.shared;
        let base = &shared.baseline;
        let indices =
            |names: Option<&Vec<String>>, index: &BTreeMap<String, usize>| -> Box<[u16]> {
                names
                    .into_iter()
                    .flatten()
                    .filter_map(|n| index.get(n))
                    .map(|&i| i as u16)
                    .collect()
            };
        let handlers = shared
            .handlers
            .iter()
            .map(|slot| {
                let (b, o) = (
                    base.handlers.get(&slot.name),
                    overlay.handlers.get(&slot.name),
                );
                let level = o.and_then(|s| s.level).or(b.and_then(|s| s.level));
                let filters = o
                    .and_then(|s| s.filters.as_ref())
                    .or(b.and_then(|s| s.filters.as_ref()));
                CompiledHandler {
                    level: level.unwrap_or(Level::Trace),
                    filters: indices(filters, &shared.filter_index),
                    spec: (b.is_some() || o.is_some()).then_some((level, filters.is_some())),
                }
            })
            .collect::<Vec<_>>();

        // Nodes: the root first, then every configured logger. Sorted names put every ancestor
        // (a prefix) before its descendants, so a node's parent is always built first.
        // Names and chains go into two arenas, so a config costs a few allocations rather than
        // two per logger, to build and to free.
        let names = sorted_union(base.loggers.keys(), overlay.loggers.keys());
        let mut nodes: Vec<Node> = Vec::with_capacity(names.len() + 1);
        let mut arena = String::with_capacity(names.iter().map(|n| n.len()).sum());
        let mut chains: Vec<u16> = Vec::with_capacity(2 * names.len() + 2);
        let mut filter_chains: Vec<u16> = Vec::new();
        let mut index = NameIndex::with_capacity(names.len());
        for name in names.into_iter().take(MAX_NODES - 1) {
            let (b, o) = (base.loggers.get(name), overlay.loggers.get(name));
            let set_by = match o.and_then(|s| s.level) {
                Some(_) => LevelOrigin::Config,
                None => LevelOrigin::Baseline,
            };
            let level = o.and_then(|s| s.level).or(b.and_then(|s| s.level));
            let own = o
                .and_then(|s| s.handlers.as_ref())
                .or(b.and_then(|s| s.handlers.as_ref()));
            let filters = o
                .and_then(|s| s.filters.as_ref())
                .or(b.and_then(|s| s.filters.as_ref()));
            let propagate = o.and_then(|s| s.propagate).or(b.and_then(|s| s.propagate));
            // The chain starts with the logger's own handlers; the parent's follow. The root is
            // first in sorted order, so an unconfigured root is added before the first logger.
            if nodes.is_empty() && !name.is_empty() {
                nodes.push(Node::root(None, Span::EMPTY, Span::EMPTY, None));
            }
            let parent = (!name.is_empty())
                .then(|| nearest(|p| index.get(p, &arena, &nodes), name).unwrap_or(0));
            let start = chains.len();
            chains.extend(
                own.into_iter()
                    .flatten()
                    .filter_map(|n| shared.handler_index.get(n))
                    .map(|&i| i as u16),
            );
            // Filters likewise: the logger's own, then every configured ancestor's, each once,
            // so a record passes its whole line's filters with one slice to walk.
            let filters_at = filter_chains.len();
            filter_chains.extend(
                filters
                    .into_iter()
                    .flatten()
                    .filter_map(|n| shared.filter_index.get(n))
                    .map(|&i| i as u16),
            );
            let spec = NodeSpec {
                level,
                set_by,
                handlers: own.map(|_| (chains.len() - start) as u16),
                filters: filters.map(|_| (filter_chains.len() - filters_at) as u16),
                propagate,
            };
            let Some(parent) = parent else {
                nodes.push(Node::root(
                    level,
                    Span::new(filters_at, filter_chains.len()),
                    Span::new(start, chains.len()),
                    Some(spec),
                ));
                continue;
            };
            for k in nodes[parent].filters.range() {
                let f = filter_chains[k];
                if !filter_chains[filters_at..].contains(&f) {
                    filter_chains.push(f);
                }
            }
            if propagate.unwrap_or(true) {
                for k in nodes[parent].chain.range() {
                    let h = chains[k];
                    if !chains[start..].contains(&h) {
                        chains.push(h);
                    }
                }
            }
            let name_at = arena.len();
            arena.push_str(name);
            index.insert(name, nodes.len(), &arena, &nodes);
            nodes.push(Node {
                name: Span::new(name_at, arena.len()),
                level: level
                    .and_then(LoggerLevel::level)
                    .unwrap_or(nodes[parent].level),
                filters: Span::new(filters_at, filter_chains.len()),
                chain: Span::new(start, chains.len()),
                spec: Some(spec),
            });
        }
        if nodes.is_empty() {
            nodes.push(Node::root(None, Span::EMPTY, Span::EMPTY, None));
        }
        let max_level = nodes
            .iter()
            .map(|node| {
                let loudest_handler = chains[node.chain.range()]
                    .iter()
                    .map(|&h| handlers[h as usize].level)
                    .max()
                    .unwrap_or(Level::Off);
                node.level.min(loudest_handler)
            })
            .max()
            .unwrap_or(Level::Off)
            .to_filter();
        Compiled {
            nodes,
            names: arena,
            chains,
            filters: filter_chains,
            index,
            handlers,
            cache: TargetCache::new(),
            max_level,
            generation: 0,
        }
    }

    /// The config a compiled one runs, rebuilt from its nodes: baseline and overlay merged.
    fn config_of(&self, compiled: &Compiled) -> LoggingConfig {
        let shared = &self.shared;
        let handler_names = |ix: &[u16]| {
            ix.iter()
                .map(|&h| shared.handlers[h as usize].name.clone())
                .collect()
        };
        let filter_names = |ix: &[u16]| {
            ix.iter()
                .map(|&f| shared.filter_names[f as usize].clone())
                .collect()
        };
        let mut config = LoggingConfig::default();
        for (i, node) in compiled.nodes.iter().enumerate() {
            if let Some(spec) = &node.spec {
                config.loggers.insert(
                    compiled.name(i).to_string(),
                    LoggerSpec {
                        level: spec.level,
                        handlers: spec
                            .handlers
                            .map(|own| handler_names(&compiled.chain(i)[..own as usize])),
                        filters: spec
                            .filters
                            .map(|own| filter_names(&compiled.filters(i)[..own as usize])),
                        propagate: spec.propagate,
                    },
                );
            }
        }
        for (slot, handler) in shared.handlers.iter().zip(&compiled.handlers) {
            if let Some((level, filters)) = handler.spec {
                config.handlers.insert(
                    slot.name.clone(),
                    crate::model::HandlerOverride {
                        level,
                        filters: filters.then(|| filter_names(&handler.filters)),
                    },
                );
            }
        }
        config
    }

    /// How `target` is handled in `compiled`, where node `index` decides for it.
    fn view(&self, compiled: &Compiled, target: &str, index: usize) -> LoggerView {
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

    fn diff(&self, before: &Compiled, after: &Compiled) -> Preview {
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

impl fmt::Debug for DynamicLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicLogger")
            .field("registry", &self.shared.registry)
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

impl DynamicLogger {
    /// Runs `f` with the config in force, loaded through a thread-local `arc_swap::Cache`: a
    /// pointer comparison when the config has not changed since this thread last logged.
    #[inline]
    fn with_compiled<R>(&self, f: impl FnOnce(&Compiled) -> R) -> R {
        type Local = Cache<Arc<ArcSwap<Compiled>>, Arc<Compiled>>;
        thread_local! {
            static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
        }
        let mut f = Some(f);
        let cached = LOCAL.try_with(|local| {
            // A handler that logs re-enters here with the cell borrowed: it takes the slow load.
            let mut local = local.try_borrow_mut().ok()?;
            let stale = local
                .as_ref()
                .is_none_or(|c| !std::ptr::eq(c.arc_swap(), &*self.shared.current));
            if stale {
                // The cache keeps its `ArcSwap` alive, so a pointer match is never a new
                // logger that happens to reuse a dropped one's address.
                *local = Some(Cache::new(Arc::clone(&self.shared.current)));
            }
            let cache = local.as_mut()?;
            f.take().map(|f| f(cache.load()))
        });
        match (cached, f) {
            (Ok(Some(result)), _) => result,
            (_, Some(f)) => f(&self.shared.current.load()),
            (_, None) => unreachable!("with_compiled: `f` ran, so its result was returned"),
        }
    }

    /// The node deciding for `target` in `compiled`, remembering its level in the level cache
    /// unless the cache already held it (`cached`).
    #[inline]
    fn decide(&self, hash: u64, target: &str, compiled: &Compiled, cached: bool) -> usize {
        let index = compiled.resolve(hash, target, &self.shared.seen);
        if !cached {
            self.shared
                .levels
                .put(hash, compiled.generation, compiled.nodes[index].level);
        }
        index
    }
}

impl log::Log for DynamicLogger {
    #[inline]
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let hash = fx_hash(metadata.target().as_bytes());
        if let Some(level) = self.shared.levels.get(hash) {
            return level.allows(metadata.level());
        }
        self.with_compiled(|compiled| {
            let index = self.decide(hash, metadata.target(), compiled, false);
            compiled.nodes[index].level.allows(metadata.level())
        })
    }

    #[inline]
    fn log(&self, record: &Record<'_>) {
        let level = record.level();
        let hash = fx_hash(record.target().as_bytes());
        let cached = self.shared.levels.get(hash);
        // The common case of a refused record ends here, without loading the config.
        if cached.is_some_and(|cached| !cached.allows(level)) {
            return;
        }
        self.with_compiled(|compiled| {
            // The level is checked again against the config that will handle the record, so a
            // record is checked and handled by one config even across an apply.
            let index = self.decide(hash, record.target(), compiled, cached.is_some());
            let node = &compiled.nodes[index];
            if !node.level.allows(level) {
                return;
            }
            let filters = &self.shared.filters;
            if !compiled
                .filters(index)
                .iter()
                .all(|&f| filters[f as usize].filter(record))
            {
                return;
            }
            for &h in compiled.chain(index) {
                let handler = &compiled.handlers[h as usize];
                if handler.level.allows(level)
                    && handler
                        .filters
                        .iter()
                        .all(|&f| filters[f as usize].filter(record))
                {
                    self.shared.handlers[h as usize].handle(record);
                }
            }
        })
    }

    fn flush(&self) {
        for slot in &self.shared.handlers {
            let _ = slot.handler.flush();
        }
    }
}

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
/// use dynlog_core::{DynamicLogger, LevelOrigin, LevelSource, LoggingConfig, NullHandler};
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

/// Node indices are `u16` in the target cache; configs are far smaller than this.
const MAX_NODES: usize = u16::MAX as usize;

/// A config resolved for the hot path: every logger's effective level and handler chain.
struct Compiled {
    /// The root at 0, then the configured loggers.
    nodes: Vec<Node>,
    /// Every node's name, one after the other.
    names: String,
    /// Every node's handler chain, one after the other.
    chains: Vec<u16>,
    /// Every node's filter chain, one after the other.
    filters: Vec<u16>,
    /// The configured loggers by name.
    index: NameIndex,
    handlers: Vec<CompiledHandler>,
    cache: TargetCache,
    max_level: LevelFilter,
    /// Which apply made it; 0 before the first.
    generation: u64,
}

struct Node {
    /// Its name in [`Compiled::names`].
    name: Span,
    level: Level,
    /// In [`Compiled::filters`]: the filters of this logger, then every configured ancestor's.
    filters: Span,
    /// In [`Compiled::chains`]: the handlers of this logger, then its ancestors' up to the first
    /// that does not propagate.
    chain: Span,
    /// What the config says of this logger, for rebuilding it; `None` for an unconfigured root.
    spec: Option<NodeSpec>,
}

/// A logger's own settings as configured (the effective ones are on the [`Node`]).
struct NodeSpec {
    level: Option<LoggerLevel>,
    /// Who set `level`, when it is set.
    set_by: LevelOrigin,
    /// How many of the chain's first handlers are the logger's own, if it lists handlers.
    handlers: Option<u16>,
    /// How many of the filter chain's first filters are the logger's own, if it lists filters.
    filters: Option<u16>,
    propagate: Option<bool>,
}

impl Node {
    fn root(
        level: Option<LoggerLevel>,
        filters: Span,
        chain: Span,
        spec: Option<NodeSpec>,
    ) -> Node {
        Node {
            name: Span::EMPTY,
            // The root at `notset` has nothing to inherit: everything passes, as in Python.
            level: level.map_or(DEFAULT_ROOT_LEVEL, LoggerLevel::or_trace),
            filters,
            chain,
            spec,
        }
    }
}

/// Sorted, deduplicated names from two sorted key sets.
fn sorted_union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> Vec<&'a str> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut out = Vec::with_capacity(a.size_hint().0 + b.size_hint().0);
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(x), Some(y)) if x > y => b.next(),
            (Some(_), Some(_)) => {
                b.next();
                a.next()
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next.map(String::as_str));
    }
    out
}

struct CompiledHandler {
    level: Level,
    filters: Box<[u16]>,
    /// The configured level and whether filters were listed, for rebuilding the config.
    spec: Option<(Option<Level>, bool)>,
}

/// The configured logger nearest above `name` (not `name` itself), as `get` finds them.
fn nearest(get: impl Fn(&str) -> Option<usize>, name: &str) -> Option<usize> {
    let mut prefix = name;
    while let Some(cut) = last_separator(prefix) {
        prefix = &prefix[..cut];
        if let Some(i) = get(prefix) {
            return Some(i);
        }
    }
    None
}

/// A range of an arena of [`Compiled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    const EMPTY: Span = Span { start: 0, end: 0 };

    fn new(start: usize, end: usize) -> Span {
        // Bodies are at most MAX_BODY bytes, so arenas stay far below u32::MAX.
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    #[inline]
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Configured loggers by the hash of their name, checked against the name itself; names whose
/// hash another name already has (never seen, but possible) are kept aside and scanned.
#[derive(Default)]
struct NameIndex {
    by_hash: FxMap<u64, u16>,
    collided: Vec<u16>,
}

impl NameIndex {
    fn with_capacity(n: usize) -> Self {
        NameIndex {
            by_hash: FxMap::with_capacity_and_hasher(n, Default::default()),
            collided: Vec::new(),
        }
    }

    #[inline]
    fn get(&self, name: &str, arena: &str, nodes: &[Node]) -> Option<usize> {
        self.get_hashed(fx_hash(name.as_bytes()), name, arena, nodes)
    }

    #[inline]
    fn get_hashed(&self, hash: u64, name: &str, arena: &str, nodes: &[Node]) -> Option<usize> {
        let name_of = |i: usize| &arena[nodes[i].name.range()];
        if let Some(&i) = self.by_hash.get(&hash)
            && name_of(i as usize) == name
        {
            return Some(i as usize);
        }
        self.collided
            .iter()
            .map(|&i| i as usize)
            .find(|&i| name_of(i) == name)
    }

    fn insert(&mut self, name: &str, at: usize, arena: &str, nodes: &[Node]) {
        self.insert_hashed(fx_hash(name.as_bytes()), name, at, arena, nodes);
    }

    fn insert_hashed(&mut self, hash: u64, name: &str, at: usize, arena: &str, nodes: &[Node]) {
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(at as u16);
            }
            std::collections::hash_map::Entry::Occupied(taken) => {
                debug_assert_ne!(&arena[nodes[*taken.get() as usize].name.range()], name);
                self.collided.push(at as u16);
            }
        }
    }
}

/// Where the last `::` of `name` starts, by a byte scan (`rfind("::")` builds a substring
/// searcher on every call, which dominated compiling a config).
fn last_separator(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    (1..bytes.len())
        .rev()
        .find(|&i| bytes[i] == b':' && bytes[i - 1] == b':')
        .map(|i| i - 1)
}

impl Compiled {
    fn empty() -> Self {
        Compiled {
            nodes: vec![Node::root(
                Some(LoggerLevel::Set(Level::Off)),
                Span::EMPTY,
                Span::EMPTY,
                None,
            )],
            names: String::new(),
            chains: Vec::new(),
            filters: Vec::new(),
            index: NameIndex::default(),
            handlers: Vec::new(),
            cache: TargetCache::new(),
            max_level: LevelFilter::Off,
            generation: 0,
        }
    }

    /// Node `i`'s name.
    #[inline]
    fn name(&self, i: usize) -> &str {
        &self.names[self.nodes[i].name.range()]
    }

    /// The names of the loggers the config sets (an unconfigured root is not one).
    fn configured(&self) -> impl Iterator<Item = &str> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].spec.is_some())
            .map(|i| self.name(i))
    }

    /// Node `i`'s handler chain.
    #[inline]
    fn chain(&self, i: usize) -> &[u16] {
        &self.chains[self.nodes[i].chain.range()]
    }

    /// Node `i`'s filter chain: its own filters, then its configured ancestors'.
    #[inline]
    fn filters(&self, i: usize) -> &[u16] {
        &self.filters[self.nodes[i].filters.range()]
    }

    /// What decides the level of `target`, for which node `index` decides: the node's own level
    /// if `target` is that node and sets one, else the nearest node at or above it that does.
    fn level_source(&self, target: &str, index: usize) -> LevelSource {
        let mut i = index;
        let (holder, set_by) = loop {
            let own = self.nodes[i]
                .spec
                .as_ref()
                .and_then(|s| Some((s.level?, s.set_by)));
            match own {
                Some((LoggerLevel::Set(_), by)) => break (i, by),
                // The root at `notset` lets everything through, by its own setting.
                Some((LoggerLevel::Inherit, by)) if i == 0 => break (0, by),
                _ if i == 0 => break (0, LevelOrigin::Default),
                _ => i = nearest(|p| self.get(p), self.name(i)).unwrap_or(0),
            }
        };
        if holder == index && self.name(index) == target {
            return match set_by {
                LevelOrigin::Baseline => LevelSource::Baseline,
                LevelOrigin::Config => LevelSource::Config,
                LevelOrigin::Default => LevelSource::Default,
            };
        }
        LevelSource::Parent {
            ancestor: self.name(holder).to_string(),
            set_by,
        }
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name, &self.names, &self.nodes)
    }

    /// The node deciding for `target`, walking `::` segments up to the root.
    fn find(&self, target: &str) -> usize {
        self.get(target)
            .or_else(|| nearest(|p| self.get(p), target))
            .unwrap_or(0)
    }

    /// [`Compiled::find`] through the cache: the hot path's one lookup.
    #[inline]
    fn resolve(&self, hash: u64, target: &str, seen: &SeenTargets) -> usize {
        if let Some(i) = self.cache.get(hash) {
            // A 48-bit tag collision is astronomically rare; the prefix check makes it harmless
            // for all but a nested configured logger, which it would still route sensibly.
            if is_segment_prefix(self.name(i), target) {
                return i;
            }
        }
        let i = self.find(target);
        // Only cache a target once it is remembered, so a target that could not be recorded
        // (the set was busy) comes back here and is recorded later.
        if seen.record(target) {
            self.cache.put(hash, i);
        }
        i
    }
}

fn is_segment_prefix(prefix: &str, target: &str) -> bool {
    prefix.is_empty()
        || (target.starts_with(prefix)
            && (target.len() == prefix.len() || target[prefix.len()..].starts_with("::")))
}

/// A lock-free, direct-mapped cache from a target's hash to the index of its deciding node.
///
/// Each slot is one `AtomicU64`: the hash's top 48 bits as a tag and the node index plus one in
/// the low 16 bits (0 is empty). A slot is written whole, so a reader sees an old entry, a new
/// one or nothing, never a torn mix. Two hot targets sharing a slot take turns: both stay
/// correct, one just walks the segments.
struct TargetCache {
    slots: Box<[AtomicU64]>,
}

const CACHE_SLOTS: usize = 1024;

impl TargetCache {
    fn new() -> Self {
        TargetCache {
            slots: (0..CACHE_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    #[inline]
    fn get(&self, hash: u64) -> Option<usize> {
        // Relaxed: the entry is self-contained, and the nodes it indexes were published with
        // the `Compiled` that owns this cache (through the ArcSwap's acquire).
        let entry = self.slots[hash as usize % CACHE_SLOTS].load(Ordering::Relaxed);
        (entry != 0 && entry >> 16 == hash >> 16).then(|| (entry & 0xFFFF) as usize - 1)
    }

    fn put(&self, hash: u64, index: usize) {
        let entry = (hash & !0xFFFF) | (index as u64 + 1);
        // Relaxed: see `get`.
        self.slots[hash as usize % CACHE_SLOTS].store(entry, Ordering::Relaxed);
    }
}

/// A lock-free, direct-mapped cache from a target's hash to its effective level in one
/// generation of the config.
///
/// Each slot is one `AtomicU64`: `[tag: 37 bits | generation: 24 bits | level + 1: 3 bits]`, the
/// tag being the hash's top bits and the slot its low bits (47 bits of the hash in all). An
/// entry of another generation is ignored, so an apply invalidates every entry at once by
/// advancing the generation; when the 24-bit generation wraps, the slots are cleared so an old
/// entry can never pass for a new one.
struct LevelCache {
    slots: Box<[AtomicU64]>,
    generation: AtomicU64,
}

const GENERATION_BITS: u32 = 24;
const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;
const TAG_MASK: u64 = !((1 << 27) - 1);

impl LevelCache {
    fn new() -> Self {
        LevelCache {
            slots: (0..CACHE_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            generation: AtomicU64::new(0),
        }
    }

    #[inline]
    fn get(&self, hash: u64) -> Option<Level> {
        // Relaxed loads: an entry is a plain value, valid only with its own generation. A reader
        // that sees a stale generation number refuses or admits by that config, which was in
        // force an instant ago; the record is then checked again by the config that handles it.
        let generation = self.generation.load(Ordering::Relaxed) & GENERATION_MASK;
        let entry = self.slots[hash as usize % CACHE_SLOTS].load(Ordering::Relaxed);
        let level = (entry & 0b111) as usize;
        (level != 0
            && entry & TAG_MASK == hash & TAG_MASK
            && (entry >> 3) & GENERATION_MASK == generation)
            .then(|| Level::ALL[level - 1])
    }

    #[inline]
    fn put(&self, hash: u64, generation: u64, level: Level) {
        let level = Level::ALL.iter().position(|&l| l == level).unwrap_or(0) as u64 + 1;
        let entry = (hash & TAG_MASK) | ((generation & GENERATION_MASK) << 3) | level;
        // Relaxed: see `get`.
        self.slots[hash as usize % CACHE_SLOTS].store(entry, Ordering::Relaxed);
    }

    /// Makes `generation` current (called under the apply lock).
    fn advance(&self, generation: u64) {
        // Relaxed: see `get`; the config itself is published by the ArcSwap.
        self.generation.store(generation, Ordering::Relaxed);
        if generation & GENERATION_MASK == 0 {
            for slot in self.slots.iter() {
                slot.store(0, Ordering::Relaxed);
            }
        }
    }
}

/// Targets seen at runtime, for suggestions. Recording never waits: when the set is busy the
/// caller is told, and tries again at its next record.
struct SeenTargets {
    capacity: usize,
    set: Mutex<BTreeSet<String>>,
}

impl SeenTargets {
    fn new(capacity: usize) -> Self {
        SeenTargets {
            capacity,
            set: Mutex::new(BTreeSet::new()),
        }
    }

    /// Whether `target` is now remembered (or the set is full, which is final).
    fn record(&self, target: &str) -> bool {
        let Ok(mut set) = self.set.try_lock() else {
            return false;
        };
        if set.len() < self.capacity && !set.contains(target) {
            set.insert(target.to_string());
        }
        true
    }

    fn list(&self) -> Vec<String> {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

const FX_K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash (rustc's hasher) steps over bytes, eight at a time. The tail is read as one
/// overlapping word (or two overlapping halves), never copied byte by byte.
#[inline]
fn fx_mix(mut hash: u64, bytes: &[u8]) -> u64 {
    let step = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(FX_K);
    let word =
        |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
    let half = |b: &[u8], at: usize| {
        u64::from(u32::from_le_bytes(
            b[at..at + 4].try_into().unwrap_or_default(),
        ))
    };
    let len = bytes.len();
    if len >= 8 {
        let mut at = 0;
        while at + 8 < len {
            hash = step(hash, word(bytes, at));
            at += 8;
        }
        step(hash, word(bytes, len - 8))
    } else if len >= 4 {
        step(hash, half(bytes, 0) | half(bytes, len - 4) << 32)
    } else if len > 0 {
        let (a, b, c) = (bytes[0], bytes[len / 2], bytes[len - 1]);
        step(hash, u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16)
    } else {
        hash
    }
}

/// FxHash of a target with a final mix, so the cache's slot bits and tag bits both depend on
/// every byte: a few nanoseconds for a module path, against SipHash's tens.
#[inline]
fn fx_hash(bytes: &[u8]) -> u64 {
    let mut hash = fx_mix(bytes.len() as u64, bytes);
    hash ^= hash >> 29;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^ (hash >> 32)
}

/// FxHash for the name map of the slow path.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fx_mix(self.0, bytes);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_whose_hashes_collide_are_still_found() {
        let arena = "ab";
        let node = |start, end| Node {
            name: Span::new(start, end),
            ..Node::root(None, Span::EMPTY, Span::EMPTY, None)
        };
        let nodes = [node(0, 1), node(1, 2)];
        let mut index = NameIndex::default();
        index.insert_hashed(7, "a", 0, arena, &nodes);
        index.insert_hashed(7, "b", 1, arena, &nodes);
        assert_eq!(index.get_hashed(7, "a", arena, &nodes), Some(0));
        assert_eq!(index.get_hashed(7, "b", arena, &nodes), Some(1));
        assert_eq!(index.get_hashed(7, "c", arena, &nodes), None);
        assert_eq!(index.get_hashed(8, "a", arena, &nodes), None);
    }
    use crate::handler::MemoryHandler;
    use log::Log;

    fn emit(logger: &DynamicLogger, level: log::Level, target: &str, message: &str) {
        logger.log(
            &Record::builder()
                .level(level)
                .target(target)
                .args(format_args!("{message}"))
                .build(),
        );
    }

    struct World {
        logger: DynamicLogger,
        console: MemoryHandler,
        file: MemoryHandler,
        mail: MemoryHandler,
    }

    /// The seed's test baseline: root on console at info, `myapp` on file at warn.
    fn world(baseline: &str) -> World {
        let (console, file, mail) = (
            MemoryHandler::new(1000),
            MemoryHandler::new(1000),
            MemoryHandler::new(1000),
        );
        let logger = DynamicLogger::builder()
            .handler("console", console.clone())
            .handler("file", file.clone())
            .handler("mail", mail.clone())
            .filter("polite", |r: &Record<'_>| {
                !r.args().to_string().contains("damn")
            })
            .filter("no_static", |r: &Record<'_>| {
                !r.args().to_string().starts_with("GET /static")
            })
            .baseline_json(baseline)
            .unwrap()
            .build()
            .unwrap();
        World {
            logger,
            console,
            file,
            mail,
        }
    }

    const BASELINE: &str = r#"{"loggers": {"": {"level": "info", "handlers": ["console"]},
                                            "myapp": {"level": "warn", "handlers": ["file"]}}}"#;

    fn config(json: &str) -> LoggingConfig {
        LoggingConfig::from_json(json).unwrap()
    }

    #[test]
    fn baseline_routes_by_nearest_logger() {
        let w = world(BASELINE);
        emit(&w.logger, log::Level::Info, "other::thing", "root info");
        emit(&w.logger, log::Level::Debug, "other", "root debug");
        emit(&w.logger, log::Level::Info, "myapp::db", "myapp info");
        emit(&w.logger, log::Level::Warn, "myapp::db", "myapp warn");
        emit(&w.logger, log::Level::Warn, "myappx", "not a child");
        assert_eq!(
            w.console.messages(),
            ["root info", "myapp warn", "not a child"]
        );
        assert_eq!(w.file.messages(), ["myapp warn"]);
    }

    #[test]
    fn config_loggers_get_exactly_their_handlers() {
        let w = world(BASELINE);
        w.logger
            .apply(&config(r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["mail"], "propagate": false}}}"#))
            .unwrap();
        emit(
            &w.logger,
            log::Level::Debug,
            "myapp::import::csv",
            "imported",
        );
        assert_eq!(w.mail.messages(), ["imported"]);
        assert!(w.file.messages().is_empty() && w.console.messages().is_empty());
    }

    #[test]
    fn propagation_goes_up_until_propagate_false_and_never_twice() {
        let w = world(BASELINE);
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["mail", "file"]}}}"#,
            ))
            .unwrap();
        emit(&w.logger, log::Level::Debug, "myapp::import", "once each");
        assert_eq!(w.mail.messages(), ["once each"]);
        assert_eq!(
            w.file.messages(),
            ["once each"],
            "file is on the logger and its parent: one write"
        );
        assert_eq!(
            w.console.messages(),
            ["once each"],
            "myapp propagates to the root"
        );
        w.logger
            .apply(&config(r#"{"loggers": {"myapp": {"propagate": false}}}"#))
            .unwrap();
        emit(&w.logger, log::Level::Error, "myapp::x", "stops at myapp");
        assert_eq!(w.file.messages().last().unwrap(), "stops at myapp");
        assert_eq!(w.console.messages().len(), 1);
    }

    #[test]
    fn handler_gets_a_record_only_when_logger_and_handler_levels_allow() {
        let w = world(BASELINE);
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp": {"level": "debug"}}, "handlers": {"console": {"level": "warn"}}}"#,
            ))
            .unwrap();
        emit(&w.logger, log::Level::Debug, "myapp", "debug");
        emit(&w.logger, log::Level::Warn, "myapp", "warn");
        emit(&w.logger, log::Level::Trace, "myapp", "trace");
        assert_eq!(w.file.messages(), ["debug", "warn"]);
        assert_eq!(w.console.messages(), ["warn"]);
    }

    #[test]
    fn logger_and_handler_filters_apply() {
        let w = world(BASELINE);
        w.logger
            .apply(&config(
                r#"{"loggers": {"web": {"level": "info", "filters": ["polite"]}},
                    "handlers": {"console": {"filters": ["no_static"]}}}"#,
            ))
            .unwrap();
        emit(&w.logger, log::Level::Info, "web::req", "damn it");
        emit(
            &w.logger,
            log::Level::Info,
            "web::req",
            "GET /static/app.css",
        );
        emit(&w.logger, log::Level::Info, "web::req", "GET /api");
        emit(&w.logger, log::Level::Info, "other", "damn fine");
        assert_eq!(w.console.messages(), ["GET /api", "damn fine"]);
    }

    #[test]
    fn applying_the_baseline_again_reverses_a_config_and_empty_leaves_it() {
        let w = world(BASELINE);
        let before = w.logger.current_config();
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp": {"level": "trace", "handlers": ["mail"]}}}"#,
            ))
            .unwrap();
        assert_eq!(w.logger.effective_level("myapp::db"), Level::Trace);
        w.logger.apply_baseline().unwrap();
        assert_eq!(w.logger.current_config(), before);
        assert_eq!(w.logger.effective_level("myapp::db"), Level::Warn);
        w.logger.apply(&LoggingConfig::default()).unwrap();
        assert_eq!(w.logger.current_config(), before);
        emit(&w.logger, log::Level::Trace, "myapp", "quiet");
        assert!(w.mail.messages().is_empty() && w.file.messages().is_empty());
    }

    #[test]
    fn levels_inherit_from_the_nearest_configured_ancestor() {
        let w = world(BASELINE);
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp::db::pool": {"handlers": ["mail"]}}}"#,
            ))
            .unwrap();
        assert_eq!(
            w.logger.effective_level("myapp::db::pool::conn"),
            Level::Warn
        );
        assert_eq!(w.logger.effective_level(""), Level::Info);
        assert_eq!(w.logger.effective_level("zzz"), Level::Info);
        let view = w.logger.logger_view("myapp::db::pool::conn");
        assert_eq!(view.logger, "myapp::db::pool");
        assert_eq!(view.handlers, ["mail", "file", "console"]);
        assert_eq!(view.configured_level, None);
        // Without a root level, the root is at warn, as in Python.
        let bare = world("{}");
        assert_eq!(bare.logger.effective_level("x"), Level::Warn);
    }

    #[test]
    fn invalid_configs_are_refused_and_nothing_changes() {
        let w = world(BASELINE);
        let before = w.logger.current_config();
        let generation = w.logger.generation();
        let err = w
            .logger
            .apply(&config(r#"{"loggers": {"a": {"handlers": ["fil"]}}}"#))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown handler "fil" in logger "a" (known: console, file, mail)"#
        );
        assert_eq!(w.logger.current_config(), before);
        assert_eq!(w.logger.generation(), generation);
        let err = DynamicLogger::builder()
            .baseline_spec("info")
            .unwrap()
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::UnknownHandler { .. }),
            "the spec's root uses console: {err}"
        );
    }

    #[test]
    fn max_level_is_the_loudest_anything_can_emit() {
        let w = world(BASELINE);
        assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Info);
        w.logger
            .apply(&config(r#"{"loggers": {"myapp::x": {"level": "trace"}}}"#))
            .unwrap();
        assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Trace);
        // A verbose logger whose handlers are all quieter cannot emit at its level.
        w.logger.apply(&config(r#"{"handlers": {"console": {"level": "error"}, "file": {"level": "warn"}}, "loggers": {"myapp::x": {"level": "trace"}}}"#)).unwrap();
        assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Warn);
        w.logger
            .apply(&config(
                r#"{"loggers": {"": {"handlers": []}, "myapp": {"handlers": []}}}"#,
            ))
            .unwrap();
        assert_eq!(w.logger.shared.current.load().max_level, LevelFilter::Off);
    }

    #[test]
    fn a_spec_over_a_baseline_keeps_the_roots_handlers() {
        let w = world(BASELINE);
        let logger = DynamicLogger::builder()
            .handler("console", w.console.clone())
            .handler("file", w.file.clone())
            .baseline_json(BASELINE)
            .unwrap()
            .baseline_spec("warn,myapp=debug")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            logger.baseline().loggers[""].handlers.as_deref(),
            Some(&["console".to_string()][..])
        );
        assert_eq!(
            logger.baseline().loggers[""].level,
            Some(Level::Warn.into())
        );
        assert_eq!(logger.effective_level("myapp"), Level::Debug);
    }

    #[test]
    fn spec_parsing() {
        let spec = parse_spec("info, myapp::db=debug,hyper=WARNING,quiet").unwrap();
        assert_eq!(spec.loggers[""].level, Some(Level::Info.into()));
        assert_eq!(
            spec.loggers[""].handlers.as_deref(),
            Some(&["console".to_string()][..])
        );
        assert_eq!(spec.loggers["myapp::db"].level, Some(Level::Debug.into()));
        assert_eq!(spec.loggers["hyper"].level, Some(Level::Warn.into()));
        assert_eq!(spec.loggers["quiet"].level, Some(Level::Trace.into()));
        let err = parse_spec("info,a=loud").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"invalid logging spec "info,a=loud": invalid level "loud""#),
            "{err}"
        );
        assert!(parse_spec("a b=info").is_err());
        assert!(parse_spec("").unwrap().is_empty());
    }

    #[test]
    fn hooks_run_after_each_apply_and_unknown_names_fail() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let logger = DynamicLogger::builder()
            .handler("console", MemoryHandler::new(10))
            .hook(
                "db_debug",
                move |config: &LoggingConfig, logger: &DynamicLogger| {
                    let on = logger.effective_level("diesel") >= Level::Debug;
                    record.lock().unwrap().push((config.loggers.len(), on));
                },
            )
            .hook("never", |_: &LoggingConfig, _: &DynamicLogger| {
                panic!("not enabled")
            })
            .enable_hooks(["db_debug"])
            .build()
            .unwrap();
        logger
            .apply(&config(r#"{"loggers": {"diesel": {"level": "debug"}}}"#))
            .unwrap();
        logger.apply_baseline().unwrap();
        assert_eq!(*seen.lock().unwrap(), [(0, false), (1, true), (0, false)]);
        let err = DynamicLogger::builder()
            .hook("db_debug", |_: &LoggingConfig, _: &DynamicLogger| {})
            .enable_hooks(["db_debgu"])
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown hook "db_debgu" (known: db_debug)"#
        );
    }

    #[test]
    fn preview_shows_changes_without_applying() {
        let w = world(BASELINE);
        let generation = w.logger.generation();
        let preview = w
            .logger
            .preview(&config(r#"{"loggers": {"myapp": {"level": "debug"}}, "handlers": {"console": {"level": "error"}}}"#))
            .unwrap();
        assert_eq!(w.logger.generation(), generation);
        assert_eq!(preview.loggers.len(), 1);
        assert_eq!(preview.loggers[0].name, "myapp");
        assert_eq!(
            (
                preview.loggers[0].before.level,
                preview.loggers[0].after.level
            ),
            (Level::Warn, Level::Debug)
        );
        assert_eq!(preview.handlers.len(), 1);
        assert_eq!(
            (
                preview.handlers[0].before.level,
                preview.handlers[0].after.level
            ),
            (Level::Trace, Level::Error)
        );
        assert!(
            w.logger
                .preview(&LoggingConfig::default())
                .unwrap()
                .is_empty()
        );
        assert!(
            w.logger
                .preview(&config(r#"{"loggers": {"a": {"filters": ["rude"]}}}"#))
                .is_err()
        );
    }

    #[test]
    fn seen_targets_are_remembered_and_bounded() {
        let w = world(BASELINE);
        for target in ["b::x", "a", "b::x", "c"] {
            emit(&w.logger, log::Level::Trace, target, "m");
        }
        assert_eq!(w.logger.seen_targets(), ["a", "b::x", "c"]);
        let small = DynamicLogger::builder()
            .remember_targets(2)
            .build()
            .unwrap();
        for target in ["a", "b", "c"] {
            emit(&small, log::Level::Error, target, "m");
        }
        assert_eq!(small.seen_targets().len(), 2);
    }

    #[test]
    fn loggers_no_target_falls_under_are_named_with_the_closest_seen_name() {
        let w = world(BASELINE);
        for target in ["dynlog_testapp::jobs::import", "myapp::db"] {
            emit(&w.logger, log::Level::Error, target, "m");
        }
        let body = config(
            r#"{"loggers": {"": {"level": "info"}, "dynlog_testapp::jobs": {"level": "debug"},
                "dynlog_testap::jobs": {"level": "debug"}, "myapp::db::pool": {"level": "debug"},
                "myapp::d": {"level": "debug"}, "zzz::qqq": {"level": "debug"}}}"#,
        );
        let unmatched = w.logger.unmatched_loggers(&body);
        let found: Vec<(&str, Option<&str>)> = unmatched
            .iter()
            .map(|u| (u.name.as_str(), u.closest.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("dynlog_testap::jobs", Some("dynlog_testapp::jobs")),
                ("myapp::d", Some("myapp::db")),
                ("myapp::db::pool", Some("myapp::db")),
                ("zzz::qqq", None),
            ]
        );
        assert!(
            unmatched[0]
                .to_string()
                .contains("did you mean \"dynlog_testapp::jobs\"")
        );
    }

    #[test]
    fn cache_stays_right_across_applies() {
        let w = world(BASELINE);
        for _ in 0..3 {
            emit(&w.logger, log::Level::Debug, "myapp::db", "hidden");
        }
        w.logger
            .apply(&config(r#"{"loggers": {"myapp::db": {"level": "debug"}}}"#))
            .unwrap();
        emit(&w.logger, log::Level::Debug, "myapp::db", "shown");
        assert_eq!(w.file.messages(), ["shown"]);
    }

    #[test]
    fn known_targets_are_the_seen_and_the_configured_once_each() {
        let w = world(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}, "myapp": {"level": "warn"}}}"#,
        );
        w.logger
            .apply(&config(r#"{"loggers": {"other::db": {"level": "debug"}}}"#))
            .unwrap();
        for target in ["myapp", "zeta::x", "myapp"] {
            log::Log::log(
                &w.logger,
                &Record::builder()
                    .level(log::Level::Error)
                    .target(target)
                    .args(format_args!("x"))
                    .build(),
            );
        }
        assert_eq!(
            w.logger.known_targets(),
            ["", "myapp", "other::db", "zeta::x"]
        );
    }

    #[test]
    fn current_config_is_the_baseline_with_the_overlay() {
        let w = world(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}, "myapp": {"handlers": ["file"], "filters": []}},
                "handlers": {"mail": {"level": "error", "filters": ["polite"]}}}"#,
        );
        let over = config(
            r#"{"loggers": {"myapp": {"level": "debug", "propagate": false}, "web::req": {"filters": ["polite", "no_static"]}},
                "handlers": {"console": {"level": "warn"}, "mail": {"filters": []}}}"#,
        );
        w.logger.apply(&over).unwrap();
        assert_eq!(
            w.logger.current_config(),
            w.logger.baseline().overlay(&over)
        );
        w.logger.apply_baseline().unwrap();
        assert_eq!(&w.logger.current_config(), w.logger.baseline());
    }

    #[test]
    fn notset_takes_the_parents_level_even_where_the_baseline_sets_one() {
        let w = world(BASELINE);
        w.logger
            .apply(&config(r#"{"loggers": {"myapp": {"level": "NOTSET"}}}"#))
            .unwrap();
        assert_eq!(w.logger.effective_level("myapp"), Level::Info);
        assert_eq!(w.logger.effective_level("myapp::db"), Level::Info);
        emit(
            &w.logger,
            log::Level::Info,
            "myapp::db",
            "now at the root's info",
        );
        assert_eq!(w.file.messages(), ["now at the root's info"]);
        // The handlers the baseline gives `myapp` stay: only its level was named.
        assert_eq!(
            w.logger.current_config().loggers["myapp"],
            LoggerSpec {
                level: Some(LoggerLevel::Inherit),
                handlers: Some(vec!["file".into()]),
                ..LoggerSpec::default()
            }
        );
        // A level left out keeps the baseline's.
        w.logger
            .apply(&config(r#"{"loggers": {"myapp": {"handlers": ["mail"]}}}"#))
            .unwrap();
        assert_eq!(w.logger.effective_level("myapp::db"), Level::Warn);
        // `inherit` under a `notset` logger goes on up to the nearest level.
        w.logger
            .apply(&config(
                r#"{"loggers": {"": {"level": "error"}, "myapp": {"level": "inherit"}, "myapp::db": {"level": "notset"}}}"#,
            ))
            .unwrap();
        assert_eq!(w.logger.effective_level("myapp::db::pool"), Level::Error);
        // The root has no parent: at `notset` it lets everything through, as Python's does.
        w.logger
            .apply(&config(r#"{"loggers": {"": {"level": "notset"}}}"#))
            .unwrap();
        assert_eq!(w.logger.effective_level("other"), Level::Trace);
        assert_eq!(w.logger.effective_level("myapp"), Level::Warn);
    }

    #[test]
    fn level_source_names_baseline_config_or_the_ancestor() {
        let w = world(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"]},
                            "myapp": {"level": "warn", "handlers": ["file"]},
                            "myapp::db": {"handlers": ["mail"]}}}"#,
        );
        let source = |target: &str| w.logger.logger_view(target).source;
        assert_eq!(source(""), LevelSource::Baseline);
        assert_eq!(source("myapp"), LevelSource::Baseline);
        let from_myapp = LevelSource::Parent {
            ancestor: "myapp".into(),
            set_by: LevelOrigin::Baseline,
        };
        assert_eq!(source("myapp::db"), from_myapp, "configured, with no level");
        assert_eq!(source("myapp::db::pool"), from_myapp, "not configured");
        assert_eq!(source("myapp::web"), from_myapp);
        assert_eq!(
            source("other"),
            LevelSource::Parent {
                ancestor: String::new(),
                set_by: LevelOrigin::Baseline
            }
        );
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp": {"level": "notset"}, "myapp::db": {"level": "debug"}, "": {"level": "error"}}}"#,
            ))
            .unwrap();
        assert_eq!(source("myapp::db"), LevelSource::Config);
        assert_eq!(
            source("myapp::db::pool"),
            LevelSource::Parent {
                ancestor: "myapp::db".into(),
                set_by: LevelOrigin::Config
            }
        );
        let view = w.logger.logger_view("myapp");
        assert_eq!(view.configured_level, Some(LoggerLevel::Inherit));
        assert_eq!(view.level, Level::Error);
        assert_eq!(
            view.source,
            LevelSource::Parent {
                ancestor: String::new(),
                set_by: LevelOrigin::Config
            }
        );
        assert_eq!(view.source.to_string(), "inherited from root (config)");
        assert_eq!(
            serde_json::to_value(&view.source).unwrap(),
            serde_json::json!({"by": "parent", "ancestor": "", "set_by": "config"})
        );
        // The preview says where the level came from before and after.
        let preview = w
            .logger
            .preview_from_baseline(&config(r#"{"loggers": {"myapp::db": {"level": "trace"}}}"#))
            .unwrap();
        let change = &preview.loggers[0];
        assert_eq!(change.name, "myapp::db");
        assert_eq!(change.before.source, from_myapp);
        assert_eq!(change.after.source, LevelSource::Config);
        // No root level anywhere: Python's default.
        let bare = world(r#"{"loggers": {"": {"handlers": ["console"]}}}"#);
        assert_eq!(bare.logger.logger_view("").source, LevelSource::Default);
        assert_eq!(
            bare.logger.logger_view("x").source,
            LevelSource::Parent {
                ancestor: String::new(),
                set_by: LevelOrigin::Default
            }
        );
    }

    #[test]
    fn a_root_filter_keeps_dropping_a_childs_records_while_a_config_raises_the_child() {
        let w = world(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"], "filters": ["polite"]},
                            "myapp": {"level": "warn", "handlers": ["file"], "filters": ["no_static"]}}}"#,
        );
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp::work": {"level": "debug", "handlers": ["mail"], "filters": []}}}"#,
            ))
            .unwrap();
        for message in ["damn secret", "GET /static/x", "fine"] {
            emit(&w.logger, log::Level::Debug, "myapp::work::job", message);
        }
        assert_eq!(w.mail.messages(), ["fine"]);
        assert_eq!(w.file.messages(), ["fine"]);
        assert_eq!(w.console.messages(), ["fine"]);
        let view = w.logger.logger_view("myapp::work::job");
        assert_eq!(view.filters, ["no_static", "polite"]);
        // The config's own list stays its own: an empty list, not its ancestors'.
        assert_eq!(
            w.logger.current_config().loggers["myapp::work"].filters,
            Some(vec![])
        );
        // A logger that does not propagate still passes its ancestors' filters.
        w.logger
            .apply(&config(
                r#"{"loggers": {"myapp::work": {"level": "debug", "handlers": ["mail"], "propagate": false}}}"#,
            ))
            .unwrap();
        emit(&w.logger, log::Level::Info, "myapp::work", "damn again");
        emit(&w.logger, log::Level::Info, "myapp::work", "fine again");
        assert_eq!(w.mail.messages(), ["fine", "fine again"]);
    }

    #[test]
    fn ancestor_filters_are_listed_once_and_previewed() {
        let w = world(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console"], "filters": ["polite"]},
                            "web": {"filters": ["no_static", "polite"]}}}"#,
        );
        assert_eq!(
            w.logger.logger_view("web::req").filters,
            ["no_static", "polite"]
        );
        let preview = w
            .logger
            .preview(&config(r#"{"loggers": {"": {"filters": []}}}"#))
            .unwrap();
        let changed: Vec<_> = preview.loggers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(changed, [""]);
        assert_eq!(preview.loggers[0].after.filters, Vec::<String>::new());
        emit(&w.logger, log::Level::Info, "web::req", "damn");
        emit(&w.logger, log::Level::Info, "web::req", "GET /api");
        assert_eq!(w.console.messages(), ["GET /api"]);
    }

    #[test]
    fn segment_prefixes() {
        assert!(is_segment_prefix("", "a"));
        assert!(is_segment_prefix("a::b", "a::b"));
        assert!(is_segment_prefix("a::b", "a::b::c"));
        assert!(!is_segment_prefix("a::b", "a::bc"));
        assert!(!is_segment_prefix("a::b", "a"));
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    #[test]
    fn level_cache_entries_live_one_generation_and_clear_on_wrap() {
        let cache = LevelCache::new();
        let hash = fx_hash(b"myapp::db");
        cache.advance(5);
        cache.put(hash, 5, Level::Debug);
        assert_eq!(cache.get(hash), Some(Level::Debug));
        assert_eq!(cache.get(fx_hash(b"myapp::dc")), None);
        cache.advance(6);
        assert_eq!(
            cache.get(hash),
            None,
            "a new generation invalidates every entry"
        );
        cache.put(hash, 5, Level::Trace);
        assert_eq!(
            cache.get(hash),
            None,
            "a late write for an old generation is ignored"
        );
        cache.put(hash, 1 << GENERATION_BITS, Level::Info);
        cache.advance(1 << GENERATION_BITS);
        assert_eq!(cache.get(hash), None, "the wrap clears the slots");
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn last_separator_finds_the_parent() {
        assert_eq!(last_separator("a::b::c"), Some(4));
        assert_eq!(last_separator("a::b"), Some(1));
        assert_eq!(last_separator("a"), None);
        assert_eq!(last_separator(""), None);
        assert_eq!(last_separator("ab::"), Some(2));
    }
}
