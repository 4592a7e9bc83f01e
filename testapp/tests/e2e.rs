//! The real binary, spawned: a config and a trigger written to its database make the import
//! job's debug records appear in the file, and the end of the window rolls them back.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Instance, wait_for};

const TOKEN: &str = "e2e-token-0123456789abcdef";

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
        ],
    )
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
