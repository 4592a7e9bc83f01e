//! The dashboard warns about windows that run until deleted: an active trigger without an end
//! whose config makes a logger or a handler more verbose than the baseline.
#![allow(clippy::unwrap_used)]

mod common;

use common::client::{client, controller};
use common::config;

use chrono::Duration;
use dynlog_core::{Controller, MemoryHandler, NewTrigger, Trigger};

fn trigger(
    c: &Controller,
    name: &str,
    config_id: dynlog_core::model::ConfigId,
    end: Option<Duration>,
    is_active: bool,
) -> Trigger {
    let start = c.now() - Duration::minutes(5);
    let new = NewTrigger {
        name: name.into(),
        config_id,
        start: Some(start),
        end: end.map(|d| start + d),
        is_active,
    };
    c.create_trigger("setup", &new).unwrap()
}

/// The dashboard's warning section, if it shows one.
fn warning(body: &str) -> Option<&str> {
    let at = body.find(r#"id="open-ended""#)?;
    let rest = &body[at..];
    Some(&rest[..rest.find("</section>").unwrap()])
}

#[actix_web::test]
async fn the_dashboard_warns_about_open_ended_windows_that_raise_a_level() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;

    // The baseline: the root at info, the console handler at info.
    let raises = config(
        &c,
        "import at debug",
        r#"{"loggers": {"myapp::import": {"level": "debug"}}}"#,
    );
    let lowers = config(
        &c,
        "quieter",
        r#"{"loggers": {"": {"level": "warn"}, "myapp::noisy": {"level": "off"}}}"#,
    );
    let handler_only = config(
        &c,
        "chatty console",
        r#"{"handlers": {"console": {"level": "trace"}}}"#,
    );
    let ends = trigger(&c, "tonight only", raises, Some(Duration::hours(8)), true);
    let inactive = trigger(&c, "paused forever", raises, None, false);
    let quiet = trigger(&c, "quiet forever", lowers, None, true);

    let dashboard = client.get("/admin/").await;
    assert_eq!(dashboard.status, 200);
    assert_eq!(
        warning(&dashboard.body),
        None,
        "a window with an end, an inactive one and one lowering levels are no warning"
    );

    let forever = trigger(&c, "debug forever", raises, None, true);
    let console = trigger(&c, "console forever", handler_only, None, true);
    let dashboard = client.get("/admin/").await;
    assert_eq!(dashboard.status, 200);
    let shown = warning(&dashboard.body).expect("a warning");
    assert!(shown.contains("Runs until deleted"), "{shown}");
    for t in [&forever, &console] {
        assert!(
            shown.contains(&format!(
                r#"<a href="/admin/triggers/{}">{}</a>"#,
                t.id.0, t.name
            )),
            "{} in {shown}",
            t.name
        );
    }
    assert!(shown.contains("myapp::import: info to debug"), "{shown}");
    assert!(shown.contains("handler console: info to trace"), "{shown}");
    for t in [&ends, &inactive, &quiet] {
        assert!(
            !shown.contains(&format!("/admin/triggers/{}\"", t.id.0)),
            "{} in {shown}",
            t.name
        );
        assert!(!shown.contains(&t.name), "{} in {shown}", t.name);
    }
    assert!(!shown.contains("quieter"), "{shown}");
}
