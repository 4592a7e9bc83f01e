//! Triggers: validated, listed, versioned, deleted and pruned.

use chrono::{Duration, Utc};

use super::{Checked, new_config, new_trigger};
use crate::error::Error;
use crate::model::{ConfigId, NewTrigger, TriggerId};
use crate::store::{AuditQuery, Store};

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

/// Several triggers updated in one write: one revision shared by their audit entries; a stale
/// version, a missing trigger or config changes none of them; no update changes nothing.
pub fn triggers_updated_together<S: Store + ?Sized>(store: &S) {
    let store = &Checked(store);
    let config = store
        .create_config("alice", &new_config("c"))
        .expect("create");
    let a = store
        .create_trigger("alice", &new_trigger("a", config.id, 0, 1))
        .expect("a");
    let b = store
        .create_trigger("alice", &new_trigger("b", config.id, 1, 2))
        .expect("b");
    let off = |name: &str| NewTrigger {
        is_active: false,
        ..new_trigger(name, config.id, 0, 1)
    };
    let rev = store.revision().expect("revision");
    let audited = store.audit(AuditQuery::default()).expect("audit").len();
    let written = store
        .update_triggers("bob", &[(a.id, 1, off("a")), (b.id, 1, off("b"))])
        .expect("update both");
    assert_eq!(
        written
            .iter()
            .map(|t| (t.id, t.version, t.is_active))
            .collect::<Vec<_>>(),
        [(a.id, 2, false), (b.id, 2, false)]
    );
    assert!(!store.trigger(b.id).expect("read").is_active);
    let after = store.revision().expect("revision");
    assert!(after > rev, "the write moved the revision");
    let entries = store.audit(AuditQuery::default()).expect("audit");
    assert_eq!(entries.len(), audited + 2);
    let mut ids: Vec<i64> = entries[..2].iter().map(|e| e.entity_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [a.id.0, b.id.0]);
    for entry in &entries[..2] {
        assert_eq!(
            (
                entry.actor.as_str(),
                entry.action.as_str(),
                entry.entity.as_str(),
                entry.revision
            ),
            ("bob", "update", "trigger", Some(after)),
            "one write, one revision: {entry:?}"
        );
    }

    let on = |name: &str| new_trigger(name, config.id, 0, 1);
    let refused = [
        // b's version is stale: a, listed first, is not changed either.
        (vec![(a.id, 2, on("a")), (b.id, 1, on("b"))], "stale"),
        (
            vec![(a.id, 2, on("a")), (TriggerId(987_654), 1, on("x"))],
            "missing trigger",
        ),
        (
            vec![
                (a.id, 2, on("a")),
                (b.id, 2, new_trigger("b", ConfigId(987_654), 0, 1)),
            ],
            "missing config",
        ),
    ];
    for (updates, why) in refused {
        let err = store.update_triggers("bob", &updates).expect_err(why);
        assert!(
            matches!(
                (why, &err),
                (
                    "stale",
                    Error::Conflict {
                        entity: "trigger",
                        expected: 1,
                        actual: 2,
                        ..
                    }
                ) | (
                    "missing trigger",
                    Error::TriggerNotFound(TriggerId(987_654))
                ) | ("missing config", Error::ConfigNotFound(ConfigId(987_654)))
            ),
            "{why}: {err}"
        );
        assert_eq!(store.revision().expect("revision"), after, "{why}");
        assert_eq!(
            store.audit(AuditQuery::default()).expect("audit").len(),
            audited + 2,
            "{why}"
        );
        let read = store.trigger(a.id).expect("read");
        assert_eq!((read.version, read.is_active), (2, false), "{why}");
    }

    assert!(store.update_triggers("bob", &[]).expect("none").is_empty());
    assert_eq!(
        store.revision().expect("revision"),
        after,
        "no update, no write"
    );
}
