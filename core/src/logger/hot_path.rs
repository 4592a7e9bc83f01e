//! `log::Log`: what every record goes through. A refused record costs a hash and one relaxed
//! load of the level cache, and one of the scope word; an enabled one a thread-local pointer
//! check, a cached lookup and its handlers.

use std::sync::atomic::Ordering;

use log::{Metadata, Record};

use super::cache::fx_hash;
use super::compiled::Compiled;
use super::dynamic::DynamicLogger;
use super::scoped::may_take;
use crate::level::Level;

impl DynamicLogger {
    /// The node deciding for `target` in `compiled`, remembering its level in the level cache
    /// unless the cache already held it (`cached`).
    #[inline]
    pub(super) fn decide(
        &self,
        hash: u64,
        target: &str,
        compiled: &Compiled,
        cached: bool,
    ) -> usize {
        let index = compiled.resolve(hash, target, &self.shared.seen);
        if !cached {
            self.shared
                .levels
                .put(hash, compiled.generation, compiled.nodes[index].level);
        }
        index
    }

    /// Handles `record` by `compiled`, whose node `index` decides it.
    #[inline]
    fn handle(&self, compiled: &Compiled, index: usize, record: &Record<'_>) {
        let level = record.level();
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
                self.shared.handlers[h as usize].handle(record, handler.budget);
            }
        }
    }

    /// What `log` does past its first check, out of line so that the refused record's path
    /// stays a small leaf: a record refused by the running config that no scoped config may
    /// take ends here; any other is decided and handled.
    #[inline(never)]
    fn log_slow(&self, record: &Record<'_>, hash: u64, cached: Option<Level>) {
        if cached.is_some_and(|cached| !cached.allows(record.level()))
            // Relaxed: see `Shared::scopes`.
            && !may_take(self.shared.scopes.load(Ordering::Relaxed), record)
        {
            return;
        }
        self.with_compiled(|compiled| {
            // A record matching a scoped config is decided and handled by that config's layer.
            // The level cache holds the running config's levels, so a layer never writes it.
            if !compiled.layers.is_empty()
                && let Some(layer) = compiled.layer_for(record)
            {
                let layer = &layer.compiled;
                let index = layer.resolve(hash, record.target(), &self.shared.seen);
                return self.handle(layer, index, record);
            }
            // The level is checked again against the config that will handle the record, so a
            // record is checked and handled by one config even across an apply.
            let index = self.decide(hash, record.target(), compiled, cached.is_some());
            self.handle(compiled, index, record);
        })
    }
}

impl log::Log for DynamicLogger {
    #[inline]
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let hash = fx_hash(metadata.target().as_bytes());
        // Relaxed: see `Shared::scopes`.
        if self.shared.scopes.load(Ordering::Relaxed) == 0
            && let Some(level) = self.shared.levels.get(hash)
        {
            return level.allows(metadata.level());
        }
        self.with_compiled(|compiled| {
            if let Some(layer) = compiled.layer_for_context() {
                let layer = &layer.compiled;
                let index = layer.resolve(hash, metadata.target(), &self.shared.seen);
                return layer.nodes[index].level.allows(metadata.level());
            }
            let index = self.decide(hash, metadata.target(), compiled, false);
            compiled.nodes[index].level.allows(metadata.level())
        })
    }

    #[inline]
    fn log(&self, record: &Record<'_>) {
        let hash = fx_hash(record.target().as_bytes());
        let cached = self.shared.levels.get(hash);
        // The common case of a refused record ends here, in a few instructions and without
        // loading the config, while no scoped config is active (the scope word is 0).
        // Relaxed: see `Shared::scopes`.
        if cached.is_some_and(|cached| !cached.allows(record.level()))
            && self.shared.scopes.load(Ordering::Relaxed) == 0
        {
            return;
        }
        self.log_slow(record, hash, cached);
    }

    fn flush(&self) {
        let compiled = self.shared.current.load();
        for (h, slot) in self.shared.handlers.iter().enumerate() {
            let _ = slot.flush(compiled.handlers.get(h).and_then(|c| c.budget));
        }
    }
}
