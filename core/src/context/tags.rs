//! [`Tags`]: the key/value strings of a unit of work, immutable and cheap to clone.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most pairs a [`Tags`] keeps; later ones are dropped.
pub const MAX_TAGS: usize = 32;
/// The most bytes of a tag key or value a [`Tags`] keeps; a longer pair is dropped, since no scope
/// can name it (scopes are bounded the same way).
pub const MAX_TAG_LEN: usize = 256;

/// Key/value strings of the current unit of work, such as `tenant=acme` or `user=42`.
///
/// Immutable and cheap to clone. Keys are unique (a later pair replaces an earlier one with the
/// same key) and kept sorted. Tags usually come from clients, so they are bounded: at most
/// [`MAX_TAGS`] pairs, and a pair whose key or value is empty or over [`MAX_TAG_LEN`] bytes is
/// dropped (no scope could name it).
///
/// ```
/// use dynlog_core::context::Tags;
///
/// let tags = Tags::new([("tenant", "acme"), ("user", "42")]);
/// assert_eq!(tags.get("tenant"), Some("acme"));
/// assert_eq!(tags.with([("user", "7")]).get("user"), Some("7"));
/// ```
#[derive(Clone)]
pub struct Tags {
    inner: Arc<Inner>,
}

struct Inner {
    /// Unique per `Tags` made, so a thread can remember what it decided for a context by its id.
    id: u64,
    pairs: Box<[(Box<str>, Box<str>)]>,
}

/// 0 is "no context" for the per-thread caches.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Tags {
    /// Tags of these pairs (bounded as the type says).
    pub fn new<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Tags
    where
        K: Into<String>,
        V: Into<String>,
    {
        Tags::from_pairs(Vec::new(), pairs)
    }

    /// These tags with `pairs` added, each replacing a pair of the same key.
    pub fn with<K, V>(&self, pairs: impl IntoIterator<Item = (K, V)>) -> Tags
    where
        K: Into<String>,
        V: Into<String>,
    {
        Tags::from_pairs(self.inner.pairs.to_vec(), pairs)
    }

    /// These tags with every pair of `other` laid over them.
    pub fn merged(&self, other: &Tags) -> Tags {
        if self.is_empty() {
            return other.clone();
        }
        if other.is_empty() {
            return self.clone();
        }
        self.with(other.iter())
    }

    fn from_pairs<K, V>(
        mut kept: Vec<(Box<str>, Box<str>)>,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Tags
    where
        K: Into<String>,
        V: Into<String>,
    {
        for (key, value) in pairs {
            let (key, value) = (key.into(), value.into());
            let fits = |s: &str| !s.is_empty() && s.len() <= MAX_TAG_LEN;
            if !fits(&key) || !fits(&value) {
                continue;
            }
            match kept.binary_search_by(|(k, _)| (**k).cmp(&key)) {
                Ok(at) => kept[at].1 = value.into_boxed_str(),
                Err(_) if kept.len() >= MAX_TAGS => {}
                Err(at) => kept.insert(at, (key.into_boxed_str(), value.into_boxed_str())),
            }
        }
        Tags {
            inner: Arc::new(Inner {
                // Relaxed: a unique number is all that is asked of it.
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                pairs: kept.into_boxed_slice(),
            }),
        }
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        let pairs = &self.inner.pairs;
        pairs
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|at| &*pairs[at].1)
    }

    /// The pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner.pairs.iter().map(|(k, v)| (&**k, &**v))
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.inner.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.inner.pairs.is_empty()
    }

    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }
}

impl fmt::Debug for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Tags {
    fn eq(&self, other: &Tags) -> bool {
        self.inner.pairs == other.inner.pairs
    }
}

impl Eq for Tags {}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Tags {
        Tags::new(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_pairs_replace_and_bounds_drop() {
        let long = "x".repeat(MAX_TAG_LEN + 1);
        let tags = Tags::new([
            ("user", "1"),
            ("tenant", "acme"),
            ("user", "2"),
            ("", "empty key"),
            ("empty", ""),
            ("long", long.as_str()),
        ]);
        assert_eq!(
            tags.iter().collect::<Vec<_>>(),
            [("tenant", "acme"), ("user", "2")]
        );
        let many = Tags::new((0..100).map(|i| (format!("k{i:03}"), "v")));
        assert_eq!(many.len(), MAX_TAGS);
        assert_ne!(tags.id(), tags.with([("a", "b")]).id());
        assert_eq!(
            tags.merged(&Tags::new([("tenant", "globex")]))
                .get("tenant"),
            Some("globex")
        );
    }
}
