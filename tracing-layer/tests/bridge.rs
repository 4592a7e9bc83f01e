//! The bridge and the per-layer filter with real subscribers: what reaches a handler, key-values,
//! file and line, span fields as context tags under a scoped config.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io;
use std::sync::{Arc, Mutex};

use dynlog_core::handler::Handler;
use dynlog_core::{DynamicLogger, LoggingConfig, context};
use dynlog_tracing::{DynlogLayer, TracingExt};
use log::kv::{Key, Value, VisitSource};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

/// A handler keeping all a record carries, for the assertions.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

#[derive(Clone, Debug, PartialEq)]
struct Captured {
    target: String,
    level: log::Level,
    message: String,
    kvs: Vec<(String, String)>,
    file: Option<String>,
    line: Option<u32>,
}

struct Pairs(Vec<(String, String)>);

impl<'kvs> VisitSource<'kvs> for Pairs {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        self.0.push((key.to_string(), value.to_string()));
        Ok(())
    }
}

impl Handler for Capture {
    fn handle(&self, record: &log::Record<'_>) -> io::Result<()> {
        let mut kvs = Pairs(Vec::new());
        record.key_values().visit(&mut kvs).unwrap();
        self.0.lock().unwrap().push(Captured {
            target: record.target().to_string(),
            level: record.level(),
            message: record.args().to_string(),
            kvs: kvs.0,
            file: record.file().map(str::to_string),
            line: record.line(),
        });
        Ok(())
    }
}

impl Capture {
    fn messages(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.message.clone())
            .collect()
    }

    fn all(&self) -> Vec<Captured> {
        self.0.lock().unwrap().clone()
    }
}

fn logger(json: &str) -> (DynamicLogger, Capture, Capture) {
    let (memory, file) = (Capture::default(), Capture::default());
    let logger = DynamicLogger::builder()
        .handler("memory", memory.clone())
        .handler("file", file.clone())
        .filter("no_health", |r: &log::Record<'_>| {
            !r.args().to_string().contains("health")
        })
        .baseline_json(json)
        .unwrap()
        .build()
        .unwrap();
    (logger, memory, file)
}

const BASELINE: &str = r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#;

#[test]
fn events_carry_key_values_file_and_line() {
    let (logger, memory, _) = logger(BASELINE);
    let subscriber = tracing_subscriber::registry().with(DynlogLayer::new(&logger));
    let line = tracing::subscriber::with_default(subscriber, || {
        let line = line!() + 1;
        tracing::warn!(target: "myapp::orders", order = 42, paid = true, customer = "acme", ratio = 0.5, "order {} placed", 7);
        tracing::debug!(target: "myapp::orders", "refused at info");
        line
    });
    assert_eq!(
        memory.all(),
        [Captured {
            target: "myapp::orders".into(),
            level: log::Level::Warn,
            message: "order 7 placed".into(),
            kvs: [
                ("order", "42"),
                ("paid", "true"),
                ("customer", "acme"),
                ("ratio", "0.5")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .to_vec(),
            file: Some(file!().into()),
            line: Some(line),
        }]
    );
}

fn acme_debug() -> LoggingConfig {
    LoggingConfig::from_json(
        r#"{"scope": {"tenant": ["acme"]}, "loggers": {"myapp": {"level": "debug"}}}"#,
    )
    .unwrap()
}

#[test]
fn span_fields_are_context_tags_for_scoped_configs() {
    let (logger, memory, _) = logger(BASELINE);
    let subscriber =
        tracing_subscriber::registry().with(DynlogLayer::new(&logger).span_tags(["tenant"]));
    tracing::subscriber::with_default(subscriber, || {
        let debug = |what: &str| tracing::debug!(target: "myapp::orders", "{what}");
        tracing::info_span!("order", tenant = "acme").in_scope(|| debug("before the scope"));
        logger
            .apply_scoped(&LoggingConfig::default(), &[acme_debug()])
            .unwrap();

        tracing::info_span!("order", tenant = "acme").in_scope(|| {
            debug("acme");
            // A span without tags inside keeps the outer one's.
            tracing::info_span!("row", n = 1).in_scope(|| debug("acme row"));
        });
        tracing::info_span!("order", tenant = "globex").in_scope(|| debug("globex"));
        // A field recorded after the span was made.
        let late = tracing::info_span!("order", tenant = tracing::field::Empty);
        late.in_scope(|| debug("not yet acme"));
        late.record("tenant", "acme");
        late.in_scope(|| debug("acme, recorded late"));
        // The event's own field.
        tracing::debug!(target: "myapp::orders", tenant = "acme", "acme by its own field");
        debug("no tenant");
        // Entered and exited across calls, as an async runtime does.
        let span = tracing::info_span!("order", tenant = "acme");
        let entered = span.enter();
        assert_eq!(context::current().unwrap().get("tenant"), Some("acme"));
        drop(entered);
        assert!(context::current().is_none(), "exiting restores the context");

        logger.apply_baseline().unwrap();
        tracing::info_span!("order", tenant = "acme").in_scope(|| debug("after the scope"));
    });
    assert_eq!(
        memory.messages(),
        [
            "acme",
            "acme row",
            "acme, recorded late",
            "acme by its own field"
        ]
    );
}

/// A `MakeWriter` keeping the lines a fmt layer writes.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Lines {
    /// The message of each line (fmt without time, level or target: `message tenant="acme"`).
    fn messages(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| l.split(" tenant=").next().unwrap().trim().to_string())
            .collect()
    }
}

/// Emits one event of each kind the config treats apart.
fn emit_mix() {
    tracing::info!(target: "myapp::orders", "order info");
    tracing::warn!(target: "myapp::orders", "order warn");
    tracing::warn!(target: "myapp::orders", "health warn");
    tracing::info!(target: "myapp::db", "db info");
    tracing::debug!(target: "myapp::db", "db debug");
    tracing::trace!(target: "myapp::db", "db trace");
    tracing::info!(target: "other", "other info");
    tracing::debug!(target: "myapp::orders", tenant = "acme", "acme debug");
    tracing::info_span!("order", tenant = "acme")
        .in_scope(|| tracing::debug!(target: "myapp::orders", "acme span debug"));
}

const ROUTED: &str = r#"{
    "handlers": {"file": {"level": "info", "filters": ["no_health"]}},
    "loggers": {
        "": {"level": "warn", "handlers": ["memory", "file"]},
        "myapp::db": {"level": "debug", "handlers": ["file"], "propagate": false}
    }
}"#;

fn fmt_layer(lines: &Lines) -> impl Layer<tracing_subscriber::Registry> + use<> {
    let lines = lines.clone();
    tracing_subscriber::fmt::layer()
        .without_time()
        .with_level(false)
        .with_target(false)
        .with_ansi(false)
        .with_writer(move || lines.clone())
}

#[test]
fn a_per_layer_filter_passes_what_dynlog_sends_to_its_handler() {
    let (logger, _, file) = logger(ROUTED);
    let scoped = LoggingConfig::from_json(
        r#"{"scope": {"tenant": ["acme"]},
            "handlers": {"file": {"level": "debug"}},
            "loggers": {"myapp": {"level": "debug"}}}"#,
    )
    .unwrap();
    for with_scope in [false, true] {
        if with_scope {
            logger
                .apply_scoped(&LoggingConfig::default(), std::slice::from_ref(&scoped))
                .unwrap();
        }
        file.0.lock().unwrap().clear();
        let lines = Lines::default();
        // The application's own fmt layer, filtered as dynlog's "file" handler, beside the
        // bridge (which writes to the "file" handler itself, for comparison).
        let subscriber = tracing_subscriber::registry()
            .with(fmt_layer(&lines).with_filter(logger.tracing_filter("file").unwrap()))
            .with(DynlogLayer::new(&logger).span_tags(["tenant"]));
        tracing::subscriber::with_default(subscriber, emit_mix);
        let expected: &[&str] = if with_scope {
            &["order warn", "db info", "acme debug", "acme span debug"]
        } else {
            &["order warn", "db info"]
        };
        assert_eq!(file.messages(), expected, "dynlog's file handler");
        assert_eq!(lines.messages(), expected, "the filtered fmt layer");
    }
}

#[test]
fn a_filter_alone_without_the_bridge() {
    let (logger, _, _) = logger(ROUTED);
    let lines = Lines::default();
    let subscriber = tracing_subscriber::registry()
        .with(fmt_layer(&lines).with_filter(logger.tracing_filter("file").unwrap()));
    tracing::subscriber::with_default(subscriber, emit_mix);
    assert_eq!(lines.messages(), ["order warn", "db info"]);
    logger
        .apply(&LoggingConfig::from_spec("other=info").unwrap())
        .unwrap();
    // `other` now at info, with the root's handlers: the file's level is info.
    let lines = Lines::default();
    let subscriber = tracing_subscriber::registry()
        .with(fmt_layer(&lines).with_filter(logger.tracing_filter("file").unwrap()));
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(target: "other", "other warn");
        tracing::info!(target: "other", "other info");
    });
    assert_eq!(lines.messages(), ["other warn", "other info"]);
}

#[test]
fn an_unknown_handler_is_named() {
    let (logger, _, _) = logger(BASELINE);
    let error = logger.tracing_filter("fiel").unwrap_err().to_string();
    assert!(error.contains("\"fiel\""), "{error}");
    assert!(
        error.contains("file") && error.contains("memory"),
        "{error}"
    );
}
