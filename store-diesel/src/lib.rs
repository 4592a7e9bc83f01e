//! The dynlog store on SQLite and PostgreSQL through Diesel.
//!
//! This crate is being built; see the project's issue tracker.
