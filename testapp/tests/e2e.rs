//! The real binary, spawned: the README's path in an empty directory; a config and a trigger
//! made through the API make the import job's debug records appear in the live tail and in the
//! file, and the end of the window rolls them back.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Instance, debug_lines, wait_for};

const TOKEN: &str = "e2e-token-0123456789abcdef";
const USER: &str = "ops";
const PASSWORD: &str = "e2e-password-0123";

fn start(dir: &std::path::Path) -> Instance {
    Instance::start(
        dir,
        &[
            (
                "DATABASE_URL",
                dir.join("app.sqlite3").to_string_lossy().into_owned(),
            ),
            ("DYNLOG_PROPAGATOR", "polling".into()),
            ("DYNLOG_POLL_SECONDS", "0.1".into()),
            ("DYNLOG_JOB_SECONDS", "0.05".into()),
            (
                "DYNLOG_LOG_FILE",
                dir.join("app.log").to_string_lossy().into_owned(),
            ),
            ("DYNLOG_API_TOKEN", TOKEN.into()),
            ("DYNLOG_ADMIN_USER", USER.into()),
            ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
        ],
    )
}

#[test]
fn a_window_turns_debug_on_in_the_file_and_its_end_rolls_back() {
    let dir = std::env::temp_dir().join(format!("dynlog-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let app = start(&dir);

    assert_eq!(app.get("/testapp/log/loud/myapp").0, 400);
    assert_eq!(app.get("/testapp/ok").0, 200);

    // Through the admin's API, as an operator's script would.
    let (status, _) = app.send("POST", "/admin/api/configs", "wrong-token", "{}");
    assert_eq!(status, 401);
    let (status, config) = app.send(
        "POST",
        "/admin/api/configs",
        TOKEN,
        r#"{"name": "debug import to file", "body": {"loggers": {"dynlog_testapp::jobs::import": {"level": "debug", "handlers": ["file"]}}}}"#,
    );
    assert_eq!(status, 201, "{config}");
    let start_at = Utc::now();
    let trigger = format!(
        r#"{{"name": "two seconds", "config_id": {}, "start": "{}", "end": "{}"}}"#,
        config["id"],
        start_at.to_rfc3339(),
        (start_at + chrono::Duration::seconds(2)).to_rfc3339()
    );
    let (status, answer) = app.send("POST", "/admin/api/triggers", TOKEN, &trigger);
    assert_eq!(status, 201, "{answer}");

    wait_for(Duration::from_secs(5), "the trigger to be current", || {
        app.get("/testapp/status")
            .1
            .contains("\"name\":\"two seconds\"")
    });
    wait_for(Duration::from_secs(5), "debug records in the file", || {
        debug_lines(&dir) > 0
    });
    // And in the admin's live tail, which reads the memory handler.
    let session = app.login(USER, PASSWORD);
    let tail = "/admin/tail?level=debug&target=dynlog_testapp::jobs::import";
    wait_for(
        Duration::from_secs(5),
        "debug records in the live tail",
        || {
            app.get_as(&session, tail)
                .1
                .contains("<td>debug</td><td>dynlog_testapp::jobs::import</td>")
        },
    );

    wait_for(Duration::from_secs(6), "the window to end", || {
        let (_, body) = app.get("/testapp/status");
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

#[test]
fn the_readme_path_starts_on_sqlite_with_a_first_account() {
    let dir = std::env::temp_dir().join(format!("dynlog-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let stderr = || std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
    let password = |text: &str| {
        text.lines().find_map(|l| {
            l.split_once("with password ")
                .map(|(_, p)| p.trim().to_string())
        })
    };

    // `cargo run -p dynlog-testapp`: nothing set but the port.
    let app = Instance::start_logging(&dir, &[]);
    wait_for(Duration::from_secs(5), "the first password", || {
        password(&stderr()).is_some()
    });
    let first = password(&stderr()).unwrap();
    assert_eq!(first.len(), 20);
    assert!(
        dir.join("dynlog-testapp.sqlite3").exists(),
        "a SQLite file in the working directory"
    );
    assert!(stderr().contains("local propagator"));
    assert_eq!(app.get("/testapp/ok").0, 200);
    assert_eq!(app.get("/admin/").0, 303, "the admin needs a login");
    let session = app.login("admin", &first);
    let (status, dashboard) = app.get_as(&session, "/admin/");
    assert_eq!(status, 200);
    assert!(dashboard.contains("<h1>Dashboard</h1>"));
    drop(app);

    // A second start keeps the account and prints no password.
    let app = Instance::start_logging(&dir, &[]);
    wait_for(Duration::from_secs(5), "the start", || {
        stderr().contains("dynlog-testapp on http://")
    });
    assert!(password(&stderr()).is_none(), "{}", stderr());
    app.login("admin", &first);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
