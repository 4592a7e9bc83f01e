//! What the operator is told after an action: each page an action lands on says what happened,
//! with names (escaped), once; the message crosses the redirect in a signed cookie, never in the
//! address. And a preview's result is at the top of the config form.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{Client, Reply, client, controller, notice};

use actix_web::dev::{Service, ServiceResponse};
use dynlog_core::MemoryHandler;
use dynlog_core::model::TriggerId;

/// Posts `form` to `uri`, expects a redirect carrying a flash (and no text in the address),
/// follows it and returns the page it lands on.
async fn land<S>(client: &mut Client<S>, uri: &str, form: &[(&str, &str)]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let reply = client.post(uri, form).await;
    assert_eq!(reply.status, 303, "POST {uri}: {}", reply.body);
    assert!(
        reply
            .set_cookies
            .iter()
            .any(|c| c.starts_with("dynlog_flash=")),
        "POST {uri} sets a flash: {:?}",
        reply.set_cookies
    );
    assert!(
        !reply.location.contains('%') && !reply.location.contains("Saved"),
        "no message in the address: {}",
        reply.location
    );
    let page = client.get(&reply.location).await;
    assert_eq!(page.status, 200, "GET {}: {}", reply.location, page.body);
    page
}

/// Loads `uri` again and checks that the notice is gone.
async fn shown_once<S>(client: &mut Client<S>, uri: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let again = client.get(uri).await;
    assert_eq!(again.status, 200);
    assert!(
        !again.body.contains(r#"class="notice""#),
        "a reload of {uri} shows no notice: {}",
        again.body
    );
    assert!(!client.cookies.contains_key("dynlog_flash"));
}

fn saved_id(location: &str) -> i64 {
    location.rsplit('=').next().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn every_action_says_what_it_did_once() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    // Saving a config.
    let reply = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "import debug"),
                ("logger.0.name", "myapp::import"),
                ("logger.0.level", "debug"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let config_page = reply.location.clone();
    let page = client.get(&config_page).await;
    assert_eq!(notice(&page), "Saved config “import debug”");
    shown_once(&mut client, &config_page).await;
    let config = c.store().configs().unwrap()[0].id;

    // Saving a trigger that runs now: the page says its config runs.
    let form = |name: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("config", config.0.to_string()),
            ("start", String::new()),
            ("end", String::new()),
            ("is_active", "on".to_string()),
        ]
    };
    let posted = form("tonight");
    let posted: Vec<(&str, &str)> = posted.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = client.post("/admin/triggers/new", &posted).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let trigger = TriggerId(saved_id(&reply.location));
    let page = client.get(&reply.location).await;
    assert_eq!(
        notice(&page),
        "Saved trigger “tonight”: config “import debug” runs now"
    );
    shown_once(&mut client, "/admin/triggers").await;

    // Saving the config that runs says so.
    let version = c.store().config(config).unwrap().version.to_string();
    let page = land(
        &mut client,
        &format!("/admin/configs/{}", config.0),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("name", "import debug"),
            ("logger.0.name", "myapp::import"),
            ("logger.0.level", "trace"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(
        notice(&page),
        "Saved config “import debug”: it runs now, so the change is in force"
    );

    // Deactivating, then activating again.
    let version = c.store().trigger(trigger).unwrap().version.to_string();
    let toggle = format!("/admin/triggers/{}/toggle", trigger.0);
    let page = land(
        &mut client,
        &toggle,
        &[("csrf", &csrf), ("version", &version)],
    )
    .await;
    assert_eq!(
        notice(&page),
        "Trigger “tonight” deactivated: the baseline runs now"
    );
    shown_once(&mut client, "/admin/triggers").await;
    let version = c.store().trigger(trigger).unwrap().version.to_string();
    let page = land(
        &mut client,
        &toggle,
        &[("csrf", &csrf), ("version", &version)],
    )
    .await;
    assert_eq!(
        notice(&page),
        "Trigger “tonight” activated: config “import debug” runs now"
    );

    // Deleting a trigger.
    let page = land(
        &mut client,
        &format!("/admin/triggers/{}/delete", trigger.0),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        notice(&page),
        "Deleted trigger “tonight”: the baseline runs now"
    );
    shown_once(&mut client, "/admin/triggers").await;

    // Deleting a config and its two triggers.
    for name in ["one", "two"] {
        let posted = form(name);
        let posted: Vec<(&str, &str)> = posted.iter().map(|(k, v)| (*k, v.as_str())).collect();
        land(&mut client, "/admin/triggers/new", &posted).await;
    }
    let page = land(
        &mut client,
        &format!("/admin/configs/{}/delete", config.0),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(
        notice(&page),
        "Deleted config “import debug” and its 2 triggers: the baseline runs now"
    );
    shown_once(&mut client, "/admin/configs").await;

    // Debug for an hour: the target, the level, the length, the end, the config and the
    // trigger made; on the Loggers page.
    let page = land(
        &mut client,
        "/admin/loggers/debug",
        &[("csrf", &csrf), ("target", "myapp::db")],
    )
    .await;
    let run = c.status().current.unwrap();
    assert_eq!(
        notice(&page),
        format!(
            "Debugging “myapp::db” at debug for 1 h, until {} UTC: config “debug myapp::db” and \
             trigger “debug myapp::db”",
            run.trigger.end.unwrap().format("%Y-%m-%d %H:%M:%S")
        )
    );
    assert!(page.body.contains("<title>Loggers"), "{}", page.body);
    shown_once(&mut client, "/admin/loggers").await;
}

#[actix_web::test]
async fn names_in_messages_are_escaped() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let page = land(
        &mut client,
        "/admin/configs/new",
        &[
            ("csrf", &csrf),
            ("name", "<script>alert(1)</script>"),
            ("action", "save"),
        ],
    )
    .await;
    let shown = notice(&page);
    assert_eq!(
        shown,
        "Saved config “&#60;script&#62;alert(1)&#60;/script&#62;”"
    );
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    // The list shows it escaped too, and no notice again.
    let list = client.get("/admin/configs").await;
    assert!(!list.body.contains("<script>alert"));
    assert!(!list.body.contains(r#"class="notice""#));
}

#[actix_web::test]
async fn a_flash_is_for_its_session_and_fits_a_cookie() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    // A long name of wide characters is cut, and the cookie stays small.
    let long = "é".repeat(127);
    let reply = client
        .post(
            "/admin/configs/new",
            &[("csrf", &csrf), ("name", &long), ("action", "save")],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let flash = reply
        .set_cookies
        .iter()
        .find(|c| c.starts_with("dynlog_flash="))
        .unwrap();
    assert!(flash.len() < 4000, "{}", flash.len());
    // A browser sends a cookie's `%` escapes back decoded, which breaks its signature: the
    // value has none (tests/browser_daily.rs sees the message in Chromium).
    let value = flash["dynlog_flash=".len()..].split(';').next().unwrap();
    assert!(!value.contains('%'), "{value}");
    let kept = client.cookies["dynlog_flash"].clone();
    let page = client.get(&reply.location).await;
    assert!(
        page.body
            .contains(&format!("Saved config “{}…”", "é".repeat(120))),
        "{}",
        page.body
    );
    // Another session (here the same person, logged in again) is not told.
    let csrf = client.get("/admin/configs").await.csrf();
    client.post("/admin/logout", &[("csrf", &csrf)]).await;
    client.login().await;
    client.cookies.insert("dynlog_flash".into(), kept);
    let page = client.get(&reply.location).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(r#"class="notice""#), "{}", page.body);
}

#[actix_web::test]
async fn a_forged_flash_is_not_shown() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    client
        .cookies
        .insert("dynlog_flash".into(), "Saved+config+forged".into());
    let page = client.get("/admin/configs").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("forged"), "{}", page.body);
    assert!(!page.body.contains(r#"class="notice""#));
}

#[actix_web::test]
async fn the_preview_comes_before_the_loggers_table() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let shown = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "preview me"),
                ("logger.0.name", "myapp::import"),
                ("logger.0.level", "debug"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let preview = shown.body.find(r#"id="preview-result""#).unwrap();
    let loggers = shown.body.find(r#"id="loggers""#).unwrap();
    let handlers = shown.body.find("<h2>Handlers</h2>").unwrap();
    assert!(preview < handlers && preview < loggers, "{}", shown.body);
    assert!(shown.body[preview..].contains("myapp::import"));
}
