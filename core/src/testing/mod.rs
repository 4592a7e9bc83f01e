//! Helpers for the tests of stores and applications (feature `testing`).
//!
//! The [`Store`](crate::Store) contract is written once here; a store's tests run all of it with
//! one macro call, each case on a fresh store:
//!
//! ```
//! # #[cfg(feature = "testing")] mod t {
//! use dynlog_core::MemoryStore;
//! dynlog_core::store_contract_tests!(Some(Box::new(MemoryStore::new())));
//! # }
//! ```

pub mod contract;

/// Defines one `#[test]` per case of the [`Store`](crate::Store) contract, each calling `$make`
/// for a fresh, empty store: an `Option` of anything that derefs to a `Store`, `None` to skip the
/// case (a database server that is not there on a developer's laptop).
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
            snapshot_holds_what_can_win,
            prune_ended_triggers,
            audit_pages,
            revision_moves_on_writes_only,
            accounts,
            session_epochs,
            tokens,
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
