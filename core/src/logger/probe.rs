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
            Verdict::of(configs(compiled).map(|c| {
                let node = c.find(target);
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
            }))
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
    /// changes. Listeners run one apply at a time, in the order they were first registered; a
    /// listener must not apply a config itself, and one that panics is reported and skipped.
    pub fn on_apply(&self, key: impl Into<String>, listener: impl Fn() + Send + Sync + 'static) {
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
            logger.on_apply("count", move || {
                // The new config is in force when a listener runs.
                assert_eq!(seen.verdict("app", Level::Debug), Verdict::Admitted);
                runs.fetch_add(1, Ordering::SeqCst);
            });
        }
        logger.on_apply("panics", || panic!("a listener panicking"));
        logger
            .apply(&LoggingConfig::from_spec("app=debug").unwrap())
            .unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "the second replaced the first"
        );
    }
}
