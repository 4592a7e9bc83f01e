//! Context tags: the key/value strings of the current unit of work (`tenant=acme`, `user=42`),
//! which scoped configs match records against.
//!
//! A record's tags come from two sources: its own `log` key-values
//! (`log::debug!(tenant = "acme"; "...")`), and the ambient context of the thread that logs it,
//! set here. Where both give a key, the record's own value counts.
//!
//! - [`with`] runs a closure in a context (sync code);
//! - [`wrap`] makes a future that sets its tags on every poll and restores the previous ones
//!   after, as tracing's `Instrumented` does, so it stays right on a single-threaded executor
//!   where many requests interleave on one thread (actix's workers);
//! - [`enter`] sets tags until its guard is dropped, and [`replace`] swaps them for code that
//!   enters and exits at separate calls (a tracing layer's `on_enter`/`on_exit`).
//!
//! ```
//! use dynlog_core::context::{self, Tags};
//!
//! context::with(Tags::new([("tenant", "acme")]), || {
//!     assert_eq!(context::current().unwrap().get("tenant"), Some("acme"));
//!     // Nested contexts add to the outer one.
//!     context::with(Tags::new([("user", "42")]), || {
//!         let tags = context::current().unwrap();
//!         assert_eq!((tags.get("tenant"), tags.get("user")), (Some("acme"), Some("42")));
//!     });
//! });
//! assert!(context::current().is_none());
//! ```

mod future;
mod tags;

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

pub use future::{InContext, wrap};
pub use tags::{MAX_TAG_LEN, MAX_TAGS, Tags};

/// The tag key of a "debug my requests" token. Its value is the token's hash, as the middleware
/// that reads the token sets it, so a scope shows no token.
pub const DEBUG_TOKEN_KEY: &str = "debug_token";

/// This thread's context, and what the logger last decided for it.
struct Local {
    tags: RefCell<Option<Tags>>,
    /// The id of `tags`, 0 with none: the hot path reads it without the `RefCell`.
    id: Cell<u64>,
    /// The last scope match computed on this thread: (context id, scope set, result).
    memo: Cell<(u64, u64, u32)>,
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            tags: RefCell::new(None),
            id: Cell::new(0),
            memo: Cell::new((0, 0, 0)),
        }
    };
}

/// The tags of this thread's context, if any.
pub fn current() -> Option<Tags> {
    LOCAL
        .try_with(|local| local.tags.borrow().clone())
        .ok()
        .flatten()
}

/// Makes `tags` this thread's context (none with `None`) and returns the one it replaces.
///
/// For code that enters and exits at separate calls, such as a tracing layer: on enter, keep what
/// `replace` returns (on a per-thread stack); on exit, `replace` it back. Elsewhere [`enter`]'s
/// guard does both.
pub fn replace(tags: Option<Tags>) -> Option<Tags> {
    LOCAL
        .try_with(|local| {
            local.id.set(tags.as_ref().map_or(0, Tags::id));
            local.tags.replace(tags)
        })
        .ok()
        .flatten()
}

/// Makes `tags` (as given, not merged with the context in force) this thread's context until
/// the guard is dropped or [`Entered::exit`]ed, then restores the previous one. Guards must be
/// dropped in the reverse order of their `enter`s, as with any stack.
pub fn enter(tags: Tags) -> Entered {
    Entered {
        previous: replace(Some(tags)),
        _not_send: PhantomData,
    }
}

/// Runs `f` with `tags` added to the context in force, and restores it after, even on a panic.
pub fn with<R>(tags: Tags, f: impl FnOnce() -> R) -> R {
    let tags = match current() {
        Some(outer) => outer.merged(&tags),
        None => tags,
    };
    let _entered = enter(tags);
    f()
}

/// A context entered on this thread, restored when dropped.
#[must_use = "the context is left as soon as the guard is dropped"]
pub struct Entered {
    previous: Option<Tags>,
    /// Entered on one thread, left on the same one.
    _not_send: PhantomData<*const ()>,
}

impl Entered {
    /// Leaves the context: the previous one is in force again.
    pub fn exit(self) {}
}

impl Drop for Entered {
    fn drop(&mut self) {
        replace(self.previous.take());
    }
}

impl std::fmt::Debug for Entered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entered")
            .field("previous", &self.previous)
            .finish()
    }
}

/// What this thread remembers of its context for scope set `set` (never 0).
pub(crate) enum Remembered {
    /// The thread has no context.
    None,
    /// The match computed last for this context and this set.
    Match(u32),
    /// Nothing remembered: compute with [`remember`].
    Unknown,
}

/// What the hot path asks first: one thread-local read.
#[inline]
pub(crate) fn remembered(set: u64) -> Remembered {
    LOCAL
        .try_with(|local| {
            let id = local.id.get();
            if id == 0 {
                return Remembered::None;
            }
            let (memo_id, memo_set, result) = local.memo.get();
            if memo_id == id && memo_set == set {
                Remembered::Match(result)
            } else {
                Remembered::Unknown
            }
        })
        .unwrap_or(Remembered::None)
}

/// Computes the match of this thread's context for scope set `set` with `compute` and remembers
/// it.
pub(crate) fn remember(set: u64, compute: impl FnOnce(Option<&Tags>) -> u32) -> u32 {
    with_current(|tags| {
        let result = compute(tags);
        let id = tags.map_or(0, Tags::id);
        let _ = LOCAL.try_with(|local| local.memo.set((id, set, result)));
        result
    })
}

/// Runs `f` with this thread's context, without cloning it.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Tags>) -> R) -> R {
    let mut f = Some(f);
    let done = LOCAL.try_with(|local| match local.tags.try_borrow() {
        Ok(tags) => f.take().map(|f| f(tags.as_ref())),
        Err(_) => None,
    });
    match (done, f) {
        (Ok(Some(result)), _) => result,
        (_, Some(f)) => f(None),
        (_, None) => unreachable!("with_current: `f` ran, so its result was returned"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_restores_in_reverse_and_on_panic() {
        let outer = enter(Tags::new([("tenant", "acme")]));
        let inner = enter(Tags::new([("user", "1")]));
        assert_eq!(
            current().unwrap().get("tenant"),
            None,
            "enter does not merge"
        );
        inner.exit();
        assert_eq!(current().unwrap().get("tenant"), Some("acme"));
        let caught = std::panic::catch_unwind(|| {
            with(Tags::new([("user", "2")]), || panic!("in context"));
        });
        assert!(caught.is_err());
        assert_eq!(current().unwrap().get("user"), None);
        drop(outer);
        assert!(current().is_none());
        assert!(matches!(remembered(1), Remembered::None));
    }

    #[test]
    fn the_memo_is_per_context_and_set() {
        with(Tags::new([("tenant", "acme")]), || {
            assert!(matches!(remembered(7), Remembered::Unknown));
            assert_eq!(remember(7, |tags| u32::from(tags.is_some())), 1);
            assert!(matches!(remembered(7), Remembered::Match(1)));
            assert!(matches!(remembered(8), Remembered::Unknown));
            with(Tags::new([("user", "1")]), || {
                assert!(matches!(remembered(7), Remembered::Unknown));
            });
        });
    }
}
