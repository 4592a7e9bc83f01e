//! The admin's errors: one type for what the pages and the API can fail with, the one mapping
//! from an error to its HTTP status and field, and the API's JSON answer.

use std::fmt;

use actix_web::error::BlockingError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What a page or an API call can fail with. The pages answer it as an error page (or the form
/// again), the API as JSON ([`ApiError`]); [`Error::status`] is the status of both.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    /// What core refused (validation, a missing entity, a stale version) or failed at (the
    /// store, the broker).
    #[error(transparent)]
    Core(#[from] dynlog_core::Error),

    /// A core error about the whole value of one field of a request, named by that field (an
    /// import's `config_json` that is not JSON at all).
    #[error("{error}")]
    CoreIn {
        /// The request's field, such as `config_json`.
        field: &'static str,
        /// What core said of its value.
        error: dynlog_core::Error,
    },

    /// A field of a request that the admin refused before core saw it: unknown, missing or of
    /// the wrong type.
    #[error("{message}")]
    Field {
        /// The field, as the request named it.
        field: String,
        /// What is wrong with it.
        message: String,
    },

    /// A request body that is not UTF-8.
    #[error("request body is not UTF-8: {0}")]
    NotUtf8(#[source] std::str::Utf8Error),

    /// No credential, or one that matches no token.
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    Unauthenticated,

    /// A caller whose role does not allow the route.
    #[error("this needs the {needed} role; {caller} has the {role} role")]
    Forbidden {
        /// Who called: a username, `token:<name>` or the application's name.
        caller: String,
        /// Their role.
        role: dynlog_core::store::Role,
        /// The role the route needs.
        needed: dynlog_core::store::Role,
    },

    /// A route the admin serves but its route table lacks: refused to everyone until it is
    /// added (a bug of the admin, never of the caller).
    #[error("this route is missing from the admin's route table, so nobody may use it")]
    Unrouted,

    /// The store failed before the caller was known: a stranger learns only this, the log gets
    /// the rest.
    #[error("the store is unavailable: try again in a moment")]
    Unavailable(#[source] Box<Error>),

    /// Hashing or verifying a password failed (its threads are gone): neither the input's nor
    /// the store's fault.
    #[error("the password could not be hashed: {0}")]
    Hashing(String),

    /// Work sent off the async workers never came back (its thread panicked).
    #[error("background work failed: {0}")]
    Blocking(#[from] BlockingError),
}

impl Error {
    /// A field of a request refused with `message`.
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Field {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The status it is answered with, by pages and API alike.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Error::Core(error) | Error::CoreIn { error, .. } => status_of(error),
            Error::Field { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::NotUtf8(_) => StatusCode::BAD_REQUEST,
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::Unrouted => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Hashing(_) | Error::Blocking(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The field of the request it is about, if one.
    pub(crate) fn field_name(&self) -> Option<String> {
        match self {
            Error::Core(error) => field_of(error),
            Error::CoreIn { field, .. } => Some((*field).to_string()),
            Error::Field { field, .. } => Some(field.clone()),
            _ => None,
        }
    }

    /// Whether the request was at fault, so that a form shows it again with the message.
    pub(crate) fn is_input_error(&self) -> bool {
        match self {
            Error::Core(error) | Error::CoreIn { error, .. } => error.is_input_error(),
            Error::Field { .. }
            | Error::NotUtf8(_)
            | Error::Unauthenticated
            | Error::Forbidden { .. } => true,
            Error::Unavailable(_) | Error::Hashing(_) | Error::Blocking(_) | Error::Unrouted => {
                false
            }
        }
    }
}

/// The status of a core error, for pages and API alike.
pub(crate) fn status_of(error: &dynlog_core::Error) -> StatusCode {
    use dynlog_core::Error;
    match error {
        Error::MalformedJson { .. } => StatusCode::BAD_REQUEST,
        Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::ConfigNotFound(_)
        | Error::TriggerNotFound(_)
        | Error::TokenNotFound(_)
        | Error::AccountNotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } | Error::DuplicateName(_) | Error::AccountExists(_) => {
            StatusCode::CONFLICT
        }
        e if e.is_input_error() => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Store { .. } | Error::Propagation { .. } | Error::Io { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The field a core error is about, as the API names it.
fn field_of(error: &dynlog_core::Error) -> Option<String> {
    use dynlog_core::Error;
    match error {
        Error::TooLarge { field, .. }
        | Error::InvalidName { field, .. }
        | Error::Invalid { field, .. } => Some((*field).to_string()),
        Error::Conflict { .. } => Some("version".into()),
        Error::DuplicateName(_) => Some("name".into()),
        Error::AccountExists(_) => Some("username".into()),
        Error::InvalidLevel { field, .. }
        | Error::UnknownHandler { field, .. }
        | Error::UnknownFilter { field, .. }
        | Error::UnknownField { field, .. }
        | Error::WrongType { field, .. } => Some(field.clone()),
        Error::EmptyWindow { .. } => Some("end".into()),
        Error::InvalidScope { .. } => Some("scope".into()),
        _ => None,
    }
}

/// An error answered as `{"error": message, "field": ...}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    field: Option<String>,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }

    /// 401: no or a bad credential.
    pub fn unauthorized() -> Self {
        Error::Unauthenticated.into()
    }

    /// 422 about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::field(field, message).into()
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The same error about `field`.
    pub(crate) fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(serde_json::json!({
            "error": self.message,
            "field": self.field,
        }))
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let status = error.status();
        if status.is_server_error() {
            match &error {
                Error::Unavailable(cause) => log::error!(target: "dynlog::admin", "{cause}"),
                _ => log::error!(target: "dynlog::admin", "{error}"),
            }
        }
        ApiError {
            status,
            message: error.to_string(),
            field: error.field_name(),
        }
    }
}

impl From<dynlog_core::Error> for ApiError {
    fn from(error: dynlog_core::Error) -> Self {
        Error::Core(error).into()
    }
}
