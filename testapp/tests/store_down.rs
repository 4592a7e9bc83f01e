//! The real testapp started while PostgreSQL refuses connections to its database: it serves on
//! its baseline, the admin says the store is unavailable (503), and once connections are allowed
//! it migrates, sets up its admin and runs the window that was waiting. With
//! DYNLOG_STORE_REQUIRED=1 it refuses to start instead. Then two instances on LISTEN/NOTIFY
//! converge and see each other in the fleet view, with no broker.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use dynlog_core::store::Store;
use dynlog_core::{LoggingConfig, NewConfig, NewTrigger};
use dynlog_diesel::DieselStore;

use common::{Instance, wait_for};

const TOKEN: &str = "store-down-token-0123456789";

fn server() -> Option<(String, PgConnection)> {
    let server = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match PgConnection::establish(&server) {
        Ok(admin) => Some((server, admin)),
        Err(e) if std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("PostgreSQL is required (DYNLOG_REQUIRE_SERVICES=1): {e}")
        }
        Err(e) => {
            eprintln!("skipped: PostgreSQL is not available ({e}); run scripts/test");
            None
        }
    }
}

/// A fresh database, dropped with the guard.
struct Database {
    admin: PgConnection,
    name: String,
    url: String,
}

impl Database {
    fn create(tag: &str) -> Option<Database> {
        let (server, mut admin) = server()?;
        let name = format!("dynlog_{tag}_{}", std::process::id());
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap();
        let url = format!("{}/{name}", &server[..server.rfind('/').unwrap()]);
        Some(Database { admin, name, url })
    }

    /// Refuses (or allows again) every new connection to the database, and cuts those open.
    fn allow_connections(&mut self, allow: bool) {
        diesel::sql_query(format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS {allow}",
            self.name
        ))
        .execute(&mut self.admin)
        .unwrap();
        if !allow {
            diesel::sql_query(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                self.name
            ))
            .execute(&mut self.admin)
            .unwrap();
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut self.admin);
    }
}

fn env(
    dir: &std::path::Path,
    url: &str,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DATABASE_URL", url.to_string()),
        ("DYNLOG_API_TOKEN", TOKEN.to_string()),
        ("DYNLOG_ADMIN_USER", "ops".to_string()),
        ("DYNLOG_ADMIN_PASSWORD", "store-down-password".to_string()),
        ("DYNLOG_JOB_SECONDS", "0.05".to_string()),
        (
            "DYNLOG_LOG_FILE",
            dir.join("app.log").to_string_lossy().into_owned(),
        ),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    env
}

fn dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn starts_while_the_database_refuses_and_runs_the_window_once_it_is_back() {
    let Some(mut db) = Database::create("down") else {
        return;
    };
    // A window that runs now, waiting in the store.
    {
        let store = DieselStore::open(&db.url).unwrap();
        let config = store
            .create_config(
                "ops",
                &NewConfig {
                    name: "import debug".into(),
                    body: LoggingConfig::from_json(
                        r#"{"loggers": {"dynlog_testapp::jobs::import": {"level": "debug", "handlers": ["file"]}}}"#,
                    )
                    .unwrap(),
                },
            )
            .unwrap();
        let now = chrono::Utc::now();
        store
            .create_trigger(
                "ops",
                &NewTrigger {
                    name: "now".into(),
                    config_id: config.value.id,
                    start: Some(now - chrono::Duration::minutes(1)),
                    end: Some(now + chrono::Duration::minutes(30)),
                    is_active: true,
                },
            )
            .unwrap();
    }
    db.allow_connections(false);

    // Required: the start fails, naming the database, and quickly.
    let dir = dir("dynlog-store-required");
    let began = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_dynlog-testapp"))
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .envs(env(&dir, &db.url, &[("DYNLOG_STORE_REQUIRED", "1")]))
        .env("DYNLOG_BIND", format!("127.0.0.1:{}", common::free_port()))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&db.name) && stderr.contains("not currently accepting connections"),
        "{stderr}"
    );
    assert!(began.elapsed() < Duration::from_secs(20));

    // The default: it starts on its baseline.
    let dir = dir_down();
    let app = Instance::start(&dir, &env(&dir, &db.url, &[]));
    assert_eq!(app.get("/testapp/ok").0, 200);
    let status = app.status();
    assert!(status["status"]["current"].is_null(), "{status}");
    let error = status["status"]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("not available yet"), "{status}");
    // The admin says so, with 503: its API and its pages.
    let (code, answer) = app.send("GET", "/admin/api/configs", TOKEN, "");
    assert_eq!(code, 503, "{answer}");
    // A caller not yet known learns only that the store is unavailable; details go to the log.
    assert_eq!(
        answer["error"], "the store is unavailable: try again in a moment",
        "{answer}"
    );
    let (code, page) = app.get("/admin/login");
    assert!(code == 200 || code == 503, "{code} {page}");

    // Connections allowed again: it migrates, sets up the admin and runs the window.
    db.allow_connections(true);
    let took = wait_for(Duration::from_secs(15), "the window to run", || {
        app.status()["status"]["current"]["config"]["name"] == "import debug"
    });
    eprintln!("the window ran {took:?} after connections were allowed");
    wait_for(Duration::from_secs(5), "the API to answer", || {
        app.send("GET", "/admin/api/configs", TOKEN, "").0 == 200
    });
    wait_for(
        Duration::from_secs(10),
        "debug records of the import job",
        || common::debug_lines(&dir) > 0,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn dir_down() -> std::path::PathBuf {
    dir("dynlog-store-down")
}

#[test]
fn two_instances_on_listen_notify_converge_and_see_each_other() {
    let Some(db) = Database::create("notify") else {
        return;
    };
    let dirs = [dir("dynlog-notify-1"), dir("dynlog-notify-2")];
    let apps: Vec<Instance> = dirs
        .iter()
        .enumerate()
        .map(|(n, dir)| {
            let name = format!("notify-{n}");
            Instance::start(
                dir,
                &env(
                    dir,
                    &db.url,
                    &[
                        ("DYNLOG_PROPAGATOR", "postgres"),
                        ("DYNLOG_APP_NAME", &name),
                    ],
                ),
            )
        })
        .collect();
    // Each sees the other through the store's heartbeats: no broker keeps them.
    wait_for(Duration::from_secs(15), "both in each fleet view", || {
        apps.iter().all(|app| {
            app.status()["fleet"]
                .as_array()
                .is_some_and(|f| f.len() == 2)
        })
    });
    assert_eq!(apps[0].status()["status"]["propagator"], "postgres");
    wait_for(Duration::from_secs(10), "the token", || {
        apps[0].send("GET", "/admin/api/configs", TOKEN, "").0 == 200
    });
    let config = apps[0].api(
        TOKEN,
        "POST",
        "/configs",
        serde_json::json!({"name": "trace import", "body": {"loggers": {"dynlog_testapp::jobs::import": {"level": "trace"}}}}),
    );
    apps[0].api(
        TOKEN,
        "POST",
        "/triggers",
        serde_json::json!({"name": "now", "config_id": config["id"], "start": null, "end": null}),
    );
    let took = wait_for(
        Duration::from_secs(5),
        "the other instance to apply",
        || apps[1].status()["status"]["current"]["config"]["name"] == "trace import",
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    drop(apps);
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
