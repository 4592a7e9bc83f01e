//! `rediss://`: a `redis-server` of the test's own that listens on TLS only (`--port 0
//! --tls-port`), with a certificate authority and a server certificate the test makes (rcgen),
//! and a password. A fleet on it converges through the CA file; a CA that did not sign the
//! server's certificate, or the system's CAs, are refused without showing the password.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dynlog_core::testing::fleet::{all_at, process, wait_until};
use dynlog_core::{Level, MemoryStore, NewConfig, NewTrigger};
use dynlog_redis::{OnError, RedisPropagator};

const PASSWORD: &str = "tls-s3cret-pw";

/// A certificate authority the test makes, and a server certificate it signs for `localhost`
/// and 127.0.0.1.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn make() -> Pki {
        let dir = std::env::temp_dir().join(format!(
            "dynlog-redis-tls-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (ca_params, ca_key) = authority("dynlog test CA");
        std::fs::write(
            dir.join("ca.pem"),
            ca_params.self_signed(&ca_key).unwrap().pem(),
        )
        .unwrap();
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let server_key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let server = params.signed_by(&server_key, &issuer).unwrap();
        std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
        std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
        // A second authority that signed nothing the server has.
        let (other, other_key) = authority("another CA");
        std::fs::write(
            dir.join("other-ca.pem"),
            other.self_signed(&other_key).unwrap().pem(),
        )
        .unwrap();
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn authority(name: &str) -> (rcgen::CertificateParams, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    (params, key)
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `redis-server` on a free loopback port, TLS only, with a password.
struct TlsRedis {
    child: Child,
    port: u16,
}

impl TlsRedis {
    fn start(pki: &Pki) -> Option<TlsRedis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = |name: &str| pki.path(name).to_string_lossy().into_owned();
        let spawned = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--tls-cert-file",
                &path("server.pem"),
                "--tls-key-file",
                &path("server.key"),
                "--tls-ca-cert-file",
                &path("ca.pem"),
                "--tls-auth-clients",
                "no",
                "--requirepass",
                PASSWORD,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("redis-server is required (DYNLOG_REQUIRE_SERVICES=1): {e}")
            }
            Err(e) => {
                eprintln!("skipped: redis-server could not start ({e})");
                return None;
            }
        };
        let mut server = TlsRedis { child, port };
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("redis-server with --tls-port exited ({status}): is it built with TLS?");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on TLS within 5 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(server)
    }

    fn url(&self) -> String {
        format!("rediss://:{PASSWORD}@localhost:{}/", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn trusting(server: &TlsRedis, ca: &Path) -> RedisPropagator {
    RedisPropagator::new(&server.url(), "dynlog-tls-test")
        .unwrap()
        .ca_file(ca)
        .unwrap()
        .heartbeat_ttl(Duration::from_millis(800))
}

#[test]
fn a_fleet_converges_over_rediss_with_its_own_ca() {
    let pki = Pki::make();
    let Some(server) = TlsRedis::start(&pki) else {
        return;
    };
    let store = Arc::new(MemoryStore::new());
    let fleet: Vec<_> = (0..3)
        .map(|_| process(store.clone(), trusting(&server, &pki.path("ca.pem"))))
        .collect();
    wait_until(Duration::from_secs(5), "three heartbeats over TLS", || {
        fleet[0].fleet().map(|f| f.len() == 3).unwrap_or(false)
    });
    let config = fleet[0]
        .create_config("alice", &NewConfig::raising("debug a", "a", Level::Debug))
        .unwrap();
    fleet[0]
        .create_trigger(
            "alice",
            &NewTrigger {
                name: "now".into(),
                config_id: config.id,
                start: None,
                end: None,
                is_active: true,
            },
        )
        .unwrap();
    wait_until(Duration::from_secs(3), "all three to apply", || {
        all_at(&fleet, "a", Level::Debug)
    });
    for controller in &fleet {
        assert_eq!(controller.status().last_error, None);
    }
}

#[test]
fn a_server_the_ca_did_not_sign_is_refused_without_the_password() {
    let pki = Pki::make();
    let Some(server) = TlsRedis::start(&pki) else {
        return;
    };
    // Another CA, and the system's CAs (which never signed the test's server).
    let other = trusting(&server, &pki.path("other-ca.pem")).on_error(OnError::Fail);
    let system = RedisPropagator::new(&server.url(), "dynlog-tls-test")
        .unwrap()
        .on_error(OnError::Fail);
    for propagator in [other, system] {
        let err = dynlog_core::propagate::Propagator::announce(&propagator, 1)
            .expect_err("an untrusted server")
            .to_string();
        eprintln!("refused as it should be: {err}");
        assert!(
            err.contains(&format!("rediss://:***@localhost:{}/", server.port))
                && err.to_lowercase().contains("certificate"),
            "{err}"
        );
        assert!(!err.contains(PASSWORD), "{err}");
        let (reloader, _probe) = dynlog_core::testing::propagator::reloader("x");
        let started = dynlog_core::propagate::Propagator::start(&propagator, reloader)
            .expect_err("OnError::Fail with an untrusted server")
            .to_string();
        assert!(!started.contains(PASSWORD), "{started}");
        dynlog_core::propagate::Propagator::stop(&propagator);
    }
}

#[test]
fn bad_ca_files_are_refused_naming_the_file() {
    let pki = Pki::make();
    let url = "rediss://:s3cret@localhost:6380/";
    let missing = pki.path("missing.pem");
    let empty = pki.path("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    for (path, want) in [
        (&missing, "cannot be read"),
        (&empty, "holds no PEM certificate"),
    ] {
        let err = RedisPropagator::new(url, "dynlog")
            .unwrap()
            .ca_file(path)
            .expect_err("a bad CA file")
            .to_string();
        assert!(
            err.contains(&format!("invalid Redis CA file \"{}\"", path.display()))
                && err.contains(want),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }
    let err = RedisPropagator::new("redis://127.0.0.1:6379/", "dynlog")
        .unwrap()
        .ca_file(pki.path("ca.pem"))
        .expect_err("a CA file for a URL without TLS")
        .to_string();
    assert!(err.contains("a CA file is for a rediss:// URL"), "{err}");
}
