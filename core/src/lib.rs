//! Change the logging of a running Rust service without a restart.
//!
//! `dynlog-core` holds the model (logging configs laid over the baseline an application declares
//! in code, and triggers that run them in time windows), its validation, the schedule that says
//! which trigger wins when, and the traits that storage and propagation adapters implement.
//!
//! # Usage
//!
//! Declare the handlers and the baseline in code, install the logger, and lay a config over the
//! baseline while the program runs:
//!
//! ```
//! use dynlog_core::{DynamicLogger, Level, LoggingConfig, MemoryHandler};
//!
//! let records = MemoryHandler::new(100);
//! let logger = DynamicLogger::builder()
//!     .handler("memory", records.clone())
//!     .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)?
//!     .build()?;
//! logger.install()?;
//! log::debug!(target: "myapp::import", "not written: the baseline is at info");
//!
//! // A config is an overlay: one logger at debug is complete.
//! logger.apply(&LoggingConfig::from_spec("myapp::import=debug")?)?;
//! assert_eq!(logger.effective_level("myapp::import"), Level::Debug);
//! log::debug!(target: "myapp::import", "written");
//! assert_eq!(records.snapshot().len(), 1);
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! In a service, a [`Controller`] applies the configs that a store's triggers schedule, and the
//! admin (`dynlog-actix`) edits them.
//!
//! # The front door
//!
//! The root holds what a program touches first: the [`DynamicLogger`] and its [`Controller`], the
//! [`Level`], a [`LoggingConfig`], what stores keep ([`Config`], [`Trigger`] and what creating one
//! takes), the in-memory [`MemoryHandler`] and [`MemoryStore`], the [`Error`], and [`chrono`] for
//! the times a trigger needs. The rest lives in named modules: [`model`], [`logger`], [`handler`],
//! [`store`], [`propagate`], [`controller`], [`schedule`], [`context`] (the tags scoped configs
//! match) and [`redact`]. The traits a custom
//! stack implements are in theirs: [`store::Store`], [`propagate::Propagator`],
//! [`handler::Handler`], [`controller::Clock`].
//!
//! # Feature flags
//!
//! - `testing`: the store and propagator contract suites and their helpers (`ManualClock`, a
//!   `Reloader` a test can watch), for the tests of adapters and applications.

pub mod context;
pub mod controller;
mod error;
pub mod handler;
mod id;
mod level;
pub mod logger;
pub mod model;
pub mod propagate;
pub mod redact;
pub mod schedule;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use chrono;
pub use controller::Controller;
pub use error::{Error, Result};
pub use handler::MemoryHandler;
pub use level::Level;
pub use logger::DynamicLogger;
pub use model::{Config, LoggingConfig, NewConfig, NewTrigger, Trigger};
pub use store::MemoryStore;
