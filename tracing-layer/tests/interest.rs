//! Interest follows the config: a callsite the config refuses is `never` interesting, a trigger's
//! window makes it interesting when it starts and `never` again when it ends. Its own test binary:
//! the subscriber is the global one, so no other test's dispatcher weighs in on interest.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use dynlog_core::chrono::{self, TimeZone, Utc};
use dynlog_core::testing::ManualClock;
use dynlog_core::{
    Controller, DynamicLogger, LoggingConfig, MemoryHandler, MemoryStore, NewConfig, NewTrigger,
};
use dynlog_tracing::DynlogLayer;
use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::FieldSet;
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{LevelFilter, Metadata};
use tracing_subscriber::layer::SubscriberExt;

/// A callsite of our own, so the test can read the interest tracing caches for it.
struct Probe {
    interest: AtomicU8,
}

const UNSET: u8 = 9;

static PROBE: Probe = Probe {
    interest: AtomicU8::new(UNSET),
};

static PROBE_META: Metadata<'static> = Metadata::new(
    "probe",
    "myapp::import",
    tracing_core::Level::DEBUG,
    Some(file!()),
    Some(line!()),
    Some(module_path!()),
    FieldSet::new(&["message"], Identifier(&PROBE)),
    Kind::EVENT,
);

impl Callsite for Probe {
    fn set_interest(&self, interest: Interest) {
        let code = if interest.is_never() {
            0
        } else if interest.is_sometimes() {
            1
        } else {
            2
        };
        self.interest.store(code, Ordering::SeqCst);
    }

    fn metadata(&self) -> &Metadata<'_> {
        &PROBE_META
    }
}

fn interest() -> &'static str {
    match PROBE.interest.load(Ordering::SeqCst) {
        0 => "never",
        1 => "sometimes",
        2 => "always",
        _ => "unset",
    }
}

fn emit(row: u32) {
    tracing::debug!(target: "myapp::import", row, "import row");
}

fn hour(h: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(h)
}

#[test]
fn a_window_enables_a_callsite_and_its_end_disables_it() {
    let memory = MemoryHandler::new(100);
    let logger = DynamicLogger::builder()
        .handler("memory", memory.clone())
        .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
        .unwrap()
        .build()
        .unwrap();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(DynlogLayer::new(&logger)),
    )
    .unwrap();
    tracing_core::callsite::register(&PROBE);
    assert_eq!(interest(), "never", "refused by the baseline");
    assert_eq!(LevelFilter::current(), LevelFilter::INFO);
    emit(1);
    assert!(memory.messages().is_empty());

    let clock = Arc::new(ManualClock::new(hour(0)));
    let controller = Controller::builder(logger.clone(), MemoryStore::new())
        .clock(clock.clone())
        .without_thread()
        .start()
        .unwrap();
    let config = controller
        .create_config(
            "alice",
            &NewConfig {
                name: "debug import".into(),
                body: LoggingConfig::from_spec("myapp::import=debug").unwrap(),
            },
        )
        .unwrap();
    controller
        .create_trigger(
            "alice",
            &NewTrigger {
                name: "tonight".into(),
                config_id: config.id,
                start: Some(hour(1)),
                end: Some(hour(2)),
                is_active: true,
            },
        )
        .unwrap();
    assert_eq!(interest(), "never", "the window has not started");

    clock.set(hour(1));
    controller.tick().unwrap();
    assert_eq!(
        interest(),
        "always",
        "the window started: the apply rebuilt interest"
    );
    assert_eq!(LevelFilter::current(), LevelFilter::DEBUG);
    emit(2);
    assert_eq!(memory.messages(), ["import row"]);
    let kvs = memory.snapshot();
    assert_eq!(kvs[0].target, "myapp::import");

    clock.set(hour(2));
    controller.tick().unwrap();
    assert_eq!(interest(), "never", "the window ended");
    assert_eq!(LevelFilter::current(), LevelFilter::INFO);
    emit(3);
    assert_eq!(memory.messages().len(), 1);
}
