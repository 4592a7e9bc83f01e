//! `MemoryStore`: the whole `Store` contract in one process's memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{
    Config, ConfigId, ConfigKind, NewConfig, NewTrigger, Trigger, TriggerId, validate_name,
};
use crate::propagate::InstanceStatus;
use crate::store::{
    Account, AccountStore, ApiToken, AuditEntry, AuditQuery, INSTANCE_RETENTION, MAX_INSTANCES,
    Role, Snapshot, Store, StoreRead, Written, check_version,
};

/// A store in memory: for tests, demos and single processes whose configs need not outlive them.
///
/// It keeps every rule of the [`Store`] contract (versions, revision, audit, cascades). For
/// tests of what happens when a store fails, [`MemoryStore::set_failing`] makes every call fail
/// until it is turned off.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    failing: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    revision: i64,
    next_id: i64,
    configs: BTreeMap<ConfigId, Config>,
    triggers: BTreeMap<TriggerId, Trigger>,
    audit: Vec<AuditEntry>,
    accounts: BTreeMap<String, Account>,
    tokens: BTreeMap<i64, ApiToken>,
    /// Whether the write holding the lock has bumped the revision: one write, one revision,
    /// however many entries it audits.
    bumped: bool,
    instances: BTreeMap<String, InstanceStatus>,
}

impl State {
    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Appends an audit entry, bumping the revision at the write's first: every write ends here.
    fn record<T: Serialize>(
        &mut self,
        actor: &str,
        action: &str,
        entity: &str,
        entity_id: i64,
        before: Option<&T>,
        after: Option<&T>,
    ) {
        if !self.bumped {
            self.revision += 1;
            self.bumped = true;
        }
        let id = self.audit.len() as i64 + 1;
        self.audit.push(AuditEntry {
            id,
            at: Utc::now(),
            actor: actor.to_string(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id,
            revision: Some(self.revision),
            before: before.and_then(|v| serde_json::to_value(v).ok()),
            after: after.and_then(|v| serde_json::to_value(v).ok()),
        });
    }

    /// What a write returns: its value and the revision it moved to.
    fn written<T>(&self, value: T) -> Written<T> {
        Written {
            value,
            revision: self.revision,
        }
    }

    fn check_unique_name(&self, name: &str, except: Option<ConfigId>) -> Result<()> {
        if self
            .configs
            .values()
            .any(|c| c.name == name && Some(c.id) != except)
        {
            return Err(Error::DuplicateName(name.to_string()));
        }
        Ok(())
    }

    fn check_trigger(&self, new: &NewTrigger) -> Result<()> {
        if !self.configs.contains_key(&new.config_id) {
            return Err(Error::ConfigNotFound(new.config_id));
        }
        Ok(())
    }
}

impl MemoryStore {
    /// An empty store at revision 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every call fail with a store error while `failing` is true, as a database that went
    /// away would.
    pub fn set_failing(&self, failing: bool) {
        // Relaxed: a test flips it between calls; no other memory is published with it.
        self.failing.store(failing, Ordering::Relaxed);
    }

    fn state(&self) -> Result<MutexGuard<'_, State>> {
        if self.failing.load(Ordering::Relaxed) {
            return Err(Error::Store {
                message: "memory store set to fail".into(),
                cause: None,
            });
        }
        // A panic while holding the lock cannot leave State half-written: every write checks
        // first and mutates after, so a poisoned lock is safe to reuse.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Every write takes the lock once: a new write, not yet counted in the revision.
        state.bumped = false;
        Ok(state)
    }
}

fn trigger_order(a: &Trigger, b: &Trigger) -> std::cmp::Ordering {
    (b.start, b.id).cmp(&(a.start, a.id))
}

impl StoreRead for MemoryStore {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        let state = self.state()?;
        let triggers: Vec<Trigger> = state
            .triggers
            .values()
            .filter(|t| t.can_win_after(now))
            .cloned()
            .collect();
        let configs = triggers
            .iter()
            .filter_map(|t| state.configs.get(&t.config_id))
            .map(|c| (c.id, c.clone()))
            .collect();
        Ok(Snapshot {
            revision: state.revision,
            triggers,
            configs,
        })
    }

    fn revision(&self) -> Result<i64> {
        Ok(self.state()?.revision)
    }

    fn configs(&self) -> Result<Vec<Config>> {
        let mut configs: Vec<Config> = self.state()?.configs.values().cloned().collect();
        configs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(configs)
    }

    fn config(&self, id: ConfigId) -> Result<Config> {
        self.state()?
            .configs
            .get(&id)
            .cloned()
            .ok_or(Error::ConfigNotFound(id))
    }

    fn triggers(&self) -> Result<Vec<Trigger>> {
        let mut triggers: Vec<Trigger> = self.state()?.triggers.values().cloned().collect();
        triggers.sort_by(trigger_order);
        Ok(triggers)
    }

    fn trigger(&self, id: TriggerId) -> Result<Trigger> {
        self.state()?
            .triggers
            .get(&id)
            .cloned()
            .ok_or(Error::TriggerNotFound(id))
    }

    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        let state = self.state()?;
        Ok(state
            .audit
            .iter()
            .rev()
            .filter(|e| query.before.is_none_or(|before| e.id < before))
            .take(query.limit)
            .cloned()
            .collect())
    }

    fn instances(&self) -> Result<Vec<InstanceStatus>> {
        let since = Utc::now() - INSTANCE_RETENTION;
        let mut instances: Vec<InstanceStatus> = self
            .state()?
            .instances
            .values()
            .filter(|i| i.reported_at >= since)
            .cloned()
            .collect();
        instances.sort_by(|a, b| {
            (&a.host, a.pid, &a.instance_id).cmp(&(&b.host, b.pid, &b.instance_id))
        });
        Ok(instances)
    }
}

impl Store for MemoryStore {
    fn report_instance(&self, status: &InstanceStatus) -> Result<()> {
        let now = Utc::now();
        let status = status.bounded(now)?;
        let mut state = self.state()?;
        let instances = &mut state.instances;
        if !instances.contains_key(&status.instance_id) {
            instances.retain(|_, i| i.reported_at >= now - INSTANCE_RETENTION);
            while instances.len() >= MAX_INSTANCES {
                let Some(oldest) = instances
                    .values()
                    .min_by_key(|i| i.reported_at)
                    .map(|i| i.instance_id.clone())
                else {
                    break;
                };
                instances.remove(&oldest);
            }
        }
        instances.insert(status.instance_id.clone(), status);
        Ok(())
    }

    fn remove_instance(&self, instance_id: &str) -> Result<()> {
        self.state()?.instances.remove(instance_id);
        Ok(())
    }

    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Written<Config>> {
        let mut state = self.state()?;
        state.check_unique_name(&new.name, None)?;
        let id = ConfigId(state.next_id());
        let config = Config {
            id,
            name: new.name.clone(),
            body: new.body.clone(),
            kind: ConfigKind::Manual,
            version: 1,
            updated_at: Utc::now(),
        };
        state.configs.insert(id, config.clone());
        state.record(actor, "create", "config", id.0, None, Some(&config));
        Ok(state.written(config))
    }

    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Written<Config>> {
        let mut state = self.state()?;
        let before = state
            .configs
            .get(&id)
            .cloned()
            .ok_or(Error::ConfigNotFound(id))?;
        check_version("config", id.0, version, before.version)?;
        state.check_unique_name(&new.name, Some(id))?;
        let after = Config {
            name: new.name.clone(),
            body: new.body.clone(),
            version: before.version + 1,
            updated_at: Utc::now(),
            ..before.clone()
        };
        state.configs.insert(id, after.clone());
        state.record(actor, "update", "config", id.0, Some(&before), Some(&after));
        Ok(state.written(after))
    }

    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<Written<()>> {
        let mut state = self.state()?;
        let before = state.configs.remove(&id).ok_or(Error::ConfigNotFound(id))?;
        let doomed: Vec<Trigger> = state
            .triggers
            .values()
            .filter(|t| t.config_id == id)
            .cloned()
            .collect();
        for trigger in doomed {
            state.triggers.remove(&trigger.id);
            state.record(
                actor,
                "delete",
                "trigger",
                trigger.id.0,
                Some(&trigger),
                None,
            );
        }
        state.record(actor, "delete", "config", id.0, Some(&before), None);
        Ok(state.written(()))
    }

    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Written<Trigger>> {
        let mut state = self.state()?;
        state.check_trigger(new)?;
        let id = TriggerId(state.next_id());
        let trigger = new.to_trigger(id, 1, Utc::now());
        state.triggers.insert(id, trigger.clone());
        state.record(actor, "create", "trigger", id.0, None, Some(&trigger));
        Ok(state.written(trigger))
    }

    fn create_config_with_trigger(
        &self,
        actor: &str,
        config: &NewConfig,
        trigger: &NewTrigger,
    ) -> Result<Written<(Config, Trigger)>> {
        // One lock for both: another writer sees both or neither.
        let mut state = self.state()?;
        state.check_unique_name(&config.name, None)?;
        let id = ConfigId(state.next_id());
        let config = Config {
            id,
            name: config.name.clone(),
            body: config.body.clone(),
            kind: ConfigKind::Debug,
            version: 1,
            updated_at: Utc::now(),
        };
        state.configs.insert(id, config.clone());
        state.record(actor, "create", "config", id.0, None, Some(&config));
        let trigger_id = TriggerId(state.next_id());
        let trigger = NewTrigger {
            config_id: id,
            ..trigger.clone()
        }
        .to_trigger(trigger_id, 1, Utc::now());
        state.triggers.insert(trigger_id, trigger.clone());
        state.record(
            actor,
            "create",
            "trigger",
            trigger_id.0,
            None,
            Some(&trigger),
        );
        Ok(state.written((config, trigger)))
    }

    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Written<Trigger>> {
        let mut state = self.state()?;
        let before = state
            .triggers
            .get(&id)
            .cloned()
            .ok_or(Error::TriggerNotFound(id))?;
        check_version("trigger", id.0, version, before.version)?;
        state.check_trigger(new)?;
        let after = new.to_trigger(id, before.version + 1, Utc::now());
        state.triggers.insert(id, after.clone());
        state.record(
            actor,
            "update",
            "trigger",
            id.0,
            Some(&before),
            Some(&after),
        );
        Ok(state.written(after))
    }

    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> Result<Written<Vec<Trigger>>> {
        // One lock, and every check before the first change: all or none.
        let mut state = self.state()?;
        let mut seen = Vec::with_capacity(updates.len());
        for (id, version, new) in updates {
            let stored = state
                .triggers
                .get(id)
                .ok_or(Error::TriggerNotFound(*id))?
                .version;
            // The same trigger twice: the second update starts from a version the first moved.
            let stored = stored + seen.iter().filter(|s| *s == id).count() as i64;
            check_version("trigger", id.0, *version, stored)?;
            state.check_trigger(new)?;
            seen.push(*id);
        }
        let mut written = Vec::with_capacity(updates.len());
        for (id, version, new) in updates {
            let Some(before) = state.triggers.get(id).cloned() else {
                return Err(Error::TriggerNotFound(*id));
            };
            let after = new.to_trigger(*id, version + 1, Utc::now());
            state.triggers.insert(*id, after.clone());
            state.record(
                actor,
                "update",
                "trigger",
                id.0,
                Some(&before),
                Some(&after),
            );
            written.push(after);
        }
        Ok(state.written(written))
    }

    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<Written<()>> {
        let mut state = self.state()?;
        let before = state
            .triggers
            .remove(&id)
            .ok_or(Error::TriggerNotFound(id))?;
        state.record(actor, "delete", "trigger", id.0, Some(&before), None);
        Ok(state.written(()))
    }

    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<Written<usize>> {
        let mut state = self.state()?;
        let doomed: Vec<Trigger> = state
            .triggers
            .values()
            .filter(|t| t.end.is_some_and(|end| end < ended_before))
            .cloned()
            .collect();
        for trigger in &doomed {
            state.triggers.remove(&trigger.id);
            state.record(actor, "prune", "trigger", trigger.id.0, Some(trigger), None);
        }
        Ok(state.written(doomed.len()))
    }
}

impl AccountStore for MemoryStore {
    fn accounts(&self) -> Result<Vec<Account>> {
        Ok(self.state()?.accounts.values().cloned().collect())
    }

    fn account(&self, username: &str) -> Result<Option<Account>> {
        Ok(self.state()?.accounts.get(username).cloned())
    }

    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account> {
        validate_name("username", username)?;
        let mut state = self.state()?;
        let before = state.accounts.get(username).cloned();
        let account = Account {
            username: username.to_string(),
            password_hash: password_hash.to_string(),
            created_at: before.as_ref().map_or_else(Utc::now, |a| a.created_at),
            session_epoch: before.as_ref().map_or(0, |a| a.session_epoch + 1),
            role: before.as_ref().map_or(Role::Admin, |a| a.role),
        };
        state.accounts.insert(username.to_string(), account.clone());
        let action = if before.is_some() { "update" } else { "create" };
        state.record(actor, action, "account", 0, before.as_ref(), Some(&account));
        Ok(account)
    }

    fn create_account(
        &self,
        actor: &str,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Account> {
        validate_name("username", username)?;
        // The check and the insert under one lock: two admins cannot both make the name.
        let mut state = self.state()?;
        if state.accounts.contains_key(username) {
            return Err(Error::AccountExists(username.to_string()));
        }
        let account = Account {
            username: username.to_string(),
            password_hash: password_hash.to_string(),
            created_at: Utc::now(),
            session_epoch: 0,
            role,
        };
        state.accounts.insert(username.to_string(), account.clone());
        state.record(actor, "create", "account", 0, None, Some(&account));
        Ok(account)
    }

    fn set_role(&self, actor: &str, username: &str, role: Role) -> Result<Account> {
        let mut state = self.state()?;
        let before = state
            .accounts
            .get(username)
            .cloned()
            .ok_or_else(|| Error::AccountNotFound(username.to_string()))?;
        let after = Account {
            role,
            session_epoch: before.session_epoch + 1,
            ..before.clone()
        };
        state.accounts.insert(username.to_string(), after.clone());
        state.record(actor, "update", "account", 0, Some(&before), Some(&after));
        Ok(after)
    }

    fn end_sessions(&self, actor: &str, username: &str) -> Result<i64> {
        let mut state = self.state()?;
        let before = state
            .accounts
            .get(username)
            .cloned()
            .ok_or_else(|| Error::AccountNotFound(username.to_string()))?;
        let after = Account {
            session_epoch: before.session_epoch + 1,
            ..before.clone()
        };
        state.accounts.insert(username.to_string(), after.clone());
        state.record(actor, "update", "account", 0, Some(&before), Some(&after));
        Ok(after.session_epoch)
    }

    fn create_token(
        &self,
        actor: &str,
        name: &str,
        token_hash: &str,
        role: Role,
    ) -> Result<ApiToken> {
        validate_name("token name", name)?;
        let mut state = self.state()?;
        let id = state.next_id();
        let token = ApiToken {
            id,
            name: name.to_string(),
            token_hash: token_hash.to_string(),
            created_at: Utc::now(),
            last_used_at: None,
            role,
        };
        state.tokens.insert(id, token.clone());
        state.record(actor, "create", "token", id, None, Some(&token));
        Ok(token)
    }

    fn use_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let mut state = self.state()?;
        // Marking a token used is bookkeeping, not a change: no revision, no audit entry.
        Ok(state
            .tokens
            .values_mut()
            .find(|t| t.token_hash == token_hash)
            .map(|token| {
                token.last_used_at = Some(Utc::now());
                token.clone()
            }))
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        Ok(self.state()?.tokens.values().rev().cloned().collect())
    }

    fn delete_token(&self, actor: &str, id: i64) -> Result<()> {
        let mut state = self.state()?;
        let before = state.tokens.remove(&id).ok_or(Error::TokenNotFound(id))?;
        state.record(actor, "delete", "token", id, Some(&before), None);
        Ok(())
    }
}
