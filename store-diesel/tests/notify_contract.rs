//! `PgNotifyPropagator` keeps the `Propagator` contract (heartbeats are the store's), each case
//! on a channel of its own on the local PostgreSQL.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use dynlog_core::propagate::Propagator;
use dynlog_diesel::PgNotifyPropagator;

static CASE: AtomicU32 = AtomicU32::new(0);

fn maker() -> Option<impl Fn() -> Box<dyn Propagator>> {
    let server = common::postgres_server()?;
    // NOTIFY reaches the listeners of one database and channel: a channel per case.
    let channel = format!(
        "dynlog_contract_{}_{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed)
    );
    Some(move || {
        Box::new(PgNotifyPropagator::new(&server, &channel).expect("a valid channel"))
            as Box<dyn Propagator>
    })
}

dynlog_core::propagator_contract_tests!(fan_out_fleet_in_store: maker());

mod carried {
    use dynlog_core::propagate::Propagator;

    dynlog_core::propagator_contract_tests!(carries_snapshots: super::maker().map(|make| {
        move || make() as Box<dyn Propagator>
    }));
}
