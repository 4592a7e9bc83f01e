//! dynlog for services built on `tracing`: the same runtime control as for `log` records.
//!
//! - [`DynlogLayer`], the bridge: a `tracing_subscriber::Layer` that hands each event to a
//!   [`DynamicLogger`](dynlog_core::DynamicLogger) as a `log::Record` (target, level, message,
//!   fields as key-values, file and line), so levels, handlers, filters, budgets, scoped configs
//!   and the live tail work unchanged. Its interest, `enabled` and `max_level_hint` answer from
//!   the config in force, and an apply rebuilds tracing's interest cache whenever it can change
//!   it, so a disabled callsite costs what it costs with no subscriber. An apply that changes
//!   nothing a registered callsite can see (a level at a target no callsite has, a level none
//!   uses there) skips the rebuild.
//! - Span fields as context tags ([`DynlogLayer::span_tags`]): the fields the application names
//!   (`tenant`, `user`, `request_id`) become `dynlog_core::context` tags while their span is
//!   entered, so a scoped config for tenant acme catches acme's events inside
//!   `info_span!("order", tenant = "acme")`.
//! - [`HandlerFilter`] ([`TracingExt::tracing_filter`]): a per-layer filter for the
//!   application's own layers that passes exactly the events dynlog would send to one handler.
//!
//! ```
//! use dynlog_core::{DynamicLogger, LoggingConfig, MemoryHandler};
//! use dynlog_tracing::DynlogLayer;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let memory = MemoryHandler::new(100);
//! let logger = DynamicLogger::builder()
//!     .handler("memory", memory.clone())
//!     .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)?
//!     .build()?;
//! let subscriber =
//!     tracing_subscriber::registry().with(DynlogLayer::new(&logger).span_tags(["tenant"]));
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::debug!(target: "myapp::orders", "not written: the baseline is at info");
//!     logger.apply(&LoggingConfig::from_spec("myapp::orders=debug")?)?;
//!     tracing::debug!(target: "myapp::orders", id = 7, "written");
//!     Ok::<_, dynlog_core::Error>(())
//! })?;
//! assert_eq!(memory.messages(), ["written"]);
//! # Ok::<(), dynlog_core::Error>(())
//! ```

mod bridge;
mod filter;
mod interest;
mod record;
mod tags;

pub use bridge::DynlogLayer;
pub use filter::{HandlerFilter, TracingExt};

/// The key the bridge registers its apply listener under (`DynamicLogger::on_apply`).
pub const APPLY_LISTENER: &str = "dynlog-tracing: rebuild interest";

/// tracing's level as `log`'s.
pub(crate) fn log_level(level: &tracing_core::Level) -> log::Level {
    match *level {
        tracing_core::Level::ERROR => log::Level::Error,
        tracing_core::Level::WARN => log::Level::Warn,
        tracing_core::Level::INFO => log::Level::Info,
        tracing_core::Level::DEBUG => log::Level::Debug,
        tracing_core::Level::TRACE => log::Level::Trace,
    }
}

/// `log`'s level filter as tracing's.
pub(crate) fn tracing_filter_of(level: log::LevelFilter) -> tracing_core::LevelFilter {
    match level {
        log::LevelFilter::Off => tracing_core::LevelFilter::OFF,
        log::LevelFilter::Error => tracing_core::LevelFilter::ERROR,
        log::LevelFilter::Warn => tracing_core::LevelFilter::WARN,
        log::LevelFilter::Info => tracing_core::LevelFilter::INFO,
        log::LevelFilter::Debug => tracing_core::LevelFilter::DEBUG,
        log::LevelFilter::Trace => tracing_core::LevelFilter::TRACE,
    }
}
