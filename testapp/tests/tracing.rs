//! tracing events end to end, with the real binary: a config setting debug for a target makes
//! `/testapp/tracing/debug/{target}`'s event reach the log file, and a scoped config for tenant
//! acme takes the event of a request with `X-Tenant: acme` (its span's `tenant` field) and not
//! globex's.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Instance, fresh_testapp, wait_for};
use serde_json::json;

const TOKEN: &str = "tracing-e2e-token-0123456789abcdef";

/// How many lines of the file are the tracing view's event at `level` (as the file writes it,
/// `DEBUG`) and `target`.
fn count(dir: &std::path::Path, level: &str, target: &str) -> usize {
    let needle = format!("{level:<5} {target}] message from the tracing view");
    std::fs::read_to_string(dir.join("app.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

/// GET the tracing view at `level` and `target`, as `tenant` when given.
fn trace(app: &Instance, level: &str, target: &str, tenant: Option<&str>) {
    let path = format!("/testapp/tracing/{level}/{target}");
    let headers: Vec<(&str, &str)> = tenant.map(|t| ("X-Tenant", t)).into_iter().collect();
    let (status, body) = app.get_with(&path, &headers);
    assert_eq!(status, 200, "{path}: {body}");
}

/// Emits an info event to `target` and waits until the file holds `lines` of it: every record
/// handled before it is in the file by then (the file is written in the order records come).
fn barrier(app: &Instance, dir: &std::path::Path, target: &str, lines: usize) {
    trace(app, "info", target, None);
    wait_for(Duration::from_secs(5), "the info event in the file", || {
        count(dir, "INFO", target) == lines
    });
}

#[test]
fn tracing_events_reach_the_file_under_configs_and_tenant_scopes() {
    let (dir, app) = fresh_testapp(
        "dynlog-tracing-e2e",
        &[
            ("DYNLOG_API_TOKEN", TOKEN.into()),
            ("DYNLOG_PROPAGATOR", "polling".into()),
            ("DYNLOG_POLL_SECONDS", "0.1".into()),
        ],
    );
    // Before any config, debug is refused (the baseline's root is at info) and `e2e` has no
    // file handler.
    trace(&app, "debug", "e2e::traced", None);

    let config = app.api(
        TOKEN,
        "POST",
        "/configs",
        json!({"name": "e2e to file, traced at debug", "body": {"loggers": {
            "e2e": {"handlers": ["file"]},
            "e2e::traced": {"level": "debug"}
        }}}),
    );
    app.api(
        TOKEN,
        "POST",
        "/triggers",
        json!({"name": "e2e", "config_id": config["id"], "start": null, "end": null}),
    );
    // Once the config is in force (the polling propagator applies it), the debug event reaches
    // the file.
    wait_for(
        Duration::from_secs(5),
        "the debug event in the file",
        || {
            trace(&app, "debug", "e2e::traced", None);
            count(&dir, "DEBUG", "e2e::traced") > 0
        },
    );
    // Another target under `e2e` stays at info.
    trace(&app, "debug", "e2e::scoped", None);
    barrier(&app, &dir, "e2e::scoped", 1);
    assert_eq!(count(&dir, "DEBUG", "e2e::scoped"), 0, "debug at info");

    // Debug for tenant acme only, at e2e::scoped.
    app.api(
        TOKEN,
        "POST",
        "/debug",
        json!({"target": "e2e::scoped", "minutes": 60, "scope": {"tenant": ["acme"]}}),
    );
    wait_for(Duration::from_secs(5), "the scoped window", || {
        app.status()["status"]["scoped"]
            .as_array()
            .is_some_and(|s| s.len() == 1)
    });
    trace(&app, "debug", "e2e::scoped", Some("globex"));
    trace(&app, "debug", "e2e::scoped", None);
    trace(&app, "debug", "e2e::scoped", Some("acme"));
    trace(&app, "debug", "e2e::scoped", Some("globex"));
    barrier(&app, &dir, "e2e::scoped", 2);
    assert_eq!(
        count(&dir, "DEBUG", "e2e::scoped"),
        1,
        "acme's debug event, and neither globex's nor the untagged one"
    );
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
