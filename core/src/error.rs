//! The one error type of `dynlog-core`.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::id::{ConfigId, TriggerId};

/// The level names `Level` and `LoggerLevel` parse, for messages (kept here so that the error
/// needs nothing of the level module; a test there keeps the two in step).
pub(crate) const LEVEL_NAMES: &[&str] = &[
    "off",
    "error",
    "warn",
    "info",
    "debug",
    "trace",
    "notset (inherit)",
];

/// What went wrong, with the offending value.
///
/// Validation errors name the field, the value and what would have been accepted, so an admin form
/// or an API client can show them as they are. Adapter errors (a database, a broker) arrive as
/// [`Error::Store`] or [`Error::Propagation`] with the driver's own error as the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A level name that is not one of the known levels or their aliases.
    #[error("invalid level {value:?} in {field} (expected one of: {})", LEVEL_NAMES.join(", "))]
    InvalidLevel {
        /// Where the level was given, such as `logger "myapp::import"`.
        field: String,
        /// The value as given.
        value: String,
    },

    /// A logger name that is not `""` or `::`-separated segments of letters, digits, `_` and `-`.
    #[error("invalid logger name {name:?}: {reason}")]
    InvalidLoggerName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A handler name the application does not declare.
    #[error("unknown handler {name:?} in {field} (known: {})", known.join(", "))]
    UnknownHandler {
        /// Where it was named, such as `logger "myapp::import"`.
        field: String,
        /// The name as given.
        name: String,
        /// The handlers the application declares.
        known: Vec<String>,
    },

    /// A filter name the application does not declare.
    #[error("unknown filter {name:?} in {field} (known: {})", known_or_none(known))]
    UnknownFilter {
        /// Where it was named, such as `handler "console"`.
        field: String,
        /// The name as given.
        name: String,
        /// The filters the application declares.
        known: Vec<String>,
    },

    /// A JSON object with a field this shape does not have.
    #[error("unknown field {name:?} in {field} (expected: {})", expected.join(", "))]
    UnknownField {
        /// The object that had it, such as `logger "myapp::import"`.
        field: String,
        /// The field name as given.
        name: String,
        /// The fields that object takes.
        expected: Vec<&'static str>,
    },

    /// A JSON value of the wrong type, such as a number where a list of names was expected.
    #[error("{field} must be {expected}, not {found}")]
    WrongType {
        /// The field, such as `logger "myapp::import" field "handlers"`.
        field: String,
        /// The type that was expected.
        expected: &'static str,
        /// What was found instead, as JSON.
        found: String,
    },

    /// Text that is not JSON at all.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        /// The parser's message.
        message: String,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        column: usize,
    },

    /// A name (of a config or trigger) that is empty or too long.
    #[error("{field} {value:?} is {}", if value.is_empty() { "empty".to_string() } else { format!("{} bytes long (at most {max})", value.len()) })]
    InvalidName {
        /// Which name, such as `config name`.
        field: &'static str,
        /// The name as given.
        value: String,
        /// The most bytes it may have.
        max: usize,
    },

    /// A value refused for a reason of its own, such as a time that does not parse or a
    /// password that is too short.
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        /// Which field, such as `start` or `password`.
        field: &'static str,
        /// The value as given (or a description of it, for secrets).
        value: String,
        /// What is wrong with it and what is expected.
        reason: String,
    },

    /// A scope key or value that is empty, too long or not printable, or a scope too large.
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidScope {
        /// Where, such as `scope key` or `scope key "tenant" value`.
        field: String,
        /// The key or value as given (cut at the bound).
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A body larger than the limit.
    #[error("{field} is {size} bytes (at most {max})")]
    TooLarge {
        /// Which body, such as `config body`.
        field: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The most bytes it may have.
        max: usize,
    },

    /// A trigger whose window ends at or before it starts.
    #[error("trigger {name:?}: end {end} is not after start {start}", start = start.to_rfc3339(), end = end.to_rfc3339())]
    EmptyWindow {
        /// The trigger's name.
        name: String,
        /// Its start.
        start: DateTime<Utc>,
        /// Its end.
        end: DateTime<Utc>,
    },

    /// A config that does not exist.
    #[error("config {0} does not exist")]
    ConfigNotFound(ConfigId),

    /// A trigger that does not exist.
    #[error("trigger {0} does not exist")]
    TriggerNotFound(TriggerId),

    /// An API token that does not exist.
    #[error("API token {0} does not exist")]
    TokenNotFound(i64),

    /// An admin account that does not exist, by username.
    #[error("account {0:?} does not exist")]
    AccountNotFound(String),

    /// A username already taken by another account.
    #[error("an account named {0:?} already exists")]
    AccountExists(String),

    /// A name already taken by another config.
    #[error("a config named {0:?} already exists")]
    DuplicateName(String),

    /// An update made from a stale read: someone else changed the entity since.
    #[error(
        "{entity} {id} was changed by someone else (version {expected} was edited, version {actual} is stored)"
    )]
    Conflict {
        /// `config` or `trigger`.
        entity: &'static str,
        /// Its id.
        id: i64,
        /// The version the update was based on.
        expected: i64,
        /// The version in the store.
        actual: i64,
    },

    /// A runtime setting that names something the application did not register.
    #[error("unknown {kind} {name:?} (known: {})", known_or_none(known))]
    UnknownName {
        /// What kind of thing, such as `hook`.
        kind: &'static str,
        /// The name as given.
        name: String,
        /// The names registered.
        known: Vec<String>,
    },

    /// A RUST_LOG-style spec that does not parse.
    #[error("invalid logging spec {spec:?}: {reason}")]
    InvalidSpec {
        /// The spec as given.
        spec: String,
        /// Why it was refused.
        reason: String,
    },

    /// The store failed (the database is down, a query failed).
    ///
    /// The driver's message is part of this error's own, so a report that walks
    /// [`source`](std::error::Error::source) chains would print it twice: the driver's error is
    /// kept in `cause` instead, for code that inspects it.
    #[error("store error: {message}")]
    Store {
        /// What the store was doing, with the driver's message.
        message: String,
        /// The driver's error.
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The propagator failed (the broker is down). As with [`Error::Store`], the driver's
    /// message is part of this one's and its error is kept in `cause`.
    #[error("propagation error: {message}")]
    Propagation {
        /// What the propagator was doing, with the driver's message.
        message: String,
        /// The driver's error.
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// An I/O error, such as a log file that cannot be opened. As with [`Error::Store`], the
    /// I/O error's message is part of this one's and the error is kept in `cause`.
    #[error("{context}: {cause}")]
    Io {
        /// What was being done, such as `opening log file "/var/log/app.log"`.
        context: String,
        /// The I/O error.
        cause: std::io::Error,
    },

    /// `log::set_logger` was already called by someone else.
    #[error("a global logger is already installed")]
    AlreadyInstalled,
}

impl Error {
    /// A store error: what the store was doing and the driver's error, whose message it
    /// includes once.
    pub fn store(
        message: impl fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Store {
            message: format!("{message}: {cause}"),
            cause: Some(Box::new(cause)),
        }
    }

    /// A propagation error: what the propagator was doing and the driver's error, whose
    /// message it includes once.
    pub fn propagation(
        message: impl fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Propagation {
            message: format!("{message}: {cause}"),
            cause: Some(Box::new(cause)),
        }
    }

    /// Whether the input was at fault (validation, a missing entity, a conflict), as opposed to
    /// the store or the broker. Input errors are worth showing to the person who typed them;
    /// the others are worth retrying.
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            Error::Store { .. }
                | Error::Propagation { .. }
                | Error::Io { .. }
                | Error::AlreadyInstalled
        )
    }
}

fn known_or_none(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    }
}

/// `Result` with [`Error`] as its default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A report that prints an error and then each source prints the driver's words once.
    fn report(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut next = error.source();
        while let Some(cause) = next {
            text.push_str(&format!(": {cause}"));
            next = cause.source();
        }
        text
    }

    #[test]
    fn a_drivers_message_is_told_once() {
        let driver = std::io::Error::other("connection refused");
        let error = Error::store("connecting to postgres://db/app", driver);
        assert_eq!(
            report(&error),
            "store error: connecting to postgres://db/app: connection refused"
        );
        let Error::Store { cause, .. } = &error else {
            unreachable!()
        };
        assert!(cause.is_some(), "the driver's error is kept");
        let error = Error::Io {
            context: "opening log file \"/x\"".into(),
            cause: std::io::Error::other("denied"),
        };
        assert_eq!(report(&error), "opening log file \"/x\": denied");
    }
}
