//! The store contract on `MemoryStore`.
#![cfg(feature = "testing")]

use dynlog_core::MemoryStore;

dynlog_core::store_contract_tests!(Some(Box::new(MemoryStore::new())));
