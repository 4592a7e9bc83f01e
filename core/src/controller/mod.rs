//! The controller: keeps a logger on the config the schedule says, at the right time, and is
//! the one way in for changes of configs and triggers.

mod clock;
mod levels;
mod observe;
mod writes;

pub use clock::{Clock, SystemClock};
pub use observe::{TransitionApplied, TransitionKind};
pub use writes::MAX_DEBUG_WINDOW;

use std::hash::Hasher;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::logger::DynamicLogger;
use crate::model::{Config, LoggingConfig, Trigger};
use crate::propagate::{InstanceStatus, Mailbox, Propagator, Reloader};
use crate::schedule::{active_at, next_change, next_transition, winner_at};
use crate::store::{Snapshot, Store, StoreRead};

/// A trigger and the config it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Running {
    /// The trigger that wins.
    pub trigger: Trigger,
    /// Its config.
    pub config: Config,
}

/// The next change of winner or of the scoped configs in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Upcoming {
    /// When it happens.
    pub at: DateTime<Utc>,
    /// The unscoped winner from then on; `None` is the baseline.
    pub running: Option<Running>,
    /// The scoped configs in force from then on, in precedence order.
    pub scoped: Vec<Running>,
}

/// What a controller runs and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// This process's instance id.
    pub instance_id: String,
    /// The propagator's name.
    pub propagator: &'static str,
    /// The store revision of the snapshot applied.
    pub revision: i64,
    /// A hash of the config in force (baseline and overlay), the same in every process that
    /// runs the same config.
    pub config_hash: String,
    /// The winning trigger and its config; `None` when the baseline runs.
    pub current: Option<Running>,
    /// The active triggers of scoped configs, in precedence order: each applies, over
    /// `current`, to the records its scope matches.
    pub scoped: Vec<Running>,
    /// The next change, if any.
    pub next: Option<Upcoming>,
    /// When the config in force was applied.
    pub applied_at: Option<DateTime<Utc>>,
    /// The last error, while the last attempt failed.
    pub last_error: Option<String>,
}

/// Builds a [`Controller`].
pub struct ControllerBuilder {
    logger: DynamicLogger,
    store: Arc<dyn Store>,
    propagator: Arc<dyn Propagator>,
    clock: Arc<dyn Clock>,
    app: String,
    heartbeat: Duration,
    thread: bool,
}

impl ControllerBuilder {
    /// How changes reach the other processes
    /// ([`LocalPropagator`](crate::propagate::LocalPropagator) by default).
    pub fn propagator(mut self, propagator: impl Propagator) -> Self {
        self.propagator = Arc::new(propagator);
        self
    }

    /// The same, shared.
    pub fn propagator_arc(mut self, propagator: Arc<dyn Propagator>) -> Self {
        self.propagator = propagator;
        self
    }

    /// Where the time comes from ([`SystemClock`] by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The application's name, for the fleet view.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app = name.into();
        self
    }

    /// How often to report this process's status (5 s by default).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// Runs no scheduler thread: the caller drives it with [`Controller::tick`] (tests with a
    /// `testing::ManualClock`, feature `testing`).
    pub fn without_thread(mut self) -> Self {
        self.thread = false;
        self
    }

    /// Reads the store and applies what wins now, starts the propagator and the scheduler.
    ///
    /// A store that fails here is not fatal: the baseline runs, the error is in the status and
    /// logged under target `dynlog`, and the scheduler retries with backoff.
    pub fn start(self) -> Result<Controller> {
        let mailbox = Arc::new(Mailbox::default());
        let identity = Identity::new(self.app);
        let reloader = Reloader::new(Arc::clone(&mailbox), &identity.instance_id);
        let status = Status {
            instance_id: identity.instance_id.clone(),
            propagator: self.propagator.name(),
            revision: 0,
            config_hash: String::new(),
            current: None,
            scoped: Vec::new(),
            next: None,
            applied_at: None,
            last_error: None,
        };
        let inner = Arc::new(Inner {
            logger: self.logger,
            store: self.store,
            propagator: self.propagator,
            clock: self.clock,
            mailbox,
            identity,
            heartbeat: self.heartbeat,
            state: Mutex::new(State {
                status,
                failures: 0,
                retry_at: None,
            }),
            reload_lock: Mutex::new(()),
            thread: Mutex::new(None),
            applies: std::sync::atomic::AtomicU64::new(0),
            observers: Mutex::new(Vec::new()),
        });
        let controller = Controller { inner };
        let _ = controller.reload();
        controller.inner.propagator.start(reloader)?;
        if self.thread {
            let weak = Arc::downgrade(&controller.inner);
            let mailbox = Arc::clone(&controller.inner.mailbox);
            let handle = std::thread::Builder::new()
                .name("dynlog-scheduler".into())
                .spawn(move || scheduler(weak, mailbox))
                .map_err(|cause| crate::Error::Io {
                    context: "starting the scheduler thread".into(),
                    cause,
                })?;
            *lock(&controller.inner.thread) = Some(handle);
        }
        Ok(controller)
    }
}

/// Keeps a [`DynamicLogger`] on the config the store's triggers say, at the right time, and
/// makes changes through the store so every process of the fleet follows.
///
/// Cheap to clone. The scheduler thread stops when the last clone is dropped, or at
/// [`Controller::stop`].
#[derive(Clone)]
pub struct Controller {
    inner: Arc<Inner>,
}

struct Inner {
    logger: DynamicLogger,
    store: Arc<dyn Store>,
    propagator: Arc<dyn Propagator>,
    clock: Arc<dyn Clock>,
    mailbox: Arc<Mailbox>,
    identity: Identity,
    heartbeat: Duration,
    state: Mutex<State>,
    /// One reload at a time: the scheduler's and a request thread's.
    reload_lock: Mutex<()>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Configs applied since the start.
    applies: std::sync::atomic::AtomicU64,
    /// Called after each scheduled transition applied, each under its key.
    observers: Mutex<Vec<(String, observe::Observer)>>,
}

struct State {
    status: Status,
    failures: u32,
    retry_at: Option<Instant>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.mailbox.stop();
        self.propagator.stop();
        // The last clone gone is the end of the program, or of a test: nothing buffered is lost.
        self.logger.shutdown();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Controller state is replaced whole under the lock; a panic cannot leave it half-written.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Controller {
    /// A builder for a controller of `logger` on `store`.
    pub fn builder(logger: DynamicLogger, store: impl Store) -> ControllerBuilder {
        Self::builder_arc(logger, Arc::new(store))
    }

    /// The same, with a shared store.
    pub fn builder_arc(logger: DynamicLogger, store: Arc<dyn Store>) -> ControllerBuilder {
        ControllerBuilder {
            logger,
            store,
            propagator: Arc::new(crate::propagate::LocalPropagator),
            clock: Arc::new(SystemClock),
            app: std::env::args()
                .next()
                .map_or_else(|| "app".into(), short_program_name),
            heartbeat: Duration::from_secs(5),
            thread: true,
        }
    }

    /// The logger it drives.
    pub fn logger(&self) -> &DynamicLogger {
        &self.inner.logger
    }

    /// The store, to read: configs, triggers, the audit. Every change goes through the
    /// controller's own methods, which validate it, announce it and apply it.
    pub fn store(&self) -> &dyn StoreRead {
        &*self.inner.store
    }

    /// The propagator.
    pub fn propagator(&self) -> &Arc<dyn Propagator> {
        &self.inner.propagator
    }

    /// Now, by the controller's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// What runs and why.
    pub fn status(&self) -> Status {
        lock(&self.inner.state).status.clone()
    }

    /// This process's status as the fleet sees it.
    pub fn instance_status(&self) -> InstanceStatus {
        self.inner.instance_status()
    }

    /// The fleet's instances, this one first: the heartbeats the store keeps (every
    /// propagator's fleet) and those the propagator keeps (Redis), the latest of each instance.
    /// An error only when neither can be read.
    pub fn fleet(&self) -> Result<Vec<InstanceStatus>> {
        let (stored, carried) = (self.inner.store.instances(), self.inner.propagator.fleet());
        let mut fleet: Vec<InstanceStatus> = match (stored, carried) {
            (Err(e), Err(_)) => return Err(e),
            (stored, carried) => stored
                .unwrap_or_default()
                .into_iter()
                .chain(carried.unwrap_or_default())
                .collect(),
        };
        // The latest report of each instance.
        fleet.sort_by(|a, b| {
            (
                &a.host,
                a.pid,
                &a.instance_id,
                std::cmp::Reverse(a.reported_at),
            )
                .cmp(&(
                    &b.host,
                    b.pid,
                    &b.instance_id,
                    std::cmp::Reverse(b.reported_at),
                ))
        });
        fleet.dedup_by(|later, kept| later.instance_id == kept.instance_id);
        let me = self.instance_status();
        fleet.retain(|i| i.instance_id != me.instance_id);
        fleet.insert(0, me);
        Ok(fleet)
    }

    /// Reads a snapshot, applies what wins now (unless it already runs) and arms the timer for
    /// the next transition. On a store error the config in force keeps running.
    pub fn reload(&self) -> Result<()> {
        self.inner.reload()
    }

    /// Does what the scheduler thread would do now: reload if a transition or a retry is due.
    pub fn tick(&self) -> Result<()> {
        let due = {
            let state = lock(&self.inner.state);
            let transition = state
                .status
                .next
                .as_ref()
                .is_some_and(|n| n.at <= self.inner.clock.now());
            transition || state.retry_at.is_some_and(|at| at <= Instant::now())
        };
        if due { self.reload() } else { Ok(()) }
    }

    /// Stops the scheduler thread and the propagator. The config in force stays applied: the
    /// logger goes on as it was, with no more transitions. To end with the baseline, call
    /// `controller.logger().apply_baseline()` after.
    pub fn stop(&self) {
        self.inner.mailbox.stop();
        self.inner.propagator.stop();
        if let Some(handle) = lock(&self.inner.thread).take() {
            let _ = handle.join();
        }
        // Gone from the fleet view at once, rather than stale until the store forgets it.
        if let Err(e) = self
            .inner
            .store
            .remove_instance(&self.inner.identity.instance_id)
        {
            log::debug!(target: "dynlog", "removing this instance's heartbeat failed: {e}");
        }
    }
}

impl Controller {
    /// [`Controller::stop`], then [`DynamicLogger::shutdown`]: every handler flushed and its
    /// background work stopped. Call it on SIGTERM or ctrl-c; the last clone's drop does it too.
    pub fn shutdown(&self) {
        self.stop();
        self.inner.logger.shutdown();
    }
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn reload(&self) -> Result<()> {
        self.reload_announcing(None)
    }

    /// Reads a snapshot and applies it; with `announce`, the revision a write of this process
    /// committed, first hands the snapshot to the propagator, so the others need not read the
    /// store (a doorbell alone if the read failed).
    fn reload_announcing(&self, announce: Option<i64>) -> Result<()> {
        let _one_at_a_time = lock(&self.reload_lock);
        let now = self.clock.now();
        let read = self.store.snapshot(now);
        if let Some(revision) = announce {
            let announced = match &read {
                Ok(snapshot) if snapshot.revision >= revision => {
                    self.propagator.announce_snapshot(snapshot)
                }
                _ => self.propagator.announce(revision),
            };
            if let Err(e) = announced {
                log::warn!(target: "dynlog", "could not announce revision {revision}: {e}");
            }
        }
        let snapshot = match read {
            Ok(snapshot) => snapshot,
            Err(error) => {
                let (failures, delay) = {
                    let mut state = lock(&self.state);
                    state.failures += 1;
                    let delay = backoff(state.failures);
                    state.retry_at = Some(Instant::now() + delay);
                    state.status.last_error = Some(error.to_string());
                    (state.failures, delay)
                };
                self.mailbox.rearm();
                log::error!(
                    target: "dynlog",
                    "reading the store failed ({failures} in a row; keeping the config in force, retrying in {delay:?}): {error}"
                );
                self.report();
                return Err(error);
            }
        };
        self.apply_snapshot(&snapshot, now);
        Ok(())
    }

    /// Applies a snapshot another process carried with its announcement, unless this one runs
    /// that revision or a later one already.
    fn apply_carried(&self, snapshot: &Snapshot) {
        let _one_at_a_time = lock(&self.reload_lock);
        if snapshot.revision <= lock(&self.state).status.revision {
            return;
        }
        self.apply_snapshot(snapshot, self.clock.now());
    }

    /// Computes what wins now and next from a snapshot, applies it unless it already runs, and
    /// re-arms the timer. The caller holds the reload lock.
    fn apply_snapshot(&self, snapshot: &Snapshot, now: DateTime<Utc>) {
        // The scheduled transition this reload applies, if one was due.
        let due = lock(&self.state)
            .status
            .next
            .clone()
            .filter(|next| next.at <= now);
        let running_of = |trigger: &Trigger| {
            snapshot
                .configs
                .get(&trigger.config_id)
                .map(|config| Running {
                    trigger: trigger.clone(),
                    config: config.clone(),
                })
        };
        // Triggers of scoped configs all apply at once, each to the records it matches; the
        // others elect the running config, as ever.
        let (scoped, unscoped): (Vec<Trigger>, Vec<Trigger>) =
            snapshot.triggers.iter().cloned().partition(|trigger| {
                snapshot
                    .configs
                    .get(&trigger.config_id)
                    .is_some_and(|config| !config.body.scope.is_empty())
            });
        let scoped_at = |at| -> Vec<Running> {
            active_at(&scoped, at)
                .into_iter()
                .filter_map(running_of)
                .collect()
        };
        let current = winner_at(&unscoped, now).and_then(running_of);
        let active = scoped_at(now);
        let next_at = match (
            next_transition(&unscoped, now).map(|t| t.at),
            next_change(&scoped, now),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let next = next_at.map(|at| Upcoming {
            at,
            running: winner_at(&unscoped, at).and_then(running_of),
            scoped: scoped_at(at),
        });
        let overlay = current
            .as_ref()
            .map(|r| r.config.body.clone())
            .unwrap_or_default();
        let layers: Vec<LoggingConfig> = active.iter().map(|r| r.config.body.clone()).collect();
        let hash = layers_hash(&self.logger.baseline().overlay(&overlay), &layers);

        let previous_hash = lock(&self.state).status.config_hash.clone();
        let mut error = None;
        let mut applied = None;
        if hash != previous_hash {
            match self.logger.apply_scoped(&overlay, &layers) {
                Ok(()) => applied = Some(hash.clone()),
                Err(e) => {
                    // A stored config this build cannot run (a handler it no longer has): run the
                    // baseline rather than something half-applied.
                    let registry = self.logger.registry();
                    let name = current
                        .iter()
                        .chain(&active)
                        .find(|r| r.config.body.validate(registry).is_err())
                        .or(current.as_ref())
                        .map(|r| r.config.name.clone())
                        .unwrap_or_default();
                    log::error!(target: "dynlog", "config {name:?} cannot be applied, running the baseline: {e}");
                    error = Some(format!("config {name:?} cannot be applied: {e}"));
                    let baseline_hash = config_hash(self.logger.baseline());
                    if baseline_hash != previous_hash && self.logger.apply_baseline().is_ok() {
                        applied = Some(baseline_hash);
                    }
                }
            }
        }
        {
            let mut state = lock(&self.state);
            state.failures = 0;
            state.retry_at = None;
            let status = &mut state.status;
            if let Some(hash) = applied {
                status.config_hash = hash;
                status.applied_at = Some(Utc::now());
                // Relaxed: a statistic.
                self.applies
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            status.revision = snapshot.revision;
            status.scoped = if error.is_some() { Vec::new() } else { active };
            status.current = if error.is_some() { None } else { current };
            status.next = next;
            status.last_error = error;
        }
        // The next transition may have moved: the scheduler must not sleep past it.
        self.mailbox.rearm();
        self.report();
        if let Some(due) = due {
            let kind = match &due.running {
                Some(run) if run.trigger.start == Some(due.at) => observe::TransitionKind::Start,
                _ => observe::TransitionKind::End,
            };
            let applied = observe::TransitionApplied {
                kind,
                due: due.at,
                applied: self.clock.now(),
            };
            let observers = lock(&self.observers).clone();
            for (_, observer) in observers {
                observer(&applied);
            }
        }
    }

    /// Reloads if the store's revision moved past the one applied.
    fn check(&self) {
        let applied = lock(&self.state).status.revision;
        match self.store.revision() {
            Ok(revision) if revision == applied => {}
            Ok(_) => {
                let _ = self.reload();
            }
            Err(error) => {
                lock(&self.state).status.last_error = Some(error.to_string());
                log::warn!(target: "dynlog", "polling the store's revision failed: {error}");
            }
        }
    }

    fn instance_status(&self) -> InstanceStatus {
        let status = lock(&self.state).status.clone();
        let id = &self.identity;
        InstanceStatus {
            instance_id: id.instance_id.clone(),
            host: id.host.clone(),
            pid: id.pid,
            app: id.app.clone(),
            revision: status.revision,
            config_hash: status.config_hash,
            winner: status.current.as_ref().map(|r| r.trigger.id),
            config_id: status.current.as_ref().map(|r| r.config.id),
            applied_at: status.applied_at,
            last_error: status.last_error,
            reported_at: Utc::now(),
        }
    }

    fn report(&self) {
        if let Err(e) = self.propagator.report(&self.instance_status()) {
            log::debug!(target: "dynlog", "reporting status failed: {e}");
        }
    }

    /// The periodic heartbeat: to the propagator and to the store. The store hears only these,
    /// not every apply, so its work per change does not grow with the fleet.
    fn heartbeat(&self) {
        let status = self.instance_status();
        if let Err(e) = self.propagator.report(&status) {
            log::debug!(target: "dynlog", "reporting status failed: {e}");
        }
        if let Err(e) = self.store.report_instance(&status) {
            log::debug!(target: "dynlog", "writing the heartbeat to the store failed: {e}");
        }
    }
}

/// The scheduler thread: sleeps until the next transition, retry, poll, heartbeat or request.
fn scheduler(inner: Weak<Inner>, mailbox: Arc<Mailbox>) {
    let mut next_poll = None::<Instant>;
    let mut next_heartbeat = Instant::now();
    loop {
        let timeout = {
            let Some(inner) = inner.upgrade() else { return };
            let now = Instant::now();
            let poll = inner.propagator.poll_interval();
            if next_poll.is_none() {
                next_poll = poll.map(|p| now + p);
            }
            let state = lock(&inner.state);
            let transition = state.status.next.as_ref().map(|n| {
                let wait = (n.at - inner.clock.now())
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                now + wait
            });
            [transition, state.retry_at, next_poll, Some(next_heartbeat)]
                .into_iter()
                .flatten()
                .min()
                .map(|at| at.saturating_duration_since(now))
        };
        let requests = mailbox.wait(timeout);
        if requests.stop {
            return;
        }
        let Some(inner) = inner.upgrade() else { return };
        let now = Instant::now();
        let due = {
            let state = lock(&inner.state);
            state
                .status
                .next
                .as_ref()
                .is_some_and(|n| n.at <= inner.clock.now())
                || state.retry_at.is_some_and(|at| at <= now)
        };
        if requests.reload || due {
            let _ = inner.reload();
        } else if let Some(snapshot) = &requests.snapshot {
            inner.apply_carried(snapshot);
        } else if requests.check || next_poll.is_some_and(|at| at <= now) {
            inner.check();
        }
        if let Some(poll) = inner.propagator.poll_interval()
            && next_poll.is_some_and(|at| at <= now)
        {
            next_poll = Some(now + poll);
        }
        if next_heartbeat <= now {
            next_heartbeat = now + inner.heartbeat;
            inner.heartbeat();
        }
    }
}

fn backoff(failures: u32) -> Duration {
    let millis = 500u64.saturating_mul(1 << failures.min(10).saturating_sub(1));
    Duration::from_millis(millis).min(Duration::from_secs(30))
}

/// FNV-1a of the config's JSON: stable across processes and builds, unlike `DefaultHasher`.
fn config_hash(config: &LoggingConfig) -> String {
    format!(
        "{:016x}",
        fnv1a(serde_json::to_string(config).unwrap_or_default().as_bytes())
    )
}

/// [`config_hash`] of the running config, and of each scoped config after it when there are any.
fn layers_hash(running: &LoggingConfig, scoped: &[LoggingConfig]) -> String {
    if scoped.is_empty() {
        return config_hash(running);
    }
    let mut text = serde_json::to_string(running).unwrap_or_default();
    for config in scoped {
        text.push('\n');
        text.push_str(&serde_json::to_string(config).unwrap_or_default());
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// FNV-1a from the `fnv` crate, not rustc-hash: FNV is a fixed algorithm, so a config hashes the
/// same in every process, build and platform, which rustc-hash does not promise (its 2.1.1
/// changed its output, and it hashes by `usize`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(bytes);
    hasher.finish()
}

fn short_program_name(arg0: String) -> String {
    std::path::Path::new(&arg0)
        .file_name()
        .map_or(arg0.clone(), |n| n.to_string_lossy().into_owned())
}

/// Who this process is, for the fleet view.
struct Identity {
    instance_id: String,
    host: String,
    pid: u32,
    app: String,
}

impl Identity {
    fn new(app: String) -> Self {
        let pid = std::process::id();
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        // Unique enough to tell restarts and processes apart without a random-number crate.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
        let id = fnv1a(format!("{host}/{pid}/{nanos}/{n}").as_bytes());
        Identity {
            instance_id: format!("{host}-{pid}-{:08x}", id as u32),
            host,
            pid,
            app,
        }
    }
}
