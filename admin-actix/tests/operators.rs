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

/// A scrape of `admin`'s metrics with a viewer token, parsed.
async fn scrape(admin: &dynlog_actix::Admin, token: &str) -> prometheus_parse::Scrape {
    let app = test::init_service(App::new().service(admin.scope("/admin"))).await;
    let req = test::TestRequest::get()
        .uri("/admin/metrics")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .to_request();
    let r = test::call_service(&app, req).await;
    assert_eq!(r.status(), 200);
    let text = String::from_utf8(test::read_body(r).await.to_vec()).unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
}

/// One series of the lateness histogram, as scraped.
struct Lateness {
    /// Upper bound and cumulative count of each bucket, lowest first.
    buckets: Vec<(f64, f64)>,
    count: f64,
    sum: f64,
}

/// The lateness histogram of `kind` (`start` or `end`) in `scrape`; `None` if the scrape has
/// no such series.
fn lateness(scrape: &prometheus_parse::Scrape, kind: &str) -> Option<Lateness> {
    let of = |name: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && s.labels.get("kind") == Some(kind))
    };
    let prometheus_parse::Value::Histogram(buckets) =
        &of("dynlog_transition_lateness_seconds")?.value
    else {
        panic!("the lateness is a histogram");
    };
    let plain = |name: &str| match of(name).map(|s| &s.value) {
        Some(
            prometheus_parse::Value::Untyped(v)
            | prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v),
        ) => *v,
        other => panic!("{name}: {other:?}"),
    };
    let mut buckets: Vec<(f64, f64)> = buckets.iter().map(|b| (b.less_than, b.count)).collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(Lateness {
        buckets,
        count: plain("dynlog_transition_lateness_seconds_count"),
        sum: plain("dynlog_transition_lateness_seconds_sum"),
    })
}

#[actix_web::test]
async fn the_lateness_of_applied_starts_and_ends_is_scraped() {
    let tail = MemoryHandler::new(10);
    let logger = dynlog_core::DynamicLogger::builder()
        .handler("memory", tail.clone())
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .unwrap()
        .build()
        .unwrap();
    let store = std::sync::Arc::new(dynlog_core::MemoryStore::new());
    // With its scheduler thread and the system clock: transitions are applied as in production.
    let c = dynlog_core::Controller::builder_arc(logger, store.clone())
        .start()
        .unwrap();
    let token = "viewer-token-0123456789";
    dynlog_actix::register_token_with_role(&*store, "setup", "prom", token, Role::Viewer).unwrap();
    // Built twice for one controller (as a test suite or a restarting app may do): the second
    // takes the controller's one observer over instead of adding one.
    let first = dynlog_actix::Admin::new(c.clone(), store.clone());
    let admin = dynlog_actix::Admin::new(c.clone(), store.clone());
    // Both series are there from the first scrape, at zero.
    let scraped = scrape(&admin, token).await;
    for kind in ["start", "end"] {
        let none_yet = lateness(&scraped, kind).expect("the series, before any transition");
        assert_eq!((none_yet.count, none_yet.sum), (0.0, 0.0), "{kind}");
    }

    let config = c
        .create_config(
            "alice",
            &dynlog_core::NewConfig {
                name: "blink".into(),
                body: dynlog_core::LoggingConfig::from_json(
                    r#"{"loggers": {"myapp": {"level": "debug"}}}"#,
                )
                .unwrap(),
            },
        )
        .unwrap();
    // A second ahead: made before its start even on a loaded machine, so that the start is a
    // scheduled transition, not applied by the write itself.
    let start = chrono::Utc::now() + chrono::Duration::seconds(1);
    let end = start + chrono::Duration::milliseconds(500);
    c.create_trigger(
        "alice",
        &dynlog_core::NewTrigger {
            name: "blink".into(),
            config_id: config.id,
            start: Some(start),
            end: Some(end),
            is_active: true,
        },
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let scraped = loop {
        let scraped = scrape(&admin, token).await;
        if lateness(&scraped, "end").is_some_and(|end| end.count > 0.0) {
            break scraped;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no end observed within 10 s"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for kind in ["start", "end"] {
        let Lateness {
            buckets,
            count,
            sum,
        } = lateness(&scraped, kind).unwrap();
        assert_eq!(count, 1.0, "{kind}: one transition");
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, 1.0)), "{kind}");
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{kind}: cumulative {buckets:?}"
        );
        // Applied within a few seconds even on a loaded machine, and counted in the bucket
        // that holds it: the first whose bound is at or above it.
        assert!((0.0..5.0).contains(&sum), "{kind}: {sum} s late");
        let first = buckets.iter().position(|b| b.1 == 1.0).unwrap();
        assert!(sum <= buckets[first].0, "{kind}: {sum} in {buckets:?}");
        assert!(
            first == 0 || sum > buckets[first - 1].0,
            "{kind}: {sum} in {buckets:?}"
        );
    }
    assert_eq!(
        lateness(&scrape(&first, token).await, "start").map(|l| l.count),
        Some(0.0),
        "the first admin's observer was replaced, not kept beside the second's"
    );
    c.stop();
}

#[actix_web::test]
async fn a_null_level_ends_the_loggers_windows_in_one_write() {
    let tail = MemoryHandler::new(10);
    let c = common::controller(&tail);
    let token = "operator-token-0123456789";
    dynlog_actix::register_token_with_role(&*c.accounts, "setup", "ops", token, Role::Operator)
        .unwrap();
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let post = |name: &str, body: &str| {
        test::TestRequest::post()
            .uri(&format!("/admin/api/loggers/{name}"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string())
            .to_request()
    };
    let mut made = Vec::new();
    for level in ["DEBUG", "TRACE"] {
        let body = format!(r#"{{"configuredLevel": "{level}", "for": "30m"}}"#);
        let r = test::call_service(&app, post("myapp::db", &body)).await;
        assert_eq!(r.status(), 201);
        let trigger: Value = serde_json::from_slice(&test::read_body(r).await).unwrap();
        made.push(trigger["id"].as_i64().unwrap());
    }
    // One that starts later, for the first window's config: switched off, not ended.
    let first = c
        .store()
        .trigger(dynlog_core::model::TriggerId(made[0]))
        .unwrap();
    let now = chrono::Utc::now();
    let later = c
        .create_trigger(
            "setup",
            &dynlog_core::NewTrigger {
                name: "later".into(),
                config_id: first.config_id,
                start: Some(now + chrono::Duration::hours(2)),
                end: Some(now + chrono::Duration::hours(3)),
                is_active: true,
            },
        )
        .unwrap();
    made.push(later.id.0);
    assert_eq!(
        c.logger().effective_level("myapp::db"),
        dynlog_core::Level::Trace
    );
    // Another logger's window stays (and runs from now: the latest window wins).
    let r = test::call_service(&app, post("myapp::http", r#"{"configuredLevel": "DEBUG"}"#)).await;
    assert_eq!(r.status(), 201);

    let revision = c.store().revision().unwrap();
    let audited = c.store().audit(Default::default()).unwrap().len();
    let r = test::call_service(&app, post("myapp::db", r#"{"configuredLevel": null}"#)).await;
    assert_eq!(r.status(), 200);
    let ended: Value = serde_json::from_slice(&test::read_body(r).await).unwrap();
    let mut ids: Vec<i64> = ended["ended"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    made.sort_unstable();
    assert_eq!(ids, made, "{ended}");
    assert_eq!(
        c.store().revision().unwrap(),
        revision + 1,
        "one write, one revision"
    );
    let audit = c.store().audit(Default::default()).unwrap();
    assert_eq!(audit.len(), audited + 3);
    for entry in &audit[..3] {
        assert_eq!(
            (entry.actor.as_str(), entry.action.as_str(), entry.revision),
            ("token:ops (operator)", "update", Some(revision + 1)),
            "one audited action: {entry:?}"
        );
    }
    assert!(!c.store().trigger(later.id).unwrap().is_active);
    assert_eq!(
        c.logger().effective_level("myapp::db"),
        dynlog_core::Level::Info
    );
    assert_eq!(
        c.logger().effective_level("myapp::http"),
        dynlog_core::Level::Debug
    );
    // Nothing left to end is no write.
    let r = test::call_service(&app, post("myapp::db", r#"{"configuredLevel": null}"#)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(c.store().revision().unwrap(), revision + 1);
}
