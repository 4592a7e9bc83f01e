//! The model: logging configs, stored configs and triggers, and their validation.
//!
//! - `config`: [`LoggingConfig`] and its parts, the [`Registry`] it is checked against, overlays;
//! - `json`: reading a config from JSON, every error naming its field and value;
//! - `validate`: names, sizes and times;
//! - `stored`: [`Config`] and [`Trigger`] as stored, and what creating one takes.

mod config;
mod json;
mod stored;
mod validate;

pub use config::{FilterName, HandlerName, HandlerOverride, LoggerSpec, LoggingConfig, Registry};
pub(crate) use json::{HANDLER_FIELDS, LOGGER_FIELDS, as_object, invalid_level, parse_body};
pub use stored::{Config, ConfigId, NewConfig, NewTrigger, Trigger, TriggerId};
pub(crate) use validate::logger_field;
pub use validate::{
    MAX_BODY, MAX_LOGGER_NAME, MAX_NAME, is_hidden_char, validate_logger_name, validate_name,
    validate_time,
};
