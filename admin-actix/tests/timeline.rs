//! The timeline says who wins (issue 18, point 3): a colour per config with a legend naming
//! each, a `<title>` on every segment, bars that link to their trigger, a labelled "now", a
//! list of the changes in words saying who wins and why, and a range to choose, bounded.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, DurationRound};
use common::client::{client, controller};
use common::{part, trigger};
use dynlog_core::model::ConfigId;
use dynlog_core::{Controller, MemoryHandler};

/// A config putting `target` at debug.
fn config(c: &Controller, name: &str, target: &str) -> ConfigId {
    common::config(
        c,
        name,
        &format!(r#"{{"loggers": {{"{target}": {{"level": "debug"}}}}}}"#),
    )
}

/// Three overlapping windows: "nightly" 2 h to 8 h from the next hour, "overlap trace" 4 h to
/// 6 h (it starts later, so it wins there), and "twin" starting with "nightly" and ending at
/// 3 h (a tie on the start, broken by its higher id).
#[actix_web::test]
async fn the_timeline_says_who_wins_when_and_why() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;

    let hour = c.now().duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(1);
    let long_name = "a config with a rather long name that will not fit on a short bar at all";
    let import = config(&c, "import at debug", "myapp::import");
    let trace = config(&c, long_name, "myapp::db");
    let third = config(&c, "jobs at debug", "myapp::jobs");
    let nightly = trigger(
        &c,
        "nightly",
        import,
        hour + Duration::hours(2),
        hour + Duration::hours(8),
    );
    let overlap = trigger(
        &c,
        "overlap trace",
        trace,
        hour + Duration::hours(4),
        hour + Duration::hours(6),
    );
    let twin = trigger(
        &c,
        "twin",
        third,
        hour + Duration::hours(2),
        hour + Duration::hours(3),
    );

    let page = client.get("/admin/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    let svg = part(body, "<svg ", "</svg>");

    // A legend naming each config, with its colour; the colours differ.
    let legend = part(body, r#"id="timeline-legend""#, "</ul>");
    for (id, name) in [
        (import, "import at debug"),
        (trace, long_name),
        (third, "jobs at debug"),
    ] {
        let palette = format!("pal{}", id.0 % 8);
        assert!(
            legend.contains(&format!(
                r#"<span class="swatch {palette}"></span><a href="/admin/configs/{}">{name}</a>"#,
                id.0
            )),
            "{name} in {legend}"
        );
        assert!(svg.contains(&format!(r#"class="seg {palette}""#)), "{svg}");
    }

    // Every segment and every window has a title with the full names and times, and links to
    // its trigger; the baseline is not a link.
    let segments = svg.matches(r#"<rect class=""#).count();
    assert_eq!(
        segments,
        svg.matches("<title>").count() - 1,
        "a title each, and now's: {svg}"
    );
    // baseline, twin (2-3), nightly (3-4), overlap (4-6), nightly (6-8), baseline; 3 windows.
    assert_eq!(svg.matches(r#"<rect class="win""#).count(), 4, "{svg}");
    assert_eq!(svg.matches(r#"<rect class="window""#).count(), 3, "{svg}");
    for (t, n) in [(&nightly, 3), (&overlap, 2), (&twin, 2)] {
        assert_eq!(
            svg.matches(&format!(r#"href="/admin/triggers/{}""#, t.id.0))
                .count(),
            n,
            "{} links: {svg}",
            t.name
        );
    }
    assert!(
        svg.contains(&format!("<title>overlap trace ({long_name}) · ")),
        "{svg}"
    );
    assert!(
        svg.contains("<title>trigger nightly (config import at debug) · "),
        "{svg}"
    );
    // Over 24 h, the bars have room for a few characters: the names are cut with an ellipsis
    // there, and whole in the titles, the legend and the rows (wrapped, not cut).
    let day = client.get("/admin/?hours=24").await;
    let day_svg = part(&day.body, "<svg ", "</svg>");
    assert!(day_svg.contains(r#"<text class="bar-label" "#), "{day_svg}");
    assert!(day_svg.contains("…</text>"), "{day_svg}");
    let rows: String = day_svg
        .split("<tspan ")
        .skip(1)
        .map(|l| &l[l.find('>').unwrap() + 1..l.find("</tspan>").unwrap()])
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        rows.contains(&format!("overlap trace ({long_name})")),
        "{rows}"
    );
    // A labelled now.
    assert!(
        svg.contains(r#"class="now-label""#) && svg.contains(">now "),
        "{svg}"
    );

    // The changes, in words, with why.
    let changes = part(body, r#"id="timeline-changes""#, "</ol>");
    let at = |h: i64| (hour + Duration::hours(h)).format("%H:%M").to_string();
    let expect = [
        format!(
            "{}</time>\n      the baseline runs: no window is open",
            at(2)
        ),
        format!(
            "{}–{}</time>\n      <a href=\"/admin/triggers/{}\">“twin”</a> wins (config “jobs at debug”): tie broken by the higher id (#{} over #{})",
            at(2),
            at(3),
            twin.id.0,
            twin.id.0,
            nightly.id.0
        ),
        format!(
            "{}–{}</time>\n      <a href=\"/admin/triggers/{}\">“nightly”</a> wins (config “import at debug”): the only active one",
            at(3),
            at(4),
            nightly.id.0
        ),
        format!(
            "{}–{}</time>\n      <a href=\"/admin/triggers/{}\">“overlap trace”</a> wins (config “{long_name}”): started later than “nightly”",
            at(4),
            at(6),
            overlap.id.0
        ),
        format!(
            "{}–{}</time>\n      <a href=\"/admin/triggers/{}\">“nightly”</a> wins (config “import at debug”): the only active one",
            at(6),
            at(8),
            nightly.id.0
        ),
    ];
    for e in &expect {
        assert!(changes.contains(e.as_str()), "{e}\nin {changes}");
    }
    assert_eq!(changes.matches("<li>").count(), 6, "{changes}");
}

#[actix_web::test]
async fn the_range_is_chosen_and_bounded() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    client.login().await;
    let import = config(&c, "import at debug", "myapp::import");
    // A window from 10 h to 11 h from now: in 24 h, not in 6 h.
    let now = c.now();
    trigger(
        &c,
        "later",
        import,
        now + Duration::hours(10),
        now + Duration::hours(11),
    );

    let span = |body: &str| {
        let h2 = part(body, "<h2>Timeline <small>", "</small>");
        let h2 = &h2["<h2>Timeline <small>".len()..];
        let (from, to) = h2.split_once(" to ").unwrap();
        let to = to.split(',').next().unwrap();
        let parse = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .unwrap_or_else(|e| panic!("{s}: {e}"))
        };
        (parse(to) - parse(from)).num_hours()
    };
    for (asked, hours) in [
        ("", 48),
        ("?hours=6", 6),
        ("?hours=24", 24),
        ("?hours=48", 48),
        ("?hours=168", 168),
        ("?hours=100000", 168),
        ("?hours=-5", 6),
        ("?hours=12", 24),
        ("?hours=lots", 48),
    ] {
        let page = client.get(&format!("/admin/{asked}")).await;
        assert_eq!(page.status, 200, "{asked}: {}", page.body);
        assert_eq!(span(&page.body), hours, "{asked}");
        assert!(
            page.body.contains(&format!(
                r#"href="/admin/?hours={hours}#timeline" aria-current="true""#
            )),
            "{asked}: the range is marked"
        );
        let svg = part(&page.body, "<svg ", "</svg>");
        assert_eq!(
            svg.matches(r#"<rect class="window""#).count(),
            usize::from(hours >= 24),
            "{asked}: {svg}"
        );
    }
}

/// The trigger form warns when the window overlaps other active triggers and says who wins
/// when over it: on the edit page, on the new form, and on "Check overlaps", which saves
/// nothing.
#[actix_web::test]
async fn the_trigger_form_warns_about_overlaps_and_says_who_wins_when() {
    let tail = MemoryHandler::new(100);
    let c = controller(&tail);
    let mut client = client(&c, &tail).await;
    let csrf = client.login().await;

    let hour = c.now().duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(1);
    let import = config(&c, "import at debug", "myapp::import");
    let trace = config(&c, "db trace", "myapp::db");
    let nightly = trigger(
        &c,
        "nightly",
        import,
        hour + Duration::hours(2),
        hour + Duration::hours(8),
    );
    let alone = trigger(
        &c,
        "alone",
        trace,
        hour + Duration::hours(20),
        hour + Duration::hours(21),
    );
    let at = |h: i64| (hour + Duration::hours(h)).format("%H:%M").to_string();

    // A window on its own: no warning.
    let page = client.get(&format!("/admin/triggers/{}", alone.id.0)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains(r#"id="overlaps""#), "{}", page.body);

    // "Check overlaps" on a new window from 4 h to 10 h: it starts later, so it wins all of
    // it (nightly ends under it at 8 h); nothing is saved.
    let (start, end) = (
        (hour + Duration::hours(4))
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        (hour + Duration::hours(10))
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    );
    let trace_id = trace.0.to_string();
    let checked = client
        .post(
            "/admin/triggers/new",
            &[
                ("csrf", &csrf),
                ("name", "overlap trace"),
                ("config", &trace_id),
                ("start", &start),
                ("end", &end),
                ("is_active", "on"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(c.store().triggers().unwrap().len(), 2, "nothing saved");
    let warning = part(&checked.body, r#"id="overlaps""#, "</section>");
    assert!(
        warning.contains("This window overlaps “nightly”"),
        "{warning}"
    );
    let line = format!(
        "{}–{}</time>\n      “overlap trace” (this one) wins (config “db trace”): started later than “nightly”</li>",
        at(4),
        at(10)
    );
    assert!(warning.contains(&line), "{line}\nin {warning}");
    assert_eq!(warning.matches("<li>").count(), 1, "{warning}");
    // What was typed stays.
    assert!(checked.body.contains(&format!(r#"value="{start}""#)));

    // Saved, its edit page warns the same, and nightly's says who wins over nightly's window.
    let saved = client
        .post(
            "/admin/triggers/new",
            &[
                ("csrf", &csrf),
                ("name", "overlap trace"),
                ("config", &trace_id),
                ("start", &start),
                ("end", &end),
                ("is_active", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = client
        .get(&format!("/admin/triggers/{}", nightly.id.0))
        .await;
    let warning = part(&page.body, r#"id="overlaps""#, "</section>");
    assert!(
        warning.contains("This window overlaps “overlap trace”"),
        "{warning}"
    );
    let overlap = c
        .store()
        .triggers()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "overlap trace")
        .unwrap();
    for line in [
        format!(
            "{}–{}</time>\n      “nightly” (this one) wins (config “import at debug”): the only active one",
            at(2),
            at(4)
        ),
        format!(
            "{}–{}</time>\n      <a href=\"/admin/triggers/{}\">“overlap trace”</a> wins (config “db trace”): started later than “nightly”",
            at(4),
            at(8),
            overlap.id.0
        ),
    ] {
        assert!(warning.contains(&line), "{line}\nin {warning}");
    }
}
