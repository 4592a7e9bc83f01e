//! The schedule and the config model: `next_transition` over many triggers, and validating and
//! overlaying a 100-logger config.

#![allow(clippy::unwrap_used, missing_docs)]

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use dynlog_core::model::{ConfigId, Registry, TriggerId};
use dynlog_core::schedule::{next_transition, winner_at};
use dynlog_core::{LoggingConfig, Trigger};
use std::hint::black_box;

fn triggers(n: i64) -> Vec<Trigger> {
    let origin = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| Trigger {
            id: TriggerId(i),
            name: format!("t{i}"),
            is_active: i % 10 != 0,
            start: Some(origin + Duration::minutes(i * 7 % 50_000)),
            end: Some(origin + Duration::minutes(i * 7 % 50_000 + 60 + i % 300)),
            config_id: ConfigId(i % 100),
            version: 1,
            updated_at: origin,
        })
        .collect()
}

fn schedule(c: &mut Criterion) {
    let ts = triggers(10_000);
    let mid = Utc.with_ymd_and_hms(2030, 1, 15, 0, 0, 0).unwrap();
    c.bench_function("next_transition/10000 triggers", |b| {
        b.iter(|| next_transition(black_box(&ts), black_box(mid)))
    });
    c.bench_function("winner_at/10000 triggers", |b| {
        b.iter(|| winner_at(black_box(&ts), black_box(mid)))
    });
}

fn config_100() -> String {
    let loggers: Vec<String> = (0..100)
        .map(|i| {
            format!(
                r#""app{}::module{}": {{"level": "{}", "handlers": ["console", "file"], "filters": ["polite"], "propagate": {}}}"#,
                i % 10,
                i,
                ["debug", "info", "warn", "trace"][i % 4],
                i % 2 == 0
            )
        })
        .collect();
    format!(
        r#"{{"loggers": {{{}}}, "handlers": {{"console": {{"level": "info"}}}}}}"#,
        loggers.join(", ")
    )
}

fn model(c: &mut Criterion) {
    let text = config_100();
    let registry = Registry::new(["console", "file", "null"], ["polite"]);
    let baseline = LoggingConfig::from_json(
        r#"{"loggers": {"": {"level": "info", "handlers": ["console"]}}}"#,
    )
    .unwrap();
    let config = LoggingConfig::from_json(&text).unwrap();
    c.bench_function("config/parse 100 loggers", |b| {
        b.iter(|| LoggingConfig::from_json(black_box(&text)))
    });
    c.bench_function("config/validate 100 loggers", |b| {
        b.iter(|| black_box(&config).validate(&registry))
    });
    c.bench_function("config/overlay 100 loggers", |b| {
        b.iter(|| baseline.overlay(black_box(&config)))
    });
}

criterion_group!(benches, schedule, model);
criterion_main!(benches);
