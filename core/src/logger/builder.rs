//! [`Builder`]: the handlers, filters, baseline and hooks a [`DynamicLogger`] starts with.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::cache::{LevelCache, SeenTargets};
use super::compiled::Compiled;
use super::dynamic::{DynamicLogger, Shared};
use super::{Filter, Hook};
use crate::error::{Error, Result};
use crate::handler::{Handler, HandlerSlot};
use crate::model::{LoggerSpec, LoggingConfig, Registry};

/// Builds a [`DynamicLogger`]: its handlers, filters, baseline loggers and hooks.
///
/// ```
/// use dynlog_core::{DynamicLogger, Level, MemoryHandler};
/// use dynlog_core::handler::NullHandler;
///
/// let memory = MemoryHandler::new(100);
/// let logger = DynamicLogger::builder()
///     .handler("memory", memory.clone())
///     .handler("null", NullHandler)
///     .filter("polite", |r: &log::Record| !r.args().to_string().contains("damn"))
///     .baseline_json(r#"{"loggers": {"": {"level": "info", "handlers": ["memory"]}}}"#)?
///     .build()?;
/// assert_eq!(logger.effective_level("myapp::db"), Level::Info);
/// # Ok::<(), dynlog_core::Error>(())
/// ```
pub struct Builder {
    handlers: Vec<(String, Box<dyn Handler>)>,
    filters: Vec<(String, Box<dyn Filter>)>,
    baseline: LoggingConfig,
    hooks: Vec<(String, Hook)>,
    enabled_hooks: Option<Vec<String>>,
    seen_capacity: usize,
    /// A RUST_LOG-style spec put the root on the handler named `console`.
    spec_console: bool,
}

impl Builder {
    /// Declares a handler under a name configs can use. A later one of the same name replaces it.
    pub fn handler(mut self, name: impl Into<String>, handler: impl Handler) -> Self {
        let name = name.into();
        self.handlers.retain(|(n, _)| *n != name);
        self.handlers.push((name, Box::new(handler)));
        self
    }

    /// Declares a filter under a name configs can use.
    pub fn filter(mut self, name: impl Into<String>, filter: impl Filter) -> Self {
        let name = name.into();
        self.filters.retain(|(n, _)| *n != name);
        self.filters.push((name, Box::new(filter)));
        self
    }

    /// Replaces the baseline: the logging that runs when no trigger wins.
    pub fn baseline(mut self, baseline: LoggingConfig) -> Self {
        self.baseline = baseline;
        self
    }

    /// Lays a JSON config (the `config_json` shape) over the baseline.
    pub fn baseline_json(mut self, json: &str) -> Result<Self> {
        self.baseline = self.baseline.overlay(&LoggingConfig::from_json(json)?);
        Ok(self)
    }

    /// Lays a RUST_LOG-style spec over the baseline: `info,myapp::db=debug` sets the root at
    /// info and `myapp::db` at debug. The root goes on the `console` handler unless the baseline
    /// already gives the root handlers, which the spec then leaves as they are.
    pub fn baseline_spec(mut self, spec: &str) -> Result<Self> {
        let mut over = LoggingConfig::from_spec(spec)?;
        let root_has_handlers = self
            .baseline
            .loggers
            .get("")
            .is_some_and(|root| root.handlers.is_some());
        match (root_has_handlers, over.loggers.get_mut("")) {
            (true, Some(root)) => root.handlers = None,
            (false, Some(root)) => self.spec_console |= root.handlers.is_some(),
            _ => {}
        }
        self.baseline = self.baseline.overlay(&over);
        Ok(self)
    }

    /// Sets one baseline logger, field by field over what the baseline has.
    pub fn logger(mut self, name: impl Into<String>, spec: LoggerSpec) -> Self {
        let mut over = LoggingConfig::default();
        over.loggers.insert(name.into(), spec);
        self.baseline = self.baseline.overlay(&over);
        self
    }

    /// Registers a hook run after each apply. Every registered hook is on unless
    /// [`Builder::enable_hooks`] lists which are.
    pub fn hook(
        mut self,
        name: impl Into<String>,
        hook: impl Fn(&LoggingConfig, &DynamicLogger) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.push((name.into(), Box::new(hook)));
        self
    }

    /// Turns on only these hooks (from the application's settings); an unknown name fails
    /// [`Builder::build`].
    pub fn enable_hooks<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.enabled_hooks = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// How many distinct targets to remember for suggestions (1,000 by default).
    pub fn remember_targets(mut self, capacity: usize) -> Self {
        self.seen_capacity = capacity;
        self
    }

    /// Checks the baseline against the handlers and filters, and builds the logger with the
    /// baseline applied.
    pub fn build(self) -> Result<DynamicLogger> {
        let mut hooks = self.hooks;
        if let Some(enabled) = &self.enabled_hooks {
            let known: Vec<String> = hooks.iter().map(|(n, _)| n.clone()).collect();
            if let Some(unknown) = enabled.iter().find(|n| !known.contains(n)) {
                return Err(Error::UnknownName {
                    kind: "hook",
                    name: unknown.clone(),
                    known,
                });
            }
            hooks.retain(|(n, _)| enabled.contains(n));
        }
        let mut handlers = self.handlers;
        handlers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut filters = self.filters;
        filters.sort_by(|a, b| a.0.cmp(&b.0));
        let registry = Registry::new(
            handlers.iter().map(|(n, _)| n.clone()),
            filters.iter().map(|(n, _)| n.clone()),
        );
        if self.spec_console && !registry.has_handler("console") {
            return Err(Error::Invalid {
                field: "baseline spec",
                value: "console".into(),
                reason: "a RUST_LOG-style spec puts the root on the handler named \"console\": \
                         declare one (.handler(\"console\", ConsoleHandler::stderr())), or give the \
                         root its handlers in the baseline before the spec"
                    .into(),
            });
        }
        self.baseline.validate(&registry)?;
        let handler_index = handlers
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let filter_index = filters
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let filter_names = filters.iter().map(|(n, _)| n.clone()).collect();
        let shared = Shared {
            handlers: handlers
                .into_iter()
                .map(|(n, h)| HandlerSlot::new(n, h))
                .collect(),
            filters: filters.into_iter().map(|(_, f)| f).collect(),
            handler_index,
            filter_index,
            filter_names,
            registry,
            current: Arc::new(ArcSwap::from_pointee(Compiled::empty())),
            levels: LevelCache::new(),
            scopes: std::sync::atomic::AtomicU64::new(0),
            baseline: self.baseline,
            hooks,
            seen: SeenTargets::new(self.seen_capacity),
            apply_lock: Mutex::new(()),
            installed: AtomicBool::new(false),
            listeners: Mutex::new(Vec::new()),
        };
        let logger = DynamicLogger {
            shared: Arc::new(shared),
        };
        logger.apply_baseline()?;
        Ok(logger)
    }
}

impl DynamicLogger {
    /// A builder with no handlers, no filters and an empty baseline.
    pub fn builder() -> Builder {
        Builder {
            spec_console: false,
            handlers: Vec::new(),
            filters: Vec::new(),
            baseline: LoggingConfig::default(),
            hooks: Vec::new(),
            enabled_hooks: None,
            seen_capacity: 1000,
        }
    }
}
