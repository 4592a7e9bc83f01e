//! The lock-free caches in front of the compiled config: target to deciding node (per config),
//! target to level (per generation), the config itself (per thread), and the targets seen.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::hash::Hasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use arc_swap::cache::Cache;
use rustc_hash::FxHasher;

use super::compiled::Compiled;
use super::dynamic::DynamicLogger;
use crate::level::Level;

impl DynamicLogger {
    /// Runs `f` with the config in force, loaded through a thread-local `arc_swap::Cache`: a
    /// pointer comparison when the config has not changed since this thread last logged.
    #[inline]
    pub(super) fn with_compiled<R>(&self, f: impl FnOnce(&Compiled) -> R) -> R {
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
}

/// A lock-free, direct-mapped cache from a target's hash to the index of its deciding node.
///
/// Each slot is one `AtomicU64`: the hash's top 48 bits as a tag and the node index plus one in
/// the low 16 bits (0 is empty). A slot is written whole, so a reader sees an old entry, a new
/// one or nothing, never a torn mix. Two hot targets sharing a slot take turns: both stay
/// correct, one just walks the segments.
pub(super) struct TargetCache {
    pub(super) slots: Box<[AtomicU64]>,
}

pub(super) const CACHE_SLOTS: usize = 1024;

impl TargetCache {
    pub(super) fn new() -> Self {
        TargetCache {
            slots: (0..CACHE_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    #[inline]
    pub(super) fn get(&self, hash: u64) -> Option<usize> {
        // Relaxed: the entry is self-contained, and the nodes it indexes were published with
        // the `Compiled` that owns this cache (through the ArcSwap's acquire).
        let entry = self.slots[hash as usize % CACHE_SLOTS].load(Ordering::Relaxed);
        (entry != 0 && entry >> 16 == hash >> 16).then(|| (entry & 0xFFFF) as usize - 1)
    }

    pub(super) fn put(&self, hash: u64, index: usize) {
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
pub(super) struct LevelCache {
    pub(super) slots: Box<[AtomicU64]>,
    pub(super) generation: AtomicU64,
}

pub(super) const GENERATION_BITS: u32 = 24;
pub(super) const GENERATION_MASK: u64 = (1 << GENERATION_BITS) - 1;
pub(super) const TAG_MASK: u64 = !((1 << 27) - 1);

impl LevelCache {
    pub(super) fn new() -> Self {
        LevelCache {
            slots: (0..CACHE_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            generation: AtomicU64::new(0),
        }
    }

    #[inline]
    pub(super) fn get(&self, hash: u64) -> Option<Level> {
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
    pub(super) fn put(&self, hash: u64, generation: u64, level: Level) {
        let level = Level::ALL.iter().position(|&l| l == level).unwrap_or(0) as u64 + 1;
        let entry = (hash & TAG_MASK) | ((generation & GENERATION_MASK) << 3) | level;
        // Relaxed: see `get`.
        self.slots[hash as usize % CACHE_SLOTS].store(entry, Ordering::Relaxed);
    }

    /// Makes `generation` current (called under the apply lock).
    pub(super) fn advance(&self, generation: u64) {
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
pub(super) struct SeenTargets {
    pub(super) capacity: usize,
    pub(super) set: Mutex<BTreeSet<String>>,
}

impl SeenTargets {
    pub(super) fn new(capacity: usize) -> Self {
        SeenTargets {
            capacity,
            set: Mutex::new(BTreeSet::new()),
        }
    }

    /// Whether `target` is now remembered (or the set is full, which is final).
    pub(super) fn record(&self, target: &str) -> bool {
        let Ok(mut set) = self.set.try_lock() else {
            return false;
        };
        if set.len() < self.capacity && !set.contains(target) {
            set.insert(target.to_string());
        }
        true
    }

    pub(super) fn list(&self) -> Vec<String> {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// A target's hash for the caches: rustc-hash's `FxHasher` over its bytes, whose string hash
/// mixes every byte into every bit, so the caches' slot bits and tag bits both depend on the
/// whole target. A few nanoseconds for a module path, against SipHash's tens.
#[inline]
pub(super) fn fx_hash(bytes: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
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
