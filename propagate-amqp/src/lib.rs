//! Fleet propagation of dynlog changes over AMQP 0-9-1 (RabbitMQ).
//!
//! When one process changes a config or a trigger, [`AmqpPropagator`] publishes an
//! announcement (`{"revision", "origin", "at", "snapshot"}`, dynlog-core's [`Announcement`]) on
//! a fanout exchange; every process has an exclusive queue of its own bound to it. The
//! announcement carries the snapshot the writer read after its change, so the others apply it
//! without reading the store: the database's work per change does not grow with the fleet.
//! A snapshot over [`MAX_CARRIED`] (64 KiB), or any with
//! [`carry_snapshots(false)`](AmqpPropagator::carry_snapshots), stays behind: the announcement
//! is a doorbell and every process reloads from the store, which stays the truth.
//!
//! Carrying means that anyone who can publish on the exchange can make the fleet apply a
//! config (checked against each process's handlers and filters like any other), where a
//! doorbell could only make it reload: turn it off where the broker is less guarded than the
//! database.
//!
//! Heartbeats are the store's (every propagator's fleet view reads them there), so nothing but
//! announcements travels on the exchange.
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

pub use dynlog_core::propagate::Announcement;
pub use propagator::{AmqpPropagator, MAX_CARRIED, OnError};
