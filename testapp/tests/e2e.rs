//! The real binary, spawned: a config and a trigger written to its database make the import
//! job's debug records appear in the file, and the end of the window rolls them back.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Instance, wait_for};
use dynlog_core::{LoggingConfig, NewConfig, NewTrigger, Store};
use dynlog_diesel::DieselStore;

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
