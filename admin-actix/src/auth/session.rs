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

/// How long a CSRF token of [`app_csrf`] lasts: it names its period, and a form posted in the
/// same period or the next is accepted (so a page shown a moment before a period ends still
/// works), never later.
const APP_CSRF_PERIOD_SECS: i64 = 12 * 3600;

/// The CSRF token of forms shown to a person the application vouched for (who has no session
/// cookie to carry one): an HMAC of their name, their role and the current 12-hour period under
/// the admin's key, followed by the period, the same on every instance that shares the session
/// secret. [`app_csrf_accepts`] checks one.
pub(crate) fn app_csrf(key: &Key, name: &str, role: Role, now: DateTime<Utc>) -> String {
    app_csrf_in(
        key,
        name,
        role,
        now.timestamp().div_euclid(APP_CSRF_PERIOD_SECS),
    )
}

fn app_csrf_in(key: &Key, name: &str, role: Role, period: i64) -> String {
    use hmac::{Hmac, Mac};
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.signing())
        .expect("HMAC takes a key of any length");
    mac.update(b"dynlog-csrf\0");
    mac.update(name.as_bytes());
    mac.update(b"\0");
    mac.update(role.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(&period.to_be_bytes());
    format!("{}.{period}", hex(&mac.finalize().into_bytes()))
}

/// Whether `token`, posted with a form, is [`app_csrf`]'s for this person in the current period
/// or the one before. The period the client sent is only compared, never computed with.
pub(crate) fn app_csrf_accepts(
    key: &Key,
    name: &str,
    role: Role,
    token: &str,
    now: DateTime<Utc>,
) -> bool {
    let current = now.timestamp().div_euclid(APP_CSRF_PERIOD_SECS);
    let Some(period) = token
        .rsplit_once('.')
        .and_then(|(_, period)| period.parse::<i64>().ok())
    else {
        return false;
    };
    let recent = period == current || Some(period) == current.checked_sub(1);
    recent && same(token, &app_csrf_in(key, name, role, period))
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
        self.sealed(name, value, max_age, |jar, key, cookie| {
            jar.signed_mut(key).add(cookie)
        })
    }

    /// An encrypted (and authenticated), HttpOnly, SameSite=Strict cookie for the admin's path:
    /// for a value the browser carries but nobody along the way may read.
    pub(crate) fn make_private(
        &self,
        name: &'static str,
        value: String,
        max_age: Duration,
    ) -> Cookie<'static> {
        self.sealed(name, value, max_age, |jar, key, cookie| {
            jar.private_mut(key).add(cookie)
        })
    }

    /// The cookie `name` with the admin's flags, sealed by `seal` (signed or encrypted) in a jar.
    fn sealed(
        &self,
        name: &'static str,
        value: String,
        max_age: Duration,
        seal: impl FnOnce(&mut CookieJar, &Key, Cookie<'static>),
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
        seal(&mut jar, &self.key, cookie);
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
        self.opened(req, name, |jar, key| jar.signed(key).get(name))
    }

    /// The decrypted value of the private cookie `name`, if the request has a genuine one.
    pub(crate) fn read_private(&self, req: &HttpRequest, name: &'static str) -> Option<String> {
        self.opened(req, name, |jar, key| jar.private(key).get(name))
    }

    /// The value of the request's cookie `name` once `open` (verify or decrypt) accepts it.
    fn opened(
        &self,
        req: &HttpRequest,
        name: &'static str,
        open: impl FnOnce(&CookieJar, &Key) -> Option<Cookie<'static>>,
    ) -> Option<String> {
        let cookie = req.cookie(name)?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie.into_owned());
        open(&jar, &self.key).map(|c| c.value().to_string())
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
    use chrono::TimeZone;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn an_applications_csrf_token_lasts_its_period_and_the_next() {
        let key = Key::generate();
        let at = |h: i64| Utc.timestamp_opt(1_800_000_000 + h * 3600, 0).unwrap();
        let accepts =
            |token: &str, h| app_csrf_accepts(&key, "alice", Role::Operator, token, at(h));
        let token = app_csrf(&key, "alice", Role::Operator, at(0));
        // 1_800_000_000 s is 8 h into its 12-hour period: good until the end of the next one.
        for h in [0, 3, 4, 15] {
            assert!(accepts(&token, h), "{h} h later");
        }
        assert!(!accepts(&token, 16), "two periods on");
        assert!(!accepts(&token, -9), "a period before it was made");
        let others = [
            app_csrf(&key, "bob", Role::Operator, at(0)),
            app_csrf(&key, "alice", Role::Admin, at(0)),
            app_csrf(&Key::generate(), "alice", Role::Operator, at(0)),
        ];
        for other in &others {
            assert!(!accepts(other, 0), "{other}");
        }
        // Its period changed by the client: the MAC no longer matches.
        let (mac, period) = token.rsplit_once('.').unwrap();
        let next: i64 = period.parse::<i64>().unwrap() + 1;
        for forged in [
            format!("{mac}.{next}"),
            format!("{mac}.{}", i64::MAX),
            format!("{mac}.{}", i64::MIN),
            format!("{mac}.99999999999999999999999"),
            format!("{mac}."),
            mac.to_string(),
            String::new(),
        ] {
            assert!(!accepts(&forged, 12), "{forged}");
        }
    }
}
