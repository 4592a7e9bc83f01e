//! The real binary keeps the passwords of its URLs out of stderr and out of the live tail: started
//! on PostgreSQL and Redis with passwords in both URLs, it names them redacted; a bad URL stops
//! it with a message naming the variable, without the password. Also the demo endpoints,
//! `/testapp/error500` among them.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Instance, wait_for};
use diesel::{Connection, PgConnection, RunQueryDsl};

const SECRET: &str = "s3cret";
const USER: &str = "ops";
const PASSWORD: &str = "secrets-password-0123";

/// `url` with `user:s3cret@` as its credentials (PostgreSQL's trust authentication and a Redis
/// without `requirepass` do not check it, or refuse it: either way the app must not show it).
fn with_password(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{SECRET}@{host}")
}

fn required(what: &str, e: impl std::fmt::Display) {
    if std::env::var("DYNLOG_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{what} is required (DYNLOG_REQUIRE_SERVICES=1): {e}");
    }
    eprintln!("skipped: {what} is not available ({e}); run scripts/test");
}

#[test]
fn passwords_in_urls_reach_neither_stderr_nor_the_live_tail() {
    let server = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut admin = match PgConnection::establish(&server) {
        Ok(admin) => admin,
        Err(e) => return required("PostgreSQL", e),
    };
    let redis = std::env::var("REDIS_URL")
        .ok()
        .filter(|u| u.starts_with("redis://"))
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".into());
    let name = format!("dynlog_secrets_{}", std::process::id());
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let user = server
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map_or("postgres", |(userinfo, _)| {
            userinfo.split(':').next().unwrap_or("postgres")
        });
    let database = with_password(
        &format!("{}/{name}", &server[..server.rfind('/').unwrap()]),
        user,
    );
    let redis = with_password(&redis, "");
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let stderr = || std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();

    let app = Instance::start_logging(
        &dir,
        &[
            ("DATABASE_URL", database.clone()),
            ("REDIS_URL", redis.clone()),
            ("DYNLOG_ADMIN_USER", USER.into()),
            ("DYNLOG_ADMIN_PASSWORD", PASSWORD.into()),
            ("DYNLOG_JOB_SECONDS", "60".into()),
            (
                "DYNLOG_LOG_FILE",
                dir.join("app.log").to_string_lossy().into_owned(),
            ),
        ],
    );
    wait_for(Duration::from_secs(10), "the startup line", || {
        stderr().contains("dynlog-testapp on http://")
    });
    let shown_database = database.replace(SECRET, "***");
    let shown_redis = redis.replace(SECRET, "***");
    let text = stderr();
    assert!(
        text.contains(&format!("postgres store at {shown_database}"))
            && text.contains(&format!("redis propagator at {shown_redis}")),
        "both URLs named, redacted: {text}"
    );

    // The demo endpoints, the failing one logging its error.
    for (path, status) in [
        ("/testapp/ok", 200),
        ("/testapp/error401", 401),
        ("/testapp/error500", 500),
        ("/testapp/log/warn/myapp::demo", 200),
        ("/testapp/log/loud/myapp", 400),
    ] {
        assert_eq!(app.get(path).0, status, "{path}");
    }
    wait_for(Duration::from_secs(5), "the 500's error record", || {
        stderr().contains("ERROR dynlog_testapp::demo] server error view served")
    });

    // The live tail holds the startup line, redacted.
    let session = app.login(USER, PASSWORD);
    let (status, tail) = app.get_as(&session, "/admin/tail?level=info&target=dynlog_testapp");
    assert_eq!(status, 200);
    assert!(tail.contains(&shown_database), "{tail}");
    assert!(
        !tail.contains(SECRET),
        "the live tail shows a password: {tail}"
    );
    let (status, tail) = app.get_as(&session, "/admin/tail?level=trace");
    assert_eq!(status, 200);
    assert!(
        !tail.contains(SECRET),
        "the live tail shows a password: {tail}"
    );

    // A few heartbeats and reconnection attempts later, still nothing.
    std::thread::sleep(Duration::from_secs(1));
    drop(app);
    let text = stderr();
    assert!(!text.contains(SECRET), "stderr shows a password: {text}");

    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_url_is_named_without_its_password() {
    let dir = std::env::temp_dir().join(format!("dynlog-bad-url-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (variable, url, shown) in [
        (
            "DATABASE_URL",
            "mysql://root:s3cret@db:3306/app",
            "DATABASE_URL=\"mysql://root:***@db:3306/app\"",
        ),
        (
            "REDIS_URL",
            "http://:s3cret@127.0.0.1:6379/",
            "REDIS_URL=\"http://:***@127.0.0.1:6379/\"",
        ),
        // Well-formed, but a database number Redis cannot have.
        (
            "REDIS_URL",
            "redis://:s3cret@127.0.0.1:6379/not-a-number",
            "redis://:***@127.0.0.1:6379/not-a-number",
        ),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_dynlog-testapp"))
            .current_dir(&dir)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env(
                "DATABASE_URL",
                dir.join("app.sqlite3").to_string_lossy().into_owned(),
            )
            .env(variable, url)
            .env("DYNLOG_BIND", format!("127.0.0.1:{}", common::free_port()))
            .env("DYNLOG_LOG_FILE", dir.join("app.log"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{url}: {stderr}");
        assert!(stderr.contains(shown), "{url}: {stderr}");
        assert!(!stderr.contains(SECRET), "{url}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
