//! `log::Log`: what every record goes through. A refused record costs a hash and one relaxed
//! load; an enabled one a thread-local pointer check, a cached lookup and its handlers.

use log::{Metadata, Record};

use super::cache::fx_hash;
use super::compiled::Compiled;
use super::dynamic::DynamicLogger;

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
