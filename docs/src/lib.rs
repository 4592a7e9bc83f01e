//! The dynlog guide. Each chapter is a markdown file in `docs/guide/`; its Rust examples are
//! compiled and run as doctests of this crate (`cargo test -p dynlog-docs`).

#[doc = include_str!("../guide/concepts.md")]
pub mod concepts {}

#[doc = include_str!("../guide/extending.md")]
pub mod extending {}

#[doc = include_str!("../guide/performance.md")]
pub mod performance {}

#[doc = include_str!("../guide/stores-and-propagators.md")]
pub mod stores_and_propagators {}
