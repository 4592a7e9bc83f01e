//! The live tail follows (issue 18, point 5), in a real browser (Debian's headless Chromium
//! through chromedriver): the page opens scrolled to the newest record; a record logged while
//! following appears at the bottom; after Pause a new record is counted ("paused: 1 new"), not
//! shown; Resume shows it; a record's key-values follow its message. Screenshots go to `target/tmp/screenshots/tail-*.png` for review.
//! Without chromedriver the test says so and passes, unless DYNLOG_REQUIRE_SERVICES is set (as
//! `scripts/test` does under CI, after installing it).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Instance, wait_for};
use webdriver::Browser;

const USER: &str = "operator";
const PASSWORD: &str = "browser-tail-password";

fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

/// Logs "message from view" at warn under `tailtest::{name}`, through the testapp.
fn log(app: &Instance, name: &str) {
    let (status, body) = app.get(&format!("/testapp/log/warn/tailtest::{name}"));
    assert_eq!(status, 200, "{body}");
}

/// Whether the tail's box is scrolled to its bottom, and taller than what it shows.
fn at_bottom(b: &Browser) -> (bool, bool) {
    let v = b.run(
        "const box = document.getElementById('tail-box');
         return [box.scrollHeight - box.clientHeight - box.scrollTop <= 2,
                 box.scrollHeight > box.clientHeight + 20];",
    );
    (v[0].as_bool().unwrap(), v[1].as_bool().unwrap())
}

/// The target of the tail's last row.
fn last_target(b: &Browser) -> String {
    b.run(
        "const rows = document.querySelectorAll('#tail tbody tr');
         return rows.length ? rows[rows.length - 1].children[3].textContent : '';",
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

#[test]
fn the_tail_opens_at_the_newest_record_follows_and_pauses() {
    let Some(driver) = webdriver::chromedriver_or_skip() else {
        return;
    };
    let (dir, app) = common::fresh_testapp(
        "dynlog-browser-tail",
        &[
            ("DYNLOG_ADMIN_USER", USER.into()),
            ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
        ],
    );
    let base = format!("http://127.0.0.1:{}/admin", app.port);
    let b = Browser::start(driver, 1400, 900);
    b.go(&format!("{base}/login"));
    b.type_into(&b.find("#username"), USER);
    b.type_into(&b.find("#password"), PASSWORD);
    b.click(&b.find("#login"));
    wait_for(Duration::from_secs(10), "the dashboard", || {
        b.title().starts_with("Dashboard")
    });

    // More records than the box shows: it opens scrolled to the newest, at the bottom.
    for n in 0..80 {
        log(&app, &format!("old{n:02}"));
    }
    b.go(&format!("{base}/tail?target=tailtest"));
    assert!(
        b.text(&b.find("#tail-window")).contains("the baseline"),
        "the window running is shown"
    );
    assert_eq!(last_target(&b), "tailtest::old79", "newest at the bottom");
    assert_eq!(b.find_all("#tail tbody tr").len(), 80);
    let (bottom, overflows) = at_bottom(&b);
    assert!(overflows, "the box scrolls: the test shows enough records");
    assert!(bottom, "the tail opens scrolled to the newest record");
    wait_for(Duration::from_secs(10), "the tail to connect", || {
        b.text(&b.find("#tail-state")) == "live"
    });
    assert_eq!(b.text(&b.find("#tail-pause")), "Pause");
    b.screenshot(&shots().join("tail-opened.png"));

    // Following: a new record appears at the bottom, which stays in view.
    log(&app, "fresh1");
    wait_for(Duration::from_secs(10), "the new record", || {
        last_target(&b) == "tailtest::fresh1"
    });
    assert!(at_bottom(&b).0, "still scrolled to the newest record");

    // Paused: a new record is counted, not shown.
    b.click(&b.find("#tail-pause"));
    assert_eq!(b.text(&b.find("#tail-pause")), "Resume");
    assert_eq!(b.text(&b.find("#tail-state")), "paused: 0 new");
    log(&app, "fresh2");
    wait_for(Duration::from_secs(10), "the new record counted", || {
        b.text(&b.find("#tail-state")) == "paused: 1 new"
    });
    assert_eq!(
        last_target(&b),
        "tailtest::fresh1",
        "not shown while paused"
    );
    assert!(!b.text(&b.find("#tail tbody")).contains("fresh2"));
    b.screenshot(&shots().join("tail-paused.png"));

    // Resumed: shown, and following again.
    b.click(&b.find("#tail-pause"));
    assert_eq!(b.text(&b.find("#tail-pause")), "Pause");
    assert_eq!(last_target(&b), "tailtest::fresh2");
    assert_eq!(b.text(&b.find("#tail-state")), "live");
    assert!(at_bottom(&b).0);
    log(&app, "fresh3");
    wait_for(Duration::from_secs(10), "following again", || {
        last_target(&b) == "tailtest::fresh3"
    });
    let seqs = b.run(
        "return [...document.querySelectorAll('#tail tbody tr')].map((r) => +r.children[0].textContent);",
    );
    let seqs: Vec<u64> = seqs
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "each record once, in order: {seqs:?}"
    );
    assert_eq!(seqs.len(), 83);

    // Nothing matches: said on the page; the first record to match takes its place.
    b.go(&format!("{base}/tail?target=tailtest::later"));
    let empty = b.find("#tail-empty");
    assert!(b.text(&empty).contains("No matches"), "{}", b.text(&empty));
    wait_for(Duration::from_secs(10), "the tail to connect", || {
        b.text(&b.find("#tail-state")) == "live"
    });
    log(&app, "later");
    wait_for(Duration::from_secs(10), "the matching record", || {
        last_target(&b) == "tailtest::later"
    });
    assert_eq!(
        b.property(&b.find("#tail-empty"), "hidden").as_bool(),
        Some(true)
    );

    // A record with key-values, arriving live: written after its message, as on the page's
    // own rows and in the text format.
    b.go(&format!("{base}/tail?target=dynlog_testapp::orders"));
    wait_for(Duration::from_secs(10), "the tail to connect", || {
        b.text(&b.find("#tail-state")) == "live"
    });
    let (status, body) = app.get("/testapp/orders/acme");
    assert_eq!(status, 200, "{body}");
    let last_message = || {
        b.run(
            "const rows = document.querySelectorAll('#tail tbody tr');
             return rows.length ? rows[rows.length - 1].children[4].textContent : '';",
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    };
    wait_for(Duration::from_secs(10), "the order's record", || {
        last_message().starts_with("orders listed for acme")
    });
    assert_eq!(last_message(), "orders listed for acme tenant=acme");

    let errors: Vec<String> = b
        .console_errors()
        .into_iter()
        .filter(|e| !e.contains("favicon.ico"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    drop(b);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
