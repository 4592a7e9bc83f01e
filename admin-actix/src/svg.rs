//! The dashboard's timeline, drawn on the server as SVG: a row per trigger with its window, and
//! on top a row of who wins when. The geometry is computed here; `templates/timeline.svg` lays
//! it out, and askama escapes every name in it.

use std::collections::BTreeMap;
use std::fmt;

use askama::Template;
use chrono::{DateTime, Duration, DurationRound, Utc};
use dynlog_core::Trigger;
use dynlog_core::model::{ConfigId, TriggerId};
use dynlog_core::schedule;

const WIDTH: f64 = 960.0;
const LABEL: f64 = 220.0;
const ROW: f64 = 24.0;
const AXIS: f64 = 22.0;
/// Triggers drawn at most; the rest are summed up in one line.
const MAX_ROWS: usize = 14;

/// A coordinate, written to a tenth of a pixel.
#[derive(Clone, Copy)]
struct Px(f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

/// A line every 6 hours, labelled with the day at UTC midnights.
struct Tick {
    x: Px,
    label_x: Px,
    midnight: bool,
    label: String,
}

/// A span of the winner row: a trigger's or the baseline's.
struct Span {
    class: &'static str,
    x: Px,
    y: Px,
    width: Px,
    height: Px,
    title: String,
    /// The name on the bar, where it is wide enough for one.
    label: Option<String>,
    label_x: Px,
}

/// A trigger's row and its window.
struct Row {
    label: String,
    label_y: Px,
    x: Px,
    y: Px,
    width: Px,
    height: Px,
    title: String,
}

/// The timeline as an SVG element, ready to be placed in a page.
#[derive(Template)]
#[template(path = "timeline.svg", escape = "html")]
pub(crate) struct Timeline {
    width: f64,
    height: f64,
    axis: f64,
    ticks: Vec<Tick>,
    winner_y: Px,
    spans: Vec<Span>,
    rows: Vec<Row>,
    hidden: usize,
    hidden_y: Option<Px>,
    now_x: Option<Px>,
}

/// The winners over `[from, to)` on top, then each active trigger whose window meets it.
pub(crate) fn timeline(
    triggers: &[Trigger],
    configs: &BTreeMap<ConfigId, String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Timeline {
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

    // Day lines and labels (UTC midnights), and every 6 hours a faint line.
    let mut ticks = Vec::new();
    let mut tick = from.duration_trunc(Duration::hours(6)).unwrap_or(from);
    while tick <= to {
        if tick >= from {
            let midnight = tick.format("%H").to_string() == "00";
            ticks.push(Tick {
                x: Px(x(tick)),
                label_x: Px(x(tick) + 3.0),
                midnight,
                label: tick
                    .format(if midnight { "%a %d %b" } else { "%H:%M" })
                    .to_string(),
            });
        }
        tick += Duration::hours(6);
    }
    let y0 = AXIS;
    let spans = schedule::timeline(triggers, from, to)
        .into_iter()
        .map(|s| {
            let (class, text) = match s.winner.and_then(|id| by_id.get(&id)) {
                Some(t) => ("win", label(t)),
                None => ("baseline", "baseline".to_string()),
            };
            let wide = x(s.end) - x(s.start);
            Span {
                class,
                x: Px(x(s.start)),
                y: Px(y0 + 3.0),
                width: Px(wide.max(1.0)),
                height: Px(ROW - 6.0),
                title: format!(
                    "{text} · {} to {} UTC",
                    s.start.format("%a %H:%M"),
                    s.end.format("%a %H:%M")
                ),
                label: (wide > 60.0)
                    .then(|| text.chars().take(((wide - 8.0) / 6.5) as usize).collect()),
                label_x: Px(x(s.start) + 4.0),
            }
        })
        .collect();
    let rows = shown
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let y = AXIS + ROW * (i + 1) as f64;
            let text = label(t);
            let start = t.start.unwrap_or(from);
            let end = t.end.unwrap_or(to);
            Row {
                label: text.chars().take(32).collect(),
                label_y: Px(y + 16.0),
                x: Px(x(start)),
                y: Px(y + 5.0),
                width: Px((x(end) - x(start)).max(2.0)),
                height: Px(ROW - 10.0),
                title: format!(
                    "{text} · {} to {} UTC",
                    t.start
                        .map_or("always".into(), |s| s.format("%a %d %H:%M").to_string()),
                    t.end
                        .map_or("never".into(), |e| e.format("%a %d %H:%M").to_string()),
                ),
            }
        })
        .collect();
    Timeline {
        width: WIDTH,
        height,
        axis: AXIS,
        ticks,
        winner_y: Px(y0 + 16.0),
        spans,
        rows,
        hidden,
        hidden_y: (hidden > 0).then(|| Px(AXIS + ROW * (shown.len() + 1) as f64 + 16.0)),
        now_x: (now >= from && now <= to).then(|| Px(x(now))),
    }
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
        )
        .render()
        .unwrap();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(
            svg.contains("&#60;script&#62;alert(1)&#60;/script&#62; (a &#38; b)"),
            "{svg}"
        );
        assert_eq!(svg.matches(r#"class="window""#).count(), 1);
        assert_eq!(svg.matches(r#"class="win""#).count(), 1);
        assert!(svg.contains(r#"class="now""#));
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    }
}
