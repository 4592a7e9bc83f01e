//! The real testapp binary, spawned, and what its end-to-end tests need to talk to it.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `done` until it holds; fails the test after `within`. Returns how long it took.
pub(crate) fn wait_for(within: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < within,
            "timed out after {within:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    started.elapsed()
}

/// How many debug records of the import job the app's file holds.
pub(crate) fn debug_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("app.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("DEBUG dynlog_testapp::jobs::import"))
        .count()
}

/// A running testapp, killed with the guard.
/// A testapp in a fresh directory named `name` (under the system's temp dir, per process):
/// SQLite and its log file in that directory, `env` on top.
pub(crate) fn fresh_testapp(name: &str, env: &[(&str, String)]) -> (std::path::PathBuf, Instance) {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut all = vec![
        (
            "DATABASE_URL",
            dir.join("app.sqlite3").to_string_lossy().into_owned(),
        ),
        (
            "DYNLOG_LOG_FILE",
            dir.join("app.log").to_string_lossy().into_owned(),
        ),
    ];
    all.extend(env.iter().cloned());
    let app = Instance::start(&dir, &all);
    (dir, app)
}

pub(crate) struct Instance {
    child: Child,
    pub(crate) port: u16,
}

impl Instance {
    /// Starts the binary in `dir` with these variables (and DYNLOG_BIND on a free port), and
    /// waits until it listens.
    pub(crate) fn start(dir: &Path, env: &[(&str, String)]) -> Instance {
        Instance::start_with(dir, env, Stdio::null())
    }

    /// As [`Instance::start`], its standard error going to `dir/stderr.log`.
    pub(crate) fn start_logging(dir: &Path, env: &[(&str, String)]) -> Instance {
        let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
        Instance::start_with(dir, env, Stdio::from(log))
    }

    fn start_with(dir: &Path, env: &[(&str, String)], stderr: Stdio) -> Instance {
        let mut instance = Instance::spawn_with(dir, env, stderr);
        instance.wait_listening();
        instance
    }

    /// As [`Instance::start`], without waiting: several started together race as a fleet does.
    pub(crate) fn spawn(dir: &Path, env: &[(&str, String)]) -> Instance {
        Instance::spawn_with(dir, env, Stdio::null())
    }

    /// Waits until it listens; fails the test at once if it exits first.
    pub(crate) fn wait_listening(&mut self) {
        let (port, child) = (self.port, &mut self.child);
        wait_for(Duration::from_secs(30), "the app to listen", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the app on port {port} exited before listening: {status}");
            }
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    fn spawn_with(dir: &Path, env: &[(&str, String)], stderr: Stdio) -> Instance {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_dynlog-testapp"))
            .current_dir(dir)
            // Only what the test gives: not the DATABASE_URL and REDIS_URL of scripts/test.
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("DYNLOG_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Instance { child, port }
    }

    /// Sends SIGTERM, as a service manager stopping it would, and waits (up to 30 s) for the
    /// process to exit: its exit status.
    #[allow(dead_code)]
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM");
        let child = &mut self.child;
        let mut status = None;
        wait_for(Duration::from_secs(30), "the app to exit", || {
            status = child.try_wait().unwrap();
            status.is_some()
        });
        status.unwrap()
    }

    /// GET `path`: the status code and the body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// GET `path` with these request headers: the status code and the body.
    pub(crate) fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let (status, _, body) = self.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n"
        ));
        (status, body)
    }

    /// A request with a JSON body and a bearer token: the status code and the parsed answer.
    /// The admin's JSON API as a script uses it: `body` to `/admin/api{path}` with `token`, and
    /// the answer, after checking it is a success.
    pub(crate) fn api(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let (status, answer) = self.send(
            method,
            &format!("/admin/api{path}"),
            token,
            &body.to_string(),
        );
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        (
            status,
            serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// One raw request: the status code, the head and the body.
    fn raw(&self, request: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (status, head.to_string(), body.to_string())
    }

    /// Logs in to the admin as a person would, through the login form: the session's cookie.
    pub(crate) fn login(&self, user: &str, password: &str) -> String {
        let (_, head, body) =
            self.raw("GET /admin/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let login_cookie = cookie(&head, "dynlog_login").expect("the login form's cookie");
        let csrf = hidden(&body, "csrf");
        let form = format!(
            "csrf={}&username={}&password={}&next=%2Fadmin%2F",
            encode(&csrf),
            encode(user),
            encode(password)
        );
        let (status, head, body) = self.raw(&format!(
            "POST /admin/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Cookie: dynlog_login={login_cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ));
        assert_eq!(status, 303, "logging in as {user}: {body}");
        format!(
            "dynlog_session={}",
            cookie(&head, "dynlog_session").expect("a session cookie")
        )
    }

    /// GET `path` with the session `cookie`: the status code and the body.
    pub(crate) fn get_as(&self, cookie: &str, path: &str) -> (u16, String) {
        let (status, _, body) = self.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n"
        ));
        (status, body)
    }

    /// `/testapp/status`, parsed.
    pub(crate) fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.get("/testapp/status").1).unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value `head` sets for the cookie `name`.
fn cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| {
            let (header, value) = l.split_once(':')?;
            header
                .eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim())
        })
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
}

/// The value of the first hidden field `name` of a page.
pub(crate) fn hidden(body: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let at = body.find(&marker).expect("the field") + marker.len();
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
