//! The audit log, newest first, a page at a time.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use dynlog_core::store::AuditQuery;

use super::Page;
use super::frame::{Ctx, Frame, html, when};
use crate::AdminState;

struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: i64,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Frame,
    rows: Vec<AuditRow>,
    older: Option<i64>,
    paged: bool,
}

#[derive(serde::Deserialize)]
pub(super) struct Before {
    before: Option<i64>,
}

const AUDIT_PAGE: usize = 50;

pub(super) async fn audit(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<Before>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let query = AuditQuery {
        before: q.before,
        limit: AUDIT_PAGE,
    };
    let entries = ctx.block(move |c| c.store().audit(query)).await?;
    let pretty = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
    };
    let older = (entries.len() == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let rows = entries
        .iter()
        .map(|e| AuditRow {
            id: e.id,
            at: when(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id,
            before: pretty(&e.before),
            after: pretty(&e.after),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &AuditPage {
            page: ctx.frame("audit"),
            rows,
            older,
            paged: q.before.is_some(),
        },
    ))
}
