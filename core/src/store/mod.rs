//! Where configs, triggers, the audit and accounts live: the `Store` traits and `MemoryStore`.

mod memory;
mod role;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{Config, ConfigId, NewConfig, NewTrigger, Trigger, TriggerId};
use crate::propagate::InstanceStatus;

pub use memory::MemoryStore;
pub use role::{Role, audit_actor, audit_actor_parts};

/// The most instances a store keeps heartbeats of: registering one more forgets the one heard
/// from longest ago, so a runaway or hostile fleet cannot grow the table without bound.
pub const MAX_INSTANCES: usize = 1000;

/// How long a store keeps the heartbeat of an instance that stopped reporting (it shows as
/// stale meanwhile): 15 minutes.
pub const INSTANCE_RETENTION: chrono::Duration = chrono::Duration::minutes(15);

/// Refuses an update based on a stale read: `edited` is the version the update started from,
/// `stored` the one in the store. Stores call it before writing.
pub fn check_version(entity: &'static str, id: i64, edited: i64, stored: i64) -> Result<()> {
    if edited == stored {
        return Ok(());
    }
    Err(crate::Error::Conflict {
        entity,
        id,
        expected: edited,
        actual: stored,
    })
}

/// What the controller needs to decide what runs: the triggers that can still win at or after
/// the instant it was taken, the configs they point at, and the store's revision.
///
/// It travels with announcements (`Propagator::announce_snapshot`), as JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The store's revision when the snapshot was read.
    pub revision: i64,
    /// Triggers that are active, have a non-empty window and have not ended.
    pub triggers: Vec<Trigger>,
    /// The configs those triggers point at.
    pub configs: BTreeMap<ConfigId, Config>,
}

/// One change, as the audit keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id, increasing with time.
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who made it: an account's username, a token's name, or `system`.
    pub actor: String,
    /// `create`, `update`, `delete` or `prune`.
    pub action: String,
    /// `config`, `trigger`, `account` or `token`.
    pub entity: String,
    /// The entity's id (0 for accounts, which are keyed by username).
    pub entity_id: i64,
    /// The revision of the write that made it: the entries of one write (a config made with
    /// its trigger, a config deleted with its triggers) share it, so a history can show one
    /// operator action as one line. `None` for entries written before it was recorded.
    #[serde(default)]
    pub revision: Option<i64>,
    /// The entity before, as JSON; `None` for a creation.
    pub before: Option<serde_json::Value>,
    /// The entity after, as JSON; `None` for a deletion.
    pub after: Option<serde_json::Value>,
}

/// Which audit entries to read: newest first, `limit` of them, older than `before` if given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries with an id below this one (for paging).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: usize,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            before: None,
            limit: 50,
        }
    }
}

/// An admin account. The password is stored as a hash the admin computes; the store never sees
/// a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The login name.
    pub username: String,
    /// The password hash, in the PHC string format.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The account's session epoch: 0 when it is created, moved on by a password change
    /// ([`AccountStore::put_account`] on an existing account) and by
    /// [`AccountStore::end_sessions`]. A session made under an older epoch is over.
    #[serde(default)]
    pub session_epoch: i64,
    /// What the account may do.
    pub role: Role,
}

/// An API token for scripts. Only its hash is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Its id.
    pub id: i64,
    /// A name saying what it is for; changes made with it are audited under this name.
    pub name: String,
    /// The token's hash (hex SHA-256 or similar, computed by the admin).
    #[serde(skip_serializing)]
    pub token_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used, if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// What a script holding it may do.
    pub role: Role,
}

/// What a write committed: its result, and the store revision it moved to (so the writer can
/// announce it without asking the store again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written<T> {
    /// What was written: the entity as stored, or how many were removed.
    pub value: T,
    /// The store's revision once the write committed.
    pub revision: i64,
}

/// Reading configs, triggers and the audit: what everybody may do.
///
/// The controller hands this view out ([`Controller::store`](crate::Controller::store)); the
/// writes of [`Store`] are its own, so that every change is validated, announced and applied.
pub trait StoreRead: Send + Sync + 'static {
    /// The triggers that can still win at or after `now`, their configs, and the revision.
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot>;

    /// The store's revision: it changes with every write.
    fn revision(&self) -> Result<i64>;

    /// Every config, by name.
    fn configs(&self) -> Result<Vec<Config>>;

    /// One config.
    fn config(&self, id: ConfigId) -> Result<Config>;

    /// Every trigger, latest start first.
    fn triggers(&self) -> Result<Vec<Trigger>>;

    /// One trigger.
    fn trigger(&self, id: TriggerId) -> Result<Trigger>;

    /// Audit entries, newest first.
    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>>;

    /// The instances that reported within [`INSTANCE_RETENTION`], by host, pid and id, each
    /// with `reported_at` as the store received it.
    fn instances(&self) -> Result<Vec<InstanceStatus>>;
}

/// Where configs and triggers are kept and changed, with the audit of every change.
///
/// Only the [`Controller`](crate::Controller) writes: it validates what it writes (names,
/// windows, handler and filter names against the application's registry) before it calls the
/// store, announces the change and applies it. A store does not validate again.
///
/// # For implementors
///
/// Depend on `dynlog-core` only, and run the contract suite of the `testing` feature
/// (`dynlog_core::store_contract_tests!`) against your store: it states the rules below as tests.
///
/// - Every successful write bumps the store's revision by at least one, in the same transaction,
///   returns it ([`Written::revision`]), and appends an audit entry naming the actor with the
///   entity before and after. A failed write changes nothing: no row, no revision, no audit
///   entry.
/// - Updates carry the version they read; a stale one fails with
///   [`Error::Conflict`](crate::Error::Conflict). A successful update bumps the version.
/// - A trigger pointing at a missing config fails with
///   [`Error::ConfigNotFound`](crate::Error::ConfigNotFound); config names are unique
///   ([`Error::DuplicateName`](crate::Error::DuplicateName)).
/// - Deleting a config deletes its triggers, each recorded in the audit.
/// - Driver errors are [`Error::Store`](crate::Error::Store) with the driver's message.
/// - Heartbeats ([`Store::report_instance`]) are bookkeeping, not changes: no revision, no
///   audit entry. A store keeps at most [`MAX_INSTANCES`] of them (a new one forgets those older
///   than [`INSTANCE_RETENTION`], then the one heard from longest ago), each as
///   [`InstanceStatus::bounded`] makes it, and checks the count and inserts under one lock.
pub trait Store: StoreRead {
    /// Creates a config.
    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Written<Config>>;

    /// Replaces a config's name and body, if its stored version is still `version`.
    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Written<Config>>;

    /// Deletes a config and its triggers.
    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<Written<()>>;

    /// Creates a trigger.
    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Written<Trigger>>;

    /// Creates a config and a trigger running it, in one transaction: both or neither. The
    /// trigger's `config_id` is ignored (the new config's is used). This is how debug actions
    /// make their windows: the config is of kind
    /// [`ConfigKind::Debug`](crate::model::ConfigKind::Debug).
    fn create_config_with_trigger(
        &self,
        actor: &str,
        config: &NewConfig,
        trigger: &NewTrigger,
    ) -> Result<Written<(Config, Trigger)>>;

    /// Replaces a trigger's fields, if its stored version is still `version`.
    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Written<Trigger>>;

    /// Replaces the fields of several triggers in one transaction, each `(id, version, new)`
    /// if its stored version is still `version`: all or none (a stale version or a missing
    /// trigger or config fails the whole write), one revision, an audit entry per trigger
    /// sharing it. With no update it changes nothing (the revision stays). This is how the
    /// level windows of one logger end together, as one action.
    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> Result<Written<Vec<Trigger>>>;

    /// Deletes a trigger.
    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<Written<()>>;

    /// Deletes the triggers whose window ended before `ended_before`; returns how many. With
    /// none to delete it changes nothing (the revision stays).
    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<Written<usize>>;

    /// Records an instance's heartbeat (its status, as [`InstanceStatus::bounded`] makes it),
    /// replacing its last one.
    fn report_instance(&self, status: &InstanceStatus) -> Result<()>;

    /// Forgets an instance (it stopped); forgetting one that is not there is no error.
    fn remove_instance(&self, instance_id: &str) -> Result<()>;
}

/// The admin's accounts (usernames and password hashes) and API tokens (hashed), kept by the
/// same stores as configs but behind their own trait, so that a store for configs alone needs
/// none of it, and the admin depends on no database crate.
///
/// # For implementors
///
/// Account and token changes are audited like any write (and bump the revision), the role in
/// the entity's JSON; the contract suite covers them (`accounts`, `session_epochs`, `tokens`,
/// `roles`).
pub trait AccountStore: Send + Sync + 'static {
    /// Every account, by username.
    fn accounts(&self) -> Result<Vec<Account>>;

    /// One account, if it exists.
    fn account(&self, username: &str) -> Result<Option<Account>>;

    /// Creates an account (at session epoch 0) with the [`Role::Admin`] role, or sets the
    /// password hash of an existing one (its role kept) and moves its session epoch on, which
    /// ends its sessions. For the first account and those an application makes in code; the
    /// admin's pages make others with [`AccountStore::create_account`].
    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account>;

    /// Creates an account with `role`, at session epoch 0. A taken username is
    /// [`Error::AccountExists`](crate::Error::AccountExists), and nothing is written.
    fn create_account(
        &self,
        actor: &str,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Account>;

    /// Gives an account another role and moves its session epoch on (its sessions end, so
    /// nobody goes on with the old role). A missing account is
    /// [`Error::AccountNotFound`](crate::Error::AccountNotFound).
    fn set_role(&self, actor: &str, username: &str, role: Role) -> Result<Account>;

    /// Ends every session of an account ("log out everywhere"): moves its session epoch on and
    /// returns the new one. A write: it bumps the revision and is audited as an `update` of the
    /// account. A missing account is [`Error::AccountNotFound`](crate::Error::AccountNotFound).
    fn end_sessions(&self, actor: &str, username: &str) -> Result<i64>;

    /// Registers an API token by its hash, with what it may do.
    fn create_token(
        &self,
        actor: &str,
        name: &str,
        token_hash: &str,
        role: Role,
    ) -> Result<ApiToken>;

    /// The token with this hash, if any, marking it used now.
    fn use_token(&self, token_hash: &str) -> Result<Option<ApiToken>>;

    /// Every token, newest first.
    fn tokens(&self) -> Result<Vec<ApiToken>>;

    /// Deletes a token.
    fn delete_token(&self, actor: &str, id: i64) -> Result<()>;
}

/// A shared store reads as the store itself.
impl<T: StoreRead + ?Sized> StoreRead for std::sync::Arc<T> {
    fn snapshot(&self, now: DateTime<Utc>) -> Result<Snapshot> {
        (**self).snapshot(now)
    }
    fn revision(&self) -> Result<i64> {
        (**self).revision()
    }
    fn configs(&self) -> Result<Vec<Config>> {
        (**self).configs()
    }
    fn config(&self, id: ConfigId) -> Result<Config> {
        (**self).config(id)
    }
    fn triggers(&self) -> Result<Vec<Trigger>> {
        (**self).triggers()
    }
    fn trigger(&self, id: TriggerId) -> Result<Trigger> {
        (**self).trigger(id)
    }
    fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        (**self).audit(query)
    }
    fn instances(&self) -> Result<Vec<InstanceStatus>> {
        (**self).instances()
    }
}

/// A shared store writes as the store itself.
impl<T: Store + ?Sized> Store for std::sync::Arc<T> {
    fn create_config(&self, actor: &str, new: &NewConfig) -> Result<Written<Config>> {
        (**self).create_config(actor, new)
    }
    fn update_config(
        &self,
        actor: &str,
        id: ConfigId,
        version: i64,
        new: &NewConfig,
    ) -> Result<Written<Config>> {
        (**self).update_config(actor, id, version, new)
    }
    fn delete_config(&self, actor: &str, id: ConfigId) -> Result<Written<()>> {
        (**self).delete_config(actor, id)
    }
    fn create_trigger(&self, actor: &str, new: &NewTrigger) -> Result<Written<Trigger>> {
        (**self).create_trigger(actor, new)
    }
    fn create_config_with_trigger(
        &self,
        actor: &str,
        config: &NewConfig,
        trigger: &NewTrigger,
    ) -> Result<Written<(Config, Trigger)>> {
        (**self).create_config_with_trigger(actor, config, trigger)
    }
    fn update_trigger(
        &self,
        actor: &str,
        id: TriggerId,
        version: i64,
        new: &NewTrigger,
    ) -> Result<Written<Trigger>> {
        (**self).update_trigger(actor, id, version, new)
    }
    fn update_triggers(
        &self,
        actor: &str,
        updates: &[(TriggerId, i64, NewTrigger)],
    ) -> Result<Written<Vec<Trigger>>> {
        (**self).update_triggers(actor, updates)
    }
    fn delete_trigger(&self, actor: &str, id: TriggerId) -> Result<Written<()>> {
        (**self).delete_trigger(actor, id)
    }
    fn prune_triggers(&self, actor: &str, ended_before: DateTime<Utc>) -> Result<Written<usize>> {
        (**self).prune_triggers(actor, ended_before)
    }
    fn report_instance(&self, status: &InstanceStatus) -> Result<()> {
        (**self).report_instance(status)
    }
    fn remove_instance(&self, instance_id: &str) -> Result<()> {
        (**self).remove_instance(instance_id)
    }
}

/// A shared account store is the store itself.
impl<T: AccountStore + ?Sized> AccountStore for std::sync::Arc<T> {
    fn accounts(&self) -> Result<Vec<Account>> {
        (**self).accounts()
    }
    fn account(&self, username: &str) -> Result<Option<Account>> {
        (**self).account(username)
    }
    fn put_account(&self, actor: &str, username: &str, password_hash: &str) -> Result<Account> {
        (**self).put_account(actor, username, password_hash)
    }
    fn create_account(
        &self,
        actor: &str,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Account> {
        (**self).create_account(actor, username, password_hash, role)
    }
    fn set_role(&self, actor: &str, username: &str, role: Role) -> Result<Account> {
        (**self).set_role(actor, username, role)
    }
    fn end_sessions(&self, actor: &str, username: &str) -> Result<i64> {
        (**self).end_sessions(actor, username)
    }
    fn create_token(
        &self,
        actor: &str,
        name: &str,
        token_hash: &str,
        role: Role,
    ) -> Result<ApiToken> {
        (**self).create_token(actor, name, token_hash, role)
    }
    fn use_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        (**self).use_token(token_hash)
    }
    fn tokens(&self) -> Result<Vec<ApiToken>> {
        (**self).tokens()
    }
    fn delete_token(&self, actor: &str, id: i64) -> Result<()> {
        (**self).delete_token(actor, id)
    }
}
