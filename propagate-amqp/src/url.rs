//! `amqp://user:password@host:port/vhost?heartbeat=10`, read into connection arguments.
//!
//! Parsed here rather than by amqprs, whose parser panics on a query parameter without `=`
//! and does not decode percent-escapes in the password.

use amqprs::connection::OpenConnectionArguments;
use dynlog_core::{Error, Result};
use percent_encoding::percent_decode_str;

/// AMQP's default port.
const DEFAULT_PORT: u16 = 5672;
/// Seconds between heartbeats asked of the broker: a broker that vanishes without closing the
/// connection is noticed within two of them.
const DEFAULT_HEARTBEAT: u16 = 10;

/// The parts of an AMQP URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AmqpUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) vhost: String,
    pub(crate) heartbeat: u16,
}

impl AmqpUrl {
    /// Reads `url`; `shown` is the URL without its password, for errors.
    pub(crate) fn parse(url: &str, shown: &str) -> Result<AmqpUrl> {
        let invalid = |reason: &str| Error::Invalid {
            field: "AMQP URL",
            value: shown.to_string(),
            reason: reason.to_string(),
        };
        let decode = |part: &str, what: &str| {
            percent_decode_str(part)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| invalid(&format!("its {what} is not UTF-8 once decoded")))
        };
        let rest = match url.split_once("://") {
            Some(("amqp", rest)) => rest,
            Some(("amqps", _)) => {
                return Err(invalid(
                    "amqps:// (TLS) is not supported by dynlog-amqp; use amqp:// on a trusted \
                     network, or Redis over rediss://",
                ));
            }
            _ => return Err(invalid("expected an amqp:// URL")),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => ("guest".to_string(), "guest".to_string()),
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (decode(user, "user")?, decode(password, "password")?),
                None => (decode(info, "user")?, String::new()),
            },
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            // [::1]:5672
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("an IPv6 host needs its closing ]"))?;
            (host.to_string(), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (hostport.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(invalid("it has no host"));
        }
        let port = match port {
            None | Some("") => DEFAULT_PORT,
            Some(port) => match port.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(invalid(&format!("port {port:?} is not a port number"))),
            },
        };
        let vhost = match path.strip_prefix('/') {
            None | Some("") => "/".to_string(),
            Some(vhost) => decode(vhost, "virtual host")?,
        };
        let mut heartbeat = DEFAULT_HEARTBEAT;
        for param in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            match param.split_once('=') {
                Some(("heartbeat", value)) => {
                    heartbeat = value.parse().map_err(|_| {
                        invalid(&format!(
                            "heartbeat {value:?} is not a number of seconds (0 to 65535)"
                        ))
                    })?;
                }
                _ => {
                    let key = param.split('=').next().unwrap_or_default();
                    let key: String = key.chars().take(40).collect();
                    return Err(invalid(&format!(
                        "unknown parameter {key:?} (only heartbeat is read)"
                    )));
                }
            }
        }
        Ok(AmqpUrl {
            host,
            port,
            user,
            password,
            vhost,
            heartbeat,
        })
    }

    /// The arguments amqprs opens a connection with, named `name` for the broker's list.
    pub(crate) fn arguments(&self, name: &str) -> OpenConnectionArguments {
        OpenConnectionArguments::new(&self.host, self.port, &self.user, &self.password)
            .virtual_host(&self.vhost)
            .heartbeat(self.heartbeat)
            .connection_name(name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<AmqpUrl> {
        AmqpUrl::parse(url, &dynlog_core::redact::redact_url(url))
    }

    #[test]
    fn urls_are_read_with_their_defaults() {
        let url = parse("amqp://127.0.0.1").unwrap();
        assert_eq!(
            url,
            AmqpUrl {
                host: "127.0.0.1".into(),
                port: 5672,
                user: "guest".into(),
                password: "guest".into(),
                vhost: "/".into(),
                heartbeat: 10,
            }
        );
        let url =
            parse("amqp://app:p%40ss%2Fword@mq.example.com:5673/prod%2Fa?heartbeat=30").unwrap();
        assert_eq!(url.user, "app");
        assert_eq!(url.password, "p@ss/word");
        assert_eq!(url.host, "mq.example.com");
        assert_eq!(url.port, 5673);
        assert_eq!(url.vhost, "prod/a");
        assert_eq!(url.heartbeat, 30);
        assert_eq!(parse("amqp://[::1]:5672/").unwrap().host, "::1");
        // A password with an unescaped @: the last @ ends the user info.
        assert_eq!(parse("amqp://u:a@b@host/").unwrap().password, "a@b");
    }

    #[test]
    fn bad_urls_are_refused_without_their_password() {
        for (url, want) in [
            ("redis://u:s3cret@h/", "expected an amqp:// URL"),
            ("amqps://u:s3cret@h/", "amqps:// (TLS) is not supported"),
            ("amqp://u:s3cret@:5672/", "it has no host"),
            (
                "amqp://u:s3cret@h:99999/",
                r#"port "99999" is not a port number"#,
            ),
            (
                "amqp://u:s3cret@h/?heartbeat",
                r#"unknown parameter "heartbeat""#,
            ),
            (
                "amqp://u:s3cret@h/?heartbeat=x",
                r#"heartbeat "x" is not a number"#,
            ),
            (
                "amqp://u:s3cret@h/?password=s3cret",
                r#"unknown parameter "password""#,
            ),
            ("amqp://u:s3cret@[::1/", "closing ]"),
        ] {
            let err = parse(url).expect_err(url).to_string();
            assert!(
                err.starts_with("invalid AMQP URL \"") && err.contains(want),
                "{url}: {err}"
            );
            assert!(!err.contains("s3cret"), "{err}");
        }
    }
}
