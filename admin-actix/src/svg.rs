//! The dashboard's timeline, drawn on the server as SVG: a row per trigger with its window, and
//! on top a row of who wins when.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Duration, DurationRound, Utc};
use dynlog_core::schedule;
use dynlog_core::{ConfigId, Trigger, TriggerId};

const WIDTH: f64 = 960.0;
const LABEL: f64 = 220.0;
const ROW: f64 = 24.0;
const AXIS: f64 = 22.0;
/// Triggers drawn at most; the rest are summed up in one line.
const MAX_ROWS: usize = 14;

/// Escapes text for SVG (XML) content and attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The winners over `[from, to)` on top, then each active trigger whose window meets it.
pub(crate) fn timeline(
    triggers: &[Trigger],
    configs: &BTreeMap<ConfigId, String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let span = (to - from).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        let t = t.clamp(from, to);
        LABEL + (WIDTH - LABEL - 10.0) * ((t - from).num_seconds() as f64 / span)
    };
    let mut shown: Vec<&Trigger> = triggers
        .iter()
        .filter(|t| t.is_active && t.has_window())
        .filter(|t| t.start.is_none_or(|s| s < to) && t.end.is_none_or(|e| e > from))
        .collect();
    shown.sort_by_key(|t| (t.start, t.id));
    let hidden = shown.len().saturating_sub(MAX_ROWS);
    shown.truncate(MAX_ROWS);
    let rows = shown.len() + 1 + usize::from(hidden > 0);
    let height = AXIS + ROW * rows as f64 + 8.0;
    let label = |t: &Trigger| match configs.get(&t.config_id) {
        Some(config) if *config != t.name => format!("{} ({config})", t.name),
        Some(_) => t.name.clone(),
        None => format!("{} (config #{})", t.name, t.config_id.0),
    };
    let by_id: BTreeMap<TriggerId, &Trigger> = triggers.iter().map(|t| (t.id, t)).collect();

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="timeline of trigger windows" id="timeline-svg">"#
    );
    // Day lines and labels (UTC midnights), and every 6 hours a faint line.
    let mut tick = from.duration_trunc(Duration::hours(6)).unwrap_or(from);
    while tick <= to {
        if tick >= from {
            let tx = x(tick);
            let midnight = tick.format("%H").to_string() == "00";
            let _ = write!(
                svg,
                r#"<line class="{}" x1="{tx:.1}" y1="{AXIS}" x2="{tx:.1}" y2="{height}"/>"#,
                if midnight { "day" } else { "hour" }
            );
            if midnight {
                let _ = write!(
                    svg,
                    r#"<text class="axis" x="{:.1}" y="14">{}</text>"#,
                    tx + 3.0,
                    tick.format("%a %d %b")
                );
            } else {
                let _ = write!(
                    svg,
                    r#"<text class="axis minor" x="{:.1}" y="14">{}</text>"#,
                    tx + 3.0,
                    tick.format("%H:%M")
                );
            }
        }
        tick += Duration::hours(6);
    }
    // The winner row.
    let y0 = AXIS;
    let _ = write!(
        svg,
        r#"<text class="label winner" x="4" y="{:.1}">running</text>"#,
        y0 + 16.0
    );
    for s in schedule::timeline(triggers, from, to) {
        let (class, text) = match s.winner.and_then(|id| by_id.get(&id)) {
            Some(t) => ("win", label(t)),
            None => ("baseline", "baseline".to_string()),
        };
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="3"><title>{} · {} to {} UTC</title></rect>"#,
            x(s.start),
            y0 + 3.0,
            (x(s.end) - x(s.start)).max(1.0),
            ROW - 6.0,
            esc(&text),
            s.start.format("%a %H:%M"),
            s.end.format("%a %H:%M"),
        );
        if x(s.end) - x(s.start) > 60.0 {
            let chars = ((x(s.end) - x(s.start) - 8.0) / 6.5) as usize;
            let short: String = text.chars().take(chars).collect();
            let _ = write!(
                svg,
                r#"<text class="bar-label {class}" x="{:.1}" y="{:.1}">{}</text>"#,
                x(s.start) + 4.0,
                y0 + 16.0,
                esc(&short)
            );
        }
    }
    // One row per trigger.
    for (i, t) in shown.iter().enumerate() {
        let y = AXIS + ROW * (i + 1) as f64;
        let text = label(t);
        let short: String = text.chars().take(32).collect();
        let _ = write!(
            svg,
            r#"<text class="label" x="4" y="{:.1}">{}</text>"#,
            y + 16.0,
            esc(&short)
        );
        let start = t.start.unwrap_or(from);
        let end = t.end.unwrap_or(to);
        let _ = write!(
            svg,
            r#"<rect class="window" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="3"><title>{} · {} to {} UTC</title></rect>"#,
            x(start),
            y + 5.0,
            (x(end) - x(start)).max(2.0),
            ROW - 10.0,
            esc(&text),
            t.start
                .map_or("always".into(), |s| s.format("%a %d %H:%M").to_string()),
            t.end
                .map_or("never".into(), |e| e.format("%a %d %H:%M").to_string()),
        );
    }
    if hidden > 0 {
        let y = AXIS + ROW * (shown.len() + 1) as f64;
        let _ = write!(
            svg,
            r#"<text class="label" x="4" y="{:.1}">and {hidden} more</text>"#,
            y + 16.0
        );
    }
    if now >= from && now <= to {
        let _ = write!(
            svg,
            r#"<line class="now" x1="{:.1}" y1="{AXIS}" x2="{:.1}" y2="{height}"><title>now</title></line>"#,
            x(now),
            x(now)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_windows_drawn() {
        let now = Utc::now();
        let t = Trigger {
            id: TriggerId(1),
            name: "<script>alert(1)</script>".into(),
            is_active: true,
            start: Some(now - Duration::hours(1)),
            end: Some(now + Duration::hours(1)),
            config_id: ConfigId(7),
            version: 1,
            updated_at: now,
        };
        let configs = BTreeMap::from([(ConfigId(7), "a & b".to_string())]);
        let svg = timeline(
            &[t],
            &configs,
            now - Duration::hours(6),
            now + Duration::days(3),
            now,
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; (a &amp; b)"));
        assert_eq!(svg.matches(r#"class="window""#).count(), 1);
        assert_eq!(svg.matches(r#"class="win""#).count(), 1);
        assert!(svg.contains(r#"class="now""#));
    }
}
