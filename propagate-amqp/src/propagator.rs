//! `AmqpPropagator`: announcements on a fanout exchange, one exclusive queue per instance,
//! reconnect with resync.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use amqprs::BasicProperties;
use amqprs::channel::{
    BasicAckArguments, BasicConsumeArguments, BasicPublishArguments, BasicQosArguments, Channel,
    ExchangeDeclareArguments, QueueBindArguments, QueueDeclareArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use dynlog_core::propagate::{Announcement, Propagator, Reloader};
use dynlog_core::store::Snapshot;
use dynlog_core::{Error, Result};
use tokio::sync::mpsc;

use crate::url::AmqpUrl;

/// The log target of this crate's own records.
const TARGET: &str = "dynlog::amqp";

pub use dynlog_core::propagate::OnError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `announce` waits for the listener to hand their message to the broker.
const PUBLISH_WAIT: Duration = Duration::from_secs(2);
/// How long `start` waits for the first connection, so that the instance hears what is
/// announced once it has started.
const FIRST_CONNECT_WAIT: Duration = Duration::from_secs(3);
/// How often the listener looks at the stop flag while nothing happens.
const TICK: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Messages waiting to be published; past it `announce` fails at once.
const OUTBOX: usize = 256;
/// Deliveries the broker sends before we acknowledge them; the rest wait in our queue.
const PREFETCH: u16 = 256;
/// The most messages our queue keeps for us; older ones are dropped (the latest says where the
/// store is, and the store is the truth).
const MAX_QUEUED: i64 = 10_000;
/// The most bytes of messages our queue keeps for us: 256 of the largest announcements, while
/// 10,000 doorbells take a few hundred bytes each.
const MAX_QUEUED_BYTES: i64 = 16 * 1024 * 1024;

/// The largest announcement that carries its snapshot; a larger snapshot stays behind and the
/// others read the store. Messages received above it are taken as a doorbell, unparsed.
///
/// 64 KiB: below RabbitMQ's default frame size (128 KiB), so an announcement travels as one
/// frame, and small enough that what a process may hold unacknowledged (256 deliveries) and
/// what its queue keeps while it is slow (16 MiB) stay modest. A snapshot holds only the
/// triggers that can still win and their configs; a larger one (a config body may reach
/// 256 KiB) goes as a doorbell, and the others read the store.
pub const MAX_CARRIED: usize = 64 * 1024;

/// Where the listener is.
const CONNECTING: u8 = 0;
const UP: u8 = 1;
const DOWN: u8 = 2;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A map, a handle or a sender; a panic cannot leave any of them half-written.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Propagates changes over an AMQP 0-9-1 broker (RabbitMQ): a fanout exchange, one exclusive,
/// server-named queue per instance bound to it.
///
/// A listener thread (with a single-threaded tokio runtime of its own) consumes the queue and
/// reloads on every change announced by another instance. When the connection goes, the queue
/// goes with it and the messages sent meanwhile are lost: the listener reconnects with backoff
/// (capped at 5 s), checks the store's revision while the broker is away, and reloads on every
/// reconnect. The controller's safety poll ([`AmqpPropagator::safety_poll`], 60 s by default)
/// heals anything else.
///
/// An announcement carries the writer's snapshot when it fits in [`MAX_CARRIED`]
/// ([`AmqpPropagator::carry_snapshots`]): the others apply it without reading the store.
/// Heartbeats are kept by the store, as with every propagator, not sent on the exchange.
pub struct AmqpPropagator {
    arguments: OpenConnectionArguments,
    /// The URL without its password, for messages.
    url: String,
    exchange: String,
    on_error: OnError,
    safety_poll: Duration,
    carry_snapshots: bool,
    shared: Arc<Shared>,
}

struct Shared {
    stop: AtomicBool,
    state: AtomicU8,
    instance_id: OnceLock<String>,
    /// Messages for the listener to publish, each with where to say how it went.
    outbox: mpsc::Sender<Outgoing>,
    /// Taken by the listener when it starts.
    outbox_rx: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    /// Wakes the listener to stop.
    wake: tokio::sync::Notify,
    listener: Mutex<Option<JoinHandle<()>>>,
}

struct Outgoing {
    payload: Vec<u8>,
    done: std_mpsc::SyncSender<std::result::Result<(), String>>,
}

impl AmqpPropagator {
    /// A propagator on the broker at `url` (`amqp://user:password@host:5672/vhost`, with an
    /// optional `?heartbeat=seconds`, 10 by default), announcing on the fanout exchange
    /// `exchange` (declared durable if missing). Nothing connects until the controller starts
    /// it. A bad URL is refused here, named without its password.
    pub fn new(url: &str, exchange: &str) -> Result<AmqpPropagator> {
        let shown = dynlog_core::redact::redact_url(url);
        let parsed = AmqpUrl::parse(url, &shown)?;
        if exchange.is_empty() || exchange.len() > 255 || exchange.starts_with("amq.") {
            return Err(Error::Invalid {
                field: "AMQP exchange",
                value: exchange.chars().take(300).collect(),
                reason: "expected 1 to 255 bytes, not starting with \"amq.\"".into(),
            });
        }
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX);
        Ok(AmqpPropagator {
            arguments: parsed.arguments("dynlog"),
            url: shown,
            exchange: exchange.to_string(),
            on_error: OnError::default(),
            safety_poll: Duration::from_secs(60),
            carry_snapshots: true,
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                state: AtomicU8::new(CONNECTING),
                instance_id: OnceLock::new(),
                outbox,
                outbox_rx: Mutex::new(Some(outbox_rx)),
                wake: tokio::sync::Notify::new(),
                listener: Mutex::new(None),
            }),
        })
    }

    /// What to do when the broker cannot be reached at startup.
    pub fn on_error(mut self, on_error: OnError) -> Self {
        self.on_error = on_error;
        self
    }

    /// How often the controller compares the store's revision, in case a message was missed.
    pub fn safety_poll(mut self, every: Duration) -> Self {
        self.safety_poll = every;
        self
    }

    /// Whether announcements carry the writer's snapshot (on by default), so that the others
    /// apply it without reading the store. Off, they are doorbells and every process reads the
    /// store on each change. Anyone who can publish on the exchange can then make the fleet
    /// apply a config (checked against each process's handlers and filters like any other),
    /// where with doorbells alone they could only make it reload: turn it off where the broker
    /// is less guarded than the database.
    pub fn carry_snapshots(mut self, carry: bool) -> Self {
        self.carry_snapshots = carry;
        self
    }

    /// Hands `payload` to the listener and waits until it is published.
    fn publish(&self, what: &str, payload: String) -> Result<()> {
        let failed = |reason: String| Error::Propagation {
            message: format!("{what} on {}: {reason}", self.url),
            cause: None,
        };
        if self.shared.stop.load(Ordering::Relaxed) {
            return Err(failed("the propagator is stopped".into()));
        }
        if self.shared.state.load(Ordering::Relaxed) == DOWN {
            return Err(failed(
                "the broker is unreachable; reconnecting in the background".into(),
            ));
        }
        let payload = payload.into_bytes();
        let (done, outcome) = std_mpsc::sync_channel(1);
        self.shared
            .outbox
            .try_send(Outgoing { payload, done })
            .map_err(|e| failed(format!("cannot queue the message ({e})")))?;
        match outcome.recv_timeout(PUBLISH_WAIT) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(failed(reason)),
            Err(_) => Err(failed(format!(
                "not published within {PUBLISH_WAIT:?} (the broker is away or slow)"
            ))),
        }
    }
}

impl std::fmt::Debug for AmqpPropagator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpPropagator")
            .field("url", &self.url)
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl Propagator for AmqpPropagator {
    fn name(&self) -> &'static str {
        "amqp"
    }

    fn start(&self, reloader: Reloader) -> Result<()> {
        let _ = self
            .shared
            .instance_id
            .set(reloader.instance_id().to_string());
        let Some(outbox) = lock(&self.shared.outbox_rx).take() else {
            return Err(Error::Propagation {
                message: "the AMQP propagator was started twice".into(),
                cause: None,
            });
        };
        let (first_tx, first_rx) = std_mpsc::sync_channel(1);
        let listener = Listener {
            arguments: self.arguments.clone(),
            url: self.url.clone(),
            exchange: self.exchange.clone(),
            shared: Arc::clone(&self.shared),
            reloader,
            first: Some(first_tx),
        };
        let handle = std::thread::Builder::new()
            .name("dynlog-amqp".into())
            .spawn(move || listener.run(outbox))
            .map_err(|cause| Error::Io {
                context: "starting the AMQP listener thread".into(),
                cause,
            })?;
        *lock(&self.shared.listener) = Some(handle);
        // Wait for the first attempt: once `start` returns, what is announced is heard.
        match first_rx.recv_timeout(FIRST_CONNECT_WAIT) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) if self.on_error == OnError::Fail => {
                self.stop();
                Err(Error::Propagation {
                    message: format!(
                        "connecting to the AMQP broker at {} at startup: {reason}",
                        self.url
                    ),
                    cause: None,
                })
            }
            Err(_) if self.on_error == OnError::Fail => {
                self.stop();
                Err(Error::Propagation {
                    message: format!(
                        "connecting to the AMQP broker at {} at startup: no answer within {FIRST_CONNECT_WAIT:?}",
                        self.url
                    ),
                    cause: None,
                })
            }
            // The listener keeps trying, and checks the store meanwhile.
            _ => Ok(()),
        }
    }

    fn announce(&self, revision: i64) -> Result<()> {
        let origin = self.shared.instance_id.get().map_or("", String::as_str);
        self.publish(
            "publishing a change",
            Announcement::doorbell(revision, origin).to_json(),
        )
    }

    fn announce_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        let origin = self.shared.instance_id.get().map_or("", String::as_str);
        self.publish(
            "publishing a change",
            Announcement::carrying(snapshot, origin, self.carry_snapshots, MAX_CARRIED),
        )
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(self.safety_poll)
    }

    fn stop(&self) {
        // Relaxed: the listener also gets a wake-up, and looks at the flag every tick.
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_one();
        if let Some(handle) = lock(&self.shared.listener).take() {
            let _ = handle.join();
        }
    }
}

/// The listener thread's state.
struct Listener {
    arguments: OpenConnectionArguments,
    url: String,
    exchange: String,
    shared: Arc<Shared>,
    reloader: Reloader,
    /// Told the outcome of the first connection attempt.
    first: Option<std_mpsc::SyncSender<std::result::Result<(), String>>>,
}

/// Why a session with the broker ended.
enum Ended {
    Stopped,
    Lost(String),
}

impl Listener {
    fn run(mut self, mut outbox: mpsc::Receiver<Outgoing>) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                log::error!(target: TARGET, "cannot start the AMQP listener's runtime: {e}");
                self.shared.state.store(DOWN, Ordering::Relaxed);
                if let Some(first) = self.first.take() {
                    let _ = first.send(Err(e.to_string()));
                }
                return;
            }
        };
        runtime.block_on(self.reconnect_forever(&mut outbox));
    }

    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
    }

    async fn reconnect_forever(&mut self, outbox: &mut mpsc::Receiver<Outgoing>) {
        let mut backoff = Duration::from_millis(100);
        let mut down_logged = false;
        while !self.stopped() {
            self.shared.state.store(CONNECTING, Ordering::Relaxed);
            let ended = match self.connect().await {
                Ok((connection, channel, deliveries)) => {
                    self.shared.state.store(UP, Ordering::Relaxed);
                    if let Some(first) = self.first.take() {
                        let _ = first.send(Ok(()));
                    }
                    if down_logged {
                        log::info!(target: TARGET, "the AMQP broker at {} is back; listening on {:?} again", self.url, self.exchange);
                        down_logged = false;
                    }
                    backoff = Duration::from_millis(100);
                    // Messages sent while we were away are lost: read the store now.
                    self.reloader.reload();
                    let ended = self.serve(&connection, &channel, deliveries, outbox).await;
                    self.shared.state.store(DOWN, Ordering::Relaxed);
                    let _ =
                        tokio::time::timeout(Duration::from_millis(500), connection.close()).await;
                    ended
                }
                Err(reason) => {
                    self.shared.state.store(DOWN, Ordering::Relaxed);
                    if let Some(first) = self.first.take() {
                        let _ = first.send(Err(reason.clone()));
                    }
                    Ended::Lost(reason)
                }
            };
            // What waits to be published fails now rather than at its timeout.
            while let Ok(pending) = outbox.try_recv() {
                let _ = pending
                    .done
                    .send(Err("the connection to the broker was lost".into()));
            }
            match ended {
                Ended::Stopped => return,
                Ended::Lost(reason) => {
                    if !down_logged {
                        log::warn!(target: TARGET, "AMQP connection to {} lost or refused ({reason}); checking the store until it is back", self.url);
                        down_logged = true;
                    }
                    // While the broker is away, the store is still the truth.
                    self.reloader.check();
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = self.shared.wake.notified() => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Connects, declares the exchange and this instance's queue, and starts consuming.
    async fn connect(
        &self,
    ) -> std::result::Result<
        (
            Connection,
            Channel,
            mpsc::UnboundedReceiver<amqprs::channel::ConsumerMessage>,
        ),
        String,
    > {
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, Connection::open(&self.arguments))
            .await
            .map_err(|_| format!("no answer within {CONNECT_TIMEOUT:?}"))?
            .map_err(|e| e.to_string())?;
        let setup = async {
            let channel = connection.open_channel(None).await?;
            channel
                .exchange_declare(
                    ExchangeDeclareArguments::new(&self.exchange, "fanout")
                        .durable(true)
                        .finish(),
                )
                .await?;
            let mut limits = amqprs::FieldTable::new();
            if let Ok(key) = "x-max-length".try_into() {
                limits.insert(key, amqprs::FieldValue::l(MAX_QUEUED));
            }
            if let Ok(key) = "x-max-length-bytes".try_into() {
                limits.insert(key, amqprs::FieldValue::l(MAX_QUEUED_BYTES));
            }
            let declared = channel
                .queue_declare(
                    QueueDeclareArguments::exclusive_server_named()
                        .auto_delete(true)
                        .arguments(limits)
                        .finish(),
                )
                .await?;
            let queue = declared.map(|(name, _, _)| name).unwrap_or_default();
            channel
                .queue_bind(QueueBindArguments::new(&queue, &self.exchange, "").finish())
                .await?;
            channel
                .basic_qos(BasicQosArguments::new(0, PREFETCH, false))
                .await?;
            let (_tag, deliveries) = channel
                .basic_consume_rx(
                    BasicConsumeArguments::new(&queue, "")
                        .manual_ack(true)
                        .exclusive(true)
                        .finish(),
                )
                .await?;
            Ok::<_, amqprs::error::Error>((channel, deliveries))
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, setup).await {
            Ok(Ok((channel, deliveries))) => Ok((connection, channel, deliveries)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "the broker did not set up the queue within {CONNECT_TIMEOUT:?}"
            )),
        }
    }

    /// Hears deliveries and publishes the outbox until the connection goes or we stop.
    async fn serve(
        &self,
        connection: &Connection,
        channel: &Channel,
        mut deliveries: mpsc::UnboundedReceiver<amqprs::channel::ConsumerMessage>,
        outbox: &mut mpsc::Receiver<Outgoing>,
    ) -> Ended {
        let publish_to = BasicPublishArguments::new(&self.exchange, "").finish();
        loop {
            if self.stopped() {
                return Ended::Stopped;
            }
            tokio::select! {
                delivery = deliveries.recv() => {
                    let Some(delivery) = delivery else {
                        return Ended::Lost("the broker closed our consumer".into());
                    };
                    self.hear(delivery.content.as_deref().unwrap_or_default());
                    if let Some(deliver) = &delivery.deliver
                        && let Err(e) = channel
                            .basic_ack(BasicAckArguments::new(deliver.delivery_tag(), false))
                            .await
                    {
                        return Ended::Lost(e.to_string());
                    }
                }
                outgoing = outbox.recv() => {
                    let Some(outgoing) = outgoing else { return Ended::Stopped };
                    let result = channel
                        .basic_publish(BasicProperties::default(), outgoing.payload, publish_to.clone())
                        .await
                        .map_err(|e| e.to_string());
                    let lost = result.as_ref().err().cloned();
                    let _ = outgoing.done.send(result);
                    if let Some(reason) = lost {
                        return Ended::Lost(reason);
                    }
                }
                failed = connection.listen_network_io_failure() => {
                    if failed || !connection.is_open() {
                        return Ended::Lost("the connection failed".into());
                    }
                }
                () = self.shared.wake.notified() => {}
                () = tokio::time::sleep(TICK) => {
                    if !connection.is_open() || !channel.is_open() {
                        return Ended::Lost("the broker closed the connection".into());
                    }
                }
            }
        }
    }

    fn hear(&self, payload: &[u8]) {
        match Announcement::read(payload, MAX_CARRIED) {
            Ok(Some(announcement)) => announcement.ring(&self.reloader),
            // Too large to be one of ours with its snapshot: a doorbell, not worth parsing.
            Ok(None) => self.reloader.reload(),
            Err(e) => {
                log::warn!(target: TARGET, "ignored a message on {:?} that is not an announcement: {e}", self.exchange);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_url_without_its_password() {
        // Nothing listens on port 1.
        let propagator = AmqpPropagator::new("amqp://app:s3cret@127.0.0.1:1/", "dynlog")
            .expect("a well-formed URL")
            .on_error(OnError::Fail);
        let shown = format!("{propagator:?}");
        assert!(
            shown.contains("amqp://app:***@127.0.0.1:1/") && !shown.contains("s3cret"),
            "{shown}"
        );
        let (reloader, _probe) = dynlog_core::testing::propagator::reloader("a");
        let err = propagator
            .start(reloader)
            .expect_err("nothing listens")
            .to_string();
        assert!(
            err.contains("amqp://app:***@127.0.0.1:1/") && !err.contains("s3cret"),
            "{err}"
        );
        let err = propagator.announce(1).expect_err("stopped").to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn bad_exchanges_are_refused() {
        for exchange in ["", "amq.fanout"] {
            let err = AmqpPropagator::new("amqp://127.0.0.1/", exchange)
                .expect_err(exchange)
                .to_string();
            assert!(err.starts_with("invalid AMQP exchange"), "{err}");
        }
    }
}
