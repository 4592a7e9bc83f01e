//! The `Propagator` contract, as functions any propagator's tests call through
//! [`propagator_contract_tests!`](crate::propagator_contract_tests), and a [`Reloader`] a test
//! can watch without a controller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};

use crate::propagate::{InstanceStatus, Mailbox, Propagator, Reloader};

/// Makes a fresh instance of the propagator under test; every instance one maker makes talks to
/// the same fleet (the same broker and channel).
pub type Maker<'a> = &'a dyn Fn() -> Box<dyn Propagator>;

/// Watches a [`Reloader`] made by [`reloader`]: whether its propagator asked for a reload.
#[derive(Debug)]
pub struct ReloadProbe {
    mailbox: Arc<Mailbox>,
}

impl ReloadProbe {
    /// Whether a reload (or a revision check) was asked for within `within`; takes the request.
    pub fn rang(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let requests = self.mailbox.wait(Some(left));
            if requests.reload || requests.check || requests.snapshot.is_some() {
                return true;
            }
            if left.is_zero() {
                return false;
            }
        }
    }

    /// The snapshot carried to this instance within `within`, if one was; takes the requests.
    pub fn carried(&self, within: Duration) -> Option<crate::store::Snapshot> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let requests = self.mailbox.wait(Some(left));
            if requests.snapshot.is_some() || left.is_zero() {
                return requests.snapshot;
            }
        }
    }

    /// Forgets the requests made so far.
    pub fn clear(&self) {
        self.mailbox.wait(Some(Duration::ZERO));
    }
}

/// A [`Reloader`] for the instance `instance_id`, and the probe that sees what it is asked: the
/// way to test a propagator without a whole controller.
pub fn reloader(instance_id: &str) -> (Reloader, ReloadProbe) {
    let mailbox = Arc::new(Mailbox::default());
    (
        Reloader::new(Arc::clone(&mailbox), instance_id),
        ReloadProbe { mailbox },
    )
}

/// How long a fan-out may take in these tests: far above what any broker on the same machine
/// needs, so a slow CI machine does not fail them.
const FAN_OUT: Duration = Duration::from_secs(5);

fn started(make: Maker<'_>, instance_id: &str) -> (Box<dyn Propagator>, ReloadProbe) {
    let propagator = make();
    let (reloader, probe) = reloader(instance_id);
    propagator.start(reloader).expect("the propagator starts");
    (propagator, probe)
}

fn status(instance_id: &str, revision: i64) -> InstanceStatus {
    InstanceStatus {
        instance_id: instance_id.into(),
        host: "test-host".into(),
        pid: std::process::id(),
        app: "contract".into(),
        revision,
        config_hash: "0".into(),
        winner: None,
        config_id: None,
        applied_at: Some(Utc::now()),
        last_error: None,
        reported_at: Utc::now(),
    }
}

/// It has a name for status pages, starts, announces and reports without error.
pub fn names_itself_and_starts(make: Maker<'_>) {
    let (propagator, _probe) = started(make, "a");
    assert!(!propagator.name().is_empty());
    propagator.announce(1).expect("announce");
    propagator.report(&status("a", 1)).expect("report");
    propagator.fleet().expect("fleet");
    propagator.stop();
}

/// `stop` returns promptly, and calls after it neither panic nor hang.
pub fn stops_promptly(make: Maker<'_>) {
    let (propagator, _probe) = started(make, "a");
    let began = Instant::now();
    propagator.stop();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "stop took {:?}",
        began.elapsed()
    );
    let began = Instant::now();
    let _ = propagator.announce(2);
    let _ = propagator.report(&status("a", 2));
    assert!(began.elapsed() < Duration::from_secs(3));
}

/// A fan-out propagator asks for a reload once it is listening: what was announced before is
/// lost to it, so it reads the store.
pub fn rings_once_listening(make: Maker<'_>) {
    let (propagator, probe) = started(make, "a");
    assert!(probe.rang(FAN_OUT), "no reload once listening");
    propagator.stop();
}

/// An announcement rings every other instance, and not the one that made it.
pub fn announcements_ring_the_others_only(make: Maker<'_>) {
    let (a, a_probe) = started(make, "a");
    let (b, b_probe) = started(make, "b");
    let (c, c_probe) = started(make, "c");
    for probe in [&a_probe, &b_probe, &c_probe] {
        assert!(probe.rang(FAN_OUT), "listening");
    }
    a.announce(7).expect("announce");
    assert!(b_probe.rang(FAN_OUT), "b was not told");
    assert!(c_probe.rang(FAN_OUT), "c was not told");
    assert!(
        !a_probe.rang(Duration::from_millis(300)),
        "a was told of its own change"
    );
    b.announce(8).expect("announce");
    assert!(a_probe.rang(FAN_OUT), "a was not told");
    for p in [a, b, c] {
        p.stop();
    }
}

/// A report shows in every instance's fleet view, and goes once its instance stops.
pub fn reports_reach_the_fleet(make: Maker<'_>) {
    let (a, _a_probe) = started(make, "a");
    let (b, _b_probe) = started(make, "b");
    a.report(&status("a", 3)).expect("report");
    let began = Instant::now();
    loop {
        let fleet = b.fleet().expect("fleet");
        if let Some(seen) = fleet.iter().find(|s| s.instance_id == "a") {
            assert_eq!(seen.revision, 3);
            break;
        }
        assert!(
            began.elapsed() < FAN_OUT,
            "b never saw a's report: {fleet:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    a.stop();
    let began = Instant::now();
    while b
        .fleet()
        .expect("fleet")
        .iter()
        .any(|s| s.instance_id == "a")
    {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "a stopped but stays in the fleet"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    b.stop();
}

/// A snapshot announced with [`Propagator::announce_snapshot`] reaches the others whole, to
/// apply without reading the store, and not the instance that announced it.
pub fn announced_snapshots_arrive_whole(make: Maker<'_>) {
    use crate::model::{Config, ConfigId, LoggingConfig, Trigger, TriggerId};
    let (a, a_probe) = started(make, "a");
    let (b, b_probe) = started(make, "b");
    for probe in [&a_probe, &b_probe] {
        assert!(probe.rang(FAN_OUT), "listening");
    }
    let now = Utc::now().trunc_subsecs(6);
    let config = Config {
        id: ConfigId(3),
        name: "debug import".into(),
        body: LoggingConfig::from_json(r#"{"loggers": {"myapp::import": {"level": "debug"}}}"#)
            .expect("a valid body"),
        version: 2,
        updated_at: now,
        kind: Default::default(),
    };
    let snapshot = crate::store::Snapshot {
        revision: 41,
        triggers: vec![Trigger {
            id: TriggerId(5),
            name: "tonight".into(),
            is_active: true,
            start: Some(now),
            end: Some(now + chrono::Duration::hours(2)),
            config_id: config.id,
            version: 1,
            updated_at: now,
        }],
        configs: [(config.id, config)].into_iter().collect(),
    };
    a.announce_snapshot(&snapshot).expect("announce");
    assert_eq!(b_probe.carried(FAN_OUT), Some(snapshot), "b got it whole");
    assert!(
        !a_probe.rang(Duration::from_millis(300)),
        "a was told of its own change"
    );
    for p in [a, b] {
        p.stop();
    }
}
