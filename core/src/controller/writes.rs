//! The one way in for changes: every write of a config or a trigger is validated here once,
//! stored in one transaction that returns its revision, announced to the fleet and applied.

use chrono::{DateTime, Duration, Utc};

use super::Controller;
use crate::error::{Error, Result};
use crate::level::Level;
use crate::model::{
    Config, ConfigId, HandlerOverride, LoggerSpec, LoggingConfig, NewConfig, NewTrigger, Trigger,
    TriggerId, validate_logger_name,
};
use crate::store::Written;

/// The longest "debug this target" window: a day, so a forgotten one still ends.
pub const MAX_DEBUG_WINDOW: Duration = Duration::hours(24);

impl Controller {
    /// Validates and stores a new config, then tells the fleet.
    pub fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Config> {
        new.validate(self.inner.logger.registry())?;
        let written = self.inner.store.create_config(actor, new)?;
        Ok(self.changed(written))
    }

    /// Validates and stores a config's new name and body, if `version` is still current.
    pub fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Config> {
        new.validate(self.inner.logger.registry())?;
        let written = self.inner.store.update_config(actor, id, version, new)?;
        Ok(self.changed(written))
    }

    /// Deletes a config and its triggers.
    pub fn delete_config(&self, actor: &str, id: ConfigId) -> Result<()> {
        let written = self.inner.store.delete_config(actor, id)?;
        self.changed(written);
        Ok(())
    }

    /// Validates and stores a new trigger.
    pub fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Trigger> {
        new.validate()?;
        let written = self.inner.store.create_trigger(actor, new)?;
        Ok(self.changed(written))
    }

    /// Validates and stores a trigger's new fields, if `version` is still current.
    pub fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Trigger> {
        new.validate()?;
        let written = self.inner.store.update_trigger(actor, id, version, new)?;
        Ok(self.changed(written))
    }

    /// Activates or deactivates a trigger, if `version` (the one it was read at) is still
    /// current; its window stays as it is.
    pub fn set_trigger_active(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        active: bool,
    ) -> Result<Trigger> {
        let t = self.inner.store.trigger(id)?;
        let new = NewTrigger {
            is_active: active,
            ..NewTrigger::from(&t)
        };
        // Validated when it was stored; the store checks the version under its own lock.
        let written = self.inner.store.update_trigger(actor, id, version, &new)?;
        Ok(self.changed(written))
    }

    /// Deletes a trigger.
    pub fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<()> {
        let written = self.inner.store.delete_trigger(actor, id)?;
        self.changed(written);
        Ok(())
    }

    /// Deletes the triggers that ended before `ended_before`.
    pub fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<usize> {
        let written = self.inner.store.prune_triggers(actor, ended_before)?;
        if written.value == 0 {
            // Nothing pruned is no change: nothing to announce.
            return Ok(0);
        }
        Ok(self.changed(written))
    }

    /// "Debug this target for a while": a config putting `target` (`""` is the root) at debug,
    /// and each handler its records reach that is set above debug at debug too, run by a
    /// trigger from now for `duration` (at most [`MAX_DEBUG_WINDOW`]). The config and the
    /// trigger are written in one transaction: both or neither.
    pub fn debug_target(
        &self,
        actor: &str,
        target: &str,
        duration: Duration,
    ) -> Result<(Config, Trigger)> {
        validate_logger_name(target)?;
        if duration <= Duration::zero() || duration > MAX_DEBUG_WINDOW {
            return Err(Error::Invalid {
                field: "duration",
                value: format!("{} min", duration.num_minutes()),
                reason: format!(
                    "a debug window lasts 1 minute to {} hours",
                    MAX_DEBUG_WINDOW.num_hours()
                ),
            });
        }
        let now = self.now();
        let shown = if target.is_empty() { "root" } else { target };
        let minutes = duration.num_minutes();
        let length = if minutes % 60 == 0 {
            format!("{} h", minutes / 60)
        } else {
            format!("{minutes} min")
        };
        let name = format!(
            "debug {shown} for {length} ({actor}, {})",
            now.format("%Y-%m-%d %H:%M:%S")
        );
        let config = NewConfig {
            name: name.clone(),
            body: self.debug_body(target),
        };
        let trigger = NewTrigger::window(&name, ConfigId(0), now, now + duration);
        config.validate(self.inner.logger.registry())?;
        trigger.validate()?;
        let written = self
            .inner
            .store
            .create_config_with_trigger(actor, &config, &trigger)?;
        Ok(self.changed(written))
    }

    /// The body of "debug this target": the target at debug, and each handler it reaches that
    /// is set above debug lowered to debug (other loggers still emit no debug records, so they
    /// are unchanged).
    fn debug_body(&self, target: &str) -> LoggingConfig {
        let logger = &self.inner.logger;
        let current = logger.current_config();
        let mut body = LoggingConfig::default();
        body.loggers.insert(
            target.to_string(),
            LoggerSpec {
                level: Some(Level::Debug.into()),
                ..LoggerSpec::default()
            },
        );
        for handler in logger.logger_view(target).handlers {
            let level = current.handlers.get(&handler).and_then(|h| h.level);
            if level.is_some_and(|l| l < Level::Debug) {
                body.handlers.insert(
                    handler,
                    HandlerOverride {
                        level: Some(Level::Debug),
                        filters: None,
                    },
                );
            }
        }
        body
    }

    /// After a write: tell the fleet the revision it committed, and reload here unless the
    /// propagator says not to. Returns what was written.
    fn changed<T>(&self, written: Written<T>) -> T {
        let inner = &self.inner;
        let revision = written.revision;
        if let Err(e) = inner.propagator.announce(revision) {
            log::warn!(target: "dynlog", "could not announce revision {revision}: {e}");
        }
        if inner.propagator.reloads_on_local_change() {
            let _ = self.reload();
        }
        written.value
    }
}
