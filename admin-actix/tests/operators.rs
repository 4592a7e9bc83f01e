//! The loggers endpoint in Spring Boot Actuator's shape, and the metrics, scraped and parsed.
#![allow(clippy::unwrap_used)]

mod common;

use actix_web::{App, test};
use dynlog_core::MemoryHandler;
use dynlog_core::store::Role;
use serde_json::Value;

#[actix_web::test]
async fn spring_loggers_and_a_parsed_scrape() {
    let tail = MemoryHandler::new(10);
    let c = common::controller(&tail);
    for role in Role::ALL {
        let token = format!("{role}-token-0123456789");
        dynlog_actix::register_token_with_role(&*c.accounts, "setup", role.as_str(), &token, role)
            .unwrap();
    }
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let call = |method: &str, uri: &str, role: Option<Role>, body: Option<&str>| {
        let mut req = match method {
            "GET" => test::TestRequest::get(),
            _ => test::TestRequest::post(),
        }
        .uri(uri);
        if let Some(role) = role {
            req = req.insert_header(("Authorization", format!("Bearer {role}-token-0123456789")));
        }
        if let Some(body) = body {
            req = req
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_string());
        }
        req.to_request()
    };
    let json = |body: &[u8]| serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);

    let r = test::call_service(
        &app,
        call("GET", "/admin/api/loggers/ROOT", Some(Role::Viewer), None),
    )
    .await;
    assert_eq!(r.status(), 200);
    let root = json(&test::read_body(r).await);
    assert_eq!(root["effectiveLevel"], "INFO", "{root}");
    let r = test::call_service(
        &app,
        call(
            "GET",
            "/admin/api/loggers/never::seen",
            Some(Role::Viewer),
            None,
        ),
    )
    .await;
    assert_eq!(r.status(), 404);

    let set = r#"{"configuredLevel": "DEBUG", "for": "30m"}"#;
    let r = test::call_service(
        &app,
        call(
            "POST",
            "/admin/api/loggers/myapp::db",
            Some(Role::Operator),
            Some(set),
        ),
    )
    .await;
    assert_eq!(r.status(), 201);
    let trigger = json(&test::read_body(r).await);
    assert!(trigger["end"].is_string(), "{trigger}");
    let r = test::call_service(
        &app,
        call(
            "GET",
            "/admin/api/loggers/myapp::db",
            Some(Role::Viewer),
            None,
        ),
    )
    .await;
    let db = json(&test::read_body(r).await);
    assert_eq!(
        (
            db["configuredLevel"].as_str(),
            db["effectiveLevel"].as_str()
        ),
        (Some("DEBUG"), Some("DEBUG"))
    );
    let audit = c.store().audit(Default::default()).unwrap();
    assert_eq!(audit[0].actor, "token:operator (operator)");

    let open = r#"{"configuredLevel": "TRACE", "for": null}"#;
    let r = test::call_service(
        &app,
        call(
            "POST",
            "/admin/api/loggers/myapp::db",
            Some(Role::Operator),
            Some(open),
        ),
    )
    .await;
    assert_eq!(r.status(), 403);
    for (bad, field) in [
        (r#"{"configuredLevel": "LOUD"}"#, "configuredLevel"),
        (r#"{"configuredLevel": "DEBUG", "for": "forever"}"#, "for"),
        (r#"{"configuredLevel": "DEBUG", "for": "3d"}"#, "for"),
    ] {
        let r = test::call_service(
            &app,
            call(
                "POST",
                "/admin/api/loggers/myapp::db",
                Some(Role::Operator),
                Some(bad),
            ),
        )
        .await;
        assert_eq!(r.status(), 422, "{bad}");
        assert_eq!(json(&test::read_body(r).await)["field"], field, "{bad}");
    }
    let r = test::call_service(
        &app,
        call(
            "POST",
            "/admin/api/loggers/bad%20name",
            Some(Role::Operator),
            Some(set),
        ),
    )
    .await;
    assert_eq!(json(&test::read_body(r).await)["field"], "name");

    log::logger().flush();
    let r = test::call_service(&app, call("GET", "/admin/metrics", None, None)).await;
    assert_eq!(r.status(), 401);
    let r = test::call_service(
        &app,
        call("GET", "/admin/metrics", Some(Role::Viewer), None),
    )
    .await;
    assert_eq!(r.status(), 200);
    let text = String::from_utf8(test::read_body(r).await.to_vec()).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |name: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name)
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        value("dynlog_revision"),
        Some(c.status().revision as f64),
        "{text}"
    );
    assert_eq!(
        value("dynlog_running_trigger_id"),
        trigger["id"].as_f64(),
        "{text}"
    );
    assert!(
        value("dynlog_next_transition_seconds").unwrap() > 1700.0,
        "{text}"
    );
    assert!(value("dynlog_applies_total").unwrap() >= 2.0, "{text}");
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "dynlog_records_handled_total"),
        "{text}"
    );

    let r = test::call_service(
        &app,
        call(
            "POST",
            "/admin/api/loggers/myapp::db",
            Some(Role::Operator),
            Some(r#"{"configuredLevel": null}"#),
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.logger().effective_level("myapp::db"),
        dynlog_core::Level::Info
    );
}
