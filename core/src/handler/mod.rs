//! Handlers: where records go. Built in code, named, never created by a config.

mod budget;
mod console;
mod file;
mod format;
mod memory;
mod null;

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use log::Record;
use serde::Serialize;

use crate::level::Level;

pub use console::ConsoleHandler;
pub use file::{FileBuilder, FileHandler, Format, Rotation};
pub use memory::{CapturedRecord, MAX_MEMORY_KV, MAX_MEMORY_MESSAGE, MemoryHandler};
pub use null::NullHandler;

use budget::{Admission, Budget};

/// A destination for records, such as the console or a file.
///
/// # For implementors
///
/// `handle` is called on the logging thread, after the logger's and the handler's levels and
/// filters have passed; it should be quick and must not log (a record logged from inside a
/// handler would come back to it). Return I/O errors rather than panicking: the logger counts
/// them, reports them, and goes on with the other handlers.
pub trait Handler: Send + Sync + 'static {
    /// Writes one record.
    fn handle(&self, record: &Record<'_>) -> io::Result<()>;

    /// Flushes anything buffered.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }

    /// Flushes and stops any background work, at the end of the program. Records handled
    /// after it are still written, without buffering.
    fn shutdown(&self) -> io::Result<()> {
        self.flush()
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Handler state is a writer or a buffer; a panic mid-write leaves it usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The levels a record can have, in the order [`HandlerSlot`] counts them.
const RECORD_LEVELS: [log::Level; 5] = [
    log::Level::Error,
    log::Level::Warn,
    log::Level::Info,
    log::Level::Debug,
    log::Level::Trace,
];

/// A handler as the logger holds it: the handler, the records it was given by level, its error
/// count and its budget's counters.
pub(crate) struct HandlerSlot {
    pub(crate) name: String,
    pub(crate) handler: Box<dyn Handler>,
    /// Records given to the handler, by level (`log::Level as usize - 1`).
    handled: [AtomicU64; 5],
    errors: AtomicU64,
    last_error: Mutex<Option<String>>,
    budget: Budget,
}

impl HandlerSlot {
    pub(crate) fn new(name: String, handler: Box<dyn Handler>) -> Self {
        HandlerSlot {
            name,
            handler,
            handled: Default::default(),
            errors: AtomicU64::new(0),
            last_error: Mutex::new(None),
            budget: Budget::new(),
        }
    }

    /// Writes `record`, within `budget` records a second when the config sets one.
    #[inline]
    pub(crate) fn handle(&self, record: &Record<'_>, budget: Option<u32>) {
        if let Some(per_second) = budget {
            match self.budget.admit(per_second) {
                Admission::Pass => {}
                Admission::Drop => return,
                Admission::PassAfterDrops(dropped) => self.report_drops(dropped, per_second),
            }
        }
        // Relaxed: a statistic, read for the metrics only. `log::Level` is 1 (error) to 5.
        if let Some(count) = self.handled.get((record.level() as usize).wrapping_sub(1)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.write(record);
    }

    /// Writes the line saying how many records the budget dropped.
    #[cold]
    fn report_drops(&self, dropped: u64, per_second: u32) {
        let plural = if dropped == 1 { "" } else { "s" };
        self.write(
            &Record::builder()
                .level(log::Level::Warn)
                .target("dynlog")
                .args(format_args!(
                    "handler {:?} dropped {dropped} record{plural} over its budget of \
                     {per_second} a second",
                    self.name
                ))
                .build(),
        );
    }

    /// Reports drops not reported yet, then flushes the handler.
    pub(crate) fn flush(&self, budget: Option<u32>) -> io::Result<()> {
        if let Some(per_second) = budget {
            match self.budget.take_unreported() {
                0 => {}
                dropped => self.report_drops(dropped, per_second),
            }
        }
        self.handler.flush()
    }

    /// Reports drops not reported yet, then shuts the handler down.
    pub(crate) fn shutdown(&self, budget: Option<u32>) -> io::Result<()> {
        if let Some(per_second) = budget {
            match self.budget.take_unreported() {
                0 => {}
                dropped => self.report_drops(dropped, per_second),
            }
        }
        self.handler.shutdown()
    }

    #[inline]
    fn write(&self, record: &Record<'_>) {
        if let Err(error) = self.handler.handle(record) {
            // Relaxed: a statistic, read for display only.
            self.errors.fetch_add(1, Ordering::Relaxed);
            // try_lock: a failing handler must never make a logging thread wait.
            if let Ok(mut last) = self.last_error.try_lock() {
                *last = Some(error.to_string());
            }
        }
    }

    pub(crate) fn stats(&self, budget: Option<u32>) -> HandlerStats {
        HandlerStats {
            name: self.name.clone(),
            handled: RECORD_LEVELS
                .iter()
                .zip(&self.handled)
                .map(|(level, count)| (Level::from(*level), count.load(Ordering::Relaxed)))
                .collect(),
            errors: self.errors.load(Ordering::Relaxed),
            last_error: lock(&self.last_error).clone(),
            dropped: self.budget.dropped(),
            max_per_second: budget,
        }
    }
}

/// How a handler has fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandlerStats {
    /// The handler's name.
    pub name: String,
    /// How many records it was given, by level (every level, from error to trace).
    pub handled: BTreeMap<Level, u64>,
    /// How many records it failed to write.
    pub errors: u64,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// How many records its budget dropped since the logger was built.
    pub dropped: u64,
    /// The budget in force (records a second), if the config in force sets one.
    pub max_per_second: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(super) fn record_at(
        level: log::Level,
        target: &str,
        message: &str,
        f: impl FnOnce(&Record<'_>),
    ) {
        f(&Record::builder()
            .level(level)
            .target(target)
            .args(format_args!("{message}"))
            .build());
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed pipe"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_are_returned_and_counted() {
        let slot = HandlerSlot::new(
            "console".into(),
            Box::new(ConsoleHandler::to_writer(Broken)),
        );
        record_at(log::Level::Error, "a", "x", |r| {
            assert_eq!(
                slot.handler.handle(r).unwrap_err().kind(),
                io::ErrorKind::BrokenPipe
            );
            slot.handle(r, None);
            slot.handle(r, None);
        });
        let stats = slot.stats(None);
        assert_eq!(stats.errors, 2);
        assert!(stats.last_error.unwrap().contains("closed pipe"));
    }
}
