//! Helpers for the tests of stores, propagators and applications (feature `testing`).
//!
//! The [`Propagator`](crate::propagate::Propagator) contract is written here too
//! ([`propagator_contract_tests!`](crate::propagator_contract_tests)), with [`reloader`], a
//! [`Reloader`](crate::propagate::Reloader) whose requests a test can watch without a controller,
//! [`CountingStore`], which counts the calls and snapshot reads a process makes, and [`fleet`],
//! a fleet of controllers simulated in one test process.
//!
//! The [`Store`](crate::store::Store) contract is written once here; a store's tests run all of it
//! with one macro call, each case on a fresh store:
//!
//! ```
//! # #[cfg(feature = "testing")] mod t {
//! use dynlog_core::MemoryStore;
//! dynlog_core::store_contract_tests!(Some(Box::new(MemoryStore::new())));
//! # }
//! ```

pub mod clock;
pub mod contract;
mod counting;
pub mod fleet;
pub mod propagator;

pub use clock::ManualClock;
pub use counting::CountingStore;
pub use propagator::{ReloadProbe, reloader};

/// Defines one `#[test]` per case of the [`Store`](crate::store::Store) contract, each calling
/// `$make` for a fresh, empty store: an `Option` of anything that derefs to a `Store`, `None` to
/// skip the case (a database server that is not there on a developer's laptop).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@cases $make;
            config_create_and_read,
            configs_listed_by_name,
            config_invalid_refused,
            config_update_versions,
            config_delete_cascades,
            trigger_create_and_validate,
            triggers_listed_latest_first,
            trigger_update_and_delete,
            triggers_updated_together,
            config_with_trigger_together,
            snapshot_holds_what_can_win,
            prune_ended_triggers,
            audit_pages,
            revision_moves_on_writes_only,
            accounts,
            session_epochs,
            tokens,
            roles,
            instances_heartbeats,
            instances_bounded,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                if let Some(store) = $make {
                    $crate::testing::contract::$case(&*store);
                }
            }
        )*
    };
}

/// Defines one `#[test]` per case of the [`Propagator`](crate::propagate::Propagator) contract.
/// `$make` is an `Option` of a maker (`Fn() -> Box<dyn Propagator>`) whose instances share one
/// fleet (the same broker and channel), `None` to skip (a broker that is not there); it is
/// evaluated once per case, so a maker that owns a test broker gives each case its own.
///
/// `fan_out:` runs every case, for propagators that carry changes between processes (Redis, a
/// message broker); `carries_snapshots:` the case of those that carry the writer's snapshot
/// with an announcement; `fan_out_fleet_in_store:` every case but the fleet view's, for those that
/// leave heartbeats to the store (LISTEN/NOTIFY); `local:` those that hold for any propagator.
///
/// ```
/// # #[cfg(feature = "testing")] mod t {
/// use dynlog_core::propagate::{LocalPropagator, Propagator};
/// dynlog_core::propagator_contract_tests!(local: Some(|| Box::new(LocalPropagator) as Box<dyn Propagator>));
/// # }
/// ```
#[macro_export]
macro_rules! propagator_contract_tests {
    (local: $make:expr) => {
        $crate::propagator_contract_tests!(@cases $make; names_itself_and_starts, stops_promptly);
    };
    (carries_snapshots: $make:expr) => {
        $crate::propagator_contract_tests!(@cases $make; announced_snapshots_arrive_whole);
    };
    (fan_out_fleet_in_store: $make:expr) => {
        $crate::propagator_contract_tests!(@cases $make;
            names_itself_and_starts,
            stops_promptly,
            rings_once_listening,
            announcements_ring_the_others_only,
        );
    };
    (fan_out: $make:expr) => {
        $crate::propagator_contract_tests!(@cases $make;
            names_itself_and_starts,
            stops_promptly,
            rings_once_listening,
            announcements_ring_the_others_only,
            reports_reach_the_fleet,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                if let Some(make) = $make {
                    $crate::testing::propagator::$case(&make);
                }
            }
        )*
    };
}
