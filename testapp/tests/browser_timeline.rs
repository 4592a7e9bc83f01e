//! The timeline says who wins (issue 18, point 3), in a real browser (Debian's headless
//! Chromium through chromedriver): three overlapping windows made through the API, each config
//! in its own colour and named in the legend, the bars focusable links to their trigger, a
//! labelled "now", and the changes listed in words. A screenshot of the dashboard goes to
//! `target/tmp/screenshots/timeline.png` for review (kept as `docs/screenshots/timeline.png`).
//! Without chromedriver the test says so and passes, unless DYNLOG_REQUIRE_SERVICES is set.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DurationRound, Utc};
#[allow(unused_imports)]
use common::{Instance, free_port, wait_for};
use serde_json::{Value, json};
use webdriver::Browser;

const USER: &str = "operator";
const PASSWORD: &str = "browser-timeline-password";
const TOKEN: &str = "browser-timeline-token";
const TARGET: &str = "dynlog_testapp::jobs::import";

fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

#[test]
fn the_timeline_shows_who_wins_in_colour_with_a_legend_and_links() {
    let Some(driver) = webdriver::chromedriver_or_skip() else {
        return;
    };
    let (dir, app) = common::fresh_testapp(
        "dynlog-browser-timeline",
        &[
            ("DYNLOG_JOB_SECONDS", "0.2".into()),
            ("DYNLOG_ADMIN_USER", USER.into()),
            ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
            ("DYNLOG_API_TOKEN", TOKEN.into()),
        ],
    );
    let base = format!("http://127.0.0.1:{}/admin", app.port);

    // Three configs, and three overlapping windows: "nightly" from 2 h to 10 h after the next
    // hour, "overlap trace" from 5 h to 7 h (it started later: it wins there), "early jobs"
    // from now to 4 h.
    let config = |name: &str, level: &str| {
        api(
            &app,
            "POST",
            "/configs",
            json!({"name": name, "body": {"loggers": {TARGET: {"level": level}}}}),
        )["id"]
            .as_i64()
            .unwrap()
    };
    let import = config("import debug", "debug");
    let trace = config("import trace", "trace");
    let jobs = config("jobs at warn only", "warn");
    let now = Utc::now();
    let hour = now.duration_trunc(chrono::Duration::hours(1)).unwrap() + chrono::Duration::hours(1);
    let trigger = |name: &str, config: i64, start, end| {
        api(
            &app,
            "POST",
            "/triggers",
            json!({"name": name, "config_id": config,
                   "start": start, "end": end}),
        )["id"]
            .as_i64()
            .unwrap()
    };
    let h = |n: i64| (hour + chrono::Duration::hours(n)).to_rfc3339();
    let nightly = trigger("nightly", import, h(2), h(10));
    let overlap = trigger("overlap trace", trace, h(5), h(7));
    let early = trigger(
        "early jobs",
        jobs,
        (now - chrono::Duration::minutes(5)).to_rfc3339(),
        h(4),
    );

    let b = Browser::start(driver, 1100, 900);
    b.go(&format!("{base}/login"));
    b.type_into(&b.find("#username"), USER);
    b.type_into(&b.find("#password"), PASSWORD);
    b.click(&b.find("#login"));
    wait_for(Duration::from_secs(10), "the dashboard", || {
        b.title().starts_with("Dashboard")
    });
    b.go(&format!("{base}/?hours=24"));

    // Each config in the legend, in three different colours, each bar filled with its colour.
    let legend = b.text(&b.find("#timeline-legend"));
    for name in [
        "import debug",
        "import trace",
        "jobs at warn only",
        "baseline",
    ] {
        assert!(legend.contains(name), "{name} in {legend}");
    }
    let fills = b.run(
        "return [...document.querySelectorAll('#timeline-svg a.seg rect')]
           .map((r) => r.closest('a').getAttribute('href') + ' ' + getComputedStyle(r).fill);",
    );
    let fills: Vec<&str> = fills
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    let colour = |id: i64| {
        let href = format!("/admin/triggers/{id} ");
        let of: Vec<&str> = fills
            .iter()
            .filter_map(|f| f.strip_prefix(href.as_str()))
            .collect();
        assert!(!of.is_empty(), "bars of #{id} in {fills:?}");
        assert!(
            of.iter().all(|c| *c == of[0]),
            "one colour for #{id}: {of:?}"
        );
        of[0].to_string()
    };
    let colours = [colour(nightly), colour(overlap), colour(early)];
    assert!(
        colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2],
        "{colours:?}"
    );

    // The bars are links, reached by keyboard: the first one focused goes to its trigger.
    let focusable = b.run(
        "const a = document.querySelector('#timeline-svg a.seg'); a.focus();
         return document.activeElement === a;",
    );
    assert_eq!(focusable, Value::Bool(true));
    // A labelled now, and the changes in words.
    assert!(
        b.text(&b.find("#timeline-svg .now-label"))
            .starts_with("now ")
    );
    let changes = b.text(&b.find("#timeline-changes"));
    for line in [
        "“early jobs” wins (config “jobs at warn only”): the only active one",
        "“nightly” wins (config “import debug”): started later than “early jobs”",
        "“overlap trace” wins (config “import trace”): started later than “nightly”",
        "“nightly” wins (config “import debug”): the only active one",
        "the baseline runs: no window is open",
    ] {
        assert!(changes.contains(line), "{line} in {changes}");
    }
    let errors: Vec<String> = b
        .console_errors()
        .into_iter()
        .filter(|e| !e.contains("favicon.ico"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    b.screenshot_at(&shots().join("timeline.png"), 1100);
    b.click(&b.find(&format!(
        "#timeline-svg a[href='/admin/triggers/{overlap}']"
    )));
    wait_for(Duration::from_secs(10), "the trigger's page", || {
        b.title().starts_with("Trigger overlap trace")
    });

    drop(b);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON API with this test's token.
fn api(app: &Instance, method: &str, path: &str, body: Value) -> Value {
    app.api(TOKEN, method, path, body)
}
