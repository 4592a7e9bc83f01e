//! `AmqpPropagator` keeps the `Propagator` contract (heartbeats are the store's), each case on
//! an exchange of its own on the shared RabbitMQ.
#![allow(clippy::unwrap_used)]

mod common;

use dynlog_core::propagate::Propagator;

fn maker() -> Option<impl Fn() -> Box<dyn Propagator>> {
    let url = common::shared_broker()?;
    let exchange = common::unique("dynlog-contract");
    Some(move || Box::new(common::propagator(&url, &exchange)) as Box<dyn Propagator>)
}

dynlog_core::propagator_contract_tests!(fan_out_fleet_in_store: maker());

mod carried {
    use dynlog_core::propagate::Propagator;

    dynlog_core::propagator_contract_tests!(carries_snapshots: super::maker().map(|make| {
        move || make() as Box<dyn Propagator>
    }));
}
