//! One logger's level for a while, as Spring Boot Actuator's loggers endpoint sets it: a window
//! of its own, and the end of such windows.

use chrono::Duration;

use super::Controller;
use super::writes::{MAX_DEBUG_WINDOW, stopped_at};
use crate::error::{Error, Result};
use crate::level::Level;
use crate::model::{Config, ConfigKind, NewTrigger, Trigger, validate_logger_name};

impl Controller {
    /// Puts `target` (`""` is the root) at `level` from now, for `window` (1 minute to
    /// [`MAX_DEBUG_WINDOW`]) or, with `None`, until someone ends it: a config setting that one
    /// logger (and lowering the handlers its records reach that are set above `level`) and the
    /// trigger running it, written in one transaction, named `<level> <target>`. Errors name
    /// the field a script sent: `name` for the target, `for` for the window.
    pub fn set_level_window(
        &self,
        actor: &str,
        target: &str,
        level: Level,
        window: Option<Duration>,
    ) -> Result<(Config, Trigger)> {
        validate_logger_name(target).map_err(|e| Error::Invalid {
            field: "name",
            value: target.chars().take(64).collect(),
            reason: e.to_string(),
        })?;
        if let Some(window) = window
            && (window < Duration::minutes(1) || window > MAX_DEBUG_WINDOW)
        {
            return Err(Error::Invalid {
                field: "for",
                value: format!("{} s", window.num_seconds()),
                reason: format!(
                    "a window lasts 1 minute to {} hours",
                    MAX_DEBUG_WINDOW.num_hours()
                ),
            });
        }
        let shown = if target.is_empty() { "root" } else { target };
        let brief = format!("{} {shown}", level.as_str());
        self.named_window(
            actor,
            &brief,
            &self.debug_body(target, level, false),
            window,
        )
    }

    /// Ends the level windows of `target` alone (those [`Controller::set_level_window`] and
    /// the debug actions make: a debug config that sets only `target`): a running one ends now,
    /// an upcoming one is switched off, all in one store write (one revision, one action in the
    /// audit). Returns the triggers as they are now; none is no error, and writes nothing.
    pub fn end_level_windows(&self, actor: &str, target: &str) -> Result<Vec<Trigger>> {
        let now = self.now();
        let store = &self.inner.store;
        let configs = store.configs()?;
        let mine = |t: &Trigger| {
            configs.iter().any(|c| {
                c.id == t.config_id
                    && c.kind == ConfigKind::Debug
                    && c.body.scope.is_empty()
                    && c.body.loggers.len() == 1
                    && c.body.loggers.contains_key(target)
            })
        };
        let mut updates = Vec::new();
        for t in store.triggers()? {
            if !mine(&t) || !t.can_win_after(now) {
                continue;
            }
            let new = if t.covers(now) {
                stopped_at(&t, now)
            } else {
                NewTrigger {
                    is_active: false,
                    ..NewTrigger::from(&t)
                }
            };
            new.validate()?;
            updates.push((t.id, t.version, new));
        }
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        let written = store.update_triggers(actor, &updates)?;
        Ok(self.changed(written))
    }
}
