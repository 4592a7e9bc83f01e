//! The admin's accessibility (issue 18, point 7, WCAG 2.2 AA), in a real browser (Debian's
//! headless Chromium through chromedriver):
//!
//! - every page of [`PAGES`] (and the login form) at desktop width and at 390 px is checked by
//!   axe-core, the maintained checker (from the npm registry, pinned in `tests/axe/`, installed
//!   by `scripts/test` with `npm ci`, injected through WebDriver): no finding of any impact
//!   finding, each one printed with its rule, the element and what to do;
//! - what axe cannot judge is measured here: the edges of fields and the timeline's bars at 3:1
//!   against what is behind them, the timeline's text at 4.5:1 (WCAG 1.4.11 and 1.4.3);
//! - the menu marks the current page, the skip link is the first Tab stop and moves the focus to
//!   the content, repeated buttons say which row they act on, and an error is tied to its field
//!   (`aria-invalid`, `aria-describedby` naming the message) while the config form's logger row
//!   with the error keeps its place among the rows as typed.
//!
//! Screenshots go to `target/tmp/screenshots/a11y-*.png` for review. Without chromedriver (or
//! axe-core's files) the tests say so and pass, unless DYNLOG_REQUIRE_SERVICES is set (as
//! `scripts/test` does under CI, after installing them).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use common::{Instance, wait_for};
use serde_json::{Value, json};
use webdriver::Browser;

const USER: &str = "operator";
const PASSWORD: &str = "browser-a11y-password";
const TOKEN: &str = "browser-a11y-token";
/// The testapp's job logs under this target every few seconds.
const TARGET: &str = "dynlog_testapp::jobs::import";
const DESKTOP: u32 = 1280;
const PHONE: u32 = 390;
const HEIGHT: u32 = 900;

/// A page the checks visit: its name, its address under the admin (`{config}` and `{trigger}`
/// stand for the ids the test made) and, for a state an address cannot reach (a form sent back
/// with errors), what to do on it first. Adding a page to the checks is one line here.
struct Page {
    name: &'static str,
    path: &'static str,
    then: Option<fn(&Admin)>,
    /// The page's title starts with this once it is there.
    title: &'static str,
}

const fn page(name: &'static str, path: &'static str, title: &'static str) -> Page {
    Page {
        name,
        path,
        then: None,
        title,
    }
}

/// Every page of the admin a signed-in operator sees (the login form is checked before signing
/// in).
const PAGES: &[Page] = &[
    page("dashboard", "/", "Dashboard"),
    page("configs", "/configs", "Configs"),
    page("config-new", "/configs/new", "New config"),
    page("config-edit", "/configs/{config}", "Config import debug"),
    Page {
        then: Some(config_with_errors),
        ..page("config-errors", "/configs/{config}", "Config import debug")
    },
    page("triggers", "/triggers", "Triggers"),
    page("trigger-new", "/triggers/new", "New trigger"),
    page("trigger-edit", "/triggers/{trigger}", "Trigger tonight"),
    Page {
        then: Some(trigger_with_errors),
        ..page("trigger-errors", "/triggers/new", "New trigger")
    },
    page("loggers", "/loggers", "Loggers"),
    Page {
        then: Some(debug_form_with_errors),
        ..page("loggers-errors", "/loggers", "Loggers")
    },
    page("audit", "/audit", "Audit"),
    page("tail", "/tail", "Live tail"),
    page("account", "/account", "Account"),
    page("import", "/configs/import", "Import a config"),
    page("error", "/configs/987654321", "Not Found"),
];

fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
}

/// axe-core's script, as `npm ci` in `tests/axe` installs it; `None` (the test skipped) when it
/// is not installed, outside CI.
fn axe_source() -> Option<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            assert!(
                std::env::var_os("DYNLOG_REQUIRE_SERVICES").is_none(),
                "axe-core is not installed at {} ({e}): run `npm ci` in testapp/tests/axe \
                 (scripts/test does)",
                path.display()
            );
            eprintln!("skipped: axe-core is not installed (npm ci in testapp/tests/axe)");
            None
        }
    }
}

/// Runs axe on the page (injected first): its violations, each with its rule, impact, help and
/// the elements, by selector, with axe's summary of what fails.
const AXE_RUN: &str = "
    const done = arguments[arguments.length - 1];
    axe.run(document, {resultTypes: ['violations']})
      .then((r) => done(r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
        nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
      }))))
      .catch((e) => done({error: String(e)}));";

/// What axe leaves to people, measured: the contrast of each visible field's edge against what
/// is behind it (3:1), of the timeline's bars against the card (3:1, or their outline), and of
/// its text against the card or the bar it is on (4.5:1). The failures, in words.
const NON_TEXT_CONTRAST: &str = "
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = (c) => {
      const [r, g, b] = rgb(c).map((v) => v / 255)
        .map((v) => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const opaque = (c) => { const v = rgb(c); return v.length === 3 || (v.length === 4 && v[3] === 1); };
    const behind = (e) => {
      for (let p = e.parentElement; p; p = p.parentElement) {
        const bg = getComputedStyle(p).backgroundColor;
        if (opaque(bg)) return bg;
      }
      return 'rgb(255, 255, 255)';
    };
    const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.getAttribute('name') ? '[name=\"' + e.getAttribute('name') + '\"]' : '')
      + (e.getAttribute('class') ? '.' + e.getAttribute('class').trim().split(/\\s+/).join('.') : '');
    const failures = [];
    const fields = document.querySelectorAll(
      'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea');
    for (const f of fields) {
      if (!shown(f)) continue;
      const s = getComputedStyle(f);
      const edge = ratio(s.borderTopColor, behind(f));
      const fill = ratio(s.backgroundColor, behind(f));
      if (Math.max(edge, fill) < 3) {
        failures.push(name(f) + ': its edge is ' + edge.toFixed(2) + ':1 against ' + behind(f));
      }
    }
    for (const r of document.querySelectorAll('.timeline svg rect')) {
      const s = getComputedStyle(r);
      const card = behind(r.closest('svg'));
      const fill = ratio(s.fill, card);
      const stroke = s.stroke !== 'none' ? ratio(s.stroke, card) : 0;
      if (Math.max(fill, stroke) < 3) {
        failures.push('timeline ' + name(r.parentElement) + ' > rect: ' + fill.toFixed(2)
          + ':1 against the card (outline ' + stroke.toFixed(2) + ':1)');
      }
    }
    for (const t of document.querySelectorAll('.timeline svg text')) {
      const bar = t.classList.contains('bar-label') ? t.parentElement.querySelector('rect') : null;
      const under = bar ? getComputedStyle(bar).fill : behind(t.closest('svg'));
      const c = ratio(getComputedStyle(t).fill, under);
      if (c < 4.5) {
        failures.push('timeline text \"' + t.textContent.trim() + '\" (' + name(t) + ', '
          + getComputedStyle(t).fontSize + '): ' + c.toFixed(2) + ':1');
      }
    }
    return failures;";

/// A testapp with something on every page and a browser on its admin (not yet signed in).
struct Admin {
    b: Browser,
    /// Running until the test ends (then stopped before its directory is removed).
    app: Option<Instance>,
    base: String,
    dir: PathBuf,
    config: i64,
    trigger: i64,
}

impl Admin {
    /// `None` (the test skipped) without chromedriver, outside CI.
    fn start(test: &str) -> Option<Admin> {
        let driver = webdriver::chromedriver_or_skip()?;
        let (dir, app) = common::fresh_testapp(
            &format!("dynlog-browser-a11y-{test}"),
            &[
                ("DYNLOG_JOB_SECONDS", "0.2".into()),
                ("DYNLOG_ADMIN_USER", USER.into()),
                ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
                ("DYNLOG_API_TOKEN", TOKEN.into()),
            ],
        );
        let api = |method: &str, path: &str, body: Value| app.api(TOKEN, method, path, body);
        // Three overlapping windows, one running now; a logger debugged for an hour (its row on
        // the Loggers page has "Stop now" and "Extend 1 h").
        let config = api(
            "POST",
            "/configs",
            json!({"name": "import debug", "body": {"loggers": {
                TARGET: {"level": "debug"},
                "dynlog_testapp::jobs": {"level": "info", "propagate": false},
            }}}),
        )["id"]
            .as_i64()
            .unwrap();
        let other = api(
            "POST",
            "/configs",
            json!({"name": "overlap trace", "body": {"loggers": {TARGET: {"level": "trace"}}}}),
        )["id"]
            .as_i64()
            .unwrap();
        let now = Utc::now();
        let at = |minutes: i64| (now + chrono::Duration::minutes(minutes)).to_rfc3339();
        let trigger = api(
            "POST",
            "/triggers",
            json!({"name": "tonight", "config_id": config, "start": at(-30), "end": at(240)}),
        )["id"]
            .as_i64()
            .unwrap();
        api(
            "POST",
            "/triggers",
            json!({"name": "overlap", "config_id": other, "start": at(60), "end": at(180)}),
        );
        api(
            "POST",
            "/triggers",
            json!({"name": "until deleted", "config_id": other, "start": at(600)}),
        );
        api(
            "POST",
            "/debug",
            json!({"target": "dynlog_testapp::jobs", "level": "debug", "minutes": 60}),
        );
        let b = Browser::start(driver, DESKTOP, HEIGHT);
        b.script_timeout(Duration::from_secs(60));
        let base = format!("http://127.0.0.1:{}/admin", app.port);
        Some(Admin {
            b,
            app: Some(app),
            base,
            dir,
            config,
            trigger,
        })
    }

    fn go(&self, path: &str) {
        let path = path
            .replace("{config}", &self.config.to_string())
            .replace("{trigger}", &self.trigger.to_string());
        self.b.go(&format!("{}{path}", self.base));
    }

    fn wait_title(&self, title: &str) {
        wait_for(Duration::from_secs(10), title, || {
            self.b.title().starts_with(title)
        });
    }

    fn log_in(&self) {
        self.go("/login");
        self.b.type_into(&self.b.find("#username"), USER);
        self.b.type_into(&self.b.find("#password"), PASSWORD);
        self.b.click(&self.b.find("#login"));
        self.wait_title("Dashboard");
    }

    /// Clicks `button` and waits for the page it posts to to show `css`.
    fn post_back(&self, button: &str, css: &str) {
        // A mark on the page the click leaves: gone once the answer is shown.
        self.b.run("window.dynlogLeft = true;");
        self.b.click(&self.b.find(button));
        wait_for(Duration::from_secs(10), css, || {
            self.b
                .run("return window.dynlogLeft === undefined && document.readyState === 'complete'")
                == Value::Bool(true)
                && !self.b.find_all(css).is_empty()
        });
    }

    /// axe's findings on the page as it is, in words, whatever their impact (minor ones
    /// included: an empty table header is one).
    fn axe(&self, axe: &str, what: &str) -> Vec<String> {
        self.b.run(axe);
        let found = self.b.run_async(AXE_RUN, json!([]));
        assert!(found["error"].is_null(), "{what}: axe failed: {found}");
        let mut failures = Vec::new();
        for v in found.as_array().unwrap() {
            for n in v["nodes"].as_array().unwrap() {
                let line = format!(
                    "{what}: [{}] {} ({}): {}\n    at {}\n    {}",
                    v["id"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    v["impact"].as_str().unwrap_or("no impact"),
                    v["url"].as_str().unwrap_or_default(),
                    n["target"].as_str().unwrap_or_default(),
                    n["summary"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('\n', "\n    "),
                );
                failures.push(line);
            }
        }
        let contrast = self.b.run(NON_TEXT_CONTRAST);
        for c in contrast.as_array().unwrap() {
            failures.push(format!(
                "{what}: [non-text contrast] {}",
                c.as_str().unwrap_or_default()
            ));
        }
        failures
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        drop(self.app.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The config form sent back with an error on its third logger row: a name that is not a
/// target, set to debug.
fn config_with_errors(a: &Admin) {
    let rows = a.b.find_all("#loggers tbody tr.logger-row");
    assert_eq!(rows.len(), 3, "two loggers and a blank row");
    a.b.type_into(
        &a.b.find("#loggers tbody tr.logger-row:nth-child(3) input[name$='.name']"),
        "not a target!",
    );
    a.b.run(
        "const s = document.querySelector(\"#loggers tbody tr.logger-row:nth-child(3) select[name$='.level']\");
         s.value = 'debug';",
    );
    a.post_back("#save", "#error");
}

/// The trigger form sent back with an error on its end: before the start.
fn trigger_with_errors(a: &Admin) {
    a.b.type_into(&a.b.find("#name"), "backwards");
    a.b.type_into(&a.b.find("#start"), "2030-01-02 10:00");
    a.b.type_into(&a.b.find("#end"), "2030-01-02 09:00");
    a.post_back("#save", "#error");
}

/// A tenant typed with "Only for: everyone": the Loggers page again, the message on the field.
fn debug_form_with_errors(a: &Admin) {
    a.b.type_into(&a.b.find("#target"), TARGET);
    a.b.type_into(&a.b.find("#only-value"), "acme");
    a.post_back("#quick-debug button[type=submit]", "#error");
}

#[test]
fn axe_finds_nothing_on_any_page_at_any_width() {
    let Some(axe) = axe_source() else {
        return;
    };
    let Some(a) = Admin::start("axe") else {
        return;
    };
    let mut failures = Vec::new();
    for width in [DESKTOP, PHONE] {
        a.b.resize(width, HEIGHT);
        a.go("/login");
        a.wait_title("Log in");
        failures.extend(a.axe(&axe, &format!("login at {width} px")));
    }
    a.b.resize(DESKTOP, HEIGHT);
    a.log_in();
    for width in [DESKTOP, PHONE] {
        for p in PAGES {
            a.b.resize(width, HEIGHT);
            a.go(p.path);
            a.wait_title(p.title);
            if let Some(then) = p.then {
                then(&a);
            }
            failures.extend(a.axe(&axe, &format!("{} at {width} px", p.name)));
            let suffix = if width == PHONE { "390" } else { "desktop" };
            a.b.screenshot_at(
                &shots().join(format!("a11y-{}-{suffix}.png", p.name)),
                width,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} accessibility findings:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The computed accessible names of what `css` selects, spaces as a screen reader says them
/// (Chromium puts one before the text hidden for screen readers, even before a colon).
fn labels(a: &Admin, css: &str) -> Vec<String> {
    a.b.find_all(css)
        .iter()
        .map(|e| {
            let label = a.b.computed_label(e);
            label
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace(" :", ":")
        })
        .collect()
}

/// The text of the elements an element's `aria-describedby` names.
fn description(a: &Admin, css: &str) -> String {
    a.b.run(&format!(
        "const e = document.querySelector({css:?});
         return (e.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
           .map((id) => {{ const d = document.getElementById(id); return d ? d.textContent : '(no ' + id + ')'; }})
           .join(' ');"
    ))
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn active(a: &Admin) -> Value {
    a.b.run(
        "const e = document.activeElement; const r = e.getBoundingClientRect();
         return {id: e.id, tag: e.tagName.toLowerCase(), cls: e.className, text: e.textContent.trim(),
                 shown: r.width > 1 && r.height > 1 && r.top >= 0 && r.left >= 0};",
    )
}

#[test]
fn the_menu_skip_link_buttons_and_errors_speak_to_assistive_technology() {
    let Some(a) = Admin::start("aria") else {
        return;
    };
    a.log_in();

    // The menu marks the page it is on, and only that one.
    for (path, title, current) in [
        ("/", "Dashboard", "Dashboard"),
        ("/configs", "Configs", "Configs"),
        ("/configs/{config}", "Config import debug", "Configs"),
        ("/triggers", "Triggers", "Triggers"),
        ("/loggers", "Loggers", "Loggers"),
        ("/audit", "Audit", "Audit"),
        ("/tail", "Live tail", "Live tail"),
        ("/account", "Account", USER),
    ] {
        a.go(path);
        a.wait_title(title);
        let marked: Vec<String> =
            a.b.find_all("header.top [aria-current=page]")
                .iter()
                .map(|e| a.b.text(e))
                .collect();
        assert_eq!(marked, [current], "{path}: the current page in the menu");
    }

    // The skip link is the first Tab stop, shown when focused, and takes the focus to the
    // content.
    a.go("/loggers");
    a.wait_title("Loggers");
    a.b.keys("\u{E004}");
    let skip = active(&a);
    assert_eq!(skip["cls"], "skip", "the first Tab stop: {skip}");
    assert_eq!(skip["text"], "Skip to the content");
    assert_eq!(
        skip["shown"], true,
        "the skip link shows when focused: {skip}"
    );
    a.b.keys("\u{E007}");
    wait_for(Duration::from_secs(5), "the focus on the content", || {
        active(&a)["id"] == "main"
    });

    // Repeated buttons say which row they act on: the names differ and name the row, and
    // begin with what the button shows (WCAG 2.5.3).
    let debug = labels(&a, "#loggers button");
    assert!(debug.len() > 3, "buttons on the Loggers rows: {debug:?}");
    let mut unique = debug.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), debug.len(), "each names its row: {debug:?}");
    assert!(
        debug.contains(&format!("debug for an hour: {TARGET}")),
        "{debug:?}"
    );
    for button in ["Stop now", "Extend 1 h"] {
        let label = format!("{button}: trigger “debug dynlog_testapp::jobs”");
        assert!(debug.contains(&label), "{label} in {debug:?}");
    }
    a.go("/triggers");
    a.wait_title("Triggers");
    let toggles = labels(&a, "#triggers button");
    assert!(
        toggles.contains(&"deactivate trigger tonight".to_string()),
        "{toggles:?}"
    );

    // Every control of the config form has a name, and in the loggers table the names differ
    // from row to row, naming the logger (a row added by the script too).
    a.go("/configs/{config}");
    a.wait_title("Config import debug");
    a.b.click(&a.b.find("#add-logger"));
    a.b.type_into(
        &a.b.find("#loggers tbody tr.logger-row:nth-child(4) input[name$='.name']"),
        "myapp::later",
    );
    let controls = labels(
        &a,
        "#config-form input:not([type=hidden]), #config-form select, #config-form button",
    );
    assert!(controls.len() > 20, "{controls:?}");
    assert!(
        controls.iter().all(|l| !l.trim().is_empty()),
        "every control has a name: {controls:?}"
    );
    let grid = labels(&a, "#loggers select, #loggers input");
    let mut unique = grid.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), grid.len(), "names differ by row: {grid:?}");
    for expected in [
        "level dynlog_testapp::jobs of row 1",
        "level myapp::later of row 4",
        "remove dynlog_testapp::jobs::import of row 2",
        "name of row 3",
    ] {
        assert!(grid.iter().any(|l| l == expected), "{expected} in {grid:?}");
    }

    // A logger name that is no target, in the third row, and a fourth row after it: saved, the
    // form comes back with every row where it was and as typed; the third is marked, its name
    // field invalid and described by the message shown in the row; the message at the top is
    // announced, has the focus and links to the field.
    a.b.type_into(
        &a.b.find("#loggers tbody tr.logger-row:nth-child(3) input[name$='.name']"),
        "not a target!",
    );
    a.b.run(
        "document.querySelector(\"#loggers tbody tr.logger-row:nth-child(3) select[name$='.level']\").value = 'debug';
         document.querySelector(\"#loggers tbody tr.logger-row:nth-child(4) select[name$='.level']\").value = 'info';",
    );
    a.post_back("#save", "#error");
    let names = a.b.run(
        "return [...document.querySelectorAll('#loggers tbody tr.logger-row')].map((r) => [
           r.querySelector('input[name$=\".name\"]').value,
           r.querySelector('select[name$=\".level\"]').value,
           r.classList.contains('invalid')]);",
    );
    assert_eq!(
        names,
        json!([
            ["dynlog_testapp::jobs", "info", false],
            [TARGET, "debug", false],
            ["not a target!", "debug", true],
            ["myapp::later", "info", false],
            ["", "", false],
        ]),
        "the rows where they were, the third marked"
    );
    let message = a.b.text(&a.b.find("#error-message"));
    assert!(message.contains("not a target!"), "{message}");
    assert_eq!(
        a.b.attribute(&a.b.find("#error"), "role").as_deref(),
        Some("alert")
    );
    assert_eq!(active(&a)["id"], "error", "the focus on the message");
    let field = "#loggers tbody tr.logger-row:nth-child(3) input[name$='.name']";
    assert_eq!(
        a.b.attribute(&a.b.find(field), "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        description(&a, field),
        message,
        "the field is described by the message"
    );
    let link = a.b.find("#error a");
    let target = a.b.attribute(&link, "href").unwrap_or_default();
    let id = a.b.attribute(&a.b.find(field), "id").unwrap_or_default();
    assert_eq!(target, format!("#{id}"), "the message links to its field");
    a.b.click(&link);
    assert_eq!(
        active(&a)["id"],
        id,
        "the link takes the focus to the field"
    );
    let style = a.b.run(&format!(
        "const s = getComputedStyle(document.querySelector({field:?}));
         return [s.borderTopColor, s.borderTopWidth];"
    ));
    assert_eq!(
        style,
        json!(["rgb(197, 48, 48)", "2px"]),
        "the field stands out"
    );
    a.b.screenshot_at(&shots().join("a11y-config-row-error-desktop.png"), DESKTOP);
    a.b.screenshot_at(&shots().join("a11y-config-row-error-390.png"), PHONE);
    a.b.resize(DESKTOP, HEIGHT);

    // The trigger form: an end before the start is on the end field.
    a.go("/triggers/new");
    a.wait_title("New trigger");
    trigger_with_errors(&a);
    let message = a.b.text(&a.b.find("#error-message"));
    assert!(message.contains("end"), "{message}");
    assert_eq!(
        a.b.attribute(&a.b.find("#end"), "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(description(&a, "#end"), message);
    assert_eq!(a.b.attribute(&a.b.find("#start"), "aria-invalid"), None);
    assert_eq!(
        a.b.attribute(&a.b.find("#error a"), "href").as_deref(),
        Some("#end")
    );
    a.b.screenshot_at(&shots().join("a11y-trigger-error-desktop.png"), DESKTOP);
}
