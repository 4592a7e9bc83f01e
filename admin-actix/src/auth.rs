//! People's authentication: argon2 password hashes, signed session cookies carrying a CSRF
//! token, and a throttle on failed logins.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use dynlog_core::{Account, Controller, Error, Result};

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "dynlog_session";
/// The cookie carrying the login form's CSRF token, before there is a session.
pub(crate) const LOGIN_COOKIE: &str = "dynlog_login";

/// The shortest password accepted for an account.
pub const MIN_PASSWORD: usize = 10;

/// A signed-in person: who, until when, and the token their forms must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) csrf: String,
    pub(crate) expires: DateTime<Utc>,
}

/// The guarded value even if a panic poisoned the mutex: counters stay usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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

/// Compares in time independent of where the strings differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The PHC string of `password` under argon2id with the crate's default parameters.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::store("hashing a password", e))
}

fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a new account's username and password: `username` of 1 to 64 letters, digits and
/// `._@-`, a password of at least [`MIN_PASSWORD`] characters.
pub fn check_account(username: &str, password: &str) -> Result<()> {
    let valid = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if !valid {
        return Err(Error::Invalid {
            field: "username",
            value: username.to_string(),
            reason: "use 1 to 64 letters, digits, '.', '_', '@' or '-'".into(),
        });
    }
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(Error::Invalid {
            field: "password",
            value: format!("({length} characters)"),
            reason: format!("a password needs at least {MIN_PASSWORD} characters"),
        });
    }
    Ok(())
}

/// Creates or replaces the account `username` with `password` (only its argon2 hash is stored);
/// the change is audited under `actor`.
pub fn put_account(
    controller: &Controller,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<Account> {
    check_account(username, password)?;
    controller
        .store()
        .put_account(actor, username, &hash_password(password)?)
}

/// Makes sure the account `username` exists with `password`: creates it, or sets the password
/// if it is another; changes (and audits) nothing when it already matches. Returns whether it
/// changed anything.
pub fn ensure_account(
    controller: &Controller,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<bool> {
    check_account(username, password)?;
    match controller.store().account(username)? {
        Some(account) if verify(password, &account.password_hash) => Ok(false),
        _ => put_account(controller, actor, username, password).map(|_| true),
    }
}

/// A random password of 20 letters and digits (about 119 bits), for a first account.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Lets at most one argon2 verification per core run at once: each takes 19 MiB and a few
/// milliseconds of a core, so a burst of logins queues rather than exhausting memory.
struct Gate {
    running: Mutex<usize>,
    freed: std::sync::Condvar,
}

static GATE: Gate = Gate {
    running: Mutex::new(0),
    freed: std::sync::Condvar::new(),
};

impl Gate {
    fn pass<T>(&self, f: impl FnOnce() -> T) -> T {
        let most = std::thread::available_parallelism().map_or(2, |n| n.get());
        {
            let mut running = lock(&self.running);
            while *running >= most {
                running = self
                    .freed
                    .wait(running)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            *running += 1;
        }
        let result = f();
        *lock(&self.running) -= 1;
        self.freed.notify_one();
        result
    }
}

/// Checks a login. An unknown username costs the same argon2 work as a known one, so timing
/// does not tell which names exist.
pub(crate) fn authenticate(
    controller: &Controller,
    username: &str,
    password: &str,
) -> Result<bool> {
    let account = controller.store().account(username)?;
    Ok(GATE.pass(|| check_login(account, password)))
}

fn check_login(account: Option<Account>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match account {
        Some(account) => verify(password, &account.password_hash),
        None => {
            let dummy = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
            verify(password, dummy);
            false
        }
    }
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
            "{}|{}|{}",
            session.expires.timestamp(),
            session.csrf,
            session.username
        );
        self.make(SESSION_COOKIE, value, ttl)
    }

    /// The session the request carries, if its cookie is genuine and unexpired.
    pub(crate) fn session(&self, req: &HttpRequest) -> Option<Session> {
        let value = self.read(req, SESSION_COOKIE)?;
        let mut parts = value.splitn(3, '|');
        let expires = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
        let csrf = parts.next()?.to_string();
        let username = parts.next()?.to_string();
        (expires > Utc::now()).then_some(Session {
            username,
            csrf,
            expires,
        })
    }
}

/// Slows down guessing: after [`FREE_FAILURES`] failed logins for one username or from one
/// address, each further attempt must wait twice as long as the previous one (1 s, 2 s, 4 s, ...
/// up to 15 minutes). A success clears the username's and the address's count.
#[derive(Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Failed logins allowed before waits start.
pub(crate) const FREE_FAILURES: u32 = 5;
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

impl Throttle {
    fn keys(username: &str, peer: &str) -> [String; 2] {
        [
            format!("user:{}", username.to_lowercase()),
            format!("peer:{peer}"),
        ]
    }

    fn wait_after(failures: u32) -> Duration {
        if failures < FREE_FAILURES {
            return Duration::ZERO;
        }
        Duration::from_secs(1u64 << (failures - FREE_FAILURES).min(10)).min(MAX_WAIT)
    }

    /// How long the caller must still wait before trying `username` from `peer`; zero if it may.
    pub(crate) fn wait(&self, username: &str, peer: &str) -> Duration {
        let now = Instant::now();
        let failures = lock(&self.failures);
        Self::keys(username, peer)
            .iter()
            .filter_map(|key| failures.get(key))
            .map(|&(count, last)| (last + Self::wait_after(count)).saturating_duration_since(now))
            .max()
            .unwrap_or_default()
    }

    pub(crate) fn failed(&self, username: &str, peer: &str) {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        // Forget counts idle for longer than the longest wait, so the map stays small.
        failures.retain(|_, (_, last)| now.duration_since(*last) < MAX_WAIT * 2);
        for key in Self::keys(username, peer) {
            let entry = failures.entry(key).or_insert((0, now));
            *entry = (entry.0.saturating_add(1), now);
        }
    }

    pub(crate) fn succeeded(&self, username: &str, peer: &str) {
        let mut failures = lock(&self.failures);
        for key in Self::keys(username, peer) {
            failures.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("correct horse battery", &hash));
        assert!(!verify("correct horse batterY", &hash));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn accounts_need_a_sane_name_and_a_long_password() {
        assert!(check_account("alice", "0123456789").is_ok());
        let short = check_account("alice", "short").unwrap_err().to_string();
        assert!(
            short.contains("password") && short.contains("10"),
            "{short}"
        );
        let name = check_account("<b>", "0123456789").unwrap_err().to_string();
        assert!(name.contains("username") && name.contains("<b>"), "{name}");
    }

    #[test]
    fn failures_beyond_the_free_ones_double_the_wait() {
        let throttle = Throttle::default();
        for _ in 0..FREE_FAILURES - 1 {
            throttle.failed("alice", "10.0.0.1");
        }
        assert_eq!(throttle.wait("alice", "10.0.0.1"), Duration::ZERO);
        throttle.failed("alice", "10.0.0.1");
        let wait = throttle.wait("Alice", "10.0.0.2");
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        throttle.failed("alice", "10.0.0.1");
        assert!(throttle.wait("bob", "10.0.0.1") > Duration::from_secs(1));
        throttle.succeeded("alice", "10.0.0.1");
        assert_eq!(throttle.wait("alice", "10.0.0.1"), Duration::ZERO);
    }

    #[test]
    fn the_gate_lets_one_verification_per_core_through() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let most = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..most * 3 {
                scope.spawn(|| {
                    GATE.pass(|| {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                });
            }
        });
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak >= 1 && peak <= most, "{peak} at once, {most} cores");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
