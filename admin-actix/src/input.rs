//! Reading what people and scripts type: times and logger names, for the pages and the API alike.

use chrono::{DateTime, NaiveDateTime, Utc};
use dynlog_core::Error;

/// An RFC 3339 time, such as the API takes: `2026-11-24T14:30:00Z`, in the years every store
/// keeps (1 to 9999).
pub(crate) fn time(field: &'static str, value: &str) -> Result<DateTime<Utc>, Error> {
    let t = DateTime::parse_from_rfc3339(value)
        .map_err(|e| Error::Invalid {
            field,
            value: value.chars().take(64).collect(),
            reason: format!("expected an RFC 3339 time such as 2026-11-24T14:30:00Z ({e})"),
        })?
        .with_timezone(&Utc);
    dynlog_core::model::validate_time(field, t).map(|()| t)
}

/// A time typed in a form, in UTC: `2026-11-24 10:00`, with a `T`, with seconds, or RFC 3339;
/// `None` when empty.
pub(crate) fn typed_time(field: &'static str, value: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if DateTime::parse_from_rfc3339(value).is_ok() {
        return time(field, value).map(Some);
    }
    let normalized = value.replacen('T', " ", 1);
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&normalized, format) {
            let t = t.and_utc();
            return dynlog_core::model::validate_time(field, t).map(|()| Some(t));
        }
    }
    Err(Error::Invalid {
        field,
        value: value.chars().take(64).collect(),
        reason: "expected a UTC time such as 2026-11-24 14:30".into(),
    })
}

/// A logger's name as people read and type it: the root logger, `""` in configs, is `root`.
pub(crate) fn form_name(name: &str) -> &str {
    if name.is_empty() { "root" } else { name }
}

/// A logger's name as typed (`root` for the root logger), as configs spell it.
pub(crate) fn config_name(name: &str) -> &str {
    if name == "root" { "" } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_the_forms_people_type() {
        let t = |s| typed_time("start", s).unwrap().map(|t| t.to_rfc3339());
        assert_eq!(
            t("2026-11-24 14:30"),
            Some("2026-11-24T14:30:00+00:00".into())
        );
        assert_eq!(
            t("2026-11-24T14:30:05"),
            Some("2026-11-24T14:30:05+00:00".into())
        );
        assert_eq!(
            t("2026-11-24T15:30:00+01:00"),
            Some("2026-11-24T14:30:00+00:00".into())
        );
        assert_eq!(t("  "), None);
        let e = typed_time("end", "tomorrow").unwrap_err().to_string();
        assert!(e.contains("end") && e.contains("tomorrow"), "{e}");
    }

    #[test]
    fn scripts_send_rfc_3339_in_the_years_stores_keep() {
        assert!(time("start", "2026-11-24T14:30:00Z").is_ok());
        assert!(time("start", "2026-11-24 14:30").is_err());
        let e = time("end", "0000-12-31T23:00:00Z").unwrap_err().to_string();
        assert!(e.contains("end"), "{e}");
    }

    #[test]
    fn the_root_logger_is_root_in_forms() {
        assert_eq!(form_name(""), "root");
        assert_eq!(config_name("root"), "");
        assert_eq!(config_name(form_name("a::b")), "a::b");
    }
}
