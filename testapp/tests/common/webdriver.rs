//! A small W3C WebDriver client over std's TCP, driving Debian's chromedriver and headless
//! Chromium: the few commands the browser tests use.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::common::{free_port, wait_for};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where chromedriver is, if installed.
/// The chromedriver to drive, or `None` when it is not installed and the test may skip: under
/// CI (`DYNLOG_REQUIRE_SERVICES` set) a missing one fails the test instead.
pub(crate) fn chromedriver_or_skip() -> Option<&'static str> {
    let found = chromedriver();
    if found.is_none() {
        assert!(
            std::env::var_os("DYNLOG_REQUIRE_SERVICES").is_none(),
            "chromedriver is not installed (Debian: apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromedriver is not installed");
    }
    found
}

pub(crate) fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// A chromedriver process and one headless Chromium session, both ended on drop.
pub(crate) struct Browser {
    driver: Child,
    port: u16,
    session: String,
    profile: std::path::PathBuf,
}

/// An element of the page.
#[derive(Clone, Debug)]
pub(crate) struct Element(String);

impl Browser {
    pub(crate) fn start(driver: &str, width: u32, height: u32) -> Browser {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(Duration::from_secs(20), "chromedriver to listen", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let profile =
            std::env::temp_dir().join(format!("dynlog-chromium-{}-{port}", std::process::id()));
        let mut browser = Browser {
            driver: child,
            port,
            session: String::new(),
            profile,
        };
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--lang=en-US".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", browser.profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let answer = browser.call("POST", "/session", Some(caps));
        browser.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        browser
    }

    /// One WebDriver command: its `value`, or a panic with the driver's error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        // chromedriver keeps the connection open: read the head, then Content-Length bytes.
        let mut response = Vec::new();
        let mut byte = [0u8; 1];
        while !response.ends_with(b"\r\n\r\n") {
            let n = stream
                .read(&mut byte)
                .unwrap_or_else(|e| panic!("{method} {path}: no answer from chromedriver: {e}"));
            assert!(
                n == 1,
                "{method} {path}: chromedriver closed the connection"
            );
            response.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&response).to_string();
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or_else(|| panic!("{method} {path}: no Content-Length in {head}"));
        let mut body = vec![0u8; length];
        stream
            .read_exact(&mut body)
            .unwrap_or_else(|e| panic!("{method} {path}: short answer from chromedriver: {e}"));
        let body = String::from_utf8_lossy(&body).to_string();
        let value: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}: {head}\n{body}"));
        if value["value"]["error"].is_string() {
            panic!("{method} {path}: {}", value["value"]);
        }
        value["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub(crate) fn go(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({"url": url})));
    }

    pub(crate) fn url(&self) -> String {
        self.session_call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub(crate) fn title(&self) -> String {
        self.session_call("GET", "/title", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub(crate) fn source(&self) -> String {
        self.session_call("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub(crate) fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.session_call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_string())))
            .collect()
    }

    /// The first element `css` selects, waiting up to 10 s for it to appear.
    pub(crate) fn find(&self, css: &str) -> Element {
        let mut found = None;
        wait_for(Duration::from_secs(10), css, || {
            found = self.find_all(css).into_iter().next();
            found.is_some()
        });
        found.unwrap()
    }

    pub(crate) fn click(&self, element: &Element) {
        self.session_call(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        );
    }

    pub(crate) fn type_into(&self, element: &Element, text: &str) {
        self.session_call(
            "POST",
            &format!("/element/{}/clear", element.0),
            Some(json!({})),
        );
        self.session_call(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({"text": text})),
        );
    }

    pub(crate) fn text(&self, element: &Element) -> String {
        self.session_call("GET", &format!("/element/{}/text", element.0), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The rendered text of the first element `css` selects, `None` while there is none: one
    /// script, so a page replaced between finding and reading (a form's answer arriving) is not a
    /// stale element but simply the next page's answer. For polling with `wait_for`.
    pub(crate) fn text_of(&self, css: &str) -> Option<String> {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({
                "script": "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                "args": [css],
            })),
        )
        .as_str()
        .map(str::to_string)
    }

    pub(crate) fn property(&self, element: &Element, name: &str) -> Value {
        self.session_call(
            "GET",
            &format!("/element/{}/property/{name}", element.0),
            None,
        )
    }

    /// Runs `script` in the page (WebDriver's scripts are not subject to the page's CSP).
    pub(crate) fn run(&self, script: &str) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs `script` asynchronously in the page with `args`: the script calls its last argument
    /// (`arguments[arguments.length - 1]`) with the result, within the session's script timeout.
    pub(crate) fn run_async(&self, script: &str, args: Value) -> Value {
        self.session_call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// How long scripts may run before the driver gives up on them.
    pub(crate) fn script_timeout(&self, timeout: Duration) {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.session_call("POST", "/timeouts", Some(json!({"script": ms})));
    }

    /// An attribute of the element as written in the page, `None` when it has none.
    pub(crate) fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.session_call(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            None,
        )
        .as_str()
        .map(str::to_string)
    }

    /// The element's accessible name, as the browser computes it for assistive technology.
    pub(crate) fn computed_label(&self, element: &Element) -> String {
        self.session_call(
            "GET",
            &format!("/element/{}/computedlabel", element.0),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Presses keys on the focused element (WebDriver's key codes, such as `\u{E004}` for Tab).
    pub(crate) fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                let key = c.to_string();
                [
                    json!({"type": "keyDown", "value": key}),
                    json!({"type": "keyUp", "value": key}),
                ]
            })
            .collect();
        self.session_call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        self.session_call("DELETE", "/actions", None);
    }

    /// The browser console's errors since the last call (script errors, CSP violations, failed
    /// loads), through chromedriver's log endpoint.
    pub(crate) fn console_errors(&self) -> Vec<String> {
        self.session_call("POST", "/se/log", Some(json!({"type": "browser"})))
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A PNG of the whole page, saved at `path`, 1400 px wide.
    pub(crate) fn screenshot(&self, path: &Path) {
        self.screenshot_at(path, 1400);
    }

    /// A PNG of the whole page laid out `width` px wide, saved at `path`; the window stays that
    /// wide, as tall as the page.
    pub(crate) fn screenshot_at(&self, path: &Path, width: u32) {
        // As tall as the page once it has laid itself out at this width (a taller window can
        // lay it out taller again: a few rounds).
        self.resize(width, 900);
        for _ in 0..4 {
            let [page, window] = ["scrollHeight", "clientHeight"].map(|p| {
                self.run(&format!("return document.documentElement.{p}"))
                    .as_u64()
                    .unwrap_or(900)
            });
            if page <= window {
                break;
            }
            let outer = self.run("return window.outerHeight").as_u64().unwrap_or(0);
            let chrome = outer.saturating_sub(window);
            self.resize(width, (page + chrome).clamp(600, 4000) as u32);
        }
        let png = self.session_call("GET", "/screenshot", None);
        let bytes = decode_base64(png.as_str().unwrap_or_default());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Sets the window's size (the page reflows; what is typed in it stays).
    pub(crate) fn resize(&self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.call("DELETE", &format!("/session/{}", self.session), None)
            }));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(decode_base64("aGVsbG8gd29ybGQ="), b"hello world");
    assert_eq!(decode_base64("YQ=="), b"a");
}
