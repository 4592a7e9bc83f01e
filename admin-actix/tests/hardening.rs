// Over 600 lines: one short test per hostile try; they share one client and read best together.
//! What a hostile client tried, each answered as it must be: concurrent guesses, over-long and
//! invisible input, extreme numbers and dates, open redirects, a failing store seen by strangers,
//! and errors of the API that actix itself makes.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{App, test};
use common::client::{Client, PASSWORD, USER, client, controller, revision};
use dynlog_core::store::AccountStore;
use dynlog_core::store::Store;
use dynlog_core::{Controller, DynamicLogger, MemoryHandler, MemoryStore};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

/// A login form post with the client's login cookie and token, as a request to send many times.
fn login_request(client: &Client<impl Sized>, csrf: &str, password: &str) -> test::TestRequest {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", csrf), ("username", USER), ("password", password)])
        .finish();
    let mut req = test::TestRequest::post()
        .uri("/admin/login")
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .set_payload(body);
    for (name, value) in &client.cookies {
        req = req.cookie(actix_web::cookie::Cookie::new(name.clone(), value.clone()));
    }
    req
}

#[actix_web::test]
async fn concurrent_wrong_logins_get_the_allowance_and_then_429() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.get("/admin/login").await.csrf();
    let requests: Vec<_> = (0..50)
        .map(|_| login_request(&client, &csrf, "wrong password").to_request())
        .collect();
    let replies = futures_util::future::join_all(
        requests
            .into_iter()
            .map(|req| test::call_service(&client.app, req)),
    )
    .await;
    let mut statuses = BTreeMap::<u16, usize>::new();
    for reply in &replies {
        *statuses.entry(reply.status().as_u16()).or_default() += 1;
    }
    assert_eq!(statuses.get(&401), Some(&5), "{statuses:?}");
    assert_eq!(statuses.get(&429), Some(&45), "{statuses:?}");
}

#[actix_web::test]
async fn an_over_long_username_is_cut_before_it_is_shown_or_counted() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.get("/admin/login").await.csrf();
    let long = "m".repeat(1_000_000);
    let reply = client
        .post(
            "/admin/login",
            &[("csrf", &csrf), ("username", &long), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, 401);
    assert!(reply.body.len() < 16 * 1024, "{} bytes", reply.body.len());
    assert!(reply.body.contains(&"m".repeat(64)));
    // An account named by the first 64 characters is not logged into by the long name.
    dynlog_actix::put_account(&*c.accounts, "setup", &"m".repeat(64), PASSWORD).unwrap();
    let csrf = client.get("/admin/login").await.csrf();
    let again = client
        .post(
            "/admin/login",
            &[("csrf", &csrf), ("username", &long), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, 401);
}

#[actix_web::test]
async fn extreme_row_indices_are_a_form_error() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let before = revision(&c);
    for key in [
        "logger.18446744073709551615.level",
        "logger.18446744073709551616.level",
        "logger.-1.level",
        "logger.999999999.level",
    ] {
        let reply = client
            .post(
                "/admin/configs/new",
                &[
                    ("csrf", &csrf),
                    ("name", "rows"),
                    (key, "debug"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{key}: {}", reply.body);
        assert!(reply.body.contains("logger row"), "{key}: {}", reply.body);
    }
    assert_eq!(revision(&c), before);
}

#[actix_web::test]
async fn a_config_too_large_to_read_back_is_refused_on_every_path() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", TOKEN).unwrap();
    let before = revision(&c);

    // Each logger name is short, but there are enough of them to pass 256 KiB.
    let loggers: serde_json::Map<String, Value> = (0..9000)
        .map(|i| (format!("app::module_{i:05}"), json!({"level": "debug"})))
        .collect();
    let body = json!({"name": "huge", "body": {"loggers": loggers}}).to_string();
    assert!(body.len() > dynlog_core::model::MAX_BODY);
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let req = test::TestRequest::post()
        .uri("/admin/api/configs")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body)
        .to_request();
    let reply = test::call_service(&app, req).await;
    assert_eq!(reply.status().as_u16(), 413);
    let error: Value = test::read_body_json(reply).await;
    assert!(
        error["error"].as_str().unwrap().contains("262144"),
        "{error}"
    );

    let mut form = vec![
        ("csrf".to_string(), csrf.clone()),
        ("name".to_string(), "huge".to_string()),
        ("action".to_string(), "save".to_string()),
    ];
    for i in 0..9000 {
        form.push((format!("logger.{i}.name"), format!("app::module_{i:05}")));
        form.push((format!("logger.{i}.level"), "debug".to_string()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = client.post("/admin/configs/new", &pairs).await;
    assert!(
        [413, 422].contains(&reply.status),
        "{}: {}",
        reply.status,
        &reply.body[..reply.body.len().min(2000)]
    );
    assert!(reply.body.contains("262144"));
    assert_eq!(revision(&c), before, "nothing was stored");
}

#[actix_web::test]
async fn every_trigger_read_from_the_api_is_accepted_back_unchanged() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", TOKEN).unwrap();
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let call = |method: &str, uri: &str, body: Option<String>| {
        let mut req = match method {
            "GET" => test::TestRequest::get(),
            "PUT" => test::TestRequest::put(),
            _ => test::TestRequest::post(),
        }
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")));
        if let Some(body) = body {
            req = req
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body);
        }
        req.to_request()
    };
    let reply = test::call_service(
        &app,
        call(
            "POST",
            "/admin/api/configs",
            Some(json!({"name": "c"}).to_string()),
        ),
    )
    .await;
    assert_eq!(reply.status().as_u16(), 201);
    let config: Value = test::read_body_json(reply).await;
    let config_id = config["id"].as_i64().unwrap();

    // Out of range: the year after UTC conversion must be 1 to 9999.
    for (start, end) in [
        ("2026-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"),
        ("0000-12-31T23:00:00Z", "2026-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00+01:00", "2026-01-01T00:00:00Z"),
    ] {
        let body =
            json!({"name": "t", "config_id": config_id, "start": start, "end": end}).to_string();
        let reply = test::call_service(&app, call("POST", "/admin/api/triggers", Some(body))).await;
        assert_eq!(reply.status().as_u16(), 422, "{start} {end}");
        let error: Value = test::read_body_json(reply).await;
        assert!(
            ["start", "end"].contains(&error["field"].as_str().unwrap()),
            "{error}"
        );
    }

    for (start, end) in [
        (
            json!("0001-01-01T00:00:00Z"),
            json!("9999-12-31T23:59:59.999999999Z"),
        ),
        (
            json!("9999-12-31T23:59:58+00:00"),
            json!("9999-12-31T23:59:59Z"),
        ),
        (json!("2026-06-01T12:00:00.5+02:00"), Value::Null),
        (Value::Null, json!("2030-01-01T00:00:00Z")),
    ] {
        let body =
            json!({"name": "t", "config_id": config_id, "start": start, "end": end}).to_string();
        let reply = test::call_service(&app, call("POST", "/admin/api/triggers", Some(body))).await;
        assert_eq!(reply.status().as_u16(), 201, "{start} {end}");
    }
    let reply = test::call_service(&app, call("GET", "/admin/api/triggers", None)).await;
    let triggers: Value = test::read_body_json(reply).await;
    let triggers = triggers.as_array().unwrap();
    assert_eq!(triggers.len(), 4);
    for trigger in triggers {
        let uri = format!("/admin/api/triggers/{}", trigger["id"]);
        let reply = test::call_service(&app, call("PUT", &uri, Some(trigger.to_string()))).await;
        let status = reply.status().as_u16();
        let answer: Value = test::read_body_json(reply).await;
        assert_eq!(status, 200, "{trigger} -> {answer}");
        assert_eq!(answer["start"], trigger["start"]);
        assert_eq!(answer["end"], trigger["end"]);
    }

    // The form takes the same range.
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let before = revision(&c);
    for start in ["+99999-01-01 00:00", "0000-01-01 00:00"] {
        let reply = client
            .post(
                "/admin/triggers/new",
                &[
                    ("csrf", &csrf),
                    ("name", "far"),
                    ("config", &config_id.to_string()),
                    ("start", start),
                    ("end", ""),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{start}: {}", reply.body);
        assert!(reply.body.contains("9999"), "{}", reply.body);
    }
    assert_eq!(revision(&c), before);
}

#[actix_web::test]
async fn after_login_only_paths_under_the_admin_are_followed() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    // Mounted at the root, every path is "under the admin": only the shape of `next` protects.
    let admin = c.admin().secure_cookies(false).tail(tail.clone());
    let mut client = Client {
        app: test::init_service(App::new().service(admin.scope("/"))).await,
        cookies: BTreeMap::new(),
    };
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/ /evil.example", "/"),
        ("/configs//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/configs\u{7f}", "/"),
        ("/configs?x=1", "/configs?x=1"),
        ("/triggers/2", "/triggers/2"),
    ] {
        client.cookies.clear();
        let csrf = client.get("/login").await.csrf();
        let reply = client
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("username", USER),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(reply.status, 303, "{next:?}: {}", reply.body);
        assert_eq!(reply.location, expected, "{next:?}");
        // Signed in, the login form sends on to `next` as well.
        let uri = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        let reply = client.get(&uri).await;
        assert_eq!(
            (reply.status, reply.location.as_str()),
            (303, expected),
            "{next:?}"
        );
    }
}

/// A controller on a memory store that the test can make fail.
fn failing_controller(tail: &MemoryHandler) -> (common::TestApp, Arc<MemoryStore>) {
    let logger = DynamicLogger::builder()
        .handler("console", MemoryHandler::new(10))
        .handler("memory", tail.clone())
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let controller = Controller::builder_arc(logger, Arc::clone(&store) as Arc<dyn Store>)
        .without_thread()
        .start()
        .unwrap();
    dynlog_actix::put_account(&*store, "setup", USER, PASSWORD).unwrap();
    dynlog_actix::register_token(&*store, "setup", "ci", TOKEN).unwrap();
    let app = common::TestApp {
        controller,
        accounts: Arc::clone(&store),
    };
    (app, store)
}

#[actix_web::test]
async fn strangers_learn_only_that_the_store_is_unavailable() {
    let tail = MemoryHandler::new(100);
    let (c, store) = failing_controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.get("/admin/login").await.csrf();
    store.set_failing(true);
    let reply = client
        .post(
            "/admin/login",
            &[("csrf", &csrf), ("username", USER), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("unavailable"), "{}", reply.body);
    assert!(!reply.body.contains("memory store"), "{}", reply.body);

    let req = test::TestRequest::get()
        .uri("/admin/api/configs")
        .insert_header(("Authorization", "Bearer anything-at-all"))
        .to_request();
    let reply = test::call_service(&client.app, req).await;
    assert_eq!(reply.status().as_u16(), 503);
    let body = String::from_utf8(test::read_body(reply).await.to_vec()).unwrap();
    assert!(
        body.contains("unavailable") && !body.contains("memory store"),
        "{body}"
    );
}

#[actix_web::test]
async fn names_with_invisible_characters_are_refused() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let before = revision(&c);
    for name in [
        "a\u{0}b",
        "line\r\nbreak",
        "txt.\u{202E}exe",
        "x\u{2066}y",
        "tab\there",
    ] {
        let reply = client
            .post(
                "/admin/configs/new",
                &[("csrf", &csrf), ("name", name), ("action", "save")],
            )
            .await;
        assert_eq!(reply.status, 422, "{name:?}");
        assert!(reply.body.contains("invisible character"), "{name:?}");
        let reply = client
            .post("/admin/account/tokens", &[("csrf", &csrf), ("name", name)])
            .await;
        assert_eq!(reply.status, 422, "token {name:?}: {}", reply.body);
    }
    assert_eq!(revision(&c), before);
    assert!(c.accounts.tokens().unwrap().is_empty());
}

#[actix_web::test]
async fn toggling_a_trigger_needs_the_version_it_was_read_at() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let config = c
        .create_config(
            "setup",
            &dynlog_core::NewConfig {
                name: "c".into(),
                body: Default::default(),
            },
        )
        .unwrap();
    let trigger = c
        .create_trigger(
            "setup",
            &dynlog_core::NewTrigger {
                name: "t".into(),
                config_id: config.id,
                start: None,
                end: None,
                is_active: true,
            },
        )
        .unwrap();
    let uri = format!("/admin/triggers/{}/toggle", trigger.id.0);
    let before = revision(&c);
    let reply = client.post(&uri, &[("csrf", &csrf)]).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(reply.body.contains("version"));
    let stale = client
        .post(&uri, &[("csrf", &csrf), ("version", "0")])
        .await;
    // A stale version does nothing: back to the list, which says so (tests/conflict.rs).
    assert_eq!(stale.status, 303);
    assert_eq!(stale.location, "/admin/triggers");
    assert_eq!(revision(&c), before);
    let ok = client
        .post(&uri, &[("csrf", &csrf), ("version", "1")])
        .await;
    assert_eq!(ok.status, 303);
    assert!(!c.store().trigger(trigger.id).unwrap().is_active);
}

#[actix_web::test]
async fn every_api_error_is_json() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", TOKEN).unwrap();
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let huge = "x".repeat(8 * dynlog_core::model::MAX_BODY);
    for (method, uri, body, status) in [
        ("GET", "/admin/api/configs/abc", None, 404),
        ("GET", "/admin/api/triggers/99999999999999999999", None, 404),
        ("DELETE", "/admin/api/configs/1.5", None, 404),
        ("POST", "/admin/api/configs", Some(huge.as_str()), 413),
        ("GET", "/admin/api/nothing-here", None, 404),
        ("PATCH", "/admin/api/configs", None, 404),
        ("GET", "/admin/api/audit?limit=many", None, 400),
    ] {
        let mut req = match method {
            "GET" => test::TestRequest::get(),
            "POST" => test::TestRequest::post(),
            "DELETE" => test::TestRequest::delete(),
            _ => test::TestRequest::patch(),
        }
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")));
        if let Some(body) = body {
            req = req
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_string());
        }
        let reply = test::call_service(&app, req.to_request()).await;
        let got = reply.status().as_u16();
        let kind = reply
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = test::read_body(reply).await;
        let text = String::from_utf8_lossy(&bytes);
        assert!([status, 405].contains(&got), "{method} {uri}: {got} {text}");
        assert!(
            kind.starts_with("application/json"),
            "{method} {uri}: {kind} {text}"
        );
        let error: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(error["error"].is_string(), "{method} {uri}: {error}");
    }
}

#[actix_web::test]
async fn a_password_change_or_a_logout_ends_every_other_copy_of_the_session() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    // Three browsers on one admin (the same signing key, as the instances of a fleet share).
    let admin = c
        .admin()
        .secure_cookies(false)
        .session_secret(&[7; 32])
        .unwrap();
    let browser = || async {
        Client {
            app: test::init_service(App::new().service(admin.scope("/admin"))).await,
            cookies: BTreeMap::new(),
        }
    };
    let mut alice = browser().await;
    let csrf = alice.login().await;
    let mut elsewhere = browser().await;
    elsewhere.login().await;
    // A copy of alice's cookie, as a thief would have it; it works as long as hers does.
    let mut thief = browser().await;
    thief.cookies = alice.cookies.clone();
    assert_eq!(thief.get("/admin/").await.status, 200);

    let new_password = "a brand new password";
    let changed = alice
        .post(
            "/admin/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        alice.get("/admin/").await.status,
        200,
        "her own session goes on"
    );
    assert_eq!(elsewhere.get("/admin/").await.status, 303);
    assert_eq!(thief.get("/admin/").await.status, 303);

    // A copy taken now dies with her logout.
    thief.cookies = alice.cookies.clone();
    assert_eq!(thief.get("/admin/").await.status, 200);
    let csrf = alice.get("/admin/account").await.csrf();
    assert!(
        alice
            .get("/admin/account")
            .await
            .body
            .contains("Log out everywhere")
    );
    let out = alice.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(thief.get("/admin/").await.status, 303);
    let audit = c
        .store()
        .audit(dynlog_core::store::AuditQuery::default())
        .unwrap();
    assert!(
        audit.iter().any(|e| e.actor == format!("{USER} (admin)")),
        "ending sessions is audited"
    );
}

#[actix_web::test]
async fn live_tails_end_with_their_session_and_are_few_per_session() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut alice = client(&c, &tail).await;
    alice.login().await;
    let open = |client: &Client<_>| {
        let mut req = test::TestRequest::get().uri("/admin/tail/events");
        for (name, value) in &client.cookies {
            req = req.cookie(actix_web::cookie::Cookie::new(name.clone(), value.clone()));
        }
        req.to_request()
    };
    let mut streams = Vec::new();
    for _ in 0..dynlog_actix::MAX_TAILS {
        let stream = test::call_service(&alice.app, open(&alice)).await;
        assert_eq!(stream.status().as_u16(), 200);
        streams.push(stream);
    }
    let refused = test::call_service(&alice.app, open(&alice)).await;
    assert_eq!(refused.status().as_u16(), 429);
    drop(refused);
    // A closed stream frees its place.
    drop(streams.pop());
    let again = test::call_service(&alice.app, open(&alice)).await;
    assert_eq!(again.status().as_u16(), 200);

    // Once the session ends, the open streams end within a few seconds.
    let started = std::time::Instant::now();
    c.accounts.end_sessions("test", USER).unwrap();
    let ended =
        actix_web::rt::time::timeout(std::time::Duration::from_secs(15), test::read_body(again))
            .await;
    assert!(ended.is_ok(), "the stream outlived its session");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
