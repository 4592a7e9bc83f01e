//! Fleet propagation of dynlog changes over Redis pub/sub.
//!
//! This crate is being built; see the project's issue tracker.
