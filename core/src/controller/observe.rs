//! What the controller tells observers (the admin's metrics): how many configs it applied, and
//! how late each scheduled transition was applied.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Controller;

/// Whether a transition started a window or ended one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    /// A trigger's window started: its config runs from then on.
    Start,
    /// A window ended: what runs next is an earlier trigger's config or the baseline.
    End,
}

impl TransitionKind {
    /// `start` or `end`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Start => "start",
            TransitionKind::End => "end",
        }
    }
}

/// A scheduled transition, once applied: when it was due and when it was applied, by the
/// controller's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionApplied {
    /// Start or end of a window.
    pub kind: TransitionKind,
    /// When the schedule said it happens.
    pub due: DateTime<Utc>,
    /// When the controller had applied it.
    pub applied: DateTime<Utc>,
}

impl TransitionApplied {
    /// How late it was applied, in seconds (never negative).
    pub fn late_seconds(&self) -> f64 {
        let late = self.applied - self.due;
        late.num_microseconds()
            .map_or(late.num_seconds() as f64, |us| us as f64 / 1e6)
            .max(0.0)
    }
}

pub(super) type Observer = Arc<dyn Fn(&TransitionApplied) + Send + Sync>;

impl Controller {
    /// Calls `f` on the scheduler's thread after each scheduled transition it applies (a
    /// window that starts or ends), with when it was due and when it was applied. `f` must be
    /// quick: the admin's metrics count it in a histogram.
    ///
    /// A later observer under the same `key` replaces it, as [`DynamicLogger::on_apply`]'s
    /// listeners do: whatever registers again (an admin built anew for the same controller)
    /// does not pile observers up. Observers run in the order they were first registered.
    ///
    /// [`DynamicLogger::on_apply`]: crate::DynamicLogger::on_apply
    pub fn on_transition(
        &self,
        key: impl Into<String>,
        f: impl Fn(&TransitionApplied) + Send + Sync + 'static,
    ) {
        let key = key.into();
        let observer: Observer = Arc::new(f);
        let mut observers = super::lock(&self.inner.observers);
        match observers.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = observer,
            None => observers.push((key, observer)),
        }
    }

    /// How many times a config (or the baseline) was applied since the controller started:
    /// one for each change of what runs, a reload that finds the same config running counts
    /// nothing.
    pub fn applies(&self) -> u64 {
        // Relaxed: a statistic.
        self.inner
            .applies
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}
