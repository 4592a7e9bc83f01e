//! The shared RabbitMQ (`AMQP_URL`, or 127.0.0.1:5672 as guest), a RabbitMQ node of the test's
//! own on free loopback ports (to stop and start again), and processes simulated by controllers
//! that share one store.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use dynlog_amqp::AmqpPropagator;
use dynlog_core::testing::CountingStore;
use dynlog_core::{Controller, MemoryStore};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn required() -> bool {
    std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// A name no other test uses: an exchange per test, so tests on the shared broker do not hear
/// each other.
pub(crate) fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The shared broker's URL, if it answers; under CI (`DYNLOG_REQUIRE_SERVICES=1`) a broker that
/// does not answer fails the test.
pub(crate) fn shared_broker() -> Option<String> {
    let url =
        std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/".into());
    let (reloader, _probe) = dynlog_core::testing::propagator::reloader("probe");
    let probe = AmqpPropagator::new(&url, &unique("dynlog-probe"))
        .unwrap()
        .on_error(dynlog_amqp::OnError::Fail);
    match dynlog_core::propagate::Propagator::start(&probe, reloader) {
        Ok(()) => {
            dynlog_core::propagate::Propagator::stop(&probe);
            Some(url)
        }
        Err(e) if required() => {
            panic!("RabbitMQ is required (DYNLOG_REQUIRE_SERVICES=1) but does not answer: {e}")
        }
        Err(e) => {
            eprintln!("skipped: RabbitMQ does not answer ({e}); run scripts/test to start it");
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A RabbitMQ node of the test's own: its own name, ports and data directory, in a process
/// group of its own so that killing it kills the Erlang VM too.
pub(crate) struct Broker {
    child: Option<Child>,
    pub(crate) port: u16,
    dist_port: u16,
    dir: PathBuf,
}

impl Broker {
    /// Picks the ports and the directory; starts nothing.
    pub(crate) fn new() -> Broker {
        let dir = std::env::temp_dir().join(unique("dynlog-rabbit"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        Broker {
            child: None,
            port: free_port(),
            dist_port: free_port(),
            dir,
        }
    }

    /// A node started now, or `None` (skip) when RabbitMQ is not installed, unless
    /// DYNLOG_REQUIRE_SERVICES=1, where that fails the test.
    pub(crate) fn start() -> Option<Broker> {
        let mut broker = Broker::new();
        match broker.spawn() {
            Ok(()) => Some(broker),
            Err(e) if required() => {
                panic!(
                    "rabbitmq-server is required (DYNLOG_REQUIRE_SERVICES=1) but could not start: {e}"
                )
            }
            Err(e) => {
                eprintln!(
                    "skipped: rabbitmq-server could not start ({e}); run scripts/test to install it"
                );
                None
            }
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/", self.port)
    }

    pub(crate) fn spawn(&mut self) -> std::io::Result<()> {
        // Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user; the script it runs
        // takes the environment as it is.
        let program = ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("rabbitmq-server");
        let dir = |name: &str| self.dir.join(name).to_string_lossy().into_owned();
        let log = std::fs::File::create(self.dir.join("server.out"))?;
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(program)
                .env(
                    "RABBITMQ_NODENAME",
                    format!("dynlog{}@localhost", self.port),
                )
                .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                .env("RABBITMQ_NODE_PORT", self.port.to_string())
                .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
                .env("RABBITMQ_MNESIA_BASE", dir("mnesia"))
                .env("RABBITMQ_LOG_BASE", dir("log"))
                .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir("enabled_plugins"))
                .env("RABBITMQ_CONFIG_FILE", dir("none"))
                .env("RABBITMQ_ADVANCED_CONFIG_FILE", dir("none-advanced.config"))
                .env("RABBITMQ_PID_FILE", dir("pid"))
                .env("HOME", &self.dir)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log),
            0,
        )
        .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                let out = std::fs::read_to_string(self.dir.join("server.out")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "rabbitmq-server exited ({status}): {}",
                    out.lines().rev().take(10).collect::<Vec<_>>().join(" | ")
                )));
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(std::io::Error::other(
                    "rabbitmq-server did not listen within 60 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Kills the node at once (the whole process group: the script and the Erlang VM).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn().unwrap();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

use dynlog_core::testing::fleet::process;

pub(crate) fn propagator(url: &str, exchange: &str) -> AmqpPropagator {
    AmqpPropagator::new(url, exchange).unwrap()
}

/// One simulated process whose reads of whole snapshots are counted: a controller on a view of
/// the shared store of its own.
pub(crate) fn counted_process(
    store: &Arc<MemoryStore>,
    propagator: AmqpPropagator,
) -> (Controller, Arc<CountingStore>) {
    let counted = Arc::new(CountingStore::new(store.clone()));
    (process(counted.clone(), propagator), counted)
}
