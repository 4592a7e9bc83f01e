//! Budgets in the admin: the config form's `max_per_second` field (a bad value the form again
//! with the message, nothing stored), and the drops in the dashboard's handler table and in
//! `/admin/api/status`.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{client, controller, revision};

use actix_web::{App, test};
use dynlog_core::{LoggingConfig, MemoryHandler};
use log::Log;

const TOKEN: &str = "budget-token-0123456789";

fn flood(c: &common::TestApp, n: usize) {
    for i in 0..n {
        c.logger().log(
            &log::Record::builder()
                .level(log::Level::Warn)
                .target("myapp")
                .args(format_args!("record {i}"))
                .build(),
        );
    }
}

#[actix_web::test]
async fn the_form_sets_a_budget_and_refuses_a_bad_one() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let page = client.get("/admin/configs/new").await;
    assert!(
        page.body.contains(r#"name="handler.file.max_per_second""#),
        "the form has the field"
    );
    let csrf = page.csrf();
    let before = revision(&c);
    for bad in ["0", "-5", "2.5", "many", "99999999999"] {
        let reply = client
            .post(
                "/admin/configs/new",
                &[
                    ("csrf", &csrf),
                    ("action", "save"),
                    ("name", "budget"),
                    ("handler.file.max_per_second", bad),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.body);
        assert!(
            reply
                .body
                .contains("handler &#34;file&#34; field &#34;max_per_second&#34; must be"),
            "{bad}: {}",
            reply.body
        );
    }
    assert_eq!(revision(&c), before, "nothing was stored");
    let reply = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("action", "save"),
                ("name", "budget"),
                ("handler.file.max_per_second", " 250 "),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let saved = c.store().configs().unwrap().pop().unwrap();
    assert_eq!(saved.body.handlers["file"].max_per_second, Some(250));
    let edit = client.get(&format!("/admin/configs/{}", saved.id.0)).await;
    assert!(
        edit.body
            .contains(r#"name="handler.file.max_per_second" value="250""#),
        "the edit form shows it"
    );
}

#[actix_web::test]
async fn drops_show_in_the_dashboard_and_the_status_api() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    dynlog_actix::register_token(&*c.accounts, "setup", "ci", TOKEN).unwrap();
    c.logger()
        .apply(
            &LoggingConfig::from_json(r#"{"handlers": {"memory": {"max_per_second": 10}}}"#)
                .unwrap(),
        )
        .unwrap();
    flood(&c, 200);
    let dropped = c
        .logger()
        .handler_stats()
        .into_iter()
        .find(|h| h.name == "memory")
        .unwrap()
        .dropped;
    assert!(dropped >= 180, "{dropped}");

    let app = test::init_service(App::new().service(c.admin().scope("/admin"))).await;
    let req = test::TestRequest::get()
        .uri("/admin/api/status")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .to_request();
    let status: serde_json::Value = test::call_and_read_body_json(&app, req).await;
    let memory = status["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "memory")
        .unwrap();
    assert_eq!(memory["dropped"], dropped);
    assert_eq!(memory["max_per_second"], 10);

    let mut client = client(&c, &tail).await;
    client.login().await;
    let page = client.get("/admin/").await;
    let at = page
        .body
        .find("<h2>Handlers</h2>")
        .expect("the handler table");
    let table = &page.body[at..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains(&format!(
            "<td>memory</td><td>10 a second</td><td>{dropped}</td><td>0</td>"
        )),
        "{table}"
    );
    assert!(
        table.contains("<td>file</td><td>none</td><td>0</td>"),
        "{table}"
    );
}
