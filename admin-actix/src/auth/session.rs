//! Signed session cookies carrying a CSRF token, and the random tokens they hold.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use dynlog_core::store::{Account, Role};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "dynlog_session";
/// The cookie carrying the login form's CSRF token, before there is a session.
pub(crate) const LOGIN_COOKIE: &str = "dynlog_login";

/// A signed-in person: who, until when, and the token their forms must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) csrf: String,
    pub(crate) expires: DateTime<Utc>,
    /// The account's session epoch when it logged in: once the store's moves on (a password
    /// change, "log out everywhere"), the session is refused.
    pub(crate) epoch: i64,
    /// What the person may do: the account's role, read from the store with every request
    /// (the cookie does not carry it), or the role the application's authenticator gave.
    pub(crate) role: Role,
    /// Whether the application's authenticator vouched for the person (no built-in session:
    /// no password to change here, no cookie to end).
    pub(crate) from_app: bool,
}

impl Session {
    /// Whether the account still admits this session: it exists and its epoch has not moved.
    pub(crate) fn admitted_by(&self, account: Option<&Account>) -> bool {
        account.is_some_and(|a| a.session_epoch == self.epoch) && self.expires > Utc::now()
    }

    /// The actor of its changes in the audit: the name and the role.
    pub(crate) fn actor(&self) -> String {
        dynlog_core::store::audit_actor(&self.username, self.role)
    }
}

/// 32 random bytes in hex.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of forms shown to a person the application vouched for (who has no session
/// cookie to carry one): an HMAC of their name and role under the admin's key, the same on
/// every instance that shares the session secret.
pub(crate) fn app_csrf(key: &Key, name: &str, role: Role) -> String {
    use hmac::{Hmac, Mac};
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.signing())
        .expect("HMAC takes a key of any length");
    mac.update(b"dynlog-csrf\0");
    mac.update(name.as_bytes());
    mac.update(b"\0");
    mac.update(role.as_str().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Compares in time independent of where the strings differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Signs and reads cookies with one key.
pub(crate) struct Cookies {
    key: Key,
    secure: bool,
    path: String,
}

impl Cookies {
    pub(crate) fn new(key: Key, secure: bool, path: &str) -> Self {
        Cookies {
            key,
            secure,
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
        }
    }

    /// A signed, HttpOnly, SameSite=Strict cookie for the admin's path.
    pub(crate) fn make(
        &self,
        name: &'static str,
        value: String,
        max_age: Duration,
    ) -> Cookie<'static> {
        let mut jar = CookieJar::new();
        let mut cookie = Cookie::new(name, value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Strict);
        cookie.set_secure(self.secure);
        cookie.set_path(self.path.clone());
        cookie.set_max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ));
        jar.signed_mut(&self.key).add(cookie);
        jar.delta()
            .next()
            .cloned()
            .unwrap_or_else(|| Cookie::new(name, ""))
    }

    /// A cookie that removes `name`.
    pub(crate) fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut cookie = Cookie::new(name, "");
        cookie.set_path(self.path.clone());
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Strict);
        cookie.make_removal();
        cookie
    }

    /// The verified value of the signed cookie `name`, if the request has one.
    pub(crate) fn read(&self, req: &HttpRequest, name: &'static str) -> Option<String> {
        let cookie = req.cookie(name)?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie.into_owned());
        jar.signed(&self.key)
            .get(name)
            .map(|c| c.value().to_string())
    }

    pub(crate) fn session_cookie(&self, session: &Session, ttl: Duration) -> Cookie<'static> {
        let value = format!(
            "{}|{}|{}|{}",
            session.expires.timestamp(),
            session.epoch,
            session.csrf,
            session.username
        );
        self.make(SESSION_COOKIE, value, ttl)
    }

    /// The session the request's cookie claims, if the cookie is genuine and unexpired; whether
    /// its account still admits it is the store's to say ([`Session::admitted_by`]).
    pub(crate) fn session(&self, req: &HttpRequest) -> Option<Session> {
        let value = self.read(req, SESSION_COOKIE)?;
        let mut parts = value.splitn(4, '|');
        let expires = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
        let epoch = parts.next()?.parse().ok()?;
        let csrf = parts.next()?.to_string();
        let username = parts.next()?.to_string();
        (expires > Utc::now()).then_some(Session {
            username,
            csrf,
            expires,
            epoch,
            // The account's, once the store admits the session.
            role: Role::Viewer,
            from_app: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
