//! A config and a trigger mean exactly what the operator said: windows end by default, edit
//! forms keep what was typed, and forms write back only what was set.
#![allow(clippy::unwrap_used)]

mod common;

use actix_web::{App, test};
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use common::client::{client, controller, revision};
use dynlog_core::model::TriggerId;
use dynlog_core::{MemoryHandler, NewConfig, NewTrigger};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

#[actix_web::test]
async fn api_windows_end_two_hours_after_their_start_unless_end_is_null() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", TOKEN).unwrap();
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let call = |method: &str, uri: &str, body: Value| {
        match method {
            "PUT" => test::TestRequest::put(),
            _ => test::TestRequest::post(),
        }
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string())
        .to_request()
    };
    let reply = test::call_service(
        &app,
        call("POST", "/admin/api/configs", json!({"name": "c"})),
    )
    .await;
    let config: Value = test::read_body_json(reply).await;
    let id = config["id"].as_i64().unwrap();
    let create = |body: Value| call("POST", "/admin/api/triggers", body);

    let reply = test::call_service(
        &app,
        create(json!({"name": "tonight", "config_id": id, "start": "2030-01-01T22:00:00Z"})),
    )
    .await;
    assert_eq!(reply.status().as_u16(), 201);
    let t: Value = test::read_body_json(reply).await;
    assert_eq!(t["end"], json!("2030-01-02T00:00:00Z"), "{t}");

    let before = c.now();
    let reply = test::call_service(&app, create(json!({"name": "now", "config_id": id}))).await;
    let t: Value = test::read_body_json(reply).await;
    assert_eq!(t["start"], Value::Null, "{t}");
    let end: DateTime<Utc> = t["end"].as_str().unwrap().parse().unwrap();
    assert!(
        end >= before + Duration::hours(2) && end <= c.now() + Duration::hours(2),
        "{t}"
    );

    let reply = test::call_service(
        &app,
        create(
            json!({"name": "open", "config_id": id, "start": "2030-01-01T22:00:00Z", "end": null}),
        ),
    )
    .await;
    let t: Value = test::read_body_json(reply).await;
    assert_eq!(
        t["end"],
        Value::Null,
        "an explicit null stays open-ended: {t}"
    );

    // An update must say what the end is: a partial update never moves a window.
    let uri = format!("/admin/api/triggers/{}", t["id"]);
    let reply = test::call_service(
        &app,
        call(
            "PUT",
            &uri,
            json!({"name": "open", "config_id": id, "version": t["version"]}),
        ),
    )
    .await;
    assert_eq!(reply.status().as_u16(), 422);
    let error: Value = test::read_body_json(reply).await;
    assert_eq!(error["field"], json!("end"), "{error}");
}

#[actix_web::test]
async fn editing_a_trigger_keeps_its_window_and_offers_no_quick_window() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let config = c
        .create_config(
            "setup",
            &NewConfig {
                name: "c".into(),
                body: Default::default(),
            },
        )
        .unwrap();
    let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
    let trigger = c
        .create_trigger(
            "setup",
            &NewTrigger {
                name: "night".into(),
                config_id: config.id,
                start: at("2030-01-01T22:00:00Z"),
                end: at("2030-01-02T06:00:00Z"),
                is_active: true,
            },
        )
        .unwrap();
    let uri = format!("/admin/triggers/{}", trigger.id.0);
    let edit = client.get(&uri).await;
    assert!(
        !edit.body.contains("quick-1h"),
        "no quick window on an edit page"
    );
    assert!(
        !edit.body.contains("data-fresh"),
        "the end does not follow the start"
    );
    assert!(edit.body.contains("8 h 0 min"), "the duration shows");
    let new = client.get("/admin/triggers/new").await;
    assert!(new.body.contains("quick-1h") && new.body.contains("data-fresh"));

    // The start moves, the end stays as it was.
    let config_id = config.id.0.to_string();
    let reply = client
        .post(
            &uri,
            &[
                ("csrf", &csrf),
                ("name", "night"),
                ("config", &config_id),
                ("start", "2030-01-01 21:00"),
                ("end", "2030-01-02 06:00:00"),
                ("is_active", "on"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let saved = c.store().trigger(trigger.id).unwrap();
    assert_eq!(saved.start, at("2030-01-01T21:00:00Z"));
    assert_eq!(saved.end, at("2030-01-02T06:00:00Z"));

    // A form error comes back with the end as typed, not recomputed.
    let reply = client
        .post(
            &uri,
            &[
                ("csrf", &csrf),
                ("name", "night"),
                ("config", &config_id),
                ("start", "2030-01-01 20:00"),
                ("end", "2030-01-01 19:00"),
                ("is_active", "on"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.body.contains(r#"value="2030-01-01 19:00""#),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("data-fresh"));
    assert!(reply.body.contains("ends before it starts"));

    // A quick window posted at an existing trigger anyway is refused: it never replaces the
    // scheduled window.
    let before = revision(&c);
    let reply = client
        .post(
            &uri,
            &[
                ("csrf", &csrf),
                ("name", "night"),
                ("config", &config_id),
                ("quick", "1"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(revision(&c), before);
    assert_eq!(
        c.store().trigger(TriggerId(trigger.id.0)).unwrap().end,
        at("2030-01-02T06:00:00Z")
    );
}

/// What a browser submits of the config form in `html`: its inputs (checkboxes when checked),
/// each select's selected options (a single select without one: its first), in document order;
/// the `<template>` row is not part of the form.
fn browser_submit(html: &str) -> Vec<(String, String)> {
    let start = html.find(r#"id="config-form""#).expect("the config form");
    let mut form = &html[start
        ..html[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e)];
    let owned;
    if let (Some(a), Some(b)) = (form.find("<template"), form.find("</template>")) {
        owned = format!("{}{}", &form[..a], &form[b..]);
        form = &owned;
    }
    let unescape = |v: &str| {
        v.replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attrs = |tag: &str| -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut rest = tag;
        while let Some(i) = rest.find(|c: char| c.is_ascii_alphabetic()) {
            rest = &rest[i..];
            let end = rest
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(rest.len());
            let name = rest[..end].to_string();
            rest = &rest[end..];
            if let Some(after) = rest.strip_prefix("=\"") {
                let close = after.find('"').unwrap();
                out.insert(name, unescape(&after[..close]));
                rest = &after[close + 1..];
            } else {
                out.insert(name, String::new());
            }
        }
        out
    };
    let mut pairs = Vec::new();
    // The open select: its name, whether it is multiple, and its options (value, selected).
    type Select = (String, bool, Vec<(String, bool)>);
    let mut select: Option<Select> = None;
    let mut rest = form;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').unwrap();
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        let (kind, body) = tag.split_once(' ').unwrap_or((tag, ""));
        match kind {
            "input" => {
                let a = attrs(body);
                let Some(name) = a.get("name") else { continue };
                let checkbox = a.get("type").is_some_and(|t| t == "checkbox");
                if checkbox && !a.contains_key("checked") {
                    continue;
                }
                let value = a
                    .get("value")
                    .cloned()
                    .unwrap_or_else(|| if checkbox { "on".into() } else { String::new() });
                pairs.push((name.clone(), value));
            }
            "select" => {
                let a = attrs(body);
                select = Some((a["name"].clone(), a.contains_key("multiple"), Vec::new()));
            }
            "option" => {
                let a = attrs(body);
                if let Some((_, _, options)) = &mut select {
                    options.push((a["value"].clone(), a.contains_key("selected")));
                }
            }
            "/select" => {
                let (name, multiple, options) = select.take().unwrap();
                let chosen: Vec<_> = options.iter().filter(|(_, s)| *s).collect();
                if multiple {
                    pairs.extend(chosen.iter().map(|(v, _)| (name.clone(), v.clone())));
                } else if let Some((v, _)) = chosen.first().or(options.first().as_ref()) {
                    pairs.push((name, v.clone()));
                }
            }
            _ => {}
        }
    }
    pairs
}

mod round_trip {
    use super::{MemoryHandler, NewConfig, browser_submit, client, controller};
    use dynlog_core::model::{HandlerOverride, LoggerLevel, LoggerSpec};
    use dynlog_core::{Level, LoggingConfig};
    use proptest::prelude::*;

    const HANDLERS: [&str; 3] = ["console", "file", "memory"];
    const LEVELS: [Level; 6] = [
        Level::Off,
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// A list of distinct names from `all`, in any order, or none.
    fn list(all: &'static [&'static str]) -> impl Strategy<Value = Option<Vec<String>>> {
        proptest::option::of(
            proptest::sample::subsequence(all, 0..=all.len())
                .prop_shuffle()
                .prop_map(|v| v.into_iter().map(str::to_string).collect()),
        )
    }

    fn logger_level() -> impl Strategy<Value = Option<LoggerLevel>> {
        proptest::option::of(prop_oneof![
            Just(LoggerLevel::Inherit),
            proptest::sample::select(&LEVELS[..]).prop_map(LoggerLevel::Set),
        ])
    }

    fn spec() -> impl Strategy<Value = LoggerSpec> {
        (
            logger_level(),
            list(&HANDLERS),
            list(&["polite"]),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(level, handlers, filters, propagate)| LoggerSpec {
                level,
                handlers,
                filters,
                propagate,
            })
    }

    fn handler_override() -> impl Strategy<Value = HandlerOverride> {
        (
            proptest::option::of(proptest::sample::select(&LEVELS[..])),
            list(&["polite"]),
        )
            .prop_filter("sets something", |(l, f)| l.is_some() || f.is_some())
            .prop_map(|(level, filters)| HandlerOverride {
                level,
                filters,
                max_per_second: None,
            })
    }

    fn body() -> impl Strategy<Value = LoggingConfig> {
        let names = proptest::sample::select(
            &[
                "",
                "myapp",
                "myapp::db",
                "myapp::db::pool",
                "other-crate",
                "x_y::z9",
            ][..],
        );
        (
            proptest::collection::btree_map(names.prop_map(str::to_string), spec(), 0..5),
            proptest::collection::btree_map(
                proptest::sample::select(&HANDLERS[..]).prop_map(str::to_string),
                handler_override(),
                0..3,
            ),
        )
            .prop_map(|(loggers, handlers)| LoggingConfig {
                loggers,
                handlers,
                ..Default::default()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Opening a config and saving it as the browser submits it stores the same body.
        #[test]
        fn the_edit_form_gives_back_the_body_it_shows(body in body()) {
            actix_web::rt::System::new().block_on(async move {
                let tail = MemoryHandler::new(100);
                let c = controller(&tail);
                let stored = c
                    .create_config("setup", &NewConfig { name: "c".into(), body: body.clone() })
                    .unwrap();
                let mut client = client(&c, &tail).await;
                client.login().await;
                let uri = format!("/admin/configs/{}", stored.id.0);
                let form = client.get(&uri).await;
                let mut pairs = browser_submit(&form.body);
                pairs.push(("action".into(), "save".into()));
                let pairs: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let saved = client.post(&uri, &pairs).await;
                assert_eq!(saved.status, 303, "{body:?}: {}", saved.body);
                let after = c.store().config(stored.id).unwrap().body;
                assert_eq!(after, body);
            });
        }
    }
}

#[actix_web::test]
async fn loggers_show_their_configured_and_effective_level_and_what_decides_it() {
    use dynlog_core::Level;
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", TOKEN).unwrap();
    // Seen targets, one under a logger the config will name.
    for target in ["myapp::db::pool", "other"] {
        log::Log::log(
            &c.logger(),
            &log::Record::builder()
                .level(log::Level::Error)
                .target(target)
                .args(format_args!("m"))
                .build(),
        );
    }
    let body = dynlog_core::LoggingConfig::from_json(
        r#"{"loggers": {"myapp": {"level": "debug"}, "myapp::db": {"level": "notset"}, "myap::x": {"level": "trace"}}}"#,
    )
    .unwrap();
    let config = c
        .create_config(
            "setup",
            &NewConfig {
                name: "deep dive".into(),
                body: body.clone(),
            },
        )
        .unwrap();
    c.create_trigger(
        "setup",
        &NewTrigger {
            name: "now".into(),
            config_id: config.id,
            start: None,
            end: None,
            is_active: true,
        },
    )
    .unwrap();
    assert_eq!(c.logger().effective_level("myapp::db::pool"), Level::Debug);

    let mut client = client(&c, &tail).await;
    client.login().await;
    let page = client.get("/admin/loggers").await;
    for expected in [
        r#"<td><code>myapp</code></td><td>debug</td>"#,
        r#"config &#34;deep dive&#34;"#,
        r#"<td><code>myapp::db</code></td><td>notset</td>"#,
        r#"inherited from myapp (set by config &#34;deep dive&#34;)"#,
        r#"<td><code>other</code></td><td>not configured</td>"#,
        r#"inherited from root (set by the baseline)"#,
    ] {
        assert!(page.body.contains(expected), "{expected} in {}", page.body);
    }

    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let req = test::TestRequest::get()
        .uri("/admin/api/loggers")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .to_request();
    let views: Value = test::read_body_json(test::call_service(&app, req).await).await;
    let db = &views["loggers"]["myapp::db"];
    assert_eq!(db["configured_level"], json!("notset"), "{db}");
    assert_eq!(db["effective_level"], json!("debug"), "{db}");
    assert_eq!(
        db["decided_by"],
        json!("inherited from myapp (set by config \"deep dive\")")
    );

    // The preview says the same, and warns of the name no target falls under.
    let req = test::TestRequest::post()
        .uri("/admin/api/preview")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({"body": body}).to_string())
        .to_request();
    let preview: Value = test::read_body_json(test::call_service(&app, req).await).await;
    let warnings = preview["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{preview}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("did you mean \"myapp\"")
    );
    let csrf = client.get("/admin/configs/new").await.csrf();
    let shown = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "typo"),
                ("logger.0.name", "myap::x"),
                ("logger.0.level", "trace"),
                ("action", "preview"),
            ],
        )
        .await;
    assert!(
        shown.body.contains("did you mean &#34;myapp&#34;"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("(config &#34;typo&#34;)"),
        "{}",
        shown.body
    );
}
