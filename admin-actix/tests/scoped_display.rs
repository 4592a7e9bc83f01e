//! What the dashboard and the triggers page say while scoped windows are open: what runs (the
//! unscoped winner) runs until its own change, never a scoped window's; the Next card is the
//! next change of what runs, scoped windows' ends named as such; "who wins when" counts open
//! scoped windows; every scoped window in force is "running now"; a window stopped moments
//! after it started is no change in the list; the notices count the scoped windows still open.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::client::{client, controller, land, notice};
use common::{config, part, trigger, when};
use dynlog_core::model::ConfigId;
use dynlog_core::{Controller, MemoryHandler, Trigger};

fn unscoped(c: &Controller, name: &str) -> ConfigId {
    config(
        c,
        name,
        r#"{"loggers": {"myapp::orders": {"level": "debug"}}}"#,
    )
}

fn scoped(c: &Controller, name: &str, tenant: &str) -> ConfigId {
    config(
        c,
        name,
        &format!(
            r#"{{"scope": {{"tenant": ["{tenant}"]}}, "loggers": {{"myapp::jobs": {{"level": "debug"}}}}}}"#
        ),
    )
}

/// Two scoped windows open now: acme's for 10 minutes (returned) and globex's for 20.
fn acme_and_globex(c: &Controller) -> Trigger {
    let now = c.now();
    let acme = scoped(c, "jobs for acme", "acme");
    let globex = scoped(c, "jobs for globex", "globex");
    let window = trigger(
        c,
        "acme window",
        acme,
        now - Duration::minutes(1),
        now + Duration::minutes(10),
    );
    trigger(
        c,
        "globex window",
        globex,
        now - Duration::minutes(1),
        now + Duration::minutes(20),
    );
    window
}

/// An unscoped window ending in 40 minutes and a scoped one ending in 10: what runs runs until
/// its own end, and the Next card is its end, back to the baseline, with the scoped window's end
/// named as a scoped window's.
#[actix_web::test]
async fn what_runs_and_what_comes_next_ignore_scoped_windows() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;

    let now = c.now();
    let orders = unscoped(&c, "orders at debug");
    let acme = scoped(&c, "jobs for acme", "acme");
    let running = trigger(
        &c,
        "orders window",
        orders,
        now - Duration::minutes(1),
        now + Duration::minutes(40),
    );
    let window = trigger(
        &c,
        "acme window",
        acme,
        now - Duration::minutes(1),
        now + Duration::minutes(10),
    );
    let page = client.get("/admin/").await;
    let current = part(&page.body, r#"id="current""#, "</section>");
    assert!(
        current.contains(&format!("until {}", when(running.end.unwrap()))),
        "{current}"
    );
    assert!(
        !current.contains(&when(window.end.unwrap())),
        "a scoped window's end is not what runs' end: {current}"
    );
    let next = part(&page.body, r#"id="next""#, "</section>");
    assert!(
        next.contains(&format!("at {}", when(running.end.unwrap()))),
        "{next}"
    );
    assert!(next.contains("back to the baseline"), "{next}");
    assert!(
        !next.contains("by trigger"),
        "the config running now is not what comes next: {next}"
    );
    assert!(
        next.contains(&format!(
            "Scoped window <a href=\"/admin/triggers/{}\">“acme window”</a> ends at {}",
            window.id.0,
            when(window.end.unwrap())
        )),
        "{next}"
    );
    // Who wins when: the orders window is the only unscoped one, not the only one.
    assert!(
        page.body.contains(
            "the only unscoped one open (1 scoped window is open beside it: see Scoped windows)"
        ),
        "{}",
        page.body
    );
    assert!(!page.body.contains("the only active one"), "{}", page.body);
}

/// Only a scoped window is open: the baseline runs, and stays when the window ends; nothing
/// says "back to the baseline", and "who wins when" counts the scoped window.
#[actix_web::test]
async fn a_scoped_window_alone_leaves_the_baseline_running() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;

    let window = acme_and_globex(&c);
    let page = client.get("/admin/").await;
    let current = part(&page.body, r#"id="current""#, "</section>");
    assert!(
        current.contains("The baseline (no trigger is current)."),
        "{current}"
    );
    let next = part(&page.body, r#"id="next""#, "</section>");
    assert!(!next.contains("back to the baseline"), "{next}");
    assert!(!next.contains("by trigger"), "{next}");
    assert!(
        next.contains(&format!("ends at {}", when(window.end.unwrap()))),
        "{next}"
    );
    let changes = part(&page.body, r#"id="timeline-changes""#, "</ol>");
    assert!(!changes.contains("no window is open"), "{changes}");
    assert!(
        changes.contains("2 scoped windows are open beside it: see Scoped windows"),
        "{changes}"
    );
}

/// An unscoped window runs, and two scoped windows made by the Loggers page's debug actions (for
/// a tenant, for a debug token) are open: all three are running now on the triggers page.
#[actix_web::test]
async fn every_scoped_window_in_force_is_running_now() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    let now = c.now();
    let orders = unscoped(&c, "orders at debug");
    trigger(
        &c,
        "orders window",
        orders,
        now - Duration::minutes(1),
        now + Duration::minutes(40),
    );
    for form in [
        [
            ("csrf", csrf.as_str()),
            ("target", "myapp::db"),
            ("only_for", "tenant"),
            ("only_value", "acme"),
        ],
        [
            ("csrf", csrf.as_str()),
            ("target", ""),
            ("only_for", "token"),
            ("minutes", "60"),
        ],
    ] {
        let reply = client.post("/admin/loggers/debug", &form).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
    }
    assert_eq!(c.status().scoped.len(), 2);
    let page = client.get("/admin/triggers").await;
    let main = part(&page.body, r#"<table id="triggers">"#, "</table>");
    assert_eq!(main.matches(r#"<tr class="running">"#).count(), 1, "{main}");
    let debug = part(&page.body, r#"id="debug-triggers""#, "</details>");
    assert_eq!(
        debug.matches(r#"<tr class="running">"#).count(),
        2,
        "{debug}"
    );
    assert!(
        debug.contains("“debug for an hour”, the Debug form, “Debug my requests”"),
        "{debug}"
    );
    assert!(!debug.contains("the triggers “debug for an hour” made"));
}

/// "Stop now" moments after a window started: it is no change in "who wins when".
#[actix_web::test]
async fn a_window_stopped_at_once_is_no_change_in_the_list() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    let now = c.now();
    let orders = unscoped(&c, "orders at debug");
    let t = trigger(
        &c,
        "brief window",
        orders,
        now - Duration::seconds(5),
        now + Duration::hours(1),
    );
    let page = client.get("/admin/").await;
    let changes = part(&page.body, r#"id="timeline-changes""#, "</ol>");
    assert!(changes.contains("“brief window”</a> wins"), "{changes}");

    let page = land(
        &mut client,
        &format!("/admin/triggers/{}/stop", t.id.0),
        &[
            ("csrf", &csrf),
            ("version", &t.version.to_string()),
            ("back", "dashboard"),
        ],
    )
    .await;
    assert!(c.status().current.is_none());
    let changes = part(&page.body, r#"id="timeline-changes""#, "</ol>");
    assert!(!changes.contains("brief window"), "{changes}");
    assert_eq!(changes.matches("<li>").count(), 1, "{changes}");
    assert!(
        changes.contains("the baseline runs: no window is open"),
        "{changes}"
    );
}

/// Deactivating one of two scoped windows: the notice says the other is still open.
#[actix_web::test]
async fn the_notice_counts_the_scoped_windows_still_open() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    let first = acme_and_globex(&c);
    let page = land(
        &mut client,
        &format!("/admin/triggers/{}/toggle", first.id.0),
        &[("csrf", &csrf), ("version", &first.version.to_string())],
    )
    .await;
    assert_eq!(
        notice(&page),
        "Trigger “acme window” deactivated: the baseline runs now; 1 scoped window is still open"
    );
}
