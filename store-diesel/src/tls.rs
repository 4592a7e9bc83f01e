//! What a failed TLS connection to PostgreSQL means, in the terms of the URL's settings.
//!
//! libpq says `SSL error: certificate verify failed` without naming the setting that made it
//! check; [`hint`] adds which `sslmode` asked for the check and which `sslrootcert` it used.

/// The value of a libpq setting in a URL's query (`?sslmode=verify-full&...`) or in the
/// `key=value` form (`host=db sslmode=require`), if set.
fn setting<'a>(url: &'a str, key: &str) -> Option<&'a str> {
    let params = match url.find("://") {
        Some(_) => url.split_once('?')?.1.split('&').collect::<Vec<_>>(),
        None => url.split_whitespace().collect(),
    };
    params.into_iter().find_map(|param| {
        let (k, v) = param.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('\''))
    })
}

/// A clause to add to a connection error of `url` whose driver message is `error`, naming the
/// TLS settings at fault; empty when the error is not about TLS. Only `sslmode` and
/// `sslrootcert` are named: neither is a secret.
pub(crate) fn hint(url: &str, error: &str) -> String {
    let mode = setting(url, "sslmode");
    let root = setting(url, "sslrootcert");
    let root_shown = match root {
        Some(path) => format!("sslrootcert={path}"),
        None => "sslrootcert unset, so ~/.postgresql/root.crt".to_string(),
    };
    let mode_shown = mode.unwrap_or("prefer (the default)");
    if error.contains("certificate verify failed") {
        format!(
            " (sslmode={mode_shown}: the server's certificate is not signed by a certificate \
             authority in {root_shown})"
        )
    } else if error.contains("does not match host name") {
        format!(
            " (sslmode={mode_shown} checks the URL's host name against the server's \
             certificate: connect by a name the certificate carries, with hostaddr= for the \
             address if the name does not resolve to it)"
        )
    } else if error.contains("root certificate file") {
        format!(" (sslmode={mode_shown} needs a readable {root_shown})")
    } else if error.contains("SSL is not enabled on the server")
        || error.contains("server does not support SSL")
    {
        format!(" (sslmode={mode_shown} needs a server with SSL on)")
    } else if error.contains("SSL support is not compiled in") {
        format!(
            " (sslmode={mode_shown} needs libpq built with OpenSSL: dynlog-diesel's `postgres` \
             feature builds it so)"
        )
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_from_both_forms() {
        let url = "postgres://app:s3cret@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem";
        assert_eq!(setting(url, "sslmode"), Some("verify-full"));
        assert_eq!(setting(url, "sslrootcert"), Some("/etc/ca.pem"));
        assert_eq!(setting("postgres://db/x", "sslmode"), None);
        let kv = "host=db password=s3cret sslmode='verify-ca' sslrootcert=/ca.pem";
        assert_eq!(setting(kv, "sslmode"), Some("verify-ca"));
        assert_eq!(setting(kv, "sslrootcert"), Some("/ca.pem"));
    }

    #[test]
    fn hints_name_the_settings_and_never_the_password() {
        let url = "postgres://app:s3cret@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem&password=s3cret";
        let h = hint(url, "SSL error: certificate verify failed");
        assert_eq!(
            h,
            " (sslmode=verify-full: the server's certificate is not signed by a certificate \
             authority in sslrootcert=/etc/ca.pem)"
        );
        assert!(
            hint(
                url,
                r#"server certificate for "localhost" does not match host name "db""#
            )
            .contains("sslmode=verify-full checks the URL's host name")
        );
        assert!(
            hint(
                "postgres://db/x?sslmode=verify-ca",
                r#"could not read root certificate file "/root/.postgresql/root.crt""#
            )
            .contains("sslmode=verify-ca needs a readable sslrootcert unset")
        );
        assert_eq!(hint(url, "connection refused"), "");
        for error in [
            "SSL error: certificate verify failed",
            "does not match host name",
            "root certificate file",
        ] {
            assert!(!hint(url, error).contains("s3cret"));
        }
    }
}
