//! [`DynlogLayer`]: tracing events handed to a `DynamicLogger`.

use dynlog_core::DynamicLogger;
use dynlog_core::logger::Verdict;
use log::Log;
use tracing_core::span::{self, Id};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::record::with_record;
use crate::tags::TagFields;

/// A `tracing_subscriber::Layer` that hands each event to a [`DynamicLogger`] as a
/// `log::Record`, and decides which callsites are enabled from the config in force.
///
/// Making one registers, once per logger, a listener that rebuilds tracing's interest cache after
/// every apply that can change it: a callsite the config refuses is `never` interesting, and
/// costs what it costs with no subscriber, until an apply (a trigger starting, or a window
/// ending) enables it. An apply that changes no level a registered callsite has at its target
/// skips the rebuild, which is most of an apply's cost with many callsites.
///
/// As an unfiltered layer it is the subscriber's global filter: the layers beside it see only
/// what dynlog enables. Give them [`HandlerFilter`](crate::HandlerFilter)s to choose among that.
#[derive(Clone, Debug)]
pub struct DynlogLayer {
    logger: DynamicLogger,
    tags: TagFields,
}

impl DynlogLayer {
    /// A bridge to `logger`, with no span field as a tag.
    pub fn new(logger: &DynamicLogger) -> DynlogLayer {
        crate::interest::rebuild_on_apply(logger);
        DynlogLayer {
            logger: logger.clone(),
            tags: TagFields::default(),
        }
    }

    /// Makes these span fields dynlog context tags while their span is entered (`tenant`,
    /// `user`, `request_id`...): scoped configs match the events inside. A span carrying one is
    /// enabled when its level is one the config in force can emit (scoped configs included), so
    /// an `info_span!` carries its tags while a scoped config at info or more verbose runs.
    pub fn span_tags<I, S>(mut self, fields: I) -> DynlogLayer
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = TagFields::new(fields);
        self
    }
}

/// Whether the callsite has fields other than its message, which a scoped config may match.
fn has_fields(meta: &Metadata<'_>) -> bool {
    meta.fields().iter().any(|f| f.name() != "message")
}

impl<S> Layer<S> for DynlogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        crate::interest::note(meta);
        if self.tags.wanted(meta) {
            return Interest::always();
        }
        match self
            .logger
            .verdict(meta.target(), crate::log_level(meta.level()))
        {
            Verdict::Admitted => Interest::always(),
            Verdict::Refused => Interest::never(),
            // A scoped config may take it: by the event's own fields (known only with the
            // event, so the logger decides in `on_event`) or by the thread's context.
            Verdict::Depends if meta.is_event() && has_fields(meta) => Interest::always(),
            Verdict::Depends => Interest::sometimes(),
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _cx: Context<'_, S>) -> bool {
        if self.tags.wanted(meta) {
            return true;
        }
        let level = crate::log_level(meta.level());
        let log_meta = log::Metadata::builder()
            .level(level)
            .target(meta.target())
            .build();
        self.logger.enabled(&log_meta)
            || (meta.is_event()
                && has_fields(meta)
                && self.logger.verdict(meta.target(), level) == Verdict::Depends)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(crate::tracing_filter_of(self.logger.max_level()))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &Id, cx: Context<'_, S>) {
        self.tags.on_new_span(attrs, id, &cx);
    }

    fn on_record(&self, id: &Id, values: &span::Record<'_>, cx: Context<'_, S>) {
        self.tags.on_record(id, values, &cx);
    }

    fn on_enter(&self, id: &Id, cx: Context<'_, S>) {
        self.tags.on_enter(id, &cx);
    }

    fn on_exit(&self, id: &Id, _cx: Context<'_, S>) {
        self.tags.on_exit(id);
    }

    fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
        with_record(event, |record| self.logger.log(record));
    }
}
