//! The admin in daily use, in a real browser (issue 18, points 1, 2 and 4): an operator makes a
//! config in the form and is told it was saved, debugs a logger from the Loggers page at the
//! level and for the time picked without leaving it, stops it from the logger's row, makes a
//! mistake and sees it on its field, and finds all of it in the audit, one row per action.
//!
//! Screenshots go to `target/tmp/screenshots/daily-*.png` for review (the audit's is kept as
//! `docs/screenshots/audit.png`). Without chromedriver the test says so and passes, unless
//! DYNLOG_REQUIRE_SERVICES is set (as `scripts/test` does under CI, after installing it).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::wait_for;
use webdriver::Browser;

const USER: &str = "operator";
const PASSWORD: &str = "browser-daily-password";
/// The testapp's job logs under this target every few seconds.
const TARGET: &str = "dynlog_testapp::jobs::import";
/// Long enough for a page on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(30);

fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

/// The page's notice, once there is one.
fn notice(b: &Browser) -> String {
    let notice = b.find("p.notice");
    b.text(&notice)
}

#[test]
fn an_operator_saves_debugs_stops_and_finds_it_in_the_audit() {
    let Some(driver) = webdriver::chromedriver_or_skip() else {
        return;
    };
    let (dir, app) = common::fresh_testapp(
        "dynlog-browser-daily",
        &[
            ("DYNLOG_JOB_SECONDS", "0.2".into()),
            ("DYNLOG_ADMIN_USER", USER.into()),
            ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
        ],
    );
    let base = format!("http://127.0.0.1:{}/admin", app.port);
    let b = Browser::start(driver, 1280, 1000);
    b.go(&format!("{base}/login"));
    b.type_into(&b.find("#username"), USER);
    b.type_into(&b.find("#password"), PASSWORD);
    b.click(&b.find("#login"));
    wait_for(WAIT, "the dashboard", || b.title().starts_with("Dashboard"));

    // A config made in the form: the page it lands on says so, with its name.
    b.go(&format!("{base}/configs/new"));
    b.type_into(&b.find("#name"), "import at debug");
    b.type_into(&b.find("input[name='logger.0.name']"), TARGET);
    b.click(&b.find("select[name='logger.0.level'] option[value='debug']"));
    b.click(&b.find("#save"));
    wait_for(WAIT, "the saved config", || {
        b.title().starts_with("Config import at debug")
    });
    assert_eq!(notice(&b), "Saved config “import at debug”");

    // A mistake: a name with a space in a logger row. The message is on its field, which is
    // marked, and the row is where it was.
    b.type_into(&b.find("input[name='logger.0.name']"), "not a target");
    b.click(&b.find("#save"));
    wait_for(WAIT, "the error", || !b.find_all("#error").is_empty());
    assert!(b.text(&b.find("#error")).contains("not a target"));
    let kept = b.find("input[name='logger.0.name']");
    assert_eq!(
        b.property(&kept, "value"),
        "not a target",
        "the row keeps its place"
    );

    // Quick debug from the Loggers page: trace for 15 minutes; the page stays the Loggers page
    // and says what it made.
    b.go(&format!("{base}/loggers"));
    b.type_into(
        &b.find("#quick-debug input[name=target]"),
        "dynlog_testapp::db",
    );
    b.click(&b.find("#quick-debug select[name=level] option[value=trace]"));
    b.click(&b.find("#quick-debug select[name=minutes] option[value='15']"));
    b.click(&b.find("#quick-debug button[type=submit]"));
    wait_for(WAIT, "the message", || !b.find_all("p.notice").is_empty());
    assert!(b.title().starts_with("Loggers"), "{}", b.title());
    let said = notice(&b);
    assert!(
        said.starts_with("Debugging “dynlog_testapp::db” at trace for 15 min, until "),
        "{said}"
    );
    assert!(
        said.ends_with("config “trace dynlog_testapp::db” and trigger “trace dynlog_testapp::db”"),
        "{said}"
    );

    // Its row offers Stop now, named for the trigger; pressing it comes back here and says so.
    b.run(
        "[...document.querySelectorAll('#loggers button')]
           .find((e) => e.textContent.trim() === 'Stop now: trigger “trace dynlog_testapp::db”')
           .id = 'stop-it';",
    );
    b.click(&b.find("#stop-it"));
    wait_for(WAIT, "the stop message", || {
        b.text_of("p.notice")
            .is_some_and(|n| n.starts_with("Stopped trigger"))
    });
    assert!(b.title().starts_with("Loggers"));
    assert_eq!(
        notice(&b),
        "Stopped trigger “trace dynlog_testapp::db”: the baseline runs now"
    );

    // The audit: the debug window is one row (its config and its trigger), the stop another.
    b.go(&format!("{base}/audit"));
    wait_for(WAIT, "the audit", || b.title().starts_with("Audit"));
    let rows: Vec<String> = b
        .find_all("#audit tbody tr td.audit-summary")
        .iter()
        .map(|cell| b.text(cell))
        .collect();
    assert!(
        rows[0].starts_with("stopped trigger “trace dynlog_testapp::db” at "),
        "{rows:?}"
    );
    assert!(
        rows[1].starts_with("created config “trace dynlog_testapp::db” with its trigger from "),
        "{rows:?}"
    );
    assert_eq!(rows[2], "created config “import at debug”", "{rows:?}");
    // The debug window's row, opened: its two entries' diffs.
    b.click(&b.find("#audit tbody tr:nth-child(2) details.audit-change > summary"));
    b.screenshot(&shots().join("daily-audit.png"));

    drop(b);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
