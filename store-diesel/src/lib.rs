//! The dynlog store on SQLite and PostgreSQL through Diesel.
//!
//! [`DieselStore`] keeps configs, triggers, the audit, the admin's accounts and API tokens in
//! tables prefixed `dynlog_`, in a SQLite file next to the application (libsqlite3 is bundled:
//! nothing to install) or in PostgreSQL (libpq is bundled too, built with OpenSSL for TLS), each behind a
//! feature (see below). Migrations for each backend are embedded and run on open.
//!
//! # Usage
//!
//! ```
//! use dynlog_core::{Controller, DynamicLogger, Level, NewConfig};
//! use dynlog_diesel::DieselStore;
//!
//! # #[cfg(feature = "sqlite")] {
//! // A SQLite file path, ":memory:", or a postgres:// URL.
//! let store = DieselStore::open(":memory:")?;
//! // The controller is the one way in for changes: it validates, stores, announces, applies.
//! let controller = Controller::builder(DynamicLogger::builder().build()?, store.clone()).start()?;
//! let config = controller.create_config(
//!     "alice",
//!     &NewConfig::raising("debug import", "myapp::import", Level::Debug),
//! )?;
//! assert_eq!(controller.store().config(config.id)?.version, 1);
//! # }
//! # Ok::<(), dynlog_core::Error>(())
//! ```
//!
//! The same store keeps the admin's accounts and tokens (`dynlog_core::store::AccountStore`): give
//! a clone to the admin. Clones share one connection pool.
//!
//! On PostgreSQL, [`PgNotifyPropagator`] carries changes to the fleet with `LISTEN`/`NOTIFY`
//! on the same database: a fleet needs no broker.
//!
//! To log every SQL query while the
//! `diesel` logger is at debug (the seed's `db_debug`), call [`log_queries`] before opening it.
//!
//! # Feature flags
//!
//! - `sqlite` (default): SQLite, with libsqlite3 bundled.
//! - `postgres` (default): PostgreSQL, with libpq bundled and built with OpenSSL, so the URL's
//!   `sslmode=require`, `verify-ca` and `verify-full` (with `sslrootcert=/path/to/ca.pem`) work.
//!   A TLS failure names the `sslmode` and `sslrootcert` at fault.
//! - `vendored-openssl` (default): OpenSSL built from source for it, so nothing needs
//!   installing. Without it (`default-features = false, features = ["sqlite", "postgres"]`)
//!   libpq links the system's OpenSSL (`libssl-dev` and `pkg-config` on Debian), which builds
//!   faster and reads the system's certificate authorities for `sslrootcert=system`.
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
#[cfg(feature = "postgres")]
mod notify;
mod queries;
mod schema;
mod store;
#[cfg(feature = "postgres")]
mod tls;
mod types;

#[cfg(feature = "postgres")]
pub use notify::{LISTENER_NAME, PgNotifyPropagator};
pub use queries::{QUERY_TARGET, QueryLogger, log_queries};
pub use store::DieselStore;
