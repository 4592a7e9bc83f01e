//! The model: logging configs, stored configs and triggers, and their validation.
//!
//! - `config`: [`LoggingConfig`] and its parts, the [`Registry`] it is checked against, overlays;
//! - `json`: reading a config from JSON, every error naming its field and value;
//! - `scope`: which records a scoped config applies to;
//! - `validate`: names, sizes and times;
//! - `stored`: [`Config`] and [`Trigger`] as stored, and what creating one takes;
//! - `seed`: importing django-dynamic-logging's `config_json`;
//! - `spec`: reading a RUST_LOG-style spec.

mod config;
mod json;
mod scope;
mod seed;
mod spec;
mod stored;
mod validate;

pub use crate::id::{ConfigId, TriggerId};
pub use crate::level::LoggerLevel;
pub use config::{FilterName, HandlerName, HandlerOverride, LoggerSpec, LoggingConfig, Registry};
pub use scope::{MAX_SCOPE_KEYS, MAX_SCOPE_LEN, MAX_SCOPE_VALUES, Scope};
pub use stored::{Config, ConfigKind, NewConfig, NewTrigger, Trigger};
pub use validate::{
    MAX_BODY, MAX_LOGGER_NAME, MAX_NAME, MAX_PER_SECOND, is_hidden_char, validate_logger_name,
    validate_name, validate_time,
};
