//! The logger and its lifecycle: install, apply (validate, compile, swap, `set_max_level`), hooks.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::cache::{LevelCache, SeenTargets};
use super::compiled::Compiled;
use super::{Filter, Hook};
use crate::error::{Error, Result};
use crate::handler::{HandlerSlot, HandlerStats};
use crate::level::Level;
use crate::model::{LoggingConfig, Registry};

/// A logger whose config changes at runtime: Python logging semantics on `log` targets.
///
/// Cheap to clone; clones share everything. It works without being installed (tests call
/// [`log::Log::log`] on it directly); [`DynamicLogger::install`] makes it the global logger.
#[derive(Clone)]
pub struct DynamicLogger {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) handlers: Vec<HandlerSlot>,
    pub(super) filters: Vec<Box<dyn Filter>>,
    pub(super) handler_index: BTreeMap<String, usize>,
    pub(super) filter_index: BTreeMap<String, usize>,
    /// Filter names by index.
    pub(super) filter_names: Vec<String>,
    pub(super) registry: Registry,
    /// The config in force. Logging threads only `load` it (through a thread-local cache);
    /// applies `store` a new one.
    pub(super) current: Arc<ArcSwap<Compiled>>,
    /// Each target's effective level, tagged with the generation it was computed for: lets a
    /// refused record return without touching `current`.
    pub(super) levels: LevelCache,
    /// The scope word of the config in force (`scoped::ScopeWord`): 0 while no scoped config
    /// is active, which is all a refused record asks of it. Relaxed: a logging thread that
    /// reads a word an instant old refuses or admits by the set of layers in force an instant
    /// ago, and the record is decided again by the config that handles it.
    pub(super) scopes: AtomicU64,
    pub(super) baseline: LoggingConfig,
    pub(super) hooks: Vec<(String, Hook)>,
    pub(super) seen: SeenTargets,
    /// Serializes applies, so the swap and `set_max_level` of one apply are not interleaved
    /// with another's. Never taken on the logging path.
    pub(super) apply_lock: Mutex<()>,
    pub(super) installed: AtomicBool,
    /// Run after each apply (`DynamicLogger::on_apply`); the lock also runs them one apply at
    /// a time, so the last to run saw the last config published.
    pub(super) listeners: Mutex<Vec<(String, Listener)>>,
}

/// Code an adapter runs after each apply, given the logger.
pub(super) type Listener = Arc<dyn Fn(&DynamicLogger) + Send + Sync>;

impl DynamicLogger {
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

    /// Validates `overlay` and applies it over the baseline. A config with a scope applies over
    /// the baseline to the records it matches, and the baseline alone to the others (a
    /// [`Controller`](crate::Controller) lays scoped configs over the running one with
    /// [`DynamicLogger::apply_scoped`]).
    pub fn apply(&self, overlay: &LoggingConfig) -> Result<()> {
        if !overlay.scope.is_empty() {
            return self.apply_scoped(&LoggingConfig::default(), std::slice::from_ref(overlay));
        }
        overlay.validate(&self.shared.registry)?;
        let compiled = self.compile(overlay);
        self.publish(compiled);
        Ok(())
    }

    /// Applies the baseline alone.
    pub fn apply_baseline(&self) -> Result<()> {
        self.apply(&LoggingConfig::default())
    }

    pub(super) fn publish(&self, mut compiled: Compiled) {
        let compiled = {
            let _guard = self
                .shared
                .apply_lock
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            compiled.generation = self.generation() + 1;
            compiled.scope_word = super::scoped::new_word(&compiled.layers);
            let compiled = Arc::new(compiled);
            // The swap is the linearization point: a record checked before it is handled
            // entirely by the old config, one checked after by the new one.
            self.shared.current.store(Arc::clone(&compiled));
            // Relaxed: see `Shared::scopes`.
            self.shared
                .scopes
                .store(compiled.scope_word, Ordering::Relaxed);
            self.shared.levels.advance(compiled.generation);
            // SeqCst pairs with `install`.
            if self.shared.installed.load(Ordering::SeqCst) {
                log::set_max_level(compiled.max_level);
            }
            compiled
        };
        self.tell_listeners();
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

    fn tell_listeners(&self) {
        let listeners = self
            .shared
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for (key, listener) in listeners.iter() {
            let run = std::panic::AssertUnwindSafe(|| listener(self));
            if std::panic::catch_unwind(run).is_err() {
                log::error!(target: "dynlog", "apply listener {key:?} panicked");
            }
        }
    }

    /// The effective level of a target now.
    pub fn effective_level(&self, target: &str) -> Level {
        let compiled = self.shared.current.load();
        compiled.nodes[compiled.find(target)].level
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

    /// Flushes every handler and stops their background work (a file handler's flusher), at
    /// the end of the program: nothing buffered is lost. Records logged afterwards are still
    /// written, unbuffered. [`Controller`](crate::Controller)'s drop calls it.
    pub fn shutdown(&self) {
        let compiled = self.shared.current.load();
        for (h, slot) in self.shared.handlers.iter().enumerate() {
            if let Err(error) = slot.shutdown(compiled.handlers.get(h).and_then(|c| c.budget)) {
                eprintln!(
                    "dynlog: handler {:?} could not flush at shutdown: {error}",
                    slot.name
                );
            }
        }
    }

    /// How each handler has fared: errors, records dropped over a budget, and the budget in
    /// force. A snapshot of counters that only grow, cheap enough for a metrics scrape.
    pub fn handler_stats(&self) -> Vec<HandlerStats> {
        let compiled = self.shared.current.load();
        self.shared
            .handlers
            .iter()
            .enumerate()
            .map(|(h, slot)| slot.stats(compiled.handlers.get(h).and_then(|c| c.budget)))
            .collect()
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
