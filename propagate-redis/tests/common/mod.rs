//! A `redis-server` of the test's own, on a free loopback port, and processes simulated by
//! controllers that share one store.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dynlog_redis::RedisPropagator;

pub(crate) struct RedisServer {
    child: Option<Child>,
    pub(crate) port: u16,
}

impl RedisServer {
    /// Starts one, or `None` (skip) when `redis-server` is not installed, unless
    /// DYNLOG_REQUIRE_SERVICES=1 (CI), where that fails the test.
    pub(crate) fn start() -> Option<RedisServer> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = RedisServer { child: None, port };
        match server.spawn() {
            Ok(()) => Some(server),
            Err(e) if std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!(
                    "redis-server is required (DYNLOG_REQUIRE_SERVICES=1) but could not start: {e}"
                )
            }
            Err(e) => {
                eprintln!(
                    "skipped: redis-server could not start ({e}); run scripts/test to install it"
                );
                None
            }
        }
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err(std::io::Error::other(
                    "redis-server did not listen within 5 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn().unwrap();
    }

    pub(crate) fn command(&self, args: &[&str]) -> redis::Value {
        let mut conn = redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap();
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query(&mut conn).unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) fn propagator(server: &RedisServer) -> RedisPropagator {
    RedisPropagator::new(&server.url(), "dynlog-test")
        .unwrap()
        .heartbeat_ttl(Duration::from_millis(800))
}
