//! What readers see of the writes: the snapshot, the audit and the revision.

use chrono::Utc;

use super::{Checked, new_config, new_trigger};
use crate::model::{ConfigId, NewTrigger, TriggerId};
use crate::store::{AuditQuery, Store};

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
