//! Rebuilding tracing's interest cache after an apply, only when the apply can change it.
//!
//! tracing-core's rebuild asks every registered callsite's interest again, of every subscriber:
//! with a thousand callsites it is most of an apply's cost. An apply that changes the level of
//! `myapp::orders` only changes the interest of callsites at or under it, at the levels it
//! changed, so the bridge remembers the targets and levels of the callsites it has answered
//! for, asks the logger what the apply decides otherwise ([`ConfigSnapshot::changes`]), and
//! rebuilds only when a remembered callsite is among those (or the max level moved, or
//! something else may have answered since the last decision).
//!
//! What makes skipping safe: after each decision, every callsite's cached interest was given for
//! the config of that decision. Interest given otherwise (a callsite registering, a subscriber
//! being made, anyone else's rebuild) counts in [`ANSWERS`], and a decision that sees the count
//! moved rebuilds.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use dynlog_core::DynamicLogger;
use dynlog_core::logger::{Changed, ConfigSnapshot};
use tracing_core::Metadata;

/// The targets of the callsites answered for, each with the levels seen at it (a bit per level).
static TARGETS: Mutex<BTreeMap<&'static str, u8>> = Mutex::new(BTreeMap::new());

/// How many times interest was given outside a rebuild of ours (or by another logger's), so a
/// decision knows whether a callsite may hold interest from a config other than its last.
static ANSWERS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set while this thread runs a rebuild of ours: its answers are counted once, after it.
    static REBUILDING: Cell<bool> = const { Cell::new(false) };
}

fn level_bit(level: log::Level) -> u8 {
    1 << (level as usize - 1)
}

/// Called by the bridge and the filters before they answer for a callsite: remembers its target
/// and level, and counts the answer unless a rebuild of ours is asking.
pub(crate) fn note(meta: &'static Metadata<'static>) {
    if REBUILDING.with(Cell::get) {
        return;
    }
    let bit = level_bit(crate::log_level(meta.level()));
    *TARGETS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(meta.target())
        .or_default() |= bit;
    // SeqCst, after the target is remembered and before the answer reads the config: a decision
    // that misses this count sees the target, or runs before the answer's config was published.
    ANSWERS.fetch_add(1, Ordering::SeqCst);
}

/// Whether a remembered callsite is at one of `loggers`, at one of its levels.
fn touches(loggers: &[(String, Vec<log::Level>)]) -> bool {
    let targets = TARGETS.lock().unwrap_or_else(|p| p.into_inner());
    loggers.iter().any(|(logger, levels)| {
        let bits = levels.iter().fold(0, |bits, &l| bits | level_bit(l));
        let under = |target: &str| {
            logger.is_empty()
                || target == logger
                || (target.starts_with(logger.as_str()) && target[logger.len()..].starts_with("::"))
        };
        // Targets at or under `logger` sort from `logger` on, and stop at the first that is not
        // (a target under it starts with it, and sorts before any that does not).
        targets
            .range::<str, _>((
                std::ops::Bound::Included(logger.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(target, _)| target.starts_with(logger.as_str()))
            .any(|(target, &seen)| seen & bits != 0 && under(target))
    })
}

/// The last decision of one logger's listener: the config it was for and the count of answers.
#[derive(Default)]
struct Decided(Mutex<Option<(ConfigSnapshot, u64)>>);

impl Decided {
    /// Run after each apply of `logger`: rebuilds tracing's interest cache unless nothing a
    /// remembered callsite can see has changed since the last decision.
    fn after_apply(&self, logger: &DynamicLogger) {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let answers = ANSWERS.load(Ordering::SeqCst);
        let now = logger.snapshot();
        let unchanged = last.as_ref().is_some_and(|(before, answered)| {
            *answered == answers
                && before.max_level() == now.max_level()
                && match before.changes(&now) {
                    Changed::Everything => false,
                    Changed::Loggers(loggers) => !touches(&loggers),
                }
        });
        if unchanged {
            *last = Some((now, answers));
            return;
        }
        REBUILDING.with(|r| r.set(true));
        let _reset = Reset;
        tracing_core::callsite::rebuild_interest_cache();
        // Our rebuild's answers count once, now: another logger's callsites were asked too.
        let counted = ANSWERS.fetch_add(1, Ordering::SeqCst);
        // Kept only if the rebuild answered from `now` alone: no answer from elsewhere came in
        // during it, and no apply published a newer config while it ran.
        *last = (counted == answers && logger.generation() == now.generation())
            .then_some((now, answers + 1));
    }
}

/// Clears [`REBUILDING`], even if a subscriber panics in the rebuild.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        REBUILDING.with(|r| r.set(false));
    }
}

/// Makes every apply of `logger` rebuild tracing's interest cache when it may have changed (once
/// per logger, however many layers and filters stand for it; a new listener's first run always
/// rebuilds).
pub(crate) fn rebuild_on_apply(logger: &DynamicLogger) {
    let decided = Decided::default();
    logger.on_apply(crate::APPLY_LISTENER, move |logger| {
        decided.after_apply(logger)
    });
}
