//! People's authentication: argon2 password hashes, signed session cookies carrying a CSRF
//! token, and a throttle on failed logins.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use chrono::{DateTime, Utc};
use dynlog_core::{Account, Controller};

use crate::error::Error;
use crate::sync::lock;

/// Core's `Result`, for the crate's public functions.
type Result<T, E = dynlog_core::Error> = std::result::Result<T, E>;

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
    /// The account's session epoch when it logged in: once the store's moves on (a password
    /// change, "log out everywhere"), the session is refused.
    pub(crate) epoch: i64,
}

impl Session {
    /// Whether the account still admits this session: it exists and its epoch has not moved.
    pub(crate) fn admitted_by(&self, account: Option<&Account>) -> bool {
        account.is_some_and(|a| a.session_epoch == self.epoch) && self.expires > Utc::now()
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

/// Compares in time independent of where the strings differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The PHC string of `password` under argon2id with the crate's default parameters.
///
/// The work runs on the admin's password hashing threads, so it may wait for a free one.
pub fn hash_password(password: &str) -> Result<String> {
    hash(password).map_err(into_core)
}

/// [`hash_password`] with the admin's error.
fn hash(password: &str) -> Result<String, Error> {
    let password = password.to_string();
    hashing(move || hash_now(&password))?
}

fn hash_now(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// The admin's error as the public functions answer it: core's, with a failed hash as core's
/// `Invalid` password (core has no word for it), never as a store error.
fn into_core(error: Error) -> dynlog_core::Error {
    match error {
        Error::Core(error) => error,
        other => dynlog_core::Error::Invalid {
            field: "password",
            value: String::new(),
            reason: other.to_string(),
        },
    }
}

/// The most argon2 memory a stored hash may ask of a verification (64 MiB), whatever its PHC
/// string says.
const MAX_VERIFY_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// Each hashing thread's argon2 memory, allocated once and reused: allocating and freeing
    /// 19 MiB per login fragments the allocator's heaps until each holds several times that.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` matches the PHC string `phc`, computed in this thread's reused memory.
fn verify(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        argon2::Params::try_from(&hash),
        argon2::Algorithm::try_from(hash.algorithm),
    ) else {
        return false;
    };
    let version = match hash.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let needed = params.block_count();
    if needed > MAX_VERIFY_BLOCKS {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    let computed = BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut blocks[..needed],
            )
            .is_ok()
    });
    computed && same_bytes(&out, expected.as_bytes())
}

/// Checks a new account's username and password: `username` of 1 to 64 letters, digits and
/// `._@-`, a password of at least [`MIN_PASSWORD`] characters.
pub fn check_account(username: &str, password: &str) -> Result<()> {
    use dynlog_core::Error;
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
    set_password(controller, actor, username, password).map_err(into_core)
}

/// [`put_account`] with the admin's error.
pub(crate) fn set_password(
    controller: &Controller,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<Account, Error> {
    check_account(username, password)?;
    Ok(controller
        .store()
        .put_account(actor, username, &hash(password)?)?)
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
        Some(account)
            if verified(password, account.password_hash.clone()).map_err(into_core)? =>
        {
            Ok(false)
        }
        _ => put_account(controller, actor, username, password).map(|_| true),
    }
}

/// `verify` on the hashing pool.
fn verified(password: &str, phc: String) -> Result<bool, Error> {
    let password = password.to_string();
    hashing(move || verify(&password, &phc))
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

/// Runs argon2 work (each call allocates its memory cost, 19 MiB) on a few threads of its own,
/// at most one per core, started on first use. The allocator keeps a thread's freed memory for
/// that thread, so hashing on whichever blocking thread is free would leave 19 MiB behind on
/// each of them; on a fixed pool, memory stays near threads x cost, and a burst of logins queues.
struct Pool {
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let receiver = std::sync::Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("dynlog-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = lock(&receiver).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                log::error!(target: "dynlog::admin", "starting a password hashing thread: {e}");
            }
        }
        Pool {
            jobs: Mutex::new(sender),
        }
    })
}

/// Runs `f` on the hashing pool and waits for it (for callers off the async workers).
fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    let (done, result) = std::sync::mpsc::sync_channel(1);
    submit(Box::new(move || {
        let _ = done.send(f());
    }))?;
    result.recv().map_err(|_| pool_gone())
}

/// Runs `f` on the hashing pool without holding an async worker.
pub(crate) async fn hashing_async<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let (done, result) = tokio::sync::oneshot::channel();
    submit(Box::new(move || {
        let _ = done.send(f());
    }))?;
    result.await.map_err(|_| pool_gone())
}

fn submit(job: Job) -> Result<(), Error> {
    lock(&pool().jobs).send(job).map_err(|_| pool_gone())
}

fn pool_gone() -> Error {
    Error::Hashing("the password hashing threads are not running".into())
}

/// Whether `password` is `username`'s, checked on the hashing pool (this waits for it: call it
/// off the async workers).
pub(crate) fn check_password(
    controller: &Controller,
    username: &str,
    password: &str,
) -> Result<bool, Error> {
    let account = controller.store().account(username)?;
    let password = password.to_string();
    hashing(move || check_login(account, &password))
}

/// Checks a login. An unknown username costs the same argon2 work as a known one, so timing
/// does not tell which names exist.
pub(crate) async fn authenticate(
    account: Option<Account>,
    password: String,
) -> Result<bool, Error> {
    hashing_async(move || check_login(account, &password)).await
}

fn check_login(account: Option<Account>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match account {
        Some(account) => verify(password, &account.password_hash),
        None => {
            let dummy = DUMMY.get_or_init(|| hash_now("not a password").unwrap_or_default());
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
        })
    }
}

/// Slows down guessing: after [`FREE_FAILURES`] failed logins for one username or from one
/// address, each further attempt must wait twice as long as the previous one (1 s, 2 s, 4 s, ...
/// up to 15 minutes). An attempt is counted as a failure when it is let through, before the
/// password is checked, so concurrent guesses cannot all pass between check and count; a success
/// takes its attempt back and clears the username's and the address's count.
#[derive(Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Failed logins allowed before waits start.
pub(crate) const FREE_FAILURES: u32 = 5;
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// The most usernames and addresses counted at once: a flood of made-up names evicts the
/// oldest counts rather than growing the map without bound.
pub(crate) const MAX_COUNTED: usize = 10_000;
/// The longest username an account may have; longer ones are cut to this before they are
/// logged or counted.
pub(crate) const MAX_USERNAME: usize = 64;

/// `username` cut to [`MAX_USERNAME`] bytes (at a character boundary), for logs and counts.
pub(crate) fn capped(username: &str) -> &str {
    let mut end = username.len().min(MAX_USERNAME);
    while !username.is_char_boundary(end) {
        end -= 1;
    }
    &username[..end]
}

impl Throttle {
    fn keys(username: &str, peer: &str) -> [String; 2] {
        [
            format!("user:{}", capped(username).to_lowercase()),
            format!("peer:{peer}"),
        ]
    }

    fn wait_after(failures: u32) -> Duration {
        if failures < FREE_FAILURES {
            return Duration::ZERO;
        }
        Duration::from_secs(1u64 << (failures - FREE_FAILURES).min(10)).min(MAX_WAIT)
    }

    fn wait_locked(
        failures: &HashMap<String, (u32, Instant)>,
        keys: &[String; 2],
        now: Instant,
    ) -> Duration {
        keys.iter()
            .filter_map(|key| failures.get(key))
            .map(|&(count, last)| (last + Self::wait_after(count)).saturating_duration_since(now))
            .max()
            .unwrap_or_default()
    }

    /// Lets an attempt at `username` from `peer` through, counted as a failure until
    /// [`Throttle::succeeded`] takes it back, or says how long the caller must still wait.
    /// The check and the count happen under one lock.
    pub(crate) fn attempt(&self, username: &str, peer: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let keys = Self::keys(username, peer);
        let mut failures = lock(&self.failures);
        let wait = Self::wait_locked(&failures, &keys, now);
        if !wait.is_zero() {
            return Err(wait);
        }
        if failures.len() + keys.len() > MAX_COUNTED {
            // Forget counts idle for longer than the longest wait, then the oldest.
            failures.retain(|_, (_, last)| now.duration_since(*last) < MAX_WAIT * 2);
            while failures.len() + keys.len() > MAX_COUNTED {
                let oldest = failures
                    .iter()
                    .min_by_key(|(_, (_, last))| *last)
                    .map(|(key, _)| key.clone());
                match oldest {
                    Some(key) => failures.remove(&key),
                    None => break,
                };
            }
        }
        for key in keys {
            let entry = failures.entry(key).or_insert((0, now));
            *entry = (entry.0.saturating_add(1), now);
        }
        Ok(())
    }

    /// A successful login: clears the username's and the address's count.
    pub(crate) fn succeeded(&self, username: &str, peer: &str) {
        let mut failures = lock(&self.failures);
        for key in Self::keys(username, peer) {
            failures.remove(&key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.failures).len()
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
        for _ in 0..FREE_FAILURES {
            throttle.attempt("alice", "10.0.0.1").unwrap();
        }
        let wait = throttle.attempt("Alice", "10.0.0.2").unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(throttle.attempt("bob", "10.0.0.1").is_err());
        throttle.succeeded("alice", "10.0.0.1");
        assert_eq!(throttle.attempt("alice", "10.0.0.1"), Ok(()));
    }

    #[test]
    fn concurrent_attempts_get_at_most_the_free_ones() {
        let throttle = Throttle::default();
        let through = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|scope| {
            for _ in 0..50 {
                scope.spawn(|| {
                    if throttle.attempt("alice", "10.0.0.1").is_ok() {
                        through.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(through.into_inner(), FREE_FAILURES);
    }

    #[test]
    fn a_flood_of_names_keeps_the_counts_bounded() {
        let throttle = Throttle::default();
        let long = "x".repeat(1 << 20);
        throttle.attempt(&long, "10.0.0.1").unwrap();
        assert!(lock(&throttle.failures).keys().all(|k| k.len() < 100));
        for i in 0..MAX_COUNTED + 100 {
            let _ = throttle.attempt(
                &format!("user{i}"),
                &format!("10.1.{}.{}", i / 256, i % 256),
            );
        }
        assert!(throttle.len() <= MAX_COUNTED, "{}", throttle.len());
        assert_eq!(capped("é".repeat(40).as_str()).len(), 64);
    }

    #[test]
    fn the_pool_runs_at_most_one_hash_per_core() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let most = std::thread::available_parallelism().map_or(2, |n| n.get());
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..most * 3 {
                let (now, peak) = (Arc::clone(&now), Arc::clone(&peak));
                scope.spawn(move || {
                    hashing(move || {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                        std::thread::current().name().map(str::to_string)
                    })
                    .unwrap()
                    .unwrap()
                    .starts_with("dynlog-argon2-")
                    .then_some(())
                    .unwrap();
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
