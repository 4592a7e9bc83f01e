//! The live tail: the in-memory handler's records, as a page and as server-sent events.
//!
//! The page shows the newest records kept (newest at the bottom) and the window running now;
//! the stream follows with what arrives after them. Both keep only what the filter keeps: a
//! level, a target (starting with or containing some text), a message text (contained,
//! whatever the case), and, unless asked for, none of the admin's own records (its requests in
//! the web server's access log and its `dynlog::admin` target).

use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use dynlog_core::handler::CapturedRecord;
use dynlog_core::{Controller, Error, Level, MemoryHandler};

use super::frame::{Ctx, Frame, admitted, html, quoted};
use super::{LEVELS, Page};
use crate::AdminState;
use crate::auth::Session;
use crate::sync::lock;

struct TailRow {
    seq: u64,
    at: String,
    level: &'static str,
    target: String,
    message: String,
}

/// What runs now, as the top of the tail shows it, and the scoped windows open beside it in
/// words (` (and 2 scoped windows open beside it)`, or nothing): one read of the status.
fn window_now(controller: &Controller) -> (Option<WindowView>, String) {
    let status = controller.status();
    let window = status.current.map(|run| WindowView {
        trigger: run.trigger.name,
        trigger_id: run.trigger.id.0,
        config: run.config.name,
        config_id: run.config.id.0,
    });
    let scoped = match status.scoped.len() {
        0 => String::new(),
        1 => " (and 1 scoped window open beside it)".into(),
        n => format!(" (and {n} scoped windows open beside it)"),
    };
    (window, scoped)
}

/// The window running now, as the top of the tail shows it.
struct WindowView {
    trigger: String,
    trigger_id: i64,
    config: String,
    config_id: i64,
}

impl WindowView {
    /// In words, for the stream: "config “x” by trigger “y”".
    fn words(window: Option<&WindowView>) -> String {
        match window {
            Some(w) => format!(
                "config {} by trigger {}",
                quoted(&w.config),
                quoted(&w.trigger)
            ),
            None => "the baseline".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "tail.html")]
struct TailPage {
    page: Frame,
    available: bool,
    levels: &'static [&'static str],
    level: String,
    target: String,
    contains: bool,
    text: String,
    hide_admin: bool,
    max_filter: usize,
    window: Option<WindowView>,
    /// The scoped windows open beside it, in words (empty for none).
    scoped: String,
    kept: usize,
    rows: Vec<TailRow>,
    events: String,
}

#[derive(serde::Deserialize)]
pub(crate) struct TailFilter {
    level: Option<String>,
    target: Option<String>,
    /// How the target matches: `prefix` (the default) or `contains`.
    #[serde(rename = "match")]
    how: Option<String>,
    text: Option<String>,
    /// The checkbox hiding the admin's own records; it counts once the filter form was sent
    /// (`form` is there), and before that they are hidden.
    hide_admin: Option<String>,
    form: Option<String>,
    after: Option<u64>,
}

/// The longest target or text a filter takes, in characters.
const MAX_FILTER: usize = 200;

/// The target of the web server's access log (actix-web's `Logger`).
const ACCESS_LOG: &str = "actix_web::middleware::logger";
/// The admin's own target.
const ADMIN_TARGET: &str = "dynlog::admin";

/// Which records a tail shows: at `level` or more severe, under a target prefix (or containing
/// a target text), with a message containing `text` whatever the case, and without the admin's
/// own records when `hide_admin`.
#[derive(Clone)]
struct TailSelect {
    level: Level,
    target: String,
    contains: bool,
    /// Lower case.
    text: String,
    hide_admin: bool,
    /// The admin's path, whose requests are its own.
    base: String,
}

/// A filter's text, trimmed, refused when longer than [`MAX_FILTER`] characters.
fn bounded(value: Option<&str>, field: &'static str) -> Result<String, Error> {
    let value = value.unwrap_or("").trim();
    let length = value.chars().count();
    if length > MAX_FILTER {
        return Err(Error::Invalid {
            field,
            value: format!("of {length} characters"),
            reason: format!("a filter is at most {MAX_FILTER} characters"),
        });
    }
    Ok(value.to_string())
}

impl TailSelect {
    fn new(q: &TailFilter, base: &str) -> Result<TailSelect, Error> {
        let level = Level::parse_optional(q.level.as_deref().unwrap_or(""), "level")?
            .unwrap_or(Level::Trace);
        let contains = match q.how.as_deref().unwrap_or("") {
            "" | "prefix" => false,
            "contains" => true,
            other => {
                return Err(Error::Invalid {
                    field: "match",
                    value: other.chars().take(20).collect(),
                    reason: "the target matches by \"prefix\" or \"contains\"".into(),
                });
            }
        };
        Ok(TailSelect {
            level,
            target: bounded(q.target.as_deref(), "target")?,
            contains,
            text: bounded(q.text.as_deref(), "text")?.to_lowercase(),
            hide_admin: q.hide_admin.is_some() || q.form.is_none(),
            base: base.to_string(),
        })
    }

    fn keeps(&self, r: &CapturedRecord) -> bool {
        r.level <= self.level
            && r.level != Level::Off
            && if self.contains {
                r.target.contains(&self.target)
            } else {
                r.target.starts_with(&self.target)
            }
            && (self.text.is_empty() || r.message.to_lowercase().contains(&self.text))
            && !(self.hide_admin && self.is_admins(r))
    }

    /// The admin's own record: under its target, or its request in the access log (the request
    /// line, `"GET /admin/tail HTTP/1.1"`, is under the admin's path).
    fn is_admins(&self, r: &CapturedRecord) -> bool {
        if r.target == ADMIN_TARGET || r.target.starts_with("dynlog::admin::") {
            return true;
        }
        if r.target != ACCESS_LOG {
            return false;
        }
        let base = self.base.trim_end_matches('/');
        let path = r
            .message
            .split('"')
            .nth(1)
            .and_then(|line| line.split(' ').nth(1));
        match path {
            Some(path) => {
                base.is_empty()
                    || path == base
                    || path
                        .strip_prefix(base)
                        .is_some_and(|rest| rest.starts_with(['/', '?']))
            }
            None => false,
        }
    }

    /// The query string of the same filter, for the stream and links.
    fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("level", self.level.as_str())
            .append_pair("target", &self.target)
            .append_pair("match", if self.contains { "contains" } else { "prefix" })
            .append_pair("text", &self.text)
            .append_pair("form", "1");
        if self.hide_admin {
            q.append_pair("hide_admin", "on");
        }
        q.finish()
    }
}

const TAIL_ROWS: usize = 200;

pub(crate) async fn tail(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TailFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let select = TailSelect::new(&q, &state.base)
        .map_err(|e| ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let records = state
        .tail
        .as_ref()
        .map(MemoryHandler::snapshot)
        .unwrap_or_default();
    let last_seq = records.last().map_or(0, |r| r.seq);
    let mut rows: Vec<TailRow> = records
        .iter()
        .rev()
        .filter(|r| select.keeps(r))
        .take(TAIL_ROWS)
        .map(|r| TailRow {
            seq: r.seq,
            at: r.at.format("%H:%M:%S%.3f").to_string(),
            level: r.level.as_str(),
            target: r.target.clone(),
            message: r.message_and_kv(),
        })
        .collect();
    rows.reverse();
    let events = format!(
        "{}/tail/events?{}&after={last_seq}",
        state.base,
        select.query()
    );
    let (window, scoped) = window_now(&ctx.controller());
    Ok(html(
        StatusCode::OK,
        &TailPage {
            page: ctx.frame("tail"),
            available: state.tail.is_some(),
            levels: &LEVELS[1..],
            level: select.level.as_str().to_string(),
            contains: select.contains,
            text: q.text.as_deref().unwrap_or("").trim().to_string(),
            hide_admin: select.hide_admin,
            max_filter: MAX_FILTER,
            window,
            scoped,
            kept: records.len(),
            target: select.target,
            rows,
            events,
        },
    ))
}
/// Server-sent events: each record after `after` that the filter keeps, as JSON, as it arrives
/// (the ring is read every 200 ms; a comment every 15 s keeps proxies from closing the stream);
/// and a `window` event, `{"running": "config “x” by trigger “y”"}` or `"the baseline"`, when
/// the window running changes (checked with the session, every few seconds).
/// The most live tail streams one session may hold open at once.
pub const MAX_TAILS: usize = 3;
/// How often a live tail checks that its session still holds.
const TAIL_RECHECK: StdDuration = StdDuration::from_secs(5);

/// The open live tail streams of each session, by the session's CSRF token (one per login).
pub(crate) type TailCounts =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>;

/// One open live tail stream, counted while it lives.
struct TailGuard {
    counts: TailCounts,
    session: String,
}

impl TailGuard {
    /// Counts a stream for `session`, unless it already has [`MAX_TAILS`]; the check and the
    /// count happen under one lock.
    fn open(counts: &TailCounts, session: &str) -> Option<TailGuard> {
        let mut open = lock(counts);
        let n = open.entry(session.to_string()).or_default();
        if *n >= MAX_TAILS {
            return None;
        }
        *n += 1;
        Some(TailGuard {
            counts: counts.clone(),
            session: session.to_string(),
        })
    }
}

impl Drop for TailGuard {
    fn drop(&mut self) {
        let mut open = lock(&self.counts);
        if let Some(n) = open.get_mut(&self.session) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.session);
            }
        }
    }
}

/// What a live tail stream carries from one poll to the next.
struct Follow {
    memory: MemoryHandler,
    seq: u64,
    select: TailSelect,
    idle: u32,
    controller: Controller,
    /// The trigger and config running when last checked, and the scoped windows then.
    window: (Option<(i64, i64)>, String),
    _guard: TailGuard,
    accounts: std::sync::Arc<dyn dynlog_core::store::AccountStore>,
    session: Session,
    checked: std::time::Instant,
}

pub(crate) async fn tail_events(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TailFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let select = TailSelect::new(&q, &state.base)
        .map_err(|e| ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let Some(memory) = state.tail.clone() else {
        return Err(ctx.error(
            StatusCode::NOT_FOUND,
            "this instance keeps no records in memory",
        ));
    };
    // A browser reconnecting goes on after the last record it had, not the page's.
    let resumed = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let after = resumed
        .or(q.after)
        .unwrap_or_else(|| memory.snapshot().last().map_or(0, |r| r.seq));
    let Some(guard) = TailGuard::open(&state.tails, &ctx.session.csrf) else {
        return Err(ctx.error(
            StatusCode::TOO_MANY_REQUESTS,
            format!("at most {MAX_TAILS} live tails per session: close one first"),
        ));
    };
    let follow = Follow {
        memory,
        seq: after,
        select,
        idle: 0,
        window: {
            let (window, scoped) = window_now(&ctx.controller());
            (window.map(|w| (w.trigger_id, w.config_id)), scoped)
        },
        controller: ctx.controller(),
        _guard: guard,
        accounts: ctx.state.accounts.clone(),
        session: ctx.session.clone(),
        checked: std::time::Instant::now(),
    };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        loop {
            let mut out = String::new();
            // The session is checked again every few seconds: the stream ends with it. The
            // window running is looked at then too.
            if f.checked.elapsed() >= TAIL_RECHECK {
                f.checked = std::time::Instant::now();
                match admitted(&f.accounts, f.session.clone()).await {
                    Ok(Some(_)) => {}
                    _ => return None,
                }
                let (window, scoped) = window_now(&f.controller);
                let key = (window.as_ref().map(|w| (w.trigger_id, w.config_id)), scoped);
                if key != f.window {
                    let data = serde_json::json!({
                        "running": WindowView::words(window.as_ref()),
                        "scoped": key.1,
                    });
                    f.window = key;
                    out.push_str(&format!("event: window\ndata: {data}\n\n"));
                }
            }
            let fresh = f.memory.since(f.seq);
            if let Some(last) = fresh.last() {
                f.seq = last.seq;
            }
            for r in fresh.iter().filter(|r| f.select.keeps(r)) {
                let data = serde_json::json!({
                    "seq": r.seq,
                    "at": r.at.format("%H:%M:%S%.3f").to_string(),
                    "level": r.level.as_str(),
                    "target": r.target,
                    // The page writes the key-values after the message, as its rows do.
                    "message": r.message,
                    "kv": r.kv,
                });
                out.push_str(&format!("id: {}\ndata: {data}\n\n", r.seq));
            }
            if out.is_empty() && f.idle >= 75 {
                out.push_str(": keep-alive\n\n");
            }
            if !out.is_empty() {
                f.idle = 0;
                return Some((Ok::<_, actix_web::Error>(Bytes::from(out)), f));
            }
            f.idle += 1;
            actix_web::rt::time::sleep(StdDuration::from_millis(200)).await;
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
