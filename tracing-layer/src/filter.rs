//! [`HandlerFilter`]: a per-layer filter passing what dynlog would send to one handler.

use dynlog_core::DynamicLogger;
use dynlog_core::logger::Verdict;
use tracing_core::subscriber::Interest;
use tracing_core::{Event, LevelFilter, Metadata};
use tracing_subscriber::layer::{Context, Filter};

use crate::record::with_record;

/// A per-layer filter (`layer.with_filter(..)`) that passes exactly the events dynlog would send
/// to one of its handlers: by the loggers' levels, the handler's level, the filters of both, and
/// the scoped config the event's fields or its thread's context match. For applications that keep
/// their own layers: declare a handler per layer in dynlog (a `NullHandler` when dynlog itself
/// writes nothing there), and configs route events to the layers by those names.
///
/// A handler's budget is its own: the filter does not count against it.
#[derive(Clone, Debug)]
pub struct HandlerFilter {
    logger: DynamicLogger,
    handler: usize,
}

/// [`TracingExt::tracing_filter`] on a [`DynamicLogger`].
pub trait TracingExt {
    /// A per-layer filter passing what this logger would send to the handler named `handler`;
    /// an unknown name is an error naming it and the handlers declared.
    fn tracing_filter(&self, handler: &str) -> dynlog_core::Result<HandlerFilter>;
}

impl TracingExt for DynamicLogger {
    fn tracing_filter(&self, handler: &str) -> dynlog_core::Result<HandlerFilter> {
        let index = self.handler_index(handler)?;
        crate::interest::rebuild_on_apply(self);
        Ok(HandlerFilter {
            logger: self.clone(),
            handler: index,
        })
    }
}

impl HandlerFilter {
    fn verdict(&self, meta: &Metadata<'_>) -> Verdict {
        self.logger
            .handler_verdict(self.handler, meta.target(), crate::log_level(meta.level()))
    }
}

impl<S> Filter<S> for HandlerFilter {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        // Filters and scopes that depend on the event are decided in `event_enabled`.
        self.verdict(meta) != Verdict::Refused
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        crate::interest::note(meta);
        match self.verdict(meta) {
            Verdict::Refused => Interest::never(),
            Verdict::Admitted => Interest::always(),
            Verdict::Depends => Interest::sometimes(),
        }
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        match self.verdict(event.metadata()) {
            Verdict::Refused => false,
            Verdict::Admitted => true,
            Verdict::Depends => {
                with_record(event, |record| self.logger.sends_to(self.handler, record))
            }
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(crate::tracing_filter_of(self.logger.max_level()))
    }
}
