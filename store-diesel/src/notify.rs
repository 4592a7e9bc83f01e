//! `PgNotifyPropagator`: PostgreSQL's LISTEN/NOTIFY as the fleet's doorbell, with no broker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, RunQueryDsl};
use dynlog_core::propagate::{Announcement, Propagator, Reloader};
use dynlog_core::store::Snapshot;
use dynlog_core::{Error, Result};

/// The log target of this module's own records.
const TARGET: &str = "dynlog::pg_notify";

/// Propagates changes with PostgreSQL's `LISTEN`/`NOTIFY`, on the database the store uses: a
/// fleet on PostgreSQL needs no broker.
///
/// A listener thread keeps one connection that `LISTEN`s on the channel (one per process,
/// database and channel, shared by the controllers of the process) and, on every notification
/// from another instance, applies the snapshot it carries (the writer's, when it fits in a
/// notification) or reloads from the store. Diesel's notifications API does not block, so the
/// listener looks for notifications every [`PgNotifyPropagator::poll_every`] (5 ms by default: a
/// system call that finds nothing costs microseconds), and sends `SELECT 1` every
/// few seconds so a connection that died without a word is found. When the connection goes it
/// reconnects with backoff (capped at 5 s), checking the store's revision meanwhile, and reloads
/// on every (re)connect, since notifications sent while it was away are lost. The controller's
/// safety poll ([`PgNotifyPropagator::safety_poll`], 60 s by default) heals anything else.
///
/// Heartbeats are kept by the store (`dynlog_instances`), not by this propagator.
pub struct PgNotifyPropagator {
    /// The URL with its secrets, for connecting.
    url: String,
    /// The same, naming the listener's connection in `pg_stat_activity`.
    listen_url: String,
    /// The URL without its password, for messages.
    shown: String,
    channel: String,
    poll: Duration,
    safety_poll: Duration,
    carry_snapshots: bool,
    shared: Arc<Shared>,
}

struct Shared {
    instance_id: OnceLock<String>,
    /// The connection for NOTIFY; dropped on error and made again on demand.
    commands: Mutex<Option<PgConnection>>,
    /// The process's listener this instance joined.
    hub: Mutex<Option<Arc<Hub>>>,
}

/// One listening connection per database and channel in a process, shared by every
/// controller of the process that listens there: a process needs one, and a benchmark or an
/// application running many controllers in one process does not take one connection each.
struct Hub {
    key: (String, String),
    stop: AtomicBool,
    /// Whether the connection listens now; changed under the `reloaders` lock.
    listening: AtomicBool,
    reloaders: Mutex<Vec<Reloader>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// The hubs of this process, by database URL and channel.
type Hubs = Mutex<HashMap<(String, String), Arc<Hub>>>;

fn hubs() -> &'static Hubs {
    static HUBS: OnceLock<Hubs> = OnceLock::new();
    HUBS.get_or_init(Mutex::default)
}

/// A channel is an SQL identifier: it is written into `LISTEN`, so only these characters.
const MAX_CHANNEL: usize = 63;
/// NOTIFY refuses payloads of 8000 bytes or more.
pub(crate) const MAX_PAYLOAD: usize = 7999;
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the listener proves its connection alive with a query.
const HEALTH_CHECK: Duration = Duration::from_secs(5);
/// How long a connection attempt may take, unless the URL says otherwise.
const CONNECT_TIMEOUT_SECONDS: u32 = 5;
/// The listener connection's `application_name`, unless the URL sets one.
pub const LISTENER_NAME: &str = "dynlog-listener";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A connection slot or a handle; a panic cannot leave either half-written.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl PgNotifyPropagator {
    /// A propagator on the PostgreSQL at `url` (a `postgres://` URL, usually the store's),
    /// notifying on `channel`: 1 to 63 lowercase letters, digits and `_`, not starting with a
    /// digit. Nothing connects until the controller starts it. Its messages and records name
    /// the URL without its password.
    pub fn new(url: &str, channel: &str) -> Result<PgNotifyPropagator> {
        let shown = dynlog_core::redact::redact_url(url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::Invalid {
                field: "LISTEN/NOTIFY database URL",
                value: shown,
                reason: "expected a postgres:// URL".into(),
            });
        }
        let valid = !channel.is_empty()
            && channel.len() <= MAX_CHANNEL
            && !channel.starts_with(|c: char| c.is_ascii_digit())
            && channel
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(Error::Invalid {
                field: "LISTEN/NOTIFY channel",
                value: channel.chars().take(100).collect(),
                reason: format!(
                    "expected 1 to {MAX_CHANNEL} lowercase letters, digits and _, not starting with a digit"
                ),
            });
        }
        Ok(PgNotifyPropagator {
            url: with_param(url, "connect_timeout", CONNECT_TIMEOUT_SECONDS),
            listen_url: with_param(
                &with_param(url, "connect_timeout", CONNECT_TIMEOUT_SECONDS),
                "application_name",
                LISTENER_NAME,
            ),
            shown,
            channel: channel.to_string(),
            poll: Duration::from_millis(5),
            safety_poll: Duration::from_secs(60),
            carry_snapshots: true,
            shared: Arc::new(Shared {
                instance_id: OnceLock::new(),
                commands: Mutex::new(None),
                hub: Mutex::new(None),
            }),
        })
    }

    /// Whether announcements carry the writer's snapshot when it fits in a notification (on by
    /// default), so that the others apply it without reading the store. Anyone who can
    /// `NOTIFY` on the database can then make the fleet apply a config (checked against each
    /// process's handlers and filters like any other); off, every process reads the store on
    /// each change.
    pub fn carry_snapshots(mut self, carry: bool) -> Self {
        self.carry_snapshots = carry;
        self
    }

    /// How often the listener looks for notifications (5 ms by default): the most a
    /// notification waits before it is seen. The process's listener takes the setting of the
    /// first controller that starts it.
    pub fn poll_every(mut self, every: Duration) -> Self {
        self.poll = every.max(Duration::from_millis(1));
        self
    }

    /// How often the controller compares the store's revision, in case a message was missed.
    pub fn safety_poll(mut self, every: Duration) -> Self {
        self.safety_poll = every;
        self
    }

    /// Runs `f` on the command connection, making it if needed; drops it on error.
    fn command<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut PgConnection) -> diesel::QueryResult<T>,
    ) -> Result<T> {
        let mut slot = lock(&self.shared.commands);
        if slot.is_none() {
            let conn = PgConnection::establish(&self.url).map_err(|e| {
                Error::propagation(format!("{what}: connecting to {}", self.shown), e)
            })?;
            *slot = Some(conn);
        }
        let Some(conn) = slot.as_mut() else {
            return Err(Error::Propagation {
                message: format!("{what}: no connection"),
                cause: None,
            });
        };
        f(conn).map_err(|e| {
            *slot = None;
            Error::propagation(format!("{what} on {}", self.shown), e)
        })
    }

    fn notify(&self, payload: &str) -> Result<()> {
        self.command("notifying a change", |conn| {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(&self.channel)
                .bind::<Text, _>(payload)
                .execute(conn)
                .map(drop)
        })
    }
}

/// Adds a parameter to a URL that does not set it: `connect_timeout`, so a host that does not
/// answer costs seconds, not the system's TCP timeout; `application_name`, so the listener's
/// connection is known in `pg_stat_activity`.
fn with_param(url: &str, name: &str, value: impl std::fmt::Display) -> String {
    if url.contains(&format!("{name}=")) {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{name}={value}")
}

impl std::fmt::Debug for PgNotifyPropagator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNotifyPropagator")
            .field("url", &self.shown)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl Propagator for PgNotifyPropagator {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn start(&self, reloader: Reloader) -> Result<()> {
        let _ = self
            .shared
            .instance_id
            .set(reloader.instance_id().to_string());
        let key = (self.listen_url.clone(), self.channel.clone());
        let mut hubs = lock(hubs());
        let hub = match hubs.get(&key) {
            Some(hub) => Arc::clone(hub),
            None => {
                let hub = Arc::new(Hub {
                    key: key.clone(),
                    stop: AtomicBool::new(false),
                    listening: AtomicBool::new(false),
                    reloaders: Mutex::new(Vec::new()),
                    thread: Mutex::new(None),
                });
                let listener = Listener {
                    url: self.listen_url.clone(),
                    shown: self.shown.clone(),
                    channel: self.channel.clone(),
                    poll: self.poll,
                    hub: Arc::clone(&hub),
                };
                let handle = std::thread::Builder::new()
                    .name("dynlog-pg-notify".into())
                    .spawn(move || listener.run())
                    .map_err(|cause| Error::Io {
                        context: "starting the LISTEN/NOTIFY listener thread".into(),
                        cause,
                    })?;
                *lock(&hub.thread) = Some(handle);
                hubs.insert(key, Arc::clone(&hub));
                hub
            }
        };
        drop(hubs);
        {
            let mut reloaders = lock(&hub.reloaders);
            reloaders.push(reloader.clone());
            // Joining a listener that listens already: what was announced before is lost to
            // this instance, so it reads the store. A listener not yet listening asks everyone
            // once it does. Relaxed: read and written under the `reloaders` lock.
            if hub.listening.load(Ordering::Relaxed) {
                reloader.reload();
            }
        }
        *lock(&self.shared.hub) = Some(hub);
        Ok(())
    }

    fn announce(&self, revision: i64) -> Result<()> {
        let origin = self.shared.instance_id.get().map_or("", String::as_str);
        self.notify(&Announcement::doorbell(revision, origin).to_json())
    }

    fn announce_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        let origin = self.shared.instance_id.get().map_or("", String::as_str);
        self.notify(&Announcement::carrying(
            snapshot,
            origin,
            self.carry_snapshots,
            MAX_PAYLOAD,
        ))
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(self.safety_poll)
    }

    fn stop(&self) {
        let Some(hub) = lock(&self.shared.hub).take() else {
            lock(&self.shared.commands).take();
            return;
        };
        let me = self.shared.instance_id.get().cloned().unwrap_or_default();
        let last = {
            let mut hubs = lock(hubs());
            let mut reloaders = lock(&hub.reloaders);
            reloaders.retain(|r| r.instance_id() != me);
            let last = reloaders.is_empty();
            if last && hubs.get(&hub.key).is_some_and(|h| Arc::ptr_eq(h, &hub)) {
                hubs.remove(&hub.key);
            }
            last
        };
        if last {
            // Relaxed: the listener only needs to see it eventually (within one poll).
            hub.stop.store(true, Ordering::Relaxed);
            if let Some(handle) = lock(&hub.thread).take() {
                let _ = handle.join();
            }
        }
        lock(&self.shared.commands).take();
    }
}

/// The listener thread's state.
struct Listener {
    url: String,
    shown: String,
    channel: String,
    poll: Duration,
    hub: Arc<Hub>,
}

impl Listener {
    fn stopped(&self) -> bool {
        self.hub.stop.load(Ordering::Relaxed)
    }

    fn each(&self, f: impl Fn(&Reloader)) {
        lock(&self.hub.reloaders).iter().for_each(f);
    }

    /// Connect, LISTEN, reload, hear notifications; on any error reconnect with backoff,
    /// checking the store meanwhile.
    fn run(self) {
        let mut backoff = Duration::from_millis(100);
        let mut down = false;
        while !self.stopped() {
            let listened = self.listen(&mut || {
                if down {
                    log::info!(target: TARGET, "PostgreSQL at {} is back; listening on {:?} again", self.shown, self.channel);
                    down = false;
                }
                backoff = Duration::from_millis(100);
            });
            match listened {
                Ok(()) => return,
                Err(e) => {
                    if !down {
                        log::warn!(target: TARGET, "LISTEN connection to {} lost or refused ({e}); checking the store until it is back", self.shown);
                        down = true;
                    }
                    // While the connection is away, the store may still answer.
                    self.each(Reloader::check);
                    self.sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One connection's life: returns `Ok` when stopped, the error when the connection fails.
    fn listen(&self, connected: &mut dyn FnMut()) -> std::result::Result<(), String> {
        let mut conn = PgConnection::establish(&self.url).map_err(|e| e.to_string())?;
        conn.batch_execute(&format!("LISTEN {}", self.channel))
            .map_err(|e| e.to_string())?;
        connected();
        // Notifications sent while we were away are lost: read the store now.
        {
            let reloaders = lock(&self.hub.reloaders);
            self.hub.listening.store(true, Ordering::Relaxed);
            reloaders.iter().for_each(Reloader::reload);
        }
        let result = self.hear_until_stopped(&mut conn);
        {
            let _reloaders = lock(&self.hub.reloaders);
            self.hub.listening.store(false, Ordering::Relaxed);
        }
        result
    }

    /// Hears notifications until stopped (`Ok`) or the connection fails.
    fn hear_until_stopped(&self, conn: &mut PgConnection) -> std::result::Result<(), String> {
        let mut checked = Instant::now();
        loop {
            if self.stopped() {
                return Ok(());
            }
            for notification in conn.notifications_iter() {
                let notification = notification.map_err(|e| e.to_string())?;
                self.hear(&notification.payload);
            }
            if checked.elapsed() >= HEALTH_CHECK {
                conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
                checked = Instant::now();
            }
            std::thread::sleep(self.poll);
        }
    }

    fn hear(&self, payload: &str) {
        match Announcement::read(payload.as_bytes(), MAX_PAYLOAD) {
            Ok(Some(announcement)) => self.each(|reloader| announcement.ring(reloader)),
            // NOTIFY refuses larger payloads: not one of ours, but a reload costs little.
            Ok(None) => self.each(Reloader::reload),
            Err(e) => {
                log::warn!(target: TARGET, "ignored a notification that is not an announcement: {e}");
            }
        }
    }

    fn sleep(&self, total: Duration) {
        let tick = Duration::from_millis(50);
        let mut left = total;
        while !left.is_zero() && !self.stopped() {
            let step = left.min(tick);
            std::thread::sleep(step);
            left -= step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_and_channels_are_named() {
        let err = PgNotifyPropagator::new("redis://:s3cret@127.0.0.1/", "dynlog")
            .expect_err("not postgres")
            .to_string();
        assert!(
            err.contains("redis://:***@127.0.0.1/") && !err.contains("s3cret"),
            "{err}"
        );
        for channel in [
            "",
            "Dynlog",
            "1dynlog",
            "dyn-log",
            "dynlog; DROP TABLE x",
            &"a".repeat(64),
        ] {
            let err = PgNotifyPropagator::new("postgres://127.0.0.1/x", channel)
                .expect_err(channel)
                .to_string();
            assert!(err.contains("LISTEN/NOTIFY channel"), "{err}");
        }
        PgNotifyPropagator::new("postgres://127.0.0.1/x", "dynlog_staging2").expect("valid");
    }

    #[test]
    fn parameters_are_added_unless_given() {
        assert_eq!(
            with_param("postgres://h/db", "connect_timeout", 5),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            with_param("postgres://h/db?sslmode=require", "connect_timeout", 5),
            "postgres://h/db?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            with_param("postgres://h/db?connect_timeout=1", "connect_timeout", 5),
            "postgres://h/db?connect_timeout=1"
        );
    }

    #[test]
    fn messages_name_the_url_without_its_password() {
        // Nothing listens on port 1.
        let propagator =
            PgNotifyPropagator::new("postgres://app:s3cret@127.0.0.1:1/db", "dynlog").unwrap();
        let shown = format!("{propagator:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        let err = propagator
            .announce(1)
            .expect_err("nothing listens")
            .to_string();
        assert!(
            err.contains("postgres://app:***@127.0.0.1:1/db") && !err.contains("s3cret"),
            "{err}"
        );
    }
}
