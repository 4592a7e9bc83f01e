//! `DynamicLogger`: a `log::Log` whose config is swapped at runtime without a lock.
//!
//! - `builder`: declaring handlers, filters, the baseline and hooks;
//! - `dynamic`: the logger itself, applying a config (validate, compile, swap, `set_max_level`);
//! - `compiled`: a config resolved once so the hot path is a lookup;
//! - `cache`: the lock-free caches in front of it (target to node, target to level, the
//!   thread-local config, the targets seen);
//! - `view`: how a target is handled and what a config would change (the admin's preview);
//! - `scoped`: scoped configs as layers over the running config, and which decides a record;
//! - `hot_path`: `log::Log`, what every record goes through;
//! - `probe`: asking the config in force without a record (verdicts per target and level, per
//!   handler), listeners told of every apply, and what an apply changed, for adapters that
//!   cache decisions.

mod builder;
mod cache;
mod compiled;
mod dynamic;
mod hot_path;
mod probe;
mod scoped;
#[cfg(test)]
mod tests;
mod view;

use log::Record;

use crate::model::LoggingConfig;

pub use builder::Builder;
pub use dynamic::DynamicLogger;
pub use probe::{Changed, ConfigSnapshot, Verdict};
pub use view::{
    HandlerChange, HandlerView, LevelOrigin, LevelSource, LoggerChange, LoggerView, Preview,
    Unmatched,
};

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
