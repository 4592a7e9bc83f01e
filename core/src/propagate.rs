//! The `Propagator` trait: how a change made in one process reaches every process.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{ConfigId, TriggerId};
use crate::store::Snapshot;

/// What one process of the fleet runs, as it reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    /// A random id, new at each start.
    pub instance_id: String,
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The application's name.
    pub app: String,
    /// The store revision of the snapshot it applied.
    pub revision: i64,
    /// A hash of the logging config it runs (the same config gives the same hash everywhere).
    pub config_hash: String,
    /// The trigger that won, if any.
    pub winner: Option<TriggerId>,
    /// The config that runs over the baseline, if any.
    pub config_id: Option<ConfigId>,
    /// When it applied what it runs.
    pub applied_at: Option<DateTime<Utc>>,
    /// The last error (store unreachable, config invalid), if the last attempt failed.
    pub last_error: Option<String>,
    /// When this status was reported.
    pub reported_at: DateTime<Utc>,
}

/// The most bytes of an instance id a store keeps: a longer one is refused.
pub const MAX_INSTANCE_ID: usize = 128;

impl InstanceStatus {
    /// The status as a store keeps it: the instance id checked (1 to [`MAX_INSTANCE_ID`] bytes,
    /// else [`Error::Invalid`](crate::Error::Invalid) naming `instance_id`), free text cut to a
    /// bound (host and app 255 bytes, config hash 64, last error 1000), `reported_at` set to
    /// `now` (the store's clock, not the reporter's).
    pub fn bounded(&self, now: DateTime<Utc>) -> Result<InstanceStatus> {
        if self.instance_id.is_empty() || self.instance_id.len() > MAX_INSTANCE_ID {
            return Err(crate::Error::Invalid {
                field: "instance_id",
                value: cut(&self.instance_id, 200),
                reason: format!("an instance id has 1 to {MAX_INSTANCE_ID} bytes"),
            });
        }
        Ok(InstanceStatus {
            instance_id: self.instance_id.clone(),
            host: cut(&self.host, 255),
            pid: self.pid,
            app: cut(&self.app, 255),
            revision: self.revision,
            config_hash: cut(&self.config_hash, 64),
            winner: self.winner,
            config_id: self.config_id,
            applied_at: self.applied_at,
            last_error: self.last_error.as_deref().map(|e| cut(e, 1000)),
            reported_at: now,
        })
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[derive(Debug, Default)]
pub(crate) struct Requests {
    pub(crate) reload: bool,
    pub(crate) check: bool,
    pub(crate) stop: bool,
    /// The schedule moved (a reload on another thread): compute the next deadline again.
    pub(crate) rearm: bool,
    /// A snapshot another process carried with its announcement: the latest one heard.
    pub(crate) snapshot: Option<Snapshot>,
}

/// The scheduler's mailbox: requests plus the condition variable it sleeps on.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    requests: Mutex<Requests>,
    wake: Condvar,
}

impl Mailbox {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Requests> {
        // Requests are three flags; a panic cannot leave them inconsistent.
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn post(&self, set: impl FnOnce(&mut Requests)) {
        set(&mut self.lock());
        self.wake.notify_all();
    }

    /// Sleeps until a request arrives or `timeout` passes; returns the requests, cleared.
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> Requests {
        let mut requests = self.lock();
        let idle =
            |r: &mut Requests| !(r.reload || r.check || r.stop || r.rearm || r.snapshot.is_some());
        requests = match timeout {
            Some(timeout) => {
                self.wake
                    .wait_timeout_while(requests, timeout, idle)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => self
                .wake
                .wait_while(requests, idle)
                .unwrap_or_else(|p| p.into_inner()),
        };
        std::mem::take(&mut *requests)
    }

    pub(crate) fn stop(&self) {
        self.post(|r| r.stop = true);
    }

    pub(crate) fn rearm(&self) {
        self.post(|r| r.rearm = true);
    }
}

/// A handle a propagator keeps to make its process reload. Cheap to clone; it never blocks.
#[derive(Clone, Debug)]
pub struct Reloader {
    mailbox: Arc<Mailbox>,
    instance_id: Arc<str>,
}

impl Reloader {
    pub(crate) fn new(mailbox: Arc<Mailbox>, instance_id: &str) -> Self {
        Reloader {
            mailbox,
            instance_id: instance_id.into(),
        }
    }

    /// Asks the process to read a new snapshot from the store and apply it.
    pub fn reload(&self) {
        self.mailbox.post(|r| r.reload = true);
    }

    /// Asks the process to apply a snapshot another process carried with its announcement,
    /// instead of reading the store: the process applies it unless it runs that revision or a
    /// later one already. Of several waiting, the latest revision is kept.
    pub fn apply(&self, snapshot: Snapshot) {
        self.mailbox.post(|r| {
            if r.snapshot
                .as_ref()
                .is_none_or(|kept| kept.revision < snapshot.revision)
            {
                r.snapshot = Some(snapshot);
            }
        });
    }

    /// Asks the process to compare the store's revision with what it applied, and reload if it
    /// moved: cheaper than [`Reloader::reload`] for periodic checks.
    pub fn check(&self) {
        self.mailbox.post(|r| r.check = true);
    }

    /// This process's instance id, to tell its own announcements from others'.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }
}

/// Carries news of a change to the other processes of a fleet, and their statuses back.
///
/// The message is a doorbell; the store is the truth: a process told of a change reloads its
/// snapshot from the store, so a lost or repeated message costs at most a reload.
///
/// # For implementors
///
/// Depend on `dynlog-core` only. The controller calls [`Propagator::start`] once with a
/// [`Reloader`]; call [`Reloader::reload`] when another process announces a change (ignore your
/// own instance id), and whenever you may have missed messages (after a reconnect). The
/// controller calls [`Propagator::announce`] after each write this process made, and
/// [`Propagator::report`] after each apply and every few seconds. None of these may block for
/// long or panic: a broker that is down is an error to return or log, never a reason to stop the
/// application.
pub trait Propagator: Send + Sync + 'static {
    /// A short name for status pages: `local`, `none`, `polling`, `redis`.
    fn name(&self) -> &'static str;

    /// Starts listening for other processes' changes.
    fn start(&self, reloader: Reloader) -> Result<()>;

    /// Tells the other processes that the store moved to `revision`.
    fn announce(&self, revision: i64) -> Result<()>;

    /// Tells the other processes that the store moved to `snapshot.revision`, carrying the
    /// snapshot the writer read after its change so that they apply it
    /// ([`Reloader::apply`]) instead of each reading the store: the store's work per change
    /// stays the same however large the fleet. A propagator that cannot carry it (too large
    /// for its messages) announces the revision alone; the default does.
    fn announce_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        self.announce(snapshot.revision)
    }

    /// Whether the process that made a change reloads at once (all but `none` do).
    fn reloads_on_local_change(&self) -> bool {
        true
    }

    /// How often the controller should compare the store's revision with what it applied, if
    /// at all (a safety net for missed messages, or the whole mechanism for polling).
    fn poll_interval(&self) -> Option<Duration> {
        None
    }

    /// Records this process's status for the fleet view.
    fn report(&self, status: &InstanceStatus) -> Result<()> {
        let _ = status;
        Ok(())
    }

    /// The statuses of the live processes of the fleet; empty where there is no fleet.
    fn fleet(&self) -> Result<Vec<InstanceStatus>> {
        Ok(Vec::new())
    }

    /// Stops listening; called when the controller stops.
    fn stop(&self) {}
}

/// One process: a change reloads the process that made it, and nothing else is needed.
#[derive(Debug, Default)]
pub struct LocalPropagator;

impl Propagator for LocalPropagator {
    fn name(&self) -> &'static str {
        "local"
    }

    fn start(&self, _reloader: Reloader) -> Result<()> {
        Ok(())
    }

    fn announce(&self, _revision: i64) -> Result<()> {
        Ok(())
    }
}

/// Frozen setups and tests: reload only at startup and at trigger times, never on a change.
#[derive(Debug, Default)]
pub struct NoopPropagator;

impl Propagator for NoopPropagator {
    fn name(&self) -> &'static str {
        "none"
    }

    fn start(&self, _reloader: Reloader) -> Result<()> {
        Ok(())
    }

    fn announce(&self, _revision: i64) -> Result<()> {
        Ok(())
    }

    fn reloads_on_local_change(&self) -> bool {
        false
    }
}

/// Several processes without a broker: each compares the store's revision every interval.
#[derive(Debug)]
pub struct PollingPropagator {
    interval: Duration,
}

impl PollingPropagator {
    /// Polls every `interval`.
    pub fn new(interval: Duration) -> Self {
        PollingPropagator { interval }
    }
}

impl Propagator for PollingPropagator {
    fn name(&self) -> &'static str {
        "polling"
    }

    fn start(&self, _reloader: Reloader) -> Result<()> {
        Ok(())
    }

    fn announce(&self, _revision: i64) -> Result<()> {
        Ok(())
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(self.interval)
    }
}
