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

/// A config named `name` with the JSON `body`, made by "setup"; its id.
pub(crate) fn config(c: &Controller, name: &str, body: &str) -> dynlog_core::model::ConfigId {
    let new = dynlog_core::NewConfig {
        name: name.into(),
        body: dynlog_core::LoggingConfig::from_json(body).unwrap(),
    };
    c.create_config("setup", &new).unwrap().id
}

/// An active trigger running `config_id` from `start` to `end`, made by "setup".
pub(crate) fn trigger(
    c: &Controller,
    name: &str,
    config_id: dynlog_core::model::ConfigId,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> dynlog_core::Trigger {
    let new = dynlog_core::NewTrigger {
        name: name.into(),
        config_id,
        start: Some(start),
        end: Some(end),
        is_active: true,
    };
    c.create_trigger("setup", &new).unwrap()
}

/// An instant as the admin's pages write it.
pub(crate) fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The part of `body` from `start` to the next `end`.
pub(crate) fn part<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let at = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {body}"));
    let rest = &body[at..];
    &rest[..rest.find(end).unwrap()]
}
