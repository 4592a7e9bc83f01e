//! `AmqpPropagator` keeps the whole `Propagator` contract, each case on an exchange of its own
//! on the shared RabbitMQ.
#![allow(clippy::unwrap_used)]

mod common;

use dynlog_core::propagate::Propagator;

dynlog_core::propagator_contract_tests!(fan_out: common::shared_broker().map(|url| {
    let exchange = common::unique("dynlog-contract");
    move || Box::new(common::propagator(&url, &exchange)) as Box<dyn Propagator>
}));
