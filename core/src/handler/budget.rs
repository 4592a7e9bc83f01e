//! Budgets: at most N records a second through a handler; the rest are dropped, counted, and
//! reported in one line a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What a budget says of one record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Write it.
    Pass,
    /// Write it, after a line saying that this many records were dropped before it.
    PassAfterDrops(u64),
    /// Drop it (it has been counted).
    Drop,
}

/// A fixed one-second window and its counters, shared by every thread logging to the handler.
pub(crate) struct Budget {
    start: Instant,
    /// The window's second (since `start`) in the high 32 bits and the records passed in it in
    /// the low 32, so that moving to a new second and counting are one compare-and-swap.
    window: AtomicU64,
    /// Drops not yet reported in a line.
    unreported: AtomicU64,
    /// Every drop since the handler was declared.
    dropped: AtomicU64,
}

impl Budget {
    pub(crate) fn new() -> Self {
        Budget {
            start: Instant::now(),
            window: AtomicU64::new(0),
            unreported: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Whether one more record may pass under `per_second`.
    pub(crate) fn admit(&self, per_second: u32) -> Admission {
        // 2^32 seconds is 136 years: a process does not outlive the window's counter.
        let second = self.start.elapsed().as_secs().min(u64::from(u32::MAX));
        // Relaxed: the window is a counter on its own; nothing else is published through it.
        let mut current = self.window.load(Ordering::Relaxed);
        loop {
            let (window, passed) = (current >> 32, current & u64::from(u32::MAX));
            // A thread that read the clock earlier than the one that moved the window on counts
            // in the newer window rather than moving it back.
            let next = if second > window {
                (second << 32) | 1
            } else if passed < u64::from(per_second) {
                current + 1
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                self.unreported.fetch_add(1, Ordering::Relaxed);
                return Admission::Drop;
            };
            match self.window.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) if second > window => {
                    // The thread that opens a window reports the drops of the ones before it.
                    return match self.unreported.swap(0, Ordering::Relaxed) {
                        0 => Admission::Pass,
                        n => Admission::PassAfterDrops(n),
                    };
                }
                Ok(_) => return Admission::Pass,
                Err(seen) => current = seen,
            }
        }
    }

    /// Drops not yet reported, now taken for a report (at a flush).
    pub(crate) fn take_unreported(&self) -> u64 {
        self.unreported.swap(0, Ordering::Relaxed)
    }

    /// Every drop so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_budget_passes_its_records_and_counts_the_rest() {
        let budget = Budget::new();
        let passed = (0..250)
            .filter(|_| budget.admit(100) != Admission::Drop)
            .count();
        // The window may have turned during the loop; it cannot have passed more than two.
        assert!((100..=200).contains(&passed), "{passed}");
        assert_eq!(budget.dropped(), 250 - passed as u64);
        assert_eq!(budget.take_unreported(), 250 - passed as u64);
        assert_eq!(budget.take_unreported(), 0);
    }

    #[test]
    fn a_new_second_reports_the_drops_of_the_last() {
        let budget = Budget::new();
        // Start in a fresh second, so the loop below stays inside one.
        let start = budget.start.elapsed().as_secs();
        while budget.start.elapsed().as_secs() == start {
            std::thread::yield_now();
        }
        let mut drops = 0;
        for _ in 0..20 {
            if budget.admit(5) == Admission::Drop {
                drops += 1;
            }
        }
        assert_eq!(drops, 15);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(budget.admit(5), Admission::PassAfterDrops(15));
        assert_eq!(budget.admit(5), Admission::Pass);
        assert_eq!(budget.dropped(), 15);
    }

    /// Under 4 threads, no more than the budget passes in a second and every record is either
    /// passed or counted.
    #[test]
    fn concurrent_records_are_passed_or_counted_never_both() {
        let budget = Arc::new(Budget::new());
        let start = budget.start.elapsed().as_secs();
        while budget.start.elapsed().as_secs() == start {
            std::thread::yield_now();
        }
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let budget = Arc::clone(&budget);
                std::thread::spawn(move || {
                    (0..10_000)
                        .filter(|_| budget.admit(1000) != Admission::Drop)
                        .count() as u64
                })
            })
            .collect();
        let passed: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        let seconds = budget.start.elapsed().as_secs() - start + 1;
        assert!(
            passed >= 1000 && passed <= 1000 * seconds,
            "{passed} in {seconds} s"
        );
        assert_eq!(passed + budget.dropped(), 40_000);
    }
}
