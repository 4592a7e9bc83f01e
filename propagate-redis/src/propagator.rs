//! `RedisPropagator`: pub/sub doorbells, resync on reconnect, heartbeats with expiry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use dynlog_core::propagate::{Announcement, InstanceStatus, Propagator, Reloader};
use dynlog_core::store::Snapshot;
use dynlog_core::{Error, Result};

/// The log target of this crate's own records.
const TARGET: &str = "dynlog::redis";

pub use dynlog_core::propagate::OnError;

/// The largest announcement that carries its snapshot; a larger snapshot stays behind and the
/// others read the store. Messages received above it are taken as a doorbell, unparsed.
pub const MAX_CARRIED: usize = 256 * 1024;

/// Propagates changes over Redis pub/sub, and keeps the fleet's heartbeats in Redis.
///
/// A listener thread subscribes to the channel and reloads on every announcement from another
/// instance. When Redis goes away it reconnects with backoff (capped at 5 s), checking the
/// store's revision meanwhile, and reloads on every (re)subscribe, since messages sent while
/// it was away are lost. The controller's safety poll ([`RedisPropagator::safety_poll`], 60 s by
/// default) heals anything else missed.
pub struct RedisPropagator {
    client: redis::Client,
    /// The URL without its password, for messages.
    url: String,
    channel: String,
    on_error: OnError,
    heartbeat_ttl: Duration,
    safety_poll: Duration,
    carry_snapshots: bool,
    shared: Arc<Shared>,
}

struct Shared {
    stop: AtomicBool,
    instance_id: OnceLock<String>,
    /// The connection for PUBLISH and heartbeats; dropped on error and made again on demand.
    commands: Mutex<Option<redis::Connection>>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const IO_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the listener looks at the stop flag while no message comes.
const LISTEN_TICK: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A connection slot or a handle; a panic cannot leave either half-written.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl RedisPropagator {
    /// A propagator on the Redis at `url` (`redis://host:port/db`, `redis://:password@host/`),
    /// announcing on `channel`. Nothing connects until the controller starts it. Its messages
    /// and records name the URL without its password.
    ///
    /// A `rediss://` URL connects over TLS (rustls), verifying the server against the system's
    /// certificate authorities, or those of [`RedisPropagator::ca_file`].
    pub fn new(url: &str, channel: &str) -> Result<RedisPropagator> {
        let shown = dynlog_core::redact::redact_url(url);
        if url.starts_with("rediss://") {
            crate::tls::ensure_crypto_provider();
        }
        let client = redis::Client::open(url)
            .map_err(|e| Error::propagation(format!("Redis URL {shown:?}"), e))?;
        Ok(RedisPropagator {
            client,
            url: shown,
            channel: channel.to_string(),
            on_error: OnError::default(),
            heartbeat_ttl: Duration::from_secs(15),
            safety_poll: Duration::from_secs(60),
            carry_snapshots: true,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                instance_id: OnceLock::new(),
                commands: Mutex::new(None),
                listener: Mutex::new(None),
            }),
        })
    }

    /// Trusts the certificate authorities of the PEM file at `path` for the `rediss://` URL,
    /// instead of the system's: a managed Redis's own CA, or a private one. The file is read
    /// now; a missing or unreadable file, one with no certificate, or a `redis://` URL is
    /// refused with an error naming the file.
    pub fn ca_file(mut self, path: impl AsRef<std::path::Path>) -> Result<RedisPropagator> {
        let path = path.as_ref();
        let pem = crate::tls::read_ca_file(path, self.client.get_connection_info())?;
        self.client = redis::Client::build_with_tls(
            self.client.get_connection_info().clone(),
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem),
            },
        )
        .map_err(|e| Error::Invalid {
            field: "Redis CA file",
            value: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(self)
    }

    /// What to do when Redis cannot be reached at startup.
    pub fn on_error(mut self, on_error: OnError) -> Self {
        self.on_error = on_error;
        self
    }

    /// How long a heartbeat lives without renewal (15 s by default: three of the controller's
    /// default 5 s heartbeats).
    pub fn heartbeat_ttl(mut self, ttl: Duration) -> Self {
        self.heartbeat_ttl = ttl;
        self
    }

    /// How often the controller compares the store's revision, in case a message was missed.
    pub fn safety_poll(mut self, every: Duration) -> Self {
        self.safety_poll = every;
        self
    }

    /// Whether announcements carry the writer's snapshot (on by default), so that the others
    /// apply it without reading the store. Off, they are doorbells and every process reads the
    /// store on each change. Anyone who can publish on the channel can then make the fleet
    /// apply a config (checked against each process's handlers and filters like any other),
    /// where with doorbells alone they could only make it reload: turn it off where Redis is
    /// less guarded than the database.
    pub fn carry_snapshots(mut self, carry: bool) -> Self {
        self.carry_snapshots = carry;
        self
    }

    fn publish(&self, payload: &str) -> Result<()> {
        self.command("publishing a change", |conn| {
            redis::cmd("PUBLISH")
                .arg(&self.channel)
                .arg(payload)
                .query::<i64>(conn)
                .map(drop)
        })
    }

    fn instance_key(&self, instance_id: &str) -> String {
        format!("{}:instance:{instance_id}", self.channel)
    }

    /// Runs `f` on the command connection, making it if needed; drops it on error.
    fn command<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut slot = lock(&self.shared.commands);
        if slot.is_none() {
            let conn = connect(&self.client).map_err(|e| {
                Error::propagation(format!("{what}: connecting to {}", self.url), e)
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
            Error::propagation(what, e)
        })
    }
}

impl std::fmt::Debug for RedisPropagator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPropagator")
            .field("url", &self.url)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

fn connect(client: &redis::Client) -> redis::RedisResult<redis::Connection> {
    let conn = client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
    conn.set_read_timeout(Some(IO_TIMEOUT))?;
    conn.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(conn)
}

impl Propagator for RedisPropagator {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn start(&self, reloader: Reloader) -> Result<()> {
        let _ = self
            .shared
            .instance_id
            .set(reloader.instance_id().to_string());
        if self.on_error == OnError::Fail {
            connect(&self.client).map_err(|e| {
                Error::propagation(format!("connecting to Redis at {} at startup", self.url), e)
            })?;
        }
        let (client, url, channel, shared) = (
            self.client.clone(),
            self.url.clone(),
            self.channel.clone(),
            Arc::clone(&self.shared),
        );
        let handle = std::thread::Builder::new()
            .name("dynlog-redis".into())
            .spawn(move || listen(&client, &url, &channel, &shared, &reloader))
            .map_err(|cause| Error::Io {
                context: "starting the Redis listener thread".into(),
                cause,
            })?;
        *lock(&self.shared.listener) = Some(handle);
        Ok(())
    }

    fn announce(&self, revision: i64) -> Result<()> {
        let origin = self.shared.instance_id.get().map_or("", String::as_str);
        self.publish(&Announcement::doorbell(revision, origin).to_json())
    }

    fn announce_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        let origin = self.shared.instance_id.get().map_or("", String::as_str);
        self.publish(&Announcement::carrying(
            snapshot,
            origin,
            self.carry_snapshots,
            MAX_CARRIED,
        ))
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(self.safety_poll)
    }

    fn report(&self, status: &InstanceStatus) -> Result<()> {
        let key = self.instance_key(&status.instance_id);
        let payload = serde_json::to_string(status).unwrap_or_default();
        let ttl = self.heartbeat_ttl.as_millis().max(1) as u64;
        self.command("writing the heartbeat", |conn| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&payload)
                .arg("PX")
                .arg(ttl)
                .query::<()>(conn)
        })
    }

    fn fleet(&self) -> Result<Vec<InstanceStatus>> {
        let pattern = self.instance_key("*");
        let payloads: Vec<Option<String>> = self.command("reading the fleet", |conn| {
            let mut keys: Vec<String> = Vec::new();
            let mut cursor = 0u64;
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query(conn)?;
                keys.extend(batch);
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            redis::cmd("MGET").arg(&keys).query(conn)
        })?;
        let mut fleet: Vec<InstanceStatus> = payloads
            .into_iter()
            .flatten()
            .filter_map(|p| serde_json::from_str(&p).ok())
            .collect();
        fleet.sort_by(|a, b| {
            (&a.host, a.pid, &a.instance_id).cmp(&(&b.host, b.pid, &b.instance_id))
        });
        Ok(fleet)
    }

    fn stop(&self) {
        // Relaxed: the listener only needs to see it eventually (within one tick).
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = lock(&self.shared.listener).take() {
            let _ = handle.join();
        }
        if let Some(id) = self.shared.instance_id.get() {
            let key = self.instance_key(id);
            let _ = self.command("removing the heartbeat", |conn| {
                redis::cmd("DEL").arg(&key).query::<()>(conn)
            });
        }
    }
}

/// The listener thread: subscribe, reload, hear announcements; on any error reconnect with
/// backoff, checking the store meanwhile. `url` is the redacted URL, for its records.
fn listen(client: &redis::Client, url: &str, channel: &str, shared: &Shared, reloader: &Reloader) {
    let stopped = || shared.stop.load(Ordering::Relaxed);
    let mut backoff = Duration::from_millis(100);
    let mut down_since_logged = false;
    while !stopped() {
        let subscribed = connect(client).and_then(|mut conn| {
            conn.set_read_timeout(Some(LISTEN_TICK))?;
            let mut pubsub = conn.as_pubsub();
            pubsub.subscribe(channel)?;
            if down_since_logged {
                log::info!(target: TARGET, "Redis at {url} is back; resubscribed to {channel:?}");
                down_since_logged = false;
            }
            backoff = Duration::from_millis(100);
            // Messages sent while we were away are lost: read the store now.
            reloader.reload();
            loop {
                if stopped() {
                    return Ok(());
                }
                match pubsub.get_message() {
                    Ok(message) => hear(&message, reloader),
                    Err(e) if e.is_timeout() => continue,
                    Err(e) => return Err(e),
                }
            }
        });
        match subscribed {
            Ok(()) => return,
            Err(e) => {
                if !down_since_logged {
                    log::warn!(target: TARGET, "Redis connection to {url} lost or refused ({e}); checking the store until it is back");
                    down_since_logged = true;
                }
                // While Redis is away, the store is still the truth.
                reloader.check();
                sleep_unless_stopped(backoff, &stopped);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn hear(message: &redis::Msg, reloader: &Reloader) {
    match Announcement::read(message.get_payload_bytes(), MAX_CARRIED) {
        Ok(Some(announcement)) => announcement.ring(reloader),
        // Too large to be one of ours with its snapshot: a doorbell, not worth parsing.
        Ok(None) => reloader.reload(),
        Err(e) => log::warn!(target: TARGET, "ignored a message that is not an announcement: {e}"),
    }
}

fn sleep_unless_stopped(total: Duration, stopped: &impl Fn() -> bool) {
    let mut left = total;
    while !left.is_zero() && !stopped() {
        let step = left.min(LISTEN_TICK);
        std::thread::sleep(step);
        left -= step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_url_without_its_password() {
        // Nothing listens on port 1.
        let propagator = RedisPropagator::new("redis://:s3cret@127.0.0.1:1/", "dynlog")
            .expect("a well-formed URL")
            .on_error(OnError::Fail);
        let shown = format!("{propagator:?}");
        assert!(
            shown.contains("redis://:***@127.0.0.1:1/") && !shown.contains("s3cret"),
            "{shown}"
        );
        let err = propagator
            .command("publishing a change", |_| Ok(()))
            .expect_err("nothing listens")
            .to_string();
        assert!(
            err.contains("redis://:***@127.0.0.1:1/") && !err.contains("s3cret"),
            "{err}"
        );
        let err = RedisPropagator::new("redis://user:s3cret@127.0.0.1:6379/not-a-db", "dynlog")
            .expect_err("a bad database number")
            .to_string();
        assert!(
            err.contains("redis://user:***@127.0.0.1:6379/not-a-db") && !err.contains("s3cret"),
            "{err}"
        );
    }
}
