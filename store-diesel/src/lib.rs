//! The dynlog store on SQLite and PostgreSQL through Diesel.
//!
//! [`DieselStore`] keeps configs, triggers, the audit, the admin's accounts and API tokens in
//! tables prefixed `dynlog_`, in a SQLite file next to the application (libsqlite3 is bundled:
//! nothing to install) or in PostgreSQL (libpq is bundled too, without OpenSSL), each behind a
//! feature (see below). Migrations for each backend are embedded and run on open.
//!
//! # Usage
//!
//! ```
//! use dynlog_core::{NewConfig, Store};
//! use dynlog_diesel::DieselStore;
//!
//! # #[cfg(feature = "sqlite")] {
//! // A SQLite file path, ":memory:", or a postgres:// URL.
//! let store = DieselStore::open(":memory:")?;
//! let config = store.create_config(
//!     "alice",
//!     &NewConfig { name: "debug import".into(), body: r#"{"loggers": {"myapp::import": {"level": "debug"}}}"#.parse()? },
//! )?;
//! assert_eq!(store.config(config.id)?.version, 1);
//! # }
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! Give the store to `dynlog_core::Controller::builder`. To log every SQL query while the
//! `diesel` logger is at debug (the seed's `db_debug`), call [`log_queries`] before opening it.
//!
//! # Feature flags
//!
//! - `sqlite` (default): SQLite, with libsqlite3 bundled.
//! - `postgres` (default): PostgreSQL, with libpq bundled (without OpenSSL).
//!
//! An application on one backend leaves the other out, and does not build its C library:
//!
//! ```toml
//! dynlog-diesel = { version = "0.1", default-features = false, features = ["sqlite"] }
//! ```
//!
//! A URL of a backend left out is refused on open with an [`Error::Invalid`] that names its
//! scheme and the feature. At least one backend is needed.
//!
//! [`Error::Invalid`]: dynlog_core::Error::Invalid

mod connection;
mod queries;
mod schema;
mod store;
mod types;

pub use queries::{QUERY_TARGET, QueryLogger, log_queries};
pub use store::DieselStore;
