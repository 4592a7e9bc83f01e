//! Change the logging of a running Rust service without a restart.
//!
//! `dynlog-core` holds the model (logging configs laid over the baseline an application declares
//! in code, and triggers that run them in time windows), its validation, the schedule that says
//! which trigger wins when, and the traits that storage and propagation adapters implement.
//!
//! # Usage
//!
//! ```
//! use dynlog_core::{LoggingConfig, Registry};
//!
//! // The handler and filter names the application declares.
//! let registry = Registry::new(["console", "file"], ["polite"]);
//! let baseline = LoggingConfig::from_json(r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}}}"#)?;
//! // A config is an overlay: one logger at debug is complete.
//! let config = LoggingConfig::from_json(r#"{"loggers": {"myapp::import": {"level": "debug"}}}"#)?;
//! config.validate(&registry)?;
//! let running = baseline.overlay(&config);
//! assert_eq!(running.loggers.len(), 2);
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! # Feature flags
//!
//! - `testing`: in-memory helpers and the store contract suite, for adapter crates' tests.

mod controller;
mod error;
mod handler;
mod id;
mod level;
mod logger;
mod model;
mod propagate;
mod redact;
pub mod schedule;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use controller::{
    Clock, Controller, ControllerBuilder, MAX_DEBUG_WINDOW, Running, Status, SystemClock, Upcoming,
};
pub use error::{Error, Result};
pub use handler::{
    CapturedRecord, ConsoleHandler, FileHandler, Handler, HandlerStats, MAX_MEMORY_MESSAGE,
    MemoryHandler, NullHandler,
};
pub use level::{Level, LoggerLevel};
pub use logger::{
    Builder, DynamicLogger, Filter, HandlerChange, HandlerView, Hook, LevelOrigin, LevelSource,
    LoggerChange, LoggerView, Preview, Unmatched,
};
pub use store::MemoryStore;
pub use model::{
    Config, ConfigId, FilterName, HandlerName, HandlerOverride, LoggerSpec, LoggingConfig,
    MAX_BODY, MAX_LOGGER_NAME, MAX_NAME, NewConfig, NewTrigger, Registry, Trigger, TriggerId,
    is_hidden_char, validate_logger_name, validate_name, validate_time,
};
pub use propagate::{
    InstanceStatus, LocalPropagator, NoopPropagator, PollingPropagator, Propagator, Reloader,
};
pub use redact::redact_url;
pub use store::{
    Account, AccountStore, ApiToken, AuditEntry, AuditQuery, Snapshot, Store, StoreRead, Written,
    check_version,
};

/// Parses a RUST_LOG-style spec into a config; kept so that code written against it builds.
#[deprecated(note = "use `LoggingConfig::from_spec`")]
pub fn parse_spec(spec: &str) -> Result<LoggingConfig> {
    LoggingConfig::from_spec(spec)
}
