//! The dashboard's timeline, drawn on the server as SVG: a row per trigger with its window, and
//! on top a row of who wins when. The geometry is computed here; `templates/timeline.svg` lays
//! it out, and askama escapes every name in it. Each config has a colour of a fixed palette
//! (by its id), named in a legend; every stretch of the winner row and every window is a link
//! to its trigger, with a `<title>` giving the full names and times; and beside the picture, a
//! list of the changes of winner in words, with why each one wins.

use std::collections::BTreeMap;
use std::fmt;

use askama::Template;
use chrono::{DateTime, Duration, DurationRound, Utc};
use dynlog_core::Trigger;
use dynlog_core::model::{ConfigId, TriggerId};
use dynlog_core::schedule;

const WIDTH: f64 = 960.0;
/// The label column: as wide as the longest row name needs, within these bounds; longer names
/// wrap onto more lines.
const LABEL_MIN: f64 = 140.0;
const LABEL_MAX: f64 = 280.0;
/// The width of a character of the 12 px labels, a little generous.
const CHAR: f64 = 6.8;
/// The width of a character of the 11 px bar labels.
const BAR_CHAR: f64 = 6.4;
const ROW: f64 = 24.0;
const LINE: f64 = 14.0;
const AXIS: f64 = 22.0;
/// Room under the rows for the "now" label.
const FOOT: f64 = 16.0;
/// Triggers drawn at most; the rest are summed up in one line.
const MAX_ROWS: usize = 14;
/// The palette's size: `admin.css` has a class `pal0` to `pal7`, each at least 4.5:1 against
/// white (its text) and the page, so the bars are well over 3:1.
const PALETTE: i64 = 8;

/// The ranges the dashboard offers, in hours; the first of them at least as long as asked is
/// shown (the longest when more is asked), 48 when nothing or nonsense is asked.
pub(crate) const RANGES: [i64; 4] = [6, 24, 48, 168];
pub(crate) const DEFAULT_RANGE: i64 = 48;

/// The range in hours for what the address asked (`?hours=`), bounded to [`RANGES`].
pub(crate) fn range_hours(asked: Option<&str>) -> i64 {
    match asked.and_then(|h| h.trim().parse::<i64>().ok()) {
        Some(h) => RANGES
            .into_iter()
            .find(|&r| r >= h)
            .unwrap_or(RANGES[RANGES.len() - 1]),
        None => DEFAULT_RANGE,
    }
}

/// The palette class of a config.
fn palette(config: ConfigId) -> String {
    format!("pal{}", config.0.rem_euclid(PALETTE))
}

/// `text` cut to `max` characters, with "…" in place of what was cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// `text` in lines of at most `max` characters, broken at spaces where it can be.
fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(4);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let len = line.chars().count();
            let add = word.chars().count() + usize::from(len > 0);
            if len + add <= max {
                if len > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line: split it.
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A coordinate, written to a tenth of a pixel.
#[derive(Clone, Copy)]
struct Px(f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}", self.0)
    }
}

/// A line on the axis, labelled with the day at UTC midnights, else the hour.
struct Tick {
    x: Px,
    label_x: Px,
    midnight: bool,
    label: String,
}

/// A span of the winner row: a trigger's or the baseline's.
struct Span {
    /// The trigger's page, none for the baseline.
    href: Option<String>,
    /// The config's palette class, or `baseline`.
    palette: String,
    class: &'static str,
    x: Px,
    y: Px,
    width: Px,
    height: Px,
    title: String,
    /// The config's name on the bar, cut to fit, where there is room for a few characters.
    label: Option<String>,
    label_x: Px,
}

/// A line of a row's name.
struct Line {
    y: Px,
    text: String,
}

/// A trigger's row and its window.
struct Row {
    href: String,
    palette: String,
    lines: Vec<Line>,
    x: Px,
    y: Px,
    width: Px,
    height: Px,
    title: String,
}

/// A config in the legend.
pub(crate) struct LegendItem {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) palette: String,
}

/// A change of winner in the shown range, in words.
pub(crate) struct Change {
    /// `Thu 23:00–01:00`.
    pub(crate) range: String,
    /// The winning trigger (id and name) and its config's name; none for the baseline.
    pub(crate) trigger: Option<(i64, String)>,
    pub(crate) config: Option<String>,
    pub(crate) palette: String,
    /// Why it wins: `the only active one`, `started later than “a”`, `tie broken by the
    /// higher id (#3 over #2)`; for the baseline, `no window is open`.
    pub(crate) why: String,
    /// Whether the trigger has a page to link to (not the one being edited).
    pub(crate) link: bool,
}

/// The timeline as an SVG element, ready to be placed in a page, with its legend and the list
/// of changes for the page around it.
#[derive(Template)]
#[template(path = "timeline.svg", escape = "html")]
pub(crate) struct Timeline {
    width: f64,
    height: f64,
    axis: f64,
    bottom: f64,
    ticks: Vec<Tick>,
    winner_y: Px,
    spans: Vec<Span>,
    rows: Vec<Row>,
    hidden: usize,
    hidden_y: Option<Px>,
    now_x: Option<Px>,
    now_label_x: Px,
    now_label_y: Px,
    now_anchor: &'static str,
    now_text: String,
    /// The configs of the triggers drawn, by id.
    pub(crate) legend: Vec<LegendItem>,
    pub(crate) changes: Vec<Change>,
}

/// `Thu 23:00–01:00`, or `Thu 23:00–Fri 01:00` when over a day apart.
fn range_text(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let to = if end - start < Duration::hours(24) {
        end.format("%H:%M")
    } else {
        end.format("%a %H:%M")
    };
    format!("{}–{to}", start.format("%a %H:%M"))
}

/// Why `winner` wins among `covering` (the active triggers whose window holds the instant).
fn why(winner: &Trigger, covering: &[&Trigger]) -> String {
    let others: Vec<&&Trigger> = covering.iter().filter(|t| t.id != winner.id).collect();
    if others.is_empty() {
        return "the only active one".into();
    }
    let tied: Vec<String> = others
        .iter()
        .filter(|t| t.start == winner.start)
        .map(|t| format!("#{}", t.id.0))
        .collect();
    let earlier: Vec<String> = others
        .iter()
        .filter(|t| t.start != winner.start)
        .map(|t| format!("“{}”", t.name))
        .collect();
    match (earlier.is_empty(), tied.is_empty()) {
        (false, true) => format!("started later than {}", earlier.join(", ")),
        (true, _) => format!(
            "tie broken by the higher id (#{} over {})",
            winner.id.0,
            tied.join(", ")
        ),
        (false, false) => format!(
            "started later than {}; tie broken by the higher id (#{} over {})",
            earlier.join(", "),
            winner.id.0,
            tied.join(", ")
        ),
    }
}

/// The stretches of one winner over `[from, to)` the list of changes names: a stretch of less
/// than a minute (a window stopped moments after it started) would read "22:19–22:19", a
/// window that is no window, so it is left out, and the stretches around it with the same
/// winner are one.
fn listed_spans(
    triggers: &[Trigger],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<schedule::Span> {
    let mut spans: Vec<schedule::Span> = Vec::new();
    for s in schedule::timeline(triggers, from, to) {
        if s.end - s.start < Duration::minutes(1) && s.start != from && s.end != to {
            continue;
        }
        match spans.last_mut() {
            Some(last) if last.winner == s.winner => last.end = s.end,
            _ => spans.push(s),
        }
    }
    spans
}

/// The changes of winner over `[from, to)`, in words, with why each one wins.
pub(crate) fn changes(
    triggers: &[Trigger],
    configs: &BTreeMap<ConfigId, String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Change> {
    let by_id: BTreeMap<TriggerId, &Trigger> = triggers.iter().map(|t| (t.id, t)).collect();
    listed_spans(triggers, from, to)
        .iter()
        .map(|s| {
            let range = range_text(s.start, s.end);
            match s.winner.and_then(|id| by_id.get(&id)) {
                Some(t) => {
                    let covering: Vec<&Trigger> =
                        triggers.iter().filter(|o| o.covers(s.start)).collect();
                    Change {
                        range,
                        trigger: Some((t.id.0, t.name.clone())),
                        config: Some(
                            configs
                                .get(&t.config_id)
                                .cloned()
                                .unwrap_or_else(|| format!("config #{}", t.config_id.0)),
                        ),
                        palette: palette(t.config_id),
                        why: why(t, &covering),
                        link: true,
                    }
                }
                None => Change {
                    range,
                    trigger: None,
                    config: None,
                    palette: "baseline".into(),
                    why: "no window is open".into(),
                    link: false,
                },
            }
        })
        .collect()
}

/// What the trigger form says when `this` window (as typed; an open start from `now`, an open
/// end for a week) overlaps other active triggers: their names, and who wins when over the
/// window, `this` counted as active. Empty when it overlaps none.
pub(crate) fn overlaps(
    this: &Trigger,
    others: &[Trigger],
    configs: &BTreeMap<ConfigId, String>,
    now: DateTime<Utc>,
) -> (Vec<String>, Vec<Change>) {
    let from = this.start.unwrap_or(now);
    let to = this.end.unwrap_or(from + Duration::days(7));
    if to <= from {
        return (Vec::new(), Vec::new());
    }
    let overlapping: Vec<&Trigger> = others
        .iter()
        .filter(|t| t.id != this.id && t.is_active && t.has_window())
        .filter(|t| t.start.is_none_or(|s| s < to) && t.end.is_none_or(|e| e > from))
        .collect();
    if overlapping.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut all: Vec<Trigger> = overlapping.iter().map(|t| (*t).clone()).collect();
    let mut this = this.clone();
    this.is_active = true;
    let id = this.id.0;
    all.push(this);
    let mut changes = changes(&all, configs, from, to);
    for c in &mut changes {
        c.link = c.trigger.as_ref().is_some_and(|(t, _)| *t != id);
    }
    (
        overlapping
            .iter()
            .map(|t| format!("“{}”", t.name))
            .collect(),
        changes,
    )
}

/// The winners over `[from, to)` on top, then each active trigger whose window meets it; bars
/// link to `{base}/triggers/{id}`. Triggers of scoped configs (`scopes`: their scope in words,
/// by config) never win the top row: they run beside the winner, on rows of their own after the
/// others, labelled with their scope.
pub(crate) fn timeline(
    triggers: &[Trigger],
    configs: &BTreeMap<ConfigId, String>,
    scopes: &BTreeMap<ConfigId, String>,
    base: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Timeline {
    let scope_of = |t: &Trigger| scopes.get(&t.config_id);
    let mut shown: Vec<&Trigger> = triggers
        .iter()
        .filter(|t| t.is_active && t.has_window())
        .filter(|t| t.start.is_none_or(|s| s < to) && t.end.is_none_or(|e| e > from))
        .collect();
    shown.sort_by_key(|t| (scope_of(t).is_some(), t.start, t.id));
    let unscoped: Vec<Trigger> = triggers
        .iter()
        .filter(|t| scope_of(t).is_none())
        .cloned()
        .collect();
    let hidden = shown.len().saturating_sub(MAX_ROWS);
    let legend: Vec<LegendItem> = {
        let ids: std::collections::BTreeSet<ConfigId> = shown.iter().map(|t| t.config_id).collect();
        ids.into_iter()
            .map(|id| LegendItem {
                id: id.0,
                name: configs
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("config #{}", id.0)),
                palette: palette(id),
            })
            .collect()
    };
    shown.truncate(MAX_ROWS);
    let label = |t: &Trigger| {
        let text = match configs.get(&t.config_id) {
            Some(config) if *config != t.name => format!("{} ({config})", t.name),
            Some(_) => t.name.clone(),
            None => format!("{} (config #{})", t.name, t.config_id.0),
        };
        match scope_of(t) {
            Some(scope) => format!("{text}, only for {scope}"),
            None => text,
        }
    };
    let config_name = |t: &Trigger| {
        configs
            .get(&t.config_id)
            .cloned()
            .unwrap_or_else(|| format!("config #{}", t.config_id.0))
    };
    let longest = shown
        .iter()
        .map(|t| label(t).chars().count())
        .max()
        .unwrap_or(0);
    let label_w = (longest as f64 * CHAR + 16.0).clamp(LABEL_MIN, LABEL_MAX);
    let per_line = ((label_w - 12.0) / CHAR) as usize;
    let span = (to - from).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        let t = t.clamp(from, to);
        label_w + (WIDTH - label_w - 10.0) * ((t - from).num_seconds() as f64 / span)
    };
    let by_id: BTreeMap<TriggerId, &Trigger> = triggers.iter().map(|t| (t.id, t)).collect();
    let href = |id: TriggerId| format!("{base}/triggers/{}", id.0);

    // Axis lines: every hour over 6 h, 3 h over a day, 6 h over two, else at midnights.
    let hours = (to - from).num_hours();
    let step = Duration::hours(match hours {
        ..=6 => 1,
        7..=24 => 3,
        25..=48 => 6,
        _ => 24,
    });
    let mut ticks = Vec::new();
    let mut tick = from.duration_trunc(step).unwrap_or(from);
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
        tick += step;
    }

    let y0 = AXIS;
    let when = |t: DateTime<Utc>| t.format("%a %d %b %H:%M").to_string();
    let stretches = schedule::timeline(&unscoped, from, to);
    let spans = stretches
        .iter()
        .map(|s| {
            let winner = s.winner.and_then(|id| by_id.get(&id));
            let wide = x(s.end) - x(s.start);
            let (text, title) = match winner {
                Some(t) => (config_name(t), label(t)),
                None => ("baseline".to_string(), "baseline".to_string()),
            };
            let fits = ((wide - 8.0) / BAR_CHAR) as usize;
            Span {
                href: winner.map(|t| href(t.id)),
                palette: winner.map_or_else(|| "baseline".into(), |t| palette(t.config_id)),
                class: if winner.is_some() { "win" } else { "baseline" },
                x: Px(x(s.start)),
                y: Px(y0 + 3.0),
                width: Px(wide.max(1.0)),
                height: Px(ROW - 6.0),
                title: format!("{title} · {} to {} UTC", when(s.start), when(s.end)),
                label: (fits >= 3).then(|| cut(&text, fits)),
                label_x: Px(x(s.start) + 4.0),
            }
        })
        .collect();

    let mut y = AXIS + ROW;
    let rows = shown
        .iter()
        .map(|t| {
            let text = label(t);
            let lines = wrap(&text, per_line);
            let height = ROW + LINE * (lines.len() - 1) as f64;
            let start = t.start.unwrap_or(from);
            let end = t.end.unwrap_or(to);
            let row = Row {
                href: href(t.id),
                palette: palette(t.config_id),
                lines: lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, text)| Line {
                        y: Px(y + 16.0 + LINE * i as f64),
                        text,
                    })
                    .collect(),
                x: Px(x(start)),
                y: Px(y + 5.0),
                width: Px((x(end) - x(start)).max(2.0)),
                height: Px(ROW - 10.0),
                title: format!(
                    "trigger {} (config {}{}) · {} to {} UTC",
                    t.name,
                    config_name(t),
                    scope_of(t).map_or(String::new(), |s| format!(", only for {s}")),
                    t.start.map_or("always".into(), when),
                    t.end.map_or("never".into(), when),
                ),
            };
            y += height;
            row
        })
        .collect();
    let hidden_y = (hidden > 0).then(|| {
        let at = Px(y + 16.0);
        y += ROW;
        at
    });
    let bottom = y + 4.0;
    let height = bottom + FOOT;

    let mut changes = changes(&unscoped, configs, from, to);
    // What runs is what runs for the records no scoped window matches: "no window is open" or
    // "the only active one" would be untrue next to open scoped windows, so they are counted.
    let scoped: Vec<&Trigger> = triggers
        .iter()
        .filter(|t| scope_of(t).is_some() && t.is_active && t.has_window())
        .collect();
    for (change, s) in changes.iter_mut().zip(listed_spans(&unscoped, from, to)) {
        let open = scoped
            .iter()
            .filter(|t| t.start.is_none_or(|st| st < s.end) && t.end.is_none_or(|e| e > s.start))
            .count();
        if open > 0 {
            let windows = if open == 1 {
                "1 scoped window is".to_string()
            } else {
                format!("{open} scoped windows are")
            };
            let beside = if s.start <= now && now < s.end {
                format!("({windows} open beside it: see Scoped windows)")
            } else {
                format!("({windows} open beside it in this time)")
            };
            change.why = match &change.trigger {
                None => format!("no unscoped window is open {beside}"),
                Some(_) if change.why == "the only active one" => {
                    format!("the only unscoped one open {beside}")
                }
                Some(_) => format!("{} {beside}", change.why),
            };
        }
    }

    let now_x = (now >= from && now <= to).then(|| x(now));
    let right = now_x.is_some_and(|x| x > WIDTH - 90.0);
    Timeline {
        width: WIDTH,
        height,
        axis: AXIS,
        bottom,
        ticks,
        winner_y: Px(y0 + 16.0),
        spans,
        rows,
        hidden,
        hidden_y,
        now_x: now_x.map(Px),
        now_label_x: Px(now_x.map_or(0.0, |x| if right { x - 3.0 } else { x + 3.0 })),
        now_label_y: Px(bottom + 12.0),
        now_anchor: if right { "end" } else { "start" },
        now_text: format!("now {}", now.format("%H:%M")),
        legend,
        changes,
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
        let configs = BTreeMap::from([
            (ConfigId(7), "a & b".to_string()),
            (ConfigId(8), "acme".to_string()),
        ]);
        // A scoped config's window: a row of its own, never the winner.
        let scoped = Trigger {
            id: TriggerId(2),
            name: "acme debug".into(),
            config_id: ConfigId(8),
            start: Some(now),
            ..t.clone()
        };
        let scopes = BTreeMap::from([(ConfigId(8), "tenant=acme".to_string())]);
        let svg = timeline(
            &[t, scoped],
            &configs,
            &scopes,
            "/admin",
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
        assert_eq!(svg.matches(r#"class="window""#).count(), 2);
        assert_eq!(svg.matches(r#"class="win""#).count(), 1, "{svg}");
        assert!(svg.contains("only for tenant=acme"), "{svg}");
        assert!(svg.contains(r#"class="now""#));
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    }
}
