//! [`InContext`]: a future that sets its tags on every poll.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::{Tags, current, enter};

/// `future` run in a context: `tags` added to the context in force where `wrap` is called.
///
/// The tags are set at every poll and the previous context restored after it, so two requests
/// interleaved on one thread each see only their own.
pub fn wrap<F: IntoFuture>(tags: Tags, future: F) -> InContext<F::IntoFuture> {
    let tags = match current() {
        Some(outer) => outer.merged(&tags),
        None => tags,
    };
    InContext {
        tags,
        inner: future.into_future(),
    }
}

pin_project! {
    /// A future run in a context, made by [`wrap`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct InContext<F> {
        tags: Tags,
        #[pin]
        inner: F,
    }
}

impl<F> InContext<F> {
    /// The tags it runs with.
    pub fn tags(&self) -> &Tags {
        &self.tags
    }
}

impl<F: Future> Future for InContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = enter(this.tags.clone());
        this.inner.poll(cx)
    }
}
