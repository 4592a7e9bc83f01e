//! An apply rebuilds tracing's interest cache only when it can change a registered callsite's
//! interest or the max level, and the interest stays right either way: callsites of our own count
//! how often their interest is set (once per callsite per rebuild). Its own test binary: the
//! subscriber is the global one, so no other test's dispatcher or rebuild weighs in.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use dynlog_core::handler::NullHandler;
use dynlog_core::{DynamicLogger, LoggingConfig, MemoryHandler};
use dynlog_tracing::DynlogLayer;
use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::FieldSet;
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{Level, LevelFilter, Metadata};
use tracing_subscriber::layer::SubscriberExt;

/// A callsite of our own: the interest tracing caches for it, and how often it was set.
struct Probe {
    meta: &'static Metadata<'static>,
    interest: AtomicU8,
    sets: AtomicUsize,
}

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
        self.sets.fetch_add(1, Ordering::SeqCst);
    }

    fn metadata(&self) -> &Metadata<'_> {
        self.meta
    }
}

impl Probe {
    fn interest(&self) -> &'static str {
        ["never", "sometimes", "always"][self.interest.load(Ordering::SeqCst) as usize]
    }

    fn sets(&self) -> usize {
        self.sets.load(Ordering::SeqCst)
    }
}

macro_rules! probe {
    ($probe:ident, $meta:ident, $target:literal, $level:expr) => {
        static $probe: Probe = Probe {
            meta: &$meta,
            interest: AtomicU8::new(9),
            sets: AtomicUsize::new(0),
        };
        static $meta: Metadata<'static> = Metadata::new(
            "probe",
            $target,
            $level,
            Some(file!()),
            Some(line!()),
            Some(module_path!()),
            FieldSet::new(&["message"], Identifier(&$probe)),
            Kind::EVENT,
        );
    };
}

probe!(IMPORT, IMPORT_META, "myapp::import", Level::DEBUG);
probe!(DB, DB_META, "myapp::db", Level::INFO);
probe!(OTHER, OTHER_META, "other", Level::WARN);
probe!(LATE, LATE_META, "myapp::late", Level::DEBUG);

/// The interest of the three first probes, and how often each was set.
fn probes() -> [(&'static str, usize); 3] {
    [&IMPORT, &DB, &OTHER].map(|p| (p.interest(), p.sets()))
}

fn apply(logger: &DynamicLogger, spec: &str) {
    logger
        .apply(&LoggingConfig::from_spec(spec).unwrap())
        .unwrap();
}

#[test]
fn an_apply_rebuilds_interest_only_when_a_callsite_or_the_max_level_can_see_it() {
    let memory = MemoryHandler::new(100);
    let logger = DynamicLogger::builder()
        .handler("memory", memory.clone())
        .handler("file", NullHandler)
        .baseline_json(
            r#"{"handlers": {"file": {"level": "warn"}},
                "loggers": {"": {"level": "info", "handlers": ["memory", "file"]}}}"#,
        )
        .unwrap()
        .build()
        .unwrap();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(DynlogLayer::new(&logger)),
    )
    .unwrap();
    for probe in [&IMPORT, &DB, &OTHER] {
        tracing_core::callsite::register(probe);
    }
    assert_eq!(
        probes(),
        [("never", 1), ("always", 1), ("always", 1)],
        "registered: import's debug refused by the baseline at info"
    );

    // The listener's first apply always rebuilds.
    apply(&logger, "myapp::import=debug");
    assert_eq!(probes(), [("always", 2), ("always", 2), ("always", 2)]);
    assert_eq!(LevelFilter::current(), LevelFilter::DEBUG);

    // Debug at myapp::db: no registered callsite has debug there, and the max level stays at
    // debug, so the rebuild is skipped; an event at the new level is still written (its macro's
    // callsite registers now, against the config in force).
    apply(&logger, "myapp::import=debug,myapp::db=debug");
    assert_eq!(
        probes(),
        [("always", 2), ("always", 2), ("always", 2)],
        "skipped"
    );
    tracing::debug!(target: "myapp::db", "db at debug");
    assert_eq!(memory.messages(), ["db at debug"]);

    // That callsite registering was an answer from outside a rebuild: the next apply rebuilds,
    // though it changes nothing a callsite can see; the one after it skips again.
    apply(
        &logger,
        "myapp::import=debug,myapp::db=debug,unrelated=error",
    );
    assert_eq!(probes(), [("always", 3), ("always", 3), ("always", 3)]);
    apply(
        &logger,
        "myapp::import=debug,myapp::db=debug,unrelated=warn",
    );
    assert_eq!(
        probes(),
        [("always", 3), ("always", 3), ("always", 3)],
        "skipped"
    );

    // Warn at myapp::db refuses the info callsite there: rebuilt.
    apply(&logger, "myapp::import=debug,myapp::db=warn");
    assert_eq!(probes(), [("always", 4), ("never", 4), ("always", 4)]);
    tracing::info!(target: "myapp::db", "db at info");
    assert_eq!(memory.messages(), ["db at debug"]);

    // Trace under myapp::import changes no callsite's interest but the max level: rebuilt, so
    // tracing's max level follows.
    apply(
        &logger,
        "myapp::import=debug,myapp::db=warn,myapp::import::rows=trace",
    );
    assert_eq!(probes(), [("always", 5), ("never", 5), ("always", 5)]);
    assert_eq!(LevelFilter::current(), LevelFilter::TRACE);

    // A trigger's window ending: back to the baseline, import's debug refused again.
    logger.apply_baseline().unwrap();
    assert_eq!(probes(), [("never", 6), ("always", 6), ("always", 6)]);
    assert_eq!(LevelFilter::current(), LevelFilter::INFO);

    // A callsite registered since the last apply is answered for by the next one.
    tracing_core::callsite::register(&LATE);
    assert_eq!((LATE.interest(), LATE.sets()), ("never", 1));
    apply(&logger, "myapp::late=debug");
    assert_eq!((LATE.interest(), LATE.sets()), ("always", 2));
    apply(&logger, "myapp::late=debug,myapp::import=warn");
    assert_eq!(
        (LATE.interest(), LATE.sets()),
        ("always", 2),
        "import's debug callsite was refused already: skipped"
    );
    assert_eq!(probes()[0], ("never", 7));

    // A handler's level alone (what a `tracing_filter("file")` passes): the file handler now
    // takes the info callsite at myapp::db, rebuilt.
    let file_info = LoggingConfig::from_json(
        r#"{"handlers": {"file": {"level": "info"}},
            "loggers": {"myapp::late": {"level": "debug"}, "myapp::import": {"level": "warn"}}}"#,
    )
    .unwrap();
    logger.apply(&file_info).unwrap();
    assert_eq!(probes(), [("never", 8), ("always", 8), ("always", 8)]);

    // A scoped config: a callsite's verdict depends on more than its target, always rebuilt.
    let scoped = LoggingConfig::from_json(
        r#"{"scope": {"tenant": ["acme"]}, "loggers": {"myapp::import": {"level": "debug"}}}"#,
    )
    .unwrap();
    logger
        .apply_scoped(&LoggingConfig::default(), &[scoped])
        .unwrap();
    assert_eq!(probes(), [("sometimes", 9), ("always", 9), ("always", 9)]);
}
