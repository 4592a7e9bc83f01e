//! The audit reads like a history (issue 18, point 4): each row says in a line what was done,
//! with names (escaped) linking to what still exists; its before and after as a diff marking
//! exactly the changed lines; filters by who, what and when, a bad value a message.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{Client, Reply, client, controller};

use actix_web::dev::{Service, ServiceResponse};
use dynlog_core::chrono::{Duration, Utc};
use dynlog_core::store::AccountStore;
use dynlog_core::{Level, MemoryHandler, NewConfig, NewTrigger};

/// The summary cell of the row of audit entry `id`.
fn summary(page: &Reply, id: i64) -> String {
    let row = row(page, id);
    let at = row.find(r#"<td class="audit-summary">"#).unwrap();
    let rest = &row[at + r#"<td class="audit-summary">"#.len()..];
    rest[..rest.find("</td>").unwrap()].to_string()
}

/// The row of audit entry `id`.
fn row(page: &Reply, id: i64) -> &str {
    let marker = format!(r#"<tr id="audit-{id}""#);
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("row {id} in {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// The (class, line) pairs of the diff of entry `id`.
fn diff(page: &Reply, id: i64) -> Vec<(String, String)> {
    let row = row(page, id);
    let at = row.find(r#"<pre class="diff">"#).unwrap();
    let rest = &row[at + r#"<pre class="diff">"#.len()..];
    let pre = &rest[..rest.find("</pre>").unwrap()];
    pre.split("<span class=\"")
        .skip(1)
        .map(|s| {
            let (class, rest) = s.split_once("\">").unwrap();
            let text = &rest[..rest.find("</span>").unwrap()];
            (class.to_string(), text.to_string())
        })
        .collect()
}

/// The ids of the rows shown.
fn ids(page: &Reply) -> Vec<i64> {
    page.body
        .split(r#"<tr id="audit-"#)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

async fn audit<S>(client: &mut Client<S>, query: &str) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let page = client.get(&format!("/admin/audit{query}")).await;
    assert_eq!(page.status, 200, "{query}: {}", page.body);
    page
}

fn last_id(c: &common::TestApp) -> i64 {
    c.store()
        .audit(Default::default())
        .unwrap()
        .first()
        .unwrap()
        .id
}

#[actix_web::test]
async fn every_action_reads_as_a_line_with_names_and_links() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;

    let import = c
        .create_config(
            "bob",
            &NewConfig::raising("import", "dynlog_testapp::jobs::import", Level::Debug),
        )
        .unwrap();
    let created = last_id(&c);
    let mut more = NewConfig::raising("import", "dynlog_testapp::jobs::import", Level::Trace);
    more.body.loggers.insert(
        "dynlog_testapp::db".into(),
        dynlog_core::model::LoggerSpec {
            level: Some(Level::Warn.into()),
            ..Default::default()
        },
    );
    let import = c
        .update_config("bob", import.id, import.version, &more)
        .unwrap();
    let updated = last_id(&c);
    let now = Utc::now();
    let tonight = c
        .create_trigger(
            "bob",
            &NewTrigger {
                name: "tonight".into(),
                config_id: import.id,
                start: Some(now),
                end: Some(now + Duration::hours(1)),
                is_active: true,
            },
        )
        .unwrap();
    let trigger_created = last_id(&c);
    let tonight = c
        .set_trigger_active("carol", tonight.id, tonight.version, false)
        .unwrap();
    let deactivated = last_id(&c);
    let mut renamed = NewTrigger {
        name: "tomorrow".into(),
        config_id: import.id,
        start: tonight.start,
        end: Some(now + Duration::hours(2)),
        is_active: false,
    };
    let tonight = c
        .update_trigger("carol", tonight.id, tonight.version, &renamed)
        .unwrap();
    let trigger_updated = last_id(&c);
    let other = c
        .create_config("bob", &NewConfig::raising("gone", "x", Level::Info))
        .unwrap();
    c.delete_config("bob", other.id).unwrap();
    let config_deleted = last_id(&c);
    let token = c
        .accounts
        .create_token("alice", "ci", "hash", dynlog_core::store::Role::Admin)
        .unwrap();
    let token_created = last_id(&c);
    c.accounts.delete_token("alice", token.id).unwrap();
    let token_deleted = last_id(&c);
    renamed.is_active = true;
    c.update_trigger("carol", tonight.id, tonight.version, &renamed)
        .unwrap();
    let activated = last_id(&c);
    c.delete_trigger("carol", tonight.id).unwrap();
    let trigger_deleted = last_id(&c);

    c.accounts.end_sessions("alice", "alice").unwrap();
    let ended = last_id(&c);
    client.login().await;

    let page = audit(&mut client, "").await;
    assert_eq!(
        summary(&page, ended),
        "account “alice”: sessions ended (a new password or “log out everywhere”)"
    );
    let config_link = format!(r#"<a href="/admin/configs/{}">“import”</a>"#, import.id.0);
    assert_eq!(
        summary(&page, created),
        format!("created config {config_link}")
    );
    assert_eq!(
        summary(&page, updated),
        format!(
            "config {config_link}: dynlog_testapp::db added (warn); \
             dynlog_testapp::jobs::import debug → trace"
        )
    );
    // The trigger is gone now: named, not linked.
    assert_eq!(summary(&page, trigger_created), "created trigger “tonight”");
    assert_eq!(summary(&page, deactivated), "deactivated trigger “tonight”");
    let trigger_line = summary(&page, trigger_updated);
    assert!(
        trigger_line.starts_with("trigger “tomorrow”: renamed from “tonight”; window "),
        "{trigger_line}"
    );
    assert!(!trigger_line.contains("config "), "{trigger_line}");
    assert_eq!(summary(&page, activated), "activated trigger “tomorrow”");
    assert_eq!(
        summary(&page, trigger_deleted),
        "deleted trigger “tomorrow”"
    );
    assert_eq!(summary(&page, config_deleted), "deleted config “gone”");
    assert_eq!(summary(&page, token_created), "created token “ci”");
    assert_eq!(summary(&page, token_deleted), "deleted token “ci”");
    assert_eq!(summary(&page, 1), "created account “alice”");
    // The whole documents are still there.
    assert!(row(&page, updated).contains("<summary>before</summary>"));
    assert!(row(&page, updated).contains("<summary>after</summary>"));
}

#[actix_web::test]
async fn a_trigger_still_there_is_linked_and_its_config_change_named() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let a = c
        .create_config("bob", &NewConfig::raising("a", "x", Level::Debug))
        .unwrap();
    let b = c
        .create_config("bob", &NewConfig::raising("b", "x", Level::Trace))
        .unwrap();
    let new = NewTrigger {
        name: "soon".into(),
        config_id: a.id,
        start: None,
        end: None,
        is_active: true,
    };
    let t = c.create_trigger("bob", &new).unwrap();
    c.update_trigger(
        "bob",
        t.id,
        t.version,
        &NewTrigger {
            config_id: b.id,
            ..new
        },
    )
    .unwrap();
    let page = audit(&mut client, "").await;
    assert_eq!(
        summary(&page, last_id(&c)),
        format!(
            r#"trigger <a href="/admin/triggers/{}">“soon”</a>: config “a” → “b”"#,
            t.id.0
        )
    );
}

#[actix_web::test]
async fn the_diff_marks_exactly_the_changed_lines() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let import = c
        .create_config(
            "bob",
            &NewConfig::raising("import", "app::import", Level::Debug),
        )
        .unwrap();
    let created = last_id(&c);
    c.update_config(
        "bob",
        import.id,
        import.version,
        &NewConfig::raising("import", "app::import", Level::Trace),
    )
    .unwrap();
    let updated = last_id(&c);
    let page = audit(&mut client, "").await;

    let lines = diff(&page, updated);
    let changed: Vec<_> = lines
        .iter()
        .filter(|(class, _)| !class.is_empty())
        .collect();
    let del: Vec<_> = changed.iter().filter(|(c, _)| c == "del").collect();
    let ins: Vec<_> = changed.iter().filter(|(c, _)| c == "ins").collect();
    // The level, the version and when it was written: nothing else.
    assert_eq!(del.len(), 3, "{lines:?}");
    assert_eq!(ins.len(), 3, "{lines:?}");
    assert!(del.iter().any(|(_, t)| t.contains("debug")), "{lines:?}");
    assert!(ins.iter().any(|(_, t)| t.contains("trace")), "{lines:?}");
    assert!(del.iter().any(|(_, t)| t.contains("version")));
    assert!(del.iter().any(|(_, t)| t.contains("updated_at")));
    for (class, text) in &lines {
        if class.is_empty() {
            assert!(
                !text.contains("level") && !text.contains("version"),
                "{text}"
            );
        }
    }
    assert!(
        lines
            .iter()
            .any(|(c, t)| c.is_empty() && t.contains("import"))
    );
    // A creation is all added lines.
    let lines = diff(&page, created);
    assert!(!lines.is_empty() && lines.iter().all(|(c, t)| c == "ins" && t.starts_with("+ ")));
}

#[actix_web::test]
async fn filters_by_who_what_and_when_and_page() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let mut bob = Vec::new();
    for i in 0..60 {
        let config = c
            .create_config(
                "bob",
                &NewConfig::raising(&format!("c{i}"), "x", Level::Debug),
            )
            .unwrap();
        bob.push(last_id(&c));
        c.create_trigger(
            "carol",
            &NewTrigger {
                name: format!("t{i}"),
                config_id: config.id,
                start: None,
                end: None,
                is_active: true,
            },
        )
        .unwrap();
    }
    bob.reverse();

    // Who, a page at a time, the filter kept by "Older".
    let page = audit(&mut client, "?actor=bob").await;
    assert_eq!(ids(&page), bob[..50]);
    let older = format!("/admin/audit?actor=bob&#38;before={}", bob[49]);
    assert!(page.body.contains(&older), "{}", page.body);
    let page = audit(&mut client, &format!("?actor=bob&before={}", bob[49])).await;
    assert_eq!(ids(&page), bob[50..]);
    assert!(
        page.body
            .contains(r#"href="/admin/audit?actor=bob">Newest"#)
    );

    // What: a kind, and one entity.
    let page = audit(&mut client, "?entity=trigger").await;
    assert!(
        ids(&page).iter().all(|id| !bob.contains(id)) && ids(&page).len() == 50,
        "{}",
        page.body
    );
    let page = audit(&mut client, "?entity=config&entity_id=1").await;
    assert_eq!(ids(&page), [bob[59]]);
    assert!(page.body.contains(r#"<option value="config" selected>"#));

    // When: today holds everything, tomorrow and yesterday nothing.
    let today = Utc::now().date_naive();
    let day = |d: dynlog_core::chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let page = audit(
        &mut client,
        &format!("?actor=bob&from={}&to={}", day(today), day(today)),
    )
    .await;
    assert_eq!(ids(&page).len(), 50);
    let tomorrow = today.succ_opt().unwrap();
    let page = audit(&mut client, &format!("?from={}", day(tomorrow))).await;
    assert!(ids(&page).is_empty());
    assert!(page.body.contains("No matches."));
    let page = audit(
        &mut client,
        &format!("?to={}", day(today.pred_opt().unwrap())),
    )
    .await;
    assert!(ids(&page).is_empty());
    // Nobody by that name.
    let page = audit(&mut client, "?actor=dave").await;
    assert!(ids(&page).is_empty());
}

#[actix_web::test]
async fn bad_filters_are_a_message() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let long = "a".repeat(101);
    for (query, message) in [
        ("?from=yesterday", "“from” must be a date like 2026-01-31."),
        ("?to=2026-13-01", "“to” must be a date like 2026-01-31."),
        (
            "?from=2026-02-01&to=2026-01-01",
            "“to” must not be before “from”.",
        ),
        (
            "?entity=widget",
            "“what” is config, trigger, account or token.",
        ),
        ("?entity_id=x", "“id” must be a whole number."),
        ("?before=-3", "“before” must be an entry number."),
        (
            &format!("?actor={long}"),
            "“who” is at most 100 characters.",
        ),
    ] {
        let page = client.get(&format!("/admin/audit{query}")).await;
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert!(
            page.body.contains(&format!(
                r#"<p class="error" id="error" role="alert">{message}</p>"#
            )),
            "{query}: {}",
            page.body
        );
    }
    // What was typed stays in the form, escaped.
    let page = client.get("/admin/audit?actor=%3Cb%3E&from=%22x%22").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains(r#"value="&#60;b&#62;""#) || page.body.contains("&lt;b&gt;"));
    assert!(!page.body.contains("<b>"));
}

#[actix_web::test]
async fn names_are_escaped() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let evil = c
        .create_config(
            "<i>mallory</i>",
            &NewConfig::raising("<script>x</script>", "app::import", Level::Debug),
        )
        .unwrap();
    c.update_config(
        "<i>mallory</i>",
        evil.id,
        evil.version,
        &NewConfig::raising("<script>x</script>", "app::import", Level::Trace),
    )
    .unwrap();
    let page = audit(&mut client, "?actor=%3Ci%3Emallory%3C%2Fi%3E").await;
    assert_eq!(ids(&page).len(), 2);
    assert!(!page.body.contains("<script>x"), "{}", page.body);
    assert!(!page.body.contains("<i>mallory"));
    let line = summary(&page, last_id(&c));
    assert!(
        line.contains("&#60;script&#62;") || line.contains("&lt;script&gt;"),
        "{line}"
    );
    assert!(line.contains("debug → trace"), "{line}");
}

/// One operator action is one row: "debug for an hour" makes a config and its trigger in one
/// write, deleting a config deletes its triggers in one write; each reads as one line, its
/// entries' diffs inside, and a page never ends in the middle of one.
#[actix_web::test]
async fn one_operator_action_is_one_row() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;

    let (config, trigger) = c
        .debug_target("bob", "dynlog_testapp::jobs::import", Duration::hours(1))
        .unwrap();
    let debug_row = last_id(&c);
    let kept = c
        .create_config("bob", &NewConfig::raising("kept", "x", Level::Info))
        .unwrap();
    let now = Utc::now();
    for name in ["a", "b"] {
        c.create_trigger(
            "bob",
            &NewTrigger::window(name, kept.id, now, now + Duration::hours(1)),
        )
        .unwrap();
    }
    c.delete_config("carol", kept.id).unwrap();
    let delete_row = last_id(&c);

    let page = audit(&mut client, "").await;
    let line = summary(&page, debug_row);
    let config_link = format!(
        r#"<a href="/admin/configs/{}">“{}”</a>"#,
        config.id.0, config.name
    );
    assert!(
        line.starts_with(&format!(
            "created config {config_link} with its trigger from "
        )),
        "{line}"
    );
    assert!(row(&page, debug_row).contains(r#"data-entries="2""#));
    // Both entries' changes are inside the one row.
    let part = format!("#{debug_row} created trigger “{}”", trigger.name);
    assert!(row(&page, debug_row).contains(&part), "{part}");
    assert_eq!(
        summary(&page, delete_row),
        "deleted config “kept” and its 2 triggers"
    );
    assert!(row(&page, delete_row).contains(r#"data-entries="3""#));
    let shown = ids(&page);
    assert!(
        !shown.contains(&(debug_row - 1)),
        "the config's entry is not a row of its own"
    );

    // 49 single changes after the deletion: the first page is full in the middle of the
    // deletion's three entries, and takes all three rather than splitting them.
    for i in 0..48 {
        c.create_config(
            "dave",
            &NewConfig::raising(&format!("n{i}"), "x", Level::Info),
        )
        .unwrap();
    }
    let page = audit(&mut client, "").await;
    assert!(row(&page, delete_row).contains(r#"data-entries="3""#));
    let older = page.body.split("?before=").nth(1).unwrap();
    let older: i64 = older[..older.find('"').unwrap()].parse().unwrap();
    assert_eq!(
        older,
        delete_row - 2,
        "the next page starts below the whole action"
    );
}

/// "Stop now" and "Extend 1 h" read as what was done, to the minute.
#[actix_web::test]
async fn stop_and_extend_read_as_what_was_done() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let (_, t) = c
        .debug_target("bob", "app::db", Duration::hours(1))
        .unwrap();
    let t = c
        .extend_trigger("bob", t.id, t.version, Duration::hours(1))
        .unwrap();
    let extended = last_id(&c);
    let stopped_at = Utc::now();
    c.end_trigger_now("carol", t.id, t.version).unwrap();
    let stopped = last_id(&c);
    let page = audit(&mut client, "").await;
    // To the minute, with the date when the end falls on another day than the entry (a test
    // run after 22:00 UTC extends past midnight).
    let end = t.end.unwrap();
    let end_shown = if end.date_naive() == stopped_at.date_naive() {
        end.format("%H:%M").to_string()
    } else {
        end.format("%Y-%m-%d %H:%M").to_string()
    };
    let link = format!(
        r#"<a href="/admin/triggers/{}">“debug app::db”</a>"#,
        t.id.0
    );
    assert_eq!(
        summary(&page, extended),
        format!("extended trigger {link} by 1 h: it ends at {end_shown}")
    );
    let line = summary(&page, stopped);
    assert!(
        line.starts_with(&format!(
            "stopped trigger {link} at {}",
            stopped_at.format("%H:%M")
        )) || line.starts_with(&format!("stopped trigger {link} at ")),
        "{line}"
    );
    assert!(
        line.ends_with(&format!("(it was to end at {end_shown})")),
        "{line}"
    );
}
