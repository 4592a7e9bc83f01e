//! A version conflict is never a dead end (issue 18, point 4): the form comes back with the
//! operator's edits, who changed it meanwhile, their version against the edits as a diff, and a
//! "reapply my edits" that saves; a stale button does nothing and says so on its own page.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{Reply, client, controller};

use dynlog_core::chrono::{Duration, Utc};
use dynlog_core::{Level, MemoryHandler, NewConfig, NewTrigger};

/// The value of the hidden `version` input of the page's form.
fn version_in(page: &Reply) -> String {
    let at = page.body.find(r#"name="version" value=""#).unwrap();
    let rest = &page.body[at + r#"name="version" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The diff lines of the conflict card, as (class, text).
fn conflict_diff(page: &Reply) -> Vec<(String, String)> {
    let at = page
        .body
        .find(r#"<pre class="diff" id="conflict-diff">"#)
        .unwrap();
    let rest = &page.body[at..];
    let pre = &rest[..rest.find("</pre>").unwrap()];
    pre.split("<span class=\"")
        .skip(1)
        .map(|s| {
            let (class, rest) = s.split_once("\">").unwrap();
            (
                class.to_string(),
                rest[..rest.find("</span>").unwrap()].to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_config_changed_meanwhile_shows_theirs_against_mine_and_reapplies_mine() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let config = c
        .create_config(
            "alice",
            &NewConfig::raising("import", "myapp::import", Level::Debug),
        )
        .unwrap();
    // Bob saves while alice edits version 1.
    c.update_config(
        "bob",
        config.id,
        1,
        &NewConfig::raising("import", "myapp::import", Level::Info),
    )
    .unwrap();

    let mine = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("name", "import"),
        ("logger.0.name", "myapp::import"),
        ("logger.0.level", "trace"),
        ("action", "save"),
    ];
    let uri = format!("/admin/configs/{}", config.id.0);
    let page = client.post(&uri, &mine).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains(r#"id="conflict""#));
    assert!(page.body.contains("bob at "), "who changed it");
    let diff = conflict_diff(&page);
    assert!(
        diff.contains(&(
            "del".into(),
            r#"-         &#34;level&#34;: &#34;info&#34;"#.into()
        )),
        "{diff:?}"
    );
    assert!(
        diff.contains(&(
            "ins".into(),
            r#"+         &#34;level&#34;: &#34;trace&#34;"#.into()
        )),
        "{diff:?}"
    );
    // The edits are kept, at the version now stored.
    assert!(page.body.contains(r#"<option value="trace" selected>"#));
    assert_eq!(version_in(&page), "2");
    assert!(page.body.contains(&format!(
        r#"id="discard" href="/admin/configs/{}""#,
        config.id.0
    )));
    assert_eq!(
        c.store().config(config.id).unwrap().version,
        2,
        "nothing saved"
    );

    // "Reapply my edits" posts the same form, now at version 2: it saves.
    let version = version_in(&page);
    let mut again = mine;
    again[1] = ("version", &version);
    let reply = client.post(&uri, &again).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = c.store().config(config.id).unwrap();
    assert_eq!(stored.version, 3);
    assert_eq!(
        stored.body.loggers["myapp::import"].level,
        Some(Level::Trace.into())
    );
}

#[actix_web::test]
async fn a_trigger_changed_meanwhile_shows_theirs_against_mine_and_reapplies_mine() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let config = c
        .create_config(
            "alice",
            &NewConfig::raising("import", "myapp::import", Level::Debug),
        )
        .unwrap();
    let now = Utc::now();
    let trigger = c
        .create_trigger(
            "alice",
            &NewTrigger::window(
                "tonight",
                config.id,
                now + Duration::hours(1),
                now + Duration::hours(2),
            ),
        )
        .unwrap();
    let renamed = NewTrigger {
        name: "tomorrow".into(),
        ..NewTrigger::from(&trigger)
    };
    c.update_trigger("bob", trigger.id, 1, &renamed).unwrap();

    let config_id = config.id.0.to_string();
    let mine = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("name", "tonight, later"),
        ("config", config_id.as_str()),
        ("start", ""),
        ("end", ""),
        ("is_active", "on"),
        ("action", "save"),
    ];
    let uri = format!("/admin/triggers/{}", trigger.id.0);
    let page = client.post(&uri, &mine).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("bob at "));
    let diff = conflict_diff(&page);
    assert!(
        diff.iter()
            .any(|(c, t)| c == "del" && t.contains("tomorrow")),
        "{diff:?}"
    );
    assert!(
        diff.iter()
            .any(|(c, t)| c == "ins" && t.contains("tonight, later")),
        "{diff:?}"
    );
    assert_eq!(version_in(&page), "2");
    assert!(
        page.body.contains(r#"value="tonight, later""#),
        "the edits are kept"
    );

    let version = version_in(&page);
    let mut again = mine;
    again[1] = ("version", &version);
    let reply = client.post(&uri, &again).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(
        c.store().trigger(trigger.id).unwrap().name,
        "tonight, later"
    );
}

#[actix_web::test]
async fn a_stale_button_does_nothing_and_says_who_changed_it() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;
    let (_, trigger) = c
        .debug_target("alice", "myapp::db", Duration::hours(1))
        .unwrap();
    // Bob extends it while alice's page still shows version 1.
    c.extend_trigger("bob", trigger.id, 1, Duration::hours(1))
        .unwrap();
    for (action, back) in [
        ("toggle", "/admin/triggers"),
        ("stop", "/admin/triggers"),
        ("extend", "/admin/triggers"),
    ] {
        let reply = client
            .post(
                &format!("/admin/triggers/{}/{action}", trigger.id.0),
                &[("csrf", csrf.as_str()), ("version", "1")],
            )
            .await;
        assert_eq!(reply.status, 303, "{action}: {}", reply.body);
        assert_eq!(reply.location, back, "{action}");
        let page = client.get(&reply.location).await;
        assert!(
            page.body.contains(&format!(
                "Nothing done: trigger “{}” was changed by bob at ",
                trigger.name
            )),
            "{action}: {}",
            page.body
        );
        let stored = c.store().trigger(trigger.id).unwrap();
        assert_eq!((stored.version, stored.is_active), (2, true), "{action}");
    }
}
