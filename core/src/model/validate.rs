//! Names, sizes and times: what may be stored, with the messages that say why not.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// The most bytes a logger name may have.
pub const MAX_LOGGER_NAME: usize = 200;
/// The most bytes a config or trigger name may have.
pub const MAX_NAME: usize = 255;
/// The most bytes a config body may have, as JSON.
pub const MAX_BODY: usize = 256 * 1024;

/// The highest budget a handler override may set, in records a second: far above what any
/// handler writes, so a larger number is a mistake rather than a budget.
pub const MAX_PER_SECOND: u32 = 10_000_000;

/// Checks a handler's `max_per_second` as JSON gives it: a whole number from 1 to
/// [`MAX_PER_SECOND`].
pub(crate) fn validate_max_per_second(handler: &str, value: &serde_json::Value) -> Result<u32> {
    value
        .as_u64()
        .filter(|n| (1..=u64::from(MAX_PER_SECOND)).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Error::WrongType {
            field: format!("handler {handler:?} field \"max_per_second\""),
            expected: "a whole number of records a second from 1 to 10000000",
            found: super::json::short_json(value),
        })
}

/// How a logger is named in messages: `the root logger` or `logger "a::b"`.
pub(crate) fn logger_field(name: &str) -> String {
    if name.is_empty() {
        "the root logger".to_string()
    } else {
        format!("logger {name:?}")
    }
}

/// Checks a logger name: `""` (the root), or `::`-separated segments of letters, digits, `_` and
/// `-`, at most [`MAX_LOGGER_NAME`] bytes.
pub fn validate_logger_name(name: &str) -> Result<()> {
    let refuse = |reason| {
        Err(Error::InvalidLoggerName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return Ok(());
    }
    if name.len() > MAX_LOGGER_NAME {
        return refuse("longer than 200 bytes");
    }
    if is_plain_ascii_name(name.as_bytes()) {
        return Ok(());
    }
    for segment in name.split("::") {
        if segment.is_empty() {
            return refuse("empty segment (names are `::`-separated, as `myapp::db`)");
        }
        if segment.chars().any(char::is_whitespace) {
            return refuse("contains white space");
        }
        if segment.chars().any(char::is_control) {
            return refuse("contains a control character");
        }
        if !segment
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return refuse("segments may hold only letters, digits, `_` and `-`");
        }
    }
    Ok(())
}

/// The common case in one pass over bytes, with no substring searcher: ASCII segments of
/// `[A-Za-z0-9_-]`, none empty, separated by exactly `::`.
fn is_plain_ascii_name(bytes: &[u8]) -> bool {
    let mut segment = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b':' => {
                if segment == 0 || bytes.get(i + 1) != Some(&b':') {
                    return false;
                }
                segment = 0;
                i += 2;
                continue;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => segment += 1,
            _ => return false,
        }
        i += 1;
    }
    segment > 0
}

/// Checks a config or trigger name: not empty (after trimming) and at most [`MAX_NAME`] bytes.
///
/// Control characters (NUL, CR, LF, ...) and the invisible marks that reorder text (bidi
/// controls such as U+202E) are refused, so a name shows as what it is.
pub fn validate_name(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.len() > MAX_NAME {
        return Err(Error::InvalidName {
            field,
            value: value.chars().take(MAX_NAME).collect(),
            max: MAX_NAME,
        });
    }
    if let Some(c) = value.chars().find(|&c| is_hidden_char(c)) {
        return Err(Error::Invalid {
            field,
            value: value.escape_default().to_string(),
            reason: format!(
                "contains the invisible character U+{:04X}: names may not hold control or \
                 text-direction characters",
                u32::from(c)
            ),
        });
    }
    Ok(())
}

/// Whether `c` is a control character or a bidi control (marks, embeddings, overrides and
/// isolates), which would hide or reorder what a name shows.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The earliest and latest instants a trigger may name: years 1 to 9999 in UTC, the times
/// that RFC 3339 and the admin's forms can write back.
pub fn validate_time(field: &'static str, t: DateTime<Utc>) -> Result<()> {
    use chrono::Datelike;
    if (1..=9999).contains(&t.year()) {
        return Ok(());
    }
    Err(Error::Invalid {
        field,
        value: t.to_rfc3339(),
        reason: "times must fall in the years 1 to 9999 (UTC)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoggingConfig;

    #[test]
    fn logger_names() {
        for good in [
            "",
            "a",
            "myapp::import",
            "actix_web::middleware::logger",
            "my-app::x1",
            "ünï",
        ] {
            validate_logger_name(good).unwrap();
        }
        for bad in [
            "::", "a::", "::a", "a:::b", "a b", "a\tb", "a::b\n", "a.b", "a/b", "<script>",
        ] {
            let err = validate_logger_name(bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidLoggerName { name, .. } if name == bad),
                "{bad}"
            );
        }
        let long = "a".repeat(MAX_LOGGER_NAME + 1);
        assert!(validate_logger_name(&long).is_err());
        validate_logger_name(&"a".repeat(MAX_LOGGER_NAME)).unwrap();
        let err = LoggingConfig::from_json(r#"{"loggers": {"a b": {}}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid logger name "a b": contains white space"#
        );
    }

    #[test]
    fn names_empty_or_too_long() {
        assert!(validate_name("config name", "x").is_ok());
        let err = validate_name("config name", "").unwrap_err();
        assert_eq!(err.to_string(), r#"config name "" is empty"#);
        assert!(validate_name("config name", "   ").is_err());
        let long = "é".repeat(128);
        let err = validate_name("trigger name", &long).unwrap_err();
        assert!(
            err.to_string().contains("256 bytes long (at most 255)"),
            "{err}"
        );
        validate_name("trigger name", &"x".repeat(MAX_NAME)).unwrap();
    }
}
