//! A throttle on failed logins.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::lock;

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
}
