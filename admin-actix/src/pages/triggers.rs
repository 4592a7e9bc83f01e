//! Triggers: the list, the form with quick windows, activate or deactivate, delete.

use std::collections::{BTreeMap, HashSet};

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use askama::Template;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use dynlog_core::model::{ConfigId, ConfigKind, TriggerId};
use dynlog_core::{Config, Error, NewTrigger, Trigger};

use super::frame::{
    Ctx, Form, FormError, Frame, Invalid, delete, html, in_words, minute, missing_version, quoted,
    running_now, when, when_opt,
};
use super::{Page, conflict};
use crate::AdminState;
use crate::error::Error as AdminError;
use crate::input::typed_time;
use crate::svg;

/// What runs now, as a notice says it: the running config or the baseline, and how many scoped
/// windows are open beside it.
fn runs_now(c: &dynlog_core::Controller) -> String {
    scoped_open(c, "")
}

/// [`runs_now`] after a window was closed or removed: the scoped windows open are "still" open.
fn still_runs(c: &dynlog_core::Controller) -> String {
    scoped_open(c, "still ")
}

fn scoped_open(c: &dynlog_core::Controller, still: &str) -> String {
    match c.status().scoped.len() {
        0 => running_now(c),
        1 => format!("{}; 1 scoped window is {still}open", running_now(c)),
        n => format!("{}; {n} scoped windows are {still}open", running_now(c)),
    }
}

pub(super) struct Opt {
    value: i64,
    label: String,
    selected: bool,
}

struct TriggerRow {
    id: i64,
    name: String,
    config: String,
    config_id: i64,
    start: String,
    start_iso: String,
    end: String,
    end_iso: String,
    window: &'static str,
    running: bool,
    active: bool,
    version: i64,
}

#[derive(Template)]
#[template(path = "triggers.html")]
struct TriggersPage {
    page: Frame,
    rows: Vec<TriggerRow>,
    /// The triggers of debug actions' configs, listed apart (unless a filter asks for them).
    debug_rows: Vec<TriggerRow>,
    debug_running: bool,
    configs: ConfigOptions,
    active: String,
    filtered: bool,
}

#[derive(serde::Deserialize)]
pub(crate) struct TriggerFilter {
    active: Option<String>,
    config: Option<String>,
}

/// The configs a select offers: the ones operators wrote, then those debug actions made, in a
/// group of their own.
pub(super) struct ConfigOptions {
    manual: Vec<Opt>,
    debug: Vec<Opt>,
}

pub(super) fn config_options(configs: &[Config], selected: Option<ConfigId>) -> ConfigOptions {
    let opt = |c: &Config| Opt {
        value: c.id.0,
        label: c.name.clone(),
        selected: Some(c.id) == selected,
    };
    ConfigOptions {
        manual: configs
            .iter()
            .filter(|c| c.kind != ConfigKind::Debug)
            .map(opt)
            .collect(),
        debug: configs
            .iter()
            .filter(|c| c.kind == ConfigKind::Debug)
            .map(opt)
            .collect(),
    }
}

fn iso(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub(crate) async fn triggers(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<TriggerFilter>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let (triggers, configs) = ctx
        .block(|c| Ok((c.store().triggers()?, c.store().configs()?)))
        .await?;
    let now = ctx.controller().now();
    // A scoped config's triggers never compete with the others: every one covering now runs,
    // beside the winner, which is elected among the unscoped ones only.
    let scoped: HashSet<ConfigId> = configs
        .iter()
        .filter(|c| !c.body.scope.is_empty())
        .map(|c| c.id)
        .collect();
    let unscoped: Vec<Trigger> = triggers
        .iter()
        .filter(|t| !scoped.contains(&t.config_id))
        .cloned()
        .collect();
    let winner = dynlog_core::schedule::winner_at(&unscoped, now).map(|t| t.id);
    let runs = |t: &Trigger| {
        if scoped.contains(&t.config_id) {
            t.covers(now)
        } else {
            winner == Some(t.id)
        }
    };
    let active = q.active.clone().unwrap_or_default();
    let config = q
        .config
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok())
        .map(ConfigId);
    let names: BTreeMap<ConfigId, String> =
        configs.iter().map(|c| (c.id, c.name.clone())).collect();
    let debug: HashSet<ConfigId> = configs
        .iter()
        .filter(|c| c.kind == ConfigKind::Debug)
        .map(|c| c.id)
        .collect();
    let (debug_rows, rows): (Vec<TriggerRow>, Vec<TriggerRow>) = triggers
        .iter()
        .filter(|t| match active.as_str() {
            "yes" => t.is_active,
            "no" => !t.is_active,
            _ => true,
        })
        .filter(|t| config.is_none_or(|c| t.config_id == c))
        .map(|t| TriggerRow {
            id: t.id.0,
            name: t.name.clone(),
            config: names.get(&t.config_id).cloned().unwrap_or_default(),
            config_id: t.config_id.0,
            start: when_opt(t.start, "always"),
            start_iso: iso(t.start),
            end: when_opt(t.end, "never"),
            end_iso: iso(t.end),
            window: if t.end.is_some_and(|e| e <= now) {
                "ended"
            } else if t.start.is_some_and(|s| s > now) {
                "to come"
            } else {
                "open"
            },
            running: runs(t),
            active: t.is_active,
            version: t.version,
        })
        // Asked for by config, a debug window's trigger is in the main list.
        .partition(|row| config.is_none() && debug.contains(&ConfigId(row.config_id)));
    Ok(html(
        StatusCode::OK,
        &TriggersPage {
            page: ctx.frame("triggers"),
            rows,
            debug_running: debug_rows.iter().any(|r| r.running),
            debug_rows,
            configs: config_options(&configs, config),
            filtered: !active.is_empty() || config.is_some(),
            active,
        },
    ))
}

#[derive(Template)]
#[template(path = "trigger_form.html")]
struct TriggerPage {
    page: Frame,
    id: Option<i64>,
    version: Option<i64>,
    name: String,
    configs: ConfigOptions,
    start: String,
    end: String,
    is_active: bool,
    now: String,
    error: Option<FormError>,
    /// A new form nobody has typed in yet: only there does the end follow the start.
    fresh: bool,
    /// The window's length in words, next to the end.
    duration: String,
    /// The other active triggers this window overlaps, and who wins when over it.
    overlaps: Vec<String>,
    overlap_changes: Vec<svg::Change>,
    /// Set when what was edited changed meanwhile.
    conflict: Option<super::conflict::ConflictView>,
}

/// The overlaps of `this` (as typed) with the other triggers, and who wins when over it.
fn overlap_view(
    this: &Trigger,
    triggers: &[Trigger],
    configs: &[Config],
    now: DateTime<Utc>,
) -> (Vec<String>, Vec<svg::Change>) {
    let names: BTreeMap<ConfigId, String> =
        configs.iter().map(|c| (c.id, c.name.clone())).collect();
    // Scoped configs' windows never compete with the others: they run beside them.
    let scoped = |t: &Trigger| {
        configs
            .iter()
            .any(|c| c.id == t.config_id && !c.body.scope.is_empty())
    };
    let same_kind: Vec<Trigger> = triggers
        .iter()
        .filter(|t| scoped(t) == scoped(this))
        .cloned()
        .collect();
    svg::overlaps(this, &same_kind, &names, now)
}

/// The trigger a form would make, for the overlap warning: `id` for a new one is after every
/// trigger's, as the store gives it.
fn as_trigger(
    id: Option<TriggerId>,
    new: &NewTrigger,
    triggers: &[Trigger],
    now: DateTime<Utc>,
) -> Trigger {
    Trigger {
        id: id.unwrap_or_else(|| TriggerId(triggers.iter().map(|t| t.id.0).max().unwrap_or(0) + 1)),
        name: if new.name.trim().is_empty() {
            "this trigger".into()
        } else {
            new.name.clone()
        },
        is_active: new.is_active,
        start: new.start,
        end: new.end,
        config_id: new.config_id,
        version: 0,
        updated_at: now,
    }
}

/// How long the window typed in `start` and `end` is, in words ("2 h 0 min"); empty when either
/// is missing or unreadable.
fn duration_of(start: &str, end: &str) -> String {
    match (typed_time("start", start), typed_time("end", end)) {
        (Ok(Some(start)), Ok(Some(end))) if end > start => {
            in_words(start, end).trim_start_matches("in ").to_string()
        }
        (Ok(Some(_)), Ok(Some(_))) => "ends before it starts".into(),
        (_, Ok(None)) => "until deleted".into(),
        _ => String::new(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct ForConfig {
    config: Option<i64>,
}

pub(crate) async fn new_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    q: web::Query<ForConfig>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let (configs, triggers) = ctx
        .block(|c| Ok((c.store().configs()?, c.store().triggers()?)))
        .await?;
    let now = ctx.controller().now();
    let selected = q.config.map(ConfigId);
    let name = selected
        .and_then(|id| configs.iter().find(|c| c.id == id))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    // As in the seed: the window starts now and ends two hours later.
    let start = now.with_timezone(&Utc);
    let (overlaps, overlap_changes) = match selected.or_else(|| configs.first().map(|c| c.id)) {
        Some(config_id) => {
            let new = NewTrigger {
                name: name.clone(),
                config_id,
                start: Some(start),
                end: Some(start + Duration::hours(2)),
                is_active: true,
            };
            overlap_view(
                &as_trigger(None, &new, &triggers, now),
                &triggers,
                &configs,
                now,
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(html(
        StatusCode::OK,
        &TriggerPage {
            page: ctx.frame("triggers"),
            id: None,
            version: None,
            name,
            configs: config_options(&configs, selected),
            start: minute(start),
            end: minute(start + Duration::hours(2)),
            is_active: true,
            now: minute(now),
            error: None,
            fresh: true,
            duration: "2 h 0 min".into(),
            overlaps,
            overlap_changes,
            conflict: None,
        },
    ))
}

pub(crate) async fn edit_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
) -> Page {
    let ctx = Ctx::new(&req, &state).await?;
    let id = TriggerId(id.into_inner());
    let (trigger, configs, triggers) = ctx
        .block(move |c| {
            Ok((
                c.store().trigger(id)?,
                c.store().configs()?,
                c.store().triggers()?,
            ))
        })
        .await?;
    Ok(html(
        StatusCode::OK,
        &trigger_page(&ctx, &trigger, &configs, &triggers),
    ))
}

fn trigger_page(ctx: &Ctx, t: &Trigger, configs: &[Config], triggers: &[Trigger]) -> TriggerPage {
    let now = ctx.state.controller.now();
    let (overlaps, overlap_changes) = overlap_view(t, triggers, configs, now);
    TriggerPage {
        page: ctx.frame("triggers"),
        id: Some(t.id.0),
        version: Some(t.version),
        name: t.name.clone(),
        configs: config_options(configs, Some(t.config_id)),
        start: t.start.map(when).unwrap_or_default(),
        end: t.end.map(when).unwrap_or_default(),
        is_active: t.is_active,
        now: minute(ctx.state.controller.now()),
        error: None,
        fresh: false,
        duration: duration_of(
            &t.start.map(when).unwrap_or_default(),
            &t.end.map(when).unwrap_or_default(),
        ),
        overlaps,
        overlap_changes,
        conflict: None,
    }
}

pub(crate) async fn save_new_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    body: Bytes,
) -> Page {
    submit_trigger(req, state, None, body).await
}

pub(crate) async fn save_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    submit_trigger(req, state, Some(TriggerId(id.into_inner())), body).await
}

fn trigger_from_form(form: &Form, now: DateTime<Utc>) -> Result<NewTrigger, Error> {
    let config = form.text("config");
    let config_id = config.parse::<i64>().map_err(|_| Error::Invalid {
        field: "config",
        value: config.clone(),
        reason: "choose a config (make one first if there is none)".into(),
    })?;
    let (start, end) = match form.get("quick").filter(|q| !q.is_empty()) {
        Some(hours) => {
            let hours: i64 = hours
                .parse()
                .ok()
                .filter(|h| (1..=24 * 7).contains(h))
                .ok_or_else(|| Error::Invalid {
                    field: "quick",
                    value: hours.to_string(),
                    reason: "a quick window is 1 to 168 hours".into(),
                })?;
            (Some(now), Some(now + Duration::hours(hours)))
        }
        None => (
            typed_time("start", form.get("start").unwrap_or(""))?,
            typed_time("end", form.get("end").unwrap_or(""))?,
        ),
    };
    Ok(NewTrigger {
        name: form.text("name"),
        config_id: ConfigId(config_id),
        start,
        end,
        // A quick window is for running now.
        is_active: form.checked("is_active") || form.get("quick").is_some(),
    })
}

async fn submit_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: Option<TriggerId>,
    body: Bytes,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let now = ctx.controller().now();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let parsed = match (id, form.get("quick").filter(|q| !q.is_empty())) {
        // A quick window replaces the window with one from now: never silently on an existing
        // trigger, whose edit page offers none.
        (Some(_), Some(quick)) => Err(Error::Invalid {
            field: "quick",
            value: quick.chars().take(8).collect(),
            reason: "quick windows make new triggers: use Add trigger, or edit start and end"
                .into(),
        }),
        _ => trigger_from_form(&form, now),
    };
    // "Check overlaps": the form again, with who wins when over the window typed, unsaved.
    if form.get("action") == Some("check") {
        return form_again(
            &ctx,
            &form,
            id,
            version,
            now,
            parsed.err().map(AdminError::Core),
            StatusCode::OK,
        )
        .await;
    }
    let actor = ctx.actor();
    let saved = ctx
        .submit(move |c| {
            let new = parsed?;
            let trigger = match id {
                None => c.create_trigger(&actor, &new)?,
                Some(id) => {
                    c.update_trigger(&actor, id, version.ok_or_else(missing_version)?, &new)?
                }
            };
            Ok::<_, Error>((trigger, runs_now(c)))
        })
        .await?;
    match saved {
        Ok((trigger, runs)) => Ok(ctx.redirect_with(
            &format!("/triggers?saved={}", trigger.id.0),
            &format!("Saved trigger {}: {runs}", quoted(&trigger.name)),
        )),
        Err(e) => {
            // A missing config is a bad choice in the form, not a missing page.
            let status = match e {
                AdminError::Core(Error::ConfigNotFound(_)) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => e.status(),
            };
            if let (AdminError::Core(Error::Conflict { .. }), Some(id)) = (&e, id) {
                return conflict_again(&ctx, &form, id, now, e).await;
            }
            form_again(&ctx, &form, id, version, now, Some(e), status).await
        }
    }
}

/// The form as posted after a version conflict: at the version now stored, with who changed it
/// and their trigger against the edits, so that saving again reapplies the edits.
async fn conflict_again(
    ctx: &Ctx,
    form: &Form,
    id: TriggerId,
    now: DateTime<Utc>,
    error: AdminError,
) -> Page {
    let mine = trigger_from_form(form, now).ok();
    let discard = format!("{}/triggers/{}", ctx.state.base, id.0);
    let (version, view) = ctx
        .block(move |c| {
            let stored = c.store().trigger(id)?;
            let theirs = NewTrigger::from(&stored);
            let mine = mine.unwrap_or_else(|| theirs.clone());
            let view = conflict::view(c, "trigger", id.0, &theirs, &mine, discard);
            Ok((stored.version, view))
        })
        .await?;
    let status = error.status();
    let mut page = trigger_form_page(ctx, form, Some(id), Some(version), now, Some(error)).await?;
    page.conflict = Some(view);
    Ok(html(status, &page))
}

/// The control of the trigger form an error's field names, by id.
fn trigger_field(field: &str) -> Option<String> {
    match field {
        "name" | "trigger name" => Some("name".into()),
        "config" | "config_id" => Some("config".into()),
        "start" => Some("start".into()),
        "end" => Some("end".into()),
        _ => None,
    }
}

/// The form as posted, with `error` if any, and the overlaps of the window typed.
async fn form_again(
    ctx: &Ctx,
    form: &Form,
    id: Option<TriggerId>,
    version: Option<i64>,
    now: DateTime<Utc>,
    error: Option<AdminError>,
    status: StatusCode,
) -> Page {
    let page = trigger_form_page(ctx, form, id, version, now, error).await?;
    Ok(html(status, &page))
}

/// [`form_again`]'s page.
async fn trigger_form_page(
    ctx: &Ctx,
    form: &Form,
    id: Option<TriggerId>,
    version: Option<i64>,
    now: DateTime<Utc>,
    error: Option<AdminError>,
) -> Result<TriggerPage, super::PageError> {
    let (configs, triggers) = ctx
        .block(|c| Ok((c.store().configs()?, c.store().triggers()?)))
        .await?;
    let (overlaps, overlap_changes) = match trigger_from_form(form, now) {
        Ok(new) => overlap_view(
            &as_trigger(id, &new, &triggers, now),
            &triggers,
            &configs,
            now,
        ),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let selected = form.text("config").parse::<i64>().ok().map(ConfigId);
    let page = TriggerPage {
        page: ctx.frame("triggers"),
        id: id.map(|i| i.0),
        version,
        name: form.text("name"),
        configs: config_options(&configs, selected),
        start: form.text("start"),
        end: form.text("end"),
        is_active: form.checked("is_active"),
        now: minute(now),
        error: error.map(|e| {
            let field = e.field_name().and_then(|f| trigger_field(&f));
            FormError::new(e.to_string(), field)
        }),
        fresh: false,
        duration: duration_of(&form.text("start"), &form.text("end")),
        overlaps,
        overlap_changes,
        conflict: None,
    };
    Ok(page)
}

pub(crate) async fn toggle_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    trigger_button(req, state, id, body, |c, actor, id, version, _| {
        let t = c.store().trigger(id)?;
        let t = c.set_trigger_active(actor, id, version, !t.is_active)?;
        Ok(format!(
            "Trigger {} {}: {}",
            quoted(&t.name),
            if t.is_active {
                "activated"
            } else {
                "deactivated"
            },
            still_runs(c)
        ))
    })
    .await
}

/// A button acting on one trigger at the version its page showed: `act` runs off the async
/// workers and says what it did; a stale version does nothing and says so ([`stale`]). Back to
/// the page it was pressed on.
async fn trigger_button(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
    act: impl FnOnce(&dynlog_core::Controller, &str, TriggerId, i64, &Form) -> Result<String, Error>
    + Send
    + 'static,
) -> Page {
    let (ctx, form) = Ctx::posted(&req, &state, &body).await?;
    let id = TriggerId(id.into_inner());
    let actor = ctx.actor();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let back = back_to(&form);
    let message = ctx
        .block(move |c| {
            let version = version.ok_or_else(missing_version)?;
            match act(c, &actor, id, version, &form) {
                Err(Error::Conflict { .. }) => Ok(stale(c, id)),
                said => said,
            }
        })
        .await?;
    Ok(ctx.redirect_with(&back, &message))
}

pub(crate) async fn delete_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    let id = TriggerId(id.into_inner());
    delete(req, state, body, "/triggers", move |c, actor| {
        let name = c.store().trigger(id)?.name;
        c.delete_trigger(actor, id)?;
        Ok(format!(
            "Deleted trigger {}: {}",
            quoted(&name),
            still_runs(c)
        ))
    })
    .await
}

/// What a button pressed on a page older than its trigger says: it did nothing, who changed the
/// trigger meanwhile, and that the page shows it as it is now (so the button can be pressed
/// again knowingly).
fn stale(c: &dynlog_core::Controller, id: TriggerId) -> String {
    let name = c.store().trigger(id).map(|t| t.name).unwrap_or_default();
    format!(
        "Nothing done: trigger {} was changed by {} since the page was loaded. It shows it as it \
         is now; press again if you still want to.",
        quoted(&name),
        conflict::last_change(c, "trigger", id.0)
    )
}

/// Where "stop now" and "extend" go back to: the page they were pressed on (the Loggers page
/// with its search, cut to 200 characters and encoded again here).
fn back_to(form: &Form) -> String {
    match form.get("back") {
        Some("dashboard") => "/".into(),
        Some("loggers") => "/loggers".into(),
        Some(back) => match back.strip_prefix("loggers?q=") {
            Some(q) => {
                let q: String = q.chars().take(200).collect();
                format!("/loggers?q={}", super::frame::encode(&q))
            }
            None => "/triggers".into(),
        },
        None => "/triggers".into(),
    }
}

/// "Stop now": ends a running trigger's window now, at the version the page showed.
pub(crate) async fn stop_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    trigger_button(req, state, id, body, |c, actor, id, version, _| {
        let t = c.end_trigger_now(actor, id, version)?;
        Ok(format!(
            "Stopped trigger {}: {}",
            quoted(&t.name),
            still_runs(c)
        ))
    })
    .await
}

/// "Extend 1 h": moves a trigger's end later (`minutes`, an hour when not said), at the version
/// the page showed.
pub(crate) async fn extend_trigger(
    req: HttpRequest,
    state: web::Data<AdminState>,
    id: web::Path<i64>,
    body: Bytes,
) -> Page {
    trigger_button(req, state, id, body, |c, actor, id, version, form| {
        let minutes = match form.text("minutes") {
            m if m.is_empty() => Some(60),
            m => m.parse::<u32>().ok().map(i64::from),
        }
        .ok_or_else(|| Error::Invalid {
            field: "minutes",
            value: String::new(),
            reason: "a whole number of minutes".into(),
        })?;
        let t = c.extend_trigger(actor, id, version, Duration::minutes(minutes))?;
        let by = if minutes % 60 == 0 {
            format!("{} h", minutes / 60)
        } else {
            format!("{minutes} min")
        };
        Ok(format!(
            "Extended trigger {} by {by}: it ends at {}",
            quoted(&t.name),
            t.end
                .map_or_else(|| "never".to_string(), |end| format!("{} UTC", when(end)))
        ))
    })
    .await
}
