//! The live tail: the in-memory handler's records, as a page and as server-sent events.

use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use dynlog_core::{Error, Level, MemoryHandler};

use super::frame::{Ctx, Frame, admitted, html};
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

#[derive(Template)]
#[template(path = "tail.html")]
struct TailPage {
    page: Frame,
    available: bool,
    levels: &'static [&'static str],
    level: String,
    target: String,
    rows: Vec<TailRow>,
    last_seq: u64,
}

#[derive(serde::Deserialize)]
pub(super) struct TailFilter {
    level: Option<String>,
    target: Option<String>,
    after: Option<u64>,
}

/// Which records a tail shows: at `level` or more severe, under a target prefix.
#[derive(Clone)]
struct TailSelect {
    level: Level,
    target: String,
}

impl TailSelect {
    fn new(q: &TailFilter) -> Result<TailSelect, Error> {
        let level = Level::parse_optional(q.level.as_deref().unwrap_or(""), "level")?
            .unwrap_or(Level::Trace);
        Ok(TailSelect {
            level,
            target: q.target.clone().unwrap_or_default().trim().to_string(),
        })
    }

    fn keeps(&self, r: &dynlog_core::handler::CapturedRecord) -> bool {
        r.level <= self.level && r.level != Level::Off && r.target.starts_with(&self.target)
    }
}

const TAIL_ROWS: usize = 200;

pub(super) async fn tail(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TailFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let select = TailSelect::new(&q)
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
            message: r.message.clone(),
        })
        .collect();
    rows.reverse();
    Ok(html(
        StatusCode::OK,
        &TailPage {
            page: ctx.frame("tail"),
            available: state.tail.is_some(),
            levels: &LEVELS[1..],
            level: select.level.as_str().to_string(),
            target: select.target,
            rows,
            last_seq,
        },
    ))
}

/// Server-sent events: each record after `after` that the filter keeps, as JSON, as it arrives
/// (the ring is read every 200 ms; a comment every 15 s keeps proxies from closing the stream).
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
    _guard: TailGuard,
    accounts: std::sync::Arc<dyn dynlog_core::store::AccountStore>,
    session: Session,
    checked: std::time::Instant,
}

pub(super) async fn tail_events(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TailFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let select = TailSelect::new(&q)
        .map_err(|e| ctx.error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let Some(memory) = state.tail.clone() else {
        return Err(ctx.error(
            StatusCode::NOT_FOUND,
            "this instance keeps no records in memory",
        ));
    };
    let after = q
        .after
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
        _guard: guard,
        accounts: ctx.state.accounts.clone(),
        session: ctx.session.clone(),
        checked: std::time::Instant::now(),
    };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        loop {
            // The session is checked again every few seconds: the stream ends with it.
            if f.checked.elapsed() >= TAIL_RECHECK {
                f.checked = std::time::Instant::now();
                match admitted(&f.accounts, f.session.clone()).await {
                    Ok(Some(_)) => {}
                    _ => return None,
                }
            }
            let fresh = f.memory.since(f.seq);
            if let Some(last) = fresh.last() {
                f.seq = last.seq;
            }
            let mut out = String::new();
            for r in fresh.iter().filter(|r| f.select.keeps(r)) {
                let data = serde_json::json!({
                    "seq": r.seq,
                    "at": r.at.format("%H:%M:%S%.3f").to_string(),
                    "level": r.level.as_str(),
                    "target": r.target,
                    "message": r.message,
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
