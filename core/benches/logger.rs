//! The logger's hot path against its peers, in one run: env_logger and log4rs configured with
//! the same directives. `scripts/bench-ratios` prints the ratios from criterion's results.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dynlog_core::handler::ConsoleHandler;
use dynlog_core::{DynamicLogger, LoggingConfig};
use log::{Level, LevelFilter, Log, Metadata, Record};

/// `n` directives: the root at warn, then `appK` alternately at info and debug.
fn spec(n: usize) -> String {
    let mut items = vec!["warn".to_string()];
    items.extend((1..n).map(|k| format!("app{k}={}", if k % 2 == 1 { "info" } else { "debug" })));
    items.join(",")
}

fn dynlog(n: usize) -> DynamicLogger {
    DynamicLogger::builder()
        .handler("console", ConsoleHandler::to_writer(io::sink()))
        .baseline_spec(&spec(n))
        .unwrap()
        .build()
        .unwrap()
}

fn env_logger(n: usize) -> env_logger::Logger {
    env_logger::Builder::new()
        .parse_filters(&spec(n))
        .format_timestamp_millis()
        .target(env_logger::Target::Pipe(Box::new(io::sink())))
        .build()
}

/// A logger that checks `enabled` and finds it false: the cheapest a logger that does not set
/// `log`'s max level can be.
struct FalseLogger;

impl Log for FalseLogger {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            #[allow(clippy::needless_return)]
            return;
        }
    }
    fn flush(&self) {}
}

/// A logger that does nothing: the floor of any logger called through `log!`, which builds the
/// record before the logger sees it.
struct NoopLogger;

impl Log for NoopLogger {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        black_box(record);
    }
    fn flush(&self) {}
}

fn disabled_by_max_level(c: &mut Criterion) {
    let ours = dynlog(10);
    let mut group = c.benchmark_group("disabled_by_max_level");
    // dynlog sets log's max level from its config (info here), so `debug!` stops in the macro.
    log::set_max_level(LevelFilter::Info);
    group.bench_function("dynlog", |b| {
        b.iter(
            || log::log!(logger: &ours, target: "app1::db", Level::Debug, "row {}", black_box(7)),
        )
    });
    log::set_max_level(LevelFilter::Trace);
    group.bench_function("enabled_false", |b| {
        b.iter(|| log::log!(logger: &FalseLogger, target: "app1::db", Level::Debug, "row {}", black_box(7)))
    });
    group.finish();
}

fn refused_by_level(c: &mut Criterion) {
    log::set_max_level(LevelFilter::Trace);
    for n in [10, 100] {
        let ours = dynlog(n);
        let peer = env_logger(n);
        let mut group = c.benchmark_group(format!("refused_{n}_loggers"));
        // app1 is at info: a debug record for one of its modules is refused.
        group.bench_function("dynlog", |b| {
            b.iter(|| log::log!(logger: &ours, target: "app1::db::pool", Level::Debug, "row {}", black_box(7)))
        });
        group.bench_function("env_logger", |b| {
            b.iter(|| log::log!(logger: &peer, target: "app1::db::pool", Level::Debug, "row {}", black_box(7)))
        });
        if n == 10 {
            group.bench_function("noop_logger", |b| {
                b.iter(|| log::log!(logger: &NoopLogger, target: "app1::db::pool", Level::Debug, "row {}", black_box(7)))
            });
        }
        group.finish();
    }
}

fn enabled_formatted(c: &mut Criterion) {
    log::set_max_level(LevelFilter::Trace);
    let ours = dynlog(10);
    let peer = env_logger(10);
    let mut group = c.benchmark_group("enabled_formatted");
    group.bench_function("dynlog", |b| {
        b.iter(|| log::log!(logger: &ours, target: "app1::db::pool", Level::Info, "imported row {}", black_box(7)))
    });
    group.bench_function("env_logger", |b| {
        b.iter(|| log::log!(logger: &peer, target: "app1::db::pool", Level::Info, "imported row {}", black_box(7)))
    });
    group.finish();
}

/// Scoped configs active: a debug window for tenant acme over `app1`. A debug record of `app1`
/// in globex's context is refused (the cost every other request pays while a scoped window runs,
/// against the same logger with no scope and env_logger); in acme's it is formatted.
fn scoped(c: &mut Criterion) {
    use dynlog_core::context::{self, Tags};
    log::set_max_level(LevelFilter::Trace);
    let unscoped = dynlog(10);
    let ours = dynlog(10);
    ours.apply(
        &LoggingConfig::from_json(
            r#"{"scope": {"tenant": ["acme"]}, "loggers": {"app1": {"level": "debug"}}}"#,
        )
        .unwrap(),
    )
    .unwrap();
    let peer = env_logger(10);
    let globex = Tags::new([("tenant", "globex")]);
    let acme = Tags::new([("tenant", "acme")]);
    let mut group = c.benchmark_group("scoped_refused");
    group.bench_function("dynlog_scoped", |b| {
        let _in = context::enter(globex.clone());
        b.iter(|| log::log!(logger: &ours, target: "app1::db::pool", Level::Debug, "row {}", black_box(7)))
    });
    group.bench_function("dynlog", |b| {
        let _in = context::enter(globex.clone());
        b.iter(|| log::log!(logger: &unscoped, target: "app1::db::pool", Level::Debug, "row {}", black_box(7)))
    });
    group.bench_function("env_logger", |b| {
        b.iter(|| log::log!(logger: &peer, target: "app1::db::pool", Level::Debug, "row {}", black_box(7)))
    });
    group.finish();
    let mut group = c.benchmark_group("scoped_matching");
    group.bench_function("dynlog_scoped", |b| {
        let _in = context::enter(acme.clone());
        b.iter(|| log::log!(logger: &ours, target: "app1::db::pool", Level::Debug, "imported row {}", black_box(7)))
    });
    group.bench_function("env_logger", |b| {
        b.iter(|| log::log!(logger: &peer, target: "app1::db::pool", Level::Info, "imported row {}", black_box(7)))
    });
    group.finish();
}

fn log4rs_config(n: usize) -> log4rs::config::Config {
    use log4rs::append::console::ConsoleAppender;
    use log4rs::config::{Appender, Config, Logger, Root};
    let loggers = (1..n).map(|k| {
        let level = if k % 2 == 1 {
            LevelFilter::Info
        } else {
            LevelFilter::Debug
        };
        Logger::builder()
            .appender("console")
            .additive(k % 3 != 0)
            .build(format!("app{k}::module{k}"), level)
    });
    Config::builder()
        .appender(
            Appender::builder().build("console", Box::new(ConsoleAppender::builder().build())),
        )
        .loggers(loggers)
        .build(Root::builder().appender("console").build(LevelFilter::Warn))
        .unwrap()
}

fn dynlog_config(n: usize) -> LoggingConfig {
    let loggers: Vec<String> = (1..n)
        .map(|k| {
            format!(
                r#""app{k}::module{k}": {{"level": "{}", "handlers": ["console"], "propagate": {}}}"#,
                if k % 2 == 1 { "info" } else { "debug" },
                k % 3 != 0
            )
        })
        .collect();
    LoggingConfig::from_json(&format!(r#"{{"loggers": {{{}}}}}"#, loggers.join(","))).unwrap()
}

fn apply(c: &mut Criterion) {
    let ours = dynlog(10);
    let config = dynlog_config(100);
    let peer = log4rs::Logger::new(log4rs_config(10)).handle();
    let mut group = c.benchmark_group("apply_100_loggers");
    group.bench_function("dynlog", |b| {
        b.iter(|| ours.apply(black_box(&config)).unwrap())
    });
    // log4rs takes its config by value, appenders included: building it is part of its apply.
    group.bench_function("log4rs", |b| {
        b.iter(|| peer.set_config(log4rs_config(black_box(100))))
    });
    group.finish();
    log::set_max_level(LevelFilter::Trace);
}

/// Records per second of two logging threads, with or without a third applying every 1 ms.
fn threads(c: &mut Criterion) {
    log::set_max_level(LevelFilter::Trace);
    let mut group = c.benchmark_group("two_threads");
    group.measurement_time(Duration::from_secs(8));
    for applying in [false, true] {
        let name = if applying {
            "applying_every_1ms"
        } else {
            "steady"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let logger = dynlog(10);
                let other = LoggingConfig::from_spec("app1=debug").unwrap();
                let stop = Arc::new(AtomicBool::new(false));
                let applier = applying.then(|| {
                    let (logger, stop) = (logger.clone(), stop.clone());
                    std::thread::spawn(move || {
                        let mut flip = false;
                        while !stop.load(Ordering::Relaxed) {
                            if flip { logger.apply(&other) } else { logger.apply_baseline() }.unwrap();
                            flip = !flip;
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    })
                });
                let started = Instant::now();
                let workers: Vec<_> = (0..2)
                    .map(|_| {
                        let logger = logger.clone();
                        std::thread::spawn(move || {
                            for i in 0..iters / 2 {
                                log::log!(logger: &logger, target: "app1::db", Level::Info, "row {}", black_box(i));
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    w.join().unwrap();
                }
                let elapsed = started.elapsed();
                stop.store(true, Ordering::Relaxed);
                if let Some(a) = applier {
                    a.join().unwrap();
                }
                elapsed
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    disabled_by_max_level,
    refused_by_level,
    enabled_formatted,
    scoped,
    apply,
    threads
);
criterion_main!(benches);
