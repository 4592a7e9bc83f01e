//! The `Store` contract, as functions any store's tests call through
//! [`store_contract_tests!`](crate::store_contract_tests).

use chrono::{Duration, Utc};

use crate::error::Error;
use crate::model::{Config, Trigger};
use crate::model::{ConfigId, LoggingConfig, NewConfig, NewTrigger, TriggerId};
use crate::store::{AccountStore, AuditQuery, Store, StoreRead, Written};

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

/// A config is created at version 1, read back whole, listed, audited, and bumps the revision.
pub fn config_create_and_read<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let rev0 = store.revision().expect("revision");
    let created = store
        .create_config("alice", &new_config("debug import"))
        .expect("create");
    assert_eq!(created.version, 1);
    assert_eq!(created.name, "debug import");
    assert!(store.revision().expect("revision") > rev0);
    let read = store.config(created.id).expect("read");
    assert_eq!(read.body, created.body);
    assert_eq!(read.name, created.name);
    assert_eq!(read.version, 1);
    let listed = store.configs().expect("list");
    assert_eq!(listed.iter().filter(|c| c.id == created.id).count(), 1);
    let audit = store.audit(AuditQuery::default()).expect("audit");
    let entry = &audit[0];
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.entity.as_str()
        ),
        ("alice", "create", "config")
    );
    assert_eq!(entry.entity_id, created.id.0);
    assert!(entry.before.is_none());
    assert_eq!(entry.after.as_ref().expect("after")["name"], "debug import");
    assert!(matches!(
        store.config(ConfigId(987_654)),
        Err(Error::ConfigNotFound(ConfigId(987_654)))
    ));
}

/// Configs are listed by name.
pub fn configs_listed_by_name<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    for name in ["zeta", "alpha", "mid"] {
        store
            .create_config("alice", &new_config(name))
            .expect("create");
    }
    let names: Vec<String> = store
        .configs()
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
}

/// Bad names and duplicate names are refused and nothing changes.
pub fn config_invalid_refused<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    store
        .create_config("alice", &new_config("taken"))
        .expect("create");
    let rev = store.revision().expect("revision");
    let audit_len = store
        .audit(AuditQuery {
            before: None,
            limit: 1000,
        })
        .expect("audit")
        .len();
    let err = store
        .create_config("alice", &new_config("taken"))
        .expect_err("duplicate");
    assert!(
        matches!(&err, Error::DuplicateName(name) if name == "taken"),
        "{err}"
    );
    assert_eq!(store.revision().expect("revision"), rev);
    assert_eq!(store.configs().expect("list").len(), 1);
    assert_eq!(
        store
            .audit(AuditQuery {
                before: None,
                limit: 1000
            })
            .expect("audit")
            .len(),
        audit_len
    );
}

/// An update with the version read bumps it; a stale one is a conflict and changes nothing.
pub fn config_update_versions<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let created = store
        .create_config("alice", &new_config("c"))
        .expect("create");
    let mut edit = new_config("c2");
    edit.body = body(r#"{"loggers": {"": {"level": "warn"}}}"#);
    let updated = store
        .update_config("bob", created.id, 1, &edit)
        .expect("update");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "c2");
    assert_eq!(store.config(created.id).expect("read").body, edit.body);
    let rev = store.revision().expect("revision");
    let err = store
        .update_config("carol", created.id, 1, &new_config("c3"))
        .expect_err("stale");
    match err {
        Error::Conflict {
            entity,
            id,
            expected,
            actual,
        } => {
            assert_eq!(
                (entity, id, expected, actual),
                ("config", created.id.0, 1, 2)
            );
        }
        other => panic!("expected a conflict, got {other}"),
    }
    assert_eq!(store.config(created.id).expect("read").name, "c2");
    assert_eq!(store.revision().expect("revision"), rev);
    let entry = &store.audit(AuditQuery::default()).expect("audit")[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("bob", "update")
    );
    assert_eq!(entry.before.as_ref().expect("before")["name"], "c");
    assert_eq!(entry.after.as_ref().expect("after")["name"], "c2");
    let err = store
        .update_config("bob", ConfigId(987_654), 1, &edit)
        .expect_err("missing");
    assert!(matches!(err, Error::ConfigNotFound(_)), "{err}");
    store
        .create_config("bob", &new_config("other"))
        .expect("create");
    let err = store
        .update_config("bob", created.id, 2, &new_config("other"))
        .expect_err("dup");
    assert!(matches!(err, Error::DuplicateName(_)), "{err}");
}

/// Deleting a config deletes its triggers, each audited.
pub fn config_delete_cascades<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let config = store
        .create_config("alice", &new_config("doomed"))
        .expect("create");
    let keep = store
        .create_config("alice", &new_config("kept"))
        .expect("create");
    let t1 = store
        .create_trigger("alice", &new_trigger("t1", config.id, 0, 1))
        .expect("trigger");
    let t2 = store
        .create_trigger("alice", &new_trigger("t2", config.id, 1, 2))
        .expect("trigger");
    let t3 = store
        .create_trigger("alice", &new_trigger("t3", keep.id, 1, 2))
        .expect("trigger");
    store.delete_config("bob", config.id).expect("delete");
    assert!(matches!(
        store.config(config.id),
        Err(Error::ConfigNotFound(_))
    ));
    assert!(matches!(
        store.trigger(t1.id),
        Err(Error::TriggerNotFound(_))
    ));
    assert!(matches!(
        store.trigger(t2.id),
        Err(Error::TriggerNotFound(_))
    ));
    assert_eq!(store.trigger(t3.id).expect("kept").id, t3.id);
    let audit = store.audit(AuditQuery::default()).expect("audit");
    let deleted: Vec<(String, i64)> = audit
        .iter()
        .filter(|e| e.action == "delete" && e.actor == "bob")
        .map(|e| (e.entity.clone(), e.entity_id))
        .collect();
    assert!(
        deleted.contains(&("config".into(), config.id.0)),
        "{deleted:?}"
    );
    assert!(
        deleted.contains(&("trigger".into(), t1.id.0)),
        "{deleted:?}"
    );
    assert!(
        deleted.contains(&("trigger".into(), t2.id.0)),
        "{deleted:?}"
    );
    assert!(matches!(
        store.delete_config("bob", config.id),
        Err(Error::ConfigNotFound(_))
    ));
}

/// Triggers are checked (window, config) and stored whole.
pub fn trigger_create_and_validate<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let config = store
        .create_config("alice", &new_config("c"))
        .expect("create");
    let rev = store.revision().expect("revision");
    let err = store
        .create_trigger("alice", &new_trigger("t", ConfigId(987_654), 0, 1))
        .expect_err("fk");
    assert!(
        matches!(err, Error::ConfigNotFound(ConfigId(987_654))),
        "{err}"
    );
    assert_eq!(store.revision().expect("revision"), rev);
    assert!(store.triggers().expect("list").is_empty());

    let open = NewTrigger {
        start: None,
        end: None,
        ..new_trigger("open", config.id, 0, 1)
    };
    let created = store.create_trigger("alice", &open).expect("create");
    assert_eq!(created.version, 1);
    let read = store.trigger(created.id).expect("read");
    assert_eq!(
        (read.start, read.end, read.is_active, read.config_id),
        (None, None, true, config.id)
    );
    let windowed = new_trigger("windowed", config.id, 1, 3);
    let created = store.create_trigger("alice", &windowed).expect("create");
    let read = store.trigger(created.id).expect("read");
    // Stores may keep microseconds only.
    let close = |a: Option<chrono::DateTime<Utc>>, b: Option<chrono::DateTime<Utc>>| {
        (a.expect("set") - b.expect("set"))
            .num_microseconds()
            .expect("small")
            .abs()
            < 2
    };
    assert!(
        close(read.start, windowed.start) && close(read.end, windowed.end),
        "{read:?}"
    );
    let entry = &store.audit(AuditQuery::default()).expect("audit")[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.entity.as_str(),
            entry.entity_id
        ),
        ("create", "trigger", created.id.0)
    );
    assert!(matches!(
        store.trigger(TriggerId(987_654)),
        Err(Error::TriggerNotFound(_))
    ));
}

/// Triggers are listed latest start first.
pub fn triggers_listed_latest_first<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let config = store
        .create_config("alice", &new_config("c"))
        .expect("create");
    let early = store
        .create_trigger("a", &new_trigger("early", config.id, -5, 1))
        .expect("t");
    let late = store
        .create_trigger("a", &new_trigger("late", config.id, 3, 4))
        .expect("t");
    let mid = store
        .create_trigger("a", &new_trigger("mid", config.id, 1, 9))
        .expect("t");
    let ids: Vec<TriggerId> = store
        .triggers()
        .expect("list")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [late.id, mid.id, early.id]);
}

/// Trigger updates carry versions; deactivation and deletion are audited.
pub fn trigger_update_and_delete<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let config = store
        .create_config("alice", &new_config("c"))
        .expect("create");
    let created = store
        .create_trigger("alice", &new_trigger("t", config.id, 0, 1))
        .expect("create");
    let off = NewTrigger {
        is_active: false,
        ..new_trigger("t", config.id, 0, 1)
    };
    let updated = store
        .update_trigger("bob", created.id, 1, &off)
        .expect("update");
    assert_eq!(updated.version, 2);
    assert!(!store.trigger(created.id).expect("read").is_active);
    let err = store
        .update_trigger("bob", created.id, 1, &off)
        .expect_err("stale");
    assert!(
        matches!(
            err,
            Error::Conflict {
                entity: "trigger",
                expected: 1,
                actual: 2,
                ..
            }
        ),
        "{err}"
    );
    let bad = new_trigger("t", ConfigId(987_654), 0, 1);
    let err = store
        .update_trigger("bob", created.id, 2, &bad)
        .expect_err("fk");
    assert!(matches!(err, Error::ConfigNotFound(_)), "{err}");
    assert_eq!(store.trigger(created.id).expect("read").version, 2);
    store.delete_trigger("carol", created.id).expect("delete");
    assert!(matches!(
        store.trigger(created.id),
        Err(Error::TriggerNotFound(_))
    ));
    let entry = &store.audit(AuditQuery::default()).expect("audit")[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("carol", "delete")
    );
    assert!(entry.after.is_none());
    assert!(matches!(
        store.delete_trigger("carol", created.id),
        Err(Error::TriggerNotFound(_))
    ));
}

/// The snapshot holds the triggers that can still win and their configs, and the revision.
pub fn snapshot_holds_what_can_win<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let running = store
        .create_config("alice", &new_config("running"))
        .expect("create");
    let future = store
        .create_config("alice", &new_config("future"))
        .expect("create");
    let past = store
        .create_config("alice", &new_config("past"))
        .expect("create");
    let idle = store
        .create_config("alice", &new_config("idle"))
        .expect("create");
    let now_t = store
        .create_trigger("a", &new_trigger("now", running.id, -1, 1))
        .expect("t");
    let later_t = store
        .create_trigger("a", &new_trigger("later", future.id, 2, 3))
        .expect("t");
    let open_t = store
        .create_trigger(
            "a",
            &NewTrigger {
                end: None,
                ..new_trigger("open", future.id, 5, 6)
            },
        )
        .expect("t");
    store
        .create_trigger("a", &new_trigger("ended", past.id, -3, -2))
        .expect("t");
    store
        .create_trigger(
            "a",
            &NewTrigger {
                is_active: false,
                ..new_trigger("off", idle.id, -1, 1)
            },
        )
        .expect("t");
    let snapshot = store.snapshot(Utc::now()).expect("snapshot");
    assert_eq!(snapshot.revision, store.revision().expect("revision"));
    let mut ids: Vec<TriggerId> = snapshot.triggers.iter().map(|t| t.id).collect();
    ids.sort();
    let mut want = vec![now_t.id, later_t.id, open_t.id];
    want.sort();
    assert_eq!(ids, want);
    let mut configs: Vec<ConfigId> = snapshot.configs.keys().copied().collect();
    configs.sort();
    assert_eq!(configs, [running.id, future.id]);
    assert_eq!(snapshot.configs[&running.id].body, running.body);
}

/// Pruning deletes triggers ended before the date, audited, and nothing else.
pub fn prune_ended_triggers<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let config = store
        .create_config("alice", &new_config("c"))
        .expect("create");
    let old = store
        .create_trigger("a", &new_trigger("old", config.id, -50, -48))
        .expect("t");
    let recent = store
        .create_trigger("a", &new_trigger("recent", config.id, -3, -2))
        .expect("t");
    let open = store
        .create_trigger(
            "a",
            &NewTrigger {
                end: None,
                ..new_trigger("open", config.id, -90, 0)
            },
        )
        .expect("t");
    let pruned = store
        .prune_triggers("janitor", Utc::now() - Duration::hours(24))
        .expect("prune");
    assert_eq!(pruned, 1);
    assert!(matches!(
        store.trigger(old.id),
        Err(Error::TriggerNotFound(_))
    ));
    assert!(store.trigger(recent.id).is_ok());
    assert!(store.trigger(open.id).is_ok());
    let entry = &store.audit(AuditQuery::default()).expect("audit")[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str(), entry.entity_id),
        ("janitor", "prune", old.id.0)
    );
    let rev = store.revision().expect("revision");
    assert_eq!(
        store
            .prune_triggers("janitor", Utc::now() - Duration::hours(24))
            .expect("prune"),
        0
    );
    assert_eq!(store.revision().expect("revision"), rev);
}

/// The audit pages newest first.
pub fn audit_pages<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    for i in 0..7 {
        store
            .create_config("alice", &new_config(&format!("c{i}")))
            .expect("create");
    }
    let first = store
        .audit(AuditQuery {
            before: None,
            limit: 3,
        })
        .expect("audit");
    assert_eq!(first.len(), 3);
    assert!(first.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(first[0].after.as_ref().expect("after")["name"], "c6");
    let second = store
        .audit(AuditQuery {
            before: Some(first[2].id),
            limit: 3,
        })
        .expect("audit");
    assert_eq!(second[0].after.as_ref().expect("after")["name"], "c3");
    let rest = store
        .audit(AuditQuery {
            before: Some(second[2].id),
            limit: 100,
        })
        .expect("audit");
    assert_eq!(rest.len(), 1);
}

/// Every write bumps the revision; reads do not.
pub fn revision_moves_on_writes_only<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let mut last = store.revision().expect("revision");
    let mut check = |what: &str| {
        let now = store.revision().expect("revision");
        assert!(now > last, "{what} did not bump the revision");
        last = now;
    };
    let config = store.create_config("a", &new_config("c")).expect("create");
    check("create config");
    store
        .update_config("a", config.id, 1, &new_config("c"))
        .expect("update");
    check("update config");
    let trigger = store
        .create_trigger("a", &new_trigger("t", config.id, 0, 1))
        .expect("t");
    check("create trigger");
    store
        .update_trigger("a", trigger.id, 1, &new_trigger("t", config.id, 0, 2))
        .expect("t");
    check("update trigger");
    store.delete_trigger("a", trigger.id).expect("delete");
    check("delete trigger");
    store.delete_config("a", config.id).expect("delete");
    check("delete config");
    let rev = store.revision().expect("revision");
    store.configs().expect("list");
    store.triggers().expect("list");
    store.snapshot(Utc::now()).expect("snapshot");
    store.audit(AuditQuery::default()).expect("audit");
    assert_eq!(store.revision().expect("revision"), rev);
}

/// Accounts are created and re-passworded; hashes never reach the audit.
pub fn accounts<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    assert!(store.account("admin").expect("read").is_none());
    let created = store
        .put_account("system", "admin", "$argon2id$hash1")
        .expect("create");
    assert_eq!(created.username, "admin");
    let read = store.account("admin").expect("read").expect("exists");
    assert_eq!(read.password_hash, "$argon2id$hash1");
    store
        .put_account("admin", "admin", "$argon2id$hash2")
        .expect("update");
    assert_eq!(
        store
            .account("admin")
            .expect("read")
            .expect("exists")
            .password_hash,
        "$argon2id$hash2"
    );
    store
        .put_account("system", "bob", "$argon2id$hash3")
        .expect("create");
    let names: Vec<String> = store
        .accounts()
        .expect("list")
        .into_iter()
        .map(|a| a.username)
        .collect();
    assert_eq!(names, ["admin", "bob"]);
    for entry in store.audit(AuditQuery::default()).expect("audit") {
        let text = format!("{:?} {:?}", entry.before, entry.after);
        assert!(!text.contains("argon2"), "a hash reached the audit: {text}");
    }
    assert!(matches!(
        store.put_account("system", "", "h"),
        Err(Error::InvalidName { .. })
    ));
}

/// An account's session epoch starts at 0 and moves on with a password change and with
/// `end_sessions`, which is a write of its own; other accounts keep theirs.
pub fn session_epochs<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    let created = store
        .put_account("system", "admin", "$argon2id$hash1")
        .expect("create");
    assert_eq!(created.session_epoch, 0);
    store
        .put_account("system", "bob", "$argon2id$hash2")
        .expect("create");
    let epoch = |name: &str| {
        store
            .account(name)
            .expect("read")
            .expect("exists")
            .session_epoch
    };

    let rev = store.revision().expect("revision");
    assert_eq!(store.end_sessions("admin", "admin").expect("end"), 1);
    assert_eq!(epoch("admin"), 1);
    assert_eq!(
        store
            .account("admin")
            .expect("read")
            .expect("exists")
            .password_hash,
        "$argon2id$hash1",
        "ending sessions keeps the password"
    );
    assert!(store.revision().expect("revision") > rev, "a write");
    let entry = store
        .audit(AuditQuery {
            before: None,
            limit: 1,
        })
        .expect("audit")
        .remove(0);
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.entity.as_str()
        ),
        ("admin", "update", "account")
    );
    let epoch_in = |json: &Option<serde_json::Value>| {
        json.as_ref()
            .and_then(|j| j["session_epoch"].as_i64())
            .expect("the epoch in the audit")
    };
    assert_eq!((epoch_in(&entry.before), epoch_in(&entry.after)), (0, 1));
    let text = format!("{:?} {:?}", entry.before, entry.after);
    assert!(!text.contains("argon2"), "a hash reached the audit: {text}");

    let changed = store
        .put_account("admin", "admin", "$argon2id$hash3")
        .expect("new password");
    assert_eq!(changed.session_epoch, 2, "a password change ends sessions");
    assert_eq!(changed.created_at, created.created_at);
    assert_eq!(epoch("admin"), 2);
    assert_eq!(epoch("bob"), 0, "other accounts keep their sessions");

    let rev = store.revision().expect("revision");
    assert!(matches!(
        store.end_sessions("admin", "nobody"),
        Err(Error::AccountNotFound(name)) if name == "nobody"
    ));
    assert_eq!(store.revision().expect("revision"), rev, "nothing written");
    assert!(store.account("nobody").expect("read").is_none());
}

/// Tokens are found by hash (and marked used), listed and deleted.
pub fn tokens<S: AccountStore + StoreRead + ?Sized>(store: &S) {
    assert!(store.use_token("nope").expect("lookup").is_none());
    let token = store.create_token("admin", "ci", "abc123").expect("create");
    assert!(token.last_used_at.is_none());
    let rev = store.revision().expect("revision");
    let used = store.use_token("abc123").expect("lookup").expect("found");
    assert_eq!(used.id, token.id);
    assert!(used.last_used_at.is_some());
    assert_eq!(
        store.revision().expect("revision"),
        rev,
        "using a token is not a change"
    );
    let second = store
        .create_token("admin", "deploy", "def456")
        .expect("create");
    let ids: Vec<i64> = store
        .tokens()
        .expect("list")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [second.id, token.id]);
    store.delete_token("admin", token.id).expect("delete");
    assert!(store.use_token("abc123").expect("lookup").is_none());
    assert!(matches!(
        store.delete_token("admin", token.id),
        Err(Error::TokenNotFound(_))
    ));
}

/// A config and a trigger written together are both stored, or neither.
pub fn config_with_trigger_together<S: Store + ?Sized>(store: &S) {
    let checked = Checked(store);
    let written = store
        .create_config_with_trigger(
            "alice",
            &new_config("pair"),
            &new_trigger("t", ConfigId(0), 0, 1),
        )
        .expect("create both");
    let (config, trigger) = checked.check(written);
    assert_eq!(
        trigger.config_id, config.id,
        "the trigger runs the new config"
    );
    assert_eq!(
        store.trigger(trigger.id).expect("read").config_id,
        config.id
    );
    let rev = store.revision().expect("revision");
    // The name is taken: neither is written.
    let err = store
        .create_config_with_trigger(
            "alice",
            &new_config("pair"),
            &new_trigger("t2", ConfigId(0), 0, 1),
        )
        .expect_err("duplicate");
    assert!(matches!(err, Error::DuplicateName(_)), "{err}");
    assert_eq!(store.revision().expect("revision"), rev);
    assert_eq!(
        store.triggers().expect("list").len(),
        1,
        "no orphan trigger"
    );
    assert_eq!(store.configs().expect("list").len(), 1);
}
