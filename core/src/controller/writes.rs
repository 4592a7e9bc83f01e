//! The one way in for changes: every write of a config or a trigger is validated here once,
//! stored in one transaction that returns its revision, announced to the fleet and applied.

use chrono::{DateTime, Duration, Utc};

use super::Controller;
use crate::error::{Error, Result};
use crate::level::{Level, LoggerLevel};
use crate::model::{
    Config, ConfigId, HandlerOverride, LoggerSpec, LoggingConfig, NewConfig, NewTrigger, Scope,
    Trigger, TriggerId, validate_logger_name,
};
use crate::store::{Written, check_version};

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

    /// "Debug this target for a while": [`Controller::debug_target_at`] at debug.
    pub fn debug_target(
        &self,
        actor: &str,
        target: &str,
        duration: Duration,
    ) -> Result<(Config, Trigger)> {
        self.debug_target_at(actor, target, Level::Debug, duration)
    }

    /// "Debug this target for a while, at this level": a config putting `target` (`""` is the
    /// root) at `level` (debug or trace), and with it every logger configured below it at a
    /// quieter level (not one turned off), and each handler their records reach that is set
    /// above `level` lowered to it, run by a trigger from now for `duration` (at most
    /// [`MAX_DEBUG_WINDOW`]). The config and the trigger are written in one transaction: both or
    /// neither.
    ///
    /// Both are named briefly, `debug myapp::db` (`trace …` at trace), with ` (2)`, ` (3)`…
    /// when the name is taken; who made it and when are in the audit and the trigger's window.
    pub fn debug_target_at(
        &self,
        actor: &str,
        target: &str,
        level: Level,
        duration: Duration,
    ) -> Result<(Config, Trigger)> {
        self.debug_scoped_at(actor, target, level, duration, &Scope::default())
    }

    /// "Debug this target for a while, only for ...": [`Controller::debug_target_at`] with a
    /// scope, so the window applies only to the records whose context tags match it (a
    /// tenant, a user, a debug token), beside whatever else runs. Named `debug myapp::db for
    /// tenant=acme`; a debug token's scope is named `for a debug token`, without it.
    pub fn debug_scoped_at(
        &self,
        actor: &str,
        target: &str,
        level: Level,
        duration: Duration,
        scope: &Scope,
    ) -> Result<(Config, Trigger)> {
        // Named as the field a form or a script sent, so either can show it beside its input.
        validate_logger_name(target).map_err(|e| Error::Invalid {
            field: "target",
            value: target.chars().take(64).collect(),
            reason: e.to_string(),
        })?;
        if level < Level::Debug {
            return Err(Error::Invalid {
                field: "level",
                value: level.as_str().to_string(),
                reason: "a debug window is at debug or trace".into(),
            });
        }
        validate_window_length("duration", duration)?;
        let shown = if target.is_empty() { "root" } else { target };
        let mut brief = format!("{} {shown}", level.as_str());
        if !scope.is_empty() {
            let mut described = scope.describe();
            if described.len() > 120 {
                let mut cut = 117;
                while !described.is_char_boundary(cut) {
                    cut -= 1;
                }
                described.truncate(cut);
                described.push('…');
            }
            brief.push_str(&format!(" for {described}"));
        }
        let mut body = self.debug_body(target, level, true);
        body.scope = scope.clone();
        self.named_window(actor, &brief, &body, Some(duration))
    }

    /// A config `body` with a trigger running it from now for `window` (`None`: no end),
    /// written together in one transaction, named `brief` with ` (2)`, ` (3)`… when taken.
    pub(super) fn named_window(
        &self,
        actor: &str,
        brief: &str,
        body: &LoggingConfig,
        window: Option<Duration>,
    ) -> Result<(Config, Trigger)> {
        let taken: Vec<String> = self
            .inner
            .store
            .configs()?
            .into_iter()
            .map(|c| c.name)
            .collect();
        let mut n = 1;
        loop {
            let name = if n == 1 {
                brief.to_string()
            } else {
                format!("{brief} ({n})")
            };
            n += 1;
            if taken.contains(&name) {
                continue;
            }
            let now = self.now();
            let config = NewConfig {
                name: name.clone(),
                body: body.clone(),
            };
            let trigger = NewTrigger {
                end: window.map(|w| now + w),
                ..NewTrigger::window(&name, ConfigId(0), now, now)
            };
            config.validate(self.inner.logger.registry())?;
            trigger.validate()?;
            match self
                .inner
                .store
                .create_config_with_trigger(actor, &config, &trigger)
            {
                Ok(written) => return Ok(self.changed(written)),
                // Taken since the list was read: the next suffix, a few times.
                Err(Error::DuplicateName(_)) if n <= taken.len() + 5 => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// "Stop now": ends a running trigger's window now, if `version` is still current, so that
    /// what ran before it runs again. A trigger whose window is not open now (or that is
    /// inactive) is refused. One that started at this very instant is deactivated instead (its
    /// window cannot end where it starts).
    pub fn end_trigger_now(&self, actor: &str, id: TriggerId, version: i64) -> Result<Trigger> {
        let t = self.inner.store.trigger(id)?;
        check_version("trigger", id.0, version, t.version)?;
        let now = self.now();
        if !t.covers(now) {
            return Err(Error::Invalid {
                field: "trigger",
                value: t.name.clone(),
                reason: "it is not running: only a running trigger can be stopped".into(),
            });
        }
        let new = stopped_at(&t, now);
        new.validate()?;
        let written = self.inner.store.update_trigger(actor, id, version, &new)?;
        Ok(self.changed(written))
    }

    /// "Extend": moves a trigger's end `by` later (1 minute to [`MAX_DEBUG_WINDOW`]), if
    /// `version` is still current. A trigger without an end, or whose window has ended, is
    /// refused.
    pub fn extend_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        by: Duration,
    ) -> Result<Trigger> {
        let t = self.inner.store.trigger(id)?;
        check_version("trigger", id.0, version, t.version)?;
        validate_window_length("by", by)?;
        let Some(end) = t.end else {
            return Err(Error::Invalid {
                field: "trigger",
                value: t.name.clone(),
                reason: "it has no end: there is nothing to extend".into(),
            });
        };
        if end <= self.now() {
            return Err(Error::Invalid {
                field: "trigger",
                value: t.name.clone(),
                reason: "its window has ended: make a new one".into(),
            });
        }
        let new = NewTrigger {
            end: Some(end + by),
            ..NewTrigger::from(&t)
        };
        new.validate()?;
        let written = self.inner.store.update_trigger(actor, id, version, &new)?;
        Ok(self.changed(written))
    }

    /// The body of "debug this target": the target at `level`, with (when `below`) every logger
    /// the baseline (what a window is laid over) configures below it at a quieter level (a
    /// logger's own level wins over its parent's, so without them "debug `myapp`" would leave
    /// `myapp::db` at warn, and "debug the root" would leave every configured logger as it
    /// was); and each handler those loggers reach that the baseline sets above `level` lowered
    /// to it. A logger turned off stays off: that was said on purpose.
    pub(super) fn debug_body(&self, target: &str, level: Level, below: bool) -> LoggingConfig {
        let logger = &self.inner.logger;
        // What the window is laid over when it runs: the baseline, not the config running now.
        let baseline = logger.baseline();
        let under_target = |name: &str| {
            below
                && !name.is_empty()
                && (target.is_empty()
                    || name
                        .strip_prefix(target)
                        .is_some_and(|rest| rest.starts_with("::")))
        };
        let mut raised = vec![target.to_string()];
        raised.extend(
            baseline
                .loggers
                .iter()
                .filter(|(name, spec)| {
                    under_target(name)
                        && matches!(spec.level, Some(LoggerLevel::Set(set)) if set < level && set != Level::Off)
                })
                .map(|(name, _)| name.clone()),
        );
        let mut body = LoggingConfig::default();
        for name in &raised {
            body.loggers.insert(
                name.clone(),
                LoggerSpec {
                    level: Some(level.into()),
                    ..LoggerSpec::default()
                },
            );
            for handler in logger.logger_view(name).handlers {
                let set = baseline.handlers.get(&handler).and_then(|h| h.level);
                if set.is_some_and(|l| l < level) {
                    body.handlers.insert(
                        handler,
                        HandlerOverride {
                            level: Some(level),
                            ..HandlerOverride::default()
                        },
                    );
                }
            }
        }
        body
    }

    /// After a write: read the snapshot, hand it to the propagator to tell the fleet, and apply
    /// it here (with the `none` propagator, only announce the revision). Returns what was
    /// written.
    pub(super) fn changed<T>(&self, written: Written<T>) -> T {
        let inner = &self.inner;
        let revision = written.revision;
        if inner.propagator.reloads_on_local_change() {
            // Read once here and carried to the others: the store's work per change does not
            // grow with the fleet.
            let _ = inner.reload_announcing(Some(revision));
        } else if let Err(e) = inner.propagator.announce(revision) {
            log::warn!(target: "dynlog", "could not announce revision {revision}: {e}");
        }
        written.value
    }
}

/// The fields of running trigger `t` once stopped at `now`: its window ends now, or, when it
/// started at this very instant, it is deactivated (its window cannot end where it starts).
pub(super) fn stopped_at(t: &Trigger, now: DateTime<Utc>) -> NewTrigger {
    if t.start == Some(now) {
        NewTrigger {
            is_active: false,
            ..NewTrigger::from(t)
        }
    } else {
        NewTrigger {
            end: Some(now),
            ..NewTrigger::from(t)
        }
    }
}

/// A window's length, or how far one moves: 1 minute to [`MAX_DEBUG_WINDOW`].
fn validate_window_length(field: &'static str, length: Duration) -> Result<()> {
    if length < Duration::minutes(1) || length > MAX_DEBUG_WINDOW {
        return Err(Error::Invalid {
            field,
            value: format!("{} min", length.num_minutes()),
            reason: format!(
                "a debug window lasts, or moves by, 1 minute to {} hours",
                MAX_DEBUG_WINDOW.num_hours()
            ),
        });
    }
    Ok(())
}
