//! The loggers endpoint in Spring Boot Actuator's shape, for operators who know it:
//! `GET loggers` (`levels` and every logger), `GET loggers/{name}`
//! (`{"configuredLevel", "effectiveLevel"}`, level names in upper case, `ROOT` the root), and
//! `POST loggers/{name}` `{"configuredLevel": "DEBUG", "for": "30m"}`, which makes a config and
//! a trigger in one transaction; `{"configuredLevel": null}` ends such windows.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use dynlog_core::model::LoggerLevel;
use dynlog_core::model::validate_logger_name;
use dynlog_core::store::Role;
use dynlog_core::{Controller, Level};
use serde_json::{Map, Value, json};

use super::{Reply, with_actor, with_caller};
use crate::error::{ApiError, Error};

/// The level names Spring lists, most severe first; `OFF` too, as Spring has it.
const LEVELS: [&str; 6] = ["OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"];

/// How long a window lasts when `for` is left out.
const DEFAULT_WINDOW: Duration = Duration::hours(1);

/// The most bytes a `POST loggers/{name}` body may have.
const MAX_POST: usize = 4096;

/// The logger a path names: `ROOT` (any case) is the root, `""`.
fn target_of(name: &str) -> Result<String, Error> {
    let target = if name.eq_ignore_ascii_case("root") {
        ""
    } else {
        name
    };
    validate_logger_name(target).map_err(|e| {
        Error::field(
            "name",
            format!(
                "logger name {:?} is not a logger name: {e}",
                name.chars().take(64).collect::<String>()
            ),
        )
    })?;
    Ok(target.to_string())
}

/// A logger's name as Spring shows it: `ROOT` for the root.
fn spring_name(target: &str) -> &str {
    if target.is_empty() { "ROOT" } else { target }
}

fn upper(level: Level) -> String {
    level.as_str().to_ascii_uppercase()
}

/// `configuredLevel` and `effectiveLevel` of `target`: the level this very logger is set at in
/// the config in force (`null` when it sets none, or `notset`), and the level it logs at.
fn spring_fields(c: &Controller, target: &str) -> (Option<String>, String) {
    let view = c.logger().logger_view(target);
    let configured = (view.logger == target)
        .then_some(view.configured_level)
        .flatten()
        .and_then(|l| match l {
            LoggerLevel::Set(level) => Some(upper(level)),
            LoggerLevel::Inherit => None,
        });
    (configured, upper(view.level))
}

/// Whether the admin knows `target`: seen at runtime, configured now, or the root.
fn known(c: &Controller, target: &str) -> bool {
    target.is_empty()
        || c.logger().baseline().loggers.contains_key(target)
        || c.logger().known_targets().iter().any(|t| t == target)
}

/// `GET loggers`: `levels`, and each logger seen or configured by its Spring name, with
/// `configuredLevel` and `effectiveLevel` beside what the admin tells of it.
pub(crate) async fn loggers(req: HttpRequest, c: web::Data<Controller>) -> Reply {
    let body = with_actor(&req, &c, |c, _| {
        let logger = c.logger();
        let running = c.status().current.map(|r| r.config.name);
        let mut names = logger.known_targets();
        if !names.iter().any(String::is_empty) {
            names.insert(0, String::new());
        }
        let loggers: Map<String, Value> = names
            .into_iter()
            .map(|name| {
                let view = logger.logger_view(&name);
                let (configured, effective) = spring_fields(c, &name);
                let value = json!({
                    "configuredLevel": configured,
                    "effectiveLevel": effective,
                    "name": name,
                    // The level this very logger is configured with, if it is configured.
                    "configured_level": (view.logger == name).then_some(view.configured_level).flatten(),
                    "effective_level": view.level,
                    "decided_by": crate::pages::decided_by(&view.source, running.as_deref()),
                    "config": running,
                    "now": view,
                });
                (spring_name(&name).to_string(), value)
            })
            .collect();
        Ok(json!({"levels": LEVELS, "loggers": loggers}))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET loggers/{name}`: `{"configuredLevel", "effectiveLevel"}`; 404 for a logger neither seen
/// nor configured.
pub(crate) async fn logger(
    req: HttpRequest,
    c: web::Data<Controller>,
    name: web::Path<String>,
) -> Reply {
    let name = name.into_inner();
    let body = with_actor(&req, &c, move |c, _| {
        let target = target_of(&name)?;
        if !known(c, &target) {
            return Err(Error::field(
                "name",
                format!(
                    "no logger {:?} has logged or is configured",
                    spring_name(&target)
                ),
            ));
        }
        let (configured, effective) = spring_fields(c, &target);
        Ok(json!({"configuredLevel": configured, "effectiveLevel": effective}))
    })
    .await
    .map_err(not_found_if_unknown)?;
    Ok(HttpResponse::Ok().json(body))
}

/// An unknown logger is a 404, as Spring answers it (still naming the field).
fn not_found_if_unknown(error: ApiError) -> ApiError {
    if error.status() == StatusCode::UNPROCESSABLE_ENTITY
        && error.to_string().starts_with("no logger")
    {
        ApiError::new(StatusCode::NOT_FOUND, error.to_string()).with_field("name")
    } else {
        error
    }
}

/// What `POST loggers/{name}` asks.
enum Change {
    /// Put the logger at this level for this long (`None`: no end).
    Set(Level, Option<Duration>),
    /// End its windows.
    Reset,
}

/// Reads `{"configuredLevel": "DEBUG" | null, "for": "30m" | null}`: `for` left out is an
/// hour, `null` no end; anything else is a field error.
fn read_change(body: &[u8]) -> Result<Change, Error> {
    if body.len() > MAX_POST {
        return Err(dynlog_core::Error::TooLarge {
            field: "body",
            size: body.len(),
            max: MAX_POST,
        }
        .into());
    }
    let text = std::str::from_utf8(body).map_err(Error::NotUtf8)?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::field("body", format!("the body is not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(Error::field(
            "body",
            "the body is a JSON object: {\"configuredLevel\": \"DEBUG\", \"for\": \"30m\"}",
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| *k != "configuredLevel" && *k != "for")
    {
        return Err(Error::field(
            unknown.chars().take(64).collect::<String>(),
            format!(
                "unknown field {:?} (expected: configuredLevel, for)",
                unknown.chars().take(64).collect::<String>()
            ),
        ));
    }
    let level = match fields.get("configuredLevel") {
        None => {
            return Err(Error::field(
                "configuredLevel",
                "field \"configuredLevel\" is required: a level, or null to end the windows",
            ));
        }
        Some(Value::Null) => return Ok(Change::Reset),
        Some(Value::String(level)) => {
            let shown: String = level.chars().take(40).collect();
            Level::parse(level, "configuredLevel").map_err(|_| {
                Error::field(
                    "configuredLevel",
                    format!(
                        "invalid level {shown:?} in configuredLevel (expected one of: {})",
                        LEVELS.join(", ")
                    ),
                )
            })?
        }
        Some(other) => {
            return Err(Error::field(
                "configuredLevel",
                format!(
                    "configuredLevel is a level name or null, not {}",
                    other.to_string().chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    let window = match fields.get("for") {
        None => Some(DEFAULT_WINDOW),
        Some(Value::Null) => None,
        Some(Value::String(text)) => Some(duration("for", text)?),
        Some(other) => {
            return Err(Error::field(
                "for",
                format!(
                    "for is a duration such as \"30m\" or \"2h\", or null, not {}",
                    other.to_string().chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    Ok(Change::Set(level, window))
}

/// A duration as people write it (`30m`, `1h 30m`, `90s`), by `humantime`.
fn duration(field: &'static str, text: &str) -> Result<Duration, Error> {
    let shown: String = text.chars().take(40).collect();
    let bad = |why: String| {
        Error::field(
            field,
            format!("invalid duration {shown:?} in {field}: {why} (such as \"30m\" or \"2h\")"),
        )
    };
    if text.len() > 40 {
        return Err(bad("too long".into()));
    }
    let parsed = humantime::parse_duration(text.trim()).map_err(|e| bad(e.to_string()))?;
    Duration::from_std(parsed).map_err(|_| bad("too long".into()))
}

/// `POST loggers/{name}`: `{"configuredLevel": "DEBUG", "for": "30m"}` puts the logger at that
/// level for that long (an hour when `for` is left out; `"for": null`, no end, for admins
/// only), as a config and a trigger written together and audited, answered 201 with the
/// trigger. `{"configuredLevel": null}` ends the windows of that logger alone, answered 200
/// with the triggers it ended.
pub(crate) async fn set_logger(
    req: HttpRequest,
    c: web::Data<Controller>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Reply {
    let name = name.into_inner();
    let done = with_caller(&req, &c, move |c, caller| {
        let target = target_of(&name)?;
        match read_change(&body)? {
            Change::Set(level, window) => {
                if window.is_none() && !caller.role.allows(Role::Admin) {
                    return Err(Error::field(
                        "for",
                        format!(
                            "a window without an end (\"for\": null) needs the admin role; {} \
                             has the {} role",
                            caller.name, caller.role
                        ),
                    ));
                }
                let (_, trigger) = c.set_level_window(&caller.actor(), &target, level, window)?;
                Ok((StatusCode::CREATED, json!(trigger)))
            }
            Change::Reset => {
                let ended = c.end_level_windows(&caller.actor(), &target)?;
                Ok((StatusCode::OK, json!({"ended": ended})))
            }
        }
    })
    .await
    .map_err(forbidden_if_open_ended)?;
    Ok(HttpResponse::build(done.0).json(done.1))
}

/// An open-ended window asked without the admin role is a 403, still naming `for`.
fn forbidden_if_open_ended(error: ApiError) -> ApiError {
    if error.status() == StatusCode::UNPROCESSABLE_ENTITY
        && error.to_string().starts_with("a window without an end")
    {
        ApiError::new(StatusCode::FORBIDDEN, error.to_string()).with_field("for")
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_spring_sends_them() {
        let read = |s: &str| read_change(s.as_bytes());
        assert!(matches!(
            read(r#"{"configuredLevel": "DEBUG"}"#),
            Ok(Change::Set(Level::Debug, Some(w))) if w == Duration::hours(1)
        ));
        assert!(matches!(
            read(r#"{"configuredLevel": "trace", "for": "30m"}"#),
            Ok(Change::Set(Level::Trace, Some(w))) if w == Duration::minutes(30)
        ));
        assert!(matches!(
            read(r#"{"configuredLevel": "WARN", "for": null}"#),
            Ok(Change::Set(Level::Warn, None))
        ));
        assert!(matches!(
            read(r#"{"configuredLevel": null}"#),
            Ok(Change::Reset)
        ));
        for (body, field) in [
            (r#"{"configuredLevel": "LOUD"}"#, "configuredLevel"),
            (r#"{"configuredLevel": 3}"#, "configuredLevel"),
            (r#"{}"#, "configuredLevel"),
            (r#"{"configuredLevel": "DEBUG", "for": "soon"}"#, "for"),
            (r#"{"configuredLevel": "DEBUG", "for": 30}"#, "for"),
            (r#"{"configuredLevel": "DEBUG", "until": "x"}"#, "until"),
            ("[1]", "body"),
        ] {
            let error = read(body).err().unwrap();
            assert_eq!(
                error.field_name().as_deref(),
                Some(field),
                "{body}: {error}"
            );
        }
        assert_eq!(target_of("ROOT").unwrap(), "");
        assert_eq!(
            target_of("a b").unwrap_err().field_name().as_deref(),
            Some("name")
        );
    }
}
