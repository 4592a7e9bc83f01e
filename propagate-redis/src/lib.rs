//! Fleet propagation of dynlog changes over Redis pub/sub.
//!
//! When one process changes a config or a trigger, [`RedisPropagator`] publishes a doorbell
//! (`{"revision", "origin", "at"}`) on a channel; every other process reloads its snapshot from
//! the store, which stays the truth. Each process also writes a heartbeat (its
//! `InstanceStatus`, with an expiry) so the admin shows which instance runs what.
//!
//! # Usage
//!
//! ```no_run
//! use dynlog_core::{Controller, DynamicLogger, MemoryStore};
//! use dynlog_redis::{OnError, RedisPropagator};
//!
//! let logger = DynamicLogger::builder().build()?;
//! let propagator = RedisPropagator::new("redis://127.0.0.1:6379/", "dynlog")?.on_error(OnError::Continue);
//! let controller = Controller::builder(logger, MemoryStore::new()).propagator(propagator).start()?;
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! # TLS
//!
//! A `rediss://` URL connects over TLS with rustls (its `ring` cryptography), verifying the
//! server against the system's certificate authorities, or against a CA file of your own:
//!
//! ```no_run
//! use dynlog_redis::RedisPropagator;
//!
//! let propagator = RedisPropagator::new("rediss://:s3cret@redis.example.com:6380/", "dynlog")?
//!     .ca_file("/etc/dynlog/redis-ca.pem")?;
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! Redis down at startup does not stop the application (unless [`OnError::Fail`]): it checks the
//! store until Redis is back, then resubscribes and reloads.
//!
//! # Feature flags
//!
//! None. The synchronous `redis` client is used: no async runtime is needed.

mod propagator;
mod tls;

pub use dynlog_core::propagate::Announcement;
pub use propagator::{MAX_CARRIED, OnError, RedisPropagator};
