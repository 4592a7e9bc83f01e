//! The admin in a real browser (Debian's headless Chromium through chromedriver): log in, build
//! a config in the grid, preview and save it, schedule it for the next hour with a quick window,
//! see it current on the dashboard and in the timeline, and its debug records in the app's file;
//! then follow the live tail. Screenshots of each page go to
//! `target/tmp/screenshots/` for review.
//!
//! Without chromedriver the test says so and passes, unless DYNLOG_REQUIRE_SERVICES is set (as
//! `scripts/test` does under CI, after installing it).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{debug_lines, wait_for};
use webdriver::Browser;

const USER: &str = "operator";
const PASSWORD: &str = "browser-test-password";
const TARGET: &str = "dynlog_testapp::jobs::import";

fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

#[test]
fn an_operator_schedules_debug_for_an_hour_in_the_browser() {
    let Some(driver) = webdriver::chromedriver_or_skip() else {
        return;
    };
    let (dir, app) = common::fresh_testapp(
        "dynlog-browser",
        &[
            ("DYNLOG_JOB_SECONDS", "0.2".into()),
            ("DYNLOG_ADMIN_USER", USER.into()),
            ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
        ],
    );
    // A few requests, so the loggers page has targets to show.
    for path in [
        "/testapp/ok",
        "/testapp/log/warning/myapp::db",
        "/testapp/error401",
    ] {
        app.get(path);
    }
    let base = format!("http://127.0.0.1:{}/admin", app.port);
    let b = Browser::start(driver, 1400, 1000);

    // Every page sends an anonymous visitor to the login form.
    b.go(&format!("{base}/"));
    assert!(b.url().contains("/admin/login?next="), "{}", b.url());
    b.screenshot(&shots().join("01-login.png"));
    b.type_into(&b.find("#username"), USER);
    b.type_into(&b.find("#password"), "not the password");
    b.click(&b.find("#login"));
    assert_eq!(b.text(&b.find("#error")), "Wrong username or password.");
    // The console has the refused login's 401 (and is emptied by reading it).
    assert!(
        b.console_errors().iter().any(|e| e.contains("401")),
        "the console shows the refused login"
    );
    b.type_into(&b.find("#password"), PASSWORD);
    b.click(&b.find("#login"));
    wait_for(Duration::from_secs(10), "the dashboard", || {
        b.title().starts_with("Dashboard")
    });
    assert!(b.text(&b.find("#current")).contains("The baseline"));

    // A config built in the grid: a new row (added by the page's script) for the import job.
    b.go(&format!("{base}/configs"));
    b.click(&b.find("#new-config"));
    b.type_into(&b.find("#name"), "import at debug to the file");
    let rows = b.find_all("#loggers tbody tr").len();
    b.click(&b.find("#add-logger"));
    assert_eq!(b.find_all("#loggers tbody tr").len(), rows + 1);
    let row = "#loggers tbody tr:last-child";
    b.type_into(&b.find(&format!("{row} input[name$='.name']")), TARGET);
    b.click(&b.find(&format!(
        "{row} select[name$='.level'] option[value='debug']"
    )));
    b.click(&b.find(&format!(
        "{row} select[name$='.handlers'] option[value='file']"
    )));
    b.click(&b.find("#preview"));
    let preview = b.text(&b.find("#preview-result"));
    assert!(preview.contains(TARGET), "{preview}");
    assert!(
        preview.contains("debug (config \"import at debug to the file\") → file"),
        "{preview}"
    );
    b.screenshot(&shots().join("04-config-preview.png"));
    b.click(&b.find("#save"));
    wait_for(Duration::from_secs(10), "the saved config", || {
        b.url().contains("?saved=1")
    });
    b.go(&format!("{base}/configs"));
    assert!(
        b.text(&b.find("#configs"))
            .contains("import at debug to the file")
    );
    b.screenshot(&shots().join("03-configs.png"));

    // Scheduled for the next hour with a quick window, from the config's "add trigger".
    b.click(&b.find("#configs a[href*='triggers/new']"));
    let name = b.find("#name");
    assert_eq!(
        b.property(&name, "value").as_str(),
        Some("import at debug to the file"),
        "named after the config"
    );
    let local = b.text(&b.find(".local[data-for='start']"));
    assert!(
        !local.is_empty(),
        "the script shows the start in local time"
    );
    b.screenshot(&shots().join("05-trigger.png"));
    b.click(&b.find("#quick-1h"));
    wait_for(Duration::from_secs(10), "the triggers list", || {
        b.url().contains("/triggers?saved=")
    });
    assert!(
        b.text(&b.find("#triggers tr.running"))
            .contains("import at debug")
    );
    b.screenshot(&shots().join("06-triggers.png"));

    // Current on the dashboard and in the timeline; the records really flow.
    wait_for(Duration::from_secs(10), "debug records in the file", || {
        debug_lines(&dir) > 0
    });
    b.go(&format!("{base}/"));
    let current = b.text(&b.find("#current"));
    assert!(current.contains("import at debug to the file"), "{current}");
    assert!(
        current.contains("file: [as declared]") || current.contains("file:"),
        "{current}"
    );
    assert_eq!(b.find_all("#timeline-svg rect.win").len(), 1);
    assert!(b.source().contains("<title>import at debug to the file · "));
    assert!(b.text(&b.find("#fleet")).contains("(this)"));
    b.screenshot(&shots().join("02-dashboard.png"));

    // The loggers page knows the targets seen, and what decides them now.
    b.go(&format!("{base}/loggers"));
    let loggers = b.text(&b.find("#loggers"));
    assert!(
        loggers.contains(TARGET) && loggers.contains("myapp::db"),
        "{loggers}"
    );
    b.screenshot(&shots().join("07-loggers.png"));
    b.go(&format!("{base}/audit"));
    assert!(b.text(&b.find("#audit")).contains(USER));
    b.screenshot(&shots().join("08-audit.png"));

    // A token for scripts, from the account page (the user's name in the header).
    b.click(&b.find("header a.user"));
    b.type_into(
        &b.find("form[action$='/account/tokens'] input[name='name']"),
        "ci",
    );
    b.click(&b.find("form[action$='/account/tokens'] button"));
    assert!(b.text(&b.find("#new-token")).contains("shown this once"));
    b.screenshot(&shots().join("10-account.png"));

    // The live tail: records arrive without a reload.
    b.go(&format!("{base}/tail?level=debug&target=dynlog_testapp"));
    wait_for(Duration::from_secs(10), "the tail to connect", || {
        b.text(&b.find("#tail-state")) == "live"
    });
    let before = b.find_all("#tail tbody tr").len();
    wait_for(Duration::from_secs(10), "records streamed in", || {
        b.find_all("#tail tbody tr").len() >= before + 3
    });
    assert!(
        b.text(&b.find("#tail tbody")).contains("DEBUG")
            || b.text(&b.find("#tail tbody")).contains("debug")
    );
    b.screenshot(&shots().join("09-tail.png"));

    // No page broke its Content-Security-Policy or threw (the favicon the app does not have
    // aside).
    let errors: Vec<String> = b
        .console_errors()
        .into_iter()
        .filter(|e| !e.contains("favicon.ico"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // Logging out ends the session.
    b.click(&b.find("header form.logout button"));
    wait_for(Duration::from_secs(10), "the login form", || {
        b.url().contains("/admin/login")
    });
    b.go(&format!("{base}/configs"));
    assert!(b.url().contains("/admin/login?next="));
    drop(b);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
