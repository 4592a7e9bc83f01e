//! File output under load, against its peers in one run: 4 threads each log 200,000 enabled
//! info records to a real file, then the backend is flushed (or shut down) and the file's lines
//! are counted. Each backend writes the same line, `[<UTC time, ms> LEVEL target] message`.
//!
//! `cargo bench -p dynlog-core --bench file` prints criterion's figures per backend, then a
//! table of records a second (median of the runs), records lost, and the ratio to flexi_logger.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use dynlog_core::DynamicLogger;
use dynlog_core::handler::FileHandler;
use log::{Level, LevelFilter, Log, Record};

const THREADS: usize = 4;
const RECORDS: usize = 200_000;
const TOTAL: usize = THREADS * RECORDS;

/// Each backend's runs: (seconds, lines found in the file).
static RUNS: Mutex<BTreeMap<&'static str, Vec<(f64, usize)>>> = Mutex::new(BTreeMap::new());

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dynlog-bench-file-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Lines in every file of `dir`, then the directory removed.
fn count_and_remove(dir: &Path) -> usize {
    let mut lines = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = File::open(entry.unwrap().path()).unwrap();
        lines += BufReader::with_capacity(1 << 20, file).lines().count();
    }
    std::fs::remove_dir_all(dir).unwrap();
    lines
}

/// 4 threads × 200,000 records through `logger`.
fn flood(logger: &(dyn Log + Sync)) {
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..RECORDS {
                    logger.log(
                        &Record::builder()
                            .level(Level::Info)
                            .target("bench::file")
                            .args(format_args!("record {i} of thread {t}"))
                            .build(),
                    );
                }
            });
        }
    });
}

/// A backend: builds a logger writing under a directory, and what ends its run (a flush, a
/// shutdown, dropping a guard).
trait Backend {
    fn name(&self) -> &'static str;
    fn run(&self, dir: &Path);
}

struct Dynlog;

impl Backend for Dynlog {
    fn name(&self) -> &'static str {
        "dynlog FileHandler"
    }
    fn run(&self, dir: &Path) {
        let logger = DynamicLogger::builder()
            .handler("file", FileHandler::new(dir.join("app.log")))
            .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["file"]}}}"#)
            .unwrap()
            .build()
            .unwrap();
        flood(&logger);
        logger.shutdown();
    }
}

/// The handler before buffering: a write call a record.
struct DynlogUnbuffered;

impl Backend for DynlogUnbuffered {
    fn name(&self) -> &'static str {
        "dynlog FileHandler, buffer(0)"
    }
    fn run(&self, dir: &Path) {
        let logger = DynamicLogger::builder()
            .handler(
                "file",
                FileHandler::builder(dir.join("app.log")).buffer(0).build(),
            )
            .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["file"]}}}"#)
            .unwrap()
            .build()
            .unwrap();
        flood(&logger);
        logger.shutdown();
    }
}

fn flexi_format(
    w: &mut dyn Write,
    now: &mut flexi_logger::DeferredNow,
    record: &Record<'_>,
) -> std::io::Result<()> {
    write!(
        w,
        "[{} {:<5} {}] {}",
        now.now_utc_owned().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        record.level(),
        record.target(),
        record.args()
    )
}

struct Flexi;

impl Backend for Flexi {
    fn name(&self) -> &'static str {
        "flexi_logger BufferAndFlush"
    }
    fn run(&self, dir: &Path) {
        let (logger, handle) = flexi_logger::Logger::try_with_str("info")
            .unwrap()
            .log_to_file(
                flexi_logger::FileSpec::default()
                    .directory(dir)
                    .basename("flexi")
                    .suppress_timestamp(),
            )
            .format_for_files(flexi_format)
            .write_mode(flexi_logger::WriteMode::BufferAndFlush)
            .build()
            .unwrap();
        flood(&*logger);
        logger.flush();
        handle.shutdown();
    }
}

/// Formats as the others do and hands each line to tracing-appender's non-blocking writer, as
/// a tracing-subscriber layer would (a `make_writer` clone per event).
struct Appender(tracing_appender::non_blocking::NonBlocking);

impl Log for Appender {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        let line = format!(
            "[{} {:<5} {}] {}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            record.level(),
            record.target(),
            record.args()
        );
        let _ = self.0.clone().write_all(line.as_bytes());
    }
    fn flush(&self) {}
}

struct Tracing {
    lossy: bool,
}

impl Backend for Tracing {
    fn name(&self) -> &'static str {
        if self.lossy {
            "tracing-appender non_blocking, lossy (default)"
        } else {
            "tracing-appender non_blocking, lossless"
        }
    }
    fn run(&self, dir: &Path) {
        let file = File::create(dir.join("tracing.log")).unwrap();
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(self.lossy)
            .finish(file);
        flood(&Appender(writer));
        // Dropping the guard writes out what the worker still holds.
        drop(guard);
    }
}

struct EnvLogger;

impl Backend for EnvLogger {
    fn name(&self) -> &'static str {
        "env_logger to a file"
    }
    fn run(&self, dir: &Path) {
        let file = File::create(dir.join("env.log")).unwrap();
        let logger = env_logger::Builder::new()
            .filter_level(LevelFilter::Info)
            .format_timestamp_millis()
            .write_style(env_logger::WriteStyle::Never)
            .target(env_logger::Target::Pipe(Box::new(file)))
            .build();
        flood(&logger);
        logger.flush();
    }
}

struct Log4rs;

impl Backend for Log4rs {
    fn name(&self) -> &'static str {
        "log4rs FileAppender"
    }
    fn run(&self, dir: &Path) {
        use log4rs::append::file::FileAppender;
        use log4rs::config::{Appender as L4Appender, Config, Root};
        use log4rs::encode::pattern::PatternEncoder;
        let appender = FileAppender::builder()
            .encoder(Box::new(PatternEncoder::new(
                "[{d(%Y-%m-%dT%H:%M:%S%.3fZ)(utc)} {l:<5} {t}] {m}{n}",
            )))
            .build(dir.join("log4rs.log"))
            .unwrap();
        let config = Config::builder()
            .appender(L4Appender::builder().build("file", Box::new(appender)))
            .build(Root::builder().appender("file").build(LevelFilter::Info))
            .unwrap();
        let logger = log4rs::Logger::new(config);
        flood(&logger);
        logger.flush();
    }
}

fn file_output(c: &mut Criterion) {
    log::set_max_level(LevelFilter::Info);
    let backends: Vec<Box<dyn Backend>> = vec![
        Box::new(Dynlog),
        Box::new(Flexi),
        Box::new(Tracing { lossy: false }),
        Box::new(Tracing { lossy: true }),
        Box::new(DynlogUnbuffered),
        Box::new(EnvLogger),
        Box::new(Log4rs),
    ];
    let mut group = c.benchmark_group("file_4x200k");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(100));
    group.measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(TOTAL as u64));
    for backend in &backends {
        group.bench_function(backend.name(), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dir = dir("run");
                    let start = Instant::now();
                    backend.run(&dir);
                    let took = start.elapsed();
                    total += took;
                    let lines = count_and_remove(&dir);
                    RUNS.lock()
                        .unwrap()
                        .entry(backend.name())
                        .or_default()
                        .push((took.as_secs_f64(), lines));
                }
                total
            })
        });
    }
    group.finish();
    report();
}

/// Records a second (median run), records lost, and the ratio to flexi_logger.
fn report() {
    let runs = RUNS.lock().unwrap();
    let median = |name: &str| -> f64 {
        let mut rates: Vec<f64> = runs[name].iter().map(|(s, _)| TOTAL as f64 / s).collect();
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let flexi = median("flexi_logger BufferAndFlush");
    println!("\n{THREADS} threads x {RECORDS} records to a file, median of the runs:");
    println!("| backend | records/s | lost | vs flexi_logger |");
    println!("|---|---|---|---|");
    let mut rows: Vec<(&str, f64)> = runs.keys().map(|name| (*name, median(name))).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, rate) in rows {
        let lost: Vec<usize> = runs[name].iter().map(|(_, lines)| TOTAL - lines).collect();
        let (min, max) = (lost.iter().min().unwrap(), lost.iter().max().unwrap());
        let lost = if max == &0 {
            "0".to_string()
        } else {
            format!(
                "{:.0} to {:.0} %",
                *min as f64 * 100.0 / TOTAL as f64,
                *max as f64 * 100.0 / TOTAL as f64
            )
        };
        println!(
            "| {name} | {:.2} M | {lost} | {:.2}x |",
            rate / 1e6,
            rate / flexi
        );
    }
}

criterion_group!(benches, file_output);
criterion_main!(benches);
