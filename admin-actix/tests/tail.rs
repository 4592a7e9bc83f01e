//! The live tail (issue 18, point 5): the page shows the newest records the filter keeps (by
//! level, by target starting with or containing a text, by message text whatever the case),
//! says "No matches" when none does, hides the admin's own records unless asked for, shows the
//! window running, and refuses filters too long to be one; the stream follows with the same
//! filter.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{client, controller};

use actix_web::test;
use dynlog_core::{Controller, LoggingConfig, MemoryHandler, NewConfig, NewTrigger};
use log::Log;

fn record(c: &Controller, level: log::Level, target: &str, message: &str) {
    c.logger().log(
        &log::Record::builder()
            .level(level)
            .target(target)
            .args(format_args!("{message}"))
            .build(),
    );
}

/// The records' rows of a tail page.
fn rows(body: &str) -> &str {
    let at = body.find("<tbody>").expect("the tail's table");
    let rest = &body[at..];
    &rest[..rest.find("</tbody>").unwrap()]
}

/// The paragraph saying why no row is shown, when it is shown.
fn empty(body: &str) -> Option<&str> {
    let at = body.find(r#"<p id="tail-empty""#)?;
    let rest = &body[at..];
    let p = &rest[..rest.find("</p>").unwrap()];
    (!p.contains(" hidden>")).then_some(p)
}

/// Records under four targets at three levels.
fn some_records(c: &Controller) {
    record(c, log::Level::Warn, "myapp::db", "slow query on Orders");
    record(c, log::Level::Info, "myapp::web", "GET / answered");
    record(c, log::Level::Debug, "myapp::db::pool", "pool grew to 5");
    record(c, log::Level::Info, "shop::myapp_bridge", "bridge ready");
}

#[actix_web::test]
async fn the_tail_filters_by_level_target_and_text_and_says_when_nothing_matches() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    c.logger()
        .apply(&LoggingConfig::from_json(r#"{"loggers": {"": {"level": "debug"}}}"#).unwrap())
        .unwrap();
    some_records(&c);

    let page = client.get("/admin/tail").await;
    assert_eq!(page.status, 200);
    let all = rows(&page.body);
    for message in [
        "slow query on Orders",
        "GET / answered",
        "pool grew to 5",
        "bridge ready",
    ] {
        assert!(all.contains(message), "{message}: {all}");
    }
    assert!(
        all.find("slow query").unwrap() < all.find("bridge ready").unwrap(),
        "newest at the bottom"
    );
    assert!(empty(&page.body).is_none());

    // By level.
    let page = client.get("/admin/tail?level=warn").await;
    let warn = rows(&page.body);
    assert!(warn.contains("slow query") && !warn.contains("GET / answered"));
    assert!(!warn.contains("pool grew"));
    assert!(page.body.contains(r#"<option value="warn" selected>"#));

    // By target: starting with (the default) or containing.
    let page = client.get("/admin/tail?target=myapp::db").await;
    let prefix = rows(&page.body);
    assert!(prefix.contains("slow query") && prefix.contains("pool grew"));
    assert!(!prefix.contains("GET / answered") && !prefix.contains("bridge ready"));
    let page = client.get("/admin/tail?target=myapp&match=prefix").await;
    assert!(!rows(&page.body).contains("bridge ready"), "not a prefix");
    let page = client.get("/admin/tail?target=myapp&match=contains").await;
    let contains = rows(&page.body);
    assert!(contains.contains("bridge ready") && contains.contains("GET / answered"));
    assert!(page.body.contains(r#"<option value="contains" selected>"#));
    let page = client.get("/admin/tail?target=db&match=contains").await;
    let db = rows(&page.body);
    assert!(db.contains("slow query") && db.contains("pool grew") && !db.contains("bridge"));

    // By message text, whatever the case.
    let page = client.get("/admin/tail?text=ORDERS").await;
    let text = rows(&page.body);
    assert!(text.contains("slow query on Orders"), "{text}");
    assert!(!text.contains("pool grew") && !text.contains("bridge"));
    assert!(
        page.body.contains(r#"value="ORDERS""#),
        "the text typed stays"
    );
    let page = client
        .get("/admin/tail?target=myapp::db&text=pool&level=debug")
        .await;
    let both = rows(&page.body);
    assert!(both.contains("pool grew") && !both.contains("slow query"));

    // Nothing matches: said, and the stream still follows.
    let page = client.get("/admin/tail?target=nowhere").await;
    assert_eq!(page.status, 200);
    assert!(!rows(&page.body).contains("<tr class"));
    let said = empty(&page.body).expect("the empty tail says why");
    assert!(said.contains("No matches"), "{said}");
    let events = page.body.find("/admin/tail/events?").unwrap();
    let events = &page.body[events..events + 80];
    assert!(
        events.contains("level=trace&#38;target=nowhere&#38;match=prefix"),
        "{events}"
    );
    let page = client.get("/admin/tail?text=no+such+words").await;
    assert!(empty(&page.body).unwrap().contains("No matches"));

    // Bad choices are refused with the reason.
    let page = client.get("/admin/tail?match=regex").await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("prefix") && page.body.contains("contains"));
}

#[actix_web::test]
async fn an_empty_ring_says_no_records_yet() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    tail.clear();
    let page = client.get("/admin/tail").await;
    assert!(empty(&page.body).unwrap().contains("No records yet"));
}

#[actix_web::test]
async fn the_admins_own_requests_are_hidden_unless_asked_for() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    // As the admin logs a login.
    record(
        &c,
        log::Level::Info,
        "dynlog::admin",
        "alice logged in from 10.0.0.1",
    );
    let access = "actix_web::middleware::logger";
    record(
        &c,
        log::Level::Info,
        access,
        r#"127.0.0.1 "GET /admin/tail?level=info HTTP/1.1" 200 512 "-" "curl" 0.001"#,
    );
    record(
        &c,
        log::Level::Info,
        access,
        r#"127.0.0.1 "POST /admin HTTP/1.1" 303 0 "-" "curl" 0.001"#,
    );
    record(
        &c,
        log::Level::Info,
        access,
        r#"127.0.0.1 "GET /shop/cart HTTP/1.1" 200 99 "https://x/admin/" "curl" 0.002"#,
    );
    record(
        &c,
        log::Level::Info,
        access,
        r#"127.0.0.1 "GET /administration HTTP/1.1" 200 99 "-" "curl" 0.002"#,
    );
    record(&c, log::Level::Info, "myapp", "the app's own record");

    // Hidden when the tail opens.
    let page = client.get("/admin/tail").await;
    let shown = rows(&page.body);
    assert!(!shown.contains("logged in from"), "{shown}");
    assert!(!shown.contains("/admin/tail?level=info"), "{shown}");
    assert!(!shown.contains("POST /admin "), "{shown}");
    assert!(
        shown.contains("/shop/cart"),
        "the app's requests stay: {shown}"
    );
    assert!(
        shown.contains("/administration"),
        "not under the admin: {shown}"
    );
    assert!(shown.contains("the app&#39;s own record") || shown.contains("the app's own record"));
    assert!(page.body.contains(r#"id="tail-hide-admin" checked"#));
    assert!(
        page.body.contains("hide_admin=on"),
        "the stream hides them too"
    );

    // The form sent with the box unticked shows them; ticked hides them.
    let page = client.get("/admin/tail?form=1&level=info").await;
    let shown = rows(&page.body);
    assert!(shown.contains("alice logged in from"), "{shown}");
    assert!(shown.contains("/admin/tail?level=info") && shown.contains("/shop/cart"));
    assert!(!page.body.contains(r#"id="tail-hide-admin" checked"#));
    assert!(!page.body.contains("hide_admin=on"));
    let page = client.get("/admin/tail?form=1&hide_admin=on").await;
    let shown = rows(&page.body);
    assert!(!shown.contains("logged in from") && shown.contains("/shop/cart"));

    // Only the admin's: a filter on the access log keeps the app's requests.
    let page = client
        .get("/admin/tail?target=actix_web&hide_admin=on&form=1")
        .await;
    let shown = rows(&page.body);
    assert!(shown.contains("/shop/cart") && !shown.contains("/admin/tail?level"));
}

#[actix_web::test]
async fn the_tail_shows_the_window_running() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let page = client.get("/admin/tail").await;
    let window = |body: &str| {
        let at = body
            .find(r#"id="tail-window""#)
            .expect("the window running");
        let rest = &body[at..];
        rest[..rest.find("</p>").unwrap()].to_string()
    };
    assert!(window(&page.body).contains("the baseline"), "{}", page.body);

    let config = c
        .create_config(
            "setup",
            &NewConfig {
                name: "import debug".into(),
                body: LoggingConfig::from_json(r#"{"loggers": {"myapp": {"level": "debug"}}}"#)
                    .unwrap(),
            },
        )
        .unwrap();
    let trigger = c
        .create_trigger(
            "setup",
            &NewTrigger {
                name: "tonight".into(),
                config_id: config.id,
                start: Some(c.now() - chrono::Duration::minutes(1)),
                end: Some(c.now() + chrono::Duration::hours(1)),
                is_active: true,
            },
        )
        .unwrap();
    c.tick().unwrap();
    let page = client.get("/admin/tail").await;
    let shown = window(&page.body);
    assert!(
        shown.contains("import debug") && shown.contains("tonight"),
        "{shown}"
    );
    assert!(shown.contains(&format!("/admin/triggers/{}", trigger.id.0)));
    assert!(shown.contains(&format!("/admin/configs/{}", config.id.0)));
    assert!(!shown.contains("the baseline"));
}

#[actix_web::test]
async fn filter_inputs_are_bounded() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let page = client.get("/admin/tail").await;
    assert!(
        page.body
            .contains(r#"name="target" value="" maxlength="200""#)
    );
    assert!(
        page.body
            .contains(r#"name="text" value="" maxlength="200""#)
    );

    let at_most = "a".repeat(200);
    for field in ["target", "text"] {
        let page = client.get(&format!("/admin/tail?{field}={at_most}")).await;
        assert_eq!(page.status, 200, "{field} of 200 characters");
        let long = "a".repeat(201);
        let page = client.get(&format!("/admin/tail?{field}={long}")).await;
        assert_eq!(page.status, 422, "{field} of 201 characters");
        assert!(
            page.body.contains("at most 200 characters"),
            "{}",
            page.body
        );
        assert!(!page.body.contains(&long), "the input is not echoed");
        let huge = "%C3%A9".repeat(5000);
        let events = client
            .get(&format!("/admin/tail/events?{field}={huge}"))
            .await;
        assert_eq!(events.status, 422, "the stream too");
    }
}

#[actix_web::test]
async fn the_stream_follows_with_the_same_filter() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let after = tail.snapshot().last().map_or(0, |r| r.seq);
    record(&c, log::Level::Info, "shop::myapp", "not this one");
    record(
        &c,
        log::Level::Info,
        "dynlog::admin",
        "the admin's own, with MATCH",
    );
    record(&c, log::Level::Info, "shop::myapp", "a Match here");
    let mut req = test::TestRequest::get().uri(&format!(
        "/admin/tail/events?target=myapp&match=contains&text=match&hide_admin=on&form=1&after={after}"
    ));
    for (name, value) in &client.cookies {
        req = req.cookie(actix_web::cookie::Cookie::new(name.clone(), value.clone()));
    }
    let response = test::call_service(&client.app, req.to_request()).await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let chunk = std::future::poll_fn(|cx| {
        actix_web::body::MessageBody::poll_next(std::pin::Pin::new(&mut body), cx)
    })
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8(chunk.to_vec()).unwrap();
    assert!(text.contains(r#""message":"a Match here""#), "{text}");
    assert!(
        !text.contains("not this one") && !text.contains("admin's own"),
        "{text}"
    );
    assert_eq!(text.matches("data: ").count(), 1, "{text}");
}
