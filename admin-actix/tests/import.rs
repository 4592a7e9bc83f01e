//! Importing configs as django-dynamic-logging's editor saves them, through the page and through
//! `POST /admin/api/import`: converted, stored through the controller, warnings listed; refused
//! with the field named and nothing stored.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{client, controller, revision};

use actix_web::{App, test};
use dynlog_core::{Level, LoggingConfig, MemoryHandler};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

/// A config as the seed's editor saves it: every handler of the Django settings with its
/// `class` and `formatter` (and a file handler's `filename`), dotted names, Python level names.
const SEED: &str = r#"{
  "loggers": {"myapp.import": {"level": "DEBUG", "handlers": ["console"], "propagate": false}},
  "handlers": {
    "console": {"class": "logging.StreamHandler", "formatter": "simple", "level": "INFO"},
    "file": {"class": "logging.FileHandler", "formatter": "verbose", "filename": "/var/log/app.log", "level": "WARNING"}
  }
}"#;

/// What [`SEED`] means in dynlog.
fn seed_as_dynlog() -> LoggingConfig {
    LoggingConfig::from_json(
        r#"{"loggers": {"myapp::import": {"level": "debug", "handlers": ["console"], "propagate": false}},
            "handlers": {"console": {"level": "info"}, "file": {"level": "warn"}}}"#,
    )
    .unwrap()
}

/// The five keys of [`SEED`] a config cannot set, each named with its handler.
fn assert_seed_warnings(warnings: &[String]) {
    assert_eq!(warnings.len(), 5, "{warnings:?}");
    for (handler, key) in [
        ("console", "class"),
        ("console", "formatter"),
        ("file", "class"),
        ("file", "formatter"),
        ("file", "filename"),
    ] {
        let expected = format!("handler \"{handler}\": dropped \"{key}\"");
        assert!(
            warnings.iter().any(|w| w.starts_with(&expected)),
            "{expected} in {warnings:?}"
        );
    }
}

fn api_controller() -> common::TestApp {
    let controller = common::controller(&MemoryHandler::new(10));
    dynlog_actix::register_token(&*controller.accounts, "setup", "ci", TOKEN).unwrap();
    controller
}

async fn call(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut req = test::TestRequest::post()
        .uri("/admin/api/import")
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_string());
    if let Some(token) = token {
        req = req.insert_header(("Authorization", format!("Bearer {token}")));
    }
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status().as_u16();
    let bytes = test::read_body(response).await;
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("a JSON answer: {}", String::from_utf8_lossy(&bytes)));
    (status, value)
}

#[actix_web::test]
async fn the_api_imports_the_seed_editors_config_json_as_an_object_or_a_string() {
    let c = api_controller();
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let seed: Value = serde_json::from_str(SEED).unwrap();

    let object = json!({"name": "from the seed", "config_json": seed}).to_string();
    let (status, answer) = call(&app, Some(TOKEN), &object).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["config"]["name"], "from the seed");
    assert_eq!(answer["config"]["version"], 1);
    let warnings: Vec<String> = serde_json::from_value(answer["warnings"].clone()).unwrap();
    assert_seed_warnings(&warnings);
    let id = answer["config"]["id"].as_i64().unwrap();
    let stored = c.store().config(dynlog_core::model::ConfigId(id)).unwrap();
    assert_eq!(stored.body, seed_as_dynlog());
    assert_eq!(
        answer["config"]["body"],
        serde_json::to_value(&stored.body).unwrap()
    );
    let audit = c.store().audit(Default::default()).unwrap();
    assert_eq!(
        (
            audit[0].actor.as_str(),
            audit[0].action.as_str(),
            audit[0].entity_id
        ),
        ("token:ci (admin)", "create", id)
    );

    // As the seed stores it: the JSON as a string.
    let string = json!({"name": "from the seed, as text", "config_json": SEED}).to_string();
    let (status, answer) = call(&app, Some(TOKEN), &string).await;
    assert_eq!(status, 201, "{answer}");
    let warnings: Vec<String> = serde_json::from_value(answer["warnings"].clone()).unwrap();
    assert_seed_warnings(&warnings);
    let id = answer["config"]["id"].as_i64().unwrap();
    assert_eq!(
        c.store()
            .config(dynlog_core::model::ConfigId(id))
            .unwrap()
            .body,
        seed_as_dynlog()
    );

    // dynlog's own JSON goes through unchanged, with no warnings.
    let plain = json!({"name": "plain", "config_json": seed_as_dynlog()}).to_string();
    let (status, answer) = call(&app, Some(TOKEN), &plain).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["warnings"], json!([]));
    assert_eq!(
        answer["config"]["body"],
        serde_json::to_value(seed_as_dynlog()).unwrap()
    );
}

#[actix_web::test]
async fn the_api_refuses_what_cannot_be_imported_naming_the_field_and_stores_nothing() {
    let c = api_controller();
    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let (status, _) = call(
        &app,
        Some(TOKEN),
        &json!({"name": "taken", "config_json": {}}).to_string(),
    )
    .await;
    assert_eq!(status, 201);
    let before = revision(&c);
    // Over the config limit, within the request's.
    let big = format!(
        r#"{{"loggers": {{}}{}}}"#,
        " ".repeat(dynlog_core::model::MAX_BODY)
    );
    let cases: Vec<(Option<&str>, String, u16, Value)> = vec![
        (
            None,
            json!({"name": "a", "config_json": {}}).to_string(),
            401,
            Value::Null,
        ),
        (
            Some("wrong"),
            json!({"name": "a", "config_json": {}}).to_string(),
            401,
            Value::Null,
        ),
        // A handler the application does not declare, kept because it sets a level.
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": {"handlers": {"mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR"}}}}).to_string(),
            422,
            json!("\"handlers\""),
        ),
        // A level with no dynlog equivalent.
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": {"loggers": {"django.db": {"level": 15}}}})
                .to_string(),
            422,
            json!("logger \"django::db\""),
        ),
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": "{\"loggers\": [}"}).to_string(),
            400,
            json!("config_json"),
        ),
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": 3}).to_string(),
            422,
            json!("config_json"),
        ),
        (
            Some(TOKEN),
            json!({"name": "a"}).to_string(),
            422,
            json!("config_json"),
        ),
        (
            Some(TOKEN),
            json!({"config_json": {}}).to_string(),
            422,
            json!("name"),
        ),
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": {}, "body": {}}).to_string(),
            422,
            json!("body"),
        ),
        (
            Some(TOKEN),
            json!({"name": "taken", "config_json": {}}).to_string(),
            409,
            json!("name"),
        ),
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": big}).to_string(),
            413,
            json!("config_json"),
        ),
        (
            Some(TOKEN),
            json!({"name": "a", "config_json": "[1]"}).to_string(),
            422,
            json!("config_json"),
        ),
        (Some(TOKEN), "[]".to_string(), 422, json!("request body")),
        (Some(TOKEN), "{".to_string(), 400, Value::Null),
    ];
    for (token, body, status, field) in cases {
        let (got, answer) = call(&app, token, &body).await;
        let shown: String = body.chars().take(120).collect();
        assert_eq!(got, status, "{shown}: {answer}");
        assert!(answer["error"].is_string(), "{shown}: {answer}");
        if status != 401 {
            assert_eq!(answer["field"], field, "{shown}: {answer}");
        }
    }
    assert_eq!(revision(&c), before, "nothing was stored");
    assert_eq!(c.store().configs().unwrap().len(), 1);
}

#[actix_web::test]
async fn the_page_imports_the_seed_editors_config_json_and_lists_what_it_dropped() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    let imported = client
        .post(
            "/admin/configs/import",
            &[("csrf", &csrf), ("name", "from the seed"), ("json", SEED)],
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let configs = c.store().configs().unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].name, "from the seed");
    assert_eq!(configs[0].body, seed_as_dynlog());
    let notice = &imported.body[imported.body.find(r#"id="imported""#).unwrap()..];
    assert!(
        notice.contains(&format!(
            r#"<a href="/admin/configs/{}">from the seed</a>"#,
            configs[0].id.0
        )),
        "{notice}"
    );
    let listed: Vec<String> = notice[..notice.find("</ul>").unwrap()]
        .split("<li>")
        .skip(1)
        .map(|item| {
            item[..item.find("</li>").unwrap()]
                .replace("&quot;", "\"")
                .replace("&#34;", "\"")
        })
        .collect();
    assert_seed_warnings(&listed);

    // dynlog's own JSON, bare or as exported, has nothing to say: straight to the config.
    let plain = serde_json::to_string(&seed_as_dynlog()).unwrap();
    let bare = client
        .post(
            "/admin/configs/import",
            &[("csrf", &csrf), ("name", "plain"), ("json", &plain)],
        )
        .await;
    assert_eq!(bare.status, 303, "{}", bare.body);
    let id = c.store().configs().unwrap()[1].id.0;
    assert_eq!(bare.location, format!("/admin/configs/{id}"));

    // A seed row as the API takes it, its config_json a string: the name comes with it.
    let row = json!({"name": "seed row", "config_json": SEED}).to_string();
    let named = client
        .post(
            "/admin/configs/import",
            &[("csrf", &csrf), ("name", ""), ("json", &row)],
        )
        .await;
    assert_eq!(named.status, 200, "{}", named.body);
    let configs = c.store().configs().unwrap();
    let row = configs.iter().find(|c| c.name == "seed row").unwrap();
    assert_eq!(row.body, seed_as_dynlog());
    assert_eq!(
        row.body.loggers["myapp::import"].level,
        Some(Level::Debug.into())
    );
}

#[actix_web::test]
async fn the_page_shows_the_form_again_with_the_error_and_stores_nothing() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let before = revision(&c);
    for (json, message) in [
        (
            r#"{"loggers": {"django.db": {"level": 15}}}"#,
            "invalid level &quot;15&quot; in logger &quot;django::db&quot;",
        ),
        (
            r#"{"handlers": {"mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR"}}}"#,
            "unknown handler &quot;mail_admins&quot;",
        ),
        (r#"{"loggers": [}"#, "malformed JSON at line 1"),
        (
            r#"{"name": "x", "config_json": 3}"#,
            "&quot;config_json&quot; must be a JSON object or a string holding one",
        ),
    ] {
        let reply = client
            .post(
                "/admin/configs/import",
                &[("csrf", &csrf), ("name", "bad"), ("json", json)],
            )
            .await;
        assert_eq!(reply.status, 422, "{json}: {}", reply.body);
        let error = &reply.body[reply.body.find(r#"id="error""#).unwrap()..];
        let error = &error[..error.find("</p>").unwrap()];
        let error = error.replace("&#34;", "&quot;");
        assert!(error.contains(message), "{json}: {error}");
        assert!(!reply.body.contains(r#"id="imported""#));
        assert!(reply.body.contains(r#"value="bad""#), "the name is kept");
        assert!(reply.body.contains("<textarea"), "the form again");
    }
    assert_eq!(revision(&c), before, "nothing was stored");
    assert!(c.store().configs().unwrap().is_empty());
}
