//! Span fields as dynlog context tags: the fields the application names are kept on the span
//! (in the registry's extensions) and made this thread's context while the span is entered.

use std::cell::RefCell;
use std::fmt::{self, Write};

use dynlog_core::context::{self, MAX_TAG_LEN, Tags};
use tracing_core::field::{Field, Visit};
use tracing_core::span::{self, Id};
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The field names that become tags.
#[derive(Clone, Debug, Default)]
pub(crate) struct TagFields {
    names: Vec<String>,
}

/// A span's tags, in its extensions.
struct SpanTags(Tags);

impl TagFields {
    pub(crate) fn new(names: impl IntoIterator<Item = impl Into<String>>) -> TagFields {
        let mut names: Vec<String> = names.into_iter().map(Into::into).collect();
        names.sort_unstable();
        names.dedup();
        TagFields { names }
    }

    /// Whether `meta` is a span with a field that becomes a tag.
    pub(crate) fn wanted(&self, meta: &Metadata<'_>) -> bool {
        !self.names.is_empty()
            && meta.is_span()
            && meta.fields().iter().any(|f| self.is_tag(f.name()))
    }

    fn is_tag(&self, name: &str) -> bool {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    fn collect(&self, record: impl FnOnce(&mut dyn Visit)) -> Vec<(&'static str, String)> {
        let mut visitor = Collect {
            tags: self,
            pairs: Vec::new(),
        };
        record(&mut visitor);
        visitor.pairs
    }

    pub(crate) fn on_new_span<S>(&self, attrs: &span::Attributes<'_>, id: &Id, cx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        if !self.wanted(attrs.metadata()) {
            return;
        }
        let pairs = self.collect(|v| attrs.record(v));
        if let Some(span) = cx.span(id) {
            span.extensions_mut().insert(SpanTags(Tags::new(pairs)));
        }
    }

    pub(crate) fn on_record<S>(&self, id: &Id, values: &span::Record<'_>, cx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let Some(span) = cx.span(id) else { return };
        if !self.wanted(span.metadata()) {
            return;
        }
        let pairs = self.collect(|v| values.record(v));
        if pairs.is_empty() {
            return;
        }
        let mut extensions = span.extensions_mut();
        let tags = match extensions.get_mut::<SpanTags>() {
            Some(SpanTags(tags)) => tags.with(pairs),
            None => Tags::new(pairs),
        };
        extensions.replace(SpanTags(tags));
    }

    pub(crate) fn on_enter<S>(&self, id: &Id, cx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        if self.names.is_empty() {
            return;
        }
        let Some(span) = cx.span(id) else { return };
        let Some(tags) = span.extensions().get::<SpanTags>().map(|t| t.0.clone()) else {
            return;
        };
        let merged = match context::current() {
            Some(outer) => outer.merged(&tags),
            None => tags,
        };
        let previous = context::replace(Some(merged));
        let _ = ENTERED.try_with(|entered| entered.borrow_mut().push((id.clone(), previous)));
    }

    pub(crate) fn on_exit(&self, id: &Id) {
        if self.names.is_empty() {
            return;
        }
        let _ = ENTERED.try_with(|entered| {
            let mut entered = entered.borrow_mut();
            let Some(at) = entered.iter().rposition(|(i, _)| i == id) else {
                return;
            };
            let (_, previous) = entered.remove(at);
            match entered.get_mut(at) {
                // Left out of order: the span entered after it now restores what it restored.
                Some(next) => next.1 = previous,
                None => {
                    context::replace(previous);
                }
            }
        });
    }
}

thread_local! {
    /// The spans with tags entered on this thread, and the context each replaced.
    static ENTERED: RefCell<Vec<(Id, Option<Tags>)>> = const { RefCell::new(Vec::new()) };
}

/// Collects the tag fields of a span's values as text (bounded: a value longer than a tag can
/// be is dropped here, as [`Tags`] would drop it).
struct Collect<'a> {
    tags: &'a TagFields,
    pairs: Vec<(&'static str, String)>,
}

impl Collect<'_> {
    fn push(&mut self, field: &Field, write: impl FnOnce(&mut Bounded)) {
        if !self.tags.is_tag(field.name()) {
            return;
        }
        let mut text = Bounded(String::new(), false);
        write(&mut text);
        if !text.1 {
            self.pairs.push((field.name(), text.0));
        }
    }
}

/// A string that stops at [`MAX_TAG_LEN`] bytes and says it overflowed.
struct Bounded(String, bool);

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() > MAX_TAG_LEN {
            self.1 = true;
            return Err(fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
}

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, |text| {
            let _ = write!(text, "{value:?}");
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, |text| {
            let _ = text.write_str(value);
        });
    }
}
