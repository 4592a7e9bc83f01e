//! Scoped windows in the admin: the config editor's Scope section (saved, refused with its
//! field and value, said in the preview), "only for" and "Debug my requests" on the Loggers page
//! (the token shown once, its hash in the scope), the dashboard's scoped windows and the
//! timeline's rows.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{client, controller};
use dynlog_core::MemoryHandler;

#[actix_web::test]
async fn scopes_in_the_editor_the_loggers_page_and_the_dashboard() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    let page = client.get("/admin/configs/new").await;
    assert!(
        page.body.contains(r#"<textarea name="scope""#),
        "{}",
        page.body
    );
    // A bad scope: the form again with the field and the value, nothing stored.
    let reply = client
        .post(
            "/admin/configs/new",
            &[
                ("csrf", &csrf),
                ("name", "acme debug"),
                ("scope", "tenant = acme,"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("invalid scope key &#34;tenant&#34; value &#34;&#34;: empty")
            || reply
                .body
                .contains("invalid scope key &quot;tenant&quot; value &quot;&quot;: empty"),
        "{}",
        reply.body
    );
    assert!(c.store().configs().unwrap().is_empty());
    // The preview says which records it applies to.
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "acme debug"),
        ("scope", "tenant = acme, globex\nuser = 42"),
        ("logger.0.name", "myapp"),
        ("logger.0.level", "debug"),
    ];
    let mut preview = form.to_vec();
    preview.push(("action", "preview"));
    let reply = client.post("/admin/configs/new", &preview).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(
            "Applies to only records whose context tags match tenant=acme|globex, user=42"
        ),
        "{}",
        reply.body
    );
    let mut save = form.to_vec();
    save.push(("action", "save"));
    let reply = client.post("/admin/configs/new", &save).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let config = &c.store().configs().unwrap()[0];
    assert_eq!(
        serde_json::to_value(&config.body.scope).unwrap(),
        serde_json::json!({"tenant": ["acme", "globex"], "user": ["42"]})
    );
    let page = client.get(&format!("/admin/configs/{}", config.id.0)).await;
    assert!(
        page.body.contains("tenant = acme, globex\nuser = 42"),
        "{}",
        page.body
    );

    // "Only for" a tenant, from the Loggers page.
    let reply = client
        .post(
            "/admin/loggers/debug",
            &[
                ("csrf", &csrf),
                ("target", "myapp::db"),
                ("only_for", "tenant"),
                ("only_value", "acme"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = client.get(&reply.location).await;
    assert!(page.body.contains("only for tenant=acme"), "{}", page.body);
    // A tenant typed with "everyone", or "a tenant" with none typed: said, nothing made.
    let revision = c.store().revision().unwrap();
    for (only_for, value, said) in [
        (
            "",
            "globex",
            "“globex” was typed under “Tenant or user” but “Only for” is everyone",
        ),
        ("tenant", " ", "“Only for” is a tenant: type the tenant"),
    ] {
        let reply = client
            .post(
                "/admin/loggers/debug",
                &[
                    ("csrf", &csrf),
                    ("target", "myapp::db"),
                    ("only_for", only_for),
                    ("only_value", value),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert!(reply.body.contains(said), "{}", reply.body);
    }
    assert_eq!(c.store().revision().unwrap(), revision, "nothing written");
    // "Debug my requests": a token shown once, its hash in the scope.
    let reply = client
        .post(
            "/admin/loggers/debug",
            &[
                ("csrf", &csrf),
                ("target", ""),
                ("only_for", "token"),
                ("minutes", "60"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = client.get(&reply.location).await;
    assert!(
        page.body
            .contains("Debugging everything at debug for 1 h, until ")
            && page.body.contains(
                ", in the requests that send this header (shown this once): X-Dynlog-Debug: "
            ),
        "{}",
        page.body
    );
    let at = page
        .body
        .find("X-Dynlog-Debug: ")
        .expect("the header to send")
        + 16;
    let token = &page.body[at..at + 32];
    let scoped = c.status().scoped;
    assert_eq!(scoped.len(), 2);
    let token_scope = serde_json::to_string(&scoped[0].config.body.scope).unwrap();
    assert!(
        token_scope.contains(&dynlog_actix::debug_token_tag(token)),
        "{token_scope}"
    );
    assert!(!token_scope.contains(token));
    assert!(scoped[0].config.name.contains("for a debug token"));
    let again = client.get("/admin/loggers").await;
    assert!(!again.body.contains(token), "the token is shown once");
    // The Loggers page shows each scoped window on the rows it sets, with its Stop now; a
    // debug token's window as such, without its hash.
    let acme = scoped
        .iter()
        .find(|r| r.trigger.name.contains("acme"))
        .unwrap();
    assert!(
        again
            .body
            .contains("also debug only for tenant=acme, until "),
        "{}",
        again.body
    );
    assert!(
        again.body.contains(&format!(
            r#"action="/admin/triggers/{}/stop""#,
            acme.trigger.id.0
        )),
        "{}",
        again.body
    );
    assert!(
        again
            .body
            .contains("also debug only for a debug token, until ")
    );
    assert!(
        !again.body.contains(&dynlog_actix::debug_token_tag(token)),
        "no hash on the page"
    );

    // The live tail says they are open beside what runs.
    let tail_page = client.get("/admin/tail").await;
    assert!(
        tail_page
            .body
            .contains(r#"<span id="tail-scoped"> (and 2 scoped windows open beside it)</span>"#),
        "{}",
        tail_page.body
    );
    // The dashboard lists them beside the running config; the timeline gives them rows. The
    // debug token's window reads as such, without its hash.
    let page = client.get("/admin/").await;
    assert!(
        !page.body.contains(&dynlog_actix::debug_token_tag(token)),
        "no hash on the dashboard"
    );
    assert!(page.body.contains("a debug token"), "{}", page.body);
    assert!(
        page.body.contains(r#"<section class="card" id="scoped">"#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<code>tenant=acme</code>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(", only for tenant=acme"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("The baseline (no trigger is current)."),
        "{}",
        page.body
    );
    // The audit shows the scope in the config's body.
    let audit = client.get("/admin/audit").await;
    assert!(audit.body.contains("tenant"), "{}", audit.body);
}
