//! The real binary, spawned: a config and a trigger written to its database make the import
//! job's debug records appear in the file, and the end of the window rolls them back.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use dynlog_core::{LoggingConfig, NewConfig, NewTrigger, Store};
use dynlog_diesel::DieselStore;

struct App {
    child: Child,
    port: u16,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &std::path::Path) -> App {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_dynlog-testapp"))
        .current_dir(dir)
        .env("DATABASE_URL", dir.join("app.sqlite3"))
        .env("DYNLOG_BIND", format!("127.0.0.1:{port}"))
        .env("DYNLOG_PROPAGATOR", "polling")
        .env("DYNLOG_POLL_SECONDS", "0.1")
        .env("DYNLOG_JOB_SECONDS", "0.05")
        .env("DYNLOG_LOG_FILE", dir.join("app.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let app = App { child, port };
    wait_for(Duration::from_secs(30), "the app to listen", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    app
}

fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn wait_for(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn debug_lines(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("app.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("DEBUG dynlog_testapp::jobs::import"))
        .count()
}

#[test]
fn a_window_turns_debug_on_in_the_file_and_its_end_rolls_back() {
    let dir = std::env::temp_dir().join(format!("dynlog-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let app = start(&dir);

    assert_eq!(get(app.port, "/testapp/log/loud/myapp").0, 400);
    assert_eq!(get(app.port, "/testapp/ok").0, 200);

    let store = DieselStore::open(dir.join("app.sqlite3").to_str().unwrap()).unwrap();
    let config = store
        .create_config(
            "e2e",
            &NewConfig {
                name: "debug import to file".into(),
                body: LoggingConfig::from_json(
                    r#"{"loggers": {"dynlog_testapp::jobs::import": {"level": "debug", "handlers": ["file"]}}}"#,
                )
                .unwrap(),
            },
        )
        .unwrap();
    let start_at = Utc::now();
    store
        .create_trigger(
            "e2e",
            &NewTrigger {
                name: "two seconds".into(),
                config_id: config.id,
                start: Some(start_at),
                end: Some(start_at + chrono::Duration::seconds(2)),
                is_active: true,
            },
        )
        .unwrap();

    wait_for(Duration::from_secs(5), "the trigger to be current", || {
        get(app.port, "/testapp/status")
            .1
            .contains("\"name\":\"two seconds\"")
    });
    wait_for(Duration::from_secs(5), "debug records in the file", || {
        debug_lines(&dir) > 0
    });

    wait_for(Duration::from_secs(6), "the window to end", || {
        let (_, body) = get(app.port, "/testapp/status");
        let status: serde_json::Value = serde_json::from_str(&body).unwrap();
        status["status"]["current"].is_null()
    });
    let after_end = debug_lines(&dir);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        debug_lines(&dir),
        after_end,
        "debug records went on after the window ended"
    );
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
