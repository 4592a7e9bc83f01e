//! Every API route: without credentials, with bad input (nothing stored), with good input
//! (stored, audited, applied when current).
#![allow(clippy::unwrap_used)]

mod common;

use actix_web::{App, test};
use dynlog_core::{Level, MemoryHandler};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

fn controller() -> common::TestApp {
    let controller = common::controller(&MemoryHandler::new(10));
    dynlog_actix::register_token(&*controller.accounts, "setup", "ci", TOKEN).unwrap();
    controller
}

macro_rules! app {
    ($controller:expr) => {
        test::init_service(App::new().service($controller.admin().scope("/admin"))).await
    };
}

async fn call(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    method: &str,
    uri: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let mut req = match method {
        "GET" => test::TestRequest::get(),
        "POST" => test::TestRequest::post(),
        "PUT" => test::TestRequest::put(),
        _ => test::TestRequest::delete(),
    }
    .uri(uri)
    .insert_header(("Authorization", format!("Bearer {TOKEN}")));
    if let Some(body) = body {
        req = req
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string());
    }
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status().as_u16();
    let bytes = test::read_body(response).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[actix_web::test]
async fn every_route_requires_a_valid_token() {
    let c = controller();
    let app = app!(c);
    for (method, uri) in [
        ("GET", "/admin/api/configs"),
        ("POST", "/admin/api/configs"),
        ("GET", "/admin/api/configs/1"),
        ("PUT", "/admin/api/configs/1"),
        ("DELETE", "/admin/api/configs/1"),
        ("GET", "/admin/api/triggers"),
        ("POST", "/admin/api/triggers"),
        ("GET", "/admin/api/triggers/1"),
        ("PUT", "/admin/api/triggers/1"),
        ("DELETE", "/admin/api/triggers/1"),
        ("GET", "/admin/api/status"),
        ("GET", "/admin/api/timeline"),
        ("GET", "/admin/api/loggers"),
        ("GET", "/admin/api/audit"),
        ("POST", "/admin/api/preview"),
        ("POST", "/admin/api/import"),
        ("POST", "/admin/api/debug"),
        ("POST", "/admin/api/triggers/1/active"),
        ("POST", "/admin/api/triggers/1/stop"),
        ("POST", "/admin/api/triggers/1/extend"),
    ] {
        for auth in [None, Some("Bearer wrong"), Some("Basic abc")] {
            let mut req = match method {
                "GET" => test::TestRequest::get(),
                "POST" => test::TestRequest::post(),
                "PUT" => test::TestRequest::put(),
                _ => test::TestRequest::delete(),
            }
            .uri(uri)
            .set_payload(r#"{"name": "x", "body": {}, "version": 1, "config_id": 1}"#);
            if let Some(auth) = auth {
                req = req.insert_header(("Authorization", auth));
            }
            let response = test::call_service(&app, req.to_request()).await;
            assert_eq!(
                response.status().as_u16(),
                401,
                "{method} {uri} with {auth:?}"
            );
        }
    }
    assert!(
        c.store().configs().unwrap().is_empty(),
        "nothing was stored"
    );
}

#[actix_web::test]
async fn configs_are_created_updated_and_deleted_with_versions_and_audit() {
    let c = controller();
    let app = app!(c);
    let (status, created) = call(
        &app,
        "POST",
        "/admin/api/configs",
        Some(r#"{"name": "debug import", "body": {"loggers": {"myapp::import": {"level": "debug", "handlers": ["file"]}}}}"#),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_i64().unwrap();
    let (status, listed) = call(&app, "GET", "/admin/api/configs", None).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (200, 1));
    let (status, one) = call(&app, "GET", &format!("/admin/api/configs/{id}"), None).await;
    assert_eq!((status, &one["name"]), (200, &json!("debug import")));

    let update = r#"{"name": "debug import", "version": 1, "body": {"loggers": {"myapp::import": {"level": "trace"}}}}"#;
    let (status, updated) = call(
        &app,
        "PUT",
        &format!("/admin/api/configs/{id}"),
        Some(update),
    )
    .await;
    assert_eq!((status, &updated["version"]), (200, &json!(2)));
    let (status, stale) = call(
        &app,
        "PUT",
        &format!("/admin/api/configs/{id}"),
        Some(update),
    )
    .await;
    assert_eq!(status, 409, "{stale}");
    assert!(
        stale["error"]
            .as_str()
            .unwrap()
            .contains("changed by someone else")
    );

    let audit = c.store().audit(Default::default()).unwrap();
    assert_eq!(audit[0].actor, "token:ci (admin)", "the token and its role");
    assert_eq!(audit[0].action, "update");

    let (status, _) = call(&app, "DELETE", &format!("/admin/api/configs/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, missing) = call(&app, "GET", &format!("/admin/api/configs/{id}"), None).await;
    assert_eq!(status, 404, "{missing}");
}

#[actix_web::test]
async fn bad_input_is_answered_with_the_field_and_nothing_is_stored() {
    let c = controller();
    let app = app!(c);
    let revision = c.store().revision().unwrap();
    let cases = [
        (
            r#"{"name": "x", "body": {"loggers": {"a": {"handlers": ["fil"]}}}}"#,
            422,
            "unknown handler \"fil\"",
        ),
        (
            r#"{"name": "x", "body": {"loggers": {"a": {"level": "loud"}}}}"#,
            422,
            "invalid level \"loud\"",
        ),
        (
            r#"{"name": "", "body": {}}"#,
            422,
            "config name \"\" is empty",
        ),
        (
            r#"{"name": "x", "bodyy": {}}"#,
            422,
            "unknown field \"bodyy\"",
        ),
        (r#"{"body": {}}"#, 422, "field \"name\" is required"),
        (
            "{\"name\": \"x\",\n \"body\": {,}}",
            400,
            "malformed JSON at line 2",
        ),
        ("[1, 2]", 422, "expected a JSON object"),
    ];
    for (body, want_status, want_message) in cases {
        let (status, answer) = call(&app, "POST", "/admin/api/configs", Some(body)).await;
        assert_eq!(status, want_status, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(want_message),
            "{body}: {answer}"
        );
    }
    let huge = format!(
        r#"{{"name": "x", "body": {{"loggers": {{"a": {{"level": "debug"}}}}}}, "pad": "{}"}}"#,
        "x".repeat(400 * 1024)
    );
    let (status, _) = call(&app, "POST", "/admin/api/configs", Some(&huge)).await;
    assert_eq!(status, 413);
    assert!(c.store().configs().unwrap().is_empty());
    assert_eq!(c.store().revision().unwrap(), revision);
}

#[actix_web::test]
async fn a_current_trigger_is_applied_and_bad_windows_are_refused() {
    let c = controller();
    let app = app!(c);
    let (_, config) = call(
        &app,
        "POST",
        "/admin/api/configs",
        Some(r#"{"name": "debug import", "body": {"loggers": {"myapp::import": {"level": "debug"}}}}"#),
    )
    .await;
    let config_id = config["id"].as_i64().unwrap();
    let (status, bad) = call(
        &app,
        "POST",
        "/admin/api/triggers",
        Some(&format!(r#"{{"name": "t", "config_id": {config_id}, "start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}}"#)),
    )
    .await;
    assert_eq!((status, &bad["field"]), (422, &json!("end")), "{bad}");
    let (status, bad) = call(
        &app,
        "POST",
        "/admin/api/triggers",
        Some(r#"{"name": "t", "config_id": 99, "start": null}"#),
    )
    .await;
    assert_eq!(status, 404, "{bad}");
    let (status, bad) = call(
        &app,
        "POST",
        "/admin/api/triggers",
        Some(&format!(
            r#"{{"name": "t", "config_id": {config_id}, "start": "tomorrow"}}"#
        )),
    )
    .await;
    assert_eq!((status, &bad["field"]), (422, &json!("start")), "{bad}");
    assert!(c.store().triggers().unwrap().is_empty());

    let now = chrono::Utc::now();
    let window = format!(
        r#"{{"name": "next hour", "config_id": {config_id}, "start": "{}", "end": "{}"}}"#,
        now.to_rfc3339(),
        (now + chrono::Duration::hours(1)).to_rfc3339()
    );
    let (status, trigger) = call(&app, "POST", "/admin/api/triggers", Some(&window)).await;
    assert_eq!(status, 201, "{trigger}");
    assert_eq!(
        c.logger().effective_level("myapp::import"),
        Level::Debug,
        "applied at once"
    );

    let (status, body) = call(&app, "GET", "/admin/api/status", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"]["current"]["trigger"]["name"], "next hour");
    let (status, spans) = call(&app, "GET", "/admin/api/timeline", None).await;
    assert_eq!(status, 200);
    assert_eq!(spans[0]["winner"], trigger["id"]);
    let (status, _) = call(
        &app,
        "GET",
        "/admin/api/timeline?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, 422);

    let off = format!(
        r#"{{"name": "next hour", "config_id": {config_id}, "start": "{}", "end": "{}", "is_active": false, "version": 1}}"#,
        now.to_rfc3339(),
        (now + chrono::Duration::hours(1)).to_rfc3339()
    );
    let (status, _) = call(
        &app,
        "PUT",
        &format!("/admin/api/triggers/{}", trigger["id"]),
        Some(&off),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        c.logger().effective_level("myapp::import"),
        Level::Info,
        "deactivated: rolled back"
    );
}

#[actix_web::test]
async fn loggers_audit_and_preview() {
    let c = controller();
    let app = app!(c);
    let (status, preview) = call(
        &app,
        "POST",
        "/admin/api/preview",
        Some(r#"{"body": {"loggers": {"myapp": {"level": "debug"}}, "handlers": {"console": {"level": "warn"}}}}"#),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["against_running"]["loggers"][0]["name"], "myapp");
    assert_eq!(
        preview["against_running"]["loggers"][0]["after"]["level"],
        "debug"
    );
    assert_eq!(
        preview["against_baseline"]["handlers"][0]["after"]["level"],
        "warn"
    );
    let (status, bad) = call(
        &app,
        "POST",
        "/admin/api/preview",
        Some(r#"{"body": {"loggers": {"a b": {}}}}"#),
    )
    .await;
    assert_eq!(status, 422, "{bad}");

    let (status, loggers) = call(&app, "GET", "/admin/api/loggers", None).await;
    assert_eq!(status, 200);
    assert_eq!(loggers["loggers"]["ROOT"]["name"], "");
    assert_eq!(loggers["loggers"]["ROOT"]["now"]["level"], "info");
    assert_eq!(loggers["loggers"]["ROOT"]["effectiveLevel"], "INFO");
    assert_eq!(loggers["levels"][0], "OFF");

    call(&app, "POST", "/admin/api/configs", Some(r#"{"name": "a"}"#)).await;
    call(&app, "POST", "/admin/api/configs", Some(r#"{"name": "b"}"#)).await;
    let (status, page) = call(&app, "GET", "/admin/api/audit?limit=1", None).await;
    assert_eq!((status, page.as_array().unwrap().len()), (200, 1));
    let before = page[0]["id"].as_i64().unwrap();
    let (_, older) = call(
        &app,
        "GET",
        &format!("/admin/api/audit?before={before}"),
        None,
    )
    .await;
    assert!(
        older
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"].as_i64().unwrap() < before)
    );
}

#[actix_web::test]
async fn scripts_debug_a_target_and_switch_triggers_as_the_pages_do() {
    let c = controller();
    let app = app!(c);
    let (status, made) = call(
        &app,
        "POST",
        "/admin/api/debug",
        Some(r#"{"target": "myapp::db", "minutes": 30}"#),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["trigger"]["config_id"], made["config"]["id"]);
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Debug);
    let audit = c
        .store()
        .audit(dynlog_core::store::AuditQuery::default())
        .unwrap();
    assert_eq!(
        audit[..2]
            .iter()
            .map(|e| (e.actor.as_str(), e.entity.as_str()))
            .collect::<Vec<_>>(),
        [
            ("token:ci (admin)", "trigger"),
            ("token:ci (admin)", "config")
        ],
        "config and trigger, audited as the token"
    );

    for (body, field) in [
        (r#"{"target": "my app"}"#, "target"),
        (r#"{"target": "myapp", "minutes": 0}"#, "duration"),
        (r#"{"target": "myapp", "minutes": 100000}"#, "duration"),
        (r#"{"target": "myapp", "hours": 1}"#, "hours"),
    ] {
        let before = c.store().revision().unwrap();
        let (status, error) = call(&app, "POST", "/admin/api/debug", Some(body)).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["field"], json!(field), "{body}: {error}");
        assert_eq!(c.store().revision().unwrap(), before, "nothing stored");
    }

    let id = made["trigger"]["id"].as_i64().unwrap();
    let version = made["trigger"]["version"].as_i64().unwrap();
    let uri = format!("/admin/api/triggers/{id}/active");
    let (status, off) = call(
        &app,
        "POST",
        &uri,
        Some(&format!(r#"{{"active": false, "version": {version}}}"#)),
    )
    .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["is_active"], json!(false));
    assert_eq!(off["end"], made["trigger"]["end"], "the window stays");
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Info);
    let (status, stale) = call(
        &app,
        "POST",
        &uri,
        Some(&format!(r#"{{"active": true, "version": {version}}}"#)),
    )
    .await;
    assert_eq!(
        (status, &stale["field"]),
        (409, &json!("version")),
        "{stale}"
    );
    let (status, missing) = call(&app, "POST", &uri, Some(r#"{"active": true}"#)).await;
    assert_eq!(status, 422, "{missing}");
}

#[actix_web::test]
async fn scripts_pick_the_level_stop_a_trigger_now_and_extend_one() {
    let c = controller();
    let app = app!(c);
    let (status, made) = call(
        &app,
        "POST",
        "/admin/api/debug",
        Some(r#"{"target": "myapp::db", "minutes": 15, "level": "trace"}"#),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["config"]["name"], json!("trace myapp::db"));
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Trace);
    for (body, field) in [
        (r#"{"target": "myapp", "level": "info"}"#, "level"),
        (r#"{"target": "myapp", "level": "loud"}"#, "level"),
    ] {
        let before = c.store().revision().unwrap();
        let (status, error) = call(&app, "POST", "/admin/api/debug", Some(body)).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["field"], json!(field), "{body}: {error}");
        assert_eq!(c.store().revision().unwrap(), before, "nothing stored");
    }

    // Extend: the end moves an hour later (the default), or by the minutes sent.
    let id = made["trigger"]["id"].as_i64().unwrap();
    let version = made["trigger"]["version"].as_i64().unwrap();
    let end = |t: &Value| {
        t["end"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    let extend = format!("/admin/api/triggers/{id}/extend");
    let (status, longer) = call(
        &app,
        "POST",
        &extend,
        Some(&format!(r#"{{"version": {version}}}"#)),
    )
    .await;
    assert_eq!(status, 200, "{longer}");
    assert_eq!(
        end(&longer) - end(&made["trigger"]),
        chrono::Duration::hours(1)
    );
    let version = longer["version"].as_i64().unwrap();
    let (status, longer2) = call(
        &app,
        "POST",
        &extend,
        Some(&format!(r#"{{"version": {version}, "minutes": 30}}"#)),
    )
    .await;
    assert_eq!(status, 200, "{longer2}");
    assert_eq!(end(&longer2) - end(&longer), chrono::Duration::minutes(30));
    // A stale version is a conflict; bad input names its field.
    let before = c.store().revision().unwrap();
    let (status, stale) = call(
        &app,
        "POST",
        &extend,
        Some(&format!(r#"{{"version": {version}}}"#)),
    )
    .await;
    assert_eq!(
        (status, &stale["field"]),
        (409, &json!("version")),
        "{stale}"
    );
    let version = longer2["version"].as_i64().unwrap();
    for (body, field, code) in [
        (
            format!(r#"{{"version": {version}, "minutes": 0}}"#),
            "by",
            422,
        ),
        (
            format!(r#"{{"version": {version}, "minutes": 100000}}"#),
            "by",
            422,
        ),
        (r#"{"minutes": 60}"#.to_string(), "version", 422),
    ] {
        let (status, error) = call(&app, "POST", &extend, Some(&body)).await;
        assert_eq!(
            (status, &error["field"]),
            (code, &json!(field)),
            "{body}: {error}"
        );
    }
    assert_eq!(c.store().revision().unwrap(), before, "nothing stored");

    // Stop: the window ends now and the baseline runs; a stale version is a conflict, and a
    // trigger no longer running is refused.
    let stop = format!("/admin/api/triggers/{id}/stop");
    let (status, stale) = call(
        &app,
        "POST",
        &stop,
        Some(&format!(r#"{{"version": {}}}"#, version - 1)),
    )
    .await;
    assert_eq!(
        (status, &stale["field"]),
        (409, &json!("version")),
        "{stale}"
    );
    let (status, stopped) = call(
        &app,
        "POST",
        &stop,
        Some(&format!(r#"{{"version": {version}}}"#)),
    )
    .await;
    assert_eq!(status, 200, "{stopped}");
    assert!(end(&stopped) <= chrono::Utc::now());
    assert_eq!(c.logger().effective_level("myapp::db"), Level::Info);
    assert!(c.status().current.is_none());
    let version = stopped["version"].as_i64().unwrap();
    let (status, again) = call(
        &app,
        "POST",
        &stop,
        Some(&format!(r#"{{"version": {version}}}"#)),
    )
    .await;
    assert_eq!(
        (status, &again["field"]),
        (422, &json!("trigger")),
        "{again}"
    );
    let (status, missing) = call(
        &app,
        "POST",
        "/admin/api/triggers/999/stop",
        Some(r#"{"version": 1}"#),
    )
    .await;
    assert_eq!(status, 404, "{missing}");
    let audit = c
        .store()
        .audit(dynlog_core::store::AuditQuery::default())
        .unwrap();
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].entity.as_str()),
        ("token:ci (admin)", "trigger")
    );
}
