//! Scoped configs at runtime: each active scoped config compiled as a layer over the running
//! config, and which layer, if any, decides a record.
//!
//! The hot path pays for scopes only when one is active: [`ScopeWord`] packs "none active" as 0,
//! so a refused record with none active costs one more relaxed load. With some active, a record
//! refused by the running config is refused again at once unless its level is one some layer can
//! emit, and the thread's context has a layer that matches it (remembered per thread for the
//! last context and set of layers), or the record carries key-values of its own.

use std::sync::atomic::{AtomicU64, Ordering};

use log::Record;
use log::kv::{Key, Source};

use super::compiled::Compiled;
use super::dynamic::DynamicLogger;
use crate::context::{self, Remembered, Tags};
use crate::error::{Error, Result};
use crate::model::{LoggingConfig, Scope};

/// An active scoped config, compiled over the running config.
pub(super) struct Layer {
    pub(super) scope: Scope,
    pub(super) compiled: Compiled,
}

/// `[set serial: 61 bits | the most verbose level a layer can emit, as a LevelFilter: 3 bits]`,
/// 0 when no layer is active. The serial is new at every apply with layers, so a thread's
/// remembered match can never be taken for another set's.
pub(super) type ScopeWord = u64;

static SETS: AtomicU64 = AtomicU64::new(1);

pub(super) fn new_word(layers: &[Layer]) -> ScopeWord {
    if layers.is_empty() {
        return 0;
    }
    let loudest = layers
        .iter()
        .map(|l| l.compiled.max_level as u64)
        .max()
        .unwrap_or(0);
    // Relaxed: a unique number is all that is asked of it.
    (SETS.fetch_add(1, Ordering::Relaxed) << 3) | loudest
}

/// Whether a layer of the set `word` may take a record at `level` that the running config
/// refuses: some layer can emit the level, and this thread's context is not remembered to match
/// none (a record with key-values of its own is always looked at).
#[inline]
pub(super) fn may_take(word: ScopeWord, record: &Record<'_>) -> bool {
    if (word & 0b111) < record.level() as u64 {
        return false;
    }
    if record.key_values().count() > 0 {
        return true;
    }
    match context::remembered(word) {
        Remembered::None | Remembered::Match(0) => false,
        Remembered::Match(_) | Remembered::Unknown => true,
    }
}

impl Compiled {
    /// The layer deciding `record`: the first, in precedence order, whose scope its tags match.
    #[inline]
    pub(super) fn layer_for(&self, record: &Record<'_>) -> Option<&Layer> {
        let kvs = record.key_values();
        let found = if kvs.count() == 0 {
            match context::remembered(self.scope_word) {
                Remembered::None => 0,
                Remembered::Match(found) => found,
                Remembered::Unknown => {
                    context::remember(self.scope_word, |tags| self.match_layers(tags, None))
                }
            }
        } else {
            context::with_current(|tags| self.match_layers(tags, Some(kvs)))
        };
        (found as usize).checked_sub(1).map(|i| &self.layers[i])
    }

    /// The layer deciding for this thread's context alone (no record yet: `enabled`).
    pub(super) fn layer_for_context(&self) -> Option<&Layer> {
        let found = match context::remembered(self.scope_word) {
            Remembered::None => 0,
            Remembered::Match(found) => found,
            Remembered::Unknown => {
                context::remember(self.scope_word, |tags| self.match_layers(tags, None))
            }
        };
        (found as usize).checked_sub(1).map(|i| &self.layers[i])
    }

    /// 1 + the index of the first layer matching, 0 for none.
    fn match_layers(&self, tags: Option<&Tags>, kvs: Option<&dyn Source>) -> u32 {
        let found = self.layers.iter().position(|layer| {
            layer.scope.iter().all(|(key, values)| {
                if let Some(value) = kvs.and_then(|kvs| kvs.get(Key::from_str(key))) {
                    // The record's own value counts over the context's.
                    return match value.to_borrowed_str() {
                        Some(v) => values.iter().any(|x| x == v),
                        None => values.contains(&value.to_string()),
                    };
                }
                tags.and_then(|t| t.get(key))
                    .is_some_and(|v| values.iter().any(|x| x == v))
            })
        });
        found.map_or(0, |i| i as u32 + 1)
    }
}

impl DynamicLogger {
    /// Applies `running` over the baseline for every record, and each of `scoped` over `running`
    /// for the records its scope matches, in precedence order: a record that several scopes
    /// match is decided by the first of them. Each of `scoped` must have a scope, and `running`
    /// none.
    ///
    /// `log::max_level` becomes the most verbose level any of them can emit.
    pub fn apply_scoped(&self, running: &LoggingConfig, scoped: &[LoggingConfig]) -> Result<()> {
        running.validate(&self.shared.registry)?;
        if !running.scope.is_empty() {
            return Err(Error::InvalidScope {
                field: "scope".into(),
                value: running.scope.describe(),
                reason: "the running config applies to every record: it has no scope".into(),
            });
        }
        for config in scoped {
            config.validate(&self.shared.registry)?;
            if config.scope.is_empty() {
                return Err(Error::InvalidScope {
                    field: "scope".into(),
                    value: String::new(),
                    reason: "a scoped config needs a scope".into(),
                });
            }
        }
        let mut compiled = self.compile(running);
        compiled.layers = scoped
            .iter()
            .map(|config| Layer {
                scope: config.scope.clone(),
                compiled: self.compile(&running.overlay(config)),
            })
            .collect();
        if let Some(loudest) = compiled.layers.iter().map(|l| l.compiled.max_level).max() {
            compiled.max_level = compiled.max_level.max(loudest);
        }
        self.publish(compiled);
        Ok(())
    }

    /// The scopes of the scoped configs in force, in precedence order.
    pub fn active_scopes(&self) -> Vec<Scope> {
        let compiled = self.shared.current.load();
        compiled.layers.iter().map(|l| l.scope.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use log::{Level, LevelFilter, Log};

    use super::*;
    use crate::handler::MemoryHandler;

    fn world() -> (DynamicLogger, MemoryHandler) {
        let memory = MemoryHandler::new(1000);
        let logger = DynamicLogger::builder()
            .handler("memory", memory.clone())
            .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)
            .unwrap()
            .build()
            .unwrap();
        (logger, memory)
    }

    fn config(json: &str) -> LoggingConfig {
        LoggingConfig::from_json(json).unwrap()
    }

    fn acme_debug() -> LoggingConfig {
        config(r#"{"scope": {"tenant": ["acme"]}, "loggers": {"myapp": {"level": "debug"}}}"#)
    }

    fn emit(logger: &DynamicLogger, level: Level, message: &str) {
        logger.log(
            &Record::builder()
                .level(level)
                .target("myapp::orders")
                .args(format_args!("{message}"))
                .build(),
        );
    }

    fn emit_kv(logger: &DynamicLogger, tenant: &str, message: &str) {
        let kvs = [("tenant", tenant)];
        logger.log(
            &Record::builder()
                .level(Level::Debug)
                .target("myapp::orders")
                .args(format_args!("{message}"))
                .key_values(&kvs)
                .build(),
        );
    }

    fn in_tenant(tenant: &str, f: impl FnOnce()) {
        context::with(Tags::new([("tenant", tenant)]), f);
    }

    #[test]
    fn a_scoped_config_decides_only_matching_records() {
        let (logger, memory) = world();
        assert_eq!(logger.shared.scopes.load(Ordering::Relaxed), 0);
        logger
            .apply_scoped(&LoggingConfig::default(), &[acme_debug()])
            .unwrap();
        assert_ne!(logger.shared.scopes.load(Ordering::Relaxed), 0);
        assert_eq!(
            logger.shared.current.load().max_level,
            LevelFilter::Debug,
            "the max level follows the most verbose layer"
        );
        for _ in 0..2 {
            // Twice: the second time through the level cache and the thread's memo.
            in_tenant("acme", || emit(&logger, Level::Debug, "acme debug"));
            in_tenant("globex", || emit(&logger, Level::Debug, "globex debug"));
            emit(&logger, Level::Debug, "no context");
            in_tenant("globex", || emit(&logger, Level::Info, "globex info"));
        }
        emit_kv(&logger, "acme", "acme by key-value");
        in_tenant("acme", || {
            emit_kv(&logger, "globex", "globex's row in acme's request")
        });
        in_tenant("globex", || {
            emit_kv(&logger, "acme", "acme's row in globex's request")
        });
        assert_eq!(
            memory.messages(),
            [
                "acme debug",
                "globex info",
                "acme debug",
                "globex info",
                "acme by key-value",
                "acme's row in globex's request"
            ]
        );
        logger.apply_scoped(&LoggingConfig::default(), &[]).unwrap();
        assert_eq!(logger.shared.scopes.load(Ordering::Relaxed), 0);
        assert_eq!(logger.shared.current.load().max_level, LevelFilter::Info);
        memory.clear();
        in_tenant("acme", || emit(&logger, Level::Debug, "after the window"));
        assert!(memory.messages().is_empty());
    }

    #[test]
    fn the_first_matching_layer_decides_and_a_layer_can_quiet() {
        let (logger, memory) = world();
        let quiet = config(
            r#"{"scope": {"tenant": ["acme"], "user": ["42"]}, "loggers": {"": {"level": "error"}}}"#,
        );
        logger
            .apply_scoped(&LoggingConfig::default(), &[quiet, acme_debug()])
            .unwrap();
        context::with(Tags::new([("tenant", "acme"), ("user", "42")]), || {
            emit(&logger, Level::Debug, "quieted debug");
            emit(&logger, Level::Info, "quieted info");
            emit(&logger, Level::Error, "an error");
        });
        context::with(Tags::new([("tenant", "acme"), ("user", "7")]), || {
            emit(&logger, Level::Debug, "user 7 debug");
        });
        assert_eq!(memory.messages(), ["an error", "user 7 debug"]);
        let err = logger
            .apply_scoped(&acme_debug(), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no scope"), "{err}");
        let err = logger
            .apply_scoped(&LoggingConfig::default(), &[LoggingConfig::default()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a scope"), "{err}");
    }

    #[test]
    fn a_new_set_of_layers_is_never_taken_for_the_old_one() {
        let (logger, memory) = world();
        let globex = config(
            r#"{"scope": {"tenant": ["globex"]}, "loggers": {"myapp": {"level": "debug"}}}"#,
        );
        in_tenant("acme", || {
            logger.apply(&acme_debug()).unwrap();
            emit(&logger, Level::Debug, "first");
            logger.apply(&globex).unwrap();
            emit(&logger, Level::Debug, "second");
            logger.apply(&acme_debug()).unwrap();
            emit(&logger, Level::Debug, "third");
        });
        assert_eq!(memory.messages(), ["first", "third"]);
        assert!(
            logger.enabled(
                &log::Metadata::builder()
                    .level(Level::Info)
                    .target("x")
                    .build()
            )
        );
    }

    /// A future that logs, yields, and logs again.
    struct Steps<'a> {
        logger: &'a DynamicLogger,
        name: &'static str,
        step: u8,
        seen: Vec<Option<String>>,
    }

    impl Future for Steps<'_> {
        type Output = Vec<Option<String>>;

        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            let tenant = context::current().and_then(|t| t.get("tenant").map(str::to_string));
            self.seen.push(tenant);
            let message = format!("{} step {}", self.name, self.step);
            emit(self.logger, Level::Debug, &message);
            self.step += 1;
            if self.step == 3 {
                Poll::Ready(std::mem::take(&mut self.seen))
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn interleaved_futures_on_one_thread_each_see_their_own_tags() {
        let (logger, memory) = world();
        logger.apply(&acme_debug()).unwrap();
        let steps = |name| Steps {
            logger: &logger,
            name,
            step: 0,
            seen: Vec::new(),
        };
        let mut acme = std::pin::pin!(context::wrap(
            Tags::new([("tenant", "acme")]),
            steps("acme")
        ));
        let mut globex = std::pin::pin!(context::wrap(
            Tags::new([("tenant", "globex")]),
            steps("globex")
        ));
        let mut cx = Context::from_waker(Waker::noop());
        let (mut a, mut g) = (None, None);
        while a.is_none() || g.is_none() {
            if a.is_none()
                && let Poll::Ready(seen) = acme.as_mut().poll(&mut cx)
            {
                a = Some(seen);
            }
            if g.is_none()
                && let Poll::Ready(seen) = globex.as_mut().poll(&mut cx)
            {
                g = Some(seen);
            }
            assert!(
                context::current().is_none(),
                "each poll restores the context"
            );
        }
        assert_eq!(a.unwrap(), vec![Some("acme".to_string()); 3]);
        assert_eq!(g.unwrap(), vec![Some("globex".to_string()); 3]);
        assert_eq!(
            memory.messages(),
            ["acme step 0", "acme step 1", "acme step 2"]
        );
    }
}
