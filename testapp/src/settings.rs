//! The testapp's settings, from the environment. A bad value stops the start with a message
//! naming the variable and the value.

use std::net::SocketAddr;
use std::time::Duration;

use dynlog_core::handler::{Format, Rotation};
use dynlog_core::redact::redact_url;

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{variable}={value:?}: {reason}")]
pub(crate) struct SettingError {
    variable: &'static str,
    value: String,
    reason: String,
}

/// The longest `DYNLOG_CHANNEL`: PostgreSQL's identifier limit, the tightest of the three.
const MAX_CHANNEL: usize = 63;

/// How changes reach the other processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PropagatorKind {
    Local,
    None,
    Polling,
    Redis,
    /// LISTEN/NOTIFY on the PostgreSQL of `DATABASE_URL`.
    Postgres,
    /// AMQP (RabbitMQ) at `AMQP_URL`.
    Amqp,
}

/// Everything the testapp reads from its environment. Its `Debug` leaves out the secrets.
#[derive(Clone)]
pub(crate) struct Settings {
    /// `DATABASE_URL`: a SQLite path or a `postgres://` URL.
    pub(crate) database_url: String,
    /// `REDIS_URL`, for the Redis propagator.
    pub(crate) redis_url: Option<String>,
    /// `REDIS_CA_FILE`: the certificate authorities a `rediss://` Redis is checked against,
    /// instead of the system's.
    pub(crate) redis_ca_file: Option<String>,
    /// `AMQP_URL`, for the AMQP propagator.
    pub(crate) amqp_url: Option<String>,
    /// `DYNLOG_PROPAGATOR`.
    pub(crate) propagator: PropagatorKind,
    /// `DYNLOG_CHANNEL`: the Redis channel, AMQP exchange or LISTEN/NOTIFY channel the
    /// propagator announces changes on (`dynlog` by default): one per environment sharing a
    /// broker or a database server.
    pub(crate) channel: String,
    /// `DYNLOG_POLL_SECONDS`, for the polling propagator.
    pub(crate) poll: Duration,
    /// `DYNLOG_BIND`.
    pub(crate) bind: SocketAddr,
    /// `DYNLOG_BASELINE`, a RUST_LOG-style spec laid over the built-in baseline.
    pub(crate) baseline: Option<String>,
    /// `DYNLOG_LOG_FILE`: where the `file` handler writes.
    pub(crate) log_file: String,
    /// `DYNLOG_LOG_FORMAT`: `text` (the default) or `json`, for the `file` handler.
    pub(crate) log_format: Format,
    /// `DYNLOG_LOG_ROTATE`: how the `file` handler rotates (`size:10MB,keep:5`,
    /// `daily,keep:7`, `daily,size:10MB,keep:7,gzip`); none by default.
    pub(crate) log_rotate: Option<Rotation>,
    /// `DYNLOG_API_TOKEN`: a bearer token registered for scripts (its hash is stored).
    pub(crate) api_token: Option<String>,
    /// `DYNLOG_JOB_SECONDS`: how often the demo job logs.
    pub(crate) job_every: Duration,
    /// `DYNLOG_APP_NAME`, for the fleet view.
    pub(crate) app_name: String,
    /// `DYNLOG_ADMIN_USER` and `DYNLOG_ADMIN_PASSWORD`: an admin account kept with this
    /// password (made, or its password set, at start).
    pub(crate) admin: Option<(String, String)>,
    /// `DYNLOG_SESSION_SECRET`: signs admin sessions, the same in every instance (at least 32
    /// bytes); without it each process signs with its own random key.
    pub(crate) session_secret: Option<String>,
    /// `DYNLOG_SECURE_COOKIES`: mark admin cookies HTTPS-only (off: the testapp serves HTTP).
    pub(crate) secure_cookies: bool,
    /// `DYNLOG_STORE_REQUIRED`: refuse to start while the database is down (off: start on the
    /// baseline and connect in the background).
    pub(crate) store_required: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |secret: bool| if secret { "(set)" } else { "(none)" };
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("redis_ca_file", &self.redis_ca_file)
            .field("amqp_url", &self.amqp_url.as_deref().map(redact_url))
            .field("propagator", &self.propagator)
            .field("channel", &self.channel)
            .field("poll", &self.poll)
            .field("bind", &self.bind)
            .field("baseline", &self.baseline)
            .field("log_file", &self.log_file)
            .field("log_format", &self.log_format)
            .field("log_rotate", &self.log_rotate)
            .field("api_token", &set(self.api_token.is_some()))
            .field("job_every", &self.job_every)
            .field("app_name", &self.app_name)
            .field("admin", &self.admin.as_ref().map(|(user, _)| user))
            .field("session_secret", &set(self.session_secret.is_some()))
            .field("secure_cookies", &self.secure_cookies)
            .field("store_required", &self.store_required)
            .finish()
    }
}

impl Settings {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<Settings, SettingError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get`, so tests need not touch the process environment.
    pub(crate) fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let bad = |variable: &'static str, value: &str, reason: &str| SettingError {
            variable,
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "dynlog-testapp.sqlite3".into());
        if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
            || !database_url.contains("://"))
        {
            // Named without its password: this message goes to stderr.
            return Err(bad(
                "DATABASE_URL",
                &redact_url(&database_url),
                "expected a SQLite file path or a postgres:// URL",
            ));
        }
        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(bad(
                "REDIS_URL",
                &redact_url(url),
                "expected a redis:// URL",
            ));
        }
        let redis_ca_file = get("REDIS_CA_FILE");
        if let Some(path) = &redis_ca_file {
            if !redis_url
                .as_deref()
                .is_some_and(|u| u.starts_with("rediss://"))
            {
                return Err(bad(
                    "REDIS_CA_FILE",
                    path,
                    "is for a rediss:// REDIS_URL (TLS)",
                ));
            }
            if !std::path::Path::new(path).is_file() {
                return Err(bad("REDIS_CA_FILE", path, "is not a readable file"));
            }
        }
        let channel = get("DYNLOG_CHANNEL").unwrap_or_else(|| "dynlog".into());
        let channel_ok = channel.len() <= MAX_CHANNEL
            && !channel.starts_with(|c: char| c.is_ascii_digit())
            && channel
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !channel_ok {
            return Err(bad(
                "DYNLOG_CHANNEL",
                &channel.chars().take(100).collect::<String>(),
                "expected 1 to 63 lowercase letters, digits and _, not starting with a digit",
            ));
        }
        let amqp_url = get("AMQP_URL");
        if let Some(url) = &amqp_url {
            // Read now, so a bad URL stops the start; named without its password.
            dynlog_amqp::AmqpPropagator::new(url, &channel)
                .map_err(|e| bad("AMQP_URL", &redact_url(url), &e.to_string()))?;
        }
        let propagator = match get("DYNLOG_PROPAGATOR") {
            None if redis_url.is_some() => PropagatorKind::Redis,
            None => PropagatorKind::Local,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "local" => PropagatorKind::Local,
                "none" => PropagatorKind::None,
                "polling" => PropagatorKind::Polling,
                "redis" => PropagatorKind::Redis,
                "postgres" => PropagatorKind::Postgres,
                "amqp" => PropagatorKind::Amqp,
                _ => {
                    return Err(bad(
                        "DYNLOG_PROPAGATOR",
                        &value,
                        "expected one of: local, none, polling, redis, postgres, amqp",
                    ));
                }
            },
        };
        if propagator == PropagatorKind::Redis && redis_url.is_none() {
            return Err(bad(
                "DYNLOG_PROPAGATOR",
                "redis",
                "the redis propagator needs REDIS_URL",
            ));
        }
        if propagator == PropagatorKind::Postgres && !database_url.starts_with("postgres") {
            return Err(bad(
                "DYNLOG_PROPAGATOR",
                "postgres",
                "the postgres propagator (LISTEN/NOTIFY) needs a postgres:// DATABASE_URL",
            ));
        }
        if propagator == PropagatorKind::Amqp && amqp_url.is_none() {
            return Err(bad(
                "DYNLOG_PROPAGATOR",
                "amqp",
                "the amqp propagator needs AMQP_URL",
            ));
        }
        let seconds = |variable: &'static str, default: f64| -> Result<Duration, SettingError> {
            match get(variable) {
                None => Ok(Duration::from_secs_f64(default)),
                Some(value) => match value.trim().parse::<f64>() {
                    Ok(s) if s > 0.0 && s < 86_400.0 => Ok(Duration::from_secs_f64(s)),
                    _ => Err(bad(
                        variable,
                        &value,
                        "expected a number of seconds above 0",
                    )),
                },
            }
        };
        let bind_text = get("DYNLOG_BIND").unwrap_or_else(|| "127.0.0.1:8000".into());
        let bind = bind_text.parse().map_err(|_| {
            bad(
                "DYNLOG_BIND",
                &bind_text,
                "expected an address and port, as 127.0.0.1:8000",
            )
        })?;
        let baseline = get("DYNLOG_BASELINE");
        if let Some(spec) = &baseline {
            dynlog_core::LoggingConfig::from_spec(spec)
                .map_err(|e| bad("DYNLOG_BASELINE", spec, &e.to_string()))?;
        }
        let admin = match (get("DYNLOG_ADMIN_USER"), get("DYNLOG_ADMIN_PASSWORD")) {
            (None, None) => None,
            (Some(user), Some(password)) => {
                dynlog_actix::check_account(&user, &password).map_err(|e| {
                    let (variable, value) = match &e {
                        dynlog_core::Error::Invalid {
                            field: "password", ..
                        } => ("DYNLOG_ADMIN_PASSWORD", "(hidden)"),
                        _ => ("DYNLOG_ADMIN_USER", user.as_str()),
                    };
                    bad(variable, value, &e.to_string())
                })?;
                Some((user, password))
            }
            (Some(user), None) => {
                return Err(bad(
                    "DYNLOG_ADMIN_USER",
                    &user,
                    "needs DYNLOG_ADMIN_PASSWORD too",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "DYNLOG_ADMIN_PASSWORD",
                    "(hidden)",
                    "needs DYNLOG_ADMIN_USER too",
                ));
            }
        };
        let session_secret = get("DYNLOG_SESSION_SECRET");
        if let Some(secret) = &session_secret
            && secret.len() < dynlog_actix::MIN_SESSION_SECRET
        {
            return Err(bad(
                "DYNLOG_SESSION_SECRET",
                &format!("({} bytes)", secret.len()),
                &format!(
                    "a session secret needs at least {} bytes",
                    dynlog_actix::MIN_SESSION_SECRET
                ),
            ));
        }
        let flag = |variable: &'static str| -> Result<bool, SettingError> {
            match get(variable).map(|v| v.trim().to_ascii_lowercase()) {
                None => Ok(false),
                Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
                Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
                Some(v) => Err(bad(variable, &v, "expected true or false")),
            }
        };
        let secure_cookies = flag("DYNLOG_SECURE_COOKIES")?;
        let store_required = flag("DYNLOG_STORE_REQUIRED")?;
        let log_format = match get("DYNLOG_LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()) {
            None => Format::Text,
            Some(v) if v == "text" => Format::Text,
            Some(v) if v == "json" => Format::Json,
            Some(v) => return Err(bad("DYNLOG_LOG_FORMAT", &v, "expected text or json")),
        };
        let log_rotate = match get("DYNLOG_LOG_ROTATE") {
            None => None,
            Some(v) => Some(v.parse::<Rotation>().map_err(|e| {
                bad(
                    "DYNLOG_LOG_ROTATE",
                    &v,
                    &format!(
                        "{e} (for example size:10MB,keep:5, daily,keep:7 or \
                         daily,size:10MB,keep:7; add ,gzip to compress)"
                    ),
                )
            })?),
        };
        Ok(Settings {
            log_format,
            log_rotate,
            admin,
            session_secret,
            secure_cookies,
            store_required,
            database_url,
            redis_url,
            redis_ca_file,
            amqp_url,
            propagator,
            channel,
            poll: seconds("DYNLOG_POLL_SECONDS", 2.0)?,
            bind,
            baseline,
            log_file: get("DYNLOG_LOG_FILE").unwrap_or_else(|| "dynlog-testapp.log".into()),
            api_token: get("DYNLOG_API_TOKEN"),
            job_every: seconds("DYNLOG_JOB_SECONDS", 3.0)?,
            app_name: get("DYNLOG_APP_NAME").unwrap_or_else(|| "dynlog-testapp".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn the_file_handlers_format_and_rotation_are_read_or_refused_by_name() {
        let s = read(&[]).unwrap();
        assert_eq!((s.log_format, s.log_rotate), (Format::Text, None));
        let s = read(&[
            ("DYNLOG_LOG_FORMAT", "JSON"),
            ("DYNLOG_LOG_ROTATE", "size:10MB,keep:5"),
        ])
        .unwrap();
        assert_eq!(s.log_format, Format::Json);
        assert_eq!(s.log_rotate, Some(Rotation::size(10 << 20).keep(5)));
        let s = read(&[("DYNLOG_LOG_ROTATE", "daily,keep:7")]).unwrap();
        assert_eq!(s.log_rotate, Some(Rotation::daily().keep(7)));
        let s = read(&[("DYNLOG_LOG_ROTATE", "daily,size:10MB,keep:7,gzip")]).unwrap();
        assert_eq!(
            s.log_rotate,
            Some(Rotation::daily().max_size(10 << 20).keep(7).compress())
        );
        let err = read(&[("DYNLOG_LOG_FORMAT", "xml")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("DYNLOG_LOG_FORMAT=\"xml\""), "{err}");
        for bad in [
            "weekly",
            "size:10XB",
            "size:0",
            "daily,keep:0",
            "size:10MB,keep",
            "daily,size:1MB,size:2MB",
            "keep:7",
        ] {
            let err = read(&[("DYNLOG_LOG_ROTATE", bad)]).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("DYNLOG_LOG_ROTATE={bad:?}")),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn defaults_are_the_readme_path() {
        let s = read(&[]).unwrap();
        assert_eq!(s.database_url, "dynlog-testapp.sqlite3");
        assert_eq!(s.propagator, PropagatorKind::Local);
        assert_eq!(s.bind.to_string(), "127.0.0.1:8000");
        assert!(!s.store_required, "starts while the database is down");
        assert!(
            read(&[("DYNLOG_STORE_REQUIRED", "1")])
                .unwrap()
                .store_required
        );
    }

    #[test]
    fn redis_url_turns_on_the_redis_propagator() {
        let s = read(&[("REDIS_URL", "redis://127.0.0.1:6379/")]).unwrap();
        assert_eq!(s.propagator, PropagatorKind::Redis);
        let s = read(&[
            ("REDIS_URL", "redis://127.0.0.1:6379/"),
            ("DYNLOG_PROPAGATOR", "Polling"),
        ])
        .unwrap();
        assert_eq!(s.propagator, PropagatorKind::Polling);
    }

    #[test]
    fn postgres_listens_on_the_database() {
        let s = read(&[
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/app"),
            ("DYNLOG_PROPAGATOR", "postgres"),
        ])
        .unwrap();
        assert_eq!(s.propagator, PropagatorKind::Postgres);
    }

    #[test]
    fn amqp_is_chosen_by_name_with_its_url() {
        let s = read(&[
            ("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            ("DYNLOG_PROPAGATOR", "AMQP"),
        ])
        .unwrap();
        assert_eq!(s.propagator, PropagatorKind::Amqp);
        assert_eq!(
            s.amqp_url.as_deref(),
            Some("amqp://guest:guest@127.0.0.1:5672/")
        );
    }

    #[test]
    fn bad_values_name_the_variable_and_value() {
        for (pairs, want) in [
            (
                vec![("DYNLOG_PROPAGATOR", "kafka")],
                r#"DYNLOG_PROPAGATOR="kafka": expected one of"#,
            ),
            (vec![("DYNLOG_PROPAGATOR", "redis")], "needs REDIS_URL"),
            (vec![("DYNLOG_PROPAGATOR", "amqp")], "needs AMQP_URL"),
            (
                vec![
                    ("REDIS_URL", "redis://127.0.0.1:6379/"),
                    ("REDIS_CA_FILE", "/etc/ca.pem"),
                ],
                r#"REDIS_CA_FILE="/etc/ca.pem": is for a rediss:// REDIS_URL"#,
            ),
            (
                vec![
                    ("REDIS_URL", "rediss://127.0.0.1:6379/"),
                    ("REDIS_CA_FILE", "/nonexistent/ca.pem"),
                ],
                r#"REDIS_CA_FILE="/nonexistent/ca.pem": is not a readable file"#,
            ),
            (
                vec![("DYNLOG_PROPAGATOR", "postgres")],
                "needs a postgres:// DATABASE_URL",
            ),
            (
                vec![("DYNLOG_BIND", "localhost")],
                r#"DYNLOG_BIND="localhost""#,
            ),
            (
                vec![("DATABASE_URL", "mysql://x")],
                r#"DATABASE_URL="mysql://x""#,
            ),
            (
                vec![("REDIS_URL", "127.0.0.1:6379")],
                r#"REDIS_URL="127.0.0.1:6379""#,
            ),
            (
                vec![
                    ("DYNLOG_ADMIN_USER", "admin"),
                    ("DYNLOG_ADMIN_PASSWORD", "short"),
                ],
                r#"DYNLOG_ADMIN_PASSWORD="(hidden)": invalid password"#,
            ),
            (
                vec![
                    ("DYNLOG_ADMIN_USER", "ad min"),
                    ("DYNLOG_ADMIN_PASSWORD", "long enough!"),
                ],
                r#"DYNLOG_ADMIN_USER="ad min""#,
            ),
            (
                vec![("DYNLOG_ADMIN_USER", "admin")],
                "needs DYNLOG_ADMIN_PASSWORD",
            ),
            (
                vec![("DYNLOG_SESSION_SECRET", "short")],
                "DYNLOG_SESSION_SECRET=\"(5 bytes)\"",
            ),
            (
                vec![("DYNLOG_SECURE_COOKIES", "maybe")],
                "expected true or false",
            ),
            (
                vec![("DYNLOG_STORE_REQUIRED", "sometimes")],
                r#"DYNLOG_STORE_REQUIRED="sometimes": expected true or false"#,
            ),
            (
                vec![("DYNLOG_BASELINE", "info,a=loud")],
                r#"invalid level "loud""#,
            ),
            (
                vec![("DYNLOG_JOB_SECONDS", "-1")],
                r#"DYNLOG_JOB_SECONDS="-1""#,
            ),
        ] {
            let err = read(&pairs).unwrap_err().to_string();
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }

    #[test]
    fn bad_urls_are_named_without_their_passwords() {
        for (pairs, want) in [
            (
                vec![("DATABASE_URL", "mysql://root:s3cret@db:3306/app")],
                r#"DATABASE_URL="mysql://root:***@db:3306/app": expected"#,
            ),
            (
                vec![("DATABASE_URL", "mysql://root@db/app?password=s3cret")],
                r#"DATABASE_URL="mysql://root@db/app?password=***""#,
            ),
            (
                vec![("REDIS_URL", "http://:s3cret@127.0.0.1:6379/")],
                r#"REDIS_URL="http://:***@127.0.0.1:6379/": expected a redis:// URL"#,
            ),
            (
                vec![("AMQP_URL", "amqp://app:s3cret@mq:notaport/")],
                r#"AMQP_URL="amqp://app:***@mq:notaport/": invalid AMQP URL"#,
            ),
            (
                vec![("AMQP_URL", "redis://app:s3cret@mq/")],
                "expected an amqp:// URL",
            ),
        ] {
            let err = read(&pairs).unwrap_err().to_string();
            assert!(err.contains(want), "{err} should contain {want}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn the_channel_is_read_or_refused_by_name() {
        assert_eq!(read(&[]).unwrap().channel, "dynlog");
        assert_eq!(
            read(&[("DYNLOG_CHANNEL", "dynlog_staging")])
                .unwrap()
                .channel,
            "dynlog_staging"
        );
        let long = "a".repeat(64);
        for value in ["Dynlog", "dyn-log", "1dynlog", "dyn log", long.as_str()] {
            let err = read(&[("DYNLOG_CHANNEL", value)]).unwrap_err().to_string();
            assert!(err.starts_with("DYNLOG_CHANNEL="), "{err}");
            assert!(err.contains("lowercase letters"), "{err}");
        }
    }

    #[test]
    fn debug_printing_the_settings_shows_no_secret() {
        let s = read(&[
            ("DATABASE_URL", "postgres://app:pg-s3cret@db/app"),
            ("REDIS_URL", "redis://:redis-s3cret@127.0.0.1:6379/"),
            ("DYNLOG_API_TOKEN", "token-s3cret"),
            ("DYNLOG_ADMIN_USER", "ops"),
            ("DYNLOG_ADMIN_PASSWORD", "password-s3cret"),
            ("DYNLOG_SESSION_SECRET", &"secret-s3cret".repeat(4)),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("ops") && shown.contains("api_token: \"(set)\""),
            "{shown}"
        );
    }
}
