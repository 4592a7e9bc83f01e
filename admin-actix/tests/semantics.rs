//! A config and a trigger mean exactly what the operator said: windows end by default, edit
//! forms keep what was typed, and forms write back only what was set.
#![allow(clippy::unwrap_used)]

mod common;

use actix_web::{App, test};
use chrono::{DateTime, Duration, Utc};
use common::client::{client, controller, revision};
use dynlog_actix::Admin;
use dynlog_core::{MemoryHandler, NewConfig, NewTrigger, TriggerId};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

#[actix_web::test]
async fn api_windows_end_two_hours_after_their_start_unless_end_is_null() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    dynlog_actix::register_token(&c, "setup", "ci", TOKEN).unwrap();
    let app = test::init_service(App::new().service(Admin::new(c.clone()).scope("/admin"))).await;
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
