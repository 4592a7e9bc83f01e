//! The in-process propagators keep the part of the `Propagator` contract that holds for any.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dynlog_core::propagate::{LocalPropagator, NoopPropagator, PollingPropagator, Propagator};

mod local {
    use super::*;
    dynlog_core::propagator_contract_tests!(local: Some(|| Box::new(LocalPropagator) as Box<dyn Propagator>));
}

mod none {
    use super::*;
    dynlog_core::propagator_contract_tests!(local: Some(|| Box::new(NoopPropagator) as Box<dyn Propagator>));
}

mod polling {
    use super::*;
    dynlog_core::propagator_contract_tests!(local: Some(|| {
        Box::new(PollingPropagator::new(Duration::from_millis(50))) as Box<dyn Propagator>
    }));
}

/// The probe sees what a propagator asks of its process, without a controller.
#[test]
fn a_probe_sees_reload_and_check_requests() {
    let (reloader, probe) = dynlog_core::testing::reloader("me");
    assert_eq!(reloader.instance_id(), "me");
    assert!(!probe.rang(Duration::from_millis(20)));
    reloader.check();
    assert!(probe.rang(Duration::from_millis(20)));
    assert!(!probe.rang(Duration::from_millis(20)), "taken");
    let other = reloader.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        other.reload();
    });
    assert!(probe.rang(Duration::from_secs(2)));
}
