//! Scoped debugging end to end, with the real binary: a debug window for tenant acme while
//! requests for acme and globex run concurrently writes acme's debug records to the file and
//! none of globex's; the same through the debug-token header; and once a window ends, no more
//! debug records.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Instance, fresh_testapp, wait_for};
use serde_json::json;

const TOKEN: &str = "scoped-e2e-token-0123456789abcdef";

fn file(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("app.log")).unwrap_or_default()
}

fn count(dir: &std::path::Path, needle: &str) -> usize {
    file(dir).lines().filter(|l| l.contains(needle)).count()
}

/// `n` requests for each of `tenants` at once, each with `headers` and `X-Tenant`.
fn concurrently(app: &Instance, tenants: &[&str], headers: &[(&str, &str)], n: usize) {
    std::thread::scope(|s| {
        for &tenant in tenants {
            for _ in 0..n {
                s.spawn(move || {
                    let mut all = headers.to_vec();
                    all.push(("X-Tenant", tenant));
                    let (status, body) = app.get_with(&format!("/testapp/orders/{tenant}"), &all);
                    assert_eq!(status, 200, "{body}");
                    // No key-value here: only the X-Tenant header says whose request it is.
                    let path =
                        format!("/testapp/log/debug/dynlog_testapp::orders::by_header_{tenant}");
                    assert_eq!(app.get_with(&path, &all).0, 200);
                });
            }
        }
    });
}

fn scoped_count(app: &Instance) -> usize {
    app.status()["status"]["scoped"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_scoped_window_debugs_one_tenant_and_a_token_one_client() {
    let (dir, app) = fresh_testapp(
        "dynlog-scoped",
        &[
            ("DYNLOG_API_TOKEN", TOKEN.into()),
            ("DYNLOG_PROPAGATOR", "polling".into()),
            ("DYNLOG_POLL_SECONDS", "0.1".into()),
        ],
    );
    // The running config sends the orders view to the file, at info for everyone.
    let config = app.api(
        TOKEN,
        "POST",
        "/configs",
        json!({"name": "orders to file", "body": {"loggers": {"dynlog_testapp::orders": {"handlers": ["file"]}}}}),
    );
    app.api(
        TOKEN,
        "POST",
        "/triggers",
        json!({"name": "orders to file", "config_id": config["id"], "start": null, "end": null}),
    );
    // A bad scope is refused with its field and value, and nothing is stored.
    let (status, answer) = app.send(
        "POST",
        "/admin/api/debug",
        TOKEN,
        &json!({"target": "dynlog_testapp::orders", "scope": {"tenant": [""]}}).to_string(),
    );
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["field"], "scope", "{answer}");
    // Debug for acme only.
    let acme = app.api(
        TOKEN,
        "POST",
        "/debug",
        json!({"target": "dynlog_testapp::orders", "minutes": 60, "scope": {"tenant": ["acme"]}}),
    );
    assert_eq!(acme["config"]["body"]["scope"], json!({"tenant": ["acme"]}));
    wait_for(Duration::from_secs(5), "the scoped window", || {
        scoped_count(&app) == 1
    });

    concurrently(&app, &["acme", "globex"], &[], 10);
    wait_for(Duration::from_secs(5), "acme's records in the file", || {
        count(&dir, "orders of acme: 3 found") == 10
            && count(&dir, "orders listed for globex") == 10
            && count(&dir, "by_header_acme") == 10
    });
    assert_eq!(count(&dir, "orders of globex"), 0, "globex's debug records");
    assert_eq!(count(&dir, "by_header_globex"), 0, "globex's debug records");
    assert!(
        file(&dir)
            .lines()
            .any(|l| l.contains("DEBUG dynlog_testapp::orders"))
    );

    // Debug my requests: a token, whoever the tenant.
    let mine = app.api(
        TOKEN,
        "POST",
        "/debug",
        json!({"target": "dynlog_testapp::orders", "minutes": 60, "debug_token": true}),
    );
    let token = mine["debug_token"].as_str().unwrap().to_string();
    assert_eq!(mine["header"], format!("X-Dynlog-Debug: {token}"));
    assert!(
        !mine["config"].to_string().contains(&token),
        "the config holds the token's hash, not the token"
    );
    wait_for(Duration::from_secs(5), "the token's window", || {
        scoped_count(&app) == 2
    });
    let guessed = "A".repeat(32);
    concurrently(&app, &["initech"], &[("X-Dynlog-Debug", &guessed)], 5);
    concurrently(&app, &["globex"], &[("X-Dynlog-Debug", &token)], 5);
    wait_for(Duration::from_secs(5), "the token's records", || {
        count(&dir, "orders of globex: 3 found") == 5
            && count(&dir, "orders listed for initech") == 5
    });
    assert_eq!(
        count(&dir, "orders of initech"),
        0,
        "a guessed token does nothing"
    );

    // Once the windows end, no more debug records.
    for answer in [&acme, &mine] {
        let trigger = &answer["trigger"];
        app.api(
            TOKEN,
            "POST",
            &format!("/triggers/{}/stop", trigger["id"]),
            json!({"version": trigger["version"]}),
        );
    }
    wait_for(Duration::from_secs(5), "the windows to end", || {
        scoped_count(&app) == 0
    });
    let debug_before = count(&dir, "DEBUG dynlog_testapp::orders");
    concurrently(&app, &["acme"], &[], 5);
    concurrently(&app, &["globex"], &[("X-Dynlog-Debug", &token)], 5);
    wait_for(Duration::from_secs(5), "the info records", || {
        count(&dir, "orders listed for acme") == 15 && count(&dir, "orders listed for globex") == 20
    });
    assert_eq!(
        count(&dir, "DEBUG dynlog_testapp::orders"),
        debug_before,
        "debug records after the windows ended (an expired token does nothing)"
    );
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
