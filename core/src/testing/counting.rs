//! A store that counts the calls made through it, and the snapshots read among them: how a test
//! tells a process that applied a carried snapshot from one that read the store, and how a
//! benchmark counts the store's work per change.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::model::{Config, ConfigId, NewConfig, NewTrigger, Trigger, TriggerId};
use crate::propagate::InstanceStatus;
use crate::store::{AuditEntry, AuditQuery, Snapshot, Store, StoreRead, Written};

/// Another store, seen through counters of the calls made to it and of the snapshots read from
/// it. Give each controller of a test its own, over one shared store, to count each process's
/// reads; or share one to count a fleet's.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    calls: AtomicU64,
    snapshots: AtomicU64,
}

impl CountingStore {
    /// Counts the snapshots read from `inner`.
    pub fn new(inner: Arc<dyn Store>) -> CountingStore {
        CountingStore {
            inner,
            calls: AtomicU64::new(0),
            snapshots: AtomicU64::new(0),
        }
    }

    /// How many calls of any kind were made through this view so far.
    pub fn calls(&self) -> u64 {
        // Relaxed: see `snapshots`.
        self.calls.load(Ordering::Relaxed)
    }

    fn count(&self) {
        // Relaxed: see `snapshots`.
        self.calls.fetch_add(1, Ordering::Relaxed);
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
            .field("calls", &self.calls())
            .field("snapshots", &self.snapshots())
            .finish_non_exhaustive()
    }
}

impl StoreRead for CountingStore {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        self.count();
        // Relaxed: see `snapshots`.
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        self.inner.snapshot(now)
    }
    fn revision(&self) -> Result<i64> {
        self.count();
        self.inner.revision()
    }
    fn configs(&self) -> Result<Vec<Config>> {
        self.count();
        self.inner.configs()
    }
    fn config(&self, id: ConfigId) -> Result<Config> {
        self.count();
        self.inner.config(id)
    }
    fn triggers(&self) -> Result<Vec<Trigger>> {
        self.count();
        self.inner.triggers()
    }
    fn trigger(&self, id: TriggerId) -> Result<Trigger> {
        self.count();
        self.inner.trigger(id)
    }
    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.count();
        self.inner.audit(query)
    }
    fn instances(&self) -> Result<Vec<InstanceStatus>> {
        self.count();
        self.inner.instances()
    }
}

impl Store for CountingStore {
    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Written<Config>> {
        self.count();
        self.inner.create_config(actor, new)
    }
    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Written<Config>> {
        self.count();
        self.inner.update_config(actor, id, version, new)
    }
    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<Written<()>> {
        self.count();
        self.inner.delete_config(actor, id)
    }
    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Written<Trigger>> {
        self.count();
        self.inner.create_trigger(actor, new)
    }
    fn create_config_with_trigger(
        &self,
        actor: &str,
        config: &NewConfig,
        trigger: &NewTrigger,
    ) -> Result<Written<(Config, Trigger)>> {
        self.count();
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
        self.count();
        self.inner.update_trigger(actor, id, version, new)
    }
    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> Result<Written<Vec<Trigger>>> {
        self.count();
        self.inner.update_triggers(actor, updates)
    }
    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<Written<()>> {
        self.count();
        self.inner.delete_trigger(actor, id)
    }
    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<Written<usize>> {
        self.count();
        self.inner.prune_triggers(actor, ended_before)
    }
    fn report_instance(&self, status: &InstanceStatus) -> Result<()> {
        self.count();
        self.inner.report_instance(status)
    }
    fn remove_instance(&self, instance_id: &str) -> Result<()> {
        self.count();
        self.inner.remove_instance(instance_id)
    }
}
