//! `redact_url`: connection strings without their secrets, for logs, errors and pages.

/// What replaces a secret.
const HIDDEN: &str = "***";

/// `url` with its secrets replaced by `***`, so it can be logged, put in an error or shown.
///
/// - A URL's password (`postgres://app:s3cret@db:5432/x` becomes `postgres://app:***@db:5432/x`);
///   scheme, user, host, port and path are kept.
/// - Query parameters that carry secrets (`password`, `sslpassword`, `passwd`, `pass`,
///   `secret`, `token`, and any other name containing `password`), in URLs and in libpq's
///   `key=value` form (`host=db user=app password='s3 cret'`).
/// - Anything else, such as a SQLite file path, is returned as it is.
///
/// It errs on the side of hiding: a malformed URL may lose more than its password, never keep it.
///
/// ```
/// use dynlog_core::redact::redact_url;
///
/// assert_eq!(redact_url("redis://:s3cret@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
/// assert_eq!(redact_url("host=db password=s3cret dbname=x"), "host=db password=*** dbname=x");
/// assert_eq!(redact_url("dynlog.sqlite3"), "dynlog.sqlite3");
/// ```
pub fn redact_url(url: &str) -> String {
    match url.find("://") {
        Some(scheme_end) => redact_uri(url, scheme_end + 3),
        None if url.contains('=') => redact_key_values(url),
        None => url.to_string(),
    }
}

/// Whether a parameter of this name holds a secret.
fn is_secret(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    key.contains("password")
        || matches!(
            key.as_str(),
            "pass" | "passwd" | "pwd" | "secret" | "token" | "auth" | "sslkey_password"
        )
}

/// A URL: the userinfo's password, then the secret query parameters.
fn redact_uri(url: &str, authority_start: usize) -> String {
    let rest = &url[authority_start..];
    // The userinfo ends at the last `@` of the authority (an unencoded password may hold one).
    // A URL whose password holds an unencoded `/`, `?` or `#` has no `@` in what looks like its
    // authority: then the last `@` of all is taken, hiding too much rather than the password.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@').or_else(|| rest.rfind('@'));
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..authority_start]);
    let after_userinfo = match at {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(HIDDEN);
                }
                None => out.push_str(userinfo),
            }
            &rest[at..]
        }
        None => rest,
    };
    let (path, query) =
        after_userinfo.split_at(after_userinfo.find('?').unwrap_or(after_userinfo.len()));
    out.push_str(path);
    if let Some(query) = query.strip_prefix('?') {
        let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if is_secret(key) => format!("{key}={HIDDEN}"),
                _ => param.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
        out.push_str(fragment);
    }
    out
}

/// libpq's `key = value` form: values are bare words or single-quoted with `\` escapes.
fn redact_key_values(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        // Copy up to and including the `=` of the next pair, noting the key.
        let Some(eq) = text[i..].find('=').map(|e| i + e) else {
            out.push_str(&text[i..]);
            break;
        };
        let key = text[i..eq]
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default();
        out.push_str(&text[i..=eq]);
        i = eq + 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            out.push(char::from(bytes[i]));
            i += 1;
        }
        let value_start = i;
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = i.min(bytes.len());
        }
        // `i` only ever stops on an ASCII byte or the end, so it is a char boundary.
        if is_secret(key) {
            out.push_str(HIDDEN);
        } else {
            out.push_str(&text[value_start..i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_hidden_and_the_rest_kept() {
        for (url, shown) in [
            (
                "postgres://postgres:s3cret@127.0.0.1:5432/postgres",
                "postgres://postgres:***@127.0.0.1:5432/postgres",
            ),
            (
                "postgresql://app:p%40ss@db.internal/app?sslmode=require",
                "postgresql://app:***@db.internal/app?sslmode=require",
            ),
            (
                "redis://:s3cret@127.0.0.1:6379/",
                "redis://:***@127.0.0.1:6379/",
            ),
            (
                "rediss://default:s3cret@cache:6380/2",
                "rediss://default:***@cache:6380/2",
            ),
            // An unencoded `@` in the password.
            ("postgres://app:s3@cret@db/x", "postgres://app:***@db/x"),
            // Nothing to hide.
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            ("redis://127.0.0.1:6379/", "redis://127.0.0.1:6379/"),
            ("dynlog.sqlite3", "dynlog.sqlite3"),
            (":memory:", ":memory:"),
            ("", ""),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn secret_query_parameters_are_hidden() {
        assert_eq!(
            redact_url(
                "postgres://db/x?user=app&password=s3cret&sslpassword=k3y&sslmode=verify-full#frag"
            ),
            "postgres://db/x?user=app&password=***&sslpassword=***&sslmode=verify-full#frag"
        );
        assert_eq!(
            redact_url("postgres://u:s3cret@db/x?PASSWORD=s3cret"),
            "postgres://u:***@db/x?PASSWORD=***"
        );
        // A `?` before the `@` cannot hide the password behind a "query".
        assert!(!redact_url("redis://u:s3?cret@host/").contains("cret"));
    }

    #[test]
    fn libpq_key_values_are_hidden() {
        for (text, shown) in [
            (
                "host=db user=app password=s3cret dbname=x",
                "host=db user=app password=*** dbname=x",
            ),
            (
                "host=db password = 's3 cr\\'et' dbname=x",
                "host=db password = *** dbname=x",
            ),
            ("password=s3cret", "password=***"),
            ("sslpassword='k3y' host=db", "sslpassword=*** host=db"),
            ("host=db port=5432", "host=db port=5432"),
            // An unterminated quote hides the rest rather than showing it.
            ("password='s3cret host=db", "password=***"),
            ("/tmp/a=b.sqlite3", "/tmp/a=b.sqlite3"),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }

    #[test]
    fn never_splits_a_character() {
        assert_eq!(redact_url("password=\\é host=é"), "password=*** host=é");
        assert_eq!(redact_url("postgres://ü:é@h/ö"), "postgres://ü:***@h/ö");
    }
}
