//! Fleet propagation of dynlog changes over AMQP 0-9-1 (RabbitMQ).
//!
//! When one process changes a config or a trigger, [`AmqpPropagator`] publishes a doorbell
//! (`{"type": "change", "revision", "origin", "at"}`) on a fanout exchange; every process has an
//! exclusive queue of its own bound to it, and reloads its snapshot from the store, which stays
//! the truth. Heartbeats (`{"type": "status", ...}`) travel on the same exchange, so the admin's
//! fleet view lists every instance.
//!
//! # Usage
//!
//! ```no_run
//! use dynlog_amqp::{AmqpPropagator, OnError};
//! use dynlog_core::{Controller, DynamicLogger, MemoryStore};
//!
//! let logger = DynamicLogger::builder().build()?;
//! let propagator = AmqpPropagator::new("amqp://guest:guest@127.0.0.1:5672/%2f", "dynlog")?
//!     .on_error(OnError::Continue);
//! let controller = Controller::builder(logger, MemoryStore::new()).propagator(propagator).start()?;
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! The broker down at startup does not stop the application (unless [`OnError::Fail`]): it
//! checks the store until the broker is back, then declares its queue again and reloads.
//!
//! # Feature flags
//!
//! None. The client is amqprs, on a single-threaded tokio runtime in the listener's own thread:
//! the application needs no async runtime. `amqps://` (TLS) is not supported.

mod propagator;
mod url;

pub use propagator::{AmqpPropagator, Message, OnError};
