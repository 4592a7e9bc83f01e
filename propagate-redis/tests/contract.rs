//! `RedisPropagator` keeps the whole `Propagator` contract, each case on a `redis-server` of
//! its own.
#![allow(clippy::unwrap_used)]

mod common;

use dynlog_core::propagate::Propagator;

dynlog_core::propagator_contract_tests!(fan_out: common::RedisServer::start().map(|server| {
    move || Box::new(common::propagator(&server)) as Box<dyn Propagator>
}));

mod carried {
    use super::common;
    use dynlog_core::propagate::Propagator;

    dynlog_core::propagator_contract_tests!(carries_snapshots: common::RedisServer::start().map(|server| {
        move || Box::new(common::propagator(&server)) as Box<dyn Propagator>
    }));
}
