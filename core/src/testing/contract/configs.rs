//! Configs: created, listed, refused, versioned, deleted with their triggers, and written with a
//! trigger in one transaction.

use super::{Checked, body, new_config, new_trigger};
use crate::error::Error;
use crate::model::{ConfigId, ConfigKind};
use crate::store::{AuditQuery, Store};

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
    assert_eq!(read.kind, ConfigKind::Manual, "an operator's config");
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
    let revision = written.revision;
    let (config, trigger) = checked.check(written);
    assert_eq!(
        trigger.config_id, config.id,
        "the trigger runs the new config"
    );
    assert_eq!(config.kind, ConfigKind::Debug, "a debug action's config");
    assert_eq!(
        store.config(config.id).expect("read").kind,
        ConfigKind::Debug,
        "the kind is stored"
    );
    // One write, one revision: both audit entries carry the revision the write returned.
    let entries = store
        .audit(AuditQuery {
            before: None,
            limit: 2,
        })
        .expect("audit");
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert_eq!(e.revision, Some(revision), "{} {}", e.action, e.entity);
    }
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
