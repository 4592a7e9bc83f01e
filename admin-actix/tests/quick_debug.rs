//! Quick debug where the operator is: the Loggers page debugs a logger at the level and for
//! the time picked, names its config briefly, and comes back to itself with a message; the
//! Running card and the rows being debugged stop it now or extend it; the Loggers page has a
//! search.
#![allow(clippy::unwrap_used)]

mod common;

use actix_web::dev::{Service, ServiceResponse};
use chrono::Duration;
use common::client::{Client, Reply, client, controller, notice, revision};
use common::when;
use dynlog_core::{Level, MemoryHandler, Trigger};
use log::Log;

/// Posts `form` to `uri`, expects a redirect to `to`, follows it and returns the page.
async fn land<S>(client: &mut Client<S>, uri: &str, form: &[(&str, &str)], to: &str) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let reply = client.post(uri, form).await;
    assert_eq!(reply.status, 303, "POST {uri}: {}", reply.body);
    assert_eq!(reply.location, to, "POST {uri}");
    let page = client.get(&reply.location).await;
    assert_eq!(page.status, 200, "GET {}: {}", reply.location, page.body);
    page
}

fn running(c: &dynlog_core::Controller) -> Trigger {
    c.status().current.expect("a trigger runs").trigger
}

#[actix_web::test]
async fn the_loggers_page_debugs_at_the_level_and_for_the_time_picked_and_stays() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    // The form offers debug or trace, and 15 min, 1 h or 4 h (1 h picked), and says what it
    // sets.
    let page = client.get("/admin/loggers").await;
    for option in [
        r#"<option value="debug" selected>debug</option>"#,
        r#"<option value="trace">trace</option>"#,
        r#"<option value="15">15 min</option>"#,
        r#"<option value="60" selected>1 h</option>"#,
        r#"<option value="240">4 h</option>"#,
    ] {
        assert!(page.body.contains(option), "{option} in {}", page.body);
    }
    assert!(
        page.body.contains("the logger at the level")
            && page
                .body
                .contains("with the loggers below it that the baseline sets quieter")
            && page.body.contains(
                "each handler their records reach that is set above that level lowered to it"
            ),
        "{}",
        page.body
    );

    // Trace for 4 h: back on the Loggers page, which says what was made.
    let page = land(
        &mut client,
        "/admin/loggers/debug",
        &[
            ("csrf", &csrf),
            ("target", "myapp::db"),
            ("level", "trace"),
            ("minutes", "240"),
        ],
        "/admin/loggers",
    )
    .await;
    let t = running(&c);
    assert_eq!(t.end.unwrap() - t.start.unwrap(), Duration::hours(4));
    assert_eq!(
        notice(&page),
        format!(
            "Debugging “myapp::db” at trace for 4 h, until {} UTC: config “trace myapp::db” and \
             trigger “trace myapp::db”",
            when(t.end.unwrap())
        )
    );
    assert!(page.body.contains("<title>Loggers"));
    let config = c.status().current.unwrap().config;
    assert_eq!(config.name, "trace myapp::db");
    // The console handler was at info: lowered to trace with it.
    assert_eq!(config.body.handlers["console"].level, Some(Level::Trace));
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Trace);

    // Debug for 15 min: a brief name again, with a suffix when it is taken.
    for (name, minutes) in [("debug myapp::db", "15"), ("debug myapp::db (2)", "15")] {
        land(
            &mut client,
            "/admin/loggers/debug",
            &[
                ("csrf", &csrf),
                ("target", "myapp::db"),
                ("level", "debug"),
                ("minutes", minutes),
            ],
            "/admin/loggers",
        )
        .await;
        let run = c.status().current.unwrap();
        assert_eq!(run.config.name, name);
        assert_eq!(run.trigger.name, name);
        assert_eq!(
            run.trigger.end.unwrap() - run.trigger.start.unwrap(),
            Duration::minutes(15)
        );
    }

    // From a search, back to the same search.
    land(
        &mut client,
        "/admin/loggers/debug",
        &[("csrf", &csrf), ("target", "myapp::web"), ("q", "myapp")],
        "/admin/loggers?q=myapp",
    )
    .await;
    assert_eq!(c.status().current.unwrap().config.name, "debug myapp::web");

    // What is not offered is refused, and nothing is stored.
    let before = revision(&c);
    for (level, minutes) in [
        ("info", "60"),
        ("loud", "60"),
        ("debug", "30"),
        ("debug", "x"),
    ] {
        let reply = client
            .post(
                "/admin/loggers/debug",
                &[
                    ("csrf", &csrf),
                    ("target", "myapp::db"),
                    ("level", level),
                    ("minutes", minutes),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{level} {minutes}: {}", reply.body);
        // Back on the Loggers page: the message at the top of the form, tied to its field,
        // and the form as typed.
        let field = if minutes == "60" { "level" } else { "minutes" };
        assert!(reply.body.contains("<title>Loggers"), "{}", reply.body);
        assert!(
            reply
                .body
                .contains(r#"<p class="error" id="error" role="alert""#)
                && reply
                    .body
                    .contains(&format!(r##"<a href="#{field}">Go to the field</a>"##))
                && reply
                    .body
                    .contains(&format!(r#"id="{field}" aria-invalid="true""#)),
            "{level} {minutes}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(r#"value="myapp::db" required"#),
            "the target as typed: {}",
            reply.body
        );
    }
    assert_eq!(revision(&c), before, "nothing was stored");
}

#[actix_web::test]
async fn stop_now_and_extend_from_the_dashboard_and_the_loggers_rows() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let dashboard = client.get("/admin/").await;
    assert!(!dashboard.body.contains("Stop now"), "nothing runs");

    land(
        &mut client,
        "/admin/loggers/debug",
        &[("csrf", &csrf), ("target", "myapp::db")],
        "/admin/loggers",
    )
    .await;
    let t = running(&c);

    // The Running card and the row being debugged have both buttons, naming the trigger; other
    // rows have "debug for an hour".
    let stop = format!(r#"action="/admin/triggers/{}/stop""#, t.id.0);
    let extend = format!(r#"action="/admin/triggers/{}/extend""#, t.id.0);
    let dashboard = client.get("/admin/").await;
    for text in [
        stop.as_str(),
        extend.as_str(),
        r#"Stop now<span class="vh">: trigger “debug myapp::db”</span>"#,
        r#"Extend 1 h<span class="vh">: trigger “debug myapp::db”</span>"#,
        r#"name="back" value="dashboard""#,
    ] {
        assert!(
            dashboard.body.contains(text),
            "{text} in {}",
            dashboard.body
        );
    }
    c.logger().log(
        &log::Record::builder()
            .level(log::Level::Info)
            .target("myapp::web")
            .args(format_args!("seen"))
            .build(),
    );
    let loggers = client.get("/admin/loggers").await;
    let row = |target: &str| {
        let at = loggers
            .body
            .find(&format!("<tr><td><code>{target}</code>"))
            .unwrap_or_else(|| panic!("a row for {target}: {}", loggers.body));
        let rest = &loggers.body[at..];
        rest[..rest.find("</tr>").unwrap()].to_string()
    };
    let db = row("myapp::db");
    assert!(db.contains(&stop) && db.contains(&extend), "{db}");
    assert!(db.contains(r#"name="back" value="loggers""#), "{db}");
    assert!(!db.contains("debug for an hour"), "{db}");
    let web = row("myapp::web");
    assert!(!web.contains("Stop now"), "{web}");
    assert!(web.contains("debug for an hour"), "{web}");

    // Extend 1 h from the Loggers row: the end moves an hour later, back on the Loggers page.
    let page = land(
        &mut client,
        &format!("/admin/triggers/{}/extend", t.id.0),
        &[
            ("csrf", &csrf),
            ("version", &t.version.to_string()),
            ("minutes", "60"),
            ("back", "loggers"),
        ],
        "/admin/loggers",
    )
    .await;
    let longer = running(&c);
    assert_eq!(longer.end.unwrap() - t.end.unwrap(), Duration::hours(1));
    assert_eq!(longer.start, t.start);
    assert_eq!(
        notice(&page),
        format!(
            "Extended trigger “debug myapp::db” by 1 h: it ends at {} UTC",
            when(longer.end.unwrap())
        )
    );

    // The version the page showed is stale now: for both, nothing changes, and the page they
    // were pressed on says so.
    let before = revision(&c);
    for action in ["stop", "extend"] {
        let reply = client
            .post(
                &format!("/admin/triggers/{}/{action}", t.id.0),
                &[
                    ("csrf", &csrf),
                    ("version", &t.version.to_string()),
                    ("back", "dashboard"),
                ],
            )
            .await;
        assert_eq!(reply.status, 303, "{action}: {}", reply.body);
        assert_eq!(reply.location, "/admin/", "{action}");
        let page = client.get(&reply.location).await;
        assert!(
            notice(&page).starts_with("Nothing done: trigger “debug myapp::db” was changed by "),
            "{}",
            notice(&page)
        );
    }
    // From a searched Loggers page, back to the same search: the row carries it, and what
    // comes back is encoded again whatever was sent.
    let searched = client.get("/admin/loggers?q=myapp::db").await;
    assert!(
        searched
            .body
            .contains(r#"name="back" value="loggers?q=myapp::db""#),
        "{}",
        searched.body
    );
    for (back, to) in [
        ("loggers?q=myapp::db", "/admin/loggers?q=myapp%3A%3Adb"),
        (
            "loggers?q=x\r\nSet-Cookie: a=b&y=<z>",
            "/admin/loggers?q=x%0D%0ASet-Cookie%3A+a%3Db%26y%3D%3Cz%3E",
        ),
        ("https://elsewhere.example/", "/admin/triggers"),
    ] {
        let reply = client
            .post(
                &format!("/admin/triggers/{}/stop", t.id.0),
                &[
                    ("csrf", &csrf),
                    ("version", &t.version.to_string()),
                    ("back", back),
                ],
            )
            .await;
        assert_eq!((reply.status, reply.location.as_str()), (303, to), "{back}");
    }
    assert_eq!(revision(&c), before, "stale versions changed nothing");
    // Without the CSRF token: refused.
    let reply = client
        .post(
            &format!("/admin/triggers/{}/stop", t.id.0),
            &[("version", &longer.version.to_string())],
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(revision(&c), before, "nothing was stored");

    // Stop now from the Running card: the window ends now, the baseline runs, back on the
    // dashboard.
    let page = land(
        &mut client,
        &format!("/admin/triggers/{}/stop", t.id.0),
        &[
            ("csrf", &csrf),
            ("version", &longer.version.to_string()),
            ("back", "dashboard"),
        ],
        "/admin/",
    )
    .await;
    assert_eq!(
        notice(&page),
        "Stopped trigger “debug myapp::db”: the baseline runs now"
    );
    assert!(c.status().current.is_none());
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Info);
    let stopped = c.store().trigger(t.id).unwrap();
    assert!(stopped.end.unwrap() <= chrono::Utc::now());
    assert!(page.body.contains("The baseline (no trigger is current)."));
    assert!(!page.body.contains("Stop now"));

    // It no longer runs: stopping or extending it again is refused.
    for action in ["stop", "extend"] {
        let reply = client
            .post(
                &format!("/admin/triggers/{}/{action}", t.id.0),
                &[("csrf", &csrf), ("version", &stopped.version.to_string())],
            )
            .await;
        assert_eq!(reply.status, 422, "{action}: {}", reply.body);
    }
}

#[actix_web::test]
async fn the_loggers_page_searches_by_part_of_a_name() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    for target in ["myapp::db", "myapp::db::pool", "myapp::web", "other"] {
        // A record, so that the target is seen and listed.
        c.logger().log(
            &log::Record::builder()
                .level(log::Level::Info)
                .target(target)
                .args(format_args!("seen"))
                .build(),
        );
    }
    let all = client.get("/admin/loggers").await;
    for target in ["myapp::db", "myapp::web", "other"] {
        assert!(
            all.body.contains(&format!("<code>{target}</code>")),
            "{target}"
        );
    }
    let page = client.get("/admin/loggers?q=DB").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<code>myapp::db</code>"));
    assert!(page.body.contains("<code>myapp::db::pool</code>"));
    assert!(!page.body.contains("<code>myapp::web</code>"));
    assert!(!page.body.contains("<code>other</code>"));
    assert!(
        page.body.contains(r#"name="q" value="DB""#),
        "the box keeps it"
    );
    assert!(!page.body.contains("No matches"));
    // The target list still suggests every name.
    assert!(page.body.contains(r#"<option value="myapp::web">"#));

    let none = client.get("/admin/loggers?q=%3Cnothing%3E").await;
    assert_eq!(none.status, 200);
    assert!(
        none.body
            .contains("No matches: no logger's name contains “&#60;nothing&#62;”."),
        "{}",
        none.body
    );
    assert!(!none.body.contains(r#"<table id="loggers">"#));
}

/// The part of `page` from the element with `id` to the end of its table.
fn table<'a>(page: &'a Reply, id: &str) -> &'a str {
    let at = page
        .body
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("#{id} in {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest.find("</table>").unwrap()]
}

/// Debug windows do not clutter the lists: their configs and triggers are listed apart, folded
/// unless one runs, and the trigger form offers their configs in a group of their own.
#[actix_web::test]
async fn debug_windows_are_listed_apart_from_the_configs_operators_keep() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let kept = c
        .create_config(
            "bob",
            &dynlog_core::NewConfig::raising("import at debug", "app::import", Level::Debug),
        )
        .unwrap();
    let (debug, _) = c
        .debug_target("bob", "app::db", Duration::hours(1))
        .unwrap();

    let page = client.get("/admin/configs").await;
    assert!(table(&page, "configs").contains("import at debug"));
    assert!(!table(&page, "configs").contains(&debug.name));
    assert!(table(&page, "debug-configs").contains(&debug.name));
    assert!(
        page.body.contains(r#"id="debug-configs" open"#),
        "folded open while one runs"
    );

    let page = client.get("/admin/triggers").await;
    assert!(!table(&page, "triggers").contains(&debug.name));
    assert!(table(&page, "debug-triggers").contains(&debug.name));
    // Asked for by its config, a debug window's trigger is in the main list.
    let page = client
        .get(&format!("/admin/triggers?config={}", debug.id.0))
        .await;
    assert!(table(&page, "triggers").contains(&debug.name));

    let page = client.get("/admin/triggers/new").await;
    let group = page
        .body
        .find(r#"<optgroup label="Debug windows">"#)
        .unwrap();
    assert!(page.body[group..].contains(&debug.name));
    assert!(!page.body[group..].contains(&kept.name));

    // Once it has ended, the group is folded.
    c.end_trigger_now("bob", running(&c).id, running(&c).version)
        .unwrap();
    let page = client.get("/admin/configs").await;
    assert!(page.body.contains(r#"id="debug-configs">"#), "folded");
}
