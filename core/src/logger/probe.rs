//! Asking the config in force without handling a record: for adapters that decide once per call
//! site and cache the answer until the next apply (told by [`DynamicLogger::on_apply`]), and for
//! filters that stand for one handler in another logging stack.

use std::sync::Arc;

use log::{LevelFilter, Record};

use super::compiled::Compiled;
use super::dynamic::{DynamicLogger, Listener};
use crate::error::{Error, Result};

/// What the config in force says of every record at one target and level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// None is handled: the running config refuses the level, and no scoped config in force
    /// can take it.
    Refused,
    /// It depends on the record: its context or key-values (a scoped config in force decides
    /// otherwise than the running config for it), or, for one handler, filters.
    Depends,
    /// Every one passes: the running config admits the level, and no scoped config in force
    /// decides otherwise (for a handler: it is in the chain, at its level, with no filter).
    Admitted,
}

impl Verdict {
    fn of(outcomes: impl Iterator<Item = Verdict>) -> Verdict {
        let mut all = None;
        for outcome in outcomes {
            all = match all {
                None => Some(outcome),
                Some(seen) if seen == outcome => Some(seen),
                Some(_) => return Verdict::Depends,
            };
        }
        all.unwrap_or(Verdict::Refused)
    }
}

impl DynamicLogger {
    /// What the config in force says of records at `target` and `level`, before any handler
    /// or filter: whether the level checks pass, as [`log::Log::enabled`] answers.
    pub fn verdict(&self, target: &str, level: log::Level) -> Verdict {
        self.with_compiled(|compiled| {
            Verdict::of(configs(compiled).map(|c| {
                if c.nodes[c.find(target)].level.allows(level) {
                    Verdict::Admitted
                } else {
                    Verdict::Refused
                }
            }))
        })
    }

    /// The index of the handler named `name`, for [`DynamicLogger::handler_verdict`] and
    /// [`DynamicLogger::sends_to`]; an unknown name is an error naming it and the known ones.
    pub fn handler_index(&self, name: &str) -> Result<usize> {
        self.shared
            .handler_index
            .get(name)
            .copied()
            .ok_or_else(|| Error::UnknownName {
                kind: "handler",
                name: name.to_string(),
                known: self.shared.handler_index.keys().cloned().collect(),
            })
    }

    /// What the config in force says of sending records at `target` and `level` to the handler
    /// `handler` (from [`DynamicLogger::handler_index`]).
    pub fn handler_verdict(&self, handler: usize, target: &str, level: log::Level) -> Verdict {
        self.with_compiled(|compiled| {
            Verdict::of(
                configs(compiled).map(|c| handler_outcome(c, c.find(target), handler, level)),
            )
        })
    }

    /// Whether the config in force sends `record` to the handler `handler`, as
    /// [`log::Log::log`] would (by the scoped config its context or key-values match, if any,
    /// and through every filter), without sending it. A handler's budget is its own: a record
    /// sent may still be dropped over it.
    pub fn sends_to(&self, handler: usize, record: &Record<'_>) -> bool {
        self.with_compiled(|compiled| {
            let c = match compiled.layers.is_empty() {
                true => compiled,
                false => compiled.layer_for(record).map_or(compiled, |l| &l.compiled),
            };
            let node = c.find(record.target());
            let level = record.level();
            let Some(compiled_handler) = c.handlers.get(handler) else {
                return false;
            };
            let filters = &self.shared.filters;
            c.nodes[node].level.allows(level)
                && compiled_handler.level.allows(level)
                && c.chain(node).contains(&(handler as u16))
                && c.filters(node)
                    .iter()
                    .chain(compiled_handler.filters.iter())
                    .all(|&f| filters[f as usize].filter(record))
        })
    }

    /// The most verbose level the config in force can emit, scoped configs included (what
    /// [`DynamicLogger::install`] gives `log::set_max_level`).
    pub fn max_level(&self) -> LevelFilter {
        self.with_compiled(|compiled| compiled.max_level)
    }

    /// Runs `listener` after every apply from now on, once the new config is in force (a later
    /// one under the same `key` replaces it): for adapters that cache decisions until the config
    /// changes. A listener is given the logger (so it need not hold a clone, which would keep
    /// the logger alive). Listeners run one apply at a time, in the order they were first
    /// registered; a listener must not apply a config itself, and one that panics is reported
    /// and skipped.
    pub fn on_apply(
        &self,
        key: impl Into<String>,
        listener: impl Fn(&DynamicLogger) + Send + Sync + 'static,
    ) {
        let key = key.into();
        let listener: Listener = Arc::new(listener);
        let mut listeners = self
            .shared
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match listeners.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = listener,
            None => listeners.push((key, listener)),
        }
    }
}

impl DynamicLogger {
    /// The config in force, kept to compare with a later one ([`ConfigSnapshot::changes`]).
    pub fn snapshot(&self) -> ConfigSnapshot {
        ConfigSnapshot(self.shared.current.load_full())
    }
}

/// The config in force at one moment ([`DynamicLogger::snapshot`]): cheap to keep (it shares
/// the compiled config) and to compare with a later one, for adapters that cache decisions per
/// target and want to know which an apply changed.
#[derive(Clone)]
pub struct ConfigSnapshot(Arc<Compiled>);

/// What a later config decides otherwise than an earlier one ([`ConfigSnapshot::changes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    /// Any target may be decided otherwise: a scoped config is active in one of them, so a
    /// record's verdict depends on more than its target.
    Everything,
    /// Only the targets at these loggers, at these levels (the root as `""`). A target is at the
    /// most specific logger either config sets that is the target or one of its `::` ancestors;
    /// every other target and level is decided alike by both: the same [`Verdict`] from
    /// [`DynamicLogger::verdict`] and from [`DynamicLogger::handler_verdict`] for every handler.
    /// Empty when the configs decide everything alike.
    Loggers(Vec<(String, Vec<log::Level>)>),
}

impl ConfigSnapshot {
    /// Which apply made this config (see [`DynamicLogger::generation`]).
    pub fn generation(&self) -> u64 {
        self.0.generation
    }

    /// The most verbose level this config can emit, as [`DynamicLogger::max_level`].
    pub fn max_level(&self) -> LevelFilter {
        self.0.max_level
    }

    /// What `later` decides otherwise than this config: for every logger either sets (and the
    /// root), the levels at which the logger's verdict or a handler's differs. A target's
    /// verdicts are its nearest such logger's in both configs, so the list covers every target.
    pub fn changes(&self, later: &ConfigSnapshot) -> Changed {
        let (a, b) = (&*self.0, &*later.0);
        if !a.layers.is_empty() || !b.layers.is_empty() {
            return Changed::Everything;
        }
        let mut names: Vec<&str> = a.configured().chain(b.configured()).collect();
        names.push("");
        names.sort_unstable();
        names.dedup();
        let handlers = a.handlers.len().max(b.handlers.len());
        let changed = names
            .into_iter()
            .filter_map(|name| {
                let (na, nb) = (a.find(name), b.find(name));
                let levels: Vec<log::Level> = log::Level::iter()
                    .filter(|&level| {
                        a.nodes[na].level.allows(level) != b.nodes[nb].level.allows(level)
                            || (0..handlers).any(|h| {
                                handler_outcome(a, na, h, level) != handler_outcome(b, nb, h, level)
                            })
                    })
                    .collect();
                (!levels.is_empty()).then(|| (name.to_string(), levels))
            })
            .collect();
        Changed::Loggers(changed)
    }
}

impl std::fmt::Debug for ConfigSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigSnapshot")
            .field("generation", &self.0.generation)
            .finish_non_exhaustive()
    }
}

/// What one config (not its layers) says of sending records at `level` from node `node` to the
/// handler `handler`.
fn handler_outcome(c: &Compiled, node: usize, handler: usize, level: log::Level) -> Verdict {
    let Some(compiled_handler) = c.handlers.get(handler) else {
        return Verdict::Refused;
    };
    if !c.nodes[node].level.allows(level)
        || !compiled_handler.level.allows(level)
        || !c.chain(node).contains(&(handler as u16))
    {
        Verdict::Refused
    } else if c.filters(node).is_empty() && compiled_handler.filters.is_empty() {
        Verdict::Admitted
    } else {
        Verdict::Depends
    }
}

/// The running config, then each scoped config's layer.
fn configs(compiled: &Compiled) -> impl Iterator<Item = &Compiled> {
    std::iter::once(compiled).chain(compiled.layers.iter().map(|l| &l.compiled))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use log::Level;

    use super::*;
    use crate::LoggingConfig;
    use crate::handler::NullHandler;

    fn logger() -> DynamicLogger {
        DynamicLogger::builder()
            .handler("console", NullHandler)
            .handler("file", NullHandler)
            .filter("quiet", |r: &Record<'_>| {
                !r.args().to_string().contains("quiet")
            })
            .baseline_json(
                r#"{"handlers": {"file": {"level": "warn", "filters": ["quiet"]}},
                    "loggers": {"": {"level": "info", "handlers": ["console", "file"]}}}"#,
            )
            .unwrap()
            .build()
            .unwrap()
    }

    #[test]
    fn verdicts_follow_levels_handlers_filters_and_scopes() {
        let logger = logger();
        let (console, file) = (
            logger.handler_index("console").unwrap(),
            logger.handler_index("file").unwrap(),
        );
        assert_eq!(logger.verdict("app", Level::Info), Verdict::Admitted);
        assert_eq!(logger.verdict("app", Level::Debug), Verdict::Refused);
        assert_eq!(
            logger.handler_verdict(console, "app", Level::Info),
            Verdict::Admitted
        );
        assert_eq!(
            logger.handler_verdict(file, "app", Level::Info),
            Verdict::Refused
        );
        assert_eq!(
            logger.handler_verdict(file, "app", Level::Warn),
            Verdict::Depends
        );
        let scoped = LoggingConfig::from_json(
            r#"{"scope": {"tenant": ["acme"]}, "loggers": {"app": {"level": "debug"}}}"#,
        )
        .unwrap();
        logger
            .apply_scoped(&LoggingConfig::default(), &[scoped])
            .unwrap();
        assert_eq!(logger.verdict("app", Level::Debug), Verdict::Depends);
        assert_eq!(logger.verdict("other", Level::Debug), Verdict::Refused);
        assert_eq!(logger.verdict("app", Level::Info), Verdict::Admitted);
        assert_eq!(logger.max_level(), log::LevelFilter::Debug);
        let record = |message| {
            let mut builder = Record::builder();
            builder.level(Level::Warn).target("app");
            (builder, message)
        };
        let (mut b, m) = record("loud");
        assert!(logger.sends_to(file, &b.args(format_args!("{m}")).build()));
        let (mut b, m) = record("quiet");
        assert!(!logger.sends_to(file, &b.args(format_args!("{m}")).build()));
        let error = logger.handler_index("fiel").unwrap_err().to_string();
        assert!(
            error.contains("\"fiel\"") && error.contains("console"),
            "{error}"
        );
    }

    #[test]
    fn listeners_run_after_each_apply_once_per_key() {
        let logger = logger();
        let runs = std::sync::Arc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            let (runs, seen) = (runs.clone(), logger.clone());
            logger.on_apply("count", move |_| {
                // The new config is in force when a listener runs.
                assert_eq!(seen.verdict("app", Level::Debug), Verdict::Admitted);
                runs.fetch_add(1, Ordering::SeqCst);
            });
        }
        logger.on_apply("panics", |_| panic!("a listener panicking"));
        logger
            .apply(&LoggingConfig::from_spec("app=debug").unwrap())
            .unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "the second replaced the first"
        );
    }

    #[test]
    fn changes_name_the_loggers_and_levels_an_apply_decides_otherwise() {
        let logger = logger();
        let before = logger.snapshot();
        assert_eq!(before.changes(&before), Changed::Loggers(Vec::new()));
        logger
            .apply(&LoggingConfig::from_spec("app=debug").unwrap())
            .unwrap();
        let debug = logger.snapshot();
        assert_eq!(debug.generation(), before.generation() + 1);
        assert_eq!(debug.max_level(), log::LevelFilter::Debug);
        assert_eq!(
            before.changes(&debug),
            Changed::Loggers(vec![("app".into(), vec![Level::Debug])]),
            "debug at app; trace still refused, the root as it was"
        );
        assert_eq!(
            debug.changes(&before),
            Changed::Loggers(vec![("app".into(), vec![Level::Debug])])
        );
        // A logger set to what it inherits changes nothing.
        logger
            .apply(&LoggingConfig::from_spec("app=debug,app::db=debug").unwrap())
            .unwrap();
        assert_eq!(
            debug.changes(&logger.snapshot()),
            Changed::Loggers(Vec::new())
        );
        // A handler's level: the file handler now takes info at every logger (through its
        // filter, so it depends on the record), which the root stands for.
        logger
            .apply(
                &LoggingConfig::from_json(r#"{"handlers": {"file": {"level": "info"}}}"#).unwrap(),
            )
            .unwrap();
        let file_info = logger.snapshot();
        assert_eq!(
            before.changes(&file_info),
            Changed::Loggers(vec![("".into(), vec![Level::Info])])
        );
        let file = logger.handler_index("file").unwrap();
        assert_eq!(
            logger.handler_verdict(file, "other::place", Level::Info),
            Verdict::Depends
        );
        // A scoped config: a record's verdict depends on more than its target.
        let scoped = LoggingConfig::from_json(
            r#"{"scope": {"tenant": ["acme"]}, "loggers": {"app": {"level": "debug"}}}"#,
        )
        .unwrap();
        logger
            .apply_scoped(&LoggingConfig::default(), &[scoped])
            .unwrap();
        let scoped = logger.snapshot();
        assert_eq!(before.changes(&scoped), Changed::Everything);
        assert_eq!(scoped.changes(&before), Changed::Everything);
    }

    #[test]
    fn concurrent_applies_run_listeners_one_at_a_time_the_last_seeing_the_last_config() {
        const THREADS: usize = 4;
        const APPLIES: usize = 50;
        let logger = logger();
        // Each run notes the generation in force when it ran, and whether another run was
        // under way at the time.
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let running = std::sync::Arc::new(AtomicUsize::new(0));
        let overlaps = std::sync::Arc::new(AtomicUsize::new(0));
        let listener = {
            let (seen, running, overlaps) = (seen.clone(), running.clone(), overlaps.clone());
            move |logger: &DynamicLogger| {
                if running.fetch_add(1, Ordering::SeqCst) != 0 {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                }
                // A listener may ask the logger anything but to apply.
                let generation = logger.snapshot().generation();
                let _ = logger.verdict("app", Level::Debug);
                let _ = logger.current_config();
                std::thread::yield_now();
                seen.lock().unwrap().push(generation);
                running.fetch_sub(1, Ordering::SeqCst);
            }
        };
        logger.on_apply("note", listener.clone());
        let (done, finished) = std::sync::mpsc::channel();
        for t in 0..THREADS {
            let (logger, done, listener) = (logger.clone(), done.clone(), listener.clone());
            std::thread::spawn(move || {
                for i in 0..APPLIES {
                    let level = ["info", "debug", "trace"][(t + i) % 3];
                    let spec = format!("app{t}={level},app={level}");
                    logger
                        .apply(&LoggingConfig::from_spec(&spec).unwrap())
                        .unwrap();
                    if i % 10 == 0 {
                        // Registering again under the same key, while others apply.
                        logger.on_apply("note", listener.clone());
                    }
                }
                done.send(()).unwrap();
            });
        }
        for _ in 0..THREADS {
            finished
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("an applying thread finished: no deadlock");
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), THREADS * APPLIES, "one run per apply");
        assert_eq!(overlaps.load(Ordering::SeqCst), 0, "runs never overlap");
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "each run saw a config no older than the run before it"
        );
        assert_eq!(
            seen.last().copied(),
            Some(logger.generation()),
            "the last run saw the last config published"
        );
    }
}
