//! The audit log as a history, newest first, a page at a time: each change in one line with
//! names and links, its before and after as a diff, filtered by who, what and when.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use dynlog_core::store::{AuditEntry, AuditQuery};
use serde_json::Value;

use super::Page;
use super::frame::{Ctx, Frame, html, when};
use crate::AdminState;

/// One line of a diff: `" "` kept, `"del"` removed, `"ins"` added.
pub(super) struct DiffLine {
    pub(super) class: &'static str,
    pub(super) mark: &'static str,
    pub(super) text: String,
}

/// What a row says in a line: `{verb} {entity} “{name}”{details}`, the name a link to the
/// entity while it exists.
#[derive(Clone)]
struct Summary {
    verb: String,
    entity: String,
    name: String,
    href: Option<String>,
    details: String,
}

/// One entry of a row: what it says and its before and after.
struct AuditPart {
    id: i64,
    action: String,
    entity: String,
    entity_id: i64,
    summary: Summary,
    diff: Vec<DiffLine>,
    before: Option<String>,
    after: Option<String>,
}

/// One operator action: the entries one write made (a config with its trigger, a config
/// deleted with its triggers), newest first; most actions are one entry.
struct AuditRow {
    /// The newest entry's id.
    id: i64,
    /// The entries' ids, as the first column shows them.
    ids: String,
    at: String,
    actor: String,
    /// The role the change was made with (empty for entries older than roles, and `system`).
    role: &'static str,
    /// What the row says: one line for the action.
    summaries: Vec<Summary>,
    parts: Vec<AuditPart>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Frame,
    rows: Vec<AuditRow>,
    /// The link to the next older page, filters kept.
    older: Option<String>,
    /// The link to the newest page, filters kept, when this page is not it.
    newest: Option<String>,
    error: Option<String>,
    /// Said when the search stopped before a page was full.
    scanned: Option<String>,
    actor: String,
    /// The kinds "what" offers, the chosen one marked.
    kinds: Vec<(&'static str, bool)>,
    entity_id: String,
    from: String,
    to: String,
    filtered: bool,
}

/// The page's parameters, as typed: each is checked by hand so that a bad one is a message.
#[derive(serde::Deserialize, Default)]
pub(crate) struct Params {
    before: Option<String>,
    actor: Option<String>,
    entity: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The filters once checked.
#[derive(Default)]
struct Filter {
    before: Option<i64>,
    actor: Option<String>,
    entity: Option<&'static str>,
    entity_id: Option<i64>,
    from: Option<DateTime<Utc>>,
    /// Excluded: the day after the `to` date.
    until: Option<DateTime<Utc>>,
}

impl Filter {
    fn any(&self) -> bool {
        self.actor.is_some()
            || self.entity.is_some()
            || self.entity_id.is_some()
            || self.from.is_some()
            || self.until.is_some()
    }

    fn matches(&self, e: &AuditEntry) -> bool {
        // "alice" finds alice's changes whatever her role was ("alice (operator)").
        self.actor
            .as_deref()
            .is_none_or(|a| e.actor == a || dynlog_core::store::audit_actor_parts(&e.actor).0 == a)
            && self.entity.is_none_or(|k| e.entity == k)
            && self.entity_id.is_none_or(|id| e.entity_id == id)
            && self.from.is_none_or(|from| e.at >= from)
            && self.until.is_none_or(|until| e.at < until)
    }
}

const AUDIT_PAGE: usize = 50;
/// Entries read from the store at a time while filtering.
const BATCH: usize = 200;
/// At most this many entries are searched for one page; "Older" goes on from there.
const SCAN: usize = 2000;
/// The longest actor a filter takes.
const ACTOR_MAX: usize = 100;
const ENTITIES: [&str; 4] = ["config", "trigger", "account", "token"];

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn date(v: &Option<String>, field: &str) -> Result<Option<NaiveDate>, String> {
    given(v)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| format!("“{field}” must be a date like 2026-01-31."))
        })
        .transpose()
}

fn parse(p: &Params) -> Result<Filter, String> {
    let before = given(&p.before)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("“before” must be an entry number.".to_string())
        })
        .transpose()?;
    let actor = given(&p.actor)
        .map(|v| {
            if v.chars().count() > ACTOR_MAX {
                Err(format!("“who” is at most {ACTOR_MAX} characters."))
            } else {
                Ok(v.to_string())
            }
        })
        .transpose()?;
    let entity = given(&p.entity)
        .map(|v| {
            ENTITIES
                .into_iter()
                .find(|k| *k == v)
                .ok_or("“what” is config, trigger, account or token.".to_string())
        })
        .transpose()?;
    let entity_id = given(&p.entity_id)
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or("“id” must be a whole number.".to_string())
        })
        .transpose()?;
    let from = date(&p.from, "from")?;
    let to = date(&p.to, "to")?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err("“to” must not be before “from”.".into());
    }
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    Ok(Filter {
        before,
        actor,
        entity,
        entity_id,
        from: from.and_then(midnight),
        until: to.and_then(|d| d.succ_opt()).and_then(midnight),
    })
}

fn kinds(p: &Params) -> Vec<(&'static str, bool)> {
    ENTITIES
        .into_iter()
        .map(|k| (k, given(&p.entity) == Some(k)))
        .collect()
}

/// The page's address with these filters and `before`.
fn link(base: &str, p: &Params, before: Option<i64>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("actor", &p.actor),
        ("entity", &p.entity),
        ("entity_id", &p.entity_id),
        ("from", &p.from),
        ("to", &p.to),
    ] {
        if let Some(v) = given(value) {
            query.append_pair(key, v);
        }
    }
    if let Some(before) = before {
        query.append_pair("before", &before.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        format!("{base}/audit")
    } else {
        format!("{base}/audit?{query}")
    }
}

pub(crate) async fn audit(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<Params>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let p = q.into_inner();
    let base = state.base.clone();
    let filter = match parse(&p) {
        Ok(filter) => filter,
        Err(message) => {
            return Ok(html(
                StatusCode::BAD_REQUEST,
                &AuditPage {
                    page: ctx.frame("audit"),
                    rows: Vec::new(),
                    older: None,
                    newest: Some(format!("{base}/audit")),
                    error: Some(message),
                    scanned: None,
                    actor: given(&p.actor).unwrap_or_default().to_string(),
                    kinds: kinds(&p),
                    entity_id: given(&p.entity_id).unwrap_or_default().to_string(),
                    from: given(&p.from).unwrap_or_default().to_string(),
                    to: given(&p.to).unwrap_or_default().to_string(),
                    filtered: true,
                },
            ));
        }
    };
    let filtered = filter.any();
    let before = filter.before;
    let (entries, older, scanned, configs, triggers) = ctx
        .block(move |c| {
            let store = c.store();
            let mut found = Vec::new();
            let mut cursor = filter.before;
            let mut seen = 0;
            let mut older = None;
            let mut scanned = None;
            'scan: loop {
                let batch = if filter.any() { BATCH } else { AUDIT_PAGE };
                let entries = store.audit(AuditQuery {
                    before: cursor,
                    limit: batch,
                })?;
                let last = entries.len() < batch;
                for e in entries {
                    // A full page ends where a write's entries end: one action is not split
                    // across pages.
                    if found.len() >= AUDIT_PAGE && !same_write(&found[found.len() - 1], &e) {
                        older = cursor;
                        break 'scan;
                    }
                    seen += 1;
                    cursor = Some(e.id);
                    // Entries are newest first: once older than `from`, none can match.
                    if filter.from.is_some_and(|from| e.at < from) {
                        break 'scan;
                    }
                    if filter.matches(&e) {
                        found.push(e);
                    }
                    if seen == SCAN {
                        older = cursor;
                        scanned = cursor;
                        break 'scan;
                    }
                }
                if last {
                    break;
                }
            }
            let configs = store.configs()?;
            let triggers = store.triggers()?;
            Ok((found, older, scanned, configs, triggers))
        })
        .await?;
    let names = Names {
        base: base.clone(),
        configs: configs.iter().map(|c| (c.id.0, c.name.clone())).collect(),
        triggers: triggers.iter().map(|t| t.id.0).collect(),
    };
    let rows = rows(&entries, &names);
    Ok(html(
        StatusCode::OK,
        &AuditPage {
            page: ctx.frame("audit"),
            rows,
            older: older.map(|id| link(&base, &p, Some(id))),
            newest: before.is_some().then(|| link(&base, &p, None)),
            error: None,
            scanned: scanned.map(|id| {
                format!(
                    "Searched the {SCAN} entries down to #{id}: “Older” searches on from there."
                )
            }),
            actor: given(&p.actor).unwrap_or_default().to_string(),
            kinds: kinds(&p),
            entity_id: given(&p.entity_id).unwrap_or_default().to_string(),
            from: given(&p.from).unwrap_or_default().to_string(),
            to: given(&p.to).unwrap_or_default().to_string(),
            filtered,
        },
    ))
}

/// What the rows link to: the configs and triggers that exist now.
struct Names {
    base: String,
    configs: BTreeMap<i64, String>,
    triggers: HashSet<i64>,
}

fn pretty(v: &Option<Value>) -> Option<String> {
    v.as_ref()
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
}

fn part(e: &AuditEntry, names: &Names) -> AuditPart {
    let before = pretty(&e.before);
    let after = pretty(&e.after);
    AuditPart {
        id: e.id,
        action: e.action.clone(),
        entity: e.entity.clone(),
        entity_id: e.entity_id,
        summary: summary(e, names),
        diff: diff(
            before.as_deref().unwrap_or(""),
            after.as_deref().unwrap_or(""),
        ),
        before,
        after,
    }
}

/// Whether two audit entries were made by one write (one operator action).
fn same_write(a: &AuditEntry, b: &AuditEntry) -> bool {
    a.revision.is_some() && a.revision == b.revision && a.actor == b.actor
}

/// The entries as rows: consecutive entries of one write (one revision, one actor) make one
/// row.
fn rows(entries: &[AuditEntry], names: &Names) -> Vec<AuditRow> {
    let mut rows: Vec<AuditRow> = Vec::new();
    let mut group: Vec<&AuditEntry> = Vec::new();
    for e in entries {
        let joins = group.last().is_some_and(|last| same_write(last, e));
        if !joins && !group.is_empty() {
            rows.push(grouped(&group, names));
            group.clear();
        }
        group.push(e);
    }
    if !group.is_empty() {
        rows.push(grouped(&group, names));
    }
    rows
}

/// One row for the entries of one write, said as one action where it is a known one.
fn grouped(group: &[&AuditEntry], names: &Names) -> AuditRow {
    let newest = group[0];
    let parts: Vec<AuditPart> = group.iter().map(|e| part(e, names)).collect();
    let of = |action: &str, entity: &str| {
        parts
            .iter()
            .filter(|p| p.action == action && p.entity == entity)
            .count()
    };
    let count = parts.len();
    let mut summaries = Vec::new();
    let config = parts.iter().find(|p| p.entity == "config");
    match config {
        // "Debug for an hour" and the like: a config made with the trigger that runs it.
        Some(config)
            if count == 2 && of("create", "config") == 1 && of("create", "trigger") == 1 =>
        {
            let trigger = parts.iter().find(|p| p.entity == "trigger");
            let window = trigger
                .and_then(|t| group.iter().find(|e| e.id == t.id))
                .map(|e| window_words(&e.after, e.at))
                .unwrap_or_default();
            let mut s = config.summary.clone();
            s.details = format!(" with its trigger{window}");
            summaries.push(s);
        }
        // A config deleted, and with it the triggers that ran it.
        Some(config)
            if count > 1 && of("delete", "config") == 1 && of("delete", "trigger") == count - 1 =>
        {
            let mut s = config.summary.clone();
            s.details = match count - 1 {
                1 => " and its trigger".into(),
                n => format!(" and its {n} triggers"),
            };
            summaries.push(s);
        }
        _ if count > 1 && of("prune", "trigger") == count => summaries.push(Summary {
            verb: "pruned".into(),
            entity: format!("{count} ended triggers"),
            name: String::new(),
            href: None,
            details: String::new(),
        }),
        _ => summaries.extend(parts.iter().map(|p| p.summary.clone())),
    }
    AuditRow {
        id: newest.id,
        ids: group
            .iter()
            .rev()
            .map(|e| e.id.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        at: when(newest.at),
        actor: dynlog_core::store::audit_actor_parts(&newest.actor)
            .0
            .to_string(),
        role: dynlog_core::store::audit_actor_parts(&newest.actor)
            .1
            .map_or("", dynlog_core::store::Role::as_str),
        summaries,
        parts,
    }
}

/// A trigger document's window, as ` from … to …` (UTC, to the minute, the date left out on
/// `day_of`'s day).
fn window_words(trigger: &Option<Value>, day_of: DateTime<Utc>) -> String {
    let at = |k: &str| instant(trigger, k).map(|t| minute_of(t, day_of));
    match (at("start"), at("end")) {
        (Some(start), Some(end)) => format!(" from {start} to {end}"),
        (Some(start), None) => format!(" from {start}, open-ended"),
        (None, Some(end)) => format!(" until {end}"),
        (None, None) => ", always".into(),
    }
}

/// A document's string field.
fn text<'a>(v: &'a Option<Value>, key: &str) -> Option<&'a str> {
    v.as_ref()?.get(key)?.as_str()
}

fn summary(e: &AuditEntry, names: &Names) -> Summary {
    let name = text(&e.after, "name")
        .or_else(|| text(&e.before, "name"))
        .or_else(|| text(&e.after, "username"))
        .or_else(|| text(&e.before, "username"))
        .unwrap_or("")
        .to_string();
    let href = match e.entity.as_str() {
        "config" if names.configs.contains_key(&e.entity_id) => {
            Some(format!("{}/configs/{}", names.base, e.entity_id))
        }
        "trigger" if names.triggers.contains(&e.entity_id) => {
            Some(format!("{}/triggers/{}", names.base, e.entity_id))
        }
        _ => None,
    };
    let mut verb = match e.action.as_str() {
        "create" => "created",
        "delete" => "deleted",
        "prune" => "pruned",
        "update" => "",
        other => other,
    }
    .to_string();
    let mut details = String::new();
    if e.action == "update" {
        let changes = match e.entity.as_str() {
            "config" => config_changes(&e.before, &e.after),
            "trigger" => trigger_changes(&e.before, &e.after, names),
            "account" => account_changes(&e.before, &e.after),
            _ => field_changes(&e.before, &e.after),
        };
        let moved = (e.entity == "trigger").then(|| end_moved(e)).flatten();
        // A trigger switched on or off, stopped or extended, and nothing else, reads as what
        // was done.
        if let Some((verb_said, details_said)) = moved {
            verb = verb_said.into();
            details = details_said;
        } else if e.entity == "trigger" && changes.len() == 1 && changes[0].starts_with("activated")
        {
            verb = "activated".into();
        } else if e.entity == "trigger"
            && changes.len() == 1
            && changes[0].starts_with("deactivated")
        {
            verb = "deactivated".into();
        } else if changes.is_empty() {
            details = ": saved unchanged".into();
        } else {
            details = format!(": {}", changes.join("; "));
        }
    }
    Summary {
        verb,
        entity: e.entity.clone(),
        name,
        href,
        details,
    }
}

/// A JSON value in a line: strings bare, lists as `a, b`, nothing as `—`.
fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "none".into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| show(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

fn object(v: Option<&Value>) -> BTreeMap<String, Value> {
    match v {
        Some(Value::Object(map)) => map.clone().into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// The fields of `before` and `after` that differ, as `field a → b` (`level` left unsaid).
fn spec_changes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let (b, a) = (object(before), object(after));
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| {
            let change = format!("{} → {}", show(b.get(k)), show(a.get(k)));
            if k == "level" {
                change
            } else {
                format!("{k} {change}")
            }
        })
        .collect()
}

fn config_changes(before: &Option<Value>, after: &Option<Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(b), Some(a)) = (text(before, "name"), text(after, "name"))
        && a != b
    {
        out.push(format!("renamed from “{b}”"));
    }
    let body = |v: &Option<Value>, part: &str| {
        object(
            v.as_ref()
                .and_then(|v| v.get("body"))
                .and_then(|b| b.get(part)),
        )
    };
    for (part, label) in [("loggers", ""), ("handlers", "handler ")] {
        let (b, a) = (body(before, part), body(after, part));
        let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        for key in keys {
            let shown = if key.is_empty() { "root" } else { key };
            match (b.get(key), a.get(key)) {
                (x, y) if x == y => {}
                (None, Some(y)) => {
                    let set = object(Some(y))
                        .iter()
                        .map(|(k, v)| match k.as_str() {
                            "level" => show(Some(v)),
                            _ => format!("{k} {}", show(Some(v))),
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    out.push(format!("{label}{shown} added ({set})"));
                }
                (Some(_), None) => out.push(format!("{label}{shown} removed")),
                (x, y) => out.push(format!("{label}{shown} {}", spec_changes(x, y).join(", "))),
            }
        }
    }
    out
}

/// A trigger document's instant `key`, if set.
fn instant(v: &Option<Value>, key: &str) -> Option<DateTime<Utc>> {
    text(v, key)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// An instant as the audit says it: to the minute, the date left out on the entry's day.
fn minute_of(t: DateTime<Utc>, day_of: DateTime<Utc>) -> String {
    if t.date_naive() == day_of.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// "Stop now" and "Extend" as the audit says them: an update of a trigger that moved only its
/// end, earlier to about the moment of the change (stopped) or later (extended).
fn end_moved(e: &AuditEntry) -> Option<(&'static str, String)> {
    let (b, a) = (object(e.before.as_ref()), object(e.after.as_ref()));
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let changed: Vec<&String> = keys
        .into_iter()
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at") && b.get(*k) != a.get(*k))
        .collect();
    if changed.len() != 1 || changed[0] != "end" {
        return None;
    }
    let (old, new) = (instant(&e.before, "end")?, instant(&e.after, "end")?);
    if new > old {
        let by = new - old;
        let by = if by.num_minutes() % 60 == 0 {
            format!("{} h", by.num_hours())
        } else {
            format!("{} min", by.num_minutes())
        };
        Some((
            "extended",
            format!(" by {by}: it ends at {}", minute_of(new, e.at)),
        ))
    } else if (new - e.at).num_seconds().abs() <= 60 {
        Some((
            "stopped",
            format!(
                " at {} (it was to end at {})",
                minute_of(new, e.at),
                minute_of(old, e.at)
            ),
        ))
    } else {
        None
    }
}

fn trigger_changes(before: &Option<Value>, after: &Option<Value>, names: &Names) -> Vec<String> {
    let get = |v: &Option<Value>, k: &str| v.as_ref().and_then(|v| v.get(k)).cloned();
    let mut out = Vec::new();
    if let (Some(b), Some(a)) = (text(before, "name"), text(after, "name"))
        && a != b
    {
        out.push(format!("renamed from “{b}”"));
    }
    if get(before, "start") != get(after, "start") || get(before, "end") != get(after, "end") {
        let window = |v: &Option<Value>| {
            let at = |k| match get(v, k) {
                Some(Value::String(s)) => s.replace('T', " ").chars().take(16).collect::<String>(),
                _ => "open".into(),
            };
            format!("{}–{}", at("start"), at("end"))
        };
        out.push(format!("window {} → {}", window(before), window(after)));
    }
    if get(before, "config_id") != get(after, "config_id") {
        let config = |v: &Option<Value>| match get(v, "config_id").and_then(|v| v.as_i64()) {
            Some(id) => names
                .configs
                .get(&id)
                .map(|n| format!("“{n}”"))
                .unwrap_or_else(|| format!("#{id}")),
            None => "—".into(),
        };
        out.push(format!("config {} → {}", config(before), config(after)));
    }
    match (get(before, "is_active"), get(after, "is_active")) {
        (Some(Value::Bool(true)), Some(Value::Bool(false))) => out.push("deactivated".into()),
        (Some(Value::Bool(false)), Some(Value::Bool(true))) => out.push("activated".into()),
        _ => {}
    }
    out
}

/// An account: its hash is never in the audit, so a new password and "log out everywhere"
/// both read as a new session epoch.
fn account_changes(before: &Option<Value>, after: &Option<Value>) -> Vec<String> {
    field_changes(before, after)
        .into_iter()
        .map(|change| {
            if change.starts_with("session_epoch") {
                "sessions ended (a new password or “log out everywhere”)".into()
            } else {
                change
            }
        })
        .collect()
}

/// Any other entity: the top-level fields that changed, bookkeeping left out.
fn field_changes(before: &Option<Value>, after: &Option<Value>) -> Vec<String> {
    let (b, a) = (object(before.as_ref()), object(after.as_ref()));
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at") && b.get(*k) != a.get(*k))
        .map(|k| format!("{k} changed"))
        .collect()
}

/// The lines removed from `before` and added in `after`, the others kept (Myers' diff, with a
/// deadline so that no pair of documents costs more than a moment).
pub(super) fn diff(before: &str, after: &str) -> Vec<DiffLine> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .timeout(std::time::Duration::from_millis(50))
        .diff_lines(before, after);
    diff.iter_all_changes()
        .map(|change| {
            let (class, mark) = match change.tag() {
                similar::ChangeTag::Equal => ("", " "),
                similar::ChangeTag::Delete => ("del", "-"),
                similar::ChangeTag::Insert => ("ins", "+"),
            };
            DiffLine {
                class,
                mark,
                text: change.value().trim_end_matches('\n').to_string(),
            }
        })
        .collect()
}
