//! A store that counts the snapshots read through it: how a test tells a process that applied
//! a carried snapshot from one that read the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::model::{Config, ConfigId, NewConfig, NewTrigger, Trigger, TriggerId};
use crate::propagate::InstanceStatus;
use crate::store::{AuditEntry, AuditQuery, Snapshot, Store, StoreRead, Written};

/// Another store, seen through a counter of the snapshots read from it. Give each controller
/// of a test its own, over one shared store, to count each process's reads.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    snapshots: AtomicU64,
}

impl CountingStore {
    /// Counts the snapshots read from `inner`.
    pub fn new(inner: Arc<dyn Store>) -> CountingStore {
        CountingStore {
            inner,
            snapshots: AtomicU64::new(0),
        }
    }

    /// How many snapshots were read through this view so far.
    pub fn snapshots(&self) -> u64 {
        // Relaxed: a tally, read by a test that waits for what it counts.
        self.snapshots.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for CountingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingStore")
            .field("snapshots", &self.snapshots())
            .finish_non_exhaustive()
    }
}

impl StoreRead for CountingStore {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        // Relaxed: see `snapshots`.
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        self.inner.snapshot(now)
    }
    fn revision(&self) -> Result<i64> {
        self.inner.revision()
    }
    fn configs(&self) -> Result<Vec<Config>> {
        self.inner.configs()
    }
    fn config(&self, id: ConfigId) -> Result<Config> {
        self.inner.config(id)
    }
    fn triggers(&self) -> Result<Vec<Trigger>> {
        self.inner.triggers()
    }
    fn trigger(&self, id: TriggerId) -> Result<Trigger> {
        self.inner.trigger(id)
    }
    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.inner.audit(query)
    }
    fn instances(&self) -> Result<Vec<InstanceStatus>> {
        self.inner.instances()
    }
}

impl Store for CountingStore {
    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Written<Config>> {
        self.inner.create_config(actor, new)
    }
    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Written<Config>> {
        self.inner.update_config(actor, id, version, new)
    }
    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<Written<()>> {
        self.inner.delete_config(actor, id)
    }
    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Written<Trigger>> {
        self.inner.create_trigger(actor, new)
    }
    fn create_config_with_trigger(
        &self,
        actor: &str,
        config: &NewConfig,
        trigger: &NewTrigger,
    ) -> Result<Written<(Config, Trigger)>> {
        self.inner
            .create_config_with_trigger(actor, config, trigger)
    }
    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Written<Trigger>> {
        self.inner.update_trigger(actor, id, version, new)
    }
    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> Result<Written<Vec<Trigger>>> {
        self.inner.update_triggers(actor, updates)
    }
    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<Written<()>> {
        self.inner.delete_trigger(actor, id)
    }
    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<Written<usize>> {
        self.inner.prune_triggers(actor, ended_before)
    }
    fn report_instance(&self, status: &InstanceStatus) -> Result<()> {
        self.inner.report_instance(status)
    }
    fn remove_instance(&self, instance_id: &str) -> Result<()> {
        self.inner.remove_instance(instance_id)
    }
}
