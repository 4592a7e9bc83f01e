//! The `Store` contract, as functions any store's tests call through
//! [`store_contract_tests!`](crate::store_contract_tests).

mod accounts;
mod configs;
mod instances;
mod reads;
mod triggers;

pub use accounts::{accounts, roles, session_epochs, tokens};
pub use configs::{
    config_create_and_read, config_delete_cascades, config_invalid_refused, config_update_versions,
    config_with_trigger_together, configs_listed_by_name,
};
pub use instances::{instances_bounded, instances_heartbeats};
pub use reads::{audit_pages, revision_moves_on_writes_only, snapshot_holds_what_can_win};
pub use triggers::{
    prune_ended_triggers, trigger_create_and_validate, trigger_update_and_delete,
    triggers_listed_latest_first, triggers_updated_together,
};

use chrono::{Duration, Utc};

use crate::model::{Config, ConfigId, LoggingConfig, NewConfig, NewTrigger, Trigger, TriggerId};
use crate::store::{Store, Written};

/// The store under test, its writes returning what they wrote once checked that each returned
/// the revision it committed.
struct Checked<'a, S: ?Sized>(&'a S);

impl<S: ?Sized> std::ops::Deref for Checked<'_, S> {
    type Target = S;
    fn deref(&self) -> &S {
        self.0
    }
}

impl<S: Store + ?Sized> Checked<'_, S> {
    fn check<T>(&self, written: Written<T>) -> T {
        assert_eq!(
            written.revision,
            self.0.revision().expect("revision"),
            "a write returns the revision it committed"
        );
        written.value
    }

    fn create_config(&self, actor: &str, new: &NewConfig) -> crate::Result<Config> {
        self.0.create_config(actor, new).map(|w| self.check(w))
    }

    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> crate::Result<Config> {
        self.0
            .update_config(actor, id, version, new)
            .map(|w| self.check(w))
    }

    fn delete_config(&self, actor: &str, id: ConfigId) -> crate::Result<()> {
        self.0.delete_config(actor, id).map(|w| self.check(w))
    }

    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> crate::Result<Trigger> {
        self.0.create_trigger(actor, new).map(|w| self.check(w))
    }

    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> crate::Result<Trigger> {
        self.0
            .update_trigger(actor, id, version, new)
            .map(|w| self.check(w))
    }

    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> crate::Result<Vec<Trigger>> {
        self.0
            .update_triggers(actor, updates)
            .map(|w| self.check(w))
    }

    fn delete_trigger(&self, actor: &str, id: TriggerId) -> crate::Result<()> {
        self.0.delete_trigger(actor, id).map(|w| self.check(w))
    }

    fn prune_triggers(
        &self,
        actor: &str,
        ended_before: chrono::DateTime<Utc>,
    ) -> crate::Result<usize> {
        self.0
            .prune_triggers(actor, ended_before)
            .map(|w| self.check(w))
    }
}

fn body(json: &str) -> LoggingConfig {
    LoggingConfig::from_json(json).expect("test body parses")
}

fn new_config(name: &str) -> NewConfig {
    NewConfig {
        name: name.into(),
        body: body(r#"{"loggers": {"myapp::import": {"level": "debug"}}}"#),
    }
}

fn new_trigger(name: &str, config_id: ConfigId, from_hours: i64, to_hours: i64) -> NewTrigger {
    let now = Utc::now();
    NewTrigger {
        name: name.into(),
        config_id,
        start: Some(now + Duration::hours(from_hours)),
        end: Some(now + Duration::hours(to_hours)),
        is_active: true,
    }
}
