// Over 600 lines: one test per page, each through no session, a bad token, bad and good input.
//! Every page route: without a session (to the login form, nothing stored), with a bad or missing
//! CSRF token (refused, nothing stored), with bad input (the form again with the message, nothing
//! stored) and with good input (stored, audited under the account, applied when current).
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{Client, PASSWORD, USER, client, controller, revision};

use std::collections::BTreeMap;

use actix_web::{App, test};
use dynlog_actix::CONTENT_SECURITY_POLICY;
use dynlog_core::store::AccountStore;
use dynlog_core::store::AuditQuery;
use dynlog_core::{Level, MemoryHandler};
use log::Log;

#[actix_web::test]
async fn pages_send_anonymous_visitors_to_the_login_form_and_store_nothing() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let before = revision(&c);
    for uri in [
        "/admin/",
        "/admin/configs",
        "/admin/configs/new",
        "/admin/configs/1",
        "/admin/configs/1/export",
        "/admin/configs/import",
        "/admin/triggers",
        "/admin/triggers/new",
        "/admin/triggers/1",
        "/admin/loggers",
        "/admin/audit",
        "/admin/tail",
        "/admin/tail/events",
        "/admin/account",
    ] {
        let reply = client.get(uri).await;
        assert_eq!(reply.status, 303, "GET {uri}");
        assert!(
            reply.location.starts_with("/admin/login?next=%2Fadmin"),
            "GET {uri}: {}",
            reply.location
        );
    }
    for uri in [
        "/admin/configs/new",
        "/admin/configs/1",
        "/admin/configs/1/delete",
        "/admin/configs/import",
        "/admin/triggers/new",
        "/admin/triggers/1",
        "/admin/triggers/1/toggle",
        "/admin/triggers/1/delete",
        "/admin/triggers/1/stop",
        "/admin/triggers/1/extend",
        "/admin/loggers/debug",
        "/admin/account/password",
        "/admin/account/tokens",
        "/admin/account/tokens/1/delete",
        "/admin/logout",
    ] {
        let reply = client
            .post(
                uri,
                &[
                    ("name", "x"),
                    ("config", "1"),
                    ("target", "a"),
                    ("json", "{}"),
                ],
            )
            .await;
        assert_eq!(reply.status, 303, "POST {uri}");
        assert_eq!(reply.location, "/admin/login?next=", "POST {uri}");
    }
    assert_eq!(revision(&c), before, "nothing was stored");
}

#[actix_web::test]
async fn login_needs_the_right_password_and_its_form_token_and_slows_down_guessing() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;

    let wrong = client.login_as(USER, "wrong password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Wrong username or password."));
    let nobody = client.login_as("mallory", PASSWORD).await;
    assert_eq!(nobody.status, 401);
    assert!(!client.cookies.contains_key("dynlog_session"));

    // Without the login form's token (a cross-site post), even the right password is refused.
    let forged = client
        .post(
            "/admin/login",
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(!client.cookies.contains_key("dynlog_session"));

    let ok = client.login_as(USER, PASSWORD).await;
    assert_eq!((ok.status, ok.location.as_str()), (303, "/admin/configs"));
    let session = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("dynlog_session="))
        .unwrap();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Max-Age=28800",
    ] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert_eq!(client.get("/admin/").await.status, 200);

    // A tampered session cookie is no session.
    let value = client.cookies["dynlog_session"].clone();
    let tampered = value.replace("alice", "admin");
    client.cookies.insert("dynlog_session".into(), tampered);
    assert_eq!(client.get("/admin/").await.status, 303);
    client.cookies.insert("dynlog_session".into(), value);

    // Logging out ends the session.
    let csrf = client.get("/admin/").await.csrf();
    let out = client.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/admin/login"));
    assert_eq!(client.get("/admin/").await.status, 303);

    // After five failures, even the right password must wait, on every worker's scope (each
    // server worker builds its own from the same `Admin`).
    let admin = c.admin().secure_cookies(false);
    let mut guesser = Client {
        app: test::init_service(App::new().service(admin.scope("/admin"))).await,
        cookies: BTreeMap::new(),
    };
    let mut other_worker = Client {
        app: test::init_service(App::new().service(admin.scope("/admin"))).await,
        cookies: BTreeMap::new(),
    };
    for _ in 0..5 {
        assert_eq!(guesser.login_as(USER, "guess").await.status, 401);
    }
    let slowed = guesser.login_as(USER, PASSWORD).await;
    assert_eq!(slowed.status, 429, "{}", slowed.body);
    assert!(slowed.body.contains("Too many failed logins"));
    assert_eq!(other_worker.login_as(USER, PASSWORD).await.status, 429);
}

#[actix_web::test]
async fn state_changes_need_the_sessions_csrf_token() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let before = revision(&c);
    for token in [None, Some("0".repeat(64)), Some(csrf[..63].to_string())] {
        let mut form = vec![
            ("name", "sneaky"),
            ("logger.0.name", "myapp"),
            ("logger.0.level", "debug"),
        ];
        if let Some(token) = &token {
            form.push(("csrf", token));
        }
        let reply = client.post("/admin/configs/new", &form).await;
        assert_eq!(reply.status, 403, "{token:?}");
        assert!(reply.body.contains("CSRF"));
        for uri in [
            "/admin/loggers/debug",
            "/admin/configs/import",
            "/admin/account/password",
            "/admin/account/tokens",
            "/admin/logout",
        ] {
            let reply = client.post(uri, &[("target", "a"), ("json", "{}")]).await;
            assert_eq!(reply.status, 403, "{uri}");
        }
    }
    assert_eq!(revision(&c), before, "nothing was stored");
    assert_eq!(client.get("/admin/").await.status, 200, "still logged in");
}

#[actix_web::test]
async fn the_config_grid_refuses_bad_input_previews_and_saves() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    // A new config starts empty, with the baseline beside it as a read-only hint: the root at
    // info on console and memory.
    let new = client.get("/admin/configs/new").await;
    assert_eq!(new.status, 200);
    assert!(
        new.body.contains(r#"name="logger.0.name" value="""#),
        "{}",
        new.body
    );
    assert!(!new.body.contains(" selected>"), "nothing set");
    assert!(
        new.body
            .contains("<tr><td>root</td><td>info</td><td>yes</td><td>console, memory</td>"),
        "{}",
        new.body
    );

    let before = revision(&c);
    for (form, message) in [
        (
            vec![
                ("name", "bad"),
                ("logger.0.name", "myapp"),
                ("logger.0.level", "loud"),
            ],
            r#"invalid level &#34;loud&#34; in level of logger &#34;myapp&#34;"#,
        ),
        (
            vec![
                ("name", "bad"),
                ("logger.0.name", ""),
                ("logger.0.level", "debug"),
            ],
            "has no name",
        ),
        (
            vec![
                ("name", "bad"),
                ("logger.0.name", "my app!"),
                ("logger.0.level", "debug"),
            ],
            "invalid logger name",
        ),
        (
            vec![("name", "bad"), ("handler.console.level", "chatty")],
            "chatty",
        ),
        (
            vec![
                ("name", ""),
                ("logger.0.name", "myapp"),
                ("logger.0.level", "debug"),
            ],
            "config name",
        ),
        (
            vec![
                ("name", "bad"),
                ("logger.0.name", "myapp"),
                ("logger.1.name", "myapp"),
            ],
            "appears in two rows",
        ),
    ] {
        let mut form = form;
        form.push(("csrf", &csrf));
        form.push(("action", "save"));
        let reply = client.post("/admin/configs/new", &form).await;
        assert_eq!(reply.status, 422, "{form:?}: {}", reply.body);
        assert!(reply.body.contains(message), "{message} in {}", reply.body);
        assert!(reply.body.contains(r#"id="config-form""#), "the form again");
    }
    assert_eq!(revision(&c), before, "nothing was stored");

    let form = [
        ("csrf", csrf.as_str()),
        ("name", "debug import"),
        ("handler.console.level", "debug"),
        ("logger.0.name", "myapp::import"),
        ("logger.0.level", "debug"),
        ("logger.0.propagate", "on"),
        ("logger.0.handlers", "file"),
        ("logger.0.handlers", "console"),
        ("logger.0.filters", "polite"),
        ("logger.1.name", "myapp::noisy"),
        ("logger.1.level", "error"),
        ("logger.1.remove", "on"),
        ("logger.2.name", ""),
    ];
    let mut preview = form.to_vec();
    preview.push(("action", "preview"));
    let shown = client.post("/admin/configs/new", &preview).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("Against what runs now"));
    assert!(shown.body.contains("myapp::import"));
    assert!(
        shown
            .body
            .contains("info (inherited from root (set by the baseline)) → console, memory"),
        "{}",
        shown.body
    );
    assert_eq!(revision(&c), before, "a preview stores nothing");

    let mut save = form.to_vec();
    save.push(("action", "save"));
    let saved = client.post("/admin/configs/new", &save).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let configs = c.store().configs().unwrap();
    assert_eq!(configs.len(), 1);
    let body = &configs[0].body;
    let import = &body.loggers["myapp::import"];
    assert_eq!(import.level, Some(Level::Debug.into()));
    assert_eq!(import.handlers, Some(vec!["file".into(), "console".into()]));
    assert_eq!(import.filters, Some(vec!["polite".into()]));
    assert_eq!(import.propagate, Some(true));
    assert!(
        !body.loggers.contains_key("myapp::noisy"),
        "removed rows are dropped"
    );
    assert_eq!(body.handlers["console"].level, Some(Level::Debug));
    let audit = c.store().audit(AuditQuery::default()).unwrap();
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].action.as_str()),
        ("alice (admin)", "create")
    );

    // Editing with the version read; a stale version is a conflict shown on the form.
    let id = configs[0].id.0;
    let edit = client.get(&format!("/admin/configs/{id}")).await;
    assert!(edit.body.contains(r#"name="version" value="1""#));
    let mut update = save.clone();
    update.push(("version", "1"));
    assert_eq!(
        client
            .post(&format!("/admin/configs/{id}"), &update)
            .await
            .status,
        303
    );
    let stale = client.post(&format!("/admin/configs/{id}"), &update).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("version"));

    // Export and import again under another name.
    let export = client.get(&format!("/admin/configs/{id}/export")).await;
    assert_eq!(export.status, 200);
    assert!(
        export
            .headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let bad = client
        .post(
            "/admin/configs/import",
            &[("csrf", &csrf), ("name", "x"), ("json", "{\"loggers\": [}")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("malformed JSON at line 1"));
    let imported = client
        .post(
            "/admin/configs/import",
            &[("csrf", &csrf), ("name", "copy"), ("json", &export.body)],
        )
        .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    let configs = c.store().configs().unwrap();
    assert_eq!(configs.len(), 2);
    assert_eq!(configs[0].body, configs[1].body);

    // "(none)" empties a list, where nothing selected leaves it unset.
    let quiet = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "quiet"),
                ("logger.0.name", "myapp::quiet"),
                ("logger.0.handlers", "!none"),
                ("logger.0.filters", ""),
                ("handler.console.filters", "!none"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(quiet.status, 303, "{}", quiet.body);
    let stored = c
        .store()
        .configs()
        .unwrap()
        .into_iter()
        .find(|c| c.name == "quiet")
        .unwrap();
    let spec = &stored.body.loggers["myapp::quiet"];
    assert_eq!(
        (spec.handlers.clone(), spec.filters.clone()),
        (Some(vec![]), None)
    );
    assert_eq!(
        spec.propagate, None,
        "propagate left as the baseline has it"
    );
    assert_eq!(stored.body.handlers["console"].filters, Some(vec![]));
    let shown = client.get(&format!("/admin/configs/{}", stored.id.0)).await;
    assert!(
        shown
            .body
            .contains(r#"<option value="!none" selected>(none)</option>"#)
    );

    // Deleting.
    let deleted = client
        .post(&format!("/admin/configs/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(c.store().configs().unwrap().len(), 2, "the two others stay");
    assert_eq!(
        client.get(&format!("/admin/configs/{id}")).await.status,
        404
    );
}

#[actix_web::test]
async fn a_quick_window_runs_at_once_and_shows_on_the_dashboard() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let saved = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "import at debug"),
                ("logger.0.name", "myapp::import"),
                ("logger.0.level", "debug"),
                ("logger.0.propagate", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let config = c.store().configs().unwrap()[0].id.0.to_string();

    let form = client
        .get(&format!("/admin/triggers/new?config={config}"))
        .await;
    assert!(
        form.body.contains(r#"value="import at debug""#),
        "named after its config"
    );
    let before = revision(&c);
    for (start, end, message) in [
        ("tomorrow", "", "invalid start &#34;tomorrow&#34;"),
        ("2026-01-02 10:00", "2026-01-02 09:00", "is not after start"),
    ] {
        let reply = client
            .post(
                "/admin/triggers/new",
                &[
                    ("csrf", &csrf),
                    ("name", "w"),
                    ("config", &config),
                    ("start", start),
                    ("end", end),
                    ("is_active", "on"),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert!(reply.body.contains(message), "{message} in {}", reply.body);
        assert!(
            reply.body.contains(&format!(r#"value="{start}""#)),
            "the input is kept"
        );
    }
    let unknown = client
        .post(
            "/admin/triggers/new",
            &[
                ("csrf", &csrf),
                ("name", "w"),
                ("config", "999"),
                ("quick", "1"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(revision(&c), before, "nothing was stored");

    assert_eq!(c.logger().effective_level("myapp::import"), Level::Info);
    let quick = client
        .post(
            "/admin/triggers/new",
            &[
                ("csrf", &csrf),
                ("name", "now"),
                ("config", &config),
                ("quick", "1"),
            ],
        )
        .await;
    assert_eq!(quick.status, 303, "{}", quick.body);
    let trigger = &c.store().triggers().unwrap()[0];
    let window = trigger.end.unwrap() - trigger.start.unwrap();
    assert_eq!(window, chrono::Duration::hours(1));
    assert_eq!(
        c.logger().effective_level("myapp::import"),
        Level::Debug,
        "applied"
    );

    let dashboard = client.get("/admin/").await;
    assert!(
        dashboard.body.contains("import at debug</a>"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains(r#"class="win""#),
        "the timeline shows the winner"
    );
    assert!(dashboard.body.contains("myapp::import"));
    let list = client.get("/admin/triggers?active=yes").await;
    assert!(list.body.contains(r#"<tr class="running">"#));

    // Deactivating rolls back; deleting removes it.
    let id = trigger.id.0;
    let toggled = client
        .post(
            &format!("/admin/triggers/{id}/toggle"),
            &[("csrf", &csrf), ("version", "1")],
        )
        .await;
    assert_eq!(toggled.status, 303);
    assert_eq!(
        c.logger().effective_level("myapp::import"),
        Level::Info,
        "rolled back"
    );
    let inactive = client.get("/admin/triggers?active=no").await;
    assert!(inactive.body.contains(">now</a>"));
    assert!(
        !client
            .get("/admin/triggers?active=yes")
            .await
            .body
            .contains(">now</a>")
    );
    let deleted = client
        .post(&format!("/admin/triggers/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(deleted.status, 303);
    assert!(c.store().triggers().unwrap().is_empty());
    let audit = client.get("/admin/audit").await;
    assert!(audit.body.contains("deleted trigger"), "{}", audit.body);
    assert!(audit.body.contains(USER));
}

#[actix_web::test]
async fn debug_for_an_hour_makes_a_config_and_a_trigger() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let page = client.get("/admin/loggers").await;
    assert!(page.body.contains("(root)"));
    let bad = client
        .post(
            "/admin/loggers/debug",
            &[("csrf", &csrf), ("target", "no spaces")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(c.store().configs().unwrap().is_empty());

    let made = client
        .post(
            "/admin/loggers/debug",
            &[("csrf", &csrf), ("target", "myapp::db")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let config = &c.store().configs().unwrap()[0];
    assert_eq!(config.name, "debug myapp::db");
    // The console handler was at info: it is lowered too, so the records show.
    assert_eq!(config.body.handlers["console"].level, Some(Level::Debug));
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Debug);
    assert_eq!(c.logger().effective_level("myapp::web"), Level::Info);
    let loggers = client.get("/admin/loggers").await;
    assert!(loggers.body.contains("<code>myapp::db</code>"));
}

#[actix_web::test]
async fn names_are_escaped_everywhere() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let evil = "<script>alert(1)</script>";
    let saved = client
        .post(
            "/admin/configs/new",
            &[("csrf", &csrf), ("name", evil), ("action", "save")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let config = c.store().configs().unwrap()[0].id.0.to_string();
    let quick = client
        .post(
            "/admin/triggers/new",
            &[
                ("csrf", &csrf),
                ("name", evil),
                ("config", &config),
                ("quick", "2"),
            ],
        )
        .await;
    assert_eq!(quick.status, 303);
    c.logger().log(
        &log::Record::builder()
            .level(log::Level::Error)
            .target("x")
            .args(format_args!("{evil}"))
            .build(),
    );
    for uri in [
        "/admin/",
        "/admin/configs",
        "/admin/triggers",
        "/admin/audit",
        "/admin/tail",
        &format!("/admin/configs/{config}"),
    ] {
        let page = client.get(uri).await;
        assert_eq!(page.status, 200, "{uri}");
        assert!(!page.body.contains(evil), "{uri} shows it raw");
        assert!(
            (page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || page
                    .body
                    .contains("&#60;script&#62;alert(1)&#60;/script&#62;")),
            "{uri}: {}",
            page.body
        );
    }
}

#[actix_web::test]
async fn every_answer_carries_the_security_headers() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    for uri in [
        "/admin/login",
        "/admin/",
        "/admin/api/configs",
        "/admin/static/admin.css",
        "/admin/nothing",
    ] {
        let reply = client.get(uri).await;
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some(CONTENT_SECURITY_POLICY),
            "{uri}"
        );
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{uri}");
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{uri}"
        );
    }
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    let css = client.get("/admin/static/admin.css").await;
    assert_eq!(
        (
            css.status,
            css.headers.get("content-type").unwrap().to_str().unwrap()
        ),
        (200, "text/css; charset=utf-8")
    );
    let login = client.get("/admin/login").await;
    assert!(!login.body.contains("<script>"), "no inline script");
    assert!(!login.body.contains("style="), "no inline style");
}

#[actix_web::test]
async fn the_live_tail_shows_and_streams_records_by_level_and_target() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let record = |level, target: &str, message: &str| {
        c.logger().log(
            &log::Record::builder()
                .level(level)
                .target(target)
                .args(format_args!("{message}"))
                .build(),
        );
    };
    record(log::Level::Warn, "myapp::db", "slow query");
    record(log::Level::Info, "myapp::web", "GET /");
    let page = client.get("/admin/tail?level=warn").await;
    assert!(page.body.contains("slow query"));
    assert!(!page.body.contains("GET /"), "below the level");
    let page = client.get("/admin/tail?target=myapp::web").await;
    assert!(page.body.contains("GET /") && !page.body.contains("slow query"));
    assert_eq!(client.get("/admin/tail?level=loud").await.status, 422);

    // The stream: records after `after`, as events, filtered.
    record(log::Level::Info, "other", "not for this tail");
    record(log::Level::Error, "myapp::db", "connection lost");
    let mut req =
        test::TestRequest::get().uri("/admin/tail/events?level=info&target=myapp&after=2");
    for (name, value) in &client.cookies {
        req = req.cookie(actix_web::cookie::Cookie::new(name.clone(), value.clone()));
    }
    let response = test::call_service(&client.app, req.to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut body = response.into_body();
    let chunk = std::future::poll_fn(|cx| {
        actix_web::body::MessageBody::poll_next(std::pin::Pin::new(&mut body), cx)
    })
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8(chunk.to_vec()).unwrap();
    assert!(text.starts_with("id: 4\ndata: "), "{text}");
    assert!(text.contains(r#""message":"connection lost""#), "{text}");
    assert!(!text.contains("not for this tail"));
}

#[actix_web::test]
async fn triggers_are_edited_with_their_version_and_audit_pages_go_back_in_time() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    for n in 0..3 {
        let name = format!("config {n}");
        let reply = client
            .post(
                "/admin/configs/new",
                &[("csrf", &csrf), ("name", &name), ("action", "save")],
            )
            .await;
        assert_eq!(reply.status, 303);
    }
    let config = c.store().configs().unwrap()[0].id.0.to_string();
    let form = |start: &'static str, version: &'static str| {
        vec![
            ("name", "tonight"),
            ("config", "1"),
            ("start", start),
            ("end", "2030-01-02 06:00"),
            ("is_active", "on"),
            ("version", version),
        ]
    };
    let mut create = form("2030-01-01 22:00", "");
    create.push(("csrf", &csrf));
    create[1].1 = &config;
    assert_eq!(
        client.post("/admin/triggers/new", &create).await.status,
        303
    );
    let id = c.store().triggers().unwrap()[0].id.0;

    let edit = client.get(&format!("/admin/triggers/{id}")).await;
    assert!(
        edit.body.contains(r#"value="2030-01-01 22:00:00""#),
        "{}",
        edit.body
    );
    assert!(edit.body.contains(r#"name="version" value="1""#));
    let mut update = form("2030-01-01 23:30", "1");
    update.push(("csrf", &csrf));
    update[1].1 = &config;
    assert_eq!(
        client
            .post(&format!("/admin/triggers/{id}"), &update)
            .await
            .status,
        303
    );
    let start = c
        .store()
        .trigger(dynlog_core::model::TriggerId(id))
        .unwrap()
        .start
        .unwrap();
    assert_eq!(start.to_rfc3339(), "2030-01-01T23:30:00+00:00");
    let stale = client.post(&format!("/admin/triggers/{id}"), &update).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale.body.contains(r#"value="2030-01-01 23:30""#),
        "the input is kept"
    );
    assert_eq!(client.get("/admin/triggers/999").await.status, 404);

    // 3 configs and 2 trigger writes, plus the account: 6 entries; pages of 50 need more.
    for n in 0..50 {
        c.create_config(
            "bulk",
            &dynlog_core::NewConfig {
                name: format!("bulk {n}"),
                body: Default::default(),
            },
        )
        .unwrap();
    }
    let newest = client.get("/admin/audit").await;
    assert!(newest.body.contains("bulk 49") && !newest.body.contains("config 0"));
    let older = newest.body.split("/admin/audit?before=").nth(1).unwrap();
    let before: String = older.chars().take_while(char::is_ascii_digit).collect();
    let page = client.get(&format!("/admin/audit?before={before}")).await;
    assert!(page.body.contains("config 0"), "{}", page.body);
    assert!(page.body.contains("<td>alice</td>") && !page.body.contains("<td>bulk</td>"));
}

#[actix_web::test]
async fn people_change_their_password_and_make_and_revoke_api_tokens() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let page = client.get("/admin/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No tokens."));

    let before = revision(&c);
    for (current, new, confirm, message) in [
        (
            "wrong password",
            "a new long password",
            "a new long password",
            "current password is wrong",
        ),
        (
            PASSWORD,
            "a new long password",
            "another one entirely",
            "two new passwords differ",
        ),
        (PASSWORD, "short", "short", "at least 10 characters"),
    ] {
        let reply = client
            .post(
                "/admin/account/password",
                &[
                    ("csrf", &csrf),
                    ("current", current),
                    ("new", new),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{message}");
        assert!(reply.body.contains(message), "{message} in {}", reply.body);
    }
    assert_eq!(revision(&c), before, "nothing was stored");
    let changed = client
        .post(
            "/admin/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(
        changed
            .body
            .contains("Your password was changed; your other sessions ended.")
    );
    let audit = c.store().audit(AuditQuery::default()).unwrap();
    assert_eq!(
        (audit[0].entity.as_str(), audit[0].actor.as_str()),
        ("account", "alice (admin)")
    );
    let mut other = self::client(&c, &tail).await;
    assert_eq!(other.login_as(USER, PASSWORD).await.status, 401);
    assert_eq!(
        other.login_as(USER, "a new long password").await.status,
        303
    );

    // A token, shown once, works on the API until it is revoked.
    let made = client
        .post(
            "/admin/account/tokens",
            &[("csrf", &csrf), ("name", "deploy"), ("role", "viewer")],
        )
        .await;
    // Made, then shown by the page the POST redirects to (a refresh there makes no other
    // token), carried in an encrypted cookie that page removes.
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(made.location, "/admin/account");
    let shown = client.get("/admin/account").await;
    assert_eq!(shown.status, 200);
    let at = shown.body.find("shown this once: <code>").unwrap() + "shown this once: <code>".len();
    let token = shown.body[at..at + 64].to_string();
    assert!(
        made.set_cookies
            .iter()
            .any(|c| c.starts_with("dynlog_secret=") && !c.contains(&token)),
        "encrypted: {:?}",
        made.set_cookies
    );
    assert!(
        shown
            .set_cookies
            .iter()
            .any(|c| c.starts_with("dynlog_secret=;")),
        "removed once shown: {:?}",
        shown.set_cookies
    );
    assert!(
        !client.get("/admin/account").await.body.contains(&token),
        "shown once"
    );
    assert_eq!(c.accounts.tokens().unwrap().len(), 1, "one token made");
    let api = |token: &str| {
        test::TestRequest::get()
            .uri("/admin/api/configs")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    assert_eq!(
        test::call_service(&client.app, api(&token)).await.status(),
        200
    );
    let id = c.accounts.tokens().unwrap()[0].id;
    let revoked = client
        .post(
            &format!("/admin/account/tokens/{id}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        test::call_service(&client.app, api(&token)).await.status(),
        401
    );
    let empty = client
        .post("/admin/account/tokens", &[("csrf", &csrf), ("name", " ")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(c.accounts.tokens().unwrap().is_empty());
}
