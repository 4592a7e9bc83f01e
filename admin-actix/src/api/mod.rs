//! The JSON API: configs, triggers, status, timeline, loggers, audit, preview and import.

mod input;
pub(crate) mod spring;

pub(crate) use input::seed_config;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::Duration;
use dynlog_core::model::{ConfigId, TriggerId};
use dynlog_core::store::{AccountStore, AuditQuery};
use dynlog_core::{Controller, LoggingConfig};
use serde::Deserialize;
use serde_json::Value;

use std::sync::Arc;

use dynlog_core::store::Role;

use crate::AdminState;
use crate::auth::Caller;
use crate::error::{ApiError, Error};
use crate::routes::{self, Access};
use crate::sync;
use crate::token_hash;
use input::{
    ActiveInput, ConfigInput, DebugInput, ExtendInput, ImportInput, PreviewInput, StopInput,
    TriggerInput,
};

type Reply = Result<HttpResponse, ApiError>;

/// The API's extractor settings, for its scope (the routes are in [`crate::routes`]).
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|e, _| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("ids in the path are integers ({e})"),
        )
        .with_field("id")
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|e, _| {
        ApiError::new(StatusCode::BAD_REQUEST, format!("bad query string: {e}")).into()
    }));
}

/// Answers every error of the API as JSON (`{"error", "field"}`), including those actix makes
/// itself: an unknown route or method, a body over the limit, a malformed path.
pub(crate) async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    let message = match res.response().error() {
        Some(error) => error.to_string(),
        None => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let error = ApiError::new(status, message.chars().take(200).collect::<String>());
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, error.error_response()))
}

/// Runs store work off the async workers, after checking who calls and that their role may
/// use this route; `f` gets the controller and the actor (name and role) to audit changes
/// under.
async fn with_actor<T: Send + 'static>(
    req: &HttpRequest,
    controller: &web::Data<Controller>,
    f: impl FnOnce(&Controller, &str) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    with_caller(req, controller, move |c, caller| f(c, &caller.actor())).await
}

/// [`with_actor`], with the whole caller (its role too).
async fn with_caller<T: Send + 'static>(
    req: &HttpRequest,
    controller: &web::Data<Controller>,
    f: impl FnOnce(&Controller, &Caller) -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    let state = req
        .app_data::<web::Data<AdminState>>()
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;
    let needed = required_role(req, &state)?;
    let known = from_application(req, &state)?;
    let token = match known {
        Some(_) => None,
        None => Some(bearer(req).ok_or_else(ApiError::unauthorized)?),
    };
    let accounts = Arc::clone(&state.accounts);
    Ok(sync::run(controller, move |c| {
        let caller = match (known, token) {
            (Some(caller), _) => caller,
            (None, token) => by_token(&*accounts, token.as_deref().unwrap_or(""))?,
        };
        allowed(&caller, needed)?;
        f(c, &caller)
    })
    .await?)
}

/// The bearer value of the request's `Authorization` header.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

/// The caller the application's authenticator vouches for, if any; a refused credential is a
/// 401 with the authenticator's message.
pub(crate) fn from_application(
    req: &HttpRequest,
    state: &AdminState,
) -> Result<Option<Caller>, ApiError> {
    match state.authenticator.as_ref().map(|a| a.authenticate(req)) {
        None | Some(Ok(None)) => Ok(None),
        Some(Ok(Some(identity))) => Ok(Some(identity.into())),
        Some(Err(refused)) => Err(ApiError::new(StatusCode::UNAUTHORIZED, refused.to_string())),
    }
}

/// The caller holding `token`, on a blocking thread. Until the token is known, a failing store
/// is only "unavailable": its details (user, host, database) go to the log, not to an
/// anonymous client.
pub(crate) fn by_token(accounts: &dyn AccountStore, token: &str) -> Result<Caller, Error> {
    let found = accounts
        .use_token(&token_hash(token))
        .map_err(|e| Error::Unavailable(Box::new(e.into())))?
        .ok_or(Error::Unauthenticated)?;
    Ok(Caller {
        name: format!("token:{}", found.name),
        role: found.role,
    })
}

/// The role the request's route needs; a route missing from the table is refused to all.
pub(crate) fn required_role(req: &HttpRequest, state: &AdminState) -> Result<Role, ApiError> {
    match routes::access(
        &state.base,
        req.method().as_str(),
        req.match_pattern().as_deref(),
    ) {
        Some(Access::Role(role)) => Ok(role),
        Some(Access::Public) => Ok(Role::Viewer),
        None => Err(Error::Unrouted.into()),
    }
}

/// Whether `caller` may do what `needed` may; a 403 naming both if not.
pub(crate) fn allowed(caller: &Caller, needed: Role) -> Result<(), Error> {
    if caller.role.allows(needed) {
        Ok(())
    } else {
        Err(Error::Forbidden {
            caller: caller.name.clone(),
            role: caller.role,
            needed,
        })
    }
}

/// What to tell about a config that is valid but may not do what was meant: loggers that no
/// target seen so far falls under, with the closest name.
fn warnings(c: &Controller, body: &LoggingConfig) -> Vec<String> {
    c.logger()
        .unmatched_loggers(body)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A stored config as the API answers a write: its fields and `warnings`.
fn with_warnings(config: dynlog_core::Config, warnings: Vec<String>) -> Value {
    let mut value = serde_json::to_value(config).unwrap_or_default();
    if let Value::Object(object) = &mut value {
        object.insert("warnings".into(), warnings.into());
    }
    value
}

fn required_version(version: Option<i64>) -> Result<i64, Error> {
    version.ok_or_else(|| {
        Error::field(
            "version",
            "field \"version\" is required: send the version you read",
        )
    })
}

pub(crate) async fn list_configs(req: HttpRequest, c: web::Data<Controller>) -> Reply {
    let configs = with_actor(&req, &c, |c, _| Ok(c.store().configs()?)).await?;
    Ok(HttpResponse::Ok().json(configs))
}

pub(crate) async fn get_config(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
) -> Reply {
    let id = ConfigId(id.into_inner());
    let config = with_actor(&req, &c, move |c, _| Ok(c.store().config(id)?)).await?;
    Ok(HttpResponse::Ok().json(config))
}

pub(crate) async fn create_config(
    req: HttpRequest,
    c: web::Data<Controller>,
    body: web::Bytes,
) -> Reply {
    let config = with_actor(&req, &c, move |c, actor| {
        let (new, _) = input::read::<ConfigInput>(&body)?.config()?;
        let warnings = warnings(c, &new.body);
        Ok(with_warnings(c.create_config(actor, &new)?, warnings))
    })
    .await?;
    Ok(HttpResponse::Created().json(config))
}

pub(crate) async fn update_config(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Reply {
    let id = ConfigId(id.into_inner());
    let config = with_actor(&req, &c, move |c, actor| {
        let (new, version) = input::read::<ConfigInput>(&body)?.config()?;
        let warnings = warnings(c, &new.body);
        Ok(with_warnings(
            c.update_config(actor, id, required_version(version)?, &new)?,
            warnings,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(config))
}

pub(crate) async fn delete_config(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
) -> Reply {
    let id = ConfigId(id.into_inner());
    with_actor(&req, &c, move |c, actor| Ok(c.delete_config(actor, id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn list_triggers(req: HttpRequest, c: web::Data<Controller>) -> Reply {
    let triggers = with_actor(&req, &c, |c, _| Ok(c.store().triggers()?)).await?;
    Ok(HttpResponse::Ok().json(triggers))
}

pub(crate) async fn get_trigger(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
) -> Reply {
    let id = TriggerId(id.into_inner());
    let trigger = with_actor(&req, &c, move |c, _| Ok(c.store().trigger(id)?)).await?;
    Ok(HttpResponse::Ok().json(trigger))
}

pub(crate) async fn create_trigger(
    req: HttpRequest,
    c: web::Data<Controller>,
    body: web::Bytes,
) -> Reply {
    let trigger = with_actor(&req, &c, move |c, actor| {
        let (new, _) = input::read::<TriggerInput>(&body)?.trigger(Some(c.now()))?;
        Ok(c.create_trigger(actor, &new)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(trigger))
}

pub(crate) async fn update_trigger(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Reply {
    let id = TriggerId(id.into_inner());
    let trigger = with_actor(&req, &c, move |c, actor| {
        let (new, version) = input::read::<TriggerInput>(&body)?.trigger(None)?;
        Ok(c.update_trigger(actor, id, required_version(version)?, &new)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trigger))
}

/// `POST triggers/{id}/active` `{"active", "version"}`: switches a trigger on or off, its window
/// unchanged.
pub(crate) async fn set_trigger_active(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Reply {
    let id = TriggerId(id.into_inner());
    let trigger = with_actor(&req, &c, move |c, actor| {
        let input = input::read::<ActiveInput>(&body)?;
        Ok(c.set_trigger_active(actor, id, input.version, input.active)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trigger))
}

/// `POST debug` `{"target", "minutes", "level", "scope", "debug_token"}`: debug a target for a
/// while (at debug or trace), as the Loggers page does: a config and a trigger from now, made
/// together, scoped when asked. 201 with both, and with `"debug_token": true` the new token and
/// the header to send it in (shown this once: the scope holds its hash).
pub(crate) async fn debug_target(
    req: HttpRequest,
    c: web::Data<Controller>,
    body: web::Bytes,
) -> Reply {
    let (config, trigger, token) = with_actor(&req, &c, move |c, actor| {
        let input = input::read::<DebugInput>(&body)?;
        let target = crate::input::config_name(&input.target).to_string();
        let token = input.debug_token.then(crate::tags::new_debug_token);
        let mut scope = input.scope;
        if let Some(token) = &token {
            scope.insert(
                crate::tags::DEBUG_TOKEN_KEY.into(),
                vec![crate::tags::debug_token_tag(token)],
            );
        }
        let scope = dynlog_core::model::Scope::new(scope)?;
        let (config, trigger) = c.debug_scoped_at(
            actor,
            &target,
            input.level,
            Duration::minutes(i64::from(input.minutes)),
            &scope,
        )?;
        Ok((config, trigger, token))
    })
    .await?;
    let mut answer = serde_json::json!({"config": config, "trigger": trigger});
    if let Some(token) = token {
        answer["debug_token"] = token.clone().into();
        answer["header"] = format!("{}: {token}", crate::tags::DEBUG_HEADER).into();
    }
    Ok(HttpResponse::Created().json(answer))
}

/// `POST triggers/{id}/stop` `{"version"}`: ends a running trigger's window now.
pub(crate) async fn stop_trigger(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Reply {
    let id = TriggerId(id.into_inner());
    let trigger = with_actor(&req, &c, move |c, actor| {
        let input = input::read::<StopInput>(&body)?;
        Ok(c.end_trigger_now(actor, id, required_version(input.version)?)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trigger))
}

/// `POST triggers/{id}/extend` `{"version", "minutes"}`: moves a trigger's end later (an hour
/// when `minutes` is left out).
pub(crate) async fn extend_trigger(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Reply {
    let id = TriggerId(id.into_inner());
    let trigger = with_actor(&req, &c, move |c, actor| {
        let input = input::read::<ExtendInput>(&body)?;
        let by = Duration::minutes(i64::from(input.minutes));
        Ok(c.extend_trigger(actor, id, required_version(input.version)?, by)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(trigger))
}

pub(crate) async fn delete_trigger(
    req: HttpRequest,
    c: web::Data<Controller>,
    id: web::Path<i64>,
) -> Reply {
    let id = TriggerId(id.into_inner());
    with_actor(&req, &c, move |c, actor| Ok(c.delete_trigger(actor, id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn status(req: HttpRequest, c: web::Data<Controller>) -> Reply {
    let body = with_actor(&req, &c, |c, _| {
        Ok(serde_json::json!({"status": c.status(), "fleet": c.fleet()?, "handlers": c.logger().handler_stats()}))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
pub(crate) struct Range {
    from: Option<String>,
    to: Option<String>,
}

pub(crate) async fn timeline(
    req: HttpRequest,
    c: web::Data<Controller>,
    range: web::Query<Range>,
) -> Reply {
    let parse = |key, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| crate::input::time(key, v))
            .transpose()
    };
    let range = range.into_inner();
    let spans = with_actor(&req, &c, move |c, _| {
        let (from, to) = (parse("from", &range.from)?, parse("to", &range.to)?);
        let from = from.unwrap_or_else(|| c.now());
        let to = to.unwrap_or(from + Duration::days(7));
        if to <= from {
            return Err(Error::field(
                "to",
                format!("\"to\" ({to}) must be after \"from\" ({from})"),
            ));
        }
        Ok(dynlog_core::schedule::timeline(
            &c.store().triggers()?,
            from,
            to,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(spans))
}

#[derive(Deserialize)]
pub(crate) struct Page {
    before: Option<i64>,
    limit: Option<usize>,
}

pub(crate) async fn audit(
    req: HttpRequest,
    c: web::Data<Controller>,
    page: web::Query<Page>,
) -> Reply {
    let query = AuditQuery {
        before: page.before,
        limit: page.limit.unwrap_or(50).clamp(1, 500),
    };
    let entries = with_actor(&req, &c, move |c, _| Ok(c.store().audit(query)?)).await?;
    Ok(HttpResponse::Ok().json(entries))
}

pub(crate) async fn preview(req: HttpRequest, c: web::Data<Controller>, body: web::Bytes) -> Reply {
    let previews = with_actor(&req, &c, move |c, _| {
        let new = input::read::<PreviewInput>(&body)?.config()?;
        let logger = c.logger();
        Ok(serde_json::json!({
            "against_running": logger.preview(&new)?,
            "against_baseline": logger.preview_from_baseline(&new)?,
            "warnings": warnings(c, &new),
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(previews))
}

/// `{"name", "config_json"}`: a config as django-dynamic-logging's editor saves it, or as dynlog
/// writes it; created as `POST /configs` creates one, answered with the conversion's warnings.
pub(crate) async fn import(req: HttpRequest, c: web::Data<Controller>, body: web::Bytes) -> Reply {
    let (config, warnings) = with_actor(&req, &c, move |c, actor| {
        let (new, warnings) = input::read::<ImportInput>(&body)?.config()?;
        Ok((c.create_config(actor, &new)?, warnings))
    })
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"config": config, "warnings": warnings})))
}
