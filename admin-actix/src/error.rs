//! Errors as the API answers them: JSON with a 4xx status naming the field and the value.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use dynlog_core::Error;

/// An error answered as `{"error": message, "field": ...}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    pub(crate) field: Option<String>,
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
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: send `Authorization: Bearer <token>`",
        )
    }

    /// 422 about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
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
        let (status, field) = match &error {
            Error::MalformedJson { .. } => (StatusCode::BAD_REQUEST, None),
            Error::TooLarge { field, .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, Some(field.to_string()))
            }
            Error::ConfigNotFound(_)
            | Error::TriggerNotFound(_)
            | Error::TokenNotFound(_)
            | Error::AccountNotFound(_) => (StatusCode::NOT_FOUND, None),
            Error::Conflict { .. } => (StatusCode::CONFLICT, Some("version".to_string())),
            Error::DuplicateName(_) => (StatusCode::CONFLICT, Some("name".to_string())),
            Error::InvalidLevel { field, .. }
            | Error::UnknownHandler { field, .. }
            | Error::UnknownFilter { field, .. }
            | Error::UnknownField { field, .. }
            | Error::WrongType { field, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field.clone()))
            }
            Error::InvalidName { field, .. } | Error::Invalid { field, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field.to_string()))
            }
            Error::EmptyWindow { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, Some("end".to_string()))
            }
            Error::Store { .. } => (StatusCode::SERVICE_UNAVAILABLE, None),
            e if e.is_input_error() => (StatusCode::UNPROCESSABLE_ENTITY, None),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        if status.is_server_error() {
            log::error!(target: "dynlog::admin", "{error}");
        }
        ApiError {
            status,
            message: error.to_string(),
            field,
        }
    }
}
