//! The application the admin's tests run against: console, file and memory handlers, a
//! `polite` filter, the root at info, and a controller that applies changes at once.
#![allow(dead_code, clippy::unwrap_used)]

use dynlog_core::{Controller, DynamicLogger, MemoryHandler, MemoryStore};

pub(crate) mod client;

/// A controller on a memory store whose `memory` handler is `tail`.
pub(crate) fn controller(tail: &MemoryHandler) -> Controller {
    let logger = DynamicLogger::builder()
        .handler("console", MemoryHandler::new(10))
        .handler("file", MemoryHandler::new(10))
        .handler("memory", tail.clone())
        .filter("polite", |_: &log::Record<'_>| true)
        .baseline_json(
            r#"{"loggers": {"": {"level": "info", "handlers": ["console", "memory"]}},
                "handlers": {"console": {"level": "info"}}}"#,
        )
        .unwrap()
        .build()
        .unwrap();
    Controller::builder(logger, MemoryStore::new())
        .without_thread()
        .start()
        .unwrap()
}
