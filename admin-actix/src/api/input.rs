//! What the API reads: request bodies as serde structs that refuse unknown fields, each error
//! naming its field (by `serde_path_to_error`).

use chrono::{DateTime, Duration, Utc};
use dynlog_core::model::{ConfigId, MAX_BODY};
use dynlog_core::{LoggingConfig, NewConfig, NewTrigger};
use serde::de::{self, DeserializeOwned, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::Error;
use crate::input;

/// How long a window created without an `end` lasts, as in the form (and the seed).
const DEFAULT_WINDOW: Duration = Duration::hours(2);

/// Reads `bytes` as the JSON object `T` describes: 413 over the size limit, 400 when it is not
/// JSON, 422 naming the field when it is not such an object.
pub(super) fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() > MAX_BODY + 16 * 1024 {
        return Err(dynlog_core::Error::TooLarge {
            field: "request body",
            size: bytes.len(),
            max: MAX_BODY,
        }
        .into());
    }
    let text = std::str::from_utf8(bytes).map_err(Error::NotUtf8)?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| dynlog_core::Error::MalformedJson {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
    if !value.is_object() {
        return Err(Error::field(
            "request body",
            format!("expected a JSON object, not {value}"),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = match e.path().to_string() {
            path if path == "." => "request body".to_string(),
            path => path,
        };
        let message = message(&field, &e.into_inner().to_string());
        Error::field(field, message)
    })
}

/// serde's message about `field`, in the words of the rest of the API.
fn message(field: &str, serde: &str) -> String {
    match serde
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
    {
        Some((name, expected)) => format!(
            "unknown field {name:?} ({})",
            expected.trim_start_matches(", ").replace('`', "")
        ),
        None => format!("field {field:?}: {serde}"),
    }
}

fn required(field: &str) -> Error {
    Error::field(field, format!("field {field:?} is required"))
}

/// A field that may be left out (`None`), sent as `null` (`Some(None)`) or sent with a value;
/// with `#[serde(default)]`.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An RFC 3339 time in the years every store keeps.
struct Time(DateTime<Utc>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Rfc3339;
        impl Visitor<'_> for Rfc3339 {
            type Value = Time;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an RFC 3339 time such as 2026-11-24T14:30:00Z, or null")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Time, E> {
                input::time("time", text).map(Time).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Rfc3339)
    }
}

/// `{"name", "body"}` (plus `version` for updates; `id`, `updated_at` and `warnings` as read are
/// ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigInput {
    name: Option<String>,
    body: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    version: Option<Option<i64>>,
    #[serde(default, rename = "id")]
    _id: IgnoredAny,
    #[serde(default, rename = "updated_at")]
    _updated_at: IgnoredAny,
    #[serde(default, rename = "warnings")]
    _warnings: IgnoredAny,
}

impl ConfigInput {
    /// The config to write, and the version it was read at, if sent.
    pub(super) fn config(self) -> Result<(NewConfig, Option<i64>), Error> {
        let body = match self.body {
            None => LoggingConfig::default(),
            Some(body) => LoggingConfig::from_value(&body)?,
        };
        let version = self
            .version
            .map(|v| v.ok_or_else(|| required("version")))
            .transpose()?;
        let name = self.name.ok_or_else(|| required("name"))?;
        Ok((NewConfig { name, body }, version))
    }
}

/// `{"name", "config_id", "start", "end", "is_active"}` (plus `version` for updates; `id` and
/// `updated_at` as read are ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TriggerInput {
    name: Option<String>,
    config_id: Option<i64>,
    start: Option<Time>,
    #[serde(default, deserialize_with = "present")]
    end: Option<Option<Time>>,
    is_active: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    version: Option<Option<i64>>,
    #[serde(default, rename = "id")]
    _id: IgnoredAny,
    #[serde(default, rename = "updated_at")]
    _updated_at: IgnoredAny,
}

impl TriggerInput {
    /// The trigger to write, and the version it was read at, if sent.
    ///
    /// `end` left out: on a creation (`now` given), the window ends [`DEFAULT_WINDOW`] after its
    /// start (or after `now` when it has no start); on an update it is an error, so that a
    /// partial update never moves a window. `"end": null` means "until deleted".
    pub(super) fn trigger(
        self,
        now: Option<DateTime<Utc>>,
    ) -> Result<(NewTrigger, Option<i64>), Error> {
        let version = self
            .version
            .map(|v| v.ok_or_else(|| required("version")))
            .transpose()?;
        let start = self.start.map(|t| t.0);
        let end = match (self.end, now) {
            (Some(end), _) => end.map(|t| t.0),
            (None, Some(now)) => start.unwrap_or(now).checked_add_signed(DEFAULT_WINDOW),
            (None, None) => {
                return Err(Error::field(
                    "end",
                    "field \"end\" is required when updating a trigger (null for \"until deleted\")",
                ));
            }
        };
        let trigger = NewTrigger {
            name: self.name.ok_or_else(|| required("name"))?,
            config_id: ConfigId(self.config_id.ok_or_else(|| required("config_id"))?),
            start,
            end,
            is_active: self.is_active.unwrap_or(true),
        };
        Ok((trigger, version))
    }
}

/// `{"active": true or false, "version"}`: a trigger switched on or off, at the version read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActiveInput {
    pub(super) active: bool,
    pub(super) version: i64,
}

/// `{"target", "minutes", "level", "scope", "debug_token"}`: debug a target for a while (60
/// minutes and debug when left out; `level` is `debug` or `trace`), only for the records a
/// `scope` matches (`{"tenant": ["acme"]}`), or only for the requests that send a new debug
/// token (`"debug_token": true`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DebugInput {
    pub(super) target: String,
    #[serde(default)]
    pub(super) scope: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub(super) debug_token: bool,
    #[serde(default = "an_hour")]
    pub(super) minutes: u32,
    #[serde(default = "debug")]
    pub(super) level: dynlog_core::Level,
}

fn debug() -> dynlog_core::Level {
    dynlog_core::Level::Debug
}

/// `{"version"}`: stop a running trigger now, at the version read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StopInput {
    pub(super) version: Option<i64>,
}

/// `{"version", "minutes"}`: move a trigger's end later (60 minutes when left out).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtendInput {
    pub(super) version: Option<i64>,
    #[serde(default = "an_hour")]
    pub(super) minutes: u32,
}

fn an_hour() -> u32 {
    60
}

/// `{"body": {...}}`: the config to preview (a `name` is ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PreviewInput {
    #[serde(default = "empty_object")]
    body: Value,
    #[serde(default, rename = "name")]
    _name: IgnoredAny,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl PreviewInput {
    /// The config to preview.
    pub(super) fn config(self) -> Result<LoggingConfig, Error> {
        Ok(LoggingConfig::from_value(&self.body)?)
    }
}

/// `{"name", "config_json"}`: a config as django-dynamic-logging's editor saves it, or as dynlog
/// writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportInput {
    name: Option<String>,
    config_json: Option<Value>,
}

impl ImportInput {
    /// The config to create, and what its conversion dropped.
    pub(super) fn config(self) -> Result<(NewConfig, Vec<String>), Error> {
        let name = self.name.ok_or_else(|| required("name"))?;
        let json = self.config_json.ok_or_else(|| required("config_json"))?;
        let (body, warnings) = seed_config("config_json", &json).map_err(|e| {
            // An error about the whole text names this field; one inside it, its own.
            let whole = match &e {
                dynlog_core::Error::MalformedJson { .. } | dynlog_core::Error::TooLarge { .. } => {
                    true
                }
                dynlog_core::Error::WrongType { field, .. } => {
                    field == "\"config_json\"" || field == "the config"
                }
                _ => false,
            };
            if whole {
                Error::CoreIn {
                    field: "config_json",
                    error: e,
                }
            } else {
                Error::Core(e)
            }
        })?;
        Ok((NewConfig { name, body }, warnings))
    }
}

/// Reads `value`, the `field` of an import, as [`LoggingConfig::from_seed_json`] does: a JSON
/// object, or a string holding one (the seed stores `config_json` as text).
pub(crate) fn seed_config(
    field: &str,
    value: &Value,
) -> dynlog_core::Result<(LoggingConfig, Vec<String>)> {
    match value {
        Value::String(text) => LoggingConfig::from_seed_json(text),
        Value::Object(_) => LoggingConfig::from_seed_json(&value.to_string()),
        other => Err(dynlog_core::Error::WrongType {
            field: format!("{field:?}"),
            expected: "a JSON object or a string holding one",
            found: other.to_string().chars().take(64).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(body: &str, now: Option<DateTime<Utc>>) -> (Option<String>, String) {
        let error = read::<TriggerInput>(body.as_bytes())
            .and_then(|t| t.trigger(now))
            .expect_err("an error");
        (error.field_name(), error.to_string())
    }

    #[test]
    fn errors_name_their_field() {
        let now = Some(Utc::now());
        let (f, m) = field(r#"{"name": "t", "config_id": 1, "colour": 1}"#, now);
        assert_eq!(f.as_deref(), Some("colour"));
        assert!(
            m.starts_with("unknown field \"colour\" (expected one of"),
            "{m}"
        );
        assert!(m.contains("config_id"), "{m}");
        let (f, m) = field(r#"{"name": "t", "config_id": 1, "start": "tomorrow"}"#, now);
        assert_eq!(f.as_deref(), Some("start"), "{m}");
        assert!(m.contains("tomorrow"), "{m}");
        let (f, _) = field(r#"{"name": "t", "config_id": "1"}"#, now);
        assert_eq!(f.as_deref(), Some("config_id"));
        let (f, _) = field(r#"{"name": "t", "config_id": 1, "is_active": "yes"}"#, now);
        assert_eq!(f.as_deref(), Some("is_active"));
        let (f, m) = field(r#"{"config_id": 1}"#, now);
        assert_eq!(
            (f.as_deref(), m.as_str()),
            (Some("name"), "field \"name\" is required")
        );
        let (f, _) = field(r#"{"name": "t", "config_id": 1, "version": null}"#, None);
        assert_eq!(f.as_deref(), Some("version"));
        let (f, _) = field("[1]", now);
        assert_eq!(f.as_deref(), Some("request body"));
    }

    #[test]
    fn an_end_left_out_is_two_hours_on_creation_and_an_error_on_update() {
        let now = Utc::now();
        let start = "2030-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let read_trigger =
            |body: &str, now| read::<TriggerInput>(body.as_bytes()).and_then(|t| t.trigger(now));
        let (t, version) = read_trigger(
            r#"{"name": "t", "config_id": 1, "start": "2030-01-01T00:00:00Z"}"#,
            Some(now),
        )
        .unwrap();
        assert_eq!(
            (t.start, t.end, version),
            (Some(start), Some(start + DEFAULT_WINDOW), None)
        );
        let (t, _) = read_trigger(r#"{"name": "t", "config_id": 1}"#, Some(now)).unwrap();
        assert_eq!(
            (t.start, t.end, t.is_active),
            (None, Some(now + DEFAULT_WINDOW), true)
        );
        let (t, _) =
            read_trigger(r#"{"name": "t", "config_id": 1, "end": null}"#, Some(now)).unwrap();
        assert_eq!(t.end, None, "an explicit null stays open-ended");
        let (t, version) = read_trigger(
            r#"{"name": "t", "config_id": 1, "end": null, "version": 3, "id": 9, "updated_at": "x"}"#,
            None,
        )
        .unwrap();
        assert_eq!((t.end, version), (None, Some(3)));
        let (f, _) = field(r#"{"name": "t", "config_id": 1, "version": 3}"#, None);
        assert_eq!(f.as_deref(), Some("end"));
    }

    #[test]
    fn configs_ignore_what_a_read_answered() {
        let (new, version) = read::<ConfigInput>(
            br#"{"id": 1, "name": "c", "body": null, "version": 2, "updated_at": "x", "warnings": []}"#,
        )
        .and_then(ConfigInput::config)
        .unwrap();
        assert_eq!((new.name.as_str(), version), ("c", Some(2)));
        assert_eq!(new.body, LoggingConfig::default());
        let error = read::<ConfigInput>(br#"{"name": "x", "bodyy": {}}"#)
            .err()
            .unwrap();
        assert_eq!(error.field_name().as_deref(), Some("bodyy"));
        assert!(
            error.to_string().contains("unknown field \"bodyy\""),
            "{error}"
        );
    }
}
