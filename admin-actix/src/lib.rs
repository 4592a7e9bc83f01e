//! The dynlog admin: HTML pages and a JSON API as an actix-web scope.
//!
//! This crate is being built; see the project's issue tracker.
