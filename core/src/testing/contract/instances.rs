//! Heartbeats: the fleet's statuses, kept by the store for every propagator, bounded.

use chrono::{Duration, Utc};

use crate::propagate::{InstanceStatus, MAX_INSTANCE_ID};
use crate::store::{AuditQuery, MAX_INSTANCES, Store};

fn status(instance_id: &str, host: &str, revision: i64) -> InstanceStatus {
    InstanceStatus {
        instance_id: instance_id.into(),
        host: host.into(),
        pid: 42,
        app: "contract".into(),
        revision,
        config_hash: "00ff".into(),
        winner: None,
        config_id: None,
        applied_at: Some(Utc::now()),
        last_error: None,
        // A reporter's clock is not the store's: far in the future, it must not count.
        reported_at: Utc::now() + Duration::days(365),
    }
}

/// Heartbeats are listed by host, replaced by the next one, removed on request, and change
/// neither the revision nor the audit.
pub fn instances_heartbeats<S: Store + ?Sized>(store: &S) {
    let revision = store.revision().expect("revision");
    let before = Utc::now() - Duration::seconds(5);
    store
        .report_instance(&status("b-1", "host-b", 1))
        .expect("report");
    store
        .report_instance(&status("a-1", "host-a", 1))
        .expect("report");
    let mut second = status("b-1", "host-b", 7);
    second.last_error = Some("store unreachable".into());
    store.report_instance(&second).expect("report again");
    let instances = store.instances().expect("instances");
    let ids: Vec<&str> = instances.iter().map(|i| i.instance_id.as_str()).collect();
    assert_eq!(ids, ["a-1", "b-1"], "by host");
    let b = &instances[1];
    assert_eq!(
        (b.revision, b.last_error.as_deref(), b.pid, b.app.as_str()),
        (7, Some("store unreachable"), 42, "contract")
    );
    assert!(
        b.reported_at >= before && b.reported_at <= Utc::now() + Duration::seconds(5),
        "reported_at is the store's clock: {}",
        b.reported_at
    );
    assert_eq!(store.revision().expect("revision"), revision, "no revision");
    assert!(
        store
            .audit(AuditQuery::default())
            .expect("audit")
            .is_empty(),
        "no audit entry"
    );
    store.remove_instance("b-1").expect("remove");
    store
        .remove_instance("never-there")
        .expect("remove a missing one");
    let ids: Vec<String> = store
        .instances()
        .expect("instances")
        .into_iter()
        .map(|i| i.instance_id)
        .collect();
    assert_eq!(ids, ["a-1"]);
}

/// What a hostile or runaway reporter sends is bounded: ids checked, text cut, and at most
/// [`MAX_INSTANCES`] kept, even when many register at once.
pub fn instances_bounded<S: Store + ?Sized>(store: &S) {
    for id in [String::new(), "x".repeat(MAX_INSTANCE_ID + 1)] {
        let err = store
            .report_instance(&status(&id, "h", 1))
            .expect_err("a bad id");
        assert!(err.to_string().contains("instance_id"), "{err}");
    }
    let mut long = status("long", &"h".repeat(10_000), 1);
    long.app = "é".repeat(10_000);
    long.last_error = Some("e".repeat(100_000));
    store.report_instance(&long).expect("report");
    let kept = store.instances().expect("instances").remove(0);
    assert!(kept.host.len() <= 255 && kept.app.len() <= 255, "{kept:?}");
    assert!(kept.last_error.expect("kept").len() <= 1000);
    assert!(store.instances().expect("instances").len() == 1);

    // Four reporters register more than the store keeps, at once.
    let per_thread = MAX_INSTANCES / 4 + 5;
    std::thread::scope(|scope| {
        for t in 0..4 {
            scope.spawn(move || {
                for n in 0..per_thread {
                    store
                        .report_instance(&status(&format!("flood-{t}-{n}"), "flood", 1))
                        .expect("report");
                }
            });
        }
    });
    let instances = store.instances().expect("instances");
    assert_eq!(instances.len(), MAX_INSTANCES, "bounded");
    for t in 0..4 {
        let last = format!("flood-{t}-{}", per_thread - 1);
        assert!(
            instances.iter().any(|i| i.instance_id == last),
            "the newest ({last}) is kept"
        );
    }
    // An instance that reports again is no new one: nothing is forgotten for it.
    let known = instances[0].instance_id.clone();
    store
        .report_instance(&status(&known, "flood", 2))
        .expect("report");
    assert_eq!(store.instances().expect("instances").len(), MAX_INSTANCES);
}
