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

/// What a propagator with a broker does when the broker cannot be reached at startup (the
/// seed's `raise | pass`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Start anyway: check the store until the broker is back.
    #[default]
    Continue,
    /// Fail the start with the connection error.
    Fail,
}

/// The message a fan-out propagator sends when the store moved: the revision, the instance that
/// made the change, when, and the snapshot the writer read after it when it is carried.
///
/// The propagators of `dynlog-redis`, `dynlog-amqp` and `dynlog-diesel` (LISTEN/NOTIFY) send it
/// as JSON, each with the size limit of its messages; a propagator of your own can too.
/// [`Announcement::carrying`] makes the payload, [`Announcement::read`] reads one heard and
/// [`Announcement::ring`] hands it to the process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The store's revision after the change.
    pub revision: i64,
    /// The instance that made the change (it has reloaded already).
    pub origin: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The snapshot the writer read after its change, for the others to apply without reading
    /// the store; absent when it was too large to carry or carrying is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Snapshot>,
}

impl Announcement {
    /// The doorbell alone: `origin` moved the store to `revision`, now.
    pub fn doorbell(revision: i64, origin: &str) -> Announcement {
        Announcement {
            revision,
            origin: origin.to_string(),
            at: Utc::now(),
            snapshot: None,
        }
    }

    /// The JSON payload announcing `snapshot`, made by `origin` now: it carries the snapshot
    /// when `carry` is on and the whole payload fits in `max_bytes`, else it is the doorbell
    /// alone, and the others read the store.
    pub fn carrying(snapshot: &Snapshot, origin: &str, carry: bool, max_bytes: usize) -> String {
        let mut message = Announcement::doorbell(snapshot.revision, origin);
        if carry {
            message.snapshot = Some(snapshot.clone());
            let payload = message.to_json();
            if payload.len() <= max_bytes {
                return payload;
            }
            message.snapshot = None;
        }
        message.to_json()
    }

    /// The JSON payload.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a payload heard on the channel. One over `max_bytes` (the largest the propagator
    /// sends) is not parsed: `Ok(None)`, to take as a doorbell ([`Reloader::reload`]). One that
    /// is not an announcement is [`Error::Invalid`](crate::Error::Invalid), showing its first
    /// 100 bytes, for the propagator to log and ignore.
    pub fn read(payload: &[u8], max_bytes: usize) -> Result<Option<Announcement>> {
        if payload.len() > max_bytes {
            return Ok(None);
        }
        serde_json::from_slice(payload)
            .map(Some)
            .map_err(|e| crate::Error::Invalid {
                field: "announcement",
                value: String::from_utf8_lossy(&payload[..payload.len().min(100)]).into_owned(),
                reason: e.to_string(),
            })
    }

    /// Hands the announcement to the process of `reloader`: nothing if that process made the
    /// change, the snapshot to apply if one is carried, else a reload from the store.
    pub fn ring(&self, reloader: &Reloader) {
        if self.origin == reloader.instance_id() {
            return;
        }
        match &self.snapshot {
            Some(snapshot) => reloader.apply(snapshot.clone()),
            None => reloader.reload(),
        }
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
/// own instance id), and whenever you may have missed messages (after a reconnect). A
/// propagator that can carry the writer's snapshot implements [`Propagator::announce_snapshot`]
/// and hands what it carries to [`Reloader::apply`]; [`Announcement`] is the message dynlog's
/// own fan-out propagators send for it. The
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

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(revision: i64) -> Snapshot {
        Snapshot {
            revision,
            ..Snapshot::default()
        }
    }

    #[test]
    fn a_snapshot_is_carried_when_it_fits_and_asked() {
        let fits = Announcement::carrying(&snapshot(7), "a", true, 1000);
        let read = Announcement::read(fits.as_bytes(), 1000).unwrap().unwrap();
        assert_eq!((read.revision, read.origin.as_str()), (7, "a"));
        assert_eq!(read.snapshot, Some(snapshot(7)));

        let limit = fits.len();
        let just = Announcement::carrying(&snapshot(7), "a", true, limit);
        assert_eq!(just.len(), limit, "{just}");
        for (carry, max) in [(true, limit - 1), (false, 1000)] {
            let doorbell = Announcement::carrying(&snapshot(7), "a", carry, max);
            let read = Announcement::read(doorbell.as_bytes(), 1000)
                .unwrap()
                .unwrap();
            assert_eq!((read.revision, read.snapshot), (7, None), "{doorbell}");
        }
    }

    #[test]
    fn what_is_heard_is_read_within_its_bound() {
        let doorbell = Announcement::doorbell(3, "a").to_json();
        assert!(
            Announcement::read(doorbell.as_bytes(), 1000)
                .unwrap()
                .is_some()
        );
        assert!(
            Announcement::read(doorbell.as_bytes(), doorbell.len() - 1)
                .unwrap()
                .is_none(),
            "over the bound: a doorbell, unparsed"
        );
        let err = Announcement::read(br#"{"revision": "x"}"#, 1000)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(r#"invalid announcement "{\"revision\": \"x\"}""#),
            "{err}"
        );
    }

    #[test]
    fn an_announcement_rings_the_others_only() {
        let mailbox = Arc::new(Mailbox::default());
        let reloader = Reloader::new(Arc::clone(&mailbox), "b");
        Announcement::doorbell(3, "b").ring(&reloader);
        assert!(!mailbox.wait(Some(Duration::ZERO)).reload, "its own");
        Announcement::doorbell(3, "a").ring(&reloader);
        assert!(mailbox.wait(Some(Duration::ZERO)).reload);
        let mut carried = Announcement::doorbell(4, "a");
        carried.snapshot = Some(snapshot(4));
        carried.ring(&reloader);
        let requests = mailbox.wait(Some(Duration::ZERO));
        assert_eq!(
            (requests.reload, requests.snapshot),
            (false, Some(snapshot(4)))
        );
    }
}
