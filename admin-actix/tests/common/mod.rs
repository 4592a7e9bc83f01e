//! The application the admin's tests run against: console, file and memory handlers, a
//! `polite` filter, the root at info, and a controller that applies changes at once.
#![allow(dead_code, clippy::unwrap_used)]

use std::ops::Deref;
use std::sync::Arc;

use dynlog_actix::Admin;
use dynlog_core::{Controller, DynamicLogger, MemoryHandler, MemoryStore};

pub(crate) mod client;

/// A controller and the store it runs on, which keeps the admin's accounts and tokens too.
#[derive(Clone)]
pub(crate) struct TestApp {
    pub(crate) controller: Controller,
    pub(crate) accounts: Arc<MemoryStore>,
}

impl Deref for TestApp {
    type Target = Controller;
    fn deref(&self) -> &Controller {
        &self.controller
    }
}

impl TestApp {
    /// The admin of this controller and its accounts.
    pub(crate) fn admin(&self) -> Admin {
        Admin::new(self.controller.clone(), Arc::clone(&self.accounts))
    }
}

/// A controller on a memory store whose `memory` handler is `tail`.
pub(crate) fn controller(tail: &MemoryHandler) -> TestApp {
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
    let accounts = Arc::new(MemoryStore::new());
    let controller = Controller::builder(logger, Arc::clone(&accounts))
        .without_thread()
        .start()
        .unwrap();
    TestApp {
        controller,
        accounts,
    }
}
