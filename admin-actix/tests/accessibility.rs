//! What the pages tell assistive technology (issue 18, point 7), read in the HTML the server
//! sends: every page has a skip link to its content and marks its entry in the menu; a form sent
//! back with an error announces it, marks the control it is about (`aria-invalid`) and ties the
//! message to it (`aria-describedby`); and the config form keeps every logger row where the
//! operator put it, as typed, with the row that has the error marked. The browser test
//! `testapp/tests/browser_a11y.rs` runs axe-core over the same pages.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{Reply, client, controller, revision};
use dynlog_core::MemoryHandler;

/// The `<input>` or `<select>` with this id, as the page has it (its opening tag).
fn control<'a>(page: &'a Reply, id: &str) -> &'a str {
    let at = page
        .body
        .find(&format!(r#" id="{id}""#))
        .unwrap_or_else(|| panic!("#{id} in {}", page.body));
    let start = page.body[..at].rfind('<').unwrap();
    let end = at + page.body[at..].find('>').unwrap();
    &page.body[start..=end]
}

/// The text of the element with this id.
fn text<'a>(page: &'a Reply, id: &str) -> &'a str {
    let at = page
        .body
        .find(&format!(r#" id="{id}""#))
        .unwrap_or_else(|| panic!("#{id} in {}", page.body));
    let rest = &page.body[at..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    &rest[..rest.find('<').unwrap()]
}

/// The logger rows' names and levels, in the order the page shows them.
fn rows(page: &Reply) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0.. {
        let Some(at) = page
            .body
            .find(&format!(r#"name="logger.{i}.name" value=""#))
        else {
            break;
        };
        let rest = &page.body[at..];
        let value = rest.split('"').nth(3).unwrap().to_string();
        let level_at = page
            .body
            .find(&format!(r#"name="logger.{i}.level""#))
            .unwrap();
        let select = &page.body[level_at..];
        let select = &select[..select.find("</select>").unwrap()];
        let level = select
            .split("<option ")
            .find(|o| o.contains(" selected>"))
            .and_then(|o| o.split('"').nth(1))
            .unwrap_or_default()
            .to_string();
        out.push((value, level));
    }
    out
}

#[actix_web::test]
async fn every_page_has_a_skip_link_and_marks_its_menu_entry() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    for (uri, current) in [
        (
            "/admin/",
            r#"/admin/" class="here" aria-current="page">Dashboard<"#,
        ),
        (
            "/admin/configs",
            r#"/admin/configs" class="here" aria-current="page">Configs<"#,
        ),
        (
            "/admin/configs/new",
            r#"/admin/configs" class="here" aria-current="page">Configs<"#,
        ),
        (
            "/admin/triggers",
            r#"/admin/triggers" class="here" aria-current="page">Triggers<"#,
        ),
        (
            "/admin/loggers",
            r#"/admin/loggers" class="here" aria-current="page">Loggers<"#,
        ),
        (
            "/admin/audit",
            r#"/admin/audit" class="here" aria-current="page">Audit<"#,
        ),
        (
            "/admin/tail",
            r#"/admin/tail" class="here" aria-current="page">Live tail<"#,
        ),
        ("/admin/account", r#"/admin/account" aria-current="page""#),
    ] {
        let page = client.get(uri).await;
        assert_eq!(page.status, 200, "{uri}");
        assert!(
            page.body.contains(current),
            "{uri}: {current} in {}",
            page.body
        );
        assert_eq!(
            page.body.matches(r#"aria-current="page""#).count(),
            1,
            "{uri}: one entry is current"
        );
        let skip = page.body.find(r##"<a class="skip" href="#main">"##);
        let header = page.body.find("<header");
        assert!(
            skip.is_some() && skip < header,
            "{uri}: the skip link comes first"
        );
        assert!(
            page.body.contains(r#"<main id="main" tabindex="-1">"#),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn a_config_error_is_on_its_row_and_every_row_keeps_its_place() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let before = revision(&c);

    // Rows as a browser posts them after "+ add a logger" (numbered 0, 1, then 102): the first
    // marked for removal, the second with a name that is no logger name. Sent back, they are where they were, renumbered, and
    // nothing is stored.
    let page = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "rows"),
                ("logger.0.name", "zeta"),
                ("logger.0.level", "debug"),
                ("logger.1.name", "my app!"),
                ("logger.1.level", "trace"),
                ("logger.0.remove", "on"),
                ("logger.2.name", ""),
                ("logger.102.name", "alpha"),
                ("logger.102.level", "info"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(revision(&c), before, "nothing was stored");
    assert_eq!(
        rows(&page),
        [
            ("zeta".to_string(), "debug".to_string()),
            ("my app!".into(), "trace".into()),
            ("alpha".into(), "info".into()),
            (String::new(), String::new()),
        ],
        "the rows where they were, the blank one at the end"
    );
    assert!(
        control(&page, "logger-0-remove").contains(" checked"),
        "the mark to remove stays"
    );
    let name = control(&page, "logger-1-name");
    assert!(name.contains(r#"aria-invalid="true""#), "{name}");
    assert!(
        name.contains(r#"aria-describedby="logger-1-error""#),
        "{name}"
    );
    let message = text(&page, "logger-1-error");
    assert!(
        message.contains("my app!"),
        "the message in the row: {message}"
    );
    assert!(
        page.body
            .contains(r#"<tr class="logger-row invalid" id="logger-1">"#),
        "the row is marked"
    );
    assert_eq!(
        page.body.matches("logger-row invalid").count(),
        1,
        "one row is marked"
    );
    assert!(!control(&page, "logger-0-name").contains("aria-invalid"));
    // The summary at the top is announced and links to the field.
    assert!(
        page.body
            .contains(r#"<p class="error" id="error" role="alert" tabindex="-1">"#),
        "{}",
        page.body
    );
    assert!(text(&page, "error-message").contains("my app!"));
    assert!(
        page.body
            .contains(r##"<a href="#logger-1-name">Go to the field</a>"##)
    );

    // A level that is not one, on a row: the level is the control marked.
    let page = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "rows"),
                ("logger.0.name", "zeta"),
                ("logger.3.name", "beta"),
                ("logger.3.level", "loud"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    let level = control(&page, "logger-1-level");
    assert!(level.contains(r#"aria-invalid="true""#), "{level}");
    assert!(!control(&page, "logger-1-name").contains("aria-invalid"));
    assert_eq!(
        rows(&page)[..2],
        [
            ("zeta".to_string(), String::new()),
            ("beta".into(), String::new())
        ]
    );

    // A handler's level: its select is marked and described by the message at the top.
    let page = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "rows"),
                ("handler.console.level", "chatty"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    let at = page.body.find(r#"name="handler.console.level""#).unwrap();
    let start = page.body[..at].rfind('<').unwrap();
    let select = &page.body[start..start + page.body[start..].find('>').unwrap()];
    assert!(
        select.contains(r#"aria-invalid="true" aria-describedby="error-message""#),
        "{select}"
    );

    // The name: taken by another config.
    client
        .post(
            "/admin/configs/new",
            &[("csrf", &csrf), ("name", "taken"), ("action", "save")],
        )
        .await;
    let page = client
        .post(
            "/admin/configs/new",
            &[("csrf", &csrf), ("name", "taken"), ("action", "save")],
        )
        .await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(
        control(&page, "name").contains(r#"aria-invalid="true" aria-describedby="error-message""#)
    );

    // A scope line without "=": the scope's text area, kept as typed.
    let page = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "scoped"),
                ("scope", "tenant acme"),
                ("logger.0.name", "zeta"),
                ("logger.0.level", "debug"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    let scope = control(&page, "scope");
    assert!(
        scope.contains(r#"aria-invalid="true" aria-describedby="error-message scope-help""#),
        "{scope}"
    );
    assert!(page.body.contains(">tenant acme</textarea>"));
    assert_eq!(rows(&page)[0], ("zeta".to_string(), "debug".to_string()));

    // A preview keeps the rows as typed too (not sorted by name).
    let page = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "order"),
                ("logger.0.name", "zeta"),
                ("logger.0.level", "debug"),
                ("logger.1.name", "alpha"),
                ("logger.1.level", "info"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"id="preview-result""#));
    assert_eq!(
        rows(&page)[..2],
        [
            ("zeta".to_string(), "debug".to_string()),
            ("alpha".into(), "info".into())
        ]
    );
}

#[actix_web::test]
async fn trigger_account_and_import_errors_are_on_their_fields() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let config = c
        .create_config(
            "alice",
            &dynlog_core::NewConfig {
                name: "c".into(),
                body: Default::default(),
            },
        )
        .unwrap();
    let config = config.id.0.to_string();

    // The trigger form: an end before the start is on the end; a start that is no time on the
    // start.
    for (start, end, field, other) in [
        ("2030-01-02 10:00", "2030-01-02 09:00", "end", "start"),
        ("tomorrow", "", "start", "end"),
    ] {
        let page = client
            .post(
                "/admin/triggers/new",
                &[
                    ("csrf", &csrf),
                    ("name", "t"),
                    ("config", &config),
                    ("start", start),
                    ("end", end),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(
            control(&page, field)
                .contains(r#"aria-invalid="true" aria-describedby="error-message""#),
            "{field}: {}",
            control(&page, field)
        );
        assert!(!control(&page, other).contains("aria-invalid"));
        assert!(page.body.contains(&format!(r##"<a href="#{field}">"##)));
    }

    // The account: new passwords that differ are on the second.
    let page = client
        .post(
            "/admin/account/password",
            &[
                ("csrf", &csrf),
                ("current", "whatever"),
                ("new", "one long password"),
                ("confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(control(&page, "account-confirm").contains(r#"aria-invalid="true""#));
    assert!(!control(&page, "account-new").contains("aria-invalid"));

    // An import that is no JSON is on the JSON; the textarea has a label.
    let page = client
        .post(
            "/admin/configs/import",
            &[("csrf", &csrf), ("name", "x"), ("json", "{\"loggers\": [}")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(control(&page, "import-json").contains(r#"aria-invalid="true""#));
    assert!(page.body.contains(r#"<label for="import-json">"#));
}
