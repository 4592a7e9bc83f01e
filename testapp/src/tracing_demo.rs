//! `/testapp/tracing/{level}/{target}`: a tracing event at the level and target a request names,
//! in a span with a `tenant` field when the request has an `X-Tenant` header. It reaches the
//! file and the live tail through the bridge, under the same configs and scopes as `log` records.
//!
//! tracing's callsites are static, made once per macro in the source; a target chosen at runtime
//! needs a callsite made at runtime. One is made per (level, target) on first use and kept for
//! the life of the process, at most [`MAX_CALLSITES`] of them, so a flood of new targets cannot
//! grow memory without bound.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use actix_web::{HttpRequest, HttpResponse, get, web};
use dynlog_core::Level;
use dynlog_core::model::validate_logger_name;
use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::FieldSet;
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{Event, LevelFilter, Metadata};

/// The most callsites the endpoint makes; a new (level, target) past it is refused.
pub(crate) const MAX_CALLSITES: usize = 200;

const NEVER: u8 = 0;
const SOMETIMES: u8 = 1;
const ALWAYS: u8 = 2;

/// A callsite made at runtime for one level and target.
struct Site {
    meta: OnceLock<Metadata<'static>>,
    interest: AtomicU8,
}

impl Callsite for Site {
    fn set_interest(&self, interest: Interest) {
        let code = if interest.is_never() {
            NEVER
        } else if interest.is_always() {
            ALWAYS
        } else {
            SOMETIMES
        };
        self.interest.store(code, Ordering::Relaxed);
    }

    fn metadata(&self) -> &Metadata<'_> {
        self.meta.get().unwrap_or(&UNSET)
    }
}

/// Never seen: a site's metadata is set before it is registered.
static UNSET: Metadata<'static> = Metadata::new(
    "unset",
    "dynlog_testapp::tracing",
    tracing_core::Level::TRACE,
    None,
    None,
    None,
    FieldSet::new(&[], Identifier(&UNSET_SITE)),
    Kind::EVENT,
);

static UNSET_SITE: Site = Site {
    meta: OnceLock::new(),
    interest: AtomicU8::new(NEVER),
};

type Sites = BTreeMap<(u8, String), &'static Site>;

static SITES: Mutex<Sites> = Mutex::new(BTreeMap::new());

fn tracing_level(level: Level) -> Option<tracing_core::Level> {
    Some(match level {
        Level::Error => tracing_core::Level::ERROR,
        Level::Warn => tracing_core::Level::WARN,
        Level::Info => tracing_core::Level::INFO,
        Level::Debug => tracing_core::Level::DEBUG,
        Level::Trace => tracing_core::Level::TRACE,
        Level::Off => return None,
    })
}

/// The callsite of `level` and `target`, made on first use (the lookup and the insert under one
/// lock, so two requests never make two of one).
fn site(level: tracing_core::Level, target: &str) -> Result<&'static Site, String> {
    let key = (level_code(level), target.to_string());
    let mut sites = SITES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(site) = sites.get(&key) {
        return Ok(site);
    }
    if sites.len() >= MAX_CALLSITES {
        return Err(format!(
            "target {target:?} at {level}: {MAX_CALLSITES} tracing callsites are made already, \
             the most this endpoint makes; use a level and target used before"
        ));
    }
    let site: &'static Site = Box::leak(Box::new(Site {
        meta: OnceLock::new(),
        interest: AtomicU8::new(NEVER),
    }));
    let target: &'static str = Box::leak(target.to_string().into_boxed_str());
    let _ = site.meta.set(Metadata::new(
        "event from the tracing view",
        target,
        level,
        Some(file!()),
        Some(line!()),
        Some(module_path!()),
        FieldSet::new(&["message"], Identifier(site)),
        Kind::EVENT,
    ));
    tracing_core::callsite::register(site);
    sites.insert(key, site);
    Ok(site)
}

fn level_code(level: tracing_core::Level) -> u8 {
    match level {
        tracing_core::Level::ERROR => 1,
        tracing_core::Level::WARN => 2,
        tracing_core::Level::INFO => 3,
        tracing_core::Level::DEBUG => 4,
        tracing_core::Level::TRACE => 5,
    }
}

/// Dispatches `message` at `site`, as tracing's macros do: the max level, the interest, then
/// the subscriber's `enabled` when the interest is "sometimes".
fn dispatch(site: &'static Site, message: &str) {
    let meta = site.metadata();
    if *meta.level() > LevelFilter::current() {
        return;
    }
    let enabled = match site.interest.load(Ordering::Relaxed) {
        NEVER => false,
        ALWAYS => true,
        _ => tracing_core::dispatcher::get_default(|d| d.enabled(meta)),
    };
    let Some(field) = meta.fields().iter().next() else {
        return;
    };
    if enabled {
        let message = tracing::field::display(message);
        let values = [(&field, Some(&message as &dyn tracing::Value))];
        Event::dispatch(meta, &meta.fields().value_set(&values));
    }
}

/// Emits "message from the tracing view" at `level` to `target`, in a span with `tenant` when
/// given.
pub(crate) fn emit(level: Level, target: &str, tenant: Option<&str>) -> Result<(), String> {
    let Some(level) = tracing_level(level) else {
        return Err(
            "invalid level \"off\" (expected one of: error, warn, info, debug, trace)".into(),
        );
    };
    validate_logger_name(target).map_err(|e| e.to_string())?;
    let site = site(level, target)?;
    match tenant {
        Some(tenant) => tracing::info_span!("request", tenant)
            .in_scope(|| dispatch(site, "message from the tracing view")),
        None => dispatch(site, "message from the tracing view"),
    }
    Ok(())
}

/// A tenant as a client sends it: 1 to 64 letters, digits, `-` and `_`.
pub(crate) fn valid_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn bad_request(message: String) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain")
        .body(format!("{message}\n"))
}

/// Emits a tracing event at `level` to `target` (in a span with the `X-Tenant` header's tenant).
#[get("/tracing/{level}/{target}")]
pub(crate) async fn tracing_at(
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (level, target) = path.into_inner();
    let shown: String = level.chars().take(32).collect();
    let level = match Level::parse(&level, "path segment \"level\"") {
        Ok(Level::Off) | Err(_) => {
            return bad_request(format!(
                "invalid level {shown:?} (expected one of: error, warn, info, debug, trace)"
            ));
        }
        Ok(level) => level,
    };
    let tenant = match request.headers().get("X-Tenant").map(|v| v.to_str()) {
        None => None,
        Some(Ok(tenant)) if valid_tenant(tenant) => Some(tenant.to_string()),
        Some(value) => {
            let shown: String = value.unwrap_or("(not text)").chars().take(64).collect();
            return bad_request(format!(
                "invalid header X-Tenant {shown:?} (1 to 64 letters, digits, - and _)"
            ));
        }
    };
    match emit(level, &target, tenant.as_deref()) {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain")
            .body(format!("traced at {level} to {target}\n")),
        Err(e) => bad_request(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynlog_core::{DynamicLogger, LoggingConfig, MemoryHandler};
    use dynlog_tracing::DynlogLayer;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_reach_the_logger_under_scopes_by_the_span_tenant() {
        let memory = MemoryHandler::new(100);
        let logger = DynamicLogger::builder()
            .handler("memory", memory.clone())
            .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
            .unwrap()
            .build()
            .unwrap();
        let subscriber =
            tracing_subscriber::registry().with(DynlogLayer::new(&logger).span_tags(["tenant"]));
        tracing::subscriber::with_default(subscriber, || {
            emit(Level::Info, "myapp::traced", None).unwrap();
            emit(Level::Debug, "myapp::traced", Some("acme")).unwrap();
            let scoped = LoggingConfig::from_json(
                r#"{"scope": {"tenant": ["acme"]}, "loggers": {"myapp": {"level": "debug"}}}"#,
            )
            .unwrap();
            logger
                .apply_scoped(&LoggingConfig::default(), &[scoped])
                .unwrap();
            emit(Level::Debug, "myapp::traced", Some("acme")).unwrap();
            emit(Level::Debug, "myapp::traced", Some("globex")).unwrap();
            emit(Level::Debug, "myapp::traced", None).unwrap();
        });
        let records = memory.snapshot();
        let seen: Vec<_> = records
            .iter()
            .map(|r| (r.target.as_str(), r.level))
            .collect();
        assert_eq!(
            seen,
            [
                ("myapp::traced", Level::Info),
                ("myapp::traced", Level::Debug)
            ]
        );
        assert!(emit(Level::Info, "a b", None).unwrap_err().contains("a b"));
        assert!(emit(Level::Off, "myapp", None).unwrap_err().contains("off"));
    }
}
