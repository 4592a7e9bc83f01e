//! dynlog's tracing bridge against tracing-subscriber's own runtime filter (`EnvFilter` behind a
//! `reload` layer, with a `fmt` layer), in one run: a refused event (by the max level, and by a
//! callsite's interest), an enabled event written to a discarding writer, and an apply (parsing
//! the same spec, swapping the filter and rebuilding every callsite's interest) with no callsite
//! of our own registered, then with 1,000: an apply that changes no registered callsite's
//! interest, and one that changes 100 of them.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dynlog_core::handler::ConsoleHandler;
use dynlog_core::{DynamicLogger, LoggingConfig};
use dynlog_tracing::DynlogLayer;
use tracing_core::callsite::{Callsite, Identifier};
use tracing_core::field::FieldSet;
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{Level, Metadata};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, reload};

/// The root at warn, `app1` at debug, `app2` at info.
const SPEC: &str = "warn,app1=debug,app2=info";
/// Two specs an apply alternates between, so every apply is a change that no registered
/// callsite can see: `app4` at warn or info, where the bench's own callsites are all at trace
/// (see [`register_callsites`]), refused either way, and the max level stays at debug.
const SPECS: [&str; 2] = [
    "warn,app1=debug,app2=info",
    "warn,app1=debug,app2=info,app4=info",
];
/// Two specs where every apply changes the interest of the bench's 100 callsites at `app3`,
/// all at debug.
const CHANGING: [&str; 2] = [
    "warn,app1=debug,app2=info,app3=info",
    "warn,app1=debug,app2=info,app3=debug",
];

fn dynlog() -> DynamicLogger {
    DynamicLogger::builder()
        .handler("console", ConsoleHandler::to_writer(io::sink()))
        .baseline_spec(SPEC)
        .unwrap()
        .build()
        .unwrap()
}

fn dynlog_subscriber(logger: &DynamicLogger) -> tracing::Dispatch {
    tracing::Dispatch::new(tracing_subscriber::registry().with(DynlogLayer::new(logger)))
}

type Reload = reload::Handle<EnvFilter, tracing_subscriber::Registry>;

fn tracing_subscriber_with_reload() -> (tracing::Dispatch, Reload) {
    let (filter, handle) = reload::Layer::new(EnvFilter::new(SPEC));
    let subscriber = tracing_subscriber::registry().with(filter).with(
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(io::sink),
    );
    (tracing::Dispatch::new(subscriber), handle)
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// Runs `bench` with `dispatch` as this thread's default, and drops it after.
fn with<R>(dispatch: tracing::Dispatch, bench: impl FnOnce() -> R) {
    let guard = tracing::dispatcher::set_default(&dispatch);
    bench();
    drop(guard);
}

fn events(c: &mut Criterion) {
    let logger = dynlog();
    let mut group = c.benchmark_group("refused_by_level");
    // The max level is debug (app1): trace stops in the macro for both.
    with(dynlog_subscriber(&logger), || {
        group.bench_function("dynlog", |b| {
            b.iter(|| tracing::trace!(target: "app1::db", "row {}", black_box(7)))
        })
    });
    with(tracing_subscriber_with_reload().0, || {
        group.bench_function("envfilter_reload", |b| {
            b.iter(|| tracing::trace!(target: "app1::db", "row {}", black_box(7)))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("refused_by_target");
    // Debug passes the max level, and the callsite's interest refuses it.
    with(dynlog_subscriber(&logger), || {
        group.bench_function("dynlog", |b| {
            b.iter(|| tracing::debug!(target: "app2::db", "row {}", black_box(7)))
        })
    });
    with(tracing_subscriber_with_reload().0, || {
        group.bench_function("envfilter_reload", |b| {
            b.iter(|| tracing::debug!(target: "app2::db", "row {}", black_box(7)))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("enabled_to_sink");
    with(dynlog_subscriber(&logger), || {
        group.bench_function("dynlog", |b| {
            b.iter(|| tracing::info!(target: "app2::db", "row {}", black_box(7)))
        })
    });
    with(tracing_subscriber_with_reload().0, || {
        group.bench_function("envfilter_reload", |b| {
            b.iter(|| tracing::info!(target: "app2::db", "row {}", black_box(7)))
        })
    });
    group.finish();
}

/// A callsite made at runtime, so the bench can register as many as it likes.
struct Site {
    meta: OnceLock<Metadata<'static>>,
}

impl Callsite for Site {
    fn set_interest(&self, interest: Interest) {
        black_box(interest);
    }

    fn metadata(&self) -> &Metadata<'_> {
        self.meta.get().unwrap()
    }
}

/// Registers `n` callsites: targets `appK::modI` over ten crates, levels in turn (so every
/// callsite of one crate has the same level: `app3`'s debug, `app4`'s trace).
fn register_callsites(n: usize) {
    const LEVELS: [Level; 5] = [
        Level::ERROR,
        Level::WARN,
        Level::INFO,
        Level::DEBUG,
        Level::TRACE,
    ];
    for i in 0..n {
        let site: &'static Site = Box::leak(Box::new(Site {
            meta: OnceLock::new(),
        }));
        let target: &'static str = Box::leak(format!("app{}::mod{i}", i % 10).into_boxed_str());
        let meta = Metadata::new(
            "event",
            target,
            LEVELS[i % LEVELS.len()],
            Some(file!()),
            Some(line!()),
            Some(module_path!()),
            FieldSet::new(&["message"], Identifier(site)),
            Kind::EVENT,
        );
        let _ = site.meta.set(meta);
        tracing_core::callsite::register(site);
    }
}

fn apply(c: &mut Criterion, name: &str, specs: [&str; 2]) {
    let mut group = c.benchmark_group(name);
    let logger = dynlog();
    with(dynlog_subscriber(&logger), || {
        let mut turn = 0;
        group.bench_function("dynlog", |b| {
            b.iter(|| {
                turn += 1;
                let config = LoggingConfig::from_spec(specs[turn % 2]).unwrap();
                logger.apply(&config).unwrap();
            })
        })
    });
    let (dispatch, handle) = tracing_subscriber_with_reload();
    with(dispatch, || {
        let mut turn = 0;
        group.bench_function("envfilter_reload", |b| {
            b.iter(|| {
                turn += 1;
                handle.reload(EnvFilter::new(specs[turn % 2])).unwrap();
            })
        })
    });
    group.finish();
}

fn applies(c: &mut Criterion) {
    apply(c, "apply_no_callsites", SPECS);
    register_callsites(1000);
    apply(c, "apply_1000_callsites", SPECS);
    apply(c, "apply_1000_callsites_changing", CHANGING);
}

criterion_group! {
    name = benches;
    config = config();
    targets = events, applies
}
criterion_main!(benches);
