//! The file handler at the end of the process: the testapp, stopped with SIGTERM right after
//! 20 records, has written every one of them to its buffered file (as JSON lines here).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{fresh_testapp, wait_for};
use serde_json::{Value, json};

const TOKEN: &str = "shutdown-token-0123456789";

fn records(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("app.log"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn sigterm_flushes_the_buffered_file() {
    let (dir, mut app) = fresh_testapp(
        "dynlog-shutdown",
        &[
            ("DYNLOG_API_TOKEN", TOKEN.into()),
            // The job's error records would write the buffer out at once: keep it quiet.
            ("DYNLOG_JOB_SECONDS", "3600".into()),
            ("DYNLOG_LOG_FORMAT", "json".into()),
        ],
    );
    let config = app.api(
        TOKEN,
        "POST",
        "/configs",
        json!({"name": "views to file", "body": {"loggers": {"dynlog_testapp::views": {"level": "info", "handlers": ["file"]}}}}),
    );
    app.api(
        TOKEN,
        "POST",
        "/triggers",
        json!({"name": "now", "config_id": config["id"], "start": Utc::now().to_rfc3339()}),
    );
    wait_for(Duration::from_secs(10), "the config to run", || {
        app.get("/testapp/status").1.contains("\"name\":\"now\"")
    });
    // Info records stay in the buffer up to a second; the process is stopped well within it.
    for _ in 0..20 {
        assert_eq!(app.get("/testapp/log/info/dynlog_testapp::views").0, 200);
    }
    let status = app.terminate();
    assert!(status.success(), "{status}");
    let records = records(&dir);
    let views = records
        .iter()
        .filter(|r| r["message"] == "message from view" && r["level"] == "INFO")
        .count();
    assert_eq!(views, 20, "every record is in the file: {records:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
